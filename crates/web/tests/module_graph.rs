//! The web crate's modules are in layers (see the crate's documentation and ARCHITECTURE.md): no
//! module may reach, through `crate::` paths, a module that reaches it back. This test reads the
//! source, builds the graph of `crate::module` references between top-level modules and fails on
//! any cycle, naming the modules and the lines that close it.

// Self-contained (std only), so that another crate's test can include it the same way.
#[path = "support/module_graph.rs"]
mod module_graph;

use std::path::Path;

use module_graph::{cycles, references_from_to, upward_references};

#[test]
fn the_web_crates_modules_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found =
        cycles(&src).unwrap_or_else(|error| panic!("cannot read {}: {error}", src.display()));
    assert!(
        found.is_empty(),
        "modules of crates/web/src that import each other in a circle (each must use only the \
         layers below it):\n{}",
        found.join("\n")
    );
}

/// The layers, lowest first, as the crate's documentation and ARCHITECTURE.md ("Code map: web")
/// give them. A new module is placed here, in the layer whose modules it may use.
const LAYERS: &[&[&str]] = &[
    &[
        "access", "error", "fields", "kinds", "markdown", "secrets", "viewer",
    ],
    &["record", "rows", "story"],
    &["auth", "state"],
    &["ops"],
    &["extract", "openapi", "page_cache", "templates"],
    &["admin", "api", "links", "pages", "recording", "sharing"],
    &["demo", "headers", "routes", "server"],
];

#[test]
fn each_module_uses_only_its_layer_and_those_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = upward_references(&src, LAYERS)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", src.display()));
    assert!(
        found.is_empty(),
        "modules of crates/web/src out of their layer:\n{}",
        found.join("\n")
    );
}

/// The reader itself: a cycle is found and named with its lines; comments, strings and a
/// module's own submodules make none.
#[test]
fn the_graph_reader_finds_cycles_and_nothing_else() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let src = dir.path();
    let write = |path: &str, text: &str| {
        let path = src.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("directory");
        std::fs::write(path, text).expect("file");
    };
    write("lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod d;\n");
    write(
        "a.rs",
        "use crate::{b::X, d};\n// crate::c::nothing\nfn f() { let _ = \"crate::c\"; }\n",
    );
    write("b.rs", "pub struct X;\nfn g() { crate::c::h() }\n");
    write("c/mod.rs", "mod inner;\npub fn h() {}\n");
    write("c/inner.rs", "use crate::c::h;\nuse super::h as again;\n");
    write("d.rs", "/// [`crate::a`]\npub fn d() {}\n");
    assert_eq!(cycles(src).expect("readable"), Vec::<String>::new());
    write("c/inner.rs", "use crate::{a as _};\n");
    let found = cycles(src).expect("readable");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("a -> b -> c -> a"), "{}", found[0]);
    assert!(found[0].contains("c/inner.rs:1"), "{}", found[0]);
    let layers: &[&[&str]] = &[&["a", "b"], &["c"]];
    assert_eq!(
        upward_references(src, layers).expect("readable"),
        vec![
            "d: in no layer (add it to the layer it belongs to)".to_owned(),
            "b (layer 1) uses c (layer 2): b.rs:2".to_owned(),
        ]
    );
}

/// A name the crate root re-exports stands for its module: `pub use b::X;` in `lib.rs` does not
/// hide `a`'s use of `b` behind `crate::X`, aliases and groups included; a glob names nothing.
#[test]
fn the_graph_reader_sees_through_the_roots_reexports() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let src = dir.path();
    let write = |path: &str, text: &str| {
        std::fs::write(src.join(path), text).expect("file");
    };
    write(
        "lib.rs",
        "mod a;\nmod b;\nmod c;\npub use b::{X, inner::{self, Y as Z}};\n\
         #[cfg(test)]\npub use c::*;\nuse std::fmt;\npub mod prelude {\n    pub use crate::a::W;\n}\n",
    );
    write("a.rs", "pub struct W;\nfn f(_: crate::X) {}\n");
    write(
        "b.rs",
        "pub struct X;\npub mod inner { pub struct Y; }\nfn g(_: crate::Z) {}\n",
    );
    write(
        "c.rs",
        "fn h(_: crate::{inner::Y, fmt::Debug}) {}\nfn k(_: crate::W) {}\n",
    );
    assert_eq!(
        references_from_to(src, "a", "b").expect("readable"),
        vec!["a.rs:2".to_owned()]
    );
    assert_eq!(
        references_from_to(src, "c", "b").expect("readable"),
        vec!["c.rs:1".to_owned()]
    );
    // `W` is re-exported only inside `prelude`, not by the root: `crate::W` names nothing.
    assert_eq!(
        references_from_to(src, "c", "a").expect("readable"),
        Vec::<String>::new()
    );
    write(
        "b.rs",
        "pub struct X;\npub mod inner { pub struct Y; }\nfn g(_: crate::W) {}\n",
    );
    assert_eq!(cycles(src).expect("readable"), Vec::<String>::new());
    write(
        "b.rs",
        "pub struct X;\npub mod inner { pub struct Y; }\nfn g(_: crate::a::W) {}\n",
    );
    let found = cycles(src).expect("readable");
    assert!(
        found.len() == 1 && found[0].starts_with("a -> b -> a"),
        "{found:?}"
    );
}

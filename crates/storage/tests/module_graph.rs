//! The storage crate's modules are in layers (see the crate's documentation and ARCHITECTURE.md,
//! "Code map: storage"): no module may reach, through `crate::` paths (names the crate root
//! re-exports included), a module that reaches it back, none may use a layer above its own, and
//! the two backends stay apart. This test reads the source and fails naming the modules and the
//! lines at fault.

// The web crate's reader, std only, shared by path rather than through a crate.
#[path = "../../web/tests/support/module_graph.rs"]
mod module_graph;

use std::path::{Path, PathBuf};

use module_graph::{cycles, references_from_to, upward_references};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_storage_crates_modules_form_no_cycle() {
    let src = src();
    let found =
        cycles(&src).unwrap_or_else(|error| panic!("cannot read {}: {error}", src.display()));
    assert!(
        found.is_empty(),
        "modules of crates/storage/src that import each other in a circle (each must use only \
         the layers below it):\n{}",
        found.join("\n")
    );
}

/// The layers, lowest first, as the crate's documentation and ARCHITECTURE.md ("Code map:
/// storage") give them. A new module is placed here, in the layer whose modules it may use.
const LAYERS: &[&[&str]] = &[
    // Values, errors and hashing that know no database.
    &[
        "access",
        "canonical",
        "chain",
        "error",
        "fault",
        "model",
        "owner_only",
    ],
    // The record's rules, independent of the database: the audit chain and its verification,
    // sealing, linkage scoring, report facts, the server's state values.
    &[
        "audit",
        "case_changes",
        "facts",
        "keys",
        "linking",
        "server_state",
        "verify",
    ],
    // The contract, and what every store holds whatever its database.
    &["common", "store"],
    // SQL written once for both databases: reading rows, binding and running statements, the
    // transaction wrapper, the audit group committer, and the shared SQL of each concern.
    &[
        "audit_sql",
        "chain_sql",
        "facts_sql",
        "group_commit",
        "link_sql",
        "row_maps",
        "rows",
        "sql",
        "tx",
    ],
    // The core: every store operation, once for any backend, and the bulk loader over it.
    &["bulk", "engine"],
    // The backends: only what differs between the databases.
    &["postgres", "sqlite"],
    // `rasso copy`, from one backend to the other.
    &["copy"],
    // The harnesses (feature `harness`), over the stores they exercise.
    &["bench", "conformance", "crash", "tamper"],
];

#[test]
fn each_module_uses_only_its_layer_and_those_below() {
    let src = src();
    let found = upward_references(&src, LAYERS)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", src.display()));
    assert!(
        found.is_empty(),
        "modules of crates/storage/src out of their layer:\n{}",
        found.join("\n")
    );
}

/// The backends share one layer, and the core is where what they share goes: neither may use the
/// other, so that each can be read, changed and dropped alone.
#[test]
fn the_backends_do_not_use_each_other() {
    let src = src();
    for (from, to) in [("sqlite", "postgres"), ("postgres", "sqlite")] {
        let found = references_from_to(&src, from, to)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", src.display()));
        assert!(
            found.is_empty(),
            "{from} uses {to} (move what they share into the core): {}",
            found.join(", ")
        );
    }
}

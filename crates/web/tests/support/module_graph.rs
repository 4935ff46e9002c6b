//! The import graph of a crate's top-level modules, read from its source directory, and the
//! cycles in it. A node is a top-level module (`src/x.rs` or `src/x/`); an edge `x -> y` is a
//! `crate::y` path anywhere in `x`'s files (in `use` lines or in code, `crate::{y, z}` groups
//! included), outside comments and string literals. A name the crate root re-exports
//! (`pub use y::Thing;` in `lib.rs`, read as `crate::Thing`) counts as a path to the module it comes
//! from, so that a re-export cannot hide an edge. Paths inside a module (its own submodules,
//! `super::` within it) are not edges: a module is one layer. `lib.rs`, `main.rs` and `bin/` are
//! the crate's roots and binaries, not layers.
//!
//! Std only, so that any crate's tests can include this file (`#[path = ...] mod`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where one module refers to another: the file (relative to the source directory) and line.
type Sites = BTreeMap<(String, String), Vec<String>>;

/// Every cycle among the top-level modules of the crate whose source directory is `src`: one line
/// per group of modules that reach each other, naming them all, then one shortest cycle through
/// the first (`a -> b -> a`) with, for each step, the first places that make it. Empty when the
/// modules form layers.
pub fn cycles(src: &Path) -> std::io::Result<Vec<String>> {
    let sites = references(src)?;
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (from, to) in sites.keys() {
        graph.entry(from).or_default().insert(to);
        graph.entry(to).or_default();
    }
    let mut found = Vec::new();
    for component in strongly_connected(&graph) {
        if component.len() < 2 {
            continue;
        }
        let path = cycle_through(&graph, &component);
        let steps: Vec<String> = path
            .windows(2)
            .map(|step| {
                let places = &sites[&(step[0].to_owned(), step[1].to_owned())];
                let shown: Vec<&str> = places.iter().take(3).map(String::as_str).collect();
                format!("{} -> {} ({})", step[0], step[1], shown.join(", "))
            })
            .collect();
        found.push(format!(
            "{}: {} modules reach each other ({}); fix this step first: {}",
            path.join(" -> "),
            component.len(),
            component.join(", "),
            steps.join("; ")
        ));
    }
    Ok(found)
}

/// Every reference that goes up the layers `layers` (lowest first, each a list of top-level
/// modules), one line each with where it is, and every module of `src` no layer names. A module
/// may use modules of its own layer and of those below.
pub fn upward_references(src: &Path, layers: &[&[&str]]) -> std::io::Result<Vec<String>> {
    let layer_of = |module: &str| layers.iter().position(|layer| layer.contains(&module));
    let mut found = Vec::new();
    let mut files = Vec::new();
    rust_files(src, &mut files)?;
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(src, f)).collect();
    for module in &modules {
        if layer_of(module).is_none() {
            found.push(format!(
                "{module}: in no layer (add it to the layer it belongs to)"
            ));
        }
    }
    for ((from, to), places) in references(src)? {
        if let (Some(low), Some(high)) = (layer_of(&from), layer_of(&to))
            && high > low
        {
            found.push(format!(
                "{from} (layer {}) uses {to} (layer {}): {}",
                low + 1,
                high + 1,
                places.join(", ")
            ));
        }
    }
    Ok(found)
}

/// Where module `from` refers to module `to` (`file:line`), empty when it does not: for rules
/// beyond layers, such as two modules of one layer that must stay apart.
#[allow(dead_code, reason = "not every crate's test asks for one edge")]
pub fn references_from_to(src: &Path, from: &str, to: &str) -> std::io::Result<Vec<String>> {
    Ok(references(src)?
        .remove(&(from.to_owned(), to.to_owned()))
        .unwrap_or_default())
}

/// Every `crate::` reference between two different top-level modules, with where it is.
fn references(src: &Path) -> std::io::Result<Sites> {
    let mut files = Vec::new();
    rust_files(src, &mut files)?;
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(src, f)).collect();
    let reexported = root_reexports(src, &modules)?;
    let mut sites = Sites::new();
    for file in &files {
        let Some(from) = module_of(src, file) else {
            continue;
        };
        let code = without_comments_and_strings(&std::fs::read_to_string(file)?);
        let shown = file.strip_prefix(src).unwrap_or(file).display().to_string();
        for (line, name) in crate_references(&code) {
            let to = match reexported.get(&name) {
                Some(module) if !modules.contains(&name) => module.clone(),
                _ => name,
            };
            if to != from && modules.contains(&to) {
                sites
                    .entry((from.clone(), to))
                    .or_default()
                    .push(format!("{shown}:{line}"));
            }
        }
    }
    Ok(sites)
}

/// The names the crate root (`lib.rs` or `main.rs`) brings in with `use` at its top level, each
/// with the module it comes from: `pub use model::{A, B as C};` gives `A` and `C` from `model`.
/// Globs name nothing and are skipped; so are names from outside the crate.
fn root_reexports(
    src: &Path,
    modules: &BTreeSet<String>,
) -> std::io::Result<BTreeMap<String, String>> {
    let mut found = BTreeMap::new();
    for root in ["lib.rs", "main.rs"] {
        let path = src.join(root);
        if !path.is_file() {
            continue;
        }
        let code = without_comments_and_strings(&std::fs::read_to_string(path)?);
        for tree in top_level_uses(&code) {
            for (path, name) in use_paths(&tokens(&tree)) {
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                let path = match path.as_slice() {
                    ["crate" | "self", rest @ ..] => rest,
                    all => all,
                };
                if let Some(head) = path.first()
                    && modules.contains(*head)
                    && name != "*"
                {
                    found.insert(name, (*head).to_owned());
                }
            }
        }
    }
    Ok(found)
}

/// The use trees (`a::{b, c}` of `pub use a::{b, c};`) of the `use` items at brace depth 0.
fn top_level_uses(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut depth = 0usize;
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            'u' if depth == 0
                && !is_ident(chars.get(i.wrapping_sub(1)))
                && chars[i..].starts_with(&['u', 's', 'e'])
                && chars.get(i + 3).is_some_and(|c| c.is_whitespace()) =>
            {
                let end = chars[i..]
                    .iter()
                    .position(|&c| c == ';')
                    .map_or(chars.len(), |at| i + at);
                found.push(chars[i + 3..end].iter().collect());
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// A use tree's tokens: identifiers, `*`, `{`, `}`, `,`; `::` is dropped, since in a use tree a
/// segment always follows it.
fn tokens(tree: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = tree.chars().peekable();
    while let Some(c) = chars.next() {
        if is_ident(Some(&c)) {
            let mut name = c.to_string();
            while let Some(next) = chars.next_if(|n| is_ident(Some(n))) {
                name.push(next);
            }
            out.push(name);
        } else if matches!(c, '*' | '{' | '}' | ',') {
            out.push(c.to_string());
        }
    }
    out
}

/// Every path a use tree brings in, with the name it is known by: `a { b , c as d }` gives
/// (`a::b`, `b`) and (`a::c`, `d`); `self` in a group stands for the path before it.
fn use_paths(tokens: &[String]) -> Vec<(Vec<String>, String)> {
    fn tree(
        tokens: &[String],
        at: &mut usize,
        prefix: &[String],
        out: &mut Vec<(Vec<String>, String)>,
    ) {
        let mut path = prefix.to_vec();
        while let Some(token) = tokens.get(*at) {
            match token.as_str() {
                "{" => {
                    *at += 1;
                    while tokens.get(*at).is_some_and(|t| t != "}") {
                        tree(tokens, at, &path, out);
                        if tokens.get(*at).is_some_and(|t| t == ",") {
                            *at += 1;
                        }
                    }
                    *at += 1;
                    return;
                }
                "," | "}" => break,
                "as" => {
                    *at += 1;
                    if let Some(alias) = tokens.get(*at) {
                        out.push((path.clone(), alias.clone()));
                        *at += 1;
                    }
                    return;
                }
                "self" if path.len() == prefix.len() && !prefix.is_empty() => {
                    *at += 1;
                }
                _ => {
                    path.push(token.clone());
                    *at += 1;
                }
            }
        }
        if let Some(name) = path.last() {
            out.push((path.clone(), name.clone()));
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        tree(tokens, &mut at, &[], &mut out);
        at += 1;
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The top-level module a file belongs to; `None` for the crate root and binaries.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    match name {
        "lib" | "main" | "bin" => None,
        _ => Some(name.to_owned()),
    }
}

/// The source with comments removed and string and character literals emptied (newlines kept,
/// so that line numbers still hold).
fn without_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && !is_ident(chars.get(i.wrapping_sub(1)))
        {
            // A raw string: r"...", r#"..."#.
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                if chars[j] == '\n' {
                    out.push('\n');
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' && is_char_literal(&chars[i..]) {
            let close = chars[i + 1..]
                .iter()
                .position(|&ch| ch == '\'')
                .unwrap_or(0);
            let close = if chars[i + 1] == '\\' {
                // '\'' and '\\' hold an escaped character first.
                2 + chars[i + 3..]
                    .iter()
                    .position(|&ch| ch == '\'')
                    .unwrap_or(0)
            } else {
                close
            };
            out.push_str("' '");
            i += close + 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Whether `'` at the start of `rest` opens a character literal rather than a lifetime.
fn is_char_literal(rest: &[char]) -> bool {
    match rest.get(1) {
        Some('\\') => true,
        Some(_) => rest.get(2) == Some(&'\''),
        None => false,
    }
}

/// The first segment of every `crate::` path, with its line: `crate::a::b` gives `a`;
/// `crate::{a, b::c}` gives `a` and `b`.
fn crate_references(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut rest = code;
    let mut offset = 0;
    while let Some(at) = rest.find("crate::") {
        let start = offset + at;
        let before = code[..start].chars().next_back();
        let after = &code[start + "crate::".len()..];
        offset = start + "crate::".len();
        rest = &code[offset..];
        if is_ident(before.as_ref()) || before == Some('$') {
            continue;
        }
        let line = code[..start].matches('\n').count() + 1;
        let after = after.trim_start();
        if let Some(group) = after.strip_prefix('{') {
            for name in group_heads(group) {
                found.push((line, name));
            }
        } else {
            let name: String = after.chars().take_while(|c| is_ident(Some(c))).collect();
            found.push((line, name));
        }
    }
    found
}

/// The first segment of each path of a `{...}` group (up to its closing brace).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_start = true;
    let mut chars = group.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_start = true,
            c if at_start && depth == 0 && is_ident(Some(&c)) => {
                let mut name = c.to_string();
                while let Some(next) = chars.next_if(|n| is_ident(Some(n))) {
                    name.push(next);
                }
                if name != "self" {
                    heads.push(name);
                }
                at_start = false;
            }
            _ => {}
        }
    }
    heads
}

/// Tarjan's strongly connected components, each sorted.
fn strongly_connected<'a>(graph: &BTreeMap<&'a str, BTreeSet<&'a str>>) -> Vec<Vec<&'a str>> {
    struct Walk<'a, 'g> {
        graph: &'g BTreeMap<&'a str, BTreeSet<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        components: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(walk: &mut Walk<'a, '_>, node: &'a str) {
        let n = walk.index.len();
        walk.index.insert(node, n);
        walk.low.insert(node, n);
        walk.stack.push(node);
        walk.on_stack.insert(node);
        let graph = walk.graph;
        for &next in &graph[node] {
            if !walk.index.contains_key(next) {
                visit(walk, next);
                let low = walk.low[node].min(walk.low[next]);
                walk.low.insert(node, low);
            } else if walk.on_stack.contains(next) {
                let low = walk.low[node].min(walk.index[next]);
                walk.low.insert(node, low);
            }
        }
        if walk.low[node] == walk.index[node] {
            let mut component = Vec::new();
            while let Some(top) = walk.stack.pop() {
                walk.on_stack.remove(top);
                component.push(top);
                if top == node {
                    break;
                }
            }
            component.sort_unstable();
            walk.components.push(component);
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for &node in graph.keys() {
        if !walk.index.contains_key(node) {
            visit(&mut walk, node);
        }
    }
    walk.components.sort();
    walk.components
}

/// A shortest cycle from the component's first module back to it, within the component.
fn cycle_through<'a>(
    graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    component: &[&'a str],
) -> Vec<&'a str> {
    let start = component[0];
    let inside: BTreeSet<&str> = component.iter().copied().collect();
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &next in &graph[node] {
            if next == start {
                let mut path = vec![start, node];
                let mut at = node;
                while at != start {
                    at = came_from[at];
                    path.insert(1, at);
                }
                // `path` now reads start, ..., node with `start` doubled at the front.
                path.remove(0);
                path.push(start);
                return path;
            }
            if inside.contains(next) && !came_from.contains_key(next) && next != start {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    component.to_vec()
}

//! The import graph of a crate's top-level modules, read from its source directory, and the
//! cycles in it. A node is a top-level module (`src/x.rs` or `src/x/`); an edge `x -> y` is a
//! `crate::y` path anywhere in `x`'s files (in `use` lines or in code, `crate::{y, z}` groups
//! included), outside comments and string literals. Paths inside a module (its own submodules,
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

/// Every `crate::` reference between two different top-level modules, with where it is.
fn references(src: &Path) -> std::io::Result<Sites> {
    let mut files = Vec::new();
    rust_files(src, &mut files)?;
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(src, f)).collect();
    let mut sites = Sites::new();
    for file in &files {
        let Some(from) = module_of(src, file) else {
            continue;
        };
        let code = without_comments_and_strings(&std::fs::read_to_string(file)?);
        let shown = file.strip_prefix(src).unwrap_or(file).display().to_string();
        for (line, to) in crate_references(&code) {
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

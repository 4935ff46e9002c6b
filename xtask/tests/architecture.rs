//! ARCHITECTURE.md's crate map says which of our crates each crate depends on; this test holds it
//! to the crate graph Cargo sees (`cargo metadata`), naming every difference.
//!
//! How the table is read: each row's folder column holds one or more folders in backticks (a
//! folder ending in `/*` stands for every package directly inside it); the "depends on (ours)"
//! column names, in backticks, the workspace packages that the row's packages depend on as normal
//! dependencies (the union, for a row of several packages); anything outside backticks there is
//! commentary, and `—` alone means none. Dev- and build-dependencies are not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (xtask lives one level below it).
fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// One workspace package: its folder relative to the root, and the workspace packages it depends
/// on as normal dependencies.
#[derive(Debug)]
struct Package {
    folder: String,
    depends_on: BTreeSet<String>,
}

/// Every workspace package by name, from `cargo metadata --format-version 1 --no-deps`.
fn packages() -> BTreeMap<String, Package> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata gives JSON");
    let root = PathBuf::from(
        metadata["workspace_root"]
            .as_str()
            .expect("metadata names the workspace root"),
    );
    let list = metadata["packages"]
        .as_array()
        .expect("metadata lists packages");
    let names: BTreeSet<String> = list
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    list.iter()
        .map(|package| {
            let name = package["name"].as_str().expect("a package name").to_owned();
            let manifest = PathBuf::from(package["manifest_path"].as_str().expect("a manifest"));
            let folder = manifest
                .parent()
                .and_then(|dir| dir.strip_prefix(&root).ok())
                .expect("a package inside the workspace")
                .to_string_lossy()
                .replace('\\', "/");
            let depends_on = package["dependencies"]
                .as_array()
                .expect("a dependency list")
                .iter()
                .filter(|dep| dep["kind"].is_null())
                .filter_map(|dep| dep["name"].as_str())
                .filter(|dep| names.contains(*dep))
                .map(str::to_owned)
                .collect();
            (name, Package { folder, depends_on })
        })
        .collect()
}

/// The cells of a table line (`\|` is a pipe inside a cell).
fn cells(line: &str) -> Vec<String> {
    line.replace("\\|", "\u{0}")
        .split('|')
        .map(|cell| cell.trim().replace('\u{0}', "|"))
        .collect()
}

/// The parts of `text` written in backticks.
fn ticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// One row of the crate map: its first cell (for messages), its folders and what it says they
/// depend on.
#[derive(Debug)]
struct Row {
    label: String,
    folders: Vec<String>,
    depends_on: BTreeSet<String>,
}

/// The rows of the table under `## Crate map`.
fn crate_map(architecture: &str) -> Vec<Row> {
    let section = architecture
        .split("\n## ")
        .find(|section| section.starts_with("Crate map"))
        .expect("ARCHITECTURE.md has a `## Crate map` section");
    let mut lines = section.lines().filter(|line| line.starts_with('|'));
    let header = cells(lines.next().expect("the crate map is a table"));
    let column = |name: &str| {
        header
            .iter()
            .position(|cell| cell.as_str() == name)
            .unwrap_or_else(|| panic!("the crate map has a `{name}` column"))
    };
    let (folder, depends) = (column("folder"), column("depends on (ours)"));
    lines
        .skip(1) // the |---| line
        .map(|line| {
            let cells = cells(line);
            let cell = |index: usize| cells.get(index).map(String::as_str).unwrap_or_default();
            Row {
                label: cell(1).to_owned(),
                folders: ticked(cell(folder)),
                depends_on: ticked(cell(depends)).into_iter().collect(),
            }
        })
        .collect()
}

/// Whether a package in `folder` is one the table's `pattern` names.
fn folder_matches(pattern: &str, folder: &str) -> bool {
    match pattern.strip_suffix("/*") {
        Some(parent) => folder
            .strip_prefix(parent)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/')),
        None => pattern == folder,
    }
}

/// Every difference between the crate map and the crate graph, in words.
fn differences(rows: &[Row], packages: &BTreeMap<String, Package>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut mapped = BTreeSet::new();
    for row in rows {
        let members: Vec<(&String, &Package)> = packages
            .iter()
            .filter(|(_, package)| {
                row.folders
                    .iter()
                    .any(|pattern| folder_matches(pattern, &package.folder))
            })
            .collect();
        if members.is_empty() {
            problems.push(format!(
                "row {}: no workspace package in {:?}",
                row.label, row.folders
            ));
            continue;
        }
        for unknown in row.depends_on.iter().filter(|d| !packages.contains_key(*d)) {
            problems.push(format!(
                "row {}: `{unknown}` is not a workspace package",
                row.label
            ));
        }
        let actual: BTreeSet<&String> = members
            .iter()
            .flat_map(|(_, package)| &package.depends_on)
            .collect();
        let claimed: BTreeSet<&String> = row.depends_on.iter().collect();
        for missing in actual.difference(&claimed) {
            let who: Vec<&str> = members
                .iter()
                .filter(|(_, package)| package.depends_on.contains(*missing))
                .map(|(name, _)| name.as_str())
                .collect();
            problems.push(format!(
                "row {}: {} depend(s) on `{missing}`, which the table does not say",
                row.label,
                who.join(", ")
            ));
        }
        for extra in claimed.difference(&actual) {
            problems.push(format!(
                "row {}: the table says it depends on `{extra}`, which it does not",
                row.label
            ));
        }
        for (name, _) in members {
            if !mapped.insert(name.clone()) {
                problems.push(format!("package {name} is in more than one row"));
            }
        }
    }
    for (name, package) in packages {
        if !mapped.contains(name) {
            problems.push(format!(
                "package {name} ({}) has no row in the crate map",
                package.folder
            ));
        }
    }
    problems
}

#[test]
fn the_crate_map_matches_the_crate_graph() {
    let architecture =
        std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let problems = differences(&crate_map(&architecture), &packages());
    assert!(
        problems.is_empty(),
        "ARCHITECTURE.md's crate map differs from `cargo metadata`:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn a_difference_is_named() {
    let packages = BTreeMap::from([
        (
            "a".to_owned(),
            Package {
                folder: "crates/a".into(),
                depends_on: BTreeSet::from(["b".to_owned()]),
            },
        ),
        (
            "b".to_owned(),
            Package {
                folder: "crates/b".into(),
                depends_on: BTreeSet::new(),
            },
        ),
        (
            "f1".to_owned(),
            Package {
                folder: "fixtures/f1".into(),
                depends_on: BTreeSet::from(["b".to_owned()]),
            },
        ),
    ]);
    let table = "# A\n\n## Crate map\n\n| crate | folder | depends on (ours) |\n|---|---|---|\n\
        | `a` | `crates/a` | — |\n| `b` | `crates/b` | `a` (for tests) |\n\
        | fixtures | `fixtures/*` | `b` |\n\n## Next\n";
    let problems = differences(&crate_map(table), &packages);
    assert_eq!(
        problems,
        vec![
            "row `a`: a depend(s) on `b`, which the table does not say".to_owned(),
            "row `b`: the table says it depends on `a`, which it does not".to_owned(),
        ]
    );
}

//! For tests, benchmarks and `cargo xtask`: building the workspace's plugin crates with cargo and
//! finding their libraries. Not used when rasso runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Every plugin crate the workspace's tests load: the two examples and the bad-plugin fixtures.
pub const TEST_PLUGIN_PACKAGES: &[&str] = &[
    "northmoor",
    "eastvale-content",
    "fixture-misbehave",
    "fixture-raw",
    "fixture-wrong-abi",
    "fixture-no-entry",
    "fixture-northmoor-v1",
    "fixture-v2-misbehave",
    "fixture-v2-raw",
];

/// The workspace root (this crate is `crates/plugin-host`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// The file name of a package's `cdylib` on this platform.
pub fn library_name(package: &str) -> String {
    format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        package.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    )
}

/// Builds `packages` (debug profile) into `target_dir` with the cargo that runs us.
pub fn build(packages: &[&str], target_dir: &Path, release: bool) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace_root())
        .arg("build")
        .arg("--quiet")
        .arg("--target-dir")
        .arg(target_dir);
    if release {
        command.arg("--release");
    }
    for package in packages {
        command.arg("-p").arg(package);
    }
    let status = command
        .status()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if !status.success() {
        return Err(format!("cargo build of {packages:?} failed: {status}"));
    }
    Ok(target_dir.join(if release { "release" } else { "debug" }))
}

/// The target folder of the running test binary (`TARGET/debug/deps/test-HASH`).
pub fn current_target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Builds every test plugin once per process, in the running tests' own target folder so nothing
/// is compiled twice, and returns the folder holding the libraries.
pub fn test_libraries() -> Result<&'static Path, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build(TEST_PLUGIN_PACKAGES, &current_target_dir(), false))
        .as_ref()
        .map(PathBuf::as_path)
        .map_err(Clone::clone)
}

/// The source folder of a workspace plugin: `plugins/NAME`, or a fixture's folder.
pub fn source_dir(package: &str) -> PathBuf {
    let root = workspace_root();
    if package.starts_with("fixture-") {
        root.join("crates/plugin-host/tests/fixtures").join(package)
    } else {
        root.join("plugins").join(package)
    }
}

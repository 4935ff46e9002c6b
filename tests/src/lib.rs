//! Support for the end-to-end tests in `tests/tests/`: finding and running the `rasso` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The workspace root.
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The `rasso` binary of this build, built first if this test run has not built it.
pub fn rasso_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        // Test executables live in target/<profile>/deps; the binary is in target/<profile>.
        let exe = std::env::current_exe().unwrap_or_default();
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let binary = profile_dir.join("rasso");
        if !binary.exists() {
            let status = Command::new(env!("CARGO"))
                .args(["build", "--package", "cli", "--bin", "rasso"])
                .current_dir(root())
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "could not build the rasso binary"
            );
        }
        binary
    })
}

/// Runs `rasso` with `args` in `dir`, with no inherited logging configuration.
pub fn rasso(dir: &Path, args: &[&str]) -> Output {
    Command::new(rasso_binary())
        .args(args)
        .current_dir(dir)
        .env_remove("RASSO_LOG")
        .env_remove("RASSO_BANK_HOLIDAYS")
        .env("RASSO_OPERATOR", "test-operator")
        .output()
        .unwrap_or_else(|error| panic!("cannot run rasso: {error}"))
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

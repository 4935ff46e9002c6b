//! Assembling a plugin folder for distribution: the manifest completed with the library's name,
//! SHA-256 and ABI version, the library, and the content folder. `cargo xtask plugin build` and the
//! tests use it; `signing::sign_folder` signs the result.

use std::path::{Path, PathBuf};

use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::signing::sha256_hex;

/// Why a plugin folder could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Manifest { path: String, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |source| PackageError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Builds the distribution folder `out` from a plugin's source folder `source` (holding
/// `plugin.toml` without `library`, `sha256` or `abi`, and optionally a content folder) and its
/// built library, if it has one. `out` is replaced.
pub fn assemble(
    source: &Path,
    library: Option<&Path>,
    out: &Path,
) -> Result<PathBuf, PackageError> {
    let manifest_path = source.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&manifest_path).map_err(io(&manifest_path))?;
    let bad = |message: String| PackageError::Manifest {
        path: manifest_path.display().to_string(),
        message,
    };
    let table: toml::Table = toml::from_str(&text).map_err(|error| bad(error.to_string()))?;
    for generated in ["library", "sha256", "abi"] {
        if table.contains_key(generated) {
            return Err(bad(format!(
                "`{generated}` is written by the build: leave it out of the source manifest"
            )));
        }
    }
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(io(out))?;
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    let mut header = String::new();
    if let Some(library) = library {
        let bytes = std::fs::read(library).map_err(io(library))?;
        let name = library
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| bad(format!("{}: library name is not UTF-8", library.display())))?;
        let target = out.join(name);
        std::fs::write(&target, &bytes).map_err(io(&target))?;
        // A library with neither entry symbol is written as the current ABI; the host then
        // refuses it by name (`no entry symbol`).
        let abi = library_abi(&bytes).unwrap_or(plugin_abi::ABI_VERSION);
        header = format!(
            "# Written by the build.\nlibrary = \"{name}\"\nsha256 = \"{}\"\nabi = {abi}\n\n",
            sha256_hex(&bytes),
        );
    }
    let complete = format!("{header}{text}");
    Manifest::parse(&complete).map_err(bad)?;
    let target = out.join(MANIFEST_FILE);
    std::fs::write(&target, complete).map_err(io(&target))?;
    if let Some(content) = table.get("content").and_then(|value| value.as_str()) {
        copy_dir(&source.join(content), &out.join(content))?;
    }
    Ok(out.to_path_buf())
}

/// The ABI a built library was made for, read from the entry symbol name it carries (in its
/// dynamic symbol names, each between NUL bytes), without loading it: ABI 2 when it has
/// `rasso_plugin_entry_v2`, else ABI 1 when it has `rasso_plugin_entry_v1`. The host checks the
/// library's table against the manifest again when it loads it.
pub fn library_abi(bytes: &[u8]) -> Option<u32> {
    let has = |symbol: &str| {
        let mut needle = Vec::with_capacity(symbol.len() + 2);
        needle.push(0);
        needle.extend_from_slice(symbol.as_bytes());
        needle.push(0);
        bytes.windows(needle.len()).any(|window| window == needle)
    };
    if has(plugin_abi::v2::ENTRY_SYMBOL_NAME) {
        Some(plugin_abi::v2::ABI_VERSION)
    } else if has(plugin_abi::v1::ENTRY_SYMBOL_NAME) {
        Some(plugin_abi::v1::ABI_VERSION)
    } else {
        None
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), PackageError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(io(&path))?.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target).map_err(io(&path))?;
        }
    }
    Ok(())
}

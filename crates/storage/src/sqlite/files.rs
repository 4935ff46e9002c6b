//! The database, its WAL and shared-memory files, backups and restores are owner-only (0600),
//! like the keys: they hold case data and sealed identity.
//!
//! SQLite creates a database file with mode 0644 (less the umask), and gives the WAL and
//! shared-memory files the mode of the database file. So the store creates a new database file
//! itself, empty and 0600, before SQLite opens it (an empty file is an empty database), and the
//! side files follow. A file an earlier version created readable by others is made owner-only
//! when the store opens it (and the log says so).

use std::path::{Path, PathBuf};

use crate::error::{StoreError, StoreResult};

/// Creates `path` (or truncates it) owner-only.
pub(crate) fn create_owner_only(path: &Path) -> StoreResult<()> {
    crate::owner_only::create(path).map(drop)
}

pub(crate) use crate::owner_only::restrict;

/// Before SQLite opens the database at `path`: a new one is created owner-only, an existing one
/// readable by others is made owner-only.
pub(super) fn owner_only_database(path: &Path) -> StoreResult<()> {
    if !path.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(_) => return Ok(()),
            // Another process created it meanwhile: treat it as existing.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => {
                return Err(StoreError::io(
                    format!("cannot create {}", path.display()),
                    error,
                ));
            }
        }
    }
    tighten(path)
}

/// After opening: the WAL and shared-memory files, which an earlier version's database mode may
/// have made readable by others.
pub(super) fn owner_only_side_files(path: &Path) -> StoreResult<()> {
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let side = PathBuf::from(side);
        if side.exists() {
            tighten(&side)?;
        }
    }
    Ok(())
}

fn tighten(path: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| StoreError::io(format!("cannot stat {}", path.display()), e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", mode & 0o777),
                "database file was readable by others; made owner-only (0600)"
            );
            restrict(path)?;
        }
    }
    Ok(())
}

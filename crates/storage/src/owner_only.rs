//! Files only their owner may read: the database and its side files, backups, keys, and what the
//! command line writes out of the record (exports, anchors, refused import lines), since each may
//! hold case data or sealed identity.
//!
//! Opening with mode 0600 protects only a file that does not exist yet: the mode of an existing
//! file is left as it was. So a file is also tightened through its open handle, and one that an
//! earlier run (or another program) left readable by others is owner-only before a byte of the
//! new content is written to it.

use std::fs::File;
use std::path::Path;

use crate::error::{StoreError, StoreResult};

/// Creates `path`, or truncates it, owner-only, for writing.
pub fn create(path: &Path) -> StoreResult<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(path)
        .map_err(|e| StoreError::io(format!("cannot create {}", path.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| StoreError::io(format!("cannot make {} owner-only", path.display()), e))?;
    }
    Ok(file)
}

/// Makes an existing file owner-only.
pub fn restrict(path: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| StoreError::io(format!("cannot make {} owner-only", path.display()), e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn a_new_file_is_owner_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("new");
        create(&path).expect("create");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn an_existing_readable_file_is_tightened_and_truncated() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old");
        std::fs::write(&path, "earlier content").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let mut file = create(&path).expect("create");
        assert_eq!(mode(&path), 0o600, "tightened before anything is written");
        file.write_all(b"new").expect("write");
        drop(file);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
    }

    #[test]
    fn an_error_names_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("no-such-folder").join("file");
        let error = create(&path).expect_err("no folder");
        assert!(error.to_string().contains("no-such-folder"), "{error}");
    }
}

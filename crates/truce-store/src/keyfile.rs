//! Key files: written once, with the mode asked for whatever the umask (0600, owner read/write
//! only, for signer keys; 0644 for verifier keys, which are published) and fsynced; read back
//! with errors that say which file and what to do.

use crate::StoreError;
use std::io::Write;
use std::path::Path;

/// Writes `contents` (plus a newline) to a new file with the given Unix mode (set explicitly, so
/// the umask neither widens nor narrows it). Never overwrites.
pub fn write_new(path: &Path, contents: &str, mode: u32) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |source: std::io::Error| StoreError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                StoreError::Io {
                    path: path.display().to_string(),
                    source: std::io::Error::new(
                        e.kind(),
                        "already exists; refusing to overwrite a key",
                    ),
                }
            } else {
                io(e)
            }
        })?;
    f.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(io)?;
    f.write_all(contents.as_bytes()).map_err(io)?;
    f.write_all(b"\n").map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}

/// Reads a key file as text.
pub fn read(path: &Path) -> Result<String, StoreError> {
    std::fs::read_to_string(path).map_err(|source| StoreError::Io {
        path: path.display().to_string(),
        source,
    })
}

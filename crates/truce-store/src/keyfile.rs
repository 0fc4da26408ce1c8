//! Key files: written once, with the mode asked for whatever the umask (0600, owner read/write
//! only, for signer keys; 0644 for verifier keys, which are published) and fsynced; read back
//! with errors that say which file and what to do.
//!
//! Databases holding secrets (`access.db`, `restricted.db`) are made owner-only *before* SQLite
//! opens them ([`secret_db`]): SQLite creates a database's `-wal`, `-shm` and `-journal` files with
//! the database file's own mode, whatever the umask, so pre-creating the file 0600 makes every side
//! file 0600 from its first byte. The process umask is left alone (changing it is racy across
//! threads and would also narrow files meant to be public, such as `log.vkey`, 0644).

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

/// The side files SQLite may keep beside a database file.
pub const SQLITE_SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Makes the database file `path` owner-only (0600) before SQLite opens it: creates it empty with
/// mode 0600 if it does not exist (SQLite then gives its `-wal`, `-shm` and `-journal` files the
/// same mode), and tightens an existing database or side file that others may read or write.
/// Returns one warning per file tightened (for the caller to log: a looser file may have been read
/// by others already).
pub fn secret_db(path: &Path) -> Result<Vec<String>, StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |path: &Path, source: std::io::Error| StoreError::Io {
        path: path.display().to_string(),
        source,
    };
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(f) => {
            // The umask may only narrow a mode; set it exactly anyway.
            f.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| io(path, e))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io(path, e)),
    }
    let mut warnings = Vec::new();
    let mut files = vec![path.to_path_buf()];
    files.extend(SQLITE_SIDE_FILES.iter().map(|s| {
        let mut p = path.as_os_str().to_owned();
        p.push(s);
        std::path::PathBuf::from(p)
    }));
    for f in files {
        let meta = match std::fs::metadata(&f) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&f, e)),
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| io(&f, e))?;
            warnings.push(format!(
                "{}: was mode {mode:04o}, readable or writable by others; now 0600 (owner only). It holds secrets: if others could read it, treat what it holds as disclosed",
                f.display()
            ));
        }
    }
    Ok(warnings)
}

/// Reads a key file as text.
pub fn read(path: &Path) -> Result<String, StoreError> {
    std::fs::read_to_string(path).map_err(|source| StoreError::Io {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn secret_db_is_created_owner_only_and_looser_files_are_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        assert!(secret_db(&db).unwrap().is_empty());
        assert_eq!(mode(&db), 0o600);
        // Already 0600: nothing to say.
        assert!(secret_db(&db).unwrap().is_empty());
        // A database and WAL left world-readable by an earlier version: tightened, and said.
        let wal = dir.path().join("s.db-wal");
        std::fs::write(&wal, b"").unwrap();
        for p in [&db, &wal] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let w = secret_db(&db).unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[1].contains("s.db-wal: was mode 0644"), "{w:?}");
        assert_eq!((mode(&db), mode(&wal)), (0o600, 0o600));
    }

    #[test]
    fn key_files_get_the_mode_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        write_new(&dir.path().join("a.key"), "k", 0o600).unwrap();
        write_new(&dir.path().join("a.vkey"), "v", 0o644).unwrap();
        assert_eq!(mode(&dir.path().join("a.key")), 0o600);
        assert_eq!(mode(&dir.path().join("a.vkey")), 0o644);
    }
}

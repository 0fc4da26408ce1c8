//! Files holding secrets or restricted content are owner-only from creation, side files included:
//! a real `truce serve` under umask 022 opens `access.db` and `restricted.db`, and while it runs
//! their `-wal` and `-shm` files (which hold tokens' hashes and person lists) are 0600; key files
//! are 0600 and the verifier key `log.vkey` stays 0644 (it is published).
#![allow(unsafe_code)] // umask(2) through libc

mod common;
use common::{serve, stdout, truce};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn secret_databases_their_side_files_and_keys_are_owner_only() {
    // SAFETY: umask only sets this process's file-creation mask; the children inherit it.
    unsafe { libc::umask(0o022) };
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "init",
        "--origin",
        "truce.example/secrets",
    ]));
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "party",
        "add",
        "ua",
        "--name",
        "Ukraine",
        "--role",
        "belligerent",
    ]));
    let d = p.join("d");
    let _server = serve(&d);
    for db in ["access.db", "restricted.db"] {
        for side in ["", "-wal", "-shm"] {
            let f = d.join(format!("{db}{side}"));
            assert_eq!(mode(&f), 0o600, "{} while the server runs", f.display());
        }
    }
    for key in ["log.key", "operator.key", "keys/ua.key"] {
        assert_eq!(mode(&d.join(key)), 0o600, "{key}");
    }
    assert_eq!(mode(&d.join("log.vkey")), 0o644, "log.vkey is published");
}

#[test]
fn a_world_readable_secret_database_is_tightened_with_a_warning() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "init",
        "--origin",
        "truce.example/secrets",
    ]));
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "party",
        "add",
        "ua",
        "--name",
        "Ukraine",
        "--role",
        "belligerent",
    ]));
    let d = p.join("d");
    // What an earlier version left: the database readable by everyone.
    let o = truce(p)
        .args([
            "--dir",
            "d",
            "token",
            "create",
            "ua",
            "--role",
            "belligerent",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let db = d.join("access.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = truce(p)
        .args(["--dir", "d", "token", "list"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("access.db: was mode 0644") && err.contains("now 0600"),
        "{err}"
    );
    assert_eq!(mode(&db), 0o600);
}

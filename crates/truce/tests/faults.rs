//! A full disk under a running `truce serve`: the server's writer path meets a storage fault. The
//! server runs with SIGXFSZ ignored (`sh -c "trap '' XFSZ; exec truce serve …"`), and its file
//! size limit (RLIMIT_FSIZE, set on the running process with prlimit(2)) is lowered to the
//! database files' current size: every write past it fails with EFBIG, as on a full disk. A
//! submission is then answered 503 (resubmit), the operator's log names the database file, says
//! what happened and what to do, the checkpoint stays served and unchanged; when the limit is
//! lifted, the same server accepts the submission again; `truce log check` passes and every
//! acknowledged entry is at its index. No mount privileges needed; the test never skips.
#![allow(unsafe_code)] // prlimit(2) through libc on the server process it spawned

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use truce_store::sqlite::SqliteStorage;
use truce_store::LogReader;

fn truce() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("truce"));
    c.env_remove("TRUCE_DIR").env("NO_COLOR", "1");
    c
}

fn ok(c: &mut Command) -> String {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{c:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// One request on a fresh connection (`Connection: close`): status and body.
fn request(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// Sets the soft file size limit of process `pid` (the hard limit stays unlimited).
fn set_fsize(pid: u32, bytes: Option<u64>) {
    let lim = libc::rlimit {
        rlim_cur: bytes.unwrap_or(libc::RLIM_INFINITY),
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: prlimit(2) on the pid of a child we spawned and have not reaped, valid pointers.
    let r = unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_FSIZE,
            &lim,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(r, 0, "prlimit: {}", std::io::Error::last_os_error());
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn a_full_disk_under_truce_serve_refuses_then_recovers_without_a_restart() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("data");
    ok(truce()
        .args(["init", "--origin", "faults.example/log", "--dir"])
        .arg(&dir));
    ok(truce()
        .args([
            "party",
            "add",
            "ua",
            "--name",
            "ua",
            "--role",
            "belligerent",
            "--dir",
        ])
        .arg(&dir));
    let mut toml = String::from("time = 2025-03-21T09:00:00Z\n");
    for i in 0..3 {
        toml.push_str(&format!(
            "\n[[report]]\nid = \"fault-{i}\"\ntime = {{ start = 2025-03-20T20:00:00Z }}\nlocation = {{ point = [35.1, 51.2], uncertainty_m = 500 }}\nact = \"strike\"\ntext = \"{}\"\n",
            "a report submitted while the disk fills up ".repeat(40)
        ));
    }
    std::fs::write(t.path().join("r.toml"), toml).unwrap();
    let signed = ok(truce()
        .arg("sign")
        .arg(t.path().join("r.toml"))
        .args(["--as", "ua", "--key"])
        .arg(dir.join("keys").join("ua.key"))
        .arg("--dir")
        .arg(&dir));
    let entries: Vec<&str> = signed.lines().collect();
    assert_eq!(entries.len(), 3);

    let stderr = t.path().join("serve.err");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin("truce"))
        .args(["serve", "--listen", "127.0.0.1:0", "--dir"])
        .arg(&dir)
        .env_remove("TRUCE_DIR")
        .env("TRUCE_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line of `truce serve`: {first:?}"))
        .to_string();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });

    let (st, body) = request(&addr, "POST", "/v1/entries", entries[0].as_bytes());
    assert_eq!(st, 200, "{body}");
    let first_index = serde_json::from_str::<serde_json::Value>(&body).unwrap()["index"]
        .as_u64()
        .unwrap();

    // The disk is full: no file of the log may grow.
    let db = dir.join("truce.db");
    let wal = dir.join("truce.db-wal");
    set_fsize(child.id(), Some(size(&db).max(size(&wal))));
    let (_, before) = request(&addr, "GET", "/checkpoint", b"");
    for _ in 0..2 {
        let (st, body) = request(&addr, "POST", "/v1/entries", entries[1].as_bytes());
        assert_eq!(st, 503, "{body}");
        assert!(body.contains("resubmit"), "{body}");
    }
    let (st, during) = request(&addr, "GET", "/checkpoint", b"");
    assert_eq!(
        (st, &during),
        (200, &before),
        "the checkpoint is served unchanged"
    );
    let log = std::fs::read_to_string(&stderr).unwrap();
    assert!(
        log.contains(&db.display().to_string())
            && log.contains("ulimit -f")
            && log.contains("every entry acknowledged before it is kept")
            && log.contains("then retry"),
        "the operator's log says where, what and what to do:\n{log}"
    );

    // Space again: the same server takes the entry.
    set_fsize(child.id(), None);
    let (st, body) = request(&addr, "POST", "/v1/entries", entries[1].as_bytes());
    assert_eq!(st, 200, "{body}");
    let second_index = serde_json::from_str::<serde_json::Value>(&body).unwrap()["index"]
        .as_u64()
        .unwrap();

    // SAFETY: SIGTERM to the child we spawned (sh exec'd into truce serve: the same pid).
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
    ok(truce().args(["log", "check", "--quiet", "--dir"]).arg(&dir));
    let r = LogReader::open(SqliteStorage::open(&db, false).unwrap()).unwrap();
    assert_eq!(r.entry(first_index).unwrap(), entries[0].as_bytes());
    assert_eq!(r.entry(second_index).unwrap(), entries[1].as_bytes());
}

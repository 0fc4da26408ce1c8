//! Storage faults on the real SQLite store, made without mount privileges: fsync failing (a
//! fault-injecting VFS, `common/fault_vfs.rs`), a full disk (`RLIMIT_FSIZE` with SIGXFSZ ignored:
//! writes past the limit get EFBIG), read-only storage (`chattr +i` as root, where permissions do
//! not stop writes; `chmod a-w` otherwise) and a torn write of the last WAL page after a crash.
//!
//! For each: the sequencer refuses the write with an error that names the database file, says
//! what happened and what to do; nothing of the failed batch is acknowledged; every entry
//! acknowledged before is kept and the full self-check passes; and once the fault is cleared the
//! same sequencer accepts writes again, at the next index. None of these tests skips: a fault that
//! cannot be made is a failure.
//!
//! The faults are process-wide (the VFS flag, the file size limit), so the tests run one at a
//! time (`serial`).
#![allow(unsafe_code)] // setrlimit(2) and signal(2) through libc: see `FileSizeLimit`.

#[path = "common/fault_vfs.rs"]
mod fault_vfs;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use truce_log::{generate_key, KeyPair};
use truce_store::check::check;
use truce_store::sqlite::SqliteStorage;
use truce_store::{LogReader, Sequencer, StoreError};

const ORIGIN: &str = "faults.example/log";

/// Serialises the tests (the faults are process-wide) and installs the fault VFS first.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let g = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    fault_vfs::install();
    fault_vfs::fail_sync(false);
    g
}

/// `n` entries of about `len` bytes, tagged so that batches differ.
fn entries(tag: &str, n: usize, len: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let mut s = format!("{{\"batch\":\"{tag}\",\"i\":{i},\"pad\":\"");
            while s.len() + 2 < len {
                s.push((b'a' + (i % 26) as u8) as char);
            }
            s.push_str("\"}");
            s.into_bytes()
        })
        .collect()
}

fn refs(v: &[Vec<u8>]) -> Vec<&[u8]> {
    v.iter().map(Vec::as_slice).collect()
}

/// A log in a fresh directory, and the record of what it acknowledged: `(index, bytes)`.
struct Log {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    db: PathBuf,
    key: KeyPair,
    acked: Vec<(u64, Vec<u8>)>,
}

impl Log {
    fn new() -> (Log, Sequencer<SqliteStorage>) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        let db = dir.join("truce.db");
        let key = generate_key(&mut rand_core::OsRng, ORIGIN).unwrap();
        let seq = Sequencer::create(SqliteStorage::open(&db, true).unwrap(), ORIGIN, &key.signer)
            .unwrap();
        let log = Log {
            _tmp: tmp,
            dir,
            db,
            key,
            acked: Vec::new(),
        };
        (log, seq)
    }

    /// Appends and records the acknowledgement (panics if the append fails).
    fn append_ok(&mut self, seq: &mut Sequencer<SqliteStorage>, es: &[Vec<u8>]) {
        let ack = seq
            .append(&refs(es))
            .unwrap_or_else(|e| panic!("append failed: {e}"));
        let expected = self.acked.last().map_or(0, |(i, _)| i + 1);
        assert_eq!(ack.first_index, expected, "the next index after the fault");
        assert_eq!(ack.count, es.len() as u64);
        for (k, e) in es.iter().enumerate() {
            self.acked.push((ack.first_index + k as u64, e.clone()));
        }
    }

    /// Through a new connection: the full self-check passes and every acknowledged entry is at
    /// its index, byte for byte, and nothing else is in the log.
    fn holds_what_was_acknowledged(&self) {
        let r = LogReader::open(SqliteStorage::open(&self.db, false).unwrap()).unwrap();
        let report = check(r.storage(), |_, _| {}).unwrap_or_else(|e| panic!("log check: {e}"));
        assert_eq!(report.entries, self.acked.len() as u64, "the log's size");
        assert_eq!(r.latest().unwrap().size, self.acked.len() as u64);
        for (i, e) in &self.acked {
            assert_eq!(&r.entry(*i).unwrap(), e, "acknowledged entry {i}");
        }
    }

    /// Opens the log again, as a restarted process would.
    fn reopen(&self) -> Sequencer<SqliteStorage> {
        Sequencer::open(
            SqliteStorage::open(&self.db, false).unwrap(),
            &self.key.signer,
        )
        .unwrap_or_else(|e| panic!("reopening the log: {e}"))
    }
}

/// The failed write's error: it names the database file and says what happened and what to do.
fn refused(r: Result<truce_store::BatchAck, StoreError>, db: &Path, what: &[&str]) -> String {
    let e = match r {
        Ok(ack) => panic!("the write was acknowledged under the fault: {ack:?}"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains(&db.display().to_string()), "names the file: {e}");
    for w in what {
        assert!(e.contains(w), "says {w:?}: {e}");
    }
    assert!(
        e.contains("every entry acknowledged before it is kept") && e.contains("then retry"),
        "says what was kept and what to do: {e}"
    );
    e
}

#[test]
fn fsync_failing_refuses_the_batch_keeps_the_log_and_recovers() {
    let _g = serial();
    let (mut log, mut seq) = Log::new();
    log.append_ok(&mut seq, &entries("a", 300, 200));
    let before = fault_vfs::refused();

    fault_vfs::fail_sync(true);
    for tag in ["b", "c"] {
        refused(
            seq.append(&refs(&entries(tag, 50, 200))),
            &log.db,
            &["fsync failed"],
        );
        assert_eq!(seq.size(), 300, "the sequencer did not run ahead");
    }
    assert!(fault_vfs::refused() > before, "the fault was hit");
    // Reading needs no fsync: the acknowledged log checks while the fault lasts.
    log.holds_what_was_acknowledged();

    fault_vfs::fail_sync(false);
    log.append_ok(&mut seq, &entries("d", 70, 200));
    log.holds_what_was_acknowledged();
    drop(seq);
    let mut seq = log.reopen();
    log.append_ok(&mut seq, &entries("e", 1, 200));
    log.holds_what_was_acknowledged();
}

/// The process's file size limit (RLIMIT_FSIZE), lowered for a while, with SIGXFSZ ignored so
/// that a write past it fails with EFBIG instead of killing the process: a full disk without
/// a full disk. Restored when dropped.
struct FileSizeLimit(libc::rlimit);

impl FileSizeLimit {
    fn set(bytes: u64) -> FileSizeLimit {
        let mut old = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit with valid pointers; signal() with SIG_IGN.
        unsafe {
            assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut old), 0);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let new = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: old.rlim_max,
            };
            assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &new), 0, "setrlimit");
        }
        FileSizeLimit(old)
    }
}

impl Drop for FileSizeLimit {
    fn drop(&mut self) {
        // SAFETY: restores the limit read in `set`.
        unsafe {
            libc::setrlimit(libc::RLIMIT_FSIZE, &self.0);
        }
    }
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn a_full_disk_refuses_the_batch_keeps_the_log_and_recovers() {
    let _g = serial();
    let (mut log, mut seq) = Log::new();
    log.append_ok(&mut seq, &entries("a", 300, 200));
    let wal = log.dir.join("truce.db-wal");
    let largest = file_len(&log.db).max(file_len(&wal));
    {
        // Room for a few pages more than now, not for a batch of 600 kB.
        let _limit = FileSizeLimit::set(largest + 16 * 1024);
        for tag in ["b", "c"] {
            refused(
                seq.append(&refs(&entries(tag, 600, 1000))),
                &log.db,
                &["ulimit -f"],
            );
            assert_eq!(seq.size(), 300, "the sequencer did not run ahead");
        }
        log.holds_what_was_acknowledged();
    }
    // The space is back.
    log.append_ok(&mut seq, &entries("d", 600, 1000));
    log.holds_what_was_acknowledged();
    drop(seq);
    let mut seq = log.reopen();
    log.append_ok(&mut seq, &entries("e", 1, 200));
    log.holds_what_was_acknowledged();
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The log's files made read-only, the way that really stops writes for this user: as root
/// (which permissions do not stop) the immutable flag, `chattr +i`, on each file; otherwise the
/// files and their directory lose their write permission. Undone when dropped.
struct ReadOnly {
    dir: PathBuf,
    files: Vec<PathBuf>,
}

impl ReadOnly {
    fn set(dir: &Path) -> ReadOnly {
        // Not the -shm file: it is SQLite's shared-memory index, mapped into memory, not storage
        // (an immutable mapped file makes its growth fault the process with SIGBUS).
        let files: Vec<PathBuf> = ["truce.db", "truce.db-wal"]
            .iter()
            .map(|f| dir.join(f))
            .filter(|p| p.exists())
            .collect();
        let ro = ReadOnly {
            dir: dir.to_path_buf(),
            files,
        };
        ro.apply(true);
        ro
    }

    fn apply(&self, on: bool) {
        use std::os::unix::fs::PermissionsExt;
        if is_root() {
            for f in &self.files {
                let o = Command::new("chattr")
                    .arg(if on { "+i" } else { "-i" })
                    .arg(f)
                    .output()
                    .expect("chattr (e2fsprogs) is needed to make storage read-only as root");
                assert!(
                    o.status.success(),
                    "chattr on {}: {}",
                    f.display(),
                    String::from_utf8_lossy(&o.stderr)
                );
            }
        } else {
            let (file, dir) = if on { (0o444, 0o555) } else { (0o644, 0o755) };
            for f in &self.files {
                std::fs::set_permissions(f, std::fs::Permissions::from_mode(file)).unwrap();
            }
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(dir)).unwrap();
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        self.apply(false);
    }
}

#[test]
fn read_only_storage_refuses_writes_keeps_the_log_and_recovers() {
    let _g = serial();
    let (mut log, mut seq) = Log::new();
    log.append_ok(&mut seq, &entries("a", 300, 200));
    if is_root() {
        // Under a running sequencer (the immutable flag stops writes on open files too).
        let ro = ReadOnly::set(&log.dir);
        refused(
            seq.append(&refs(&entries("b", 50, 200))),
            &log.db,
            &["read-only or immutable file"],
        );
        assert_eq!(seq.size(), 300);
        drop(ro);
        log.append_ok(&mut seq, &entries("c", 50, 200));
    }
    // A log opened on read-only storage (a restart while it is read-only) opens and reads, and
    // refuses to write.
    drop(seq);
    let ro = ReadOnly::set(&log.dir);
    let mut seq = log.reopen();
    for tag in ["d", "e"] {
        refused(
            seq.append(&refs(&entries(tag, 50, 200))),
            &log.db,
            &["the storage is read-only"],
        );
    }
    log.holds_what_was_acknowledged();
    // Writable again: the same sequencer accepts writes, without a restart.
    drop(ro);
    log.append_ok(&mut seq, &entries("f", 50, 200));
    log.holds_what_was_acknowledged();
}

/// A copy of a data directory's files as they are on disk at this moment (what a SIGKILL leaves:
/// the process's writes are in the page cache, nothing is closed or checkpointed).
fn snapshot(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (
        std::fs::read(dir.join("truce.db")).unwrap(),
        std::fs::read(dir.join("truce.db-wal")).unwrap(),
    )
}

#[test]
fn a_torn_last_page_after_a_crash_loses_only_the_unacknowledged_batch() {
    let _g = serial();
    let (mut log, mut seq) = Log::new();
    log.append_ok(&mut seq, &entries("a", 300, 200));
    log.append_ok(&mut seq, &entries("b", 10, 200));
    let (db_a, wal_a) = snapshot(&log.dir);
    // The batch being written when the process dies: it is never acknowledged.
    seq.append(&refs(&entries("torn", 200, 1000))).unwrap();
    let (db_b, wal_b) = snapshot(&log.dir);
    drop(seq);
    assert_eq!(
        db_a, db_b,
        "no WAL checkpoint in between (the test's premise)"
    );
    assert!(
        wal_b.len() > wal_a.len() + 2 * 4120,
        "the batch spans several WAL frames"
    );

    let torn: [(&str, Vec<u8>); 3] = [
        // The write stopped in the middle of the batch's frames.
        ("truncated mid-batch", {
            let mut w = wal_b.clone();
            w.truncate(wal_a.len() + (wal_b.len() - wal_a.len()) / 2);
            w
        }),
        // The last page (the commit frame) written only in part: its tail holds old bytes.
        ("last page half written", {
            let mut w = wal_b.clone();
            let n = w.len();
            w[n - 2048..].iter_mut().for_each(|b| *b = 0);
            w
        }),
        // The last page's frame cut short.
        ("last page cut", {
            let mut w = wal_b.clone();
            w.truncate(wal_b.len() - 100);
            w
        }),
    ];
    for (what, wal) in torn {
        let t = tempfile::tempdir().unwrap();
        let crashed = Log {
            dir: t.path().to_path_buf(),
            db: t.path().join("truce.db"),
            key: KeyPair {
                signer: log.key.signer.clone(),
                verifier: log.key.verifier.clone(),
            },
            acked: log.acked.clone(),
            _tmp: t,
        };
        std::fs::write(&crashed.db, &db_b).unwrap();
        std::fs::write(crashed.dir.join("truce.db-wal"), &wal).unwrap();
        let mut crashed = crashed;
        let mut seq = crashed.reopen();
        assert_eq!(seq.size(), 310, "{what}: the acknowledged size");
        crashed.holds_what_was_acknowledged();
        // It accepts writes again, at the next index.
        crashed.append_ok(&mut seq, &entries("after", 20, 200));
        drop(seq);
        crashed.holds_what_was_acknowledged();
    }
}

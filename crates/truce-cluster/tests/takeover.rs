//! A stopped sequencer replaced while it is stopped, against a real PostgreSQL 15 and Garage
//! (issue 18's SIGSTOP must-hold): in-process (writer A stops renewing with its commit's
//! transaction open; B takes the lease, commits other entries at the same indexes; A resumes and
//! is refused) and with a real process (a child writer SIGSTOPped with `kill -STOP`, replaced,
//! SIGCONTed). Each time: the takeover within 10 s (measured), A refused by fencing, every
//! acknowledged entry at its index, PostgreSQL's checkpoints all of one history, and every object
//! of the bucket byte for byte what a fresh static export of B's view holds (partial versions:
//! its prefixes), the bucket's checkpoint B's. And a publisher stopped just before its
//! checkpoint `PUT` that writes an older checkpoint late: replaced within one republish interval.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use truce_cluster::bucket::BucketConfig;
use truce_cluster::lease::{Lease, DEFAULT_RENEW, DEFAULT_TTL};
use truce_cluster::{ClusterError, ClusterStorage, FailPoint, Publisher, REPUBLISH_EVERY};
use truce_log::{decode_bundle, parse_tile_path, Edge, TileKind, TilePath, TILE_WIDTH};
use truce_store::{LogStorage, Sequencer};

/// Waits until the bucket's `checkpoint` is PostgreSQL's latest note; how long it took.
fn bucket_catches_up(storage: &ClusterStorage, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let latest = storage.db().latest().unwrap().unwrap().note;
        if storage.bucket().get("checkpoint").unwrap() == Some(latest) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "the bucket's checkpoint is not PostgreSQL's latest after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Checks the log as stored is exactly `expected` (every entry, in order), every checkpoint in
/// PostgreSQL has the root of that history at its size, nothing is pending, and every object of
/// the bucket is byte for byte what a fresh static export of the log holds (a partial version:
/// the prefix of the export's version of that tile), the export's objects all there.
fn everything_is(env: &Env, expected: &[Vec<u8>]) {
    let reader = env.reader();
    let db = reader.db();
    assert_eq!(db.latest_size().unwrap(), Some(expected.len() as u64));
    assert_eq!(db.pending_count().unwrap(), 0);
    // Every checkpoint PostgreSQL holds has the root of this history at its size.
    let sizes = db.checkpoint_sizes().unwrap();
    let mut edge = Edge::empty();
    let mut at = 0usize;
    for size in &sizes {
        let size = *size as usize;
        let refs: Vec<&[u8]> = expected[at..size].iter().map(Vec::as_slice).collect();
        edge.append(refs).unwrap();
        at = size;
        let stored = db.checkpoint_at(size as u64).unwrap().unwrap();
        assert_eq!(stored.root, edge.root().0, "the checkpoint of size {size}");
    }
    // The fresh export of the log as stored, entry by entry as expected.
    let dir = tempfile::tempdir().unwrap();
    truce_store::export::export_tiles(&reader, dir.path(), |_, _| {}).unwrap();
    let mut n = 0usize;
    for b in 0..(expected.len() as u64).div_ceil(TILE_WIDTH) {
        let width = (expected.len() as u64 - b * TILE_WIDTH).min(TILE_WIDTH) as u16;
        let path = TilePath {
            kind: TileKind::Entries,
            n: b,
            width,
        }
        .to_path();
        let bundle = std::fs::read(dir.path().join(&path)).unwrap();
        for e in decode_bundle(&bundle).unwrap() {
            assert_eq!(e, expected[n], "entry {n}");
            n += 1;
        }
    }
    assert_eq!(n, expected.len());
    // The bucket against the export.
    let mut exported = BTreeMap::new();
    for f in walk(dir.path()) {
        let rel = f.strip_prefix(dir.path()).unwrap().display().to_string();
        exported.insert(rel, std::fs::read(&f).unwrap());
    }
    let names = objects(&reader);
    for (path, bytes) in &exported {
        assert!(names.contains(path), "{path} is not in the bucket");
        assert_eq!(
            &reader.bucket().get(path).unwrap().unwrap(),
            bytes,
            "{path}"
        );
    }
    for name in &names {
        if exported.contains_key(name) {
            continue;
        }
        let p = parse_tile_path(name).unwrap_or_else(|e| panic!("object {name}: {e}"));
        // An older partial version: the prefix of the export's version of the same tile.
        let newest = exported
            .iter()
            .find_map(|(path, bytes)| {
                let q = parse_tile_path(path).ok()?;
                (q.kind == p.kind && q.n == p.n).then_some(bytes)
            })
            .unwrap_or_else(|| panic!("{name}: no such tile in the export"));
        let got = reader.bucket().get(name).unwrap().unwrap();
        match p.kind {
            TileKind::Entries => {
                let want = decode_bundle(newest).unwrap();
                let have = decode_bundle(&got).unwrap();
                assert_eq!(have.len(), usize::from(p.width), "{name}");
                assert_eq!(have[..], want[..have.len()], "{name}");
            }
            TileKind::Hash(_) => {
                assert_eq!(got.len(), usize::from(p.width) * 32, "{name}");
                assert_eq!(got[..], newest[..got.len()], "{name}");
            }
        }
    }
    assert_eq!(bucket_checkpoint_agrees(&reader), expected.len() as u64);
    assert_eq!(check(&reader), expected.len() as u64);
    assert_eq!(verify_bucket(&env.bucket), expected.len() as u64);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_stopped_sequencer_is_replaced_and_fenced_in_process() {
    let env = Env::new();
    env.lease.release().unwrap();
    let la = Arc::new(Lease::acquire(&env.url, "A", DEFAULT_TTL).unwrap().unwrap());
    let keeper_a = la.keep(DEFAULT_RENEW);
    let publisher_a = Publisher::start(env.reader().with_lease(la.clone()), REPUBLISH_EVERY);
    let mut a =
        Sequencer::create(env.reader().with_lease(la.clone()), ORIGIN, &key().signer).unwrap();
    let mut expected = Vec::new();
    for (tag, n) in [("a0", 10), ("a1", 300), ("a2", 5)] {
        let e = entries(tag, n);
        append(&mut a, &e).unwrap();
        expected.extend(e);
    }
    assert_eq!(expected.len(), 315);
    // A renews for a while.
    std::thread::sleep(DEFAULT_RENEW * 2);

    // A is stopped in the middle of its next commit: it renews no more and its transaction
    // stays open (a stopped process's connection stays up; its kernel answers keepalives).
    let (inside_tx, inside_rx) = mpsc::channel::<()>();
    let (resume_tx, resume_rx) = mpsc::channel::<()>();
    let resume_rx = std::sync::Mutex::new(resume_rx);
    let inside_tx = std::sync::Mutex::new(inside_tx);
    a.reader().storage().set_hook(Some(Box::new(move |at| {
        if at == FailPoint::InTransaction {
            let _ = inside_tx.lock().unwrap().send(());
            let _ = resume_rx
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(60));
        }
        Ok(())
    })));
    keeper_a.stop();
    drop(publisher_a);
    let stopped = Instant::now();
    let stale = entries("a-stale", 20);
    let writer_a = std::thread::spawn(move || {
        let r = append(&mut a, &stale);
        (a, r)
    });
    inside_rx.recv_timeout(Duration::from_secs(10)).unwrap();

    // B takes the lease while A is stopped.
    let lb = Lease::acquire_within(
        &env.url,
        "B",
        DEFAULT_TTL,
        Duration::from_millis(100),
        Duration::from_secs(20),
    )
    .unwrap()
    .expect("B takes the lease");
    let takeover = stopped.elapsed();
    eprintln!("in-process takeover after {takeover:?}");
    assert!(takeover < Duration::from_secs(10), "{takeover:?}");
    assert_eq!(lb.epoch(), la.epoch() + 1);
    let lb = Arc::new(lb);
    let _keeper_b = lb.keep(DEFAULT_RENEW);
    let publisher_b = Publisher::start(env.reader().with_lease(lb.clone()), REPUBLISH_EVERY);
    let mut b = Sequencer::open(env.reader().with_lease(lb.clone()), &key().signer).unwrap();
    assert_eq!(b.size(), 315);
    // B commits other entries at the indexes A was committing, and more.
    for (tag, n) in [("b0", 20), ("b1", 300), ("b2", 1)] {
        let e = entries(tag, n);
        append(&mut b, &e).unwrap();
        expected.extend(e);
    }

    // A resumes: its transaction was ended by PostgreSQL, its commit fails.
    resume_tx.send(()).unwrap();
    let (mut a, r) = writer_a.join().unwrap();
    let e = r.unwrap_err();
    eprintln!("A's commit in flight: {e}");
    a.reader().storage().set_hook(None);
    // Its next commits and publications are refused by fencing.
    let e = append(&mut a, &entries("a-late", 5)).unwrap_err();
    assert!(ClusterError::is_fenced(&e), "{e}");
    let e = append(&mut a, &entries("a-later", 5)).unwrap_err();
    assert!(ClusterError::is_fenced(&e), "{e}");
    assert!(matches!(
        a.reader().storage().publish_checkpoint(),
        Err(ClusterError::Fenced { .. })
    ));
    // A stale publisher of A's, started again: refused, it stops.
    let stale_pub = Publisher::start(env.reader().with_lease(la.clone()), REPUBLISH_EVERY);
    std::thread::sleep(Duration::from_millis(300));
    assert!(matches!(stale_pub.last(), Some(Err(_))));
    assert!(!stale_pub.is_running());

    // Only B's content, the bucket's checkpoint B's within one republish interval.
    let caught_up = bucket_catches_up(b.reader().storage(), REPUBLISH_EVERY * 2);
    eprintln!("bucket checkpoint B's after {caught_up:?}");
    everything_is(&env, &expected);
    assert!(
        matches!(publisher_b.last(), Some(Ok(_))),
        "{:?}",
        publisher_b.last()
    );
}

#[test]
fn a_late_older_checkpoint_is_replaced_within_a_republish_interval() {
    let env = Env::new();
    env.lease.release().unwrap();
    let ttl = Duration::from_millis(1500);
    let la = Arc::new(Lease::acquire(&env.url, "A", ttl).unwrap().unwrap());
    let mut a =
        Sequencer::create(env.reader().with_lease(la.clone()), ORIGIN, &key().signer).unwrap();
    let mut expected = entries("a0", 10);
    append(&mut a, &expected).unwrap();
    // A's next publication stops just before its checkpoint PUT (it read the bucket's, older).
    let (inside_tx, inside_rx) = mpsc::channel::<()>();
    let (resume_tx, resume_rx) = mpsc::channel::<()>();
    let resume_rx = std::sync::Mutex::new(resume_rx);
    let inside_tx = std::sync::Mutex::new(inside_tx);
    a.reader().storage().set_hook(Some(Box::new(move |at| {
        if at == FailPoint::BeforeCheckpoint {
            let _ = inside_tx.lock().unwrap().send(());
            let _ = resume_rx
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(60));
        }
        Ok(())
    })));
    let more = entries("a1", 5);
    expected.extend(more.clone());
    let writer_a = std::thread::spawn(move || {
        let r = append(&mut a, &more);
        (a, r)
    });
    inside_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    // Committed (size 15), not yet published; B takes over and publishes more.
    let lb = Lease::acquire_within(
        &env.url,
        "B",
        ttl,
        Duration::from_millis(50),
        Duration::from_secs(10),
    )
    .unwrap()
    .expect("B takes the lease");
    let lb = Arc::new(lb);
    let _keeper_b = lb.keep(Duration::from_millis(300));
    let publisher_b = Publisher::start(env.reader().with_lease(lb.clone()), REPUBLISH_EVERY);
    let mut b = Sequencer::open(env.reader().with_lease(lb.clone()), &key().signer).unwrap();
    assert_eq!(b.size(), 15);
    let e = entries("b0", 7);
    append(&mut b, &e).unwrap();
    expected.extend(e);
    let reader = env.reader();
    assert_eq!(bucket_checkpoint_agrees(&reader), 22);
    // A wakes and writes its older (committed) checkpoint over B's.
    resume_tx.send(()).unwrap();
    let (_a, r) = writer_a.join().unwrap();
    assert_eq!(
        r.unwrap(),
        15,
        "A's commit was before the takeover: it stands"
    );
    let regressed = Instant::now();
    let there = bucket_checkpoint_agrees(&reader);
    eprintln!("the bucket's checkpoint after A's late PUT: size {there}");
    // Replaced by the latest within one republish interval (and the request's time).
    let took = bucket_catches_up(&reader, REPUBLISH_EVERY + Duration::from_millis(500));
    eprintln!(
        "older checkpoint replaced after {:?}",
        took.max(regressed.elapsed())
    );
    assert_eq!(bucket_checkpoint_agrees(&reader), 22);
    drop(publisher_b);
    everything_is(&env, &expected);
}

/// What the child writer needs to reach the servers.
fn child_env(env: &Env) -> Vec<(&'static str, String)> {
    let b = &env.bucket;
    vec![
        ("TRUCE_TAKEOVER_CHILD", "1".into()),
        ("TRUCE_T_URL", env.url.clone()),
        ("TRUCE_T_ENDPOINT", b.endpoint.clone()),
        ("TRUCE_T_BUCKET", b.bucket.clone()),
        ("TRUCE_T_KEY_ID", b.access_key_id.clone()),
        ("TRUCE_T_SECRET", b.secret_access_key.clone()),
    ]
}

/// The child writer (run by `a_stopped_process_is_replaced_and_fenced` as a process of its own;
/// does nothing in a normal test run): takes the lease, appends batches of 7 entries `child
/// <k> entry <i>`, printing `ACK <first index> <k>` for each acknowledged, until it is fenced
/// (`FENCED`, exit code 3).
#[test]
fn child_writer_process() {
    if std::env::var_os("TRUCE_TAKEOVER_CHILD").is_none() {
        return;
    }
    let var = |k: &str| std::env::var(k).unwrap();
    let url = var("TRUCE_T_URL");
    let bucket = BucketConfig {
        endpoint: var("TRUCE_T_ENDPOINT"),
        bucket: var("TRUCE_T_BUCKET"),
        region: "garage".into(),
        access_key_id: var("TRUCE_T_KEY_ID"),
        secret_access_key: var("TRUCE_T_SECRET"),
        allow_http: true,
        timeout: Duration::from_secs(10),
    };
    let lease = Lease::acquire_within(
        &url,
        "child",
        DEFAULT_TTL,
        Duration::from_millis(100),
        Duration::from_secs(30),
    )
    .unwrap()
    .expect("the child takes the lease");
    let lease = Arc::new(lease);
    let _keeper = lease.keep(DEFAULT_RENEW);
    let storage = ClusterStorage::open(&url, &bucket)
        .unwrap()
        .with_lease(lease.clone());
    let mut seq = Sequencer::open(storage, &key().signer).unwrap();
    let start = Instant::now();
    let mut k = 0u64;
    while start.elapsed() < Duration::from_secs(120) {
        let e = entries(&format!("child {k}"), 7);
        let first = seq.size();
        match append(&mut seq, &e) {
            Ok(_) => println!("ACK {first} {k}"),
            Err(e) if ClusterError::is_fenced(&e) => {
                println!("FENCED {e}");
                std::process::exit(3);
            }
            Err(e) => println!("ERR {e}"),
        }
        k += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::exit(4);
}

#[test]
fn a_stopped_process_is_replaced_and_fenced() {
    let env = Env::new();
    env.lease.release().unwrap();
    // The log is created here (creating needs no lease); the child writes it.
    drop(Sequencer::create(env.reader(), ORIGIN, &key().signer).unwrap());
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "child_writer_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .envs(child_env(&env))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let out = child.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel::<String>();
    let reader_thread = std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    // (first index, k) of every acknowledged batch.
    let mut acked: Vec<(u64, u64)> = Vec::new();
    let mut other = Vec::new();
    let mut take = |line: String, acked: &mut Vec<(u64, u64)>| {
        if let Some(rest) = line.strip_prefix("ACK ") {
            let mut it = rest.split(' ').map(|v| v.parse::<u64>().unwrap());
            acked.push((it.next().unwrap(), it.next().unwrap()));
        } else {
            other.push(line);
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.len() < 20 {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the child acknowledges batches");
        take(line, &mut acked);
    }
    let kill = |sig: &str| {
        let ok = Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} {pid}");
    };
    kill("-STOP");
    let stopped = Instant::now();
    // B takes the lease while the child is stopped.
    let lb = Lease::acquire_within(
        &env.url,
        "B",
        DEFAULT_TTL,
        Duration::from_millis(100),
        Duration::from_secs(20),
    );
    let takeover = stopped.elapsed();
    let lb = match lb {
        Ok(Some(l)) => l,
        other => {
            kill("-CONT");
            let _ = child.kill();
            panic!("B did not take the lease: {other:?}");
        }
    };
    eprintln!("process takeover after {takeover:?}");
    assert!(takeover < Duration::from_secs(10), "{takeover:?}");
    let lb = Arc::new(lb);
    let _keeper_b = lb.keep(DEFAULT_RENEW);
    let publisher_b = Publisher::start(env.reader().with_lease(lb.clone()), REPUBLISH_EVERY);
    let mut b = Sequencer::open(env.reader().with_lease(lb.clone()), &key().signer).unwrap();
    let from = b.size();
    let mut b_entries = Vec::new();
    for (tag, n) in [("b0", 20), ("b1", 300)] {
        let e = entries(tag, n);
        append(&mut b, &e).unwrap();
        b_entries.extend(e);
    }
    // The child resumes and is refused.
    kill("-CONT");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the child went on writing");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    reader_thread.join().unwrap();
    while let Ok(line) = lines.try_recv() {
        take(line, &mut acked);
    }
    assert_eq!(status.code(), Some(3), "{other:?}");
    assert!(other.iter().any(|l| l.starts_with("FENCED")), "{other:?}");
    // Every acknowledged batch is at its index (all before B's first), byte for byte; from B's
    // first index on, B's entries only.
    let reader = env.reader();
    let log = truce_store::LogReader::open(reader).unwrap();
    for (first, k) in &acked {
        assert!(
            first + 7 <= from,
            "batch {k} at {first} acknowledged after the takeover"
        );
        for (i, e) in entries(&format!("child {k}"), 7).iter().enumerate() {
            assert_eq!(
                &log.entry(first + i as u64).unwrap(),
                e,
                "child {k} entry {i}"
            );
        }
    }
    let mut expected: Vec<Vec<u8>> = (0..from).map(|i| log.entry(i).unwrap()).collect();
    assert!(expected.iter().all(|e| e.starts_with(b"child ")));
    expected.extend(b_entries);
    let caught_up = bucket_catches_up(b.reader().storage(), REPUBLISH_EVERY * 2);
    eprintln!(
        "{} batches acknowledged by the child; bucket checkpoint B's after {caught_up:?}",
        acked.len()
    );
    everything_is(&env, &expected);
    drop(publisher_b);
    assert!(log.storage().meta().unwrap().is_some());
}

//! `ClusterStorage` against real servers — a throw-away PostgreSQL 15 and a single-node Garage
//! (fsync on), each test with its own database and bucket: the sequencer appends batches (partial
//! tiles growing, full tiles, a second tile level), `truce log check` passes, the bucket alone
//! verifies as a static mirror with `truce_verify` (read straight from the bucket, and copied
//! object by object to a directory), a stale size is a conflict that writes nothing, a writer
//! that dies inside its transaction leaves nothing anywhere, a second live writer waits for the
//! row lock and conflicts, a crash or failure at each step of the publication leaves a
//! consistent (only behind) bucket that the next publication catches up, and with the bucket
//! down the log stays up (commits are durable in PostgreSQL and served from it).

mod common;

use common::*;
use std::sync::{Arc, Mutex};
use truce_cluster::bucket::{Bucket, BucketConfig};
use truce_cluster::{ClusterError, ClusterStorage, FailPoint};
use truce_store::{LogStorage, Sequencer, StoreError};
use truce_verify::verify;

/// Pending objects (committed, not yet known to be in the bucket).
fn pending(storage: &ClusterStorage) -> u64 {
    storage.db().pending_count().unwrap()
}

#[test]
fn sequencer_appends_and_the_bucket_is_a_mirror() {
    let env = Env::new();
    let mut seq = env.create();
    // The empty log is published too.
    assert_eq!(bucket_checkpoint_agrees(seq.reader().storage()), 0);
    let mut size = 0;
    // Partial tiles growing, a tile completing mid-batch, several at once, level 1 growing.
    for (b, n) in [1usize, 4, 250, 1, 3, 300, 1000, 7, 256]
        .into_iter()
        .enumerate()
    {
        size = append(&mut seq, &entries(&format!("batch {b}"), n)).unwrap();
        let storage = seq.reader().storage();
        assert_eq!(bucket_checkpoint_agrees(storage), size);
        // Published right after the commit: nothing left pending.
        assert_eq!(pending(storage), 0);
        assert_eq!(storage.db().published_size().unwrap(), size);
        assert!(storage.publish_error().is_none());
    }
    assert_eq!(size, 1822);
    assert_eq!(check(seq.reader().storage()), size);
    assert_eq!(verify_bucket(&env.bucket), size);
    // Every partial version written stays (a static mirror's clients may hold older checkpoints).
    let names = objects(seq.reader().storage());
    assert!(names.contains("tile/entries/000.p/1"), "{names:?}");
    assert!(names.contains("tile/entries/000.p/5"));
    assert!(names.contains("tile/entries/000"));
    assert!(names.contains("tile/0/007.p/30"));
    assert!(names.contains("tile/1/000.p/7"));

    // Another handle (another server) opens the same log, continues it, and reads entries.
    drop(seq);
    let mut again = env.open();
    assert_eq!(again.size(), size);
    assert_eq!(
        again.reader().entry(300).unwrap(),
        b"batch 5 entry 41".to_vec()
    );
    size = append(&mut again, &entries("reopened", 70_000)).unwrap();
    assert_eq!(size, 71_822);
    assert!(objects(again.reader().storage()).contains("tile/2/000.p/1"));
    assert_eq!(check(again.reader().storage()), size);
    // (Read one object at a time, this bucket takes ~40 ms a GET: the directory copy only.)
    assert_eq!(verify_copy(&env.bucket), size);
    let sizes = again.reader().storage().checkpoint_sizes().unwrap();
    assert_eq!(sizes.len(), 11);
}

#[test]
fn a_stale_size_is_a_conflict_and_writes_nothing() {
    let env = Env::new();
    let mut a = env.create();
    let mut b = env.open();
    append(&mut a, &entries("a", 10)).unwrap();
    let before = objects(a.reader().storage());
    // b still builds on size 0.
    match append(&mut b, &entries("b", 3)) {
        Err(StoreError::Conflict {
            stored: 10,
            expected: 0,
        }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(objects(a.reader().storage()), before);
    // b reloaded from storage and now appends after a.
    assert_eq!(b.size(), 10);
    assert_eq!(append(&mut b, &entries("b", 3)).unwrap(), 13);
    assert_eq!(check(b.reader().storage()), 13);
    assert_eq!(bucket_checkpoint_agrees(b.reader().storage()), 13);
}

#[test]
fn a_writer_dying_in_its_transaction_leaves_nothing_and_live_writers_serialise() {
    let env = Env::new();
    let mut first = env.create();
    append(&mut first, &entries("start", 10)).unwrap();
    drop(first);
    // Two sequencers at size 10. The loser dies inside its transaction (before COMMIT): nothing
    // of it anywhere; the winner commits the same sizes with other entries.
    let mut winner = env.open();
    let mut loser = env.open();
    loser
        .reader()
        .storage()
        .set_fail_point(Some(FailPoint::InTransaction));
    assert!(matches!(
        append(&mut loser, &entries("loser", 5)),
        Err(StoreError::Injected(_))
    ));
    let storage = loser.reader().storage();
    storage.set_fail_point(None);
    assert_eq!(storage.db().latest_size().unwrap(), Some(10));
    assert_eq!(storage.db().checkpoint_at(15).unwrap(), None);
    assert_eq!(pending(storage), 0);
    assert!(!objects(storage).contains("tile/entries/000.p/15"));
    assert_eq!(append(&mut winner, &entries("winner", 5)).unwrap(), 15);
    let bundle = storage
        .bucket()
        .get("tile/entries/000.p/15")
        .unwrap()
        .unwrap();
    let got = truce_log::decode_bundle(&bundle).unwrap();
    assert!(!got.iter().any(|e| e.starts_with(b"loser")));
    assert_eq!(got[12], b"winner entry 2");
    assert_eq!(bucket_checkpoint_agrees(storage), 15);
    assert_eq!(check(storage), 15);
    assert_eq!(verify_bucket(&env.bucket), 15);
    // The loser now conflicts (it built on 10), writes nothing, and reloads the winner's log.
    let before = objects(storage);
    assert!(matches!(
        append(&mut loser, &entries("loser2", 3)),
        Err(StoreError::Conflict {
            stored: 15,
            expected: 10
        })
    ));
    assert_eq!(objects(loser.reader().storage()), before);
    assert_eq!(pending(loser.reader().storage()), 0);
    assert_eq!(loser.size(), 15);
    assert_eq!(
        loser.reader().entry(12).unwrap(),
        b"winner entry 2".to_vec()
    );

    // Two live writers at 15: while one is inside its transaction, the other's commit waits for
    // the row lock, then conflicts and writes nothing (no object of its size 20 appears).
    let winner = Arc::new(Mutex::new(winner));
    let w = winner.clone();
    let other: Arc<Mutex<Option<std::thread::JoinHandle<_>>>> = Arc::new(Mutex::new(None));
    let o = other.clone();
    loser.reader().storage().set_hook(Some(Box::new(move |at| {
        if at == FailPoint::InTransaction {
            let w = w.clone();
            *o.lock().unwrap() = Some(std::thread::spawn(move || {
                append(&mut w.lock().unwrap(), &entries("second", 5))
            }));
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        Ok(())
    })));
    assert_eq!(append(&mut loser, &entries("first", 10)).unwrap(), 25);
    loser.reader().storage().set_hook(None);
    let second = other.lock().unwrap().take().unwrap().join().unwrap();
    assert!(
        matches!(
            second,
            Err(StoreError::Conflict {
                stored: 25,
                expected: 15
            })
        ),
        "{second:?}"
    );
    let storage = loser.reader().storage();
    assert!(!objects(storage).contains("tile/entries/000.p/20"));
    assert_eq!(bucket_checkpoint_agrees(storage), 25);
    assert_eq!(check(storage), 25);
    assert_eq!(verify_bucket(&env.bucket), 25);
    // The other one reloaded and continues after it.
    assert_eq!(
        append(&mut winner.lock().unwrap(), &entries("third", 2)).unwrap(),
        27
    );
    assert_eq!(bucket_checkpoint_agrees(storage), 27);
    assert_eq!(verify_bucket(&env.bucket), 27);
}

#[test]
fn a_crash_between_steps_leaves_a_consistent_log() {
    let env = Env::new();
    let mut seq = env.create();
    append(&mut seq, &entries("a", 20)).unwrap();

    // Crash inside the transaction: nothing committed, stored or published.
    seq.reader()
        .storage()
        .set_fail_point(Some(FailPoint::InTransaction));
    assert!(matches!(
        append(&mut seq, &entries("lost", 7)),
        Err(StoreError::Injected(_))
    ));
    let storage = seq.reader().storage();
    assert!(!objects(storage).contains("tile/entries/000.p/27"));
    assert_eq!(pending(storage), 0);
    assert_eq!(storage.db().latest_size().unwrap(), Some(20));
    assert_eq!(seq.size(), 20);
    assert_eq!(bucket_checkpoint_agrees(storage), 20);
    assert_eq!(check(storage), 20);
    assert_eq!(verify_bucket(&env.bucket), 20);

    // Crash after the commit, before the publication: committed and served from PostgreSQL,
    // the bucket behind (and still a consistent mirror); the sequencer reloads the batch.
    seq.reader()
        .storage()
        .set_fail_point(Some(FailPoint::AfterCommit));
    assert!(matches!(
        append(&mut seq, &entries("kept", 7)),
        Err(StoreError::Injected(_))
    ));
    let storage = seq.reader().storage();
    assert_eq!(storage.db().latest_size().unwrap(), Some(27));
    assert!(pending(storage) > 0);
    assert!(!objects(storage).contains("tile/entries/000.p/27"));
    assert_eq!(seq.size(), 27);
    assert_eq!(seq.reader().entry(20).unwrap(), b"kept entry 0".to_vec());
    assert_eq!(bucket_checkpoint_agrees(storage), 20);
    assert_eq!(verify_bucket(&env.bucket), 20);
    assert_eq!(check(storage), 27);
    // Publishing catches the bucket up.
    assert_eq!(storage.publish_checkpoint().unwrap(), 27);
    assert_eq!(pending(storage), 0);
    assert_eq!(bucket_checkpoint_agrees(storage), 27);
    assert_eq!(verify_bucket(&env.bucket), 27);

    // A publication stopped after the objects, before the checkpoint: the commit stands (it is
    // durable), the failure is remembered, the objects stay pending until a publication
    // records them; the next commit publishes everything pending.
    storage.set_fail_point(Some(FailPoint::AfterObjects));
    assert_eq!(append(&mut seq, &entries("b", 3)).unwrap(), 30);
    let storage = seq.reader().storage();
    assert!(storage.publish_error().unwrap().contains("AfterObjects"));
    assert!(objects(storage).contains("tile/entries/000.p/30"));
    assert!(pending(storage) > 0);
    assert_eq!(bucket_checkpoint_agrees(storage), 27);
    assert_eq!(verify_bucket(&env.bucket), 27);
    storage.set_fail_point(Some(FailPoint::BeforeCheckpoint));
    assert_eq!(append(&mut seq, &entries("c", 4)).unwrap(), 34);
    let storage = seq.reader().storage();
    assert!(storage.publish_error().is_some());
    assert_eq!(bucket_checkpoint_agrees(storage), 27);
    assert_eq!(check(storage), 34);
    storage.set_fail_point(None);
    assert_eq!(append(&mut seq, &entries("d", 1)).unwrap(), 35);
    let storage = seq.reader().storage();
    assert!(storage.publish_error().is_none());
    assert_eq!(pending(storage), 0);
    assert_eq!(storage.db().published_size().unwrap(), 35);
    assert_eq!(bucket_checkpoint_agrees(storage), 35);
    assert_eq!(verify_bucket(&env.bucket), 35);
}

#[test]
fn init_twice_and_bucket_checkpoint_never_goes_back() {
    let env = Env::new();
    let mut seq = env.create();
    append(&mut seq, &entries("a", 5)).unwrap();
    // A second init is refused, by another handle too.
    let empty = seq.checkpoint().clone();
    let meta = seq.reader().meta().clone();
    assert!(matches!(
        env.storage().init(&meta, &empty),
        Err(StoreError::AlreadyInitialised { .. })
    ));
    // Publishing again leaves the checkpoint as it is.
    let other = env.storage();
    append(&mut seq, &entries("b", 5)).unwrap();
    assert_eq!(other.publish_checkpoint().unwrap(), 10);
    assert_eq!(bucket_checkpoint_agrees(&other), 10);
    assert!(other.publish_error().is_none());
    // A storage without the lease may read, never write or publish.
    let reader = env.reader();
    assert!(matches!(
        reader.publish_checkpoint(),
        Err(ClusterError::NoLease)
    ));
    let mut ro = Sequencer::open(env.reader(), &key().signer).unwrap();
    let e = append(&mut ro, &entries("c", 1)).unwrap_err();
    assert!(ClusterError::is_fenced(&e), "{e}");
    assert_eq!(reader.db().latest_size().unwrap(), Some(10));
    assert_eq!(ro.reader().entry(7).unwrap(), b"b entry 2".to_vec());
}

#[test]
fn with_the_bucket_down_the_log_stays_up_and_catches_up() {
    let env = Env::new();
    let port = truce_cluster::testkit::free_port().unwrap();
    let dead = BucketConfig {
        endpoint: format!("http://127.0.0.1:{port}"),
        timeout: std::time::Duration::from_secs(2),
        ..env.bucket.clone()
    };
    let start = std::time::Instant::now();
    let storage = ClusterStorage::open(&env.url, &dead)
        .unwrap()
        .with_lease(env.lease.clone());
    // The commit point is PostgreSQL alone: creating and appending succeed, each publication
    // fails in time and is remembered; reads are served from the pending objects.
    let mut seq = Sequencer::create(storage, ORIGIN, &key().signer).unwrap();
    assert!(seq.reader().storage().publish_error().is_some());
    assert_eq!(append(&mut seq, &entries("a", 5)).unwrap(), 5);
    assert_eq!(append(&mut seq, &entries("b", 300)).unwrap(), 305);
    let storage = seq.reader().storage();
    let why = storage.publish_error().unwrap();
    assert!(why.contains("127.0.0.1"), "{why}");
    assert!(start.elapsed() < std::time::Duration::from_secs(60));
    assert_eq!(storage.db().latest_size().unwrap(), Some(305));
    assert_eq!(seq.reader().entry(7).unwrap(), b"b entry 2".to_vec());
    assert_eq!(check(seq.reader().storage()), 305);
    // The live bucket gets everything at the next publication.
    let live = env.storage();
    assert_eq!(live.publish_checkpoint().unwrap(), 305);
    assert_eq!(pending(&live), 0);
    assert_eq!(bucket_checkpoint_agrees(&live), 305);
    assert_eq!(verify_bucket(&env.bucket), 305);
}

#[test]
fn a_tampered_object_is_found_by_check_and_verify() {
    let env = Env::new();
    let mut seq = env.create();
    append(&mut seq, &entries("a", 300)).unwrap();
    let storage = seq.reader().storage();
    let path = "tile/entries/000";
    let mut bundle = storage.bucket().get(path).unwrap().unwrap();
    let last = bundle.len() - 1;
    bundle[last] ^= 1;
    storage.bucket().put(path, &bundle).unwrap();
    // A check reads what is stored, not this process's cache of what it committed.
    let e = truce_store::check::check(&env.reader().uncached(), |_, _| {}).unwrap_err();
    assert!(e.to_string().contains("entry 255"), "{e}");
    let report = verify(
        &BucketSource(Bucket::open(&env.bucket).unwrap()),
        &options(),
    )
    .unwrap();
    assert!(!report.ok, "{}", report.to_text());
}

/// A plain HTTP/1.1 GET of `url` (`http://127.0.0.1:<port>`) + `path` with `Host: host`; the
/// status code and the body.
fn http_get(url: &str, host: &str, path: &str) -> (u16, Vec<u8>) {
    use std::io::{Read as _, Write as _};
    let addr = url.strip_prefix("http://").unwrap();
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).unwrap();
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer has a header");
    let head = String::from_utf8_lossy(&answer[..end]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "a chunked answer (not expected of Garage's web endpoint): {head}"
    );
    (status, answer[end + 4..].to_vec())
}

#[test]
fn the_bucket_is_readable_as_a_website_by_host() {
    let env = Env::new();
    let mut seq = env.create();
    append(&mut seq, &entries("web", 5)).unwrap();
    let storage = seq.reader().storage();
    let (url, host) = env.garage.website(&env.bucket).unwrap();
    assert_eq!(host, format!("{}.web.garage.localhost", env.bucket.bucket));
    let (status, body) = http_get(&url, &host, "/checkpoint");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(body, storage.bucket().get("checkpoint").unwrap().unwrap());
    let (status, body) = http_get(&url, &host, "/tile/entries/000.p/5");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        storage
            .bucket()
            .get("tile/entries/000.p/5")
            .unwrap()
            .unwrap()
    );
    // Garage picks the bucket by Host: another name is not this bucket.
    let (status, _) = http_get(&url, "nothing.web.garage.localhost", "/checkpoint");
    assert_ne!(status, 200);
}

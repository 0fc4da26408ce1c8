//! `ClusterStorage` against real servers — a throw-away PostgreSQL 15 and a single-node Garage
//! (fsync on), each test with its own database and bucket: the sequencer appends batches (partial
//! tiles growing, full tiles, a second tile level), `truce log check` passes, the bucket alone
//! verifies as a static mirror with `truce_verify` (read straight from the bucket, and copied
//! object by object to a directory), a stale size is a conflict that writes nothing, a deposed
//! writer's objects are overwritten by the winner and never become visible, and a crash after the
//! objects or after the compare-and-swap leaves a consistent log and bucket.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use truce_cluster::bucket::{Bucket, BucketConfig};
use truce_cluster::testkit::{Garage, Postgres};
use truce_cluster::{ClusterStorage, FailPoint};
use truce_log::{
    key_from_seed, open_checkpoint, parse_tile_path, parse_verifier, KeyPair, TilePath,
};
use truce_store::{LogStorage, Sequencer, StoreError};
use truce_verify::{verify, DirSource, Options, Source, Trust, VerifyError};

const ORIGIN: &str = "cluster.test.example/log";

fn key() -> KeyPair {
    key_from_seed(ORIGIN, [9; 32]).unwrap()
}

/// The servers and this test's database and bucket.
struct Env {
    _pg: Arc<Postgres>,
    _garage: Arc<Garage>,
    url: String,
    bucket: BucketConfig,
}

impl Env {
    fn new() -> Env {
        let pg = Postgres::shared().unwrap_or_else(|e| panic!("{e}"));
        let garage = Garage::shared().unwrap_or_else(|e| panic!("{e}"));
        let url = pg.database().unwrap();
        let bucket = garage.bucket().unwrap();
        Env {
            _pg: pg,
            _garage: garage,
            url,
            bucket,
        }
    }

    fn storage(&self) -> ClusterStorage {
        ClusterStorage::open(&self.url, &self.bucket).unwrap()
    }

    fn create(&self) -> Sequencer<ClusterStorage> {
        Sequencer::create(self.storage(), ORIGIN, &key().signer).unwrap()
    }

    fn open(&self) -> Sequencer<ClusterStorage> {
        Sequencer::open(self.storage(), &key().signer).unwrap()
    }
}

fn entries(tag: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{tag} entry {i}").into_bytes())
        .collect()
}

fn append(seq: &mut Sequencer<ClusterStorage>, e: &[Vec<u8>]) -> Result<u64, StoreError> {
    let refs: Vec<&[u8]> = e.iter().map(Vec::as_slice).collect();
    seq.append(&refs).map(|a| a.checkpoint.size)
}

/// The bucket read as a static mirror by the verifier, with no database.
struct BucketSource(Bucket);

impl Source for BucketSource {
    fn describe(&self) -> String {
        self.0.describe().to_string()
    }

    fn checkpoint(&self) -> Result<Vec<u8>, VerifyError> {
        self.0
            .get("checkpoint")
            .map_err(|e| VerifyError::Unreachable {
                what: "checkpoint".into(),
                why: e.to_string(),
            })?
            .ok_or_else(|| VerifyError::Unreachable {
                what: "checkpoint".into(),
                why: "no checkpoint object".into(),
            })
    }

    fn tile(&self, path: &TilePath) -> Result<Option<Vec<u8>>, VerifyError> {
        let p = path.to_path();
        self.0.get(&p).map_err(|e| VerifyError::Unreachable {
            what: p,
            why: e.to_string(),
        })
    }

    fn derived_findings(&self) -> Result<Option<truce_verify::source::Derived>, VerifyError> {
        Ok(None)
    }

    fn derived_compliance(&self) -> Result<Option<truce_verify::source::Derived>, VerifyError> {
        Ok(None)
    }
}

fn options() -> Options<'static> {
    Options {
        trust: Trust::LogKey(key().verifier),
        state: None,
        replay: false,
        progress: None,
    }
}

/// Verifies the bucket alone, read straight from it as a static mirror, and copied to a
/// directory; returns the size it verified.
fn verify_bucket(config: &BucketConfig) -> u64 {
    let report = verify(&BucketSource(Bucket::open(config).unwrap()), &options()).unwrap();
    assert!(report.ok, "bucket: {}", report.to_text());
    assert_eq!(verify_copy(config), report.size.unwrap());
    report.size.unwrap()
}

/// Copies every object of the bucket to a directory (each the checkpoint or at a C2SP path) and
/// verifies the directory as a mirror; returns the size it verified.
fn verify_copy(config: &BucketConfig) -> u64 {
    let names = Bucket::open(config).unwrap().list(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let threads = 8;
    std::thread::scope(|s| {
        for part in 0..threads {
            let (names, dir) = (&names, dir.path());
            s.spawn(move || {
                let bucket = Bucket::open(config).unwrap();
                for name in names.iter().skip(part).step_by(threads) {
                    if name != "checkpoint" {
                        parse_tile_path(name).unwrap_or_else(|e| panic!("object {name}: {e}"));
                    }
                    let data = bucket.get(name).unwrap().unwrap();
                    let path = dir.join(name);
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    std::fs::write(path, data).unwrap();
                }
            });
        }
    });
    let report = verify(&DirSource::new(dir.path()), &options()).unwrap();
    assert!(report.ok, "directory copy: {}", report.to_text());
    report.size.unwrap()
}

/// The bucket's `checkpoint` is one PostgreSQL holds, with the same root; returns its size.
fn bucket_checkpoint_agrees(storage: &ClusterStorage) -> u64 {
    let v = parse_verifier(&key().verifier).unwrap();
    let note = storage.bucket().get("checkpoint").unwrap().unwrap();
    let cp = open_checkpoint(&note, &v).unwrap();
    let stored = storage
        .db()
        .checkpoint_at(cp.size)
        .unwrap()
        .unwrap_or_else(|| panic!("the bucket names size {}, unknown to PostgreSQL", cp.size));
    assert_eq!(stored.root, cp.root.0, "size {}", cp.size);
    cp.size
}

fn objects(storage: &ClusterStorage) -> BTreeSet<String> {
    storage.bucket().list(None).unwrap().into_iter().collect()
}

fn check(storage: &ClusterStorage) -> u64 {
    truce_store::check::check(storage, |_, _| {})
        .unwrap_or_else(|e| panic!("check: {e}"))
        .entries
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
        assert_eq!(bucket_checkpoint_agrees(seq.reader().storage()), size);
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
fn a_deposed_writer_never_becomes_visible() {
    let env = Env::new();
    let mut first = env.create();
    append(&mut first, &entries("start", 10)).unwrap();
    drop(first);
    // Two sequencers at size 10. The loser writes its objects (10 → 15), then dies before its
    // compare-and-swap; the winner commits the same sizes with other entries, over them.
    let mut winner = env.open();
    let mut loser = env.open();
    loser
        .reader()
        .storage()
        .set_fail_point(Some(FailPoint::AfterObjects));
    assert!(matches!(
        append(&mut loser, &entries("loser", 5)),
        Err(StoreError::Injected(_))
    ));
    let storage = loser.reader().storage();
    storage.set_fail_point(None);
    let lost = storage
        .bucket()
        .get("tile/entries/000.p/15")
        .unwrap()
        .unwrap();
    assert_eq!(
        truce_log::decode_bundle(&lost).unwrap()[10],
        b"loser entry 0"
    );
    assert_eq!(storage.db().latest_size().unwrap(), Some(10));
    assert_eq!(append(&mut winner, &entries("winner", 5)).unwrap(), 15);
    // What is at the committed paths is the winner's: its entries, its root.
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
    assert_eq!(loser.size(), 15);
    assert_eq!(
        loser.reader().entry(12).unwrap(),
        b"winner entry 2".to_vec()
    );

    // Two live writers at 15: while the one holding the row lock writes its objects, the other's
    // commit waits, then conflicts and writes nothing (no object of its size 20 appears).
    let winner = Arc::new(Mutex::new(winner));
    let w = winner.clone();
    let other: Arc<Mutex<Option<std::thread::JoinHandle<_>>>> = Arc::new(Mutex::new(None));
    let o = other.clone();
    loser.reader().storage().set_hook(Some(Box::new(move |at| {
        if at == FailPoint::AfterObjects {
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

    // Crash after the objects, before the compare-and-swap: nothing committed or published.
    seq.reader()
        .storage()
        .set_fail_point(Some(FailPoint::AfterObjects));
    assert!(matches!(
        append(&mut seq, &entries("lost", 7)),
        Err(StoreError::Injected(_))
    ));
    let storage = seq.reader().storage();
    assert!(objects(storage).contains("tile/entries/000.p/27"));
    assert_eq!(storage.db().latest_size().unwrap(), Some(20));
    assert_eq!(seq.size(), 20);
    assert_eq!(bucket_checkpoint_agrees(storage), 20);
    assert_eq!(check(storage), 20);
    assert_eq!(verify_bucket(&env.bucket), 20);

    // Crash after the compare-and-swap, before the publication: committed, the bucket behind
    // (and still a consistent mirror); the sequencer reloads the committed batch.
    seq.reader()
        .storage()
        .set_fail_point(Some(FailPoint::AfterCas));
    assert!(matches!(
        append(&mut seq, &entries("kept", 7)),
        Err(StoreError::Injected(_))
    ));
    let storage = seq.reader().storage();
    assert_eq!(storage.db().latest_size().unwrap(), Some(27));
    assert_eq!(seq.size(), 27);
    assert_eq!(seq.reader().entry(20).unwrap(), b"kept entry 0".to_vec());
    assert_eq!(bucket_checkpoint_agrees(storage), 20);
    assert_eq!(verify_bucket(&env.bucket), 20);
    assert_eq!(check(storage), 27);
    // Publishing catches the bucket up; so would the next commit.
    storage.publish_checkpoint().unwrap();
    assert_eq!(bucket_checkpoint_agrees(storage), 27);
    storage.set_fail_point(None);
    assert_eq!(append(&mut seq, &entries("b", 3)).unwrap(), 30);
    assert_eq!(bucket_checkpoint_agrees(seq.reader().storage()), 30);
    assert_eq!(verify_bucket(&env.bucket), 30);
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
    // A handle that publishes an older state leaves the newer checkpoint in place.
    let other = env.storage();
    append(&mut seq, &entries("b", 5)).unwrap();
    other.publish_checkpoint().unwrap();
    assert_eq!(bucket_checkpoint_agrees(&other), 10);
    assert!(other.publish_error().is_none());
}

#[test]
fn an_unreachable_bucket_fails_in_time_and_commits_nothing() {
    let env = Env::new();
    let mut seq = env.create();
    append(&mut seq, &entries("a", 5)).unwrap();
    drop(seq);
    let port = truce_cluster::testkit::free_port().unwrap();
    let dead = BucketConfig {
        endpoint: format!("http://127.0.0.1:{port}"),
        timeout: std::time::Duration::from_secs(2),
        ..env.bucket.clone()
    };
    let start = std::time::Instant::now();
    let storage = ClusterStorage::open(&env.url, &dead).unwrap();
    let mut seq = match Sequencer::open(storage, &key().signer) {
        Err(e) => {
            // Loading the edge reads the bucket: an error naming it.
            assert!(e.to_string().contains("object store"), "{e}");
            assert!(start.elapsed() < std::time::Duration::from_secs(30));
            return;
        }
        Ok(s) => s,
    };
    assert!(append(&mut seq, &entries("b", 1)).is_err());
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(seq.reader().storage().db().latest_size().unwrap(), Some(5));
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
    let e = truce_store::check::check(storage, |_, _| {}).unwrap_err();
    assert!(e.to_string().contains("entry 255"), "{e}");
    let report = verify(
        &BucketSource(Bucket::open(&env.bucket).unwrap()),
        &options(),
    )
    .unwrap();
    assert!(!report.ok, "{}", report.to_text());
}

//! Sequencer behaviour on the in-memory backend with injected faults and on a real SQLite file:
//! acknowledged entries are durable and provable, failed commits acknowledge nothing and leave
//! the log consistent, the self-check names the first damaged place.

use truce_log::{generate_key, parse_verifier, verify_consistency, verify_inclusion, KeyPair};
use truce_store::check::{check, CheckFailure};
use truce_store::memory::MemStorage;
use truce_store::sqlite::SqliteStorage;
use truce_store::{LogReader, Sequencer, StoreError};

const ORIGIN: &str = "test.example/log";

fn key() -> KeyPair {
    generate_key(&mut rand_core::OsRng, ORIGIN).unwrap()
}

fn entries(from: u64, n: u64) -> Vec<Vec<u8>> {
    (from..from + n)
        .map(|i| format!("{{\"entry\":{i}}}").into_bytes())
        .collect()
}

fn refs(v: &[Vec<u8>]) -> Vec<&[u8]> {
    v.iter().map(Vec::as_slice).collect()
}

#[test]
fn appends_are_acknowledged_with_proofs_that_verify() {
    let k = key();
    let mut seq = Sequencer::create(MemStorage::new(), ORIGIN, &k.signer).unwrap();
    let v = parse_verifier(&k.verifier).unwrap();
    let mut sizes = vec![(0u64, seq.checkpoint().root)];
    let mut next = 0;
    for batch in [1u64, 255, 1, 300, 65_536, 7] {
        let es = entries(next, batch);
        let ack = seq.append(&refs(&es)).unwrap();
        assert_eq!(ack.first_index, next);
        assert_eq!(ack.count, batch);
        next += batch;
        assert_eq!(ack.checkpoint.size, next);
        truce_log::open_checkpoint(&ack.checkpoint.note, &v).unwrap();
        for (i, e) in es.iter().enumerate().step_by(97) {
            let idx = ack.first_index + i as u64;
            let p = seq.prove_inclusion(idx, next).unwrap();
            verify_inclusion(&p, next, ack.checkpoint.root, idx, e).unwrap();
            assert_eq!(seq.reader().entry(idx).unwrap(), *e);
        }
        sizes.push((next, ack.checkpoint.root));
    }
    let r = seq.reader();
    for w in sizes.windows(2) {
        let p = r.prove_consistency(w[0].0, w[1].0).unwrap();
        verify_consistency(&p, w[0].0, w[0].1, w[1].0, w[1].1).unwrap();
    }
    let proof = r.tlog_proof(300, Some(sizes[4].0)).unwrap();
    assert_eq!(
        proof.verify(&entries(300, 1)[0], &v).unwrap().size,
        sizes[4].0
    );
    let report = check(r.storage(), |_, _| {}).unwrap();
    assert_eq!(report.entries, next);
    assert_eq!(report.checkpoints, sizes.len() as u64);
}

#[test]
fn a_failed_commit_acknowledges_nothing_and_the_log_goes_on() {
    let k = key();
    let store = MemStorage::new();
    let mut seq = Sequencer::create(store.clone(), ORIGIN, &k.signer).unwrap();
    seq.append(&refs(&entries(0, 10))).unwrap();
    store.faults.lock().unwrap().fail_commit = Some(2);
    let err = seq.append(&refs(&entries(10, 5))).unwrap_err();
    assert!(matches!(err, StoreError::Injected(_)), "{err}");
    assert_eq!(seq.size(), 10);
    // The next batch takes the same indices; the log verifies.
    let ack = seq.append(&refs(&entries(100, 5))).unwrap();
    assert_eq!(ack.first_index, 10);
    assert_eq!(seq.reader().entry(10).unwrap(), entries(100, 1)[0]);
    check(&store, |_, _| {}).unwrap();
}

#[test]
fn a_lost_acknowledgement_is_recovered_from_storage() {
    let k = key();
    let store = MemStorage::new();
    let mut seq = Sequencer::create(store.clone(), ORIGIN, &k.signer).unwrap();
    store.faults.lock().unwrap().lose_ack = Some(1);
    assert!(seq.append(&refs(&entries(0, 300))).is_err());
    // Stored but not acknowledged: the sequencer reloads and continues after it.
    assert_eq!(seq.size(), 300);
    let ack = seq.append(&refs(&entries(300, 1))).unwrap();
    assert_eq!(ack.first_index, 300);
    check(&store, |_, _| {}).unwrap();
}

#[test]
fn read_failures_are_errors_not_panics() {
    let k = key();
    let store = MemStorage::new();
    let mut seq = Sequencer::create(store.clone(), ORIGIN, &k.signer).unwrap();
    seq.append(&refs(&entries(0, 1000))).unwrap();
    store.faults.lock().unwrap().fail_reads = true;
    assert!(seq.reader().prove_inclusion(3, 1000).is_err());
    assert!(seq.reader().entry(3).is_err());
    assert!(matches!(
        check(&store, |_, _| {}),
        Err(CheckFailure::Storage(_))
    ));
    assert!(Sequencer::open(store.clone(), &k.signer).is_err());
}

#[test]
fn two_writers_cannot_fork_the_log() {
    let k = key();
    let store = MemStorage::new();
    let mut a = Sequencer::create(store.clone(), ORIGIN, &k.signer).unwrap();
    let mut b = Sequencer::open(store.clone(), &k.signer).unwrap();
    a.append(&refs(&entries(0, 3))).unwrap();
    let err = b.append(&refs(&entries(100, 3))).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                stored: 3,
                expected: 0
            }
        ),
        "{err}"
    );
    // b reloaded: its next append extends a's history.
    assert_eq!(b.append(&refs(&entries(3, 1))).unwrap().first_index, 3);
    check(&store, |_, _| {}).unwrap();
}

#[test]
fn the_wrong_key_and_oversized_entries_are_refused() {
    let k = key();
    let store = MemStorage::new();
    let mut seq = Sequencer::create(store.clone(), ORIGIN, &k.signer).unwrap();
    let other = key();
    let err = Sequencer::open(store.clone(), &other.signer)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("not this log's key"), "{err}");
    let big = vec![b'x'; 65_536];
    let err = seq
        .append(&[b"ok", big.as_slice()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("65,535"), "{err}");
    assert_eq!(seq.size(), 0);
}

#[test]
fn the_self_check_names_the_first_damaged_place() {
    let k = key();
    let store = MemStorage::new();
    let mut seq = Sequencer::create(store.clone(), ORIGIN, &k.signer).unwrap();
    for chunk in entries(0, 70_000).chunks(10_000) {
        seq.append(&refs(chunk)).unwrap();
    }
    check(&store, |_, _| {}).unwrap();

    // A flipped bit in a stored leaf hash names the entry.
    let s1 = store.clone();
    s1.corrupt_tile(0, 3, |t| t[5 * 32 + 7] ^= 1);
    assert_eq!(
        check(&store, |_, _| {}).unwrap_err(),
        CheckFailure::EntryHash {
            index: 3 * 256 + 5,
            tile: "tile/0/003".into()
        }
    );
    s1.corrupt_tile(0, 3, |t| t[5 * 32 + 7] ^= 1);

    // A changed entry names the first entry whose hash no longer matches.
    store.corrupt_bundle(10, |b| {
        let last = b.len() - 1;
        b[last] ^= 0x20
    });
    assert_eq!(
        check(&store, |_, _| {}).unwrap_err(),
        CheckFailure::EntryHash {
            index: 10 * 256 + 255,
            tile: "tile/0/010".into()
        }
    );
    store.corrupt_bundle(10, |b| {
        let last = b.len() - 1;
        b[last] ^= 0x20
    });

    // An upper-level tile names the tile.
    store.corrupt_tile(1, 0, |t| t[0] ^= 1);
    let err = check(&store, |_, _| {}).unwrap_err();
    assert!(
        matches!(&err, CheckFailure::Tile { tile, .. } if tile == "tile/1/000"),
        "{err}"
    );
    store.corrupt_tile(1, 0, |t| t[0] ^= 1);

    // A truncated bundle names the bundle.
    store.corrupt_bundle(0, |b| b.truncate(b.len() - 3));
    let err = check(&store, |_, _| {}).unwrap_err();
    assert!(
        matches!(&err, CheckFailure::Bundle { bundle, .. } if bundle == "tile/entries/000"),
        "{err}"
    );
}

#[test]
fn sqlite_log_survives_reopen_and_checks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("truce.db");
    let k = key();
    {
        let mut seq =
            Sequencer::create(SqliteStorage::open(&db, true).unwrap(), ORIGIN, &k.signer).unwrap();
        seq.append(&refs(&entries(0, 1000))).unwrap();
        seq.append(&refs(&entries(1000, 1))).unwrap();
    }
    let mut seq = Sequencer::open(SqliteStorage::open(&db, false).unwrap(), &k.signer).unwrap();
    assert_eq!(seq.size(), 1001);
    seq.append(&refs(&entries(1001, 300))).unwrap();
    let r = LogReader::open(SqliteStorage::open(&db, false).unwrap()).unwrap();
    assert_eq!(r.latest().unwrap().size, 1301);
    assert_eq!(r.entry(1000).unwrap(), entries(1000, 1)[0]);
    let report = check(r.storage(), |_, _| {}).unwrap();
    assert_eq!((report.entries, report.checkpoints), (1301, 4));

    // Export a static mirror and check its layout.
    let out = dir.path().join("mirror");
    let ex = truce_store::export::export_tiles(r.storage(), &out, |_, _| {}).unwrap();
    assert_eq!(ex.bundles, 6);
    assert!(out.join("checkpoint").exists());
    assert_eq!(
        std::fs::read(out.join("tile/0/005.p/21")).unwrap().len(),
        21 * 32
    );
    assert_eq!(std::fs::read(out.join("tile/0/000")).unwrap().len(), 8192);
    assert_eq!(
        std::fs::read(out.join("tile/1/000.p/5")).unwrap().len(),
        5 * 32
    );
    let bundle = std::fs::read(out.join("tile/entries/005.p/21")).unwrap();
    assert_eq!(truce_log::decode_bundle(&bundle).unwrap().len(), 21);

    // Missing and non-database files give clear errors.
    let err = SqliteStorage::open(&dir.path().join("nope.db"), false)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("truce init"), "{err}");
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x42u8; 8192]).unwrap();
    let err = SqliteStorage::open(&junk, false)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("not a SQLite database"), "{err}");
}

/// Storage that names an older checkpoint as its latest while its tiles and bundles are already
/// wider: what a reader sees when another writer appends between its read of the latest
/// checkpoint and its read of the edge (a shared log's follower catching up).
struct Lagging {
    inner: MemStorage,
    at: u64,
}

impl truce_store::LogStorage for Lagging {
    fn meta(&self) -> Result<Option<truce_store::LogMeta>, StoreError> {
        self.inner.meta()
    }
    fn init(
        &mut self,
        meta: &truce_store::LogMeta,
        empty: &truce_log::SignedCheckpoint,
    ) -> Result<(), StoreError> {
        self.inner.init(meta, empty)
    }
    fn latest_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.checkpoint_at(self.at)
    }
    fn checkpoint_at(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.checkpoint_at(size)
    }
    fn checkpoint_sizes(&self) -> Result<Vec<u64>, StoreError> {
        self.inner.checkpoint_sizes()
    }
    fn read_tile(&self, level: u8, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.read_tile(level, n)
    }
    fn read_bundle(&self, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.read_bundle(n)
    }
    fn commit(&mut self, commit: &truce_store::Commit<'_>) -> Result<(), StoreError> {
        self.inner.commit(commit)
    }
}

#[test]
fn the_edge_of_a_checkpoint_loads_while_storage_already_holds_wider_tiles() {
    let k = key();
    let mut seq = Sequencer::create(MemStorage::new(), ORIGIN, &k.signer).unwrap();
    seq.append(&refs(&entries(0, 728))).unwrap();
    let at_728 = seq.checkpoint().clone();
    seq.append(&refs(&entries(728, 2))).unwrap();
    let lagging = Lagging {
        inner: seq.into_storage(),
        at: 728,
    };
    // The edge is the checkpoint's: its partial bundle and tiles are prefixes of the stored ones.
    let seq = Sequencer::open(lagging, &k.signer).unwrap();
    assert_eq!(seq.size(), 728);
    assert_eq!(seq.checkpoint().root, at_728.root);
}

//! The PostgreSQL side of `truce-cluster` against a real, throw-away PostgreSQL 15: the schema is
//! created idempotently (also by several connections at once), `init` happens once, and the
//! compare-and-swap on the checkpoint size is the one commit point — a stale size is a conflict
//! that changes nothing, of writers racing from one size exactly one wins, and a commit under an
//! epoch that is not the lease's is refused.

use std::sync::{Arc, Barrier};
use std::time::Duration;
use truce_cluster::pg::{Cas, Db};
use truce_cluster::testkit::Postgres;
use truce_log::{key_from_seed, parse_signer, sign_checkpoint, Hash, SignedCheckpoint};
use truce_store::LogMeta;

const ORIGIN: &str = "pg.test.example/log";

fn checkpoint(size: u64, root: u8) -> SignedCheckpoint {
    let k = key_from_seed(ORIGIN, [3; 32]).unwrap();
    let signer = parse_signer(&k.signer).unwrap();
    sign_checkpoint(&signer, ORIGIN, size, Hash([root; 32])).unwrap()
}

fn meta() -> LogMeta {
    let k = key_from_seed(ORIGIN, [3; 32]).unwrap();
    LogMeta {
        origin: ORIGIN.into(),
        vkey: k.verifier,
    }
}

/// Takes the (free) lease on `db`: its epoch.
fn lease(db: &Db) -> i64 {
    db.lease_acquire("pg-test", Duration::from_secs(60))
        .unwrap()
        .expect("the lease is free")
}

fn pg() -> Arc<Postgres> {
    Postgres::shared().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn schema_init_and_compare_and_swap() {
    let pg = pg();
    let url = pg.database().unwrap();
    let db = Db::connect(&url).unwrap();
    // Idempotent schema.
    db.ensure_schema().unwrap();
    Db::connect(&url).unwrap().ensure_schema().unwrap();
    // Pending objects are stored uncompressed (compressing each bundle dominated large commits).
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let storage: String = c
        .query_one(
            "SELECT attstorage::text FROM pg_attribute
             WHERE attrelid = 'truce_log_pending'::regclass AND attname = 'bytes'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(storage, "e");
    assert_eq!(db.meta().unwrap(), None);
    assert_eq!(db.latest().unwrap(), None);
    let epoch = lease(&db);
    assert_eq!(
        db.compare_and_swap(epoch, 0, &checkpoint(1, 1)).unwrap(),
        Cas::NotInitialised
    );

    assert!(db.init(&meta(), &checkpoint(0, 0)).unwrap());
    assert!(!db.init(&meta(), &checkpoint(0, 9)).unwrap(), "init twice");
    assert_eq!(db.meta().unwrap(), Some(meta()));
    assert_eq!(db.latest_size().unwrap(), Some(0));
    assert_eq!(db.checkpoint_sizes().unwrap(), vec![0]);

    let c5 = checkpoint(5, 5);
    assert_eq!(db.compare_and_swap(epoch, 0, &c5).unwrap(), Cas::Swapped);
    let latest = db.latest().unwrap().unwrap();
    assert_eq!(
        (latest.size, latest.root, &latest.note),
        (5, [5; 32], &c5.note)
    );
    // A stale size: a conflict naming the stored size, nothing changed.
    assert_eq!(
        db.compare_and_swap(epoch, 0, &checkpoint(7, 7)).unwrap(),
        Cas::Conflict { stored: 5 }
    );
    assert_eq!(db.latest_size().unwrap(), Some(5));
    assert_eq!(db.checkpoint_sizes().unwrap(), vec![0, 5]);
    assert_eq!(db.checkpoint_at(7).unwrap(), None);
    // A commit must grow the log.
    assert!(db.compare_and_swap(epoch, 5, &checkpoint(5, 6)).is_err());
    // Under another epoch (a deposed sequencer's): refused, nothing changed.
    assert_eq!(
        db.compare_and_swap(epoch + 1, 5, &checkpoint(9, 9))
            .unwrap(),
        Cas::Fenced
    );
    assert_eq!(
        db.compare_and_swap(epoch - 1, 5, &checkpoint(9, 9))
            .unwrap(),
        Cas::Fenced
    );
    assert_eq!(db.latest_size().unwrap(), Some(5));
    assert_eq!(
        db.compare_and_swap(epoch, 5, &checkpoint(9, 9)).unwrap(),
        Cas::Swapped
    );
    assert_eq!(db.checkpoint_sizes().unwrap(), vec![0, 5, 9]);
    let at5 = db.checkpoint_at(5).unwrap().unwrap();
    assert_eq!((at5.size, at5.root, &at5.note), (5, [5; 32], &c5.note));
    assert_eq!(db.checkpoint_at(u64::MAX).unwrap(), None);

    // A second connection sees it all (it is committed, not a session's view).
    let other = Db::connect(&url).unwrap();
    assert_eq!(other.latest_size().unwrap(), Some(9));
}

#[test]
fn racing_writers_exactly_one_wins() {
    let pg = pg();
    let url = pg.database().unwrap();
    let db = Db::connect(&url).unwrap();
    db.init(&meta(), &checkpoint(0, 0)).unwrap();
    let epoch = lease(&db);
    for round in 0..5u64 {
        let from = round * 10;
        let writers = 8;
        let barrier = Arc::new(Barrier::new(writers));
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let url = url.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let db = Db::connect(&url).unwrap();
                    barrier.wait();
                    // Each writer a different root: only one may end up stored.
                    let cp = checkpoint(from + 10, w as u8 + 1);
                    (w, db.compare_and_swap(epoch, from, &cp).unwrap())
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners: Vec<_> = results.iter().filter(|(_, r)| *r == Cas::Swapped).collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        for (_, r) in &results {
            let ok = match r {
                Cas::Swapped => true,
                Cas::Conflict { stored } => *stored == from + 10,
                Cas::NotInitialised | Cas::Fenced => false,
            };
            assert!(ok, "round {round}: {r:?}");
        }
        let w = winners[0].0 as u8 + 1;
        let latest = db.latest().unwrap().unwrap();
        assert_eq!((latest.size, latest.root), (from + 10, [w; 32]));
        assert_eq!(db.checkpoint_at(from + 10).unwrap().unwrap().root, [w; 32]);
    }
}

#[test]
fn concurrent_schema_creation() {
    let pg = pg();
    let url = pg.database().unwrap();
    let barrier = Arc::new(Barrier::new(6));
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                Db::connect(&url).map(|_| ())
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
}

#[test]
fn unreachable_database_is_an_error_in_time() {
    let port = truce_cluster::testkit::free_port().unwrap();
    let start = std::time::Instant::now();
    let e = Db::connect(&format!(
        "postgres://postgres@127.0.0.1:{port}/x?connect_timeout=2"
    ))
    .unwrap_err();
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    assert!(e.to_string().contains("PostgreSQL"), "{e}");
}

//! The witness state never moves backwards: concurrent add-checkpoint requests on a real server
//! with a SQLite store, restarts on the same file, and two stores (as two processes would) on one
//! file racing each other.

mod common;

use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use truce_log::witness::parse_tlog_size;
use truce_log::Hash;
use truce_witness::{SqliteWitnessStore, WitnessStore, Witnessed};

const ORIGIN: &str = "truce.test/log";

fn w(size: u64, seed: u8) -> Witnessed {
    Witnessed {
        size,
        root: Hash([seed; 32]),
        note: format!("note {size}").into_bytes(),
    }
}

#[test]
fn concurrent_requests_never_move_the_state_backwards() {
    const THREADS: usize = 32;
    const TREE: usize = 3000;
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("witness.db");
    let log = Arc::new(Log::new(ORIGIN, 1, TREE));
    let store = Arc::new(SqliteWitnessStore::open(&db).unwrap());
    let server = Server::start(witness(&[&log]), store.clone());

    // A watcher reading the file through its own connection: the size only grows.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, db) = (stop.clone(), db.clone());
        std::thread::spawn(move || {
            let s = SqliteWitnessStore::open(&db).unwrap();
            let mut last = 0;
            let mut reads = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let size = s.latest(ORIGIN).unwrap().map(|w| w.size).unwrap_or(0);
                assert!(size >= last, "the state moved back from {last} to {size}");
                last = size;
                reads += 1;
            }
            reads
        })
    };

    // Every thread pushes growing sizes, learning the witness's size from 409s.
    let acks: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (log, url, acks) = (log.clone(), server.url.clone(), acks.clone());
            std::thread::spawn(move || {
                let c = client();
                let mut old = 0usize;
                let mut mine: Vec<u64> = vec![];
                let mut x = t as u64 * 7919 + 1;
                // At least 12 requests, and on until this thread has had one acknowledgement
                // (under contention most answers are 409s).
                for attempt in 0..2_000 {
                    if attempt >= 12 && !mine.is_empty() {
                        break;
                    }
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let step = 1 + (x >> 33) as usize % 60;
                    let size = (old + step).min(TREE);
                    let a = post(&c, &url, log.request(old, size));
                    match a.status {
                        200 => {
                            acks.lock().unwrap().push((old as u64, size as u64));
                            mine.push(size as u64);
                            old = size;
                        }
                        409 => {
                            old = parse_tlog_size(a.body.as_bytes()).unwrap() as usize;
                        }
                        other => panic!("unexpected {other}: {a:?}"),
                    }
                }
                assert!(mine.windows(2).all(|p| p[0] <= p[1]), "{mine:?}");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    assert!(watcher.join().unwrap() > 0);

    let mut acks = acks.lock().unwrap().clone();
    assert!(
        acks.len() >= THREADS,
        "only {} acknowledgements",
        acks.len()
    );
    // Linearizable compare-and-swap: sorted by the new size, the acknowledged transitions form one
    // chain from 0, each starting where the previous one ended.
    acks.sort();
    acks.sort_by_key(|&(old, new)| (new, old));
    let mut at = 0;
    for &(old, new) in &acks {
        assert_eq!(
            old, at,
            "acknowledged {old}→{new} while the state was {at}: {acks:?}"
        );
        assert!(new >= old);
        at = new;
    }
    let max = acks.iter().map(|a| a.1).max().unwrap();
    let final_state = store.latest(ORIGIN).unwrap().unwrap();
    assert_eq!(
        final_state.size, max,
        "the final state is the largest acknowledged size"
    );
    assert_eq!(final_state.root, log.root(max as usize));
    server.stop();
}

#[test]
fn a_restart_keeps_the_state() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("witness.db");
    let log = Log::new(ORIGIN, 1, 40);
    {
        let store = Arc::new(SqliteWitnessStore::open(&db).unwrap());
        let server = Server::start(witness(&[&log]), store);
        let c = client();
        assert_eq!(post(&c, &server.url, log.request(0, 10)).status, 200);
        assert_eq!(post(&c, &server.url, log.request(10, 25)).status, 200);
        server.stop();
    }
    let store = Arc::new(SqliteWitnessStore::open(&db).unwrap());
    let got = store.latest(ORIGIN).unwrap().unwrap();
    assert_eq!((got.size, got.root), (25, log.root(25)));
    assert_eq!(got.note, log.checkpoint(25));
    let server = Server::start(witness(&[&log]), store);
    let c = client();
    let a = post(&c, &server.url, log.request(0, 40));
    assert_eq!((a.status, a.body.as_str()), (409, "25\n"), "{a:?}");
    assert_eq!(post(&c, &server.url, log.request(25, 40)).status, 200);
}

#[test]
fn compare_and_swap_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let s = SqliteWitnessStore::open(&tmp.path().join("w.db")).unwrap();
    assert_eq!(s.latest(ORIGIN).unwrap(), None);
    assert_eq!(s.compare_and_swap(ORIGIN, 3, &w(5, 1)).unwrap(), Err(0));
    assert_eq!(s.compare_and_swap(ORIGIN, 0, &w(5, 1)).unwrap(), Ok(()));
    assert_eq!(s.latest(ORIGIN).unwrap(), Some(w(5, 1)));
    // Stale expectation, smaller size, same size with another root: refused with the size.
    assert_eq!(s.compare_and_swap(ORIGIN, 0, &w(9, 1)).unwrap(), Err(5));
    assert_eq!(s.compare_and_swap(ORIGIN, 5, &w(4, 1)).unwrap(), Err(5));
    assert_eq!(s.compare_and_swap(ORIGIN, 5, &w(5, 2)).unwrap(), Err(5));
    assert_eq!(s.latest(ORIGIN).unwrap(), Some(w(5, 1)));
    // The same size and root again is fine; origins are independent.
    assert_eq!(s.compare_and_swap(ORIGIN, 5, &w(5, 1)).unwrap(), Ok(()));
    assert_eq!(s.compare_and_swap("other", 0, &w(2, 3)).unwrap(), Ok(()));
    assert_eq!(s.latest(ORIGIN).unwrap().unwrap().size, 5);
    // Sizes above i64::MAX round-trip.
    assert_eq!(
        s.compare_and_swap("big", 0, &w(u64::MAX, 4)).unwrap(),
        Ok(())
    );
    assert_eq!(s.latest("big").unwrap().unwrap().size, u64::MAX);
}

#[test]
fn two_stores_on_one_file_cannot_roll_each_other_back() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("w.db");
    let a = SqliteWitnessStore::open(&db).unwrap();
    let b = SqliteWitnessStore::open(&db).unwrap();
    assert_eq!(a.compare_and_swap(ORIGIN, 0, &w(10, 1)).unwrap(), Ok(()));
    // b checked its request against the state before a's write: refused.
    assert_eq!(b.compare_and_swap(ORIGIN, 0, &w(5, 1)).unwrap(), Err(10));
    assert_eq!(b.compare_and_swap(ORIGIN, 10, &w(20, 1)).unwrap(), Ok(()));
    assert_eq!(a.compare_and_swap(ORIGIN, 10, &w(15, 1)).unwrap(), Err(20));
    assert_eq!(a.latest(ORIGIN).unwrap().unwrap().size, 20);

    // Racing: 8 threads, each with its own connection, read then swap to a larger size.
    let acks: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let (db, acks) = (db.clone(), acks.clone());
            std::thread::spawn(move || {
                let s = SqliteWitnessStore::open(&db).unwrap();
                for i in 0..40u64 {
                    let cur = s.latest(ORIGIN).unwrap().map(|x| x.size).unwrap_or(0);
                    let new = cur + 1 + (t * 13 + i) % 5;
                    if s.compare_and_swap(ORIGIN, cur, &w(new, 1)).unwrap().is_ok() {
                        acks.lock().unwrap().push((cur, new));
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut acks = acks.lock().unwrap().clone();
    acks.sort_by_key(|&(old, new)| (new, old));
    let mut at = 20;
    for &(old, new) in &acks {
        assert_eq!(old, at, "{acks:?}");
        at = new;
    }
    assert_eq!(a.latest(ORIGIN).unwrap().unwrap().size, at);
    assert_eq!(b.latest(ORIGIN).unwrap().unwrap().size, at);
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("w.db");
    std::fs::write(&p, vec![b'x'; 4096]).unwrap();
    let e = SqliteWitnessStore::open(&p).unwrap_err();
    assert!(e.to_string().contains("not a SQLite database"), "{e}");
}

//! The sequencer lease against a real PostgreSQL 15 (and Garage for the storage tests): acquire,
//! renew, expiry and takeover with growing epochs by PostgreSQL's clock; a keeper holds it for
//! many TTLs and a takeover follows within the TTL once it stops; release hands it over at once;
//! a takeover waits for a commit of the old epoch in flight; and a deposed holder's commits and
//! publications are refused (fencing) while the new holder's go through.

mod common;

use common::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use truce_cluster::lease::{Lease, DEFAULT_RENEW};
use truce_cluster::pg::Db;
use truce_cluster::testkit::Postgres;
use truce_cluster::{ClusterError, FailPoint};
use truce_store::Sequencer;

fn database() -> (Arc<Postgres>, String) {
    let pg = Postgres::shared().unwrap_or_else(|e| panic!("{e}"));
    let url = pg.database().unwrap();
    (pg, url)
}

const SHORT: Duration = Duration::from_millis(1500);

#[test]
fn acquire_renew_expire_take_over() {
    let (_pg, url) = database();
    let a = Lease::acquire(&url, "a", SHORT).unwrap().expect("free");
    assert_eq!(a.epoch(), 1);
    assert_eq!(a.holder(), "a");
    // Held: nobody else gets it.
    assert!(Lease::acquire(&url, "b", SHORT).unwrap().is_none());
    let state = a.state().unwrap().unwrap();
    assert_eq!(
        (state.holder.as_str(), state.epoch, state.held),
        ("a", 1, true)
    );
    assert!(state.remaining <= SHORT && state.remaining > Duration::from_millis(500));
    // Renewed before it expires: still held past its first expiry.
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(700));
        assert!(a.renew().unwrap());
    }
    assert!(a.is_held().unwrap());
    assert!(Lease::acquire(&url, "b", SHORT).unwrap().is_none());
    // Not renewed: it expires, and the next holder gets the next epoch.
    std::thread::sleep(SHORT + Duration::from_millis(200));
    assert!(!Db::connect(&url).unwrap().lease_valid(1).unwrap());
    let b = Lease::acquire(&url, "b", SHORT).unwrap().expect("expired");
    assert_eq!(b.epoch(), 2);
    // The old holder can neither renew nor come back to its epoch.
    assert!(!a.renew().unwrap());
    assert!(a.is_lost());
    assert!(!a.is_held().unwrap());
    assert!(b.is_held().unwrap());
    // Released: the next takes it at once, epoch 3.
    b.release().unwrap();
    assert!(!b.is_held().unwrap());
    let c = Lease::acquire(&url, "c", SHORT).unwrap().expect("released");
    assert_eq!(c.epoch(), 3);
    // `a` expired long ago; releasing a lost lease changes nothing.
    a.release().unwrap();
    assert!(c.is_held().unwrap());
}

#[test]
fn a_keeper_holds_it_and_a_takeover_follows_the_ttl() {
    let (_pg, url) = database();
    let a = Arc::new(Lease::acquire(&url, "a", SHORT).unwrap().unwrap());
    let keeper = a.keep(Duration::from_millis(300));
    // Four TTLs: never free.
    let until = Instant::now() + SHORT * 4;
    while Instant::now() < until {
        assert!(Lease::acquire(&url, "b", SHORT).unwrap().is_none());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(keeper.is_running());
    keeper.stop();
    let stopped = Instant::now();
    let b = Lease::acquire_within(&url, "b", SHORT, Duration::from_millis(50), SHORT * 4)
        .unwrap()
        .expect("taken over");
    let took = stopped.elapsed();
    assert!(took <= SHORT + Duration::from_millis(800), "{took:?}");
    assert_eq!(b.epoch(), 2);
    assert!(!a.is_held().unwrap());
}

#[test]
fn a_deposed_holder_is_fenced() {
    let env = Env::new();
    // This test's writers use their own short leases, not the env's: release it.
    env.lease.release().unwrap();
    let la = Arc::new(Lease::acquire(&env.url, "a", SHORT).unwrap().unwrap());
    let mut a =
        Sequencer::create(env.reader().with_lease(la.clone()), ORIGIN, &key().signer).unwrap();
    assert_eq!(append(&mut a, &entries("a", 10)).unwrap(), 10);
    // `a` stops renewing; `b` takes over once it expired and appends other entries.
    let lb = Lease::acquire_within(&env.url, "b", SHORT, Duration::from_millis(50), SHORT * 4)
        .unwrap()
        .expect("taken over");
    assert_eq!(lb.epoch(), la.epoch() + 1);
    let lb = Arc::new(lb);
    let _keep_b = lb.keep(Duration::from_millis(300));
    let mut b = Sequencer::open(env.reader().with_lease(lb.clone()), &key().signer).unwrap();
    assert_eq!(append(&mut b, &entries("b", 5)).unwrap(), 15);
    let before = objects(b.reader().storage());

    // `a`'s commit is refused by fencing whatever its view: nothing of it anywhere.
    let e = append(&mut a, &entries("deposed", 5)).unwrap_err();
    assert!(ClusterError::is_fenced(&e), "{e}");
    assert!(la.is_lost());
    // The sequencer reloaded the log as stored (b's), and is refused again from there.
    assert_eq!(a.size(), 15);
    let e = append(&mut a, &entries("deposed again", 5)).unwrap_err();
    assert!(ClusterError::is_fenced(&e), "{e}");
    // Even its database handle, asked directly with the current size, refuses the old epoch.
    let cp = truce_log::sign_checkpoint(
        &truce_log::parse_signer(&key().signer).unwrap(),
        ORIGIN,
        16,
        truce_log::Hash([7; 32]),
    )
    .unwrap();
    let db = b.reader().storage().db();
    assert_eq!(
        db.compare_and_swap(la.epoch(), 15, &cp).unwrap(),
        truce_cluster::pg::Cas::Fenced
    );
    // Its publications are refused too.
    assert!(matches!(
        a.reader().storage().publish_checkpoint(),
        Err(ClusterError::Fenced { .. })
    ));
    let storage = b.reader().storage();
    assert_eq!(storage.db().latest_size().unwrap(), Some(15));
    assert_eq!(storage.db().checkpoint_sizes().unwrap(), vec![0, 10, 15]);
    assert_eq!(storage.db().pending_count().unwrap(), 0);
    assert_eq!(objects(storage), before);
    assert_eq!(bucket_checkpoint_agrees(storage), 15);
    assert_eq!(check(storage), 15);
    assert_eq!(b.reader().entry(12).unwrap(), b"b entry 2".to_vec());
    assert_eq!(verify_bucket(&env.bucket), 15);
}

#[test]
fn a_takeover_waits_for_a_commit_in_flight() {
    let env = Env::new();
    env.lease.release().unwrap();
    let la = Arc::new(Lease::acquire(&env.url, "a", SHORT).unwrap().unwrap());
    let mut a =
        Sequencer::create(env.reader().with_lease(la.clone()), ORIGIN, &key().signer).unwrap();
    append(&mut a, &entries("a", 3)).unwrap();
    // `a` is inside its commit's transaction (lease checked) when its lease expires; `b`'s
    // acquisition waits for that transaction, so the commit is ordered before epoch 2 begins
    // and `b` loads it.
    let url = env.url.clone();
    let taker: std::sync::Mutex<Option<std::thread::JoinHandle<_>>> = Default::default();
    let taker = Arc::new(taker);
    let t = taker.clone();
    a.reader().storage().set_hook(Some(Box::new(move |at| {
        if at == FailPoint::InTransaction {
            let url = url.clone();
            *t.lock().unwrap() = Some(std::thread::spawn(move || {
                let start = Instant::now();
                let l =
                    Lease::acquire_within(&url, "b", SHORT, Duration::from_millis(20), SHORT * 4);
                (l, start.elapsed())
            }));
            // Past the expiry, within the idle-in-transaction limit (3 s).
            std::thread::sleep(SHORT + Duration::from_millis(700));
        }
        Ok(())
    })));
    assert_eq!(append(&mut a, &entries("in flight", 2)).unwrap(), 5);
    let (lb, waited) = taker.lock().unwrap().take().unwrap().join().unwrap();
    let lb = lb.unwrap().expect("taken over");
    assert!(waited >= SHORT, "{waited:?}");
    let mut b = Sequencer::open(env.reader().with_lease(Arc::new(lb)), &key().signer).unwrap();
    assert_eq!(b.size(), 5);
    assert_eq!(b.reader().entry(4).unwrap(), b"in flight entry 1".to_vec());
    assert_eq!(append(&mut b, &entries("b", 1)).unwrap(), 6);
    let e = append(&mut a, &entries("late", 1)).unwrap_err();
    assert!(ClusterError::is_fenced(&e), "{e}");
}

#[test]
fn the_keeper_renews_by_default_interval() {
    // The defaults: a 5 s lease renewed every second.
    assert_eq!(truce_cluster::lease::DEFAULT_TTL, Duration::from_secs(5));
    assert_eq!(DEFAULT_RENEW, Duration::from_secs(1));
}

//! `ClusterStorage` over a three-node Garage (replication factor 3, `consistency_mode =
//! "consistent"`, fsync on) and a real PostgreSQL 15: a sequencer under the lease appends; one
//! Garage node (not the one the storage's endpoint names) is killed with SIGKILL; appends go on
//! (2 of 3 copies are a write quorum), each published at once, and the bucket alone verifies
//! with `truce_verify`; the node is restarted, and every object read through its own endpoint is
//! byte for byte the object read through node 0 (the same names listed), and the bucket verifies
//! through it too. Timings are printed (`--nocapture`).

mod common;

use common::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use truce_cluster::bucket::Bucket;
use truce_cluster::lease::Lease;
use truce_cluster::testkit::{GarageCluster, Postgres};
use truce_cluster::ClusterStorage;
use truce_store::Sequencer;

/// Appends batches of `sizes` entries tagged `tag`, each published at once (nothing pending,
/// no publication error, the bucket's `checkpoint` PostgreSQL's); returns the size and the
/// slowest append.
fn append_published(
    seq: &mut Sequencer<ClusterStorage>,
    tag: &str,
    sizes: &[usize],
) -> (u64, Duration) {
    let mut size = 0;
    let mut slowest = Duration::ZERO;
    for (b, n) in sizes.iter().enumerate() {
        let t = Instant::now();
        size = append(seq, &entries(&format!("{tag} {b}"), *n)).unwrap();
        slowest = slowest.max(t.elapsed());
        let storage = seq.reader().storage();
        assert_eq!(storage.publish_error(), None, "{tag} batch {b}");
        assert_eq!(storage.db().pending_count().unwrap(), 0, "{tag} batch {b}");
        assert_eq!(storage.db().published_size().unwrap(), size);
        assert_eq!(bucket_checkpoint_agrees(storage), size);
    }
    (size, slowest)
}

#[test]
fn a_garage_node_killed_then_restarted_loses_nothing() {
    let t0 = Instant::now();
    let pg = Postgres::shared().unwrap_or_else(|e| panic!("{e}"));
    let garage = GarageCluster::start(3).unwrap_or_else(|e| panic!("{e}"));
    let started = t0.elapsed();
    let url = pg.database().unwrap();
    let bucket = garage.bucket().unwrap();
    assert_eq!(bucket.endpoint, garage.endpoint(0).unwrap());
    let lease = Arc::new(
        Lease::acquire(&url, "garage3 writer", Duration::from_secs(3600))
            .unwrap()
            .expect("a fresh database's lease is free"),
    );
    let storage = ClusterStorage::open(&url, &bucket)
        .unwrap()
        .with_lease(lease);
    let mut seq = Sequencer::create(storage, ORIGIN, &key().signer).unwrap();

    // All three nodes up: partial tiles, a full tile, a second level.
    let (size, slowest_3) = append_published(&mut seq, "three", &[1, 300, 40]);
    assert_eq!(size, 341);
    assert_eq!(verify_bucket(&bucket), size);

    // Node 2 killed (the storage talks to node 0): appends go on, published at once.
    let t = Instant::now();
    garage.kill_node(2).unwrap();
    let noticed = t.elapsed();
    let (size, slowest_2) = append_published(&mut seq, "two", &[1, 250, 5, 300]);
    assert_eq!(size, 897);
    assert_eq!(check(seq.reader().storage()), size);
    assert_eq!(verify_bucket(&bucket), size);

    // Node 2 back: it lists the same objects and serves each byte for byte as node 0 does,
    // including those written while it was dead, and the bucket verifies through it.
    let t = Instant::now();
    garage.restart_node(2).unwrap();
    let back = t.elapsed();
    let via_2 = garage.at_node(&bucket, 2).unwrap();
    let (b0, b2) = (
        Bucket::open(&bucket).unwrap(),
        Bucket::open(&via_2).unwrap(),
    );
    let names = b0.list(None).unwrap();
    assert_eq!(b2.list(None).unwrap(), names);
    assert!(
        names.contains(&"tile/entries/003.p/129".to_string()),
        "{names:?}"
    );
    for name in &names {
        let want = b0.get(name).unwrap();
        assert!(want.is_some(), "{name} listed but not read through node 0");
        assert_eq!(b2.get(name).unwrap(), want, "{name} through node 2");
    }
    assert_eq!(verify_bucket(&via_2), size);
    // And the log goes on, now through node 2's endpoint.
    let storage = ClusterStorage::open(&url, &via_2)
        .unwrap()
        .with_lease(seq.reader().storage().lease().unwrap());
    drop(seq);
    let mut seq = Sequencer::open(storage, &key().signer).unwrap();
    let (size, _) = append_published(&mut seq, "after", &[3]);
    assert_eq!(size, 900);
    assert_eq!(verify_bucket(&bucket), size);
    eprintln!(
        "garage3: cluster started in {started:?}; slowest append with 3 nodes {slowest_3:?}, with 2 {slowest_2:?}; node 2's death seen in {noticed:?}, its return in {back:?}; {} objects compared; total {:?}",
        names.len(),
        t0.elapsed()
    );
    assert!(t0.elapsed() < Duration::from_secs(60), "{:?}", t0.elapsed());
}

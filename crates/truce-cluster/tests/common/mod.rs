//! Helpers shared by the integration tests: the servers and one test's database and bucket,
//! sequencers over `ClusterStorage` under a lease, the bucket read as a static mirror by the
//! verifier, and comparisons of the bucket with PostgreSQL.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use truce_cluster::bucket::{Bucket, BucketConfig};
use truce_cluster::lease::Lease;
use truce_cluster::testkit::{Garage, Postgres};
use truce_cluster::ClusterStorage;
use truce_log::{
    key_from_seed, open_checkpoint, parse_tile_path, parse_verifier, KeyPair, TilePath,
};
use truce_store::{Sequencer, StoreError};
use truce_verify::{verify, DirSource, Options, Source, Trust, VerifyError};

pub const ORIGIN: &str = "cluster.test.example/log";

pub fn key() -> KeyPair {
    key_from_seed(ORIGIN, [9; 32]).unwrap()
}

/// The servers and this test's database and bucket.
pub struct Env {
    pub pg: Arc<Postgres>,
    pub garage: Arc<Garage>,
    pub url: String,
    pub bucket: BucketConfig,
    /// The lease the writers of `create` and `open` share.
    pub lease: Arc<Lease>,
}

impl Env {
    pub fn new() -> Env {
        let pg = Postgres::shared().unwrap_or_else(|e| panic!("{e}"));
        let garage = Garage::shared().unwrap_or_else(|e| panic!("{e}"));
        let url = pg.database().unwrap();
        let bucket = garage.bucket().unwrap();
        let lease = Arc::new(
            Lease::acquire(&url, "test writer", Duration::from_secs(3600))
                .unwrap()
                .expect("a fresh database's lease is free"),
        );
        Env {
            pg,
            garage,
            url,
            bucket,
            lease,
        }
    }

    /// A storage without a lease (it reads).
    pub fn reader(&self) -> ClusterStorage {
        ClusterStorage::open(&self.url, &self.bucket).unwrap()
    }

    /// A storage writing under the test's long lease.
    pub fn storage(&self) -> ClusterStorage {
        self.reader().with_lease(self.lease.clone())
    }

    pub fn create(&self) -> Sequencer<ClusterStorage> {
        Sequencer::create(self.storage(), ORIGIN, &key().signer).unwrap()
    }

    pub fn open(&self) -> Sequencer<ClusterStorage> {
        Sequencer::open(self.storage(), &key().signer).unwrap()
    }
}

pub fn entries(tag: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{tag} entry {i}").into_bytes())
        .collect()
}

pub fn append(seq: &mut Sequencer<ClusterStorage>, e: &[Vec<u8>]) -> Result<u64, StoreError> {
    let refs: Vec<&[u8]> = e.iter().map(Vec::as_slice).collect();
    seq.append(&refs).map(|a| a.checkpoint.size)
}

/// The bucket read as a static mirror by the verifier, with no database.
pub struct BucketSource(pub Bucket);

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

pub fn options() -> Options<'static> {
    Options {
        trust: Trust::LogKey(key().verifier),
        state: None,
        replay: false,
        progress: None,
    }
}

/// Verifies the bucket alone, read straight from it as a static mirror, and copied to a
/// directory; returns the size it verified.
pub fn verify_bucket(config: &BucketConfig) -> u64 {
    let report = verify(&BucketSource(Bucket::open(config).unwrap()), &options()).unwrap();
    assert!(report.ok, "bucket: {}", report.to_text());
    assert_eq!(verify_copy(config), report.size.unwrap());
    report.size.unwrap()
}

/// Copies every object of the bucket to a directory (each the checkpoint or at a C2SP path) and
/// verifies the directory as a mirror; returns the size it verified.
pub fn verify_copy(config: &BucketConfig) -> u64 {
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
pub fn bucket_checkpoint_agrees(storage: &ClusterStorage) -> u64 {
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

pub fn objects(storage: &ClusterStorage) -> BTreeSet<String> {
    storage.bucket().list(None).unwrap().into_iter().collect()
}

pub fn check(storage: &ClusterStorage) -> u64 {
    truce_store::check::check(storage, |_, _| {})
        .unwrap_or_else(|e| panic!("check: {e}"))
        .entries
}

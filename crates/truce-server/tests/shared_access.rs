//! Tokens and restricted content when several servers share a log (`DIR/cluster.toml`): two
//! data directories naming the same PostgreSQL database see the same tokens and the same
//! content — a token created through one authenticates through the other, revoked through one
//! it is refused by the other, content put through one is read through the other. Against a
//! real PostgreSQL (`truce_cluster::testkit`).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Barrier};
use truce_cluster::spec::{BucketSpec, ClusterSpec};
use truce_cluster::testkit::Postgres;
use truce_model::Role;
use truce_server::access::{Access, AccessError};
use truce_server::restricted::{ContentKind, PutOutcome, Store};
use truce_server::Config;

/// A data directory whose `cluster.toml` names database `url` (the bucket is never used by the
/// token and restricted stores: its values only have to parse).
fn data_dir(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let spec = ClusterSpec {
        database: url.to_string(),
        bucket: BucketSpec {
            endpoint: "http://127.0.0.1:9".into(),
            name: "unused".into(),
            region: "garage".into(),
            key_id: "unused".into(),
            secret: "unused".into(),
            timeout_s: 1,
        },
    };
    std::fs::write(dir.path().join("cluster.toml"), spec.to_toml()).expect("writing cluster.toml");
    dir
}

fn open(dir: &Path) -> Access {
    Access::open(dir, &Config::default()).expect("opening the access stores")
}

#[test]
fn two_servers_share_tokens_and_restricted_content() {
    let pg = Postgres::shared().expect("the test PostgreSQL");
    let url = pg.database().expect("a fresh database");
    let (d1, d2) = (data_dir(&url), data_dir(&url));
    let (a1, a2) = (open(d1.path()), open(d2.path()));
    // Nothing is written in the data directories: the stores are in the database.
    for d in [&d1, &d2] {
        assert!(!d.path().join("access.db").exists());
        assert!(!d.path().join("restricted.db").exists());
    }
    assert!(
        a1.tokens().describe().contains("truce_access_tokens"),
        "{}",
        a1.tokens().describe()
    );

    // A token created through one authenticates through the other.
    let (token, id) = a1
        .create_token("ua", Role::Belligerent, "liaison", 100)
        .unwrap();
    let caller = a2.authenticate(&token).unwrap();
    assert_eq!(caller.party.as_ref().map(|p| p.as_str()), Some("ua"));
    assert_eq!(caller.role, Some(Role::Belligerent));
    assert_eq!(a2.list().unwrap(), a1.list().unwrap());
    assert_eq!(a2.list().unwrap()[0].id, id);

    // Revoked through one, it is refused by the other from its next request.
    a2.revoke(&id).unwrap();
    assert_eq!(a1.authenticate(&token).unwrap_err().code, "unauthorized");
    assert!(matches!(
        a1.revoke(&id),
        Err(AccessError::AlreadyRevoked(_))
    ));
    assert!(a1.list().unwrap()[0].revoked_unix.is_some());

    // Restricted content put through one is read through the other.
    let c = "ab".repeat(32);
    assert_eq!(
        a1.restricted()
            .put(&c, ContentKind::Persons, b"0123456789abcdef", "x", "ua", 1)
            .unwrap(),
        PutOutcome::Created
    );
    let got = a2.restricted().get(&c).unwrap().expect("stored through a1");
    assert_eq!(
        (got.kind, got.content.as_str()),
        (ContentKind::Persons, "x")
    );
    assert_eq!(got.salt, b"0123456789abcdef");
    // Filed again through the other by another party: one content, two filers.
    assert_eq!(
        a2.restricted()
            .put(&c, ContentKind::Persons, b"0123456789abcdef", "x", "ru", 2)
            .unwrap(),
        PutOutcome::AlreadyStored
    );
    assert_eq!(
        a1.restricted().get(&c).unwrap().unwrap().filers,
        BTreeSet::from(["ru".to_string(), "ua".to_string()])
    );
    assert_eq!(
        a1.restricted()
            .put(&c, ContentKind::Evidence, b"0123456789abcdef", "x", "ru", 3)
            .unwrap(),
        PutOutcome::KindConflict(ContentKind::Persons)
    );
    // `truce commitments` opens the restricted store on its own.
    let cli = Store::open(d2.path()).unwrap();
    assert_eq!(cli.get(&c).unwrap().unwrap().content, "x");
}

#[test]
fn concurrent_uploads_through_two_servers_create_once() {
    let pg = Postgres::shared().expect("the test PostgreSQL");
    let url = pg.database().expect("a fresh database");
    let (d1, d2) = (data_dir(&url), data_dir(&url));
    let stores = [
        Arc::new(Store::open(d1.path()).unwrap()),
        Arc::new(Store::open(d2.path()).unwrap()),
    ];
    for round in 0..20u8 {
        let c = format!("{round:02x}").repeat(32);
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = stores
            .iter()
            .zip(["ua", "ru"])
            .map(|(s, party)| {
                let (s, b, c) = (s.clone(), barrier.clone(), c.clone());
                std::thread::spawn(move || {
                    b.wait();
                    s.put(
                        &c,
                        ContentKind::Evidence,
                        b"0123456789abcdef",
                        "x",
                        party,
                        1,
                    )
                })
            })
            .collect();
        let outcomes: Vec<PutOutcome> = handles
            .into_iter()
            .map(|h| h.join().expect("no panic").expect("stored"))
            .collect();
        let created = outcomes
            .iter()
            .filter(|o| **o == PutOutcome::Created)
            .count();
        assert_eq!(created, 1, "round {round}: {outcomes:?}");
        assert_eq!(stores[0].get(&c).unwrap().unwrap().filers.len(), 2);
    }
}

#[test]
fn a_cut_connection_is_made_again() {
    let pg = Postgres::shared().expect("the test PostgreSQL");
    let url = pg.database().expect("a fresh database");
    let d = data_dir(&url);
    let a = open(d.path());
    let (token, id) = a.create_token("ua", Role::Monitor, "", 1).unwrap();
    let c = "cd".repeat(32);
    a.restricted()
        .put(&c, ContentKind::Evidence, b"0123456789abcdef", "y", "ua", 1)
        .unwrap();
    // Ends every other session on the database (a restart, or a proxy cutting idle connections).
    let cut = || {
        let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let n = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get::<_, i64>(0);
        assert!(n >= 2, "{n} sessions ended");
    };
    // A read finding its connection closed is tried again on a new one.
    cut();
    assert!(a.authenticate(&token).is_ok());
    assert_eq!(a.restricted().get(&c).unwrap().unwrap().content, "y");
    assert_eq!(a.list().unwrap().len(), 1);
    // A write is not repeated: it fails once, saying where, and the next one reconnects.
    cut();
    let err = a.revoke(&id).unwrap_err();
    assert!(matches!(err, AccessError::Postgres(_)), "{err}");
    assert!(err.to_string().contains("revoking a token"), "{err}");
    a.revoke(&id).unwrap();
    assert!(a.authenticate(&token).is_err());
}

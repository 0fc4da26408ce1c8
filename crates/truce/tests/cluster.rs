//! Two `truce serve` processes on one shared log — PostgreSQL 15 and Garage, real servers
//! started by `truce_cluster::testkit` — made by `truce init --database … --bucket …`.
//!
//! - Failover (the bucket on a three-node Garage): SIGKILL the sequencer during concurrent
//!   submissions to both servers; the other takes the lease within 10 s; every acknowledged
//!   entry is in the log at its index byte for byte; the log's self-check passes (one checkpoint
//!   per size, each consistent with the tree); the bucket alone verifies with `truce verify`.
//! - SIGSTOP: the other takes the lease within 10 s *while* the sequencer is stopped; after
//!   SIGCONT the old sequencer's writes are refused by fencing (a submission it held when
//!   stopped is never committed under its lease) and it hands submissions to the new one.
//! - A command-line writer (`truce party add`) takes the lease for its commit and releases it;
//!   while a server holds it, the command is refused with what to do instead.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use truce_cluster::bucket::Bucket;
use truce_cluster::spec::{ENV_KEY_ID, ENV_SECRET};
use truce_cluster::testkit::{Garage, GarageCluster, Postgres};
use truce_cluster::ClusterStorage;
use truce_store::LogReader;

const ORIGIN: &str = "cluster.example/log";

/// A shared log: the database, the bucket, and the data directories of two servers.
struct Shared {
    _servers: (Arc<Postgres>, Objects),
    _t: tempfile::TempDir,
    root: PathBuf,
    url: String,
    bucket: truce_cluster::bucket::BucketConfig,
    a: PathBuf,
    b: PathBuf,
}

impl Shared {
    fn env(&self, c: &mut Command) {
        c.env_remove("TRUCE_DIR")
            .env("NO_COLOR", "1")
            .env(ENV_KEY_ID, &self.bucket.access_key_id)
            .env(ENV_SECRET, &self.bucket.secret_access_key);
    }

    fn truce(&self) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("truce"));
        self.env(&mut c);
        c
    }

    fn storage(&self) -> ClusterStorage {
        ClusterStorage::open(&self.url, &self.bucket).unwrap()
    }
}

fn ok(c: &mut Command) -> String {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{c:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// The Garage behind a test's bucket: the shared single node, or three nodes of its own
/// (replication factor 3), as the failover test runs on.
#[allow(dead_code)] // held only to keep the servers up
enum Objects {
    One(Arc<Garage>),
    Three(GarageCluster),
}

/// `truce init` on a fresh database and bucket into `a`, a party `ua`, and `b` holding the
/// same keys and `cluster.toml` (what `deploy/` tells an operator to copy).
fn shared() -> Shared {
    shared_on(false)
}

/// [`shared`], the bucket on a three-node Garage if `three`.
fn shared_on(three: bool) -> Shared {
    let s = fresh(three);
    ok(s.truce()
        .args(["-q", "init", "--origin", ORIGIN, "--database", &s.url])
        .args(["--bucket", &s.bucket.bucket])
        .args(["--bucket-endpoint", &s.bucket.endpoint, "--dir"])
        .arg(&s.a));
    let toml = std::fs::read_to_string(s.a.join("cluster.toml")).unwrap();
    assert!(
        !toml.contains(&s.bucket.secret_access_key),
        "no secret in cluster.toml"
    );
    assert!(!s.a.join("truce.db").exists(), "no SQLite log beside it");
    ok(s.truce()
        .args(["-q", "party", "add", "ua", "--name", "ua", "--role"])
        .args(["belligerent", "--dir"])
        .arg(&s.a));
    std::fs::create_dir_all(&s.b).unwrap();
    for f in [
        "log.key",
        "log.vkey",
        "operator.key",
        "operator.vkey",
        "cluster.toml",
    ] {
        std::fs::copy(s.a.join(f), s.b.join(f)).unwrap();
    }
    s
}

/// A fresh database and bucket, and the paths of two data directories not yet made.
fn fresh(three: bool) -> Shared {
    let pg = Postgres::shared().unwrap();
    let url = pg.database().unwrap();
    let (garage, bucket) = if three {
        let g = GarageCluster::start(3).unwrap();
        let b = g.bucket().unwrap();
        (Objects::Three(g), b)
    } else {
        let g = Garage::shared().unwrap();
        let b = g.bucket().unwrap();
        (Objects::One(g), b)
    };
    let t = tempfile::tempdir().unwrap();
    let root = t.path().to_path_buf();
    let (a, b) = (root.join("a"), root.join("b"));
    Shared {
        _servers: (pg, garage),
        _t: t,
        root,
        url,
        bucket,
        a,
        b,
    }
}

/// `n` signed reports by `ua`, one entry (a JSON line) each.
fn signed(s: &Shared, tag: &str, n: usize) -> Vec<String> {
    let mut toml = String::from("time = 2025-03-21T09:00:00Z\n");
    for i in 0..n {
        toml.push_str(&format!(
            "\n[[report]]\nid = \"{tag}-{i}\"\ntime = {{ start = 2025-03-20T20:00:00Z }}\nlocation = {{ point = [35.1, 51.2], uncertainty_m = 500 }}\nact = \"strike\"\ntext = \"report {i} of {tag}\"\n"
        ));
    }
    let file = s.root.join(format!("{tag}.toml"));
    std::fs::write(&file, toml).unwrap();
    let out = ok(s
        .truce()
        .arg("sign")
        .arg(&file)
        .args(["--as", "ua", "--key"])
        .arg(s.a.join("keys").join("ua.key"))
        .arg("--dir")
        .arg(&s.a));
    let lines: Vec<String> = out.lines().map(str::to_string).collect();
    assert_eq!(lines.len(), n);
    lines
}

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(s: &Shared, dir: &Path) -> Server {
        Server::start_with(s, dir, None)
    }

    /// Starts `truce serve` on `dir`, with the configuration file `config` if given.
    fn start_with(s: &Shared, dir: &Path, config: Option<&Path>) -> Server {
        let log = dir.join("serve.log");
        let mut c = s.truce();
        c.env("TRUCE_LOG", "info")
            .env("TRUCE_FOLLOW_INTERVAL_MS", "200")
            .args(["serve", "--listen", "127.0.0.1:0", "--dir"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        if let Some(f) = config {
            c.arg("--config").arg(f);
        }
        let mut child = c.spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let addr = first
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| {
                panic!(
                    "first line of `truce serve`: {first:?}; its log: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            })
            .to_string();
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = out.read_to_end(&mut sink);
        });
        Server { child, addr }
    }

    fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }

    fn cluster(&self, http: &reqwest::blocking::Client) -> Option<serde_json::Value> {
        http.get(format!("http://{}/v1/cluster", self.addr))
            .timeout(Duration::from_secs(2))
            .send()
            .ok()?
            .json()
            .ok()
    }

    /// Waits until this server knows the sequencer at `leader`.
    fn await_leader(&self, http: &reqwest::blocking::Client, leader: &Server) {
        let t = Instant::now();
        let want = format!("http://{}", leader.addr);
        while self
            .cluster(http)
            .is_none_or(|c| c["leader"] != want.as_str())
        {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "{} never saw {want}",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until this server is (or is not) the sequencer; returns how long it took.
    fn await_sequencer(
        &self,
        http: &reqwest::blocking::Client,
        is: bool,
        limit: Duration,
    ) -> Duration {
        let t = Instant::now();
        loop {
            if self
                .cluster(http)
                .is_some_and(|c| c["sequencer"].as_bool() == Some(is))
            {
                return t.elapsed();
            }
            assert!(
                t.elapsed() < limit,
                "{} did not become sequencer={is} within {limit:?}",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Submits `entry` to `addr`: `Ok((index, entry_id))` when acknowledged, else the status (0
/// when the server did not answer).
fn submit(http: &reqwest::blocking::Client, addr: &str, entry: &str) -> Result<(u64, String), u16> {
    let r = http
        .post(format!("http://{addr}/v1/entries"))
        .header("content-type", "application/json")
        .body(entry.to_string())
        .send()
        .map_err(|_| 0u16)?;
    let status = r.status().as_u16();
    if status != 200 {
        return Err(status);
    }
    let ack: serde_json::Value = r.json().map_err(|_| 0u16)?;
    Ok((
        ack["index"].as_u64().unwrap(),
        ack["entry_id"].as_str().unwrap().to_string(),
    ))
}

/// Every acknowledged entry is in the shared log at its index, byte for byte; the log's
/// self-check passes; returns the log's size.
fn acknowledged_entries_are_in_the_log(s: &Shared, acks: &BTreeMap<u64, String>) -> u64 {
    let storage = s.storage();
    let size = truce_store::check::check(&storage, |_, _| {})
        .unwrap_or_else(|e| panic!("check: {e}"))
        .entries;
    let reader = LogReader::open(storage).unwrap();
    for (i, entry) in acks {
        let stored = reader.entry(*i).unwrap();
        assert_eq!(
            stored.as_slice(),
            entry.as_bytes(),
            "entry {i} is not the acknowledged one"
        );
    }
    size
}

/// Copies the bucket to a directory and runs `truce verify` on it (no database); returns the
/// size it verified.
fn verify_bucket(s: &Shared) -> u64 {
    let bucket = Bucket::open(&s.bucket).unwrap();
    let mirror = s.root.join("mirror");
    let _ = std::fs::remove_dir_all(&mirror);
    for name in bucket.list(None).unwrap() {
        let path = mirror.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bucket.get(&name).unwrap().unwrap()).unwrap();
    }
    let out = ok(s
        .truce()
        .args(["-q", "verify"])
        .arg(&mirror)
        .arg("--log-key")
        .arg(s.a.join("log.vkey"))
        .arg("--state")
        .arg(s.root.join("verify-state.json"))
        .arg("--json"));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    report["size"].as_u64().unwrap()
}

#[test]
fn sigkill_the_sequencer_during_submissions_to_two_servers() {
    // The bucket on three Garage nodes (replication factor 3), as deployed.
    let s = shared_on(true);
    let http = client();
    let a = Server::start(&s, &s.a);
    a.await_sequencer(&http, true, Duration::from_secs(10));
    let b = Server::start(&s, &s.b);
    b.await_leader(&http, &a);
    let seen = b.cluster(&http).unwrap();
    assert_eq!(seen["sequencer"], false, "{seen}");
    assert_eq!(seen["leader"], format!("http://{}", a.addr), "{seen}");

    let entries = signed(&s, "failover", 240);
    let acks: Arc<Mutex<BTreeMap<u64, String>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let addrs = [a.addr.clone(), b.addr.clone()];
    let workers = 4;
    std::thread::scope(|scope| {
        for w in 0..workers {
            let (entries, acks, done, addrs, http) = (&entries, &acks, &done, &addrs, &http);
            scope.spawn(move || {
                for (k, e) in entries.iter().enumerate().skip(w).step_by(workers) {
                    let started = Instant::now();
                    let mut target = k % 2;
                    loop {
                        match submit(http, &addrs[target], e) {
                            Ok((i, _)) => {
                                acks.lock().unwrap().insert(i, e.clone());
                                break;
                            }
                            Err(status) => {
                                assert!(matches!(status, 0 | 503), "entry {k}: status {status}");
                                assert!(
                                    started.elapsed() < Duration::from_secs(40),
                                    "entry {k} not acknowledged within 40 s"
                                );
                                target = 1 - target;
                                std::thread::sleep(Duration::from_millis(100));
                            }
                        }
                    }
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
        // SIGKILL the sequencer a third of the way through.
        while done.load(std::sync::atomic::Ordering::Relaxed) < entries.len() / 3 {
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut a = a;
        a.child.kill().unwrap();
        let _ = a.child.wait();
        let took = b.await_sequencer(&http, true, Duration::from_secs(10));
        eprintln!("the second server took the lease {took:?} after the SIGKILL");
    });
    let acks = acks.lock().unwrap().clone();
    assert_eq!(acks.len(), entries.len(), "every entry acknowledged once");
    let size = acknowledged_entries_are_in_the_log(&s, &acks);
    assert!(size > *acks.keys().max().unwrap());
    // The bucket catches up within the publisher's interval.
    let t = Instant::now();
    loop {
        let published = verify_bucket(&s);
        if published == size {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "bucket at {published}, log at {size}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn sigstop_the_sequencer_then_sigcont_it_is_fenced() {
    let s = shared();
    let http = client();
    let a = Server::start(&s, &s.a);
    a.await_sequencer(&http, true, Duration::from_secs(10));
    let b = Server::start(&s, &s.b);
    b.await_leader(&http, &a);
    let entries = signed(&s, "stop", 6);
    let (i0, _) = submit(&http, &b.addr, &entries[0]).expect("forwarded to the sequencer");
    a.signal("-STOP");
    // A submission sent to the stopped sequencer waits in its socket.
    let held = {
        let (addr, e) = (a.addr.clone(), entries[1].clone());
        std::thread::spawn(move || submit(&client(), &addr, &e))
    };
    let took = b.await_sequencer(&http, true, Duration::from_secs(10));
    eprintln!("the second server took the lease {took:?} after the SIGSTOP");
    let (i2, _) = submit(&http, &b.addr, &entries[2]).expect("the new sequencer appends");
    let (i3, _) = submit(&http, &b.addr, &entries[3]).expect("the new sequencer appends");
    a.signal("-CONT");
    let held = held.join().unwrap();
    eprintln!("the submission held by the stopped sequencer: {held:?}");
    // The stopped sequencer woke up with a submission in hand: its commit under the old lease is
    // refused (503), or it learnt first that it lost the lease and handed it to the new one.
    a.await_sequencer(&http, false, Duration::from_secs(5));
    a.await_leader(&http, &b);
    let (i4, _) = submit(&http, &a.addr, &entries[4]).expect("handed to the new sequencer");
    let mut acks = BTreeMap::from([
        (i0, entries[0].clone()),
        (i2, entries[2].clone()),
        (i3, entries[3].clone()),
        (i4, entries[4].clone()),
    ]);
    match held {
        Ok((i, _)) => {
            acks.insert(i, entries[1].clone());
        }
        Err(status) => assert_eq!(status, 503, "a fenced commit is answered 503"),
    }
    let size = acknowledged_entries_are_in_the_log(&s, &acks);
    // Woken, it learnt it lost the lease: the held submission was refused either by its commit's
    // epoch check (fencing) or, had its lease thread noticed first, before reaching the writer —
    // never committed under the old lease (checked below).
    let log = std::fs::read_to_string(s.a.join("serve.log")).unwrap();
    assert!(log.contains("lost the sequencer lease"), "{log}");
    // Nothing else: the entries acknowledged, the registration, the clock entries — never the
    // held entry unless it was acknowledged.
    let reader = LogReader::open(s.storage()).unwrap();
    let held_in_log = (0..size).any(|i| reader.entry(i).unwrap() == entries[1].as_bytes());
    assert_eq!(
        held_in_log,
        held.is_ok(),
        "the held entry is in the log only if acknowledged"
    );
    let t = Instant::now();
    while verify_bucket(&s) != size {
        assert!(t.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_command_takes_the_lease_for_its_commit_and_is_refused_while_a_server_holds_it() {
    let s = shared();
    // `truce party add` (in `shared`) took the lease and released it: a server takes it at once.
    let http = client();
    let a = Server::start(&s, &s.a);
    let took = a.await_sequencer(&http, true, Duration::from_secs(3));
    assert!(took < Duration::from_secs(3));
    let o = s
        .truce()
        .args([
            "party",
            "add",
            "ru",
            "--name",
            "ru",
            "--role",
            "belligerent",
            "--dir",
        ])
        .arg(&s.b)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("sequencer lease is held by http://") && err.contains("POST /v1/entries"),
        "{err}"
    );
    drop(a);
    // Reads need no lease.
    let out = ok(s.truce().args(["log", "checkpoint", "--dir"]).arg(&s.b));
    assert!(out.contains(ORIGIN), "{out}");
}

#[test]
fn migrate_a_sqlite_log_then_serve_and_verify_the_bucket() {
    let s = fresh(false);
    // A SQLite log over two tiles, in several commits.
    ok(s.truce()
        .args(["-q", "init", "--origin", ORIGIN, "--dir"])
        .arg(&s.a));
    ok(s.truce()
        .args(["-q", "party", "add", "ua", "--name", "ua", "--role"])
        .args(["belligerent", "--dir"])
        .arg(&s.a));
    for part in 0..3 {
        let mut toml = String::from("time = 2025-03-21T09:00:00Z\n");
        for i in 0..120 {
            toml.push_str(&format!(
                "\n[[report]]\nid = \"m{part}-{i}\"\ntime = {{ start = 2025-03-20T20:00:00Z }}\nlocation = {{ point = [35.1, 51.2], uncertainty_m = 500 }}\nact = \"strike\"\ntext = \"report {i}\"\n"
            ));
        }
        let f = s.root.join(format!("m{part}.toml"));
        std::fs::write(&f, toml).unwrap();
        ok(s.truce()
            .args(["-q", "submit"])
            .arg(&f)
            .args(["--as", "ua", "--key"])
            .arg(s.a.join("keys/ua.key"))
            .arg("--dir")
            .arg(&s.a));
    }
    // A bearer token made on the SQLite directory (access.db) is copied too.
    let token = ok(s
        .truce()
        .args([
            "-q",
            "token",
            "create",
            "ua",
            "--role",
            "belligerent",
            "--dir",
        ])
        .arg(&s.a))
    .split_whitespace()
    .next()
    .unwrap()
    .to_string();
    assert!(token.starts_with("truce_"), "{token}");
    let before = ok(s.truce().args(["log", "checkpoint", "--dir"]).arg(&s.a));
    let findings = ok(s.truce().args(["findings", "--json", "--dir"]).arg(&s.a));
    let migrate = |dir: &Path| {
        s.truce()
            .args(["migrate", "--to", &s.url, "--bucket", &s.bucket.bucket])
            .args(["--bucket-endpoint", &s.bucket.endpoint, "--json", "--dir"])
            .arg(dir)
            .output()
            .unwrap()
    };
    let o = migrate(&s.a);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["verified"], true, "{report}");
    assert!(report["entries"].as_u64().unwrap() > 360, "{report}");
    assert!(s.a.join("cluster.toml").is_file());
    // The directory now reads the shared log: the same checkpoint, the same findings.
    assert_eq!(
        ok(s.truce().args(["log", "checkpoint", "--dir"]).arg(&s.a)),
        before
    );
    assert_eq!(
        ok(s.truce().args(["findings", "--json", "--dir"]).arg(&s.a)),
        findings
    );
    // Every checkpoint the SQLite log signed is in PostgreSQL byte for byte.
    let sqlite = truce_store::sqlite::SqliteStorage::open(&s.a.join("truce.db"), false).unwrap();
    let shared = s.storage();
    use truce_store::LogStorage as _;
    let sizes = sqlite.checkpoint_sizes().unwrap();
    assert!(sizes.len() >= 5, "{sizes:?}");
    for n in sizes {
        assert_eq!(
            shared.checkpoint_at(n).unwrap(),
            sqlite.checkpoint_at(n).unwrap(),
            "checkpoint {n}"
        );
    }
    // `truce verify s3://BUCKET` reads the bucket alone.
    let out = ok(s
        .truce()
        .args(["-q", "verify", &format!("s3://{}", s.bucket.bucket)])
        .args(["--bucket-endpoint", &s.bucket.endpoint, "--log-key"])
        .arg(s.a.join("log.vkey"))
        .arg("--state")
        .arg(s.root.join("st.json"))
        .arg("--json"));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true, "{v}");
    // Once is enough: the directory is switched.
    let again = migrate(&s.a);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already uses a shared log"));
    // And it serves: a submission is appended to the shared log.
    let http = client();
    let a = Server::start(&s, &s.a);
    a.await_sequencer(&http, true, Duration::from_secs(10));
    let e = signed(&s, "after", 1);
    let (i, _) = submit(&http, &a.addr, &e[0]).unwrap();
    assert!(i >= report["entries"].as_u64().unwrap());
    assert_eq!(report["stores"]["tokens"], 1, "{report}");
    let authed = |t: &str| {
        http.get(format!("http://{}/v1/reports?limit=1", a.addr))
            .bearer_auth(t)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(authed(&token), 200, "the token works on the shared log");
    assert_eq!(authed("truce_not-a-token"), 401);
}

/// A running `truce witness serve`; killed when dropped.
struct Witness {
    child: Child,
    url: String,
}

impl Drop for Witness {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET /checkpoint of `server`: its size and note.
fn published(http: &reqwest::blocking::Client, server: &Server) -> (u64, String) {
    let note = http
        .get(format!("http://{}/checkpoint", server.addr))
        .send()
        .unwrap()
        .text()
        .unwrap();
    (note.lines().nth(1).unwrap().parse().unwrap(), note)
}

/// Waits until `server` publishes a checkpoint of at least `size` that `witness` cosigned;
/// returns its size.
fn await_cosigned(
    http: &reqwest::blocking::Client,
    server: &Server,
    witness: &truce_log::cosignature::CosignatureVerifier,
    size: u64,
) -> u64 {
    let t = Instant::now();
    loop {
        let (n, note) = published(http, server);
        if n >= size && witness.verify(note.as_bytes()).is_ok() {
            return n;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "{} publishes {n}, not a cosigned checkpoint of {size} or more:\n{note}",
            server.addr
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn witnesses_keep_cosigning_across_a_failover_and_every_server_publishes_the_witnessed_checkpoint()
{
    let s = shared();
    let http = client();
    // A witness of this log.
    let wdir = s.root.join("witness");
    std::fs::create_dir_all(&wdir).unwrap();
    let out = ok(s.truce().current_dir(&wdir).args([
        "witness",
        "keygen",
        "witness.test/w1",
        "--out",
        "keys",
        "--json",
    ]));
    let vkey = serde_json::from_str::<serde_json::Value>(&out).unwrap()["vkey"]
        .as_str()
        .unwrap()
        .to_string();
    let log_vkey = std::fs::read_to_string(s.a.join("log.vkey")).unwrap();
    std::fs::write(
        wdir.join("witness.toml"),
        format!(
            "name = \"witness.test/w1\"\nkey = \"keys/witness.test_w1.witness.key\"\nstate = \"witness.db\"\n\n[[log]]\norigin = \"{ORIGIN}\"\nkeys = [\"{}\"]\n",
            log_vkey.trim()
        ),
    )
    .unwrap();
    let mut c = s.truce();
    c.current_dir(&wdir)
        .env("TRUCE_LOG", "error")
        .args([
            "witness",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--config",
            "witness.toml",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let witness = Witness {
        url: first
            .trim()
            .strip_prefix("listening on ")
            .unwrap()
            .to_string(),
        child,
    };
    let config = s.root.join("server.toml");
    std::fs::write(
        &config,
        format!(
            "[[witness]]\nurl = \"{}\"\nvkey = \"{vkey}\"\n",
            witness.url
        ),
    )
    .unwrap();
    let verifier = truce_log::cosignature::CosignatureVerifier::from_vkey(&vkey).unwrap();

    let a = Server::start_with(&s, &s.a, Some(&config));
    a.await_sequencer(&http, true, Duration::from_secs(10));
    let b = Server::start_with(&s, &s.b, Some(&config));
    b.await_leader(&http, &a);
    let entries = signed(&s, "witnessed", 6);
    let mut last = 0;
    for e in &entries[..3] {
        last = submit(&http, &b.addr, e).unwrap().0;
    }
    let before = await_cosigned(&http, &a, &verifier, last + 1);
    // The follower publishes the sequencer's witnessed checkpoint too.
    let seen = await_cosigned(&http, &b, &verifier, before);
    assert!(seen >= before);

    let mut a = a;
    a.child.kill().unwrap();
    let _ = a.child.wait();
    b.await_sequencer(&http, true, Duration::from_secs(10));
    for e in &entries[3..] {
        last = submit(&http, &b.addr, e).unwrap().0;
    }
    let after = await_cosigned(&http, &b, &verifier, last + 1);
    assert!(after > before, "{after} after {before}");
    // The bucket's `checkpoint` carries the cosignature too once the publisher has run.
    let bucket = Bucket::open(&s.bucket).unwrap();
    let t = Instant::now();
    loop {
        let note = bucket.get("checkpoint").unwrap().unwrap();
        if verifier.verify(&note).is_ok() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the bucket's checkpoint is not cosigned:\n{}",
            String::from_utf8_lossy(&note)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(witness);
}

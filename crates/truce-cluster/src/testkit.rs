//! Throw-away servers for tests (feature `testkit`): a PostgreSQL 15 cluster, a single-node
//! Garage and a Garage cluster of several nodes ([`GarageCluster`]: replication factor 3, nodes
//! that can be killed and restarted), each in its own temporary directory on free ports of
//! 127.0.0.1, stopped and removed when the last handle is dropped. Every test takes its own
//! database ([`Postgres::database`]) and bucket ([`Garage::bucket`],
//! [`GarageCluster::bucket`]); [`Postgres::shared`] and [`Garage::shared`] hand tests running at
//! the same time one server of each.
//!
//! Nothing here skips: a server that cannot be started is an error saying what to install.
//!
//! - PostgreSQL: the binaries of `$TRUCE_PG_BIN`, else `/usr/lib/postgresql/15/bin` (Debian's
//!   `postgresql-15`). PostgreSQL refuses to run as root: as root, the directory is given to the
//!   `postgres` user and `initdb`/`pg_ctl` run through `runuser -u postgres --`. `fsync` is on.
//! - Garage: `$TRUCE_GARAGE`, else `garage` on `PATH`, else `~/.cache/truce-tools/bin/garage`
//!   (`cargo install garage --version 2.5.0 --locked --root ~/.cache/truce-tools`, as `.ci/run`
//!   does once). `data_fsync` and `metadata_fsync` are on; replication factor 1 for
//!   [`Garage`], 3 with `consistency_mode = "consistent"` for [`GarageCluster`] (a write is
//!   acknowledged once 2 of the 3 nodes hold it). Every node also has a web endpoint
//!   (`[s3_web]`, root domain [`WEB_ROOT_DOMAIN`]): [`Garage::website`] exposes a bucket there,
//!   read by `Host` header as a public static mirror.

use crate::bucket::BucketConfig;
use std::io::Read as _;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// A test server could not be started or used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TestkitError(pub String);

type Result<T> = std::result::Result<T, TestkitError>;

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(TestkitError(msg.into()))
}

/// A free TCP port on 127.0.0.1 (free when asked: a server started on it may still lose a race).
pub fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| TestkitError(format!("finding a free port: {e}")))
}

/// A fresh name: `prefix` and a process-unique counter and the process id.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs a command to its end with a time limit, returning its stdout; a failure includes its
/// output.
fn run(cmd: &mut Command, limit: Duration) -> Result<String> {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| TestkitError(format!("running {shown}: {e}")))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut out = String::new();
                let mut errs = String::new();
                if let Some(mut o) = child.stdout.take() {
                    let _ = o.read_to_string(&mut out);
                }
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut errs);
                }
                if !status.success() {
                    return err(format!("{shown} failed ({status}):\n{out}{errs}"));
                }
                return Ok(out);
            }
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return err(format!("{shown} took longer than {limit:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return err(format!("waiting for {shown}: {e}")),
        }
    }
}

/// Whether this process runs as root (the owner of `/proc/self`).
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn id_of(flag: &str, user: &str) -> Result<u32> {
    let out = run(
        Command::new("id").args([flag, user]),
        Duration::from_secs(10),
    )?;
    out.trim()
        .parse()
        .map_err(|_| TestkitError(format!("`id {flag} {user}` printed {out:?}")))
}

/// Hands out one server to everyone holding it at the same time, starting a new one after the
/// last holder dropped it.
fn shared<T>(slot: &Mutex<Weak<T>>, start: impl FnOnce() -> Result<T>) -> Result<Arc<T>> {
    let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(s) = guard.upgrade() {
        return Ok(s);
    }
    let s = Arc::new(start()?);
    *guard = Arc::downgrade(&s);
    Ok(s)
}

/// A throw-away PostgreSQL cluster.
#[derive(Debug)]
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// What to install when PostgreSQL is missing.
const PG_INSTALL: &str = "install PostgreSQL 15 (Debian: `apt-get install postgresql-15`) or set TRUCE_PG_BIN to the directory holding initdb and pg_ctl";

impl Postgres {
    /// The cluster shared by the tests running now (started if none is).
    pub fn shared() -> Result<Arc<Postgres>> {
        static SLOT: Mutex<Weak<Postgres>> = Mutex::new(Weak::new());
        shared(&SLOT, Postgres::start)
    }

    /// Starts a new cluster.
    pub fn start() -> Result<Postgres> {
        let bin = std::env::var_os("TRUCE_PG_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"));
        for tool in ["initdb", "pg_ctl", "postgres"] {
            if !bin.join(tool).is_file() {
                return err(format!(
                    "PostgreSQL's {tool} is not in {}: {PG_INSTALL}",
                    bin.display()
                ));
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("truce-pg-")
            .tempdir()
            .map_err(|e| TestkitError(format!("creating a temporary directory: {e}")))?;
        let as_postgres = is_root();
        if as_postgres {
            let uid = id_of("-u", "postgres").map_err(|e| {
                TestkitError(format!(
                    "running as root, PostgreSQL needs the `postgres` user ({e}): {PG_INSTALL}"
                ))
            })?;
            let gid = id_of("-g", "postgres")?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| TestkitError(format!("chown {}: {e}", dir.path().display())))?;
        }
        let mut pg = Postgres {
            dir,
            bin,
            port: 0,
            as_postgres,
        };
        let data = pg.data_dir();
        let data_s = data.display().to_string();
        run(
            pg.tool("initdb").args([
                "-D",
                &data_s,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
            ]),
            Duration::from_secs(120),
        )?;
        let mut last = String::new();
        for _ in 0..3 {
            pg.port = free_port()?;
            let opts = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=on -c synchronous_commit=on -c max_connections=200",
                pg.port,
                pg.dir.path().display()
            );
            let log = pg.dir.path().join("postgres.log").display().to_string();
            match run(
                pg.tool("pg_ctl").args([
                    "-D", &data_s, "-l", &log, "-w", "-t", "60", "-o", &opts, "start",
                ]),
                Duration::from_secs(90),
            ) {
                Ok(_) => return Ok(pg),
                Err(e) => {
                    let log = std::fs::read_to_string(&log).unwrap_or_default();
                    last = format!("{e}\n{log}");
                }
            }
        }
        err(format!("PostgreSQL did not start: {last}"))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The connection URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{db}?connect_timeout=10",
            self.port
        )
    }

    /// Creates a fresh, empty database and returns its connection URL.
    pub fn database(&self) -> Result<String> {
        let name = unique("truce_t");
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .map_err(|e| TestkitError(format!("connecting to the test PostgreSQL: {e}")))?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|e| TestkitError(format!("CREATE DATABASE {name}: {e}")))?;
        Ok(self.url(&name))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data_dir().display().to_string();
        let _ = run(
            self.tool("pg_ctl")
                .args(["-D", &data, "stop", "-m", "immediate", "-w", "-t", "30"]),
            Duration::from_secs(40),
        );
        // The temporary directory is removed by its own Drop (root may remove the postgres
        // user's files; a non-root user owns them).
    }
}

/// What to install when Garage is missing.
const GARAGE_INSTALL: &str = "install Garage v2 (`cargo install garage --version 2.5.0 --locked --root ~/.cache/truce-tools`, as .ci/run does, or a release binary on PATH) or set TRUCE_GARAGE to its path";

/// The Garage binary: `$TRUCE_GARAGE`, `garage` on `PATH`, or where `.ci/run` caches it:
/// `$TRUCE_TOOLS/bin/garage` (default `~/.cache/truce-tools/bin/garage`).
pub fn garage_binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("TRUCE_GARAGE") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        return err(format!(
            "TRUCE_GARAGE={} is not a file: {GARAGE_INSTALL}",
            p.display()
        ));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            let p = d.join("garage");
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    let tools = std::env::var_os("TRUCE_TOOLS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/truce-tools")));
    if let Some(p) = tools.map(|t| t.join("bin/garage")).filter(|p| p.is_file()) {
        return Ok(p);
    }
    err(format!(
        "no Garage binary (TRUCE_GARAGE, PATH, $TRUCE_TOOLS/bin or ~/.cache/truce-tools/bin): {GARAGE_INSTALL}"
    ))
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| TestkitError(format!("reading /dev/urandom: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The value after `label` on a line of `out` (`Key ID: GK…`).
fn field(out: &str, label: &str) -> Option<String> {
    out.lines().find_map(|l| {
        let l = l.trim();
        let rest = l.strip_prefix(label)?;
        let v = rest.trim_start_matches(':').trim();
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// The `garage.toml` of one testkit node: its directories under `dir`, its ports on 127.0.0.1,
/// the cluster's `rpc_secret`, `replication` copies of every object (`consistency_mode =
/// "consistent"`: reads and writes need a quorum), `data_fsync` and `metadata_fsync` on.
fn node_config(
    dir: &Path,
    ports: NodePorts,
    replication: usize,
    rpc_secret: &str,
) -> Result<String> {
    Ok(format!(
        r#"metadata_dir = "{d}/meta"
data_dir = "{d}/data"
db_engine = "sqlite"
metadata_fsync = true
data_fsync = true
replication_factor = {replication}
consistency_mode = "consistent"
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{rpc_secret}"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"

[s3_web]
bind_addr = "127.0.0.1:{web}"
root_domain = "{WEB_ROOT_DOMAIN}"
index = "index.html"

[admin]
api_bind_addr = "127.0.0.1:{admin}"
admin_token = "{token}"
"#,
        d = dir.display(),
        rpc = ports.rpc,
        s3 = ports.s3,
        web = ports.web,
        admin = ports.admin,
        token = random_hex(16)?,
    ))
}

/// The `root_domain` of every testkit node's web endpoint: a bucket exposed as a website
/// (`garage bucket website --allow NAME`) is served to requests whose `Host` header is
/// `NAME` followed by it ([`Garage::website`]).
pub const WEB_ROOT_DOMAIN: &str = ".web.garage.localhost";

/// The ports of one Garage node.
#[derive(Debug, Clone, Copy)]
struct NodePorts {
    rpc: u16,
    s3: u16,
    /// The web endpoint (`[s3_web]`: buckets exposed as websites, read by `Host`).
    web: u16,
    admin: u16,
}

impl NodePorts {
    fn free() -> Result<NodePorts> {
        Ok(NodePorts {
            rpc: free_port()?,
            s3: free_port()?,
            web: free_port()?,
            admin: free_port()?,
        })
    }
}

/// One Garage server process of a testkit Garage: its directory (`garage.toml`, `meta/`,
/// `data/`, `garage.log`), its ports and its process (killed when dropped).
#[derive(Debug)]
struct GarageNode {
    dir: PathBuf,
    bin: PathBuf,
    ports: NodePorts,
    child: Mutex<Option<Child>>,
    /// Its full node id, once it answered.
    id: std::sync::OnceLock<String>,
}

impl GarageNode {
    /// Writes the node's configuration into `dir` (created) and starts it.
    fn start(bin: &Path, dir: PathBuf, replication: usize, rpc_secret: &str) -> Result<GarageNode> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| TestkitError(format!("creating {}: {e}", dir.display())))?;
        let ports = NodePorts::free()?;
        let conf = dir.join("garage.toml");
        std::fs::write(&conf, node_config(&dir, ports, replication, rpc_secret)?)
            .map_err(|e| TestkitError(format!("writing {}: {e}", conf.display())))?;
        let node = GarageNode {
            dir,
            bin: bin.to_path_buf(),
            ports,
            child: Mutex::new(None),
            id: std::sync::OnceLock::new(),
        };
        node.spawn()?;
        Ok(node)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("garage.log")
    }

    /// The server's log so far (for error messages).
    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts the server process (its output appended to `garage.log`), unless it runs.
    fn spawn(&self) -> Result<()> {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        if child.is_some() {
            return Ok(());
        }
        let log_path = self.log_path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| TestkitError(format!("opening {}: {e}", log_path.display())))?;
        let log2 = log
            .try_clone()
            .map_err(|e| TestkitError(format!("{}: {e}", log_path.display())))?;
        *child = Some(
            Command::new(&self.bin)
                .arg("-c")
                .arg(self.dir.join("garage.toml"))
                .arg("server")
                .env("RUST_LOG", "garage=warn")
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log2)
                .spawn()
                .map_err(|e| {
                    TestkitError(format!(
                        "starting {}: {e}: {GARAGE_INSTALL}",
                        self.bin.display()
                    ))
                })?,
        );
        Ok(())
    }

    /// Kills the server process with SIGKILL (no shutdown of any kind) and reaps it.
    fn kill(&self) {
        if let Some(mut c) = self.child.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn is_running(&self) -> bool {
        self.child
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Fails if the server process has exited.
    fn check_alive(&self) -> Result<()> {
        let exited = self
            .child
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten());
        match exited {
            Some(s) => err(format!("garage server exited: {s}")),
            None => Ok(()),
        }
    }

    /// Runs the `garage` command line against this node.
    fn cli(&self, args: &[&str]) -> Result<String> {
        run(
            Command::new(&self.bin)
                .arg("-c")
                .arg(self.dir.join("garage.toml"))
                .args(args),
            Duration::from_secs(60),
        )
    }

    /// Waits (up to 30 s) for the node to answer over RPC (`garage status`: `garage node id`
    /// alone reads the key file and succeeds before the server listens); returns its full node
    /// id.
    fn wait_id(&self) -> Result<String> {
        let start = Instant::now();
        loop {
            self.check_alive()?;
            let answer = self
                .cli(&["status"])
                .and_then(|_| self.cli(&["node", "id", "-q"]));
            match answer {
                Ok(out) => {
                    if let Some(id) = out.trim().split('@').next().filter(|s| !s.is_empty()) {
                        return Ok(self.id.get_or_init(|| id.to_string()).clone());
                    }
                }
                Err(e) if start.elapsed() > Duration::from_secs(30) => {
                    return err(format!("garage did not answer within 30 s: {e}"))
                }
                Err(_) => {}
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits (up to `limit`) until this node sees exactly `up` storage nodes up and every
    /// partition with a quorum (`garage health`).
    fn wait_health(&self, up: u64, limit: Duration) -> Result<()> {
        let start = Instant::now();
        loop {
            self.check_alive()?;
            // `garage health` exits 1 while the cluster is unavailable: its output is read anyway.
            let last = match self.cli(&["health"]) {
                Ok(out) => out,
                Err(e) => e.0,
            };
            let seen = health_count(&last, "Storage nodes up");
            let parts = health_count(&last, "Partitions");
            let quorum = health_count(&last, "Partitions with quorum");
            if seen == Some(up) && parts.is_some_and(|p| p > 0) && quorum == parts {
                return Ok(());
            }
            if start.elapsed() > limit {
                return err(format!(
                    "the Garage node on 127.0.0.1:{} does not see {up} storage nodes up with every partition at quorum after {limit:?}; last `garage health`:\n{last}",
                    self.ports.rpc
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `<full node id>@127.0.0.1:<rpc port>`, once it answered [`wait_id`](Self::wait_id).
    fn address(&self) -> Option<String> {
        Some(format!("{}@127.0.0.1:{}", self.id.get()?, self.ports.rpc))
    }

    /// Its S3 endpoint.
    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.s3)
    }

    /// Exposes `bucket` on this node's web endpoint (`garage bucket website --allow`); returns
    /// the endpoint's base URL and the `Host` header that names the bucket there.
    fn website(&self, bucket: &BucketConfig) -> Result<(String, String)> {
        self.cli(&["bucket", "website", "--allow", &bucket.bucket])?;
        Ok((
            format!("http://127.0.0.1:{}", self.ports.web),
            format!("{}{WEB_ROOT_DOMAIN}", bucket.bucket),
        ))
    }
}

impl Drop for GarageNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A number after `label:` on a line of `garage health`'s output (`Storage nodes up: 2`).
fn health_count(out: &str, label: &str) -> Option<u64> {
    out.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == label).then(|| v.trim().parse().ok())?
    })
}

/// The access key the tests use.
#[derive(Debug, Clone)]
struct AccessKey {
    name: String,
    id: String,
    secret: String,
}

impl AccessKey {
    /// Creates the key `truce-test` through `node`.
    fn create(node: &GarageNode) -> Result<AccessKey> {
        let name = "truce-test".to_string();
        let out = node.cli(&["key", "create", &name])?;
        let id = field(&out, "Key ID")
            .ok_or_else(|| TestkitError(format!("no `Key ID` in `garage key create`: {out}")))?;
        let secret = field(&out, "Secret key").ok_or_else(|| {
            TestkitError(format!("no `Secret key` in `garage key create`: {out}"))
        })?;
        Ok(AccessKey { name, id, secret })
    }

    /// Creates a fresh bucket through `node` that this key may read, write and own; its
    /// configuration with `node`'s endpoint.
    fn bucket(&self, node: &GarageNode) -> Result<BucketConfig> {
        let name = unique("truce-t-");
        node.cli(&["bucket", "create", &name])?;
        node.cli(&[
            "bucket", "allow", "--read", "--write", "--owner", &name, "--key", &self.name,
        ])?;
        Ok(BucketConfig {
            endpoint: node.endpoint(),
            bucket: name,
            region: "garage".into(),
            access_key_id: self.id.clone(),
            secret_access_key: self.secret.clone(),
            allow_http: true,
            timeout: Duration::from_secs(30),
        })
    }
}

/// Calls `start` up to three times (a free port may be taken meanwhile), returning the first
/// success or the last error.
fn three_tries<T>(what: &str, mut start: impl FnMut() -> Result<T>) -> Result<T> {
    let mut last = String::new();
    for _ in 0..3 {
        match start() {
            Ok(g) => return Ok(g),
            Err(e) => last = e.0,
        }
    }
    err(format!("{what} did not start: {last}"))
}

fn temp_dir(prefix: &str) -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| TestkitError(format!("creating a temporary directory: {e}")))
}

/// A throw-away single-node Garage (replication factor 1).
#[derive(Debug)]
pub struct Garage {
    // Declared before the directory: the server is killed before its directory is removed.
    node: GarageNode,
    key: AccessKey,
    _dir: tempfile::TempDir,
}

impl Garage {
    /// The Garage shared by the tests running now (started if none is).
    pub fn shared() -> Result<Arc<Garage>> {
        static SLOT: Mutex<Weak<Garage>> = Mutex::new(Weak::new());
        shared(&SLOT, Garage::start)
    }

    /// Starts a new single-node Garage with an access key (three tries, in case a free port was
    /// taken meanwhile).
    pub fn start() -> Result<Garage> {
        let bin = garage_binary()?;
        three_tries("Garage", || Self::start_once(&bin))
    }

    fn start_once(bin: &Path) -> Result<Garage> {
        let dir = temp_dir("truce-garage-")?;
        let node = GarageNode::start(bin, dir.path().to_path_buf(), 1, &random_hex(32)?)?;
        // On an error, dropping `node` stops the server (and `dir` removes its directory).
        let key = Self::configure(&node)
            .map_err(|e| TestkitError(format!("{e}\ngarage.log:\n{}", node.log())))?;
        Ok(Garage {
            node,
            key,
            _dir: dir,
        })
    }

    /// Waits for the node, gives it a layout, creates the access key.
    fn configure(node: &GarageNode) -> Result<AccessKey> {
        let id = node.wait_id()?;
        node.cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &id])?;
        node.cli(&["layout", "apply", "--version", "1"])?;
        AccessKey::create(node)
    }

    /// The S3 endpoint.
    pub fn endpoint(&self) -> String {
        self.node.endpoint()
    }

    /// Creates a fresh bucket the test key may read, write and own; returns its configuration.
    pub fn bucket(&self) -> Result<BucketConfig> {
        self.key.bucket(&self.node)
    }

    /// Serves `bucket` publicly on the node's web endpoint (`garage bucket website --allow
    /// NAME`): anyone may GET its objects without credentials. Returns the endpoint's base URL
    /// (`http://127.0.0.1:<port>`) and the `Host` header to send with every request
    /// (`NAME.web.garage.localhost`, see [`WEB_ROOT_DOMAIN`]): Garage picks the bucket by that
    /// header, and `*.localhost` does not resolve everywhere, so clients connect to the URL and
    /// send the header themselves (`curl -H "Host: …" URL/checkpoint`).
    pub fn website(&self, bucket: &BucketConfig) -> Result<(String, String)> {
        self.node.website(bucket)
    }
}

/// A throw-away Garage cluster of several nodes on this machine (each its own process,
/// directories and ports, one zone each), replication factor 3 (`consistency_mode =
/// "consistent"`: a write or read needs 2 of the 3 copies), `data_fsync` and `metadata_fsync`
/// on. Nodes can be killed (SIGKILL) and restarted; every node is killed when it is dropped.
#[derive(Debug)]
pub struct GarageCluster {
    // Declared before the directory: the servers are killed before it is removed.
    nodes: Vec<GarageNode>,
    key: AccessKey,
    _dir: tempfile::TempDir,
}

/// How long the cluster may take to see a node come or go.
const HEALTH_LIMIT: Duration = Duration::from_secs(30);

impl GarageCluster {
    /// Starts `n` nodes (at least 3: replication factor 3 needs 3 zones), connects them, gives
    /// each a zone of its own (`z0`, `z1`, …) in layout version 1, waits until every partition
    /// has its quorum, and creates an access key (three tries, in case a free port was taken
    /// meanwhile).
    pub fn start(n: usize) -> Result<GarageCluster> {
        if n < 3 {
            return err(format!(
                "a Garage cluster with replication factor 3 needs at least 3 nodes, not {n}"
            ));
        }
        let bin = garage_binary()?;
        three_tries("The Garage cluster", || Self::start_once(&bin, n))
    }

    fn start_once(bin: &Path, n: usize) -> Result<GarageCluster> {
        let dir = temp_dir("truce-garage3-")?;
        let secret = random_hex(32)?;
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            nodes.push(GarageNode::start(
                bin,
                dir.path().join(format!("node{i}")),
                3,
                &secret,
            )?);
        }
        // On an error, dropping `nodes` stops the servers.
        let key = Self::configure(&nodes).map_err(|e| {
            let logs: String = nodes
                .iter()
                .enumerate()
                .map(|(i, node)| format!("\nnode {i} garage.log:\n{}", node.log()))
                .collect();
            TestkitError(format!("{e}{logs}"))
        })?;
        Ok(GarageCluster {
            nodes,
            key,
            _dir: dir,
        })
    }

    fn configure(nodes: &[GarageNode]) -> Result<AccessKey> {
        let ids = nodes
            .iter()
            .map(GarageNode::wait_id)
            .collect::<Result<Vec<_>>>()?;
        let first = nodes
            .first()
            .ok_or_else(|| TestkitError("a Garage cluster needs nodes".into()))?;
        for (node, id) in nodes.iter().zip(&ids).skip(1) {
            first.cli(&[
                "node",
                "connect",
                &format!("{id}@127.0.0.1:{}", node.ports.rpc),
            ])?;
        }
        for (i, id) in ids.iter().enumerate() {
            first.cli(&["layout", "assign", "-z", &format!("z{i}"), "-c", "1G", id])?;
        }
        first.cli(&["layout", "apply", "--version", "1"])?;
        for node in nodes {
            node.wait_health(nodes.len() as u64, HEALTH_LIMIT)?;
        }
        AccessKey::create(first)
    }

    /// How many nodes it has (running or killed).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    fn node(&self, i: usize) -> Result<&GarageNode> {
        self.nodes.get(i).ok_or_else(|| {
            TestkitError(format!(
                "no Garage node {i}: the cluster has {} (0 to {})",
                self.nodes.len(),
                self.nodes.len().saturating_sub(1)
            ))
        })
    }

    /// The S3 endpoint of node `i` (an error if there is no such node).
    pub fn endpoint(&self, i: usize) -> Result<String> {
        Ok(self.node(i)?.endpoint())
    }

    /// Creates a fresh bucket the test key may read, write and own (through the first running
    /// node); its configuration names node 0's endpoint (see [`at_node`](Self::at_node)).
    pub fn bucket(&self) -> Result<BucketConfig> {
        let live = self
            .nodes
            .iter()
            .find(|n| n.is_running())
            .ok_or_else(|| TestkitError("every Garage node of the cluster is killed".into()))?;
        let mut config = self.key.bucket(live)?;
        config.endpoint = self.endpoint(0)?;
        Ok(config)
    }

    /// `bucket` reached through node `i`'s S3 endpoint.
    pub fn at_node(&self, bucket: &BucketConfig, i: usize) -> Result<BucketConfig> {
        Ok(BucketConfig {
            endpoint: self.endpoint(i)?,
            ..bucket.clone()
        })
    }

    /// How many nodes run (not killed).
    fn running(&self) -> u64 {
        self.nodes.iter().filter(|n| n.is_running()).count() as u64
    }

    /// Kills node `i` with SIGKILL, then waits until every other running node sees it down
    /// (Garage notices within a few seconds) with every partition still at quorum (with one of
    /// three nodes down).
    pub fn kill_node(&self, i: usize) -> Result<()> {
        self.node(i)?.kill();
        let up = self.running();
        for node in self.nodes.iter().filter(|n| n.is_running()) {
            node.wait_health(up, HEALTH_LIMIT)?;
        }
        Ok(())
    }

    /// Starts killed node `i` again on its directories and ports, then waits until every
    /// running node (it included) sees all the running nodes up with every partition at quorum.
    pub fn restart_node(&self, i: usize) -> Result<()> {
        let node = self.node(i)?;
        node.spawn()?;
        let up = self.running();
        let r = node.wait_id().and_then(|_| {
            // The others retry their connections to a lost peer after growing delays (its
            // return took ~30 s to be seen everywhere, ~1.5 s when they are told to connect).
            let addr = node.address().ok_or_else(|| {
                TestkitError(format!("Garage node {i} answered without a node id"))
            })?;
            for other in self.nodes.iter().filter(|n| n.is_running()) {
                if !std::ptr::eq(other, node) {
                    other.cli(&["node", "connect", &addr])?;
                }
            }
            self.nodes
                .iter()
                .filter(|n| n.is_running())
                .try_for_each(|n| n.wait_health(up, HEALTH_LIMIT))
        });
        r.map_err(|e| {
            TestkitError(format!(
                "restarting Garage node {i}: {e}\ngarage.log:\n{}",
                node.log()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{field, health_count};

    #[test]
    fn health_counts() {
        let out = "Cluster health:            DEGRADED\nKnown nodes:               3\nConnected nodes:           2\nStorage nodes:             3\nStorage nodes up:          2\nPartitions:                256\nPartitions with quorum:    256\nFully healthy partitions:  0\n";
        assert_eq!(health_count(out, "Storage nodes up"), Some(2));
        assert_eq!(health_count(out, "Storage nodes"), Some(3));
        assert_eq!(health_count(out, "Partitions"), Some(256));
        assert_eq!(health_count(out, "Partitions with quorum"), Some(256));
        assert_eq!(health_count(out, "Cluster health"), None);
        assert_eq!(health_count("Error: unavailable", "Partitions"), None);
    }

    #[test]
    fn key_fields() {
        let out = "==== ACCESS KEY INFORMATION ====\nKey ID:              GK31c2f218a2e44f485b94239e\nKey name:            test\nSecret key:          b892c0665f0ada8a4755dae98baa3b133590e11dae3bcc1f9d769d67f16c3835\n";
        assert_eq!(
            field(out, "Key ID").as_deref(),
            Some("GK31c2f218a2e44f485b94239e")
        );
        assert_eq!(
            field(out, "Secret key").as_deref(),
            Some("b892c0665f0ada8a4755dae98baa3b133590e11dae3bcc1f9d769d67f16c3835")
        );
    }
}

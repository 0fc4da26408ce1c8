//! Throw-away servers for tests (feature `testkit`): a PostgreSQL 15 cluster and a single-node
//! Garage, each in its own temporary directory on free ports of 127.0.0.1, stopped and removed
//! when the last handle is dropped. Every test takes its own database
//! ([`Postgres::database`]) and bucket ([`Garage::bucket`]); [`Postgres::shared`] and
//! [`Garage::shared`] hand tests running at the same time one server of each.
//!
//! Nothing here skips: a server that cannot be started is an error saying what to install.
//!
//! - PostgreSQL: the binaries of `$TRUCE_PG_BIN`, else `/usr/lib/postgresql/15/bin` (Debian's
//!   `postgresql-15`). PostgreSQL refuses to run as root: as root, the directory is given to the
//!   `postgres` user and `initdb`/`pg_ctl` run through `runuser -u postgres --`. `fsync` is on.
//! - Garage: `$TRUCE_GARAGE`, else `garage` on `PATH`, else `~/.cache/truce-tools/bin/garage`
//!   (`cargo install garage --version 2.5.0 --locked --root ~/.cache/truce-tools`, as `.ci/run`
//!   does once). `data_fsync` and `metadata_fsync` are
//!   on, replication factor 1.

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

/// A throw-away single-node Garage.
#[derive(Debug)]
pub struct Garage {
    dir: tempfile::TempDir,
    bin: PathBuf,
    child: Mutex<Option<Child>>,
    s3_port: u16,
    key_id: String,
    secret: String,
    key_name: String,
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
        let mut last = String::new();
        for _ in 0..3 {
            match Self::start_once(&bin) {
                Ok(g) => return Ok(g),
                Err(e) => last = e.0,
            }
        }
        err(format!("Garage did not start: {last}"))
    }

    fn start_once(bin: &Path) -> Result<Garage> {
        let dir = tempfile::Builder::new()
            .prefix("truce-garage-")
            .tempdir()
            .map_err(|e| TestkitError(format!("creating a temporary directory: {e}")))?;
        let (rpc, s3, admin) = (free_port()?, free_port()?, free_port()?);
        let config = format!(
            r#"metadata_dir = "{d}/meta"
data_dir = "{d}/data"
db_engine = "sqlite"
metadata_fsync = true
data_fsync = true
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin}"
admin_token = "{token}"
"#,
            d = dir.path().display(),
            secret = random_hex(32)?,
            token = random_hex(16)?,
        );
        let conf = dir.path().join("garage.toml");
        std::fs::write(&conf, config)
            .map_err(|e| TestkitError(format!("writing {}: {e}", conf.display())))?;
        let log_path = dir.path().join("garage.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| TestkitError(format!("creating {}: {e}", log_path.display())))?;
        let log2 = log
            .try_clone()
            .map_err(|e| TestkitError(format!("{}: {e}", log_path.display())))?;
        let child = Command::new(bin)
            .arg("-c")
            .arg(&conf)
            .arg("server")
            .env("RUST_LOG", "garage=warn")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| {
                TestkitError(format!("starting {}: {e}: {GARAGE_INSTALL}", bin.display()))
            })?;
        let mut g = Garage {
            dir,
            bin: bin.to_path_buf(),
            child: Mutex::new(Some(child)),
            s3_port: s3,
            key_id: String::new(),
            secret: String::new(),
            key_name: "truce-test".into(),
        };
        if let Err(e) = g.configure() {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            // Dropping `g` stops the server and removes its directory.
            return err(format!("{e}\ngarage.log:\n{log}"));
        }
        Ok(g)
    }

    fn cli(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("-c").arg(self.dir.path().join("garage.toml"));
        c
    }

    fn cli_run(&self, args: &[&str]) -> Result<String> {
        run(self.cli().args(args), Duration::from_secs(60))
    }

    /// Waits for the node, gives it a layout, creates the access key.
    fn configure(&mut self) -> Result<()> {
        let start = Instant::now();
        let node = loop {
            let exited = self
                .child
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(s) = exited {
                return err(format!("garage server exited: {s}"));
            }
            match self.cli_run(&["node", "id", "-q"]) {
                Ok(out) => {
                    if let Some(id) = out.trim().split('@').next().filter(|s| !s.is_empty()) {
                        break id.to_string();
                    }
                }
                Err(e) if start.elapsed() > Duration::from_secs(30) => {
                    return err(format!("garage did not answer within 30 s: {e}"))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        self.cli_run(&["status"])?;
        self.cli_run(&["layout", "assign", "-z", "dc1", "-c", "1G", &node])?;
        self.cli_run(&["layout", "apply", "--version", "1"])?;
        let out = self.cli_run(&["key", "create", &self.key_name.clone()])?;
        self.key_id = field(&out, "Key ID")
            .ok_or_else(|| TestkitError(format!("no `Key ID` in `garage key create`: {out}")))?;
        self.secret = field(&out, "Secret key").ok_or_else(|| {
            TestkitError(format!("no `Secret key` in `garage key create`: {out}"))
        })?;
        Ok(())
    }

    /// The S3 endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// Creates a fresh bucket the test key may read, write and own; returns its configuration.
    pub fn bucket(&self) -> Result<BucketConfig> {
        let name = unique("truce-t-");
        self.cli_run(&["bucket", "create", &name])?;
        self.cli_run(&[
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            &name,
            "--key",
            &self.key_name,
        ])?;
        Ok(BucketConfig {
            endpoint: self.endpoint(),
            bucket: name,
            region: "garage".into(),
            access_key_id: self.key_id.clone(),
            secret_access_key: self.secret.clone(),
            allow_http: true,
            timeout: Duration::from_secs(30),
        })
    }

    fn stop(&self) {
        if let Some(mut c) = self.child.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::field;

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

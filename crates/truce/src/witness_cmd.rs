//! `truce witness`: run a C2SP tlog-witness (`truce-witness`) — make its key, serve it. Glue only:
//! arguments, files, a runtime and signals.

use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use truce_log::cosignature::Cosigner;
use truce_store::keyfile;
use truce_witness::{Config, SqliteWitnessStore, WitnessState};

const SERVE_HELP: &str = "\
CONFIGURATION (TOML; relative paths are relative to the configuration file):
  name = \"witness.example/w1\"        # optional: checked against the key's name
  key = \"witness.example_w1.witness.key\"   # from `truce witness keygen` (secret)
  state = \"witness.db\"               # SQLite: the latest checkpoint cosigned per log
  listen = \"127.0.0.1:7380\"          # optional; --listen overrides it

  [[log]]                            # one table per log to witness
  origin = \"truce.example/energy-2025\"
  keys = [\"truce.example/energy-2025+1a2b3c4d+AUdf...\"]   # the log's DIR/log.vkey

PROTOCOL (c2sp.org/tlog-witness):
  POST /add-checkpoint with `old <size>`, the consistency-proof lines, a blank line and the signed
  checkpoint. 200: the cosignature line(s); 400 malformed or old > size; 403 not signed by a
  trusted key of the origin (or a bad signature by one); 404 unknown origin; 409 old is not the
  size last cosigned (the body, text/x.tlog.size, is that size); 422 the consistency proof fails.
  The new state is durable before the cosignature is returned and never moves backwards.

EXAMPLE:
  truce witness keygen witness.example/w1 --out /etc/truce-witness
  truce witness serve --config /etc/truce-witness/witness.toml --listen 0.0.0.0:7380";

/// `truce witness …`.
#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Generate a witness (tlog-cosignature v1 Ed25519) key pair.
    ///
    /// Writes <OUT>/<file>.witness.key (PRIVATE+KEY+<name>+<hex id>+<base64>, mode 0600: keep it
    /// secret) and <OUT>/<file>.witness.vkey (<name>+<hex id>+<base64>: give it to the logs and
    /// verifiers that rely on this witness); <file> is the name with '/' replaced by '_'. Never
    /// overwrites a file. Prints the verifier key (with --json: name, vkey, key_file, vkey_file).
    /// Example:
    ///   truce witness keygen witness.example/w1 --out keys
    Keygen {
        /// The witness's key name, e.g. witness.example/w1 (no spaces, no '+').
        name: String,
        /// Directory to write the key files into (created if missing).
        #[arg(long, default_value = ".", value_name = "DIR")]
        out: PathBuf,
    },
    /// File the witness policy the log's witnessing rounds are judged under (operator).
    ///
    /// FILE is a C2SP tlog-policy: a `log` line with this log's verifier key (DIR/log.vkey),
    /// one `witness <name> <vkey> [url]` line per witness, `group <name> <k|any|all> <members>`
    /// lines and a `quorum` line (`quorum none` is refused: it bounds no time). It is signed with
    /// the operator's key and appended as a `witness.policy` entry. From then on `truce serve`
    /// logs each witnessing round whose cosignatures meet it as a `witnessing` entry, which
    /// gives every entry a known-by interval (`truce log known-by`, `--as-of <time>`). A new
    /// filing replaces it for later rounds; earlier rounds stay judged under the one before.
    /// Example:
    ///   truce witness policy policy.txt
    Policy {
        /// The tlog-policy file.
        file: PathBuf,
    },
    /// Serve the witness over HTTP until SIGINT/SIGTERM.
    ///
    /// Cosigns checkpoints of the configured logs, each only if it is consistent with the last one
    /// it cosigned for that log. Prints `listening on http://ADDR` on stdout once ready (port 0
    /// picks a free port). Endpoints: POST /add-checkpoint, GET /healthz.
    #[command(after_long_help = SERVE_HELP)]
    Serve {
        /// The witness configuration (TOML; see --help for an example).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Address to listen on, overriding the configuration's `listen`.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
}

/// Runs a `truce witness` command.
pub fn run(cmd: WitnessCommand, dir: &crate::datadir::DataDir, out: &Out) -> Result<(), Failure> {
    match cmd {
        WitnessCommand::Policy { file } => crate::domain_cmd::witness_policy(dir, &file, out),
        WitnessCommand::Keygen { name, out: dir } => keygen(&name, &dir, out),
        WitnessCommand::Serve { config, listen } => serve(&config, listen.as_deref()),
    }
}

/// `truce witness keygen`.
pub fn keygen(name: &str, dir: &Path, out: &Out) -> Result<(), Failure> {
    let c = Cosigner::generate(&mut rand_core::OsRng, name).map_err(Failure::input)?;
    std::fs::create_dir_all(dir).map_err(|e| Failure::input(anyhow!("{}: {e}", dir.display())))?;
    let file = name.replace('/', "_");
    let k = dir.join(format!("{file}.witness.key"));
    let v = dir.join(format!("{file}.witness.vkey"));
    if v.exists() {
        return Err(Failure::input(anyhow!(
            "{}: already exists; refusing to overwrite a key",
            v.display()
        )));
    }
    keyfile::write_new(&k, &c.private_text(), 0o600).map_err(Failure::input)?;
    if let Err(e) = keyfile::write_new(&v, &c.vkey(), 0o644) {
        let _ = std::fs::remove_file(&k);
        return Err(Failure::input(e));
    }
    eprintln!("wrote {} (secret) and {}", k.display(), v.display());
    out.print(
        format!("{}\n", c.vkey()),
        json!({ "name": name, "vkey": c.vkey(), "key_file": k, "vkey_file": v }),
    )
}

/// `truce witness serve`: serves until SIGINT or SIGTERM; in-flight requests finish first.
pub fn serve(config: &Path, listen: Option<&str>) -> Result<(), Failure> {
    let mut cfg =
        Config::load(config).map_err(|e| Failure::input(anyhow!("{}: {e}", config.display())))?;
    if let Some(l) = listen {
        cfg.listen = l.to_string();
    }
    let witness = cfg
        .witness()
        .map_err(|e| Failure::input(anyhow!("{}: {e}", config.display())))?;
    let store = SqliteWitnessStore::open(&cfg.state).map_err(Failure::store)?;
    let vkey = witness.cosigner().vkey();
    let origins: Vec<String> = witness.logs().map(|l| l.origin().to_string()).collect();
    let state = WitnessState::new(witness, Arc::new(store));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::store(anyhow!("starting the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&cfg.listen).await.map_err(|e| {
            Failure::input(anyhow!(
                "cannot listen on {}: {e} (choose another --listen address, or port 0 for a free one)",
                cfg.listen
            ))
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::store(anyhow!("{e}")))?;
        {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            let _ = writeln!(o, "listening on http://{addr}");
            let _ = o.flush();
        }
        tracing::info!(%addr, %vkey, logs = ?origins, state = %cfg.state.display(), "witnessing");
        let limits = cfg.limits.clone();
        truce_witness::serve_with(listener, state, limits, crate::serve_cmd::shutdown_signal())
            .await
            .map_err(|e| Failure::store(anyhow!("serving: {e}")))
    })
}

//! `truce verify`: verify a whole log — from a static mirror directory or an HTTP server — and
//! the findings, compliance and publications it publishes, trusting nothing but the log key or
//! policy given and the verifier's own state file (see `truce_verify`).

use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::Duration;
use truce_verify::{
    default_state_path, verify, DirSource, HttpSource, Options, Phase, Source, Status, Trust,
    VerifyError,
};

/// The long help of `truce verify`, after the options.
pub const LONG_HELP: &str = "\
WHAT IS CHECKED (one line each in the report: ✓ ok, ✗ failed, – skipped):
  checkpoint   the latest checkpoint's signature by the log key; with --policy, the witnesses'
               cosignatures against its quorum (naming who cosigned validly and who is missing).
  tree         every entry bundle and every hash tile at every level is fetched; leaf hashes are
               recomputed from the entries and every tile from the level below, each served tile
               compared byte for byte, and the root compared with the checkpoint's. A dropped,
               altered or reordered entry, a missing tile or a short bundle is named by its path
               (tile/0/003, tile/entries/005.p/17) and entry index.
  consistency  against the checkpoint last trusted for this origin in the state file: a smaller
               size is a rollback, the same size with another root a fork, and a larger log must
               contain the trusted one (its first N entries hash to the trusted root).
  signatures   every entry is replayed: an unknown author or key, a revoked key, a bad signature,
               or bulk records that do not match their manifest fail, naming the entry index;
               other refusals are warnings (they carry no weight in the findings either).
  findings     the engine judges the replayed log at the size the published findings state, and
  compliance   the published findings and compliance tables must equal the recomputed ones
               (missing, extra and differing findings are named). Skipped with --no-replay, or
               when the source publishes none (a mirror: findings.json, compliance.json; a
               server: /v1/findings, /v1/compliance).
  publications every publication entry (`truce publish`, POST /v1/publications) made under the
               rules this verifier implements is recomputed at the log size it states, during
               the same pass (it stops there: the sizes come from a server's /v1/publications or
               a pre-scan of a mirror's bundles), and each SHA-256 is compared: a digest that
               differs fails, naming the entry's index. One made under other rules is listed as
               not recomputable. Skipped with --no-replay.

THE STATE FILE (--state FILE; default $XDG_STATE_HOME/truce/verify-state.json, else
~/.local/state/truce/verify-state.json) holds, per origin, the last checkpoint this verifier
trusted (size, root, note, when). It is updated only when the checkpoint, tree and consistency
checks all pass. It also records the progress of a long tree pass every 64 bundles: a run
interrupted and started again against the same checkpoint does not fetch the hash tiles of the
verified prefix again (it still reads and rehashes every entry, which the replay needs; with
--cache DIR, full tiles and bundles fetched over HTTP are kept and not downloaded again).

EXAMPLES:
  truce log export-tiles mirror/ && truce verify mirror/ --log-key truce-data/log.vkey
  truce verify http://127.0.0.1:8080 --policy log.policy --cache ~/.cache/truce-tiles
  truce verify https://mirror.example/log --log-key log.vkey --no-replay --json
  truce verify https://log.internal:8443 --log-key log.vkey --ca-cert internal-ca.pem

HTTPS: the server's certificate must be issued by a CA this machine trusts (its system store,
or SSL_CERT_FILE / SSL_CERT_DIR) or by one in a --ca-cert file, and be valid for the URL's host
name. A TLS failure (unknown issuer, wrong name, expired) is said in words, with exit code 3.

EXIT CODES:
  0  every check passed
  1  a check failed
  2  bad input (arguments, key, policy, state or CA certificate file)
  3  the source is unreachable (also a TLS failure) or a file could not be read or written";

/// Arguments of `truce verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The log: a static mirror directory (from `truce log export-tiles`), an http(s) URL (a
    /// `truce serve` or a static web mirror, e.g. a bucket's website endpoint), or `s3://BUCKET`
    /// (a shared log's bucket read with the S3 API: `--bucket-endpoint`, credentials from
    /// TRUCE_BUCKET_KEY_ID and TRUCE_BUCKET_SECRET; no database needed).
    pub source: String,
    /// The S3 endpoint of an `s3://BUCKET` source, e.g. http://127.0.0.1:3900 (Garage).
    #[arg(long, value_name = "URL")]
    pub bucket_endpoint: Option<String>,
    /// The region of an `s3://BUCKET` source.
    #[arg(long, value_name = "REGION", default_value = "garage")]
    pub bucket_region: String,
    /// A tlog-policy file: the log key, the witnesses and the quorum of cosignatures required.
    #[arg(long, value_name = "FILE", conflicts_with = "log_key")]
    pub policy: Option<PathBuf>,
    /// The log's verifier key file (e.g. DIR/log.vkey); no cosignatures required.
    #[arg(long, value_name = "FILE")]
    pub log_key: Option<PathBuf>,
    /// The state file: checkpoints trusted so far, and tree-pass progress.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Keep full tiles and bundles fetched over HTTP here (they never change).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Also trust, for https:// sources, the CA certificates in this PEM file (one or more
    /// `BEGIN CERTIFICATE` blocks: the CA that issued the server's certificate). The platform's
    /// roots are trusted anyway (the system store, or SSL_CERT_FILE / SSL_CERT_DIR). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
    /// Do not recompute the findings, compliance and publications (tree, consistency and
    /// signatures only).
    #[arg(long)]
    pub no_replay: bool,
}

fn read_text(path: &Path, what: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::input(anyhow!("{what} {}: {e}", path.display())))
}

fn trust(a: &VerifyArgs) -> Result<Trust, Failure> {
    match (&a.policy, &a.log_key) {
        (Some(p), _) => {
            let text = read_text(p, "policy file")?;
            let policy = truce_log::policy::Policy::parse(&text)
                .map_err(|e| Failure::input(anyhow!("policy file {}: {e}", p.display())))?;
            Ok(Trust::Policy(policy))
        }
        (None, Some(k)) => {
            let text = read_text(k, "log key file")?;
            truce_log::parse_verifier(text.trim())
                .map_err(|e| Failure::input(anyhow!("log key file {}: {e}", k.display())))?;
            Ok(Trust::LogKey(text.trim().to_string()))
        }
        (None, None) => Err(Failure::input(anyhow!(
            "say what to trust: --log-key FILE (the log's verifier key) or --policy FILE (a tlog-policy with witnesses)"
        ))),
    }
}

/// A shared log's bucket read as a static mirror through the S3 API (no database): what
/// `truce verify s3://BUCKET` and `truce migrate` check.
pub struct BucketSource(pub truce_cluster::bucket::Bucket);

impl BucketSource {
    /// The bucket `name` at `endpoint`, with the credentials of TRUCE_BUCKET_KEY_ID and
    /// TRUCE_BUCKET_SECRET.
    pub fn open(name: &str, endpoint: &str, region: &str) -> Result<BucketSource, Failure> {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        let (key_id, secret) = (
            var(truce_cluster::spec::ENV_KEY_ID),
            var(truce_cluster::spec::ENV_SECRET),
        );
        if key_id.is_empty() || secret.is_empty() {
            return Err(Failure::input(anyhow!(
                "reading s3://{name} needs credentials: set TRUCE_BUCKET_KEY_ID and TRUCE_BUCKET_SECRET (or verify the bucket's public website URL instead)"
            )));
        }
        let spec = truce_cluster::spec::ClusterSpec {
            database: String::new(),
            bucket: truce_cluster::spec::BucketSpec {
                endpoint: endpoint.to_string(),
                name: name.trim_end_matches('/').to_string(),
                region: region.to_string(),
                key_id,
                secret,
                timeout_s: 30,
            },
        };
        truce_cluster::bucket::Bucket::open(&spec.bucket_config())
            .map(BucketSource)
            .map_err(Failure::input)
    }
}

impl Source for BucketSource {
    fn describe(&self) -> String {
        self.0.describe().to_string()
    }

    fn checkpoint(&self) -> Result<Vec<u8>, VerifyError> {
        let path = truce_cluster::bucket::CHECKPOINT;
        self.0
            .get(path)
            .map_err(|e| VerifyError::Unreachable {
                what: path.into(),
                why: e.to_string(),
            })?
            .ok_or_else(|| VerifyError::Unreachable {
                what: path.into(),
                why: "the bucket has no checkpoint object".into(),
            })
    }

    fn tile(&self, path: &truce_log::TilePath) -> Result<Option<Vec<u8>>, VerifyError> {
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

fn failure(e: VerifyError) -> Failure {
    if e.is_input() {
        Failure::input(e)
    } else {
        Failure::store(e)
    }
}

fn bar(out: &Out) -> ProgressBar {
    if out.quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} entries ({per_sec}, {eta} left) {msg}",
    ) {
        b.set_style(style);
    }
    b
}

/// `truce verify`.
pub fn run(a: &VerifyArgs, out: &Out) -> Result<(), Failure> {
    let trust = trust(a)?;
    let state = match &a.state {
        Some(s) => Some(s.clone()),
        None => {
            let d = default_state_path();
            if d.is_none() {
                tracing::warn!("neither XDG_STATE_HOME nor HOME is set: no state file, so no consistency check; give --state FILE");
            }
            d
        }
    };
    let http = a.source.starts_with("http://") || a.source.starts_with("https://");
    let source: Box<dyn Source> = if let Some(name) = a.source.strip_prefix("s3://") {
        let endpoint = a.bucket_endpoint.as_deref().ok_or_else(|| {
            Failure::input(anyhow!(
                "an s3:// source needs --bucket-endpoint URL (the S3 API, e.g. http://127.0.0.1:3900)"
            ))
        })?;
        Box::new(BucketSource::open(name, endpoint, &a.bucket_region)?)
    } else if http {
        Box::new(
            HttpSource::with_ca_certs(&a.source, a.cache.clone(), &a.ca_cert).map_err(failure)?,
        )
    } else {
        if a.cache.is_some() {
            tracing::warn!("--cache is for HTTP sources; a directory is read directly");
        }
        if !a.ca_cert.is_empty() {
            tracing::warn!("--ca-cert is for https:// sources; a directory is read directly");
        }
        Box::new(DirSource::new(&a.source))
    };
    let pb = bar(out);
    let opts = Options {
        trust,
        state,
        replay: !a.no_replay,
        progress: Some(Box::new(|phase, done, total| match phase {
            Phase::Entries => {
                pb.set_length(total);
                pb.set_position(done);
            }
            Phase::Judging => {
                pb.set_message("judging the replayed log");
                pb.enable_steady_tick(Duration::from_millis(120));
            }
        })),
    };
    let result = verify(source.as_ref(), &opts);
    pb.finish_and_clear();
    let report = result.map_err(failure)?;
    let value = serde_json::to_value(&report)
        .map_err(|e| Failure::input(anyhow!("encoding the report: {e}")))?;
    out.print(report.to_text(), value)?;
    if report.ok {
        return Ok(());
    }
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| format!("{}: {}", c.name, c.message))
        .collect();
    Err(Failure::verify(anyhow!(
        "verification of {} failed: {}",
        report.source,
        failed.join("; ")
    )))
}

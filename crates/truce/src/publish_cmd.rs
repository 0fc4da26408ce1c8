//! `truce publish`: records in the log what was published — the findings and compliance, or a
//! daily report — as a signed `publication` entry holding the SHA-256 of each document, the log
//! size it was computed at, the rules version and the parameters. The documents are computed by
//! `truce_views::publication::prepare`, the same code as `POST /v1/publications`, from the log
//! replayed to its latest checkpoint; the entry is appended right after that checkpoint.

use crate::datadir::DataDir;
use crate::domain_cmd::{load_signer, submit, OPERATOR};
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use truce_model::entry::Body;
use truce_model::{Id, Role, Time};
use truce_views::publication::{self, Publish};

/// The long help of `truce publish` and its subcommands.
pub const PUBLISH_HELP: &str = "\
WHAT IS PUBLISHED:
  findings      two documents: `findings`, the findings as one JSON array (byte for byte what
                `truce --json findings` prints), and `compliance`, the compliance tables as JSON
                (as views.db holds them), each ending with a newline.
  report-daily  one document, `report`: the daily report's JSON (byte for byte what
                `truce --json report daily --date D --tz Z` prints at that log size).
  Both are computed from the log replayed to its latest checkpoint (size N). The entry appended
  at index N says: what (`findings` or `report.daily`), size N, the rules version, the parameters
  (role; date, tz, cutoff if any and the signed checkpoint for a report) and the SHA-256 of each document.
  With --out DIR the documents are written to DIR/<name>.json, the exact bytes digested: post
  them, and anybody can check them with `sha256sum` against the entry.

SIGNING:
  By default the operator signs (DIR/operator.key, written by `truce init`). A monitor signs with
  --as PARTY --key FILE. Only the operator and monitors may publish; the entry is checked against
  the log (registered, unrevoked key; role) before it is appended. --role records the role the
  publisher acts in (default: the signer's registered role).

CHECKING:
  `truce verify` recomputes every publication made under the rules it implements at the
  publication's log size and fails, naming the entry's index, if a digest differs; a publication
  under other rules is listed as not recomputable. `GET /v1/publications` lists them.

EXAMPLES:
  truce --dir truce-demo publish findings --out published/
  truce --dir truce-demo publish report-daily --date 2025-03-21 --tz Europe/Kyiv
  truce --dir truce-demo publish findings --as osce --key osce.key --role monitor --json

EXIT CODES:
  0  published: the entry is durable in the log
  2  bad input: date, time zone, cut-off, role, key file, or the entry was refused (nothing was appended)
  3  the data directory, its database or the operator's key is missing or damaged, or the log
     grew while publishing (run again)
  With --json, an error is also printed on stdout as {\"error\": {\"message\", \"exit\"}}.";

/// `truce publish …`.
#[derive(Debug, Subcommand)]
pub enum PublishCommand {
    /// Publish the findings and the compliance tables: their SHA-256 in a signed entry.
    ///
    /// Computes the findings and compliance at the log's current size (as `truce findings` and
    /// `truce compliance` do), appends a `publication` entry with their digests and prints the
    /// entry's index and the digests.
    #[command(after_long_help = PUBLISH_HELP)]
    Findings(FindingsArgs),
    /// Publish the daily report of a day: its SHA-256 in a signed entry.
    ///
    /// Computes the report as `truce report daily` does (same --date, --tz and --cutoff),
    /// appends a `publication` entry with its digest, the date, the zone, the cut-off and the
    /// checkpoint it was computed at, and prints the entry's index and the digest.
    #[command(after_long_help = PUBLISH_HELP)]
    ReportDaily(ReportDailyArgs),
}

/// Who signs a publication.
#[derive(Debug, Args)]
pub struct SignerArgs {
    /// Sign as this party (a monitor) instead of the operator; needs --key.
    #[arg(long = "as", value_name = "PARTY", requires = "key")]
    pub author: Option<String>,
    /// The party's signer key file (with --as).
    #[arg(long, value_name = "FILE", requires = "author")]
    pub key: Option<PathBuf>,
    /// The role the publisher acts in [default: the signer's registered role].
    #[arg(long, value_enum)]
    pub role: Option<PublisherRole>,
    /// Also write each published document to DIR/<name>.json (the exact bytes digested).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `truce publish findings` arguments.
#[derive(Debug, Args)]
pub struct FindingsArgs {
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// `truce publish report-daily` arguments.
#[derive(Debug, Args)]
pub struct ReportDailyArgs {
    #[command(flatten)]
    pub day: crate::report_cmd::DayArgs,
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// The roles that publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PublisherRole {
    /// The operator.
    Operator,
    /// A monitor.
    Monitor,
}

impl PublisherRole {
    /// The role.
    fn role(self) -> Role {
        match self {
            PublisherRole::Operator => Role::Operator,
            PublisherRole::Monitor => Role::Monitor,
        }
    }
}

/// Runs a `truce publish` command. With --json, an error is also printed on stdout as JSON.
pub fn run(cmd: &PublishCommand, dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let r = match cmd {
        PublishCommand::Findings(a) => publish(dir, Publish::Findings, &a.signer, out),
        PublishCommand::ReportDaily(a) => a
            .day
            .day()
            .and_then(|day| publish(dir, Publish::ReportDaily(day), &a.signer, out)),
    };
    if let (Err(f), true) = (&r, out.json) {
        println!(
            "{}",
            json!({"error": {"message": format!("{:#}", f.error), "exit": f.code}})
        );
    }
    r
}

fn spinner(out: &Out, msg: &str) -> ProgressBar {
    if out.quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    b.set_message(msg.to_string());
    b.enable_steady_tick(Duration::from_millis(120));
    b
}

/// The signer: the operator's key by default, or `--as PARTY --key FILE`.
fn signer(dir: &DataDir, a: &SignerArgs) -> Result<(Id, signed_note::StandardSigner), Failure> {
    match (&a.author, &a.key) {
        (Some(author), Some(key)) => {
            let id = Id::new(author).map_err(|e| Failure::input(anyhow!("--as: {e}")))?;
            let s = load_signer(key)?;
            use signed_note::Signer;
            if s.name() != author {
                return Err(Failure::input(anyhow!(
                    "{}: the key is named `{}`, not `{author}`: sign with a key registered to `{author}`",
                    key.display(),
                    s.name()
                )));
            }
            Ok((id, s))
        }
        _ => {
            let s = load_signer(&dir.operator_key()).map_err(|f| {
                Failure::store(anyhow!(
                    "{:#}: the operator's key (written by `truce init`) signs publications; a monitor signs with --as PARTY --key FILE",
                    f.error
                ))
            })?;
            Ok((
                Id::new(OPERATOR).map_err(|e| Failure::input(anyhow!(e)))?,
                s,
            ))
        }
    }
}

fn write_documents(to: &Path, docs: &[(String, Vec<u8>)]) -> Result<Vec<PathBuf>, Failure> {
    std::fs::create_dir_all(to).map_err(|e| Failure::input(anyhow!("{}: {e}", to.display())))?;
    docs.iter()
        .map(|(name, data)| {
            let p = to.join(format!("{name}.json"));
            std::fs::write(&p, data)
                .map_err(|e| Failure::input(anyhow!("{}: {e}", p.display())))?;
            Ok(p)
        })
        .collect()
}

fn publish(dir: &DataDir, what: Publish, a: &SignerArgs, out: &Out) -> Result<(), Failure> {
    let mut seq = dir.sequencer()?;
    let (author, signer) = signer(dir, a)?;
    let bar = spinner(out, "replaying the log");
    let (cp, ledger) =
        publication::replay_at_checkpoint(seq.reader()).map_err(|e| Failure::store(anyhow!(e)))?;
    if cp.size != seq.size() {
        return Err(Failure::store(anyhow!(
            "the log grew while it was replayed (size {} → {}): run `truce publish` again",
            seq.size(),
            cp.size
        )));
    }
    let registered = ledger.parties.get(&author).map(|p| p.role);
    let role = match (registered, a.role.map(PublisherRole::role)) {
        (None, _) => {
            return Err(Failure::input(anyhow!(
                "`{author}` is not a registered party: `truce party list` shows who is"
            )))
        }
        (Some(r), None) => r,
        (Some(r), Some(want)) if r == want => r,
        (Some(r), Some(want)) => {
            return Err(Failure::input(anyhow!(
                "--role {}: `{author}` is registered with the role {}, and publishes in it",
                want.as_str(),
                r.as_str()
            )))
        }
    };
    let mut admit = ledger.clone();
    bar.set_message(format!("judging {} reports", ledger.reports.len()));
    let mut params = BTreeMap::new();
    params.insert("role".to_string(), role.as_str().to_string());
    let prepared = publication::prepare(&dir.path, seq.reader(), ledger, &cp, what, params)
        .map_err(|e| Failure::input(anyhow!(e)))?;
    bar.finish_and_clear();
    let files = match &a.out {
        Some(to) => write_documents(to, &prepared.documents)?,
        None => Vec::new(),
    };
    let (index, envs) = submit(
        dir,
        &mut seq,
        &mut admit,
        &author,
        &signer,
        Time(jiff::Timestamp::now()),
        &[Body::Publication(prepared.body.clone())],
        &format!("publish {}", prepared.body.what),
    )?;
    let body = &prepared.body;
    let mut text = format!(
        "published {} at log size {} (rules {}) as {author}: entry {index} ({})\n",
        body.what,
        body.size,
        body.rules,
        &envs[0].id[..16]
    );
    for (name, digest) in &body.sha256 {
        text.push_str(&format!("  {name:<11} sha256 {digest}\n"));
    }
    for p in &files {
        text.push_str(&format!("  wrote {}\n", p.display()));
    }
    text.push_str("`truce verify` recomputes it; `GET /v1/publications` lists it\n");
    out.print(
        text,
        json!({
            "index": index,
            "entry_id": envs[0].id,
            "author": author,
            "publication": body,
            "files": files,
        }),
    )
}

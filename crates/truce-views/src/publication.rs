//! Publications: what the operator (or a monitor) published — the findings and compliance, or a
//! daily report — recorded in the log as a signed `publication` entry holding the SHA-256 of each
//! published document, the log size it was computed at, the rules version and the parameters, so
//! anybody can later prove what was published, when, and recompute it (`truce verify` does).
//!
//! [`prepare`] is the one computation behind `truce publish` and `POST /v1/publications`: it
//! judges a ledger replayed to a checkpoint (as [`crate::derived`] does for the views) and
//! encodes the documents:
//!
//! - `findings` (`what = "findings"`): the engine's findings as one JSON array, each finding
//!   encoded as `views.db` stores it and `GET /v1/findings` serves it, then a newline — byte for
//!   byte what `truce --json findings` prints;
//! - `compliance` (`what = "findings"`): the compliance tables as `views.db` stores them, then a
//!   newline;
//! - `report` (`what = "report.daily"`): the daily report's JSON, byte for byte what
//!   `truce --json report daily --date D --tz Z` prints at that checkpoint. The report
//!   embeds the signed checkpoint it was computed at, so that note is a parameter
//!   (`checkpoint`) of the publication: a verifier checks its signature and root, then
//!   recomputes the report with it.
//!
//! Parameters: `date`, `tz` (an IANA time zone or a UTC offset `±HH:MM`) and, unless the day
//! runs midnight to midnight, `cutoff` (`HH:MM`) for a daily report; `role` (the role
//! the publisher acts in) and, through the API, `requested_by` (the token's party when the
//! operator's key signs for a monitor). `role` and `requested_by` never change the documents.
//!
//! HTTP (in `truce-server`): `POST /v1/publications` (an operator or monitor token; the server
//! signs with the operator's key, `DIR/operator.key`, and appends through the writer thread) and
//! `GET /v1/publications` (public: every publication entry, in log order).

use crate::derived::{self, DerivedError};
use crate::source::LogSource;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use truce_engine::RULES_VERSION;
use truce_log::SignedCheckpoint;
use truce_model::domain::Publication;
use truce_model::Ledger;
use truce_report::{CheckpointInfo, DailyInput, DailyReport, Day};

/// `what` of a publication of the findings and compliance.
pub const FINDINGS: &str = "findings";
/// `what` of a publication of a daily report.
pub const REPORT_DAILY: &str = "report.daily";

/// What to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Publish {
    /// The findings and the compliance tables (documents `findings` and `compliance`).
    Findings,
    /// The daily report of a day in a time zone (document `report`).
    ReportDaily(Day),
}

impl Publish {
    /// The publication's `what`.
    pub fn what(&self) -> &'static str {
        match self {
            Publish::Findings => FINDINGS,
            Publish::ReportDaily(_) => REPORT_DAILY,
        }
    }
}

/// A publication ready to be signed: its body and the exact bytes of each document it digests.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The body of the `publication` entry.
    pub body: Publication,
    /// Each published document by name (`findings`, `compliance`, `report`), its exact bytes.
    pub documents: Vec<(String, Vec<u8>)>,
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, DerivedError> {
    let mut b = serde_json::to_vec(v).map_err(|e| DerivedError::Encode(e.to_string()))?;
    b.push(b'\n');
    Ok(b)
}

/// Replays the log up to its latest checkpoint; the checkpoint and the ledger describe the same
/// log (replayed again, at most three times, if it grew in between).
pub fn replay_at_checkpoint(
    reader: &dyn LogSource,
) -> Result<(SignedCheckpoint, Ledger), DerivedError> {
    let mut last = (0, 0);
    for _ in 0..3 {
        let cp = reader.checkpoint()?;
        let (ledger, size) = derived::replay(reader)?;
        if size == cp.size {
            return Ok((cp, ledger));
        }
        last = (size, cp.size);
    }
    Err(DerivedError::Moved {
        stored: last.0,
        expected: last.1,
    })
}

/// The root of a checkpoint as the engine's stamps and the report write it (empty for size 0).
fn root_text(cp: &SignedCheckpoint) -> String {
    if cp.size == 0 {
        String::new()
    } else {
        cp.root.to_string()
    }
}

/// The daily report of `day` from `ledger`, replayed to exactly `cp`: what `truce report daily`
/// computes, and `truce publish report-daily` publishes. Its "Changes to readings" (the versions
/// of readings filed on the day, with the findings each changed) are computed through
/// [`crate::history`], with the views cached per log size in the data directory `dir`.
pub fn daily_report(
    dir: &Path,
    reader: &dyn LogSource,
    ledger: Ledger,
    cp: &SignedCheckpoint,
    day: Day,
) -> Result<DailyReport, DerivedError> {
    let changes = crate::history::changes_filed_on(dir, reader, &ledger, &day, &mut |_| {})?;
    let commitments = truce_model::views::commitments(&ledger);
    let notes = truce_report::FrontNotes::of(&ledger);
    let root = root_text(cp);
    let (judgement, stamp) = derived::judge_ledger(ledger, cp.size, root.clone());
    let compliance = truce_engine::compliance(&judgement.findings);
    let input = DailyInput {
        day,
        judgement: &judgement,
        compliance: &compliance,
        commitments: &commitments,
        checkpoint: CheckpointInfo {
            origin: cp.origin.clone(),
            size: cp.size,
            root,
            note: cp.note_text(),
        },
        rules: stamp.rules,
    };
    Ok(truce_report::daily_with_front(&input, &changes, &notes))
}

/// Computes what `what` publishes from `ledger`, replayed to exactly `cp`, and the body of the
/// publication entry (at size `cp.size`, under [`RULES_VERSION`], with `params` plus the
/// parameters `what` needs). `dir` is the data directory and `reader` reads its log (a daily
/// report's changes to readings judge earlier sizes: [`daily_report`]).
pub fn prepare(
    dir: &Path,
    reader: &dyn LogSource,
    ledger: Ledger,
    cp: &SignedCheckpoint,
    what: Publish,
    mut params: BTreeMap<String, String>,
) -> Result<Prepared, DerivedError> {
    let documents = match &what {
        Publish::Findings => {
            let (j, _) = derived::judge_ledger(ledger, cp.size, root_text(cp));
            let c = truce_engine::compliance(&j.findings);
            vec![
                ("findings".to_string(), encode(&j.findings)?),
                ("compliance".to_string(), encode(&c)?),
            ]
        }
        Publish::ReportDaily(day) => {
            for (k, v) in day.params() {
                params.insert(k.into(), v);
            }
            params.insert("checkpoint".into(), cp.note_text());
            let report = daily_report(dir, reader, ledger, cp, day.clone())?;
            vec![("report".to_string(), report.to_json().into_bytes())]
        }
    };
    let sha256 = documents
        .iter()
        .map(|(n, d)| (n.clone(), sha256_hex(d)))
        .collect();
    Ok(Prepared {
        body: Publication {
            what: what.what().to_string(),
            size: cp.size,
            rules: RULES_VERSION.to_string(),
            params,
            sha256,
        },
        documents,
    })
}

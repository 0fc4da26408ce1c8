//! The `publications` check: every `publication` entry (what the operator or a monitor published:
//! the SHA-256 of documents computed from the log at some size, under some rules) is recomputed
//! and its digests compared.
//!
//! A publication's `size` is at most its own index, so its documents are computed from a prefix
//! of the log that the one forward pass has already gone by when the entry is read. The sizes are
//! therefore known beforehand: from the source's list (`GET /v1/publications`) or, for a mirror,
//! a quick pre-scan of the entry bundles for `"kind":"publication"`. During the pass, when the
//! replayed ledger reaches such a size, it is judged there and the documents' digests kept (not
//! the ledger), so memory does not grow with the number of publications. After the pass, each
//! publication the replay accepted is compared with what was recomputed at its size. The pre-scan
//! only says where to stop: what is compared is the entry the verified pass replayed, so a list
//! that omits a publication fails it rather than skipping it.
//!
//! The documents are encoded exactly as `truce publish` / `POST /v1/publications` encode them:
//! `findings` (the engine's findings as one JSON array, then a newline), `compliance` (the
//! compliance tables, then a newline) and `report` (the daily report's JSON, computed with the
//! signed checkpoint the publication carries in its `checkpoint` parameter, whose signature,
//! size and root are checked first).

use crate::source::Source;
use crate::{PublicationCheck, PublicationStatus, PublishedDigest, VerifyError};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use truce_engine::{Params, Snapshot, RULES_VERSION};
use truce_log::{decode_bundle, open_checkpoint, parse_verifier, Hash, TileKind, TilePath};
use truce_log::{SignedCheckpoint, TILE_WIDTH};
use truce_model::domain::Publication;
use truce_model::ledger::Record;
use truce_model::Ledger;
use truce_report::{CheckpointInfo, DailyInput, Day};

/// `what` of a publication of the findings and compliance.
const FINDINGS: &str = "findings";
/// `what` of a publication of a daily report.
const REPORT_DAILY: &str = "report.daily";
/// Parameters that record who published and never change the documents.
const PROVENANCE: &[&str] = &["role", "requested_by"];

/// How a publication can be recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// The findings and compliance at its size.
    Findings,
    /// The daily report of `day` at its size, with the checkpoint note it carries.
    Report { day: Day, note: String },
    /// Made under other rules, or of a kind or with parameters this verifier does not know.
    NotRecomputable(String),
    /// Of a kind this verifier knows, but malformed (fails).
    Invalid(String),
}

/// The plan for a publication.
pub(crate) fn plan(p: &Publication) -> Plan {
    if p.rules != RULES_VERSION {
        return Plan::NotRecomputable(format!("rules {}", p.rules));
    }
    let known: &[&str] = match p.what.as_str() {
        FINDINGS => &[],
        REPORT_DAILY => &["date", "tz", "cutoff", "checkpoint"],
        other => return Plan::NotRecomputable(format!("a publication of {other:?}")),
    };
    if let Some(k) = p
        .params
        .keys()
        .find(|k| !known.contains(&k.as_str()) && !PROVENANCE.contains(&k.as_str()))
    {
        return Plan::NotRecomputable(format!("parameter `{k}` is unknown to this verifier"));
    }
    if p.what == FINDINGS {
        return Plan::Findings;
    }
    let get = |k: &str| p.params.get(k).cloned();
    match (get("date"), get("tz"), get("checkpoint")) {
        (Some(date), Some(tz), Some(note)) => {
            match Day::new(&date, &tz, get("cutoff").as_deref()) {
                Ok(day) => Plan::Report { day, note },
                Err(e) => Plan::Invalid(e.to_string()),
            }
        }
        _ => Plan::Invalid(
            "a daily report's publication needs the parameters date, tz and checkpoint".into(),
        ),
    }
}

/// The publications a source lists or a pre-scan of its bundles finds: `(index, body)`.
pub(crate) type Listed = Vec<(u64, Publication)>;

/// Reads every entry bundle of a log of `size` entries and returns the publication entries in it
/// (signatures unchecked: this only says at which sizes to judge). Missing or malformed bundles
/// are passed over; the tree pass names them.
pub(crate) fn scan(source: &dyn Source, size: u64) -> Result<Listed, VerifyError> {
    let needle = memchr::memmem::Finder::new(b"\"kind\":\"publication\"");
    let mut out = Vec::new();
    for n in 0..size.div_ceil(TILE_WIDTH) {
        let want = (size - n * TILE_WIDTH).min(TILE_WIDTH);
        let path = TilePath {
            kind: TileKind::Entries,
            n,
            width: want as u16,
        };
        let Some(data) = source.tile(&path)? else {
            continue;
        };
        let Ok(entries) = decode_bundle(&data) else {
            continue;
        };
        for (k, e) in entries.iter().take(want as usize).enumerate() {
            if needle.find(e).is_none() {
                continue;
            }
            if let Some(p) = publication_of(e) {
                out.push((n * TILE_WIDTH + k as u64, p));
            }
        }
    }
    Ok(out)
}

/// The body of a publication entry, if `entry` is one.
fn publication_of(entry: &[u8]) -> Option<Publication> {
    let v: serde_json::Value = serde_json::from_slice(entry).ok()?;
    if v.get("kind")?.as_str()? != "publication" {
        return None;
    }
    serde_json::from_value(v.get("body")?.clone()).ok()
}

/// The parameters that name a report's day (`Day::params`).
type DayParams = Vec<(&'static str, String)>;

/// What was recomputed at one log size.
#[derive(Debug, Default)]
pub(crate) struct AtSize {
    /// Digests of `findings` and `compliance`, when a findings publication was at this size.
    findings: BTreeMap<String, String>,
    /// Digest of `report` by (the day's parameters, checkpoint note), or why it could not be
    /// computed.
    reports: BTreeMap<(DayParams, String), Result<String, String>>,
}

fn hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn document<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut b = serde_json::to_vec(v).unwrap_or_default();
    b.push(b'\n');
    b
}

/// The log's checkpoint a report publication carries, checked: signed by the log key, of this
/// log, of the publication's size, with the root recomputed from the first `size` entries.
fn checked_note(
    note: &str,
    vkeys: &[String],
    origin: &str,
    size: u64,
    root: &Hash,
) -> Result<SignedCheckpoint, String> {
    let cp = vkeys
        .iter()
        .filter_map(|k| parse_verifier(k.trim()).ok())
        .find_map(|v| open_checkpoint(note.as_bytes(), &v).ok())
        .ok_or("its `checkpoint` parameter is not a checkpoint signed by the log key")?;
    if cp.origin != origin {
        return Err(format!(
            "its `checkpoint` is of the log {}, not {origin}",
            cp.origin
        ));
    }
    if cp.size != size {
        return Err(format!(
            "its `checkpoint` is of size {}, not the publication's size {size}",
            cp.size
        ));
    }
    if size > 0 && cp.root != *root {
        return Err(format!(
            "its `checkpoint` has root {} but the first {size} entries hash to {root}: the report was computed on another history (a fork)",
            cp.root
        ));
    }
    Ok(cp)
}

/// Judges `ledger` (replayed to `size` entries, whose tree has root `root`) and computes the
/// digests `wanted` needs. `vkeys` are the log's verifier keys (to check a report's checkpoint).
pub(crate) fn recompute(
    size: u64,
    ledger: &Ledger,
    root: &Hash,
    wanted: &[Plan],
    vkeys: &[String],
    origin: &str,
    changes: &[truce_report::VersionChange],
) -> AtSize {
    let mut at = AtSize::default();
    let reports: Vec<(&Day, &String)> = wanted
        .iter()
        .filter_map(|p| match p {
            Plan::Report { day, note } => Some((day, note)),
            _ => None,
        })
        .collect();
    if reports.is_empty() && !wanted.contains(&Plan::Findings) {
        return at;
    }
    let commitments = if reports.is_empty() {
        Vec::new()
    } else {
        truce_model::views::commitments(ledger)
    };
    // With its snapshot: a daily report counts the background detections read from it.
    let j = truce_engine::Judged::new(
        Snapshot::from_ledger(ledger.clone(), size),
        &Params::default(),
    );
    let compliance = truce_engine::compliance(&j.findings);
    // The line-of-contact section's sectors and restrictions, read as the operator reads them.
    let notes = if reports.is_empty() {
        truce_report::FrontNotes::default()
    } else {
        truce_report::FrontNotes::of(ledger)
    };
    if wanted.contains(&Plan::Findings) {
        at.findings
            .insert("findings".into(), hex(&document(&j.findings)));
        at.findings
            .insert("compliance".into(), hex(&document(&compliance)));
    }
    for (day, note) in reports {
        let key = (day.params(), note.clone());
        if at.reports.contains_key(&key) {
            continue;
        }
        let digest = checked_note(note, vkeys, origin, size, root).map(|cp| {
            // The changes to readings known at this size (a version and the entry after it).
            let known: Vec<truce_report::VersionChange> =
                changes.iter().filter(|c| c.index < size).cloned().collect();
            let report = truce_report::daily_with_front(
                &DailyInput {
                    day: day.clone(),
                    judgement: &j,
                    compliance: &compliance,
                    commitments: &commitments,
                    checkpoint: CheckpointInfo {
                        origin: cp.origin.clone(),
                        size,
                        root: if size == 0 {
                            String::new()
                        } else {
                            root.to_string()
                        },
                        note: cp.note_text(),
                    },
                    rules: RULES_VERSION.to_string(),
                },
                &known,
                &notes,
            );
            hex(report.to_json().as_bytes())
        });
        at.reports.insert(key, digest);
    }
    at
}

/// The days of the daily reports among the plans: a reading version filed on one of them is a
/// "change to readings" its report names, judged as known just before and just after it.
pub(crate) fn report_days(wanted: &BTreeMap<u64, Vec<Plan>>) -> Vec<Day> {
    let mut days: Vec<Day> = Vec::new();
    for p in wanted.values().flatten() {
        if let Plan::Report { day, .. } = p {
            if !days
                .iter()
                .any(|d| d.start() == day.start() && d.end() == day.end())
            {
                days.push(day.clone());
            }
        }
    }
    days
}

/// What the reading version entry `bytes` (about to be applied at `index`) changed, if it was
/// filed on one of `days`: judged on `before` (the ledger of the first `index` entries) and on
/// `after` (with it applied), as `truce_views::history` does for the operator.
pub(crate) fn version_change_at(
    days: &[Day],
    index: u64,
    bytes: &[u8],
    before: &Ledger,
    after: &Ledger,
) -> Option<truce_report::VersionChange> {
    let env = truce_model::decode(bytes).ok()?;
    let truce_model::Body::Reading(r) = &env.body else {
        return None;
    };
    let t = env.time.0.as_second();
    if !days.iter().any(|d| d.start() <= t && t < d.end()) {
        return None;
    }
    let versions = after
        .reading_versions
        .get(&(r.agreement.clone(), env.author.clone()))?;
    let k = versions.iter().position(|v| v.index == index)?;
    let zone = after.agreement_zone(&r.agreement)?;
    let judge = |l: &Ledger, size: u64| {
        truce_engine::judge(&Snapshot::from_ledger(l.clone(), size), &Params::default()).findings
    };
    truce_report::version_change(
        &r.agreement,
        &zone,
        versions,
        k,
        &judge(before, index),
        &judge(after, index + 1),
    )
}

/// The sizes to judge at, and the plans at each: the listed publications within the log of
/// `log_size` entries that can be recomputed.
pub(crate) fn wanted(listed: &Listed, log_size: u64) -> BTreeMap<u64, Vec<Plan>> {
    let mut out: BTreeMap<u64, Vec<Plan>> = BTreeMap::new();
    for (index, p) in listed {
        if *index >= log_size || p.size > *index {
            continue;
        }
        let pl = plan(p);
        if matches!(pl, Plan::Findings | Plan::Report { .. }) {
            let v = out.entry(p.size).or_default();
            if !v.contains(&pl) {
                v.push(pl);
            }
        }
    }
    out
}

fn short(d: &str) -> String {
    d.chars().take(16).collect()
}

/// Compares one publication (accepted by the replay) with what was recomputed.
pub(crate) fn compare(
    r: &Record<Publication>,
    recomputed: &BTreeMap<u64, AtSize>,
    listed_by: &str,
) -> PublicationCheck {
    let p = &r.value;
    let mut c = PublicationCheck {
        index: r.index,
        author: r.author.to_string(),
        what: p.what.clone(),
        size: p.size,
        rules: p.rules.clone(),
        params: p.params.clone(),
        status: PublicationStatus::Ok,
        message: String::new(),
        digests: p
            .sha256
            .iter()
            .map(|(n, d)| {
                (
                    n.clone(),
                    PublishedDigest {
                        published: d.clone(),
                        recomputed: None,
                    },
                )
            })
            .collect(),
    };
    let fail = |mut c: PublicationCheck, why: String| {
        c.status = PublicationStatus::Failed;
        c.message = why;
        c
    };
    if p.size > r.index {
        return fail(
            c,
            format!(
                "computed at log size {}, beyond its own index: no log of that size existed when it was published",
                p.size
            ),
        );
    }
    let expected: BTreeMap<String, Result<String, String>> = match plan(p) {
        Plan::NotRecomputable(why) => {
            c.status = PublicationStatus::NotRecomputable;
            c.message = format!("not recomputable ({why})");
            return c;
        }
        Plan::Invalid(why) => return fail(c, why),
        plan => {
            let Some(at) = recomputed.get(&p.size) else {
                return fail(
                    c,
                    format!(
                        "not recomputed: {listed_by} did not name it, so the replay did not stop at size {}",
                        p.size
                    ),
                );
            };
            match plan {
                Plan::Findings => at
                    .findings
                    .iter()
                    .map(|(n, d)| (n.clone(), Ok(d.clone())))
                    .collect(),
                Plan::Report { day, note } => {
                    let key = (day.params(), note);
                    let Some(d) = at.reports.get(&key) else {
                        return fail(
                            c,
                            format!(
                                "not recomputed: {listed_by} did not name it, so the replay did not compute this report"
                            ),
                        );
                    };
                    [("report".to_string(), d.clone())].into_iter().collect()
                }
                _ => BTreeMap::new(),
            }
        }
    };
    let mut differ = Vec::new();
    let mut unknown = Vec::new();
    let mut equal = Vec::new();
    for (name, published) in &p.sha256 {
        match expected.get(name) {
            None => unknown.push(name.clone()),
            Some(Err(why)) => return fail(c, why.clone()),
            Some(Ok(re)) => {
                if let Some(d) = c.digests.get_mut(name) {
                    d.recomputed = Some(re.clone());
                }
                if re == published {
                    equal.push(name.clone());
                } else {
                    differ.push(format!(
                        "`{name}` differs: published {}…, recomputed {}…",
                        short(published),
                        short(re)
                    ));
                }
            }
        }
    }
    let unknown_note = if unknown.is_empty() {
        String::new()
    } else {
        format!(
            "; not recomputable: {} (no such document of {})",
            unknown.join(", "),
            p.what
        )
    };
    if !differ.is_empty() {
        return fail(c, format!("{}{unknown_note}", differ.join("; ")));
    }
    if equal.is_empty() {
        c.status = PublicationStatus::NotRecomputable;
        c.message = format!("not recomputable{unknown_note}");
        return c;
    }
    c.message = format!("{} recomputed: equal{unknown_note}", equal.join(", "));
    c
}

/// The sizes to stop at (for the tree pass).
pub(crate) fn sizes(w: &BTreeMap<u64, Vec<Plan>>) -> BTreeSet<u64> {
    w.keys().copied().collect()
}

//! An agreement's lifecycle in its history (`truce agreement history`, `GET
//! /v1/agreements/{id}/history`): every consent to extend it (`extension` entries) and every
//! status of a condition precedent its readings list (`condition` entries), in log order, each
//! with what it meant under each party's reading just after it was logged (an extension agreed
//! and from when, or proposed and awaiting whom) and the findings it changed — judged as known
//! just before it was logged (log size `index`) and just after (`index + 1`), like a reading's
//! versions. What an event changed is kept once computed (`DIR/lifecycle-changes/<index>.json`,
//! stamped with the root of the log's first `index + 1` entries and the rules version;
//! disposable).

use crate::db::FindingFilter;
use crate::derived::{self, DerivedError, Progress};
use crate::source::LogSource;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use truce_engine::Finding;
use truce_model::domain::Reading;
use truce_model::ledger::Record;
use truce_model::lifecycle::{self, Required};
use truce_model::{views, Id, Ledger, Time};
use truce_report::FindingChange;

/// One consent to extend the agreement, or one status of a condition its readings list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleEvent {
    /// `extension` or `condition`.
    pub kind: String,
    /// Who filed it.
    pub party: String,
    /// Its log index.
    pub index: u64,
    /// Its entry id (hex SHA-256).
    pub entry_id: String,
    /// When it was filed (the entry's stated time, RFC 3339 UTC).
    pub filed: String,
    /// From when it applies (the filing time unless it states `effective_from`).
    pub effective_from: String,
    /// Set when it applies from before its filing: allowed, and flagged.
    pub retroactive: bool,
    /// Set when its author retracted it since (it no longer counts).
    pub retracted: bool,
    /// What it says: `consents to extend the window to …`, `condition … : met`.
    pub what: String,
    /// Under each party's reading as it stood just after this entry: the extension agreed (and
    /// from when) or proposed and awaiting whom; the condition's status, or that the reading does
    /// not list it.
    pub under: BTreeMap<String, String>,
    /// The findings it changed, by reading party (judged as known at sizes `index` and
    /// `index + 1`).
    pub findings_changed: BTreeMap<String, Vec<FindingChange>>,
    /// The event in one sentence.
    pub sentence: String,
}

/// Each party's reading of `agreement` as it stood before log index `index` (the latest version
/// logged before it, not retracted).
fn readings_before<'a>(
    ledger: &'a Ledger,
    agreement: &Id,
    index: u64,
) -> Vec<(String, &'a Record<Reading>)> {
    ledger
        .reading_versions
        .iter()
        .filter(|((a, _), _)| a == agreement)
        .filter_map(|((_, party), vs)| {
            vs.iter()
                .rev()
                .find(|v| v.index < index && v.retracted.is_none())
                .map(|v| (party.to_string(), v))
        })
        .collect()
}

/// The events of `agreement`'s lifecycle in a replayed ledger, in log order, without the
/// findings they changed.
pub fn events_of(ledger: &Ledger, agreement: &Id) -> Vec<LifecycleEvent> {
    let mut out = Vec::new();
    for x in ledger
        .extensions
        .iter()
        .filter(|x| &x.value.agreement == agreement)
    {
        let effective = x.value.effective_from.unwrap_or(x.time);
        let consents: Vec<_> = views::consents_of(ledger, agreement)
            .into_iter()
            .filter(|c| c.index <= x.index)
            .collect();
        let under = readings_before(ledger, agreement, x.index + 1)
            .into_iter()
            .map(|(party, r)| {
                let state = lifecycle::extensions(&Required::of(&r.value.terms), &consents)
                    .into_iter()
                    .find(|e| e.until == x.value.until);
                let words = match state {
                    Some(e) => views::extension_words(&e),
                    None => "retracted: no consent to this end counts".into(),
                };
                (party, words)
            })
            .collect();
        out.push(event(
            "extension",
            x,
            effective,
            format!("consents to extend the window to {}", x.value.until),
            under,
        ));
    }
    // The conditions any version of any reading of the agreement lists.
    let listed: BTreeSet<&Id> = ledger
        .reading_versions
        .iter()
        .filter(|((a, _), _)| a == agreement)
        .flat_map(|(_, vs)| {
            vs.iter()
                .flat_map(|v| v.value.terms.conditions.iter().map(|c| &c.id))
        })
        .collect();
    for cid in listed {
        for c in ledger.condition_versions.get(cid).into_iter().flatten() {
            let effective = c.value.effective_from.unwrap_or(c.time);
            let under = readings_before(ledger, agreement, c.index + 1)
                .into_iter()
                .map(|(party, r)| {
                    let belligerent = ledger
                        .parties
                        .get(&c.author)
                        .is_some_and(|p| p.role == truce_model::Role::Belligerent);
                    let words = match r.value.terms.conditions.iter().find(|x| &x.id == cid) {
                        // Only an attester's status counts under a reading.
                        Some(x) if !x.attested(&c.author, belligerent, &r.author) => format!(
                            "not counted: {} does not attest it under this reading ({})",
                            c.author,
                            x.attesters_words(&r.author)
                        ),
                        Some(_) => format!(
                            "{} from {effective}: the reading is in force only while it is met",
                            c.value.status.as_str()
                        ),
                        None => "not a condition of this reading".into(),
                    };
                    (party, words)
                })
                .collect();
            out.push(event(
                "condition",
                c,
                effective,
                format!(
                    "condition {cid} ({}): {}",
                    c.value.title,
                    c.value.status.as_str()
                ),
                under,
            ));
        }
    }
    out.sort_by_key(|e| e.index);
    out
}

fn event<T>(
    kind: &str,
    r: &Record<T>,
    effective: Time,
    what: String,
    under: BTreeMap<String, String>,
) -> LifecycleEvent {
    let mut e = LifecycleEvent {
        kind: kind.into(),
        party: r.author.to_string(),
        index: r.index,
        entry_id: r.entry_id.clone(),
        filed: r.time.to_string(),
        effective_from: effective.to_string(),
        retroactive: effective < r.time,
        retracted: r.retracted.is_some(),
        what,
        under,
        findings_changed: BTreeMap::new(),
        sentence: String::new(),
    };
    e.sentence = sentence(&e);
    e
}

/// The event in one sentence: "ua consents to extend the window to 2025-05-16T21:00:00Z (filed
/// …, effective from …): under ru's reading agreed by ru, ua …; 2 findings change".
pub fn sentence(e: &LifecycleEvent) -> String {
    let mut s = format!(
        "{} {} (filed {}, effective from {}{}){}",
        e.party,
        e.what,
        e.filed,
        e.effective_from,
        if e.retroactive { ", retroactive" } else { "" },
        if e.retracted {
            " (since retracted)"
        } else {
            ""
        }
    );
    for (party, w) in &e.under {
        s.push_str(&format!("; under {party}'s reading: {w}"));
    }
    let n: usize = e.findings_changed.values().map(Vec::len).sum();
    s.push_str(&match n {
        0 => "; no finding changes".to_string(),
        1 => "; 1 finding changes".to_string(),
        n => format!("; {n} findings change"),
    });
    s
}

/// The findings under each reading of `agreement` that differ between `before` and `after`.
pub fn findings_changed(
    agreement: &Id,
    before: &[Finding],
    after: &[Finding],
) -> BTreeMap<String, Vec<FindingChange>> {
    let readings: BTreeSet<&Id> = before.iter().chain(after).map(|f| &f.reading).collect();
    readings
        .into_iter()
        .filter_map(|r| {
            let c = truce_report::changes::findings_changed(agreement, r, before, after);
            (!c.is_empty()).then(|| (r.to_string(), c))
        })
        .collect()
}

/// The lifecycle events of `agreement` in a ledger replayed from `reader`, each with the
/// findings it changed (kept once computed).
pub fn events(
    dir: &Path,
    reader: &dyn LogSource,
    ledger: &Ledger,
    agreement: &Id,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<LifecycleEvent>, DerivedError> {
    with_changes(
        dir,
        reader,
        agreement,
        events_of(ledger, agreement),
        progress,
    )
}

/// `events` (from [`events_of`]) with the findings each changed: judged without the ledger, so a
/// server holds its lock only to read the events.
pub fn with_changes(
    dir: &Path,
    reader: &dyn LogSource,
    agreement: &Id,
    mut out: Vec<LifecycleEvent>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<LifecycleEvent>, DerivedError> {
    let filter = FindingFilter {
        agreement: Some(agreement.to_string()),
        ..Default::default()
    };
    for e in &mut out {
        let root = derived::root_at(reader, e.index + 1)?;
        let changed = match crate::derived::kept(dir, "lifecycle-changes", e.index, &root) {
            Some(c) => c,
            None => {
                let before = derived::findings_at(dir, reader, e.index, &filter, progress)?;
                let after = derived::findings_at(dir, reader, e.index + 1, &filter, progress)?;
                let c = findings_changed(agreement, &before, &after);
                crate::derived::keep(dir, "lifecycle-changes", e.index, &root, &c);
                c
            }
        };
        e.findings_changed = changed;
        e.sentence = sentence(e);
    }
    Ok(out)
}

//! The history of readings: every version of every party's reading of an agreement, what each
//! changed from the party's previous version, and the findings it changed — the findings under
//! that reading as known just before the version was logged (log size `index`) and just after
//! (`index + 1`), read from the views cached per size ([`crate::derived::findings_at`]). One
//! computation and one JSON shape ([`History`], of [`truce_report::VersionChange`]s, each with
//! its sentence) for `truce agreement history`, `GET /v1/agreements/{id}/history` (and the
//! dashboard, which reads it), and the daily report's "Changes to readings"
//! ([`changes_filed_on`]).
//!
//! What a version changed is a function of the log's first `index + 1` entries, so it is kept
//! once computed: `DIR/version-changes/<index>.json`, stamped with the root of those entries
//! and the rules version (disposable like `views.db`; a stamp that does not match recomputes).

use crate::db::FindingFilter;
use crate::derived::{self, DerivedError, Progress};
use crate::source::LogSource;
use serde::{Deserialize, Serialize};
use std::path::Path;
use truce_model::domain::Reading;
use truce_model::ledger::Record;
use truce_model::time::TimeZoneName;
use truce_model::{Id, Ledger};
use truce_report::VersionChange;

/// The history of an agreement's readings: what `truce --json agreement history <id>` prints
/// and `GET /v1/agreements/{id}/history` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct History {
    /// The agreement.
    pub agreement: String,
    /// Its time zone (an IANA name; `UTC` when it states none): the sentences' dates are in it.
    pub time_zone: String,
    /// The log size the history describes.
    pub log_size: u64,
    /// Every version of every party's reading, in log order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub versions: Vec<VersionChange>,
    /// Every consent to extend the agreement and every status of a condition its readings list,
    /// in log order, with the findings each changed ([`crate::lifecycle`]).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub events: Vec<crate::lifecycle::LifecycleEvent>,
}

/// One version to examine: the `k`-th of one party's versions of its reading of an agreement.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The agreement.
    pub agreement: Id,
    /// Its time zone.
    pub time_zone: TimeZoneName,
    /// The party's versions of its reading, in log order.
    pub versions: Vec<Record<Reading>>,
    /// Which one.
    pub k: usize,
}

impl Pending {
    fn version(&self) -> &Record<Reading> {
        &self.versions[self.k]
    }
}

/// An agreement's time zone as its process states it (UTC when it states none); `None` when no
/// process defines the agreement.
pub fn agreement_zone(ledger: &Ledger, agreement: &Id) -> Option<TimeZoneName> {
    ledger.agreement_zone(agreement)
}

/// Every version of every party's reading of `agreement`, in log order (cloned out of the
/// ledger, so a server holds its lock only this long); `None` when no process defines it.
pub fn versions_of(ledger: &Ledger, agreement: &Id) -> Option<Vec<Pending>> {
    let time_zone = agreement_zone(ledger, agreement)?;
    let mut out = Vec::new();
    for ((a, _), versions) in &ledger.reading_versions {
        if a != agreement {
            continue;
        }
        for k in 0..versions.len() {
            out.push(Pending {
                agreement: a.clone(),
                time_zone: time_zone.clone(),
                versions: versions.clone(),
                k,
            });
        }
    }
    out.sort_by_key(|p| p.version().index);
    Some(out)
}

/// Every version of any reading whose stated filing time is in `[from, until)` (unix seconds),
/// in log order: what a daily report's "Changes to readings" examines.
pub fn versions_filed_between(ledger: &Ledger, from: i64, until: i64) -> Vec<Pending> {
    let mut out = Vec::new();
    for ((a, _), versions) in &ledger.reading_versions {
        let time_zone = agreement_zone(ledger, a).unwrap_or_else(TimeZoneName::utc);
        for (k, v) in versions.iter().enumerate() {
            let t = v.time.0.as_second();
            if from <= t && t < until {
                out.push(Pending {
                    agreement: a.clone(),
                    time_zone: time_zone.clone(),
                    versions: versions.clone(),
                    k,
                });
            }
        }
    }
    out.sort_by_key(|p| p.version().index);
    out
}

/// What one version changed: its aspects against the party's previous version and the findings
/// under its reading as known at sizes `index` and `index + 1` (kept once computed).
pub fn change(
    dir: &Path,
    reader: &dyn LogSource,
    p: &Pending,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<VersionChange, DerivedError> {
    let v = p.version();
    let root = derived::root_at(reader, v.index + 1)?;
    let changed = match crate::derived::kept(dir, "version-changes", v.index, &root) {
        Some(c) => c,
        None => {
            let filter = FindingFilter {
                agreement: Some(p.agreement.to_string()),
                reading: Some(v.author.to_string()),
                ..Default::default()
            };
            let before = derived::findings_at(dir, reader, v.index, &filter, progress)?;
            let after = derived::findings_at(dir, reader, v.index + 1, &filter, progress)?;
            let c =
                truce_report::changes::findings_changed(&p.agreement, &v.author, &before, &after);
            crate::derived::keep(dir, "version-changes", v.index, &root, &c);
            c
        }
    };
    let mut c =
        truce_report::version_change(&p.agreement, &p.time_zone, &p.versions, p.k, &[], &[])
            .ok_or_else(|| {
                DerivedError::Unreadable(format!("no version {} of the reading", p.k))
            })?;
    c.findings_changed = changed;
    c.sentence = truce_report::sentence(&c);
    Ok(c)
}

/// What each of `pending` changed, in order.
pub fn changes(
    dir: &Path,
    reader: &dyn LogSource,
    pending: &[Pending],
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<VersionChange>, DerivedError> {
    pending
        .iter()
        .map(|p| change(dir, reader, p, progress))
        .collect()
}

/// The history of `agreement`'s readings in a ledger replayed to `log_size` entries; `None` when
/// no process defines the agreement.
pub fn history(
    dir: &Path,
    reader: &dyn LogSource,
    ledger: &Ledger,
    log_size: u64,
    agreement: &Id,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Option<History>, DerivedError> {
    let Some(pending) = versions_of(ledger, agreement) else {
        return Ok(None);
    };
    let time_zone = agreement_zone(ledger, agreement).unwrap_or_else(TimeZoneName::utc);
    Ok(Some(History {
        agreement: agreement.to_string(),
        time_zone: time_zone.to_string(),
        log_size,
        versions: changes(dir, reader, &pending, progress)?,
        events: crate::lifecycle::events(dir, reader, ledger, agreement, progress)?,
    }))
}

/// The changes to readings a daily report of `day` mentions: every version filed on the day, in
/// a ledger replayed to the report's checkpoint.
pub fn changes_filed_on(
    dir: &Path,
    reader: &dyn LogSource,
    ledger: &Ledger,
    day: &truce_report::Day,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<VersionChange>, DerivedError> {
    changes(
        dir,
        reader,
        &versions_filed_between(ledger, day.start(), day.end()),
        progress,
    )
}

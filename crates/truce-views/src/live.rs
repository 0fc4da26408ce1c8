//! Derived state that follows the log as it grows: the judgement kept by
//! [`truce_engine::Incremental`] and `views.db` brought up to date with what each step changed,
//! instead of replaying, judging and storing everything again.
//!
//! The HTTP service holds one [`Live`] beside the writer's ledger (the one the writer applies
//! every committed entry to, including those another process appended, `follow`). A refresh
//! reads that ledger once under its read lock — [`Live::delta`]: the reports stored at or after
//! the size last judged, the current state of any older report an amendment since then names,
//! and the small lists (readings, sites, assessments, policies, …) whole, which the engine
//! compares — and then, without the lock, [`Live::apply`] re-judges what the change reaches
//! (the engine's module documentation lists what each kind of entry reaches) and
//! [`Live::store`] writes the changed rows in one transaction.
//!
//! **Equal to a rebuild.** The views a `Live` stores are byte for byte those `truce rebuild`
//! stores for the same log (`tests/live.rs` checks random interleavings of appends, and the
//! demo with 100,000 detections). When `views.db` does not hold the views this `Live` stored
//! last (a `truce rebuild` ran meanwhile, or another rules version), it is rewritten whole.

use crate::db::{Changes, FindingKey, FindingRow, IncidentRow, ViewStamp, ViewStore};
use crate::derived::{self, DerivedError};
use crate::source::{LogSource, SourceError};
use std::collections::{HashMap, HashSet};
use truce_engine::{Delta, Incremental, Judgement, Params, Rejudged, Snapshot};
use truce_engine::{Finding, Incident};
use truce_model::{Id, Kind, Ledger};

/// A judgement that follows the log, and the stamp of the views it stands for.
pub struct Live {
    inc: Incremental,
    stamp: ViewStamp,
    /// The incidents and findings `views.db` holds (as last stored), to write only those that
    /// changed.
    shown: Shown,
    /// Set once its views are in `views.db` (else the next [`Live::store`] writes them whole).
    stored: bool,
    /// The ledger's maritime records (track segments, track points, vessel versions, AIS
    /// reception coverages) and its ports (the sites AIS gaps start away from) when the last
    /// [`Live::delta`] handed them over (`None` before the first): a delta that finds them
    /// unchanged, and no report of a vessel act among its reports, hands over no maritime data
    /// (gathering it reads every report, and derives the AIS gaps again).
    maritime_mark: Option<MaritimeMark>,
    /// Each line version's (log index, corrections, retracted), as of the last delta: a change
    /// hands over the front's data.
    line_mark: Option<Vec<(u64, usize, bool)>>,
}

/// What [`Live::delta`] compares to know whether the maritime data changed: counts of track
/// segments, track points, vessel versions and coverages, and the ports.
type MaritimeMark = (usize, usize, usize, usize, Vec<truce_engine::gaps::Port>);

impl Live {
    /// Judges `ledger` in full (read, not consumed) as the views stamped `stamp`
    /// (`stamp.log_size` must be the ledger's size).
    pub fn new(ledger: &Ledger, stamp: ViewStamp) -> Live {
        Live::of(Snapshot::of(ledger, stamp.log_size), stamp)
    }

    /// Judges `snap` in full as the views stamped `stamp`.
    pub fn of(snap: Snapshot, stamp: ViewStamp) -> Live {
        Live {
            inc: Incremental::new(snap, Params::default()),
            stamp,
            shown: Shown::default(),
            stored: false,
            maritime_mark: None,
            line_mark: None,
        }
    }

    /// The stamp of the judgement held.
    pub fn stamp(&self) -> &ViewStamp {
        &self.stamp
    }

    /// The judgement held: always what `truce_engine::judge` gives for the log it has seen.
    pub fn judgement(&self) -> &Judgement {
        self.inc.judgement()
    }

    /// The snapshot judged: what the log it has seen holds, as the engine reads it.
    pub fn snapshot(&self) -> &Snapshot {
        self.inc.snapshot()
    }

    /// What `ledger` (at a size at or beyond the one judged) holds that the judgement has not
    /// seen: read under the ledger's read lock, applied after it with [`Live::apply`]. `amended`
    /// are the entry ids the entries appended since amend ([`amend_targets`]): a correction or
    /// retraction of a report filed earlier.
    pub fn delta(&mut self, ledger: &Ledger, amended: &[String]) -> Delta {
        let from = self.stamp.log_size;
        let rest = Snapshot::rest_of(ledger, ledger.size);
        let mut roles = truce_engine::input::Roles::new(&rest.roles);
        let mut reports: Vec<((Id, Id), Option<truce_engine::input::ReportIn>)> = Vec::new();
        // Older reports an amendment since names: their current state (a retraction removes it).
        for target in amended {
            let Some(at) = ledger.entry(target) else {
                continue;
            };
            let (Kind::Report, Some(id)) = (at.kind, at.key) else {
                continue;
            };
            if at.index >= from {
                continue; // Among the new rows below.
            }
            let now = ledger
                .reports
                .get(&at.author, id.as_str())
                .filter(|r| r.retracted().is_none())
                .map(|r| roles.report(&r));
            reports.push(((at.author, id), now));
        }
        // Amended older reports may have named a vessel.
        let mut maritime_changed = !reports.is_empty();
        // The rows stored since (in log order): the current revision of each, or its retraction.
        let mut new: Vec<_> = ledger
            .reports
            .iter()
            .rev()
            .take_while(|r| r.index() >= from)
            .filter(|r| r.is_current())
            .collect();
        new.reverse();
        // A report of a vessel act, a later revision (its earlier one may have been one) or a
        // retraction changes what reports say of vessels.
        maritime_changed |= new.iter().any(|r| {
            truce_engine::input::vessel_act(r.act())
                || r.revision().is_some()
                || r.retracted().is_some()
        });
        let mark = (
            ledger.tracks.len(),
            ledger.tracks.points(),
            ledger.vessels().map(|(_, v)| v.len()).sum::<usize>(),
            ledger.ais_coverage().len(),
            truce_engine::gaps::ports_of(ledger),
        );
        maritime_changed |= self.maritime_mark.as_ref() != Some(&mark);
        self.maritime_mark = Some(mark);
        // Line versions (a new one, a correction, a retraction), or a report stating a weapon or
        // where fire came from, change the front's data.
        let mut front_changed = !reports.is_empty()
            || new.iter().any(|r| {
                r.held()
                    .is_some_and(|h| h.value.weapon.is_some() || h.value.fire_from.is_some())
                    || r.revision().is_some()
                    || r.retracted().is_some()
            });
        let line_mark: Vec<(u64, usize, bool)> = ledger
            .line_versions
            .values()
            .flatten()
            .map(|l| (l.index, l.corrections.len(), l.retracted.is_some()))
            .collect();
        front_changed |= self.line_mark.as_ref() != Some(&line_mark);
        self.line_mark = Some(line_mark);
        for r in new {
            let key = (r.author().clone(), r.id_owned());
            let now = r.retracted().is_none().then(|| roles.report(&r));
            reports.push((key, now));
        }
        Delta {
            log_size: ledger.size,
            reports,
            assessments: Some(rest.assessments),
            policies: Some(rest.policies),
            invocations: Some(rest.invocations),
            sites: Some(rest.sites),
            readings: Some(rest.readings),
            roles: Some(rest.roles),
            zones: Some(rest.zones),
            ends: Some(rest.ends),
            extensions: Some(rest.extensions),
            conditions: Some(rest.conditions),
            maritime: maritime_changed.then(|| truce_engine::input::Maritime::of(ledger)),
            front: front_changed.then(|| truce_engine::input::Front::of(ledger)),
        }
    }

    /// Applies a [`Live::delta`]: the judgement now stands for the views stamped `stamp`.
    /// Returns what was re-judged, for [`Live::store`].
    pub fn apply(&mut self, d: Delta, stamp: ViewStamp) -> Rejudged {
        let rj = self.inc.apply(d);
        self.stamp = stamp;
        rj
    }

    /// Writes the judgement held to `views`: only what `rejudged` changed when `views` holds
    /// the views this `Live` stored last, else everything. `previous` is the stamp those views
    /// had (the one before the last [`Live::apply`]).
    pub fn store(
        &mut self,
        views: &mut ViewStore,
        previous: &ViewStamp,
        rejudged: Option<&Rejudged>,
    ) -> Result<(), DerivedError> {
        let incremental = match rejudged {
            Some(rj) if rj.full.is_none() && self.stored => {
                views.stamp()?.as_ref() == Some(previous)
            }
            _ => false,
        };
        let j = self.inc.judgement();
        let r = if incremental {
            let Some(rj) = rejudged else {
                return Ok(());
            };
            let mut new = Vec::with_capacity(rj.background_new.len());
            for &key in &rj.background_new {
                if let Some(v) = self.inc.background_view(key) {
                    new.push(derived::background_entry(&v));
                }
            }
            let t = std::time::Instant::now();
            let diffed = self.shown.diff_touched(j, rj);
            tracing::debug!(secs = t.elapsed().as_secs_f64(), "views diffed");
            let (incidents_gone, incidents, findings_gone, findings) = match diffed {
                Ok(d) => d,
                Err(e) => {
                    // What is shown may be half updated: the next store writes everything.
                    self.stored = false;
                    self.shown = Shown::default();
                    return Err(e);
                }
            };
            // Compliance counts the findings: made again only when a finding changed.
            let t = std::time::Instant::now();
            let docs: Vec<(&str, String)> = if findings.is_empty() && findings_gone.is_empty() {
                vec![derived::baseline_doc(j)?]
            } else {
                derived::docs(j)?.into_iter().collect()
            };
            tracing::debug!(secs = t.elapsed().as_secs_f64(), "views documents made");
            views
                .update(
                    &self.stamp,
                    Changes {
                        incidents_gone,
                        incidents,
                        findings_gone,
                        findings,
                        background_gone: rj.background_gone.iter().map(|k| k.1).collect(),
                        background: new,
                    },
                    &docs,
                )
                .map_err(DerivedError::from)
        } else {
            derived::store_judgement(views, j, self.inc.snapshot(), &self.stamp)
        };
        self.stored = r.is_ok();
        if !self.stored {
            self.shown = Shown::default();
        } else if !incremental {
            self.shown = Shown::of(self.inc.judgement());
        }
        r
    }

    /// Marks the views held as already in `views.db` (a server that found them fresh at start).
    pub fn mark_stored(&mut self) {
        self.stored = true;
        self.shown = Shown::of(self.inc.judgement());
    }
}

/// The incidents and findings of the views last stored, by key (a few thousand values: the
/// background rows, by far the most, are tracked by the engine's [`Rejudged`]).
#[derive(Default)]
struct Shown {
    incidents: HashMap<String, Incident>,
    findings: HashMap<FindingKey, Finding>,
}

/// A finding's key in `views.db`.
fn finding_key(f: &Finding, starts: &HashMap<&str, &str>) -> FindingKey {
    FindingKey {
        agreement: f.agreement.to_string(),
        reading: f.reading.to_string(),
        incident_start: starts
            .get(f.incident.as_str())
            .copied()
            .unwrap_or_default()
            .to_string(),
        incident: f.incident.clone(),
    }
}

/// What [`Shown::diff`] finds: incidents gone or changed, their new rows, findings gone or
/// changed, their new rows.
type Diff = (
    Vec<String>,
    Vec<IncidentRow>,
    Vec<FindingKey>,
    Vec<FindingRow>,
);

impl Shown {
    fn of(j: &Judgement) -> Shown {
        let starts = derived::incident_starts(j);
        Shown {
            incidents: j
                .incidents
                .iter()
                .map(|i| (i.id.clone(), i.clone()))
                .collect(),
            findings: j
                .findings
                .iter()
                .map(|f| (finding_key(f, &starts), f.clone()))
                .collect(),
        }
    }

    /// The rows of `j` that differ from those shown, and the keys of those to delete first (what
    /// is shown becomes `j`'s; only what changed is copied), over only what an incremental step
    /// can have changed: the incidents it removed or added and their findings, and the findings
    /// of the readings whose release pass ran again. Every other incident and finding is left as the engine left it, untouched, so
    /// comparing it with what is shown would find it equal (`tests/live.rs` checks the result
    /// against a rebuild).
    fn diff_touched(&mut self, j: &Judgement, rj: &Rejudged) -> Result<Diff, DerivedError> {
        let touched: HashSet<&str> = rj.incidents_touched.iter().map(String::as_str).collect();
        let released: HashSet<(&str, &str)> = rj
            .readings_released
            .iter()
            .map(|(a, r)| (a.as_str(), r.as_str()))
            .collect();
        let mut gone = Vec::new();
        let mut rows = Vec::new();
        let mut present: HashSet<&str> = HashSet::with_capacity(touched.len());
        for i in j
            .incidents
            .iter()
            .filter(|i| touched.contains(i.id.as_str()))
        {
            present.insert(i.id.as_str());
            match self.incidents.get(&i.id) {
                Some(old) if old == i => continue,
                Some(_) => gone.push(i.id.clone()),
                None => {}
            }
            rows.push(derived::incident_row(i)?);
            self.incidents.insert(i.id.clone(), i.clone());
        }
        for id in &touched {
            if !present.contains(id) && self.incidents.remove(*id).is_some() {
                gone.push(id.to_string());
            }
        }
        let starts = derived::incident_starts(j);
        let candidate = |f: &Finding| {
            touched.contains(f.incident.as_str())
                || released.contains(&(f.agreement.as_str(), f.reading.as_str()))
        };
        let mut f_gone = Vec::new();
        let mut f_rows = Vec::new();
        let mut f_seen: HashSet<FindingKey> = HashSet::new();
        for f in j.findings.iter().filter(|f| candidate(f)) {
            let k = finding_key(f, &starts);
            match self.findings.get(&k) {
                Some(old) if old == f => {
                    f_seen.insert(k);
                    continue;
                }
                Some(_) => f_gone.push(k.clone()),
                None => {}
            }
            f_rows.push(derived::finding_row(f, &k.incident_start)?);
            self.findings.insert(k.clone(), f.clone());
            f_seen.insert(k);
        }
        let left: Vec<FindingKey> = self
            .findings
            .iter()
            .filter(|(k, f)| candidate(f) && !f_seen.contains(*k))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &left {
            self.findings.remove(k);
        }
        f_gone.extend(left);
        Ok((gone, rows, f_gone, f_rows))
    }
}

/// The entry ids that the entries `from..to` of `source` amend (corrections and retractions):
/// what [`Live::delta`] needs beyond the ledger. Reads those entries; decodes only amendments.
pub fn amend_targets(
    source: &dyn LogSource,
    from: u64,
    to: u64,
) -> Result<Vec<String>, SourceError> {
    const AMEND: &[u8] = b"\"kind\":\"amend\"";
    let mut out = Vec::new();
    source.entries_in(from, to, &mut |_, bytes| {
        if bytes.windows(AMEND.len()).any(|w| w == AMEND) {
            if let Ok(env) = truce_model::decode(bytes) {
                if let truce_model::entry::Body::Amend(a) = env.body {
                    out.push(a.amends);
                }
            }
        }
    })?;
    Ok(out)
}

//! The export documents — one definition for the API's export endpoints and `truce export`
//! (offline, from a data directory), so both give the same bytes.
//!
//! **Bounded memory.** A document is never built whole: its items are read a row (views) or a
//! batch of [`BATCH`] records (the ledger, under its read lock, released between batches) at a
//! time, rendered and written to an [`std::io::Write`] — the server's is a bounded channel into
//! the response body (`truce-server`'s `query::stream`), the CLI's a file or stdout. What is held at once is
//! one batch and, for ledger documents, the keys of the records to write (in log order). The
//! bytes are those the documents had when they were built in memory: `{"features":[` (or a CSV
//! header row), the items, `]` and the rest of the collection, each item serialised as before.
//! Incidents and findings come from one snapshot of `views.db` (one statement); ledger records
//! are those that matched when the export began, each as the ledger holds it when its batch is
//! read (an amendment filed meanwhile shows in a later batch).

use super::reports::report_feature;
use super::sites::site_feature;
use super::{csv_row, names};
use crate::db::{FindingFilter, IncidentFilter, ViewStore};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::RwLock;
use truce_engine::{Finding, Incident};
use truce_model::domain::Site;
use truce_model::ledger::Record;
use truce_model::reports::ReportRef;
use truce_model::{Id, Ledger};

/// Ledger records rendered under one read lock of the ledger.
pub const BATCH: usize = 512;

/// Log entries read by index a bundle at a time, the last bundle kept: reading reports' full
/// records in log order costs one read of each bundle. `bundle(n)` reads the entries of bundle
/// `n` (the operator's storage: [`bundle`]).
pub struct Entries<F> {
    bundle: F,
    last: Option<(u64, Vec<Vec<u8>>)>,
}

impl<E: std::error::Error + Send + Sync + 'static, F: FnMut(u64) -> Result<Vec<Vec<u8>>, E>>
    Entries<F>
{
    /// Entries read through `bundle`.
    pub fn new(bundle: F) -> Self {
        Entries { bundle, last: None }
    }

    /// The entry at `index`.
    pub fn get(&mut self, index: u64) -> io::Result<Vec<u8>> {
        let n = index / truce_log::TILE_WIDTH;
        if self.last.as_ref().is_none_or(|(m, _)| *m != n) {
            self.last = Some((n, (self.bundle)(n).map_err(io::Error::other)?));
        }
        let k = (index % truce_log::TILE_WIDTH) as usize;
        self.last
            .as_ref()
            .and_then(|(_, b)| b.get(k))
            .cloned()
            .ok_or_else(|| io::Error::other(format!("entry {index} is not in the log")))
    }
}

/// The entries of bundle `n` of the operator's log, up to its latest checkpoint.
#[cfg(feature = "store")]
pub fn bundle<S: truce_store::LogStorage>(
    reader: &truce_store::LogReader<S>,
    n: u64,
) -> Result<Vec<Vec<u8>>, truce_store::StoreError> {
    let size = reader.latest_size()?;
    let from = n * truce_log::TILE_WIDTH;
    let to = (from + truce_log::TILE_WIDTH).min(size);
    let mut out = Vec::new();
    if from < to {
        reader.for_each_entry_in(from, to, |_, e| out.push(e.to_vec()))?;
    }
    Ok(out)
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The document could not be written (the client went away, a full disk…).
    #[error("writing the export: {0}")]
    Io(#[from] io::Error),
    /// The views database could not be read.
    #[error(transparent)]
    Store(#[from] crate::db::DbError),
    /// A stored view is not what this build reads.
    #[error("a stored {what} is unreadable ({why}); views are derived: delete views.db and run `truce rebuild`")]
    Unreadable {
        /// Incident or finding.
        what: &'static str,
        /// The parser's message.
        why: String,
    },
}

/// Which of the matching items a document holds: `offset` skipped, then at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Items skipped.
    pub offset: usize,
    /// Most items written.
    pub limit: usize,
}

impl Window {
    /// Every item.
    pub const ALL: Window = Window {
        offset: 0,
        limit: usize::MAX,
    };
}

/// Counts items through a [`Window`].
pub struct Counter {
    skip: usize,
    left: usize,
}

/// What to do with the next item.
pub enum Step {
    /// Before the window: pass it over.
    Skip,
    /// In the window: write it.
    Take,
    /// The window is full: stop reading.
    Stop,
}

impl Counter {
    /// A count starting at the window's offset.
    pub fn new(w: Window) -> Counter {
        Counter {
            skip: w.offset,
            left: w.limit,
        }
    }
    /// What to do with the next item.
    pub fn step(&mut self) -> Step {
        if self.left == 0 {
            Step::Stop
        } else if self.skip > 0 {
            self.skip -= 1;
            Step::Skip
        } else {
            self.left -= 1;
            Step::Take
        }
    }
}

/// A document being written: what comes before its items, between two, after them.
pub struct Doc<W: Write> {
    w: W,
    sep: &'static str,
    tail: String,
    first: bool,
}

impl<W: Write> Doc<W> {
    /// A GeoJSON FeatureCollection (the head and tail of an empty one, so the bytes are
    /// those of the collection serialised whole).
    pub fn geojson(mut w: W) -> io::Result<Doc<W>> {
        let empty = json!({"type": "FeatureCollection", "features": []}).to_string();
        let (head, tail) = empty.split_once("[]").unwrap_or((&empty, ""));
        w.write_all(head.as_bytes())?;
        w.write_all(b"[")?;
        Ok(Doc {
            w,
            sep: ",",
            tail: format!("]{tail}"),
            first: true,
        })
    }

    /// A CSV document (RFC 4180, CRLF) with a header row.
    pub fn csv(mut w: W, header: &[&str]) -> io::Result<Doc<W>> {
        let mut h = String::new();
        csv_row(
            &mut h,
            &header.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        );
        w.write_all(h.as_bytes())?;
        Ok(Doc {
            w,
            sep: "",
            tail: String::new(),
            first: true,
        })
    }

    /// Writes one item (a feature's JSON, a CSV row).
    pub fn item(&mut self, text: &str) -> io::Result<()> {
        if !self.first {
            self.w.write_all(self.sep.as_bytes())?;
        }
        self.first = false;
        self.w.write_all(text.as_bytes())
    }

    /// Writes the end of the document and flushes.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.write_all(self.tail.as_bytes())?;
        self.w.flush()?;
        Ok(self.w)
    }
}

/// The columns of `incidents.csv`.
pub const INCIDENT_COLUMNS: [&str; 14] = [
    "id",
    "start",
    "end",
    "day",
    "occurrence",
    "disputed",
    "routine",
    "lon",
    "lat",
    "uncertainty_m",
    "acts",
    "alleged",
    "sides",
    "reports",
];

/// The columns of `findings.csv`.
pub const FINDING_COLUMNS: [&str; 12] = [
    "incident",
    "agreement",
    "reading",
    "outcome",
    "standing",
    "words",
    "occurrence",
    "day",
    "attributions",
    "site",
    "site_distance_m",
    "rules",
];

/// An incident (in its list form, as stored) as a GeoJSON point feature.
pub fn incident_feature(i: &Incident) -> Value {
    json!({
        "type": "Feature",
        "id": i.id,
        "geometry": {"type": "Point", "coordinates": i.point},
        "properties": {
            "id": i.id,
            "start": i.start,
            "end": i.end,
            "day": i.day,
            "occurrence": i.occurrence,
            "attribution": i.alleged.iter().map(|a| json!({"party": a.party, "grade": a.grade, "standing": a.standing})).collect::<Vec<_>>(),
            "disputed": i.disputed,
            "routine": i.routine,
            "uncertainty_m": i.uncertainty_m,
            "acts": i.acts,
            "alleged": i.alleged,
            "sides": i.sides,
            "reports": i.members.len(),
        },
    })
}

/// An incident as a row of `incidents.csv` (CRLF-terminated).
pub fn incident_row(i: &Incident) -> String {
    let mut out = String::new();
    csv_row(
        &mut out,
        &[
            i.id.clone(),
            i.start.clone(),
            i.end.clone(),
            i.day.clone(),
            i.occurrence.as_str().to_string(),
            i.disputed.to_string(),
            i.routine.to_string(),
            i.point[0].to_string(),
            i.point[1].to_string(),
            i.uncertainty_m.to_string(),
            names(&i.acts),
            i.alleged
                .iter()
                .map(|a| format!("{}:{}", a.party, a.grade.as_str()))
                .collect::<Vec<_>>()
                .join(" "),
            i.sides.join(" "),
            i.members.len().to_string(),
        ],
    );
    out
}

/// A finding as a row of `findings.csv` (CRLF-terminated).
pub fn finding_row(f: &Finding) -> String {
    let mut out = String::new();
    csv_row(
        &mut out,
        &[
            f.incident.clone(),
            f.agreement.to_string(),
            f.reading.to_string(),
            f.outcome.as_str().to_string(),
            f.standing.as_str().to_string(),
            f.words.clone(),
            f.occurrence.as_str().to_string(),
            f.day.clone(),
            f.attributions
                .iter()
                .map(|a| format!("{}:{}:{}", a.party, a.outcome.as_str(), a.standing.as_str()))
                .collect::<Vec<_>>()
                .join(" "),
            f.site
                .as_ref()
                .map(|x| format!("{}/{}", x.lister, x.id))
                .unwrap_or_default(),
            f.site
                .as_ref()
                .map(|x| x.distance_m.to_string())
                .unwrap_or_default(),
            f.rules.clone(),
        ],
    );
    out
}

/// `GET /v1/incidents.geojson` (`csv`: `/v1/incidents.csv`): the incidents `filter` matches
/// and `keep` keeps, in stored order (by start, then id), through `window`, one row at a
/// time.
pub fn incidents<W: Write>(
    views: &ViewStore,
    filter: &IncidentFilter,
    mut keep: impl FnMut(&Incident) -> bool,
    window: Window,
    csv: bool,
    w: W,
) -> Result<W, ExportError> {
    let mut doc = if csv {
        Doc::csv(w, &INCIDENT_COLUMNS)?
    } else {
        Doc::geojson(w)?
    };
    let mut count = Counter::new(window);
    let mut failed: Option<ExportError> = None;
    views.each_incident_head(filter, |text| {
        let i: Incident = match serde_json::from_str(&text) {
            Ok(i) => i,
            Err(e) => {
                failed = Some(ExportError::Unreadable {
                    what: "incident",
                    why: e.to_string(),
                });
                return false;
            }
        };
        if !keep(&i) {
            return true;
        }
        match count.step() {
            Step::Skip => true,
            Step::Stop => false,
            Step::Take => {
                let item = if csv {
                    incident_row(&i)
                } else {
                    incident_feature(&i).to_string()
                };
                match doc.item(&item) {
                    Ok(()) => true,
                    Err(e) => {
                        failed = Some(e.into());
                        false
                    }
                }
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(doc.finish()?)
}

/// `GET /v1/findings.csv`: the findings `filter` matches, in stored order, through
/// `window`, one row at a time.
pub fn findings_csv<W: Write>(
    views: &ViewStore,
    filter: &FindingFilter,
    window: Window,
    w: W,
) -> Result<W, ExportError> {
    let mut doc = Doc::csv(w, &FINDING_COLUMNS)?;
    let mut count = Counter::new(window);
    let mut failed: Option<ExportError> = None;
    views.each_finding(filter, |text| match count.step() {
        Step::Skip => true,
        Step::Stop => false,
        Step::Take => {
            let r = serde_json::from_str::<Finding>(&text)
                .map_err(|e| ExportError::Unreadable {
                    what: "finding",
                    why: e.to_string(),
                })
                .and_then(|f| Ok(doc.item(&finding_row(&f))?));
            match r {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(doc.finish()?)
}

fn read(ledger: &RwLock<Ledger>) -> std::sync::RwLockReadGuard<'_, Ledger> {
    ledger.read().unwrap_or_else(|p| p.into_inner())
}

/// The keys of the records `keep` keeps, in log order (stable: records of one entry keep
/// their order), through `window`.
fn keys_in_log_order<T>(
    records: &BTreeMap<(Id, Id), Record<T>>,
    keep: impl Fn(&Record<T>) -> bool,
    window: Window,
) -> Vec<(Id, Id)> {
    let mut all: Vec<(u64, &(Id, Id))> = records
        .iter()
        .filter(|(_, r)| keep(r))
        .map(|(k, r)| (r.index, k))
        .collect();
    all.sort_by_key(|x| x.0);
    all.into_iter()
        .skip(window.offset)
        .take(window.limit)
        .map(|(_, k)| k.clone())
        .collect()
}

/// `GET /v1/sites.geojson`: the sites `keep` keeps, in log order, through `window`.
pub fn sites_geojson<W: Write>(
    ledger: &RwLock<Ledger>,
    keep: impl Fn(&Record<Site>) -> bool,
    window: Window,
    w: W,
) -> Result<W, ExportError> {
    let keys = keys_in_log_order(&read(ledger).sites, keep, window);
    let mut doc = Doc::geojson(w)?;
    for batch in keys.chunks(BATCH) {
        let items: Vec<String> = {
            let l = read(ledger);
            batch
                .iter()
                .filter_map(|k| l.sites.get(k))
                .map(|r| site_feature(r).to_string())
                .collect()
        };
        for item in &items {
            doc.item(item)?;
        }
    }
    Ok(doc.finish()?)
}

/// `GET /v1/reports.geojson`: the reports `keep` keeps, in log order, through `window`;
/// `inline` may add to each batch's feature properties (the server: restricted evidence for
/// permitted callers; given each report's evidence hashes). A bulk report's full value is read
/// from the log by `entry(index)` (e.g. [`Entries::get`]: in log order, a bundle at a time).
pub fn reports_geojson<W: Write>(
    ledger: &RwLock<Ledger>,
    keep: impl Fn(&ReportRef<'_>) -> bool,
    window: Window,
    mut inline: impl FnMut(&mut [Value], &[Vec<String>]) -> io::Result<()>,
    entry: &mut dyn FnMut(u64) -> io::Result<Vec<u8>>,
    w: W,
) -> Result<W, ExportError> {
    // The store's rows are in log order: the kept reports' keys, looked up again per batch.
    let keys: Vec<(Id, Id)> = read(ledger)
        .reports
        .iter()
        .filter(|r| keep(r))
        .skip(window.offset)
        .take(window.limit)
        .map(|r| (r.author().clone(), r.id_owned()))
        .collect();
    let mut doc = Doc::geojson(w)?;
    for batch in keys.chunks(BATCH) {
        let (mut features, evidence): (Vec<Value>, Vec<Vec<String>>) = {
            let l = read(ledger);
            let mut out = Vec::with_capacity(batch.len());
            for (a, id) in batch {
                if let Some(r) = l.reports.get(a, id.as_str()) {
                    let rec = r.record(&mut *entry).map_err(io::Error::other)?;
                    out.push((report_feature(&rec), rec.value.evidence));
                }
            }
            out.into_iter().unzip()
        };
        let mut props: Vec<Value> = features
            .iter_mut()
            .map(|f| f["properties"].take())
            .collect();
        inline(&mut props, &evidence)?;
        for (mut f, p) in features.into_iter().zip(props) {
            f["properties"] = p;
            doc.item(&f.to_string())?;
        }
    }
    Ok(doc.finish()?)
}

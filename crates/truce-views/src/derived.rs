//! The derived views (`views.db`): the log replayed into a ledger, judged by the engine, and the
//! incidents, findings, compliance and baseline stored, stamped with the log size, root and rules
//! version they were computed at (architecture invariants 10 and 11). Background detections
//! (`Judgement.background`, references into the snapshot judged: a judgement is kept with its
//! snapshot, [`Judged`], until stored) are stored as rows of plain columns ([`background_row`])
//! and read back into the engine's value ([`background_of`]), so they serialise exactly as the
//! engine's. The CLI (`truce
//! incidents`, `findings`, `compliance`, `explain`, `rebuild`, `demo`) and the HTTP service both
//! call these functions, so they publish the same bytes.
//!
//! **As of an earlier size.** What was known at log size N is the judgement of the first N
//! entries. [`as_of_store`] caches it in `views-asof-N.db` beside `views.db` (stamped like it,
//! the [`AS_OF_CACHES`] most recently written kept): the first query at a size replays and judges
//! that prefix once, later ones cost what a query of the current views costs. The CLI's
//! `--as-of`, the API's `?as_of=`, and the history of readings (`crate::history`) all go
//! through it.
//!
//! Progress is reported through a callback (the CLI draws a bar with the replay's rate and the
//! time left, then a spinner while judging and storing; the server logs).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;
use truce_engine::{
    Background, BackgroundView, Finding, Judged, Judgement, Member, Params, Snapshot, RULES_VERSION,
};
use truce_log::SignedCheckpoint;
use truce_model::replay::Hooks;
use truce_model::Ledger;

use crate::db::{
    BackgroundEntry, BackgroundRow, FindingFilter, FindingRow, IncidentRow, ViewStamp, ViewStore,
};
use crate::source::{LogSource, SourceError};

/// Why views could not be computed or stored.
#[derive(Debug, thiserror::Error)]
pub enum DerivedError {
    /// The log failed (in its reader's words).
    #[error(transparent)]
    Log(#[from] SourceError),
    /// The views database failed.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// The log grew while it was replayed to its latest checkpoint, again and again.
    #[error(
        "another writer appended to the log (stored size {stored}, expected {expected}); retry"
    )]
    Moved {
        /// Entries replayed.
        stored: u64,
        /// The checkpoint's size.
        expected: u64,
    },
    /// An engine output could not be encoded as JSON.
    #[error("encoding JSON: {0}")]
    Encode(String),
    /// A stored view cannot be read by this version.
    #[error("views.db holds a document this version cannot read ({0}): run `truce rebuild`")]
    Unreadable(String),
    /// A log size asked for is beyond the log.
    #[error("log size {size} is beyond the log, which holds {latest} entries: give a size from 0 to {latest}")]
    BeyondLog {
        /// The size asked for.
        size: u64,
        /// The log's size.
        latest: u64,
    },
}

/// Where a computation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Replaying the log into a ledger: `done` of `total` entries, reported when the replay
    /// starts (`done` 0), every [`PROGRESS_EVERY`] entries and when it ends, so a caller can
    /// show a rate and the time left.
    Replaying {
        /// Entries replayed so far.
        done: u64,
        /// Entries to replay.
        total: u64,
    },
    /// Judging this many reports.
    Judging {
        /// Reports in the ledger.
        reports: usize,
    },
    /// The judgement is done.
    Judged,
}

/// The views database of a data directory.
pub fn views_path(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("views.db")
}

/// Replays the whole log (up to its latest checkpoint) into a ledger; returns it with the number
/// of entries replayed. Entries the rules refuse are logged and carry no weight.
pub fn replay(reader: &dyn LogSource) -> Result<(Ledger, u64), DerivedError> {
    replay_to(reader, reader.size()?)
}

/// Replays the first `size` entries of the log into a ledger: what was known at that size.
pub fn replay_to(reader: &dyn LogSource, size: u64) -> Result<(Ledger, u64), DerivedError> {
    replay_to_with(reader, size, &mut |_| {})
}

/// How often a replay reports its progress, in entries.
pub const PROGRESS_EVERY: u64 = 4096;

/// [`replay_to`], reporting [`Progress::Replaying`] as it goes. This is the one replay of the
/// log into a ledger (the server's start and recovery, the CLI's domain and engine commands, and
/// with hooks the verifier's: [`replay_to_hooked`]): entries are decoded ahead on other threads
/// and applied in log order ([`truce_model::replay`]), and the refused ones are said once
/// ([`warn_refused`]).
pub fn replay_to_with(
    reader: &dyn LogSource,
    size: u64,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(Ledger, u64), DerivedError> {
    replay_to_hooked(reader, size, &mut NoHooks, progress)
}

/// Nothing to do around an entry.
struct NoHooks;

impl Hooks for NoHooks {
    fn after(&mut self, _: u64, _: &[u8], _: &truce_model::Applied, _: &Ledger) {}
}

/// [`replay_to_with`], calling `hooks` on the applying thread before and after each entry, with
/// its bytes and the ledger just before or just after it ([`truce_model::replay::Hooks`]): the
/// one replay, with a caller's work at each entry. `truce verify` replays its own checked mirror
/// or URL (a [`LogSource`] that recomputes the tree as it reads) through it, keeping copies of the
/// ledger where the published documents were computed, judging publications at their sizes and
/// sorting refusals into its checks there, while the reader fetches and hashes the next bundles
/// and other threads decode.
pub fn replay_to_hooked(
    reader: &dyn LogSource,
    size: u64,
    hooks: &mut impl Hooks,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(Ledger, u64), DerivedError> {
    /// The caller's hooks, with the refusals noted and the progress reported.
    struct Around<'a, H> {
        hooks: &'a mut H,
        refused: truce_model::Refusals,
        progress: &'a mut (dyn FnMut(Progress) + Send),
        size: u64,
    }
    impl<H: Hooks> Hooks for Around<'_, H> {
        fn before(&mut self, index: u64, bytes: &[u8], ledger: &Ledger) {
            self.hooks.before(index, bytes, ledger);
        }
        fn after(
            &mut self,
            index: u64,
            bytes: &[u8],
            applied: &truce_model::Applied,
            ledger: &Ledger,
        ) {
            self.refused.note(index, applied);
            if (index + 1).is_multiple_of(PROGRESS_EVERY) && index + 1 < self.size {
                (self.progress)(Progress::Replaying {
                    done: index + 1,
                    total: self.size,
                });
            }
            self.hooks.after(index, bytes, applied, ledger);
        }
    }
    let mut ledger = Ledger::new();
    progress(Progress::Replaying {
        done: 0,
        total: size,
    });
    let mut around = Around {
        hooks,
        refused: truce_model::Refusals::default(),
        progress,
        size,
    };
    let size = truce_model::replay::replay_hooked(
        &mut ledger,
        truce_model::replay::decoders(),
        |sink| reader.entries(size, sink),
        &mut around,
    )?;
    (around.progress)(Progress::Replaying {
        done: size,
        total: size,
    });
    warn_refused(&around.refused);
    Ok((ledger, size))
}

/// Says once that a replay met entries the rules refuse: one warning with their count and the
/// first few, and nothing more when this process already warned about as many or more (a
/// command replaying the log twice, a replay to an earlier size, the writer rebuilding its
/// ledger). Every replay of the log goes through here.
pub fn warn_refused(refused: &truce_model::Refusals) {
    static WARNED: std::sync::Mutex<u64> = std::sync::Mutex::new(0);
    let Some(summary) = refused.summary() else {
        return;
    };
    let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
    if refused.count <= *warned {
        tracing::debug!("{summary}");
        return;
    }
    *warned = refused.count;
    tracing::warn!("{summary}");
}

/// Judges a ledger replayed to `size` entries whose tree has root `root` (base64; empty for an
/// empty log): the judgement with the snapshot it judged (its background detections are read
/// from it).
pub fn judge_ledger(ledger: Ledger, size: u64, root: String) -> (Judged, ViewStamp) {
    let t = Instant::now();
    let snap = Snapshot::from_ledger(ledger, size);
    tracing::info!(secs = t.elapsed().as_secs_f64(), "snapshot");
    let t = Instant::now();
    let j = Judged::new(snap, &Params::default());
    tracing::info!(
        secs = t.elapsed().as_secs_f64(),
        incidents = j.incidents.len(),
        "judged"
    );
    (
        j,
        ViewStamp {
            log_size: size,
            root,
            rules: RULES_VERSION.to_string(),
        },
    )
}

/// Replays the log and judges it: the engine's full output at the log's current size.
pub fn judge(
    reader: &dyn LogSource,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(Judged, ViewStamp), DerivedError> {
    judge_at(reader, reader.size()?, progress)
}

/// The engine's full output as it was known at log size `size` (the first `size` entries):
/// findings are a pure function of the log, so any earlier size is reproduced exactly.
pub fn judge_at(
    reader: &dyn LogSource,
    size: u64,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(Judged, ViewStamp), DerivedError> {
    let t = Instant::now();
    let (ledger, size) = replay_to_with(reader, size, progress)?;
    tracing::info!(secs = t.elapsed().as_secs_f64(), size, "replayed");
    progress(Progress::Judging {
        reports: ledger.reports.len(),
    });
    let root = if size == 0 {
        String::new()
    } else {
        reader.root_at(size)?.to_string()
    };
    let out = judge_ledger(ledger, size, root);
    progress(Progress::Judged);
    Ok(out)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, DerivedError> {
    serde_json::to_string(v).map_err(|e| DerivedError::Encode(e.to_string()))
}

fn parties(alleged: impl Iterator<Item = String>) -> String {
    alleged.collect::<Vec<_>>().join(",")
}

/// The rows and documents of a judgement other than its background detections: its incidents,
/// findings, compliance and baseline.
type Rows = (Vec<IncidentRow>, Vec<FindingRow>, Docs);

/// The documents stored beside the rows: compliance and the baseline.
type Docs = [(&'static str, String); 2];

/// An incident's row.
pub fn incident_row(i: &truce_engine::Incident) -> Result<IncidentRow, DerivedError> {
    Ok(IncidentRow {
        id: i.id.clone(),
        start: i.start.clone(),
        day: i.day.clone(),
        grade: i.occurrence.as_str().to_string(),
        lon: i.point[0],
        lat: i.point[1],
        parties: parties(i.alleged.iter().map(|a| a.party.to_string())),
        json: to_json(i)?,
        head: head_json(i)?,
    })
}

/// A finding's row; `incident_start` is its incident's start.
pub fn finding_row(f: &Finding, incident_start: &str) -> Result<FindingRow, DerivedError> {
    Ok(FindingRow {
        incident: f.incident.clone(),
        incident_start: incident_start.to_string(),
        agreement: f.agreement.to_string(),
        reading: f.reading.to_string(),
        outcome: f.outcome.as_str().to_string(),
        standing: f.standing.as_str().to_string(),
        day: f.day.clone(),
        parties: parties(f.attributions.iter().map(|a| a.party.to_string())),
        json: to_json(f)?,
    })
}

/// The starts of a judgement's incidents, by id (a finding's row names its incident's start).
pub fn incident_starts(j: &Judgement) -> std::collections::HashMap<&str, &str> {
    j.incidents
        .iter()
        .map(|i| (i.id.as_str(), i.start.as_str()))
        .collect()
}

/// The documents of a judgement: compliance and the baseline.
pub fn docs(j: &Judgement) -> Result<Docs, DerivedError> {
    Ok([
        (
            "compliance",
            to_json(&truce_engine::compliance(&j.findings))?,
        ),
        baseline_doc(j)?,
    ])
}

/// The baseline document alone (what changes when only background detections did).
pub fn baseline_doc(j: &Judgement) -> Result<(&'static str, String), DerivedError> {
    Ok(("baseline", to_json(&j.baseline)?))
}

fn rows(j: &Judgement) -> Result<Rows, DerivedError> {
    let incidents = j
        .incidents
        .iter()
        .map(incident_row)
        .collect::<Result<Vec<_>, DerivedError>>()?;
    let starts = incident_starts(j);
    let findings = j
        .findings
        .iter()
        .map(|f| {
            finding_row(
                f,
                starts.get(f.incident.as_str()).copied().unwrap_or_default(),
            )
        })
        .collect::<Result<Vec<_>, DerivedError>>()?;
    Ok((incidents, findings, docs(j)?))
}

/// Stores a judgement as the views stamped `stamp`, replacing what was there.
pub fn store(views: &mut ViewStore, j: &Judged, stamp: &ViewStamp) -> Result<(), DerivedError> {
    store_judgement(views, &j.judgement, &j.snapshot, stamp)
}

/// [`store`] of a judgement and the snapshot it judged, held apart (an incremental judgement's:
/// [`crate::live`]). The background rows are made one at a time from `snap`.
pub fn store_judgement(
    views: &mut ViewStore,
    j: &Judgement,
    snap: &Snapshot,
    stamp: &ViewStamp,
) -> Result<(), DerivedError> {
    let (incidents, findings, docs) = rows(j)?;
    let t = Instant::now();
    // Written in log-index order, the table's key: appended at the end of its B-tree rather than
    // inserted all over it (the engine's order is an index, built after).
    let gaps = snap
        .maritime
        .gaps
        .iter()
        .map(gap_row)
        .collect::<Result<Vec<_>, DerivedError>>()?;
    views.replace_bulk_with(
        stamp,
        incidents,
        findings,
        j.background_views_by_index(snap)
            .map(|v| background_entry(&v)),
        &gaps,
        &docs,
    )?;
    tracing::info!(
        secs = t.elapsed().as_secs_f64(),
        background = j.background.len(),
        "stored"
    );
    Ok(())
}

/// An AIS gap's row ([`truce_engine::gaps`]): carried with a snapshot's maritime data, stored
/// with every full store.
pub fn gap_row(g: &truce_engine::gaps::Gap) -> Result<crate::db::GapRow, DerivedError> {
    Ok(crate::db::GapRow {
        start_ms: g.start_ms,
        mmsi: g.mmsi,
        end_ms: g.end_ms,
        start: g.start,
        end: g.end,
        json: to_json(g)?,
    })
}

/// A background detection as `views.db` writes it, borrowed from the snapshot judged: what
/// [`background_row`] makes of its full form, before times and the entry id are written out.
pub fn background_entry<'a>(v: &BackgroundView<'a>) -> BackgroundEntry<'a> {
    let r = v.report;
    BackgroundEntry {
        entry_index: r.index,
        entry_id: r.entry_id.0,
        author: r.author.id().as_str(),
        role: r.role.as_str(),
        id: r.id.as_str(),
        act: r.act.as_str(),
        start: r.start,
        end: r.end,
        lon: r.point[0],
        lat: r.point[1],
        uncertainty_m: r.uncertainty_m,
        side: std::borrow::Cow::Owned(v.side()),
        routine: v.routine,
        perpetrator: r.perpetrator.as_ref().map(|p| p.id().as_str()),
        relays: r.relays.as_ref().map(|p| p.id().as_str()),
    }
}

/// A background detection as `views.db` reads it back: the engine's fields as plain columns.
pub fn background_row(b: &Background) -> BackgroundRow {
    let d = &b.detection;
    BackgroundRow {
        entry_index: d.index,
        entry_id: d.entry_id.clone(),
        author: d.author.to_string(),
        role: d.role.as_str().to_string(),
        id: d.id.to_string(),
        act: truce_engine::act_name(d.act),
        start: d.start.clone(),
        end: d.end.clone(),
        day: b.day.clone(),
        lon: d.point[0],
        lat: d.point[1],
        uncertainty_m: d.uncertainty_m,
        side: d.side.clone(),
        routine: d.routine.clone(),
        perpetrator: d.perpetrator.as_ref().map(|p| p.to_string()),
        relays: d.relays.as_ref().map(|p| p.to_string()),
    }
}

/// The engine's background detection a stored row holds (the inverse of [`background_row`]): it
/// serialises to exactly the engine's JSON. A column this build cannot read (an unknown role or
/// act, a malformed id) is [`DerivedError::Unreadable`].
pub fn background_of(r: &BackgroundRow) -> Result<Background, DerivedError> {
    let unreadable =
        |what: &str, e: String| DerivedError::Unreadable(format!("background {what}: {e}"));
    let id = |what: &str, v: &str| truce_model::Id::new(v).map_err(|e| unreadable(what, e));
    let word = |v: &str| serde_json::Value::String(v.to_string());
    Ok(Background {
        day: r.day.clone(),
        detection: Member {
            index: r.entry_index,
            entry_id: r.entry_id.clone(),
            author: id("author", &r.author)?,
            role: serde_json::from_value(word(&r.role))
                .map_err(|e| unreadable("role", e.to_string()))?,
            id: id("id", &r.id)?,
            act: serde_json::from_value(word(&r.act))
                .map_err(|e| unreadable("act", e.to_string()))?,
            perpetrator: r
                .perpetrator
                .as_deref()
                .map(|p| id("perpetrator", p))
                .transpose()?,
            relays: r.relays.as_deref().map(|p| id("relays", p)).transpose()?,
            point: [r.lon, r.lat],
            uncertainty_m: r.uncertainty_m,
            start: r.start.clone(),
            end: r.end.clone(),
            side: r.side.clone(),
            routine: r.routine.clone(),
            observed: None,
        },
    })
}

/// Recomputes every derived view from the log and stores it.
pub fn refresh(
    reader: &dyn LogSource,
    views: &mut ViewStore,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(Judged, ViewStamp), DerivedError> {
    let (j, stamp) = judge(reader, progress)?;
    store(views, &j, &stamp)?;
    Ok((j, stamp))
}

/// Whether views stamped `stamp` are those of the log at checkpoint `cp` under these rules.
pub fn is_fresh(stamp: &ViewStamp, cp: &SignedCheckpoint) -> bool {
    stamp.log_size == cp.size
        && stamp.rules == RULES_VERSION
        && (cp.size == 0 || stamp.root == cp.root.to_string())
}

/// Makes the views current: recomputes them if they are missing or stale (another log size or
/// root, another rules version). Returns whether it recomputed.
pub fn ensure_fresh(
    reader: &dyn LogSource,
    views: &mut ViewStore,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<bool, DerivedError> {
    let cp = reader.checkpoint()?;
    let current = views.stamp()?;
    if current.as_ref().is_some_and(|s| is_fresh(s, &cp)) {
        return Ok(false);
    }
    tracing::info!(
        "derived views are {} (log size {}): recomputing from the log",
        if current.is_some() {
            "stale"
        } else {
            "missing"
        },
        cp.size
    );
    refresh(reader, views, progress)?;
    Ok(true)
}

/// Parses stored JSON documents.
pub fn parse_all<T: serde::de::DeserializeOwned>(docs: &[String]) -> Result<Vec<T>, DerivedError> {
    docs.iter()
        .map(|d| serde_json::from_str(d).map_err(|e| DerivedError::Unreadable(e.to_string())))
        .collect()
}

/// The members a list entry of an incident shows; the rest are counted (`member_count`).
pub const HEAD_MEMBERS: usize = 20;

/// An incident as lists show it: everything but its members beyond [`HEAD_MEMBERS`], with
/// `member_count`, so a page of incidents stays small however many reports an incident gathers.
/// The members shown are the filed reports first (what someone alleges or observes), then sensor
/// detections, each in log order, and are listed in log order: an incident a strike allegation
/// made among hundreds of fire pixels still shows the allegation.
pub fn head_json(i: &truce_engine::Incident) -> Result<String, DerivedError> {
    let mut v = serde_json::to_value(i).map_err(|e| DerivedError::Unreadable(e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "member_count".into(),
            serde_json::Value::from(i.members.len()),
        );
        if let Some(serde_json::Value::Array(m)) = o.get_mut("members") {
            if m.len() > HEAD_MEMBERS {
                let mut keep = vec![false; i.members.len()];
                let mut kept = 0;
                for filed in [true, false] {
                    for (k, x) in i.members.iter().enumerate() {
                        if kept < HEAD_MEMBERS && x.is_detection() != filed {
                            keep[k] = true;
                            kept += 1;
                        }
                    }
                }
                let mut k = 0;
                m.retain(|_| {
                    let shown = keep.get(k).copied().unwrap_or(false);
                    k += 1;
                    shown
                });
            }
        }
    }
    serde_json::to_string(&v).map_err(|e| DerivedError::Unreadable(e.to_string()))
}

// ───────────────────────────── as of an earlier log size ─────────────────────────────

/// How many `views-asof-<size>.db` caches a data directory keeps (the most recently written).
pub const AS_OF_CACHES: usize = 4;

/// One as-of computation at a time in a process: concurrent requests for one size compute it
/// once, and a burst of requests for many sizes costs one rebuild at a time.
static AS_OF: Mutex<()> = Mutex::new(());

/// The views as known at log size `size`: `DIR/views-asof-<size>.db`.
pub fn as_of_path(dir: &Path, size: u64) -> PathBuf {
    dir.join(format!("views-asof-{size}.db"))
}

/// The root of the log's first `size` entries as stamps write it (empty for size 0).
pub fn root_at(reader: &dyn LogSource, size: u64) -> Result<String, DerivedError> {
    Ok(if size == 0 {
        String::new()
    } else {
        reader.root_at(size)?.to_string()
    })
}

/// Whether views stamped `stamp` are the log's first `size` entries (root `root`) under these
/// rules.
fn stamped_at(stamp: Option<&ViewStamp>, size: u64, root: &str) -> bool {
    stamp.is_some_and(|s| s.log_size == size && s.root == root && s.rules == RULES_VERSION)
}

/// Checks a log size asked for (`--as-of`, `?as_of=`) against the log's size `latest`.
pub fn check_size(size: u64, latest: u64) -> Result<(), DerivedError> {
    if size > latest {
        return Err(DerivedError::BeyondLog { size, latest });
    }
    Ok(())
}

/// Opens the views as known at log size `size` (the log's first `size` entries), cached in
/// `DIR/views-asof-<size>.db`: computed (replayed and judged) only when the file is missing or
/// stamped otherwise, then the older caches beyond [`AS_OF_CACHES`] are deleted. `views.db` is
/// never touched. [`DerivedError::BeyondLog`] when the log is shorter than `size`.
pub fn as_of_store(
    dir: &Path,
    reader: &dyn LogSource,
    size: u64,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ViewStore, DerivedError> {
    check_size(size, reader.size()?)?;
    let root = root_at(reader, size)?;
    let path = as_of_path(dir, size);
    let _one = AS_OF.lock().unwrap_or_else(|p| p.into_inner());
    let mut views = ViewStore::open(&path)?;
    if !stamped_at(views.stamp()?.as_ref(), size, &root) {
        let (j, stamp) = judge_at(reader, size, progress)?;
        store(&mut views, &j, &stamp)?;
        prune_as_of(dir, &path);
    }
    Ok(views)
}

/// The views to answer a CLI query from: as known at `as_of` (an earlier log size, through
/// [`as_of_store`]), or the current `views.db`, recomputed first if stale, when `as_of` is
/// `None` or the latest size.
pub fn views_at(
    dir: &Path,
    reader: &dyn LogSource,
    as_of: Option<u64>,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ViewStore, DerivedError> {
    let latest = reader.size()?;
    match as_of.filter(|s| *s != latest) {
        Some(size) => as_of_store(dir, reader, size, progress),
        None => {
            let mut views = ViewStore::open(&views_path(dir))?;
            ensure_fresh(reader, &mut views, progress)?;
            Ok(views)
        }
    }
}

/// The findings matching `filter` as known at log size `size`: read from `views.db` when it is
/// stamped exactly at that size (it is never recomputed here, so a server's own refresh of it is
/// not raced), else from the as-of cache ([`as_of_store`]).
pub fn findings_at(
    dir: &Path,
    reader: &dyn LogSource,
    size: u64,
    filter: &FindingFilter,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<Finding>, DerivedError> {
    let current = views_path(dir);
    if current.exists() {
        let root = root_at(reader, size)?;
        let views = ViewStore::open(&current)?;
        if stamped_at(views.stamp()?.as_ref(), size, &root) {
            return parse_all(&views.findings(filter)?);
        }
    }
    let views = as_of_store(dir, reader, size, progress)?;
    parse_all(&views.findings(filter)?)
}

/// Deletes all but the [`AS_OF_CACHES`] newest as-of caches (never `keep`), with their SQLite
/// side files, so querying many sizes does not fill the disk. Failures only cost a cache.
fn prune_as_of(dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut caches: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("views-asof-") && n.ends_with(".db"))
                && p != keep
        })
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    caches.sort();
    let excess = (caches.len() + 1).saturating_sub(AS_OF_CACHES);
    for (_, p) in caches.into_iter().take(excess) {
        for suffix in ["", "-wal", "-shm"] {
            let mut f = p.clone().into_os_string();
            f.push(suffix);
            let _ = std::fs::remove_file(f);
        }
    }
}

/// What a small derived document kept beside the views holds (`DIR/<folder>/<index>.json`): the
/// value with the log root and rules version it was computed at.
#[derive(serde::Serialize, serde::Deserialize)]
struct Kept<T> {
    root: String,
    rules: String,
    findings_changed: T,
}

fn kept_path(dir: &Path, folder: &str, index: u64) -> PathBuf {
    dir.join(folder).join(format!("{index}.json"))
}

/// A document kept by [`keep`] for entry `index`, if it was computed at this log `root` under the
/// current rules (anything else is recomputed).
pub(crate) fn kept<T: serde::de::DeserializeOwned>(
    dir: &Path,
    folder: &str,
    index: u64,
    root: &str,
) -> Option<T> {
    let text = std::fs::read_to_string(kept_path(dir, folder, index)).ok()?;
    let k: Kept<T> = serde_json::from_str(&text).ok()?;
    (k.root == root && k.rules == RULES_VERSION).then_some(k.findings_changed)
}

/// Keeps a derived document for entry `index` (written to a temporary file and renamed, so a
/// reader never sees half a file). Disposable like the views: a failure only costs a
/// recomputation later.
pub(crate) fn keep<T: serde::Serialize>(
    dir: &Path,
    folder: &str,
    index: u64,
    root: &str,
    value: &T,
) {
    let path = kept_path(dir, folder, index);
    let Some(parent) = path.parent() else { return };
    if std::fs::create_dir_all(parent).is_err() {
        return;
    }
    let Ok(text) = serde_json::to_string(&Kept {
        root: root.to_string(),
        rules: RULES_VERSION.to_string(),
        findings_changed: value,
    }) else {
        return;
    };
    let tmp = parent.join(format!(".{index}.json.{}", std::process::id()));
    if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truce_model::domain::Act;
    use truce_model::{Id, Role};

    fn detection(
        routine: Option<&str>,
        perpetrator: Option<&str>,
        relays: Option<&str>,
    ) -> Background {
        Background {
            day: "2025-03-20".into(),
            detection: Member {
                index: 41,
                entry_id: "a".repeat(64),
                author: Id::new("firms").unwrap(),
                role: Role::OpenData,
                id: Id::new("firms-viirs-2025-03-20-0001").unwrap(),
                act: Act::FireObserved,
                perpetrator: perpetrator.map(|p| Id::new(p).unwrap()),
                relays: relays.map(|p| Id::new(p).unwrap()),
                point: [-35.275_123_456_789, 51.195],
                uncertainty_m: 375,
                start: "2025-03-20T20:22:00Z".into(),
                end: "2025-03-20T20:22:00Z".into(),
                side: "sensor:firms".into(),
                routine: routine.map(str::to_string),
                observed: None,
            },
        }
    }

    #[test]
    fn background_round_trips_through_a_row_byte_for_byte() {
        let cases = [
            detection(None, None, None),
            detection(Some("hot spot at 35.27, 51.19: 14 days"), None, None),
            detection(Some(""), Some("ru"), Some("ua")),
            Background {
                detection: Member {
                    role: Role::Belligerent,
                    act: Act::DroneStrike,
                    ..detection(None, None, Some("us")).detection
                },
                ..detection(None, None, None)
            },
        ];
        for b in cases {
            let row = background_row(&b);
            assert_eq!(row.routine, b.detection.routine);
            assert_eq!(
                (row.lon, row.lat),
                (b.detection.point[0], b.detection.point[1])
            );
            let back = background_of(&row).unwrap();
            assert_eq!(back, b);
            assert_eq!(
                serde_json::to_string(&back).unwrap(),
                serde_json::to_string(&b).unwrap()
            );
        }
        let json = serde_json::to_value(detection(None, None, None)).unwrap();
        assert!(json.get("routine").is_none() && json.get("perpetrator").is_none());
        assert_eq!(json["role"], "open-data");
        assert_eq!(json["act"], "fire-observed");
    }

    #[test]
    fn a_list_shows_the_filed_reports_of_a_large_incident() {
        let det = |k: u64| Member {
            index: k,
            ..detection(None, None, None).detection
        };
        let mut members: Vec<Member> = (0..30).map(det).collect();
        members.push(Member {
            index: 30,
            role: Role::Belligerent,
            act: Act::DroneStrike,
            ..det(30)
        });
        let incident = truce_engine::Incident {
            id: "inc-1".into(),
            start: "2025-03-20T20:22:00Z".into(),
            end: "2025-03-20T20:22:00Z".into(),
            day: "2025-03-20".into(),
            point: [35.0, 50.0],
            uncertainty_m: 375,
            occurrence: truce_engine::Grade::Reported,
            disputed: false,
            sides: vec![],
            acts: vec![],
            alleged: vec![],
            routine: false,
            grade_reasons: vec![],
            reviews: vec![],
            assessments: vec![],
            members,
            vessels: vec![],
        };
        let head: serde_json::Value = serde_json::from_str(&head_json(&incident).unwrap()).unwrap();
        let shown: Vec<u64> = head["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["index"].as_u64().unwrap())
            .collect();
        // The allegation, then the first detections, in log order.
        let mut want: Vec<u64> = (0..HEAD_MEMBERS as u64 - 1).collect();
        want.push(30);
        assert_eq!(shown, want);
        assert_eq!(head["member_count"], 31);
    }

    #[test]
    fn a_row_this_build_cannot_read_is_unreadable() {
        let good = background_row(&detection(None, None, None));
        for bad in [
            BackgroundRow {
                role: "satellite".into(),
                ..good.clone()
            },
            BackgroundRow {
                act: "bonfire".into(),
                ..good.clone()
            },
            BackgroundRow {
                author: "Not An Id".into(),
                ..good.clone()
            },
            BackgroundRow {
                relays: Some(String::new()),
                ..good.clone()
            },
        ] {
            assert!(matches!(
                background_of(&bad),
                Err(DerivedError::Unreadable(_))
            ));
        }
    }
}

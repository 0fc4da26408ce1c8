//! Derived views in their own SQLite file (`views.db`): incidents, findings and small documents
//! (compliance, baseline summary) as the engine computed them, stamped with the log size, root
//! and rules version they were computed at. Nothing here is authoritative: the file may be
//! deleted at any time and rebuilt from the log (`truce rebuild`). Rows keep the engine's JSON
//! bytes, so a query returns exactly what was computed.
//!
//! Background detections (sensor detections in no incident, possibly millions) are kept
//! compact instead: one lean row of plain columns each ([`background`]).

use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use std::path::{Path, PathBuf};

pub mod background;
pub use background::{BackgroundEntry, BackgroundFilter, BackgroundRow};
pub mod gaps;
pub use gaps::{GapFilter, GapRow};

/// What a set of views was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewStamp {
    /// Log size (entries).
    pub log_size: u64,
    /// Root hash of the log at that size (base64).
    pub root: String,
    /// Rules version of the engine.
    pub rules: String,
}

/// An incident row: indexed columns and the JSON document.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    /// Incident id.
    pub id: String,
    /// Start (RFC 3339 UTC).
    pub start: String,
    /// UTC day.
    pub day: String,
    /// Occurrence grade.
    pub grade: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Parties blamed, comma-separated.
    pub parties: String,
    /// The JSON document.
    pub json: String,
    /// The document as lists show it (members abridged).
    pub head: String,
}

/// A finding row: indexed columns and the JSON document.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRow {
    /// Incident id.
    pub incident: String,
    /// The incident's start (its order among the findings of a reading).
    pub incident_start: String,
    /// Agreement.
    pub agreement: String,
    /// Reading (party).
    pub reading: String,
    /// Outcome.
    pub outcome: String,
    /// How well the outcome stands (`alleged`, `corroborated`, `established`).
    pub standing: String,
    /// The finding's day (in its agreement's time zone).
    pub day: String,
    /// Parties blamed, comma-separated.
    pub parties: String,
    /// The JSON document.
    pub json: String,
}

/// What identifies a stored finding: its reading and its incident.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingKey {
    /// Agreement.
    pub agreement: String,
    /// Reading (party).
    pub reading: String,
    /// The incident's start.
    pub incident_start: String,
    /// Incident id.
    pub incident: String,
}

/// What an incremental judgement changed in the views ([`ViewStore::update`]).
pub struct Changes<I, F, B> {
    /// Ids of incidents gone or changed (deleted first).
    pub incidents_gone: Vec<String>,
    /// Incidents new or changed.
    pub incidents: I,
    /// Findings gone or changed (deleted first).
    pub findings_gone: Vec<FindingKey>,
    /// Findings new or changed.
    pub findings: F,
    /// Log indexes of background rows gone or changed (deleted first).
    pub background_gone: Vec<u64>,
    /// Background rows new or changed.
    pub background: B,
}

/// Filters on incidents; `None` means any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentFilter {
    /// First UTC day (inclusive, `YYYY-MM-DD`).
    pub from_day: Option<String>,
    /// Last UTC day (inclusive).
    pub to_day: Option<String>,
    /// Occurrence grade.
    pub grade: Option<String>,
    /// A party blamed.
    pub party: Option<String>,
    /// Bounding box `[min lon, min lat, max lon, max lat]`.
    pub bbox: Option<[f64; 4]>,
}

/// Whether `[lon, lat]` lies in `bbox` (`[min lon, min lat, max lon, max lat]`), edges
/// included: the predicate of every `bbox` filter on the views' `lon`/`lat` columns (incidents
/// and background detections, in SQL and in memory).
pub fn in_bbox(lon: f64, lat: f64, bbox: [f64; 4]) -> bool {
    let [a, b, c, d] = bbox;
    lon >= a && lat >= b && lon <= c && lat <= d
}

/// Filters on findings; `None` means any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingFilter {
    /// Agreement.
    pub agreement: Option<String>,
    /// Reading (party).
    pub reading: Option<String>,
    /// Incident.
    pub incident: Option<String>,
    /// Outcome.
    pub outcome: Option<String>,
    /// Standing.
    pub standing: Option<String>,
    /// A party blamed.
    pub party: Option<String>,
    /// First day (inclusive), the finding's day in its agreement's time zone.
    pub from_day: Option<String>,
    /// Last day (inclusive).
    pub to_day: Option<String>,
}

/// The views database's schema version (`PRAGMA user_version`).
/// Version 3 stores `head` before `json`: SQLite reads a row's columns in order, so a list read
/// never walks the overflow pages of a large incident's full document. Version 5 adds
/// `view_background`. Version 6 keys `view_background` by the detection's log index and orders it
/// by an index on `(start, entry_index)` (the engine's order), so an incremental update deletes and
/// inserts single rows ([`ViewStore::update`]). Version 7 orders incidents by `(start, id)` and
/// findings by `(agreement, reading, incident_start, incident)` (the engine's orders) rather than by
/// insertion, so an update replaces only the incidents and findings that changed. Version 8 keeps
/// background rows lean (times as unix seconds, no day column, the entry id as bytes, words as
/// codes of `view_words`): [`background`]. Version 9 adds `view_ais_gaps` ([`gaps`]).
const SCHEMA_VERSION: i64 = 9;

/// The engine's order of incidents.
const INCIDENT_ORDER: &str = "start, id";
/// The engine's order of findings: by agreement, reading, then their incidents' order.
const FINDING_ORDER: &str = "agreement, reading, incident_start, incident";

/// Secondary indexes of the views.
const INDEXES: &str =
    "CREATE INDEX IF NOT EXISTS view_findings_incident ON view_findings(incident);
     CREATE INDEX IF NOT EXISTS view_findings_ar ON view_findings(agreement, reading, day);
     CREATE INDEX IF NOT EXISTS view_incidents_day ON view_incidents(day);
     CREATE INDEX IF NOT EXISTS view_incidents_order ON view_incidents(start, id);
     CREATE UNIQUE INDEX IF NOT EXISTS view_findings_order ON view_findings(agreement, reading, incident_start, incident);
     CREATE INDEX IF NOT EXISTS view_background_order ON view_background(start, entry_index);";

/// A `WHERE` clause with numbered parameters, built one optional condition at a time.
struct Where {
    sql: String,
    args: Vec<rusqlite::types::Value>,
}

impl Default for Where {
    fn default() -> Self {
        Where {
            sql: " WHERE 1=1".into(),
            args: Vec::new(),
        }
    }
}

impl Where {
    /// Adds `col op ?` when `v` is given.
    fn and(&mut self, col: &str, op: &str, v: Option<impl Into<rusqlite::types::Value>>) {
        if let Some(v) = v {
            self.args.push(v.into());
            self.sql
                .push_str(&format!(" AND {col} {op} ?{}", self.args.len()));
        }
    }

    /// Adds "`lon`/`lat` inside `bbox`, edges included" when given ([`in_bbox`] in SQL).
    fn bbox(&mut self, bbox: Option<[f64; 4]>) {
        if let Some([a, b, c, d]) = bbox {
            self.and("lon", ">=", Some(a));
            self.and("lat", ">=", Some(b));
            self.and("lon", "<=", Some(c));
            self.and("lat", "<=", Some(d));
        }
    }

    /// Adds "the comma-separated `parties` column lists `party`" when given: an exact match of
    /// one element (`instr`, not `LIKE`, so `_` and `%` in a value are never wildcards).
    fn party(&mut self, party: &Option<String>) {
        if let Some(p) = party {
            self.args.push(format!(",{p},").into());
            self.sql.push_str(&format!(
                " AND instr(',' || parties || ',', ?{}) > 0",
                self.args.len()
            ));
        }
    }
}

/// Why the views database failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The SQLite database failed or is not a database.
    #[error("database {path}: {source}{hint}")]
    Sqlite {
        /// Database file.
        path: String,
        /// The SQLite error.
        source: rusqlite::Error,
        /// A hint on what it means and what to do.
        hint: &'static str,
    },
    /// A filter's value cannot be read.
    #[error("filter {field} {value:?}: {reason}; write a day as YYYY-MM-DD")]
    Filter {
        /// The filter's field.
        field: &'static str,
        /// Its value.
        value: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// A background row cannot be written or read back as itself.
    #[error("background row at log index {entry_index}: {reason}")]
    Row {
        /// The row's log index.
        entry_index: u64,
        /// What is wrong with it.
        reason: String,
    },
}

/// The derived-views database.
pub struct ViewStore {
    conn: Connection,
    path: PathBuf,
}

fn sql(path: &Path, source: rusqlite::Error) -> DbError {
    DbError::Sqlite {
        path: path.display().to_string(),
        source,
        hint: " (views are derived: delete the file and run `truce rebuild`)",
    }
}

impl ViewStore {
    /// Opens or creates the views database at `path`.
    pub fn open(path: &Path) -> Result<ViewStore, DbError> {
        let conn = Connection::open(path).map_err(|e| sql(path, e))?;
        // Views are derived: a file of another schema version is emptied, not migrated.
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sql(path, e))?;
        if version != SCHEMA_VERSION {
            conn.execute_batch(&format!(
                "DROP TABLE IF EXISTS view_meta; DROP TABLE IF EXISTS view_incidents;
                 DROP TABLE IF EXISTS view_findings; DROP TABLE IF EXISTS view_docs;
                 DROP TABLE IF EXISTS view_background; DROP TABLE IF EXISTS view_words;
                 DROP TABLE IF EXISTS view_ais_gaps;
                 PRAGMA user_version = {SCHEMA_VERSION};"
            ))
            .map_err(|e| sql(path, e))?;
        }
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=NORMAL;
             PRAGMA busy_timeout=10000;
             CREATE TABLE IF NOT EXISTS view_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS view_incidents(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
               start TEXT NOT NULL, day TEXT NOT NULL, grade TEXT NOT NULL, lon REAL NOT NULL,
               lat REAL NOT NULL, parties TEXT NOT NULL, head TEXT NOT NULL, json TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS view_findings(seq INTEGER PRIMARY KEY, incident TEXT NOT NULL, incident_start TEXT NOT NULL,
               agreement TEXT NOT NULL, reading TEXT NOT NULL, outcome TEXT NOT NULL,
               standing TEXT NOT NULL, day TEXT NOT NULL, parties TEXT NOT NULL, json TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS view_docs(name TEXT PRIMARY KEY, json TEXT NOT NULL);",
        )
        .map_err(|e| sql(path, e))?;
        conn.execute_batch(background::SCHEMA)
            .map_err(|e| sql(path, e))?;
        conn.execute_batch(gaps::SCHEMA).map_err(|e| sql(path, e))?;
        conn.execute_batch(INDEXES).map_err(|e| sql(path, e))?;
        Ok(ViewStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Opens the views database at `path` for reading only (it must exist): for a long read
    /// (an export streamed to a client) on a connection of its own, so no pooled connection is
    /// held while the client reads. One statement reads from one snapshot of the file.
    pub fn open_read_only(path: &Path) -> Result<ViewStore, DbError> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql(path, e))?;
        conn.execute_batch("PRAGMA busy_timeout=10000;")
            .map_err(|e| sql(path, e))?;
        Ok(ViewStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Stops this connection's commits from copying the write-ahead log back into the file when
    /// it grows (SQLite's automatic checkpoint, which a commit then pays for): for a writer whose
    /// commits someone waits on (the server's views, followed within milliseconds of each
    /// entry), which calls [`ViewStore::checkpoint`] itself once nobody waits.
    pub fn defer_checkpoints(&self) -> Result<(), DbError> {
        self.conn
            .execute_batch("PRAGMA wal_autocheckpoint=0;")
            .map_err(|e| sql(&self.path, e))
    }

    /// Copies what it can of the write-ahead log back into the file without waiting for readers
    /// (a passive checkpoint), when the log holds at least `min_pages` pages. Returns the pages
    /// the log held.
    pub fn checkpoint(&self, min_pages: i64) -> Result<i64, DbError> {
        let e = |x| sql(&self.path, x);
        // `wal_checkpoint(PASSIVE)` answers (busy, pages in the log, pages copied); asking costs
        // a checkpoint, so the log's size is read from the file first.
        let wal = std::path::PathBuf::from(format!("{}-wal", self.path.display()));
        let page: i64 = self
            .conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(e)?;
        let pages = std::fs::metadata(&wal)
            .map(|m| i64::try_from(m.len()).unwrap_or(i64::MAX) / page.max(1))
            .unwrap_or(0);
        if pages < min_pages {
            return Ok(pages);
        }
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
            .map_err(e)
    }

    /// What the stored views were computed from, if any are stored.
    pub fn stamp(&self) -> Result<Option<ViewStamp>, DbError> {
        let get = |k: &str| -> Result<Option<String>, DbError> {
            self.conn
                .query_row("SELECT value FROM view_meta WHERE key = ?1", [k], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(|e| sql(&self.path, e))
        };
        let (Some(size), Some(root), Some(rules)) = (get("log_size")?, get("root")?, get("rules")?)
        else {
            return Ok(None);
        };
        Ok(size.parse().ok().map(|log_size| ViewStamp {
            log_size,
            root,
            rules,
        }))
    }

    /// Replaces every stored view in one transaction, dropping the secondary indexes while rows
    /// are written and building them afterwards (faster for large views). No AIS gap is stored
    /// ([`ViewStore::replace_bulk_with`] stores them).
    pub fn replace_bulk<'a>(
        &mut self,
        stamp: &ViewStamp,
        incidents: impl IntoIterator<Item = IncidentRow>,
        findings: impl IntoIterator<Item = FindingRow>,
        background: impl IntoIterator<Item = BackgroundEntry<'a>>,
        docs: &[(&str, String)],
    ) -> Result<(), DbError> {
        self.replace_bulk_with(stamp, incidents, findings, background, &[], docs)
    }

    /// [`ViewStore::replace_bulk`], storing `gaps` as the AIS gaps.
    pub fn replace_bulk_with<'a>(
        &mut self,
        stamp: &ViewStamp,
        incidents: impl IntoIterator<Item = IncidentRow>,
        findings: impl IntoIterator<Item = FindingRow>,
        background: impl IntoIterator<Item = BackgroundEntry<'a>>,
        gaps: &[GapRow],
        docs: &[(&str, String)],
    ) -> Result<(), DbError> {
        self.conn
            .execute_batch(
                "DROP INDEX IF EXISTS view_findings_incident; DROP INDEX IF EXISTS view_findings_ar; DROP INDEX IF EXISTS view_incidents_day; DROP INDEX IF EXISTS view_incidents_order; DROP INDEX IF EXISTS view_findings_order; DROP INDEX IF EXISTS view_background_order;",
            )
            .map_err(|e| sql(&self.path, e))?;
        let t = std::time::Instant::now();
        let r = self.write(
            stamp,
            None,
            incidents,
            findings,
            None::<std::iter::Empty<u64>>,
            background,
            Some(gaps),
            docs,
        );
        tracing::debug!(secs = t.elapsed().as_secs_f64(), "views rows written");
        let t = std::time::Instant::now();
        self.conn
            .execute_batch(INDEXES)
            .map_err(|e| sql(&self.path, e))?;
        tracing::debug!(secs = t.elapsed().as_secs_f64(), "views indexed");
        let t = std::time::Instant::now();
        // The write-ahead log now holds the whole file: copy it back now, while the caller is
        // already paying for a full store, not at the next small update's commit (SQLite's
        // automatic checkpoint would, taking seconds for a million rows).
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| sql(&self.path, e))?;
        tracing::debug!(secs = t.elapsed().as_secs_f64(), "views checkpointed");
        r
    }

    /// Replaces every stored view in one transaction (no AIS gap is stored). Background
    /// detections are stored keyed by their log index, with one prepared statement.
    pub fn replace<'a>(
        &mut self,
        stamp: &ViewStamp,
        incidents: impl IntoIterator<Item = IncidentRow>,
        findings: impl IntoIterator<Item = FindingRow>,
        background: impl IntoIterator<Item = BackgroundEntry<'a>>,
        docs: &[(&str, String)],
    ) -> Result<(), DbError> {
        self.write(
            stamp,
            None,
            incidents,
            findings,
            None::<std::iter::Empty<u64>>,
            background,
            Some(&[]),
            docs,
        )
    }

    /// Brings the stored views to `stamp` in one transaction with what an incremental judgement
    /// changed ([`Changes`]): the incidents, findings and background rows that went deleted, the
    /// ones that came or changed written, the documents given replaced (the others kept). Readers see the old views or the
    /// new ones, never a mix.
    pub fn update<'a>(
        &mut self,
        stamp: &ViewStamp,
        changes: Changes<
            impl IntoIterator<Item = IncidentRow>,
            impl IntoIterator<Item = FindingRow>,
            impl IntoIterator<Item = BackgroundEntry<'a>>,
        >,
        docs: &[(&str, String)],
    ) -> Result<(), DbError> {
        self.write(
            stamp,
            Some((changes.incidents_gone, changes.findings_gone)),
            changes.incidents,
            changes.findings,
            Some(changes.background_gone),
            changes.background,
            None,
            docs,
        )
    }

    /// The one writer of the views: `gone` and `removed` `None` replace every incident, finding
    /// and background row by those given; `Some` deletes those (incident ids, finding keys,
    /// background log indexes) and writes those given over any of the same key. `gaps` `Some`
    /// replaces the AIS gaps, `None` keeps them.
    #[allow(clippy::too_many_arguments)]
    fn write<'a>(
        &mut self,
        stamp: &ViewStamp,
        gone: Option<(Vec<String>, Vec<FindingKey>)>,
        incidents: impl IntoIterator<Item = IncidentRow>,
        findings: impl IntoIterator<Item = FindingRow>,
        removed: Option<impl IntoIterator<Item = u64>>,
        background: impl IntoIterator<Item = BackgroundEntry<'a>>,
        gaps: Option<&[GapRow]>,
        docs: &[(&str, String)],
    ) -> Result<(), DbError> {
        let path = self.path.clone();
        let e = |x| sql(&path, x);
        let tx = self.conn.transaction().map_err(e)?;
        // A full replace drops every document; an update replaces those it is given.
        tx.execute_batch(if gone.is_none() {
            "DELETE FROM view_meta; DELETE FROM view_docs;"
        } else {
            "DELETE FROM view_meta;"
        })
        .map_err(e)?;
        {
            match gone {
                None => {
                    tx.execute_batch("DELETE FROM view_incidents; DELETE FROM view_findings;")
                        .map_err(e)?;
                }
                Some((incidents, findings)) => {
                    let mut st = tx
                        .prepare("DELETE FROM view_incidents WHERE id = ?1")
                        .map_err(e)?;
                    for id in incidents {
                        st.execute([id]).map_err(e)?;
                    }
                    let mut st = tx
                        .prepare("DELETE FROM view_findings WHERE agreement = ?1 AND reading = ?2 AND incident_start = ?3 AND incident = ?4")
                        .map_err(e)?;
                    for k in findings {
                        st.execute(params![
                            k.agreement,
                            k.reading,
                            k.incident_start,
                            k.incident
                        ])
                        .map_err(e)?;
                    }
                }
            }
            let t = std::time::Instant::now();
            background::write(&tx, removed, background).map_err(e)?;
            tracing::debug!(secs = t.elapsed().as_secs_f64(), "background rows written");
            if let Some(g) = gaps {
                gaps::write(&tx, g).map_err(e)?;
            }
            let mut st = tx
                .prepare("INSERT OR REPLACE INTO view_incidents(id, start, day, grade, lon, lat, parties, json, head) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
                .map_err(e)?;
            for i in incidents {
                st.execute(params![
                    i.id, i.start, i.day, i.grade, i.lon, i.lat, i.parties, i.json, i.head
                ])
                .map_err(e)?;
            }
            let mut st = tx
                .prepare("INSERT OR REPLACE INTO view_findings(incident, incident_start, agreement, reading, outcome, standing, day, parties, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
                .map_err(e)?;
            for f in findings {
                st.execute(params![
                    f.incident,
                    f.incident_start,
                    f.agreement,
                    f.reading,
                    f.outcome,
                    f.standing,
                    f.day,
                    f.parties,
                    f.json
                ])
                .map_err(e)?;
            }
            let mut st = tx
                .prepare("INSERT OR REPLACE INTO view_docs(name, json) VALUES (?1, ?2)")
                .map_err(e)?;
            for (n, j) in docs {
                st.execute(params![n, j]).map_err(e)?;
            }
            let mut st = tx
                .prepare("INSERT INTO view_meta(key, value) VALUES (?1, ?2)")
                .map_err(e)?;
            st.execute(params!["log_size", stamp.log_size.to_string()])
                .map_err(e)?;
            st.execute(params!["root", stamp.root]).map_err(e)?;
            st.execute(params!["rules", stamp.rules]).map_err(e)?;
        }
        let t = std::time::Instant::now();
        let r = tx.commit().map_err(e);
        tracing::debug!(secs = t.elapsed().as_secs_f64(), "views committed");
        r
    }

    fn incident_where(f: &IncidentFilter) -> (String, Vec<rusqlite::types::Value>) {
        let mut w = Where::default();
        w.and("day", ">=", f.from_day.clone());
        w.and("day", "<=", f.to_day.clone());
        w.and("grade", "=", f.grade.clone());
        w.party(&f.party);
        w.bbox(f.bbox);
        (w.sql, w.args)
    }

    fn finding_where(f: &FindingFilter) -> (String, Vec<rusqlite::types::Value>) {
        let mut w = Where::default();
        w.and("agreement", "=", f.agreement.clone());
        w.and("reading", "=", f.reading.clone());
        w.and("incident", "=", f.incident.clone());
        w.and("outcome", "=", f.outcome.clone());
        w.and("standing", "=", f.standing.clone());
        w.and("day", ">=", f.from_day.clone());
        w.and("day", "<=", f.to_day.clone());
        w.party(&f.party);
        (w.sql, w.args)
    }

    /// Incidents matching `f`, in stored order (by start, then id), as JSON documents.
    pub fn incidents(&self, f: &IncidentFilter) -> Result<Vec<String>, DbError> {
        let (w, args) = Self::incident_where(f);
        self.select("json", "view_incidents", &w, args, None)
    }

    /// Incidents matching `f`, in stored order, in their list form (members abridged).
    pub fn incident_heads(&self, f: &IncidentFilter) -> Result<Vec<String>, DbError> {
        let (w, args) = Self::incident_where(f);
        self.select("head", "view_incidents", &w, args, None)
    }

    /// Hands each incident matching `f`, in stored order and in its list form, to `each`, one
    /// row at a time (nothing collected); `each` returns `false` to stop. The rows come from one
    /// snapshot of the file, even if the views are replaced meanwhile.
    pub fn each_incident_head(
        &self,
        f: &IncidentFilter,
        each: impl FnMut(String) -> bool,
    ) -> Result<(), DbError> {
        let (w, args) = Self::incident_where(f);
        self.each(
            &format!("SELECT head FROM view_incidents{w} ORDER BY {INCIDENT_ORDER}"),
            args,
            each,
        )
    }

    /// Hands each finding matching `f`, in stored order, to `each`, one row at a time, as
    /// [`ViewStore::each_incident_head`] does.
    pub fn each_finding(
        &self,
        f: &FindingFilter,
        each: impl FnMut(String) -> bool,
    ) -> Result<(), DbError> {
        let (w, args) = Self::finding_where(f);
        self.each(
            &format!("SELECT json FROM view_findings{w} ORDER BY {FINDING_ORDER}"),
            args,
            each,
        )
    }

    fn each(
        &self,
        q: &str,
        args: Vec<rusqlite::types::Value>,
        mut each: impl FnMut(String) -> bool,
    ) -> Result<(), DbError> {
        let e = |x| sql(&self.path, x);
        let mut st = self.conn.prepare(q).map_err(e)?;
        let mut rows = st.query(params_from_iter(args)).map_err(e)?;
        while let Some(row) = rows.next().map_err(e)? {
            if !each(row.get::<_, String>(0).map_err(e)?) {
                break;
            }
        }
        Ok(())
    }

    /// One page of the incidents matching `f` (`limit` from `offset`) in their list form
    /// (members abridged), and how many match.
    pub fn incidents_page(
        &self,
        f: &IncidentFilter,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<String>, u64), DbError> {
        let (w, args) = Self::incident_where(f);
        self.page("head", "view_incidents", &w, args, limit, offset)
    }

    /// Findings matching `f`, in stored order, as JSON documents.
    pub fn findings(&self, f: &FindingFilter) -> Result<Vec<String>, DbError> {
        let (w, args) = Self::finding_where(f);
        self.select("json", "view_findings", &w, args, None)
    }

    /// One page of the findings matching `f`, and how many match.
    pub fn findings_page(
        &self,
        f: &FindingFilter,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<String>, u64), DbError> {
        let (w, args) = Self::finding_where(f);
        self.page("json", "view_findings", &w, args, limit, offset)
    }

    /// `column` of the rows of `table` matching `where_`, in stored order, optionally one page.
    fn select(
        &self,
        column: &str,
        table: &str,
        where_: &str,
        args: Vec<rusqlite::types::Value>,
        page: Option<(usize, usize)>,
    ) -> Result<Vec<String>, DbError> {
        let limit = page
            .map(|(limit, offset)| format!(" LIMIT {limit} OFFSET {offset}"))
            .unwrap_or_default();
        let order = if table == "view_findings" {
            FINDING_ORDER
        } else {
            INCIDENT_ORDER
        };
        self.strings(
            &format!("SELECT {column} FROM {table}{where_} ORDER BY {order}{limit}"),
            args,
        )
    }

    /// One page of `column` of the rows matching `where_`, and how many match.
    fn page(
        &self,
        column: &str,
        table: &str,
        where_: &str,
        args: Vec<rusqlite::types::Value>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<String>, u64), DbError> {
        let total = self
            .conn
            .query_row(
                &format!("SELECT count(*) FROM {table}{where_}"),
                params_from_iter(args.clone()),
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| sql(&self.path, e))?;
        let docs = self.select(column, table, where_, args, Some((limit, offset)))?;
        Ok((docs, total))
    }

    /// One incident's JSON document.
    pub fn incident(&self, id: &str) -> Result<Option<String>, DbError> {
        self.conn
            .query_row("SELECT json FROM view_incidents WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql(&self.path, e))
    }

    /// Incident ids starting with `prefix` (for abbreviated ids), at most `limit`.
    pub fn incident_ids(&self, prefix: &str, limit: usize) -> Result<Vec<String>, DbError> {
        // `%`, `_` and the escape character itself match only themselves.
        let like = format!(
            "{}%",
            prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        self.strings(
            &format!(
                "SELECT id FROM view_incidents WHERE id LIKE ?1 ESCAPE '\\' ORDER BY id LIMIT {limit}"
            ),
            vec![like.into()],
        )
    }

    /// Every row of every table, one string per row, in a fixed order (a table's name line before
    /// its rows): two files hold the same views exactly when their dumps are equal — what the
    /// tests of views that follow the log compare with a rebuild.
    pub fn dump(&self) -> Result<Vec<String>, DbError> {
        let mut out = Vec::new();
        for q in [
            "SELECT key || '=' || value FROM view_meta ORDER BY key",
            "SELECT id || start || day || grade || lon || lat || parties || head || json FROM view_incidents ORDER BY start, id",
            "SELECT incident || incident_start || agreement || reading || outcome || standing || day || parties || json FROM view_findings ORDER BY agreement, reading, incident_start, incident",
            "SELECT name || json FROM view_docs ORDER BY name",
        ] {
            out.push(format!("-- {q}"));
            out.extend(self.strings(q, Vec::new())?);
        }
        self.dump_background(&mut out)?;
        self.dump_gaps(&mut out)?;
        Ok(out)
    }

    /// A stored document by name.
    pub fn doc(&self, name: &str) -> Result<Option<String>, DbError> {
        self.conn
            .query_row("SELECT json FROM view_docs WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql(&self.path, e))
    }

    fn strings(&self, q: &str, args: Vec<rusqlite::types::Value>) -> Result<Vec<String>, DbError> {
        let mut st = self.conn.prepare(q).map_err(|e| sql(&self.path, e))?;
        let rows = st
            .query_map(params_from_iter(args), |r| r.get::<_, String>(0))
            .map_err(|e| sql(&self.path, e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| sql(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_round_trip_and_filter() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = ViewStore::open(&dir.path().join("views.db")).unwrap();
        assert_eq!(v.stamp().unwrap(), None);
        let stamp = ViewStamp {
            log_size: 7,
            root: "r".into(),
            rules: "x/1".into(),
        };
        let inc = |id: &str, day: &str, lon: f64| IncidentRow {
            id: id.into(),
            start: format!("{day}T00:00:00Z"),
            day: day.into(),
            grade: "reported".into(),
            lon,
            lat: 50.0,
            parties: "ru,ua".into(),
            json: format!("{{\"id\":\"{id}\"}}"),
            head: format!("{{\"id\":\"{id}\"}}"),
        };
        let fnd = |inc: &str, reading: &str| FindingRow {
            incident: inc.into(),
            incident_start: if inc == "inc-1" {
                "2025-03-20T00:00:00Z".into()
            } else {
                "2025-03-21T00:00:00Z".into()
            },
            agreement: "a".into(),
            reading: reading.into(),
            outcome: "breach".into(),
            standing: "alleged".into(),
            day: "2025-03-21".into(),
            parties: "ua".into(),
            json: format!("{{\"incident\":\"{inc}\",\"reading\":\"{reading}\"}}"),
        };
        v.replace(
            &stamp,
            [
                inc("inc-1", "2025-03-20", 35.0),
                inc("inc-2", "2025-03-21", 40.0),
            ],
            [fnd("inc-1", "ru"), fnd("inc-1", "ua"), fnd("inc-2", "ru")],
            [],
            &[("compliance", "{}".into())],
        )
        .unwrap();
        assert_eq!(v.stamp().unwrap(), Some(stamp));
        let f = IncidentFilter {
            from_day: Some("2025-03-21".into()),
            ..Default::default()
        };
        assert_eq!(v.incidents(&f).unwrap(), vec!["{\"id\":\"inc-2\"}"]);
        let f = IncidentFilter {
            bbox: Some([34.0, 49.0, 36.0, 51.0]),
            party: Some("ua".into()),
            ..Default::default()
        };
        assert_eq!(v.incidents(&f).unwrap().len(), 1);
        let f = FindingFilter {
            reading: Some("ru".into()),
            ..Default::default()
        };
        assert_eq!(v.findings(&f).unwrap().len(), 2);
        assert_eq!(v.incident_ids("inc-", 10).unwrap(), vec!["inc-1", "inc-2"]);
        // `_` and `%` are no wildcards: `r_` names no party of "ru,ua", `%` no incident id.
        for party in ["r_", "%", "_u", "r%"] {
            let f = IncidentFilter {
                party: Some(party.into()),
                ..Default::default()
            };
            assert!(v.incidents(&f).unwrap().is_empty(), "party {party:?}");
            let f = FindingFilter {
                party: Some(party.into()),
                ..Default::default()
            };
            assert!(v.findings(&f).unwrap().is_empty(), "party {party:?}");
        }
        assert!(v.incident_ids("inc_", 10).unwrap().is_empty());
        assert!(v.incident_ids("%", 10).unwrap().is_empty());
        let (page, total) = v.incidents_page(&IncidentFilter::default(), 1, 1).unwrap();
        assert_eq!((page, total), (vec!["{\"id\":\"inc-2\"}".to_string()], 2));
        let (page, total) = v.findings_page(&FindingFilter::default(), 10, 2).unwrap();
        assert_eq!((page.len(), total), (1, 3));
        // Row by row, in stored order, stopping when asked; a read-only connection sees the same.
        let ro = ViewStore::open_read_only(&dir.path().join("views.db")).unwrap();
        let mut seen = Vec::new();
        ro.each_incident_head(&IncidentFilter::default(), |d| {
            seen.push(d);
            true
        })
        .unwrap();
        assert_eq!(seen, v.incident_heads(&IncidentFilter::default()).unwrap());
        let mut n = 0;
        ro.each_finding(&FindingFilter::default(), |_| {
            n += 1;
            n < 2
        })
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(v.doc("compliance").unwrap().as_deref(), Some("{}"));
        // Replacing drops what was there.
        v.replace(
            &ViewStamp {
                log_size: 8,
                root: "s".into(),
                rules: "x/1".into(),
            },
            [],
            [],
            [],
            &[],
        )
        .unwrap();
        assert!(v.incidents(&IncidentFilter::default()).unwrap().is_empty());
    }
}

//! Derived views in their own SQLite file (`views.db`): incidents, findings and small documents
//! (compliance, baseline summary) as the engine computed them, stamped with the log size, root
//! and rules version they were computed at. Nothing here is authoritative: the file may be
//! deleted at any time and rebuilt from the log (`truce rebuild`). Rows keep the engine's JSON
//! bytes, so a query returns exactly what was computed.
//!
//! Background detections (sensor detections in no incident, possibly millions) are kept
//! compact instead: one row of plain columns each (`view_background`, [`BackgroundRow`], no JSON),
//! filtered by one definition ([`BackgroundFilter`]: in SQL, and [`BackgroundFilter::matches`]
//! for a row in memory).

use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use std::path::{Path, PathBuf};

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

/// A background detection: a sensor detection in no incident, as plain columns (the fields of
/// the engine's `Background`, its point split into `lon` and `lat`). Stored in the order the
/// engine lists them (by start, then log index); the store knows nothing of their meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct BackgroundRow {
    /// Log index of the report's entry.
    pub entry_index: u64,
    /// Entry id.
    pub entry_id: String,
    /// Author (the source: `firms`, …).
    pub author: String,
    /// The author's role (`open-data`).
    pub role: String,
    /// Report id.
    pub id: String,
    /// Act (`fire-observed`).
    pub act: String,
    /// Earliest time (RFC 3339 UTC, whole seconds: `2025-03-21T10:00:00Z`).
    pub start: String,
    /// Latest time (RFC 3339 UTC).
    pub end: String,
    /// UTC day of `start` (`YYYY-MM-DD`).
    pub day: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Uncertainty, metres.
    pub uncertainty_m: u32,
    /// The origin of the claim (`sensor:firms`).
    pub side: String,
    /// The hot spot's description when the detection is routine (at a persistent hot spot).
    pub routine: Option<String>,
    /// Whom the report blames (detections normally name nobody; kept so a row renders back
    /// exactly).
    pub perpetrator: Option<String>,
    /// Whose claim the report relays, if not its author's (kept likewise).
    pub relays: Option<String>,
}

/// Whether `[lon, lat]` lies in `bbox` (`[min lon, min lat, max lon, max lat]`), edges
/// included: the predicate of every `bbox` filter on the views' `lon`/`lat` columns (incidents
/// and background detections, in SQL and in memory).
pub fn in_bbox(lon: f64, lat: f64, bbox: [f64; 4]) -> bool {
    let [a, b, c, d] = bbox;
    lon >= a && lat >= b && lon <= c && lat <= d
}

/// Filters on background detections; `None` means any. Days and the bounding box mean what
/// they mean for incidents ([`IncidentFilter`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackgroundFilter {
    /// First UTC day (inclusive, `YYYY-MM-DD`), on `day`.
    pub from_day: Option<String>,
    /// Last UTC day (inclusive), on `day`.
    pub to_day: Option<String>,
    /// Earliest start (inclusive), an RFC 3339 UTC time in whole seconds as `start` is written
    /// (`2025-03-21T10:00:00Z`), compared as text: for bounds finer than a day.
    pub from_start: Option<String>,
    /// Latest start (inclusive), written likewise.
    pub to_start: Option<String>,
    /// Bounding box `[min lon, min lat, max lon, max lat]`, edges included ([`in_bbox`]).
    pub bbox: Option<[f64; 4]>,
    /// The source: the detection's author.
    pub source: Option<String>,
    /// `Some(true)`: only routine detections (at a persistent hot spot); `Some(false)`: only
    /// the others.
    pub routine: Option<bool>,
}

impl BackgroundFilter {
    /// Whether a row passes the filter: the same predicate the database applies.
    pub fn matches(&self, r: &BackgroundRow) -> bool {
        let ge = |v: &str, b: &Option<String>| b.as_deref().is_none_or(|b| v >= b);
        let le = |v: &str, b: &Option<String>| b.as_deref().is_none_or(|b| v <= b);
        ge(&r.day, &self.from_day)
            && le(&r.day, &self.to_day)
            && ge(&r.start, &self.from_start)
            && le(&r.start, &self.to_start)
            && self.bbox.is_none_or(|b| in_bbox(r.lon, r.lat, b))
            && self.source.as_deref().is_none_or(|s| r.author == s)
            && self.routine.is_none_or(|want| r.routine.is_some() == want)
    }

    fn where_(&self) -> (String, Vec<rusqlite::types::Value>) {
        let mut w = Where::default();
        w.and("day", ">=", self.from_day.clone());
        w.and("day", "<=", self.to_day.clone());
        w.and("start", ">=", self.from_start.clone());
        w.and("start", "<=", self.to_start.clone());
        w.bbox(self.bbox);
        w.and("author", "=", self.source.clone());
        match self.routine {
            Some(true) => w.sql.push_str(" AND routine IS NOT NULL"),
            Some(false) => w.sql.push_str(" AND routine IS NULL"),
            None => {}
        }
        (w.sql, w.args)
    }
}

/// The columns of `view_background` a [`BackgroundRow`] is read from, in its fields' order.
const BACKGROUND_COLUMNS: &str = "entry_index, entry_id, author, role, id, act, start, \"end\", day, lon, lat, uncertainty_m, side, routine, perpetrator, relays";

fn background_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BackgroundRow> {
    Ok(BackgroundRow {
        entry_index: r.get(0)?,
        entry_id: r.get(1)?,
        author: r.get(2)?,
        role: r.get(3)?,
        id: r.get(4)?,
        act: r.get(5)?,
        start: r.get(6)?,
        end: r.get(7)?,
        day: r.get(8)?,
        lon: r.get(9)?,
        lat: r.get(10)?,
        uncertainty_m: r.get(11)?,
        side: r.get(12)?,
        routine: r.get(13)?,
        perpetrator: r.get(14)?,
        relays: r.get(15)?,
    })
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
/// insertion, so an update replaces only the incidents and findings that changed.
const SCHEMA_VERSION: i64 = 7;

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
     CREATE INDEX IF NOT EXISTS view_background_day ON view_background(day);
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
                 DROP TABLE IF EXISTS view_background;
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
             CREATE TABLE IF NOT EXISTS view_docs(name TEXT PRIMARY KEY, json TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS view_background(entry_index INTEGER PRIMARY KEY, entry_id TEXT NOT NULL, author TEXT NOT NULL,
               role TEXT NOT NULL, id TEXT NOT NULL, act TEXT NOT NULL, start TEXT NOT NULL,
               \"end\" TEXT NOT NULL, day TEXT NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL,
               uncertainty_m INTEGER NOT NULL, side TEXT NOT NULL, routine TEXT NULL,
               perpetrator TEXT NULL, relays TEXT NULL);",
        )
        .map_err(|e| sql(path, e))?;
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
    /// are written and building them afterwards (faster for large views).
    pub fn replace_bulk(
        &mut self,
        stamp: &ViewStamp,
        incidents: impl IntoIterator<Item = IncidentRow>,
        findings: impl IntoIterator<Item = FindingRow>,
        background: impl IntoIterator<Item = BackgroundRow>,
        docs: &[(&str, String)],
    ) -> Result<(), DbError> {
        self.conn
            .execute_batch(
                "DROP INDEX IF EXISTS view_findings_incident; DROP INDEX IF EXISTS view_findings_ar; DROP INDEX IF EXISTS view_incidents_day; DROP INDEX IF EXISTS view_incidents_order; DROP INDEX IF EXISTS view_findings_order; DROP INDEX IF EXISTS view_background_day; DROP INDEX IF EXISTS view_background_order;",
            )
            .map_err(|e| sql(&self.path, e))?;
        let r = self.replace(stamp, incidents, findings, background, docs);
        self.conn
            .execute_batch(INDEXES)
            .map_err(|e| sql(&self.path, e))?;
        // The write-ahead log now holds the whole file: copy it back now, while the caller is
        // already paying for a full store, not at the next small update's commit (SQLite's
        // automatic checkpoint would, taking seconds for a million rows).
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| sql(&self.path, e))?;
        r
    }

    /// Replaces every stored view in one transaction. Background detections are stored keyed by
    /// their log index, with one prepared statement.
    pub fn replace(
        &mut self,
        stamp: &ViewStamp,
        incidents: impl IntoIterator<Item = IncidentRow>,
        findings: impl IntoIterator<Item = FindingRow>,
        background: impl IntoIterator<Item = BackgroundRow>,
        docs: &[(&str, String)],
    ) -> Result<(), DbError> {
        self.write(
            stamp,
            None,
            incidents,
            findings,
            None::<std::iter::Empty<u64>>,
            background,
            docs,
        )
    }

    /// Brings the stored views to `stamp` in one transaction with what an incremental judgement
    /// changed ([`Changes`]): the incidents, findings and background rows that went deleted, the
    /// ones that came or changed written, the documents replaced. Readers see the old views or the
    /// new ones, never a mix.
    pub fn update(
        &mut self,
        stamp: &ViewStamp,
        changes: Changes<
            impl IntoIterator<Item = IncidentRow>,
            impl IntoIterator<Item = FindingRow>,
            impl IntoIterator<Item = BackgroundRow>,
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
            docs,
        )
    }

    /// The one writer of the views: `gone` and `removed` `None` replace every incident, finding
    /// and background row by those given; `Some` deletes those (incident ids, finding keys,
    /// background log indexes) and writes those given over any of the same key.
    #[allow(clippy::too_many_arguments)]
    fn write(
        &mut self,
        stamp: &ViewStamp,
        gone: Option<(Vec<String>, Vec<FindingKey>)>,
        incidents: impl IntoIterator<Item = IncidentRow>,
        findings: impl IntoIterator<Item = FindingRow>,
        removed: Option<impl IntoIterator<Item = u64>>,
        background: impl IntoIterator<Item = BackgroundRow>,
        docs: &[(&str, String)],
    ) -> Result<(), DbError> {
        let path = self.path.clone();
        let e = |x| sql(&path, x);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute_batch("DELETE FROM view_meta; DELETE FROM view_docs;")
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
            match removed {
                None => {
                    tx.execute_batch("DELETE FROM view_background;")
                        .map_err(e)?;
                }
                Some(removed) => {
                    let mut st = tx
                        .prepare("DELETE FROM view_background WHERE entry_index = ?1")
                        .map_err(e)?;
                    for k in removed {
                        st.execute([i64::try_from(k).unwrap_or(i64::MAX)])
                            .map_err(e)?;
                    }
                }
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
                .prepare(&format!("INSERT OR REPLACE INTO view_background({BACKGROUND_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"))
                .map_err(e)?;
            for b in background {
                st.execute(params![
                    b.entry_index,
                    b.entry_id,
                    b.author,
                    b.role,
                    b.id,
                    b.act,
                    b.start,
                    b.end,
                    b.day,
                    b.lon,
                    b.lat,
                    b.uncertainty_m,
                    b.side,
                    b.routine,
                    b.perpetrator,
                    b.relays
                ])
                .map_err(e)?;
            }
            let mut st = tx
                .prepare("INSERT INTO view_docs(name, json) VALUES (?1, ?2)")
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
        tx.commit().map_err(e)
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

    /// One page of the background detections matching `f` (`limit` from `offset`, in stored
    /// order), and how many match.
    pub fn background_page(
        &self,
        f: &BackgroundFilter,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<BackgroundRow>, u64), DbError> {
        let total = self.background_count(f)?;
        let mut rows = Vec::with_capacity(limit.min(1024));
        self.scan_background(f, Some((limit, offset)), |r| {
            rows.push(r);
            true
        })?;
        Ok((rows, total))
    }

    /// How many background detections match `f`.
    pub fn background_count(&self, f: &BackgroundFilter) -> Result<u64, DbError> {
        let (w, args) = f.where_();
        self.conn
            .query_row(
                &format!("SELECT count(*) FROM view_background{w}"),
                params_from_iter(args),
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| sql(&self.path, e))
    }

    /// How many background detections match `f`, per UTC day (days with none left out), by day.
    pub fn background_by_day(&self, f: &BackgroundFilter) -> Result<Vec<(String, u64)>, DbError> {
        let (w, args) = f.where_();
        let e = |x| sql(&self.path, x);
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT day, count(*) FROM view_background{w} GROUP BY day ORDER BY day"
            ))
            .map_err(e)?;
        let rows = st
            .query_map(params_from_iter(args), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })
            .map_err(e)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(e)
    }

    /// Hands each background detection matching `f`, in stored order, to `each`, one row at a
    /// time (nothing collected; one snapshot of the file, as [`ViewStore::each_incident_head`]).
    pub fn each_background(
        &self,
        f: &BackgroundFilter,
        mut each: impl FnMut(BackgroundRow),
    ) -> Result<(), DbError> {
        self.scan_background(f, None, |r| {
            each(r);
            true
        })
    }

    /// [`ViewStore::each_background`], stopping when `each` returns `false`.
    pub fn each_background_while(
        &self,
        f: &BackgroundFilter,
        each: impl FnMut(BackgroundRow) -> bool,
    ) -> Result<(), DbError> {
        self.scan_background(f, None, each)
    }

    /// The background detections matching `f` in stored order, optionally one page
    /// (`(limit, offset)`), handed to `each` until it returns `false`.
    fn scan_background(
        &self,
        f: &BackgroundFilter,
        page: Option<(usize, usize)>,
        mut each: impl FnMut(BackgroundRow) -> bool,
    ) -> Result<(), DbError> {
        let (w, mut args) = f.where_();
        let mut q = format!(
            "SELECT {BACKGROUND_COLUMNS} FROM view_background{w} ORDER BY start, entry_index"
        );
        if let Some((limit, offset)) = page {
            // SQLite's integers are signed: a larger limit means "all", a larger offset "none".
            let n = |x: usize| i64::try_from(x).unwrap_or(i64::MAX);
            args.push(n(limit).into());
            args.push(n(offset).into());
            q.push_str(&format!(
                " LIMIT ?{} OFFSET ?{}",
                args.len() - 1,
                args.len()
            ));
        }
        let e = |x| sql(&self.path, x);
        let mut st = self.conn.prepare(&q).map_err(e)?;
        let mut rows = st.query(params_from_iter(args)).map_err(e)?;
        while let Some(row) = rows.next().map_err(e)? {
            if !each(background_row(row).map_err(e)?) {
                break;
            }
        }
        Ok(())
    }

    /// The background rows of the detections at log indexes `indexes`, read by primary key in one
    /// read transaction, and only if the file still holds the views stamped `stamp`: `Ok(None)`
    /// when the views were replaced since (the caller's index is stale). An index without a row
    /// is an error.
    pub fn background_at(
        &mut self,
        stamp: &Option<ViewStamp>,
        indexes: &[u64],
    ) -> Result<Option<Vec<BackgroundRow>>, DbError> {
        let path = self.path.clone();
        let e = |x| sql(&path, x);
        let tx = self.conn.transaction().map_err(e)?;
        let meta = |k: &str| -> Result<Option<String>, DbError> {
            tx.query_row("SELECT value FROM view_meta WHERE key = ?1", [k], |r| {
                r.get(0)
            })
            .optional()
            .map_err(e)
        };
        let now = match (meta("log_size")?, meta("root")?, meta("rules")?) {
            (Some(size), Some(root), Some(rules)) => size.parse().ok().map(|log_size| ViewStamp {
                log_size,
                root,
                rules,
            }),
            _ => None,
        };
        if now != *stamp {
            return Ok(None);
        }
        let rows = {
            let mut st = tx
                .prepare_cached(&format!(
                    "SELECT {BACKGROUND_COLUMNS} FROM view_background WHERE entry_index = ?1"
                ))
                .map_err(e)?;
            indexes
                .iter()
                .map(|&k| {
                    st.query_row([i64::try_from(k).unwrap_or(i64::MAX)], background_row)
                        .map_err(e)
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        tx.finish().map_err(e)?;
        Ok(Some(rows))
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
            "SELECT entry_index || entry_id || author || role || id || act || start || \"end\" || day || lon || lat || uncertainty_m || side || coalesce(routine, '-') || coalesce(perpetrator, '-') || coalesce(relays, '-') FROM view_background ORDER BY start, entry_index",
        ] {
            out.push(format!("-- {q}"));
            out.extend(self.strings(q, Vec::new())?);
        }
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
    use std::collections::BTreeMap;

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

    /// A background row on `day` at `[lon, lat]` by `author`, routine or not.
    fn bg(k: u64, day: &str, lon: f64, lat: f64, author: &str, routine: bool) -> BackgroundRow {
        BackgroundRow {
            entry_index: 100 + k,
            entry_id: format!("e{k}"),
            author: author.into(),
            role: "open-data".into(),
            id: format!("det-{k}"),
            act: "fire-observed".into(),
            start: format!("{day}T{:02}:00:00Z", k % 24),
            end: format!("{day}T{:02}:00:00Z", k % 24),
            day: day.into(),
            lon,
            lat,
            uncertainty_m: 375,
            side: format!("sensor:{author}"),
            routine: routine.then(|| "gas flare".to_string()),
            perpetrator: None,
            relays: None,
        }
    }

    fn stamp(n: u64) -> ViewStamp {
        ViewStamp {
            log_size: n,
            root: "r".into(),
            rules: "x/1".into(),
        }
    }

    #[test]
    fn background_filters_pages_counts_and_streams() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("views.db");
        let mut v = ViewStore::open(&path).unwrap();
        let mut rows = vec![
            bg(0, "2025-03-20", 35.0, 50.0, "firms", false),
            bg(1, "2025-03-20", 36.0, 51.0, "firms", true),
            bg(2, "2025-03-21", 37.0, 52.0, "viirs", false),
            bg(3, "2025-03-22", 38.0, 53.0, "firms", false),
            // On the bbox's edges.
            bg(4, "2025-03-22", 34.0, 49.0, "firms", true),
            bg(5, "2025-03-23", 36.0, 53.0, "firms", false),
        ];
        rows[2].perpetrator = Some("ru".into());
        rows[2].relays = Some("ua".into());
        v.replace_bulk(&stamp(9), [], [], rows.clone(), &[])
            .unwrap();

        // Everything, in the order given, every column back as stored.
        let (all, total) = v
            .background_page(&BackgroundFilter::default(), 100, 0)
            .unwrap();
        assert_eq!((all, total), (rows.clone(), 6));
        // Pages.
        let (p, total) = v
            .background_page(&BackgroundFilter::default(), 2, 3)
            .unwrap();
        assert_eq!((p, total), (rows[3..5].to_vec(), 6));
        let (p, _) = v
            .background_page(&BackgroundFilter::default(), 2, 5)
            .unwrap();
        assert_eq!(p, rows[5..].to_vec());
        let (p, _) = v
            .background_page(&BackgroundFilter::default(), usize::MAX, usize::MAX)
            .unwrap();
        assert!(p.is_empty());
        let (p, _) = v
            .background_page(&BackgroundFilter::default(), 0, 0)
            .unwrap();
        assert!(p.is_empty());

        // Each filter, in SQL and in memory alike.
        let filters = [
            BackgroundFilter {
                from_day: Some("2025-03-21".into()),
                ..Default::default()
            },
            BackgroundFilter {
                to_day: Some("2025-03-21".into()),
                ..Default::default()
            },
            BackgroundFilter {
                from_day: Some("2025-03-21".into()),
                to_day: Some("2025-03-22".into()),
                ..Default::default()
            },
            BackgroundFilter {
                from_start: Some("2025-03-20T01:00:00Z".into()),
                to_start: Some("2025-03-22T03:00:00Z".into()),
                ..Default::default()
            },
            BackgroundFilter {
                bbox: Some([34.0, 49.0, 36.0, 51.0]),
                ..Default::default()
            },
            BackgroundFilter {
                source: Some("viirs".into()),
                ..Default::default()
            },
            BackgroundFilter {
                // `_` and `%` are no wildcards.
                source: Some("firm_".into()),
                ..Default::default()
            },
            BackgroundFilter {
                routine: Some(true),
                ..Default::default()
            },
            BackgroundFilter {
                routine: Some(false),
                source: Some("firms".into()),
                bbox: Some([35.0, 50.0, 40.0, 55.0]),
                ..Default::default()
            },
        ];
        let want: [&[usize]; 9] = [
            &[2, 3, 4, 5],
            &[0, 1, 2],
            &[2, 3, 4],
            &[1, 2, 3],
            &[0, 1, 4],
            &[2],
            &[],
            &[1, 4],
            &[0, 3, 5],
        ];
        for (f, want) in filters.iter().zip(want) {
            let want: Vec<BackgroundRow> = want.iter().map(|&k| rows[k].clone()).collect();
            let in_memory: Vec<BackgroundRow> =
                rows.iter().filter(|r| f.matches(r)).cloned().collect();
            assert_eq!(in_memory, want, "{f:?}");
            let (got, total) = v.background_page(f, 100, 0).unwrap();
            assert_eq!((&got, total), (&want, want.len() as u64), "{f:?}");
            assert_eq!(v.background_count(f).unwrap(), want.len() as u64);
            let mut per_day = BTreeMap::new();
            for r in &want {
                *per_day.entry(r.day.clone()).or_insert(0u64) += 1;
            }
            assert_eq!(
                v.background_by_day(f).unwrap(),
                per_day.into_iter().collect::<Vec<_>>(),
                "{f:?}"
            );
            let mut streamed = Vec::new();
            v.each_background(f, |r| streamed.push(r)).unwrap();
            assert_eq!(streamed, want, "{f:?}");
        }

        // Streaming from a read-only connection, stopping when asked.
        let ro = ViewStore::open_read_only(&path).unwrap();
        let mut n = 0;
        ro.each_background_while(&BackgroundFilter::default(), |_| {
            n += 1;
            n < 4
        })
        .unwrap();
        assert_eq!(n, 4);

        // Replacing drops what was there.
        v.replace(&stamp(10), [], [], [rows[0].clone()], &[])
            .unwrap();
        assert_eq!(v.background_count(&BackgroundFilter::default()).unwrap(), 1);
    }

    #[test]
    fn a_file_of_the_previous_schema_is_rebuilt_with_the_background_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("views.db");
        {
            // Version 4: no view_background, a stamp that would look fresh.
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE view_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 INSERT INTO view_meta VALUES ('log_size', '9'), ('root', 'r'), ('rules', 'x/1');
                 PRAGMA user_version = 4;",
            )
            .unwrap();
        }
        let mut v = ViewStore::open(&path).unwrap();
        assert_eq!(v.stamp().unwrap(), None, "emptied, so recomputed");
        assert_eq!(v.background_count(&BackgroundFilter::default()).unwrap(), 0);
        v.replace_bulk(
            &stamp(9),
            [],
            [],
            [bg(0, "2025-03-20", 1.0, 2.0, "firms", false)],
            &[],
        )
        .unwrap();
        assert_eq!(v.background_count(&BackgroundFilter::default()).unwrap(), 1);
        // The day index is back after a bulk replace.
        let n: i64 = v
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'view_background_day'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
    }

    proptest::proptest! {
        /// The SQL filter and [`BackgroundFilter::matches`] agree on any rows and filter.
        #[test]
        fn sql_and_memory_filters_agree(
            points in proptest::collection::vec((0u8..4, -2i8..=2, -2i8..=2, 0u8..2, proptest::bool::ANY), 0..24),
            from in proptest::option::of(0u8..4),
            to in proptest::option::of(0u8..4),
            bbox in proptest::option::of((-2i8..=2, -2i8..=2, 0u8..3, 0u8..3)),
            source in proptest::option::of(0u8..3),
            routine in proptest::option::of(proptest::bool::ANY),
        ) {
            let day = |d: u8| format!("2025-03-2{d}");
            let author = |a: u8| ["firms", "viirs", "other"][a as usize].to_string();
            let rows: Vec<BackgroundRow> = points
                .iter()
                .enumerate()
                .map(|(k, &(d, x, y, a, r))| {
                    bg(k as u64, &day(d), f64::from(x) * 0.5, f64::from(y) * 0.5, &author(a), r)
                })
                .collect();
            let f = BackgroundFilter {
                from_day: from.map(day),
                to_day: to.map(day),
                bbox: bbox.map(|(x, y, w, h)| {
                    let (x, y) = (f64::from(x) * 0.5, f64::from(y) * 0.5);
                    [x, y, x + f64::from(w) * 0.5, y + f64::from(h) * 0.5]
                }),
                source: source.map(author),
                routine,
                ..Default::default()
            };
            let dir = tempfile::tempdir().unwrap();
            let mut v = ViewStore::open(&dir.path().join("views.db")).unwrap();
            v.replace(&stamp(1), [], [], rows.clone(), &[]).unwrap();
            // Stored in the engine's order: by start, then log index.
            let mut want: Vec<BackgroundRow> = rows.into_iter().filter(|r| f.matches(r)).collect();
            want.sort_by(|a, b| (&a.start, a.entry_index).cmp(&(&b.start, b.entry_index)));
            let (got, total) = v.background_page(&f, 1000, 0).unwrap();
            proptest::prop_assert_eq!(total, want.len() as u64);
            proptest::prop_assert_eq!(got, want);
        }
    }
}

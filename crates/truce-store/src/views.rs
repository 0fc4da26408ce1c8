//! Derived views in their own SQLite file (`views.db`): incidents, findings and small documents
//! (compliance, baseline summary) as the engine computed them, stamped with the log size, root
//! and rules version they were computed at. Nothing here is authoritative: the file may be
//! deleted at any time and rebuilt from the log (`truce rebuild`). Rows keep the engine's JSON
//! bytes, so a query returns exactly what was computed.

use crate::StoreError;
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
/// never walks the overflow pages of a large incident's full document.
const SCHEMA_VERSION: i64 = 4;

/// Secondary indexes of the views.
const INDEXES: &str =
    "CREATE INDEX IF NOT EXISTS view_findings_incident ON view_findings(incident);
     CREATE INDEX IF NOT EXISTS view_findings_ar ON view_findings(agreement, reading, day);
     CREATE INDEX IF NOT EXISTS view_incidents_day ON view_incidents(day);";

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

/// The derived-views database.
pub struct ViewStore {
    conn: Connection,
    path: PathBuf,
}

fn sql(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.display().to_string(),
        source,
        hint: " (views are derived: delete the file and run `truce rebuild`)",
    }
}

impl ViewStore {
    /// Opens or creates the views database at `path`.
    pub fn open(path: &Path) -> Result<ViewStore, StoreError> {
        let conn = Connection::open(path).map_err(|e| sql(path, e))?;
        // Views are derived: a file of another schema version is emptied, not migrated.
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| sql(path, e))?;
        if version != SCHEMA_VERSION {
            conn.execute_batch(&format!(
                "DROP TABLE IF EXISTS view_meta; DROP TABLE IF EXISTS view_incidents;
                 DROP TABLE IF EXISTS view_findings; DROP TABLE IF EXISTS view_docs;
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
             CREATE TABLE IF NOT EXISTS view_findings(seq INTEGER PRIMARY KEY, incident TEXT NOT NULL,
               agreement TEXT NOT NULL, reading TEXT NOT NULL, outcome TEXT NOT NULL,
               standing TEXT NOT NULL, day TEXT NOT NULL, parties TEXT NOT NULL, json TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS view_docs(name TEXT PRIMARY KEY, json TEXT NOT NULL);",
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
    pub fn open_read_only(path: &Path) -> Result<ViewStore, StoreError> {
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
    pub fn stamp(&self) -> Result<Option<ViewStamp>, StoreError> {
        let get = |k: &str| -> Result<Option<String>, StoreError> {
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
        docs: &[(&str, String)],
    ) -> Result<(), StoreError> {
        self.conn
            .execute_batch(
                "DROP INDEX IF EXISTS view_findings_incident; DROP INDEX IF EXISTS view_findings_ar; DROP INDEX IF EXISTS view_incidents_day;",
            )
            .map_err(|e| sql(&self.path, e))?;
        let r = self.replace(stamp, incidents, findings, docs);
        self.conn
            .execute_batch(INDEXES)
            .map_err(|e| sql(&self.path, e))?;
        r
    }

    /// Replaces every stored view in one transaction.
    pub fn replace(
        &mut self,
        stamp: &ViewStamp,
        incidents: impl IntoIterator<Item = IncidentRow>,
        findings: impl IntoIterator<Item = FindingRow>,
        docs: &[(&str, String)],
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let e = |x| sql(&path, x);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute_batch(
            "DELETE FROM view_meta; DELETE FROM view_incidents; DELETE FROM view_findings; DELETE FROM view_docs;",
        )
        .map_err(e)?;
        {
            let mut st = tx
                .prepare("INSERT INTO view_incidents(id, start, day, grade, lon, lat, parties, json, head) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
                .map_err(e)?;
            for i in incidents {
                st.execute(params![
                    i.id, i.start, i.day, i.grade, i.lon, i.lat, i.parties, i.json, i.head
                ])
                .map_err(e)?;
            }
            let mut st = tx
                .prepare("INSERT INTO view_findings(incident, agreement, reading, outcome, standing, day, parties, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
                .map_err(e)?;
            for f in findings {
                st.execute(params![
                    f.incident,
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
        if let Some([a, b, c, d]) = f.bbox {
            w.and("lon", ">=", Some(a));
            w.and("lat", ">=", Some(b));
            w.and("lon", "<=", Some(c));
            w.and("lat", "<=", Some(d));
        }
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
    pub fn incidents(&self, f: &IncidentFilter) -> Result<Vec<String>, StoreError> {
        let (w, args) = Self::incident_where(f);
        self.select("json", "view_incidents", &w, args, None)
    }

    /// Incidents matching `f`, in stored order, in their list form (members abridged).
    pub fn incident_heads(&self, f: &IncidentFilter) -> Result<Vec<String>, StoreError> {
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
    ) -> Result<(), StoreError> {
        let (w, args) = Self::incident_where(f);
        self.each(
            &format!("SELECT head FROM view_incidents{w} ORDER BY seq"),
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
    ) -> Result<(), StoreError> {
        let (w, args) = Self::finding_where(f);
        self.each(
            &format!("SELECT json FROM view_findings{w} ORDER BY seq"),
            args,
            each,
        )
    }

    fn each(
        &self,
        q: &str,
        args: Vec<rusqlite::types::Value>,
        mut each: impl FnMut(String) -> bool,
    ) -> Result<(), StoreError> {
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
    ) -> Result<(Vec<String>, u64), StoreError> {
        let (w, args) = Self::incident_where(f);
        self.page("head", "view_incidents", &w, args, limit, offset)
    }

    /// Findings matching `f`, in stored order, as JSON documents.
    pub fn findings(&self, f: &FindingFilter) -> Result<Vec<String>, StoreError> {
        let (w, args) = Self::finding_where(f);
        self.select("json", "view_findings", &w, args, None)
    }

    /// One page of the findings matching `f`, and how many match.
    pub fn findings_page(
        &self,
        f: &FindingFilter,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<String>, u64), StoreError> {
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
    ) -> Result<Vec<String>, StoreError> {
        let limit = page
            .map(|(limit, offset)| format!(" LIMIT {limit} OFFSET {offset}"))
            .unwrap_or_default();
        self.strings(
            &format!("SELECT {column} FROM {table}{where_} ORDER BY seq{limit}"),
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
    ) -> Result<(Vec<String>, u64), StoreError> {
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
    pub fn incident(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT json FROM view_incidents WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql(&self.path, e))
    }

    /// Incident ids starting with `prefix` (for abbreviated ids), at most `limit`.
    pub fn incident_ids(&self, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
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

    /// A stored document by name.
    pub fn doc(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT json FROM view_docs WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql(&self.path, e))
    }

    fn strings(
        &self,
        q: &str,
        args: Vec<rusqlite::types::Value>,
    ) -> Result<Vec<String>, StoreError> {
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
            &[],
        )
        .unwrap();
        assert!(v.incidents(&IncidentFilter::default()).unwrap().is_empty());
    }
}

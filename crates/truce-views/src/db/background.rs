//! Background detections (sensor detections in no incident, possibly millions) in
//! `view_background`: one row of plain columns each ([`BackgroundRow`] read, [`BackgroundEntry`]
//! written, no JSON), filtered by one definition ([`BackgroundFilter`]: in SQL, and
//! [`BackgroundFilter::matches`] for a row in memory).
//!
//! The table is keyed by log index, so a full store written in log order appends its rows; the
//! engine's order (start, then log index) is an index, built after.
//! A row is kept lean, since a full store writes a million of them: times as unix seconds (the
//! end as its distance from the start, the day not stored but computed), the entry id as its 32
//! bytes, and the columns of few distinct values (author, role, act, side, perpetrator, relays)
//! as codes of `view_words`, where each distinct word is stored once. A row reads back as the
//! same text it was written from; the store knows nothing of what the words mean.

use std::borrow::Cow;
use std::collections::HashMap;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{params, params_from_iter, Connection};

use super::{in_bbox, sql, DbError, ViewStamp, ViewStore, Where};

/// A background detection as read back: a sensor detection in no incident, as plain columns
/// (the fields of the engine's `Background`, its point split into `lon` and `lat`). Stored in the
/// order the engine lists them (by start, then log index); the store knows nothing of their
/// meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct BackgroundRow {
    /// Log index of the report's entry.
    pub entry_index: u64,
    /// Entry id (64 lowercase hex digits).
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

/// A background detection to write, borrowed from where it is held (a judgement's snapshot):
/// what [`BackgroundRow`] reads back, before its times and entry id are written out as text.
#[derive(Debug, Clone, PartialEq)]
pub struct BackgroundEntry<'a> {
    /// Log index of the report's entry.
    pub entry_index: u64,
    /// Entry id, its bytes.
    pub entry_id: [u8; 32],
    /// Author.
    pub author: &'a str,
    /// The author's role.
    pub role: &'a str,
    /// Report id.
    pub id: &'a str,
    /// Act.
    pub act: &'a str,
    /// Earliest time, unix seconds.
    pub start: i64,
    /// Latest time, unix seconds.
    pub end: i64,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Uncertainty, metres.
    pub uncertainty_m: u32,
    /// The origin of the claim.
    pub side: Cow<'a, str>,
    /// The hot spot's description when routine.
    pub routine: Option<&'a str>,
    /// Whom the report blames.
    pub perpetrator: Option<&'a str>,
    /// Whose claim the report relays.
    pub relays: Option<&'a str>,
}

/// A time in unix seconds as every time of a row is written: RFC 3339 UTC, whole seconds.
pub fn second_text(s: i64) -> String {
    jiff::Timestamp::from_second(s)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| s.to_string())
}

/// The UTC day (`YYYY-MM-DD`) of a time written by [`second_text`].
fn day_of(start: &str) -> String {
    start.get(..10).unwrap_or(start).to_string()
}

/// The unix second a time written by [`second_text`] stands for, if it is one.
fn second_of(text: &str) -> Option<i64> {
    let s = text.parse::<jiff::Timestamp>().ok()?.as_second();
    (second_text(s) == text).then_some(s)
}

impl BackgroundRow {
    /// The row as written: times as unix seconds, the entry id as bytes. A row that would not
    /// read back as itself (a time not written as [`second_text`] writes it, a day not its
    /// start's, an entry id not 64 lowercase hex digits) is [`DbError::Row`].
    pub fn entry(&self) -> Result<BackgroundEntry<'_>, DbError> {
        let bad = |reason: String| DbError::Row {
            entry_index: self.entry_index,
            reason,
        };
        let time = |field: &str, v: &str| {
            second_of(v).ok_or_else(|| {
                bad(format!(
                    "{field} {v:?} is not a UTC time in whole seconds (2025-03-21T10:00:00Z)"
                ))
            })
        };
        let start = time("start", &self.start)?;
        let end = time("end", &self.end)?;
        if self.day != day_of(&self.start) {
            return Err(bad(format!(
                "day {:?} is not the day of start {:?}",
                self.day, self.start
            )));
        }
        let entry_id = truce_engine::EntryId::from_hex(&self.entry_id)
            .ok_or_else(|| {
                bad(format!(
                    "entry id {:?} is not 64 lowercase hex digits",
                    self.entry_id
                ))
            })?
            .0;
        Ok(BackgroundEntry {
            entry_index: self.entry_index,
            entry_id,
            author: &self.author,
            role: &self.role,
            id: &self.id,
            act: &self.act,
            start,
            end,
            lon: self.lon,
            lat: self.lat,
            uncertainty_m: self.uncertainty_m,
            side: Cow::Borrowed(&self.side),
            routine: self.routine.as_deref(),
            perpetrator: self.perpetrator.as_deref(),
            relays: self.relays.as_deref(),
        })
    }
}

/// Filters on background detections; `None` means any. Days and the bounding box mean what
/// they mean for incidents ([`super::IncidentFilter`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackgroundFilter {
    /// First UTC day (inclusive, `YYYY-MM-DD`) of the start.
    pub from_day: Option<String>,
    /// Last UTC day (inclusive) of the start.
    pub to_day: Option<String>,
    /// Earliest start (inclusive), unix seconds: for bounds finer than a day.
    pub from_start: Option<i64>,
    /// Latest start (inclusive), unix seconds.
    pub to_start: Option<i64>,
    /// Bounding box `[min lon, min lat, max lon, max lat]`, edges included ([`in_bbox`]).
    pub bbox: Option<[f64; 4]>,
    /// The source: the detection's author.
    pub source: Option<String>,
    /// `Some(true)`: only routine detections (at a persistent hot spot); `Some(false)`: only
    /// the others.
    pub routine: Option<bool>,
}

const DAY: i64 = 86_400;

impl BackgroundFilter {
    /// The bounds on the start (unix seconds, inclusive) the days and starts give together.
    fn start_bounds(&self) -> Result<(Option<i64>, Option<i64>), DbError> {
        let midnight = |field: &'static str, d: &str| -> Result<i64, DbError> {
            let bad = |reason: String| DbError::Filter {
                field,
                value: d.to_string(),
                reason,
            };
            let date: jiff::civil::Date = d.parse().map_err(|e| bad(format!("{e}")))?;
            let t = date
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map_err(|e| bad(format!("{e}")))?;
            Ok(t.timestamp().as_second())
        };
        let from_day = self
            .from_day
            .as_deref()
            .map(|d| midnight("from_day", d))
            .transpose()?;
        let to_day = self
            .to_day
            .as_deref()
            .map(|d| midnight("to_day", d).map(|s| s.saturating_add(DAY - 1)))
            .transpose()?;
        let max = |a: Option<i64>, b: Option<i64>| a.max(b);
        let min = |a: Option<i64>, b: Option<i64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok((max(from_day, self.from_start), min(to_day, self.to_start)))
    }

    /// Whether a row passes the filter: the same predicate the database applies. A filter
    /// whose day is not a date passes nothing (the database refuses it: [`DbError::Filter`]).
    pub fn matches(&self, r: &BackgroundRow) -> bool {
        let Ok((from, to)) = self.start_bounds() else {
            return false;
        };
        let Some(start) = second_of(&r.start) else {
            return false;
        };
        from.is_none_or(|b| start >= b)
            && to.is_none_or(|b| start <= b)
            && self.bbox.is_none_or(|b| in_bbox(r.lon, r.lat, b))
            && self.source.as_deref().is_none_or(|s| r.author == s)
            && self.routine.is_none_or(|want| r.routine.is_some() == want)
    }

    fn where_(&self) -> Result<(String, Vec<Value>), DbError> {
        let (from, to) = self.start_bounds()?;
        let mut w = Where::default();
        w.and("start", ">=", from);
        w.and("start", "<=", to);
        w.bbox(self.bbox);
        if let Some(s) = &self.source {
            w.args.push(s.clone().into());
            w.sql.push_str(&format!(
                " AND author = (SELECT code FROM view_words WHERE word = ?{})",
                w.args.len()
            ));
        }
        match self.routine {
            Some(true) => w.sql.push_str(" AND routine IS NOT NULL"),
            Some(false) => w.sql.push_str(" AND routine IS NULL"),
            None => {}
        }
        Ok((w.sql, w.args))
    }
}

/// The columns of `view_background` a [`BackgroundRow`] is read from, in its fields' order
/// (`span` is the end's distance from the start, in seconds; the day is computed).
const COLUMNS: &str = "entry_index, entry_id, author, role, id, act, start, span, lon, lat, uncertainty_m, side, routine, perpetrator, relays";

/// The table, its index and the words of its coded columns.
pub(super) const SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS view_words(code INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE);
     CREATE TABLE IF NOT EXISTS view_background(entry_index INTEGER PRIMARY KEY, entry_id BLOB NOT NULL,
       author INTEGER NOT NULL, role INTEGER NOT NULL, id TEXT NOT NULL, act INTEGER NOT NULL,
       start INTEGER NOT NULL, span INTEGER NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL,
       uncertainty_m INTEGER NOT NULL, side INTEGER NOT NULL, routine TEXT NULL,
       perpetrator INTEGER NULL, relays INTEGER NULL);";

/// The words of the coded columns, by word: loaded before a write, grown as new words come.
/// Codes are never reused within a file (a word a replaced row no longer names keeps its code
/// until the next full replace empties the table), so a reader's cached codes never name
/// another word.
pub(super) struct Coder {
    codes: HashMap<String, i64>,
    next: i64,
}

impl Coder {
    /// The words stored (none after a full replace emptied them).
    pub(super) fn load(conn: &Connection) -> rusqlite::Result<Coder> {
        let mut st = conn.prepare("SELECT code, word FROM view_words")?;
        let codes = st
            .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(0)?)))?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        let next = codes.values().max().map_or(1, |m| m + 1);
        Ok(Coder { codes, next })
    }

    /// The code of `word`, stored if new.
    fn code(&mut self, conn: &Connection, word: &str) -> rusqlite::Result<i64> {
        if let Some(&c) = self.codes.get(word) {
            return Ok(c);
        }
        let c = self.next;
        conn.prepare_cached("INSERT INTO view_words(code, word) VALUES (?1, ?2)")?
            .execute(params![c, word])?;
        self.codes.insert(word.to_string(), c);
        self.next += 1;
        Ok(c)
    }
}

/// Writes background rows in a write transaction: `removed` `None` empties the table (and its
/// words) first; `Some` deletes the rows of those log indexes. Rows are written over any of the
/// same log index; written in log order, they are appended.
pub(super) fn write<'a>(
    tx: &Connection,
    removed: Option<impl IntoIterator<Item = u64>>,
    rows: impl IntoIterator<Item = BackgroundEntry<'a>>,
) -> rusqlite::Result<()> {
    match removed {
        None => tx.execute_batch("DELETE FROM view_background; DELETE FROM view_words;")?,
        Some(removed) => {
            let mut st = tx.prepare("DELETE FROM view_background WHERE entry_index = ?1")?;
            for k in removed {
                st.execute([i64::try_from(k).unwrap_or(i64::MAX)])?;
            }
        }
    }
    let mut coder = Coder::load(tx)?;
    let mut st = tx.prepare(&format!(
        "INSERT OR REPLACE INTO view_background({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    ))?;
    for b in rows {
        let mut code = |w: &str| coder.code(tx, w);
        let (author, role, act, side) =
            (code(b.author)?, code(b.role)?, code(b.act)?, code(&b.side)?);
        let perpetrator = b.perpetrator.map(&mut code).transpose()?;
        let relays = b.relays.map(&mut code).transpose()?;
        // Bound one by one (no slice of trait objects a row): the statement runs a million times.
        st.raw_bind_parameter(1, i64::try_from(b.entry_index).unwrap_or(i64::MAX))?;
        st.raw_bind_parameter(2, &b.entry_id[..])?;
        st.raw_bind_parameter(3, author)?;
        st.raw_bind_parameter(4, role)?;
        st.raw_bind_parameter(5, b.id)?;
        st.raw_bind_parameter(6, act)?;
        st.raw_bind_parameter(7, b.start)?;
        st.raw_bind_parameter(8, b.end.saturating_sub(b.start))?;
        st.raw_bind_parameter(9, b.lon)?;
        st.raw_bind_parameter(10, b.lat)?;
        st.raw_bind_parameter(11, b.uncertainty_m)?;
        st.raw_bind_parameter(12, side)?;
        st.raw_bind_parameter(13, b.routine)?;
        st.raw_bind_parameter(14, perpetrator)?;
        st.raw_bind_parameter(15, relays)?;
        st.raw_execute()?;
    }
    Ok(())
}

/// The words of the coded columns, by code: read once per query.
struct Words(HashMap<i64, String>);

impl Words {
    fn load(store: &ViewStore) -> Result<Words, DbError> {
        let e = |x| sql(&store.path, x);
        let mut st = store
            .conn
            .prepare("SELECT code, word FROM view_words")
            .map_err(e)?;
        let words = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(e)?
            .collect::<rusqlite::Result<HashMap<_, _>>>()
            .map_err(e)?;
        Ok(Words(words))
    }

    /// A row of [`COLUMNS`].
    fn row(&self, store: &ViewStore, r: &rusqlite::Row<'_>) -> Result<BackgroundRow, DbError> {
        let e = |x| sql(&store.path, x);
        let entry_index: i64 = r.get(0).map_err(e)?;
        let unreadable = |what: String| DbError::Row {
            entry_index: entry_index.max(0) as u64,
            reason: format!(
                "{what} in {} (views are derived: delete the file and run `truce rebuild`)",
                store.path.display()
            ),
        };
        let word = |k: usize| -> Result<String, DbError> {
            let c: i64 = r.get(k).map_err(e)?;
            self.0.get(&c).cloned().ok_or_else(|| {
                unreadable(format!("column {k} names word {c}, which is not stored"))
            })
        };
        let maybe_word = |k: usize| -> Result<Option<String>, DbError> {
            match r.get_ref(k).map_err(e)? {
                ValueRef::Null => Ok(None),
                _ => word(k).map(Some),
            }
        };
        let entry_id = match r.get_ref(1).map_err(e)? {
            ValueRef::Blob(b) => <&[u8; 32]>::try_from(b)
                .map(truce_model::entry::hex)
                .map_err(|_| unreadable(format!("an entry id of {} bytes", b.len())))?,
            _ => return Err(unreadable("an entry id that is not bytes".into())),
        };
        let start: i64 = r.get(6).map_err(e)?;
        let span: i64 = r.get(7).map_err(e)?;
        let start_text = second_text(start);
        Ok(BackgroundRow {
            entry_index: entry_index.max(0) as u64,
            entry_id,
            author: word(2)?,
            role: word(3)?,
            id: r.get(4).map_err(e)?,
            act: word(5)?,
            end: second_text(start.saturating_add(span)),
            day: day_of(&start_text),
            start: start_text,
            lon: r.get(8).map_err(e)?,
            lat: r.get(9).map_err(e)?,
            uncertainty_m: r.get(10).map_err(e)?,
            side: word(11)?,
            routine: r.get(12).map_err(e)?,
            perpetrator: maybe_word(13)?,
            relays: maybe_word(14)?,
        })
    }
}

impl ViewStore {
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
        let (w, args) = f.where_()?;
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
        let (w, args) = f.where_()?;
        let e = |x| sql(&self.path, x);
        // The day's number, rounded down for times before 1970 too.
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT (CASE WHEN start >= 0 THEN start / {DAY} ELSE (start - {}) / {DAY} END) AS d, count(*)
                 FROM view_background{w} GROUP BY d ORDER BY d",
                DAY - 1
            ))
            .map_err(e)?;
        let rows = st
            .query_map(params_from_iter(args), |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })
            .map_err(e)?;
        rows.map(|r| {
            r.map(|(d, n)| (day_of(&second_text(d.saturating_mul(DAY))), n))
                .map_err(e)
        })
        .collect()
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
    /// (`(limit, offset)`), handed to `each` until it returns `false`. The words and the rows
    /// are read in one read transaction, so the rows name no word the words lack.
    fn scan_background(
        &self,
        f: &BackgroundFilter,
        page: Option<(usize, usize)>,
        mut each: impl FnMut(BackgroundRow) -> bool,
    ) -> Result<(), DbError> {
        let (w, mut args) = f.where_()?;
        let mut q = format!("SELECT {COLUMNS} FROM view_background{w} ORDER BY start, entry_index");
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
        let read = ReadTx::begin(self)?;
        let words = Words::load(self)?;
        let mut st = self.conn.prepare(&q).map_err(e)?;
        let mut rows = st.query(params_from_iter(args)).map_err(e)?;
        while let Some(row) = rows.next().map_err(e)? {
            if !each(words.row(self, row)?) {
                break;
            }
        }
        drop(rows);
        read.end()
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
        let e = |x| sql(&self.path, x);
        let read = ReadTx::begin(self)?;
        if self.stamp()? != *stamp {
            read.end()?;
            return Ok(None);
        }
        let words = Words::load(self)?;
        let rows = {
            let mut st = self
                .conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM view_background WHERE entry_index = ?1"
                ))
                .map_err(e)?;
            let mut out = Vec::with_capacity(indexes.len());
            for &k in indexes {
                let mut rows = st
                    .query([i64::try_from(k).unwrap_or(i64::MAX)])
                    .map_err(e)?;
                match rows.next().map_err(e)? {
                    Some(r) => out.push(words.row(self, r)?),
                    None => return Err(e(rusqlite::Error::QueryReturnedNoRows)),
                }
            }
            out
        };
        read.end()?;
        Ok(Some(rows))
    }

    /// Every background row in stored order, one line each: what [`ViewStore::dump`] lists.
    pub(super) fn dump_background(&self, out: &mut Vec<String>) -> Result<(), DbError> {
        out.push("-- view_background".into());
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        self.each_background(&BackgroundFilter::default(), |b| {
            out.push(format!(
                "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
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
                opt(&b.routine),
                opt(&b.perpetrator),
                opt(&b.relays)
            ))
        })
    }
}

/// A read transaction on a store's connection (`BEGIN` … `COMMIT`): several statements read one
/// snapshot of the file. Ended by [`ReadTx::end`]; dropped early (an error), it rolls back.
struct ReadTx<'a> {
    store: &'a ViewStore,
    open: bool,
}

impl<'a> ReadTx<'a> {
    fn begin(store: &'a ViewStore) -> Result<ReadTx<'a>, DbError> {
        // Inside a transaction already (a caller's), the statements read its snapshot.
        if !store.conn.is_autocommit() {
            return Ok(ReadTx { store, open: false });
        }
        store
            .conn
            .execute_batch("BEGIN")
            .map_err(|e| sql(&store.path, e))?;
        Ok(ReadTx { store, open: true })
    }

    fn end(mut self) -> Result<(), DbError> {
        if self.open {
            self.open = false;
            self.store
                .conn
                .execute_batch("COMMIT")
                .map_err(|e| sql(&self.store.path, e))?;
        }
        Ok(())
    }
}

impl Drop for ReadTx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.store.conn.execute_batch("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;
    use std::collections::BTreeMap;

    /// The rows as written.
    fn entries(rows: &[BackgroundRow]) -> Vec<BackgroundEntry<'_>> {
        rows.iter().map(|r| r.entry().unwrap()).collect()
    }

    /// A background row on `day` at `[lon, lat]` by `author`, routine or not.
    fn bg(k: u64, day: &str, lon: f64, lat: f64, author: &str, routine: bool) -> BackgroundRow {
        BackgroundRow {
            entry_index: 100 + k,
            entry_id: format!("{k:064x}"),
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
        v.replace_bulk(&stamp(9), [], [], entries(&rows), &[])
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
                from_start: second_of("2025-03-20T01:00:00Z"),
                to_start: second_of("2025-03-22T03:00:00Z"),
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
        v.replace(&stamp(10), [], [], entries(&rows[..1]), &[])
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
            entries(&[bg(0, "2025-03-20", 1.0, 2.0, "firms", false)]),
            &[],
        )
        .unwrap();
        assert_eq!(v.background_count(&BackgroundFilter::default()).unwrap(), 1);
        // The order index is back after a bulk replace.
        let n: i64 = v
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'view_background_order'",
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
            v.replace(&stamp(1), [], [], entries(&rows), &[]).unwrap();
            // Stored in the engine's order: by start, then log index.
            let mut want: Vec<BackgroundRow> = rows.into_iter().filter(|r| f.matches(r)).collect();
            want.sort_by(|a, b| (&a.start, a.entry_index).cmp(&(&b.start, b.entry_index)));
            let (got, total) = v.background_page(&f, 1000, 0).unwrap();
            proptest::prop_assert_eq!(total, want.len() as u64);
            proptest::prop_assert_eq!(got, want);
        }
    }
}

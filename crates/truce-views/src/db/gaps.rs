//! AIS gaps (`truce_engine::gaps`) in `view_ais_gaps`: one row per gap, keyed and ordered by
//! (start, MMSI) as the engine lists them, with the columns the filters read (MMSI, start and end
//! in unix milliseconds, the start and end positions) and the gap's JSON as the engine wrote it.
//!
//! The table is written whole, in the same transaction as the rest of the views, by a full store
//! ([`ViewStore::replace_bulk_with`]); an incremental update leaves it as it is (gaps follow the
//! maritime data, and a change to that re-judges, and stores, in full).

use rusqlite::{params, Transaction};

use super::{sql, DbError, ViewStore, Where};

/// The table.
pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS view_ais_gaps(
    start_ms INTEGER NOT NULL, mmsi INTEGER NOT NULL, end_ms INTEGER NOT NULL,
    lon0 REAL NOT NULL, lat0 REAL NOT NULL, lon1 REAL NOT NULL, lat1 REAL NOT NULL,
    json TEXT NOT NULL, PRIMARY KEY (start_ms, mmsi)) WITHOUT ROWID;";

/// The engine's order of gaps.
const ORDER: &str = "start_ms, mmsi";

/// A gap as stored: the filtered columns and the JSON document.
#[derive(Debug, Clone, PartialEq)]
pub struct GapRow {
    /// Time of the last fix before, unix milliseconds.
    pub start_ms: i64,
    /// The MMSI.
    pub mmsi: u32,
    /// Time of the first fix after, unix milliseconds.
    pub end_ms: i64,
    /// Position of the last fix before, `[lon, lat]`.
    pub start: [f64; 2],
    /// Position of the first fix after, `[lon, lat]`.
    pub end: [f64; 2],
    /// The gap's JSON document.
    pub json: String,
}

/// Filters on gaps; `None` means any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GapFilter {
    /// The MMSI.
    pub mmsi: Option<u32>,
    /// Gaps ending at or after this time (unix milliseconds): overlapping `from..`.
    pub from_ms: Option<i64>,
    /// Gaps starting at or before this time (unix milliseconds): overlapping `..=to`.
    pub to_ms: Option<i64>,
    /// Gaps whose start or end position lies in `[min lon, min lat, max lon, max lat]` (edges
    /// included).
    pub bbox: Option<[f64; 4]>,
}

/// Writes `rows` over every stored gap, in `tx`.
pub(super) fn write(tx: &Transaction<'_>, rows: &[GapRow]) -> rusqlite::Result<()> {
    tx.execute_batch("DELETE FROM view_ais_gaps;")?;
    let mut st = tx.prepare(
        "INSERT OR REPLACE INTO view_ais_gaps(start_ms, mmsi, end_ms, lon0, lat0, lon1, lat1, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for r in rows {
        st.execute(params![
            r.start_ms, r.mmsi, r.end_ms, r.start[0], r.start[1], r.end[0], r.end[1], r.json
        ])?;
    }
    Ok(())
}

fn gap_where(f: &GapFilter) -> Where {
    let mut w = Where::default();
    w.and("mmsi", "=", f.mmsi.map(i64::from));
    w.and("end_ms", ">=", f.from_ms);
    w.and("start_ms", "<=", f.to_ms);
    if let Some([a, b, c, d]) = f.bbox {
        let n = w.args.len();
        w.args
            .extend([a, b, c, d].map(rusqlite::types::Value::from));
        w.sql.push_str(&format!(
            " AND ((lon0 >= ?{0} AND lat0 >= ?{1} AND lon0 <= ?{2} AND lat0 <= ?{3}) OR (lon1 >= ?{0} AND lat1 >= ?{1} AND lon1 <= ?{2} AND lat1 <= ?{3}))",
            n + 1,
            n + 2,
            n + 3,
            n + 4
        ));
    }
    w
}

impl ViewStore {
    /// One page of the gaps matching `f` (`limit` from `offset`), in the engine's order (start,
    /// then MMSI), as JSON documents, and how many match.
    pub fn gaps_page(
        &self,
        f: &GapFilter,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<String>, u64), DbError> {
        let w = gap_where(f);
        let total = self
            .conn
            .query_row(
                &format!("SELECT count(*) FROM view_ais_gaps{}", w.sql),
                rusqlite::params_from_iter(w.args.clone()),
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(|e| sql(&self.path, e))?;
        let docs = self.strings(
            &format!(
                "SELECT json FROM view_ais_gaps{} ORDER BY {ORDER} LIMIT {limit} OFFSET {offset}",
                w.sql
            ),
            w.args,
        )?;
        Ok((docs, total))
    }

    /// Every stored gap, one string per row, in order (for [`ViewStore::dump`]).
    pub(super) fn dump_gaps(&self, out: &mut Vec<String>) -> Result<(), DbError> {
        let q = "SELECT start_ms || ' ' || mmsi || ' ' || end_ms || ' ' || lon0 || ' ' || lat0 || ' ' || lon1 || ' ' || lat1 || ' ' || json FROM view_ais_gaps ORDER BY start_ms, mmsi";
        out.push(format!("-- {q}"));
        out.extend(self.strings(q, Vec::new())?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::ViewStamp;

    fn row(start_ms: i64, mmsi: u32, start: [f64; 2], end: [f64; 2]) -> GapRow {
        GapRow {
            start_ms,
            mmsi,
            end_ms: start_ms + 50_000_000,
            start,
            end,
            json: format!("{{\"mmsi\":{mmsi},\"start_ms\":{start_ms}}}"),
        }
    }

    #[test]
    fn gaps_are_stored_whole_ordered_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = ViewStore::open(&dir.path().join("views.db")).unwrap();
        let stamp = |n| ViewStamp {
            log_size: n,
            root: "r".into(),
            rules: "x/1".into(),
        };
        let rows = vec![
            row(2_000, 7, [31.0, 44.0], [33.0, 44.0]),
            row(1_000, 9, [30.0, 43.0], [30.5, 43.0]),
            row(1_000, 8, [35.0, 45.0], [31.5, 44.5]),
        ];
        v.replace_bulk_with(&stamp(3), [], [], [], &rows, &[])
            .unwrap();
        let all = |v: &ViewStore, f: &GapFilter| v.gaps_page(f, 100, 0).unwrap();
        let (docs, n) = all(&v, &GapFilter::default());
        assert_eq!(n, 3);
        assert_eq!(
            docs,
            vec![
                "{\"mmsi\":8,\"start_ms\":1000}",
                "{\"mmsi\":9,\"start_ms\":1000}",
                "{\"mmsi\":7,\"start_ms\":2000}"
            ]
        );
        let f = GapFilter {
            mmsi: Some(9),
            ..Default::default()
        };
        assert_eq!(all(&v, &f).1, 1);
        // Overlapping a time: ends at or after `from`, starts at or before `to`.
        let f = GapFilter {
            from_ms: Some(50_001_500),
            ..Default::default()
        };
        assert_eq!(all(&v, &f).1, 1);
        let f = GapFilter {
            to_ms: Some(1_500),
            ..Default::default()
        };
        assert_eq!(all(&v, &f).1, 2);
        // Either end in the box.
        let f = GapFilter {
            bbox: Some([31.2, 44.2, 32.0, 45.0]),
            ..Default::default()
        };
        assert_eq!(all(&v, &f).0, vec!["{\"mmsi\":8,\"start_ms\":1000}"]);
        let (page, n) = v.gaps_page(&GapFilter::default(), 1, 2).unwrap();
        assert_eq!((page.len(), n), (1, 3));
        // An update keeps them; a full store replaces them.
        v.update(
            &stamp(4),
            crate::db::Changes {
                incidents_gone: vec![],
                incidents: [],
                findings_gone: vec![],
                findings: [],
                background_gone: vec![],
                background: [],
            },
            &[],
        )
        .unwrap();
        assert_eq!(all(&v, &GapFilter::default()).1, 3);
        v.replace(&stamp(5), [], [], [], &[]).unwrap();
        assert_eq!(all(&v, &GapFilter::default()).1, 0);
    }
}

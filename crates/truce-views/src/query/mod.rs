//! The typed queries over the ledger and the views, one definition each for the HTTP API and the
//! CLI: their parameters (`Params`, parsed from a query string's pairs; a malformed or unknown
//! one is a [`ParamError`] naming it), the filters of sites, reports, incidents and findings
//! ([`sites`], [`reports`], [`incidents`], [`findings`], [`compliance`]), the documents they produce (pages
//! `{"items", "total", "limit", "offset", "log_size"}`, records, GeoJSON features, CSV rows),
//! AIS tracks and vessels ([`tracks`]), AIS gaps ([`gaps`]), the line of contact's display zones and
//! the monitors' observations on a map ([`front`]),
//! the export documents ([`export`]) and background detections ([`background`]). No HTTP: the
//! server maps a [`ParamError`] to a 400 naming the field, and streams what [`export`] writes.

pub mod background;
pub mod compliance;
pub mod export;
pub mod findings;
pub mod front;
pub mod gaps;
pub mod incidents;
pub mod reports;
pub mod sites;
pub mod tracks;

use crate::filters::{Field, Known};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use truce_engine::{Grade, Outcome, Standing};
use truce_model::domain::Act;
use truce_model::ledger::Record;
use truce_model::taxonomy::Category;
use truce_model::{Date, Id, Ledger, Role, Time};

/// Default page size (or `max_page`, if smaller).
pub const DEFAULT_LIMIT: usize = 100;
/// The largest `limit` or `offset` a query takes: SQLite's largest integer.
pub const MAX_COUNT: usize = if usize::BITS >= 64 {
    i64::MAX as usize
} else {
    usize::MAX
};

/// A parameter refused: which, and why (the whole message, `parameter NAME: …` or the like).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParamError {
    /// The parameter.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// A query string, checked against the parameters an endpoint accepts.
#[derive(Debug, Clone, Default)]
pub struct Params(BTreeMap<String, String>);

// ───────────────────────────── parameters ─────────────────────────────

/// A malformed parameter: `parameter NAME: why`, naming it.
pub fn bad(name: &str, why: impl Into<String>) -> ParamError {
    ParamError {
        field: name.to_string(),
        message: format!("parameter {name}: {}", why.into()),
    }
}

/// A page.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Items at most.
    pub limit: usize,
    /// Items skipped.
    pub offset: usize,
}

impl Page {
    /// The page's items of `v`.
    pub fn slice<'a, T>(&self, v: &'a [T]) -> &'a [T] {
        let start = self.offset.min(v.len());
        let end = start.saturating_add(self.limit).min(v.len());
        &v[start..end]
    }
}

/// A bound of a time filter: a whole UTC day, or an instant.
#[derive(Debug, Clone, Copy)]
pub enum Bound {
    /// A whole UTC day.
    Day(Date),
    /// An instant.
    At(Time),
}

impl Bound {
    /// The UTC day of the bound.
    pub fn day(&self) -> Date {
        match self {
            Bound::Day(d) => *d,
            Bound::At(t) => t.date(),
        }
    }
}

/// A time filter (`from`, `to`), each bound optional.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeRange {
    /// The first day or instant.
    pub from: Option<Bound>,
    /// The last day or instant.
    pub to: Option<Bound>,
}

impl TimeRange {
    /// The first UTC day, as the views' day columns write it.
    pub fn first_day(&self) -> Option<String> {
        self.from.map(|b| b.day().to_string())
    }
    /// The last UTC day, as the views' day columns write it.
    pub fn last_day(&self) -> Option<String> {
        self.to.map(|b| b.day().to_string())
    }
    /// Whether a bound is finer than a day (the day columns of the views are not enough).
    pub fn precise(&self) -> bool {
        matches!(self.from, Some(Bound::At(_))) || matches!(self.to, Some(Bound::At(_)))
    }
    /// Whether the range holds the instant `t`.
    pub fn contains(&self, t: Time) -> bool {
        let after = match self.from {
            None => true,
            Some(Bound::Day(d)) => t.date() >= d,
            Some(Bound::At(x)) => t >= x,
        };
        let before = match self.to {
            None => true,
            Some(Bound::Day(d)) => t.date() <= d,
            Some(Bound::At(x)) => t <= x,
        };
        after && before
    }
    /// Whether the range holds the day `day` (`YYYY-MM-DD`).
    pub fn contains_day(&self, day: &str) -> bool {
        self.first_day().is_none_or(|f| day >= f.as_str())
            && self.last_day().is_none_or(|t| day <= t.as_str())
    }
}

fn parse_act(name: &str, s: &str) -> Result<Act, ParamError> {
    serde_json::from_value(Value::String(s.to_string())).map_err(|_| {
        bad(
            name,
            format!("unknown act {s:?}; acts: strike, drone-strike, missile-strike, shelling, sabotage, attack-on-vessels, ground-assault, fire-observed, violence"),
        )
    })
}

impl Params {
    /// The query's `(name, value)` pairs checked against the parameters an endpoint accepts: an
    /// unknown or repeated parameter is an error naming it.
    pub fn new(pairs: Vec<(String, String)>, allowed: &[&str]) -> Result<Params, ParamError> {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if !allowed.contains(&k.as_str()) {
                return Err(ParamError {
                    message: format!(
                        "unknown parameter {k:?}; this endpoint takes {}",
                        if allowed.is_empty() {
                            "none".to_string()
                        } else {
                            allowed.join(", ")
                        }
                    ),
                    field: k,
                });
            }
            if map.contains_key(&k) {
                return Err(ParamError {
                    message: format!("parameter {k:?} is given twice"),
                    field: k,
                });
            }
            map.insert(k, v);
        }
        Ok(Params(map))
    }

    /// The value of parameter `k`, if given.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    /// `limit` or `offset`: an integer from 0 to [`MAX_COUNT`] (SQLite's integers are signed
    /// 64-bit: a larger one is a 400 naming the parameter and its range, never a failed query).
    pub fn usize(&self, k: &str) -> Result<Option<usize>, ParamError> {
        self.get(k)
            .map(|v| {
                v.parse::<usize>()
                    .ok()
                    .filter(|n| *n <= MAX_COUNT)
                    .ok_or_else(|| bad(k, format!("{v:?} is not an integer from 0 to {MAX_COUNT}")))
            })
            .transpose()
    }

    /// `limit` (≤ `max`) and `offset`.
    pub fn page(&self, max: usize) -> Result<Page, ParamError> {
        let limit = match self.usize("limit")? {
            Some(l) if l > max => {
                return Err(bad(
                    "limit",
                    format!("{l} is above the largest page, {max}"),
                ))
            }
            Some(l) => l,
            None => DEFAULT_LIMIT.min(max),
        };
        Ok(Page {
            limit,
            offset: self.usize("offset")?.unwrap_or(0),
        })
    }

    /// `limit` and `offset` of an export: everything by default.
    pub fn export_page(&self) -> Result<export::Window, ParamError> {
        Ok(export::Window {
            limit: self.usize("limit")?.unwrap_or(usize::MAX),
            offset: self.usize("offset")?.unwrap_or(0),
        })
    }

    /// `from` or `to`: a UTC day `YYYY-MM-DD` or an RFC 3339 instant.
    pub fn bound(&self, k: &str) -> Result<Option<Bound>, ParamError> {
        let Some(v) = self.get(k) else {
            return Ok(None);
        };
        // An unencoded `+03:00` arrives as ` 03:00`.
        let v = &v.replace(' ', "+");
        if v.len() == 10 {
            Date::parse(v)
                .map(|d| Some(Bound::Day(d)))
                .map_err(|e| bad(k, e))
        } else {
            Time::parse(v)
                .map(|t| Some(Bound::At(t)))
                .map_err(|_| bad(k, format!("{v:?} is neither a day YYYY-MM-DD nor an RFC 3339 time with an offset (2025-03-21T00:00:00Z)")))
        }
    }

    /// `from` and `to` (`to` not before `from`).
    pub fn time_range(&self) -> Result<TimeRange, ParamError> {
        let r = TimeRange {
            from: self.bound("from")?,
            to: self.bound("to")?,
        };
        let inverted = match (r.from, r.to) {
            (Some(Bound::At(a)), Some(Bound::At(b))) => a > b,
            (Some(a), Some(b)) => a.day() > b.day(),
            _ => false,
        };
        if inverted {
            return Err(bad("to", "it is before `from`"));
        }
        Ok(r)
    }

    /// `bbox=minlon,minlat,maxlon,maxlat` in degrees.
    pub fn bbox(&self) -> Result<Option<[f64; 4]>, ParamError> {
        let Some(v) = self.get("bbox") else {
            return Ok(None);
        };
        let nums: Vec<f64> = v
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad("bbox", "write minlon,minlat,maxlon,maxlat in degrees"))?;
        let [a, b, c, d] = nums[..] else {
            return Err(bad(
                "bbox",
                "write four numbers: minlon,minlat,maxlon,maxlat",
            ));
        };
        let lon_ok = |x: f64| x.is_finite() && (-180.0..=180.0).contains(&x);
        let lat_ok = |x: f64| x.is_finite() && (-90.0..=90.0).contains(&x);
        if !(lon_ok(a) && lon_ok(c) && lat_ok(b) && lat_ok(d)) {
            return Err(bad(
                "bbox",
                "longitudes must be within -180..180 and latitudes within -90..90",
            ));
        }
        if a > c || b > d {
            return Err(bad("bbox", "the minimum must not exceed the maximum"));
        }
        Ok(Some([a, b, c, d]))
    }

    /// An id parameter.
    pub fn id(&self, k: &str) -> Result<Option<Id>, ParamError> {
        self.get(k)
            .map(|v| Id::new(v).map_err(|e| bad(k, e)))
            .transpose()
    }

    /// `agreement`, `reading` or `party`: an id the log holds, else a 400 naming the field and
    /// listing the valid values (`truce_views::filters`, shared with the CLI).
    pub fn known(&self, known: &Known, field: Field) -> Result<Option<Id>, ParamError> {
        let Some(id) = self.id(field.name())? else {
            return Ok(None);
        };
        known
            .check(field, id.as_str())
            .map_err(|e| bad(field.name(), e))?;
        Ok(Some(id))
    }

    /// `occurrence`: an occurrence grade.
    pub fn grade(&self) -> Result<Option<Grade>, ParamError> {
        self.get("occurrence")
            .map(|v| {
                Grade::parse(v).ok_or_else(|| {
                    bad("occurrence", format!("unknown occurrence grade {v:?}; grades: reported, corroborated, verified, unverifiable, dismissed, contested"))
                })
            })
            .transpose()
    }

    /// `standing`: alleged, corroborated or established.
    pub fn standing(&self) -> Result<Option<Standing>, ParamError> {
        self.get("standing")
            .map(|v| {
                Standing::parse(v).ok_or_else(|| {
                    bad(
                        "standing",
                        format!(
                            "unknown standing {v:?}; standings: alleged, corroborated, established"
                        ),
                    )
                })
            })
            .transpose()
    }

    /// `outcome`: breach, no_breach, out_of_scope or undetermined.
    pub fn outcome(&self) -> Result<Option<Outcome>, ParamError> {
        self.get("outcome")
            .map(|v| {
                Outcome::parse(v).ok_or_else(|| {
                    bad("outcome", format!("unknown outcome {v:?}; outcomes: breach, no_breach, out_of_scope, undetermined"))
                })
            })
            .transpose()
    }

    /// `kind`: an act (`strike` includes its kinds).
    pub fn act(&self) -> Result<Option<Act>, ParamError> {
        self.get("kind").map(|v| parse_act("kind", v)).transpose()
    }

    /// `kind`: a category, `prefix.*` or `set:<name>`.
    pub fn categories(&self) -> Result<Option<BTreeSet<Category>>, ParamError> {
        self.get("kind")
            .map(|v| truce_model::taxonomy::expand(v).map_err(|e| bad("kind", e)))
            .transpose()
    }

    /// `as_of`: a log size (entries), or an RFC 3339 time: the largest log size whose every
    /// entry a quorum of witnesses had cosigned by then (from the witnessing rounds in the log).
    /// `ledger` is called only when a time is given (a size needs no ledger).
    pub fn as_of<L: std::ops::Deref<Target = Ledger>>(
        &self,
        ledger: impl FnOnce() -> L,
    ) -> Result<Option<u64>, ParamError> {
        let Some(v) = self.get("as_of") else {
            return Ok(None);
        };
        if let Ok(n) = v.parse::<u64>() {
            return Ok(Some(n));
        }
        let t = truce_model::Time::parse(v).map_err(|e| {
            bad(
                "as_of",
                format!("{v:?} is neither a log size nor a time ({e}): give a number of entries (what was known once the log held that many; `log_size` in any answer is the current size) or an RFC 3339 time with an offset (what the witnessed log held then; authors' stated times are never used)"),
            )
        })?;
        let ledger = ledger();
        ledger.time.size_known_by(t).map(Some).ok_or_else(|| {
            bad(
                "as_of",
                match ledger.time.rounds.first() {
                    None => format!("as_of {t}: the log holds no witnessing round, so no entry has a witnessed time; give a log size"),
                    Some(r) => format!("as_of {t}: no witnessing round had reached its quorum by then (the first did at {}); give a later time or a log size", r.reached_at),
                },
            )
        })
    }

    /// `role`: a role.
    pub fn role(&self) -> Result<Option<Role>, ParamError> {
        self.get("role")
            .map(|v| {
                serde_json::from_value(Value::String(v.to_string())).map_err(|_| {
                    bad("role", format!("unknown role {v:?}; roles: operator, belligerent, monitor, mediator, open-data"))
                })
            })
            .transpose()
    }
}

// ───────────────────────────── documents ─────────────────────────────

/// A page of items as the API and `--json` answer it.
pub fn page_value(items: Vec<Value>, total: usize, page: Page, log_size: u64) -> Value {
    json!({
        "items": items,
        "total": total,
        "limit": page.limit,
        "offset": page.offset,
        "log_size": log_size,
    })
}

/// A page of stored JSON documents, written through unchanged (the engine's bytes).
pub fn raw_page(docs: &[String], total: usize, page: Page, log_size: u64, extra: &str) -> String {
    let mut s = String::with_capacity(docs.iter().map(|d| d.len() + 1).sum::<usize>() + 128);
    s.push_str("{\"items\":[");
    for (k, d) in docs.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        s.push_str(d);
    }
    s.push_str(&format!(
        "],\"total\":{total},\"limit\":{},\"offset\":{},\"log_size\":{log_size}{extra}}}",
        page.limit, page.offset
    ));
    s
}

/// A ledger record as JSON: where it is in the log, who wrote it, and its value under `key`.
pub fn record_json<T: Serialize>(key: &str, r: &Record<T>) -> Value {
    let mut m = Map::new();
    m.insert("index".into(), json!(r.index));
    m.insert("entry_id".into(), json!(r.entry_id));
    m.insert("author".into(), json!(r.author));
    m.insert("entry_time".into(), json!(r.time));
    m.insert(
        key.into(),
        serde_json::to_value(&r.value).unwrap_or(Value::Null),
    );
    if let Some(why) = &r.retracted {
        m.insert("retracted".into(), json!(why));
    }
    if !r.corrections.is_empty() {
        m.insert("corrections".into(), json!(r.corrections));
    }
    Value::Object(m)
}

/// One CSV field (RFC 4180), a formula defused.
pub fn csv_field(out: &mut String, s: &str) {
    // Spreadsheet formula injection: text starting with = + - @ is prefixed with a quote, unless
    // it is a number.
    let s: std::borrow::Cow<'_, str> =
        if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
            format!("'{s}").into()
        } else {
            s.into()
        };
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&s);
    }
}

/// One CSV row, CRLF-terminated.
pub fn csv_row(out: &mut String, fields: &[String]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, f);
    }
    out.push_str("\r\n");
}

/// Serialised names joined by spaces (acts, grades: one CSV field).
pub fn names<T: Serialize>(v: &[T]) -> String {
    v.iter()
        .map(|x| match serde_json::to_value(x) {
            Ok(Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(_) => String::new(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use truce_model::domain::Act;

    fn p(pairs: &[(&str, &str)], allowed: &[&str]) -> Result<Params, ParamError> {
        Params::new(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            allowed,
        )
    }

    #[test]
    fn parameters_are_checked_and_named() {
        let e = p(&[("lmit", "3")], &["limit"]).err().unwrap();
        assert_eq!(e.field, "lmit");
        let e = p(&[("limit", "3"), ("limit", "4")], &["limit"])
            .err()
            .unwrap();
        assert_eq!(e.field, "limit");
        let q = p(&[("limit", "5000")], &["limit"]).unwrap();
        assert_eq!(q.page(1000).unwrap_err().field, "limit");
        let q = p(&[("bbox", "1,2,3")], &["bbox"]).unwrap();
        assert_eq!(q.bbox().unwrap_err().field, "bbox");
        let q = p(&[("bbox", "30,40,35,52")], &["bbox"]).unwrap();
        assert_eq!(q.bbox().unwrap(), Some([30.0, 40.0, 35.0, 52.0]));
        let q = p(
            &[("from", "2025-03-21"), ("to", "2025-03-20")],
            &["from", "to"],
        )
        .unwrap();
        assert_eq!(q.time_range().unwrap_err().field, "to");
        let q = p(&[("from", "yesterday")], &["from"]).unwrap();
        assert_eq!(q.time_range().unwrap_err().field, "from");
        let q = p(&[("kind", "strike")], &["kind"]).unwrap();
        assert_eq!(q.act().unwrap(), Some(Act::Strike));
        let q = p(&[("kind", "energy.oil.*")], &["kind"]).unwrap();
        assert_eq!(q.categories().unwrap().unwrap().len(), 4);
    }

    #[test]
    fn time_ranges_take_days_and_instants() {
        let r = TimeRange {
            from: Some(Bound::Day(Date::parse("2025-03-20").unwrap())),
            to: Some(Bound::At(Time::parse("2025-03-21T01:00:00Z").unwrap())),
        };
        assert!(r.contains(Time::parse("2025-03-20T00:00:00Z").unwrap()));
        assert!(r.contains(Time::parse("2025-03-21T01:00:00Z").unwrap()));
        assert!(!r.contains(Time::parse("2025-03-21T01:00:01Z").unwrap()));
        assert!(!r.contains(Time::parse("2025-03-19T23:59:59Z").unwrap()));
        assert!(r.contains_day("2025-03-21") && !r.contains_day("2025-03-22"));
        assert!(r.precise());
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut s = String::new();
        csv_row(
            &mut s,
            &[
                "a,b".into(),
                "say \"hi\"".into(),
                "=1+1".into(),
                "-35.5".into(),
            ],
        );
        assert_eq!(s, "\"a,b\",\"say \"\"hi\"\"\",'=1+1,-35.5\r\n");
    }
}

//! Compliance: the filters of `GET /v1/compliance` (`from`/`to` on the row's day, `agreement`,
//! `reading`, `party` — the party counted) and its document: one page of the rows per agreement
//! × reading × party × day, with the totals per reading and the incidents whose outcome depends
//! on the reading (`differences`), all filtered alike. `truce compliance --json` prints the same.

use super::incidents::check_known;
use super::{page_value, Page, ParamError, Params, TimeRange};
use crate::db::ViewStore;
use crate::derived::DerivedError;
use crate::filters::{Field, Known};
use serde_json::{json, Value};
use truce_engine::Compliance;
use truce_model::Id;

/// The parameters of `GET /v1/compliance` (with `as_of`).
pub const COMPLIANCE_PARAMS: &[&str] = &[
    "limit",
    "offset",
    "from",
    "to",
    "agreement",
    "reading",
    "party",
];

/// Filters on the compliance tables.
#[derive(Debug, Clone, Default)]
pub struct ComplianceQuery {
    /// On the row's (or difference's) day.
    pub range: TimeRange,
    /// Only this agreement.
    pub agreement: Option<Id>,
    /// Only this reading (a difference: one with an outcome under it).
    pub reading: Option<Id>,
    /// Only rows counting this party.
    pub party: Option<Id>,
}

impl ComplianceQuery {
    /// The filters a query's parameters give (`agreement`, `reading`, `party` checked against
    /// what the log holds).
    pub fn parse(p: &Params, known: &Known) -> Result<ComplianceQuery, ParamError> {
        let q = ComplianceQuery::unchecked(p)?;
        q.check(known)?;
        Ok(q)
    }

    /// The filters a query's parameters give, `agreement`, `reading` and `party` not yet checked
    /// against the log ([`ComplianceQuery::check`]: the CLI checks them only when no row matched).
    pub fn unchecked(p: &Params) -> Result<ComplianceQuery, ParamError> {
        Ok(ComplianceQuery {
            range: p.time_range()?,
            agreement: p.id("agreement")?,
            reading: p.id("reading")?,
            party: p.id("party")?,
        })
    }

    /// Whether `agreement`, `reading` and `party` are values the log holds (the error names the
    /// parameter and lists the valid values).
    pub fn check(&self, known: &Known) -> Result<(), ParamError> {
        check_known(
            known,
            &[
                (Field::Agreement, self.agreement.as_ref().map(Id::as_str)),
                (Field::Reading, self.reading.as_ref().map(Id::as_str)),
                (Field::Party, self.party.as_ref().map(Id::as_str)),
            ],
        )
    }

    /// Keeps what the filters keep: rows by agreement, reading, party and day; totals by
    /// agreement and reading; differences by agreement, a reading with an outcome, and day.
    pub fn apply(&self, c: &mut Compliance) {
        let keep = |a: &Id, r: &Id| {
            self.agreement.as_ref().is_none_or(|x| x == a)
                && self.reading.as_ref().is_none_or(|x| x == r)
        };
        c.rows.retain(|row| {
            keep(&row.agreement, &row.reading)
                && self.party.as_ref().is_none_or(|p| p == &row.party)
                && self.range.contains_day(&row.day)
        });
        c.totals.retain(|t| keep(&t.agreement, &t.reading));
        c.differences.retain(|d| {
            self.agreement.as_ref().is_none_or(|x| x == &d.agreement)
                && self
                    .reading
                    .as_ref()
                    .is_none_or(|r| d.outcomes.contains_key(r.as_str()))
                && self.range.contains_day(&d.day)
        });
    }

    /// The stored compliance tables (empty ones before any view is stored), filtered.
    pub fn compliance(&self, v: &ViewStore) -> Result<Compliance, DerivedError> {
        let mut c: Compliance = match v.doc("compliance")? {
            Some(d) => {
                serde_json::from_str(&d).map_err(|e| DerivedError::Unreadable(e.to_string()))?
            }
            None => Compliance {
                rows: Vec::new(),
                totals: Vec::new(),
                differences: Vec::new(),
            },
        };
        self.apply(&mut c);
        Ok(c)
    }
}

/// `GET /v1/compliance`'s document (and `truce compliance --json`'s) for filtered tables: one
/// page of the rows as `{"items", "total", "limit", "offset", "log_size"}`, with every matching
/// `totals` and `differences`.
pub fn page_json(c: &Compliance, page: Page, log_size: u64) -> Value {
    let items = page
        .slice(&c.rows)
        .iter()
        .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
        .collect();
    let mut v = page_value(items, c.rows.len(), page, log_size);
    v["totals"] = json!(c.totals);
    v["differences"] = json!(c.differences);
    v
}

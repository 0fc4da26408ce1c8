//! Incidents: the filters of `GET /v1/incidents` and the incident exports (`from`/`to` on the
//! start, `bbox`, `party` — a party blamed —, `occurrence`, `kind` — an act reported): the part
//! the views' columns answer ([`IncidentQuery::filter`]) and the rest, read from the documents.

use super::{bad, raw_page, Page, ParamError, Params, TimeRange};
use crate::db::{IncidentFilter, ViewStore};
use crate::derived::DerivedError;
use crate::filters::{Field, Known};
use truce_engine::{Grade, Incident};
use truce_model::domain::Act;
use truce_model::{Id, Time};

/// Filters on incidents.
#[derive(Debug, Clone)]
pub struct IncidentQuery {
    /// On the incident's start.
    pub range: TimeRange,
    /// The incident's point inside the box.
    pub bbox: Option<[f64; 4]>,
    /// A party blamed.
    pub party: Option<Id>,
    /// The occurrence grade.
    pub grade: Option<Grade>,
    /// An act reported.
    pub act: Option<Act>,
}

/// The parameters of `GET /v1/incidents` (with `as_of`) and the incident exports.
pub const INCIDENT_PARAMS: &[&str] = &[
    "limit",
    "offset",
    "from",
    "to",
    "bbox",
    "party",
    "occurrence",
    "kind",
];

#[derive(serde::Deserialize)]
struct IncidentHead {
    start: String,
    acts: Vec<Act>,
}

impl IncidentQuery {
    /// The filters a query's parameters give (`party` checked against what the log holds).
    pub fn parse(p: &Params, known: &Known) -> Result<IncidentQuery, ParamError> {
        let q = IncidentQuery::unchecked(p)?;
        q.check(known)?;
        Ok(q)
    }

    /// The filters a query's parameters give, `party` not yet checked against the log (the CLI
    /// checks it with [`IncidentQuery::check`] only when nothing matched, so a query that finds
    /// something never replays the log).
    pub fn unchecked(p: &Params) -> Result<IncidentQuery, ParamError> {
        Ok(IncidentQuery {
            range: p.time_range()?,
            bbox: p.bbox()?,
            party: p.id("party")?,
            grade: p.grade()?,
            act: p.act()?,
        })
    }

    /// Whether `party` is one the log holds (the error names it and lists the valid ones).
    pub fn check(&self, known: &Known) -> Result<(), ParamError> {
        check_known(
            known,
            &[(Field::Party, self.party.as_ref().map(Id::as_str))],
        )
    }

    /// `GET /v1/incidents`' document (and `truce incidents --json`'s): one page of the matching
    /// incidents in their list form, `{"items", "total", "limit", "offset", "log_size"}`, and
    /// how many match.
    pub fn page_json(
        &self,
        v: &ViewStore,
        page: Page,
        log_size: u64,
    ) -> Result<(String, usize), DerivedError> {
        if self.needs_parsing() {
            let docs = self.docs(v)?;
            return Ok((
                raw_page(page.slice(&docs), docs.len(), page, log_size, ""),
                docs.len(),
            ));
        }
        // Every filter is a column: SQL pages, so a query reads one page, not every match.
        let (docs, total) = v.incidents_page(&self.filter(), page.limit, page.offset)?;
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        Ok((raw_page(&docs, total, page, log_size, ""), total))
    }

    /// Every matching incident document, in stored order (by start, then id).
    /// The part of the query the views database answers by itself.
    pub fn filter(&self) -> IncidentFilter {
        IncidentFilter {
            from_day: self.range.first_day(),
            to_day: self.range.last_day(),
            grade: self.grade.map(|g| g.as_str().to_string()),
            party: self.party.as_ref().map(Id::to_string),
            bbox: self.bbox,
        }
    }

    /// Whether documents must be read to apply the query (an instant bound or an act).
    pub fn needs_parsing(&self) -> bool {
        self.range.precise() || self.act.is_some()
    }

    /// Whether an incident passes the filters the views' columns cannot apply (an instant
    /// bound, an act).
    pub fn keeps(&self, i: &Incident) -> bool {
        !self.needs_parsing()
            || (Time::parse(&i.start).is_ok_and(|t| self.range.contains(t))
                && self.act.is_none_or(|a| i.acts.iter().any(|x| x.is_a(&a))))
    }

    /// Every matching incident document in its list form, in stored order (by start, then id).
    pub fn docs(&self, v: &ViewStore) -> Result<Vec<String>, DerivedError> {
        // Lists and exports show incidents in their list form: members abridged, `member_count`.
        let mut docs = v.incident_heads(&self.filter())?;
        if self.needs_parsing() {
            let mut err = None;
            docs.retain(|d| match serde_json::from_str::<IncidentHead>(d) {
                Ok(h) => {
                    Time::parse(&h.start).is_ok_and(|t| self.range.contains(t))
                        && self.act.is_none_or(|a| h.acts.iter().any(|x| x.is_a(&a)))
                }
                Err(e) => {
                    err = Some(e);
                    false
                }
            });
            if let Some(e) = err {
                return Err(DerivedError::Unreadable(e.to_string()));
            }
        }
        Ok(docs)
    }
}

/// Checks `agreement`, `reading` or `party` values against what the log holds: the error names
/// the parameter and lists the valid values.
pub(crate) fn check_known(
    known: &Known,
    fields: &[(Field, Option<&str>)],
) -> Result<(), ParamError> {
    for (field, value) in fields {
        if let Some(v) = value {
            known.check(*field, v).map_err(|e| bad(field.name(), e))?;
        }
    }
    Ok(())
}

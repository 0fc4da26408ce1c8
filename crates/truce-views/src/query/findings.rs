//! Findings: the filters of `GET /v1/findings` and `/v1/findings.csv` (`from`/`to` on the
//! finding's day, `agreement`, `reading`, `party`, `standing`, `outcome`, `incident`), all
//! answered by the views' columns.

use super::incidents::check_known;
use super::{raw_page, Page, ParamError, Params};
use crate::db::{FindingFilter, ViewStore};
use crate::derived::DerivedError;
use crate::filters::{Field, Known};
use truce_model::Id;

/// Filters on findings.
#[derive(Debug, Clone)]
pub struct FindingQuery(pub FindingFilter);

/// The parameters of `GET /v1/findings` (with `as_of`) and `/v1/findings.csv`.
pub const FINDING_PARAMS: &[&str] = &[
    "limit",
    "offset",
    "from",
    "to",
    "agreement",
    "reading",
    "party",
    "standing",
    "outcome",
    "incident",
];

impl FindingQuery {
    /// The filters a query's parameters give (`agreement`, `reading`, `party` checked against
    /// what the log holds).
    pub fn parse(p: &Params, known: &Known) -> Result<FindingQuery, ParamError> {
        let q = FindingQuery::unchecked(p)?;
        q.check(known)?;
        Ok(q)
    }

    /// The filters a query's parameters give, `agreement`, `reading` and `party` not yet checked
    /// against the log ([`FindingQuery::check`]: the CLI checks them only when nothing matched).
    pub fn unchecked(p: &Params) -> Result<FindingQuery, ParamError> {
        let range = p.time_range()?;
        let id = |k: &str| -> Result<Option<String>, ParamError> {
            Ok(p.id(k)?.map(|x: Id| x.to_string()))
        };
        Ok(FindingQuery(FindingFilter {
            agreement: id("agreement")?,
            reading: id("reading")?,
            incident: p.get("incident").map(String::from),
            outcome: p.outcome()?.map(|o| o.as_str().to_string()),
            standing: p.standing()?.map(|g| g.as_str().to_string()),
            party: id("party")?,
            from_day: range.first_day(),
            to_day: range.last_day(),
        }))
    }

    /// Whether `agreement`, `reading` and `party` are values the log holds (the error names the
    /// parameter and lists the valid values).
    pub fn check(&self, known: &Known) -> Result<(), ParamError> {
        let f = &self.0;
        check_known(
            known,
            &[
                (Field::Agreement, f.agreement.as_deref()),
                (Field::Reading, f.reading.as_deref()),
                (Field::Party, f.party.as_deref()),
            ],
        )
    }

    /// `GET /v1/findings`' document (and `truce findings --json`'s): one page of the matching
    /// findings as the engine encodes them, `{"items", "total", "limit", "offset",
    /// "log_size"}`, and how many match.
    pub fn page_json(
        &self,
        v: &ViewStore,
        page: Page,
        log_size: u64,
    ) -> Result<(String, usize), DerivedError> {
        let (docs, total) = v.findings_page(&self.0, page.limit, page.offset)?;
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        Ok((raw_page(&docs, total, page, log_size, ""), total))
    }
}

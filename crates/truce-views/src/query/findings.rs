//! Findings: the filters of `GET /v1/findings` and `/v1/findings.csv` (`from`/`to` on the
//! finding's day, `agreement`, `reading`, `party`, `standing`, `outcome`, `incident`), all
//! answered by the views' columns.

use super::{ParamError, Params};
use crate::db::FindingFilter;
use crate::filters::{Field, Known};

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
        let range = p.time_range()?;
        Ok(FindingQuery(FindingFilter {
            agreement: p.known(known, Field::Agreement)?.map(|x| x.to_string()),
            reading: p.known(known, Field::Reading)?.map(|x| x.to_string()),
            incident: p.get("incident").map(String::from),
            outcome: p.outcome()?.map(|o| o.as_str().to_string()),
            standing: p.standing()?.map(|g| g.as_str().to_string()),
            party: p.known(known, Field::Party)?.map(|x| x.to_string()),
            from_day: range.first_day(),
            to_day: range.last_day(),
        }))
    }
}

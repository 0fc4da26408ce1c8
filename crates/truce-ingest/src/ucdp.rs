//! UCDP Georeferenced Event Dataset (GED) CSV.
//!
//! - time: [`date_start`, `date_end` + 1 day) (dates may carry a time part, ignored); `date_prec`
//!   (1 exact … 5) is kept as an attribute;
//! - location: `latitude`/`longitude`; `where_prec` as uncertainty: 1 exact → 1 km, 2 within 25 km
//!   → 25 km, 3 second-order division → 50 km, 4 first-order division → 100 km, 5 between
//!   divisions → 150 km, 6 country, 7 international waters → 300 km;
//! - aggregates: `event_clarity` 2 marks a row that UCDP's codebook describes as an aggregation
//!   of several events reported together (1: a clearly identified single event). `where_prec`
//!   still bounds where those events happened when it names an area (2: within 25 km of a known
//!   point; 3–7: a division, the country, waters), but its 1 ("exact location") cannot hold for
//!   several events. Such a row's uncertainty is therefore at least 25 km — the radius of
//!   `where_prec` 2, i.e. an aggregate placed "exactly" is read as "within 25 km of that point" —
//!   and attribute `aggregate` says so and by how much; coarser precisions keep their radius.
//!   The time interval already spans `date_start`..`date_end`. Missing or empty `event_clarity`
//!   reads as 1; values other than 1 and 2 are refused;
//! - act: `violence` (GED events are organised violence of unstated kind);
//! - id: `ucdp-<id>`;
//! - alleged perpetrator by `type_of_violence` (a required column; values other than 1–3 are
//!   refused): 3, one-sided violence, is by definition violence by `side_a` (a government or
//!   formally organised group) against civilians (`side_b`), so `side_a` through the actor map is
//!   the perpetrator; 1 (state-based) and 2 (non-state) code a dyad of two warring sides, not who
//!   attacked whom, so there is none (`side_a` and `side_b` stay in the attributes).

use crate::rows::{date, midnight, position, ActorMap, Columns};
use csv::ByteRecord;
use std::collections::BTreeMap;
use truce_model::domain::{Act, Id, Interval, Location, Report};
use truce_model::Time;

/// The least uncertainty of an aggregate row (`event_clarity` 2): `where_prec` 2's radius.
pub const AGGREGATE_MIN_M: u32 = 25_000;

/// What a GED row maps to (see the module docs).
pub fn map(cols: &Columns, rec: &ByteRecord, actors: &ActorMap) -> Result<Report, String> {
    let g = |n: &str| cols.get(rec, n);
    let id = Id::new(&format!("ucdp-{}", g("id")?.to_ascii_lowercase()))
        .map_err(|e| format!("field `id`: {e}"))?;
    let day = |n: &str| -> Result<jiff::civil::Date, String> {
        let v = g(n)?;
        date(v.get(..10).unwrap_or(v)).map_err(|e| format!("field `{n}`: {e}"))
    };
    let (d0, d1) = (day("date_start")?, day("date_end")?);
    if d1 < d0 {
        return Err(format!("field `date_end`: {d1} precedes date_start {d0}"));
    }
    let end = Time(midnight(d1)?.0 + jiff::SignedDuration::from_hours(24));
    let uncertainty_m = match g("where_prec")? {
        "1" => 1_000,
        "2" => 25_000,
        "3" => 50_000,
        "4" => 100_000,
        "5" => 150_000,
        "6" | "7" => 300_000,
        other => return Err(format!("field `where_prec`: {other:?} is not 1-7")),
    };
    let aggregate = match g("event_clarity")? {
        "" | "1" => false,
        "2" => true,
        other => return Err(format!("field `event_clarity`: {other:?} is not 1 or 2")),
    };
    let precise_m = uncertainty_m;
    let uncertainty_m = if aggregate {
        uncertainty_m.max(AGGREGATE_MIN_M)
    } else {
        uncertainty_m
    };
    let alleged_perpetrator = match g("type_of_violence")? {
        "1" | "2" => None,
        "3" => actors.party(g("side_a")?),
        other => {
            return Err(format!(
                "field `type_of_violence`: {other:?} is not 1, 2 or 3"
            ))
        }
    };
    let point = position(cols.num(rec, "latitude")?, cols.num(rec, "longitude")?)?;
    let mut attributes = BTreeMap::new();
    for n in [
        "side_a",
        "side_b",
        "best",
        "low",
        "high",
        "type_of_violence",
        "date_prec",
        "where_prec",
        "event_clarity",
        "conflict_name",
        "dyad_name",
        "source_office",
        "deaths_civilians",
    ] {
        let v = g(n)?;
        if !v.is_empty() {
            attributes.insert(n.to_string(), v.to_string());
        }
    }
    if aggregate {
        attributes.insert(
            "aggregate".to_string(),
            if uncertainty_m > precise_m {
                format!(
                    "event_clarity 2: several events reported together; uncertainty widened from {precise_m} m to {uncertainty_m} m"
                )
            } else {
                format!("event_clarity 2: several events reported together; where_prec's {uncertainty_m} m kept")
            },
        );
    }
    let place = [g("where_coordinates")?, g("adm_1")?]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Report {
        id,
        time: Interval {
            start: midnight(d0)?,
            end,
        },
        location: Location {
            point,
            uncertainty_m,
            place,
        },
        act: Act::Violence,
        denies: Vec::new(),
        relays: None,
        alleged_perpetrator,
        target_category: None,
        evidence: Vec::new(),
        text: g("source_headline")?.chars().take(2000).collect(),
        illustrative: false,
        kind: None,
        vessel: None,
        weapon: None,
        observation: None,
        fire_from: None,
        revision: None,
        attributes,
    })
}

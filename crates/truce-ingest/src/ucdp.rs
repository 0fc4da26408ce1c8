//! UCDP Georeferenced Event Dataset (GED) CSV.
//!
//! - time: [`date_start`, `date_end` + 1 day) (dates may carry a time part, ignored); `date_prec`
//!   (1 exact … 5) is kept as an attribute;
//! - location: `latitude`/`longitude`; `where_prec` as uncertainty: 1 exact → 1 km, 2 within 25 km
//!   → 25 km, 3 second-order division → 50 km, 4 first-order division → 100 km, 5 between
//!   divisions → 150 km, 6 country, 7 international waters → 300 km;
//! - act: `violence` (GED events are organised violence of unstated kind);
//! - id: `ucdp-<id>`; alleged perpetrator: `side_a` through the actor map.

use crate::rows::{date, midnight, position, ActorMap, Columns};
use csv::ByteRecord;
use std::collections::BTreeMap;
use truce_model::domain::{Act, Id, Interval, Location, Report};
use truce_model::Time;

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
        alleged_perpetrator: actors.party(g("side_a")?),
        target_category: None,
        evidence: Vec::new(),
        text: g("source_headline")?.chars().take(2000).collect(),
        illustrative: false,
        revision: None,
        attributes,
    })
}

//! ACLED's 31-column export CSV (synthetic fixtures only: ACLED's terms forbid redistributing rows).
//!
//! - time: `event_date` (`YYYY-MM-DD` or `16 May 2025`) with `time_precision` as an interval:
//!   1 → that day; 2 → the seven days centred on it (ACLED: "the week of"); 3 → its calendar month;
//! - location: `latitude`/`longitude`; `geo_precision` 1 → 2 km (town), 2 → 25 km (part of a
//!   region), 3 → 100 km (region only);
//! - act from `sub_event_type`/`event_type`: air/drone strike → `drone-strike`;
//!   shelling/artillery/missile attack → `shelling`; remote explosive/landmine/IED → `sabotage`;
//!   grenade, suicide bomb → `strike`; battles → `ground-assault`; violence against civilians →
//!   `violence`; protests, riots and strategic developments are skipped (not acts Truce tracks);
//! - id: `event_id_cnty` (lower-cased); `revision` = `timestamp`: an event re-issued with a newer
//!   timestamp supersedes the older record, which stays in the log;
//! - `inter1`/`inter2`/`interaction` as text or numeric codes (stored as text);
//! - alleged perpetrator: `actor1` through the actor map (`--actor`), when it maps to a party.

use crate::rows::{date, midnight, position, ActorMap, Columns};
use csv::ByteRecord;
use std::collections::BTreeMap;
use truce_model::domain::{Act, Id, Interval, Location, Report};
use truce_model::Time;

/// The export's 31 columns, in order.
pub const COLUMNS: &[&str] = &[
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
];

/// ACLED's numeric actor-type codes, as text.
pub fn inter_text(code: &str) -> String {
    match code.trim() {
        "1" => "State forces",
        "2" => "Rebel groups",
        "3" => "Political militias",
        "4" => "Identity militias",
        "5" => "Rioters",
        "6" => "Protesters",
        "7" => "Civilians",
        "8" => "External/Other forces",
        other => other,
    }
    .to_string()
}

/// The act an event is, or why it is skipped.
pub fn act_for(event_type: &str, sub_event_type: &str) -> Result<Act, String> {
    let sub = sub_event_type.to_ascii_lowercase();
    let ev = event_type.to_ascii_lowercase();
    Ok(match () {
        _ if sub.contains("air/drone strike") => Act::DroneStrike,
        _ if sub.contains("shelling/artillery/missile") => Act::Shelling,
        _ if sub.contains("remote explosive") => Act::Sabotage,
        _ if sub.contains("grenade") || sub.contains("suicide bomb") => Act::Strike,
        _ if ev == "battles" => Act::GroundAssault,
        _ if ev == "violence against civilians" => Act::Violence,
        _ => {
            return Err(format!(
                "{event_type} / {sub_event_type} is not an act Truce tracks"
            ))
        }
    })
}

/// Outcome of mapping an ACLED row.
pub enum Mapped {
    /// A report.
    Report(Box<Report>),
    /// Skipped, with the reason.
    Skip(String),
}

/// What an ACLED row maps to (see the module docs).
pub fn map(cols: &Columns, rec: &ByteRecord, actors: &ActorMap) -> Result<Mapped, String> {
    let g = |n: &str| cols.get(rec, n);
    let id = Id::new(&g("event_id_cnty")?.to_ascii_lowercase())
        .map_err(|e| format!("field `event_id_cnty`: {e}"))?;
    let day = date(g("event_date")?).map_err(|e| format!("field `event_date`: {e}"))?;
    let d0 = midnight(day)?;
    let days = |n: i64| jiff::SignedDuration::from_hours(24 * n);
    let time = match g("time_precision")? {
        "1" => Interval {
            start: d0,
            end: Time(d0.0 + days(1)),
        },
        "2" => Interval {
            start: Time(d0.0 - days(3)),
            end: Time(d0.0 + days(4)),
        },
        "3" => {
            let first = day.first_of_month();
            let next = first
                .checked_add(jiff::Span::new().months(1))
                .map_err(|e| e.to_string())?;
            Interval {
                start: midnight(first)?,
                end: midnight(next)?,
            }
        }
        other => {
            return Err(format!(
                "field `time_precision`: {other:?} is not 1, 2 or 3"
            ))
        }
    };
    let uncertainty_m = match g("geo_precision")? {
        "1" => 2_000,
        "2" => 25_000,
        "3" => 100_000,
        other => return Err(format!("field `geo_precision`: {other:?} is not 1, 2 or 3")),
    };
    let point = position(cols.num(rec, "latitude")?, cols.num(rec, "longitude")?)?;
    let revision: i64 = g("timestamp")?.parse().map_err(|_| {
        format!(
            "field `timestamp`: {:?} is not Unix seconds",
            g("timestamp").unwrap_or("")
        )
    })?;
    let act = match act_for(g("event_type")?, g("sub_event_type")?) {
        Ok(a) => a,
        Err(why) => return Ok(Mapped::Skip(why)),
    };
    let mut attributes = BTreeMap::new();
    for n in [
        "event_type",
        "sub_event_type",
        "actor1",
        "assoc_actor_1",
        "actor2",
        "assoc_actor_2",
        "civilian_targeting",
        "country",
        "admin1",
        "admin2",
        "source",
        "source_scale",
        "fatalities",
        "tags",
        "time_precision",
        "geo_precision",
        "disorder_type",
    ] {
        let v = g(n)?;
        if !v.is_empty() {
            attributes.insert(n.to_string(), v.to_string());
        }
    }
    for n in ["inter1", "inter2"] {
        let v = g(n)?;
        if !v.is_empty() {
            attributes.insert(n.to_string(), inter_text(v));
        }
    }
    let place = [g("location")?, g("admin1")?]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Mapped::Report(Box::new(Report {
        id,
        time,
        location: Location {
            point,
            uncertainty_m,
            place,
        },
        act,
        denies: Vec::new(),
        relays: None,
        alleged_perpetrator: actors.party(g("actor1")?),
        target_category: None,
        evidence: Vec::new(),
        text: g("notes")?.to_string(),
        illustrative: false,
        revision: Some(revision),
        attributes,
    })))
}

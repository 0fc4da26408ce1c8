//! Truce's own report formats, for parties and monitors without a dataset format:
//! - **JSON Lines**: one report per line, exactly the `report` body of an entry (see
//!   `truce_model::domain::Report`), e.g.
//!   `{"id":"r1","time":{"start":"2025-03-20T20:22:00Z"},"location":{"point":[35.27,51.19],"uncertainty_m":3000},"act":"shelling","alleged_perpetrator":"ru"}`;
//! - **CSV** with the columns `id,start,end,lon,lat,uncertainty_m,place,act,alleged_perpetrator,target_category,text`
//!   (`start`/`end` RFC 3339 with an offset, `end` may be empty; `act` as in files, e.g. `drone-strike`);
//! - **GeoJSON**: a FeatureCollection of Point features whose properties are the CSV columns
//!   (without `lon`/`lat`).

use crate::rows::{position, Columns, Row};
use csv::ByteRecord;
use serde_json::{json, Value};
use truce_model::domain::Report;

/// The native CSV columns.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "start",
    "end",
    "lon",
    "lat",
    "uncertainty_m",
    "place",
    "act",
    "alleged_perpetrator",
    "target_category",
    "text",
];

fn build(
    id: &str,
    start: &str,
    end: &str,
    point: Value,
    props: &dyn Fn(&str) -> String,
) -> Result<Report, String> {
    let mut time = json!({ "start": start });
    if !end.is_empty() {
        time["end"] = json!(end);
    }
    let unc = props("uncertainty_m");
    let mut v = json!({
        "id": id,
        "time": time,
        "location": { "point": point, "uncertainty_m": if unc.is_empty() { 0 } else { unc.parse::<u32>().map_err(|_| format!("field `uncertainty_m`: {unc:?} is not a whole number of metres"))? }, "place": props("place") },
        "act": props("act"),
        "text": props("text"),
    });
    for opt in ["alleged_perpetrator", "target_category"] {
        let x = props(opt);
        if !x.is_empty() {
            v[opt] = json!(x);
        }
    }
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// What a native CSV row maps to.
pub fn map_csv(cols: &Columns, rec: &ByteRecord) -> Result<Report, String> {
    let point = position(cols.num(rec, "lat")?, cols.num(rec, "lon")?)?;
    let get = |n: &str| cols.get(rec, n).map(str::to_string).unwrap_or_default();
    build(
        &get("id"),
        &get("start"),
        &get("end"),
        json!([point.lon(), point.lat()]),
        &get,
    )
}

/// Parses one JSON Lines line.
pub fn map_json_line(line: &str) -> Result<Report, String> {
    serde_json::from_str::<Report>(line).map_err(|e| e.to_string())
}

/// Reads a GeoJSON FeatureCollection of reports (the whole document; features numbered from 1).
pub fn geojson_rows(text: &str) -> Result<Vec<Row>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not GeoJSON: {e}"))?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err("expected a GeoJSON FeatureCollection".into());
    }
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(features
        .into_iter()
        .enumerate()
        .map(|(i, f)| geojson_row(i as u64 + 1, f))
        .collect())
}

/// One GeoJSON feature (the `n`th, from 1) as a report row.
pub fn geojson_row(n: u64, f: Value) -> Row {
    let props = f.get("properties").cloned().unwrap_or(Value::Null);
    let get = |k: &str| -> String {
        match props.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    };
    let coords = f
        .pointer("/geometry/coordinates")
        .cloned()
        .unwrap_or(Value::Null);
    let result = (|| {
        if f.pointer("/geometry/type").and_then(Value::as_str) != Some("Point") {
            return Err("geometry: reports are Points".to_string());
        }
        let (lon, lat) = (
            coords.get(0).and_then(Value::as_f64),
            coords.get(1).and_then(Value::as_f64),
        );
        let (Some(lon), Some(lat)) = (lon, lat) else {
            return Err("geometry: coordinates must be [lon, lat]".to_string());
        };
        let p = position(lat, lon)?;
        build(
            &get("id"),
            &get("start"),
            &get("end"),
            json!([p.lon(), p.lat()]),
            &get,
        )
    })();
    match result {
        Ok(report) => Row::Report {
            line: n,
            report: Box::new(report),
        },
        Err(reason) => Row::Refused {
            line: n,
            reason: format!("feature {n}: {reason}"),
            raw: f.to_string(),
        },
    }
}

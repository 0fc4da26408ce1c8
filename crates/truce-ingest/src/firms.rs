//! NASA FIRMS active-fire CSV: VIIRS (S-NPP `N`, NOAA-20 `N20`, NOAA-21 `N21`) and MODIS (`Terra`,
//! `Aqua`); the area-API, 24-hour, NRT-archive and download variants. Columns are found by name
//! (`bright_ti4` or `brightness`, `instrument` optional or last, `type` when present).
//!
//! Each row is a pixel with a fire, not a fire: it becomes a `fire-observed` report.
//! - time: `acq_date` + `acq_time` (UTC; `HHMM` unpadded — `41` is 00:41 — or `HH:MM:SS`), to the
//!   minute: the interval [t, t + 1 min];
//! - location: the pixel centre; uncertainty = half the pixel diagonal from `scan` × `track` (km),
//!   else 375 m (VIIRS) / 1,000 m (MODIS);
//! - id (natural key): `<satellite>-<yyyymmdd>-<hhmm>-<lat>-<lon>` (5 decimals), so re-ingesting a
//!   file adds nothing;
//! - attributes: satellite, instrument, confidence (`low`/`nominal`/`high`, or 0–100 for MODIS),
//!   frp, brightness, scan, track, daynight, version, type (no free text: the attributes say it all).

use crate::rows::{date, midnight, position, Columns};
use csv::ByteRecord;
use std::collections::BTreeMap;
use truce_model::domain::{Act, Id, Interval, Location, Report};
use truce_model::Time;

/// What a FIRMS row maps to (see the module docs).
pub fn map(cols: &Columns, rec: &ByteRecord) -> Result<Report, String> {
    let lat = cols.num(rec, "latitude")?;
    let lon = cols.num(rec, "longitude")?;
    let point = position(lat, lon)?;
    let day = date(cols.get(rec, "acq_date")?).map_err(|e| format!("field `acq_date`: {e}"))?;
    let hhmm = cols.get(rec, "acq_time")?;
    let (h, m) = acq_time(hhmm).map_err(|e| format!("field `acq_time`: {e}"))?;
    let start = Time(
        midnight(day)?.0 + jiff::SignedDuration::from_secs(i64::from(h) * 3600 + i64::from(m) * 60),
    );
    let end = Time(start.0 + jiff::SignedDuration::from_secs(60));
    let satellite = cols.get(rec, "satellite")?;
    if satellite.is_empty() {
        return Err("field `satellite`: empty".into());
    }
    let mut instrument = cols.get(rec, "instrument")?.to_string();
    if instrument.is_empty() {
        instrument = if matches!(satellite, "Terra" | "Aqua" | "T" | "A") {
            "MODIS"
        } else {
            "VIIRS"
        }
        .into();
    }
    let confidence =
        confidence(cols.get(rec, "confidence")?).map_err(|e| format!("field `confidence`: {e}"))?;
    let km = |name: &str| -> Result<Option<f64>, String> {
        if cols.get(rec, name)?.is_empty() {
            Ok(None)
        } else {
            cols.num(rec, name).map(Some)
        }
    };
    let uncertainty_m = match (km("scan")?, km("track")?) {
        (Some(s), Some(t)) if s > 0.0 && t > 0.0 => ((s * s + t * t).sqrt() * 500.0).ceil() as u32,
        _ if instrument == "MODIS" => 1000,
        _ => 375,
    };
    let id = Id::new(&format!(
        "{}-{}-{h:02}{m:02}-{lat:.5}-{lon:.5}",
        satellite.to_ascii_lowercase(),
        day.strftime("%Y%m%d")
    ))
    .map_err(|e| format!("field `satellite`: {e}"))?;
    let mut attributes = BTreeMap::new();
    attributes.insert("satellite".into(), satellite.to_string());
    attributes.insert("instrument".into(), instrument.clone());
    attributes.insert("confidence".into(), confidence.clone());
    for (key, names) in [
        ("brightness", &["bright_ti4", "brightness"][..]),
        ("brightness_2", &["bright_ti5", "bright_t31"][..]),
        ("frp", &["frp"][..]),
        ("scan", &["scan"][..]),
        ("track", &["track"][..]),
        ("daynight", &["daynight"][..]),
        ("version", &["version"][..]),
        ("type", &["type"][..]),
    ] {
        let v = cols.get_any(rec, names)?;
        if !v.is_empty() {
            attributes.insert(key.into(), v.to_string());
        }
    }
    Ok(Report {
        id,
        time: Interval { start, end },
        location: Location {
            point,
            uncertainty_m,
            place: String::new(),
        },
        act: Act::FireObserved,
        denies: Vec::new(),
        relays: None,
        alleged_perpetrator: None,
        target_category: None,
        evidence: Vec::new(),
        text: String::new(),
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

/// Parses `acq_time`: 1–4 digits `HHMM` (unpadded) or `HH:MM[:SS]`.
pub fn acq_time(t: &str) -> Result<(u8, u8), String> {
    let (h, m) = if let Some((h, rest)) = t.split_once(':') {
        let m = rest.split(':').next().unwrap_or("");
        (h.parse::<u8>().ok(), m.parse::<u8>().ok())
    } else if !t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        let n: u16 = t.parse().map_err(|_| format!("{t:?} is not a time"))?;
        (u8::try_from(n / 100).ok(), u8::try_from(n % 100).ok())
    } else {
        (None, None)
    };
    match (h, m) {
        (Some(h), Some(m)) if h < 24 && m < 60 => Ok((h, m)),
        _ => Err(format!("{t:?} is not a time of day (HHMM or HH:MM:SS)")),
    }
}

/// Normalises confidence: `l`/`n`/`h` and `low`/`nominal`/`high` to words; MODIS 0–100 kept.
pub fn confidence(c: &str) -> Result<String, String> {
    Ok(match c.to_ascii_lowercase().as_str() {
        "l" | "low" => "low".into(),
        "n" | "nominal" => "nominal".into(),
        "h" | "high" => "high".into(),
        n => match n.parse::<u8>() {
            Ok(v) if v <= 100 => v.to_string(),
            _ => return Err(format!("{c:?} is not l/n/h, low/nominal/high or 0-100")),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acq_time_shapes() {
        assert_eq!(acq_time("41").unwrap(), (0, 41));
        assert_eq!(acq_time("5").unwrap(), (0, 5));
        assert_eq!(acq_time("1106").unwrap(), (11, 6));
        assert_eq!(acq_time("0005").unwrap(), (0, 5));
        assert_eq!(acq_time("00:45:00").unwrap(), (0, 45));
        assert!(acq_time("2460").is_err());
        assert!(acq_time("12345").is_err());
        assert!(acq_time("").is_err());
    }

    #[test]
    fn confidence_shapes() {
        assert_eq!(confidence("n").unwrap(), "nominal");
        assert_eq!(confidence("HIGH").unwrap(), "high");
        assert_eq!(confidence("87").unwrap(), "87");
        assert!(confidence("101").is_err());
    }
}

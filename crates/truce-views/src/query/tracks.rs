//! AIS tracks and vessels, read from the ledger (`Ledger::tracks`, `Ledger::vessels`): the
//! documents of `GET /v1/ais/tracks.geojson`, `GET /v1/ais/vessels`, `GET /v1/ais/vessels/{mmsi}`
//! and of `truce ais tracks|vessels --json` (one shape for both).
//!
//! **Tracks.** A window of time (`from`/`to`, or `at` ± `hours`; at most [`MAX_WINDOW_H`] hours)
//! gives, per MMSI, one GeoJSON feature: the points of its segments inside the window, joined in
//! time order (a point at a time two segments share — another author's copy, a late part — kept
//! once), split into a `MultiLineString` where the vessel is silent more than [`SPLIT_GAP_MS`],
//! and simplified (Douglas–Peucker on a local plane) within a tolerance: `tolerance_m`, or
//! about two screen pixels at `zoom` ([`tolerance_for_zoom`]). Invariants: every kept point is a
//! stored point; a piece's first and last points are kept; features are in MMSI order; an
//! answer holds at most `limit` (≤ [`MAX_FEATURES`]) features and [`MAX_POINTS`] points (under
//! 2 MiB), and says `truncated: true` when it left anything out. Without any time, the window
//! is the last [`DEFAULT_WINDOW_H`] hours with tracks.
//!
//! **Vessels.** Every MMSI with static data or a track, in MMSI order, each with every version of
//! its declared static data and its track's span. AIS identity is self-declared: an MMSI names a
//! transmitter, names and ship types are what it says, and a class is derived from the declared
//! ship type (`truce_model::ais::VesselClass`).

use super::{bad, page_value, Bound, Page, ParamError, Params};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use truce_model::ais::{StoredTrack, VesselClass, VesselVersion};
use truce_model::{Ledger, Time};

/// The parameters of `GET /v1/ais/tracks.geojson`.
pub const TRACK_PARAMS: &[&str] = &[
    "from",
    "to",
    "at",
    "hours",
    "bbox",
    "mmsi",
    "zoom",
    "tolerance_m",
    "limit",
];
/// The parameters of `GET /v1/ais/vessels`.
pub const VESSEL_PARAMS: &[&str] = &["mmsi", "class", "q", "limit", "offset"];

/// The longest window of a tracks query, hours (31 days).
pub const MAX_WINDOW_H: i64 = 31 * 24;
/// The window when none is given: the last day with tracks, hours.
pub const DEFAULT_WINDOW_H: i64 = 24;
/// Hours either side of `at` by default.
pub const DEFAULT_AROUND_H: i64 = 6;
/// Features by default.
pub const DEFAULT_FEATURES: usize = 500;
/// The most features in one answer.
pub const MAX_FEATURES: usize = 2_000;
/// The most points in one answer (about 22 bytes each as JSON: an answer stays under 2 MiB, what
/// the dashboard allows itself per response).
pub const MAX_POINTS: usize = 75_000;
/// A silence longer than this splits a vessel's track, milliseconds (one hour).
pub const SPLIT_GAP_MS: i64 = 3_600_000;
/// The largest `tolerance_m`.
pub const MAX_TOLERANCE_M: f64 = 100_000.0;
/// The largest `zoom`.
pub const MAX_ZOOM: f64 = 18.0;

const HOUR_MS: i64 = 3_600_000;
/// Metres per pixel at the equator at zoom 0 (256-pixel Web Mercator tiles).
const M_PER_PX_Z0: f64 = 156_543.033_928;
/// Metres per degree of latitude (mean).
const M_PER_DEG: f64 = 111_320.0;

/// The simplification tolerance, metres, that is about two pixels at `zoom` on a Web Mercator map
/// at latitude `lat` (degrees).
pub fn tolerance_for_zoom(zoom: f64, lat: f64) -> f64 {
    2.0 * M_PER_PX_Z0 * lat.to_radians().cos().abs() / 2f64.powf(zoom)
}

/// A tracks query: the window, filters and bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackQuery {
    /// Start of the window, unix milliseconds (`None`: from the data, see the module docs).
    pub from_ms: Option<i64>,
    /// End of the window, unix milliseconds, inclusive.
    pub to_ms: Option<i64>,
    /// Vessels whose segments' bounding boxes meet this box (degrees).
    pub bbox: Option<[f64; 4]>,
    /// Only these MMSIs.
    pub mmsi: Option<BTreeSet<u32>>,
    /// Simplification tolerance, metres (0: every stored point).
    pub tolerance_m: f64,
    /// Features at most.
    pub limit: usize,
}

impl Default for TrackQuery {
    fn default() -> Self {
        TrackQuery {
            from_ms: None,
            to_ms: None,
            bbox: None,
            mmsi: None,
            tolerance_m: 0.0,
            limit: DEFAULT_FEATURES,
        }
    }
}

fn ms(t: Time) -> i64 {
    t.0.as_millisecond()
}

/// A time in unix milliseconds as the documents write it (RFC 3339, UTC), or `null`.
pub fn time_json(t_ms: i64) -> Value {
    jiff::Timestamp::from_millisecond(t_ms)
        .map(|t| json!(Time(t)))
        .unwrap_or(Value::Null)
}

fn day_start_ms(name: &str, d: truce_model::Date) -> Result<i64, ParamError> {
    d.0.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|e| bad(name, format!("{d}: {e}")))
}

/// `mmsi=N[,N…]`: MMSIs of up to nine digits.
pub fn parse_mmsis(v: &str) -> Result<BTreeSet<u32>, ParamError> {
    let mut out = BTreeSet::new();
    for x in v.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        out.insert(parse_mmsi(x).map_err(|e| bad("mmsi", e))?);
    }
    if out.is_empty() {
        return Err(bad("mmsi", "give one MMSI or several separated by commas"));
    }
    if out.len() > MAX_FEATURES {
        return Err(bad(
            "mmsi",
            format!("{} MMSIs; at most {MAX_FEATURES}", out.len()),
        ));
    }
    Ok(out)
}

/// One MMSI: an integer of up to nine digits.
pub fn parse_mmsi(v: &str) -> Result<u32, String> {
    v.parse::<u32>()
        .ok()
        .filter(|n| *n <= 999_999_999)
        .ok_or_else(|| format!("{v:?} is not an MMSI (an integer of up to nine digits)"))
}

fn number(p: &Params, k: &str, lo: f64, hi: f64) -> Result<Option<f64>, ParamError> {
    p.get(k)
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && (lo..=hi).contains(x))
                .ok_or_else(|| bad(k, format!("{v:?} is not a number from {lo} to {hi}")))
        })
        .transpose()
}

impl TrackQuery {
    /// The query a request's parameters give ([`TRACK_PARAMS`]).
    pub fn parse(p: &Params) -> Result<TrackQuery, ParamError> {
        let range = p.time_range()?;
        let from_ms = match range.from {
            None => None,
            Some(Bound::At(t)) => Some(ms(t)),
            Some(Bound::Day(d)) => Some(day_start_ms("from", d)?),
        };
        let to_ms = match range.to {
            None => None,
            Some(Bound::At(t)) => Some(ms(t)),
            Some(Bound::Day(d)) => Some(day_start_ms("to", d)? + 24 * HOUR_MS - 1),
        };
        let hours = number(p, "hours", 0.0, (MAX_WINDOW_H / 2) as f64)?;
        let (from_ms, to_ms) = match p.get("at") {
            Some(v) => {
                if from_ms.is_some() || to_ms.is_some() {
                    return Err(bad("at", "give either `at` (and `hours`) or `from`/`to`"));
                }
                let t = Time::parse(&v.replace(' ', "+")).map_err(|e| bad("at", e))?;
                let h = hours.unwrap_or(DEFAULT_AROUND_H as f64);
                let d = (h * HOUR_MS as f64).round() as i64;
                (Some(ms(t) - d), Some(ms(t) + d))
            }
            None if hours.is_some() => {
                return Err(bad("hours", "`hours` goes with `at` (hours either side)"))
            }
            None => (from_ms, to_ms),
        };
        if let (Some(a), Some(b)) = (from_ms, to_ms) {
            if b - a > MAX_WINDOW_H * HOUR_MS {
                return Err(bad(
                    "to",
                    format!("the window is longer than {MAX_WINDOW_H} hours (31 days); ask for a shorter one"),
                ));
            }
        }
        let zoom = number(p, "zoom", 0.0, MAX_ZOOM)?;
        let tol = number(p, "tolerance_m", 0.0, MAX_TOLERANCE_M)?;
        let tolerance_m = match (zoom, tol) {
            (Some(_), Some(_)) => {
                return Err(bad("tolerance_m", "give either `zoom` or `tolerance_m`"))
            }
            (None, Some(t)) => t,
            (Some(z), None) => {
                let lat = p.bbox()?.map_or(0.0, |b| (b[1] + b[3]) / 2.0);
                tolerance_for_zoom(z, lat)
            }
            (None, None) => 0.0,
        };
        let limit = match p.usize("limit")? {
            Some(l) if l > MAX_FEATURES => {
                return Err(bad(
                    "limit",
                    format!("{l} is above the most features in one answer, {MAX_FEATURES}"),
                ))
            }
            Some(l) => l,
            None => DEFAULT_FEATURES,
        };
        Ok(TrackQuery {
            from_ms,
            to_ms,
            bbox: p.bbox()?,
            mmsi: p.get("mmsi").map(parse_mmsis).transpose()?,
            tolerance_m,
            limit,
        })
    }

    /// The window the query answers for `l`: as given, or completed from the data (see the
    /// module docs). `None` when nothing gives a time (no window, no track).
    pub fn window(&self, l: &Ledger) -> Option<(i64, i64)> {
        let span = DEFAULT_WINDOW_H * HOUR_MS;
        match (self.from_ms, self.to_ms) {
            (Some(a), Some(b)) => Some((a, b)),
            (Some(a), None) => Some((a, a + span)),
            (None, Some(b)) => Some((b - span, b)),
            (None, None) => {
                let mmsis: Vec<u32> = match &self.mmsi {
                    Some(m) => m.iter().copied().collect(),
                    None => l.tracks.mmsis().collect(),
                };
                let last = mmsis
                    .iter()
                    .filter_map(|m| l.tracks.of(*m).iter().map(StoredTrack::end_ms).max())
                    .max()?;
                Some((last - span, last))
            }
        }
    }
}

/// A point in time and place: unix milliseconds, micro-degrees.
type Pt = (i64, i32, i32);

/// Douglas–Peucker on a local equirectangular plane (longitudes scaled by the cosine of the
/// piece's mean latitude): the indexes of `pts` kept within `tol_m` metres, first and last always.
pub fn simplify(pts: &[Pt], tol_m: f64) -> Vec<usize> {
    let n = pts.len();
    if n <= 2 || tol_m <= 0.0 {
        return (0..n).collect();
    }
    let mean_lat = pts.iter().map(|p| f64::from(p.2)).sum::<f64>() / n as f64 / 1e6;
    let kx = mean_lat.to_radians().cos() * M_PER_DEG / 1e6;
    let ky = M_PER_DEG / 1e6;
    let xy = |p: &Pt| (f64::from(p.1) * kx, f64::from(p.2) * ky);
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let mut stack = vec![(0usize, n - 1)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (ax, ay) = xy(&pts[a]);
        let (bx, by) = xy(&pts[b]);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let mut worst = (0.0f64, a);
        for (i, p) in pts.iter().enumerate().take(b).skip(a + 1) {
            let (px, py) = xy(p);
            let d = if len2 == 0.0 {
                ((px - ax).powi(2) + (py - ay).powi(2)).sqrt()
            } else {
                let t = (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0);
                ((px - ax - t * dx).powi(2) + (py - ay - t * dy).powi(2)).sqrt()
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tol_m {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    (0..n).filter(|i| keep[*i]).collect()
}

/// The version of a vessel's static data for a track ending at `t_ms`: the one in force then, else
/// its first.
fn version_at(l: &Ledger, mmsi: u32, t_ms: i64) -> Option<&VesselVersion> {
    let at = jiff::Timestamp::from_millisecond(t_ms).ok().map(Time);
    at.and_then(|t| l.vessels.at(mmsi, t))
        .or_else(|| l.vessels.of(mmsi).first())
}

/// The class a version gives (`unknown` without one).
fn class_of(v: Option<&VesselVersion>) -> VesselClass {
    v.map_or(VesselClass::Unknown, |v| v.value.class)
}

fn vessel_props(m: &mut Map<String, Value>, v: Option<&VesselVersion>) {
    let val = v.map(|v| &v.value);
    m.insert("name".into(), json!(val.and_then(|v| v.name.clone())));
    m.insert("imo".into(), json!(val.and_then(|v| v.imo)));
    m.insert(
        "callsign".into(),
        json!(val.and_then(|v| v.callsign.clone())),
    );
    m.insert("ship_type".into(), json!(val.and_then(|v| v.ship_type)));
    m.insert("class".into(), json!(class_of(v).as_str()));
}

/// One vessel's track over the window: the feature, and the points it holds.
fn track_feature(
    l: &Ledger,
    mmsi: u32,
    segs: &[&StoredTrack],
    (t0, t1): (i64, i64),
    tol_m: f64,
) -> Option<(Value, usize)> {
    let mut pts: Vec<Pt> = Vec::new();
    let (mut jumps, mut conflicts) = (0u64, 0u64);
    for s in segs {
        jumps += u64::from(s.jumps);
        conflicts += u64::from(s.conflicts);
        let base = s.hour * 1000;
        pts.extend(
            s.points()
                .iter()
                .map(|p| (base + i64::from(p.dt_ms), p.lon_e6, p.lat_e6))
                .filter(|p| (t0..=t1).contains(&p.0)),
        );
    }
    pts.sort_by_key(|p| p.0);
    pts.dedup_by_key(|p| p.0);
    let (first, last) = (pts.first()?.0, pts.last()?.0);
    let total = pts.len();
    let mut pieces: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut start = 0;
    for i in 1..=pts.len() {
        if i == pts.len() || pts[i].0 - pts[i - 1].0 > SPLIT_GAP_MS {
            let piece = &pts[start..i];
            pieces.push(
                simplify(piece, tol_m)
                    .into_iter()
                    .map(|k| [f64::from(piece[k].1) / 1e6, f64::from(piece[k].2) / 1e6])
                    .collect(),
            );
            start = i;
        }
    }
    let kept: usize = pieces.iter().map(Vec::len).sum();
    let geometry = if pieces.len() == 1 {
        json!({"type": "LineString", "coordinates": pieces[0]})
    } else {
        json!({"type": "MultiLineString", "coordinates": pieces})
    };
    let mut props = Map::new();
    props.insert("mmsi".into(), json!(mmsi));
    vessel_props(&mut props, version_at(l, mmsi, last));
    props.insert("first".into(), time_json(first));
    props.insert("last".into(), time_json(last));
    props.insert("points".into(), json!(kept));
    props.insert("points_total".into(), json!(total));
    props.insert("pieces".into(), json!(pieces.len()));
    props.insert(
        "segments".into(),
        json!({
            "first": segs.iter().map(|s| s.index).min(),
            "last": segs.iter().map(|s| s.index).max(),
            "count": segs.len(),
        }),
    );
    props.insert(
        "flags".into(),
        json!({"jumps": jumps, "conflicts": conflicts}),
    );
    Some((
        json!({
            "type": "Feature",
            "id": mmsi.to_string(),
            "geometry": geometry,
            "properties": props,
        }),
        kept,
    ))
}

/// The tracks `q` asks for as a GeoJSON FeatureCollection, with `window` (`from`, `to`, or
/// `null` when there is no track to give one), `tolerance_m`, `vessels` (how many MMSIs have a
/// track in the window and box), `truncated` and `log_size`.
pub fn tracks_geojson(l: &Ledger, q: &TrackQuery, log_size: u64) -> Value {
    let mut features = Vec::new();
    let mut truncated = false;
    let mut matched = 0usize;
    let window = q.window(l);
    if let Some((t0, t1)) = window {
        let mut by: std::collections::BTreeMap<u32, Vec<&StoredTrack>> = Default::default();
        let wanted = |m: u32| q.mmsi.as_ref().is_none_or(|s| s.contains(&m));
        // Segments meeting the box choose the vessels; each chosen vessel's whole track in the
        // window is drawn.
        let chosen: BTreeSet<u32> = match q.bbox {
            Some(b) => l
                .tracks
                .in_box(t0, t1, b)
                .map(|s| s.mmsi)
                .filter(|m| wanted(*m))
                .collect(),
            None => match &q.mmsi {
                Some(m) => m.clone(),
                None => l.tracks.mmsis().collect(),
            },
        };
        for m in chosen {
            let v: Vec<&StoredTrack> = l
                .tracks
                .of(m)
                .iter()
                .filter(|s| s.start_ms() <= t1 && s.end_ms() >= t0)
                .collect();
            if !v.is_empty() {
                by.insert(m, v);
            }
        }
        matched = by.len();
        let mut points = 0usize;
        for (m, segs) in &by {
            if features.len() >= q.limit {
                truncated = true;
                break;
            }
            let Some((f, n)) = track_feature(l, *m, segs, (t0, t1), q.tolerance_m) else {
                continue;
            };
            if points + n > MAX_POINTS {
                // Left out; a smaller track after it may still fit.
                truncated = true;
                continue;
            }
            points += n;
            features.push(f);
        }
    }
    json!({
        "type": "FeatureCollection",
        "features": features,
        "window": window.map(|(a, b)| json!({"from": time_json(a), "to": time_json(b)})),
        "tolerance_m": (q.tolerance_m * 100.0).round() / 100.0,
        "vessels": matched,
        "truncated": truncated,
        "log_size": log_size,
    })
}

// ───────────────────────────── vessels ─────────────────────────────

/// A vessels query's filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VesselQuery {
    /// Only these MMSIs.
    pub mmsi: Option<BTreeSet<u32>>,
    /// Only this class (of the latest version; `unknown` without static data).
    pub class: Option<VesselClass>,
    /// A substring of a name (any version), case-insensitive.
    pub q: Option<String>,
}

/// A class by its name.
pub fn parse_class(v: &str) -> Result<VesselClass, ParamError> {
    serde_json::from_value(Value::String(v.to_string())).map_err(|_| {
        bad(
            "class",
            format!("unknown class {v:?}; classes: commercial, military, law-enforcement, unknown"),
        )
    })
}

impl VesselQuery {
    /// The filters a request's parameters give ([`VESSEL_PARAMS`]).
    pub fn parse(p: &Params) -> Result<VesselQuery, ParamError> {
        let q = p.get("q").map(str::trim).filter(|s| !s.is_empty());
        if let Some(s) = q.filter(|s| s.chars().count() > 120) {
            return Err(bad(
                "q",
                format!("{} characters; a name has at most 120", s.chars().count()),
            ));
        }
        Ok(VesselQuery {
            mmsi: p.get("mmsi").map(parse_mmsis).transpose()?,
            class: p.get("class").map(parse_class).transpose()?,
            q: q.map(str::to_lowercase),
        })
    }

    fn matches(&self, l: &Ledger, mmsi: u32) -> bool {
        let versions = l.vessels.of(mmsi);
        self.mmsi.as_ref().is_none_or(|s| s.contains(&mmsi))
            && self.class.is_none_or(|c| class_of(versions.last()) == c)
            && self.q.as_ref().is_none_or(|q| {
                versions.iter().any(|v| {
                    v.value
                        .name
                        .as_ref()
                        .is_some_and(|n| n.to_lowercase().contains(q.as_str()))
                })
            })
    }
}

/// One vessel: its MMSI, latest name and class, every version of its static data (oldest first)
/// and its track's span (`null` without a track).
pub fn vessel_json(l: &Ledger, mmsi: u32) -> Value {
    let versions = l.vessels.of(mmsi);
    let segs = l.tracks.of(mmsi);
    let track = if segs.is_empty() {
        Value::Null
    } else {
        json!({
            "first": time_json(segs.iter().map(StoredTrack::start_ms).min().unwrap_or(0)),
            "last": time_json(segs.iter().map(StoredTrack::end_ms).max().unwrap_or(0)),
            "segments": segs.len(),
            "points": segs.iter().map(|s| s.points().len()).sum::<usize>(),
        })
    };
    let latest = versions.last();
    json!({
        "mmsi": mmsi,
        "name": latest.and_then(|v| v.value.name.clone()),
        "class": class_of(latest).as_str(),
        "versions": versions.iter().map(|v| json!({
            "index": v.index,
            "author": v.author,
            "time": v.time,
            "name": v.value.name,
            "imo": v.value.imo,
            "callsign": v.value.callsign,
            "ship_type": v.value.ship_type,
            "class": v.value.class.as_str(),
        })).collect::<Vec<_>>(),
        "track": track,
    })
}

/// A page of the vessels `f` matches (every MMSI with static data or a track, ascending), as items
/// ([`vessel_json`]), with how many match.
pub fn vessels_page(l: &Ledger, f: &VesselQuery, page: Page) -> (Vec<Value>, usize) {
    let all: BTreeSet<u32> = l
        .vessels
        .iter()
        .map(|(m, _)| m)
        .chain(l.tracks.mmsis())
        .filter(|m| f.matches(l, *m))
        .collect();
    let all: Vec<u32> = all.into_iter().collect();
    let items = page
        .slice(&all)
        .iter()
        .map(|m| vessel_json(l, *m))
        .collect();
    (items, all.len())
}

/// The page of vessels as the API and `--json` answer it.
pub fn vessels_page_json(l: &Ledger, f: &VesselQuery, page: Page, log_size: u64) -> Value {
    let (items, total) = vessels_page(l, f, page);
    page_value(items, total, page, log_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::new(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            TRACK_PARAMS,
        )
        .unwrap()
    }

    #[test]
    fn simplify_keeps_the_ends_and_corners_within_tolerance() {
        // A straight line east with one corner 1 km north at the middle.
        let mut pts: Vec<Pt> = (0..=10)
            .map(|i| (i * 1000, 30_000_000 + i * 10_000, 45_000_000))
            .map(|(t, x, y)| (t, x as i32, y))
            .collect();
        pts[5].2 += 9_000; // ~1 km
        assert_eq!(simplify(&pts, 100.0), vec![0, 4, 5, 6, 10]);
        assert_eq!(simplify(&pts, 5_000.0), vec![0, 10]);
        assert_eq!(simplify(&pts, 0.0).len(), 11);
        assert_eq!(simplify(&pts[..1], 10.0), vec![0]);
    }

    #[test]
    fn tolerance_halves_with_each_zoom_level() {
        let a = tolerance_for_zoom(8.0, 45.0);
        let b = tolerance_for_zoom(9.0, 45.0);
        assert!((a / b - 2.0).abs() < 1e-9);
        assert!((tolerance_for_zoom(0.0, 0.0) - 313_086.0).abs() < 1.0);
    }

    #[test]
    fn parameters_are_checked_and_named() {
        let q = TrackQuery::parse(&p(&[
            ("from", "2025-03-25"),
            ("to", "2025-03-25"),
            ("mmsi", "219000001, 2"),
            ("zoom", "10"),
        ]))
        .unwrap();
        assert_eq!(q.from_ms, Some(1_742_860_800_000));
        assert_eq!(q.to_ms, Some(1_742_860_800_000 + 86_400_000 - 1));
        assert_eq!(q.mmsi.unwrap().len(), 2);
        assert!(q.tolerance_m > 250.0 && q.tolerance_m < 350.0);
        let q = TrackQuery::parse(&p(&[("at", "2025-03-25T12:00:00Z")])).unwrap();
        assert_eq!(q.to_ms.unwrap() - q.from_ms.unwrap(), 12 * HOUR_MS);
        for (pairs, field) in [
            (vec![("from", "2025-03-01"), ("to", "2025-04-15")], "to"),
            (vec![("mmsi", "1234567890")], "mmsi"),
            (vec![("mmsi", "abc")], "mmsi"),
            (vec![("zoom", "30")], "zoom"),
            (vec![("zoom", "3"), ("tolerance_m", "5")], "tolerance_m"),
            (vec![("limit", "5000")], "limit"),
            (vec![("hours", "3")], "hours"),
            (
                vec![("at", "2025-03-25T12:00:00Z"), ("from", "2025-03-25")],
                "at",
            ),
        ] {
            let e = TrackQuery::parse(&p(&pairs)).unwrap_err();
            assert_eq!(e.field, field, "{pairs:?}: {}", e.message);
        }
        let vp = |pairs: &[(&str, &str)]| {
            VesselQuery::parse(
                &Params::new(
                    pairs
                        .iter()
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .collect(),
                    VESSEL_PARAMS,
                )
                .unwrap(),
            )
        };
        assert_eq!(
            vp(&[("class", "military")]).unwrap().class,
            Some(VesselClass::Military)
        );
        assert_eq!(vp(&[("class", "warship")]).unwrap_err().field, "class");
    }
}

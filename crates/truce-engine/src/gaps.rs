//! AIS gaps ("vessels going dark"), derived from every AIS ingest in the log: a transmitter not
//! heard for [`GapParams::min_gap_h`] hours or more where the filers say their receivers were
//! listening, away from ports, while it was moving.
//!
//! Pure: no IO, no clock. Not part of [`crate::judge`]: a gap changes no finding, it is
//! occurrence-only evidence — a transmitter stopped being heard — never who or why. AIS is
//! self-declared (an MMSI names a transmitter, not a ship), transmitters are switched off for
//! ordinary reasons, receivers miss messages, and warships need not transmit at all.
//!
//! # The rule
//!
//! Per MMSI, across all segments of all ingests and authors (sorted by their first fix, the
//! latest last fix kept so far), a **silence** is the time between the last fix before and the
//! first fix after, when it is at least [`GapParams::min_gap_h`] (12 h by default, as Global
//! Fishing Watch defines AIS gaps; exactly 12 h counts). It counts as a [`Gap`] only when:
//!
//! 1. **Heard there.** The start fix and the end fix each lie inside the stated reception area of
//!    coverages ([`truce_model::ais::Coverage`]: the filer's receivers heard this area from its
//!    first to its last segment) whose time spans, merged (spans apart by at most
//!    [`GapParams::coverage_join_h`] count as continuous), cover the whole silence. No data filed
//!    for a day is not a vessel going dark.
//! 2. **Away from ports.** The start fix is at least [`GapParams::port_distance_m`] (10 km)
//!    from every port — every site whose category is under `transport.port` (geodesic distance,
//!    `truce-geo`: 0 inside a polygon). Global Fishing Watch also requires a gap to start 50
//!    nautical miles offshore, in good reception; Truce holds no coastline, so the distance from
//!    listed ports stands in for it, and the stated reception area for the reception: a gap near
//!    an unlisted harbour or along a coast is not excluded by this rule.
//! 3. **Moving.** The vessel moved more than [`GapParams::moored_m`] (500 m) in the last hour of
//!    track before the silence: some fix of that hour lies farther than that from the start fix.
//!    AIS navigational status ("moored", "at anchor") is not kept in tracks; this is the stand-in
//!    for it, and a vessel with a single fix in that hour counts as not shown to be moving.
//!
//! Memory is bounded by one MMSI's segments at a time (their references, sorted), plus the
//! coverages' and ports' shapes.

use serde::{Deserialize, Serialize};
use truce_geo::Shape;
use truce_model::ais::{Coverage, StoredTrack, TrackStore, VesselClass, VesselStore};
use truce_model::geo::Geometry;

/// What every gap says of itself.
pub const NOTE: &str = "occurrence-only evidence: an AIS transmitter stopped being heard where the filers' receivers were listening; not who or why (AIS is self-declared, transmitters are switched off or fail for ordinary reasons, warships need not transmit)";

const HOUR_MS: i64 = 3_600_000;

/// The thresholds of the rule (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct GapParams {
    /// Shortest silence that is a gap, hours (default 12).
    pub min_gap_h: f64,
    /// Least distance of the start fix from every port, metres (default 10 km).
    pub port_distance_m: f64,
    /// Least movement in the last hour before the silence, metres (default 500 m).
    pub moored_m: f64,
    /// Coverage spans apart by at most this count as continuous, hours (default 1).
    pub coverage_join_h: f64,
}

impl Default for GapParams {
    fn default() -> Self {
        GapParams {
            min_gap_h: 12.0,
            port_distance_m: 10_000.0,
            moored_m: 500.0,
            coverage_join_h: 1.0,
        }
    }
}

/// A port: a site under `transport.port`, its shape as `truce-geo` measures it.
#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    /// `lister/site id`.
    pub site: String,
    /// Its shape.
    pub shape: Shape,
}

impl Port {
    /// A site as a port, when its category is under `transport.port` and its shape meets
    /// `truce-geo`'s rules (else `None`).
    pub fn of_site(lister: &str, id: &str, category: &str, geometry: &Geometry) -> Option<Port> {
        if category != "transport.port" && !category.starts_with("transport.port.") {
            return None;
        }
        let ring = |r: &[truce_model::geo::Point]| -> Vec<[f64; 2]> {
            r.iter().map(|p| [p.lon(), p.lat()]).collect()
        };
        let shape = match geometry {
            Geometry::Point(p) => Shape::Point([p.lon(), p.lat()]),
            Geometry::Polygon(poly) => {
                let rings: Vec<Vec<[f64; 2]>> = poly.rings().iter().map(|r| ring(r)).collect();
                truce_geo::check_polygon(&rings).ok()?;
                Shape::Polygon(rings)
            }
            Geometry::LineString(l) => {
                let lines = vec![ring(l.points())];
                truce_geo::check_lines(&lines).ok()?;
                Shape::Line(lines)
            }
            Geometry::MultiLineString(m) => {
                let lines: Vec<Vec<[f64; 2]>> =
                    m.lines().iter().map(|l| ring(l.points())).collect();
                truce_geo::check_lines(&lines).ok()?;
                Shape::Line(lines)
            }
        };
        Some(Port {
            site: format!("{lister}/{id}"),
            shape,
        })
    }
}

/// The ports among a ledger's sites (retracted listings left out), in (lister, id) order.
pub fn ports_of(ledger: &truce_model::Ledger) -> Vec<Port> {
    ledger
        .sites
        .values()
        .filter(|r| r.retracted.is_none())
        .filter_map(|r| {
            Port::of_site(
                r.author.as_str(),
                r.value.id.as_str(),
                r.value.category.as_str(),
                &r.value.geometry,
            )
        })
        .collect()
}

/// The gaps of everything a ledger holds, with the default thresholds.
pub fn of_ledger(ledger: &truce_model::Ledger) -> Vec<Gap> {
    gaps(
        &ledger.tracks,
        &ledger.vessels,
        ledger.ais_coverage(),
        &ports_of(ledger),
        &GapParams::default(),
    )
}

/// A silence that counts (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// The MMSI (self-declared).
    pub mmsi: u32,
    /// The declared name at the start of the gap, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The class derived from the declared ship type at the start of the gap, if static data
    /// was filed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<VesselClass>,
    /// Time of the last fix before, unix milliseconds.
    pub start_ms: i64,
    /// Time of the first fix after, unix milliseconds.
    pub end_ms: i64,
    /// `start_ms` in RFC 3339 (UTC).
    pub start_time: String,
    /// `end_ms` in RFC 3339 (UTC).
    pub end_time: String,
    /// Length of the silence, hours (three decimals).
    pub hours: f64,
    /// Position of the last fix before, `[lon, lat]`.
    pub start: [f64; 2],
    /// Position of the first fix after, `[lon, lat]`.
    pub end: [f64; 2],
    /// Geodesic distance between them, km (three decimals).
    pub distance_km: f64,
    /// The speed that distance over that time implies, knots (two decimals).
    pub implied_knots: f64,
    /// Log index of the segment holding the last fix before.
    pub start_index: u64,
    /// Log index of the segment holding the first fix after.
    pub end_index: u64,
    /// Log indexes of the manifests whose coverage holds the start or end fix during the gap.
    pub coverage: Vec<u64>,
    /// Why it counts, one line per rule.
    pub reasons: Vec<String>,
    /// What it is evidence of ([`NOTE`]).
    pub note: String,
}

/// A coverage ready to be asked: its rings, their bounding box.
struct Area<'a> {
    c: &'a Coverage,
    rings: Vec<Vec<[f64; 2]>>,
}

impl Area<'_> {
    fn contains(&self, p: [f64; 2]) -> bool {
        truce_geo::polygon_contains(&self.rings, p)
    }
}

fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn fix(t: &StoredTrack, first: bool) -> Option<(i64, [f64; 2])> {
    let p = if first {
        t.points().first()
    } else {
        t.points().last()
    }?;
    Some((
        t.hour * 1000 + i64::from(p.dt_ms),
        [f64::from(p.lon_e6) / 1e6, f64::from(p.lat_e6) / 1e6],
    ))
}

/// Whether the coverages holding `p` cover `t0..=t1` once their spans are merged (apart by at
/// most `join_ms` counts as continuous); the manifests used are added to `used`.
fn heard(
    areas: &[Area<'_>],
    p: [f64; 2],
    t0: i64,
    t1: i64,
    join_ms: i64,
    used: &mut Vec<u64>,
) -> bool {
    let mut spans: Vec<(i64, i64, u64)> = areas
        .iter()
        .filter(|a| a.contains(p))
        .map(|a| (a.c.first_ms, a.c.last_ms, a.c.manifest_index))
        .collect();
    spans.sort_unstable();
    let mut cur: Option<(i64, i64, Vec<u64>)> = None;
    for (a, b, m) in spans {
        match &mut cur {
            Some((_, end, ms)) if a <= end.saturating_add(join_ms) => {
                *end = (*end).max(b);
                ms.push(m);
            }
            _ => {
                if let Some((s, e, ms)) = cur.take() {
                    if s <= t0 && e >= t1 {
                        used.extend(ms);
                        return true;
                    }
                }
                cur = Some((a, b, vec![m]));
            }
        }
    }
    match cur {
        Some((s, e, ms)) if s <= t0 && e >= t1 => {
            used.extend(ms);
            true
        }
        _ => false,
    }
}

/// The gaps in `tracks` (see the module documentation), ordered by (start, MMSI). `vessels`
/// names them; `coverages` says where and when the filers' receivers heard; `ports` are the
/// sites under `transport.port`.
pub fn gaps(
    tracks: &TrackStore,
    vessels: &VesselStore,
    coverages: &[Coverage],
    ports: &[Port],
    p: &GapParams,
) -> Vec<Gap> {
    let areas: Vec<Area<'_>> = coverages
        .iter()
        .map(|c| Area {
            c,
            rings: c
                .area
                .polygon
                .rings()
                .iter()
                .map(|r| r.iter().map(|q| [q.lon(), q.lat()]).collect())
                .collect(),
        })
        .collect();
    let min_ms = (p.min_gap_h * HOUR_MS as f64).round() as i64;
    let join_ms = (p.coverage_join_h * HOUR_MS as f64).round() as i64;
    let mut out = Vec::new();
    if areas.is_empty() {
        return out;
    }
    for mmsi in tracks.mmsis() {
        let segs = tracks.of(mmsi);
        let mut order: Vec<&StoredTrack> = segs.iter().filter(|s| !s.points().is_empty()).collect();
        order.sort_by_key(|s| (s.start_ms(), s.index));
        let mut last: Option<&StoredTrack> = None;
        for &s in &order {
            if let Some(before) = last {
                let (Some((t0, a)), Some((t1, b))) = (fix(before, false), fix(s, true)) else {
                    continue;
                };
                if t1 - t0 >= min_ms {
                    if let Some(g) = judge_silence(
                        mmsi,
                        &order,
                        before,
                        s,
                        (t0, a),
                        (t1, b),
                        &areas,
                        ports,
                        vessels,
                        p,
                        join_ms,
                    ) {
                        out.push(g);
                    }
                }
            }
            if last.is_none_or(|l| s.end_ms() > l.end_ms()) {
                last = Some(s);
            }
        }
    }
    out.sort_by_key(|g| (g.start_ms, g.mmsi));
    out
}

/// A silence of `mmsi` from `before`'s last fix to `after`'s first, as a gap when it counts.
#[allow(clippy::too_many_arguments)]
fn judge_silence(
    mmsi: u32,
    order: &[&StoredTrack],
    before: &StoredTrack,
    after: &StoredTrack,
    (t0, a): (i64, [f64; 2]),
    (t1, b): (i64, [f64; 2]),
    areas: &[Area<'_>],
    ports: &[Port],
    vessels: &VesselStore,
    p: &GapParams,
    join_ms: i64,
) -> Option<Gap> {
    let mut used = Vec::new();
    if !heard(areas, a, t0, t1, join_ms, &mut used) || !heard(areas, b, t0, t1, join_ms, &mut used)
    {
        return None;
    }
    used.sort_unstable();
    used.dedup();
    // Away from ports.
    let mut nearest: Option<(f64, &str)> = None;
    for port in ports {
        let d = port.shape.distance_m(a);
        if d.is_nan() {
            continue;
        }
        if d < p.port_distance_m {
            return None;
        }
        if nearest.is_none_or(|(n, _)| d < n) {
            nearest = Some((d, &port.site));
        }
    }
    // Moving in the last hour: the farthest fix of that hour from the start fix.
    let mut moved = 0.0f64;
    for s in order {
        if s.end_ms() < t0 - HOUR_MS || s.start_ms() > t0 {
            continue;
        }
        for q in s.points() {
            let t = s.hour * 1000 + i64::from(q.dt_ms);
            if t < t0 - HOUR_MS || t > t0 {
                continue;
            }
            let d =
                truce_geo::distance_m(a, [f64::from(q.lon_e6) / 1e6, f64::from(q.lat_e6) / 1e6]);
            if d > moved {
                moved = d;
            }
        }
    }
    if moved <= p.moored_m {
        return None;
    }
    let hours = (t1 - t0) as f64 / HOUR_MS as f64;
    let dist_m = truce_geo::distance_m(a, b);
    let dist_m = if dist_m.is_nan() { 0.0 } else { dist_m };
    let version = jiff::Timestamp::from_millisecond(t0)
        .ok()
        .and_then(|t| vessels.at(mmsi, truce_model::Time(t)));
    let mut reasons = vec![
        format!(
            "not heard for {:.1} h (at least {} h), from the fix of segment {} to the fix of segment {}",
            hours, p.min_gap_h, before.index, after.index
        ),
        format!(
            "both fixes lie in the reception areas of manifest{} {}, whose spans cover the whole silence",
            if used.len() == 1 { "" } else { "s" },
            used.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ),
    ];
    reasons.push(match nearest {
        Some((d, site)) => format!(
            "started {:.1} km from the nearest port ({site}); at least {:.1} km counts (distance from listed ports stands in for distance offshore)",
            d / 1000.0,
            p.port_distance_m / 1000.0
        ),
        None => "no port is listed: distance from ports was not tested".to_string(),
    });
    reasons.push(format!(
        "moved {:.0} m in the last hour before (more than {:.0} m: not moored; AIS navigational status is not kept)",
        moved, p.moored_m
    ));
    Some(Gap {
        mmsi,
        name: version.and_then(|v| v.value.name.clone()),
        class: version.map(|v| v.value.class),
        start_ms: t0,
        end_ms: t1,
        start_time: rfc3339(t0),
        end_time: rfc3339(t1),
        hours: round(hours, 3),
        start: a,
        end: b,
        distance_km: round(dist_m / 1000.0, 3),
        implied_knots: round(dist_m / 1852.0 / hours.max(1e-9), 2),
        start_index: before.index,
        end_index: after.index,
        coverage: used,
        reasons,
        note: NOTE.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use truce_log::{generate_key, parse_signer, KeyPair};
    use truce_model::ais::{Track, Vessel};
    use truce_model::domain::{Id, Manifest, PartyRegistration, Role, Zone};
    use truce_model::entry::{record, sign, Body};
    use truce_model::geo::{Point, Polygon};
    use truce_model::{Applied, Ledger, Time};

    /// 2025-04-01T00:00:00Z.
    const H0: i64 = 1_743_465_600;
    const SHIP: u32 = 272_000_001;
    const OTHER: u32 = 272_000_002;

    fn id(s: &str) -> Id {
        Id::new(s).unwrap()
    }

    fn zone(w: f64, s: f64, e: f64, n: f64) -> Zone {
        let pt = |x, y| Point::new(x, y).unwrap();
        Zone {
            name: "Black Sea".into(),
            polygon: Polygon::new(vec![vec![pt(w, s), pt(e, s), pt(e, n), pt(w, n), pt(w, s)]])
                .unwrap(),
        }
    }

    fn sea() -> Zone {
        zone(28.0, 41.0, 42.0, 47.0)
    }

    /// A log of AIS ingests, applied as it is written.
    struct World {
        l: Ledger,
        keys: Vec<(&'static str, KeyPair)>,
        t: Time,
        sha: u64,
    }

    impl World {
        fn new() -> World {
            let mut w = World {
                l: Ledger::new(),
                keys: ["operator", "dma", "gfw"]
                    .into_iter()
                    .map(|n| (n, generate_key(&mut rand_core::OsRng, n).unwrap()))
                    .collect(),
                t: Time::parse("2025-04-05T00:00:00Z").unwrap(),
                sha: 0,
            };
            for (who, role) in [
                ("operator", Role::Operator),
                ("dma", Role::OpenData),
                ("gfw", Role::Monitor),
            ] {
                let b = Body::PartyRegister(PartyRegistration {
                    id: id(who),
                    name: who.into(),
                    role,
                    keys: vec![w.key(who).verifier.clone()],
                });
                w.apply(w.signed("operator", &b));
            }
            w
        }

        fn key(&self, who: &str) -> &KeyPair {
            &self.keys.iter().find(|(n, _)| *n == who).unwrap().1
        }

        fn signed(&self, who: &str, b: &Body) -> Vec<u8> {
            sign(
                &id(who),
                self.t,
                b,
                &parse_signer(&self.key(who).signer).unwrap(),
            )
            .unwrap()
            .bytes
        }

        fn apply(&mut self, bytes: Vec<u8>) {
            let i = self.l.size;
            let a = self.l.apply(i, &bytes);
            assert!(matches!(a, Applied::Accepted(..)), "entry {i}: {a:?}");
        }

        /// Files `bodies` under a manifest of `who` stating `reception`; returns the manifest's
        /// index.
        fn ingest(&mut self, who: &str, reception: Option<Zone>, bodies: Vec<Body>) -> u64 {
            let recs: Vec<Vec<u8>> = bodies
                .iter()
                .map(|b| record(&id(who), self.t, b).unwrap())
                .collect();
            let root = truce_log::merkle_root(recs.iter().map(Vec::as_slice));
            let m = Body::Manifest(Manifest {
                format: truce_model::ais::TRACK_FORMAT.into(),
                source: "test".into(),
                count: recs.len() as u64,
                root: base64::Engine::encode(&base64::prelude::BASE64_STANDARD, root.0),
                reception,
            });
            let at = self.l.size;
            self.apply(self.signed(who, &m));
            for r in recs {
                self.apply(r);
            }
            at
        }

        /// One segment of `mmsi` in hour `h` (from H0): points (seconds into the hour, lon, lat).
        fn seg(&mut self, mmsi: u32, h: i64, pts: &[(i64, f64, f64)]) -> Body {
            self.sha += 1;
            let points: Vec<i64> = pts
                .iter()
                .flat_map(|&(s, lon, lat)| {
                    [
                        s * 1000,
                        (lon * 1e6).round() as i64,
                        (lat * 1e6).round() as i64,
                    ]
                })
                .collect();
            let t: Track = serde_json::from_value(serde_json::json!({
                "fixes": pts.len(), "flags": {}, "hour": H0 + h * 3600, "line_first": 1,
                "line_last": 9, "mmsi": mmsi, "part": 0, "points": points,
                "sha256": format!("{:064x}", self.sha), "tol_mm": 50000,
            }))
            .unwrap();
            Body::Track(t)
        }

        /// Segments of `mmsi` for the hours `hours`, moving east 0.1° an hour (about 4.5 knots)
        /// from 31.0° E at hour 0 (or standing still at 31.0° E), fixes at :00, :30 and :59.
        fn hours(&mut self, mmsi: u32, hours: std::ops::Range<i64>, moving: bool) -> Vec<Body> {
            hours
                .map(|h| {
                    let pts: Vec<(i64, f64, f64)> = [0, 1800, 3540]
                        .into_iter()
                        .map(|s| {
                            let x = if moving {
                                31.0 + 0.1 * (h as f64 + s as f64 / 3600.0)
                            } else {
                                31.0
                            };
                            (s, x, 44.0)
                        })
                        .collect();
                    self.seg(mmsi, h, &pts)
                })
                .collect()
        }

        fn gaps(&self, ports: &[Port]) -> Vec<Gap> {
            gaps(
                &self.l.tracks,
                &self.l.vessels,
                self.l.ais_coverage(),
                ports,
                &GapParams::default(),
            )
        }

        /// The log index of `mmsi`'s segment of hour `h` filed by `who`.
        fn index_of(&self, mmsi: u32, h: i64, who: &str) -> u64 {
            self.l
                .tracks_of(mmsi)
                .iter()
                .find(|s| s.hour == H0 + h * 3600 && self.l.tracks.author(s).as_str() == who)
                .unwrap()
                .index
        }
    }

    #[test]
    fn a_silence_inside_coverage_is_a_gap() {
        let mut w = World::new();
        let mut b = w.hours(SHIP, 0..6, true);
        b.extend(w.hours(SHIP, 20..24, true));
        let seen = Time::parse("2025-03-01T00:00:00Z").unwrap();
        b.push(Body::Vessel(Vessel::new(
            SHIP,
            None,
            Some("ANNA".into()),
            None,
            Some(70),
            Some(seen),
        )));
        let m = w.ingest("dma", Some(sea()), b);
        let g = w.gaps(&[]);
        assert_eq!(g.len(), 1, "{g:#?}");
        let g = &g[0];
        assert_eq!(g.mmsi, SHIP);
        assert_eq!(g.name.as_deref(), Some("ANNA"));
        assert_eq!(g.class, Some(VesselClass::Commercial));
        assert_eq!(g.start_ms, (H0 + 5 * 3600 + 3540) * 1000);
        assert_eq!(g.end_ms, (H0 + 20 * 3600) * 1000);
        assert_eq!(g.start_time, "2025-04-01T05:59:00Z");
        assert_eq!(g.end_time, "2025-04-01T20:00:00Z");
        assert_eq!(g.hours, 14.017);
        assert_eq!(
            (g.start_index, g.end_index),
            (w.index_of(SHIP, 5, "dma"), w.index_of(SHIP, 20, "dma"))
        );
        assert_eq!(g.coverage, vec![m]);
        // 1.4017° of longitude at 44° N: about 112 km, over 14 h about 4.3 knots.
        assert!((g.distance_km - 112.2).abs() < 0.5, "{}", g.distance_km);
        assert!((g.implied_knots - 4.32).abs() < 0.05, "{}", g.implied_knots);
        assert_eq!(
            g.start,
            [31.0 + 0.1 * (5.0 + 3540.0 / 3600.0), 44.0].map(|v| (v * 1e6_f64).round() / 1e6)
        );
        assert_eq!(g.note, NOTE);
        assert!(
            g.reasons.iter().any(|r| r.contains("no port is listed")),
            "{:?}",
            g.reasons
        );
        // The default thresholds, through the ledger: the same.
        assert_eq!(of_ledger(&w.l), w.gaps(&[]));
        // No reception area stated: nothing is known to have been heard.
        let mut w = World::new();
        let mut b = w.hours(SHIP, 0..6, true);
        b.extend(w.hours(SHIP, 20..24, true));
        w.ingest("dma", None, b);
        assert!(w.gaps(&[]).is_empty());
    }

    #[test]
    fn a_silence_while_nothing_was_filed_is_no_gap() {
        // Two files, one for the morning, one for the evening: nobody says they listened between.
        let build = |middle: Option<std::ops::Range<i64>>| {
            let mut w = World::new();
            let b = w.hours(SHIP, 0..6, true);
            let m1 = w.ingest("dma", Some(sea()), b);
            let b = w.hours(SHIP, 20..24, true);
            let m2 = w.ingest("dma", Some(sea()), b);
            let m3 = middle.map(|r| {
                let b = w.hours(OTHER, r, true);
                w.ingest("gfw", Some(sea()), b)
            });
            (w.gaps(&[]), m1, m2, m3)
        };
        assert!(build(None).0.is_empty());
        // Another filer heard the area from 06:00 to 19:59: the spans touch within an hour.
        let (g, m1, m2, m3) = build(Some(6..20));
        assert_eq!(g.len(), 1, "{g:#?}");
        let mut want = vec![m1, m2, m3.unwrap()];
        want.sort_unstable();
        assert_eq!(g[0].coverage, want);
        // From 08:00 only: two hours unheard after the morning file.
        assert!(build(Some(8..20)).0.is_empty());
        // Until 18:00 only: the evening file starts two hours later.
        assert!(build(Some(6..18)).0.is_empty());
    }

    #[test]
    fn both_ends_must_lie_in_the_area() {
        let mut w = World::new();
        let mut b = w.hours(SHIP, 0..6, true);
        b.extend(w.hours(SHIP, 20..24, true));
        // The area ends at 32° E: the ship leaves it during the silence (at 33.0° E by 20:00).
        w.ingest("dma", Some(zone(28.0, 41.0, 32.0, 47.0)), b);
        assert!(w.gaps(&[]).is_empty());
    }

    #[test]
    fn a_silence_starting_near_a_port_is_no_gap() {
        let mut w = World::new();
        let mut b = w.hours(SHIP, 0..6, true);
        b.extend(w.hours(SHIP, 20..24, true));
        w.ingest("dma", Some(sea()), b);
        let start = [31.0 + 0.1 * (5.0 + 3540.0 / 3600.0), 44.0];
        let port = |km: f64| Port {
            site: "ua/port".into(),
            // Due north: a degree of latitude is about 111 km.
            shape: Shape::Point([start[0], start[1] + km / 111.0]),
        };
        assert!(w.gaps(&[port(5.0)]).is_empty());
        assert!(w.gaps(&[port(9.9)]).is_empty());
        let g = w.gaps(&[port(10.5), port(40.0)]);
        assert_eq!(g.len(), 1);
        assert!(
            g[0].reasons
                .iter()
                .any(|r| r.contains("10.5 km from the nearest port (ua/port)")),
            "{:?}",
            g[0].reasons
        );
        // From a site as filed: only categories under transport.port are ports.
        let pt = Geometry::Point(Point::new(start[0], start[1]).unwrap());
        assert!(Port::of_site("ua", "odesa", "transport.port.grain", &pt).is_some());
        assert!(Port::of_site("ua", "odesa", "transport.port", &pt).is_some());
        assert!(Port::of_site("ua", "odesa", "transport.portal", &pt).is_none());
        assert!(Port::of_site("ua", "plant", "energy.power.plant", &pt).is_none());
    }

    #[test]
    fn a_moored_vessel_going_quiet_is_no_gap() {
        let mut w = World::new();
        let mut b = w.hours(SHIP, 0..6, false);
        b.extend(w.hours(SHIP, 20..24, false));
        w.ingest("dma", Some(sea()), b);
        assert!(w.gaps(&[]).is_empty());
        // Moving earlier, then still for the last hour: still no gap.
        let mut w = World::new();
        let mut b = w.hours(SHIP, 0..5, true);
        // Stopped where it was at 04:59 (the last hour before 05:59 starts there).
        let x = 31.0 + 0.1 * (4.0 + 3540.0 / 3600.0);
        b.push(w.seg(
            SHIP,
            5,
            &[(0, x, 44.0), (1800, x + 0.001, 44.0), (3540, x, 44.001)],
        ));
        b.extend(w.hours(SHIP, 20..24, true));
        w.ingest("dma", Some(sea()), b);
        assert!(w.gaps(&[]).is_empty());
    }

    #[test]
    fn overlapping_ingests_are_swept_as_one_track() {
        let mut w = World::new();
        // dma heard hours 0–5 and 21–23; gfw heard hours 4–8 of the same ship.
        let mut b = w.hours(SHIP, 0..6, true);
        b.extend(w.hours(SHIP, 21..24, true));
        let m = w.ingest("dma", Some(sea()), b);
        let b = w.hours(SHIP, 4..9, true);
        w.ingest("gfw", None, b);
        let g = w.gaps(&[]);
        assert_eq!(g.len(), 1, "{g:#?}");
        // From gfw's last fix (08:59), not dma's (05:59), to 21:00.
        assert_eq!(g[0].start_index, w.index_of(SHIP, 8, "gfw"));
        assert_eq!(g[0].end_index, w.index_of(SHIP, 21, "dma"));
        assert_eq!(g[0].hours, 12.017);
        assert_eq!(g[0].coverage, vec![m]);
        // A later ingest filling the silence removes the gap.
        let b = w.hours(SHIP, 12..13, true);
        w.ingest("gfw", None, b);
        assert!(w.gaps(&[]).is_empty());
    }

    #[test]
    fn twelve_hours_exactly_is_a_gap_a_second_less_is_not() {
        for (first, want) in [(3540, 1), (3539, 0)] {
            let mut w = World::new();
            let mut b = w.hours(SHIP, 0..6, true);
            // Last fix 05:59:00; first fix after 17:59:00 (12 h) or 17:58:59.
            b.push(w.seg(SHIP, 17, &[(first, 32.0, 44.0), (3599, 32.01, 44.0)]));
            b.extend(w.hours(SHIP, 18..20, true));
            w.ingest("dma", Some(sea()), b);
            let g = w.gaps(&[]);
            assert_eq!(g.len(), want, "first fix at {first} s: {g:#?}");
            if want == 1 {
                assert_eq!(g[0].hours, 12.0);
            }
        }
    }

    #[test]
    fn gaps_are_ordered_by_start_then_mmsi() {
        let mut w = World::new();
        let mut b = Vec::new();
        for mmsi in [OTHER, SHIP] {
            b.extend(w.hours(mmsi, 0..6, true));
            b.extend(w.hours(mmsi, 20..24, true));
        }
        let mut late = w.hours(OTHER + 1, 2..8, true);
        late.extend(w.hours(OTHER + 1, 22..24, true));
        b.extend(late);
        w.ingest("dma", Some(sea()), b);
        let g = w.gaps(&[]);
        let keys: Vec<(i64, u32)> = g.iter().map(|g| (g.start_ms, g.mmsi)).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted);
        assert_eq!(
            g.iter().map(|g| g.mmsi).collect::<Vec<_>>(),
            vec![SHIP, OTHER, OTHER + 1]
        );
    }
}

//! Matching reports of vessels (an attack on one, its military use, its movement) to the vessels
//! the log holds: by what the report names (MMSI, IMO number, name) against the vessels' static
//! data, and by position — a vessel whose track passes within the report's uncertainty at its
//! time.
//!
//! Tracks are interpolated linearly between consecutive points; two points more than
//! [`MAX_TRACK_GAP_S`] apart are not interpolated across (the vessel may have gone anywhere). A
//! report placed exactly (uncertainty under [`MIN_RADIUS_M`]) is matched within that radius,
//! the precision of an AIS position. Track pieces are indexed by hour and by a grid of
//! [`CELL_DEG`]° cells, so a report looks only at the pieces that share an hour and a cell with
//! it.
//!
//! Invariants: the matches of a report depend only on the report (position, uncertainty, time,
//! what it names) and on [`Maritime`]'s vessels and tracks; they are listed in a fixed order
//! (named first, then by distance, then MMSI), so the same snapshot always gives the same
//! incident.
//!
//! AIS supports the occurrence only — a transmitter at a position —, never attribution: AIS
//! identity is self-declared, GNSS spoofing is common in the Black Sea, and warships are not
//! required to transmit. A match by track says where a transmitter was, nothing more.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use truce_model::domain::VesselRef;
use truce_model::taxonomy::Category;

use crate::input::{vessel_act, Maritime, ReportIn, ReportVesselIn, VesselClass, VesselIn};

/// Two track points further apart in time than this (seconds) are not interpolated across.
pub const MAX_TRACK_GAP_S: i64 = 3_600;
/// The smallest radius a report is matched within, metres.
pub const MIN_RADIUS_M: f64 = 100.0;
/// The index's cell size, degrees of latitude and longitude.
pub const CELL_DEG: f64 = 0.1;
const HOUR: i64 = 3_600;
const EARTH_M: f64 = 6_371_008.8;

/// A vessel matched to a report, as an incident lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VesselMatch {
    /// The report matched (`<author>/<id>`).
    pub report: String,
    /// The vessel's MMSI, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mmsi: Option<String>,
    /// Its IMO number, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imo: Option<String>,
    /// Its name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its class from its static data (`commercial`, `military`, `unknown`).
    pub class: String,
    /// How it was matched: `named (MMSI)`, `named (name only)`, `track within 1.2 km at
    /// 2025-03-26T03:10:00Z`.
    pub how: String,
}

impl VesselMatch {
    /// The category its class gives (none when the class is unknown).
    pub fn category(&self) -> Option<Category> {
        match self.class.as_str() {
            "commercial" => VesselClass::Commercial.category(),
            "military" => VesselClass::Military.category(),
            _ => None,
        }
    }

    /// Whether it was matched by what the report names (not only by track).
    pub fn named(&self) -> bool {
        self.how.starts_with("named")
    }
}

/// One piece of a track: two consecutive points at most [`MAX_TRACK_GAP_S`] apart (or a lone
/// point, both ends equal).
#[derive(Debug, Clone, Copy)]
struct Piece {
    track: u32,
    t0: i64,
    p0: [f64; 2],
    t1: i64,
    p1: [f64; 2],
}

/// The vessels and tracks of a snapshot, indexed for matching.
#[derive(Debug, Default)]
pub struct VesselIndex {
    vessels: Vec<VesselIn>,
    by_mmsi: HashMap<String, Vec<u32>>,
    by_imo: HashMap<String, Vec<u32>>,
    by_name: HashMap<String, Vec<u32>>,
    /// Each track's MMSI.
    track_mmsi: Vec<String>,
    pieces: Vec<Piece>,
    /// (hour, cell x, cell y) → pieces.
    grid: HashMap<(i64, i32, i32), Vec<u32>>,
    /// What reports say of vessels, by (log index, author, id).
    named: HashMap<(u64, String, String), ReportVesselIn>,
}

fn name_key(n: &str) -> String {
    n.split_whitespace()
        .map(|w| w.to_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

fn cell(v: f64) -> i32 {
    (v / CELL_DEG).floor() as i32
}

impl VesselIndex {
    /// Indexes `m`'s vessels and tracks, and what its reports name.
    pub fn new(m: &Maritime) -> VesselIndex {
        let mut ix = VesselIndex {
            vessels: m.vessels.clone(),
            ..Default::default()
        };
        for (k, v) in m.vessels.iter().enumerate() {
            let k = k as u32;
            if let Some(x) = &v.mmsi {
                ix.by_mmsi.entry(x.clone()).or_default().push(k);
            }
            if let Some(x) = &v.imo {
                ix.by_imo.entry(x.clone()).or_default().push(k);
            }
            if let Some(x) = &v.name {
                ix.by_name.entry(name_key(x)).or_default().push(k);
            }
        }
        for (k, t) in m.tracks.iter().enumerate() {
            ix.track_mmsi.push(t.mmsi.clone());
            let track = k as u32;
            let pts = &t.points;
            for (j, &(t0, p0)) in pts.iter().enumerate() {
                match pts.get(j + 1) {
                    Some(&(t1, p1)) if t1 >= t0 && t1 - t0 <= MAX_TRACK_GAP_S => {
                        ix.pieces.push(Piece {
                            track,
                            t0,
                            p0,
                            t1,
                            p1,
                        });
                    }
                    _ => {
                        // A point with no successor within the gap: alone, unless its predecessor
                        // already covers it.
                        let covered =
                            j > 0 && pts[j - 1].0 <= t0 && t0 - pts[j - 1].0 <= MAX_TRACK_GAP_S;
                        if !covered {
                            ix.pieces.push(Piece {
                                track,
                                t0,
                                p0,
                                t1: t0,
                                p1: p0,
                            });
                        }
                    }
                }
            }
        }
        for (k, pc) in ix.pieces.iter().enumerate() {
            let (x0, x1) = (cell(pc.p0[0].min(pc.p1[0])), cell(pc.p0[0].max(pc.p1[0])));
            let (y0, y1) = (cell(pc.p0[1].min(pc.p1[1])), cell(pc.p0[1].max(pc.p1[1])));
            for h in pc.t0.div_euclid(HOUR)..=pc.t1.div_euclid(HOUR) {
                for x in x0..=x1 {
                    for y in y0..=y1 {
                        ix.grid.entry((h, x, y)).or_default().push(k as u32);
                    }
                }
            }
        }
        for r in &m.reports {
            ix.named
                .insert((r.index, r.author.to_string(), r.id.to_string()), r.clone());
        }
        ix
    }

    /// Whether it holds no vessel, track or named report (nothing can match).
    pub fn is_empty(&self) -> bool {
        self.vessels.is_empty() && self.pieces.is_empty() && self.named.is_empty()
    }

    /// What report `r` says of a vessel (from [`Maritime::reports`]).
    pub fn said(&self, r: &ReportIn) -> Option<&ReportVesselIn> {
        if self.named.is_empty() {
            return None;
        }
        self.named
            .get(&(r.index, r.author.to_string(), r.id.to_string()))
    }

    /// The vessels report `r` is matched to: those it names (by MMSI, IMO number or name), then
    /// those whose track passes within its uncertainty (at least [`MIN_RADIUS_M`]) during its
    /// time, nearest first. Only reports of vessel acts are matched.
    pub fn matches(&self, r: &ReportIn) -> Vec<VesselMatch> {
        if !vessel_act(r.act) || self.is_empty() {
            return Vec::new();
        }
        let label = format!("{}/{}", r.author, r.id);
        let mut out = Vec::new();
        let mut seen_mmsi: Vec<String> = Vec::new();
        if let Some(v) = self.said(r).and_then(|s| s.vessel.as_ref()) {
            self.named_matches(&label, v, &mut out, &mut seen_mmsi);
        }
        for (mmsi, d, t) in self.near(r) {
            if seen_mmsi.contains(&mmsi) {
                continue;
            }
            let known = self.by_mmsi.get(&mmsi).and_then(|k| k.first());
            let v = known.map(|&k| &self.vessels[k as usize]);
            out.push(VesselMatch {
                report: label.clone(),
                imo: v.and_then(|v| v.imo.clone()),
                name: v.and_then(|v| v.name.clone()),
                class: v
                    .map_or(VesselClass::Unknown, |v| v.class)
                    .as_str()
                    .to_string(),
                how: format!("track within {} at {}", distance_words(d), crate::utc(t)),
                mmsi: Some(mmsi),
            });
        }
        out
    }

    fn named_matches(
        &self,
        label: &str,
        v: &VesselRef,
        out: &mut Vec<VesselMatch>,
        seen_mmsi: &mut Vec<String>,
    ) {
        let mut hits: BTreeMap<u32, &'static str> = BTreeMap::new();
        let get = |m: &HashMap<String, Vec<u32>>, k: &Option<String>| -> Vec<u32> {
            k.as_ref()
                .and_then(|k| m.get(k))
                .cloned()
                .unwrap_or_default()
        };
        for k in get(&self.by_mmsi, &v.mmsi) {
            hits.entry(k).or_insert("named (MMSI)");
        }
        for k in get(&self.by_imo, &v.imo) {
            hits.entry(k).or_insert("named (IMO)");
        }
        if hits.is_empty() {
            let by_name = get(&self.by_name, &v.name.as_deref().map(name_key));
            let how = if by_name.len() > 1 {
                "named (name only, shared by several vessels)"
            } else {
                "named (name only)"
            };
            for k in by_name {
                hits.insert(k, how);
            }
        }
        if hits.is_empty() {
            // Named, but the log holds no static data for it.
            out.push(VesselMatch {
                report: label.to_string(),
                mmsi: v.mmsi.clone(),
                imo: v.imo.clone(),
                name: v.name.clone(),
                class: VesselClass::Unknown.as_str().to_string(),
                how: "named (no static data in the log)".into(),
            });
            seen_mmsi.extend(v.mmsi.clone());
            return;
        }
        for (k, how) in hits {
            let s = &self.vessels[k as usize];
            seen_mmsi.extend(s.mmsi.clone());
            out.push(VesselMatch {
                report: label.to_string(),
                mmsi: s.mmsi.clone(),
                imo: s.imo.clone(),
                name: s.name.clone(),
                class: s.class.as_str().to_string(),
                how: how.to_string(),
            });
        }
    }

    /// Tracks passing within the report's radius during its time: (MMSI, distance m, time of
    /// the closest approach), nearest first, one per MMSI.
    fn near(&self, r: &ReportIn) -> Vec<(String, f64, i64)> {
        if self.pieces.is_empty() {
            return Vec::new();
        }
        let radius = f64::from(r.uncertainty_m).max(MIN_RADIUS_M);
        let [lon, lat] = r.point;
        let coslat = lat.to_radians().cos().max(0.01);
        let dlat = (radius / EARTH_M).to_degrees();
        let dlon = dlat / coslat;
        let (x0, x1) = (cell(lon - dlon), cell(lon + dlon));
        let (y0, y1) = (cell(lat - dlat), cell(lat + dlat));
        let mut cand: Vec<u32> = Vec::new();
        for h in r.start.div_euclid(HOUR)..=r.end.div_euclid(HOUR) {
            for x in x0..=x1 {
                for y in y0..=y1 {
                    if let Some(v) = self.grid.get(&(h, x, y)) {
                        cand.extend_from_slice(v);
                    }
                }
            }
        }
        cand.sort_unstable();
        cand.dedup();
        let k = EARTH_M * std::f64::consts::PI / 180.0;
        let local = |p: [f64; 2]| [(p[0] - lon) * coslat * k, (p[1] - lat) * k];
        let mut best: BTreeMap<&str, (f64, i64)> = BTreeMap::new();
        for c in cand {
            let pc = &self.pieces[c as usize];
            let (a, b) = (pc.t0.max(r.start), pc.t1.min(r.end));
            if a > b {
                continue;
            }
            let at = |t: i64| -> [f64; 2] {
                if pc.t1 == pc.t0 {
                    return pc.p0;
                }
                let f = (t - pc.t0) as f64 / (pc.t1 - pc.t0) as f64;
                [
                    pc.p0[0] + (pc.p1[0] - pc.p0[0]) * f,
                    pc.p0[1] + (pc.p1[1] - pc.p0[1]) * f,
                ]
            };
            let (qa, qb) = (local(at(a)), local(at(b)));
            let (dx, dy) = (qb[0] - qa[0], qb[1] - qa[1]);
            let len2 = dx * dx + dy * dy;
            let f = if len2 == 0.0 {
                0.0
            } else {
                (-(qa[0] * dx + qa[1] * dy) / len2).clamp(0.0, 1.0)
            };
            let (px, py) = (qa[0] + dx * f, qa[1] + dy * f);
            let d = (px * px + py * py).sqrt();
            if d > radius {
                continue;
            }
            let t = a + ((b - a) as f64 * f).round() as i64;
            let mmsi = self.track_mmsi[pc.track as usize].as_str();
            match best.get(mmsi) {
                Some(&(bd, bt)) if (bd, bt) <= (d, t) => {}
                _ => {
                    best.insert(mmsi, (d, t));
                }
            }
        }
        let mut out: Vec<(String, f64, i64)> = best
            .into_iter()
            .map(|(m, (d, t))| (m.to_string(), d, t))
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        out
    }
}

/// A distance in words: `350 m`, `1.2 km`.
fn distance_words(d: f64) -> String {
    if d < 1_000.0 {
        format!("{:.0} m", d)
    } else {
        format!("{:.1} km", d / 1_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{EntryId, TrackIn};
    use truce_model::domain::{Act, Role};
    use truce_model::Id;

    fn report(act: Act, point: [f64; 2], unc: u32, t: i64) -> ReportIn {
        ReportIn {
            index: 7,
            entry_id: EntryId([7; 32]),
            author: Id::new("ua").unwrap().into(),
            role: Role::Belligerent,
            id: Id::new("r1").unwrap(),
            act,
            perpetrator: None,
            relays: None,
            denies: Vec::new().into(),
            point,
            uncertainty_m: unc,
            start: t,
            end: t,
            target: None,
            static_source: false,
        }
    }

    fn maritime() -> Maritime {
        Maritime {
            gaps: Vec::new(),
            vessels: vec![
                VesselIn {
                    index: 1,
                    mmsi: Some("273345000".into()),
                    imo: Some("9074729".into()),
                    name: Some("Ocean Star".into()),
                    class: VesselClass::Commercial,
                },
                VesselIn {
                    index: 2,
                    mmsi: Some("273000001".into()),
                    imo: None,
                    name: Some("Admiral X".into()),
                    class: VesselClass::Military,
                },
            ],
            tracks: vec![
                // East along 46.0°N, 0.1° of longitude (7.7 km) in 30 minutes, then a 2-hour gap.
                TrackIn {
                    index: 3,
                    mmsi: "273345000".into(),
                    points: vec![
                        (0, [31.0, 46.0]),
                        (1_800, [31.1, 46.0]),
                        (1_800 + 7_200, [31.5, 46.0]),
                    ],
                },
                TrackIn {
                    index: 4,
                    mmsi: "273000001".into(),
                    points: vec![(0, [31.05, 46.005])],
                },
            ],
            reports: Vec::new(),
        }
    }

    #[test]
    fn a_track_within_the_uncertainty_at_the_time_matches_and_gaps_are_not_crossed() {
        let ix = VesselIndex::new(&maritime());
        // Halfway along at 900 s: at 31.05°E.
        let m = ix.matches(&report(Act::AttackOnVessels, [31.05, 46.001], 500, 900));
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].mmsi.as_deref(), Some("273345000"));
        assert_eq!(m[0].class, "commercial");
        assert_eq!(m[0].category().unwrap().as_str(), "vessel.commercial");
        assert!(
            m[0].how.starts_with("track within 111 m at "),
            "{}",
            m[0].how
        );
        // At 0 s it was at 31.0°E, 3.9 km west: not within 500 m; the lone military point is.
        let m = ix.matches(&report(Act::AttackOnVessels, [31.05, 46.001], 1_000, 0));
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].class, "military");
        // In the 2-hour gap the track is not interpolated: halfway between 31.1 and 31.5 at the
        // middle of the gap nothing matches.
        let m = ix.matches(&report(Act::AttackOnVessels, [31.3, 46.0], 2_000, 5_400));
        assert!(m.is_empty(), "{m:?}");
        // Not a vessel act: nothing is matched.
        assert!(ix
            .matches(&report(Act::Strike, [31.05, 46.0], 500, 900))
            .is_empty());
    }

    #[test]
    fn a_named_vessel_is_matched_by_mmsi_imo_or_name() {
        let mut m = maritime();
        let named = |v: VesselRef| ReportVesselIn {
            index: 7,
            author: Id::new("ua").unwrap(),
            id: Id::new("r1").unwrap(),
            vessel: Some(v),
            inspection: false,
        };
        m.reports = vec![named(
            VesselRef::new(None, Some("9074729".into()), None).unwrap(),
        )];
        let ix = VesselIndex::new(&m);
        // Far from every track: matched by name only.
        let got = ix.matches(&report(Act::AttackOnVessels, [35.0, 44.0], 100, 900));
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].how.as_str(), got[0].name.as_deref()),
            ("named (IMO)", Some("Ocean Star"))
        );
        m.reports = vec![named(
            VesselRef::new(None, None, Some("  admiral   x ".into())).unwrap(),
        )];
        let got = VesselIndex::new(&m).matches(&report(Act::VesselMovement, [35.0, 44.0], 100, 0));
        assert_eq!(
            (got[0].how.as_str(), got[0].class.as_str()),
            ("named (name only)", "military")
        );
        m.reports = vec![named(
            VesselRef::new(Some("111111111".into()), None, None).unwrap(),
        )];
        let got =
            VesselIndex::new(&m).matches(&report(Act::AttackOnVessels, [31.05, 46.0], 500, 900));
        assert_eq!(got[0].how, "named (no static data in the log)");
        assert_eq!(got[0].class, "unknown");
        assert_eq!(got[1].mmsi.as_deref(), Some("273345000"), "then by track");
    }
}

//! AIS in the log: per-vessel **track segments** (`track` records) and vessels' **static data**
//! (`vessel` records), both unsigned records under a signed `manifest` like bulk reports and
//! sites, and the ledger's compact stores of them ([`TrackStore`], [`VesselStore`]).
//!
//! A `track` body is exactly the segment JSON of `truce-ais` (`truce_ais::track::Segment::to_json`,
//! format [`TRACK_FORMAT`]): one MMSI, one UTC hour, a part, the simplified points as a flat array
//! `[dt_ms, lon_e6, lat_e6, …]` (offsets from the hour's start, micro-degrees), the SHA-256 of the
//! raw rows it came from, their line range, the tolerance in millimetres and quality flags. This
//! crate does not depend on `truce-ais`: [`Track`] reads and writes the same bytes (a test in
//! `truce-ais` checks byte for byte), and [`Track`]'s checks are those of its reader (hour
//! boundary, points in their hour and strictly increasing in time, coordinates in range, 64-hex
//! SHA-256, tolerance 1 m to 100 km).
//!
//! Identity. A segment is named by [`Track::key`], `<mmsi>-<hour>-<part>-<first 16 hex of its
//! SHA-256>`: re-ingesting the same file gives the same keys (nothing is added), and another raw
//! file for the same vessel-hour gives another key (no collision). A vessel's static data is named
//! by [`Vessel::key`], `<mmsi>-<first 16 hex of the SHA-256 of its content>` (content: IMO, name,
//! call sign, ship type; not the time it was seen): a changed name is a new record, the same data
//! seen again is not. The ledger refuses, as a duplicate, a track or vessel its author already
//! filed under the same key.
//!
//! AIS identity is self-declared: an MMSI identifies a transmitter, not a ship; names, IMO numbers
//! and ship types are what the transmitter says. A [`VesselClass`] is derived from the declared
//! ship type, never more than that.
//!
//! Memory: a stored point is 12 bytes ([`TrackPoint`]); a stored segment adds about 120 bytes.

use crate::domain::Id;
use crate::time::Time;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The manifest `format` of track segments, and the rules of their body (as in `truce-ais`).
pub const TRACK_FORMAT: &str = "truce.ais.track/1";

/// The manifest `format` of vessel static data records.
pub const VESSEL_FORMAT: &str = "truce.ais.vessel/1";

/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;

/// Latest hour start accepted, unix seconds (9999-12-31T23:00:00Z).
const MAX_HOUR_S: i64 = 253_402_297_200;

/// Largest MMSI (nine digits).
const MAX_MMSI: u32 = 999_999_999;

/// Longest name or call sign kept, characters.
const MAX_TEXT: usize = 120;

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// What a segment's raw fixes say about their own quality (zero counts and absent lines are left
/// out of the JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackFlags {
    /// Fixes with the time and position of a track fix but another position.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub conflicts: u64,
    /// Fixes repeating a track fix's time and (rounded) position.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub duplicates: u64,
    /// Line of the earliest (in time) conflict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_conflict_line: Option<u64>,
    /// Line of the fix the earliest (in time) impossible jump lands on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_jump_line: Option<u64>,
    /// Impossible jumps between consecutive track fixes (beyond 200 m + 60 knots × time apart).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub jumps: u64,
}

/// A `track` record's body: one vessel's track for one UTC hour (or a late part of it), exactly
/// as `truce_ais::track::Segment::to_json` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TrackWire")]
pub struct Track {
    /// Raw fixes in the segment (duplicates and conflicts included).
    pub fixes: u64,
    /// Quality flags.
    pub flags: TrackFlags,
    /// Start of the hour, unix seconds.
    pub hour: i64,
    /// 1-based line of the first raw row.
    pub line_first: u64,
    /// 1-based line of the last raw row.
    pub line_last: u64,
    /// The MMSI (self-declared).
    pub mmsi: u32,
    /// The part: 0, or larger for fixes that arrived late.
    pub part: u32,
    /// Points, flat: `dt_ms, lon_e6, lat_e6` per point, `dt_ms` from the hour's start.
    pub points: Vec<i64>,
    /// SHA-256 (lowercase hex) of the raw rows, concatenated in arrival order.
    pub sha256: String,
    /// The tolerance the track was simplified within, millimetres.
    pub tol_mm: u32,
}

/// A track body as read, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackWire {
    fixes: u64,
    flags: TrackFlags,
    hour: i64,
    line_first: u64,
    line_last: u64,
    mmsi: u32,
    part: u32,
    points: Vec<i64>,
    sha256: String,
    tol_mm: u32,
}

impl TryFrom<TrackWire> for Track {
    type Error = String;

    fn try_from(w: TrackWire) -> Result<Track, String> {
        let t = Track {
            fixes: w.fixes,
            flags: w.flags,
            hour: w.hour,
            line_first: w.line_first,
            line_last: w.line_last,
            mmsi: w.mmsi,
            part: w.part,
            points: w.points,
            sha256: w.sha256,
            tol_mm: w.tol_mm,
        };
        t.check()?;
        Ok(t)
    }
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Track {
    /// The checks every track body passes (the same as `truce-ais`'s reader).
    pub fn check(&self) -> Result<(), String> {
        if self.hour.rem_euclid(3600) != 0 || !(0..=MAX_HOUR_S).contains(&self.hour) {
            return Err(format!(
                "field `hour`: {} is not the start of an hour (unix seconds, 1970 to 9999)",
                self.hour
            ));
        }
        if self.mmsi > MAX_MMSI {
            return Err(format!(
                "field `mmsi`: {} has more than nine digits",
                self.mmsi
            ));
        }
        let p = &self.points;
        if p.is_empty() || !p.len().is_multiple_of(3) {
            return Err(format!(
                "field `points`: {} numbers; it needs one or more triples dt_ms, lon_e6, lat_e6",
                p.len()
            ));
        }
        for (i, c) in p.chunks_exact(3).enumerate() {
            let (dt, lon, lat) = (c[0], c[1], c[2]);
            if !(0..HOUR_MS).contains(&dt)
                || !(-180_000_000..=180_000_000).contains(&lon)
                || !(-90_000_000..=90_000_000).contains(&lat)
            {
                return Err(format!(
                    "field `points`: point {i} ({dt}, {lon}, {lat}) is out of range: dt_ms 0..3600000, lon_e6 ±180000000, lat_e6 ±90000000"
                ));
            }
            if i > 0 && p[3 * (i - 1)] >= dt {
                return Err(format!(
                    "field `points`: point {i} is not later than point {}",
                    i - 1
                ));
            }
        }
        if (self.points.len() / 3) as u64 > self.fixes {
            return Err(format!(
                "field `fixes`: {} fixes cannot give {} points",
                self.fixes,
                self.points.len() / 3
            ));
        }
        if self.line_first == 0 || self.line_first > self.line_last {
            return Err(format!(
                "fields `line_first`/`line_last`: {}..{} is not a range of 1-based lines",
                self.line_first, self.line_last
            ));
        }
        if !is_hex64(&self.sha256) {
            return Err("field `sha256`: not 64 lowercase hex digits".into());
        }
        if !(1000..=100_000_000).contains(&self.tol_mm) {
            return Err(format!(
                "field `tol_mm`: {} is out of range 1000..=100000000",
                self.tol_mm
            ));
        }
        Ok(())
    }

    /// The segment's key: `<mmsi>-<hour>-<part>-<first 16 hex digits of its SHA-256>`.
    pub fn key(&self) -> String {
        track_key(
            self.mmsi,
            self.hour,
            self.part,
            self.sha256.get(..16).unwrap_or(""),
        )
    }

    /// The body in canonical (RFC 8785) form, written directly: the bytes
    /// `truce_ais::track::Segment::to_json` writes.
    pub fn to_jcs(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::with_capacity(200 + self.points.len() * 9);
        let _ = write!(s, "{{\"fixes\":{},\"flags\":{{", self.fixes);
        let f = &self.flags;
        let mut sep = "";
        for (key, v) in [
            ("conflicts", (f.conflicts > 0).then_some(f.conflicts)),
            ("duplicates", (f.duplicates > 0).then_some(f.duplicates)),
            ("first_conflict_line", f.first_conflict_line),
            ("first_jump_line", f.first_jump_line),
            ("jumps", (f.jumps > 0).then_some(f.jumps)),
        ] {
            if let Some(v) = v {
                let _ = write!(s, "{sep}\"{key}\":{v}");
                sep = ",";
            }
        }
        let _ = write!(
            s,
            "}},\"hour\":{},\"line_first\":{},\"line_last\":{},\"mmsi\":{},\"part\":{},\"points\":[",
            self.hour, self.line_first, self.line_last, self.mmsi, self.part
        );
        for (i, v) in self.points.iter().enumerate() {
            let _ = write!(s, "{}{v}", if i == 0 { "" } else { "," });
        }
        let _ = write!(
            s,
            "],\"sha256\":\"{}\",\"tol_mm\":{}}}",
            self.sha256, self.tol_mm
        );
        s
    }
}

/// A segment's key from its parts (see [`Track::key`]); `sha_prefix` is the first 16 hex digits
/// of its SHA-256.
pub fn track_key(mmsi: u32, hour: i64, part: u32, sha_prefix: &str) -> String {
    format!("{mmsi}-{hour}-{part}-{sha_prefix}")
}

/// What a vessel is, from its declared AIS ship type (ITU-R M.1371-5, Table 53, "type of ship
/// and cargo type"). Derived from a self-declared code: evidence of what a transmitter says it is.
///
/// | codes | meaning in Table 53 | class |
/// |---|---|---|
/// | 30–34 | fishing, towing, towing > 200 m or > 25 m wide, dredging or underwater operations, diving operations | commercial |
/// | 35 | military operations | military |
/// | 36–39 | sailing, pleasure craft, reserved | commercial |
/// | 40–49 | high-speed craft | commercial |
/// | 55 | law enforcement | law-enforcement |
/// | 60–99 | passenger, cargo, tanker, other type | commercial |
/// | 0–29, 50–54, 56–59, none | not available, reserved, wing in ground, pilot, search and rescue, tug, port tender, anti-pollution, spare, medical transport, non-combatant (RR Resolution 18) | unknown |
///
/// "Commercial" is the civilian merchant and private traffic the Black Sea terms protect;
/// service craft (pilots, tugs, SAR, …) and wing-in-ground craft are left `unknown` rather than
/// guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VesselClass {
    /// Civilian traffic: fishing, towing, dredging, diving, sailing, pleasure, high-speed craft,
    /// passenger, cargo, tanker, other (codes 30–34, 36–49, 60–99).
    Commercial,
    /// Military operations (code 35).
    Military,
    /// Law enforcement (code 55).
    LawEnforcement,
    /// Anything else, or no ship type.
    Unknown,
}

impl VesselClass {
    /// The class of a declared ship type (see the table on [`VesselClass`]).
    pub fn of(ship_type: Option<u8>) -> VesselClass {
        match ship_type {
            Some(30..=34 | 36..=49 | 60..=99) => VesselClass::Commercial,
            Some(35) => VesselClass::Military,
            Some(55) => VesselClass::LawEnforcement,
            _ => VesselClass::Unknown,
        }
    }

    /// The class's name as written in records.
    pub fn as_str(&self) -> &'static str {
        match self {
            VesselClass::Commercial => "commercial",
            VesselClass::Military => "military",
            VesselClass::LawEnforcement => "law-enforcement",
            VesselClass::Unknown => "unknown",
        }
    }
}

/// A `vessel` record's body: a transmitter's declared static data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "VesselWire")]
pub struct Vessel {
    /// Call sign, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    /// Class derived from `ship_type` ([`VesselClass::of`]); a record whose class is not that
    /// derivation is refused.
    pub class: VesselClass,
    /// IMO number, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imo: Option<u32>,
    /// The MMSI.
    pub mmsi: u32,
    /// Name, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When this data was first seen in the file it was read from, if the file says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<Time>,
    /// AIS ship and cargo type code (0–99), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_type: Option<u8>,
}

/// A vessel body as read, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VesselWire {
    #[serde(default)]
    callsign: Option<String>,
    class: VesselClass,
    #[serde(default)]
    imo: Option<u32>,
    mmsi: u32,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    seen: Option<Time>,
    #[serde(default)]
    ship_type: Option<u8>,
}

impl TryFrom<VesselWire> for Vessel {
    type Error = String;

    fn try_from(w: VesselWire) -> Result<Vessel, String> {
        let v = Vessel {
            callsign: w.callsign,
            class: w.class,
            imo: w.imo,
            mmsi: w.mmsi,
            name: w.name,
            seen: w.seen,
            ship_type: w.ship_type,
        };
        v.check()?;
        Ok(v)
    }
}

impl Vessel {
    /// A vessel record from declared static data, its class derived.
    pub fn new(
        mmsi: u32,
        imo: Option<u32>,
        name: Option<String>,
        callsign: Option<String>,
        ship_type: Option<u8>,
        seen: Option<Time>,
    ) -> Vessel {
        Vessel {
            callsign,
            class: VesselClass::of(ship_type),
            imo,
            mmsi,
            name,
            seen,
            ship_type,
        }
    }

    /// The checks every vessel body passes.
    pub fn check(&self) -> Result<(), String> {
        if self.mmsi > MAX_MMSI {
            return Err(format!(
                "field `mmsi`: {} has more than nine digits",
                self.mmsi
            ));
        }
        if let Some(t) = self.ship_type.filter(|t| *t > 99) {
            return Err(format!("field `ship_type`: {t} is not an AIS code 0–99"));
        }
        let want = VesselClass::of(self.ship_type);
        if self.class != want {
            return Err(format!(
                "field `class`: `{}` is not the class of ship type {:?}, which is `{}`",
                self.class.as_str(),
                self.ship_type,
                want.as_str()
            ));
        }
        for (field, v) in [("name", &self.name), ("callsign", &self.callsign)] {
            if let Some(s) = v {
                if s.is_empty() || s.chars().count() > MAX_TEXT || s.chars().any(char::is_control) {
                    return Err(format!(
                        "field `{field}`: {s:?} must be 1 to {MAX_TEXT} characters without control characters (leave it out when there is none)"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The first 8 bytes of the SHA-256 of the vessel's content: its JSON without `seen`
    /// (`{"callsign":…,"class":…,"imo":…,"mmsi":…,"name":…,"ship_type":…}`, absent fields left
    /// out, keys sorted).
    pub fn content_digest(&self) -> [u8; 8] {
        let content = Vessel {
            seen: None,
            ..self.clone()
        };
        let bytes = serde_json::to_vec(&content).unwrap_or_default();
        let d = Sha256::digest(&bytes);
        let mut k = [0u8; 8];
        k.copy_from_slice(&d[..8]);
        k
    }

    /// The record's key: `<mmsi>-<16 hex digits of its content digest>`.
    pub fn key(&self) -> String {
        let d = self.content_digest();
        let mut s = format!("{}-", self.mmsi);
        for b in d {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

/// One point of a stored track: 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackPoint {
    /// Milliseconds from the segment's hour start.
    pub dt_ms: u32,
    /// Longitude, micro-degrees.
    pub lon_e6: i32,
    /// Latitude, micro-degrees.
    pub lat_e6: i32,
}

/// A track segment as the ledger keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTrack {
    /// Log index of the record.
    pub index: u64,
    /// Start of the hour, unix seconds.
    pub hour: i64,
    /// The part.
    pub part: u32,
    /// The MMSI.
    pub mmsi: u32,
    /// Raw fixes it covers.
    pub fixes: u64,
    /// Tolerance, millimetres.
    pub tol_mm: u32,
    /// Impossible jumps flagged.
    pub jumps: u32,
    /// Conflicting fixes flagged.
    pub conflicts: u32,
    /// SHA-256 of its raw rows.
    pub sha256: [u8; 32],
    /// Bounding box of its points: min lon, min lat, max lon, max lat (micro-degrees).
    pub bbox: [i32; 4],
    /// Index of its author in [`TrackStore::authors`].
    author: u32,
    points: Box<[TrackPoint]>,
}

impl StoredTrack {
    /// Its points.
    pub fn points(&self) -> &[TrackPoint] {
        &self.points
    }

    /// Time of its first point, unix milliseconds.
    pub fn start_ms(&self) -> i64 {
        self.hour * 1000 + self.points.first().map_or(0, |p| i64::from(p.dt_ms))
    }

    /// Time of its last point, unix milliseconds.
    pub fn end_ms(&self) -> i64 {
        self.hour * 1000 + self.points.last().map_or(0, |p| i64::from(p.dt_ms))
    }

    /// The position on the track at `t_ms` (longitude, latitude in degrees), interpolated linearly
    /// in time between the points around it (longitude the short way round), as the segment's
    /// tolerance guarantee is stated; `None` outside [`StoredTrack::start_ms`]..=[`StoredTrack::end_ms`].
    pub fn at(&self, t_ms: i64) -> Option<(f64, f64)> {
        let dt = t_ms - self.hour * 1000;
        let p = &self.points;
        let i = p.partition_point(|q| i64::from(q.dt_ms) < dt);
        let deg = |v: i32| f64::from(v) / 1e6;
        match (i.checked_sub(1).and_then(|j| p.get(j)), p.get(i)) {
            (_, Some(b)) if i64::from(b.dt_ms) == dt => Some((deg(b.lon_e6), deg(b.lat_e6))),
            (Some(a), Some(b)) => {
                let f = (dt - i64::from(a.dt_ms)) as f64 / f64::from(b.dt_ms - a.dt_ms);
                let mut dlon = f64::from(b.lon_e6 - a.lon_e6);
                if dlon > 180e6 {
                    dlon -= 360e6;
                } else if dlon < -180e6 {
                    dlon += 360e6;
                }
                let mut lon = (f64::from(a.lon_e6) + f * dlon) / 1e6;
                if lon > 180.0 {
                    lon -= 360.0;
                } else if lon < -180.0 {
                    lon += 360.0;
                }
                let lat = (f64::from(a.lat_e6) + f * f64::from(b.lat_e6 - a.lat_e6)) / 1e6;
                Some((lon, lat))
            }
            _ => None,
        }
    }
}

/// The ledger's track segments: per MMSI, sorted by (hour, part, log index).
#[derive(Debug, Clone, Default)]
pub struct TrackStore {
    by_mmsi: BTreeMap<u32, Vec<StoredTrack>>,
    authors: Vec<Id>,
    segments: usize,
    points: usize,
}

impl TrackStore {
    /// The segments of one MMSI, sorted by (hour, part, log index).
    pub fn of(&self, mmsi: u32) -> &[StoredTrack] {
        self.by_mmsi.get(&mmsi).map_or(&[], Vec::as_slice)
    }

    /// The segments with a point in `t0_ms..=t1_ms` or a stretch of track across it, by MMSI
    /// then time.
    pub fn in_time(&self, t0_ms: i64, t1_ms: i64) -> impl Iterator<Item = &StoredTrack> + '_ {
        self.by_mmsi.values().flat_map(move |v| {
            // Segments of hours ending before t0 cannot overlap.
            let from = v.partition_point(|s| s.hour * 1000 + HOUR_MS <= t0_ms);
            v[from..]
                .iter()
                .take_while(move |s| s.hour * 1000 <= t1_ms)
                .filter(move |s| s.start_ms() <= t1_ms && s.end_ms() >= t0_ms)
        })
    }

    /// [`TrackStore::in_time`] limited to segments whose bounding box meets `bbox` (min lon, min
    /// lat, max lon, max lat, degrees; no wrap across the antimeridian).
    pub fn in_box(
        &self,
        t0_ms: i64,
        t1_ms: i64,
        bbox: [f64; 4],
    ) -> impl Iterator<Item = &StoredTrack> + '_ {
        let e6 = |v: f64| (v * 1e6).round() as i64;
        let b = [e6(bbox[0]), e6(bbox[1]), e6(bbox[2]), e6(bbox[3])];
        self.in_time(t0_ms, t1_ms).filter(move |s| {
            i64::from(s.bbox[0]) <= b[2]
                && i64::from(s.bbox[2]) >= b[0]
                && i64::from(s.bbox[1]) <= b[3]
                && i64::from(s.bbox[3]) >= b[1]
        })
    }

    /// Every MMSI with a track, ascending.
    pub fn mmsis(&self) -> impl Iterator<Item = u32> + '_ {
        self.by_mmsi.keys().copied()
    }

    /// Who filed a segment.
    pub fn author(&self, t: &StoredTrack) -> &Id {
        &self.authors[t.author as usize]
    }

    /// Segments stored.
    pub fn len(&self) -> usize {
        self.segments
    }

    /// Whether no segment is stored.
    pub fn is_empty(&self) -> bool {
        self.segments == 0
    }

    /// Points stored.
    pub fn points(&self) -> usize {
        self.points
    }

    /// The log index of the segment `author` filed with this (mmsi, hour, part, SHA-256), if any.
    pub fn find(&self, author: &Id, t: &Track) -> Option<u64> {
        let a = self.authors.iter().position(|x| x == author)? as u32;
        let sha = parse_hex32(&t.sha256)?;
        let v = self.by_mmsi.get(&t.mmsi)?;
        let from = v.partition_point(|s| (s.hour, s.part) < (t.hour, t.part));
        v[from..]
            .iter()
            .take_while(|s| (s.hour, s.part) == (t.hour, t.part))
            .find(|s| s.author == a && s.sha256 == sha)
            .map(|s| s.index)
    }

    /// Stores a segment (checked by the ledger first).
    pub(crate) fn insert(&mut self, index: u64, author: &Id, t: &Track) {
        let a = match self.authors.iter().position(|x| x == author) {
            Some(a) => a as u32,
            None => {
                self.authors.push(author.clone());
                (self.authors.len() - 1) as u32
            }
        };
        let points: Box<[TrackPoint]> = t
            .points
            .chunks_exact(3)
            .map(|c| TrackPoint {
                dt_ms: c[0] as u32,
                lon_e6: c[1] as i32,
                lat_e6: c[2] as i32,
            })
            .collect();
        let mut bbox = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];
        for p in points.iter() {
            bbox[0] = bbox[0].min(p.lon_e6);
            bbox[1] = bbox[1].min(p.lat_e6);
            bbox[2] = bbox[2].max(p.lon_e6);
            bbox[3] = bbox[3].max(p.lat_e6);
        }
        let stored = StoredTrack {
            index,
            hour: t.hour,
            part: t.part,
            mmsi: t.mmsi,
            fixes: t.fixes,
            tol_mm: t.tol_mm,
            jumps: u32::try_from(t.flags.jumps).unwrap_or(u32::MAX),
            conflicts: u32::try_from(t.flags.conflicts).unwrap_or(u32::MAX),
            sha256: parse_hex32(&t.sha256).unwrap_or_default(),
            bbox,
            author: a,
            points,
        };
        self.points += stored.points.len();
        self.segments += 1;
        let v = self.by_mmsi.entry(t.mmsi).or_default();
        let at = v.partition_point(|s| (s.hour, s.part, s.index) <= (t.hour, t.part, index));
        v.insert(at, stored);
    }
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (k, o) in out.iter_mut().enumerate() {
        *o = (nib(b[2 * k])? << 4) | nib(b[2 * k + 1])?;
    }
    Some(out)
}

/// Most positions a stated reception area may have (all rings together): every gap derived is
/// tested against it, so its cost is bounded.
pub const MAX_RECEPTION_POSITIONS: usize = 1_000;

/// What a filer says its receivers heard: the reception area of a manifest of `track` records
/// ([`crate::domain::Manifest::reception`]) and the time its accepted segments span. The ledger
/// records one per complete manifest with a reception area and at least one accepted segment.
///
/// Meaning: "the filer's receivers heard this area from `first_ms` to `last_ms`". It is the
/// filer's word, like everything it files; a silence inside it is a transmitter not heard where
/// it would have been heard.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Log index of the manifest.
    pub manifest_index: u64,
    /// Who filed it.
    pub author: Id,
    /// The area stated.
    pub area: crate::domain::Zone,
    /// The earliest start of the segments accepted under it, unix milliseconds.
    pub first_ms: i64,
    /// The latest end of the segments accepted under it, unix milliseconds.
    pub last_ms: i64,
}

/// The rules a manifest's reception area meets (checked on every replay; cheap and exact): a
/// name of 1 to 120 characters; at most [`MAX_RECEPTION_POSITIONS`] positions; no position on a
/// pole; every edge spanning less than 180° of longitude (an edge may cross the antimeridian:
/// longitudes compare modulo 360°); no ring going round a pole. These are the rules of the
/// great-circle polygons `truce-geo` measures reading zones with.
pub fn check_reception(z: &crate::domain::Zone) -> Result<(), String> {
    if z.name.is_empty()
        || z.name.chars().count() > MAX_TEXT
        || z.name.chars().any(char::is_control)
    {
        return Err(format!(
            "field `reception.name`: {:?} must be 1 to {MAX_TEXT} characters without control characters",
            z.name
        ));
    }
    let rings = z.polygon.rings();
    let n: usize = rings.iter().map(Vec::len).sum();
    if n > MAX_RECEPTION_POSITIONS {
        return Err(format!(
            "field `reception.polygon`: {n} positions; at most {MAX_RECEPTION_POSITIONS} (simplify the area)"
        ));
    }
    for (i, r) in rings.iter().enumerate() {
        let what = if i == 0 {
            "the outer ring".to_string()
        } else {
            format!("hole {i}")
        };
        if let Some(p) = r.iter().find(|p| p.lat().abs() >= 90.0) {
            return Err(format!(
                "field `reception.polygon`: {what} has a position on a pole ([{}, {}]); draw the area off the pole",
                p.lon(),
                p.lat()
            ));
        }
        let mut winding = 0.0;
        for w in r.windows(2) {
            let mut d = w[1].lon() - w[0].lon();
            if d > 180.0 {
                d -= 360.0;
            } else if d < -180.0 {
                d += 360.0;
            }
            if d.abs() >= 180.0 {
                return Err(format!(
                    "field `reception.polygon`: {what} has an edge spanning 180° of longitude ([{}, {}] to [{}, {}]); add a position between them",
                    w[0].lon(),
                    w[0].lat(),
                    w[1].lon(),
                    w[1].lat()
                ));
            }
            winding += d;
        }
        if f64::abs(winding) > 180.0 {
            return Err(format!(
                "field `reception.polygon`: {what} goes round a pole; draw the area itself, off the pole"
            ));
        }
    }
    Ok(())
}

/// One version of a vessel's static data.
#[derive(Debug, Clone, PartialEq)]
pub struct VesselVersion {
    /// Log index of the record.
    pub index: u64,
    /// Who filed it.
    pub author: Id,
    /// When it holds from: the time it was seen, else the record's filing time.
    pub time: Time,
    /// Its content digest ([`Vessel::content_digest`]).
    pub digest: [u8; 8],
    /// The data.
    pub value: Vessel,
}

/// The ledger's vessels: per MMSI, every version, sorted by (time, log index).
#[derive(Debug, Clone, Default)]
pub struct VesselStore {
    by_mmsi: BTreeMap<u32, Vec<VesselVersion>>,
}

impl VesselStore {
    /// Every version of one MMSI's static data, oldest first (empty if none).
    pub fn of(&self, mmsi: u32) -> &[VesselVersion] {
        self.by_mmsi.get(&mmsi).map_or(&[], Vec::as_slice)
    }

    /// The version in force at `t` (the latest not after it), if any.
    pub fn at(&self, mmsi: u32, t: Time) -> Option<&VesselVersion> {
        let v = self.of(mmsi);
        let i = v.partition_point(|x| x.time <= t);
        i.checked_sub(1).and_then(|i| v.get(i))
    }

    /// Every MMSI with its versions, ascending by MMSI.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &[VesselVersion])> + '_ {
        self.by_mmsi.iter().map(|(m, v)| (*m, v.as_slice()))
    }

    /// MMSIs with static data.
    pub fn len(&self) -> usize {
        self.by_mmsi.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.by_mmsi.is_empty()
    }

    /// The log index of the version `author` filed with this content, if any.
    pub fn find(&self, author: &Id, v: &Vessel) -> Option<u64> {
        let d = v.content_digest();
        self.of(v.mmsi)
            .iter()
            .find(|x| &x.author == author && x.digest == d)
            .map(|x| x.index)
    }

    /// Stores a version (checked by the ledger first).
    pub(crate) fn insert(&mut self, index: u64, author: &Id, filed: Time, v: Vessel) {
        let version = VesselVersion {
            index,
            author: author.clone(),
            time: v.seen.unwrap_or(filed),
            digest: v.content_digest(),
            value: v,
        };
        let list = self.by_mmsi.entry(version.value.mmsi).or_default();
        let at = list.partition_point(|x| (x.time, x.index) <= (version.time, index));
        list.insert(at, version);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEG: &str = r#"{"fixes":5,"flags":{"duplicates":1,"first_jump_line":7,"jumps":1},"hour":1648684800,"line_first":3,"line_last":9,"mmsi":219000001,"part":0,"points":[0,12000000,55000000,60000,12001000,55000500],"sha256":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","tol_mm":50000}"#;

    #[test]
    fn a_track_reads_and_writes_the_same_bytes() {
        let t: Track = serde_json::from_str(SEG).unwrap();
        assert_eq!(t.to_jcs(), SEG);
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(crate::entry::jcs(&v).unwrap(), SEG.as_bytes());
        assert_eq!(t.key(), "219000001-1648684800-0-0011223344556677");
    }

    #[test]
    fn bad_tracks_are_refused_with_the_field() {
        for (from, to, want) in [
            ("\"hour\":1648684800", "\"hour\":1648684801", "field `hour`"),
            ("60000,12001000", "0,12001000", "not later"),
            ("\"tol_mm\":50000", "\"tol_mm\":5", "tol_mm"),
            ("\"sha256\":\"00", "\"sha256\":\"X0", "sha256"),
            ("55000500]", "95000500]", "out of range"),
            ("\"line_first\":3", "\"line_first\":10", "line_first"),
            ("\"fixes\":5", "\"fixes\":1", "fixes"),
        ] {
            let bad = SEG.replace(from, to);
            assert_ne!(bad, SEG);
            let e = serde_json::from_str::<Track>(&bad).unwrap_err().to_string();
            assert!(e.contains(want), "{from} → {to}: {e}");
        }
        let extra = SEG.replace("\"fixes\":5", "\"extra\":1,\"fixes\":5");
        assert!(serde_json::from_str::<Track>(&extra).is_err());
    }

    proptest::proptest! {
        /// Any valid track: the direct writer, serde and JCS agree, and it reads back equal.
        #[test]
        fn any_track_has_one_byte_form(
            mmsi in 0u32..=999_999_999,
            hour in 0i64..=1_000_000,
            part in 0u32..5,
            steps in proptest::collection::vec((1i64..100_000, -180_000_000i64..=180_000_000, -90_000_000i64..=90_000_000), 1..40),
            jumps in 0u64..3,
            dup in 0u64..3,
            tol_mm in 1000u32..=100_000_000,
        ) {
            let mut points = Vec::new();
            let mut dt = 0;
            for (step, lon, lat) in &steps {
                if dt + step >= HOUR_MS { break; }
                points.extend([dt, *lon, *lat]);
                dt += step;
            }
            let t = Track {
                fixes: (points.len() / 3) as u64 + dup,
                flags: TrackFlags {
                    duplicates: dup,
                    jumps,
                    first_jump_line: (jumps > 0).then_some(4),
                    ..TrackFlags::default()
                },
                hour: hour * 3600,
                line_first: 1,
                line_last: 9,
                mmsi,
                part,
                points,
                sha256: "ab".repeat(32),
                tol_mm,
            };
            t.check().unwrap();
            let text = t.to_jcs();
            proptest::prop_assert_eq!(&serde_json::to_string(&t).unwrap(), &text);
            let v = serde_json::to_value(&t).unwrap();
            proptest::prop_assert_eq!(crate::entry::jcs(&v).unwrap(), text.as_bytes().to_vec());
            proptest::prop_assert_eq!(serde_json::from_str::<Track>(&text).unwrap(), t);
        }
    }

    #[test]
    fn classes_follow_the_itu_table() {
        let c = VesselClass::of;
        assert_eq!(c(Some(35)), VesselClass::Military);
        assert_eq!(c(Some(55)), VesselClass::LawEnforcement);
        for t in [30, 34, 36, 37, 40, 49, 60, 70, 79, 80, 89, 90, 99] {
            assert_eq!(c(Some(t)), VesselClass::Commercial, "{t}");
        }
        for t in [0, 1, 19, 20, 29, 50, 52, 54, 56, 58, 59] {
            assert_eq!(c(Some(t)), VesselClass::Unknown, "{t}");
        }
        assert_eq!(c(None), VesselClass::Unknown);
    }

    #[test]
    fn a_vessel_key_follows_its_content_not_its_time() {
        let a = Vessel::new(
            219000001,
            Some(9_000_000),
            Some("ANNA".into()),
            Some("OXAB".into()),
            Some(70),
            None,
        );
        let mut b = a.clone();
        b.seen = Some(Time::parse("2022-03-31T00:00:00Z").unwrap());
        assert_eq!(a.key(), b.key());
        let mut c = a.clone();
        c.name = Some("ANNA B".into());
        assert_ne!(a.key(), c.key());
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(
            json,
            r#"{"callsign":"OXAB","class":"commercial","imo":9000000,"mmsi":219000001,"name":"ANNA","seen":"2022-03-31T00:00:00Z","ship_type":70}"#
        );
        assert_eq!(serde_json::from_str::<Vessel>(&json).unwrap(), b);
        let lie = json.replace("commercial", "military");
        let e = serde_json::from_str::<Vessel>(&lie)
            .unwrap_err()
            .to_string();
        assert!(e.contains("field `class`"), "{e}");
    }

    #[test]
    fn the_store_keeps_points_compact_and_interpolates() {
        assert_eq!(std::mem::size_of::<TrackPoint>(), 12);
        let t: Track = serde_json::from_str(SEG).unwrap();
        let mut s = TrackStore::default();
        let me = Id::new("dma").unwrap();
        s.insert(10, &me, &t);
        assert_eq!(s.find(&me, &t), Some(10));
        assert_eq!(s.find(&Id::new("other").unwrap(), &t), None);
        let seg = &s.of(219000001)[0];
        let t0 = 1_648_684_800_000;
        let (lon, lat) = seg.at(t0 + 30_000).unwrap();
        assert!((lon - 12.0005).abs() < 1e-9 && (lat - 55.00025).abs() < 1e-9);
        assert_eq!(seg.at(t0 + 60_001), None);
        assert_eq!(s.in_time(t0 + 10, t0 + 20).count(), 1);
        assert_eq!(s.in_time(t0 + 60_001, t0 + 90_000).count(), 0);
        assert_eq!(s.in_box(t0, t0 + 1, [11.9, 54.9, 12.1, 55.1]).count(), 1);
        assert_eq!(s.in_box(t0, t0 + 1, [13.0, 54.9, 14.0, 55.1]).count(), 0);
        assert_eq!((s.len(), s.points()), (1, 2));
    }
}

//! Per-vessel track segments: one MMSI, one UTC hour, simplified in space and time within a
//! stated tolerance, each verifiable against the raw rows it came from.
//!
//! A [`Segmenter`] is fed position reports in arrival order ([`Segmenter::push`]) and hands back
//! the [`Segment`]s that are over; [`Segmenter::finish`] flushes the rest. [`verify`] is what a
//! verifier runs: given a segment and its raw rows, it recomputes the hash, the flags and the
//! tolerance. [`Segment::to_json`] is the segment's one byte form for the log.
//!
//! # Segments, lateness and parts
//!
//! The *watermark* is the latest fix time seen so far. A segment `(mmsi, hour, part)` is *due*
//! once the watermark reaches `hour end + part hours + max_lateness_ms`; it is then closed and
//! handed back, and no fix joins it afterwards. A fix of hour `H` joins the smallest part that is
//! not yet due: part 0 unless it comes more than `max_lateness_ms` behind the end of its hour (a
//! *late* fix), in which case it opens, or joins, part `p ≥ 1`, where `p` is one more than the
//! whole hours the watermark has gone past part 0's closing time. Parts of one (mmsi, hour) are
//! thus increasing but need not be contiguous (0, then 3 for a fix arriving two to three hours
//! after part 0 closed), they are unique, and no table of closed segments is kept to number them.
//! Every fix lands in exactly one segment.
//!
//! Segments come out ordered by (closing time, hour, mmsi, part), which is a function of the set
//! of segments alone: the same input gives the same output whatever the caller does between
//! calls (one push at a time, [`Segmenter::push_batch`] in any chunks), and as long as no fix is
//! late and each vessel's own rows keep their order, interleaving vessels differently changes
//! nothing either.
//!
//! Caveat: one fix from the future (a receiver clock years ahead) moves the watermark there; what
//! comes after it is then late and goes into parts ≥ 1. Nothing is lost or misattributed, only
//! split into more parts.
//!
//! # Memory
//!
//! Only open segments are held: part 0 of hour `H` is open while the watermark is before
//! `H end + max_lateness_ms`, a late part for at most one hour of watermark time. So the
//! segmenter holds the vessels that reported in the last `1 h + max_lateness_ms` of watermark time
//! (at most two open hours each while the lateness is under an hour) plus the late fixes of the
//! last hour, each buffered fix in 32 bytes (time, position, line; the raw bytes are hashed on
//! arrival, not kept) and each open segment in about 250 bytes. It never grows with the input's
//! length. [`Segmenter::stats`] counts open segments, live vessels and buffered fixes, with peaks.
//!
//! # The track and its guarantee
//!
//! A segment's *track fixes* are its fixes sorted by time (stably: arrival order among equal
//! times), keeping the first at each timestamp. A later fix with the same timestamp is a
//! *duplicate* when its position rounds to the same micro-degrees, and a *conflict* otherwise
//! (flagged: two places at one time); neither is a track fix, both are counted and hashed.
//!
//! The simplified track is a subset of the track fixes, the first and last always kept, each
//! rounded to 1e-6 degrees (`degrees = value / 1e6`), joined by straight lines in
//! (time, longitude, latitude) — longitude the short way round. **Guarantee:** for every track
//! fix, the position interpolated linearly in time on the simplified track (from the rounded
//! points) at the fix's time is within `tolerance_m` of the fix's exact position. The segmenter
//! simplifies to `tolerance_m − 1 cm` (so a verifier measuring with any distance accurate to 1 cm
//! agrees) and then checks every track fix against the final track, adding points back if one
//! fails; [`verify`] checks against `tolerance_m` itself.
//!
//! Simplification is top-down Douglas–Peucker with the synchronised Euclidean distance (SED):
//! a range's farthest fix (by SED) becomes a point while it is beyond the tolerance. A range of
//! more than 256 fixes whose farthest fix is within the outer eighth of it is also split at its
//! middle, so the work is O(n log n + 256 n) even for adversarial tracks (one extra point per
//! such split).
//!
//! Distances are on the WGS84 ellipsoid in a local tangent plane at the mid-latitude of the two
//! positions (radii of curvature `N` and `M`, their latitude dependence to first order): for
//! distances up to 1 km at latitudes within ±85° this is within 1 mm of the geodesic
//! (Karney's), tested against `truce_geo::distance_m`.
//!
//! # Impossible speeds
//!
//! Two consecutive track fixes `d` metres and `dt` seconds apart are an *impossible jump* when
//! `d > 200 m + 60 knots × dt` (200 m absorbs GNSS noise). Each one is counted in the segment's
//! flags with the line of the first landing fix (earliest in time), and both its ends are kept as
//! points, so the simplified track shows the jump exactly where the raw data has it and no line
//! of the track straddles it. Jumps are judged within a segment only (a verifier has one
//! segment's rows). A flag is evidence quality — spoofing, a shared or reused MMSI, a bad
//! decode — never a verdict. These rules (60 knots, 200 m, duplicates, the distance) are part of
//! [`FORMAT`].

use std::collections::{BTreeMap, HashMap};
use std::f64::consts::PI;
use std::fmt;

use sha2::{Digest, Sha256};

use crate::fix::Fix;

/// The name of this segment format and its rules (the manifest's `format` for segments).
pub const FORMAT: &str = "truce.ais.track/1";

/// Speed above which consecutive fixes are an impossible jump, knots.
pub const MAX_SPEED_KNOTS: f64 = 60.0;

/// Distance always allowed between consecutive fixes (GNSS noise), metres.
pub const JUMP_ALLOWANCE_M: f64 = 200.0;

/// What the segmenter simplifies to below the stated tolerance, metres.
const MARGIN_M: f64 = 0.01;

/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;

/// Latest fix time accepted: 9999-12-31T23:59:59.999Z.
const MAX_T_MS: i64 = 253_402_300_799_999;

/// Longest lateness accepted: a week.
const MAX_LATENESS_MS: i64 = 7 * 24 * HOUR_MS;

/// Ranges longer than this are split in the middle when their farthest fix is near an end.
const BALANCE_MIN_LEN: usize = 256;

/// WGS84 semi-major axis, metres.
const WGS84_A: f64 = 6_378_137.0;
/// WGS84 first eccentricity squared, `f (2 − f)` with `f = 1/298.257223563`.
const WGS84_E2: f64 = 6.694_379_990_141_316e-3;
/// Radians per degree.
const DEG: f64 = PI / 180.0;

/// What the segmenter is told.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// How far any track fix may be from the simplified track at its time, metres: at least 1,
    /// at most 100,000, a whole number of millimetres. Default 50.
    pub tolerance_m: f64,
    /// How far behind the end of its hour a fix may arrive (measured on the watermark, the latest
    /// fix time seen) and still join its hour's part 0, milliseconds: 0 to one week. Default 10
    /// minutes.
    pub max_lateness_ms: i64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            tolerance_m: 50.0,
            max_lateness_ms: 10 * 60 * 1000,
        }
    }
}

impl Params {
    /// Checks the parameters' ranges.
    pub fn check(&self) -> Result<(), TrackError> {
        let t = self.tolerance_m;
        if !(1.0..=100_000.0).contains(&t) || (t * 1000.0).round() / 1000.0 != t {
            return Err(TrackError::Params {
                field: "tolerance_m",
                value: t.to_string(),
                want: "metres from 1 to 100000, a whole number of millimetres",
            });
        }
        if !(0..=MAX_LATENESS_MS).contains(&self.max_lateness_ms) {
            return Err(TrackError::Params {
                field: "max_lateness_ms",
                value: self.max_lateness_ms.to_string(),
                want: "milliseconds from 0 to 604800000 (a week)",
            });
        }
        Ok(())
    }
}

/// Which segment: one vessel, one UTC hour, one part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SegmentId {
    /// The MMSI.
    pub mmsi: u32,
    /// Start of the hour, unix seconds.
    pub hour: i64,
    /// The part (0 unless the segment holds late fixes).
    pub part: u32,
}

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "segment of MMSI {} at hour {} (unix seconds), part {}",
            self.mmsi, self.hour, self.part
        )
    }
}

/// A point of a simplified track, rounded as it is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Point {
    /// Time, unix milliseconds UTC.
    pub t_ms: i64,
    /// Longitude, micro-degrees.
    pub lon_e6: i32,
    /// Latitude, micro-degrees.
    pub lat_e6: i32,
}

impl Point {
    /// Longitude, degrees (`lon_e6 / 1e6`).
    pub fn lon(&self) -> f64 {
        f64::from(self.lon_e6) / 1e6
    }

    /// Latitude, degrees (`lat_e6 / 1e6`).
    pub fn lat(&self) -> f64 {
        f64::from(self.lat_e6) / 1e6
    }
}

/// What a segment's raw fixes say about their own quality.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    /// Fixes with the time and (rounded) position of a track fix: several receivers, one message.
    pub duplicates: u64,
    /// Fixes with the time of a track fix but another position.
    pub conflicts: u64,
    /// Line of the earliest (in time) conflict.
    pub first_conflict_line: Option<u64>,
    /// Impossible jumps between consecutive track fixes (beyond 200 m + 60 knots × time apart).
    pub jumps: u64,
    /// Line of the fix the earliest (in time) jump lands on.
    pub first_jump_line: Option<u64>,
}

/// One vessel's track for one UTC hour (or a late part of it).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// The MMSI.
    pub mmsi: u32,
    /// Start of the hour, unix seconds.
    pub hour: i64,
    /// The part: 0, or for late fixes a larger number (see the module documentation).
    pub part: u32,
    /// The simplified track, strictly increasing in time, the first and last track fixes always
    /// among them.
    pub points: Vec<Point>,
    /// How many raw fixes the segment holds (duplicates and conflicts included).
    pub fixes: u64,
    /// SHA-256 of the raw bytes of its fixes, concatenated in arrival order.
    pub sha256: [u8; 32],
    /// 1-based line of its first raw row (in arrival order).
    pub first_line: u64,
    /// 1-based line of its last raw row (in arrival order).
    pub last_line: u64,
    /// The tolerance it was simplified within, metres.
    pub tolerance_m: f64,
    /// Quality flags.
    pub flags: Flags,
}

impl Segment {
    /// Which segment this is.
    pub fn id(&self) -> SegmentId {
        SegmentId {
            mmsi: self.mmsi,
            hour: self.hour,
            part: self.part,
        }
    }

    /// The SHA-256 as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }

    /// The segment as the log's track body (`truce_model::ais::Track`): points flat,
    /// `[dt_ms, lon_e6, lat_e6, …]` with `dt_ms` the offset from the hour's start; the tolerance
    /// in millimetres.
    pub fn to_track(&self) -> truce_model::ais::Track {
        let start = self.hour.saturating_mul(1000);
        let mut points = Vec::with_capacity(self.points.len() * 3);
        for p in &self.points {
            points.extend([
                p.t_ms.saturating_sub(start),
                i64::from(p.lon_e6),
                i64::from(p.lat_e6),
            ]);
        }
        let f = &self.flags;
        truce_model::ais::Track {
            fixes: self.fixes,
            flags: truce_model::ais::TrackFlags {
                conflicts: f.conflicts,
                duplicates: f.duplicates,
                first_conflict_line: f.first_conflict_line,
                first_jump_line: f.first_jump_line,
                jumps: f.jumps,
            },
            hour: self.hour,
            line_first: self.first_line,
            line_last: self.last_line,
            mmsi: self.mmsi,
            part: self.part,
            points,
            sha256: self.sha256_hex(),
            tol_mm: (self.tolerance_m * 1000.0).round() as u32,
        }
    }

    /// The segment's one byte form: the log's track body in canonical form
    /// (`truce_model::ais::Track::to_jcs`: compact JSON, keys sorted, integers only,
    /// `first_conflict_line`/`first_jump_line` and zero flag counts left out):
    ///
    /// `{"fixes":N,"flags":{…},"hour":S,"line_first":A,"line_last":B,"mmsi":M,"part":P,"points":[…],"sha256":"hex","tol_mm":T}`
    pub fn to_json(&self) -> String {
        self.to_track().to_jcs()
    }

    /// Reads a segment from its byte form, refusing anything but exactly what
    /// [`Segment::to_json`] writes (unknown or missing keys, other spacing or key order, points
    /// out of their hour or not increasing in time, coordinates out of range).
    pub fn from_json(bytes: &[u8]) -> Result<Segment, TrackError> {
        let w: Wire =
            serde_json::from_slice(bytes).map_err(|e| TrackError::Json { why: e.to_string() })?;
        let bad = |why: String| Err(TrackError::Json { why });
        if w.hour.rem_euclid(3600) != 0 || !(0..=MAX_T_MS / 1000).contains(&w.hour) {
            return bad(format!(
                "hour {} is not the start of an hour (unix seconds)",
                w.hour
            ));
        }
        if w.points.is_empty() || !w.points.len().is_multiple_of(3) {
            return bad(format!(
                "points has {} numbers; it needs one or more triples dt_ms, lon_e6, lat_e6",
                w.points.len()
            ));
        }
        let mut points = Vec::with_capacity(w.points.len() / 3);
        for (i, c) in w.points.chunks_exact(3).enumerate() {
            let (dt, lon, lat) = (c[0], c[1], c[2]);
            if !(0..HOUR_MS).contains(&dt)
                || !(-180_000_000..=180_000_000).contains(&lon)
                || !(-90_000_000..=90_000_000).contains(&lat)
            {
                return bad(format!(
                    "point {i} ({dt}, {lon}, {lat}) is out of range: dt_ms 0..3600000, lon_e6 ±180000000, lat_e6 ±90000000"
                ));
            }
            if i > 0 && w.points[3 * (i - 1)] >= dt {
                return bad(format!("point {i} is not later than point {}", i - 1));
            }
            points.push(Point {
                t_ms: w.hour * 1000 + dt,
                lon_e6: lon as i32,
                lat_e6: lat as i32,
            });
        }
        if !(1000..=100_000_000).contains(&w.tol_mm) {
            return bad(format!(
                "tol_mm {} is out of range 1000..=100000000",
                w.tol_mm
            ));
        }
        let mut sha256 = [0u8; 32];
        let digits = w.sha256.as_bytes();
        if digits.len() != 64
            || !digits
                .iter()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return bad("sha256 is not 64 lowercase hex digits".into());
        }
        for (i, pair) in digits.chunks_exact(2).enumerate() {
            let v = |b: u8| if b <= b'9' { b - b'0' } else { b - b'a' + 10 };
            sha256[i] = v(pair[0]) << 4 | v(pair[1]);
        }
        let seg = Segment {
            mmsi: w.mmsi,
            hour: w.hour,
            part: w.part,
            points,
            fixes: w.fixes,
            sha256,
            first_line: w.line_first,
            last_line: w.line_last,
            tolerance_m: w.tol_mm as f64 / 1000.0,
            flags: Flags {
                duplicates: w.flags.duplicates,
                conflicts: w.flags.conflicts,
                first_conflict_line: w.flags.first_conflict_line,
                jumps: w.flags.jumps,
                first_jump_line: w.flags.first_jump_line,
            },
        };
        if seg.to_json().as_bytes() != bytes {
            return bad(
                "not the canonical form (keys sorted, no spaces, zero flags left out, as Segment::to_json writes it)"
                    .into(),
            );
        }
        Ok(seg)
    }
}

/// The JSON form, read.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    fixes: u64,
    flags: WireFlags,
    hour: i64,
    line_first: u64,
    line_last: u64,
    mmsi: u32,
    part: u32,
    points: Vec<i64>,
    sha256: String,
    tol_mm: u32,
}

/// The JSON form's flags, read.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFlags {
    #[serde(default)]
    conflicts: u64,
    #[serde(default)]
    duplicates: u64,
    first_conflict_line: Option<u64>,
    first_jump_line: Option<u64>,
    #[serde(default)]
    jumps: u64,
}

/// Counts of what the segmenter holds and has done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Fixes pushed.
    pub fixes: u64,
    /// Fixes that arrived late (joined a part ≥ 1).
    pub late_fixes: u64,
    /// Segments closed.
    pub segments: u64,
    /// Segments open now.
    pub open_segments: usize,
    /// Distinct MMSIs with an open segment now.
    pub live_vessels: usize,
    /// Fixes held in open segments now.
    pub buffered_fixes: usize,
    /// Most segments open at once.
    pub peak_open_segments: usize,
    /// Most distinct MMSIs with an open segment at once.
    pub peak_live_vessels: usize,
    /// Most fixes held at once.
    pub peak_buffered_fixes: usize,
}

/// Why a fix, a parameter, a segment or its JSON was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackError {
    /// A parameter out of range.
    #[error("parameter {field} = {value}: expected {want}")]
    Params {
        /// Which parameter.
        field: &'static str,
        /// Its value.
        value: String,
        /// What it may be.
        want: &'static str,
    },
    /// A fix no reader should yield (position or time out of range).
    #[error("line {line}: {field} {value} is out of range (expected {want}); the reader should refuse this record")]
    Fix {
        /// The raw row's line.
        line: u64,
        /// Which field.
        field: &'static str,
        /// Its value.
        value: String,
        /// What it may be.
        want: &'static str,
    },
    /// Not as many raw rows as the segment counts.
    #[error("{id}: it counts {expected} raw fixes but {got} were given; pass exactly its rows (lines {first_line} to {last_line} of the raw file, this vessel and hour)")]
    Count {
        /// The segment.
        id: SegmentId,
        /// The segment's count.
        expected: u64,
        /// Rows given.
        got: u64,
        /// The segment's first line.
        first_line: u64,
        /// The segment's last line.
        last_line: u64,
    },
    /// The raw rows' hash differs from the segment's.
    #[error("{id}: the raw rows hash to {got}, the segment says {expected}; the rows differ from those segmented (altered, missing, or in another order)")]
    Hash {
        /// The segment.
        id: SegmentId,
        /// The segment's hash, hex.
        expected: String,
        /// The rows' hash, hex.
        got: String,
    },
    /// A raw fix of another vessel or another hour.
    #[error("{id}: raw fix {index} (0-based, arrival order) is MMSI {mmsi} at {t_ms} ms, outside this segment's vessel or hour")]
    Outside {
        /// The segment.
        id: SegmentId,
        /// The fix's index among the rows given.
        index: usize,
        /// Its MMSI.
        mmsi: u32,
        /// Its time, unix ms.
        t_ms: i64,
    },
    /// A flag that the raw rows do not reproduce.
    #[error("{id}: flag {field} is {segment} in the segment but {recomputed} from the raw rows")]
    Flags {
        /// The segment.
        id: SegmentId,
        /// Which flag.
        field: &'static str,
        /// The segment's value.
        segment: u64,
        /// The value recomputed.
        recomputed: u64,
    },
    /// Points that are not a simplification of the raw track.
    #[error("{id}: {why}")]
    Points {
        /// The segment.
        id: SegmentId,
        /// What is wrong.
        why: String,
    },
    /// A track fix farther from the simplified track than the tolerance.
    #[error("{id}: raw fix {index} (0-based, arrival order) at {t_ms} ms is {distance_m:.3} m from the simplified track, beyond its tolerance of {tolerance_m} m")]
    Tolerance {
        /// The segment.
        id: SegmentId,
        /// The fix's index among the rows given.
        index: usize,
        /// Its time, unix ms.
        t_ms: i64,
        /// Its distance from the track at that time, metres.
        distance_m: f64,
        /// The segment's tolerance, metres.
        tolerance_m: f64,
    },
    /// A segment's JSON that is not its canonical form.
    #[error("segment JSON: {why}")]
    Json {
        /// What is wrong.
        why: String,
    },
}

/// The streaming segmenter (see the module documentation for its rules and memory bound).
#[derive(Debug)]
pub struct Segmenter {
    params: Params,
    watermark: Option<i64>,
    open: HashMap<Key, Open>,
    /// Open segments by closing time.
    due: BTreeMap<i64, Vec<Key>>,
    /// Open segments per MMSI.
    vessels: HashMap<u32, u32>,
    stats: Stats,
}

/// An open segment's key; its order is the output order among segments due at one time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    /// Hour index (unix ms / 3,600,000).
    hour: i64,
    mmsi: u32,
    part: u32,
}

/// An open segment.
#[derive(Debug)]
struct Open {
    hasher: Sha256,
    fixes: Vec<Raw>,
    first_line: u64,
    last_line: u64,
}

/// A buffered fix.
#[derive(Debug, Clone, Copy)]
struct Raw {
    t_ms: i64,
    lon: f64,
    lat: f64,
    line: u64,
}

impl Segmenter {
    /// A segmenter with these parameters (checked).
    pub fn new(params: Params) -> Result<Segmenter, TrackError> {
        params.check()?;
        Ok(Segmenter {
            params,
            watermark: None,
            open: HashMap::new(),
            due: BTreeMap::new(),
            vessels: HashMap::new(),
            stats: Stats::default(),
        })
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The latest fix time seen, unix ms.
    pub fn watermark(&self) -> Option<i64> {
        self.watermark
    }

    /// Counts of what is held and done.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Adds one fix with its raw bytes (hashed exactly as given) and the 1-based line of its
    /// row; returns the segments this closes (possibly none), in output order. A fix out of range
    /// (non-finite or out-of-range position, time before 1970 or after 9999) is refused and
    /// changes nothing.
    pub fn push(&mut self, fix: &Fix, raw: &[u8], line: u64) -> Result<Vec<Segment>, TrackError> {
        let mut out = Vec::new();
        self.push_into(fix, raw, line, &mut out)?;
        Ok(out)
    }

    /// Adds fixes `(fix, raw, line)` in order, as [`Segmenter::push`] each, appending the
    /// segments they close to `out` in output order. Stops at the first refused fix: the fixes
    /// before it are in, and the segments they closed are in `out`.
    pub fn push_batch<'a, I>(&mut self, batch: I, out: &mut Vec<Segment>) -> Result<(), TrackError>
    where
        I: IntoIterator<Item = (&'a Fix, &'a [u8], u64)>,
    {
        for (fix, raw, line) in batch {
            self.push_into(fix, raw, line, out)?;
        }
        Ok(())
    }

    /// Closes every open segment, in output order.
    pub fn finish(mut self) -> Vec<Segment> {
        let mut out = Vec::new();
        self.close_due(i64::MAX, &mut out);
        out
    }

    fn push_into(
        &mut self,
        fix: &Fix,
        raw: &[u8],
        line: u64,
        out: &mut Vec<Segment>,
    ) -> Result<(), TrackError> {
        check_fix(fix, line)?;
        let w = self.watermark.map_or(fix.t_ms, |w| w.max(fix.t_ms));
        self.watermark = Some(w);
        if self.due.first_key_value().is_some_and(|(&d, _)| d <= w) {
            self.close_due(w, out);
        }
        let hour = fix.t_ms.div_euclid(HOUR_MS);
        let part = part_for(hour, w, self.params.max_lateness_ms);
        let key = Key {
            hour,
            mmsi: fix.mmsi,
            part,
        };
        let open = match self.open.entry(key) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let deadline = deadline(hour, part, self.params.max_lateness_ms);
                self.due.entry(deadline).or_default().push(key);
                *self.vessels.entry(fix.mmsi).or_insert(0) += 1;
                self.stats.open_segments += 1;
                self.stats.live_vessels = self.vessels.len();
                self.stats.peak_open_segments =
                    self.stats.peak_open_segments.max(self.stats.open_segments);
                self.stats.peak_live_vessels =
                    self.stats.peak_live_vessels.max(self.stats.live_vessels);
                v.insert(Open {
                    hasher: Sha256::new(),
                    fixes: Vec::new(),
                    first_line: line,
                    last_line: line,
                })
            }
        };
        open.hasher.update(raw);
        open.fixes.push(Raw {
            t_ms: fix.t_ms,
            lon: fix.lon,
            lat: fix.lat,
            line,
        });
        open.last_line = line;
        self.stats.fixes += 1;
        if part > 0 {
            self.stats.late_fixes += 1;
        }
        self.stats.buffered_fixes += 1;
        self.stats.peak_buffered_fixes = self
            .stats
            .peak_buffered_fixes
            .max(self.stats.buffered_fixes);
        Ok(())
    }

    /// Closes the segments due by `w` into `out`, by (closing time, hour, mmsi, part).
    fn close_due(&mut self, w: i64, out: &mut Vec<Segment>) {
        while let Some(entry) = self.due.first_entry() {
            if *entry.key() > w {
                break;
            }
            let mut keys = entry.remove();
            keys.sort_unstable();
            for key in keys {
                let Some(open) = self.open.remove(&key) else {
                    continue;
                };
                if let Some(n) = self.vessels.get_mut(&key.mmsi) {
                    *n -= 1;
                    if *n == 0 {
                        self.vessels.remove(&key.mmsi);
                    }
                }
                self.stats.open_segments -= 1;
                self.stats.live_vessels = self.vessels.len();
                self.stats.buffered_fixes -= open.fixes.len();
                self.stats.segments += 1;
                out.push(close(key, open, self.params.tolerance_m));
            }
        }
    }
}

/// The part a fix of hour index `hour` joins when the watermark is `w`: the smallest not yet due.
fn part_for(hour: i64, w: i64, lateness: i64) -> u32 {
    let end0 = deadline(hour, 0, lateness);
    if w < end0 {
        0
    } else {
        u32::try_from((w - end0) / HOUR_MS + 1).unwrap_or(u32::MAX)
    }
}

/// When part `part` of hour index `hour` is due: watermark at or past this, unix ms.
fn deadline(hour: i64, part: u32, lateness: i64) -> i64 {
    (hour + 1 + i64::from(part)) * HOUR_MS + lateness
}

fn check_fix(fix: &Fix, line: u64) -> Result<(), TrackError> {
    let bad = |field, value: String, want| {
        Err(TrackError::Fix {
            line,
            field,
            value,
            want,
        })
    };
    if !(-180.0..=180.0).contains(&fix.lon) {
        return bad("longitude", fix.lon.to_string(), "degrees within ±180");
    }
    if !(-90.0..=90.0).contains(&fix.lat) {
        return bad("latitude", fix.lat.to_string(), "degrees within ±90");
    }
    if !(0..=MAX_T_MS).contains(&fix.t_ms) {
        return bad(
            "time",
            format!("{} ms", fix.t_ms),
            "unix milliseconds from 1970 to 9999",
        );
    }
    Ok(())
}

/// A track fix, with what distances from it need.
#[derive(Debug, Clone, Copy)]
struct Tf {
    t: i64,
    lon: f64,
    lat: f64,
    /// Rounded, micro-degrees.
    lon_e6: i32,
    lat_e6: i32,
    /// Metres per degree of longitude and latitude at `lat`, and their derivatives per degree
    /// of latitude.
    kx: f64,
    ky: f64,
    dkx: f64,
    dky: f64,
    line: u64,
    /// Index among the raws given (arrival order).
    index: usize,
    /// An end of an impossible jump: always a point.
    forced: bool,
}

impl Tf {
    fn new(r: &Raw, index: usize) -> Tf {
        let (s, c) = (r.lat * DEG).sin_cos();
        let w = 1.0 - WGS84_E2 * s * s;
        let n = WGS84_A / w.sqrt();
        let m = WGS84_A * (1.0 - WGS84_E2) / (w * w.sqrt());
        Tf {
            t: r.t_ms,
            lon: r.lon,
            lat: r.lat,
            lon_e6: e6(r.lon),
            lat_e6: e6(r.lat),
            // d(N cos φ)/dφ = −M sin φ; dM/dφ = 3 M e² sin φ cos φ / w.
            kx: n * c * DEG,
            ky: m * DEG,
            dkx: -m * s * DEG * DEG,
            dky: 3.0 * m * WGS84_E2 * s * c / w * DEG * DEG,
            line: r.line,
            index,
            forced: false,
        }
    }

    /// The squared distance in metres from this fix to `(lon, lat)`, in the local tangent plane
    /// at their mid-latitude.
    fn d2(&self, lon: f64, lat: f64) -> f64 {
        let dlat = lat - self.lat;
        let half = 0.5 * dlat;
        let x = wrap(lon - self.lon) * (self.kx + self.dkx * half);
        let y = dlat * (self.ky + self.dky * half);
        x * x + y * y
    }
}

/// Micro-degrees, rounded half away from zero.
fn e6(deg: f64) -> i32 {
    (deg * 1e6).round() as i32
}

/// A longitude difference brought within ±180 (for differences within ±540).
fn wrap(d: f64) -> f64 {
    if d > 180.0 {
        d - 360.0
    } else if d < -180.0 {
        d + 360.0
    } else {
        d
    }
}

/// A straight piece of the simplified track, from rounded positions.
struct Edge {
    t0: i64,
    lon0: f64,
    lat0: f64,
    dlon: f64,
    dlat: f64,
    /// 1 / duration in ms (0 for a single point).
    inv: f64,
}

impl Edge {
    fn new(t0: i64, lon0_e6: i32, lat0_e6: i32, t1: i64, lon1_e6: i32, lat1_e6: i32) -> Edge {
        let (lon0, lat0) = (f64::from(lon0_e6) / 1e6, f64::from(lat0_e6) / 1e6);
        let (lon1, lat1) = (f64::from(lon1_e6) / 1e6, f64::from(lat1_e6) / 1e6);
        Edge {
            t0,
            lon0,
            lat0,
            dlon: wrap(lon1 - lon0),
            dlat: lat1 - lat0,
            inv: if t1 > t0 { 1.0 / (t1 - t0) as f64 } else { 0.0 },
        }
    }

    fn between(a: &Tf, b: &Tf) -> Edge {
        Edge::new(a.t, a.lon_e6, a.lat_e6, b.t, b.lon_e6, b.lat_e6)
    }

    /// Squared SED of a track fix from this edge.
    fn d2(&self, p: &Tf) -> f64 {
        let f = (p.t - self.t0) as f64 * self.inv;
        p.d2(self.lon0 + self.dlon * f, self.lat0 + self.dlat * f)
    }
}

/// Distance in metres between two track fixes (for jumps).
fn dist(a: &Tf, b: &Tf) -> f64 {
    b.d2(a.lon, a.lat).sqrt()
}

/// The track fixes of fixes sorted by time (stably), and the flags they raise.
fn analyse(sorted: &[(Raw, usize)]) -> (Vec<Tf>, Flags) {
    let mut track: Vec<Tf> = Vec::with_capacity(sorted.len());
    let mut flags = Flags::default();
    for (r, index) in sorted {
        if let Some(last) = track.last() {
            if last.t == r.t_ms {
                if (e6(r.lon), e6(r.lat)) == (last.lon_e6, last.lat_e6) {
                    flags.duplicates += 1;
                } else {
                    flags.conflicts += 1;
                    flags.first_conflict_line.get_or_insert(r.line);
                }
                continue;
            }
        }
        track.push(Tf::new(r, *index));
    }
    for i in 1..track.len() {
        let (a, b) = (&track[i - 1], &track[i]);
        let dt_s = (b.t - a.t) as f64 / 1000.0;
        if dist(a, b) > JUMP_ALLOWANCE_M + MAX_SPEED_KNOTS * 1852.0 / 3600.0 * dt_s {
            flags.jumps += 1;
            flags.first_jump_line.get_or_insert(b.line);
            track[i - 1].forced = true;
            track[i].forced = true;
        }
    }
    (track, flags)
}

/// Douglas–Peucker with SED over `track` within `tol` metres, the first, last and forced fixes
/// kept; then every fix checked against the result, points added back until all pass. Returns
/// which fixes are points.
fn simplify(track: &[Tf], tol: f64) -> Vec<bool> {
    let n = track.len();
    let tol2 = tol * tol;
    let mut keep: Vec<bool> = track.iter().map(|f| f.forced).collect();
    if n == 0 {
        return keep;
    }
    keep[0] = true;
    keep[n - 1] = true;
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut prev = 0;
    for (i, &k) in keep.iter().enumerate().skip(1) {
        if k {
            if i - prev > 1 {
                stack.push((prev, i));
            }
            prev = i;
        }
    }
    while let Some((i, j)) = stack.pop() {
        let Some((k, worst)) = farthest(track, i, j) else {
            continue;
        };
        if worst <= tol2 {
            continue;
        }
        keep[k] = true;
        let len = j - i;
        let mut cuts = [i, k, j, j];
        let mut m = 3;
        if len > BALANCE_MIN_LEN && (k - i).min(j - k) < len / 8 {
            let mid = i + len / 2;
            keep[mid] = true;
            cuts = if mid < k {
                [i, mid, k, j]
            } else {
                [i, k, mid, j]
            };
            m = 4;
        }
        for w in cuts[..m].windows(2) {
            if w[1] - w[0] > 1 {
                stack.push((w[0], w[1]));
            }
        }
    }
    // The check is the guarantee: every fix against the final track.
    loop {
        let mut added = false;
        let mut a = 0;
        for b in 1..n {
            if !keep[b] {
                continue;
            }
            if let Some((k, worst)) = farthest(track, a, b) {
                if worst > tol2 {
                    keep[k] = true;
                    added = true;
                }
            }
            a = b;
        }
        if !added {
            return keep;
        }
    }
}

/// The fix strictly between `i` and `j` farthest (squared SED) from the edge `i`–`j`.
fn farthest(track: &[Tf], i: usize, j: usize) -> Option<(usize, f64)> {
    let edge = Edge::between(&track[i], &track[j]);
    let mut best: Option<(usize, f64)> = None;
    for (k, p) in track.iter().enumerate().take(j).skip(i + 1) {
        let d = edge.d2(p);
        if best.is_none_or(|(_, b)| d > b) {
            best = Some((k, d));
        }
    }
    best
}

/// Closes an open segment.
fn close(key: Key, open: Open, tolerance_m: f64) -> Segment {
    let Open {
        hasher,
        fixes,
        first_line,
        last_line,
    } = open;
    let count = fixes.len() as u64;
    let mut sorted: Vec<(Raw, usize)> = fixes.into_iter().zip(0..).collect();
    if !sorted.is_sorted_by_key(|(r, _)| r.t_ms) {
        sorted.sort_by_key(|(r, _)| r.t_ms);
    }
    let (track, flags) = analyse(&sorted);
    drop(sorted);
    let keep = simplify(&track, tolerance_m - MARGIN_M);
    let points = track
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(f, _)| Point {
            t_ms: f.t,
            lon_e6: f.lon_e6,
            lat_e6: f.lat_e6,
        })
        .collect();
    Segment {
        mmsi: key.mmsi,
        hour: key.hour * 3600,
        part: key.part,
        points,
        fixes: count,
        sha256: hasher.finalize().into(),
        first_line,
        last_line,
        tolerance_m,
        flags,
    }
}

/// What a verifier runs: checks a segment against its raw rows, given in arrival order as they
/// were pushed. Checks the count and the SHA-256 of the concatenated raw bytes; that every fix is
/// of the segment's MMSI and hour; the flag counts (not their lines: rows carry none here); that
/// the points are track fixes (rounded), strictly increasing in time, with the first and last
/// track fixes and both ends of every impossible jump among them; and that every track fix is
/// within the segment's tolerance of the simplified track at its time (a tolerance out of the
/// range [`Params`] allows is refused).
pub fn verify(segment: &Segment, raws: &[(&Fix, &[u8])]) -> Result<(), TrackError> {
    let id = segment.id();
    Params {
        tolerance_m: segment.tolerance_m,
        ..Params::default()
    }
    .check()?;
    if raws.len() as u64 != segment.fixes {
        return Err(TrackError::Count {
            id,
            expected: segment.fixes,
            got: raws.len() as u64,
            first_line: segment.first_line,
            last_line: segment.last_line,
        });
    }
    let mut hasher = Sha256::new();
    for (_, raw) in raws {
        hasher.update(raw);
    }
    let got: [u8; 32] = hasher.finalize().into();
    if got != segment.sha256 {
        return Err(TrackError::Hash {
            id,
            expected: segment.sha256_hex(),
            got: hex(&got),
        });
    }
    let mut sorted = Vec::with_capacity(raws.len());
    for (index, (fix, _)) in raws.iter().enumerate() {
        let outside = TrackError::Outside {
            id,
            index,
            mmsi: fix.mmsi,
            t_ms: fix.t_ms,
        };
        check_fix(fix, index as u64).map_err(|_| outside.clone())?;
        if fix.mmsi != segment.mmsi || fix.t_ms.div_euclid(HOUR_MS) * 3600 != segment.hour {
            return Err(outside);
        }
        let raw = Raw {
            t_ms: fix.t_ms,
            lon: fix.lon,
            lat: fix.lat,
            line: 0,
        };
        sorted.push((raw, index));
    }
    sorted.sort_by_key(|(r, _)| r.t_ms);
    let (track, flags) = analyse(&sorted);
    for (field, s, r) in [
        ("duplicates", segment.flags.duplicates, flags.duplicates),
        ("conflicts", segment.flags.conflicts, flags.conflicts),
        ("jumps", segment.flags.jumps, flags.jumps),
    ] {
        if s != r {
            return Err(TrackError::Flags {
                id,
                field,
                segment: s,
                recomputed: r,
            });
        }
    }
    let bad = |why: String| Err(TrackError::Points { id, why });
    let pts = &segment.points;
    let (Some(first), Some(last)) = (track.first(), track.last()) else {
        return bad("it has no raw fixes".into());
    };
    if pts.first().map(|p| p.t_ms) != Some(first.t) || pts.last().map(|p| p.t_ms) != Some(last.t) {
        return bad("its first and last points are not the first and last raw fixes".into());
    }
    // Walk points and track fixes together: each point a track fix, each forced fix a point.
    let mut k = 0;
    for (i, p) in pts.iter().enumerate() {
        if i > 0 && p.t_ms <= pts[i - 1].t_ms {
            return bad(format!("point {i} is not later than point {}", i - 1));
        }
        while k < track.len() && track[k].t < p.t_ms {
            if track[k].forced {
                return bad(format!(
                    "raw fix {} ends an impossible jump but is not a point",
                    track[k].index
                ));
            }
            k += 1;
        }
        match track.get(k) {
            Some(f) if f.t == p.t_ms && (f.lon_e6, f.lat_e6) == (p.lon_e6, p.lat_e6) => k += 1,
            _ => {
                return bad(format!(
                    "point {i} ({} ms, {}, {}) is not a raw fix of the segment (rounded to 1e-6°)",
                    p.t_ms, p.lon_e6, p.lat_e6
                ))
            }
        }
    }
    let tol2 = segment.tolerance_m * segment.tolerance_m;
    let mut e = 0;
    let mut edge = edge_at(pts, 0);
    for f in &track {
        while e + 2 < pts.len() && pts[e + 1].t_ms < f.t {
            e += 1;
            edge = edge_at(pts, e);
        }
        let d2 = edge.d2(f);
        if d2 > tol2 || d2.is_nan() {
            return Err(TrackError::Tolerance {
                id,
                index: f.index,
                t_ms: f.t,
                distance_m: d2.sqrt(),
                tolerance_m: segment.tolerance_m,
            });
        }
    }
    Ok(())
}

/// The edge from point `e` to point `e + 1` (or the single point).
fn edge_at(pts: &[Point], e: usize) -> Edge {
    let a = pts[e];
    let b = pts.get(e + 1).copied().unwrap_or(a);
    Edge::new(a.t_ms, a.lon_e6, a.lat_e6, b.t_ms, b.lon_e6, b.lat_e6)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn raw(t_ms: i64, lon: f64, lat: f64, line: u64) -> Raw {
        Raw {
            t_ms,
            lon,
            lat,
            line,
        }
    }

    fn tf(t_ms: i64, lon: f64, lat: f64) -> Tf {
        Tf::new(&raw(t_ms, lon, lat, 0), 0)
    }

    fn fix(mmsi: u32, t_ms: i64, lon: f64, lat: f64) -> Fix {
        Fix {
            mmsi,
            t_ms,
            lon,
            lat,
            sog_knots: None,
            cog_deg: None,
            heading_deg: None,
            nav_status: None,
            class: None,
        }
    }

    const H0: i64 = 1_718_000_000_000 / HOUR_MS * HOUR_MS;

    #[test]
    fn params_are_checked() {
        assert_eq!(Params::default().check(), Ok(()));
        for tol in [0.5, 12.3456, f64::NAN, f64::INFINITY, 100_001.0] {
            let p = Params {
                tolerance_m: tol,
                ..Params::default()
            };
            let e = Segmenter::new(p).map(|_| ()).unwrap_err();
            assert!(e.to_string().contains("tolerance_m"), "{e}");
        }
        assert!(Params {
            tolerance_m: 12.345,
            ..Params::default()
        }
        .check()
        .is_ok());
        let p = Params {
            max_lateness_ms: -1,
            ..Params::default()
        };
        assert!(p
            .check()
            .unwrap_err()
            .to_string()
            .contains("max_lateness_ms"));
    }

    #[test]
    fn parts_number_whole_hours_past_the_close() {
        let l = 600_000;
        let h = H0 / HOUR_MS;
        let end0 = H0 + HOUR_MS + l;
        assert_eq!(part_for(h, H0, l), 0);
        assert_eq!(part_for(h, end0 - 1, l), 0);
        assert_eq!(part_for(h, end0, l), 1);
        assert_eq!(part_for(h, end0 + HOUR_MS - 1, l), 1);
        assert_eq!(part_for(h, end0 + 3 * HOUR_MS, l), 4);
        for w in [end0, end0 + 5, end0 + 7 * HOUR_MS + 3] {
            let p = part_for(h, w, l);
            assert!(deadline(h, p, l) > w);
            assert!(deadline(h, p - 1, l) <= w);
        }
    }

    #[test]
    fn local_distances_match_known_degree_lengths() {
        // One degree of latitude at 45°: 111,131.78 m; of longitude: 78,846.84 m (WGS84).
        let p = tf(0, 10.0, 44.9995);
        let d = p.d2(10.0, 45.0005).sqrt();
        assert!((d - 111.1318).abs() < 0.0001, "{d}");
        let p = tf(0, 10.0, 45.0);
        assert!((p.d2(10.001, 45.0).sqrt() - 78.8468).abs() < 0.0001);
        // Across the antimeridian, the short way round.
        let p = tf(0, 179.9995, 0.0);
        let d = p.d2(-179.9995, 0.0).sqrt();
        assert!((d - 111.319).abs() < 0.001, "{d}");
    }

    proptest! {
        #[test]
        fn local_distance_is_within_a_millimetre_of_the_geodesic_to_1_km(
            lon in -180.0f64..180.0,
            lat in -85.0f64..85.0,
            bearing in 0.0f64..360.0,
            d in 0.0f64..1000.0,
        ) {
            // A second position roughly d metres away.
            let (s, c) = (bearing * DEG).sin_cos();
            let lat2 = (lat + d * c / 111_000.0).clamp(-85.0, 85.0);
            let lon2 = wrap(lon + d * s / (111_000.0 * (lat * DEG).cos()));
            let local = tf(0, lon, lat).d2(lon2, lat2).sqrt();
            let geodesic = truce_geo::distance_m([lon, lat], [lon2, lat2]);
            prop_assert!((local - geodesic).abs() < 0.001, "{local} vs {geodesic}");
        }
    }

    #[test]
    fn same_time_fixes_are_duplicates_or_conflicts() {
        let sorted: Vec<(Raw, usize)> = [
            raw(1000, 10.0, 55.0, 1),
            raw(1000, 10.0000001, 55.0, 2),
            raw(1000, 10.01, 55.0, 3),
            raw(2000, 10.0, 55.0, 4),
            raw(2000, 10.02, 55.0, 5),
        ]
        .into_iter()
        .zip(0..)
        .collect();
        let (track, flags) = analyse(&sorted);
        assert_eq!(track.len(), 2);
        assert_eq!(track[0].line, 1);
        assert_eq!(flags.duplicates, 1);
        assert_eq!(flags.conflicts, 2);
        assert_eq!(flags.first_conflict_line, Some(3));
        assert_eq!(flags.jumps, 0);
    }

    #[test]
    fn jumps_need_both_speed_and_distance() {
        // 150 m in one second: GNSS noise, not a jump. 250 m in one second: a jump. 10 km in
        // ten minutes (32 knots): fine.
        let dlat = |m: f64| m / 111_250.0;
        let sorted: Vec<(Raw, usize)> = [
            raw(0, 10.0, 55.0, 1),
            raw(1000, 10.0, 55.0 + dlat(150.0), 2),
            raw(2000, 10.0, 55.0 + dlat(400.0), 3),
            raw(602_000, 10.0, 55.0 + dlat(10_400.0), 4),
        ]
        .into_iter()
        .zip(0..)
        .collect();
        let (track, flags) = analyse(&sorted);
        assert_eq!(flags.jumps, 1);
        assert_eq!(flags.first_jump_line, Some(3));
        let forced: Vec<bool> = track.iter().map(|f| f.forced).collect();
        assert_eq!(forced, [false, true, true, false]);
    }

    fn track_of(points: &[(i64, f64, f64)]) -> Vec<Tf> {
        points
            .iter()
            .map(|&(t, lon, lat)| tf(t, lon, lat))
            .collect()
    }

    fn max_sed(track: &[Tf], keep: &[bool]) -> f64 {
        let kept: Vec<&Tf> = track
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(f, _)| f)
            .collect();
        let mut worst: f64 = 0.0;
        for f in track {
            let e = kept.partition_point(|k| k.t < f.t).clamp(1, kept.len() - 1);
            worst = worst.max(Edge::between(kept[e - 1], kept[e]).d2(f).sqrt());
        }
        worst
    }

    #[test]
    fn a_straight_track_keeps_its_ends_and_a_zigzag_keeps_everything() {
        let straight: Vec<(i64, f64, f64)> = (0..500)
            .map(|i| (i * 7_000, 10.0 + i as f64 * 1e-4, 55.0 + i as f64 * 5e-5))
            .collect();
        let keep = simplify(&track_of(&straight), 50.0);
        assert_eq!(keep.iter().filter(|k| **k).count(), 2);
        // 100 m either side of a line: every fix is a point.
        let zigzag: Vec<(i64, f64, f64)> = (0..50)
            .map(|i| {
                (
                    i * 10_000,
                    10.0 + i as f64 * 1e-3,
                    55.0 + if i % 2 == 0 { 9e-4 } else { 0.0 },
                )
            })
            .collect();
        let track = track_of(&zigzag);
        let keep = simplify(&track, 50.0);
        assert!(keep.iter().all(|k| *k));
        assert!(max_sed(&track, &keep) == 0.0);
    }

    #[test]
    fn time_matters_not_only_space() {
        // A vessel that waits halfway along a straight line: in space the waiting fix is on the
        // line, in time it is far from where the line puts the vessel then.
        let track = track_of(&[
            (0, 10.0, 55.0),
            (60_000, 10.005, 55.0),
            (3_000_000, 10.005, 55.0),
            (3_060_000, 10.01, 55.0),
        ]);
        let keep = simplify(&track, 50.0);
        assert_eq!(keep, [true, true, true, true]);
    }

    #[test]
    fn adversarial_tracks_stay_within_tolerance() {
        // Fixes drifting away one by one near the end of a long range: the farthest fix is always
        // at the end, which the balancing split guards against.
        let pts: Vec<(i64, f64, f64)> = (0..3000)
            .map(|i| {
                let lat = 55.0
                    + if i > 2900 {
                        (i - 2900) as f64 * 1e-3
                    } else {
                        0.0
                    };
                (i * 1000, 10.0, lat)
            })
            .collect();
        let track = track_of(&pts);
        let keep = simplify(&track, 50.0);
        assert!(max_sed(&track, &keep) <= 50.0);
        assert!(keep.iter().filter(|k| **k).count() < 120);
    }

    #[test]
    fn late_fixes_open_later_parts() {
        let mut s = Segmenter::new(Params::default()).unwrap();
        let mut out = Vec::new();
        out.extend(s.push(&fix(1, H0 + 1000, 10.0, 55.0), b"a\n", 1).unwrap());
        // Another vessel moves the watermark past hour H0's close (end + 10 minutes).
        out.extend(
            s.push(&fix(2, H0 + HOUR_MS + 600_000, 11.0, 55.0), b"b\n", 2)
                .unwrap(),
        );
        assert_eq!(out.len(), 1);
        out.extend(s.push(&fix(1, H0 + 2000, 10.0, 55.0), b"c\n", 3).unwrap());
        out.extend(s.push(&fix(1, H0 + 3000, 10.0, 55.0), b"d\n", 4).unwrap());
        assert_eq!(s.stats().late_fixes, 2);
        out.extend(s.finish());
        let ids: Vec<(u32, i64, u32, u64)> = out
            .iter()
            .map(|g| (g.mmsi, g.hour, g.part, g.fixes))
            .collect();
        let h = H0 / 1000;
        assert_eq!(ids, [(1, h, 0, 1), (1, h, 1, 2), (2, h + 3600, 0, 1)]);
        assert_eq!((out[1].first_line, out[1].last_line), (3, 4));
    }

    #[test]
    fn bad_fixes_are_refused_with_their_line() {
        let mut s = Segmenter::new(Params::default()).unwrap();
        for (f, field) in [
            (fix(1, H0, 181.0, 0.0), "longitude"),
            (fix(1, H0, 0.0, f64::NAN), "latitude"),
            (fix(1, -1, 0.0, 0.0), "time"),
        ] {
            let e = s.push(&f, b"x", 17).unwrap_err();
            let m = e.to_string();
            assert!(m.contains("line 17") && m.contains(field), "{m}");
        }
        assert_eq!(s.stats().fixes, 0);
        assert!(s.finish().is_empty());
    }

    fn sample() -> Segment {
        let mut s = Segmenter::new(Params::default()).unwrap();
        for i in 0..10 {
            let lat = 55.0 + if i == 5 { 0.01 } else { 0.0 };
            s.push(
                &fix(7, H0 + i * 10_000, 10.0 + i as f64 * 1e-4, lat),
                b"r",
                i as u64 + 1,
            )
            .unwrap();
        }
        s.push(&fix(7, H0 + 20_000, 10.3, 55.0), b"c", 11).unwrap();
        s.push(&fix(7, H0 + 30_000, 10.0003, 55.0), b"d", 12)
            .unwrap();
        let mut out = s.finish();
        assert_eq!(out.len(), 1);
        out.remove(0)
    }

    #[test]
    fn json_round_trips_and_is_canonical() {
        let seg = sample();
        assert_eq!(seg.flags.jumps, 2);
        assert_eq!(seg.flags.conflicts, 1);
        assert_eq!(seg.flags.duplicates, 1);
        let json = seg.to_json();
        assert!(json.starts_with(
            "{\"fixes\":12,\"flags\":{\"conflicts\":1,\"duplicates\":1,\"first_conflict_line\":11,\"first_jump_line\":6,\"jumps\":2},\"hour\":"
        ), "{json}");
        assert_eq!(Segment::from_json(json.as_bytes()), Ok(seg.clone()));
        // serde_json's map is sorted: re-encoding the value changes nothing.
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), json);
        let mut clean = seg.clone();
        clean.flags = Flags::default();
        assert!(clean.to_json().contains("\"flags\":{}"));
        assert_eq!(Segment::from_json(clean.to_json().as_bytes()), Ok(clean));
    }

    #[test]
    fn json_other_than_canonical_is_refused() {
        let json = sample().to_json();
        let cases = [
            json.replacen("{\"fixes\"", "{ \"fixes\"", 1),
            json.replacen("\"jumps\":2", "\"jumps\":2,\"x\":1", 1),
            json.replacen("\"conflicts\":1,", "\"conflicts\":1,\"conflicts\":1,", 1),
            json.replacen("\"flags\":{", "\"flags\":{\"jumps\":0,", 1),
            json.replacen("\"points\":[0,", "\"points\":[3600000,", 1),
            json.replacen("\"points\":[0,", "\"points\":[0,1,", 1),
            json.replacen("\"tol_mm\":50000", "\"tol_mm\":5", 1),
            json.replacen("\"sha256\":\"", "\"sha256\":\"A", 1),
            json.replacen("\"points\":[0,", "\"points\":[50000,", 1),
        ];
        for bad in cases {
            assert_ne!(bad, json);
            let e = Segment::from_json(bad.as_bytes()).unwrap_err();
            assert!(matches!(e, TrackError::Json { .. }), "{bad}: {e}");
        }
    }
}

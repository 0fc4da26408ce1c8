//! The map at any scale: `GET /v1/map/cells` (points counted per Web-Mercator tile, and the
//! points themselves once few enough) and `GET /v1/map/days` (points counted per UTC day, for the
//! timeline), over the incidents (`layer=incidents`) or the background detections
//! (`layer=background`: sensor detections in no incident).
//!
//! **An index in memory per views stamp.** Nothing scans SQLite per request: the first request
//! for a stamp of the views (or for an `as_of` size) reads the layer's rows from `views.db` once,
//! on the blocking pool, into a columnar [`IncidentIndex`] or [`BackgroundIndex`] — longitude,
//! latitude, the point's tile at zoom 20, day, start, and per layer the filtered columns
//! (incidents: grade, parties blamed, acts as a bitmask, routine, disputed, and the outcome under
//! every agreement × reading from the findings; background: source and routine) — sorted by the
//! tile's x so a box reads only the points of its longitudes. About 60 bytes a point for
//! background detections, 100 for incidents (which keep what their features show; a background
//! detection's feature is read back from `views.db` by primary key, `seq`, in one read
//! transaction that checks the stamp, at most [`THRESHOLD`] rows). Requests scan those arrays
//! with their filters. The indexes are cached in [`MapCache`] (in `AppState`):
//! the two latest stamps of the current views and two `as_of` sizes; the build is single-flight
//! (concurrent requests wait for one build, which completes even if they disconnect).
//! The views are brought up to date first exactly as for `/v1/incidents` (`Views::current`), and
//! `as_of` answers as known at an earlier log size as `/v1/incidents?as_of=` does.
//!
//! **Cells.** `zoom` is the map's (Leaflet's) zoom, 0–22, a fraction rounded down; points are
//! counted in the slippy-map tiles at `cell_zoom = min(zoom + 3, 20)` (a cell is an eighth of a
//! 256-pixel tile's side, 32 pixels at that zoom). Each point inside `bbox` (edges included: the
//! predicate of `/v1/incidents?bbox=`, one definition, `query::in_bbox`) is counted once, in the
//! tile that holds it; latitudes beyond ±85.0511° (Web Mercator's limit) count in the first or
//! last row. A request whose box covers more than [`MAX_CELLS`] tiles at `cell_zoom` is refused
//! (400 naming `bbox`). Only cells with points are listed, in rows from north to south, west to
//! east: `{key: "z/x/y", bbox: [w,s,e,n], center: [lon,lat] (the mean of its points), count,
//! by_grade, by_outcome, routine}` (coordinates rounded to 7 decimals, zero counts left out).
//! `by_grade`: incidents by occurrence grade; `by_outcome`: incidents by outcome (`breach`,
//! `no_breach`, `out_of_scope`, `undetermined`, `none`: no finding) under the `agreement` and
//! `reading` given, empty without them; `routine`: routine points (incidents all of whose
//! reports are routine; background detections at a persistent hot spot). Background cells have
//! empty `by_grade` and `by_outcome`.
//!
//! **Features.** When `total` (the points counted) is at most [`THRESHOLD`], `features` is a
//! GeoJSON FeatureCollection of the points, light: incidents `{id, start, end, day, occurrence,
//! routine, disputed, parties (the first 8 blamed), acts, outcome, standing, words}` (`outcome`,
//! `standing` and `words` under the reading given, `none` without a finding, `null` without a
//! reading), background detections `{entry_id, author, id, start, day, routine}`; in the layer's
//! order (incidents by start then id; detections by start then log index). Else `features` is
//! `null`.
//!
//! **Filters**, as elsewhere: `from`, `to` (a UTC day or an RFC 3339 instant, on the start);
//! incidents: `party` (a party blamed), `occurrence`, `kind` (an act; `strike` includes drone and
//! missile strikes and shelling), `agreement` + `reading` (both or neither), `outcome` (needs
//! them: `breach`, `no_breach`, `out_of_scope`, `undetermined`, the dashboard's words
//! `established breach`, `corroborated breach`, `alleged breach`, `no breach`, `out of scope`,
//! or `none` for no finding); background: `source` (the detection's author), `routine`
//! (`true`/`false`). A filter of the other layer, an unknown or a malformed parameter is a 400
//! naming it.
//!
//! **Bounds.** A cell is at most [`CELL_MAX_BYTES`] bytes of JSON and a feature at most
//! [`FEATURE_MAX_BYTES`] (strings from the log are at most 64 bytes, a routine description is
//! cut at 256); with at most [`MAX_CELLS`] cells, or at most [`THRESHOLD`] cells and features,
//! an answer of `/v1/map/cells` is at most [`MAX_RESPONSE_BYTES`] (4,097,024 bytes; the unit
//! tests check the worst cell and feature against their bounds, `tests/map.rs` every answer). `/v1/map/days` lists at most
//! [`MAX_DAYS`] days (a 400 naming `from` beyond; each day at most [`CELL_MAX_BYTES`]).

use crate::access::Caller;
use crate::error::ApiError;
use crate::query::{self, Bound, Params, RawQuery, TimeRange, Which};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use jiff::civil::Date;
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use truce_engine::{act_name, Grade, Outcome, Standing};
use truce_model::domain::Act;
use truce_views::db::{
    in_bbox, BackgroundFilter, BackgroundRow, FindingFilter, IncidentFilter, ViewStamp, ViewStore,
};
use truce_views::filters::{Field, Known};

/// At most this many points are returned as features (`features` is `null` above it).
pub const THRESHOLD: usize = 2000;
/// The most cells (tiles at `cell_zoom` covering the box) a request may cover.
pub const MAX_CELLS: u64 = 4096;
/// Cells are tiles this many zoom levels below the map's zoom.
pub const CELL_ZOOM_OFFSET: u32 = 3;
/// The finest cells: tiles at zoom 20.
pub const MAX_CELL_ZOOM: u32 = 20;
/// The largest map zoom accepted.
pub const MAX_ZOOM: f64 = 22.0;
/// The most days `/v1/map/days` lists.
pub const MAX_DAYS: usize = 3660;
/// A feature lists at most this many parties blamed.
pub const FEATURE_PARTIES: usize = 8;
/// A routine description in a feature is cut at this many bytes.
pub const FEATURE_TEXT: usize = 256;
/// The most bytes of one cell (or one day) of an answer.
pub const CELL_MAX_BYTES: usize = 512;
/// The most bytes of one feature of an answer.
pub const FEATURE_MAX_BYTES: usize = 1536;
/// Everything of an answer but its cells and features.
pub const ENVELOPE_MAX_BYTES: usize = 1024;
/// The most bytes of an answer of `/v1/map/cells`.
pub const MAX_RESPONSE_BYTES: usize = ENVELOPE_MAX_BYTES
    + if MAX_CELLS as usize * CELL_MAX_BYTES > THRESHOLD * (CELL_MAX_BYTES + FEATURE_MAX_BYTES) {
        MAX_CELLS as usize * CELL_MAX_BYTES
    } else {
        THRESHOLD * (CELL_MAX_BYTES + FEATURE_MAX_BYTES)
    };

/// Web Mercator's latitude limit (degrees).
const MAX_LAT: f64 = 85.051_128_779_806_59;
/// Zoom of the tiles kept per point.
const Z: u32 = MAX_CELL_ZOOM;

// ───────────────────────────── tiles ─────────────────────────────

/// The tile column of `lon` at zoom 20.
pub fn tile_x(lon: f64) -> u32 {
    let n = f64::from(1u32 << Z);
    let v = ((lon + 180.0) / 360.0 * n).floor();
    v.clamp(0.0, n - 1.0) as u32
}

/// The tile row of `lat` at zoom 20 (0 in the north; beyond ±85.0511° the first or last row).
pub fn tile_y(lat: f64) -> u32 {
    let n = f64::from(1u32 << Z);
    let l = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let v = ((1.0 - l.tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor();
    if v.is_nan() {
        return 0;
    }
    v.clamp(0.0, n - 1.0) as u32
}

/// The box `[w, s, e, n]` of tile `x`, `y` at zoom `z`.
pub fn tile_bbox(z: u32, x: u32, y: u32) -> [f64; 4] {
    let n = f64::from(1u32 << z);
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| {
        (std::f64::consts::PI * (1.0 - 2.0 * y / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    [
        lon(f64::from(x)),
        lat(f64::from(y) + 1.0),
        lon(f64::from(x) + 1.0),
        lat(f64::from(y)),
    ]
}

// ───────────────────────────── the index ─────────────────────────────

/// Why an index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    /// The views database failed.
    #[error(transparent)]
    Store(#[from] truce_views::db::DbError),
    /// A stored row is not what the engine writes.
    #[error("a stored view is unreadable: {0} (views are derived: run `truce rebuild`)")]
    Unreadable(String),
    /// The views kept changing while they were read.
    #[error("the views changed while the map index was read; retry")]
    Changing,
}

impl From<MapError> for ApiError {
    fn from(e: MapError) -> ApiError {
        match e {
            MapError::Changing => ApiError::unavailable(e.to_string()),
            other => ApiError::internal(other),
        }
    }
}

/// The columns every layer has, one entry per point, sorted by `tx` (then by `seq`).
#[derive(Default)]
struct Points {
    lon: Vec<f64>,
    lat: Vec<f64>,
    /// Tile column and row at zoom 20.
    tx: Vec<u32>,
    ty: Vec<u32>,
    /// Index into `days`.
    day: Vec<u32>,
    start: Vec<Timestamp>,
    /// Position in the layer's order (incidents by start then id; detections by start then
    /// log index): `seq` of the views' row minus one.
    seq: Vec<u32>,
    /// The distinct days, ascending.
    days: Vec<Date>,
}

impl Points {
    fn len(&self) -> usize {
        self.lon.len()
    }

    /// The permutation sorting points by `(tx, seq)`.
    fn order(&self) -> Vec<u32> {
        let mut o: Vec<u32> = (0..self.len() as u32).collect();
        o.sort_unstable_by_key(|&i| (self.tx[i as usize], self.seq[i as usize]));
        o
    }

    fn permute(&mut self, o: &[u32]) {
        self.lon = permute(&self.lon, o);
        self.lat = permute(&self.lat, o);
        self.tx = permute(&self.tx, o);
        self.ty = permute(&self.ty, o);
        self.day = permute(&self.day, o);
        self.start = permute(&self.start, o);
        self.seq = permute(&self.seq, o);
    }

    /// Appends a point (its day as a date: `finish_days` turns the dates into indexes).
    fn push(&mut self, lon: f64, lat: f64, start: Timestamp, seq: u32) {
        self.lon.push(lon);
        self.lat.push(lat);
        self.tx.push(tile_x(lon));
        self.ty.push(tile_y(lat));
        self.start.push(start);
        self.seq.push(seq);
    }

    /// Sets the day indexes from each point's date.
    fn finish_days(&mut self, dates: Vec<Date>) {
        let mut days = dates.clone();
        days.sort_unstable();
        days.dedup();
        self.day = dates
            .iter()
            .map(|d| days.partition_point(|x| x < d) as u32)
            .collect();
        self.days = days;
    }

    /// The positions of the points whose longitude may be in `[w, e]` (a superset: the tile
    /// columns are monotonic in the longitude).
    fn range(&self, bbox: Option<[f64; 4]>) -> std::ops::Range<usize> {
        match bbox {
            None => 0..self.len(),
            Some(b) => {
                let (x0, x1) = (tile_x(b[0]), tile_x(b[2]));
                self.tx.partition_point(|&x| x < x0)..self.tx.partition_point(|&x| x <= x1)
            }
        }
    }

    fn bytes(&self) -> usize {
        self.len() * (8 + 8 + 4 + 4 + 4 + std::mem::size_of::<Timestamp>() + 4)
    }
}

fn permute<T: Copy>(v: &[T], o: &[u32]) -> Vec<T> {
    o.iter().map(|&i| v[i as usize]).collect()
}

/// Strings interned as small numbers.
#[derive(Default)]
struct Interner {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interner {
    fn get(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
    fn find(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }
}

/// The acts, as bits of a mask (the order of `truce_model::domain::Act`).
const ACTS: [Act; 9] = [
    Act::Strike,
    Act::DroneStrike,
    Act::MissileStrike,
    Act::Shelling,
    Act::Sabotage,
    Act::AttackOnVessels,
    Act::GroundAssault,
    Act::FireObserved,
    Act::Violence,
];

fn act_bit(a: Act) -> u16 {
    ACTS.iter().position(|x| *x == a).map_or(0, |i| 1u16 << i)
}

/// The acts a `kind` filter matches (`strike` includes its kinds), as a mask.
fn act_mask(general: Act) -> u16 {
    ACTS.iter()
        .filter(|a| a.is_a(&general))
        .fold(0, |m, a| m | act_bit(*a))
}

/// An outcome under a reading, as a byte: 0 no finding, else `1 + outcome × 3 + standing`
/// (`Outcome::ALL` and `Standing::ALL` orders).
fn outcome_code(o: Outcome, s: Standing) -> u8 {
    let oi = Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0) as u8;
    let si = Standing::ALL.iter().position(|x| *x == s).unwrap_or(0) as u8;
    1 + oi * 3 + si
}

fn outcome_of(code: u8) -> Option<(Outcome, Standing)> {
    let c = code.checked_sub(1)? as usize;
    Some((*Outcome::ALL.get(c / 3)?, *Standing::ALL.get(c % 3)?))
}

/// The keys of `by_outcome`, by index: the outcomes, then `none`.
const OUTCOME_KEYS: [&str; 5] = [
    "breach",
    "no_breach",
    "out_of_scope",
    "undetermined",
    "none",
];

fn outcome_slot(code: u8) -> usize {
    match code.checked_sub(1) {
        Some(c) => usize::from(c / 3).min(3),
        None => 4,
    }
}

/// The incidents of one views stamp, in memory.
pub struct IncidentIndex {
    stamp: Option<ViewStamp>,
    log_size: u64,
    pts: Points,
    /// Occurrence grade (`Grade::ALL` index).
    grade: Vec<u8>,
    /// Bit 0: routine; bit 1: disputed.
    flags: Vec<u8>,
    acts: Vec<u16>,
    /// Parties blamed: `party_ids[party_off[i]..party_off[i + 1]]`.
    party_off: Vec<u32>,
    party_ids: Vec<u32>,
    parties: Interner,
    /// Ids: `id_text[id_off[i]..id_off[i + 1]]`.
    id_off: Vec<u32>,
    id_text: String,
    end: Vec<Timestamp>,
    /// Outcome codes per agreement × reading.
    outcomes: HashMap<(String, String), Vec<u8>>,
}

/// The background detections of one views stamp, in memory.
pub struct BackgroundIndex {
    stamp: Option<ViewStamp>,
    log_size: u64,
    /// The views file it was read from (features are read back from it by `seq`).
    path: PathBuf,
    pts: Points,
    /// Log index of each detection's entry (checked when its feature is read back).
    entry_index: Vec<u64>,
    source: Vec<u32>,
    sources: Interner,
    /// At a persistent hot spot.
    routine: Vec<bool>,
}

#[derive(Deserialize)]
struct HeadRow {
    id: String,
    start: String,
    end: String,
    day: String,
    point: [f64; 2],
    occurrence: Grade,
    disputed: bool,
    acts: Vec<Act>,
    alleged: Vec<Named>,
    routine: bool,
}

#[derive(Deserialize)]
struct Named {
    party: String,
}

#[derive(Deserialize)]
struct FindingHead {
    incident: String,
    agreement: String,
    reading: String,
    outcome: Outcome,
    standing: Standing,
}

fn timestamp(s: &str) -> Result<Timestamp, MapError> {
    s.parse::<Timestamp>()
        .map_err(|e| MapError::Unreadable(format!("time {s:?}: {e}")))
}

fn date(s: &str) -> Result<Date, MapError> {
    s.parse::<Date>()
        .map_err(|e| MapError::Unreadable(format!("day {s:?}: {e}")))
}

/// Reads `f` from one state of the views: the stamp is read before and after, and the read is
/// repeated (three times at most) when the views were replaced meanwhile.
fn consistent<T>(
    v: &ViewStore,
    mut f: impl FnMut(&ViewStore) -> Result<T, MapError>,
) -> Result<(Option<ViewStamp>, T), MapError> {
    for _ in 0..3 {
        let before = v.stamp()?;
        let t = f(v)?;
        if v.stamp()? == before {
            return Ok((before, t));
        }
    }
    Err(MapError::Changing)
}

impl IncidentIndex {
    /// Reads every incident and finding of `v` (one state of the views) into memory.
    pub fn build(v: &ViewStore) -> Result<IncidentIndex, MapError> {
        let (stamp, mut ix) = consistent(v, Self::read)?;
        ix.log_size = stamp.as_ref().map_or(0, |s| s.log_size);
        ix.stamp = stamp;
        Ok(ix)
    }

    fn read(v: &ViewStore) -> Result<IncidentIndex, MapError> {
        let mut pts = Points::default();
        let mut dates = Vec::new();
        let mut grade = Vec::new();
        let mut flags = Vec::new();
        let mut acts = Vec::new();
        let mut party_off = vec![0u32];
        let mut party_ids = Vec::new();
        let mut parties = Interner::default();
        let mut id_off = vec![0u32];
        let mut id_text = String::new();
        let mut end = Vec::new();
        let mut err = None;
        let mut n = 0u32;
        v.each_incident_head(&IncidentFilter::default(), |text| {
            let r = (|| -> Result<(), MapError> {
                let h: HeadRow = serde_json::from_str(&text)
                    .map_err(|e| MapError::Unreadable(format!("incident: {e}")))?;
                pts.push(h.point[0], h.point[1], timestamp(&h.start)?, n);
                dates.push(date(&h.day)?);
                end.push(timestamp(&h.end)?);
                grade.push(
                    Grade::ALL
                        .iter()
                        .position(|g| *g == h.occurrence)
                        .unwrap_or(0) as u8,
                );
                flags.push(u8::from(h.routine) | (u8::from(h.disputed) << 1));
                acts.push(h.acts.iter().fold(0u16, |m, a| m | act_bit(*a)));
                for a in &h.alleged {
                    let p = parties.get(&a.party);
                    if !party_ids[party_off[party_off.len() - 1] as usize..].contains(&p) {
                        party_ids.push(p);
                    }
                }
                party_off.push(party_ids.len() as u32);
                id_text.push_str(&h.id);
                id_off.push(id_text.len() as u32);
                n += 1;
                Ok(())
            })();
            match r {
                Ok(()) => true,
                Err(e) => {
                    err = Some(e);
                    false
                }
            }
        })?;
        if let Some(e) = err {
            return Err(e);
        }
        pts.finish_days(dates);
        // Outcomes per agreement × reading, from the findings.
        let at: HashMap<&str, u32> = (0..n as usize)
            .map(|i| {
                (
                    &id_text[id_off[i] as usize..id_off[i + 1] as usize],
                    i as u32,
                )
            })
            .collect();
        let mut outcomes: HashMap<(String, String), Vec<u8>> = HashMap::new();
        let mut err = None;
        v.each_finding(
            &FindingFilter::default(),
            |text| match serde_json::from_str::<FindingHead>(&text) {
                Ok(f) => {
                    if let Some(&i) = at.get(f.incident.as_str()) {
                        let col = outcomes
                            .entry((f.agreement, f.reading))
                            .or_insert_with(|| vec![0; n as usize]);
                        col[i as usize] = outcome_code(f.outcome, f.standing);
                    }
                    true
                }
                Err(e) => {
                    err = Some(MapError::Unreadable(format!("finding: {e}")));
                    false
                }
            },
        )?;
        drop(at);
        if let Some(e) = err {
            return Err(e);
        }
        // Sorted by tile column, so a box reads only its longitudes.
        let o = pts.order();
        pts.permute(&o);
        for col in outcomes.values_mut() {
            *col = permute(col, &o);
        }
        let (mut p_off, mut p_ids) = (vec![0u32], Vec::with_capacity(party_ids.len()));
        let (mut i_off, mut i_text) = (vec![0u32], String::with_capacity(id_text.len()));
        for &k in &o {
            let k = k as usize;
            p_ids.extend_from_slice(&party_ids[party_off[k] as usize..party_off[k + 1] as usize]);
            p_off.push(p_ids.len() as u32);
            i_text.push_str(&id_text[id_off[k] as usize..id_off[k + 1] as usize]);
            i_off.push(i_text.len() as u32);
        }
        Ok(IncidentIndex {
            stamp: None,
            log_size: 0,
            grade: permute(&grade, &o),
            flags: permute(&flags, &o),
            acts: permute(&acts, &o),
            end: permute(&end, &o),
            pts,
            party_off: p_off,
            party_ids: p_ids,
            parties,
            id_off: i_off,
            id_text: i_text,
            outcomes,
        })
    }

    /// How many incidents it holds.
    pub fn len(&self) -> usize {
        self.pts.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Roughly how many bytes it takes.
    pub fn bytes(&self) -> usize {
        self.pts.bytes()
            + self.len() * (1 + 1 + 2 + 4 + 4 + std::mem::size_of::<Timestamp>())
            + self.party_ids.len() * 4
            + self.id_text.len()
            + self.outcomes.len() * self.len()
    }

    fn parties_of(&self, i: usize) -> &[u32] {
        &self.party_ids[self.party_off[i] as usize..self.party_off[i + 1] as usize]
    }

    fn id(&self, i: usize) -> &str {
        &self.id_text[self.id_off[i] as usize..self.id_off[i + 1] as usize]
    }
}

impl BackgroundIndex {
    /// Roughly how many bytes it takes.
    pub fn bytes(&self) -> usize {
        self.pts.bytes() + self.pts.len() * (8 + 4 + 1)
    }

    /// How many detections it holds.
    pub fn len(&self) -> usize {
        self.pts.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// ───────────────────────────── the cache ─────────────────────────────

#[derive(Clone, PartialEq)]
enum Key {
    Current(ViewStamp),
    Earlier(u64),
}

/// An index built once, shared.
type Cell<T> = Arc<tokio::sync::OnceCell<Arc<T>>>;

struct Slot {
    key: Key,
    incidents: Cell<IncidentIndex>,
    background: Cell<BackgroundIndex>,
}

/// The map's indexes: the two latest stamps of the current views and two `as_of` sizes, most
/// recently used first.
#[derive(Default)]
pub struct MapCache {
    slots: Mutex<VecDeque<Slot>>,
}

/// Slots kept per kind (current views, earlier sizes).
const SLOTS: usize = 2;

impl MapCache {
    fn slot(&self, key: Key) -> (Key, Cell<IncidentIndex>, Cell<BackgroundIndex>) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let slot = match slots.iter().position(|s| s.key == key) {
            Some(k) => slots.remove(k),
            None => None,
        }
        .unwrap_or_else(|| Slot {
            key: key.clone(),
            incidents: Default::default(),
            background: Default::default(),
        });
        let out = (
            slot.key.clone(),
            slot.incidents.clone(),
            slot.background.clone(),
        );
        slots.push_front(slot);
        let current = matches!(key, Key::Current(_));
        let same: Vec<usize> = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.key, Key::Current(_)) == current)
            .map(|(k, _)| k)
            .collect();
        for &k in same.iter().skip(SLOTS).rev() {
            slots.remove(k);
        }
        out
    }

    /// The incidents of the views `which` names, built on the blocking pool the first time.
    pub(crate) async fn incidents(
        &self,
        s: &AppState,
        which: &Which,
    ) -> Result<Arc<IncidentIndex>, ApiError> {
        let (key, cell, _) = self.slot(key_of(which));
        get_or_build(cell, s, which, key, |v, _| IncidentIndex::build(v)).await
    }

    /// The background detections of the views `which` names, built the first time.
    pub(crate) async fn background(
        &self,
        s: &AppState,
        which: &Which,
    ) -> Result<Arc<BackgroundIndex>, ApiError> {
        let (key, _, cell) = self.slot(key_of(which));
        get_or_build(cell, s, which, key, BackgroundIndex::build).await
    }
}

fn key_of(which: &Which) -> Key {
    match which {
        Which::Current(stamp) => Key::Current(stamp.clone()),
        Which::Earlier(size) => Key::Earlier(*size),
    }
}

async fn get_or_build<T: Send + Sync + 'static>(
    cell: Cell<T>,
    s: &AppState,
    which: &Which,
    key: Key,
    build: fn(&ViewStore, &Path) -> Result<T, MapError>,
) -> Result<Arc<T>, ApiError> {
    if let Some(ix) = cell.get() {
        return Ok(ix.clone());
    }
    let (s, which) = (s.clone(), which.clone());
    // A task of its own: the build completes (and is cached) even if the request is dropped.
    tokio::spawn(async move {
        cell.get_or_try_init(|| async move {
            let t = std::time::Instant::now();
            let ix = query::blocking(move || match &which {
                // A connection of its own: no pooled connection is held during a long read.
                Which::Current(_) => {
                    let path = s.0.views.path();
                    let v = ViewStore::open_read_only(path)?;
                    Ok(build(&v, path)?)
                }
                Which::Earlier(size) => {
                    let path = truce_views::derived::as_of_path(&s.0.dir, *size);
                    which.with(&s, |v| Ok(build(v, &path)?))
                }
            })
            .await?;
            tracing::info!(
                secs = t.elapsed().as_secs_f64(),
                current = matches!(key, Key::Current(_)),
                "map index built"
            );
            Ok::<_, ApiError>(Arc::new(ix))
        })
        .await
        .cloned()
    })
    .await
    .map_err(ApiError::internal)?
}

// ───────────────────────────── requests ─────────────────────────────

/// Which layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Incidents,
    Background,
}

impl Layer {
    fn name(self) -> &'static str {
        match self {
            Layer::Incidents => "incidents",
            Layer::Background => "background",
        }
    }
}

/// Parameters every map request takes.
const COMMON: &[&str] = &["layer", "bbox", "from", "to", "as_of"];
/// Filters of the incidents layer.
const INCIDENT_FILTERS: &[&str] = &[
    "party",
    "occurrence",
    "kind",
    "agreement",
    "reading",
    "outcome",
];
/// Filters of the background layer.
const BACKGROUND_FILTERS: &[&str] = &["source", "routine"];

/// What `outcome` selects.
#[derive(Debug, Clone, Copy, PartialEq)]
enum OutcomeSel {
    /// Any finding with this outcome.
    Outcome(Outcome),
    /// A breach of this standing.
    Breach(Standing),
    /// No finding.
    None,
}

impl OutcomeSel {
    fn parse(v: &str) -> Option<OutcomeSel> {
        if let Some(o) = Outcome::parse(v) {
            return Some(OutcomeSel::Outcome(o));
        }
        Some(match v {
            "none" => OutcomeSel::None,
            "no breach" => OutcomeSel::Outcome(Outcome::NoBreach),
            "out of scope" => OutcomeSel::Outcome(Outcome::OutOfScope),
            _ => OutcomeSel::Breach(Standing::parse(v.strip_suffix(" breach")?)?),
        })
    }

    fn matches(self, code: u8) -> bool {
        match (self, outcome_of(code)) {
            (OutcomeSel::None, None) => true,
            (OutcomeSel::Outcome(o), Some((x, _))) => o == x,
            (OutcomeSel::Breach(s), Some((Outcome::Breach, x))) => s == x,
            _ => false,
        }
    }
}

/// A request's filters.
struct Query {
    layer: Layer,
    bbox: Option<[f64; 4]>,
    times: TimeBounds,
    party: Option<String>,
    grade: Option<Grade>,
    act: Option<Act>,
    /// Agreement and reading.
    reading: Option<(String, String)>,
    outcome: Option<OutcomeSel>,
    source: Option<String>,
    routine: Option<bool>,
}

impl Query {
    fn parse(p: &Params, known: &Known) -> Result<Query, ApiError> {
        let layer = match p.get("layer") {
            None | Some("incidents") => Layer::Incidents,
            Some("background") => Layer::Background,
            Some(v) => {
                return Err(query::bad(
                    "layer",
                    format!("unknown layer {v:?}; layers: incidents, background"),
                ))
            }
        };
        let (own, other) = match layer {
            Layer::Incidents => (INCIDENT_FILTERS, BACKGROUND_FILTERS),
            Layer::Background => (BACKGROUND_FILTERS, INCIDENT_FILTERS),
        };
        if let Some(k) = other.iter().find(|k| p.get(k).is_some()) {
            return Err(query::bad(
                k,
                format!(
                    "not a filter of layer {}; it takes {}",
                    layer.name(),
                    own.join(", ")
                ),
            ));
        }
        if layer == Layer::Background {
            // The filter of `/v1/background`, read by the same function.
            let f = query::background::filter(p)?;
            return Ok(Query {
                layer,
                bbox: f.bbox,
                times: TimeBounds::of_background(&f)?,
                party: None,
                grade: None,
                act: None,
                reading: None,
                outcome: None,
                source: f.source,
                routine: f.routine,
            });
        }
        let agreement = p.known(known, Field::Agreement)?;
        let reading = p.known(known, Field::Reading)?;
        let reading = match (agreement, reading) {
            (Some(a), Some(r)) => Some((a.to_string(), r.to_string())),
            (None, None) => None,
            (Some(_), None) => {
                return Err(query::bad(
                    "reading",
                    "give whose reading with the agreement: outcomes are under one reading",
                ))
            }
            (None, Some(_)) => {
                return Err(query::bad(
                    "agreement",
                    "give the agreement with the reading: outcomes are under one agreement",
                ))
            }
        };
        let outcome = p
            .get("outcome")
            .map(|v| {
                OutcomeSel::parse(v).ok_or_else(|| {
                    query::bad("outcome", format!("unknown outcome {v:?}; outcomes: breach, no_breach, out_of_scope, undetermined, established breach, corroborated breach, alleged breach, no breach, out of scope, none"))
                })
            })
            .transpose()?;
        if outcome.is_some() && reading.is_none() {
            return Err(query::bad(
                "outcome",
                "an outcome is under one reading: give `agreement` and `reading` too",
            ));
        }
        Ok(Query {
            layer,
            bbox: p.bbox()?,
            times: TimeBounds::of_range(&p.time_range()?),
            party: p.known(known, Field::Party)?.map(|x| x.to_string()),
            grade: p.grade()?,
            act: p.act()?,
            reading,
            outcome,
            source: None,
            routine: None,
        })
    }
}

/// The bounds of a time filter: whole UTC days (on the day of the start) and instants (on the
/// start itself).
#[derive(Debug, Default, Clone, Copy)]
struct TimeBounds {
    from_day: Option<Date>,
    to_day: Option<Date>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
}

impl TimeBounds {
    /// The `from`/`to` of the incidents' endpoints: a day bound on the day, an instant on the
    /// start (as `/v1/incidents` applies them).
    fn of_range(r: &TimeRange) -> TimeBounds {
        let mut t = TimeBounds::default();
        match r.from {
            Some(Bound::Day(d)) => t.from_day = Some(d.0),
            Some(Bound::At(x)) => t.from = Some(x.0),
            None => {}
        }
        match r.to {
            Some(Bound::Day(d)) => t.to_day = Some(d.0),
            Some(Bound::At(x)) => t.to = Some(x.0),
            None => {}
        }
        t
    }

    /// The bounds of `/v1/background`'s filter.
    fn of_background(f: &BackgroundFilter) -> Result<TimeBounds, ApiError> {
        let day = |d: &Option<String>| d.as_deref().map(date).transpose();
        let at = |s: Option<i64>| {
            s.map(|s| {
                Timestamp::from_second(s)
                    .map_err(|e| MapError::Unreadable(format!("time {s} (unix seconds): {e}")))
            })
            .transpose()
        };
        Ok(TimeBounds {
            from_day: day(&f.from_day)?,
            to_day: day(&f.to_day)?,
            from: at(f.from_start)?,
            to: at(f.to_start)?,
        })
    }
}

/// The time filter over a layer's points: a range of day indexes and optional instants.
struct Times {
    days: std::ops::Range<u32>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
}

impl Times {
    fn of(t: &TimeBounds, pts: &Points) -> Times {
        let lo = t
            .from_day
            .map_or(0, |d| pts.days.partition_point(|x| *x < d));
        let hi = t
            .to_day
            .map_or(pts.days.len(), |d| pts.days.partition_point(|x| *x <= d));
        Times {
            days: lo as u32..(hi.max(lo)) as u32,
            from: t.from,
            to: t.to,
        }
    }

    fn keeps(&self, pts: &Points, i: usize) -> bool {
        self.days.contains(&pts.day[i])
            && self.from.is_none_or(|t| pts.start[i] >= t)
            && self.to.is_none_or(|t| pts.start[i] <= t)
    }
}

/// What one point counts as: its grade and outcome slots (`None`: not counted by them) and
/// whether it is routine.
#[derive(Clone, Copy)]
struct Class {
    grade: Option<usize>,
    outcome: Option<usize>,
    routine: bool,
}

/// Scans a layer: calls `each(i, class)` for every point `q` keeps.
trait Scan {
    fn points(&self) -> &Points;
    fn log_size(&self) -> u64;
    /// Visits the points inside `bbox` (all without one) that pass the filters.
    fn scan(&self, q: &Query, bbox: Option<[f64; 4]>, each: &mut dyn FnMut(usize, Class));
    /// The features of points `ix` (positions), in the layer's order.
    fn features(&self, q: &Query, ix: Vec<usize>) -> Result<String, ApiError>;
}

/// Visits the points in `bbox` passing the time filter and `keep`.
fn visit(
    pts: &Points,
    times: &Times,
    bbox: Option<[f64; 4]>,
    mut keep: impl FnMut(usize) -> bool,
    each: &mut dyn FnMut(usize),
) {
    for i in pts.range(bbox) {
        if bbox.is_none_or(|b| in_bbox(pts.lon[i], pts.lat[i], b)) && times.keeps(pts, i) && keep(i)
        {
            each(i);
        }
    }
}

impl Scan for IncidentIndex {
    fn points(&self) -> &Points {
        &self.pts
    }
    fn log_size(&self) -> u64 {
        self.log_size
    }
    fn scan(&self, q: &Query, bbox: Option<[f64; 4]>, each: &mut dyn FnMut(usize, Class)) {
        let times = Times::of(&q.times, &self.pts);
        // A party the views never blame matches nothing.
        let party = q.party.as_ref().map(|p| self.parties.find(p));
        if party == Some(None) {
            return;
        }
        let grade = q
            .grade
            .map(|g| Grade::ALL.iter().position(|x| *x == g).unwrap_or(0) as u8);
        let mask = q.act.map(act_mask);
        // Without a finding under the reading, every incident's outcome is `none`.
        let none = Vec::new();
        let codes: Option<&Vec<u8>> = q
            .reading
            .as_ref()
            .map(|k| self.outcomes.get(k).unwrap_or(&none));
        let code = |i: usize| codes.and_then(|c| c.get(i).copied()).unwrap_or(0);
        let keep = |i: usize| {
            grade.is_none_or(|g| self.grade[i] == g)
                && mask.is_none_or(|m| self.acts[i] & m != 0)
                && party.is_none_or(|p| p.is_some_and(|p| self.parties_of(i).contains(&p)))
                && q.outcome.is_none_or(|o| o.matches(code(i)))
        };
        visit(&self.pts, &times, bbox, keep, &mut |i| {
            each(
                i,
                Class {
                    grade: Some(usize::from(self.grade[i])),
                    outcome: codes.map(|_| outcome_slot(code(i))),
                    routine: self.flags[i] & 1 != 0,
                },
            )
        });
    }

    fn features(&self, q: &Query, mut ix: Vec<usize>) -> Result<String, ApiError> {
        ix.sort_unstable_by_key(|&i| self.pts.seq[i]);
        let codes = q.reading.as_ref().map(|k| self.outcomes.get(k));
        let mut out = String::with_capacity(64 + ix.len() * 400);
        out.push_str("{\"type\":\"FeatureCollection\",\"features\":[");
        for (k, &i) in ix.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let (outcome, standing, words) = match codes {
                None => (None, None, None),
                Some(c) => match c.and_then(|c| c.get(i).copied()).and_then(outcome_of) {
                    None => (Some("none"), None, Some("none".to_string())),
                    Some((o, s)) => (
                        Some(o.as_str()),
                        Some(s.as_str()),
                        Some(truce_engine::outcome_words(o, s)),
                    ),
                },
            };
            let parties: Vec<&str> = self
                .parties_of(i)
                .iter()
                .take(FEATURE_PARTIES)
                .map(|&p| self.parties.names[p as usize].as_str())
                .collect();
            let acts: Vec<String> = ACTS
                .iter()
                .filter(|a| self.acts[i] & act_bit(**a) != 0)
                .map(|a| act_name(*a))
                .collect();
            let f = serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [self.pts.lon[i], self.pts.lat[i]]},
                "properties": {
                    "id": cut(self.id(i), 64),
                    "start": self.pts.start[i].to_string(),
                    "end": self.end[i].to_string(),
                    "day": self.pts.days[self.pts.day[i] as usize].to_string(),
                    "occurrence": Grade::ALL[usize::from(self.grade[i]).min(Grade::ALL.len() - 1)].as_str(),
                    "routine": self.flags[i] & 1 != 0,
                    "disputed": self.flags[i] & 2 != 0,
                    "parties": parties,
                    "acts": acts,
                    "outcome": outcome,
                    "standing": standing,
                    "words": words,
                }
            });
            out.push_str(&f.to_string());
        }
        out.push_str("]}");
        Ok(out)
    }
}

impl BackgroundIndex {
    /// Reads every background detection of `v` (one state of the views, the file at `path`)
    /// into memory.
    pub fn build(v: &ViewStore, path: &Path) -> Result<BackgroundIndex, MapError> {
        let (stamp, mut ix) = consistent(v, Self::read)?;
        ix.log_size = stamp.as_ref().map_or(0, |s| s.log_size);
        ix.stamp = stamp;
        ix.path = path.to_path_buf();
        Ok(ix)
    }

    fn read(v: &ViewStore) -> Result<BackgroundIndex, MapError> {
        let mut pts = Points::default();
        let mut dates = Vec::new();
        let mut entry_index = Vec::new();
        let mut source = Vec::new();
        let mut sources = Interner::default();
        let mut routine = Vec::new();
        let mut err = None;
        let mut n = 0u32;
        v.each_background_while(&BackgroundFilter::default(), |r| {
            let row = (|| -> Result<(), MapError> {
                pts.push(r.lon, r.lat, timestamp(&r.start)?, n);
                dates.push(date(&r.day)?);
                entry_index.push(r.entry_index);
                source.push(sources.get(&r.author));
                routine.push(r.routine.is_some());
                n += 1;
                Ok(())
            })();
            match row {
                Ok(()) => true,
                Err(e) => {
                    err = Some(e);
                    false
                }
            }
        })?;
        if let Some(e) = err {
            return Err(e);
        }
        pts.finish_days(dates);
        let o = pts.order();
        pts.permute(&o);
        Ok(BackgroundIndex {
            stamp: None,
            log_size: 0,
            path: PathBuf::new(),
            pts,
            entry_index: permute(&entry_index, &o),
            source: permute(&source, &o),
            sources,
            routine: permute(&routine, &o),
        })
    }
}

/// The rows of `view_background` of the detections at log indexes `indexes`, only if the views file at `path` still
/// holds the views stamped `stamp` (else the views moved on since the index was built:
/// `MapError::Changing`, and the next request builds a new index).
fn background_rows(
    path: &Path,
    stamp: &Option<ViewStamp>,
    indexes: &[u64],
) -> Result<Vec<BackgroundRow>, MapError> {
    let unreadable = |e: truce_views::db::DbError| MapError::Unreadable(e.to_string());
    let mut views = ViewStore::open_read_only(path).map_err(unreadable)?;
    views
        .background_at(stamp, indexes)
        .map_err(unreadable)?
        .ok_or(MapError::Changing)
}

/// `s` cut to at most `n` bytes (at a character boundary).
fn cut(s: &str, n: usize) -> &str {
    let mut end = s.len().min(n);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl Scan for BackgroundIndex {
    fn points(&self) -> &Points {
        &self.pts
    }
    fn log_size(&self) -> u64 {
        self.log_size
    }
    fn scan(&self, q: &Query, bbox: Option<[f64; 4]>, each: &mut dyn FnMut(usize, Class)) {
        let times = Times::of(&q.times, &self.pts);
        // A source the views never saw matches nothing.
        let source = q.source.as_ref().map(|p| self.sources.find(p));
        if source == Some(None) {
            return;
        }
        let keep = |i: usize| {
            source.is_none_or(|p| p == Some(self.source[i]))
                && q.routine.is_none_or(|r| self.routine[i] == r)
        };
        visit(&self.pts, &times, bbox, keep, &mut |i| {
            each(
                i,
                Class {
                    grade: None,
                    outcome: None,
                    routine: self.routine[i],
                },
            )
        });
    }

    fn features(&self, _q: &Query, mut ix: Vec<usize>) -> Result<String, ApiError> {
        ix.sort_unstable_by_key(|&i| self.pts.seq[i]);
        let indexes: Vec<u64> = ix.iter().map(|&i| self.entry_index[i]).collect();
        let rows = background_rows(&self.path, &self.stamp, &indexes)?;
        let mut out = String::with_capacity(64 + ix.len() * 400);
        out.push_str("{\"type\":\"FeatureCollection\",\"features\":[");
        for (k, (&i, r)) in ix.iter().zip(&rows).enumerate() {
            if r.entry_index != self.entry_index[i] {
                return Err(MapError::Changing.into());
            }
            if k > 0 {
                out.push(',');
            }
            let f = serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [self.pts.lon[i], self.pts.lat[i]]},
                "properties": {
                    "entry_id": cut(&r.entry_id, 64),
                    "author": cut(&r.author, 64),
                    "id": cut(&r.id, 64),
                    "start": cut(&r.start, 64),
                    "day": cut(&r.day, 16),
                    "routine": r.routine.as_deref().map(|d| cut(d, FEATURE_TEXT)),
                }
            });
            out.push_str(&f.to_string());
        }
        out.push_str("]}");
        Ok(out)
    }
}

// ───────────────────────────── answers ─────────────────────────────

/// Rounds a coordinate to 7 decimals (about a centimetre) for the answer.
fn r7(x: f64) -> f64 {
    let r = (x * 1e7).round() / 1e7;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

fn num(out: &mut String, x: f64) {
    match serde_json::Number::from_f64(x) {
        Some(n) => out.push_str(&n.to_string()),
        None => out.push_str("null"),
    }
}

/// Writes `{"k":n,…}` for the non-zero counts.
fn counts(out: &mut String, keys: &[&str], v: &[u64]) {
    out.push('{');
    let mut first = true;
    for (k, n) in keys.iter().zip(v) {
        if *n > 0 {
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(out, "\"{k}\":{n}");
        }
    }
    out.push('}');
}

const GRADE_KEYS: [&str; 6] = [
    "reported",
    "corroborated",
    "verified",
    "unverifiable",
    "dismissed",
    "contested",
];

/// Counts of a cell or a day.
#[derive(Clone, Default)]
struct Acc {
    count: u64,
    sum_lon: f64,
    sum_lat: f64,
    grade: [u64; 6],
    outcome: [u64; 5],
    routine: u64,
}

impl Acc {
    fn add(&mut self, lon: f64, lat: f64, c: Class) {
        self.count += 1;
        self.sum_lon += lon;
        self.sum_lat += lat;
        if let Some(g) = c.grade {
            self.grade[g.min(5)] += 1;
        }
        if let Some(o) = c.outcome {
            self.outcome[o.min(4)] += 1;
        }
        self.routine += u64::from(c.routine);
    }

    /// `"count":…,"by_grade":…,"by_outcome":…,"routine":…`
    fn write(&self, out: &mut String) {
        let _ = write!(out, "\"count\":{},\"by_grade\":", self.count);
        counts(out, &GRADE_KEYS, &self.grade);
        out.push_str(",\"by_outcome\":");
        counts(out, &OUTCOME_KEYS, &self.outcome);
        let _ = write!(out, ",\"routine\":{}", self.routine);
    }
}

/// The cells a box covers at `cz`: first column and row, columns, rows.
fn cover(bbox: [f64; 4], cz: u32) -> (u32, u32, u64, u64) {
    let shift = Z - cz;
    let (x0, x1) = (tile_x(bbox[0]) >> shift, tile_x(bbox[2]) >> shift);
    let (y0, y1) = (tile_y(bbox[3]) >> shift, tile_y(bbox[1]) >> shift);
    (
        x0,
        y0,
        u64::from(x1 - x0) + 1,
        u64::from(y1.saturating_sub(y0)) + 1,
    )
}

/// The cells answer, as JSON.
fn cells_json(
    layer: &dyn Scan,
    q: &Query,
    bbox: [f64; 4],
    zoom: u32,
    cz: u32,
) -> Result<String, ApiError> {
    let (x0, y0, cols, rows) = cover(bbox, cz);
    let (cols, rows) = (cols as usize, rows as usize);
    let shift = Z - cz;
    let pts = layer.points();
    let mut acc = vec![Acc::default(); cols * rows];
    let mut total = 0usize;
    let mut picked = Vec::new();
    layer.scan(q, Some(bbox), &mut |i, c| {
        // Clamped: a point on a tile's edge counts in the cell the box's corners agree on.
        let cx = ((pts.tx[i] >> shift).saturating_sub(x0) as usize).min(cols - 1);
        let cy = ((pts.ty[i] >> shift).saturating_sub(y0) as usize).min(rows - 1);
        acc[cy * cols + cx].add(pts.lon[i], pts.lat[i], c);
        total += 1;
        if total <= THRESHOLD {
            picked.push(i);
        }
    });
    let mut out = String::with_capacity(256 + acc.iter().filter(|a| a.count > 0).count() * 200);
    let _ = write!(
        out,
        "{{\"layer\":\"{}\",\"zoom\":{zoom},\"cell_zoom\":{cz},\"bbox\":[",
        q.layer.name()
    );
    for (k, x) in bbox.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        num(&mut out, *x);
    }
    let _ = write!(
        out,
        "],\"total\":{total},\"threshold\":{THRESHOLD},\"log_size\":{},\"cells\":[",
        layer.log_size()
    );
    let mut first = true;
    for (k, a) in acc.iter().enumerate().filter(|(_, a)| a.count > 0) {
        if !first {
            out.push(',');
        }
        first = false;
        let (x, y) = (x0 + (k % cols) as u32, y0 + (k / cols) as u32);
        let _ = write!(out, "{{\"key\":\"{cz}/{x}/{y}\",\"bbox\":[");
        for (j, v) in tile_bbox(cz, x, y).iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            num(&mut out, r7(*v));
        }
        out.push_str("],\"center\":[");
        num(&mut out, r7(a.sum_lon / a.count as f64));
        out.push(',');
        num(&mut out, r7(a.sum_lat / a.count as f64));
        out.push_str("],");
        a.write(&mut out);
        out.push('}');
    }
    out.push_str("],\"features\":");
    if total <= THRESHOLD {
        out.push_str(&layer.features(q, picked)?);
    } else {
        out.push_str("null");
    }
    out.push('}');
    debug_assert!(out.len() <= MAX_RESPONSE_BYTES, "{} bytes", out.len());
    Ok(out)
}

/// The days answer, as JSON.
fn days_json(layer: &dyn Scan, q: &Query) -> Result<String, ApiError> {
    let pts = layer.points();
    let mut acc = vec![Acc::default(); pts.days.len()];
    let mut total = 0u64;
    layer.scan(q, q.bbox, &mut |i, c| {
        acc[pts.day[i] as usize].add(pts.lon[i], pts.lat[i], c);
        total += 1;
    });
    let listed = acc.iter().filter(|a| a.count > 0).count();
    if listed > MAX_DAYS {
        return Err(query::bad(
            "from",
            format!("the points fall on {listed} days; at most {MAX_DAYS} are listed: narrow `from` and `to`"),
        ));
    }
    let mut out = String::with_capacity(128 + listed * 160);
    out.push_str("{\"days\":[");
    let mut first = true;
    for (d, a) in pts.days.iter().zip(&acc).filter(|(_, a)| a.count > 0) {
        if !first {
            out.push(',');
        }
        first = false;
        let _ = write!(out, "{{\"day\":\"{d}\",");
        a.write(&mut out);
        out.push('}');
    }
    let _ = write!(
        out,
        "],\"layer\":\"{}\",\"total\":{total},\"log_size\":{}}}",
        q.layer.name(),
        layer.log_size()
    );
    Ok(out)
}

/// `zoom`: the map's zoom, 0 to 22, a fraction rounded down (default 0).
fn zoom(p: &Params) -> Result<u32, ApiError> {
    let Some(v) = p.get("zoom") else {
        return Ok(0);
    };
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|z| z.is_finite() && (0.0..=MAX_ZOOM).contains(z))
        .map(|z| z.floor() as u32)
        .ok_or_else(|| query::bad("zoom", format!("{v:?} is not a zoom from 0 to 22")))
}

/// The whole world, the default box.
const WORLD: [f64; 4] = [-180.0, -90.0, 180.0, 90.0];

/// Reads the request's filters and finds the index of its layer.
async fn prepare(
    s: &AppState,
    p: &Params,
) -> Result<(Query, Arc<dyn Scan + Send + Sync>), ApiError> {
    let q = Query::parse(p, &Known::of(&query::ledger(s)))?;
    let which = Which::of(s, query::as_of(p, s)?).await?;
    let layer: Arc<dyn Scan + Send + Sync> = match q.layer {
        Layer::Incidents => s.0.map.incidents(s, &which).await?,
        Layer::Background => s.0.map.background(s, &which).await?,
    };
    Ok((q, layer))
}

/// `GET /v1/map/cells`.
#[utoipa::path(get, path = "/v1/map/cells", tag = "engine",
    summary = "The map at any scale: incidents or background detections counted per Web-Mercator tile in a box, with the points themselves when at most 2,000",
    description = "Cells are the slippy-map tiles at `cell_zoom = min(zoom + 3, 20)`; each point inside `bbox` (edges included, as `/v1/incidents?bbox=`) counts once, in its tile; only cells with points are listed (north to south, west to east): `{key: \"z/x/y\", bbox: [w,s,e,n], center: [lon,lat] (mean of its points), count, by_grade, by_outcome, routine}`. `by_outcome` counts outcomes under the `agreement` + `reading` given (`none`: no finding; empty without them). `features` is a GeoJSON FeatureCollection of the points when `total` ≤ `threshold` (2,000), else `null`: incidents `{id, start, end, day, occurrence, routine, disputed, parties, acts, outcome, standing, words}`, background detections `{entry_id, author, id, start, day, routine}`. A box covering more than 4,096 cells is refused (400, field `bbox`: zoom in or narrow it). An answer is at most 4.1 MB (4,096 cells of at most 512 bytes, or 2,000 cells and features of at most 1,536 bytes). Answers come from an index in memory built once per state of the views (the first request after the log grew waits for it).",
    params(
        ("layer" = Option<String>, Query, description = "`incidents` (default) or `background` (sensor detections in no incident)"),
        ("bbox" = Option<String>, Query, description = "`minlon,minlat,maxlon,maxlat` in degrees (default: the world)"),
        ("zoom" = Option<f64>, Query, description = "The map's zoom, 0 to 22 (a fraction is rounded down; default 0)"),
        crate::openapi::TimeParams,
        ("party" = Option<String>, Query, description = "Incidents: a party blamed"),
        ("occurrence" = Option<String>, Query, description = "Incidents: an occurrence grade"),
        ("kind" = Option<String>, Query, description = "Incidents: an act reported (`strike` includes drone and missile strikes and shelling)"),
        ("agreement" = Option<String>, Query, description = "Incidents: the agreement whose outcomes are counted (with `reading`)"),
        ("reading" = Option<String>, Query, description = "Incidents: whose reading (with `agreement`)"),
        ("outcome" = Option<String>, Query, description = "Incidents, with `agreement` and `reading`: breach, no_breach, out_of_scope, undetermined, `established breach`, `corroborated breach`, `alleged breach`, `no breach`, `out of scope` or none (no finding)"),
        ("source" = Option<String>, Query, description = "Background: the detections' author"),
        ("routine" = Option<bool>, Query, description = "Background: only detections at a persistent hot spot (`true`) or only the others (`false`)"),
        crate::openapi::AsOfParam),
    responses((status = 200, description = "`{layer, zoom, cell_zoom, bbox, total, threshold, log_size, cells, features}`", body = Object),
        (status = 400, description = "A parameter is malformed or unknown, a filter of the other layer, or a box covering more than 4,096 cells (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn cells(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = query::params(
        q,
        &[COMMON, &["zoom"], INCIDENT_FILTERS, BACKGROUND_FILTERS].concat(),
    )?;
    let zoom = zoom(&p)?;
    let cz = (zoom + CELL_ZOOM_OFFSET).min(MAX_CELL_ZOOM);
    let bbox = p.bbox()?.unwrap_or(WORLD);
    let (_, _, cols, rows) = cover(bbox, cz);
    if cols * rows > MAX_CELLS {
        return Err(query::bad(
            "bbox",
            format!(
                "the box covers {} cells ({cols} × {rows} tiles at cell_zoom {cz}, zoom {zoom}); at most {MAX_CELLS}: zoom in or narrow the box",
                cols * rows
            ),
        ));
    }
    let (q, layer) = prepare(&s, &p).await?;
    let body = query::blocking(move || cells_json(layer.as_ref(), &q, bbox, zoom, cz)).await?;
    Ok(query::typed(body, "application/json", &caller))
}

/// `GET /v1/map/days`.
#[utoipa::path(get, path = "/v1/map/days", tag = "engine",
    summary = "Incidents or background detections counted per UTC day of their start, for the timeline",
    description = "`{days: [{day, count, by_grade, by_outcome, routine}], layer, total, log_size}`, days with points only, ascending; the filters of `/v1/map/cells`, `bbox` optional. At most 3,660 days (400 naming `from` beyond).",
    params(
        ("layer" = Option<String>, Query, description = "`incidents` (default) or `background`"),
        crate::openapi::BboxParam,
        crate::openapi::TimeParams,
        ("party" = Option<String>, Query, description = "Incidents: a party blamed"),
        ("occurrence" = Option<String>, Query, description = "Incidents: an occurrence grade"),
        ("kind" = Option<String>, Query, description = "Incidents: an act reported"),
        ("agreement" = Option<String>, Query, description = "Incidents: the agreement whose outcomes are counted (with `reading`)"),
        ("reading" = Option<String>, Query, description = "Incidents: whose reading (with `agreement`)"),
        ("outcome" = Option<String>, Query, description = "Incidents, with `agreement` and `reading`: an outcome, the dashboard's words, or none"),
        ("source" = Option<String>, Query, description = "Background: the detections' author"),
        ("routine" = Option<bool>, Query, description = "Background: routine detections only, or none of them"),
        crate::openapi::AsOfParam),
    responses((status = 200, description = "`{days, layer, total, log_size}`", body = Object),
        (status = 400, description = "A parameter is malformed or unknown, or a filter of the other layer (`field` names it)", body = crate::openapi::ErrorBody)),
    security((), ("bearer" = [])))]
pub(crate) async fn days(
    State(s): State<AppState>,
    caller: Caller,
    q: RawQuery,
) -> Result<Response, ApiError> {
    let p = query::params(q, &[COMMON, INCIDENT_FILTERS, BACKGROUND_FILTERS].concat())?;
    let (q, layer) = prepare(&s, &p).await?;
    let body = query::blocking(move || days_json(layer.as_ref(), &q)).await?;
    Ok(query::typed(body, "application/json", &caller))
}

/// The map's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/map/cells", get(cells))
        .route("/v1/map/days", get(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_match_the_slippy_map_scheme() {
        // Kyiv at zoom 10: tile 598/345 (OpenStreetMap's numbering).
        assert_eq!(tile_x(30.52) >> 10, 598);
        assert_eq!(tile_y(50.45) >> 10, 345);
        assert_eq!(tile_x(-180.0), 0);
        assert_eq!(tile_x(180.0), (1 << 20) - 1);
        assert_eq!(tile_y(90.0), 0);
        assert_eq!(tile_y(-90.0), (1 << 20) - 1);
        let b = tile_bbox(10, 598, 345);
        assert!(
            b[0] <= 30.52 && 30.52 <= b[2] && b[1] <= 50.45 && 50.45 <= b[3],
            "{b:?}"
        );
        let w = tile_bbox(0, 0, 0);
        assert_eq!(w[0], -180.0);
        assert_eq!(w[2], 180.0);
        assert!((w[3] - MAX_LAT).abs() < 1e-9);
    }

    #[test]
    fn outcomes_parse_as_the_dashboard_writes_them() {
        use OutcomeSel as O;
        assert_eq!(O::parse("breach"), Some(O::Outcome(Outcome::Breach)));
        assert_eq!(O::parse("no_breach"), Some(O::Outcome(Outcome::NoBreach)));
        assert_eq!(O::parse("no breach"), Some(O::Outcome(Outcome::NoBreach)));
        assert_eq!(
            O::parse("out of scope"),
            Some(O::Outcome(Outcome::OutOfScope))
        );
        assert_eq!(
            O::parse("undetermined"),
            Some(O::Outcome(Outcome::Undetermined))
        );
        assert_eq!(
            O::parse("alleged breach"),
            Some(O::Breach(Standing::Alleged))
        );
        assert_eq!(
            O::parse("established breach"),
            Some(O::Breach(Standing::Established))
        );
        assert_eq!(O::parse("none"), Some(O::None));
        assert_eq!(O::parse("maybe breach"), None);
        assert_eq!(O::parse("nonsense"), None);
        for o in Outcome::ALL {
            for s in Standing::ALL {
                let c = outcome_code(o, s);
                assert_eq!(outcome_of(c), Some((o, s)));
                assert!(O::Outcome(o).matches(c));
                assert!(!O::None.matches(c));
                assert_eq!(O::Breach(s).matches(c), o == Outcome::Breach);
                // The words the dashboard filters on select the same findings.
                let words = truce_engine::outcome_words(o, s);
                assert!(O::parse(&words).unwrap().matches(c), "{words}");
            }
        }
        assert!(O::None.matches(0));
        assert_eq!(outcome_slot(0), 4);
    }

    #[test]
    fn act_masks_follow_is_a() {
        for g in ACTS {
            for a in ACTS {
                assert_eq!(act_mask(g) & act_bit(a) != 0, a.is_a(&g), "{a:?} {g:?}");
            }
        }
        // Every act the model has is in the mask's list.
        for a in ACTS {
            assert!(act_bit(a) != 0);
            assert!(!act_name(a).is_empty());
        }
    }

    #[test]
    fn the_worst_cell_and_feature_fit_their_bounds() {
        let a = Acc {
            count: u64::from(u32::MAX),
            sum_lon: -179.123_456_789 * f64::from(u32::MAX),
            sum_lat: -85.012_345_678 * f64::from(u32::MAX),
            grade: [u64::from(u32::MAX); 6],
            outcome: [u64::from(u32::MAX); 5],
            routine: u64::from(u32::MAX),
        };
        let mut out = String::new();
        let _ = write!(out, "{{\"key\":\"20/1048575/1048575\",\"bbox\":[");
        for (j, v) in tile_bbox(20, 1, 1_048_574).iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            num(&mut out, r7(*v) - 0.000_000_1);
        }
        out.push_str("],\"center\":[");
        num(&mut out, -179.123_456_7);
        out.push(',');
        num(&mut out, -85.012_345_6);
        out.push_str("],");
        a.write(&mut out);
        out.push_str("},");
        assert!(out.len() <= CELL_MAX_BYTES, "{} {out}", out.len());
        // The longest day entry is shorter than a cell.
        let mut day = String::from("{\"day\":\"-009999-12-31\",");
        a.write(&mut day);
        day.push_str("},");
        assert!(day.len() <= CELL_MAX_BYTES);
    }

    /// An index of one incident with every field at its longest.
    fn worst_incident() -> IncidentIndex {
        let long = |c: char| std::iter::repeat_n(c, 64).collect::<String>();
        let mut parties = Interner::default();
        let ids: Vec<u32> = (0..12)
            .map(|k| parties.get(&format!("{}{k:02}", &long('p')[..62])))
            .collect();
        let mut pts = Points::default();
        pts.push(
            -179.123_456_789_012_3,
            -85.012_345_678_901_2,
            Timestamp::MIN,
            0,
        );
        pts.finish_days(vec![Date::constant(-9999, 1, 2)]);
        let mut outcomes = HashMap::new();
        outcomes.insert(
            ("a".to_string(), "r".to_string()),
            vec![outcome_code(Outcome::Breach, Standing::Corroborated)],
        );
        let id = long('i');
        IncidentIndex {
            stamp: None,
            log_size: u64::MAX,
            pts,
            grade: vec![3],
            flags: vec![3],
            acts: vec![u16::MAX],
            party_off: vec![0, ids.len() as u32],
            party_ids: ids,
            parties,
            id_off: vec![0, id.len() as u32],
            id_text: id,
            end: vec![Timestamp::MAX],
            outcomes,
        }
    }

    #[test]
    fn the_worst_incident_feature_fits_its_bound() {
        let ix = worst_incident();
        let q = Query {
            layer: Layer::Incidents,
            bbox: None,
            times: TimeBounds::default(),
            party: None,
            grade: None,
            act: None,
            reading: Some(("a".into(), "r".into())),
            outcome: None,
            source: None,
            routine: None,
        };
        let fc = ix.features(&q, vec![0]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&fc).unwrap();
        let f = &v["features"][0];
        assert_eq!(
            f["properties"]["parties"].as_array().unwrap().len(),
            FEATURE_PARTIES
        );
        assert_eq!(
            f["properties"]["acts"].as_array().unwrap().len(),
            ACTS.len()
        );
        assert_eq!(f["properties"]["words"], "corroborated breach");
        let one = f.to_string().len() + 1;
        assert!(one <= FEATURE_MAX_BYTES, "{one} {f}");
        // The worst background feature: every string at its cut (the routine description is
        // the engine's plain words).
        let bg = serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-179.123_456_789_012_3, -85.012_345_678_901_2]},
            "properties": {
                "entry_id": "e".repeat(64), "author": "a".repeat(64), "id": "i".repeat(64),
                "start": "s".repeat(64), "day": "d".repeat(16), "routine": "r".repeat(FEATURE_TEXT),
            }
        });
        assert!(bg.to_string().len() < FEATURE_MAX_BYTES);
        // The whole answer's bound follows from the parts'.
        assert_eq!(
            MAX_RESPONSE_BYTES,
            ENVELOPE_MAX_BYTES + THRESHOLD * (CELL_MAX_BYTES + FEATURE_MAX_BYTES)
        );
        const { assert!(MAX_RESPONSE_BYTES == 4_097_024) };
    }
}

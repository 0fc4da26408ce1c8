//! The line of contact on a map (issue 16): the documents of `GET /v1/front.geojson` and
//! `GET /v1/observations.geojson`.
//!
//! **Front.** For an agreement and a party's reading, the version of the reading in force at a
//! time (`at`; of the versions effective by then, the one filed last; without `at`, the latest)
//! and its `[terms.front]`: per party line, the line's version in force at `at` (without `at`, its
//! latest), the party's share of the buffer as a polygon on its own side, and each withdrawal
//! zone's line at the party's share of the zone's width on its own side (Minsk: each side
//! withdraws by equal distances from its own line). The zones are drawn by
//! [`truce_geo::ContactLine::display`] within a stated tolerance and labelled "display only":
//! findings use exact distances, never these polygons. A control area's inside is its
//! controlling party's side. Drawing a zone is costly (about 0.7 s for a 20,000-vertex line at two
//! widths), so the zones are kept in a [`DisplayCache`] per (line version, distance, tolerance),
//! computed once however many requests ask at once. An answer holds at most [`MAX_POSITIONS`]
//! positions (`truncated: true` when a feature was left out); the lines themselves are simplified
//! within the tolerance.
//!
//! **Observations.** The monitors' observations (reports with an `observation`) whose start lies
//! in a window of at most [`MAX_WINDOW_DAYS`] days, each a Feature whose geometry is the
//! MultiPolygon of its public footprint's H3 cells, never a position of the observer (the log
//! holds none: only a salted commitment, left out here too).

use super::{bad, Bound, ParamError, Params};
use crate::filters::{Field, Known};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use truce_geo::{ContactLine, DisplayZone, LonLat, PublicFootprint};
use truce_model::front::{LineSide, PartyLine};
use truce_model::geo::Geometry;
use truce_model::ledger::Record;
use truce_model::lines::LineVersion;
use truce_model::{Id, Ledger, Time};

/// The parameters of `GET /v1/front.geojson`.
pub const FRONT_PARAMS: &[&str] = &["agreement", "reading", "at", "tolerance_m"];
/// The parameters of `GET /v1/observations.geojson`.
pub const OBSERVATION_PARAMS: &[&str] = &["from", "to", "bbox", "limit"];

/// The display tolerance by default, metres.
pub const DEFAULT_TOLERANCE_M: f64 = 200.0;
/// The smallest display tolerance, metres.
pub const MIN_TOLERANCE_M: f64 = 10.0;
/// The largest display tolerance, metres.
pub const MAX_TOLERANCE_M: f64 = 10_000.0;
/// The most positions in one answer (about 22 bytes each as JSON: an answer stays under 2 MiB,
/// what the dashboard allows itself per response).
pub const MAX_POSITIONS: usize = 75_000;
/// What every drawn zone says of itself.
pub const DISPLAY_NOTE: &str = "display only; findings use exact distances";

/// The longest window of an observations query, days.
pub const MAX_WINDOW_DAYS: i64 = 31;
/// Observations by default.
pub const DEFAULT_OBSERVATIONS: usize = 500;
/// The most observations in one answer.
pub const MAX_OBSERVATIONS: usize = 2_000;
/// The most footprint cells in one answer (seven positions each: with their properties, an
/// answer stays under 2 MiB).
pub const MAX_CELLS: usize = 8_000;

/// Zones a [`DisplayCache`] keeps by default.
pub const CACHE_ENTRIES: usize = 64;
/// Positions a [`DisplayCache`] keeps by default (about 16 bytes each: 64 MB).
pub const CACHE_POSITIONS: usize = 4_000_000;

const DAY_MS: i64 = 86_400_000;

// ───────────────────────────── the cache ─────────────────────────────

/// A zone drawn for (line version's entry id, distance in metres, tolerance in metres).
type Key = (String, u64, u64);
/// A zone once drawn, or why it could not be.
type Drawn = Result<Arc<DisplayZone>, String>;

#[derive(Default)]
struct Slots {
    map: HashMap<Key, (Arc<OnceLock<Drawn>>, usize)>,
    order: VecDeque<Key>,
    positions: usize,
}

/// Display zones kept in memory, bounded by entries and positions (least recently drawn out
/// first). A zone asked for by several requests at once is drawn once: the others wait for it.
pub struct DisplayCache {
    slots: Mutex<Slots>,
    drawn: AtomicU64,
    max_entries: usize,
    max_positions: usize,
}

impl Default for DisplayCache {
    fn default() -> Self {
        DisplayCache::new(CACHE_ENTRIES, CACHE_POSITIONS)
    }
}

impl std::fmt::Debug for DisplayCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DisplayCache")
            .field("drawn", &self.drawn())
            .field("max_entries", &self.max_entries)
            .finish()
    }
}

fn zone_positions(z: &DisplayZone) -> usize {
    let polys = |p: &Vec<Vec<Vec<LonLat>>>| p.iter().flatten().map(Vec::len).sum::<usize>();
    let lines = |l: &Vec<Vec<LonLat>>| l.iter().map(Vec::len).sum::<usize>();
    polys(&z.both) + polys(&z.left) + polys(&z.right) + lines(&z.left_line) + lines(&z.right_line)
}

impl DisplayCache {
    /// A cache of at most `max_entries` zones and `max_positions` positions.
    pub fn new(max_entries: usize, max_positions: usize) -> DisplayCache {
        DisplayCache {
            slots: Mutex::new(Slots::default()),
            drawn: AtomicU64::new(0),
            max_entries: max_entries.max(1),
            max_positions,
        }
    }

    /// How many zones were drawn since the cache was made (not found in it).
    pub fn drawn(&self) -> u64 {
        self.drawn.load(Ordering::Relaxed)
    }

    /// How many zones it holds.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The zone for `key`, drawn by `draw` when not kept.
    fn get(&self, key: Key, draw: impl FnOnce() -> Drawn) -> Drawn {
        let cell = {
            let mut s = self.lock();
            match s.map.get(&key) {
                Some((c, _)) => c.clone(),
                None => {
                    let c = Arc::new(OnceLock::new());
                    s.map.insert(key.clone(), (c.clone(), 0));
                    s.order.push_back(key.clone());
                    c
                }
            }
        };
        let mut fresh = false;
        let out = cell
            .get_or_init(|| {
                fresh = true;
                self.drawn.fetch_add(1, Ordering::Relaxed);
                draw()
            })
            .clone();
        if fresh {
            let n = out.as_ref().map_or(0, |z| zone_positions(z));
            let mut s = self.lock();
            if let Some(e) = s.map.get_mut(&key) {
                e.1 = n;
                s.positions += n;
            }
            // Out with the oldest (never the one just drawn) while over either bound.
            while s.map.len() > self.max_entries || s.positions > self.max_positions {
                let Some(old) = s.order.pop_front() else {
                    break;
                };
                if old == key {
                    s.order.push_back(old);
                    if s.order.len() == 1 {
                        break;
                    }
                    continue;
                }
                if let Some((_, n)) = s.map.remove(&old) {
                    s.positions -= n;
                }
            }
        }
        out
    }
}

// ───────────────────────────── front ─────────────────────────────

/// A front query.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontQuery {
    /// The agreement.
    pub agreement: Id,
    /// Whose reading.
    pub reading: Id,
    /// The time the reading's version, and each line's, is in force (`None`: the latest).
    pub at: Option<Time>,
    /// The display tolerance, metres.
    pub tolerance_m: f64,
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

impl FrontQuery {
    /// The query a request's parameters give ([`FRONT_PARAMS`]), checked against what `l` holds:
    /// an unknown agreement or reading, or a party without a reading of the agreement, is an
    /// error listing the valid values.
    pub fn parse(p: &Params, l: &Ledger) -> Result<FrontQuery, ParamError> {
        let known = Known::of(l);
        let need = |f: Field| {
            p.known(&known, f)?.ok_or_else(|| {
                bad(
                    f.name(),
                    format!("give one (`{}=…`); {}", f.name(), listing(&known, f)),
                )
            })
        };
        let agreement = need(Field::Agreement)?;
        let reading = need(Field::Reading)?;
        if !l
            .reading_versions
            .get(&(agreement.clone(), reading.clone()))
            .is_some_and(|v| v.iter().any(|r| r.retracted.is_none()))
        {
            let of: Vec<&str> = l
                .reading_versions
                .iter()
                .filter(|((a, _), v)| a == &agreement && v.iter().any(|r| r.retracted.is_none()))
                .map(|((_, p), _)| p.as_str())
                .collect();
            return Err(bad(
                "reading",
                format!(
                    "{reading} filed no reading of {agreement}; readings of it: {}",
                    if of.is_empty() {
                        "none".to_string()
                    } else {
                        of.join(", ")
                    }
                ),
            ));
        }
        let at = p
            .get("at")
            .map(|v| {
                Time::parse(&v.replace(' ', "+")).map_err(|e| {
                    bad(
                        "at",
                        format!("{e}; write RFC 3339, e.g. 2025-05-03T00:00:00Z"),
                    )
                })
            })
            .transpose()?;
        let tolerance_m = number(p, "tolerance_m", MIN_TOLERANCE_M, MAX_TOLERANCE_M)?
            .unwrap_or(DEFAULT_TOLERANCE_M);
        Ok(FrontQuery {
            agreement,
            reading,
            at,
            tolerance_m,
        })
    }
}

fn listing(known: &Known, f: Field) -> String {
    let set = match f {
        Field::Agreement => &known.agreements,
        Field::Reading => &known.readings,
        Field::Party => &known.parties,
    };
    format!(
        "valid: {}",
        set.iter().map(Id::as_str).collect::<Vec<_>>().join(", ")
    )
}

/// A position rounded to a micro-degree (about 0.1 m): what a map needs, a third of the bytes.
fn round(p: LonLat) -> Value {
    json!([(p[0] * 1e6).round() / 1e6, (p[1] * 1e6).round() / 1e6])
}

fn ring_json(r: &[LonLat]) -> Value {
    Value::Array(r.iter().map(|p| round(*p)).collect())
}

/// A line version's parts (a control area's rings), and for a control area its rings.
fn parts_of(v: &LineVersion) -> Option<(Vec<Vec<LonLat>>, bool)> {
    let ll = |p: &truce_model::geo::Point| [p.lon(), p.lat()];
    match &v.geometry {
        Geometry::LineString(s) => Some((vec![s.points().iter().map(ll).collect()], false)),
        Geometry::MultiLineString(m) => Some((
            m.lines()
                .iter()
                .map(|s| s.points().iter().map(ll).collect())
                .collect(),
            false,
        )),
        Geometry::Polygon(p) => Some((
            p.rings()
                .iter()
                .map(|r| r.iter().map(ll).collect())
                .collect(),
            true,
        )),
        Geometry::Point(_) => None,
    }
}

/// Twice the signed area of a ring on the lon/lat plane (positive: counter-clockwise).
fn signed_area2(r: &[LonLat]) -> f64 {
    r.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum()
}

/// The side of the line as drawn that is `pl.party`'s: its stated side, or for a control area
/// the inside (left of a counter-clockwise outer ring) when the party controls it.
fn party_side(pl: &PartyLine, v: &LineVersion, parts: &[Vec<LonLat>], area: bool) -> Option<Side2> {
    if area {
        let ccw = parts.first().is_some_and(|r| signed_area2(r) > 0.0);
        let inside = if ccw { Side2::Left } else { Side2::Right };
        let ours = v.controlled_by.as_ref() == Some(&pl.party);
        return Some(if ours { inside } else { inside.other() });
    }
    pl.side.map(|s| match s {
        LineSide::Left => Side2::Left,
        LineSide::Right => Side2::Right,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side2 {
    Left,
    Right,
}

impl Side2 {
    fn other(self) -> Side2 {
        match self {
            Side2::Left => Side2::Right,
            Side2::Right => Side2::Left,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Side2::Left => "left",
            Side2::Right => "right",
        }
    }
}

/// The features kept, the positions they hold, and whether one was left out.
struct Out {
    features: Vec<Value>,
    positions: usize,
    truncated: bool,
    notes: Vec<String>,
}

impl Out {
    fn push(&mut self, f: Value, positions: usize) {
        if self.positions + positions > MAX_POSITIONS {
            self.truncated = true;
            return;
        }
        self.positions += positions;
        self.features.push(f);
    }
}

/// The version of a reading in force at `at` (of those effective by then, the one filed last),
/// or the latest without `at`.
fn reading_at<'a>(
    l: &'a Ledger,
    agreement: &Id,
    party: &Id,
    at: Option<Time>,
) -> Option<&'a Record<truce_model::domain::Reading>> {
    l.reading_versions
        .get(&(agreement.clone(), party.clone()))?
        .iter()
        .filter(|r| r.retracted.is_none())
        .filter(|r| at.is_none_or(|t| r.value.effective_from.unwrap_or(r.time) <= t))
        .max_by_key(|r| r.index)
}

/// One party's line as read from the ledger: what drawing it needs, owned (drawn without the
/// ledger's lock).
#[derive(Debug, Clone)]
struct PartyPlan {
    pl: PartyLine,
    share: f64,
    props: Map<String, Value>,
    entry_id: String,
    kind: &'static str,
    title: String,
    vertices: usize,
    parts: Vec<Vec<LonLat>>,
    area: bool,
    side: Option<Side2>,
}

/// What a front query reads of the ledger ([`front_plan`]), drawn by [`FrontPlan::render`]
/// without it.
#[derive(Debug, Clone)]
pub struct FrontPlan {
    query: FrontQuery,
    reading: Value,
    front: Option<truce_model::front::FrontTerms>,
    parties: Vec<PartyPlan>,
    notes: Vec<String>,
}

/// Reads what `q` shows from `l` (cheap: the reading's terms and the lines' positions, copied).
pub fn front_plan(l: &Ledger, q: &FrontQuery) -> FrontPlan {
    let mut plan = FrontPlan {
        query: q.clone(),
        reading: Value::Null,
        front: None,
        parties: Vec::new(),
        notes: Vec::new(),
    };
    let Some(r) = reading_at(l, &q.agreement, &q.reading, q.at) else {
        plan.notes.push(format!(
            "no version of {}'s reading of {} is in force{}",
            q.reading,
            q.agreement,
            q.at.map(|t| format!(" at {t}")).unwrap_or_default()
        ));
        return plan;
    };
    plan.reading = json!({
        "index": r.index, "entry": r.entry_id,
        "effective_from": r.value.effective_from.unwrap_or(r.time),
    });
    let Some(front) = &r.value.terms.front else {
        plan.notes.push(format!(
            "this version of {}'s reading of {} has no [terms.front]",
            q.reading, q.agreement
        ));
        return plan;
    };
    plan.front = Some(front.clone());
    for pl in &front.lines {
        let line_name = pl.line.to_string();
        let rec = match truce_model::lines::version(l, &pl.line.author, &pl.line.id, q.at) {
            Ok(r) => r,
            Err(e) => {
                plan.notes.push(format!("{}'s line: {e}", pl.party));
                continue;
            }
        };
        let v = &rec.value;
        let Some((parts, area)) = parts_of(v) else {
            plan.notes
                .push(format!("{}'s line {line_name} is a point", pl.party));
            continue;
        };
        let side = party_side(pl, v, &parts, area);
        let share = front.share(&pl.party).unwrap_or(1.0);
        let mut props = Map::new();
        props.insert("party".into(), json!(pl.party));
        props.insert("line".into(), json!(line_name));
        props.insert("entry".into(), json!(rec.entry_id));
        props.insert("index".into(), json!(rec.index));
        props.insert("valid_from".into(), json!(v.valid_from));
        props.insert("approximate_m".into(), json!(v.approximate_m));
        props.insert("side".into(), json!(side.map(Side2::as_str)));
        props.insert("share".into(), json!(share));
        plan.parties.push(PartyPlan {
            pl: pl.clone(),
            share,
            props,
            entry_id: rec.entry_id.clone(),
            kind: v.kind.as_str(),
            title: v.title.clone(),
            vertices: v.vertices(),
            parts,
            area,
            side,
        });
    }
    plan
}

/// The FeatureCollection of `GET /v1/front.geojson` (see the module docs): [`front_plan`] then
/// [`FrontPlan::render`]. Zones are drawn through `cache`.
pub fn front_geojson(l: &Ledger, q: &FrontQuery, cache: &DisplayCache) -> Value {
    front_plan(l, q).render(cache)
}

impl FrontPlan {
    /// Draws the plan (the zones through `cache`) into the FeatureCollection.
    pub fn render(&self, cache: &DisplayCache) -> Value {
        let q = &self.query;
        let mut out = Out {
            features: Vec::new(),
            positions: 0,
            truncated: false,
            notes: self.notes.clone(),
        };
        if let Some(front) = &self.front {
            for p in &self.parties {
                party_features(q.tolerance_m, cache, front, p, &mut out);
            }
        }
        json!({
            "type": "FeatureCollection",
            "agreement": q.agreement,
            "reading": q.reading,
            "reading_version": self.reading,
            "at": q.at,
            "tolerance_m": q.tolerance_m,
            "display": DISPLAY_NOTE,
            "notes": out.notes,
            "truncated": out.truncated,
            "positions": out.positions,
            "features": out.features,
        })
    }
}

fn party_features(
    tol: f64,
    cache: &DisplayCache,
    front: &truce_model::front::FrontTerms,
    p: &PartyPlan,
    out: &mut Out,
) {
    let pl = &p.pl;
    let line_name = pl.line.to_string();
    let share = p.share;
    let base = &p.props;
    // The line itself, simplified within the tolerance.
    let simplified: Vec<Vec<LonLat>> = p.parts.iter().map(|x| simplify(x, tol)).collect();
    let n: usize = simplified.iter().map(Vec::len).sum();
    let many = |v: &[Vec<LonLat>]| Value::Array(v.iter().map(|r| ring_json(r)).collect());
    let geometry = if p.area {
        json!({"type": "Polygon", "coordinates": many(&simplified)})
    } else if simplified.len() == 1 {
        json!({"type": "LineString", "coordinates": ring_json(&simplified[0])})
    } else {
        json!({"type": "MultiLineString", "coordinates": many(&simplified)})
    };
    let mut props = base.clone();
    props.insert("kind".into(), json!("line"));
    props.insert("line_kind".into(), json!(p.kind));
    props.insert("title".into(), json!(p.title));
    props.insert("vertices".into(), json!(p.vertices));
    props.insert("vertices_shown".into(), json!(n));
    props.insert("tolerance_m".into(), json!(tol));
    out.push(
        json!({"type": "Feature", "id": format!("{}:{line_name}", pl.party), "geometry": geometry, "properties": props}),
        n,
    );
    let Some(side) = p.side else {
        out.notes.push(format!(
            "{}'s line {line_name} states no side: its zones are not drawn",
            pl.party
        ));
        return;
    };
    // The prepared line, made only when a zone is not kept yet.
    let mut prepared: Option<Result<ContactLine, String>> = None;
    let mut zone = |d_m: f64| -> Drawn {
        let key = (p.entry_id.clone(), d_m.to_bits(), tol.to_bits());
        cache.get(key, || {
            let line = prepared.get_or_insert_with(|| {
                ContactLine::new(p.parts.clone()).map_err(|e| e.to_string())
            });
            match line {
                Ok(line) => line
                    .display(d_m, tol)
                    .map(Arc::new)
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.clone()),
            }
        })
    };
    // Nothing more fits: no zone is drawn for an answer that cannot hold it.
    if out.positions >= MAX_POSITIONS {
        out.truncated = true;
        return;
    }
    let common = |props: &mut Map<String, Value>| {
        props.insert("tolerance_m".into(), json!(tol));
        props.insert("display".into(), json!(DISPLAY_NOTE));
    };
    if let Some(b) = front.buffer_km {
        let km = b * share;
        match zone(km * 1000.0) {
            Ok(z) => {
                let polys = if side == Side2::Left {
                    &z.left
                } else {
                    &z.right
                };
                let n: usize = polys.iter().flatten().map(Vec::len).sum();
                let mut props = base.clone();
                props.insert("kind".into(), json!("buffer"));
                props.insert("buffer_km".into(), json!(b));
                props.insert("width_km".into(), json!(km));
                common(&mut props);
                let coords: Vec<Value> = polys.iter().map(|p| many(p)).collect();
                out.push(
                    json!({"type": "Feature", "id": format!("{}:{line_name}:buffer", pl.party),
                        "geometry": {"type": "MultiPolygon", "coordinates": coords}, "properties": props}),
                    n,
                );
            }
            Err(e) => out.notes.push(format!(
                "{}'s buffer from {line_name} could not be drawn: {e}",
                pl.party
            )),
        }
    }
    for (i, w) in front.withdrawal.iter().enumerate() {
        let km = w.width_km * share;
        match zone(km * 1000.0) {
            Ok(z) => {
                let lines = if side == Side2::Left {
                    &z.left_line
                } else {
                    &z.right_line
                };
                let n: usize = lines.iter().map(Vec::len).sum();
                let mut props = base.clone();
                props.insert("kind".into(), json!("withdrawal-line"));
                props.insert("weapons".into(), json!(w.weapons));
                props.insert("min_calibre_mm".into(), json!(w.min_calibre_mm));
                props.insert("max_calibre_mm".into(), json!(w.max_calibre_mm));
                props.insert("width_km".into(), json!(w.width_km));
                props.insert("distance_km".into(), json!(km));
                props.insert("source".into(), json!(w.source));
                common(&mut props);
                out.push(
                    json!({"type": "Feature", "id": format!("{}:{line_name}:withdrawal:{i}", pl.party),
                        "geometry": {"type": "MultiLineString", "coordinates": many(lines)}, "properties": props}),
                    n,
                );
            }
            Err(e) => out.notes.push(format!(
                "{}'s withdrawal line {i} from {line_name} could not be drawn: {e}",
                pl.party
            )),
        }
    }
}

/// A part simplified within `tol_m` metres (Douglas–Peucker, [`super::tracks::simplify`]).
fn simplify(part: &[LonLat], tol_m: f64) -> Vec<LonLat> {
    let pts: Vec<(i64, i32, i32)> = part
        .iter()
        .map(|p| (0, (p[0] * 1e6).round() as i32, (p[1] * 1e6).round() as i32))
        .collect();
    super::tracks::simplify(&pts, tol_m)
        .into_iter()
        .filter_map(|i| part.get(i).copied())
        .collect()
}

// ───────────────────────────── observations ─────────────────────────────

/// An observations query.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationQuery {
    /// Start of the window, unix milliseconds (`None`: [`MAX_WINDOW_DAYS`] before `to_ms`).
    pub from_ms: Option<i64>,
    /// End of the window, unix milliseconds, inclusive (`None`: the latest observation's start).
    pub to_ms: Option<i64>,
    /// Observations whose footprint's bounding box meets this box.
    pub bbox: Option<[f64; 4]>,
    /// Features at most.
    pub limit: usize,
}

fn bound_ms(name: &str, b: Option<Bound>, end: bool) -> Result<Option<i64>, ParamError> {
    Ok(match b {
        None => None,
        Some(Bound::At(t)) => Some(t.0.as_millisecond()),
        Some(Bound::Day(d)) => {
            let s =
                d.0.to_zoned(jiff::tz::TimeZone::UTC)
                    .map(|z| z.timestamp().as_millisecond())
                    .map_err(|e| bad(name, format!("{d}: {e}")))?;
            Some(if end { s + DAY_MS - 1 } else { s })
        }
    })
}

impl ObservationQuery {
    /// The query a request's parameters give ([`OBSERVATION_PARAMS`]).
    pub fn parse(p: &Params) -> Result<ObservationQuery, ParamError> {
        let r = p.time_range()?;
        let from_ms = bound_ms("from", r.from, false)?;
        let to_ms = bound_ms("to", r.to, true)?;
        if let (Some(a), Some(b)) = (from_ms, to_ms) {
            if b - a > MAX_WINDOW_DAYS * DAY_MS {
                return Err(bad(
                    "to",
                    format!(
                        "the window is longer than {MAX_WINDOW_DAYS} days; ask for a shorter one"
                    ),
                ));
            }
        }
        let limit = match p.usize("limit")? {
            Some(n) if n > MAX_OBSERVATIONS => {
                return Err(bad(
                    "limit",
                    format!("{n} is above the most observations in one answer, {MAX_OBSERVATIONS}"),
                ))
            }
            Some(n) => n,
            None => DEFAULT_OBSERVATIONS,
        };
        Ok(ObservationQuery {
            from_ms,
            to_ms,
            bbox: p.bbox()?,
            limit,
        })
    }
}

/// The FeatureCollection of `GET /v1/observations.geojson` (see the module docs): the
/// observations of signed reports (the ones monitors file), not retracted, in log order.
pub fn observations_geojson(l: &Ledger, q: &ObservationQuery) -> Value {
    let obs = || {
        l.reports
            .iter()
            .filter(|r| r.retracted().is_none())
            .filter_map(|r| r.held())
            .filter(|r| r.value.observation.is_some())
    };
    let span = MAX_WINDOW_DAYS * DAY_MS;
    let (from, to) = match (q.from_ms, q.to_ms) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, a + span),
        (None, Some(b)) => (b - span, b),
        (None, None) => {
            let last = obs()
                .map(|r| r.value.time.start.0.as_millisecond())
                .max()
                .unwrap_or(0);
            (last - span, last)
        }
    };
    let mut features = Vec::new();
    let mut cells = 0usize;
    let mut truncated = false;
    let mut matched = 0usize;
    for r in obs() {
        let start = r.value.time.start.0.as_millisecond();
        if start < from || start > to {
            continue;
        }
        let Some(o) = &r.value.observation else {
            continue;
        };
        let Ok(fp) = PublicFootprint::from_cell_strings(&o.footprint.cells, o.footprint.hidden_m)
        else {
            continue;
        };
        let polys = fp.to_polygons();
        if let Some(b) = q.bbox {
            let meets = polys
                .iter()
                .flatten()
                .flatten()
                .any(|p| (b[0]..=b[2]).contains(&p[0]) && (b[1]..=b[3]).contains(&p[1]));
            if !meets {
                continue;
            }
        }
        matched += 1;
        if features.len() >= q.limit || cells + polys.len() > MAX_CELLS {
            truncated = true;
            continue;
        }
        cells += polys.len();
        let coords: Vec<Value> = polys
            .iter()
            .map(|p| Value::Array(p.iter().map(|r| ring_json(r)).collect()))
            .collect();
        features.push(json!({
            "type": "Feature",
            "id": r.entry_id,
            "geometry": {"type": "MultiPolygon", "coordinates": coords},
            "properties": {
                "author": r.author,
                "id": r.value.id,
                "index": r.index,
                "start": r.value.time.start,
                "end": r.value.time.end,
                "act": r.value.act,
                "modality": o.modality,
                "event": o.event,
                "count": o.count,
                "distance": o.distance,
                "sectors": o.sectors,
                "hidden_m": o.footprint.hidden_m,
                "cells": o.footprint.cells.len(),
                "resolution": fp.resolution(),
                "place": r.value.location.place,
                "text": r.value.text,
                "illustrative": r.value.illustrative,
            },
        }));
    }
    json!({
        "type": "FeatureCollection",
        "window": {"from": super::tracks::time_json(from), "to": super::tracks::time_json(to)},
        "matched": matched,
        "truncated": truncated,
        "features": features,
    })
}

/// Adds to each feature of an [`observations_geojson`] document the incident its observation is
/// in (`properties.incident`), found among `incidents`' members by entry id. Only incidents with
/// an observed member are searched.
pub fn with_incidents(doc: &mut Value, incidents: &[truce_engine::Incident]) {
    let Some(features) = doc.get_mut("features").and_then(Value::as_array_mut) else {
        return;
    };
    let wanted: std::collections::HashSet<String> = features
        .iter()
        .filter_map(|f| f.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    let mut of: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for inc in incidents {
        for m in inc.members.iter().filter(|m| m.observed.is_some()) {
            if wanted.contains(m.entry_id.as_str()) {
                of.insert(m.entry_id.as_str(), inc.id.as_str());
            }
        }
    }
    for f in features.iter_mut() {
        let Some(inc) = f.get("id").and_then(Value::as_str).and_then(|e| of.get(e)) else {
            continue;
        };
        let inc = inc.to_string();
        if let Some(p) = f.get_mut("properties").and_then(Value::as_object_mut) {
            p.insert("incident".into(), Value::String(inc));
        }
    }
}

//! Observation footprints (issue 16): what a monitor patrol heard or saw from a position, as
//! compass sectors and a distance range ("26 explosions, 3–6 km north and north-east"), and the
//! privacy-preserving public form of it that the log carries.
//!
//! # The exact footprint (restricted: it needs the observer's position)
//!
//! A footprint is the union, over its [`Sector`]s, of the annular sectors around the observer:
//! the positions `p` whose geodesic distance from the observer lies in the [`Ring`]
//! (`min_m <= d <= max_m`, inclusive) and whose forward azimuth from the observer (WGS84,
//! Karney, clockwise from true north) lies in a sector (inclusive of both edges). [`contains`]
//! decides membership exactly so; [`polygon`] draws it for display within a stated tolerance.
//!
//! # The public form ([`coarsen`] → [`PublicFootprint`])
//!
//! The observer's position is restricted. The public form is a sorted list of H3 cells
//! (`h3o`, pure Rust, built without its `std` feature: `libm`'s portable maths) at one
//! resolution, computed from the observer's *coarse cell* only, never from the exact position.
//! What it guarantees:
//!
//! - **A function of the coarse cell.** The coarse resolution is a function of `hide_m` alone
//!   ([`coarse_resolution`]: the finest H3 resolution whose cells all measure at least
//!   `hide_m / 0.6` along an edge on average, see below); the coarse cell is the H3 cell of that
//!   resolution holding the observer. Everything after that reads only the coarse cell (its
//!   centre and vertices), the sectors, the ring and `hide_m`, so every observer in the same coarse
//!   cell gets a byte-identical public footprint. No "go coarser if this cell is too small" step
//!   reads the observer's finer cell: that choice would itself tell which finer cell the observer
//!   is in.
//! - **Hidden at least `hide_m`.** Half the coarse cell's largest vertex-to-vertex geodesic
//!   distance is at least `hide_m`, checked on the actual cell ([`PublicFootprint::hidden_radius_m`]
//!   states the value achieved). For any guess `g`, two vertices `u`, `v` of the cell satisfy
//!   `d(g, u) + d(g, v) >= d(u, v)`, so one of them (a position of the closed cell) lies at least
//!   `hidden_radius_m >= hide_m` from `g`. The resolution is chosen from the smallest cells H3 has
//!   (next to its twelve pentagons, where half the diameter is 0.675–0.71 of the resolution's
//!   average edge): 0.6 of the average edge leaves a margin, and a cell that still fails the
//!   check is refused ([`GeoError::CoarseCellTooSmall`]), never silently replaced.
//! - **An outer approximation.** Every position of the exact footprint of every observer position
//!   in the coarse cell lies in one of the cells (each cell is tested with bounds: the
//!   triangle inequality on geodesic distances between the coarse cell's and each candidate cell's
//!   centres and radii, and an azimuth interval widened for the displacement and the convergence
//!   of meridians; near a pole the azimuth is not used). It is a *superset*: cells along the edges
//!   may hold no position of any footprint.
//! - **Bounded and deterministic.** The cells are one resolution finer than the coarse cell, or
//!   coarser when the candidate disk would exceed [`MAX_CELLS`] cells; sorted, no duplicates.
//!   They are not compacted into parents: an H3 parent does not cover exactly the area of its
//!   seven children, so a compacted list would no longer be an outer approximation.
//!
//! What it does not guarantee: that the observer is uniformly hidden in the cell (it is known to
//! be *in* the coarse cell, which the footprint's shape roughly reveals — the cell is the public
//! part); and anything about several footprints together. Footprints from one position with one
//! `hide_m` share the coarse cell and narrow nothing; with *different* `hide_m` their coarse cells
//! have different resolutions, and since H3 cells do not nest exactly, the observer is then
//! known to be in the intersection of the cells, which can be smaller than either: use one
//! `hide_m` per observer (or per deployment). Footprints from different coarse cells of one
//! patrol route say where the route went.
//!
//! # Against a line of contact ([`PublicFootprint::against`])
//!
//! Bounds on the geodesic distance from any position of the public footprint to a
//! [`ContactLine`], and which sides of it the footprint touches, from cell centres measured with
//! [`ContactLine::measure`] and each cell's radius (the largest distance from its centre to its
//! vertices, computed, with a margin): a cell is on its centre's side, or on both sides when its
//! centre lies within its radius of the line, or when a free end of the line may be the nearest
//! point of some of it (beside an end the side is that of the end arc extended, and where the
//! nearest point switches from the end to another arc the side changes without crossing the
//! line). [`PublicFootprint::against_cells`] measures every cell; [`PublicFootprint::against`]
//! measures disks holding many cells first and the cells only where the line may pass (the same
//! sides; distance bounds as wide as the disks that stood for their cells).
//! [`PublicFootprint::relation_within`] answers a decision against given distance thresholds as
//! `against_cells` would (the same sides; the bounds on the same side of every threshold) while
//! refining only where the answer is still open, and reads the line's distance grid
//! ([`ContactLine::with_distance_grid`]) instead of measuring where it can: about the cost of one
//! exact measure per footprint on a 20,000-vertex line (`crates/truce-engine/examples/front_bench.rs`).
//!
//! The sides assume what a line of contact is: a line that does not wind around itself (between
//! the turns of a spiral, and between separate parts drawn in opposite directions, the side of
//! the nearest point changes away from the line, and a cell there counts on its centre's side).
//!
//! Pure: no IO, no clock.

use geo::{Bearing, Destination, Geodesic};
use h3o::{CellIndex, LatLng, Resolution};

use crate::sphere::{self, M_MIN};
use crate::{ContactLine, GeoError, LonLat, Side};

/// Largest `max_m` of a [`Ring`]: 100 km (what a patrol can hear or see).
pub const MAX_RING_M: f64 = 100_000.0;
/// Largest `hide_m` of [`coarsen`]: 500 km (H3's coarsest cells).
pub const MAX_HIDE_M: f64 = 500_000.0;
/// Most cells a [`PublicFootprint`] holds (its resolution is made coarser to stay within it).
pub const MAX_CELLS: usize = 4_000;
/// Smallest display tolerance of [`polygon`], metres.
pub const MIN_TOLERANCE_M: f64 = 0.1;
/// A resolution is used for hiding when `hide_m` is at most this fraction of its average edge
/// length (the smallest cells, beside pentagons, have half-diameters of 0.675 of it).
const HIDE_FRACTION: f64 = 0.6;

/// A compass sector: bearings clockwise from true north, from `from_deg` clockwise to `to_deg`
/// (so 337.5 → 22.5 is the 45° sector around north). Both lie in `[0, 360]`; 0 → 360 (or
/// 360 → 0) is the full circle; equal ends are refused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sector {
    /// Where the sector starts, degrees clockwise from true north.
    pub from_deg: f64,
    /// Where it ends, clockwise from `from_deg`.
    pub to_deg: f64,
}

impl Sector {
    /// Every direction.
    pub const FULL: Sector = Sector {
        from_deg: 0.0,
        to_deg: 360.0,
    };

    /// A checked sector ([`Sector::check`]).
    pub fn new(from_deg: f64, to_deg: f64) -> Result<Sector, GeoError> {
        let s = Sector { from_deg, to_deg };
        s.check()?;
        Ok(s)
    }

    /// The sector `width_deg` wide centred on `centre_deg` (a compass point: north is
    /// `centred(0.0, 45.0)`, 337.5 → 22.5); the full circle from 360° of width on.
    pub fn centred(centre_deg: f64, width_deg: f64) -> Result<Sector, GeoError> {
        if !(centre_deg.is_finite() && width_deg.is_finite() && width_deg > 0.0) {
            return Err(GeoError::BadBearing {
                what: "sector centre or width",
                value: if centre_deg.is_finite() {
                    width_deg
                } else {
                    centre_deg
                },
            });
        }
        if width_deg >= 360.0 {
            return Ok(Sector::FULL);
        }
        Sector::new(
            (centre_deg - width_deg / 2.0).rem_euclid(360.0),
            (centre_deg + width_deg / 2.0).rem_euclid(360.0),
        )
    }

    /// Refuses bearings outside `[0, 360]` or not finite, and equal ends.
    pub fn check(&self) -> Result<(), GeoError> {
        for (what, value) in [
            ("sector from_deg", self.from_deg),
            ("sector to_deg", self.to_deg),
        ] {
            if !(value.is_finite() && (0.0..=360.0).contains(&value)) {
                return Err(GeoError::BadBearing { what, value });
            }
        }
        if self.from_deg == self.to_deg {
            return Err(GeoError::EmptySector {
                from_deg: self.from_deg,
                to_deg: self.to_deg,
            });
        }
        Ok(())
    }

    /// Whether the sector is the full circle (0 → 360 or 360 → 0).
    pub fn is_full(&self) -> bool {
        (self.to_deg - self.from_deg).abs() == 360.0
    }

    /// Its width in degrees, in `(0, 360]`.
    pub fn width_deg(&self) -> f64 {
        if self.is_full() {
            360.0
        } else {
            (self.to_deg - self.from_deg).rem_euclid(360.0)
        }
    }

    /// Whether a bearing (degrees, any value; reduced modulo 360) lies in the sector, edges
    /// included.
    pub fn contains_bearing(&self, bearing_deg: f64) -> bool {
        if !bearing_deg.is_finite() {
            return false;
        }
        if self.is_full() {
            return true;
        }
        (bearing_deg - self.from_deg).rem_euclid(360.0) <= self.width_deg()
    }

    /// Whether the sector meets the bearing interval from `lo` clockwise over `width` degrees
    /// (`0 <= width < 360`).
    fn meets(&self, lo: f64, width: f64) -> bool {
        self.is_full()
            || self.contains_bearing(lo)
            || (self.from_deg - lo).rem_euclid(360.0) <= width
    }
}

/// A distance range in metres from the observer, inclusive: `0 <= min_m < max_m <=`
/// [`MAX_RING_M`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ring {
    /// Nearest distance, metres.
    pub min_m: f64,
    /// Farthest distance, metres.
    pub max_m: f64,
}

impl Ring {
    /// A checked ring ([`Ring::check`]).
    pub fn new(min_m: f64, max_m: f64) -> Result<Ring, GeoError> {
        let r = Ring { min_m, max_m };
        r.check()?;
        Ok(r)
    }

    /// Refuses anything but `0 <= min_m < max_m <= MAX_RING_M` (finite).
    pub fn check(&self) -> Result<(), GeoError> {
        let ok = self.min_m.is_finite()
            && self.max_m.is_finite()
            && self.min_m >= 0.0
            && self.min_m < self.max_m
            && self.max_m <= MAX_RING_M;
        if ok {
            Ok(())
        } else {
            Err(GeoError::BadRing {
                min_m: self.min_m,
                max_m: self.max_m,
                limit_m: MAX_RING_M,
            })
        }
    }

    /// Whether a distance lies in the range, ends included.
    pub fn contains(&self, d_m: f64) -> bool {
        self.min_m <= d_m && d_m <= self.max_m
    }
}

/// Refuses an invalid observer, no sectors, a bad sector or a bad ring.
pub fn check_footprint(observer: LonLat, sectors: &[Sector], ring: Ring) -> Result<(), GeoError> {
    if !sphere::valid(observer) {
        return Err(GeoError::InvalidPosition(observer));
    }
    if sectors.is_empty() {
        return Err(GeoError::NoSectors);
    }
    for s in sectors {
        s.check()?;
    }
    ring.check()
}

fn pt(p: LonLat) -> geo::Point<f64> {
    geo::Point::new(p[0], p[1])
}

/// Forward azimuth in degrees `[0, 360)` of the geodesic from `a` to `b` (WGS84, Karney).
fn azimuth(a: LonLat, b: LonLat) -> f64 {
    Geodesic.bearing(pt(a), pt(b))
}

/// The position `dist` metres from `from` along the geodesic leaving it at `bearing` degrees.
fn destination(from: LonLat, bearing: f64, dist: f64) -> LonLat {
    let q = Geodesic.destination(pt(from), bearing, dist);
    [sphere::norm_lon(q.x()), q.y()]
}

/// Whether `p` lies in the exact footprint: `ring.min_m <= d <= ring.max_m` for the geodesic
/// distance `d` from the observer, and the forward azimuth from the observer to `p` in one of
/// the sectors (edges included). The observer's own position (`d = 0`, no azimuth) is in the
/// footprint exactly when `min_m` is 0. False for invalid input (see [`check_footprint`]) or an
/// invalid `p`.
pub fn contains(observer: LonLat, sectors: &[Sector], ring: Ring, p: LonLat) -> bool {
    if check_footprint(observer, sectors, ring).is_err() || !sphere::valid(p) {
        return false;
    }
    let d = crate::distance_m(observer, p);
    if !ring.contains(d) {
        return false;
    }
    if d == 0.0 {
        return true;
    }
    let az = azimuth(observer, p);
    sectors.iter().any(|s| s.contains_bearing(az))
}

/// The union of the sectors as bearing intervals `(start, width)`, sorted, disjoint, each
/// narrower than 360°; `None` for the full circle.
fn merged(sectors: &[Sector]) -> Option<Vec<(f64, f64)>> {
    if sectors.iter().any(Sector::is_full) {
        return None;
    }
    let mut iv: Vec<(f64, f64)> = sectors
        .iter()
        .map(|s| {
            let a = s.from_deg.rem_euclid(360.0);
            (a, a + s.width_deg())
        })
        .collect();
    iv.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(iv.len());
    for (a, b) in iv {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    // An interval running past north may reach the first ones.
    while out.len() > 1 {
        let (la, lb) = out[out.len() - 1];
        let (fa, fb) = out[0];
        if lb - 360.0 >= fa {
            out.remove(0);
            let n = out.len();
            out[n - 1] = (la, lb.max(fb + 360.0));
        } else {
            break;
        }
    }
    if out.iter().any(|&(a, b)| b - a >= 360.0) {
        return None;
    }
    Some(out.into_iter().map(|(a, b)| (a, b - a)).collect())
}

/// The midpoint of the great-circle arc between two positions (edges are such arcs).
fn arc_mid(a: LonLat, b: LonLat) -> LonLat {
    let (u, v) = (sphere::unit(a), sphere::unit(b));
    sphere::lonlat([u[0] + v[0], u[1] + v[1], u[2] + v[2]])
}

/// Appends the positions after `at(t0)` up to `at(t1)`, bisecting until every edge's
/// great-circle midpoint lies within `tol` of the true curve's point half way.
fn refine(out: &mut Vec<LonLat>, at: &dyn Fn(f64) -> LonLat, t0: f64, t1: f64, tol: f64) {
    // Enough first pieces that a bisection check cannot miss a bulge (at most 5° of arc).
    let mut stack = vec![(t0, t1, at(t0), at(t1), 0u32)];
    while let Some((a, b, pa, pb, depth)) = stack.pop() {
        let m = (a + b) / 2.0;
        let pm = at(m);
        if depth < 40 && crate::distance_m(pm, arc_mid(pa, pb)) > tol {
            // Second half last on the stack's bottom: push it first.
            stack.push((m, b, pm, pb, depth + 1));
            stack.push((a, m, pa, pm, depth + 1));
        } else {
            out.push(pb);
        }
    }
}

/// The exact footprint as polygons for display: a list of polygons, each a list of closed rings
/// of `[lon, lat]` (outer ring counter-clockwise, a hole clockwise, as GeoJSON), one polygon per
/// disjoint bearing interval of the sectors' union (one with a hole for the full circle with
/// `min_m > 0`). Arcs and radial edges are refined until each edge's great-circle midpoint
/// lies within `tolerance_m` of the true boundary's point (arcs at most 5° before refinement).
pub fn polygon(
    observer: LonLat,
    sectors: &[Sector],
    ring: Ring,
    tolerance_m: f64,
) -> Result<Vec<Vec<Vec<LonLat>>>, GeoError> {
    check_footprint(observer, sectors, ring)?;
    if !(tolerance_m.is_finite() && tolerance_m >= MIN_TOLERANCE_M) {
        return Err(GeoError::BadTolerance {
            value: tolerance_m,
            min: MIN_TOLERANCE_M,
        });
    }
    let o = [sphere::norm_lon(observer[0]), observer[1]];
    let arc = |out: &mut Vec<LonLat>, r: f64, a: f64, b: f64| {
        let at = move |t: f64| destination(o, t, r);
        let n = ((b - a).abs() / 5.0).ceil().max(1.0) as usize;
        for i in 0..n {
            let t0 = a + (b - a) * i as f64 / n as f64;
            let t1 = a + (b - a) * (i + 1) as f64 / n as f64;
            refine(out, &at, t0, t1, tolerance_m);
        }
    };
    let radial = |out: &mut Vec<LonLat>, bearing: f64, d0: f64, d1: f64| {
        let at = move |t: f64| {
            if t == 0.0 {
                o
            } else {
                destination(o, bearing, t)
            }
        };
        refine(out, &at, d0, d1, tolerance_m);
    };
    let close = |mut r: Vec<LonLat>, ccw: bool| {
        if ccw {
            r.reverse();
        }
        if let Some(&first) = r.first() {
            r.push(first);
        }
        r
    };
    let Some(intervals) = merged(sectors) else {
        let mut outer = vec![destination(o, 0.0, ring.max_m)];
        arc(&mut outer, ring.max_m, 0.0, 360.0);
        outer.pop();
        let mut rings = vec![close(outer, true)];
        if ring.min_m > 0.0 {
            let mut inner = vec![destination(o, 0.0, ring.min_m)];
            arc(&mut inner, ring.min_m, 0.0, 360.0);
            inner.pop();
            rings.push(close(inner, false));
        }
        return Ok(vec![rings]);
    };
    let mut polys = Vec::with_capacity(intervals.len());
    for (a, w) in intervals {
        let b = a + w;
        // Clockwise: outer arc a → b, radial b inwards, inner arc b → a, radial a outwards.
        let mut r = vec![destination(o, a, ring.max_m)];
        arc(&mut r, ring.max_m, a, b);
        if ring.min_m > 0.0 {
            radial(&mut r, b, ring.max_m, ring.min_m);
            arc(&mut r, ring.min_m, b, a);
            radial(&mut r, a, ring.min_m, ring.max_m);
        } else {
            radial(&mut r, b, ring.max_m, 0.0);
            radial(&mut r, a, 0.0, ring.max_m);
        }
        r.pop();
        polys.push(vec![close(r, true)]);
    }
    Ok(polys)
}

// ---------------------------------------------------------------------------------------------
// Bounds on the ellipsoid from unit vectors (geodetic latitude as spherical latitude, as H3 and
// the rest of the crate use): a geodesic of central angle θ is between θ·M_MIN and θ·N_MAX long.

/// An upper bound of the geodesic distance between two positions given as unit vectors.
fn upper_m(a: [f64; 3], b: [f64; 3]) -> f64 {
    sphere::angle(a, b) * sphere::n_max() * (1.0 + 1e-9) + 1e-6
}

/// A lower bound of the geodesic distance between two positions given as unit vectors.
fn lower_m(a: [f64; 3], b: [f64; 3]) -> f64 {
    (sphere::angle(a, b) * M_MIN * (1.0 - 1e-9) - 1e-6).max(0.0)
}

fn ll(c: LatLng) -> LonLat {
    [c.lng(), c.lat()]
}

fn to_latlng(p: LonLat) -> Result<LatLng, GeoError> {
    LatLng::new(p[1], sphere::norm_lon(p[0])).map_err(|_| GeoError::InvalidPosition(p))
}

fn res(r: u8) -> Resolution {
    Resolution::try_from(r.min(15)).unwrap_or(Resolution::Fifteen)
}

/// A cell's centre and a radius holding every position of the (closed) cell: the largest upper
/// bound of the distance from the centre to a vertex, plus 0.1 % and 1 m (the cell's edges are
/// great-circle arcs in H3's spherical coordinates; the margin absorbs the ellipsoid's bending
/// of distances along them and the rounding of H3's own geometry).
#[derive(Clone, Copy, Debug)]
struct Disk {
    c: LonLat,
    v: [f64; 3],
    r: f64,
}

fn cell_disk(cell: CellIndex) -> Disk {
    let c = ll(LatLng::from(cell));
    let v = sphere::unit(c);
    let r = cell
        .boundary()
        .iter()
        .map(|q| upper_m(v, sphere::unit(ll(*q))))
        .fold(0.0, f64::max);
    Disk {
        c,
        v,
        r: r * 1.001 + 1.0,
    }
}

/// The H3 resolution used to hide an observer `hide_m` metres: the finest whose average edge
/// is at least `hide_m / 0.6` (the smallest cells of a resolution, beside its pentagons, have
/// half-diameters of at least 0.675 of its average edge, so every cell then hides at least
/// `hide_m`; [`coarse_cell`] checks it again on the actual cell). A function of `hide_m` alone.
/// Refuses `hide_m` not finite and positive, or above [`MAX_HIDE_M`].
pub fn coarse_resolution(hide_m: f64) -> Result<u8, GeoError> {
    if !(hide_m.is_finite() && hide_m > 0.0) {
        return Err(GeoError::BadDistance {
            what: "hide_m",
            value: hide_m,
        });
    }
    if hide_m > MAX_HIDE_M {
        return Err(GeoError::HideTooLarge {
            hide_m,
            max_m: MAX_HIDE_M,
        });
    }
    let mut r = 0u8;
    while r < 15 && HIDE_FRACTION * res(r + 1).edge_length_m() >= hide_m {
        r += 1;
    }
    Ok(r)
}

/// Half the largest geodesic distance between two vertices of a cell.
fn half_diameter_m(cell: CellIndex) -> f64 {
    let b: Vec<LonLat> = cell.boundary().iter().map(|q| ll(*q)).collect();
    let mut d: f64 = 0.0;
    for i in 0..b.len() {
        for j in i + 1..b.len() {
            d = d.max(crate::distance_m(b[i], b[j]));
        }
    }
    d / 2.0
}

/// The observer's coarse cell for `hide_m`: its H3 index and the distance it hides the observer
/// ([`PublicFootprint::hidden_radius_m`]). Refuses what [`coarse_resolution`] refuses, an invalid
/// observer, and a cell that fails the check (not expected: see the module docs).
pub fn coarse_cell(observer: LonLat, hide_m: f64) -> Result<(u64, f64), GeoError> {
    if !sphere::valid(observer) {
        return Err(GeoError::InvalidPosition(observer));
    }
    let r = coarse_resolution(hide_m)?;
    let cell = to_latlng(observer)?.to_cell(res(r));
    let hidden = half_diameter_m(cell);
    if hidden < hide_m {
        return Err(GeoError::CoarseCellTooSmall {
            cell: cell.to_string(),
            half_diameter_m: hidden,
            hide_m,
        });
    }
    Ok((u64::from(cell), hidden))
}

/// The public footprint of an observation (see the module docs for what it guarantees): the H3
/// cells covering the footprints of every observer position in the observer's coarse cell for
/// `hide_m`. Refuses invalid input ([`check_footprint`], [`coarse_resolution`]).
pub fn coarsen(
    observer: LonLat,
    sectors: &[Sector],
    ring: Ring,
    hide_m: f64,
) -> Result<PublicFootprint, GeoError> {
    check_footprint(observer, sectors, ring)?;
    let (coarse, hidden) = coarse_cell(observer, hide_m)?;
    let coarse = CellIndex::try_from(coarse).map_err(|_| GeoError::BadCell {
        cell: format!("{coarse:x}"),
    })?;
    let cd = cell_disk(coarse);
    let full = merged(sectors).is_none();
    let reach = ring.max_m + cd.r;
    let mut r_f = (u8::from(coarse.resolution()) + 1).min(15);
    loop {
        let centre = to_latlng(cd.c)?.to_cell(res(r_f));
        let Some(cells) = candidates(centre, cd.v, reach) else {
            r_f = r_f.saturating_sub(1);
            continue;
        };
        let mut out: Vec<u64> = cells
            .into_iter()
            .filter(|&(_, d)| covers(&cd, &d, sectors, full, ring))
            .map(|(c, _)| u64::from(c))
            .collect();
        out.sort_unstable();
        out.dedup();
        return PublicFootprint::from_cells(out, hidden);
    }
}

/// The cells around `centre` (at its resolution) that may hold a position within `reach` of
/// `v`: a grid disk grown until its outer ring lies wholly beyond `reach` (the cells meeting the
/// disk of radius `reach` are connected and hold `centre`, so none lies outside a ring that meets
/// none of them). `None` when that would take more than [`MAX_CELLS`] cells (the caller then
/// takes a coarser resolution), decided before listing them; at resolution 0 always `Some`.
fn candidates(centre: CellIndex, v: [f64; 3], reach: f64) -> Option<Vec<(CellIndex, Disk)>> {
    let c0 = cell_disk(centre);
    let spacing = centre
        .grid_disk_safe(1)
        .filter(|&n| n != centre)
        .map(|n| lower_m(c0.v, cell_disk(n).v))
        .fold(f64::INFINITY, f64::min);
    let size = |k: u64| 3 * k * (k + 1) + 1;
    let coarsest = centre.resolution() == Resolution::Zero;
    let mut k: u64 = if spacing.is_finite() && spacing > 0.0 {
        let k = ((reach + c0.r) / (0.8 * spacing)).ceil();
        if k > 1e6 {
            if !coarsest {
                return None;
            }
            1
        } else {
            k as u64 + 1
        }
    } else {
        1
    };
    loop {
        if size(k) > MAX_CELLS as u64 && !coarsest {
            return None;
        }
        let ring = u32::try_from(k).unwrap_or(u32::MAX);
        let disk: Vec<(CellIndex, u32)> = centre.grid_disk_distances_safe(ring).collect();
        let cells: Vec<(CellIndex, Disk)> = disk.iter().map(|&(c, _)| (c, cell_disk(c))).collect();
        let outer_clear = disk
            .iter()
            .zip(&cells)
            .filter(|((_, r), _)| *r == ring)
            .all(|(_, (_, d))| lower_m(v, d.v) - d.r > reach);
        // At resolution 0 a ring of 20 holds the whole globe (122 cells).
        if outer_clear || (coarsest && k >= 20) {
            return Some(cells);
        }
        k += (k / 4).max(2);
    }
}

/// Whether cell `d` may hold a position of the footprint of some observer within the coarse
/// disk `cd` (conservative: true whenever unsure).
fn covers(cd: &Disk, d: &Disk, sectors: &[Sector], full: bool, ring: Ring) -> bool {
    let slack = cd.r + d.r;
    let (far, near) = (
        ring.max_m * (1.0 + 1e-9) + 1e-3,
        ring.min_m * (1.0 - 1e-9) - 1e-3,
    );
    // Bounds of the centres' distance first; the geodesic only when they cannot decide.
    let (lo, hi) = (lower_m(cd.v, d.v), upper_m(cd.v, d.v));
    if lo - slack > far || hi + slack < near {
        return false;
    }
    if hi - slack > far || lo + slack < near {
        let dist = crate::distance_m(cd.c, d.c);
        if dist - slack > far || dist + slack < near {
            return false;
        }
    }
    // A shorter distance only widens the azimuth interval below.
    let dist = lo;
    if full || dist <= 1.25 * slack + 10.0 {
        return true;
    }
    // The azimuth from any observer position to any position of the cell differs from the one
    // between the centres by at most the displacement's angle (asin(slack / dist) in the plane)
    // and the turn of the meridians over the observer's displacement (Δλ·sin φ).
    let phi = cd.c[1].abs() + (cd.r / M_MIN).to_degrees();
    if phi >= 85.0 {
        return true;
    }
    let phi = phi.to_radians();
    let turn = cd.r / (sphere::A * phi.cos()) * phi.sin();
    let delta = (1.25 * (slack / dist).min(1.0).asin() + 1.25 * turn + 1e-3).to_degrees();
    if delta >= 180.0 {
        return true;
    }
    let az = azimuth(cd.c, d.c);
    let lo = (az - delta).rem_euclid(360.0);
    sectors.iter().any(|s| s.meets(lo, 2.0 * delta))
}

// ---------------------------------------------------------------------------------------------

/// The public form of a footprint: H3 cells at one resolution, sorted ascending, no duplicates,
/// and the distance within which the observer is hidden. Made by [`coarsen`], or read back from
/// a record ([`PublicFootprint::from_cell_strings`], [`PublicFootprint::from_cells`]). Two are
/// equal when their cells and hidden radius are.
#[derive(Clone, Debug)]
pub struct PublicFootprint {
    resolution: u8,
    cells: Vec<u64>,
    hidden_m: f64,
    shape: Shape,
}

impl PartialEq for PublicFootprint {
    fn eq(&self, other: &Self) -> bool {
        self.resolution == other.resolution
            && self.cells == other.cells
            && self.hidden_m.to_bits() == other.hidden_m.to_bits()
    }
}

/// What [`PublicFootprint::against`] reads: each cell's disk, and a tree of nodes over them —
/// the cells under one ancestor one resolution up, those under one two resolutions up, and all
/// of them (each a contiguous run of the sorted cells) — each node a disk around one of its
/// cells' centres (the one nearest their mean) holding all its cells.
#[derive(Clone, Debug)]
struct Shape {
    cells: Vec<Disk>,
    /// Levels from the root (one node) down to the cells' parents; each node's children are a
    /// range of the next level (of `cells` for the last level).
    levels: Vec<Vec<Node>>,
}

#[derive(Clone, Debug)]
struct Node {
    disk: Disk,
    /// The cell whose centre is the disk's centre.
    rep: usize,
    children: std::ops::Range<usize>,
    cells: std::ops::Range<usize>,
}

/// The node over `cells[range]`: centred on the cell nearest the cells' mean.
fn node(cells: &[Disk], range: std::ops::Range<usize>, children: std::ops::Range<usize>) -> Node {
    let part = &cells[range.clone()];
    let mut s = [0.0; 3];
    for d in part {
        s = [s[0] + d.v[0], s[1] + d.v[1], s[2] + d.v[2]];
    }
    let rep = part
        .iter()
        .enumerate()
        .map(|(i, d)| (sphere::chord2(d.v, s_unit(s)), i))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(0, |(_, i)| i);
    let c = part[rep];
    let r = part
        .iter()
        .map(|d| upper_m(c.v, d.v) + d.r)
        .fold(0.0, f64::max);
    Node {
        disk: Disk {
            c: c.c,
            v: c.v,
            r: r + 1e-3,
        },
        rep: range.start + rep,
        children,
        cells: range,
    }
}

fn s_unit(v: [f64; 3]) -> [f64; 3] {
    let n = sphere::norm(v);
    if n > 0.0 {
        sphere::scale(v, 1.0 / n)
    } else {
        [1.0, 0.0, 0.0]
    }
}

/// The tree of [`Shape`] over sorted cells of resolution `r`.
fn shape(idx: &[CellIndex], cells: Vec<Disk>, r: u8) -> Shape {
    // Runs of cells under one ancestor at `up` resolutions above.
    let runs = |up: u8| {
        let ar = res(r.saturating_sub(up));
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..=idx.len() {
            if i == idx.len() || idx[i].parent(ar) != idx[start].parent(ar) {
                out.push(start..i);
                start = i;
            }
        }
        out
    };
    let sub = runs(1);
    let grp = runs(2);
    let subs: Vec<Node> = sub
        .iter()
        .map(|rg| node(&cells, rg.clone(), rg.clone()))
        .collect();
    let mut k = 0;
    let groups: Vec<Node> = grp
        .iter()
        .map(|rg| {
            let first = k;
            while k < subs.len() && subs[k].cells.end <= rg.end {
                k += 1;
            }
            node(&cells, rg.clone(), first..k)
        })
        .collect();
    let root = node(&cells, 0..cells.len(), 0..groups.len());
    Shape {
        cells,
        levels: vec![vec![root], groups, subs],
    }
}

/// Bounds on the distance from a public footprint to a line of contact, and its sides
/// ([`PublicFootprint::against`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LineRelation {
    /// No position of the footprint is nearer the line than this (metres, at least 0).
    pub min_m: f64,
    /// No position of the footprint is farther from the line than this (metres).
    pub max_m: f64,
    /// The footprint may reach the left of the line (its drawing direction).
    pub left: bool,
    /// The footprint may reach the right of the line.
    pub right: bool,
}

impl LineRelation {
    /// Whether the footprint may straddle the line (it reaches both sides).
    pub fn straddles(&self) -> bool {
        self.left && self.right
    }
}

/// The free ends of a line's parts (an end continuing no other part). The side of a position
/// whose nearest point of the line is a free end is that of the end arc's great circle
/// extended, so beside an end the side may change without crossing the line: across that
/// extension, and where the nearest point switches from the end to another arc of a line that
/// bends near its end.
fn free_ends(line: &ContactLine) -> Vec<[f64; 3]> {
    let parts: Vec<&[LonLat]> = (0..line.parts()).filter_map(|i| line.part(i)).collect();
    let mut out = Vec::new();
    for p in &parts {
        let (Some(&first), Some(&last)) = (p.first(), p.last()) else {
            continue;
        };
        if !parts.iter().any(|q| q.last() == Some(&first)) {
            out.push(sphere::unit(first));
        }
        if !parts.iter().any(|q| q.first() == Some(&last)) {
            out.push(sphere::unit(last));
        }
    }
    out
}

/// Whether some position of a disk `d` metres from the line may have a free end among its
/// nearest points of the line (its distance to the end `<=` its distance to the line, which
/// needs `dist(centre, end) <= d + 2r`): there the side may change without crossing the line.
fn near_free_end(ends: &[[f64; 3]], disk: &Disk, d: f64) -> bool {
    ends.iter()
        .any(|&e| lower_m(disk.v, e) <= d + 2.0 * disk.r * (1.0 + 1e-9) + 1.0)
}

/// Whether a disk measured at its centre is clear of the line and of its free ends' reach
/// ([`near_free_end`]): then all of it is on the measured side, at least `d - r` from the line.
fn clear(ends: &[[f64; 3]], disk: &Disk, m: &crate::LinePoint) -> bool {
    let d = m.distance_m;
    m.side != Side::On && d > disk.r * (1.0 + 1e-9) + 0.01 && !near_free_end(ends, disk, d)
}

/// What [`PublicFootprint::relation_within`] has learnt so far.
struct Within<'t> {
    max_at: &'t [f64],
    min_at: &'t [f64],
    /// Per threshold of `max_at`: some cell's `d + r` is known to exceed it.
    over: Vec<bool>,
    /// Per threshold of `min_at`: some cell's `(d - r)+` is known to be at most it.
    under: Vec<bool>,
    left: bool,
    right: bool,
}

impl Within<'_> {
    fn side(&mut self, s: Side) {
        match s {
            Side::Left => self.left = true,
            Side::Right => self.right = true,
            Side::On => {
                self.left = true;
                self.right = true;
            }
        }
    }

    /// What a node's estimate tells: the sides of a clear disk, of a measured centre (a cell's
    /// centre: a position of the footprint) and, for a cell measured and not clear, both (the
    /// per-cell rule); and the thresholds the cell at its centre (radius `rep_r`) decides.
    fn learn(&mut self, est: &Est, rep_r: f64, leaf: bool) {
        if let Some(m) = est.exact {
            self.side(m.side);
            if leaf && est.clear.is_none() {
                self.side(Side::On);
            }
        }
        if let Some(s) = est.clear {
            self.side(s);
        }
        for (k, &t) in self.max_at.iter().enumerate() {
            if est.lo + rep_r > t {
                self.over[k] = true;
            }
        }
        for (k, &t) in self.min_at.iter().enumerate() {
            if (est.hi - rep_r).max(0.0) <= t {
                self.under[k] = true;
            }
        }
    }

    /// Whether a node (or cell) may still change the answer: its sides are open (no clear
    /// ancestor, not clear itself, and not both sides reached yet), or its bounds straddle a
    /// threshold not yet decided.
    fn wants(&self, est: &Est, disk: &Disk, settled: bool) -> bool {
        if !settled && est.clear.is_none() && !(self.left && self.right) {
            return true;
        }
        let (nlo, nhi) = ((est.lo - disk.r).max(0.0), est.hi + disk.r);
        let max_open = (self.max_at.iter().zip(&self.over)).any(|(&t, &o)| !o && nhi > t);
        max_open || (self.min_at.iter().zip(&self.under)).any(|(&t, &u)| !u && nlo <= t)
    }
}

/// Bounds of the distance from the line of a disk's centre, and the side of all of the disk when
/// it is clear of the line ([`clear`]).
struct Est {
    lo: f64,
    hi: f64,
    clear: Option<Side>,
    /// The exact measure of the centre, when it was measured.
    exact: Option<crate::LinePoint>,
}

/// From the line's distance grid: the nearest node's distance `d`, `u` metres (at most) from the
/// centre, bounds the centre's within `d ± u`; the disk is clear when the ball of radius `u + r`
/// around the node is. Bounds `lo > hi` (none) without a grid or outside it.
fn grid_estimate(line: &ContactLine, ends: &[[f64; 3]], disk: &Disk) -> Est {
    let mut est = Est {
        lo: f64::INFINITY,
        hi: 0.0,
        clear: None,
        exact: None,
    };
    if let Some(g) = line.grid_node(disk.c) {
        est.add(ends, disk, g);
    }
    est
}

/// [`grid_estimate`] from the four nodes around the centre (the tightest of their bounds, clear
/// when one of them shows it).
fn grid_estimate4(line: &ContactLine, ends: &[[f64; 3]], disk: &Disk) -> Est {
    let mut est = Est {
        lo: f64::INFINITY,
        hi: 0.0,
        clear: None,
        exact: None,
    };
    for g in line.grid_corners(disk.c).into_iter().flatten() {
        est.add(ends, disk, g);
    }
    est
}

impl Est {
    /// Narrows the bounds with grid node `g` (a first node sets them).
    fn add(&mut self, ends: &[[f64; 3]], disk: &Disk, g: crate::line::GridNode) {
        let u = upper_fast(g.v, disk.v);
        let ball_r = u + disk.r;
        let clear = g.side != Side::On
            && g.d > ball_r * (1.0 + 1e-9) + 0.01
            && !ends
                .iter()
                .any(|&e| lower_fast(g.v, e) <= g.d + 2.0 * ball_r * (1.0 + 1e-9) + 1.0);
        let (lo, hi) = ((g.d - u).max(0.0), g.d + u);
        if self.lo > self.hi {
            (self.lo, self.hi) = (lo, hi);
        } else {
            self.lo = self.lo.max(lo);
            self.hi = self.hi.min(hi);
        }
        if clear && self.clear.is_none() {
            self.clear = Some(g.side);
        }
    }
}

/// An upper bound of the geodesic distance between two unit vectors, without `asin`: the
/// central angle `θ = 2 asin(c / 2)` of chord `c` is at most `c / sqrt(1 - c² / 4)` (`tan`
/// exceeds its angle); [`upper_m`] from a quarter turn on.
fn upper_fast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let c2 = sphere::chord2(a, b);
    if c2 >= 2.0 {
        return upper_m(a, b);
    }
    (c2 / (1.0 - c2 / 4.0)).sqrt() * sphere::n_max() * (1.0 + 1e-9) + 1e-6
}

/// A lower bound of the geodesic distance between two unit vectors, without `asin`: the central
/// angle is at least the chord.
fn lower_fast(a: [f64; 3], b: [f64; 3]) -> f64 {
    (sphere::chord2(a, b).sqrt() * M_MIN * (1.0 - 1e-9) - 1e-6).max(0.0)
}

/// By measuring the centre ([`ContactLine::measure`]); an invalid centre (not expected) bounds
/// nothing.
fn exact_estimate(line: &ContactLine, ends: &[[f64; 3]], disk: &Disk) -> Est {
    let m = line
        .distance_side(disk.c)
        .map(|(d, side)| crate::LinePoint {
            distance_m: d,
            side,
            part: 0,
            along_m: 0.0,
        });
    match m {
        Some(m) => Est {
            lo: m.distance_m,
            hi: m.distance_m,
            clear: clear(ends, disk, &m).then_some(m.side),
            exact: Some(m),
        },
        None => Est {
            lo: 0.0,
            hi: f64::INFINITY,
            clear: None,
            exact: Some(crate::LinePoint {
                distance_m: f64::NAN,
                side: Side::On,
                part: 0,
                along_m: 0.0,
            }),
        },
    }
}

struct Acc {
    min: f64,
    max: f64,
    left: bool,
    right: bool,
}

impl Acc {
    fn new() -> Acc {
        Acc {
            min: f64::INFINITY,
            max: 0.0,
            left: false,
            right: false,
        }
    }

    fn side(&mut self, s: Side) {
        match s {
            Side::Left => self.left = true,
            Side::Right => self.right = true,
            Side::On => {
                self.left = true;
                self.right = true;
            }
        }
    }

    /// Widens the distance bounds by a disk `d` metres from the line with radius `r`.
    fn bound(&mut self, d: f64, r: f64) {
        self.min = self.min.min((d - r).max(0.0));
        self.max = self.max.max(d + r);
    }

    /// A cell measured at its centre: the per-cell rule (its centre's side; both when the line
    /// may pass through the cell or a free end may be nearest to some of it).
    fn cell(&mut self, ends: &[[f64; 3]], disk: &Disk, m: Option<crate::LinePoint>) {
        let Some(m) = m else {
            self.bound(0.0, f64::INFINITY);
            self.side(Side::On);
            return;
        };
        self.bound(m.distance_m, disk.r);
        if clear(ends, disk, &m) {
            self.side(m.side);
        } else {
            self.side(Side::On);
        }
    }

    fn out(&self) -> LineRelation {
        LineRelation {
            min_m: if self.min.is_finite() { self.min } else { 0.0 },
            max_m: self.max,
            left: self.left,
            right: self.right,
        }
    }
}

impl PublicFootprint {
    /// A public footprint from H3 cell indexes and the hidden radius the record states. Refuses
    /// no cells, more than [`MAX_CELLS`], an invalid index, mixed resolutions, a duplicate, and a
    /// hidden radius not finite and positive. Sorts the cells.
    pub fn from_cells(mut cells: Vec<u64>, hidden_m: f64) -> Result<PublicFootprint, GeoError> {
        if !(hidden_m.is_finite() && hidden_m > 0.0) {
            return Err(GeoError::BadDistance {
                what: "hidden_m",
                value: hidden_m,
            });
        }
        if cells.is_empty() {
            return Err(GeoError::NoCells);
        }
        if cells.len() > MAX_CELLS {
            return Err(GeoError::TooManyCells {
                count: cells.len(),
                max: MAX_CELLS,
            });
        }
        cells.sort_unstable();
        let mut idx = Vec::with_capacity(cells.len());
        for (i, &c) in cells.iter().enumerate() {
            let cell = CellIndex::try_from(c).map_err(|_| GeoError::BadCell {
                cell: format!("{c:x}"),
            })?;
            if i > 0 && cells[i - 1] == c {
                return Err(GeoError::DuplicateCell {
                    cell: cell.to_string(),
                });
            }
            idx.push(cell);
        }
        let resolution = u8::from(idx[0].resolution());
        if let Some(c) = idx.iter().find(|c| u8::from(c.resolution()) != resolution) {
            return Err(GeoError::MixedResolutions {
                cell: c.to_string(),
                resolution: u8::from(c.resolution()),
                first: resolution,
            });
        }
        let disks: Vec<Disk> = idx.iter().map(|&c| cell_disk(c)).collect();
        let shape = shape(&idx, disks, resolution);
        Ok(PublicFootprint {
            resolution,
            cells,
            hidden_m,
            shape,
        })
    }

    /// A public footprint from H3 cells as hexadecimal strings (as the public record carries
    /// them, e.g. `"871f1d489ffffff"`) and the record's hidden radius; see
    /// [`PublicFootprint::from_cells`].
    pub fn from_cell_strings<S: AsRef<str>>(
        cells: &[S],
        hidden_m: f64,
    ) -> Result<PublicFootprint, GeoError> {
        let mut out = Vec::with_capacity(cells.len());
        for s in cells {
            let s = s.as_ref();
            let c: CellIndex = s.parse().map_err(|_| GeoError::BadCell {
                cell: s.chars().take(40).collect(),
            })?;
            out.push(u64::from(c));
        }
        PublicFootprint::from_cells(out, hidden_m)
    }

    /// The disk holding the whole footprint.
    fn root(&self) -> Disk {
        self.shape.levels[0][0].disk
    }

    /// The cells' H3 resolution (0–15).
    pub fn resolution(&self) -> u8 {
        self.resolution
    }

    /// The cells' H3 indexes, ascending.
    pub fn cells(&self) -> &[u64] {
        &self.cells
    }

    /// The cells as H3 hexadecimal strings (15 lowercase digits), in the same order.
    pub fn cell_strings(&self) -> Vec<String> {
        self.cells.iter().map(|c| format!("{c:x}")).collect()
    }

    /// The guarantee achieved: for any guess, some position of the observer's coarse cell lies at
    /// least this many metres from it (half the coarse cell's largest vertex-to-vertex geodesic
    /// distance; at least the `hide_m` asked of [`coarsen`]).
    pub fn hidden_radius_m(&self) -> f64 {
        self.hidden_m
    }

    /// The area-weighted mean of the cells' centres (on the unit sphere), `[lon, lat]`.
    pub fn centroid(&self) -> LonLat {
        let mut s = [0.0; 3];
        for (&c, d) in self.cells.iter().zip(&self.shape.cells) {
            let w = CellIndex::try_from(c).map_or(1.0, |c| c.area_m2());
            s = [s[0] + w * d.v[0], s[1] + w * d.v[1], s[2] + w * d.v[2]];
        }
        sphere::lonlat(s)
    }

    /// Each cell's boundary as a polygon (one closed counter-clockwise ring of `[lon, lat]`,
    /// longitudes in `[-180, 180]`), in the cells' order; not merged.
    pub fn to_polygons(&self) -> Vec<Vec<Vec<LonLat>>> {
        self.cells
            .iter()
            .filter_map(|&c| CellIndex::try_from(c).ok())
            .map(|c| {
                let mut r: Vec<LonLat> = c.boundary().iter().map(|q| ll(*q)).collect();
                if let Some(&f) = r.first() {
                    r.push(f);
                }
                vec![r]
            })
            .collect()
    }

    /// Whether some position of the footprint lies within `d_m` metres of `p`: `p` inside a
    /// cell, or a cell's boundary within `d_m` of it (edges as great-circle arcs, distances as
    /// [`crate::zone`] measures them). Cells whose disks cannot come that near are skipped
    /// without measuring. False for an invalid `p` or a negative or NaN `d_m`.
    pub fn within_m(&self, p: LonLat, d_m: f64) -> bool {
        if !(d_m >= 0.0 && p[0].is_finite() && p[1].is_finite()) {
            return false;
        }
        let v = sphere::unit(p);
        let root = self.root();
        if lower_m(v, root.v) > d_m + root.r {
            return false;
        }
        // Nearest disks first: the first cell within reach answers.
        let mut near: Vec<(f64, usize)> = self
            .shape
            .cells
            .iter()
            .enumerate()
            .map(|(k, c)| (lower_m(v, c.v) - c.r, k))
            .filter(|(lo, _)| *lo <= d_m)
            .collect();
        near.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        near.into_iter().any(|(_, k)| {
            let Ok(cell) = CellIndex::try_from(self.cells[k]) else {
                return false;
            };
            let mut ring: Vec<LonLat> = cell.boundary().iter().map(|q| ll(*q)).collect();
            if let Some(&f) = ring.first() {
                ring.push(f);
            }
            crate::zone::polygon_distance_m(&[ring], p) <= d_m
        })
    }

    /// Whether two public footprints share any area. At one resolution: a common cell. Across
    /// resolutions, a cell `f` of the finer one and the coarser one's cells: `f`'s ancestor is
    /// one of them, or `f`'s centre or a point just inside a vertex or an edge midpoint of it lies
    /// in one of them (H3 children are not wholly inside their parent). Symmetric.
    pub fn overlaps(&self, other: &PublicFootprint) -> bool {
        let (a, b) = (self.root(), other.root());
        if lower_m(a.v, b.v) > a.r + b.r {
            return false;
        }
        if self.resolution == other.resolution {
            let (mut i, mut j) = (0, 0);
            while i < self.cells.len() && j < other.cells.len() {
                match self.cells[i].cmp(&other.cells[j]) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                    std::cmp::Ordering::Equal => return true,
                }
            }
            return false;
        }
        let (fine, coarse) = if self.resolution > other.resolution {
            (self, other)
        } else {
            (other, self)
        };
        let cr = res(coarse.resolution);
        let has = |c: CellIndex| coarse.cells.binary_search(&u64::from(c)).is_ok();
        for (&f, d) in fine.cells.iter().zip(&fine.shape.cells) {
            let Ok(cell) = CellIndex::try_from(f) else {
                continue;
            };
            if lower_m(d.v, coarse.root().v) > d.r + coarse.root().r {
                continue;
            }
            if cell.parent(cr).is_some_and(has) {
                return true;
            }
            let b: Vec<[f64; 3]> = cell
                .boundary()
                .iter()
                .map(|q| sphere::unit(ll(*q)))
                .collect();
            let mut probes = vec![d.v];
            for (i, &p) in b.iter().enumerate() {
                let q = b[(i + 1) % b.len()];
                let mid = [p[0] + q[0], p[1] + q[1], p[2] + q[2]];
                let mid = sphere::unit(sphere::lonlat(mid));
                for x in [p, mid] {
                    probes.push([
                        0.99 * x[0] + 0.01 * d.v[0],
                        0.99 * x[1] + 0.01 * d.v[1],
                        0.99 * x[2] + 0.01 * d.v[2],
                    ]);
                }
            }
            for x in probes {
                let p = sphere::lonlat(x);
                if let Ok(q) = to_latlng(p) {
                    if has(q.to_cell(cr)) {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Bounds on the distance from any position of the footprint to `line`, and the sides it
    /// reaches (module docs), measuring as few cell centres as it can: the cell nearest the
    /// footprint's middle first, with a disk holding the whole footprint; where the line may
    /// pass through a disk, the disks of the cells under each ancestor two resolutions up, then
    /// one up, then the cells (a disk wholly inside the clear disk around a centre already
    /// measured — nearer it than the line is — is not measured again). A side is reached when a
    /// measured cell centre (a position of the footprint) lies on it, when a disk clear of the
    /// line lies on it, or when the line may pass through a cell (both sides); once both sides
    /// are reached the distance bounds are those of the disks measured so far.
    ///
    /// The sides are those of [`PublicFootprint::against_cells`] (whose rule is applied to every
    /// cell); `min_m` and `max_m` are its bounds or wider ones (by at most the radius of the
    /// disks that stood for their cells): every position of the footprint lies within them.
    pub fn against(&self, line: &ContactLine) -> LineRelation {
        let ends = free_ends(line);
        let sh = &self.shape;
        let mut acc = Acc::new();
        let mut memo: Vec<(usize, Option<crate::LinePoint>)> = Vec::new();
        let measure = |memo: &mut Vec<(usize, Option<crate::LinePoint>)>, i: usize| {
            if let Some(&(_, m)) = memo.iter().find(|(j, _)| *j == i) {
                return m;
            }
            let m = line.measure(sh.cells[i].c);
            memo.push((i, m));
            m
        };
        // Nodes to measure at this level, with their parent's measured (d, r).
        let mut frontier: Vec<(usize, f64, f64)> = vec![(0, 0.0, f64::INFINITY)];
        for level in 0..=sh.levels.len() {
            let mut next = Vec::new();
            for (k, &(i, pd, pr)) in frontier.iter().enumerate() {
                if acc.left && acc.right {
                    // Done with the sides: the rest stand in their parents' disks.
                    for &(_, pd, pr) in &frontier[k..] {
                        acc.bound(pd, pr);
                    }
                    for &(_, d, r) in &next {
                        acc.bound(d, r);
                    }
                    return acc.out();
                }
                let (disk, rep, children) = match sh.levels.get(level) {
                    Some(nodes) => {
                        let n = &nodes[i];
                        (n.disk, n.rep, Some(n.children.clone()))
                    }
                    None => (sh.cells[i], i, None),
                };
                // Inside the clear disk around a cell already measured: no need to measure.
                let covered = memo.iter().find_map(|&(j, m)| {
                    let m = m?;
                    let x = sh.cells[j];
                    let reach = upper_m(x.v, disk.v) + disk.r;
                    let ball = Disk { r: reach, ..x };
                    clear(&ends, &ball, &m).then_some((m, reach))
                });
                if let Some((m, reach)) = covered {
                    acc.bound(m.distance_m, reach);
                    acc.side(m.side);
                    continue;
                }
                let Some(m) = measure(&mut memo, rep) else {
                    acc.bound(pd, pr);
                    acc.side(Side::On);
                    continue;
                };
                // The centre is a cell's centre: a position of the footprint on that side.
                acc.side(m.side);
                match children {
                    _ if clear(&ends, &disk, &m) => acc.bound(m.distance_m, disk.r),
                    None => acc.cell(&ends, &disk, Some(m)),
                    Some(ch) => {
                        // Farthest first: the likeliest to lie across the line.
                        let from = next.len();
                        next.extend(ch.map(|c| (c, m.distance_m, disk.r)));
                        let below = sh.levels.get(level + 1);
                        let v = |c: usize| below.map_or(sh.cells[c].v, |n| n[c].disk.v);
                        next[from..].sort_by(|a, b| {
                            upper_m(disk.v, v(b.0)).total_cmp(&upper_m(disk.v, v(a.0)))
                        });
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        acc.out()
    }

    /// What a decision against thresholds needs, as fast as it can be had: the sides are those of
    /// [`PublicFootprint::against_cells`], and for every `t` in `thresholds` the bounds fall on
    /// the same side of `t` as its bounds do — `max_m <= t` exactly when its `max_m <= t`, and
    /// `min_m > t` exactly when its `min_m > t` — while `min_m` and `max_m` themselves may be
    /// wider (every position of the footprint still lies within them).
    ///
    /// It refines the tree of [`PublicFootprint::against`] (the footprint's disk, then groups,
    /// then the cells) only where a node may still change the answer: its sides are not settled
    /// (the line may pass through it and the footprint has not yet reached both sides), or its
    /// distance bounds straddle a threshold not yet decided. A node's distance is bounded from
    /// the line's distance grid when one is attached ([`ContactLine::with_distance_grid`]: the
    /// nearest node's exact distance, plus or minus its distance from the node's centre, a
    /// lookup instead of a search), else measured ([`ContactLine::measure`]); a cell whose grid
    /// bounds cannot decide is measured.
    ///
    /// A caller deciding "inside a buffer of half-width `h` with the line approximated to `a`"
    /// passes `h - a` (compared with `max_m <= t`) and `h + a` (with `min_m > t`).
    pub fn relation_within(&self, line: &ContactLine, thresholds: &[f64]) -> LineRelation {
        self.relation_deciding(line, thresholds, thresholds)
    }

    /// [`PublicFootprint::relation_within`] with the thresholds each bound is compared with given
    /// apart, so that no work goes to comparisons the caller does not make: `max_m <= t` is
    /// decided as [`PublicFootprint::against_cells`] decides it for every `t` in `max_at`, and
    /// `min_m > t` for every `t` in `min_at`; the sides are its sides.
    pub fn relation_deciding(
        &self,
        line: &ContactLine,
        max_at: &[f64],
        min_at: &[f64],
    ) -> LineRelation {
        let ends = free_ends(line);
        let sh = &self.shape;
        let mut st = Within {
            max_at,
            min_at,
            over: vec![false; max_at.len()],
            under: vec![false; min_at.len()],
            left: false,
            right: false,
        };
        let (mut lo_all, mut hi_all) = (f64::INFINITY, 0.0f64);
        // Level by level (so that a side or a threshold decided anywhere on a level spares the
        // rest of it), in two passes: bound every node of the level from the grid, then refine or
        // measure only those that still matter. Items: (index, an ancestor is clear of the line).
        let mut frontier: Vec<(usize, bool)> = vec![(0, false)];
        let mut ests: Vec<Est> = Vec::new();
        for level in 0..=sh.levels.len() {
            let nodes = sh.levels.get(level);
            // The disk of an item, and the radius of the cell at its centre.
            let at = |i: usize| match nodes {
                Some(ns) => (ns[i].disk, sh.cells[ns[i].rep].r),
                None => (sh.cells[i], sh.cells[i].r),
            };
            ests.clear();
            for &(i, _) in &frontier {
                let (disk, rep_r) = at(i);
                let mut est = grid_estimate(line, &ends, &disk);
                if est.lo > est.hi {
                    est = exact_estimate(line, &ends, &disk);
                }
                st.learn(&est, rep_r, nodes.is_none());
                ests.push(est);
            }
            let mut next = Vec::new();
            for (&(i, settled), est) in frontier.iter().zip(ests.iter_mut()) {
                let (disk, rep_r) = at(i);
                if nodes.is_none() && est.exact.is_none() && st.wants(est, &disk, settled) {
                    // The four nodes around the cell's centre may settle it without measuring.
                    let four = grid_estimate4(line, &ends, &disk);
                    if four.lo <= four.hi {
                        *est = four;
                        st.learn(est, rep_r, true);
                    }
                }
                if nodes.is_none() && est.exact.is_none() && st.wants(est, &disk, settled) {
                    *est = exact_estimate(line, &ends, &disk);
                    st.learn(est, rep_r, true);
                }
                match nodes {
                    Some(ns) if st.wants(est, &disk, settled) => {
                        let settled = settled || est.clear.is_some();
                        next.extend(ns[i].children.clone().map(|c| (c, settled)));
                    }
                    _ => {
                        lo_all = lo_all.min((est.lo - disk.r).max(0.0));
                        hi_all = hi_all.max(est.hi + disk.r);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        LineRelation {
            min_m: if lo_all.is_finite() { lo_all } else { 0.0 },
            max_m: hi_all,
            left: st.left,
            right: st.right,
        }
    }

    /// [`PublicFootprint::against`] by measuring every cell (the reference: the tightest bounds
    /// of the per-cell rule; one [`ContactLine::measure`] per cell).
    pub fn against_cells(&self, line: &ContactLine) -> LineRelation {
        let ends = free_ends(line);
        let mut acc = Acc::new();
        for d in &self.shape.cells {
            acc.cell(&ends, d, line.measure(d.c));
        }
        acc.out()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sectors_wrap_through_north() {
        let n = Sector::new(337.5, 22.5).unwrap();
        assert!(n.contains_bearing(0.0) && n.contains_bearing(337.5) && n.contains_bearing(22.5));
        assert!(n.contains_bearing(360.0) && n.contains_bearing(-10.0));
        assert!(!n.contains_bearing(22.6) && !n.contains_bearing(337.4));
        assert_eq!(n.width_deg(), 45.0);
        assert_eq!(Sector::centred(0.0, 45.0).unwrap(), n);
        assert!(Sector::FULL.contains_bearing(123.0) && Sector::FULL.is_full());
        assert!(Sector::new(360.0, 0.0).unwrap().is_full());
        assert!(!n.meets(30.0, 10.0) && n.meets(20.0, 10.0) && n.meets(300.0, 40.0));
        assert!(n.meets(330.0, 10.0) && !n.meets(330.0, 5.0) && !n.meets(300.0, 30.0));
    }

    #[test]
    fn within_agrees_with_sampled_boundaries() {
        // Seven cells of resolution 7 near Bakhmut; distances measured to points sampled densely
        // along every cell's edges (an independent, slower computation).
        let centre = LatLng::new(48.6, 38.0).unwrap().to_cell(Resolution::Seven);
        let cells: Vec<u64> = centre.grid_disk_safe(1).map(u64::from).collect();
        let fp = PublicFootprint::from_cells(cells.clone(), 2_000.0).unwrap();
        let mut samples: Vec<LonLat> = Vec::new();
        for &c in &cells {
            let b: Vec<LonLat> = CellIndex::try_from(c)
                .unwrap()
                .boundary()
                .iter()
                .map(|q| ll(*q))
                .collect();
            for (i, &a) in b.iter().enumerate() {
                let z = b[(i + 1) % b.len()];
                for k in 0..200 {
                    let t = k as f64 / 200.0;
                    samples.push([a[0] + (z[0] - a[0]) * t, a[1] + (z[1] - a[1]) * t]);
                }
            }
        }
        assert!(fp.within_m([38.0, 48.6], 0.0), "a point inside a cell");
        for k in 0..24 {
            let bearing = k as f64 * 15.0;
            for dist in [3_000.0, 5_000.0, 9_000.0] {
                let p = crate::destination([38.0, 48.6], bearing, dist);
                let inside = LatLng::new(p[1], p[0]).unwrap().to_cell(Resolution::Seven);
                if cells.contains(&u64::from(inside)) {
                    assert!(fp.within_m(p, 0.0), "{bearing} {dist}: inside");
                    continue;
                }
                let d = samples
                    .iter()
                    .map(|&s| crate::distance_m(p, s))
                    .fold(f64::INFINITY, f64::min);
                // Sampling overstates by at most a few metres; edges are arcs, samples chords.
                assert!(fp.within_m(p, d + 5.0), "{bearing} {dist}: within {d}");
                assert!(
                    !fp.within_m(p, d - 30.0),
                    "{bearing} {dist}: not within {d} - 30"
                );
            }
        }
        assert!(!fp.within_m([f64::NAN, 48.6], 1e6));
        assert!(!fp.within_m([38.0, 48.6], -1.0));
    }

    #[test]
    fn merged_intervals() {
        let s = |a, b| Sector::new(a, b).unwrap();
        assert_eq!(
            merged(&[s(10.0, 20.0), s(15.0, 30.0)]),
            Some(vec![(10.0, 20.0)])
        );
        assert_eq!(
            merged(&[s(350.0, 10.0), s(5.0, 20.0), s(100.0, 110.0)]),
            Some(vec![(100.0, 10.0), (350.0, 30.0)])
        );
        assert_eq!(merged(&[s(0.0, 200.0), s(190.0, 10.0)]), None);
        assert_eq!(merged(&[Sector::FULL]), None);
    }

    #[test]
    fn coarse_resolution_from_hide() {
        assert_eq!(coarse_resolution(2_000.0), Ok(6));
        assert_eq!(coarse_resolution(0.01), Ok(15));
        assert!(coarse_resolution(MAX_HIDE_M).is_ok());
        assert!(matches!(
            coarse_resolution(MAX_HIDE_M + 1.0),
            Err(GeoError::HideTooLarge { .. })
        ));
        assert!(matches!(
            coarse_resolution(f64::NAN),
            Err(GeoError::BadDistance { .. })
        ));
    }

    #[test]
    fn bounds_bracket_geodesics() {
        for (a, b) in [
            ([30.0, 48.0], [30.1, 48.05]),
            ([0.0, 0.0], [0.0, 1.0]),
            ([10.0, 80.0], [12.0, 79.0]),
        ] {
            let d = crate::distance_m(a, b);
            let (u, v) = (sphere::unit(a), sphere::unit(b));
            assert!(lower_m(u, v) <= d && d <= upper_m(u, v), "{a:?} {b:?}");
        }
    }
}

//! A line of contact (OSCE SMM / Minsk practice): distance and side of a position, linear
//! referencing, crossings, and buffers and withdrawal lines derived for display.
//!
//! A [`ContactLine`] is one or more parts (a LineString or the parts of a MultiLineString), each
//! at least two positions joined by great-circle arcs, under the rules of [`crate::check_lines`].
//! Its arcs are held in an R-tree of boxes in unit-vector space (every point of an arc inside its
//! box, so the antimeridian and the poles need no care), searched nearest first.
//!
//! # Invariants
//!
//! - [`ContactLine::distance_m`] is exactly [`crate::line_distance_m`] on the same parts (the same
//!   floating-point number): arcs are skipped only when a proven lower bound of their geodesic
//!   distance exceeds one already measured (see the search's notes in the source), and the others
//!   are measured by the same code. About 5 µs a query on a 20,000-vertex line
//!   (`examples/line_bench.rs`), where the brute force takes about 1.4 ms.
//! - A distance grid ([`ContactLine::with_distance_grid`]) holds exact distances and sides at its
//!   nodes; only [`crate::PublicFootprint::relation_within`] reads it, as bounds (distance to the
//!   line is 1-Lipschitz). Every other answer is the same with or without one.
//! - Polygon and line outputs follow the crate's conventions: longitudes in `[-180, 180]`, an edge
//!   may cross the antimeridian (the shorter way round).
//! - "Within `d` of the line" is always decided by that exact geodesic distance, never by a derived
//!   polygon. The polygons of [`ContactLine::buffer`] and [`ContactLine::withdrawal_line`] are for
//!   display: every vertex on the offset side lies within `tolerance_m` of the true `d`-offset (it
//!   is placed geodesically and measured), edges are refined until their midpoints do too.
//! - The side of a position is that of its nearest point of the line (see [`Side`]); the reading
//!   that uses a line states which party is on which side (e.g. "ua is on the left").
//! - Along-line measures ([`ContactLine::locate`]) are geodesic lengths between vertices, summed from
//!   the start of each part; a *chainage* runs over the parts one after another in their given
//!   order ([`ContactLine::sector_of`]).
//!
//! Pure: no IO, no clock.

use geo::algorithm::buffer::{BufferStyle, LineCap, LineJoin};
use geo::{
    Bearing, BooleanOps, Buffer, Coord, Destination, Geodesic, LineString, MultiLineString,
    MultiPolygon, Simplify,
};
use rstar::{PointDistance, RTree, RTreeObject, AABB};
use std::sync::Arc;

use crate::sphere::{self, cross, dot, norm, scale};
use crate::zone;
use crate::{distance_m, GeoError, LonLat};

/// Which side of the line a position lies on, relative to the line's drawing direction (walking
/// from each part's first position to its last). Which side is whose is stated by the reading
/// that uses the line (e.g. "ua is on the left").
///
/// The side is that of the nearest point of the line: for a point inside an arc, the side of that
/// arc's great circle; for a vertex joining two arcs (in one part, or the end of one part that is
/// the start of another), the side of the plane through the vertex and the sum of the two arcs'
/// unit normals (the angle bisector, so both arcs are used consistently); beyond an end of a part
/// that continues no other, the side of the end arc's great circle (the line extended).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Left of the drawing direction.
    Left,
    /// Right of the drawing direction.
    Right,
    /// On the line (within [`ON_LINE_M`] of it).
    On,
}

/// A position within this many metres of the line (about) is [`Side::On`]: the central angle to
/// its nearest point is below 1.6·10⁻¹¹ rad.
pub const ON_LINE_M: f64 = 1e-4;
const ON_ANGLE: f64 = 1.6e-11;

/// Where a position lies relative to the line: its distance, side and the nearest point's place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinePoint {
    /// Geodesic distance in metres to the line ([`ContactLine::distance_m`]).
    pub distance_m: f64,
    /// The side of the line ([`ContactLine::side`]).
    pub side: Side,
    /// The part holding the nearest point.
    pub part: usize,
    /// Metres along that part, from its first position, to the nearest point.
    pub along_m: f64,
}

/// What a map shows for one zone width of one line version ([`ContactLine::display`]). Polygons
/// are lists of closed rings, outer first; lines are lists of positions.
#[derive(Clone, Debug, PartialEq)]
pub struct DisplayZone {
    /// The buffer on both sides ([`ContactLine::buffer`] with `None`).
    pub both: Vec<Vec<Vec<LonLat>>>,
    /// The buffer on the left ([`ContactLine::buffer`] with `Some(Side::Left)`).
    pub left: Vec<Vec<Vec<LonLat>>>,
    /// The buffer on the right.
    pub right: Vec<Vec<Vec<LonLat>>>,
    /// The withdrawal line on the left ([`ContactLine::withdrawal_line`]).
    pub left_line: Vec<Vec<LonLat>>,
    /// The withdrawal line on the right.
    pub right_line: Vec<Vec<LonLat>>,
}

/// A line of contact prepared for queries; see the module docs.
#[derive(Clone, Debug)]
pub struct ContactLine {
    parts: Vec<Part>,
    tree: RTree<SegBox>,
    /// Chainage of each part's start.
    offsets: Vec<f64>,
    length: f64,
    /// Exact distances at the nodes of a grid ([`ContactLine::with_distance_grid`]).
    grid: Option<Arc<Grid>>,
}

/// Most nodes a distance grid may hold ([`ContactLine::with_distance_grid`]).
pub const MAX_GRID_NODES: usize = 8_000_000;

/// A regular grid in degrees of exact distances to the line and sides, at its nodes.
#[derive(Debug)]
struct Grid {
    lat0: f64,
    dlat: f64,
    rows: usize,
    lon0: f64,
    dlon: f64,
    cols: usize,
    /// `(sin, cos)` of each row's latitude and each column's longitude.
    row_sc: Vec<(f64, f64)>,
    col_sc: Vec<(f64, f64)>,
    /// Row-major: the exact distance ([`ContactLine::distance_m`]) and side of each node.
    nodes: Vec<(f64, Side)>,
    spacing_m: f64,
}

impl Grid {
    /// Node `(fi, fj)` (row and column as whole floats), when inside the grid and measured.
    fn node(&self, fi: f64, fj: f64) -> Option<GridNode> {
        if !(fi >= 0.0 && fj >= 0.0 && fi < self.rows as f64 && fj < self.cols as f64) {
            return None;
        }
        let (i, j) = (fi as usize, fj as usize);
        let (d, side) = *self.nodes.get(i * self.cols + j)?;
        if !d.is_finite() {
            return None;
        }
        let (slat, clat) = self.row_sc[i];
        let (slon, clon) = self.col_sc[j];
        Some(GridNode {
            v: [clat * clon, clat * slon, slat],
            d,
            side,
        })
    }
}

/// A node of the distance grid near a position ([`ContactLine::grid_node`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct GridNode {
    /// Its unit vector.
    pub(crate) v: [f64; 3],
    /// Its exact distance to the line, metres.
    pub(crate) d: f64,
    /// Its side.
    pub(crate) side: Side,
}

#[derive(Clone, Debug)]
struct Part {
    pts: Vec<LonLat>,
    vs: Vec<[f64; 3]>,
    /// Unit normal of each arc (`va × vb`, normalised; zero for a zero-length arc): positive dot
    /// products are on the left.
    normals: Vec<[f64; 3]>,
    /// Geodesic length from the first position to each vertex.
    cum: Vec<f64>,
    /// The part whose last position is this part's first (it continues into this one).
    prev: Option<usize>,
    /// The part whose first position is this part's last.
    next: Option<usize>,
}

/// A box in unit-vector space holding arc `seg` of part `part` (every point of the arc).
#[derive(Clone, Debug)]
struct SegBox {
    env: AABB<[f64; 3]>,
    part: u32,
    seg: u32,
}

impl RTreeObject for SegBox {
    type Envelope = AABB<[f64; 3]>;

    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

impl PointDistance for SegBox {
    fn distance_2(&self, point: &[f64; 3]) -> f64 {
        self.env.distance_2(point)
    }
}

/// Padding of arc boxes in unit-vector space (64 µm on the Earth; far above their rounding).
const PAD: f64 = 1e-11;

/// The nearest point of one arc.
#[derive(Clone, Copy, Debug)]
enum Foot {
    Vertex(usize),
    Inner([f64; 3]),
}

/// The nearest point of the line to a position, as found by [`ContactLine::near`].
#[derive(Clone, Copy, Debug)]
struct Near {
    dist: f64,
    angle: f64,
    part: usize,
    seg: usize,
    foot: Foot,
}

/// The box in unit-vector space of the arc from `va` to `vb`: its ends, and each axis's extreme
/// on its great circle where the arc holds it, padded by [`PAD`].
fn arc_box(va: [f64; 3], vb: [f64; 3]) -> AABB<[f64; 3]> {
    let mut lo = [0.0; 3];
    let mut hi = [0.0; 3];
    for i in 0..3 {
        lo[i] = va[i].min(vb[i]);
        hi[i] = va[i].max(vb[i]);
    }
    let n = cross(va, vb);
    let nn = norm(n);
    if nn >= 1e-15 {
        let n = scale(n, 1.0 / nn);
        for i in 0..3 {
            let mut e = [0.0; 3];
            e[i] = 1.0;
            let t = sphere::sub(e, scale(n, n[i]));
            let tn = norm(t);
            if tn < 1e-15 {
                continue;
            }
            let t = scale(t, 1.0 / tn);
            for c in [t, scale(t, -1.0)] {
                if zone::in_arc(va, vb, n, c) {
                    for j in 0..3 {
                        lo[j] = lo[j].min(c[j]);
                        hi[j] = hi[j].max(c[j]);
                    }
                }
            }
        }
    }
    AABB::from_corners(
        [lo[0] - PAD, lo[1] - PAD, lo[2] - PAD],
        [hi[0] + PAD, hi[1] + PAD, hi[2] + PAD],
    )
}

/// Meridional and prime-vertical radii of curvature (metres) at geodetic latitude `phi`
/// (radians); both grow with `|phi|`.
fn radii(phi: f64) -> (f64, f64) {
    let w2 = 1.0 - sphere::E2 * phi.sin().powi(2);
    (
        sphere::A * (1.0 - sphere::E2) / (w2 * w2.sqrt()),
        sphere::A / w2.sqrt(),
    )
}

/// The cut [`crate::line_distance_m`] applies: arcs whose central angle exceeds it cannot hold the
/// minimum geodesic distance. Must stay the same expression as there.
fn cut_of(best_angle: f64) -> f64 {
    (best_angle * sphere::n_max() / sphere::M_MIN) * (1.0 + 1e-9) + 1e-14
}

fn point(p: LonLat) -> geo::Point<f64> {
    geo::Point::new(p[0], p[1])
}

/// The position `dist` metres from `from` along the geodesic leaving it at `bearing` degrees.
fn destination(from: LonLat, bearing: f64, dist: f64) -> LonLat {
    let q = Geodesic.destination(point(from), bearing, dist);
    [sphere::norm_lon(q.x()), q.y()]
}

fn check_distance(what: &'static str, value: f64) -> Result<(), GeoError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(GeoError::BadDistance { what, value })
    }
}

impl ContactLine {
    /// Prepares a line from its parts (one for a LineString, several for a MultiLineString), each
    /// drawn in its direction of travel. Refuses parts that break the rules of
    /// [`crate::check_lines`]. A part whose last position equals (exactly) another part's first
    /// continues into it: the vertex between them is judged with both arcs.
    pub fn new(lines: Vec<Vec<LonLat>>) -> Result<ContactLine, GeoError> {
        zone::check_lines(&lines)?;
        let mut parts = Vec::with_capacity(lines.len());
        let mut boxes = Vec::new();
        for (i, pts) in lines.into_iter().enumerate() {
            let vs: Vec<[f64; 3]> = pts.iter().map(|p| sphere::unit(*p)).collect();
            let mut normals = Vec::with_capacity(pts.len() - 1);
            let mut cum = Vec::with_capacity(pts.len());
            cum.push(0.0);
            for k in 1..pts.len() {
                let n = cross(vs[k - 1], vs[k]);
                let nn = norm(n);
                normals.push(if nn < 1e-15 {
                    [0.0; 3]
                } else {
                    scale(n, 1.0 / nn)
                });
                cum.push(cum[k - 1] + distance_m(pts[k - 1], pts[k]));
                boxes.push(SegBox {
                    env: arc_box(vs[k - 1], vs[k]),
                    part: i as u32,
                    seg: (k - 1) as u32,
                });
            }
            parts.push(Part {
                pts,
                vs,
                normals,
                cum,
                prev: None,
                next: None,
            });
        }
        for i in 0..parts.len() {
            let end = parts[i].pts[parts[i].pts.len() - 1];
            if let Some(j) =
                (0..parts.len()).find(|&j| parts[j].prev.is_none() && parts[j].pts[0] == end)
            {
                parts[i].next = Some(j);
                parts[j].prev = Some(i);
            }
        }
        let mut offsets = Vec::with_capacity(parts.len());
        let mut length = 0.0;
        for p in &parts {
            offsets.push(length);
            length += p.cum[p.cum.len() - 1];
        }
        Ok(ContactLine {
            parts,
            tree: RTree::bulk_load(boxes),
            offsets,
            length,
            grid: None,
        })
    }

    /// The line with a grid of exact distances attached: nodes every `spacing_m` metres (about;
    /// in latitude and longitude) over the box of its vertices widened by `margin_m`, each holding
    /// [`ContactLine::distance_m`] and [`ContactLine::side`] of the node, measured on `threads`
    /// threads (1 or more). Distance to the line is 1-Lipschitz (the geodesic distance is a
    /// metric), so a node `u` metres from a position bounds its distance within `± u`;
    /// [`crate::PublicFootprint::relation_within`] reads the grid instead of measuring where it
    /// can. Nothing else reads it: every other answer is the same with or without a grid.
    ///
    /// Refuses a spacing or margin not finite and positive, a line whose longitudes span 180° or
    /// more (across the antimeridian), a grid reaching beyond 80° of latitude, and a grid of more
    /// than [`MAX_GRID_NODES`] nodes ([`GeoError::GridNotServed`]).
    pub fn with_distance_grid(
        mut self,
        spacing_m: f64,
        margin_m: f64,
        threads: usize,
    ) -> Result<ContactLine, GeoError> {
        check_distance("the grid spacing", spacing_m)?;
        check_distance("the grid margin", margin_m)?;
        let all = self.parts.iter().flat_map(|p| p.pts.iter());
        let (mut lon_lo, mut lon_hi, mut lat_lo, mut lat_hi) =
            (180.0f64, -180.0f64, 90.0f64, -90.0f64);
        for p in all {
            let lon = sphere::norm_lon(p[0]);
            lon_lo = lon_lo.min(lon);
            lon_hi = lon_hi.max(lon);
            lat_lo = lat_lo.min(p[1]);
            lat_hi = lat_hi.max(p[1]);
        }
        if lon_hi - lon_lo >= 180.0 {
            return Err(GeoError::GridNotServed {
                why: "needs a line whose longitudes span less than 180° (not across the antimeridian)".into(),
            });
        }
        let pad_lat = (margin_m / sphere::M_MIN).to_degrees();
        let (lat_lo, lat_hi) = (lat_lo - pad_lat, lat_hi + pad_lat);
        if lat_lo < -80.0 || lat_hi > 80.0 {
            return Err(GeoError::GridNotServed {
                why: "would reach beyond 80° of latitude".into(),
            });
        }
        let cos_max = lat_lo.abs().max(lat_hi.abs()).to_radians().cos();
        let pad_lon = (margin_m / (sphere::A * cos_max)).to_degrees();
        let (lon_lo, lon_hi) = (lon_lo - pad_lon, lon_hi + pad_lon);
        let mid = ((lat_lo + lat_hi) / 2.0).to_radians().cos();
        let dlat = (spacing_m / sphere::M_MIN).to_degrees();
        let dlon = (spacing_m / (sphere::A * mid)).to_degrees();
        let rows = ((lat_hi - lat_lo) / dlat).ceil() + 1.0;
        let cols = ((lon_hi - lon_lo) / dlon).ceil() + 1.0;
        if rows * cols > MAX_GRID_NODES as f64 {
            return Err(GeoError::GridNotServed {
                why: format!(
                    "of {rows} x {cols} nodes exceeds {MAX_GRID_NODES}; give a larger spacing or margin"
                ),
            });
        }
        let (rows, cols) = (rows as usize, cols as usize);
        let lat = |i: usize| lat_lo + i as f64 * dlat;
        let lon = |j: usize| sphere::norm_lon(lon_lo + j as f64 * dlon);
        let row_sc = (0..rows).map(|i| lat(i).to_radians().sin_cos()).collect();
        let col_sc = (0..cols).map(|j| lon(j).to_radians().sin_cos()).collect();
        let this = &self;
        let node = |k: usize| -> (f64, Side) {
            let p = [lon(k % cols), lat(k / cols)];
            match this.near(p) {
                Some(near) => (near.dist, this.side_of(&near, sphere::unit(p))),
                None => (f64::NAN, Side::On),
            }
        };
        let total = rows * cols;
        let chunk = total.div_ceil(threads.max(1)).max(1);
        let nodes: Vec<(f64, Side)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..total)
                .step_by(chunk)
                .map(|from| {
                    let node = &node;
                    s.spawn(move || {
                        (from..(from + chunk).min(total))
                            .map(node)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| match h.join() {
                    Ok(v) => v,
                    Err(e) => std::panic::resume_unwind(e),
                })
                .collect()
        });
        self.grid = Some(Arc::new(Grid {
            lat0: lat_lo,
            dlat,
            rows,
            lon0: lon_lo,
            dlon,
            cols,
            row_sc,
            col_sc,
            nodes,
            spacing_m,
        }));
        Ok(self)
    }

    /// The grid's shape, when one is attached: `(rows, columns, spacing_m)`.
    pub fn distance_grid(&self) -> Option<(usize, usize, f64)> {
        self.grid.as_ref().map(|g| (g.rows, g.cols, g.spacing_m))
    }

    /// The grid node nearest (in degrees) position `c`, when a grid is attached and `c` lies
    /// within it (a node at most about a spacing away); its distance to `c` is for the caller to
    /// bound.
    pub(crate) fn grid_node(&self, c: LonLat) -> Option<GridNode> {
        let g = self.grid.as_deref()?;
        let fi = ((c[1] - g.lat0) / g.dlat).round();
        let fj = ((sphere::norm_lon(c[0]) - g.lon0) / g.dlon).round();
        g.node(fi, fj)
    }

    /// The (up to) four grid nodes around position `c` (the corners of its grid square).
    pub(crate) fn grid_corners(&self, c: LonLat) -> [Option<GridNode>; 4] {
        let Some(g) = self.grid.as_deref() else {
            return [None; 4];
        };
        let fi = ((c[1] - g.lat0) / g.dlat).floor();
        let fj = ((sphere::norm_lon(c[0]) - g.lon0) / g.dlon).floor();
        [
            g.node(fi, fj),
            g.node(fi + 1.0, fj),
            g.node(fi, fj + 1.0),
            g.node(fi + 1.0, fj + 1.0),
        ]
    }

    /// How many parts the line has.
    pub fn parts(&self) -> usize {
        self.parts.len()
    }

    /// The positions of part `i`, as given; `None` past the last part.
    pub fn part(&self, i: usize) -> Option<&[LonLat]> {
        self.parts.get(i).map(|p| p.pts.as_slice())
    }

    /// Total length in metres (geodesic between vertices, all parts).
    pub fn length_m(&self) -> f64 {
        self.length
    }

    /// Chainage in metres of the start of part `i` (the lengths of the parts before it); `None`
    /// past the last part.
    pub fn part_start_m(&self, i: usize) -> Option<f64> {
        self.offsets.get(i).copied()
    }

    /// The nearest point of arc `seg` of part `part` to unit vector `u`, with its central angle.
    fn foot(&self, part: usize, seg: usize, u: [f64; 3]) -> (Foot, f64) {
        let pt = &self.parts[part];
        match zone::nearest_on_arc(pt.vs[seg], pt.vs[seg + 1], u) {
            Ok(t) => (Foot::Inner(t), sphere::angle(u, t)),
            Err(end) => {
                let k = if end { seg + 1 } else { seg };
                (Foot::Vertex(k), sphere::angle(u, pt.vs[k]))
            }
        }
    }

    fn foot_position(&self, part: usize, foot: Foot) -> LonLat {
        match foot {
            Foot::Vertex(k) => self.parts[part].pts[k],
            Foot::Inner(t) => sphere::lonlat(t),
        }
    }

    /// The nearest point of the line to `p`, exactly as [`crate::line_distance_m`] measures it:
    /// the same minimum of the same geodesic distances (ties to the first in part and arc order);
    /// `None` for an invalid `p`.
    ///
    /// Arcs come from the R-tree nearest first by a lower bound of their central angle (the chord
    /// to their box). The first found gives `g0`, a geodesic distance no smaller than the answer.
    /// An arc can only hold the minimum if its geodesic `g <= g0`; its path then stays within
    /// `g0 / M_MIN` radians of `p`'s latitude, where the radii of curvature are at least
    /// `M_lo, N_lo` (those at the band's lowest `|latitude|`), so `g >= M_lo · θ'` with `θ'` the
    /// central angle after scaling longitudes by `N_lo / M_lo` (the ellipsoid's metric is at least
    /// `M_lo² dφ² + N_lo² cos²φ dλ²` there). Arcs are collected while `M_lo · θ` (a weaker bound)
    /// can be below `g0` and within the brute force's own cut, then measured in the order of that
    /// bound until it exceeds the best distance found. Near the poles or beyond 2,000 km every arc
    /// within the cut is measured, as the brute force does.
    fn near(&self, p: LonLat) -> Option<Near> {
        if !sphere::valid(p) {
            return None;
        }
        let u = sphere::unit(p);
        let phi = p[1].to_radians().abs();
        let mut feet: Vec<(usize, usize, Foot, f64)> = Vec::new();
        let mut best_angle = f64::INFINITY;
        // Band bound from the first arc found: (M_lo, k) when it applies.
        let mut bound: Option<(f64, f64)> = None;
        let mut stop = f64::INFINITY;
        for (sb, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&u) {
            let lb = 2.0 * (d2.sqrt() / 2.0).min(1.0).asin();
            if lb > stop.min(cut_of(best_angle)) + 1e-12 {
                break;
            }
            let (part, seg) = (sb.part as usize, sb.seg as usize);
            let (foot, angle) = self.foot(part, seg, u);
            best_angle = best_angle.min(angle);
            if feet.is_empty() {
                let g0 = distance_m(p, self.foot_position(part, foot));
                let reach = g0 / sphere::M_MIN * (1.0 + 1e-9) + 1e-12;
                if g0 <= 2.0e6 && (phi + reach).to_degrees() <= 80.0 {
                    let (m_lo, n_lo) = radii((phi - reach).max(0.0));
                    let m_lo = m_lo * (1.0 - 1e-12);
                    bound = Some((m_lo, n_lo * (1.0 - 1e-12) / m_lo));
                    stop = g0 / m_lo * (1.0 + 1e-9) + 1e-12;
                }
            }
            feet.push((part, seg, foot, angle));
        }
        let cut = cut_of(best_angle);
        feet.retain(|f| f.3 <= cut);
        let lat_p = p[1].to_radians();
        // (lower bound of the geodesic, foot position, index)
        let mut order: Vec<(f64, LonLat, usize)> = feet
            .iter()
            .enumerate()
            .map(|(n, &(part, _, foot, _))| {
                let f = self.foot_position(part, foot);
                let lb = match bound {
                    Some((m_lo, k)) => {
                        let dphi = f[1].to_radians() - lat_p;
                        let dlam = zone::lon_delta(p[0], f[0]).to_radians() * k;
                        let h = (dphi / 2.0).sin().powi(2)
                            + lat_p.cos() * f[1].to_radians().cos() * (dlam / 2.0).sin().powi(2);
                        let theta = 2.0 * h.sqrt().min(1.0).asin();
                        m_lo * theta * (1.0 - 1e-9) - 1e-6
                    }
                    None => f64::NEG_INFINITY,
                };
                (lb, f, n)
            })
            .collect();
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut best: Option<(f64, usize)> = None;
        for (lb, f, n) in order {
            if best.is_some_and(|(g, _)| lb > g) {
                break;
            }
            let g = distance_m(p, f);
            let key = |i: usize| (feet[i].0, feet[i].1);
            if best.is_none_or(|(bg, bn)| g < bg || (g == bg && key(n) < key(bn))) {
                best = Some((g, n));
            }
        }
        best.map(|(dist, n)| {
            let (part, seg, foot, angle) = feet[n];
            Near {
                dist,
                angle,
                part,
                seg,
                foot,
            }
        })
    }

    /// The side of `u` given its nearest point (see [`Side`]).
    fn side_of(&self, near: &Near, u: [f64; 3]) -> Side {
        if near.angle < ON_ANGLE || near.dist == 0.0 {
            return Side::On;
        }
        let n = match near.foot {
            Foot::Inner(_) => self.parts[near.part].normals[near.seg],
            Foot::Vertex(k) => self.vertex_normal(near.part, k),
        };
        let s = dot(u, n);
        if s > 0.0 {
            Side::Left
        } else if s < 0.0 {
            Side::Right
        } else {
            Side::On
        }
    }

    /// The sum of the unit normals of the arcs meeting at vertex `k` of part `i` (one arc at a
    /// free end).
    fn vertex_normal(&self, i: usize, k: usize) -> [f64; 3] {
        let part = &self.parts[i];
        let last = part.pts.len() - 1;
        let incoming = if k > 0 {
            Some(part.normals[k - 1])
        } else {
            part.prev
                .and_then(|j| self.parts[j].normals.last().copied())
        };
        let outgoing = if k < last {
            Some(part.normals[k])
        } else {
            part.next.map(|j| self.parts[j].normals[0])
        };
        let mut n = [0.0; 3];
        for m in [incoming, outgoing].into_iter().flatten() {
            n = [n[0] + m[0], n[1] + m[1], n[2] + m[2]];
        }
        n
    }

    /// Distance, side and place along the line of `p` in one search; `None` for an invalid `p`
    /// (see the crate docs).
    pub fn measure(&self, p: LonLat) -> Option<LinePoint> {
        let near = self.near(p)?;
        let u = sphere::unit(p);
        let part = &self.parts[near.part];
        let along_m = match near.foot {
            Foot::Vertex(k) => part.cum[k],
            Foot::Inner(t) => {
                part.cum[near.seg] + distance_m(part.pts[near.seg], sphere::lonlat(t))
            }
        };
        Some(LinePoint {
            distance_m: near.dist,
            side: self.side_of(&near, u),
            part: near.part,
            along_m,
        })
    }

    /// Distance and side of `p` ([`ContactLine::measure`] without the place along the line).
    pub(crate) fn distance_side(&self, p: LonLat) -> Option<(f64, Side)> {
        let near = self.near(p)?;
        Some((near.dist, self.side_of(&near, sphere::unit(p))))
    }

    /// Geodesic distance in metres from `p` to the line: exactly [`crate::line_distance_m`] on the
    /// same parts, found through the R-tree. NaN for an invalid `p`.
    pub fn distance_m(&self, p: LonLat) -> f64 {
        self.near(p).map_or(f64::NAN, |n| n.dist)
    }

    /// The side of the line `p` lies on (see [`Side`]); [`Side::On`] for an invalid `p`.
    pub fn side(&self, p: LonLat) -> Side {
        match self.near(p) {
            Some(near) => self.side_of(&near, sphere::unit(p)),
            None => Side::On,
        }
    }

    /// Whether `p` is on `side` of the line and within `d_m` metres of it (inclusive). A position
    /// on the line is on both sides; false for an invalid `p` or a NaN `d_m`.
    pub fn within_on_side(&self, p: LonLat, side: Side, d_m: f64) -> bool {
        match self.measure(p) {
            Some(m) => m.distance_m <= d_m && (m.side == side || m.side == Side::On),
            None => false,
        }
    }

    /// The nearest point's place: `(part, metres along that part from its first position)`;
    /// `None` for an invalid `p`.
    pub fn locate(&self, p: LonLat) -> Option<(usize, f64)> {
        self.measure(p).map(|m| (m.part, m.along_m))
    }

    /// The first sector `(id, from_m, to_m)` whose chainage range `from_m ..= to_m` holds the
    /// chainage of `p`'s nearest point (the part's start, [`ContactLine::part_start_m`], plus the
    /// metres along it); `None` when none does or `p` is invalid. Used to count events per named
    /// stretch of the line.
    pub fn sector_of<'s, T>(&self, p: LonLat, sectors: &'s [(T, f64, f64)]) -> Option<&'s T> {
        let m = self.measure(p)?;
        let ch = self.offsets[m.part] + m.along_m;
        sectors
            .iter()
            .find(|(_, from, to)| *from <= ch && ch <= *to)
            .map(|(id, _, _)| id)
    }

    /// Whether the great-circle arc from `a` to `b` meets the line (crosses it or touches it):
    /// for "fire across the line", with `a` the origin and `b` the point of impact. This is the
    /// geometric test, not "the sides differ": a shot passing around an end of the line, or both
    /// of whose ends lie beyond an end, does not cross, and a shot crossing a bend twice does
    /// (compare [`ContactLine::side`] of both ends for the other rule). False for an invalid
    /// position or `a == b`; an arc of 180° or more of longitude is refused as false.
    pub fn crosses(&self, a: LonLat, b: LonLat) -> bool {
        if !sphere::valid(a) || !sphere::valid(b) || a == b {
            return false;
        }
        if zone::lon_delta(a[0], b[0]).abs() >= 180.0 {
            return false;
        }
        let (ua, ub) = (sphere::unit(a), sphere::unit(b));
        let n1 = cross(ua, ub);
        if norm(n1) < 1e-15 {
            return false;
        }
        let env = arc_box(ua, ub);
        self.tree.locate_in_envelope_intersecting(&env).any(|sb| {
            let part = &self.parts[sb.part as usize];
            let s = sb.seg as usize;
            arcs_meet(ua, ub, n1, part.vs[s], part.vs[s + 1])
        })
    }

    /// Polygons covering the positions within `d_m` metres of the line, on one side (`Some(Left)`
    /// or `Some(Right)`) or both (`None`; `Some(On)` is taken as both), for display. Each polygon
    /// is a list of closed rings, outer first, in the crate's convention ([`crate::polygon_contains`]
    /// accepts them).
    ///
    /// Tolerance: every vertex away from the line lies at a geodesic distance within
    /// `tolerance_m` of `d_m` from the line (each is placed geodesically from its nearest point of
    /// the line and measured), and edges are split until their midpoints do too. A one-sided
    /// buffer is cut along the line (extended straight past its free ends, in the line's direction
    /// over its last few km) with a knife `min(tolerance_m / 10, 1 m)` wide; its vertices along the
    /// cut lie within `tolerance_m` of the line. Near a free end the cut can disagree with
    /// [`ContactLine::side`] over a thin wedge (where the last arc strays from the line's general
    /// direction). Decisions never use these polygons: use
    /// [`ContactLine::within_on_side`].
    ///
    /// Built in an oblique Mercator projection of the sphere along the great circle through the
    /// line's ends (conformal; a few hundred km either side it stretches by well under 1 %), from
    /// the line simplified by `max(tolerance_m / 4, d_m / 100)` and stroked with round joins; the
    /// geodesic placing of every offset vertex then removes the projection's and the
    /// simplification's error. Lines up to a few thousand km long are served. A line that crosses
    /// itself has no consistent sides: its one-sided buffers are then unreliable.
    pub fn buffer(
        &self,
        side: Option<Side>,
        d_m: f64,
        tolerance_m: f64,
    ) -> Result<Vec<Vec<Vec<LonLat>>>, GeoError> {
        let (proj, both) = self.raw_buffer(d_m, tolerance_m)?;
        let flagged = match side.filter(|s| *s != Side::On) {
            None => self.finish(&proj, &both.0, d_m, tolerance_m),
            Some(want) => {
                let pieces: Vec<geo::Polygon<f64>> = self
                    .split(&proj, &both, d_m, tolerance_m)
                    .into_iter()
                    .filter(|(_, s)| *s == want)
                    .map(|(p, _)| p)
                    .collect();
                self.finish(&proj, &pieces, d_m, tolerance_m)
            }
        };
        Ok(strip(flagged))
    }

    /// The withdrawal line `d_m` metres from the line on `side` (Left or Right): the boundary of
    /// the one-sided [`ContactLine::buffer`] away from the line, as LineStrings (a closed one
    /// where the buffer has a hole or a piece not touching the line), with the same tolerance.
    pub fn withdrawal_line(
        &self,
        side: Side,
        d_m: f64,
        tolerance_m: f64,
    ) -> Result<Vec<Vec<LonLat>>, GeoError> {
        if side == Side::On {
            return Err(GeoError::NoSide);
        }
        Ok(offset_runs(self.buffer_flagged_side(
            side,
            d_m,
            tolerance_m,
        )?))
    }

    /// Everything a map shows for one zone width `d_m` of one line version, built once: the
    /// buffer on both sides, each side's buffer and each side's withdrawal line, as
    /// [`ContactLine::buffer`] and [`ContactLine::withdrawal_line`] give them (same tolerance).
    pub fn display(&self, d_m: f64, tolerance_m: f64) -> Result<DisplayZone, GeoError> {
        let (proj, both) = self.raw_buffer(d_m, tolerance_m)?;
        let pieces = self.split(&proj, &both, d_m, tolerance_m);
        let side = |want: Side| -> Vec<geo::Polygon<f64>> {
            pieces
                .iter()
                .filter(|(_, s)| *s == want)
                .map(|(p, _)| p.clone())
                .collect()
        };
        let left = self.finish(&proj, &side(Side::Left), d_m, tolerance_m);
        let right = self.finish(&proj, &side(Side::Right), d_m, tolerance_m);
        Ok(DisplayZone {
            both: strip(self.finish(&proj, &both.0, d_m, tolerance_m)),
            left_line: offset_runs(left.clone()),
            right_line: offset_runs(right.clone()),
            left: strip(left),
            right: strip(right),
        })
    }

    fn buffer_flagged_side(&self, side: Side, d_m: f64, tol: f64) -> Result<Flagged, GeoError> {
        let (proj, both) = self.raw_buffer(d_m, tol)?;
        let pieces: Vec<geo::Polygon<f64>> = self
            .split(&proj, &both, d_m, tol)
            .into_iter()
            .filter(|(_, s)| *s == side)
            .map(|(p, _)| p)
            .collect();
        Ok(self.finish(&proj, &pieces, d_m, tol))
    }

    /// The buffer on both sides in the projection, before placing: the line simplified by
    /// `max(tolerance / 4, d / 100)` (its vertices are placed exactly afterwards) and stroked with
    /// round joins and caps whose chords sag by at most a quarter of the tolerance.
    fn raw_buffer(&self, d_m: f64, tol: f64) -> Result<(Proj, MultiPolygon<f64>), GeoError> {
        check_distance("the buffer distance", d_m)?;
        check_distance("the tolerance", tol)?;
        let proj = Proj::new(self);
        let k = proj.mean_scale(self);
        let lines: Vec<LineString<f64>> = self
            .parts
            .iter()
            .map(|part| {
                let ls: LineString<f64> = part.pts.iter().map(|p| proj.fwd(*p)).collect();
                ls.simplify((tol / 4.0).max(d_m / 100.0) * k)
            })
            .collect();
        let angle = (2.0 * tol / d_m).sqrt().min(0.5);
        let style = BufferStyle::new(d_m * k)
            .line_join(LineJoin::Round(angle))
            .line_cap(LineCap::Round(angle));
        let both = MultiLineString(lines).buffer_with_style(style);
        Ok((proj, both))
    }

    /// The raw buffer cut into pieces along the line (see [`ContactLine::buffer`]), each with the
    /// side most of its vertices away from the line are on; pieces with none are dropped.
    fn split(
        &self,
        proj: &Proj,
        both: &MultiPolygon<f64>,
        d_m: f64,
        tol: f64,
    ) -> Vec<(geo::Polygon<f64>, Side)> {
        let k = proj.mean_scale(self);
        // The knife follows the line as given (simplifying could make it cross itself).
        let knife_lines: Vec<LineString<f64>> = (0..self.parts.len())
            .map(|i| {
                let start = self.end_ray(proj, i, true, d_m, tol);
                let end = self.end_ray(proj, i, false, d_m, tol);
                let mut c: Vec<Coord<f64>> =
                    self.parts[i].pts.iter().map(|p| proj.fwd(*p)).collect();
                if let Some(e) = end {
                    c.push(e);
                }
                if let Some(s) = start {
                    c.insert(0, s);
                }
                LineString(c)
            })
            .collect();
        let w = (tol / 10.0).min(1.0) * k;
        let knife = MultiLineString(knife_lines).buffer_with_style(
            BufferStyle::new(w / 2.0)
                .line_join(LineJoin::Bevel)
                .line_cap(LineCap::Butt),
        );
        both.difference(&knife)
            .0
            .into_iter()
            .filter_map(|piece| {
                let side = self.piece_side(proj, &piece, d_m)?;
                Some((piece, side))
            })
            .collect()
    }

    /// Projected polygons back on the ellipsoid: vertices away from the line (farther than
    /// `d_m / 2`) placed at `d_m` and flagged true, edges between them refined; vertices along the
    /// line kept and flagged false.
    fn finish(&self, proj: &Proj, polys: &[geo::Polygon<f64>], d_m: f64, tol: f64) -> Flagged {
        let mut out = Vec::with_capacity(polys.len());
        for poly in polys {
            let mut rings = Vec::new();
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                let placed: Vec<(LonLat, bool)> = ring
                    .coords()
                    .map(|c| {
                        let p = proj.inv(*c);
                        if self.rough_distance_m(p) > d_m / 2.0 {
                            (self.place(p, d_m, tol), true)
                        } else {
                            (p, false)
                        }
                    })
                    .collect();
                rings.push(self.refine(placed, d_m, tol));
            }
            out.push(rings);
        }
        out
    }

    /// A quick distance, good enough to tell a vertex along the line (within metres of it) from
    /// one on the offset: the angle to the arc of the nearest box, on a mean-radius sphere. It is
    /// never below the true spherical distance.
    fn rough_distance_m(&self, p: LonLat) -> f64 {
        let u = sphere::unit(p);
        match self.tree.nearest_neighbor(&u) {
            Some(sb) => self.foot(sb.part as usize, sb.seg as usize, u).1 * 6_371_008.8,
            None => f64::INFINITY,
        }
    }

    /// The far end (projected) of the cut between the sides beyond a free end of part `i`, or
    /// `None` when that end continues another part: straight on from the end, 1.1 `d_m` out (past
    /// the buffer), in the line's general direction there: from its vertex `s` metres before the
    /// end, `s = min(max(20 tolerance, d_m / 5), half the part)`. [`ContactLine::side`] follows the
    /// end arc itself beyond an end, so where the last arc strays from that direction (or the line
    /// turns back toward the cut within `d_m`) the two can disagree over a thin wedge; decisions
    /// use [`ContactLine::side`].
    fn end_ray(
        &self,
        proj: &Proj,
        i: usize,
        at_start: bool,
        d_m: f64,
        tol: f64,
    ) -> Option<Coord<f64>> {
        let part = &self.parts[i];
        let n = part.pts.len();
        let len = part.cum[n - 1];
        let s = (20.0 * tol).max(d_m / 5.0).min(len / 2.0);
        let (end, inner) = if at_start {
            if part.prev.is_some() {
                return None;
            }
            let k = part.cum.iter().position(|c| *c >= s).unwrap_or(1).max(1);
            (part.pts[0], part.pts[k])
        } else {
            if part.next.is_some() {
                return None;
            }
            let k = part
                .cum
                .iter()
                .rposition(|c| len - *c >= s)
                .unwrap_or(n - 2)
                .min(n - 2);
            (part.pts[n - 1], part.pts[k])
        };
        if end == inner {
            return None;
        }
        // Away from the line: the reverse of the bearing from the end to the inner vertex.
        let az = Geodesic.bearing(point(end), point(inner)) + 180.0;
        Some(proj.fwd(destination(end, az, d_m * 1.1 + tol)))
    }

    /// The side most vertices of a piece well away from the line are on; `None` when it has none
    /// (a sliver along the cut).
    fn piece_side(&self, proj: &Proj, piece: &geo::Polygon<f64>, d_m: f64) -> Option<Side> {
        let (mut left, mut right) = (0usize, 0usize);
        // Most vertices of a piece may lie along the cut: vote with up to 64 of those away from it.
        let far: Vec<LonLat> = piece
            .exterior()
            .0
            .iter()
            .map(|c| proj.inv(*c))
            .filter(|p| self.rough_distance_m(*p) > d_m / 4.0)
            .collect();
        let step = (far.len() / 64).max(1);
        for p in far.iter().step_by(step) {
            if let Some(m) = self.measure(*p) {
                if m.distance_m > d_m / 4.0 {
                    match m.side {
                        Side::Left => left += 1,
                        Side::Right => right += 1,
                        Side::On => {}
                    }
                }
            }
        }
        match left.cmp(&right) {
            std::cmp::Ordering::Greater => Some(Side::Left),
            std::cmp::Ordering::Less => Some(Side::Right),
            std::cmp::Ordering::Equal => None,
        }
    }

    /// `q` moved along the geodesic from its nearest point of the line until it is `d_m` from the
    /// line, to within a quarter of the tolerance (a few steps; corners between two arcs converge
    /// as the nearest point alternates).
    fn place(&self, q: LonLat, d_m: f64, tol: f64) -> LonLat {
        let mut q = q;
        for _ in 0..8 {
            let Some(near) = self.near(q) else {
                return q;
            };
            if (near.dist - d_m).abs() <= tol / 4.0 || near.dist == 0.0 {
                return q;
            }
            let f = self.foot_position(near.part, near.foot);
            let az = Geodesic.bearing(point(f), point(q));
            q = destination(f, az, d_m);
        }
        q
    }

    /// Splits edges between offset vertices until their midpoints lie within the tolerance.
    fn refine(&self, ring: Vec<(LonLat, bool)>, d_m: f64, tol: f64) -> Vec<(LonLat, bool)> {
        let mut out = Vec::with_capacity(ring.len());
        let Some(first) = ring.first() else {
            return out;
        };
        out.push(*first);
        for w in ring.windows(2) {
            self.fill(w[0], w[1], d_m, tol, 0, &mut out);
            out.push(w[1]);
        }
        out
    }

    fn fill(
        &self,
        a: (LonLat, bool),
        b: (LonLat, bool),
        d_m: f64,
        tol: f64,
        depth: u32,
        out: &mut Vec<(LonLat, bool)>,
    ) {
        if !(a.1 && b.1) || depth >= 8 {
            return;
        }
        let m = midpoint(a.0, b.0);
        if (self.distance_m(m) - d_m).abs() <= tol * 0.75 {
            return;
        }
        let mid = (self.place(m, d_m, tol), true);
        self.fill(a, mid, d_m, tol, depth + 1, out);
        out.push(mid);
        self.fill(mid, b, d_m, tol, depth + 1, out);
    }
}

/// Polygons whose vertices are flagged: true on the offset, false along the line.
type Flagged = Vec<Vec<Vec<(LonLat, bool)>>>;

fn strip(flagged: Flagged) -> Vec<Vec<Vec<LonLat>>> {
    flagged
        .into_iter()
        .map(|poly| {
            poly.into_iter()
                .map(|ring| ring.into_iter().map(|(p, _)| p).collect())
                .collect()
        })
        .collect()
}

/// The runs of offset vertices of every ring (a whole ring when it has no vertex along the line).
fn offset_runs(flagged: Flagged) -> Vec<Vec<LonLat>> {
    let mut out = Vec::new();
    for ring in flagged.into_iter().flatten() {
        let open = &ring[..ring.len().saturating_sub(1)];
        let Some(start) = open.iter().position(|(_, off)| !off) else {
            out.push(ring.iter().map(|(p, _)| *p).collect());
            continue;
        };
        let mut run: Vec<LonLat> = Vec::new();
        for k in 0..=open.len() {
            let (p, off) = open[(start + k) % open.len()];
            if off {
                run.push(p);
            } else {
                if run.len() >= 2 {
                    out.push(std::mem::take(&mut run));
                }
                run.clear();
            }
        }
        if run.len() >= 2 {
            out.push(run);
        }
    }
    out
}

/// The midpoint in degrees (the straight edge a display draws), across the antimeridian too.
fn midpoint(a: LonLat, b: LonLat) -> LonLat {
    let lon = sphere::norm_lon(a[0] + zone::lon_delta(a[0], b[0]) / 2.0);
    [lon, (a[1] + b[1]) / 2.0]
}

/// Whether the arc `ua`–`ub` (normal `n1`, nonzero) meets the arc `uc`–`ud`.
fn arcs_meet(ua: [f64; 3], ub: [f64; 3], n1: [f64; 3], uc: [f64; 3], ud: [f64; 3]) -> bool {
    let n2 = cross(uc, ud);
    if norm(n2) < 1e-15 {
        // A zero-length arc: a point, met if it lies on the shot.
        return dot(uc, n1).abs() < 1e-15 && zone::in_arc(ua, ub, n1, uc);
    }
    let x = cross(n1, n2);
    let xn = norm(x);
    if xn < 1e-15 {
        // The same great circle: they meet if one holds an end of the other.
        return zone::in_arc(ua, ub, n1, uc)
            || zone::in_arc(ua, ub, n1, ud)
            || zone::in_arc(uc, ud, n2, ua);
    }
    let x = scale(x, 1.0 / xn);
    [x, scale(x, -1.0)]
        .into_iter()
        .any(|t| zone::in_arc(ua, ub, n1, t) && zone::in_arc(uc, ud, n2, t))
}

/// An oblique Mercator projection of the sphere (radius: the Gaussian radius at the line's mean
/// latitude) whose equator is a great circle along the line, in metres.
struct Proj {
    e1: [f64; 3],
    e2: [f64; 3],
    e3: [f64; 3],
    r: f64,
}

impl Proj {
    fn new(line: &ContactLine) -> Proj {
        let mut sum = [0.0; 3];
        let mut count = 0.0;
        for part in &line.parts {
            for v in &part.vs {
                sum = [sum[0] + v[0], sum[1] + v[1], sum[2] + v[2]];
                count += 1.0;
            }
        }
        let c = if norm(sum) > 1e-9 {
            scale(sum, 1.0 / norm(sum))
        } else {
            line.parts[0].vs[0]
        };
        let first = line.parts[0].vs[0];
        let last_part = &line.parts[line.parts.len() - 1];
        let last = last_part.vs[last_part.vs.len() - 1];
        let ends = cross(first, last);
        let e3 = if norm(ends) > 1e-4 {
            scale(ends, 1.0 / norm(ends))
        } else {
            // Ends too close: the great circle through the centre heading east.
            let east = cross([0.0, 0.0, 1.0], c);
            let east = if norm(east) > 1e-9 {
                scale(east, 1.0 / norm(east))
            } else {
                [0.0, 1.0, 0.0]
            };
            cross(c, east)
        };
        let e1 = sphere::sub(c, scale(e3, dot(c, e3)));
        let e1 = if norm(e1) > 1e-9 {
            scale(e1, 1.0 / norm(e1))
        } else {
            // The centre is a pole of the circle: any point of the circle will do.
            let any = cross(e3, [1.0, 0.0, 0.0]);
            let any = if norm(any) > 1e-9 {
                any
            } else {
                cross(e3, [0.0, 1.0, 0.0])
            };
            scale(any, 1.0 / norm(any))
        };
        let e2 = cross(e3, e1);
        let lat = sphere::lonlat(c)[1].to_radians();
        let e2wgs: f64 = 0.006_694_379_990_141_316;
        let r = sphere::A * (1.0 - e2wgs).sqrt() / (1.0 - e2wgs * lat.sin().powi(2));
        let _ = count;
        Proj { e1, e2, e3, r }
    }

    fn fwd(&self, p: LonLat) -> Coord<f64> {
        let u = sphere::unit(p);
        let s = dot(u, self.e3).clamp(-1.0 + 1e-12, 1.0 - 1e-12);
        Coord {
            x: self.r * dot(u, self.e2).atan2(dot(u, self.e1)),
            y: self.r * s.atanh(),
        }
    }

    fn inv(&self, c: Coord<f64>) -> LonLat {
        let lam = c.x / self.r;
        let phi = (c.y / self.r).tanh().asin();
        let (sl, cl) = lam.sin_cos();
        let (sp, cp) = phi.sin_cos();
        let v = [
            cp * (cl * self.e1[0] + sl * self.e2[0]) + sp * self.e3[0],
            cp * (cl * self.e1[1] + sl * self.e2[1]) + sp * self.e3[1],
            cp * (cl * self.e1[2] + sl * self.e2[2]) + sp * self.e3[2],
        ];
        sphere::lonlat(v)
    }

    /// The mean scale factor (`1 / cos` of the distance from the central circle) at the vertices.
    fn mean_scale(&self, line: &ContactLine) -> f64 {
        let (mut sum, mut n) = (0.0, 0.0);
        for part in &line.parts {
            for v in &part.vs {
                let s = dot(*v, self.e3).clamp(-0.999, 0.999);
                sum += 1.0 / (1.0 - s * s).sqrt();
                n += 1.0;
            }
        }
        if n > 0.0 {
            sum / n
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zigzag() -> ContactLine {
        // North along 35° E, then a turn east.
        ContactLine::new(vec![vec![[35.0, 47.0], [35.0, 48.0], [36.0, 48.0]]]).unwrap()
    }

    #[test]
    fn sides_follow_the_drawing_direction() {
        let line = zigzag();
        // Walking north, east is on the right.
        assert_eq!(line.side([35.1, 47.5]), Side::Right);
        assert_eq!(line.side([34.9, 47.5]), Side::Left);
        // Walking east along 48° N, north is on the left.
        assert_eq!(line.side([35.5, 48.1]), Side::Left);
        assert_eq!(line.side([35.5, 47.9]), Side::Right);
        // Nearest to the corner, outside the bend (north-west of it): left of both arcs.
        assert_eq!(line.side([34.9, 48.1]), Side::Left);
        // Beyond the start, the first arc extended: east is right.
        assert_eq!(line.side([35.1, 46.9]), Side::Right);
        assert_eq!(line.side([35.0, 47.5]), Side::On);
        assert_eq!(line.side([f64::NAN, 47.5]), Side::On);
    }

    #[test]
    fn joined_parts_share_their_vertex() {
        let one = ContactLine::new(vec![vec![[35.0, 47.0], [35.0, 48.0], [36.0, 48.0]]]).unwrap();
        let two = ContactLine::new(vec![
            vec![[35.0, 47.0], [35.0, 48.0]],
            vec![[35.0, 48.0], [36.0, 48.0]],
        ])
        .unwrap();
        for p in [[34.9, 48.1], [35.2, 48.3], [35.1, 47.95], [34.5, 48.0]] {
            assert_eq!(one.side(p), two.side(p), "{p:?}");
            assert_eq!(one.distance_m(p), two.distance_m(p), "{p:?}");
        }
        let l0 = distance_m([35.0, 47.0], [35.0, 48.0]);
        assert_eq!(two.part_start_m(1), Some(l0));
        assert_eq!(two.length_m(), one.length_m());
    }

    #[test]
    fn crossings() {
        let line = zigzag();
        assert!(line.crosses([34.9, 47.5], [35.1, 47.5]));
        assert!(!line.crosses([35.1, 47.5], [35.2, 47.6]));
        // Around the start: the sides differ but the shot does not cross.
        assert!(!line.crosses([34.9, 46.9], [35.1, 46.9]));
        assert!(!line.crosses([34.9, 46.9], [34.9, 46.9]));
    }

    #[test]
    fn sectors_by_chainage() {
        let line = zigzag();
        let l0 = distance_m([35.0, 47.0], [35.0, 48.0]);
        let sectors = [("south", 0.0, l0), ("east", l0, line.length_m())];
        assert_eq!(line.sector_of([35.1, 47.5], &sectors), Some(&"south"));
        assert_eq!(line.sector_of([35.5, 47.9], &sectors), Some(&"east"));
        let (part, along) = line.locate([35.1, 47.5]).unwrap();
        assert_eq!(part, 0);
        assert!(
            (along - distance_m([35.0, 47.0], [35.0, 47.5])).abs() < 20.0,
            "{along}"
        );
    }

    #[test]
    fn bad_parameters_are_refused() {
        let line = zigzag();
        assert!(matches!(
            line.buffer(None, -1.0, 10.0),
            Err(GeoError::BadDistance { .. })
        ));
        assert!(matches!(
            line.buffer(None, 1000.0, f64::NAN),
            Err(GeoError::BadDistance { .. })
        ));
        assert_eq!(
            line.withdrawal_line(Side::On, 1000.0, 10.0),
            Err(GeoError::NoSide)
        );
    }
}

//! Zones: polygons whose edges are great-circle arcs (as PostGIS `geography`), containment and
//! distance from a position.
//!
//! A polygon is a list of rings, the outer ring first, then holes; each ring is closed (its last
//! position repeats its first; the free functions also close an open ring themselves). Every edge
//! must span less than 180° of longitude (the arc is then the shorter one and is monotone in
//! longitude) and no ring may enclose or touch a pole; [`check_polygon`] says whether a polygon
//! meets these rules. Edges may cross the antimeridian: longitudes are compared modulo 360°.

use crate::sphere::{self, cross, dot, norm, scale, sub};
use crate::{distance_m, GeoError, LonLat};

/// Whether `p` lies inside the polygon: inside its outer ring and inside none of its holes. Edges
/// are great-circle arcs. A position exactly on an edge may be counted either way (its distance,
/// [`polygon_distance_m`], is 0 either way). Invalid positions, and polygons with no rings, contain
/// nothing; polygons breaking the rules of [`check_polygon`] give unspecified answers.
pub fn polygon_contains(rings: &[Vec<LonLat>], p: LonLat) -> bool {
    Polygon::new(rings).contains(p, sphere::unit(p))
}

/// Geodesic distance in metres from `p` to the polygon: 0 inside ([`polygon_contains`]), else the
/// distance to the nearest point of its boundary (any ring, holes included).
///
/// How: on the unit sphere (see the crate docs), the nearest point of each edge's great-circle arc
/// to `p` is found exactly (the foot of the perpendicular if it falls within the arc, else the
/// nearer end); the result is the smallest [`distance_m`] from `p` to those points. Edges that
/// cannot hold the minimum are skipped using the proven sphere/ellipsoid bounds, so the value is
/// the same as computing all of them. Taking the nearest point on the sphere rather than on the
/// ellipsoid overstates the distance by a relative amount of the order of the square of the
/// ellipsoid's anisotropy (~1e-5 at worst, far below 0.1 %); this is also how PostGIS computes
/// `ST_Distance` on geography. A vertex found nearest is measured to exactly (`distance_m(p,
/// vertex)`). NaN for an invalid `p` or a polygon with no rings.
pub fn polygon_distance_m(rings: &[Vec<LonLat>], p: LonLat) -> f64 {
    Polygon::new(rings).distance_m(p)
}

/// Checks that a polygon meets the rules of this module: at least one ring; every ring closed with
/// at least 4 positions; every position valid; every edge spanning less than 180° of longitude; no
/// vertex on a pole and no ring winding around one.
pub fn check_polygon(rings: &[Vec<LonLat>]) -> Result<(), GeoError> {
    if rings.is_empty() {
        return Err(GeoError::NoRings);
    }
    for (r, ring) in rings.iter().enumerate() {
        if ring.len() < 4 {
            return Err(GeoError::RingTooShort {
                ring: r,
                len: ring.len(),
            });
        }
        if let Some(bad) = ring.iter().find(|p| !sphere::valid(**p)) {
            return Err(GeoError::InvalidPosition(*bad));
        }
        if ring.first() != ring.last() {
            return Err(GeoError::RingNotClosed { ring: r });
        }
        if ring.iter().any(|p| p[1].abs() >= 90.0) {
            return Err(GeoError::Pole { ring: r });
        }
        let mut winding = 0.0;
        for w in ring.windows(2) {
            let delta = lon_delta(w[0][0], w[1][0]);
            if delta.abs() >= 180.0 {
                return Err(GeoError::EdgeTooWide {
                    ring: r,
                    from: w[0],
                    to: w[1],
                });
            }
            winding += delta;
        }
        if winding.abs() > 180.0 {
            return Err(GeoError::Pole { ring: r });
        }
    }
    Ok(())
}

/// Geodesic distance in metres from `p` to the nearest point of any of `lines` (each an open
/// polyline of great-circle arcs between its positions), found as [`polygon_distance_m`] finds the
/// distance to a polygon's boundary: the nearest point of each arc on the sphere, measured with
/// [`distance_m`]. A pipeline or a power line is such a line. NaN for an invalid `p` or no lines.
pub fn line_distance_m(lines: &[Vec<LonLat>], p: LonLat) -> f64 {
    Polygon::lines(lines).edge_distance_m(p)
}

/// Checks that lines meet the rules of this module: at least one line; each with at least 2
/// positions, every position valid, every edge spanning less than 180° of longitude.
pub fn check_lines(lines: &[Vec<LonLat>]) -> Result<(), GeoError> {
    if lines.is_empty() {
        return Err(GeoError::NoLines);
    }
    for (r, line) in lines.iter().enumerate() {
        if line.len() < 2 {
            return Err(GeoError::LineTooShort {
                line: r,
                len: line.len(),
            });
        }
        if let Some(bad) = line.iter().find(|p| !sphere::valid(**p)) {
            return Err(GeoError::InvalidPosition(*bad));
        }
        for w in line.windows(2) {
            if lon_delta(w[0][0], w[1][0]).abs() >= 180.0 {
                return Err(GeoError::EdgeTooWide {
                    ring: r,
                    from: w[0],
                    to: w[1],
                });
            }
        }
    }
    Ok(())
}

/// `b - a` in degrees of longitude, reduced to `(-180, 180]`.
pub(crate) fn lon_delta(a: f64, b: f64) -> f64 {
    wrap(sphere::norm_lon(b) - sphere::norm_lon(a))
}

/// A difference of two reduced longitudes (in `(-360, 360)`) reduced to `(-180, 180]`.
fn wrap(x: f64) -> f64 {
    if x > 180.0 {
        x - 360.0
    } else if x <= -180.0 {
        x + 360.0
    } else {
        x
    }
}

/// A ring with its vertices' unit vectors; the closing edge is implied when the ring is open.
#[derive(Clone, Debug)]
pub(crate) struct Ring {
    pts: Vec<LonLat>,
    vs: Vec<[f64; 3]>,
}

impl Ring {
    fn new(ring: &[LonLat]) -> Ring {
        let mut pts = ring.to_vec();
        if pts.len() > 1 && pts.first() != pts.last() {
            pts.push(pts[0]);
        }
        Ring::open(pts)
    }

    /// A line: its positions as given, never closed.
    pub(crate) fn open(pts: Vec<LonLat>) -> Ring {
        let vs = pts.iter().map(|p| sphere::unit(*p)).collect();
        Ring { pts, vs }
    }

    /// Edges as pairs of vertex indexes.
    fn edges(&self) -> impl Iterator<Item = (usize, usize)> {
        (1..self.pts.len()).map(|k| (k - 1, k))
    }

    /// Crossing parity of the meridian from `p` to the North Pole.
    fn contains(&self, p: LonLat, u: [f64; 3]) -> bool {
        let q = sphere::norm_lon(p[0]);
        let rel = |k: usize| wrap(sphere::norm_lon(self.pts[k][0]) - q);
        let mut inside = false;
        let mut ra = match self.pts.first() {
            Some(_) => rel(0),
            None => return false,
        };
        for (a, b) in self.edges() {
            let rb = rel(b);
            // The arc crosses p's meridian (not the opposite one), counted half-open.
            if (ra <= 0.0) != (rb <= 0.0) && (rb - ra).abs() < 180.0 {
                let s = dot(cross(self.vs[a], self.vs[b]), u);
                // Eastward arc: p lies south of it when s < 0.
                let south = if rb > ra { s < 0.0 } else { s > 0.0 };
                if south {
                    inside = !inside;
                }
            }
            ra = rb;
        }
        inside
    }

    /// Latitude range (degrees) of the ring's arcs, bulges included.
    pub(crate) fn lat_range(&self) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for p in &self.pts {
            lo = lo.min(p[1]);
            hi = hi.max(p[1]);
        }
        for (a, b) in self.edges() {
            let (va, vb) = (self.vs[a], self.vs[b]);
            let n = cross(va, vb);
            let nn = norm(n);
            if nn < 1e-15 {
                continue;
            }
            let n = scale(n, 1.0 / nn);
            // The great circle's northernmost point; its southernmost is the opposite one.
            let top = sub([0.0, 0.0, 1.0], scale(n, n[2]));
            let tn = norm(top);
            if tn < 1e-15 {
                continue;
            }
            let top = scale(top, 1.0 / tn);
            for t in [top, scale(top, -1.0)] {
                if in_arc(va, vb, n, t) {
                    let lat = sphere::lonlat(t)[1];
                    lo = lo.min(lat);
                    hi = hi.max(lat);
                }
            }
        }
        (lo, hi)
    }

    /// Unwrapped longitude range (degrees) of the ring: `lo` in `[-180, 180)`, `hi >= lo`, possibly
    /// above 180 for a ring across the antimeridian.
    pub(crate) fn lon_range(&self) -> (f64, f64) {
        let Some(first) = self.pts.first() else {
            return (0.0, 0.0);
        };
        let mut x = sphere::norm_lon(first[0]);
        let (mut lo, mut hi) = (x, x);
        for w in self.pts.windows(2) {
            x += lon_delta(w[0][0], w[1][0]);
            lo = lo.min(x);
            hi = hi.max(x);
        }
        let shift = sphere::norm_lon(lo) - lo;
        (lo + shift, hi + shift)
    }
}

/// Whether unit vector `t`, on the great circle of normal `n` (`va × vb`, any length), lies on the
/// arc from `va` to `vb`.
pub(crate) fn in_arc(va: [f64; 3], vb: [f64; 3], n: [f64; 3], t: [f64; 3]) -> bool {
    dot(cross(va, t), n) >= 0.0 && dot(cross(t, vb), n) >= 0.0
}

/// The nearest point to `u` on the arc from `va` to `vb` (unit sphere): `Ok(vector)` for a point
/// inside the arc, `Err(false)` / `Err(true)` for the end `va` / `vb`.
pub(crate) fn nearest_on_arc(va: [f64; 3], vb: [f64; 3], u: [f64; 3]) -> Result<[f64; 3], bool> {
    let nearer_end = || Err(sphere::chord2(u, vb) < sphere::chord2(u, va));
    let n = cross(va, vb);
    let nn = norm(n);
    if nn < 1e-15 {
        return nearer_end();
    }
    let n = scale(n, 1.0 / nn);
    let t = sub(u, scale(n, dot(u, n)));
    let tn = norm(t);
    if tn < 1e-15 {
        return nearer_end();
    }
    let t = scale(t, 1.0 / tn);
    if in_arc(va, vb, n, t) {
        Ok(t)
    } else {
        nearer_end()
    }
}

/// A polygon prepared for repeated queries.
#[derive(Clone, Debug)]
pub(crate) struct Polygon {
    pub(crate) rings: Vec<Ring>,
}

impl Polygon {
    pub(crate) fn new(rings: &[Vec<LonLat>]) -> Polygon {
        Polygon {
            rings: rings.iter().map(|r| Ring::new(r)).collect(),
        }
    }

    /// See [`polygon_contains`]; `u` is `p`'s unit vector.
    pub(crate) fn contains(&self, p: LonLat, u: [f64; 3]) -> bool {
        let Some((outer, holes)) = self.rings.split_first() else {
            return false;
        };
        sphere::valid(p) && outer.contains(p, u) && !holes.iter().any(|h| h.contains(p, u))
    }

    /// Lines (open, never containing anything) prepared for [`Polygon::edge_distance_m`].
    pub(crate) fn lines(lines: &[Vec<LonLat>]) -> Polygon {
        Polygon {
            rings: lines.iter().map(|l| Ring::open(l.clone())).collect(),
        }
    }

    /// See [`polygon_distance_m`].
    pub(crate) fn distance_m(&self, p: LonLat) -> f64 {
        if !sphere::valid(p) || self.rings.is_empty() {
            return f64::NAN;
        }
        let u = sphere::unit(p);
        if self.contains(p, u) {
            return 0.0;
        }
        self.edge_distance_m(p)
    }

    /// The geodesic distance from `p` to the nearest point of any edge (see
    /// [`polygon_distance_m`]), inside or not; NaN for an invalid `p` or no rings.
    pub(crate) fn edge_distance_m(&self, p: LonLat) -> f64 {
        if !sphere::valid(p) || self.rings.is_empty() {
            return f64::NAN;
        }
        let u = sphere::unit(p);
        // Pass 1: the smallest central angle to any arc bounds the answer from above.
        let mut best_angle = f64::INFINITY;
        self.for_each_nearest(u, |_, theta| best_angle = best_angle.min(theta));
        if !best_angle.is_finite() {
            return f64::NAN;
        }
        // Pass 2: geodesic distances for the arcs that may hold the minimum.
        let cut = (best_angle * sphere::n_max() / sphere::M_MIN) * (1.0 + 1e-9) + 1e-14;
        let mut best = f64::INFINITY;
        self.for_each_nearest(u, |foot, theta| {
            if theta <= cut {
                let g = match foot {
                    Foot::Vertex(v) => distance_m(p, v),
                    Foot::Inner(t) => distance_m(p, sphere::lonlat(t)),
                };
                best = best.min(g);
            }
        });
        best
    }

    /// Calls `f` with the nearest point of every arc to `u` and its central angle.
    fn for_each_nearest(&self, u: [f64; 3], mut f: impl FnMut(Foot, f64)) {
        for ring in &self.rings {
            if ring.pts.len() == 1 {
                f(Foot::Vertex(ring.pts[0]), sphere::angle(u, ring.vs[0]));
            }
            for (a, b) in ring.edges() {
                match nearest_on_arc(ring.vs[a], ring.vs[b], u) {
                    Ok(t) => f(Foot::Inner(t), sphere::angle(u, t)),
                    Err(end) => {
                        let k = if end { b } else { a };
                        f(Foot::Vertex(ring.pts[k]), sphere::angle(u, ring.vs[k]));
                    }
                }
            }
        }
    }
}

/// The nearest point of an arc: one of its vertices, or a point inside it (unit vector).
enum Foot {
    Vertex(LonLat),
    Inner([f64; 3]),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(lon: f64, lat: f64, half: f64) -> Vec<LonLat> {
        vec![
            [lon - half, lat - half],
            [lon + half, lat - half],
            [lon + half, lat + half],
            [lon - half, lat + half],
            [lon - half, lat - half],
        ]
    }

    #[test]
    fn inside_outside_and_holes() {
        let poly = vec![square(10.0, 20.0, 1.0), square(10.0, 20.0, 0.25)];
        assert!(polygon_contains(&poly, [9.5, 20.0]));
        assert!(polygon_contains(&poly, [10.6, 20.7]));
        assert!(!polygon_contains(&poly, [10.0, 20.0]), "in the hole");
        assert!(!polygon_contains(&poly, [11.5, 20.0]));
        assert!(!polygon_contains(&poly, [190.0, 20.0]), "opposite meridian");
        assert!(!polygon_contains(&poly, [10.0, 22.0]));
        assert_eq!(polygon_distance_m(&poly, [9.5, 20.0]), 0.0);
        // In the hole: the distance to the hole's boundary.
        let d = polygon_distance_m(&poly, [10.0, 20.0]);
        assert!(d > 20_000.0 && d < 28_000.0, "{d}");
        // Longitudes given past 180 wrap.
        assert!(polygon_contains(&poly, [369.5, 20.0]));
    }

    #[test]
    fn across_the_antimeridian() {
        let ring = vec![
            [179.0, -1.0],
            [-179.0, -1.0],
            [-179.0, 1.0],
            [179.0, 1.0],
            [179.0, -1.0],
        ];
        let poly = vec![ring];
        assert_eq!(check_polygon(&poly), Ok(()));
        for p in [[180.0, 0.0], [-180.0, 0.5], [179.5, 0.0], [-179.5, -0.5]] {
            assert!(polygon_contains(&poly, p), "{p:?}");
        }
        for p in [[0.0, 0.0], [178.5, 0.0], [-178.5, 0.0], [180.0, 1.5]] {
            assert!(!polygon_contains(&poly, p), "{p:?}");
        }
        let d = polygon_distance_m(&poly, [-178.0, 0.0]);
        let want = distance_m([-178.0, 0.0], [-179.0, 0.0]);
        assert!((d - want).abs() < 1e-3, "{d} {want}");
        let r = &Polygon::new(&poly).rings[0];
        assert_eq!(r.lon_range(), (179.0, 181.0));
    }

    #[test]
    fn edges_are_great_circles() {
        // A long east-west edge at 60° N bulges north: (0, 60.5) lies north of the vertices' latitude
        // but south of the arc.
        let poly = vec![vec![
            [-20.0, 50.0],
            [20.0, 50.0],
            [20.0, 60.0],
            [-20.0, 60.0],
            [-20.0, 50.0],
        ]];
        assert!(polygon_contains(&poly, [0.0, 60.5]));
        let (lo, hi) = Polygon::new(&poly).rings[0].lat_range();
        assert!((lo - 50.0).abs() < 1e-9 && hi > 61.0, "{lo} {hi}");
    }

    #[test]
    fn refusals() {
        assert_eq!(check_polygon(&[]), Err(GeoError::NoRings));
        let open = vec![vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]];
        assert_eq!(
            check_polygon(&open),
            Err(GeoError::RingNotClosed { ring: 0 })
        );
        // Open rings are closed by the free functions.
        assert!(polygon_contains(&open, [0.5, 0.5]));
        let short = vec![vec![[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]];
        assert!(matches!(
            check_polygon(&short),
            Err(GeoError::RingTooShort { ring: 0, len: 3 })
        ));
        let wide = vec![vec![[-90.0, 0.0], [90.0, 0.0], [0.0, 10.0], [-90.0, 0.0]]];
        assert!(matches!(
            check_polygon(&wide),
            Err(GeoError::EdgeTooWide { .. })
        ));
        let cap = vec![vec![
            [0.0, 80.0],
            [120.0, 80.0],
            [-120.0, 80.0],
            [0.0, 80.0],
        ]];
        assert_eq!(check_polygon(&cap), Err(GeoError::Pole { ring: 0 }));
        let nan = vec![vec![[0.0, 0.0], [f64::NAN, 0.0], [0.0, 1.0], [0.0, 0.0]]];
        assert!(matches!(
            check_polygon(&nan),
            Err(GeoError::InvalidPosition(_))
        ));
        assert!(polygon_distance_m(&[], [0.0, 0.0]).is_nan());
        assert!(!polygon_contains(&[], [0.0, 0.0]));
    }
}

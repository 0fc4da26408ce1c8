//! The site index: point, polygon and line sites, queried for those within a distance of a
//! position.
//!
//! Sites are held in an R-tree of boxes in degrees (one per ring of a polygon or per line, including the bulges
//! of its great-circle edges; a box across the antimeridian is stored as two). A query takes the
//! conservative degree box of its reach (as [`crate::dwithin_join`] does) and measures each site
//! it meets with [`Shape::distance_m`], so its answer is exactly the brute force over all sites.

use rstar::{RTree, RTreeObject, AABB};

use crate::sphere::{self, ChordBounds};
use crate::zone::{self, Polygon};
use crate::{distance_m, GeoError, LonLat};

/// A site's geometry.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// A single position.
    Point(LonLat),
    /// A polygon: the outer ring first, then holes; every ring closed (last position = first).
    /// Edges are great-circle arcs; see [`crate::check_polygon`] for the rules.
    Polygon(Vec<Vec<LonLat>>),
    /// Lines (a pipeline, a power line): each at least two positions, joined by great-circle
    /// arcs, never closed; see [`crate::check_lines`] for the rules.
    Line(Vec<Vec<LonLat>>),
}

impl Shape {
    /// Geodesic distance in metres from `p` to the shape: [`distance_m`] for a point (from `p`),
    /// [`crate::polygon_distance_m`] for a polygon (0 inside), [`crate::line_distance_m`] for a
    /// line. This is the distance
    /// [`SiteIndex::within`] reports.
    pub fn distance_m(&self, p: LonLat) -> f64 {
        match self {
            Shape::Point(s) => distance_m(p, *s),
            Shape::Polygon(rings) => zone::polygon_distance_m(rings, p),
            Shape::Line(lines) => zone::line_distance_m(lines, p),
        }
    }
}

/// A site found near a position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SiteHit {
    /// The caller's key of the site.
    pub key: u32,
    /// Geodesic distance in metres from the position to the site ([`Shape::distance_m`]).
    pub distance_m: f64,
}

/// Point, polygon and line sites indexed for within-distance queries.
#[derive(Clone, Debug)]
pub struct SiteIndex {
    sites: Vec<Site>,
    tree: RTree<Boxed>,
}

#[derive(Clone, Debug)]
struct Site {
    key: u32,
    prepared: Prepared,
}

#[derive(Clone, Debug)]
enum Prepared {
    Point(LonLat, [f64; 3]),
    Polygon(Polygon),
    Line(Polygon),
}

/// A box in degrees (longitudes within [-180, 180]) holding site `site`.
#[derive(Clone, Debug)]
struct Boxed {
    env: AABB<[f64; 2]>,
    site: usize,
}

impl RTreeObject for Boxed {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.env
    }
}

/// Padding of site boxes, degrees (far above their rounding).
const PAD_DEG: f64 = 1e-9;

impl SiteIndex {
    /// Indexes `sites`, each with the caller's key (keys need not be unique). Refuses a point that
    /// is not a valid position and a polygon that breaks the rules of [`crate::check_polygon`],
    /// naming the site's key.
    pub fn new(sites: Vec<(u32, Shape)>) -> Result<SiteIndex, GeoError> {
        let mut prepared = Vec::with_capacity(sites.len());
        let mut boxes = Vec::with_capacity(sites.len());
        for (n, (key, shape)) in sites.into_iter().enumerate() {
            let refuse = |e: GeoError| GeoError::Site {
                key,
                source: Box::new(e),
            };
            // Boxes as (latitude range, unwrapped longitude range): one per ring of a polygon, so
            // that even a hole drawn outside its outer ring is found.
            let (p, ranges) = match shape {
                Shape::Point(p) => {
                    if !sphere::valid(p) {
                        return Err(refuse(GeoError::InvalidPosition(p)));
                    }
                    let lon = sphere::norm_lon(p[0]);
                    (
                        Prepared::Point(p, sphere::unit(p)),
                        vec![((p[1], p[1]), (lon, lon))],
                    )
                }
                Shape::Polygon(rings) => {
                    zone::check_polygon(&rings).map_err(refuse)?;
                    let poly = Polygon::new(&rings);
                    let ranges = poly
                        .rings
                        .iter()
                        .map(|r| (r.lat_range(), r.lon_range()))
                        .collect();
                    (Prepared::Polygon(poly), ranges)
                }
                Shape::Line(lines) => {
                    zone::check_lines(&lines).map_err(refuse)?;
                    let poly = Polygon::lines(&lines);
                    let ranges = poly
                        .rings
                        .iter()
                        .map(|r| (r.lat_range(), r.lon_range()))
                        .collect();
                    (Prepared::Line(poly), ranges)
                }
            };
            for (lat, lon) in ranges {
                let (lat_lo, lat_hi) = (lat.0 - PAD_DEG, lat.1 + PAD_DEG);
                let (lon_lo, lon_hi) = (lon.0 - PAD_DEG, lon.1 + PAD_DEG);
                let mut push = |lo: f64, hi: f64| {
                    boxes.push(Boxed {
                        env: AABB::from_corners([lo, lat_lo], [hi, lat_hi]),
                        site: n,
                    })
                };
                if lon_hi - lon_lo >= 360.0 {
                    push(-180.0, 180.0);
                } else {
                    push(lon_lo.max(-180.0), lon_hi.min(180.0));
                    if lon_lo < -180.0 {
                        push(lon_lo + 360.0, 180.0);
                    }
                    if lon_hi > 180.0 {
                        push(-180.0, lon_hi - 360.0);
                    }
                }
            }
            prepared.push(Site { key, prepared: p });
        }
        Ok(SiteIndex {
            sites: prepared,
            tree: RTree::bulk_load(boxes),
        })
    }

    /// How many sites the index holds.
    pub fn len(&self) -> usize {
        self.sites.len()
    }

    /// Whether the index holds no site.
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }

    /// Every site whose distance from `p` ([`Shape::distance_m`]: geodesic, 0 inside a polygon) is
    /// at most `d_m` metres, sorted by distance then key: exactly the brute force over all sites.
    /// Empty for an invalid `p` or a NaN or negative `d_m`.
    pub fn within(&self, p: LonLat, d_m: f64) -> Vec<SiteHit> {
        let mut hits = Vec::new();
        if !sphere::valid(p) || d_m.is_nan() || d_m < 0.0 {
            return hits;
        }
        let mut candidates: Vec<usize> = Vec::new();
        let dlat = sphere::lat_reach_deg(d_m);
        let (lat_lo, lat_hi) = (p[1] - dlat, p[1] + dlat);
        let mut look = |lo: f64, hi: f64| {
            let env = AABB::from_corners([lo, lat_lo], [hi, lat_hi]);
            candidates.extend(
                self.tree
                    .locate_in_envelope_intersecting(&env)
                    .map(|b| b.site),
            );
        };
        match sphere::lon_reach_deg(p[1], dlat, d_m) {
            None => look(-180.0, 180.0),
            Some(dlon) => {
                let q = sphere::norm_lon(p[0]);
                let (lo, hi) = (q - dlon, q + dlon);
                look(lo.max(-180.0), hi.min(180.0));
                if lo < -180.0 {
                    look(lo + 360.0, 180.0);
                }
                if hi > 180.0 {
                    look(-180.0, hi - 360.0);
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let u = sphere::unit(p);
        let bounds = ChordBounds::new(d_m);
        for n in candidates {
            let site = &self.sites[n];
            let dist = match &site.prepared {
                Prepared::Point(s, v) => {
                    if sphere::chord2(u, *v) > bounds.reject {
                        continue;
                    }
                    distance_m(p, *s)
                }
                Prepared::Polygon(poly) => poly.distance_m(p),
                Prepared::Line(lines) => lines.edge_distance_m(p),
            };
            if dist <= d_m {
                hits.push(SiteHit {
                    key: site.key,
                    distance_m: dist,
                });
            }
        }
        hits.sort_unstable_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.key.cmp(&b.key))
        });
        hits
    }

    /// The nearest site within `max_m` metres of `p` (ties to the smaller key), or `None`. Searches
    /// growing radii from 1 km, so it is cheap when something is near.
    pub fn nearest(&self, p: LonLat, max_m: f64) -> Option<SiteHit> {
        if max_m.is_nan() || max_m < 0.0 {
            return None;
        }
        let mut r = max_m.min(1000.0);
        loop {
            if let Some(hit) = self.within(p, r).first() {
                return Some(*hit);
            }
            if r >= max_m {
                return None;
            }
            r = (r * 4.0).min(max_m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_points_and_polygons() {
        let square = vec![vec![
            [10.0, 10.0],
            [10.1, 10.0],
            [10.1, 10.1],
            [10.0, 10.1],
            [10.0, 10.0],
        ]];
        let index = SiteIndex::new(vec![
            (7, Shape::Point([10.2, 10.05])),
            (3, Shape::Polygon(square)),
            (9, Shape::Point([-170.0, 0.0])),
        ])
        .unwrap();
        assert_eq!(index.len(), 3);
        let hits = index.within([10.05, 10.05], 20_000.0);
        assert_eq!(hits.len(), 2);
        assert_eq!(
            hits[0],
            SiteHit {
                key: 3,
                distance_m: 0.0
            }
        );
        assert_eq!(hits[1].key, 7);
        assert_eq!(
            hits[1].distance_m,
            distance_m([10.05, 10.05], [10.2, 10.05])
        );
        assert_eq!(index.nearest([10.3, 10.05], 1e6).map(|h| h.key), Some(7));
        assert_eq!(index.nearest([0.0, 0.0], 1e3), None);
        assert_eq!(index.nearest([175.0, 0.0], 2e6).map(|h| h.key), Some(9));
        assert!(index.within([f64::NAN, 0.0], 1e9).is_empty());
        assert!(index.within([10.05, 10.05], -1.0).is_empty());
    }

    #[test]
    fn refuses_bad_sites_by_key() {
        let err = SiteIndex::new(vec![
            (1, Shape::Point([0.0, 0.0])),
            (5, Shape::Point([0.0, 95.0])),
        ])
        .unwrap_err();
        assert!(matches!(err, GeoError::Site { key: 5, .. }), "{err}");
        let err = SiteIndex::new(vec![(2, Shape::Polygon(vec![]))]).unwrap_err();
        assert_eq!(err.to_string(), "site 2: a polygon needs an outer ring");
    }

    #[test]
    fn lines_are_measured_to_their_nearest_arc() {
        // A pipeline north along the 35° E meridian, then north-east; a report about 500 m east
        // of its first arc (a meridian: its nearest point is at the report's latitude).
        let pipe = vec![vec![[35.0, 51.0], [35.0, 51.5], [35.6, 51.8]]];
        let index = SiteIndex::new(vec![(4, Shape::Line(pipe.clone()))]).unwrap();
        let east = [35.0 + 500.0 / 69_909.0, 51.2];
        let hits = index.within(east, 1_000.0);
        assert_eq!(hits.len(), 1);
        let exact = distance_m(east, [35.0, 51.2]);
        assert!((exact - 500.0).abs() < 1.0, "{exact}");
        assert!((hits[0].distance_m - exact).abs() < 0.01, "{hits:?}");
        assert_eq!(
            hits[0].distance_m,
            Shape::Line(pipe.clone()).distance_m(east)
        );
        // A line is not an area: its "inside" is not near it.
        assert!(index.within([35.3, 51.45], 1_000.0).is_empty());
        // Beyond its end, the distance is to the end.
        let d = Shape::Line(pipe).distance_m([35.0, 50.99]);
        assert!(
            (d - distance_m([35.0, 50.99], [35.0, 51.0])).abs() < 1e-6,
            "{d}"
        );
        let err = SiteIndex::new(vec![(6, Shape::Line(vec![vec![[0.0, 0.0]]]))]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "site 6: line 0 has 1 position(s); a line needs at least 2"
        );
    }
}

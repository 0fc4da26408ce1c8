//! Spatial matching for Truce: distances on the WGS84 ellipsoid (Karney's geodesic, as PostGIS
//! `geography` uses), within-distance tests that agree with `ST_DWithin(geography, geography, d)`,
//! and indexes of sites and zones. Pure: no IO, no clock.
//!
//! # What the distances mean
//!
//! Positions are `[lon, lat]` in degrees on WGS84 ([`LonLat`]); longitudes may lie outside
//! `[-180, 180)` (they wrap), latitudes outside `[-90, 90]` or non-finite coordinates make a
//! position invalid: it is at a NaN distance from everything and within no distance of anything.
//!
//! | here | meaning | PostGIS equivalent |
//! |---|---|---|
//! | [`distance_m`] | length in metres of the shortest geodesic on the WGS84 ellipsoid (Karney 2013, accurate to 15 nm) | `ST_Distance(a::geography, b::geography)` (spheroid) |
//! | [`within_m`], [`dwithin_join`] | that distance `<= d` (inclusive) | `ST_DWithin(a::geography, b::geography, d)`; the join is `SELECT p.i, t.j FROM p JOIN t ON ST_DWithin(p.g, t.g, d) ORDER BY 1, 2` |
//! | [`polygon_contains`] | the position is inside the outer ring and in no hole, edges being great-circle arcs | `ST_Covers(poly::geography, pt::geography)` (up to positions on the boundary) |
//! | [`polygon_distance_m`], [`Shape::distance_m`], [`SiteIndex`] | 0 inside a polygon, else the geodesic distance to the nearest point of its boundary, found on the sphere (see [`polygon_distance_m`]) | `ST_Distance(poly::geography, pt::geography)`, which finds the nearest point the same way |
//! | [`line_distance_m`], [`Shape::Line`] | the geodesic distance to the nearest point of a line's great-circle arcs (pipelines, power lines), found the same way | `ST_Distance(line::geography, pt::geography)` |
//! | [`ContactLine::distance_m`] | a line of contact: exactly [`line_distance_m`], found through an R-tree; with [`ContactLine::side`] (left or right of the drawing direction) and display buffers within a stated tolerance | `ST_Distance(line::geography, pt::geography)` |
//! | [`footprint::contains`], [`coarsen`], [`PublicFootprint`] | an observation footprint (compass [`Sector`]s and a distance [`Ring`] around an observer, inclusive; geodesic distance and forward azimuth) and its public form: sorted H3 cells covering the footprints of every position in the observer's coarse cell, a function of that cell only, which hides the observer at least `hide_m` ([`PublicFootprint::hidden_radius_m`]); [`PublicFootprint::against`] bounds its distance to a [`ContactLine`] and says which sides it reaches | `ST_DWithin(obs, p, max) AND NOT ST_DWithin(obs, p, min)` with `ST_Azimuth` in the sectors (for [`footprint::contains`], up to the inclusive `min`) |
//!
//! Polygon edges are great-circle arcs between their vertices (geodetic latitude used as
//! spherical latitude), as in PostGIS `geography`, not straight lines in degrees. An edge must span
//! less than 180° of longitude and a ring must not enclose a pole; edges may cross the antimeridian
//! (a ring from 179° E to 179° W is 2° wide), so zones across it need not be split.

#![warn(missing_docs)]

pub mod footprint;
mod join;
mod line;
mod sites;
mod sphere;
mod zone;

pub use footprint::{coarsen, LineRelation, PublicFootprint, Ring, Sector};
pub use join::dwithin_join;
pub use line::{ContactLine, DisplayZone, LinePoint, Side, MAX_GRID_NODES, ON_LINE_M};
pub use sites::{Shape, SiteHit, SiteIndex};
pub use zone::{check_lines, check_polygon, line_distance_m, polygon_contains, polygon_distance_m};

use geo::{Distance, Geodesic, Haversine};

/// Why a site or zone was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum GeoError {
    /// A coordinate is not finite, or a latitude lies outside ±90°.
    #[error("position {0:?} is not a valid [lon, lat] (finite, latitude within ±90°)")]
    InvalidPosition(LonLat),
    /// A polygon without an outer ring.
    #[error("a polygon needs an outer ring")]
    NoRings,
    /// A ring with fewer than four positions (three corners and the closing one).
    #[error("ring {ring} has {len} positions; a closed ring needs at least 4")]
    RingTooShort {
        /// The ring's index (0 is the outer ring).
        ring: usize,
        /// How many positions it has.
        len: usize,
    },
    /// A ring whose last position is not its first.
    #[error("ring {ring} is not closed (its last position differs from its first)")]
    RingNotClosed {
        /// The ring's index (0 is the outer ring).
        ring: usize,
    },
    /// An edge spanning 180° of longitude or more: its great-circle arc would be ambiguous.
    #[error("ring {ring}: the edge from {from:?} to {to:?} spans 180° of longitude or more")]
    EdgeTooWide {
        /// The ring's index (0 is the outer ring).
        ring: usize,
        /// The edge's first vertex.
        from: LonLat,
        /// The edge's second vertex.
        to: LonLat,
    },
    /// A ring that winds around a pole or has a vertex on one; split the polygon.
    #[error("ring {ring} encloses or touches a pole; split the polygon")]
    Pole {
        /// The ring's index (0 is the outer ring).
        ring: usize,
    },
    /// A line site with no lines.
    #[error("a line site needs at least one line")]
    NoLines,
    /// A line with fewer than two positions.
    #[error("line {line} has {len} position(s); a line needs at least 2")]
    LineTooShort {
        /// The line's index.
        line: usize,
        /// How many positions it has.
        len: usize,
    },
    /// A distance or tolerance that is not a finite positive number of metres.
    #[error("{what} is {value} m; give a finite number of metres above 0")]
    BadDistance {
        /// Which parameter.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A withdrawal line asked for [`Side::On`].
    #[error("a withdrawal line needs a side, Left or Right, not On")]
    NoSide,
    /// A compass bearing outside 0–360° or not finite.
    #[error("{what} is {value}°; give a bearing from 0 to 360, clockwise from true north")]
    BadBearing {
        /// Which bearing.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A sector whose two ends are the same bearing.
    #[error("the sector {from_deg}° → {to_deg}° is empty (both ends the same); give two different bearings, or 0 → 360 for every direction")]
    EmptySector {
        /// Its first bearing.
        from_deg: f64,
        /// Its last bearing.
        to_deg: f64,
    },
    /// A footprint without sectors.
    #[error("a footprint needs at least one sector; give 0 → 360 when the direction is unknown")]
    NoSectors,
    /// A distance range that is not `0 <= min < max <= limit`.
    #[error("the distance range {min_m}–{max_m} m is invalid; give 0 <= min < max <= {limit_m} m")]
    BadRing {
        /// Its nearest distance.
        min_m: f64,
        /// Its farthest distance.
        max_m: f64,
        /// The largest `max_m` allowed.
        limit_m: f64,
    },
    /// A display tolerance below the smallest allowed (or not finite).
    #[error("tolerance {value} m is too fine; give a finite tolerance of at least {min} m")]
    BadTolerance {
        /// The value given.
        value: f64,
        /// The smallest allowed.
        min: f64,
    },
    /// A distance to hide an observer beyond what the grid's coarsest cells give.
    #[error("hide_m {hide_m} m exceeds the {max_m} m the coarsest cells can hide; give a smaller distance")]
    HideTooLarge {
        /// The value given.
        hide_m: f64,
        /// The largest allowed.
        max_m: f64,
    },
    /// An observer's coarse cell smaller than promised (not expected: the resolution is chosen
    /// with a margin below the smallest cells); nothing is published.
    #[error("coarse cell {cell} hides the observer only {half_diameter_m} m, below hide_m {hide_m} m; give a larger hide_m (and report this)")]
    CoarseCellTooSmall {
        /// The cell, H3 hexadecimal.
        cell: String,
        /// Half its largest vertex-to-vertex distance.
        half_diameter_m: f64,
        /// The distance asked.
        hide_m: f64,
    },
    /// Text or a number that is not a valid H3 cell index.
    #[error(
        "{cell:?} is not an H3 cell index; give 15 hexadecimal digits such as 871f1d489ffffff"
    )]
    BadCell {
        /// What was given (at most 40 characters).
        cell: String,
    },
    /// A public footprint without cells.
    #[error("a public footprint needs at least one cell")]
    NoCells,
    /// A public footprint with more cells than allowed.
    #[error("a public footprint has {count} cells; at most {max} are allowed")]
    TooManyCells {
        /// How many were given.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// A cell listed twice in a public footprint.
    #[error("cell {cell} is listed twice; list each cell once")]
    DuplicateCell {
        /// The cell, H3 hexadecimal.
        cell: String,
    },
    /// Cells of different resolutions in one public footprint.
    #[error("cell {cell} has resolution {resolution} but the first cell has {first}; a public footprint's cells share one resolution")]
    MixedResolutions {
        /// The cell, H3 hexadecimal.
        cell: String,
        /// Its resolution.
        resolution: u8,
        /// The first cell's resolution.
        first: u8,
    },
    /// A distance grid ([`ContactLine::with_distance_grid`]) that cannot be built here.
    #[error("a distance grid {why}; judge without one (exact measures)")]
    GridNotServed {
        /// Why: the line crosses the antimeridian, reaches too near a pole, or the grid would
        /// hold too many nodes.
        why: String,
    },
    /// A site that was refused, by the caller's key.
    #[error("site {key}: {source}")]
    Site {
        /// The caller's key of the site.
        key: u32,
        /// What is wrong with it.
        source: Box<GeoError>,
    },
}

/// A position `[lon, lat]` in degrees.
pub type LonLat = [f64; 2];

/// Geodesic distance in metres between two positions on the WGS84 ellipsoid (Karney's algorithm,
/// as PostGIS `ST_Distance` on geography). NaN if either position is invalid (a non-finite
/// coordinate or a latitude beyond ±90°).
pub fn distance_m(a: LonLat, b: LonLat) -> f64 {
    // geographiclib answers 0, not NaN, for some invalid second positions.
    if !sphere::valid(a) || !sphere::valid(b) {
        return f64::NAN;
    }
    Geodesic.distance(geo::Point::new(a[0], a[1]), geo::Point::new(b[0], b[1]))
}

/// The position `distance` metres from `p` along the geodesic leaving it at `bearing_deg`
/// (clockwise from true north) on the WGS84 ellipsoid (Karney's direct problem); NaN for an
/// invalid `p`. Used for a crater analysis's direction of fire: how far back the fire may have
/// come from.
pub fn destination(p: LonLat, bearing_deg: f64, distance: f64) -> LonLat {
    use geo::Destination;
    if !sphere::valid(p) || !bearing_deg.is_finite() || !distance.is_finite() {
        return [f64::NAN, f64::NAN];
    }
    let d = Geodesic.destination(geo::Point::new(p[0], p[1]), bearing_deg, distance);
    [d.x(), d.y()]
}

/// Relative bound on how far the spherical (haversine, mean radius) distance can differ from the
/// ellipsoidal one; with margin. WGS84 flattening is 1/298.257, so the difference is below 0.56 %.
const SPHERE_SLACK: f64 = 0.0075;

/// Whether two positions are within `d` metres of each other on the WGS84 ellipsoid (inclusive, as
/// `ST_DWithin`): exactly `distance_m(a, b) <= d`, so false for an invalid position. A cheap
/// spherical distance settles clear cases; the geodesic decides the rest.
pub fn within_m(a: LonLat, b: LonLat, d: f64) -> bool {
    if !sphere::valid(a) || !sphere::valid(b) {
        return false;
    }
    let h = Haversine.distance(geo::Point::new(a[0], a[1]), geo::Point::new(b[0], b[1]));
    if h > d * (1.0 + SPHERE_SLACK) + 1e-6 {
        return false;
    }
    if h < d * (1.0 - SPHERE_SLACK) - 1e-6 {
        return true;
    }
    distance_m(a, b) <= d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_at_the_equator() {
        let d = distance_m([0.0, 0.0], [0.0, 1.0]);
        assert!((d - 110_574.389).abs() < 0.01, "{d}");
        assert!(within_m([0.0, 0.0], [0.0, 1.0], 110_574.4));
        assert!(!within_m([0.0, 0.0], [0.0, 1.0], 110_574.3));
    }

    #[test]
    fn invalid_positions_are_never_within() {
        assert!(!within_m([0.0, 91.0], [0.0, 90.5], 1e6));
        assert!(!within_m([0.0, 0.0], [f64::INFINITY, 0.0], f64::INFINITY));
        assert!(within_m([0.0, 0.0], [180.0, 0.0], f64::INFINITY));
        assert!(!within_m([0.0, 0.0], [0.0, 0.0], -1.0));
        assert!(!within_m([0.0, 0.0], [0.0, 0.0], f64::NAN));
    }
}

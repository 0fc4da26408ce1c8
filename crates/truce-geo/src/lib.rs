//! Spatial matching for Truce: distances on the WGS84 ellipsoid (Karney's geodesic, as PostGIS
//! `geography` uses), within-distance tests that agree with `ST_DWithin(geography, geography, d)`,
//! and indexes of sites and zones. Pure: no IO, no clock.

use geo::{Distance, Geodesic, Haversine};

/// A position `[lon, lat]` in degrees.
pub type LonLat = [f64; 2];

/// Geodesic distance in metres between two positions on the WGS84 ellipsoid.
pub fn distance_m(a: LonLat, b: LonLat) -> f64 {
    Geodesic.distance(geo::Point::new(a[0], a[1]), geo::Point::new(b[0], b[1]))
}

/// Relative bound on how far the spherical (haversine, mean radius) distance can differ from the
/// ellipsoidal one; with margin. WGS84 flattening is 1/298.257, so the difference is below 0.56 %.
const SPHERE_SLACK: f64 = 0.0075;

/// Whether two positions are within `d` metres of each other on the WGS84 ellipsoid (inclusive, as
/// `ST_DWithin`). A cheap spherical distance settles clear cases; the geodesic decides the rest.
pub fn within_m(a: LonLat, b: LonLat, d: f64) -> bool {
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
}

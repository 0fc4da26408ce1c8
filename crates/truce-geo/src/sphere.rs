//! The unit-sphere model used to prune and to find nearest points, and its proven bounds against
//! the WGS84 ellipsoid.
//!
//! A position `[lon, lat]` maps to the unit vector `(cos lat cos lon, cos lat sin lon, sin lat)`,
//! geodetic latitude taken as spherical latitude (as PostGIS `geography` does for its edges). In
//! these coordinates the ellipsoid's metric is `ds² = M(φ)² dφ² + N(φ)² cos²φ dλ²` and the unit
//! sphere's is `dφ² + cos²φ dλ²`, so every path's ellipsoidal length lies between [`M_MIN`] and
//! [`N_MAX`] times its spherical length. Hence, for the central angle `θ` between two positions,
//! their geodesic distance `g` satisfies `M_MIN·θ <= g <= N_MAX·θ`, and the same bounds give
//! conservative boxes in degrees: a path of length `d` changes latitude by at most `d / M_MIN`
//! radians and longitude by at most `d / (a·cos φmax)`.

use crate::LonLat;

/// WGS84 equatorial radius `a`, metres.
pub(crate) const A: f64 = 6_378_137.0;
/// WGS84 flattening.
const F: f64 = 1.0 / 298.257_223_563;
/// WGS84 first eccentricity squared, `f(2 - f)`.
pub(crate) const E2: f64 = F * (2.0 - F);
/// Smallest radius of curvature (meridional, at the equator): `a(1 - e²)`, about 6 335 439 m.
pub(crate) const M_MIN: f64 = A * (1.0 - E2);
/// Largest radius of curvature (at the poles): `a / sqrt(1 - e²)`, about 6 399 594 m. Not a `const`
/// because `sqrt` is not const; [`n_max`] computes it.
pub(crate) fn n_max() -> f64 {
    A / (1.0 - E2).sqrt()
}

/// Relative margin added to every pruning bound, far above the rounding of the bounds themselves.
const REL_MARGIN: f64 = 1e-9;
/// Absolute margin on chord lengths (unit sphere; 1e-14 is 64 nm on the Earth), above the rounding
/// of unit vectors and their differences (~1e-15) and Karney's accuracy (15 nm).
const ABS_CHORD_MARGIN: f64 = 1e-14;
/// Absolute margin on degree boxes.
const ABS_DEG_MARGIN: f64 = 1e-9;

/// A longitude reduced to `[-180, 180)`, exactly (the remainder and the shift are exact in binary
/// floating point). Non-finite input gives NaN.
pub(crate) fn norm_lon(lon: f64) -> f64 {
    let mut r = lon % 360.0;
    if r >= 180.0 {
        r -= 360.0;
    } else if r < -180.0 {
        r += 360.0;
    }
    r
}

/// Whether `geographiclib` accepts the position: finite, latitude within ±90°. Others give a NaN
/// distance, so they are never within any distance of anything.
pub(crate) fn valid(p: LonLat) -> bool {
    p[0].is_finite() && p[1].is_finite() && p[1].abs() <= 90.0
}

/// The unit vector of a position (see the module docs).
pub(crate) fn unit(p: LonLat) -> [f64; 3] {
    let (slat, clat) = p[1].to_radians().sin_cos();
    let (slon, clon) = norm_lon(p[0]).to_radians().sin_cos();
    [clat * clon, clat * slon, slat]
}

/// Longitude and latitude, degrees, of a (not necessarily normalised) nonzero vector.
pub(crate) fn lonlat(v: [f64; 3]) -> LonLat {
    let lat = v[2].atan2(v[0].hypot(v[1])).to_degrees();
    let lon = if v[0] == 0.0 && v[1] == 0.0 {
        0.0
    } else {
        v[1].atan2(v[0]).to_degrees()
    };
    [lon, lat]
}

pub(crate) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(crate) fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) fn scale(a: [f64; 3], k: f64) -> [f64; 3] {
    [a[0] * k, a[1] * k, a[2] * k]
}

pub(crate) fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

/// Squared chord between two unit vectors.
pub(crate) fn chord2(a: [f64; 3], b: [f64; 3]) -> f64 {
    let d = sub(a, b);
    dot(d, d)
}

/// Central angle, radians, between two unit vectors, from their chord (accurate at small angles).
pub(crate) fn angle(a: [f64; 3], b: [f64; 3]) -> f64 {
    2.0 * (chord2(a, b).sqrt() / 2.0).min(1.0).asin()
}

/// The chord of a central angle, or infinity from half a turn on (every chord is shorter).
fn chord_of(theta: f64) -> f64 {
    if theta >= std::f64::consts::PI {
        f64::INFINITY
    } else {
        2.0 * (theta / 2.0).sin()
    }
}

/// Squared-chord thresholds for a distance `d`: two unit vectors whose squared chord is above
/// `reject` are more than `d` apart on the ellipsoid, below `accept` at most `d` apart (both with
/// margins for rounding and for Karney's accuracy, so they agree with the computed geodesic).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ChordBounds {
    pub(crate) reject: f64,
    pub(crate) accept: f64,
}

impl ChordBounds {
    /// Bounds for a finite, non-negative `d`.
    pub(crate) fn new(d: f64) -> Self {
        let hi = chord_of(d / M_MIN * (1.0 + REL_MARGIN)) * (1.0 + REL_MARGIN) + ABS_CHORD_MARGIN;
        let lo = chord_of(d / n_max() * (1.0 - REL_MARGIN)) * (1.0 - REL_MARGIN) - ABS_CHORD_MARGIN;
        ChordBounds {
            reject: hi * hi,
            accept: if lo > 0.0 { lo * lo } else { -1.0 },
        }
    }
}

/// Half-height in degrees of latitude of a box holding every position within `d` metres.
pub(crate) fn lat_reach_deg(d: f64) -> f64 {
    (d / M_MIN).to_degrees() * (1.0 + REL_MARGIN) + ABS_DEG_MARGIN
}

/// Half-width in degrees of longitude of a box holding every position within `d` metres of a
/// position at latitude `lat`, given the latitude reach `dlat`; `None` when every longitude must
/// be taken (near a pole, or when the reach is half a turn or more).
pub(crate) fn lon_reach_deg(lat: f64, dlat: f64, d: f64) -> Option<f64> {
    let top = lat.abs() + dlat;
    if top >= 89.999_999 {
        return None;
    }
    let dlon =
        (d / (A * top.to_radians().cos())).to_degrees() * (1.0 + REL_MARGIN) + ABS_DEG_MARGIN;
    (dlon < 180.0).then_some(dlon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radii_of_curvature() {
        assert!((M_MIN - 6_335_439.327).abs() < 1e-3, "{M_MIN}");
        assert!((n_max() - 6_399_593.626).abs() < 1e-3, "{}", n_max());
    }

    #[test]
    fn longitudes_are_reduced_exactly() {
        assert_eq!(norm_lon(180.0), -180.0);
        assert_eq!(norm_lon(-180.0), -180.0);
        assert_eq!(norm_lon(539.5), 179.5);
        assert_eq!(norm_lon(-190.25), 169.75);
        assert_eq!(norm_lon(12.5), 12.5);
        assert!(norm_lon(f64::INFINITY).is_nan());
    }

    #[test]
    fn bounds_bracket_the_geodesic() {
        let pairs = [
            ([0.0, 0.0], [0.0, 1.0]),
            ([0.0, 0.0], [1.0, 0.0]),
            ([10.0, 89.0], [190.0, 89.5]),
            ([179.9, -60.0], [-179.9, -60.1]),
        ];
        for (a, b) in pairs {
            let g = crate::distance_m(a, b);
            let th = angle(unit(a), unit(b));
            assert!(M_MIN * th <= g && g <= n_max() * th, "{a:?} {b:?}");
        }
    }

    #[test]
    fn vectors_round_trip() {
        let p = lonlat(unit([-179.5, 45.25]));
        assert!(
            (p[0] + 179.5).abs() < 1e-12 && (p[1] - 45.25).abs() < 1e-12,
            "{p:?}"
        );
    }
}

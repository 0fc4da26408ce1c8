//! Helpers shared by the integration tests: a seeded generator and geodesic constructions.

#![allow(dead_code)]

use geo::{Destination, Geodesic};
use truce_geo::LonLat;

/// A small seeded generator (SplitMix64), so the tests need no random source of their own.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// The position `dist` metres from `from` along the geodesic leaving it at `bearing` degrees.
pub fn destination(from: LonLat, bearing: f64, dist: f64) -> LonLat {
    let p = Geodesic.destination(geo::Point::new(from[0], from[1]), bearing, dist);
    [p.x(), p.y()]
}

/// A longitude reduced to `[-180, 180)`.
pub fn wrap_lon(lon: f64) -> f64 {
    let r = lon.rem_euclid(360.0);
    if r >= 180.0 {
        r - 360.0
    } else {
        r
    }
}

/// Vincenty's inverse formula on WGS84 (1975), written independently of geographiclib. `None`
/// when it does not converge (nearly antipodal pairs).
pub fn vincenty(p1: LonLat, p2: LonLat) -> Option<f64> {
    let a = 6_378_137.0_f64;
    let f = 1.0 / 298.257_223_563;
    let b = (1.0 - f) * a;
    let l = (p2[0] - p1[0]).to_radians();
    let u1 = ((1.0 - f) * p1[1].to_radians().tan()).atan();
    let u2 = ((1.0 - f) * p2[1].to_radians().tan()).atan();
    let (su1, cu1) = u1.sin_cos();
    let (su2, cu2) = u2.sin_cos();
    let mut lambda = l;
    for _ in 0..1000 {
        let (sl, cl) = lambda.sin_cos();
        let sin_sigma = ((cu2 * sl).powi(2) + (cu1 * su2 - su1 * cu2 * cl).powi(2)).sqrt();
        if sin_sigma == 0.0 {
            return Some(0.0);
        }
        let cos_sigma = su1 * su2 + cu1 * cu2 * cl;
        let sigma = sin_sigma.atan2(cos_sigma);
        let sin_alpha = cu1 * cu2 * sl / sin_sigma;
        let cos2_alpha = 1.0 - sin_alpha * sin_alpha;
        let cos_2sm = if cos2_alpha == 0.0 {
            0.0
        } else {
            cos_sigma - 2.0 * su1 * su2 / cos2_alpha
        };
        let c = f / 16.0 * cos2_alpha * (4.0 + f * (4.0 - 3.0 * cos2_alpha));
        let next = l
            + (1.0 - c)
                * f
                * sin_alpha
                * (sigma
                    + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)));
        if (next - lambda).abs() < 1e-13 {
            let u_sq = cos2_alpha * (a * a - b * b) / (b * b);
            let big_a =
                1.0 + u_sq / 16384.0 * (4096.0 + u_sq * (-768.0 + u_sq * (320.0 - 175.0 * u_sq)));
            let big_b = u_sq / 1024.0 * (256.0 + u_sq * (-128.0 + u_sq * (74.0 - 47.0 * u_sq)));
            let ds = big_b
                * sin_sigma
                * (cos_2sm
                    + big_b / 4.0
                        * (cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)
                            - big_b / 6.0
                                * cos_2sm
                                * (-3.0 + 4.0 * sin_sigma * sin_sigma)
                                * (-3.0 + 4.0 * cos_2sm * cos_2sm)));
            return Some(b * big_a * (sigma - ds));
        }
        lambda = next;
    }
    None
}

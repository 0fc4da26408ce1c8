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

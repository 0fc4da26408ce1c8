//! What the benchmarks over a synthetic line of contact share (`examples/line_bench.rs`,
//! `examples/footprint_bench.rs` here and `truce-engine`'s `examples/front_bench.rs`, which
//! include this file): a seeded generator, the SYNTHETIC 20,000-vertex line, the observation
//! templates and a parallel map. Not an example of its own.
#![allow(dead_code)] // each bench uses some of it

use truce_geo::{LonLat, Ring, Sector};

/// SplitMix64, so the bench needs no random source of its own.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The synthetic line: a smooth base curve (a trend north-east with two long swings), measured
/// in a local plane (km; fine for building a test shape), and `n` vertices spaced evenly along it,
/// each moved along the base's normal by wiggles of 3 km, 350 m and 120 m (wavelengths 35 km,
/// 1 km, 350 m) and a little deterministic noise. The wiggles stay far below the base's radius
/// of curvature (at least 13 km), so the line does not cross itself.
pub fn synthetic_line(n: usize) -> Vec<LonLat> {
    let tau = std::f64::consts::TAU;
    let kx = 111.32 * 48f64.to_radians().cos();
    let ky = 111.13;
    let m = 200_000;
    let base: Vec<[f64; 2]> = (0..=m)
        .map(|i| {
            let t = i as f64 / m as f64;
            [
                (34.4 + 5.0 * t + 0.3 * (tau * 1.5 * t).sin()) * kx,
                (46.7 + 3.0 * t + 0.3 * (tau * 2.0 * t + 1.0).sin()) * ky,
            ]
        })
        .collect();
    let mut s = vec![0.0];
    for w in base.windows(2) {
        s.push(s[s.len() - 1] + (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]));
    }
    let total = s[m];
    let mut rng = Rng(20_261_207);
    let mut i = 1;
    (0..n)
        .map(|k| {
            let at = total * k as f64 / (n - 1) as f64;
            while i < m && s[i] < at {
                i += 1;
            }
            let (a, b) = (base[i - 1], base[i]);
            let f = if s[i] > s[i - 1] {
                (at - s[i - 1]) / (s[i] - s[i - 1])
            } else {
                0.0
            };
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let l = dx.hypot(dy);
            let w = 3.0 * (tau * at / 35.0).sin()
                + 0.35 * (tau * at / 1.0).sin()
                + 0.12 * (tau * at / 0.35).sin()
                + 0.002 * (rng.next() - 0.5);
            let x = a[0] + f * dx - w * dy / l;
            let y = a[1] + f * dy + w * dx / l;
            [x / kx, y / ky]
        })
        .collect()
}

/// The sector and range templates: 1–3 adjacent or separate compass points, rings within 10 km.
pub fn templates() -> Vec<(Vec<Sector>, Ring)> {
    let point = |c: f64| Sector::centred(c, 45.0);
    let mut out = Vec::new();
    let rings = [(0.0, 3_000.0), (3_000.0, 6_000.0), (2_000.0, 10_000.0)];
    let sets: [&[f64]; 8] = [
        &[0.0],
        &[0.0, 45.0],
        &[90.0],
        &[135.0, 180.0, 225.0],
        &[270.0, 315.0],
        &[45.0, 225.0],
        &[180.0],
        &[315.0, 0.0, 45.0],
    ];
    for set in sets {
        for (min, max) in rings {
            let sectors: Result<Vec<Sector>, _> = set.iter().map(|&c| point(c)).collect();
            if let (Ok(sectors), Ok(ring)) = (sectors, Ring::new(min, max)) {
                out.push((sectors, ring));
            }
        }
    }
    out
}

pub fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("{}: {what}: {e}", env!("CARGO_CRATE_NAME"));
    std::process::exit(1)
}

/// Runs `f` over `items` split in one chunk per core; returns the results in order.
pub fn par_map<T: Sync, R: Send>(items: &[T], cores: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let chunk = items.len().div_ceil(cores.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| fail("a thread", "panicked")))
            .collect()
    })
}

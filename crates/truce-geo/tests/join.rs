//! `dwithin_join` against the brute force `distance_m(p, t) <= d` over every pair.

mod common;

use common::{destination, wrap_lon, Rng};
use proptest::prelude::*;
use truce_geo::{distance_m, dwithin_join, LonLat};

/// Every pair's distance, on two threads (the debug build is slow).
fn all_distances(points: &[LonLat], targets: &[LonLat]) -> Vec<f64> {
    let half = points.len() / 2;
    let rows = |ps: &[LonLat]| -> Vec<f64> {
        ps.iter()
            .flat_map(|p| targets.iter().map(move |t| distance_m(*p, *t)))
            .collect()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| rows(&points[..half]));
        let b = rows(&points[half..]);
        (a.join().expect("brute-force thread"), b)
    });
    [a, b].concat()
}

fn brute(dist: &[f64], n_targets: usize, d: f64) -> Vec<(u32, u32)> {
    dist.iter()
        .enumerate()
        .filter(|(_, g)| **g <= d)
        .map(|(k, _)| ((k / n_targets) as u32, (k % n_targets) as u32))
        .collect()
}

/// Positions in clusters where the sphere is awkward, plus a mid-latitude one.
fn clustered(rng: &mut Rng, n: usize) -> Vec<LonLat> {
    (0..n)
        .map(|k| match k % 8 {
            // mid-latitudes, 110 km square
            0..=2 => [rng.range(30.0, 31.5), rng.range(48.0, 49.0)],
            // across the antimeridian, some exactly on it in either spelling
            3 => {
                let lon = match rng.below(20) {
                    0 => 180.0,
                    1 => -180.0,
                    _ => wrap_lon(rng.range(179.9, 180.1)),
                };
                [lon, rng.range(64.0, 64.5)]
            }
            // within 55 km of the North Pole, every longitude, a few on the pole
            4 => match rng.below(50) {
                0 => [rng.range(-180.0, 180.0), 90.0],
                _ => [rng.range(-180.0, 180.0), rng.range(89.5, 90.0)],
            },
            // high Arctic and Antarctic boxes
            5 => [rng.range(45.0, 47.0), rng.range(80.0, 80.6)],
            6 => [rng.range(-170.0, -168.0), rng.range(-82.0, -81.4)],
            // around the South Pole
            _ => [rng.range(-180.0, 180.0), rng.range(-90.0, -89.6)],
        })
        .collect()
}

#[test]
fn join_is_exactly_the_brute_force() {
    let mut rng = Rng::new(7);
    let targets = clustered(&mut rng, 2_000);
    let mut points = clustered(&mut rng, 2_200);
    // Pairs built within a centimetre of the thresholds, on either side (and exactly on them).
    let thresholds = [5_000.0, 25_000.0];
    for k in 0..800 {
        let d = thresholds[k % 2];
        let t = targets[rng.below(targets.len())];
        let delta = match k % 10 {
            0 => 0.0,
            1 => 1e-6,
            2 => -1e-6,
            _ => rng.range(-0.01, 0.01),
        };
        points.push(destination(t, rng.range(0.0, 360.0), d + delta));
    }
    // Longitudes past ±180 are accepted and wrap.
    for t in &targets[..20] {
        points.push([t[0] + 360.0, t[1]]);
    }
    let dist = all_distances(&points, &targets);
    let n = targets.len();
    for &d in &thresholds {
        let near = dist.iter().filter(|g| (**g - d).abs() <= 0.01);
        let (inside, outside) = near.fold(
            (0, 0),
            |(i, o), g| if *g <= d { (i + 1, o) } else { (i, o + 1) },
        );
        assert!(
            inside > 100 && outside > 100,
            "d {d}: {inside} just inside, {outside} just outside"
        );
    }
    for d in [0.0, 100.0, 5_000.0, 25_000.0, 60_000.0] {
        let want = brute(&dist, n, d);
        let got = dwithin_join(&points, &targets, d);
        assert!(
            d < 1_000.0 || want.len() > 1000,
            "d {d}: only {} pairs",
            want.len()
        );
        if got != want {
            let extra: Vec<_> = got
                .iter()
                .filter(|p| want.binary_search(p).is_err())
                .take(5)
                .collect();
            let missing: Vec<_> = want
                .iter()
                .filter(|p| got.binary_search(p).is_err())
                .take(5)
                .collect();
            panic!(
                "d {d}: {} pairs, brute force {}; extra {extra:?}, missing {missing:?}",
                got.len(),
                want.len()
            );
        }
    }
    // Reversed roles agree with the same matrix read the other way.
    let got = dwithin_join(&targets, &points, 5_000.0);
    let mut want: Vec<(u32, u32)> = brute(&dist, n, 5_000.0)
        .into_iter()
        .map(|(i, j)| (j, i))
        .collect();
    want.sort_unstable();
    // distance_m is symmetric only to rounding; compare away from the threshold.
    let unsure = |&(j, i): &(u32, u32)| (dist[i as usize * n + j as usize] - 5_000.0).abs() < 1e-6;
    let a: Vec<_> = got.iter().filter(|p| !unsure(p)).collect();
    let b: Vec<_> = want.iter().filter(|p| !unsure(p)).collect();
    assert_eq!(a, b);
}

#[test]
fn large_distances_cross_poles_and_hemispheres() {
    let mut rng = Rng::new(11);
    let points: Vec<LonLat> = (0..300)
        .map(|_| [rng.range(-180.0, 180.0), rng.range(-90.0, 90.0)])
        .collect();
    let targets: Vec<LonLat> = (0..200)
        .map(|_| [rng.range(-180.0, 180.0), rng.range(-90.0, 90.0)])
        .collect();
    let dist = all_distances(&points, &targets);
    for d in [500_000.0, 3_000_000.0, 10_000_000.0, 19_990_000.0, 2.1e7] {
        assert_eq!(
            dwithin_join(&points, &targets, d),
            brute(&dist, targets.len(), d),
            "d {d}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Small joins anywhere on the globe, with spreads from metres to thousands of kilometres.
    #[test]
    fn small_joins_are_the_brute_force(
        lon in -180.0..180.0f64,
        lat in -90.0..=90.0f64,
        spread in -4.0..1.5f64,
        d_scale in 0.0..6.5f64,
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::new(seed);
        let s = 10f64.powf(spread);
        let mut pick = |n: usize| -> Vec<LonLat> {
            (0..n)
                .map(|_| [lon + rng.range(-s, s) * 3.0, (lat + rng.range(-s, s)).clamp(-90.0, 90.0)])
                .collect()
        };
        let points = pick(120);
        let targets = pick(90);
        let d = 10f64.powf(d_scale);
        let dist = all_distances(&points, &targets);
        prop_assert_eq!(dwithin_join(&points, &targets, d), brute(&dist, targets.len(), d));
    }
}

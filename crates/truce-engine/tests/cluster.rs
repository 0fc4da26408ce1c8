//! `clusters` against a brute-force comparison of every pair, order independence, and the
//! baseline's hot spots.

use proptest::prelude::*;
use truce_engine::baseline::{Baseline, BaselineParams, Detection};
use truce_engine::cluster::{clusters, linked, time_gap_s, Obs, Params};

/// The link rule as specified, asked in index order.
fn rule(a: &Obs, b: &Obs, p: &Params) -> bool {
    let gap = 0.max(a.start.max(b.start) - a.end.min(b.end));
    gap <= p.max_gap_s && truce_geo::within_m([a.lon, a.lat], [b.lon, b.lat], a.reach_m + b.reach_m)
}

/// O(n²) union-find over every pair, components in the documented order.
fn brute(obs: &[Obs], p: &Params) -> Vec<Vec<u32>> {
    let n = obs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for i in 0..n {
        for j in i + 1..n {
            if rule(&obs[i], &obs[j], p) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut out: Vec<Vec<u32>> = Vec::new();
    let mut label = vec![usize::MAX; n];
    for i in 0..n {
        let r = find(&mut parent, i);
        if label[r] == usize::MAX {
            label[r] = out.len();
            out.push(Vec::new());
        }
        out[label[r]].push(i as u32);
    }
    out
}

/// Places where the grid is tested hardest: mid-latitudes, the antimeridian, near both poles.
const ANCHORS: [[f64; 2]; 9] = [
    [30.0, 50.0],
    [179.99, 10.0],
    [-179.995, -40.0],
    [180.0, 65.0],
    [0.0, 89.98],
    [120.0, -89.97],
    [10.0, 75.0],
    [-179.9999, 89.9],
    [-60.0, -80.0],
];

const GAP: i64 = 3600;

/// One report near an anchor: offsets in metres, a reach from the mix of kinds, times on a lattice
/// of the gap (so pairs fall exactly `GAP` and `GAP + 1` apart).
fn arb_obs() -> impl Strategy<Value = Obs> {
    (
        0..ANCHORS.len(),
        prop_oneof![3 => -3_000.0..3_000.0f64, 1 => -60_000.0..60_000.0f64],
        prop_oneof![3 => -3_000.0..3_000.0f64, 1 => -60_000.0..60_000.0f64],
        prop_oneof![
            Just(0.0),
            Just(375.0),
            375.0..1_000.0f64,
            Just(1_000.0),
            3_000.0..25_000.0f64,
            Just(60_000.0)
        ],
        0..8i64,
        0..2i64,
        prop_oneof![Just(0i64), Just(1), Just(GAP / 2), 0..3 * GAP],
    )
        .prop_map(|(k, dn, de, reach_m, slot, plus, dur)| {
            let [lon0, lat0] = ANCHORS[k];
            let lat = (lat0 + dn / 111_000.0).clamp(-90.0, 90.0);
            let coslat = lat.to_radians().cos().max(0.01);
            let mut lon = lon0 + de / (111_000.0 * coslat);
            if !(-180.0..=180.0).contains(&lon) {
                lon = (lon + 180.0).rem_euclid(360.0) - 180.0;
            }
            let start = 1_700_000_000 + slot * GAP + plus;
            Obs {
                lon,
                lat,
                reach_m,
                start,
                end: start + dur,
            }
        })
}

/// A partition as a sorted set of sorted sets.
fn canonical(mut cs: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
    for c in &mut cs {
        c.sort_unstable();
    }
    cs.sort();
    cs
}

/// The documented shape: every index once, ascending within, ordered by first index.
fn assert_shape(cs: &[Vec<u32>], n: usize) {
    let mut seen = vec![false; n];
    let mut prev_first = None;
    for c in cs {
        assert!(!c.is_empty());
        assert!(c.windows(2).all(|w| w[0] < w[1]), "not ascending: {c:?}");
        assert!(prev_first < Some(c[0]), "components out of order");
        prev_first = Some(c[0]);
        for &i in c {
            assert!(!std::mem::replace(&mut seen[i as usize], true), "{i} twice");
        }
    }
    assert!(seen.into_iter().all(|s| s), "an index is missing");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn equals_brute_force(obs in prop::collection::vec(arb_obs(), 0..400)) {
        for max_gap_s in [GAP, GAP - 1, 0] {
            let p = Params { max_gap_s };
            let got = clusters(&obs, &p);
            assert_shape(&got, obs.len());
            prop_assert_eq!(got, brute(&obs, &p));
        }
    }

    #[test]
    fn independent_of_input_order(
        (obs, perm) in prop::collection::vec(arb_obs(), 1..300).prop_flat_map(|obs| {
            let n = obs.len();
            (Just(obs), Just((0..n).collect::<Vec<usize>>()).prop_shuffle())
        })
    ) {
        let p = Params { max_gap_s: GAP };
        let shuffled: Vec<Obs> = perm.iter().map(|&i| obs[i]).collect();
        let back: Vec<Vec<u32>> = clusters(&shuffled, &p)
            .into_iter()
            .map(|c| c.into_iter().map(|k| perm[k as usize] as u32).collect())
            .collect();
        prop_assert_eq!(canonical(back), canonical(clusters(&obs, &p)));
    }

    #[test]
    fn link_rule_is_symmetric(a in arb_obs(), b in arb_obs()) {
        let p = Params { max_gap_s: GAP };
        prop_assert_eq!(linked(&a, &b, &p), linked(&b, &a, &p));
        prop_assert_eq!(linked(&a, &b, &p), rule(&a, &b, &p));
        prop_assert_eq!(time_gap_s(&a, &b), time_gap_s(&b, &a));
    }
}

#[test]
fn gap_exactly_max_links_one_more_does_not() {
    let at = |start: i64, end: i64| Obs {
        lon: 35.0,
        lat: 48.0,
        reach_m: 500.0,
        start,
        end,
    };
    let p = Params { max_gap_s: 21_600 };
    assert_eq!(
        clusters(&[at(0, 100), at(21_700, 21_700)], &p),
        vec![vec![0, 1]]
    );
    assert_eq!(
        clusters(&[at(0, 100), at(21_701, 21_701)], &p),
        vec![vec![0], vec![1]]
    );
    // A long interval overlapping the other counts as no gap at all.
    assert_eq!(
        clusters(&[at(21_701, 21_701), at(0, 1_000_000)], &p),
        vec![vec![0, 1]]
    );
}

#[test]
fn distance_is_reach_sum_inclusive() {
    let a = [36.0, 49.0];
    let b = [36.01, 49.005];
    let d = truce_geo::distance_m(a, b);
    let obs = |r1: f64, r2: f64| {
        [
            Obs {
                lon: a[0],
                lat: a[1],
                reach_m: r1,
                start: 0,
                end: 0,
            },
            Obs {
                lon: b[0],
                lat: b[1],
                reach_m: r2,
                start: 0,
                end: 0,
            },
        ]
    };
    let p = Params { max_gap_s: 0 };
    // The sum of reaches just above and just below the distance, split unevenly.
    assert_eq!(clusters(&obs(d * 0.9 + 0.001, d * 0.1), &p).len(), 1);
    assert_eq!(clusters(&obs(d * 0.9 - 0.001, d * 0.1), &p).len(), 2);
    assert_eq!(clusters(&obs(0.0, d + 0.001), &p).len(), 1);
    assert_eq!(clusters(&obs(0.0, d - 0.001), &p).len(), 2);
}

#[test]
fn a_dense_fire_is_one_cluster() {
    // 2,000 detections on a 40 × 50 lattice 300 m apart, rows alternately 50 minutes apart: one
    // cluster.
    let obs: Vec<Obs> = (0..2_000)
        .map(|k| Obs {
            lon: 25.0 + (k % 40) as f64 * 300.0 / 111_195.0 / 47f64.to_radians().cos(),
            lat: 47.0 + (k / 40) as f64 * 300.0 / 111_195.0,
            reach_m: 375.0,
            start: 1_700_000_000 + (k / 40 % 2) * 3_000,
            end: 1_700_000_000 + (k / 40 % 2) * 3_000,
        })
        .collect();
    let p = Params { max_gap_s: 3_600 };
    let cs = clusters(&obs, &p);
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0].len(), 2_000);
    // A gap shorter than the rows' offset splits even rows (600 m apart, within 2 × 375 m) from
    // odd rows.
    let p = Params { max_gap_s: 2_999 };
    let cs = clusters(&obs, &p);
    assert_eq!(cs.len(), 2);
    assert_eq!(cs, brute(&obs, &p));
}

// ---------------------------------------------------------------------------------------------
// Baseline.

const DAY: i64 = 86_400;
const BEFORE: i64 = 1_750_032_000; // a UTC midnight

fn flare(lon: f64, lat: f64, day: i64, static_source: bool) -> Detection {
    Detection {
        lon,
        lat,
        time: BEFORE + day * DAY + 5_400,
        static_source,
    }
}

#[test]
fn baseline_hot_spots() {
    let p = BaselineParams::default();
    let mut dets = Vec::new();
    // A refinery flaring on 12 distinct days over 60 days (twice on one of them): persistent.
    for d in [-60, -55, -50, -45, -40, -30, -25, -20, -15, -10, -5, -1, -1] {
        dets.push(flare(49.98, 29.53, d, false));
    }
    // A field fire on 2 days: not persistent.
    for d in [-5, -4] {
        dets.push(flare(31.0, 47.0, d, false));
    }
    // A fire burning every day for three weeks: many days, too short a span.
    for d in 0..21 {
        dets.push(flare(32.0, 47.0, d, false));
    }
    // One detection flagged a static land source: a hot spot at once.
    dets.push(flare(34.0, 47.0, -2, true));
    let b = Baseline::learn(dets.iter().copied(), &p);
    assert_eq!(b.len(), 2);
    let h = b.hot_spot([49.98, 29.53]).expect("refinery");
    assert_eq!((h.days, h.detections, h.static_source), (12, 13, false));
    assert_eq!(h.first, BEFORE - 60 * DAY + 5_400);
    assert_eq!(h.last, BEFORE - DAY + 5_400);
    assert_eq!(b.hot_spot([31.0, 47.0]), None);
    assert_eq!(b.hot_spot([32.0, 47.0]), None);
    assert!(b.hot_spot([34.0, 47.0]).expect("static").static_source);
    // The neighbour cells: 600 m away in each direction is still the refinery, 3 km is not.
    let dlat = 600.0 / 111_195.0;
    let dlon = dlat / 29.53f64.to_radians().cos();
    for q in [
        [49.98 + dlon, 29.53],
        [49.98 - dlon, 29.53],
        [49.98, 29.53 + dlat],
        [49.98, 29.53 - dlat],
        [49.98 + dlon, 29.53 - dlat],
    ] {
        assert_eq!(b.hot_spot(q), Some(h), "{q:?}");
    }
    assert_eq!(b.hot_spot([49.98 + 5.0 * dlon, 29.53]), None);
    // Order of the detections does not matter.
    dets.reverse();
    assert_eq!(Baseline::learn(dets, &p), b);
    // With min_days 13 the refinery is no longer a hot spot.
    let strict = BaselineParams {
        min_days: 13,
        ..BaselineParams::default()
    };
    let b13 = Baseline::learn(
        [-60, -55, -50, -45, -40, -30, -25, -20, -15, -10, -5, -1]
            .into_iter()
            .map(|d| flare(49.98, 29.53, d, false)),
        &strict,
    );
    assert!(b13.is_empty());
}

proptest! {
    #[test]
    fn every_learned_hot_spot_is_found_at_its_detections(
        dets in prop::collection::vec(
            (0..ANCHORS.len(), -2_000.0..2_000.0f64, -2_000.0..2_000.0f64, -100..3i64, any::<bool>()),
            0..200,
        )
    ) {
        let dets: Vec<Detection> = dets
            .into_iter()
            .map(|(k, dn, de, day, st)| {
                let [lon0, lat0] = ANCHORS[k];
                let lat = (lat0 + dn / 111_000.0).clamp(-90.0, 90.0);
                let lon = lon0 + de / (111_000.0 * lat.to_radians().cos().max(0.01));
                let lon = if (-180.0..=180.0).contains(&lon) { lon } else { (lon + 180.0).rem_euclid(360.0) - 180.0 };
                flare(lon, lat, day, st && day % 7 == 0)
            })
            .collect();
        let p = BaselineParams::default();
        let b = Baseline::learn(dets.iter().copied(), &p);
        let mut rev = dets.clone();
        rev.reverse();
        prop_assert_eq!(&Baseline::learn(rev, &p), &b);
        for d in &dets {
            if d.static_source {
                prop_assert!(b.hot_spot([d.lon, d.lat]).is_some());
            }
        }
        for (c, h) in b.iter() {
            prop_assert_eq!(b.hot_spot(c).map(|g| g.days >= h.days), Some(true));
        }
    }
}

//! Observation footprints: exact membership against positions built by the direct problem (and
//! distances checked with an independent Vincenty), sectors through north, the display polygon's
//! tolerance, and the public form's properties — identical for every observer of one coarse
//! cell, hiding the observer at least `hide_m` from any guess, covering every footprint of every
//! observer in the cell (by sampling), its bounds and sides against a line of contact (by
//! sampling), symmetric overlaps — and refused inputs.

mod common;

use common::{destination, vincenty, wrap_lon, Rng};
use h3o::{CellIndex, LatLng, Resolution};
use proptest::prelude::*;
use truce_geo::footprint::{self, coarse_cell, contains, polygon, MAX_CELLS};
use truce_geo::{
    coarsen, distance_m, polygon_contains, ContactLine, GeoError, LonLat, PublicFootprint, Ring,
    Sector, Side,
};

fn sector(a: f64, b: f64) -> Sector {
    Sector::new(a, b).expect("a valid sector")
}

fn ring(a: f64, b: f64) -> Ring {
    Ring::new(a, b).expect("a valid ring")
}

fn cell_of(p: LonLat, r: u8) -> CellIndex {
    LatLng::new(p[1], wrap_lon(p[0]))
        .expect("a valid position")
        .to_cell(Resolution::try_from(r).expect("a resolution"))
}

fn vertices(cell: CellIndex) -> Vec<LonLat> {
    cell.boundary().iter().map(|q| [q.lng(), q.lat()]).collect()
}

fn centre(cell: CellIndex) -> LonLat {
    let c = LatLng::from(cell);
    [c.lng(), c.lat()]
}

/// Random positions of a cell: the centre, vertices pulled slightly inside, and points between,
/// keeping those H3 puts in the cell.
fn positions_in(cell: CellIndex, rng: &mut Rng, n: usize) -> Vec<LonLat> {
    let c = centre(cell);
    let vs = vertices(cell);
    let mut out = vec![c];
    for v in &vs {
        out.push([c[0] + 0.999 * (v[0] - c[0]), c[1] + 0.999 * (v[1] - c[1])]);
    }
    while out.len() < n {
        let a = vs[rng.below(vs.len())];
        let b = vs[rng.below(vs.len())];
        let (s, t) = (rng.unit(), rng.unit());
        let e = [a[0] + s * (b[0] - a[0]), a[1] + s * (b[1] - a[1])];
        out.push([c[0] + t * (e[0] - c[0]), c[1] + t * (e[1] - c[1])]);
    }
    out.into_iter()
        .filter(|p| cell_of(*p, u8::from(cell.resolution())) == cell)
        .collect()
}

#[test]
fn membership_by_the_direct_problem() {
    let mut rng = Rng::new(16);
    for _ in 0..300 {
        let o = [rng.range(-180.0, 180.0), rng.range(-70.0, 70.0)];
        let min = if rng.unit() < 0.3 {
            0.0
        } else {
            rng.range(0.0, 20_000.0)
        };
        let max = min + rng.range(100.0, 30_000.0);
        let from = rng.range(0.0, 360.0);
        let width = rng.range(1.0, 300.0);
        let s = [sector(from, (from + width) % 360.0)];
        let r = ring(min, max);
        // Inside: a bearing and a distance strictly within.
        let b = from + rng.range(0.01, width - 0.01);
        let d = rng.range(min + 0.5, max - 0.5);
        let p = destination(o, b % 360.0, d);
        assert!(contains(o, &s, r, p), "{o:?} {s:?} {r:?} b={b} d={d}");
        let v = vincenty(o, p).expect("converges");
        assert!((v - d).abs() < 1e-3, "vincenty {v} vs {d}");
        // Just beyond the ring, same bearing.
        assert!(!contains(o, &s, r, destination(o, b % 360.0, max + 0.5)));
        if min > 1.0 {
            assert!(!contains(o, &s, r, destination(o, b % 360.0, min - 0.5)));
        }
        // Just outside the sector, same distance.
        if width < 359.0 {
            assert!(!contains(
                o,
                &s,
                r,
                destination(o, (from - 0.01).rem_euclid(360.0), d)
            ));
            assert!(!contains(
                o,
                &s,
                r,
                destination(o, (from + width + 0.01) % 360.0, d)
            ));
        }
        // The edges themselves are in (inclusive bounds): bearings a little inside the edge.
        assert!(contains(o, &s, r, destination(o, (from + 1e-7) % 360.0, d)));
    }
}

#[test]
fn observer_itself_only_with_min_zero() {
    let o = [37.5, 48.0];
    assert!(contains(o, &[sector(10.0, 20.0)], ring(0.0, 1000.0), o));
    assert!(!contains(o, &[sector(10.0, 20.0)], ring(1.0, 1000.0), o));
    assert!(!contains(
        o,
        &[sector(10.0, 20.0)],
        ring(0.0, 1000.0),
        [f64::NAN, 0.0]
    ));
}

#[test]
fn sectors_through_north() {
    let o = [37.5, 48.0];
    let north = Sector::centred(0.0, 45.0).expect("a sector");
    assert_eq!(north, sector(337.5, 22.5));
    let r = ring(3_000.0, 6_000.0);
    for (b, inside) in [
        (350.0, true),
        (0.0, true),
        (10.0, true),
        (22.4, true),
        (337.6, true),
        (22.6, false),
        (337.4, false),
        (90.0, false),
        (180.0, false),
    ] {
        let p = destination(o, b, 4_500.0);
        assert_eq!(contains(o, &[north], r, p), inside, "bearing {b}");
    }
    // North and north-east: two sectors, one merged polygon.
    let ne = Sector::centred(45.0, 45.0).expect("a sector");
    let polys = polygon(o, &[north, ne], r, 1.0).expect("a polygon");
    assert_eq!(polys.len(), 1);
    assert!(contains(o, &[north, ne], r, destination(o, 60.0, 4_000.0)));
    assert!(!contains(o, &[north, ne], r, destination(o, 70.0, 4_000.0)));
    // The full circle, both spellings.
    for full in [Sector::FULL, sector(360.0, 0.0)] {
        for b in [0.0, 90.0, 180.0, 270.0, 359.99] {
            assert!(contains(o, &[full], r, destination(o, b, 4_000.0)));
        }
    }
}

#[test]
fn display_polygon_within_tolerance() {
    let mut rng = Rng::new(7);
    for case in 0..40 {
        let o = [rng.range(20.0, 45.0), rng.range(40.0, 60.0)];
        let min = if case % 3 == 0 {
            0.0
        } else {
            rng.range(500.0, 5_000.0)
        };
        let max = min + rng.range(1_000.0, 40_000.0);
        let tol = [1.0, 10.0, 50.0][case % 3];
        let sectors: Vec<Sector> = if case % 5 == 0 {
            vec![Sector::FULL]
        } else {
            (0..1 + case % 3)
                .map(|_| {
                    let a = rng.range(0.0, 360.0);
                    sector(a, (a + rng.range(5.0, 120.0)) % 360.0)
                })
                .collect()
        };
        let r = ring(min, max);
        let polys = polygon(o, &sectors, r, tol).expect("a polygon");
        let in_polys = |p: LonLat| polys.iter().any(|rings| polygon_contains(rings, p));
        for rings in &polys {
            for ring in rings {
                assert_eq!(ring.first(), ring.last(), "closed");
            }
        }
        for _ in 0..400 {
            let b = rng.range(0.0, 360.0);
            let d = rng.range((min - 3.0 * tol).max(0.0), max + 3.0 * tol);
            let p = destination(o, b, d);
            // Far enough from every edge of the true shape: the polygon says the same.
            let edge_dist = {
                let radial = sectors
                    .iter()
                    .filter(|s| !s.is_full())
                    .flat_map(|s| [s.from_deg, s.to_deg])
                    .map(|e| {
                        let db = ((b - e + 540.0) % 360.0 - 180.0).abs().to_radians();
                        if db >= std::f64::consts::FRAC_PI_2 {
                            d
                        } else {
                            d * db.sin()
                        }
                    })
                    .fold(f64::INFINITY, f64::min);
                radial.min((d - min).abs()).min((max - d).abs())
            };
            if edge_dist > 2.0 * tol + 1.0 {
                assert_eq!(
                    in_polys(p),
                    contains(o, &sectors, r, p),
                    "case {case}: {p:?} b={b} d={d} edge {edge_dist}"
                );
            }
        }
    }
}

/// Random footprint inputs anywhere below 89° of latitude (across the antimeridian too).
fn inputs() -> impl Strategy<Value = (LonLat, Vec<Sector>, Ring, f64)> {
    (
        -180.0..180.0f64,
        -89.0..89.0f64,
        prop::collection::vec((0.0..360.0f64, 5.0..200.0f64), 1..4),
        0.0..8_000.0f64,
        200.0..12_000.0f64,
        prop::sample::select(vec![300.0, 900.0, 2_000.0, 4_000.0]),
        any::<bool>(),
    )
        .prop_map(|(lon, lat, secs, min, span, hide, full)| {
            let sectors = if full {
                vec![Sector::FULL]
            } else {
                secs.into_iter()
                    .map(|(a, w)| sector(a, (a + w) % 360.0))
                    .collect()
            };
            let min = if min < 1_000.0 { 0.0 } else { min };
            ([lon, lat], sectors, ring(min, min + span), hide)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Every observer in one coarse cell gets the same public footprint, byte for byte; and the
    /// coarse cell hides the observer at least `hide_m` from any guess.
    #[test]
    fn public_footprint_is_a_function_of_the_coarse_cell(
        (o, sectors, r, hide) in inputs(),
        seed in any::<u64>(),
    ) {
        let fp = coarsen(o, &sectors, r, hide).expect("coarsened");
        let (cell, hidden) = coarse_cell(o, hide).expect("a coarse cell");
        let cell = CellIndex::try_from(cell).expect("a cell");
        prop_assert!(hidden >= hide);
        prop_assert_eq!(fp.hidden_radius_m(), hidden);
        let mut rng = Rng::new(seed);
        for other in positions_in(cell, &mut rng, 6) {
            let fp2 = coarsen(other, &sectors, r, hide).expect("coarsened");
            prop_assert!(fp2 == fp, "{:?} vs {:?}", o, other);
            prop_assert_eq!(fp2.cell_strings(), fp.cell_strings());
        }
        // Any guess: some vertex of the cell lies at least hide_m (indeed hidden) away.
        let vs = vertices(cell);
        let c = centre(cell);
        let mut guesses = vec![c, o];
        guesses.extend(vs.iter().copied());
        for _ in 0..50 {
            guesses.push(destination(c, rng.range(0.0, 360.0), rng.range(0.0, 3.0 * hidden)));
        }
        for g in guesses {
            let far = vs.iter().map(|v| distance_m(g, *v)).fold(0.0, f64::max);
            prop_assert!(far >= hidden * (1.0 - 1e-12) && far >= hide, "guess {:?}: {} < {}", g, far, hidden);
        }
    }

    /// No position of the exact footprint of any observer position in the coarse cell is left
    /// out: sampled observers (centre, near the vertices, inside) and sampled footprint positions
    /// (inside, and on the edges: the sectors' bearings, the ring's distances).
    #[test]
    fn public_footprint_covers_every_observers_footprint(
        (o, sectors, r, hide) in inputs(),
        seed in any::<u64>(),
    ) {
        let fp = coarsen(o, &sectors, r, hide).expect("coarsened");
        prop_assert!(fp.cells().len() <= MAX_CELLS);
        prop_assert!(fp.cells().windows(2).all(|w| w[0] < w[1]));
        let (cell, _) = coarse_cell(o, hide).expect("a coarse cell");
        let cell = CellIndex::try_from(cell).expect("a cell");
        let mut rng = Rng::new(seed);
        let res = fp.resolution();
        for obs in positions_in(cell, &mut rng, 12) {
            for _ in 0..60 {
                let s = sectors[rng.below(sectors.len())];
                let b = match rng.below(4) {
                    0 => s.from_deg,
                    1 => s.to_deg,
                    _ => s.from_deg + rng.range(0.0, s.width_deg()),
                } % 360.0;
                let d = match rng.below(4) {
                    0 => r.min_m,
                    1 => r.max_m,
                    _ => rng.range(r.min_m, r.max_m),
                };
                let p = destination(obs, b, d);
                if !contains(obs, &sectors, r, p) {
                    continue;
                }
                let c = u64::from(cell_of(p, res));
                prop_assert!(fp.cells().binary_search(&c).is_ok(),
                    "observer {:?} bearing {} distance {}: {:?} not covered", obs, b, d, p);
            }
        }
    }
}

/// A wiggly line through eastern Ukraine, about 300 km, from a random walk.
fn test_line(rng: &mut Rng) -> Vec<LonLat> {
    let mut pts = vec![[36.0, 47.5]];
    let mut b: f64 = 40.0;
    for _ in 0..300 {
        let last = pts[pts.len() - 1];
        pts.push(destination(last, b, rng.range(500.0, 1_500.0)));
        b += rng.range(-25.0, 25.0);
        b = b.clamp(0.0, 90.0);
    }
    pts
}

/// Sample positions of a public footprint: each cell's centre and points between it and its
/// vertices (H3 puts them in the cell).
fn footprint_positions(fp: &PublicFootprint, rng: &mut Rng) -> Vec<LonLat> {
    let mut out = Vec::new();
    for &c in fp.cells() {
        let cell = CellIndex::try_from(c).expect("a cell");
        out.extend(positions_in(cell, rng, 10));
    }
    out
}

#[test]
fn against_bounds_hold_by_sampling() {
    let mut rng = Rng::new(2026);
    let pts = test_line(&mut rng);
    let line = ContactLine::new(vec![pts.clone()]).expect("a line");
    let (mut straddle, mut clear) = (0, 0);
    for case in 0..90 {
        // Observers near the line, a third near or beyond its ends.
        let v = if case % 3 == 0 {
            pts[if case % 2 == 0 {
                rng.below(5)
            } else {
                pts.len() - 1 - rng.below(5)
            }]
        } else {
            pts[rng.below(pts.len())]
        };
        let o = destination(v, rng.range(0.0, 360.0), rng.range(0.0, 25_000.0));
        let a = rng.range(0.0, 360.0);
        let sectors = [sector(a, (a + rng.range(20.0, 200.0)) % 360.0)];
        let min = if case % 2 == 0 {
            0.0
        } else {
            rng.range(0.0, 4_000.0)
        };
        let r = ring(min, min + rng.range(1_000.0, 10_000.0));
        let fp = coarsen(o, &sectors, r, [500.0, 2_000.0][case % 2]).expect("coarsened");
        let rel = fp.against(&line);
        let cells = fp.against_cells(&line);
        assert_eq!(
            (rel.left, rel.right),
            (cells.left, cells.right),
            "case {case}"
        );
        assert!(rel.min_m <= cells.min_m + 1e-9 && rel.max_m >= cells.max_m - 1e-9);
        if rel.straddles() {
            straddle += 1;
        }
        if !rel.straddles() && rel.min_m > 0.0 {
            clear += 1;
        }
        for p in footprint_positions(&fp, &mut rng) {
            let m = line.measure(p).expect("a valid position");
            assert!(rel.min_m <= m.distance_m && m.distance_m <= rel.max_m);
            assert!(
                cells.min_m <= m.distance_m && m.distance_m <= cells.max_m,
                "case {case}: {p:?} at {} outside [{}, {}]",
                m.distance_m,
                cells.min_m,
                cells.max_m
            );
            match m.side {
                Side::Left => assert!(cells.left, "case {case}: {p:?} left"),
                Side::Right => assert!(cells.right, "case {case}: {p:?} right"),
                Side::On => assert!(cells.straddles()),
            }
        }
    }
    // Both kinds occur.
    assert!(straddle >= 5 && clear >= 5, "{straddle} {clear}");
}

#[test]
fn relation_within_decides_every_threshold_as_against_cells() {
    let mut rng = Rng::new(1207);
    let pts = test_line(&mut rng);
    let plain = ContactLine::new(vec![pts.clone()]).expect("a line");
    let gridded = plain
        .clone()
        .with_distance_grid(700.0, 40_000.0, 2)
        .expect("a grid");
    assert!(gridded.distance_grid().is_some() && plain.distance_grid().is_none());
    let (mut decided_in, mut decided_out, mut straddle) = (0, 0, 0);
    for case in 0..120 {
        let v = if case % 4 == 0 {
            pts[if case % 8 == 0 {
                rng.below(4)
            } else {
                pts.len() - 1 - rng.below(4)
            }]
        } else {
            pts[rng.below(pts.len())]
        };
        // Up to 45 km: some footprints reach beyond the grid (measured there).
        let o = destination(v, rng.range(0.0, 360.0), rng.range(0.0, 45_000.0));
        let a = rng.range(0.0, 360.0);
        let sectors = [sector(a, (a + rng.range(20.0, 300.0)) % 360.0)];
        let min = [0.0, rng.range(0.0, 4_000.0)][case % 2];
        let r = ring(min, min + rng.range(1_000.0, 10_000.0));
        let fp = coarsen(o, &sectors, r, [500.0, 2_000.0][case % 2]).expect("coarsened");
        let cells = fp.against_cells(&plain);
        // Thresholds at the reference's own bounds (and a hair either side), and around 15 km.
        let mut ts = vec![14_750.0, 15_000.0, 15_250.0, rng.range(0.0, 40_000.0)];
        for b in [cells.min_m, cells.max_m] {
            ts.extend([b, b - 1e-6, b + 1e-6, b - 300.0, b + 300.0]);
        }
        for line in [&plain, &gridded] {
            let rel = fp.relation_within(line, &ts);
            assert_eq!(
                (rel.left, rel.right),
                (cells.left, cells.right),
                "case {case}"
            );
            assert!(
                rel.min_m <= cells.min_m && rel.max_m >= cells.max_m,
                "case {case}"
            );
            for &t in &ts {
                assert_eq!(rel.max_m <= t, cells.max_m <= t, "case {case}: max vs {t}");
                assert_eq!(rel.min_m > t, cells.min_m > t, "case {case}: min vs {t}");
            }
            // Each bound against its own thresholds only.
            let (max_at, min_at) = ts.split_at(ts.len() / 2);
            let split = fp.relation_deciding(line, max_at, min_at);
            assert_eq!((split.left, split.right), (cells.left, cells.right));
            for &t in max_at {
                assert_eq!(
                    split.max_m <= t,
                    cells.max_m <= t,
                    "case {case}: max vs {t}"
                );
            }
            for &t in min_at {
                assert_eq!(split.min_m > t, cells.min_m > t, "case {case}: min vs {t}");
            }
            assert!(split.min_m <= cells.min_m && split.max_m >= cells.max_m);
            // Without thresholds: only the sides are asked for.
            let bare = fp.relation_within(line, &[]);
            assert_eq!((bare.left, bare.right), (cells.left, cells.right));
            for p in footprint_positions(&fp, &mut rng).into_iter().step_by(7) {
                let d = line.distance_m(p);
                assert!(
                    rel.min_m <= d && d <= rel.max_m,
                    "case {case}: {p:?} at {d}"
                );
                assert!(
                    bare.min_m <= d && d <= bare.max_m,
                    "case {case}: {p:?} at {d}"
                );
            }
        }
        if cells.straddles() {
            straddle += 1;
        } else if cells.max_m <= 15_000.0 {
            decided_in += 1;
        } else if cells.min_m > 15_000.0 {
            decided_out += 1;
        }
    }
    assert!(
        straddle >= 5 && decided_in >= 3 && decided_out >= 5,
        "{straddle} {decided_in} {decided_out}"
    );
}

#[test]
fn a_grid_is_refused_where_it_cannot_serve() {
    let across = ContactLine::new(vec![vec![[179.5, 10.0], [-179.5, 10.0]]]).expect("a line");
    assert!(matches!(
        across.with_distance_grid(1_000.0, 10_000.0, 1),
        Err(GeoError::GridNotServed { .. })
    ));
    let polar = ContactLine::new(vec![vec![[10.0, 79.0], [12.0, 79.5]]]).expect("a line");
    assert!(matches!(
        polar.with_distance_grid(1_000.0, 100_000.0, 1),
        Err(GeoError::GridNotServed { .. })
    ));
    let long = ContactLine::new(vec![vec![[0.0, 0.0], [60.0, 30.0]]]).expect("a line");
    assert!(matches!(
        long.clone().with_distance_grid(10.0, 1_000.0, 1),
        Err(GeoError::GridNotServed { .. })
    ));
    assert!(matches!(
        long.with_distance_grid(f64::NAN, 1_000.0, 1),
        Err(GeoError::BadDistance { .. })
    ));
}

#[test]
fn footprint_across_the_line_straddles_it_and_one_far_off_does_not() {
    let line = ContactLine::new(vec![vec![[37.0, 47.0], [37.0, 49.0]]]).expect("a line");
    // Drawn northwards: east is on the right. An observer 2 km west looking east 3–6 km.
    let o = destination([37.0, 48.0], 270.0, 2_000.0);
    let fp = coarsen(
        o,
        &[Sector::centred(90.0, 45.0).expect("east")],
        ring(3_000.0, 6_000.0),
        500.0,
    )
    .expect("coarsened");
    let rel = fp.against(&line);
    assert!(rel.straddles() && rel.min_m == 0.0, "{rel:?}");
    // Looking west from 20 km west: all on the left, 30 km or so away.
    let o = destination([37.0, 48.0], 270.0, 20_000.0);
    let fp = coarsen(
        o,
        &[Sector::centred(270.0, 45.0).expect("west")],
        ring(3_000.0, 6_000.0),
        500.0,
    )
    .expect("coarsened");
    let rel = fp.against(&line);
    assert!(rel.left && !rel.right, "{rel:?}");
    assert!(rel.min_m > 15_000.0 && rel.max_m < 35_000.0, "{rel:?}");
}

#[test]
fn overlaps_is_symmetric_and_finds_shared_positions() {
    let mut rng = Rng::new(99);
    let mut shared = 0;
    for _ in 0..60 {
        let base = [rng.range(30.0, 40.0), rng.range(45.0, 50.0)];
        let mk = |rng: &mut Rng| {
            let o = destination(base, rng.range(0.0, 360.0), rng.range(0.0, 20_000.0));
            let a = rng.range(0.0, 360.0);
            let s = [sector(a, (a + rng.range(10.0, 180.0)) % 360.0)];
            let min = rng.range(0.0, 5_000.0);
            let hide = [300.0, 900.0, 2_000.0, 4_000.0][rng.below(4)];
            coarsen(o, &s, ring(min, min + rng.range(500.0, 8_000.0)), hide).expect("coarsened")
        };
        let (a, b) = (mk(&mut rng), mk(&mut rng));
        assert!(a.overlaps(&a));
        let ab = a.overlaps(&b);
        assert_eq!(ab, b.overlaps(&a));
        // A position in a cell of each: they overlap.
        let (ra, rb) = (a.resolution(), b.resolution());
        let both = footprint_positions(&a, &mut rng).into_iter().any(|p| {
            b.cells().binary_search(&u64::from(cell_of(p, rb))).is_ok()
                && a.cells().binary_search(&u64::from(cell_of(p, ra))).is_ok()
        });
        if both {
            shared += 1;
            assert!(ab);
        }
    }
    assert!(shared > 5, "{shared}");
    let far1 = coarsen([30.0, 48.0], &[Sector::FULL], ring(0.0, 5_000.0), 900.0).expect("fp");
    let far2 = coarsen([31.0, 48.0], &[Sector::FULL], ring(0.0, 5_000.0), 2_000.0).expect("fp");
    assert!(!far1.overlaps(&far2) && !far2.overlaps(&far1));
}

#[test]
fn cell_strings_round_trip_and_describe_the_footprint() {
    let o = [37.8, 48.1];
    let fp = coarsen(o, &[sector(337.5, 67.5)], ring(3_000.0, 6_000.0), 2_000.0).expect("fp");
    let strings = fp.cell_strings();
    assert!(strings.iter().all(|s| s.len() == 15));
    let back = PublicFootprint::from_cell_strings(&strings, fp.hidden_radius_m()).expect("parsed");
    assert!(back == fp);
    let c = fp.centroid();
    // North and north-east, 3–6 km out, from a coarse cell a few km across: north-east of o.
    let (d, b) = (distance_m(o, c), geo_bearing(o, c));
    assert!(
        d > 1_000.0 && d < 12_000.0 && !(90.0..=330.0).contains(&b),
        "{d} {b}"
    );
    let polys = fp.to_polygons();
    assert_eq!(polys.len(), fp.cells().len());
    assert!(polys
        .iter()
        .all(|p| p[0].len() >= 7 && p[0].first() == p[0].last()));
    // Deterministic.
    assert!(coarsen(o, &[sector(337.5, 67.5)], ring(3_000.0, 6_000.0), 2_000.0).expect("fp") == fp);
}

fn geo_bearing(a: LonLat, b: LonLat) -> f64 {
    use geo::Bearing;
    geo::Geodesic.bearing(geo::Point::new(a[0], a[1]), geo::Point::new(b[0], b[1]))
}

#[test]
fn every_cell_near_a_pentagon_hides_as_promised() {
    // The smallest cells of each resolution sit next to the twelve pentagons.
    for r in 0..=15u8 {
        let res = Resolution::try_from(r).expect("a resolution");
        let hide = (0.6 * res.edge_length_m()).min(footprint::MAX_HIDE_M);
        assert_eq!(footprint::coarse_resolution(hide), Ok(r));
        for p in res.pentagons() {
            for c in p.grid_disk::<Vec<_>>(2) {
                let (cell, hidden) = coarse_cell(centre(c), hide).expect("hides");
                assert_eq!(cell, u64::from(c));
                assert!(hidden >= hide);
            }
        }
    }
}

#[test]
fn invalid_inputs_are_refused_with_the_reason() {
    let o = [37.0, 48.0];
    let r = ring(0.0, 1_000.0);
    assert!(matches!(
        Sector::new(-1.0, 10.0),
        Err(GeoError::BadBearing { .. })
    ));
    assert!(matches!(
        Sector::new(10.0, 360.5),
        Err(GeoError::BadBearing { .. })
    ));
    assert!(matches!(
        Sector::new(f64::NAN, 10.0),
        Err(GeoError::BadBearing { .. })
    ));
    assert!(matches!(
        Sector::new(10.0, 10.0),
        Err(GeoError::EmptySector { .. })
    ));
    assert!(matches!(Ring::new(5.0, 5.0), Err(GeoError::BadRing { .. })));
    assert!(matches!(
        Ring::new(-1.0, 5.0),
        Err(GeoError::BadRing { .. })
    ));
    assert!(matches!(
        Ring::new(0.0, 100_001.0),
        Err(GeoError::BadRing { .. })
    ));
    assert!(matches!(
        coarsen(o, &[], r, 100.0),
        Err(GeoError::NoSectors)
    ));
    assert!(matches!(
        coarsen([0.0, 91.0], &[Sector::FULL], r, 100.0),
        Err(GeoError::InvalidPosition(_))
    ));
    let bad = Sector {
        from_deg: 400.0,
        to_deg: 10.0,
    };
    assert!(matches!(
        coarsen(o, &[bad], r, 100.0),
        Err(GeoError::BadBearing { .. })
    ));
    assert!(!contains(o, &[bad], r, o));
    let bad_ring = Ring {
        min_m: 10.0,
        max_m: 1.0,
    };
    assert!(matches!(
        coarsen(o, &[Sector::FULL], bad_ring, 100.0),
        Err(GeoError::BadRing { .. })
    ));
    assert!(matches!(
        coarsen(o, &[Sector::FULL], r, 0.0),
        Err(GeoError::BadDistance { .. })
    ));
    assert!(matches!(
        coarsen(o, &[Sector::FULL], r, 600_000.0),
        Err(GeoError::HideTooLarge { .. })
    ));
    assert!(matches!(
        polygon(o, &[Sector::FULL], r, 0.01),
        Err(GeoError::BadTolerance { .. })
    ));
    let msg = Sector::new(10.0, 10.0).expect_err("refused").to_string();
    assert!(msg.contains("0 → 360"), "{msg}");
    // Public forms read back.
    assert!(matches!(
        PublicFootprint::from_cell_strings(&["zz"], 100.0),
        Err(GeoError::BadCell { .. })
    ));
    assert!(matches!(
        PublicFootprint::from_cell_strings::<&str>(&[], 100.0),
        Err(GeoError::NoCells)
    ));
    let a = u64::from(cell_of(o, 7));
    let b = u64::from(cell_of(o, 8));
    assert!(matches!(
        PublicFootprint::from_cells(vec![a, b], 100.0),
        Err(GeoError::MixedResolutions { .. })
    ));
    assert!(matches!(
        PublicFootprint::from_cells(vec![a, a], 100.0),
        Err(GeoError::DuplicateCell { .. })
    ));
    assert!(matches!(
        PublicFootprint::from_cells(vec![a], f64::NAN),
        Err(GeoError::BadDistance { .. })
    ));
    assert!(matches!(
        PublicFootprint::from_cells(vec![0x8a1fb46622dffff_u64 + 1; 1], 100.0),
        Err(GeoError::BadCell { .. })
    ));
    let many: Vec<u64> = cell_of(o, 9)
        .grid_disk::<Vec<_>>(40)
        .into_iter()
        .map(u64::from)
        .collect();
    assert!(matches!(
        PublicFootprint::from_cells(many, 100.0),
        Err(GeoError::TooManyCells { .. })
    ));
}

#[test]
fn cell_count_stays_bounded_for_any_hide_and_ring() {
    for (hide, max) in [
        (0.5, 100_000.0),
        (1.0, 100_000.0),
        (50.0, 60_000.0),
        (2_000.0, 100_000.0),
        (100_000.0, 100_000.0),
        (500_000.0, 100.0),
    ] {
        let fp = coarsen([37.0, 48.0], &[Sector::FULL], ring(0.0, max), hide).expect("coarsened");
        assert!(
            !fp.cells().is_empty() && fp.cells().len() <= MAX_CELLS,
            "hide {hide} max {max}: {} cells",
            fp.cells().len()
        );
        assert!(fp.hidden_radius_m() >= hide);
        let o = [37.0, 48.0];
        let far = destination(o, 45.0, max);
        let c = u64::from(cell_of(far, fp.resolution()));
        assert!(
            fp.cells().binary_search(&c).is_ok(),
            "hide {hide} max {max}"
        );
    }
}

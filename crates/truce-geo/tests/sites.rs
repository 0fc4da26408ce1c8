//! `SiteIndex::within` against the brute force over all sites, and polygon containment and distance
//! against independent computations (a gnomonic projection, a densely sampled boundary).

mod common;

use common::{destination, Rng};
use truce_geo::{
    distance_m, polygon_contains, polygon_distance_m, LonLat, Shape, SiteHit, SiteIndex,
};

fn unit(p: LonLat) -> [f64; 3] {
    let (la, lo) = (p[1].to_radians(), p[0].to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

fn lonlat(v: [f64; 3]) -> LonLat {
    [
        v[1].atan2(v[0]).to_degrees(),
        v[2].atan2(v[0].hypot(v[1])).to_degrees(),
    ]
}

/// A star-shaped polygon around `c`: `n` vertices at jittered bearings and radii in
/// `[r/2, r]` metres, optionally with a hole of radius `r/8`.
fn star(rng: &mut Rng, c: LonLat, r: f64, n: usize, hole: bool) -> Vec<Vec<LonLat>> {
    let ring = |rng: &mut Rng, lo: f64, hi: f64| -> Vec<LonLat> {
        let mut pts: Vec<LonLat> = (0..n)
            .map(|k| {
                let bearing = (k as f64 + rng.range(-0.3, 0.3)) * 360.0 / n as f64;
                destination(c, bearing, rng.range(lo, hi))
            })
            .collect();
        pts.push(pts[0]);
        pts
    };
    let mut rings = vec![ring(rng, r / 2.0, r)];
    if hole {
        let mut h = ring(rng, r / 10.0, r / 8.0);
        h.reverse();
        rings.push(h);
    }
    rings
}

/// Even-odd containment of a great-circle polygon near `c`, in the gnomonic projection centred
/// there (which maps great circles to straight lines), and the projected distance from `p` to the
/// nearest edge (in Earth radii, roughly).
fn gnomonic_contains(rings: &[Vec<LonLat>], c: LonLat, p: LonLat) -> (bool, f64) {
    let cv = unit(c);
    let e1 = {
        let z = [0.0, 0.0, 1.0];
        let e = [
            z[1] * cv[2] - z[2] * cv[1],
            z[2] * cv[0] - z[0] * cv[2],
            z[0] * cv[1] - z[1] * cv[0],
        ];
        let n = (e[0] * e[0] + e[1] * e[1] + e[2] * e[2]).sqrt();
        [e[0] / n, e[1] / n, e[2] / n]
    };
    let e2 = [
        cv[1] * e1[2] - cv[2] * e1[1],
        cv[2] * e1[0] - cv[0] * e1[2],
        cv[0] * e1[1] - cv[1] * e1[0],
    ];
    let proj = |p: LonLat| {
        let v = unit(p);
        let w = v[0] * cv[0] + v[1] * cv[1] + v[2] * cv[2];
        let x = (v[0] * e1[0] + v[1] * e1[1] + v[2] * e1[2]) / w;
        let y = (v[0] * e2[0] + v[1] * e2[1] + v[2] * e2[2]) / w;
        [x, y]
    };
    let q = proj(p);
    let mut inside = false;
    let mut gap = f64::INFINITY;
    for ring in rings {
        for w in ring.windows(2) {
            let (a, b) = (proj(w[0]), proj(w[1]));
            let (ab, aq) = ([b[0] - a[0], b[1] - a[1]], [q[0] - a[0], q[1] - a[1]]);
            let t =
                ((aq[0] * ab[0] + aq[1] * ab[1]) / (ab[0] * ab[0] + ab[1] * ab[1])).clamp(0.0, 1.0);
            gap = gap.min((aq[0] - t * ab[0]).hypot(aq[1] - t * ab[1]));
            if (a[1] > q[1]) != (b[1] > q[1]) {
                let x = a[0] + (q[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                if q[0] < x {
                    inside = !inside;
                }
            }
        }
    }
    (inside, gap)
}

/// Distance to the boundary by brute force: every edge's great-circle arc sampled, then sampled
/// again ever more finely around the best sample.
fn sampled_boundary_distance(rings: &[Vec<LonLat>], p: LonLat) -> f64 {
    let mut best = f64::INFINITY;
    for ring in rings {
        for w in ring.windows(2) {
            let (va, vb) = (unit(w[0]), unit(w[1]));
            let omega = (va[0] * vb[0] + va[1] * vb[1] + va[2] * vb[2])
                .clamp(-1.0, 1.0)
                .acos();
            let at = |t: f64| -> f64 {
                let (ka, kb) = if omega < 1e-12 {
                    (1.0 - t, t)
                } else {
                    (
                        ((1.0 - t) * omega).sin() / omega.sin(),
                        (t * omega).sin() / omega.sin(),
                    )
                };
                let v = [
                    ka * va[0] + kb * vb[0],
                    ka * va[1] + kb * vb[1],
                    ka * va[2] + kb * vb[2],
                ];
                distance_m(p, lonlat(v))
            };
            let (mut lo, mut hi) = (0.0, 1.0);
            let mut edge_best = f64::INFINITY;
            for _ in 0..6 {
                let steps = 40;
                let mut arg = lo;
                for k in 0..=steps {
                    let t = lo + (hi - lo) * k as f64 / steps as f64;
                    let g = at(t);
                    if g < edge_best {
                        edge_best = g;
                        arg = t;
                    }
                }
                let step = (hi - lo) / steps as f64;
                lo = (arg - step).max(0.0);
                hi = (arg + step).min(1.0);
            }
            best = best.min(edge_best);
        }
    }
    best
}

#[test]
fn polygons_contain_like_the_gnomonic_projection() {
    let mut rng = Rng::new(3);
    let mut inside = 0;
    let mut in_holes = 0;
    for k in 0..150 {
        let c = match k % 3 {
            0 => [rng.range(-180.0, 180.0), rng.range(-60.0, 60.0)],
            1 => [180.0 + rng.range(-0.3, 0.3), rng.range(-70.0, 70.0)],
            _ => [
                rng.range(-180.0, 180.0),
                rng.range(75.0, 85.0) * if k % 2 == 0 { 1.0 } else { -1.0 },
            ],
        };
        let r = 10f64.powf(rng.range(2.5, 5.0));
        let poly = {
            let n = 5 + rng.below(8);
            star(&mut rng, c, r, n, k % 2 == 0)
        };
        truce_geo::check_polygon(&poly).expect("a valid polygon");
        for _ in 0..40 {
            let p = destination(c, rng.range(0.0, 360.0), rng.range(0.0, 1.2 * r));
            let (want, gap) = gnomonic_contains(&poly, c, p);
            if gap < 1e-9 {
                continue; // within centimetres of an edge
            }
            assert_eq!(polygon_contains(&poly, p), want, "{poly:?} {p:?}");
            inside += want as usize;
            if !want && poly.len() > 1 && gnomonic_contains(&poly[..1], c, p).0 {
                in_holes += 1;
                assert!(polygon_distance_m(&poly, p) > 0.0);
            }
        }
    }
    assert!(
        inside > 1000 && in_holes > 50,
        "{inside} inside, {in_holes} in holes"
    );
}

#[test]
fn polygon_distance_matches_a_sampled_boundary() {
    let mut rng = Rng::new(5);
    let mut worst: f64 = 0.0;
    for k in 0..40 {
        let c = match k % 4 {
            0 => [rng.range(-180.0, 180.0), rng.range(-10.0, 10.0)],
            1 => [rng.range(-180.0, 180.0), rng.range(30.0, 60.0)],
            2 => [180.0 + rng.range(-0.5, 0.5), rng.range(-70.0, 70.0)],
            _ => [rng.range(-180.0, 180.0), rng.range(-85.0, -75.0)],
        };
        // Radii up to 80 km: edges up to ~100 km.
        let r = rng.range(5_000.0, 80_000.0);
        let poly = {
            let n = 5 + rng.below(4);
            star(&mut rng, c, r, n, k % 2 == 0)
        };
        for _ in 0..5 {
            let p = destination(c, rng.range(0.0, 360.0), rng.range(1.1, 3.0) * r);
            let got = polygon_distance_m(&poly, p);
            let want = sampled_boundary_distance(&poly, p);
            assert!(!polygon_contains(&poly, p));
            let rel = (got - want).abs() / want;
            worst = worst.max(rel);
            assert!(rel < 1e-4, "{poly:?} {p:?}: {got} vs sampled {want}");
        }
        // In the hole: the distance to the hole's boundary.
        if poly.len() > 1 {
            let got = polygon_distance_m(&poly, c);
            let want = sampled_boundary_distance(&poly, c);
            assert!((got - want).abs() / want < 1e-4, "{got} vs {want}");
        }
    }
    eprintln!("worst relative difference from the sampled boundary: {worst:e}");
}

#[test]
fn within_is_the_brute_force_over_all_sites() {
    let mut rng = Rng::new(9);
    let centre = |rng: &mut Rng, k: usize| -> LonLat {
        match k % 4 {
            0 | 1 => [rng.range(30.0, 32.0), rng.range(48.0, 49.5)],
            2 => [180.0 + rng.range(-0.5, 0.5), rng.range(64.0, 65.0)],
            _ => [rng.range(40.0, 50.0), rng.range(84.0, 85.0)],
        }
    };
    let mut sites = Vec::new();
    for k in 0..600 {
        let c = centre(&mut rng, k);
        let shape = if k % 3 == 0 {
            let r = rng.range(200.0, 20_000.0);
            Shape::Polygon({
                let n = 5 + rng.below(6);
                star(&mut rng, c, r, n, k % 2 == 0)
            })
        } else if k % 3 == 1 && k % 2 == 0 {
            // A line (a pipeline) of 2 to 5 positions from the centre, across the antimeridian
            // for some.
            let n = 2 + rng.below(4);
            let mut p = c;
            let mut line = vec![p];
            for _ in 1..n {
                p = [
                    p[0] + rng.range(-0.3, 0.3),
                    (p[1] + rng.range(-0.2, 0.2)).clamp(-89.0, 89.0),
                ];
                line.push(p);
            }
            Shape::Line(vec![line])
        } else {
            Shape::Point(c)
        };
        // Keys repeat and are not in order.
        sites.push(((k as u32 * 7919) % 500, shape));
    }
    let index = SiteIndex::new(sites.clone()).expect("valid sites");
    assert_eq!(index.len(), 600);
    let (mut hits, mut zeros) = (0, 0);
    for k in 0..400 {
        let p = match k % 10 {
            // on a site: distance 0 to a point site, or inside a polygon
            0 => match &sites[rng.below(sites.len())].1 {
                Shape::Point(s) => *s,
                Shape::Polygon(rings) => rings[0][0],
                Shape::Line(lines) => lines[0][1],
            },
            _ => centre(&mut rng, k),
        };
        let d = match k % 5 {
            0 => 0.0,
            _ => 10f64.powf(rng.range(2.0, 4.8)),
        };
        let mut want: Vec<SiteHit> = sites
            .iter()
            .map(|(key, s)| SiteHit {
                key: *key,
                distance_m: s.distance_m(p),
            })
            .filter(|h| h.distance_m <= d)
            .collect();
        want.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.key.cmp(&b.key))
        });
        let got = index.within(p, d);
        assert_eq!(got, want, "{p:?} {d}");
        let nearest = want.first().copied();
        assert_eq!(index.nearest(p, d), nearest, "{p:?} {d}");
        hits += got.len();
        zeros += got.iter().filter(|h| h.distance_m == 0.0).count();
    }
    assert!(
        hits > 2_000 && zeros > 20,
        "{hits} hits, {zeros} at distance 0"
    );
}

#[test]
fn point_sites_use_the_geodesic() {
    let index = SiteIndex::new(vec![
        (1, Shape::Point([-179.99, 89.95])),
        (2, Shape::Point([0.0, 89.95])),
    ])
    .expect("valid sites");
    // Both within 11.2 km of the pole, on opposite sides of it.
    let hits = index.within([90.0, 90.0], 5_600.0);
    assert_eq!(hits.len(), 2);
    assert_eq!(
        hits[0].distance_m,
        distance_m([90.0, 90.0], [-179.99, 89.95])
    );
    let across = index.within([179.99, 89.95], 12_000.0);
    assert_eq!(across.iter().map(|h| h.key).collect::<Vec<_>>(), vec![1, 2]);
}

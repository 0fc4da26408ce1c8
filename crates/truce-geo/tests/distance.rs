//! `distance_m` against an independent Vincenty inverse, and `within_m` against `distance_m`.

mod common;

use common::{destination, Rng};
use proptest::prelude::*;
use truce_geo::{distance_m, within_m, LonLat};

/// Vincenty's inverse formula on WGS84 (1975), written independently of geographiclib. `None`
/// when it does not converge (nearly antipodal pairs).
fn vincenty(p1: LonLat, p2: LonLat) -> Option<f64> {
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

#[test]
fn distance_agrees_with_vincenty_to_a_millimetre() {
    let mut rng = Rng::new(1);
    let mut checked = 0;
    for n in 0..20_000 {
        let a = [rng.range(-180.0, 180.0), rng.range(-90.0, 90.0)];
        // Every scale from centimetres to 15 000 km, some near the poles and the antimeridian.
        let b = match n % 4 {
            0 => [rng.range(-180.0, 180.0), rng.range(-90.0, 90.0)],
            1 => {
                let s = 10f64.powf(rng.range(-2.0, 7.0));
                destination(a, rng.range(0.0, 360.0), s)
            }
            2 => [rng.range(179.0, 181.0), rng.range(80.0, 90.0)],
            _ => [a[0] + rng.range(-1e-3, 1e-3), a[1] * 0.999_999],
        };
        let a = if n % 4 == 2 {
            [rng.range(-181.0, -179.0), rng.range(80.0, 90.0)]
        } else {
            a
        };
        let g = distance_m(a, b);
        if g > 15_000_000.0 {
            continue; // nearly antipodal: Vincenty is slow or fails there
        }
        let Some(v) = vincenty(a, b) else { continue };
        assert!(
            (g - v).abs() < 1e-3,
            "{a:?} {b:?}: geodesic {g}, Vincenty {v}"
        );
        checked += 1;
    }
    assert!(checked > 15_000, "{checked}");
}

#[test]
fn known_distances() {
    // One degree of longitude on the equator is a·π/180.
    let d = distance_m([0.0, 0.0], [1.0, 0.0]);
    assert!((d - 111_319.490_793).abs() < 1e-5, "{d}");
    // Across the antimeridian, both spellings of it.
    assert_eq!(distance_m([180.0, 10.0], [-180.0, 10.0]), 0.0);
    let d = distance_m([179.5, 0.0], [-179.5, 0.0]);
    assert!((d - 111_319.490_793).abs() < 1e-5, "{d}");
    // Invalid positions are at a NaN distance, in either place.
    assert!(distance_m([0.0, 91.0], [0.0, 0.0]).is_nan());
    assert!(distance_m([0.0, 0.0], [0.0, 91.0]).is_nan());
    assert!(distance_m([0.0, 0.0], [0.0, f64::NAN]).is_nan());
    assert!(!within_m([0.0, 0.0], [0.0, f64::NAN], 1e9));
}

/// A pair and a threshold: random positions and scales, half of them with the threshold within a
/// centimetre of the pair's distance.
fn pair_and_threshold() -> impl Strategy<Value = (LonLat, LonLat, f64)> {
    (
        -180.0..180.0f64,
        -90.0..=90.0f64,
        0.0..360.0f64,
        -3.0..7.2f64,
        prop_oneof![Just(None), (-0.01..0.01f64).prop_map(Some)],
        0.0..3.0f64,
    )
        .prop_map(|(lon, lat, bearing, scale, near, far)| {
            let a = [lon, lat];
            let b = destination(a, bearing, 10f64.powf(scale));
            let g = distance_m(a, b);
            let d = match near {
                Some(delta) => g + delta,
                None => g * far,
            };
            (a, b, d)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn within_m_is_distance_m_at_most_d((a, b, d) in pair_and_threshold()) {
        prop_assert_eq!(within_m(a, b, d), distance_m(a, b) <= d);
        // At the exact distance, and one unit in the last place either side.
        let g = distance_m(a, b);
        for d in [g, g.next_up(), g.next_down()] {
            prop_assert_eq!(within_m(a, b, d), g <= d);
        }
    }
}

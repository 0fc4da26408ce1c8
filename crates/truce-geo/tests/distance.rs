//! `distance_m` against an independent Vincenty inverse, and `within_m` against `distance_m`.

mod common;

use common::{destination, vincenty, Rng};
use proptest::prelude::*;
use truce_geo::{distance_m, within_m, LonLat};

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

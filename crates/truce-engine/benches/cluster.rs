//! Clustering and hot-spot baseline on 1,000,000 generated reports.
//!
//! `cargo bench -p truce-engine --bench cluster` (release). Plain `harness = false`: prints
//! timings, no statistics crate. The data are generated deterministically: fire clusters of
//! FIRMS-like detections (reach 375 m or 1 km, satellite overpass times) over a
//! 1,500 km × 1,000 km region (lat 44–53, lon 22–40) over 120 days, persistent gas flares, and ~2 %
//! allegations (reach 3–25 km, intervals of 1–24 h), half of them near a fire.

use std::hint::black_box;
use std::time::{Duration, Instant};

use truce_engine::baseline::{Baseline, BaselineParams, Detection};
use truce_engine::cluster::{clusters, Obs, Params};

const N: usize = 1_000_000;
const DAY: i64 = 86_400;
const T0: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z
const DAYS: i64 = 120;
const RUNS: usize = 3;

/// SplitMix64: a tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.f();
        let v = self.f();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

const M_PER_DEG: f64 = 111_195.0;

/// A position `dn`, `de` metres from (`lon`, `lat`).
fn offset(lon: f64, lat: f64, dn: f64, de: f64) -> (f64, f64) {
    let lat2 = lat + dn / M_PER_DEG;
    (lon + de / (M_PER_DEG * lat.to_radians().cos()), lat2)
}

/// Overpass time of a satellite on a day: two passes a day (~01:30 and ~11:30 UTC over the region),
/// satellites ~50 minutes apart, a few minutes of drift.
fn overpass(rng: &mut Rng, day: i64) -> i64 {
    let pass = if rng.below(2) == 0 { 5_400 } else { 41_400 };
    let sat = rng.below(3) as i64 * 3_000;
    T0 + day * DAY + pass + sat + rng.below(600) as i64
}

fn detection(rng: &mut Rng, lon: f64, lat: f64, t: i64, static_source: bool) -> (Obs, bool) {
    let reach_m = if rng.below(100) < 85 { 375.0 } else { 1_000.0 };
    (
        Obs {
            lon,
            lat,
            reach_m,
            start: t,
            end: t,
        },
        static_source,
    )
}

/// 1,000,000 reports and, for each, whether the sensor flagged a static source (allegations: never).
fn generate() -> (Vec<Obs>, Vec<bool>) {
    let mut rng = Rng(0x7275_6365_2d62_656e);
    let mut out: Vec<(Obs, bool)> = Vec::with_capacity(N);
    let allegations = N / 50;

    // Persistent gas flares: 400 sites, each seen on ~40 % of days, once or twice a day.
    let mut flare_sites = Vec::new();
    for _ in 0..400 {
        flare_sites.push((
            rng.range(22.0, 40.0),
            rng.range(44.0, 53.0),
            rng.below(4) == 0,
        ));
    }
    for &(lon, lat, flagged) in &flare_sites {
        for day in 0..DAYS {
            if rng.below(10) < 4 {
                for _ in 0..1 + rng.below(2) {
                    let (x, y) = offset(lon, lat, rng.normal() * 150.0, rng.normal() * 150.0);
                    let t = overpass(&mut rng, day);
                    out.push(detection(&mut rng, x, y, t, flagged));
                }
            }
        }
    }

    // Fires: clusters of detections around a centre, spread 300 m – 3 km, lasting 1–10 days.
    let mut fires: Vec<(f64, f64, i64)> = Vec::new();
    while out.len() < N - allegations {
        let (lon, lat) = (rng.range(22.0, 40.0), rng.range(44.0, 53.0));
        let day0 = rng.below(DAYS as u64) as i64;
        let days = 1 + (-(1.0 - rng.f()).ln() * 1.5) as i64;
        let size = ((2.5 + 1.2 * rng.normal()).exp() as usize).clamp(1, 3_000);
        let spread = rng.range(300.0, 3_000.0);
        fires.push((lon, lat, day0));
        for _ in 0..size.min(N - allegations - out.len()) {
            let (x, y) = offset(lon, lat, rng.normal() * spread, rng.normal() * spread);
            let day = (day0 + rng.below(days as u64) as i64).min(DAYS - 1);
            let t = overpass(&mut rng, day);
            out.push(detection(&mut rng, x, y, t, false));
        }
    }

    // Allegations: reach 3–25 km, intervals of 1–24 h; half near a fire, half anywhere.
    while out.len() < N {
        let (lon, lat, day) = if rng.below(2) == 0 {
            let (lon, lat, day0) = fires[rng.below(fires.len() as u64) as usize];
            let (x, y) = offset(lon, lat, rng.normal() * 5_000.0, rng.normal() * 5_000.0);
            (x, y, day0)
        } else {
            (
                rng.range(22.0, 40.0),
                rng.range(44.0, 53.0),
                rng.below(DAYS as u64) as i64,
            )
        };
        let start = T0 + day * DAY + rng.below(DAY as u64) as i64;
        let len = rng.range(3_600.0, 86_400.0) as i64;
        out.push((
            Obs {
                lon,
                lat,
                reach_m: rng.range(3_000.0, 25_000.0),
                start,
                end: start + len,
            },
            false,
        ));
    }

    // Shuffle (Fisher–Yates), so input order carries no locality.
    for i in (1..out.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        out.swap(i, j);
    }
    out.into_iter().unzip()
}

/// Best and median of `RUNS` timings of `f`, and its last result.
fn time<T>(mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        let r = black_box(f());
        times.push(t.elapsed());
        last = Some(r);
    }
    times.sort();
    (times[0], times[RUNS / 2], last.expect("RUNS > 0"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let t = Instant::now();
    let (obs, flagged) = generate();
    let alleg = obs.iter().filter(|o| o.reach_m >= 3_000.0).count();
    println!(
        "generated {} reports ({} detections, {} allegations) in {:.0} ms",
        obs.len(),
        obs.len() - alleg,
        alleg,
        ms(t.elapsed())
    );
    println!(
        "{} hardware threads (clusters uses up to 4 from 100,000 reports)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // Baseline: one unstable sort of the same reports by (latitude, start) — the floor any
    // grid-hashing clusterer pays before it links anything.
    let (sort_best, _, _) = time(|| {
        let mut v = obs.clone();
        v.sort_unstable_by(|a, b| {
            (a.lat, a.start)
                .partial_cmp(&(b.lat, b.start))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        v.len()
    });
    println!(
        "baseline: sort of the same reports by (lat, start): best {:>7.1} ms",
        ms(sort_best)
    );
    for max_gap_s in [6 * 3_600, 24 * 3_600] {
        let p = Params { max_gap_s };
        let (best, median, cs) = time(|| clusters(&obs, &p));
        let largest = cs.iter().map(Vec::len).max().unwrap_or(0);
        let multi = cs.iter().filter(|c| c.len() > 1).count();
        println!(
            "clusters, max_gap {:>2} h: best {:>7.1} ms, median {:>7.1} ms, {:>5.2} M reports/s; \
             {} clusters ({} with 2+ reports), largest {}",
            max_gap_s / 3_600,
            ms(best),
            ms(median),
            obs.len() as f64 / best.as_secs_f64() / 1e6,
            cs.len(),
            multi,
            largest
        );
        println!(
            "  = {:.2}x the sort baseline; target under 2 s: {}",
            best.as_secs_f64() / sort_best.as_secs_f64(),
            if best.as_secs_f64() < 2.0 {
                "met"
            } else {
                "NOT met"
            }
        );
    }

    let dets: Vec<Detection> = obs
        .iter()
        .zip(&flagged)
        .filter(|(o, _)| o.reach_m < 3_000.0)
        .map(|(o, &static_source)| Detection {
            lon: o.lon,
            lat: o.lat,
            time: o.start,
            static_source,
        })
        .collect();
    let bp = BaselineParams::default();
    let (best, median, b) = time(|| Baseline::learn(dets.iter().copied(), &bp));
    println!(
        "baseline learn: best {:>7.1} ms, median {:>7.1} ms over {} detections; {} hot spots",
        ms(best),
        ms(median),
        dets.len(),
        b.len()
    );
    let (best, median, routine) = time(|| {
        dets.iter()
            .filter(|d| b.hot_spot([d.lon, d.lat]).is_some())
            .count()
    });
    println!(
        "baseline lookup: best {:>7.1} ms, median {:>7.1} ms for {} lookups ({:.2} M/s); {} routine",
        ms(best),
        ms(median),
        dets.len(),
        dets.len() as f64 / best.as_secs_f64() / 1e6,
        routine
    );
}

//! What linking observations by their public footprints (truce-rules/9) costs and changes:
//! `cargo run --release -p truce-engine --example footprint_links`.
//!
//! SYNTHETIC: patrols along the synthetic 20,000-vertex line of `truce-geo`'s benches, around
//! 60 hot spots, over 30 days. Each observation is a monitor's report of explosions heard
//! towards its hot spot (one 45° sector, a ring within 10 km), hidden 2 km, its public footprint
//! from `truce_geo::coarsen`, the report placed at the footprint's centroid with an uncertainty
//! covering every cell (as `truce submit` files one). `FL_N` sets the number of observations
//! (default 20,000).
//!
//! Timed in the same run, interleaved in rounds: `judge` of the snapshot whose reports carry
//! their footprints (the exact rule: footprints must share area) against `judge` of the same
//! reports without them (the reach rule alone: the circles enclosing the footprints), no reading
//! (so incidents alone are built). Prints the incidents each gives and the ratio of the times.
//! Writes bench/results/footprint-links-<date>.txt when `FL_OUT` names the file.

use std::time::Instant;
use truce_engine::input::{Front, ReportFrontIn, ReportIn};
use truce_engine::{judge, Params, Snapshot};
use truce_geo::{coarsen, LonLat, Ring, Sector};
use truce_model::domain::{Act, Role};
use truce_model::front::{DistanceRange, EventType, Modality, Observation, PublicCells};
use truce_model::Id;

#[path = "../../truce-geo/examples/bench_common/mod.rs"]
mod bench_common;
use bench_common::{fail, synthetic_line, Rng};

const DAY: i64 = 86_400;
/// 2025-05-01T00:00:00Z.
const T0: i64 = 1_746_057_600;

fn id(s: &str) -> Id {
    Id::new(s).unwrap_or_else(|e| fail("id", e))
}

fn main() {
    let n: usize = std::env::var("FL_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let line = synthetic_line(20_000);
    let mut rng = Rng(16);
    // Hot spots on the line; patrols 3–8 km from them, on either side.
    let spots: Vec<LonLat> = (0..60)
        .map(|_| line[(rng.next() * line.len() as f64) as usize % line.len()])
        .collect();
    let monitor = id("osce");
    let t = Instant::now();
    let mut reports = Vec::with_capacity(n);
    let mut said = Vec::with_capacity(n);
    for k in 0..n {
        let spot = spots[k % spots.len()];
        let bearing = rng.next() * 360.0;
        let away = 3_000.0 + rng.next() * 5_000.0;
        let observer = truce_geo::destination(spot, bearing, away);
        // Heard towards the hot spot.
        let back = (bearing + 180.0).rem_euclid(360.0);
        let sectors = [Sector::centred(back, 45.0).unwrap_or_else(|e| fail("sector", e))];
        let ring = Ring::new((away - 2_000.0).max(0.0), away + 2_000.0)
            .unwrap_or_else(|e| fail("ring", e));
        let fp = coarsen(observer, &sectors, ring, 2_000.0).unwrap_or_else(|e| fail("coarsen", e));
        let c = fp.centroid();
        let radius = fp
            .to_polygons()
            .iter()
            .flatten()
            .flatten()
            .map(|v| truce_geo::distance_m(c, *v))
            .fold(0.0, f64::max);
        let day = (k * 30 / n) as i64;
        let start = T0 + day * DAY + (rng.next() * 20.0 * 3600.0) as i64;
        let index = 100 + k as u64;
        let rid = id(&format!("obs-{k}"));
        reports.push(ReportIn {
            index,
            entry_id: format!("{index:064x}")
                .parse()
                .unwrap_or_else(|e| fail("entry id", e)),
            author: monitor.clone().into(),
            role: Role::Monitor,
            id: rid.clone(),
            act: Act::Explosion,
            perpetrator: None,
            relays: None,
            denies: Vec::new().into(),
            point: c,
            uncertainty_m: radius.ceil() as u32,
            start,
            end: start + 2 * 3600,
            target: None,
            static_source: false,
        });
        said.push(ReportFrontIn::new(
            index,
            monitor.clone(),
            rid,
            None,
            None,
            Some(Observation {
                count: 1 + (rng.next() * 30.0) as u32,
                distance: DistanceRange {
                    min_m: ring.min_m,
                    max_m: ring.max_m,
                },
                event: EventType::Undetermined,
                footprint: PublicCells {
                    cells: fp.cell_strings(),
                    hidden_m: fp.hidden_radius_m(),
                },
                modality: Modality::Heard,
                observer: "ab".repeat(32),
                sectors: vec![[sectors[0].from_deg, sectors[0].to_deg]],
            }),
        ));
    }
    let built = t.elapsed();
    let snapshot = |with: bool| {
        let mut roles = std::collections::BTreeMap::new();
        roles.insert(monitor.clone(), Role::Monitor);
        Snapshot {
            log_size: 100 + n as u64,
            reports: reports.clone(),
            sites: Vec::new(),
            readings: Vec::new(),
            assessments: Vec::new(),
            policies: Vec::new(),
            invocations: Vec::new(),
            roles,
            zones: Default::default(),
            ends: Default::default(),
            extensions: Vec::new(),
            conditions: Vec::new(),
            maritime: Default::default(),
            front: Front::new(Vec::new(), if with { said.clone() } else { Vec::new() }),
        }
    };
    let (exact, reach) = (snapshot(true), snapshot(false));
    let p = Params::default();
    let (mut te, mut tr) = (Vec::new(), Vec::new());
    let (mut ie, mut ir) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let t = Instant::now();
        let j = judge(&exact, &p);
        te.push(t.elapsed().as_secs_f64());
        ie = j.incidents.iter().map(|i| i.members.len()).collect();
        let t = Instant::now();
        let j = judge(&reach, &p);
        tr.push(t.elapsed().as_secs_f64());
        ir = j.incidents.iter().map(|i| i.members.len()).collect();
    }
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let (be, br) = (best(&te), best(&tr));
    let stats = |v: &[usize]| {
        let max = v.iter().copied().max().unwrap_or(0);
        let big = v.iter().filter(|&&m| m >= 10).count();
        format!(
            "{} incidents, the largest {max} observations, {big} of 10 or more",
            v.len()
        )
    };
    let out = format!(
        "footprint_links: {n} SYNTHETIC observations (60 hot spots, 30 days; built and coarsened in {:.1} s)\n\
         exact rule (footprints share area, truce-rules/9): judge {be:.3} s (best of 3; {:?}); {}\n\
         reach rule alone (circles enclosing the footprints): judge {br:.3} s (best of 3; {:?}); {}\n\
         ratio exact / reach: {:.2}\n",
        built.as_secs_f64(),
        te.iter().map(|x| (x * 1e3).round() / 1e3).collect::<Vec<_>>(),
        stats(&ie),
        tr.iter().map(|x| (x * 1e3).round() / 1e3).collect::<Vec<_>>(),
        stats(&ir),
        be / br
    );
    print!("{out}");
    if let Ok(path) = std::env::var("FL_OUT") {
        std::fs::write(&path, &out).unwrap_or_else(|e| fail(&path, e));
    }
}

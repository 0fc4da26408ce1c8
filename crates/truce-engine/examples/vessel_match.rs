//! Matching reports of attacks on vessels to vessel tracks at scale (issue 15: 100,000 reports
//! to 10,000 tracks in under 2 s). Synthetic, deterministic data over the Black Sea: TRACKS
//! vessels (default 10,000), each steaming a straight course for a day at 8-20 knots with a fix
//! every 10 minutes and, for one vessel in ten, a 3-hour gap; REPORTS attacks (default 100,000),
//! half placed on a random vessel's course at a random time (within 300 m), half anywhere, each
//! with a 10-minute time and a 1 km uncertainty. Times `maritime::VesselIndex::new` and the
//! matching of every report, and prints how many matched.
//!
//! `cargo run --release -p truce-engine --example vessel_match [TRACKS] [REPORTS]`.

use std::time::Instant;

use truce_engine::input::{EntryId, Maritime, ReportIn, TrackIn, VesselClass, VesselIn};
use truce_engine::maritime::VesselIndex;
use truce_model::domain::{Act, Role};
use truce_model::Id;

/// A small deterministic generator (xorshift64*), so every run sees the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.unit()
    }
}

const T0: i64 = 1_743_465_600; // 2025-04-01T00:00:00Z
const M_PER_DEG: f64 = 111_195.0;

fn main() {
    let mut args = std::env::args().skip(1);
    let tracks: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let reports: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    // Courses: (start time, start point, velocity in degrees per second).
    let mut m = Maritime::default();
    let mut courses = Vec::with_capacity(tracks);
    for k in 0..tracks {
        let mmsi = format!("{:09}", 200_000_000 + k);
        let start = [rng.range(28.5, 41.0), rng.range(41.5, 46.5)];
        let knots = rng.range(8.0, 20.0);
        let heading = rng.range(0.0, std::f64::consts::TAU);
        let mps = knots * 1_852.0 / 3_600.0;
        let v = [
            mps * heading.sin() / (M_PER_DEG * start[1].to_radians().cos()),
            mps * heading.cos() / M_PER_DEG,
        ];
        let t0 = T0 + (rng.next() % 86_400) as i64;
        let gap = k % 10 == 0;
        let points: Vec<(i64, [f64; 2])> = (0..=144)
            .filter(|j| !(gap && (60..78).contains(j)))
            .map(|j| {
                let dt = j as f64 * 600.0;
                (t0 + j * 600, [start[0] + v[0] * dt, start[1] + v[1] * dt])
            })
            .collect();
        m.vessels.push(VesselIn {
            index: k as u64,
            mmsi: Some(mmsi.clone()),
            imo: None,
            name: None,
            class: if k % 50 == 0 {
                VesselClass::Military
            } else {
                VesselClass::Commercial
            },
        });
        m.tracks.push(TrackIn {
            index: (tracks + k) as u64,
            mmsi,
            points,
        });
        courses.push((t0, start, v));
    }
    let author: truce_engine::Party = Id::new("ua").expect("an id").into();
    let mut rs = Vec::with_capacity(reports);
    for k in 0..reports {
        let (point, start) = if k % 2 == 0 && !courses.is_empty() {
            let (t0, p, v) = courses[(rng.next() % courses.len() as u64) as usize];
            let dt = rng.range(0.0, 86_400.0);
            let off = rng.range(-300.0, 300.0) / M_PER_DEG;
            (
                [p[0] + v[0] * dt + off, p[1] + v[1] * dt - off],
                t0 + dt as i64,
            )
        } else {
            (
                [rng.range(28.5, 41.0), rng.range(41.5, 46.5)],
                T0 + (rng.next() % (2 * 86_400)) as i64,
            )
        };
        rs.push(ReportIn {
            index: (2 * tracks + k) as u64,
            entry_id: EntryId([0; 32]),
            author: author.clone(),
            role: Role::Belligerent,
            id: Id::new(&format!("r{k}")).expect("an id"),
            act: Act::AttackOnVessels,
            perpetrator: None,
            relays: None,
            denies: Vec::new().into(),
            point,
            uncertainty_m: 1_000,
            start,
            end: start + 600,
            target: None,
            static_source: false,
        });
    }

    let t = Instant::now();
    let ix = VesselIndex::new(&m);
    let built = t.elapsed();
    let t = Instant::now();
    let (mut matched, mut vessels) = (0usize, 0usize);
    for r in &rs {
        let got = ix.matches(r);
        matched += usize::from(!got.is_empty());
        vessels += got.len();
    }
    let matching = t.elapsed();
    println!(
        "{tracks} tracks ({} fixes), {reports} reports: index built in {:.3} s, matching {:.3} s ({:.0} reports/s); {matched} reports matched, {vessels} vessels in all",
        m.tracks.iter().map(|t| t.points.len()).sum::<usize>(),
        built.as_secs_f64(),
        matching.as_secs_f64(),
        reports as f64 / matching.as_secs_f64().max(1e-9),
    );
    println!(
        "index + matching: {:.3} s",
        (built + matching).as_secs_f64()
    );
}

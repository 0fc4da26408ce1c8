//! Incremental judgement against a full `judge` on a large snapshot: ROWS simulated FIRMS
//! detections (default 1,000,000; `truce simulate firms --seed 3`, the simulator's 30 days from
//! 18 March 2025 and 12 persistent flares) with the demo scenario's readings and sites. Times a
//! full `judge`, `Incremental::new`, and `Incremental::apply` of K new allegations (default 50),
//! each one `ua` report of a strike near a random simulated detection (as `bench/allegation.sh`
//! files them); prints p50/p99/max of `apply` and the ratio to a full judgement, what each
//! apply re-judged, and the heap held by the snapshot alone, its judgement, and `Incremental`
//! (a counting allocator). Ends by checking the incremental judgement equals `judge` of the
//! final snapshot.
//!
//! `cargo run --release -p truce-engine --example incremental [ROWS] [K]`, or
//! `bench/incremental.sh`. `BENCH_VERBOSE=1` prints what each apply re-judged and its time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use truce_engine::input::{ReadingIn, ReportIn, SiteIn};
use truce_engine::{judge, Delta, Incremental, Params, Party, Snapshot};
use truce_model::domain::{Act, Reading, Role, Site};
use truce_model::taxonomy::Category;
use truce_model::{Id, Time};

/// The heap in use and its peak: the only way to say how much memory each structure holds.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// A global allocator is unsafe by its trait; this one only counts and defers to the system's.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new >= l.size() {
                let now = LIVE.fetch_add(new - l.size(), Relaxed) + new - l.size();
                PEAK.fetch_max(now, Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static A: Counting = Counting;

fn mb(b: usize) -> String {
    format!("{:.0} MB", b as f64 / 1e6)
}

fn id(s: &str) -> Id {
    Id::new(s).expect("a valid id")
}

const SCENARIO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../scenarios/energy-moratorium-2025"
);

fn file(rel: &str) -> String {
    std::fs::read_to_string(format!("{SCENARIO}/{rel}")).expect("the scenario's files")
}

/// A reading file of the scenario (`time` and `[reading]`) as the ledger would give it.
fn reading(rel: &str, author: &str, index: u64) -> ReadingIn {
    let t: toml::Table = toml::from_str(&file(rel)).expect("a reading file");
    let filed = Time::parse(&t["time"].to_string())
        .expect("a time")
        .0
        .as_second();
    let reading: Reading = t["reading"].clone().try_into().expect("a reading");
    let effective = reading
        .effective_from
        .map(|e| e.0.as_second())
        .unwrap_or(filed);
    ReadingIn {
        index,
        author: id(author),
        filed,
        effective,
        reading,
    }
}

fn site_in(s: Site, lister: &str, index: u64, filed: i64) -> SiteIn {
    SiteIn {
        index,
        lister: id(lister),
        id: s.id,
        name: s.name,
        category: s.category,
        geometry: s.geometry,
        approximate_m: s.approximate_m.unwrap_or(0),
        filed,
        effective: s.effective_from.map(|e| e.0.as_second()).unwrap_or(filed),
    }
}

/// The demo scenario's readings and sites, and ROWS simulated detections.
fn snapshot(rows: u64) -> Snapshot {
    let mut readings = vec![
        reading("readings/ru.toml", "ru", 30),
        reading("readings/ua.toml", "ua", 31),
        reading("readings/us.toml", "us", 32),
    ];
    readings.sort_by(|a, b| {
        (&a.reading.agreement, &a.author, a.index).cmp(&(&b.reading.agreement, &b.author, b.index))
    });
    let filed = Time::parse("2025-03-19T06:00:00Z")
        .expect("a time")
        .0
        .as_second();
    let mut sites = Vec::new();
    let wri = truce_ingest::wri::read_sites(file("sites/wri-ukraine.csv").as_bytes())
        .expect("the WRI sites");
    for s in wri {
        sites.push(site_in(s, "ua", 20, filed));
    }
    let ru = truce_ingest::geojson::read_sites(file("sites/russia-approximate.geojson").as_bytes())
        .expect("the Russian sites");
    for s in ru {
        sites.push(site_in(s, "ru", 21, filed));
    }
    let t: toml::Table =
        toml::from_str(&file("sites/ukraine-approximate.toml")).expect("a site file");
    if let Some(list) = t.get("site").and_then(|v| v.as_array()) {
        for v in list {
            let s: Site = v.clone().try_into().expect("a site");
            sites.push(site_in(s, "ua", 22, filed));
        }
    }
    let roles = [
        ("us", Role::Mediator),
        ("ru", Role::Belligerent),
        ("ua", Role::Belligerent),
        ("monitor", Role::Monitor),
        ("firms", Role::OpenData),
    ]
    .into_iter()
    .map(|(p, r)| (id(p), r))
    .collect();

    let world = truce_sim::World::new(&truce_sim::Params {
        seed: 3,
        ..Default::default()
    })
    .expect("a world");
    let mut csv = Vec::new();
    truce_sim::write_firms(&world, rows, &mut csv).expect("detections");
    let mut reports = Vec::with_capacity(rows as usize);
    let mut index = 400u64;
    // One party shared by every detection, as `Snapshot::of` shares it.
    let firms: Party = id("firms").into();
    let rows = truce_ingest::reports(
        truce_ingest::rows::Format::Firms,
        csv.as_slice(),
        truce_ingest::rows::ActorMap::new(Vec::new()),
    )
    .expect("FIRMS rows");
    for row in rows {
        let truce_ingest::Row::Report { report, .. } = row else {
            continue;
        };
        let r = *report;
        reports.push(ReportIn {
            index,
            entry_id: format!(
                "{:064x}",
                u128::from(index) * 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835
            )
            .parse()
            .expect("an entry id"),
            author: firms.clone(),
            role: Role::OpenData,
            static_source: r.attributes.get("type").map(String::as_str) == Some("2"),
            id: r.id,
            act: r.act,
            perpetrator: None,
            relays: None,
            denies: Vec::new().into(),
            point: [r.location.point.lon(), r.location.point.lat()],
            uncertainty_m: r.location.uncertainty_m,
            start: r.time.start.0.as_second(),
            end: r.time.end.0.as_second(),
            target: None,
        });
        index += 1;
    }
    drop(csv);
    Snapshot {
        log_size: index,
        reports,
        sites,
        readings,
        roles,
        ..Default::default()
    }
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn pct(sorted: &[Duration], q: f64) -> Duration {
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let k: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let p = Params::default();

    let t = Instant::now();
    let base = LIVE.load(Relaxed);
    let snap = snapshot(rows);
    let snap_bytes = LIVE.load(Relaxed) - base;
    println!(
        "snapshot: {} reports, {} sites, {} reading versions (generated in {:.1} s); heap {}",
        snap.reports.len(),
        snap.sites.len(),
        snap.readings.len(),
        t.elapsed().as_secs_f64(),
        mb(snap_bytes)
    );
    println!(
        "a report: size_of::<ReportIn>() {} bytes; snapshot heap per report {:.0} bytes",
        std::mem::size_of::<ReportIn>(),
        snap_bytes as f64 / snap.reports.len().max(1) as f64
    );

    // Full judgements.
    let mut fulls = Vec::new();
    let mut judgement_bytes = 0;
    for _ in 0..3 {
        let before = LIVE.load(Relaxed);
        PEAK.store(before, Relaxed);
        let t = Instant::now();
        let j = judge(&snap, &p);
        fulls.push(t.elapsed());
        judgement_bytes = LIVE.load(Relaxed) - before;
        let judge_peak = PEAK.load(Relaxed) - before;
        if fulls.len() == 1 {
            println!(
                "judgement: {} incidents, {} background, {} findings, {} hot spots; heap {} (peak while judging {} beyond the snapshot)",
                j.incidents.len(),
                j.background.len(),
                j.findings.len(),
                j.baseline.hot_spots,
                mb(judgement_bytes),
                mb(judge_peak)
            );
        }
    }
    fulls.sort();
    let full = fulls[1];
    // The background's full form, made on demand from the snapshot (what storing it reads).
    let j = judge(&snap, &p);
    let t = Instant::now();
    let n = j.background_full(&snap).count();
    println!(
        "background in full, made from the snapshot: {n} rows in {}",
        ms(t.elapsed())
    );
    drop(j);
    println!(
        "full judge: median {} of 3 ({})",
        ms(full),
        fulls.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", ")
    );

    // The incremental state.
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let t = Instant::now();
    let mut inc = Incremental::new(snap, p.clone());
    let new_t = t.elapsed();
    let inc_bytes = LIVE.load(Relaxed) - before + snap_bytes;
    let new_peak = PEAK.load(Relaxed) - before + snap_bytes;
    println!(
        "Incremental::new: {} ; heap {} (snapshot {} + judgement {} + state {}), peak while building {}",
        ms(new_t),
        mb(inc_bytes),
        mb(snap_bytes),
        mb(judgement_bytes),
        mb(inc_bytes.saturating_sub(snap_bytes + judgement_bytes)),
        mb(new_peak)
    );

    // K allegations, each near a random detection, one apply each.
    let mut rng = Rng(11);
    let mut times = Vec::new();
    let first = inc.snapshot().log_size;
    let n = inc.snapshot().reports.len();
    let mut reclustered = Vec::new();
    let mut released = 0;
    let mut routine = 0;
    for i in 0..k {
        let next = first + i as u64;
        let d = &inc.snapshot().reports[(rng.next() % n as u64) as usize];
        let (lon, lat, start) = (d.point[0], d.point[1], d.start);
        let dn = (rng.f() - 0.5) * 1_000.0;
        let de = (rng.f() - 0.5) * 1_000.0;
        let point = [
            lon + de / (111_195.0 * lat.to_radians().cos()),
            lat + dn / 111_195.0,
        ];
        let start = start - 1_800 + (rng.next() % 1_800) as i64;
        let r = ReportIn {
            index: next,
            entry_id: format!(
                "{:064x}",
                u128::from(next) * 0x2545_f491_4f6c_dd1d_9e37_79b9
            )
            .parse()
            .expect("an entry id"),
            author: id("ua").into(),
            role: Role::Belligerent,
            id: id(&format!("bench-allegation-{i}")),
            act: Act::DroneStrike,
            perpetrator: Some(id("ru").into()),
            relays: None,
            denies: Vec::new().into(),
            point,
            uncertainty_m: 2_000,
            start,
            end: start + 3_600,
            target: Some(Category::new("energy.power.substation").expect("a category")),
            static_source: false,
        };
        let delta = Delta {
            log_size: next + 1,
            reports: vec![((r.author.id().clone(), r.id.clone()), Some(r))],
            ..Default::default()
        };
        let t = Instant::now();
        let rj = inc.apply(delta);
        times.push(t.elapsed());
        reclustered.push(rj.reclustered);
        released += rj.released;
        routine += rj.routine_changed;
        if std::env::var_os("BENCH_VERBOSE").is_some() {
            println!("allegation {i}: {} {rj:?}", ms(times[times.len() - 1]));
        }
        if rj.full.is_some() {
            println!("allegation {i}: full re-judge: {rj:?}");
        }
    }
    let mut sorted = times.clone();
    sorted.sort();
    reclustered.sort_unstable();
    let p50 = pct(&sorted, 0.5);
    println!(
        "apply of one allegation ({k}): p50 {}, p99 {}, max {}; full judge / p50 = {:.0}x, / p99 = {:.0}x",
        ms(p50),
        ms(pct(&sorted, 0.99)),
        ms(sorted[sorted.len() - 1]),
        full.as_secs_f64() / p50.as_secs_f64(),
        full.as_secs_f64() / pct(&sorted, 0.99).as_secs_f64()
    );
    println!(
        "re-judged per allegation: reports re-clustered p50 {} max {}; release passes re-run {released} in all; detections whose routine changed {routine} in all",
        reclustered[reclustered.len() / 2],
        reclustered[reclustered.len() - 1]
    );

    // Still what a full judgement gives.
    let t = Instant::now();
    let want = judge(inc.snapshot(), &p);
    let last_full = t.elapsed();
    let same = *inc.judgement() == want;
    println!(
        "after {k} allegations: incremental == judge of the same snapshot: {same} (that judge: {}); {} incidents",
        ms(last_full),
        want.incidents.len()
    );
    let (lo, _) = inc.into_parts();
    drop(lo);
    if !same {
        std::process::exit(1);
    }
}

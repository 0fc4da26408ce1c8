//! Durable append throughput of `truce_store::Sequencer` over `ClusterStorage` (a throw-away
//! PostgreSQL 15 with `fsync` and `synchronous_commit` on, and a single-node Garage with
//! `data_fsync` and `metadata_fsync` on, from the `testkit`), against the SQLite baseline
//! (`SqliteStorage`, WAL, `synchronous=FULL`, as `truce serve` uses it) in the same run, one
//! configuration after the other (per batch size: SQLite, then the cluster; the in-memory
//! `MemStorage` first, as the floor: the sequencer's own hashing and signing).
//!
//! ```sh
//! CARGO_TARGET_DIR=… cargo run --release -p truce-cluster --features testkit --example append_bench
//! ```
//!
//! Knobs: `AB_N` (entries per configuration, default 200,000), `AB_BATCHES` (default
//! `256,1024,4096`), `AB_POLL_MS` (the checkpoint poll's interval, default 20), `AB_OUT` (also
//! write the report there).
//!
//! Each configuration is a fresh log (a new database and bucket; a new SQLite file in a temporary
//! directory on the same file system as the servers' data). The cluster's writer holds the
//! sequencer lease as a server would (`Lease::acquire`, renewed by a `Keeper`, a `Publisher`
//! republishing every second). Per configuration: entries/s over the whole run, the p50/p99/max
//! commit latency of a batch (`Sequencer::append`, from the call to the acknowledgement), for the
//! cluster the time per phase of a commit (from the storage's fail-point hooks: the sequencer and
//! the transaction's statements, PostgreSQL's COMMIT, the objects' PUTs, the lease check and the
//! `checkpoint` GET, the `checkpoint` PUT and recording the publication), the time from an
//! acknowledgement until the bucket's `checkpoint` names that size (a thread polling the
//! `checkpoint` object), and reads: every entry bundle and level-0 tile read back one at a time
//! through `LogReader` / `LogStorage` (for the cluster, after the publication: a PostgreSQL lookup
//! of the pending row, then a GET from Garage — the figure measures Garage).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use truce_cluster::bucket::{Bucket, BucketConfig, CHECKPOINT};
use truce_cluster::lease::{holder_id, Lease, DEFAULT_RENEW, DEFAULT_TTL};
use truce_cluster::testkit::{Garage, Postgres};
use truce_cluster::{ClusterStorage, FailPoint, Publisher, REPUBLISH_EVERY};
use truce_log::{entries_path, key_from_seed, TILE_WIDTH};
use truce_store::memory::MemStorage;
use truce_store::sqlite::SqliteStorage;
use truce_store::{LogReader, LogStorage, Sequencer};

const ORIGIN: &str = "bench.truce.example/append";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Lines printed and kept for the output file.
struct Out(String);

impl Out {
    fn line(&mut self, s: impl AsRef<str>) {
        println!("{}", s.as_ref());
        self.0.push_str(s.as_ref());
        self.0.push('\n');
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// A deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// `n` distinct JSON-like entries of 300–600 bytes (a fixed shape, random hex and numbers).
fn entries(seed: u64, n: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1);
    (0..n)
        .map(|i| {
            let target = 300 + (rng.next() % 301) as usize;
            let mut s = format!(
                "{{\"body\":{{\"act\":\"shelling\",\"at\":{{\"lat\":{:.5},\"lon\":{:.5}}},\"author\":\"bench-{seed}\",\"id\":\"r-{i}\",\"start\":\"2026-12-07T{:02}:{:02}:00Z\"}},\"sig\":\"",
                44.0 + (rng.next() % 900_000) as f64 / 100_000.0,
                22.0 + (rng.next() % 1_800_000) as f64 / 100_000.0,
                rng.next() % 24,
                rng.next() % 60,
            );
            while s.len() + 2 < target {
                let _ = write!(s, "{:016x}", rng.next());
            }
            s.truncate(target - 2);
            s.push_str("\"}");
            s.into_bytes()
        })
        .collect()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// What one configuration's appends measured.
struct Run {
    entries: u64,
    secs: f64,
    /// Each batch's commit latency, ms.
    latency: Vec<f64>,
    /// Each batch's acknowledgement: (size, when).
    acks: Vec<(u64, Instant)>,
    bytes: u64,
}

fn append_all<S: LogStorage>(
    seq: &mut Sequencer<S>,
    all: &[Vec<u8>],
    batch: usize,
    mut before: impl FnMut(),
    mut after: impl FnMut(&Sequencer<S>),
) -> Res<Run> {
    let mut latency = Vec::with_capacity(all.len() / batch + 1);
    let mut acks = Vec::with_capacity(all.len() / batch + 1);
    let start = Instant::now();
    for chunk in all.chunks(batch) {
        let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
        before();
        let t0 = Instant::now();
        let ack = seq.append(&refs)?;
        let t1 = Instant::now();
        after(seq);
        latency.push(ms(t1 - t0));
        acks.push((ack.checkpoint.size, t1));
    }
    Ok(Run {
        entries: all.len() as u64,
        secs: start.elapsed().as_secs_f64(),
        latency,
        acks,
        bytes: all.iter().map(|e| e.len() as u64).sum(),
    })
}

/// Reads every entry bundle (through `LogReader::for_each_entry`) and every level-0 tile back,
/// one at a time; checks the entries against `all`. Returns a line.
fn read_back<S: LogStorage>(reader: &LogReader<S>, all: &[Vec<u8>]) -> Res<String> {
    let t = Instant::now();
    let mut n = 0u64;
    let mut bad = 0u64;
    let mut bytes = 0u64;
    let size = reader.for_each_entry(|i, e| {
        n += 1;
        bytes += e.len() as u64;
        if all.get(i as usize).map(Vec::as_slice) != Some(e) {
            bad += 1;
        }
    })?;
    let bundle_secs = t.elapsed().as_secs_f64();
    if n != all.len() as u64 || bad != 0 || size != n {
        return Err(format!("read back {n} entries of {}, {bad} differ", all.len()).into());
    }
    let bundles = size.div_ceil(TILE_WIDTH);
    let t = Instant::now();
    let tiles = size.div_ceil(TILE_WIDTH);
    for k in 0..tiles {
        reader
            .storage()
            .read_tile(0, k)?
            .ok_or_else(|| format!("tile 0/{k} missing"))?;
    }
    let tile_secs = t.elapsed().as_secs_f64();
    Ok(format!(
        "bundles {bundles} in {bundle_secs:.2} s = {:.0} bundles/s ({:.0} entries/s, {:.1} MB/s, checked); level-0 tiles {tiles} in {tile_secs:.2} s = {:.0} tiles/s",
        bundles as f64 / bundle_secs,
        n as f64 / bundle_secs,
        bytes as f64 / bundle_secs / 1e6,
        tiles as f64 / tile_secs,
    ))
}

fn summary(out: &mut Out, name: &str, batch: usize, r: &Run) -> f64 {
    let lat = sorted(r.latency.clone());
    let rate = r.entries as f64 / r.secs;
    out.line(format!(
        "{name:<8} batch {batch:>5}: {:>7} entries ({:.0} MB) in {:>6.2} s = {:>8.0} entries/s; commit per batch p50 {:>7.1} ms, p99 {:>7.1} ms, max {:>7.1} ms ({} batches)",
        r.entries,
        r.bytes as f64 / 1e6,
        r.secs,
        rate,
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
        lat.len()
    ));
    rate
}

/// The bucket's `checkpoint` polled every `every`: the first time each size was seen.
struct Poller {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<(u64, Instant)>>>,
    thread: std::thread::JoinHandle<u64>,
}

impl Poller {
    fn start(config: &BucketConfig, every: Duration) -> Res<Poller> {
        let bucket = Bucket::open(config)?;
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, v) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            let mut last = 0u64;
            let mut polls = 0u64;
            while !s.load(Ordering::Relaxed) {
                polls += 1;
                if let Ok(Some(note)) = bucket.get(CHECKPOINT) {
                    let now = Instant::now();
                    let size = std::str::from_utf8(&note)
                        .ok()
                        .and_then(|t| t.lines().nth(1))
                        .and_then(|l| l.parse::<u64>().ok());
                    if let Some(size) = size {
                        if size > last {
                            last = size;
                            v.lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push((size, now));
                        }
                    }
                }
                std::thread::sleep(every);
            }
            polls
        });
        Ok(Poller { stop, seen, thread })
    }

    /// Stops; per acknowledgement, the ms from it until a checkpoint at least as large was
    /// first seen (0 when it was seen before the acknowledgement), and the number of polls.
    fn finish(self, acks: &[(u64, Instant)]) -> (Vec<f64>, usize, u64) {
        // Polled until the last acknowledged size is seen (at most 5 s more).
        let want = acks.last().map_or(0, |(s, _)| *s);
        let until = Instant::now() + Duration::from_secs(5);
        let seen_all = || {
            let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            seen.last().is_some_and(|(s, _)| *s >= want)
        };
        while Instant::now() < until && !seen_all() {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.stop.store(true, Ordering::Relaxed);
        let polls = self.thread.join().unwrap_or(0);
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut out = Vec::new();
        let mut missing = 0;
        for (size, at) in acks {
            match seen.iter().find(|(s, _)| s >= size) {
                Some((_, when)) => out.push(ms(when.saturating_duration_since(*at))),
                None => missing += 1,
            }
        }
        (out, missing, polls)
    }
}

/// The timestamps of the fail-point hooks of one commit.
type Marks = Arc<Mutex<Vec<(FailPoint, Instant)>>>;

/// Per-phase times of the cluster's commits (ms per batch).
#[derive(Default)]
struct Phases(BTreeMap<&'static str, Vec<f64>>);

impl Phases {
    fn add(&mut self, name: &'static str, d: Duration) {
        self.0.entry(name).or_default().push(ms(d));
    }
}

const PHASES: [(&str, &str); 5] = [
    (
        "1 sequencer + tx statements",
        "hashing, signing, objects; BEGIN, lease check, CAS, INSERT checkpoint + pending objects",
    ),
    ("2 PG COMMIT", "the commit point: WAL flush with fsync"),
    (
        "3 objects PUT",
        "published-size query + the batch's tiles and bundles PUT to Garage (16 in flight)",
    ),
    (
        "4 lease + GET checkpoint",
        "lease check in PostgreSQL, the bucket's checkpoint read",
    ),
    (
        "5 PUT checkpoint + record",
        "checkpoint PUT, then the published size recorded and pending rows deleted",
    ),
];

fn phases_of(marks: &[(FailPoint, Instant)], t0: Instant, t1: Instant, p: &mut Phases) {
    let at = |f: FailPoint| marks.iter().rev().find(|(g, _)| *g == f).map(|(_, t)| *t);
    let (Some(tx), Some(committed)) = (at(FailPoint::InTransaction), at(FailPoint::AfterCommit))
    else {
        return;
    };
    let objects = at(FailPoint::AfterObjects).unwrap_or(t1);
    let before_cp = at(FailPoint::BeforeCheckpoint).unwrap_or(objects);
    p.add(PHASES[0].0, tx - t0);
    p.add(PHASES[1].0, committed - tx);
    p.add(PHASES[2].0, objects - committed);
    p.add(PHASES[3].0, before_cp - objects);
    p.add(PHASES[4].0, t1 - before_cp);
}

struct Servers {
    pg: Postgres,
    garage: Garage,
}

fn cluster(
    out: &mut Out,
    servers: &Servers,
    all: &[Vec<u8>],
    batch: usize,
    poll: Duration,
    signer: &str,
) -> Res<f64> {
    let url = servers.pg.database()?;
    let bucket = servers.garage.bucket()?;
    // As a sequencer does: take the lease, keep renewing it, start the publisher.
    let lease = Arc::new(
        Lease::acquire(&url, &holder_id(), DEFAULT_TTL)?.ok_or("the fresh lease is taken")?,
    );
    let keeper = lease.keep(DEFAULT_RENEW);
    let storage = ClusterStorage::open(&url, &bucket)?.with_lease(lease.clone());
    let mut seq = Sequencer::create(storage, ORIGIN, signer)?;
    let publisher = Publisher::start(
        ClusterStorage::open(&url, &bucket)?.with_lease(lease.clone()),
        REPUBLISH_EVERY,
    );
    let marks: Marks = Arc::new(Mutex::new(Vec::new()));
    let m = marks.clone();
    seq.reader().storage().set_hook(Some(Box::new(move |f| {
        m.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((f, Instant::now()));
        Ok(())
    })));
    let poller = Poller::start(&bucket, poll)?;
    let mut phases = Phases::default();
    let t0 = std::cell::Cell::new(Instant::now());
    let mut publish_errors = 0u64;
    let run = append_all(
        &mut seq,
        all,
        batch,
        || {
            marks.lock().unwrap_or_else(|p| p.into_inner()).clear();
            t0.set(Instant::now());
        },
        |seq| {
            let t1 = Instant::now();
            let m = marks.lock().unwrap_or_else(|p| p.into_inner());
            phases_of(&m, t0.get(), t1, &mut phases);
            if seq.reader().storage().publish_error().is_some() {
                publish_errors += 1;
            }
        },
    )?;
    let (visible, missing, polls) = poller.finish(&run.acks);
    let rate = summary(out, "cluster", batch, &run);
    let total: f64 = run.latency.iter().sum();
    for (name, what) in PHASES {
        let v = sorted(phases.0.remove(name).unwrap_or_default());
        let sum: f64 = v.iter().sum();
        out.line(format!(
            "           {name:<27} p50 {:>7.1} ms  p99 {:>7.1} ms  {:>5.1} % of commit time  ({what})",
            pct(&v, 0.5),
            pct(&v, 0.99),
            100.0 * sum / total
        ));
    }
    let vis = sorted(visible.clone());
    let at_ack = visible.iter().filter(|v| **v == 0.0).count();
    out.line(format!(
        "           bucket checkpoint names the acknowledged size: after the ack p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; already there at the ack {at_ack} of {} ({} never seen; {polls} polls every {} ms); publication errors {publish_errors}",
        pct(&vis, 0.5),
        pct(&vis, 0.99),
        vis.last().copied().unwrap_or(f64::NAN),
        run.acks.len(),
        missing,
        poll.as_millis(),
    ));
    let pending = seq.reader().storage().db().pending_count()?;
    let published = seq.reader().storage().db().published_size()?;
    drop(publisher);
    drop(seq);
    // Reads from a storage without the lease, as another server would (the pending rows are
    // gone once published: every read is a PostgreSQL lookup, then a GET from Garage).
    let reader = LogReader::open(ClusterStorage::open(&url, &bucket)?)?;
    out.line(format!(
        "           after the run: pending objects {pending}, published size {published}; reads (one at a time, PostgreSQL pending lookup + Garage GET: measures Garage): {}",
        read_back(&reader, all)?
    ));
    // The same full bundles straight from the bucket, no database: Garage alone.
    let raw = Bucket::open(&bucket)?;
    let full = all.len() as u64 / TILE_WIDTH;
    let t = Instant::now();
    let mut bytes = 0u64;
    for k in 0..full {
        bytes += raw
            .get(&entries_path(k, 0))?
            .ok_or_else(|| format!("bundle {k} missing from the bucket"))?
            .len() as u64;
    }
    let secs = t.elapsed().as_secs_f64();
    out.line(format!(
        "           the full bundles straight from the bucket (Bucket::get, one at a time, Garage alone): {full} in {secs:.2} s = {:.0} GET/s, {:.1} ms a GET, {:.1} MB/s",
        full as f64 / secs,
        1e3 * secs / full as f64,
        bytes as f64 / secs / 1e6
    ));
    drop(keeper);
    lease.release()?;
    Ok(rate)
}

fn sqlite(out: &mut Out, all: &[Vec<u8>], batch: usize, signer: &str) -> Res<f64> {
    let dir = tempfile::Builder::new().prefix("truce-ab-").tempdir()?;
    let storage = SqliteStorage::open(&dir.path().join("truce.db"), true)?;
    let mut seq = Sequencer::create(storage, ORIGIN, signer)?;
    let run = append_all(&mut seq, all, batch, || {}, |_| {})?;
    let rate = summary(out, "sqlite", batch, &run);
    drop(seq);
    let reader = LogReader::open(SqliteStorage::open(&dir.path().join("truce.db"), false)?)?;
    out.line(format!(
        "           reads (one at a time): {}",
        read_back(&reader, all)?
    ));
    Ok(rate)
}

fn memory(out: &mut Out, all: &[Vec<u8>], batch: usize, signer: &str) -> Res<f64> {
    let mut seq = Sequencer::create(MemStorage::new(), ORIGIN, signer)?;
    let run = append_all(&mut seq, all, batch, || {}, |_| {})?;
    Ok(summary(out, "memory", batch, &run))
}

fn main() -> Res<()> {
    let n: usize = std::env::var("AB_N")
        .ok()
        .map(|s| s.replace('_', "").parse())
        .transpose()?
        .unwrap_or(200_000);
    let batches: Vec<usize> = std::env::var("AB_BATCHES")
        .unwrap_or_else(|_| "256,1024,4096".into())
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    let poll = Duration::from_millis(
        std::env::var("AB_POLL_MS")
            .ok()
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(20),
    );
    let mut out = Out(String::new());
    out.line(format!(
        "# append_bench: {n} entries per configuration, batches {batches:?}; load average at start {}; {} cores",
        loadavg(),
        std::thread::available_parallelism().map_or(0, |p| p.get())
    ));
    let t = Instant::now();
    let servers = Servers {
        pg: Postgres::start()?,
        garage: Garage::start()?,
    };
    out.line(format!(
        "# servers: PostgreSQL 15 (fsync=on, synchronous_commit=on) and single-node Garage (data_fsync, metadata_fsync on) on 127.0.0.1, data in temporary directories on {}; started in {:.1} s",
        std::env::temp_dir().display(),
        t.elapsed().as_secs_f64()
    ));
    out.line("# SQLite: SqliteStorage (WAL, synchronous=FULL) in a temporary directory on the same file system");
    let key = key_from_seed(ORIGIN, [7; 32])?;
    let mut ratios = Vec::new();
    for (k, &batch) in batches.iter().enumerate() {
        let all = entries(k as u64, n);
        let sizes = sorted(all.iter().map(|e| e.len() as f64).collect());
        out.line(format!(
            "\n## batch {batch}: entries {} to {} bytes (mean {:.0})",
            sizes[0],
            sizes[sizes.len() - 1],
            sizes.iter().sum::<f64>() / sizes.len() as f64
        ));
        memory(&mut out, &all, batch, &key.signer)?;
        let s = sqlite(&mut out, &all, batch, &key.signer)?;
        let c = cluster(&mut out, &servers, &all, batch, poll, &key.signer)?;
        out.line(format!(
            "ratio cluster/SQLite at batch {batch}: {:.2}",
            c / s
        ));
        ratios.push((batch, s, c));
    }
    out.line("\n## summary (entries/s)");
    for (batch, s, c) in &ratios {
        out.line(format!(
            "batch {batch:>5}: SQLite {s:>8.0}  PostgreSQL + Garage {c:>8.0}  ratio {:.2}  (target ≥ 20,000: {})",
            c / s,
            if *c >= 20_000.0 { "met" } else { "NOT met" }
        ));
    }
    out.line(format!("# load average at end {}", loadavg()));
    if let Ok(path) = std::env::var("AB_OUT") {
        std::fs::write(&path, &out.0)?;
    }
    Ok(())
}

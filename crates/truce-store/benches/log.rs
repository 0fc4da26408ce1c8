//! Log benchmarks (`cargo bench -p truce-store --bench log`): durable append throughput and bytes
//! stored per entry, inclusion-proof time and single-entry append latency on the SQLite backend,
//! each reported as a ratio against a plain-SQLite baseline measured on the same machine in the
//! same run.
//!
//! A self-contained harness (no criterion): `std::time::Instant`, medians and percentiles.
//! Environment:
//! - `TRUCE_BENCH_N`: entries to append (default 1,000,000); a small value makes a smoke run.
//! - `TRUCE_BENCH_BATCH`: entries per append batch (default 10,000).
//! - `TRUCE_BENCH_DIR`: where the temporary databases go (default the system temp dir). It must
//!   be a real disk: on tmpfs an fsync costs nothing and the figures mean nothing.
//! - `TRUCE_BENCH_PAGE_SIZE`: create both databases with this SQLite page size (default SQLite's).
//!
//! Entries are deterministic 200-byte JSON lines, random indices come from a fixed-seed xorshift,
//! so two runs do the same work; only the signing key is fresh.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use truce_log::{generate_key, parse_signer, sign_checkpoint, verify_inclusion, Edge};
use truce_store::memory::MemStorage;
use truce_store::sqlite::SqliteStorage;
use truce_store::Sequencer;

const ORIGIN: &str = "bench.example/log";
/// Length of every entry, in bytes.
const ENTRY_LEN: usize = 200;
/// Random inclusion proofs measured (after `WARMUP` unmeasured ones).
const PROOFS: usize = 1_000;
/// Single-entry appends measured (after `WARMUP` unmeasured ones).
const SINGLES: usize = 200;
const WARMUP: usize = 20;
/// Throughput the log must reach for figure 1.
const TARGET_ENTRIES_PER_SEC: f64 = 100_000.0;

fn main() {
    let n = env_u64("TRUCE_BENCH_N", 1_000_000);
    let batch = env_u64("TRUCE_BENCH_BATCH", 10_000).max(1);
    let page_size =
        std::env::var_os("TRUCE_BENCH_PAGE_SIZE").map(|_| env_u64("TRUCE_BENCH_PAGE_SIZE", 0));
    assert!(n > 0, "TRUCE_BENCH_N must be at least 1");
    let base_dir = std::env::var_os("TRUCE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new()
        .prefix("truce-bench-")
        .tempdir_in(&base_dir)
        .expect("create the benchmark directory");
    let log_db = dir.path().join("log.db");
    let plain_db = dir.path().join("plain.db");

    precreate(&plain_db, page_size);
    precreate(&log_db, page_size);
    let mut plain = open_plain(&plain_db);
    println!("truce log benchmarks");
    println!(
        "  entries {} of {ENTRY_LEN} B, batches of {}, SQLite {} (WAL, synchronous=FULL)",
        group(n),
        group(batch),
        rusqlite::version()
    );
    println!(
        "  databases in {}, page size {}",
        dir.path().display(),
        plain
            .query_row("PRAGMA page_size", [], |r| r.get::<_, u64>(0))
            .map(group)
            .expect("page size")
    );
    println!();

    // 1. Durable append throughput, baseline first (plain table, same transactions and pragmas).
    let plain_append = run_batches(n, batch, |first, entries| {
        let tx = plain
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("begin");
        {
            let mut st = tx
                .prepare_cached("INSERT INTO t(id, data) VALUES (?1, ?2)")
                .expect("prepare insert");
            for (k, e) in entries.iter().enumerate() {
                st.execute(params![(first + k as u64) as i64, e])
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
    });
    let plain_bytes = checkpointed_size(&plain_db);

    let key = generate_key(&mut rand_core::OsRng, ORIGIN).expect("generate key");
    let storage = SqliteStorage::open(&log_db, true).expect("open log database");
    let mut seq = Sequencer::create(storage, ORIGIN, &key.signer).expect("create log");
    let log_append = run_batches(n, batch, |first, entries| {
        let ack = seq.append(entries).expect("append");
        assert_eq!(ack.first_index, first);
    });
    let log_bytes = checkpointed_size(&log_db);
    let size = seq.size();
    assert_eq!(size, n);

    // Breakdown: the log core's work alone (hashing, bundles, tiles, signing; no storage), then
    // the whole sequencer on the in-memory backend (no SQLite, no fsync).
    let signer = parse_signer(&key.signer).expect("signer");
    let mut edge = Edge::empty();
    let core_append = run_batches(n, batch, |_, entries| {
        std::hint::black_box(edge.append(entries.iter().copied()).expect("append"));
        std::hint::black_box(sign_checkpoint(&signer, ORIGIN, edge.size(), edge.root()))
            .expect("sign");
    });
    drop(edge);
    let mut mem = Sequencer::create(MemStorage::new(), ORIGIN, &key.signer).expect("create");
    let mem_append = run_batches(n, batch, |_, entries| {
        mem.append(entries).expect("append");
    });

    // 2. Inclusion proof of a random index of the whole log, from storage through the reader
    // (which also reads and verifies the latest checkpoint), and through the sequencer's edge.
    let root = seq.checkpoint().root;
    let mut rng = XorShift(0x5EED_7A0C_E5E0_0001);
    let indices: Vec<u64> = (0..WARMUP + PROOFS).map(|_| rng.below(size)).collect();
    let reader_proofs = sample(&indices, |i| {
        seq.reader().prove_inclusion(i, size).expect("prove")
    });
    let seq_proofs = sample(&indices, |i| seq.prove_inclusion(i, size).expect("prove"));
    let mem_proofs = sample(&indices, |i| mem.prove_inclusion(i, size).expect("prove"));
    drop(mem);
    for &i in indices.iter().step_by(37) {
        let p = seq.reader().prove_inclusion(i, size).expect("prove");
        verify_inclusion(&p, size, root, i, &entry(i)).expect("proof verifies");
    }
    let plain_reads = {
        let mut st = plain
            .prepare_cached("SELECT data FROM t WHERE id = ?1")
            .expect("prepare select");
        sample(&indices, |i| {
            st.query_row([i as i64], |r| r.get::<_, Vec<u8>>(0))
                .optional()
                .expect("select")
                .expect("row present")
        })
    };

    // 3. One entry appended, fsynced and acknowledged, with its inclusion proof; interleaved
    // with the baseline's single-row commits so both see the same disk.
    let singles: Vec<u64> = (size..size + (WARMUP + SINGLES) as u64).collect();
    let mut acks = Vec::with_capacity(singles.len());
    let (log_single, plain_single) = sample_pair(
        &singles,
        |i| {
            let e = entry(i);
            let ack = seq.append(&[e.as_slice()]).expect("append");
            let proof = seq
                .prove_inclusion(ack.first_index, ack.checkpoint.size)
                .expect("prove");
            acks.push((ack, proof));
        },
        |i| {
            let tx = plain
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .expect("begin");
            tx.prepare_cached("INSERT INTO t(id, data) VALUES (?1, ?2)")
                .and_then(|mut st| st.execute(params![i as i64, entry(i)]))
                .expect("insert");
            tx.commit().expect("commit");
        },
    );
    for (ack, proof) in &acks {
        let cp = &ack.checkpoint;
        verify_inclusion(
            proof,
            cp.size,
            cp.root,
            ack.first_index,
            &entry(ack.first_index),
        )
        .expect("proof verifies");
    }

    // Report.
    let log_rate = n as f64 / log_append.total.as_secs_f64();
    let plain_rate = n as f64 / plain_append.total.as_secs_f64();
    let mem_rate = n as f64 / mem_append.total.as_secs_f64();
    let core_rate = n as f64 / core_append.total.as_secs_f64();
    let log_bpe = log_bytes as f64 / n as f64;
    let plain_bpe = plain_bytes as f64 / n as f64;
    let rows = [
        Row {
            figure: format!(
                "1. append {} x {ENTRY_LEN} B, batches of {}",
                group(n),
                group(batch)
            ),
            value: format!("{} entries/s", group(log_rate as u64)),
            baseline: format!("{} rows/s", group(plain_rate as u64)),
            ratio: log_rate / plain_rate,
        },
        Row {
            figure: "1. bytes stored per entry (db + wal)".into(),
            value: format!("{log_bpe:.1} B"),
            baseline: format!("{plain_bpe:.1} B"),
            ratio: log_bpe / plain_bpe,
        },
        Row {
            figure: format!("2. inclusion proof, random index of {}", group(size)),
            value: fmt_dur(reader_proofs.median()),
            baseline: fmt_dur(plain_reads.median()),
            ratio: ratio(reader_proofs.median(), plain_reads.median()),
        },
        Row {
            figure: "2. same, via the sequencer's edge".into(),
            value: fmt_dur(seq_proofs.median()),
            baseline: fmt_dur(plain_reads.median()),
            ratio: ratio(seq_proofs.median(), plain_reads.median()),
        },
        Row {
            figure: "3. append 1 entry + proof, fsync, median".into(),
            value: fmt_dur(log_single.median()),
            baseline: fmt_dur(plain_single.median()),
            ratio: ratio(log_single.median(), plain_single.median()),
        },
    ];
    print_table(&rows);
    println!();
    println!(
        "baselines, on a plain table t(id INTEGER PRIMARY KEY, data BLOB) with the log's pragmas:"
    );
    println!(
        "  1. the same rows inserted in the same number of transactions (ratio > 1: log faster)"
    );
    println!("     bytes: file sizes of db + wal after PRAGMA wal_checkpoint(TRUNCATE) from a second connection");
    println!("  2. one SELECT of a random row by id, the same indices (ratio: how many reads a proof costs)");
    println!(
        "     proof via the reader: reads and verifies the latest checkpoint, then reads tiles"
    );
    println!("  3. one INSERT in its own fsynced transaction (ratio: how many plain commits an append costs)");
    println!();
    println!("details:");
    println!(
        "  1. log {:.2} s total, batch median {} max {}; plain {:.2} s, batch median {} max {}",
        log_append.total.as_secs_f64(),
        fmt_dur(log_append.batches.median()),
        fmt_dur(log_append.batches.max()),
        plain_append.total.as_secs_f64(),
        fmt_dur(plain_append.batches.median()),
        fmt_dur(plain_append.batches.max()),
    );
    println!(
        "     log core alone (Edge::append + signing, no storage): {} entries/s, {:.0}% of the log's time",
        group(core_rate as u64),
        100.0 * core_append.total.as_secs_f64() / log_append.total.as_secs_f64()
    );
    println!(
        "     sequencer on the in-memory backend (no SQLite, no fsync): {} entries/s",
        group(mem_rate as u64),
    );
    println!(
        "     stored: log {} B, plain {} B",
        group(log_bytes),
        group(plain_bytes)
    );
    for (name, s) in [
        ("2. proof (reader)", &reader_proofs),
        ("2. proof (edge)  ", &seq_proofs),
        ("2. proof (memory)", &mem_proofs),
        ("2. plain SELECT  ", &plain_reads),
        ("3. log append    ", &log_single),
        ("3. plain INSERT  ", &plain_single),
    ] {
        println!(
            "  {name} n={} median {} p90 {} p99 {} max {}",
            s.0.len(),
            fmt_dur(s.median()),
            fmt_dur(s.pct(90)),
            fmt_dur(s.pct(99)),
            fmt_dur(s.max()),
        );
    }
    println!();
    println!(
        "target: append >= {} entries/s: {}",
        group(TARGET_ENTRIES_PER_SEC as u64),
        if log_rate >= TARGET_ENTRIES_PER_SEC {
            "met"
        } else {
            "NOT MET"
        }
    );
    drop(seq);
    drop(plain);
    dir.close().expect("remove the benchmark directory");
}

/// A deterministic JSON line of exactly `ENTRY_LEN` bytes.
fn entry(i: u64) -> Vec<u8> {
    let mut s = format!("{{\"i\":{i},\"pad\":\"");
    let pad = ENTRY_LEN - s.len() - 2;
    s.extend(std::iter::repeat_n('x', pad));
    s.push_str("\"}");
    debug_assert_eq!(s.len(), ENTRY_LEN);
    s.into_bytes()
}

/// Total time of a batched load, and each batch's time.
struct BatchRun {
    total: Duration,
    batches: Samples,
}

/// Feeds `n` entries to `f` in batches `(first index, entries)`, timing only the calls to `f`
/// (entries are generated outside the timed region).
fn run_batches(n: u64, batch: u64, mut f: impl FnMut(u64, &[&[u8]])) -> BatchRun {
    let mut times = Vec::with_capacity(n.div_ceil(batch) as usize);
    let mut first = 0;
    while first < n {
        let end = (first + batch).min(n);
        let owned: Vec<Vec<u8>> = (first..end).map(entry).collect();
        let refs: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        let t = Instant::now();
        f(first, &refs);
        times.push(t.elapsed());
        first = end;
    }
    BatchRun {
        total: times.iter().sum(),
        batches: Samples(times),
    }
}

/// Times `f` once per input; the first `WARMUP` calls are not kept.
fn sample<T>(inputs: &[u64], mut f: impl FnMut(u64) -> T) -> Samples {
    let mut times = Vec::with_capacity(inputs.len());
    for &i in inputs {
        let t = Instant::now();
        std::hint::black_box(f(i));
        times.push(t.elapsed());
    }
    Samples(times.split_off(WARMUP.min(times.len())))
}

/// Like [`sample`] for two operations, interleaved (alternating which goes first), so slow
/// drifts of the machine or the disk affect both alike.
fn sample_pair(
    inputs: &[u64],
    mut f: impl FnMut(u64),
    mut g: impl FnMut(u64),
) -> (Samples, Samples) {
    let (mut tf, mut tg) = (Vec::new(), Vec::new());
    for (k, &i) in inputs.iter().enumerate() {
        for first in [k % 2 == 0, k % 2 != 0] {
            let t = Instant::now();
            if first {
                f(i);
                tf.push(t.elapsed());
            } else {
                g(i);
                tg.push(t.elapsed());
            }
        }
    }
    let skip = WARMUP.min(inputs.len());
    (Samples(tf.split_off(skip)), Samples(tg.split_off(skip)))
}

struct Samples(Vec<Duration>);

impl Samples {
    fn sorted(&self) -> Vec<Duration> {
        let mut v = self.0.clone();
        v.sort();
        v
    }

    /// The `p`-th percentile (nearest rank); `pct(50)` is the median.
    fn pct(&self, p: usize) -> Duration {
        let v = self.sorted();
        let rank = (p * v.len()).div_ceil(100).clamp(1, v.len());
        v[rank - 1]
    }

    fn median(&self) -> Duration {
        self.pct(50)
    }

    fn max(&self) -> Duration {
        self.0.iter().copied().max().unwrap_or_default()
    }
}

/// With `TRUCE_BENCH_PAGE_SIZE`, creates the empty database file with that page size (it cannot
/// change once the file is in WAL mode), so both databases can be tried with another page size
/// without touching `SqliteStorage`.
fn precreate(path: &Path, page_size: Option<u64>) {
    if let Some(p) = page_size {
        Connection::open(path)
            .and_then(|c| {
                c.execute_batch(&format!("PRAGMA page_size={p}; PRAGMA journal_mode=WAL;"))
            })
            .expect("pre-create database");
    }
}

/// The plain baseline database, with the pragmas `SqliteStorage::open` sets.
fn open_plain(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open baseline database");
    conn.execute_batch(
        "PRAGMA journal_mode=WAL;
         PRAGMA synchronous=FULL;
         PRAGMA cache_size=-32768;
         CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, data BLOB NOT NULL);",
    )
    .expect("set up baseline database");
    conn
}

/// Bytes of `db` and its WAL after a full, truncating checkpoint from a second connection.
fn checkpointed_size(db: &Path) -> u64 {
    let conn = Connection::open(db).expect("open for checkpoint");
    let (busy, _, _): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("checkpoint");
    assert_eq!(
        busy,
        0,
        "wal_checkpoint(TRUNCATE) of {} was blocked",
        db.display()
    );
    drop(conn);
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    len(db) + len(Path::new(&wal))
}

/// xorshift64*: deterministic, good enough to spread indices.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

struct Row {
    figure: String,
    value: String,
    baseline: String,
    ratio: f64,
}

fn print_table(rows: &[Row]) {
    let w = |f: fn(&Row) -> &str, head: &str| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .fold(head.len(), usize::max)
    };
    let (wf, wv, wb) = (
        w(|r| &r.figure, "figure"),
        w(|r| &r.value, "value"),
        w(|r| &r.baseline, "baseline"),
    );
    println!(
        "{:<wf$}  {:>wv$}  {:>wb$}  {:>7}",
        "figure", "value", "baseline", "ratio"
    );
    println!("{}", "-".repeat(wf + wv + wb + 13));
    for r in rows {
        println!(
            "{:<wf$}  {:>wv$}  {:>wb$}  {:>6.2}x",
            r.figure, r.value, r.baseline, r.ratio
        );
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn fmt_dur(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (k, c) in s.chars().enumerate() {
        if k > 0 && (s.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a whole number")),
        Err(_) => default,
    }
}

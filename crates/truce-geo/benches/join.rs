//! Spatial-join benchmark (`cargo bench -p truce-geo --bench join`): `truce_geo::dwithin_join` of
//! incidents against sites within `d` metres, on the CSVs that `bench/spatial/gen.py` writes.
//! `bench/spatial.sh` runs it next to DuckDB, shapely and PostGIS on the same data and compares
//! the pair sets (see `bench/spatial/README.md`).
//!
//! A self-contained harness (no criterion). Reading the CSVs is not timed; each run times only
//! the call to `dwithin_join` (which builds its index, joins on all cores and sorts the pairs),
//! and the best of the runs is reported.
//!
//! Environment:
//! - `TRUCE_BENCH_SPATIAL_DIR`: directory (absolute: cargo runs benches in the crate directory)
//!   with `incidents.csv` and `sites.csv` (`id,lon,lat`, ids the 0-based row numbers); default
//!   `target/bench-spatial/1000000x100000` in the workspace, where `bench/spatial.sh` puts the
//!   full-size data. When it has no data the bench says so and exits 0, so a plain
//!   `cargo bench` still passes.
//! - `TRUCE_BENCH_SPATIAL_OUT`: where to write the pairs (default `<dir>/pairs-truce.bin`): sorted
//!   `(incident, site)` pairs as little-endian u32, 8 bytes a pair, the peers' format.
//! - `TRUCE_BENCH_SPATIAL_D`: distance in metres (default 5000).
//! - `TRUCE_BENCH_REPS`: timed runs (default 3).
//!
//! Prints one JSON line on stdout:
//! `{"engine":"truce","seconds":<best>,"pairs":<n>,"runs":[..],"threads":<n>,...}`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let dir = std::env::var_os("TRUCE_BENCH_SPATIAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-spatial/1000000x100000")
        });
    let inc_path = dir.join("incidents.csv");
    let site_path = dir.join("sites.csv");
    if !inc_path.exists() || !site_path.exists() {
        eprintln!(
            "join bench: no data in {} (run bench/spatial.sh, or bench/spatial/gen.py --out DIR \
             and set TRUCE_BENCH_SPATIAL_DIR=DIR); skipped",
            dir.display()
        );
        return;
    }
    let out_path = std::env::var_os("TRUCE_BENCH_SPATIAL_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("pairs-truce.bin"));
    let d: f64 = env_parse("TRUCE_BENCH_SPATIAL_D", 5000.0);
    let reps: usize = env_parse("TRUCE_BENCH_REPS", 3usize).max(1);

    let t = Instant::now();
    let incidents = read_points(&inc_path);
    let sites = read_points(&site_path);
    let load_s = t.elapsed().as_secs_f64();
    eprintln!(
        "join bench: {} incidents, {} sites, d = {d} m, loaded in {load_s:.2} s; {reps} runs",
        incidents.len(),
        sites.len()
    );

    let mut runs = Vec::with_capacity(reps);
    let mut pairs = Vec::new();
    for r in 0..reps {
        drop(std::mem::take(&mut pairs));
        let t = Instant::now();
        pairs = truce_geo::dwithin_join(&incidents, &sites, d);
        let s = t.elapsed().as_secs_f64();
        eprintln!("join bench: run {}: {s:.3} s, {} pairs", r + 1, pairs.len());
        runs.push(s);
    }
    let best = runs.iter().copied().fold(f64::INFINITY, f64::min);

    assert!(
        pairs.windows(2).all(|w| w[0] < w[1]),
        "dwithin_join: pairs not sorted and distinct"
    );
    let mut bytes = Vec::with_capacity(pairs.len() * 8);
    for &(i, j) in &pairs {
        bytes.extend_from_slice(&i.to_le_bytes());
        bytes.extend_from_slice(&j.to_le_bytes());
    }
    std::fs::write(&out_path, &bytes)
        .unwrap_or_else(|e| panic!("write {}: {e}", out_path.display()));

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runs_json: Vec<String> = runs.iter().map(|s| format!("{s:.4}")).collect();
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{{\"engine\":\"truce\",\"seconds\":{best:.4},\"pairs\":{},\"runs\":[{}],\"threads\":{threads},\
         \"incidents\":{},\"sites\":{},\"d_m\":{d},\"load_seconds\":{load_s:.3},\"out\":\"{}\"}}",
        pairs.len(),
        runs_json.join(","),
        incidents.len(),
        sites.len(),
        out_path.display()
    )
    .expect("stdout");
}

/// `[lon, lat]` rows of an `id,lon,lat` CSV; the ids must be the row numbers, so that indexes
/// into the returned vector are the ids.
fn read_points(path: &Path) -> Vec<[f64; 2]> {
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    while rd
        .read_record(&mut rec)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    {
        let field = |k: usize| {
            rec.get(k)
                .unwrap_or_else(|| panic!("{}: short row {}", path.display(), out.len() + 1))
        };
        let id: usize = field(0).parse().expect("id");
        assert_eq!(
            id,
            out.len(),
            "{}: ids must be the row numbers",
            path.display()
        );
        let lon: f64 = field(1).parse().expect("lon");
        let lat: f64 = field(2).parse().expect("lat");
        out.push([lon, lat]);
    }
    out
}

fn env_parse<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}: cannot parse {v:?}")),
        _ => default,
    }
}

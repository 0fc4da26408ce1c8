//! The floor for reading an AIS CSV file: a plain `csv` crate `ByteRecord` scan of it (every field's
//! length touched, nothing parsed), for `bench/ais-ingest.sh` to set `truce ingest` beside.
//!
//! `cargo run --release -p truce --example ais_csv_scan -- FILE` prints `rows <n> seconds <s>`.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: ais_csv_scan FILE (a CSV file with a header line)")?;
    let t = Instant::now();
    let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let mut rec = csv::ByteRecord::new();
    let (mut rows, mut bytes) = (0u64, 0usize);
    while rdr.read_byte_record(&mut rec)? {
        rows += 1;
        bytes += rec.iter().map(<[u8]>::len).sum::<usize>();
    }
    let s = t.elapsed().as_secs_f64();
    println!("rows {rows} seconds {s:.3} field_bytes {bytes}");
    Ok(())
}

//! Rows per second of the AIS CSV reader on synthetic Danish Maritime Authority rows (made here in
//! memory: clearly synthetic MMSIs, names and positions), next to a plain `csv` crate
//! `ByteRecord` scan of the same bytes (the floor any CSV reader built on it pays).
//!
//! `cargo run --release -p truce-ais --example csv_rate -- [rows]` (default 1,000,000).

use std::time::Instant;

use truce_ais::csv::{read, DMA_HEADER};
use truce_ais::fix::Item;

fn synthetic_dma(rows: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows * 200 + 300);
    out.extend_from_slice(DMA_HEADER.as_bytes());
    out.push(b'\n');
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let ship_types = [
        "Cargo",
        "Tanker",
        "Passenger",
        "Fishing",
        "Undefined",
        "Pleasure",
    ];
    for i in 0..rows {
        let vessel = next() % 5_000;
        let (h, m, s) = (i / 460_000 % 24, i / 7_700 % 60, i / 128 % 60);
        let lat = 54.0 + (next() % 4_000_000) as f64 / 1_000_000.0;
        let lon = 8.0 + (next() % 7_000_000) as f64 / 1_000_000.0;
        let sog = (next() % 250) as f64 / 10.0;
        let cog = (next() % 3_600) as f64 / 10.0;
        let line = if vessel % 10 < 7 {
            // Class A with static columns, as most DMA rows.
            format!(
                "01/03/2024 {h:02}:{m:02}:{s:02},Class A,{mmsi},{lat:.6},{lon:.6},Under way using engine,0.0,{sog:.1},{cog:.1},{hdg},{imo},SYN{vessel:04},SYNTHETIC VESSEL {vessel},{ship},,20,120,GPS,7.5,SYNTHETIC PORT,02/03/2024 06:00:00,AIS,60,60,10,10\n",
                mmsi = 990_000_000 + vessel,
                hdg = next() % 360,
                imo = 9_000_000 + vessel,
                ship = ship_types[(vessel % 6) as usize],
            )
        } else {
            format!(
                "01/03/2024 {h:02}:{m:02}:{s:02},Class B,{mmsi},{lat:.6},{lon:.6},Unknown value,,{sog:.1},{cog:.1},,Unknown,,,Undefined,,,,Undefined,,,,AIS,,,,\n",
                mmsi = 990_000_000 + vessel,
            )
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let input = synthetic_dma(rows);
    println!(
        "{rows} synthetic DMA rows, {:.1} MB in memory",
        input.len() as f64 / 1e6
    );

    // Plain csv ByteRecord scan (touching every field's length so it is not optimised away).
    let t = Instant::now();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&input[..]);
    let mut rec = csv::ByteRecord::new();
    let (mut scanned, mut bytes) = (0usize, 0usize);
    while rdr.read_byte_record(&mut rec).unwrap_or(false) {
        scanned += 1;
        bytes += rec.iter().map(<[u8]>::len).sum::<usize>();
    }
    let plain = t.elapsed().as_secs_f64();

    // The AIS reader: fixes and static records.
    let t = Instant::now();
    let (mut fixes, mut statics, mut raw_bytes) = (0usize, 0usize, 0usize);
    let summary = read(&input[..], |r| {
        raw_bytes += r.raw.len();
        match r.item {
            Item::Fix(_) => fixes += 1,
            Item::Static(_) => statics += 1,
            _ => {}
        }
    });
    let ours = t.elapsed().as_secs_f64();
    let summary = match summary {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    assert_eq!(summary.refused, 0, "{summary:?}");
    assert_eq!(fixes, rows);

    println!(
        "csv ByteRecord scan: {scanned} rows in {plain:.3} s = {:.0} rows/s ({bytes} field bytes)",
        scanned as f64 / plain
    );
    println!(
        "truce-ais csv::read: {rows} rows in {ours:.3} s = {:.0} rows/s ({fixes} fixes, {statics} static records, {raw_bytes} raw bytes)",
        rows as f64 / ours
    );
}

//! How long `views.db` takes to store background detections: N rows (default 1,000,000) written
//! with `ViewStore::replace_bulk` (one transaction, one prepared statement, the order index built
//! afterwards), then counted, counted per day and streamed back. Not a test: a figure to keep an
//! eye on (aim: 1,000,000 rows stored in at most 2 s on a release build).
//!
//! `cargo run --release -p truce-views --example background_insert [-- ROWS]`

use std::time::Instant;
use truce_views::db::{BackgroundFilter, BackgroundRow, ViewStamp, ViewStore};

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("views.db");
    let mut views = ViewStore::open(&path).expect("views.db");
    let stamp = ViewStamp {
        log_size: n,
        root: "bench".into(),
        rules: "bench".into(),
    };
    // Rows shaped like FIRMS detections over Ukraine across a year, 1 in 10 routine.
    let t = Instant::now();
    let rows: Vec<BackgroundRow> = (0..n)
        .map(|k| {
            let day = 1 + (k * 365 / n.max(1));
            let date = format!(
                "2025-{:02}-{:02}",
                1 + (day - 1) / 31 % 12,
                1 + (day - 1) % 28
            );
            let start = format!("{date}T{:02}:{:02}:00Z", k % 24, k % 60);
            BackgroundRow {
                entry_index: 1000 + k,
                entry_id: format!("{:064x}", k.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                author: "firms".into(),
                role: "open-data".into(),
                id: format!("firms-{k}"),
                act: "fire-observed".into(),
                start: start.clone(),
                end: start,
                day: date,
                lon: 22.0 + (k % 19_000) as f64 * 0.001,
                lat: 44.0 + (k % 9_000) as f64 * 0.001,
                uncertainty_m: 375,
                side: "sensor:firms".into(),
                routine: (k % 10 == 0).then(|| "hot spot 7 (gas flare)".to_string()),
                perpetrator: None,
                relays: None,
            }
        })
        .collect();
    let made = t.elapsed().as_secs_f64();
    let t = Instant::now();
    views
        .replace_bulk(
            &stamp,
            [],
            [],
            rows.iter()
                .map(|r| r.entry().expect("a row that reads back as itself")),
            &[],
        )
        .expect("stored");
    let stored = t.elapsed().as_secs_f64();
    let all = BackgroundFilter::default();
    let t = Instant::now();
    let count = views.background_count(&all).expect("count");
    let counted = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let days = views.background_by_day(&all).expect("by day").len();
    let by_day = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut streamed = 0u64;
    views
        .each_background(&all, |_| streamed += 1)
        .expect("streamed");
    let stream = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "{n} rows (made in {made:.2} s): stored in {stored:.2} s ({:.0} rows/s), views.db {:.1} MB ({:.0} B/row); count {count} in {counted:.3} s; {days} days counted in {by_day:.3} s; {streamed} streamed in {stream:.2} s",
        n as f64 / stored,
        size as f64 / 1e6,
        size as f64 / n.max(1) as f64,
    );
}

//! Replays the entry bundles of a static mirror (`truce log export-tiles DIR`) into a ledger and
//! prints how long it took and how much memory the process holds after it: the model's replay
//! alone, without SQLite or the engine.
//!
//! `cargo run --release -p truce-model --example replay_mirror -- DIR [DECODERS]`

use std::time::Instant;
use truce_model::{Applied, Ledger};

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: replay_mirror DIR [DECODERS]")?);
    let decoders = match args.next() {
        Some(n) => n.parse()?,
        None => truce_model::replay::decoders(),
    };
    // Bundles are tile/entries/x001/x234/567 (and a partial one with `.p/W`): read them in order.
    let mut bundles: Vec<(u64, std::path::PathBuf)> = Vec::new();
    fn walk(d: &std::path::Path, out: &mut Vec<(u64, std::path::PathBuf)>) -> std::io::Result<()> {
        for e in std::fs::read_dir(d)? {
            let p = e?.path();
            if p.is_dir() && !p.to_string_lossy().ends_with(".p") {
                walk(&p, out)?;
            } else if p.is_file() {
                let rel: String = p
                    .to_string_lossy()
                    .split("tile/entries/")
                    .nth(1)
                    .unwrap_or_default()
                    .replace(['x', '/'], "");
                if let Ok(n) = rel.parse() {
                    out.push((n, p));
                }
            }
        }
        Ok(())
    }
    walk(&dir.join("tile/entries"), &mut bundles)?;
    bundles.sort();
    let before = rss_kb();
    let t = Instant::now();
    let mut ledger = Ledger::new();
    let mut refused = 0u64;
    let n = truce_model::replay::replay(
        &mut ledger,
        decoders,
        |sink| -> std::io::Result<u64> {
            let mut i = 0u64;
            for (_, p) in &bundles {
                let b = std::fs::read(p)?;
                let mut at = 0usize;
                while at + 2 <= b.len() {
                    let len = usize::from(u16::from_be_bytes([b[at], b[at + 1]]));
                    sink(i, &b[at + 2..at + 2 + len]);
                    at += 2 + len;
                    i += 1;
                }
            }
            Ok(i)
        },
        |_, a| {
            if matches!(a, Applied::Refused(_)) {
                refused += 1
            }
        },
    )?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "replayed {n} entries ({} reports, {refused} refused) in {secs:.2} s with {decoders} decoders; RSS {} MB -> {} MB",
        ledger.reports.len(),
        before / 1024,
        rss_kb() / 1024
    );
    Ok(())
}

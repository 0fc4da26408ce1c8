//! Times a line version filed in parts: a wiggly line of N vertices (default 100,000, the most a
//! version may hold) split into a head and its parts, signed, and applied to a ledger entry by
//! entry (admission as a submission checks it, then the replay's `apply`), against the baseline
//! of the same number of positions filed as single-entry versions of at most 2,000 vertices.
//!
//! `cargo run --release -p truce-model --example lines_parts_bench -- [N]`

use serde_json::json;
use std::time::Instant;
use truce_model::domain::{Id, PartyRegistration, Role};
use truce_model::entry::{entry_id, sign, Body};
use truce_model::lines::{self, LineVersion};
use truce_model::{Applied, Ledger, Time};

fn line(id: &str, n: usize, from: usize) -> LineVersion {
    let coords: Vec<[f64; 2]> = (from..from + n)
        .map(|i| {
            let x = i as f64;
            [
                20.0 + x * 0.000_2,
                48.0 + 0.05 * (x / 300.0).sin() + 0.001 * (x / 7.0).cos(),
            ]
        })
        .collect();
    serde_json::from_value(json!({
        "id": id, "title": "Line of contact", "kind": "contact",
        "geometry": {"type": "LineString", "coordinates": coords},
        "valid_from": "2025-03-18T00:00:00Z",
    }))
    .expect("a valid line")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => lines::MAX_VERTICES,
    };
    let t = Time::parse("2025-03-18T12:00:00Z")?;
    let op = truce_log::generate_key(&mut rand_core::OsRng, "op")?;
    let ua = truce_log::generate_key(&mut rand_core::OsRng, "ua")?;
    let (op_s, ua_s) = (
        truce_log::parse_signer(&op.signer)?,
        truce_log::parse_signer(&ua.signer)?,
    );
    let reg = |p: &str, role, k: &truce_log::KeyPair| {
        Body::PartyRegister(PartyRegistration {
            id: Id::new(p).expect("id"),
            name: p.to_uppercase(),
            role,
            keys: vec![k.verifier.clone()],
        })
    };
    let op_id = Id::new("op")?;
    let ua_id = Id::new("ua")?;
    let genesis = [
        sign(&op_id, t, &reg("op", Role::Operator, &op), &op_s)?.bytes,
        sign(&op_id, t, &reg("ua", Role::Belligerent, &ua), &op_s)?.bytes,
    ];

    let v = line("loc", n, 0);
    let started = Instant::now();
    let (head, mut parts) =
        lines::split(&v, lines::PART_BODY_BYTES)?.ok_or("the line fits one entry")?;
    let split_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let h = sign(&ua_id, t, &Body::LineHead(head), &ua_s)?.bytes;
    lines::bind(&mut parts, &entry_id(&h));
    let mut entries = vec![h];
    for p in parts {
        entries.push(sign(&ua_id, t, &Body::LinePart(p), &ua_s)?.bytes);
    }
    let sign_ms = started.elapsed().as_secs_f64() * 1e3;
    let bytes: usize = entries.iter().map(Vec::len).sum();

    // Submission: each entry admitted (signature, rules, the assembled shape at the last part)
    // and applied, as `submit` does.
    let mut ledger = Ledger::new();
    for (i, e) in genesis.iter().enumerate() {
        ledger.apply(i as u64, e);
    }
    let base = ledger.clone();
    let started = Instant::now();
    for (i, e) in entries.iter().enumerate() {
        ledger.admit(e).map_err(|r| format!("entry {i}: {r}"))?;
        ledger.apply(2 + i as u64, e);
    }
    let submit_ms = started.elapsed().as_secs_f64() * 1e3;
    assert_eq!(ledger.lines().next().map(|r| r.value.vertices()), Some(n));

    // Replay: apply only.
    let mut replayed = base.clone();
    let started = Instant::now();
    for (i, e) in entries.iter().enumerate() {
        if let Applied::Refused(r) = replayed.apply(2 + i as u64, e) {
            return Err(format!("entry {i} refused on replay: {r}").into());
        }
    }
    let replay_ms = started.elapsed().as_secs_f64() * 1e3;

    // Baseline: the same positions as single-entry versions of 2,000 vertices.
    let chunk = 2_000;
    let small: Vec<Vec<u8>> = (0..n.div_ceil(chunk))
        .map(|k| {
            let m = chunk.min(n - k * chunk);
            let l = line(&format!("s{k}"), m.max(2), k * chunk);
            sign(&ua_id, t, &Body::Line(l), &ua_s).map(|e| e.bytes)
        })
        .collect::<Result<_, _>>()?;
    let mut baseline = base.clone();
    let started = Instant::now();
    for (i, e) in small.iter().enumerate() {
        baseline.apply(2 + i as u64, e);
    }
    let baseline_ms = started.elapsed().as_secs_f64() * 1e3;

    println!("line of {n} vertices filed in parts");
    println!(
        "  {} entries (head + {} parts), {bytes} bytes, largest {} bytes",
        entries.len(),
        entries.len() - 1,
        entries.iter().map(Vec::len).max().unwrap_or(0)
    );
    println!("  split {split_ms:.1} ms, sign {sign_ms:.1} ms");
    println!("  admit + apply (submission) {submit_ms:.1} ms");
    println!("  apply (replay) {replay_ms:.1} ms");
    println!(
        "  baseline: {} single-entry versions of <= {chunk} vertices applied in {baseline_ms:.1} ms; replay / baseline = {:.2}",
        small.len(),
        replay_ms / baseline_ms
    );
    Ok(())
}

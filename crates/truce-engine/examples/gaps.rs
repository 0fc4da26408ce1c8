//! The cost of deriving AIS gaps (`truce_engine::gaps`) on a large AIS log, next to the cost of
//! gathering the maritime data it rides with (`input::Maritime::of`, what a change of tracks
//! already pays). Synthetic, deterministic: VESSELS vessels (default 5,000) over 48 hours, one
//! segment per vessel-hour with a fix every two minutes, steaming east at about 10 knots over the
//! Black Sea; one vessel in three goes dark for 14 hours. One ingest states the Black Sea as its
//! reception area; 50 ports are listed.
//!
//! `cargo run --release -p truce-engine --example gaps [VESSELS]`.

use std::time::Instant;

use truce_log::{generate_key, parse_signer};
use truce_model::domain::{Id, Manifest, PartyRegistration, Role, Zone};
use truce_model::entry::{record, sign, Body};
use truce_model::geo::{Point, Polygon};
use truce_model::{Ledger, Time};

fn main() {
    let vessels: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000);
    let h0: i64 = 1_743_465_600;
    let t = Time::parse("2025-04-05T00:00:00Z").unwrap();
    let id = |s: &str| Id::new(s).unwrap();
    let op = generate_key(&mut rand_core::OsRng, "operator").unwrap();
    let dma = generate_key(&mut rand_core::OsRng, "dma").unwrap();
    let signed = |k: &truce_log::KeyPair, who: &str, b: &Body| {
        sign(&id(who), t, b, &parse_signer(&k.signer).unwrap())
            .unwrap()
            .bytes
    };
    let mut l = Ledger::new();
    let apply = |l: &mut Ledger, e: &[u8]| {
        let i = l.size;
        l.apply(i, e);
    };
    for (who, k, role) in [
        ("operator", &op, Role::Operator),
        ("dma", &dma, Role::OpenData),
    ] {
        let b = Body::PartyRegister(PartyRegistration {
            id: id(who),
            name: who.into(),
            role,
            keys: vec![k.verifier.clone()],
        });
        apply(&mut l, &signed(&op, "operator", &b));
    }
    for k in 0..50 {
        let b: Body = Body::parse(
            truce_model::Kind::Site,
            serde_json::json!({"id": format!("port-{k}"), "name": "port", "category": "transport.port",
                "geometry": {"type": "Point", "coordinates": [28.5 + 0.2 * f64::from(k), 41.2]}}),
        )
        .unwrap();
        apply(&mut l, &signed(&dma, "dma", &b));
    }
    let t0 = Instant::now();
    let mut records = Vec::new();
    for v in 0..vessels {
        let mmsi = 200_000_000 + v;
        let lat = 41.5 + 5.0 * f64::from(v) / f64::from(vessels);
        let dark = v % 3 == 0;
        for h in 0..48i64 {
            if dark && (10..24).contains(&h) {
                continue;
            }
            let points: Vec<i64> = (0..30i64)
                .flat_map(|m| {
                    let x = 29.0 + 0.005 * (h * 30 + m) as f64 / 1.5;
                    [
                        m * 120_000,
                        (x * 1e6).round() as i64,
                        (lat * 1e6).round() as i64,
                    ]
                })
                .collect();
            let b = Body::parse(
                truce_model::Kind::Track,
                serde_json::json!({"fixes": 30, "flags": {}, "hour": h0 + h * 3600, "line_first": 1,
                    "line_last": 30, "mmsi": mmsi, "part": 0, "points": points,
                    "sha256": format!("{:064x}", u64::from(mmsi) * 100 + h as u64), "tol_mm": 50000}),
            )
            .unwrap();
            records.push(record(&id("dma"), t, &b).unwrap());
        }
    }
    let pt = |x, y| Point::new(x, y).unwrap();
    let sea = Zone {
        name: "Black Sea".into(),
        polygon: Polygon::new(vec![vec![
            pt(27.0, 40.5),
            pt(42.0, 40.5),
            pt(42.0, 47.5),
            pt(27.0, 47.5),
            pt(27.0, 40.5),
        ]])
        .unwrap(),
    };
    // One manifest per 60,000 records (a commit's worth), each stating the area.
    for chunk in records.chunks(60_000) {
        let root = truce_log::merkle_root(chunk.iter().map(Vec::as_slice));
        let m = Body::Manifest(Manifest {
            format: truce_model::ais::TRACK_FORMAT.into(),
            source: "synthetic".into(),
            count: chunk.len() as u64,
            root: root.to_string(),
            reception: Some(sea.clone()),
        });
        apply(&mut l, &signed(&dma, "dma", &m));
        for r in chunk {
            apply(&mut l, r);
        }
    }
    println!(
        "log: {} segments, {} points, {} coverages ({:.1} s to build)",
        l.tracks.len(),
        l.tracks.points(),
        l.ais_coverage().len(),
        t0.elapsed().as_secs_f64()
    );
    let t1 = Instant::now();
    let g = truce_engine::gaps::of_ledger(&l);
    let gaps_s = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let m = truce_engine::input::Maritime::of(&l);
    let maritime_s = t2.elapsed().as_secs_f64();
    println!(
        "gaps: {} in {:.3} s; Maritime::of (gaps included): {:.3} s for {} tracks",
        g.len(),
        gaps_s,
        maritime_s,
        m.tracks.len()
    );
}

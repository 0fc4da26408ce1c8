//! AIS tracks and vessels read from a ledger (`truce_views::query::tracks`): a vessel's segments
//! joined in time order over a window, split where it is silent more than an hour, simplified
//! for a zoom, filtered by box and MMSI, bounded; vessels listed with every version of their
//! static data and their track's span, filtered by class and name.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use truce_log::KeyPair;
use truce_model::entry::{record, sign, Body};
use truce_model::{Id, Kind, Ledger, Role, Time};
use truce_views::query::tracks::{
    tracks_geojson, vessel_json, vessels_page_json, TrackQuery, VesselQuery, TRACK_PARAMS,
    VESSEL_PARAMS,
};
use truce_views::query::Params;

/// 2025-04-02T03:00:00Z.
const H: i64 = 1_743_562_800;

fn key(name: &str) -> KeyPair {
    let seed: [u8; 32] = Sha256::digest(format!("ais test {name}").as_bytes()).into();
    truce_log::key_from_seed(name, seed).unwrap()
}

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                s.push(A[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// A segment of `mmsi` in the hour starting `hour`, its points `[dt_ms, lon_e6, lat_e6, …]`.
fn track(mmsi: u32, hour: i64, sha: char, points: &[i64], jumps: u64) -> Body {
    let flags = if jumps > 0 {
        json!({"jumps": jumps, "first_jump_line": 3})
    } else {
        json!({})
    };
    Body::parse(
        Kind::Track,
        json!({
            "fixes": points.len() / 3 + 2, "flags": flags, "hour": hour, "line_first": 2,
            "line_last": 40, "mmsi": mmsi, "part": 0, "points": points,
            "sha256": sha.to_string().repeat(64), "tol_mm": 50000,
        }),
    )
    .unwrap()
}

fn vessel(mmsi: u32, name: &str, ship_type: u8, seen: &str) -> Body {
    Body::Vessel(truce_model::ais::Vessel::new(
        mmsi,
        Some(9_000_001),
        Some(name.into()),
        Some("UABC".into()),
        Some(ship_type),
        Some(Time::parse(seen).unwrap()),
    ))
}

/// A straight run east along 46.3°N: `n` points a minute apart, 0.01° apart, from `lon0`.
fn run(lon0: f64, n: i64) -> Vec<i64> {
    (0..n)
        .flat_map(|i| {
            [
                i * 60_000,
                ((lon0 + 0.01 * i as f64) * 1e6).round() as i64,
                46_300_000,
            ]
        })
        .collect()
}

/// Two vessels: a tanker (219000001) with three segments — 03:00, 04:00 (continuing) and 07:00
/// (after a silence) — renamed at 06:00; a warship (273000002) with one segment at 03:00 off
/// Sevastopol.
fn ledger() -> Ledger {
    let op = key("operator");
    let dma = key("dma");
    let t = Time::parse("2025-04-03T12:00:00Z").unwrap();
    let signed = |k: &KeyPair, author: &str, body: &Body| {
        sign(
            &id(author),
            t,
            body,
            &truce_log::parse_signer(&k.signer).unwrap(),
        )
        .unwrap()
        .bytes
    };
    let register = |party: &str, role: Role, k: &KeyPair| {
        Body::parse(
            Kind::PartyRegister,
            json!({"id": party, "name": party, "role": role, "keys": [k.verifier]}),
        )
        .unwrap()
    };
    let bodies = [
        track(219_000_001, H, 'a', &run(30.85, 60), 0),
        track(219_000_001, H + 3_600, 'b', &run(31.45, 30), 1),
        track(219_000_001, H + 4 * 3_600, 'c', &run(32.0, 10), 0),
        vessel(219_000_001, "ANNA", 80, "2025-04-02T00:00:00Z"),
        vessel(219_000_001, "ANNA MARIA", 80, "2025-04-02T06:00:00Z"),
        track(273_000_002, H, 'd', &[0, 33_400_000, 44_600_000], 0),
        vessel(273_000_002, "WARSHIP", 35, "2025-04-01T00:00:00Z"),
    ];
    let batch: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| record(&id("dma"), t, b).unwrap())
        .collect();
    let root = truce_log::merkle_root(batch.iter().map(Vec::as_slice));
    let manifest = Body::parse(
        Kind::Manifest,
        json!({"format": truce_model::ais::TRACK_FORMAT, "source": "test.csv", "count": batch.len(), "root": b64(&root.0)}),
    )
    .unwrap();
    let mut log = vec![
        signed(&op, "operator", &register("operator", Role::Operator, &op)),
        signed(&op, "operator", &register("dma", Role::OpenData, &dma)),
        signed(&dma, "dma", &manifest),
    ];
    log.extend(batch);
    let mut l = Ledger::new();
    for (i, e) in log.iter().enumerate() {
        let a = l.apply(i as u64, e);
        assert!(format!("{a:?}").contains("Accepted"), "entry {i}: {a:?}");
    }
    assert_eq!(l.tracks.len(), 4);
    l
}

fn q(pairs: &[(&str, &str)]) -> TrackQuery {
    let p = Params::new(
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        TRACK_PARAMS,
    )
    .unwrap();
    TrackQuery::parse(&p).unwrap()
}

fn feature(doc: &Value, mmsi: u32) -> &Value {
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["mmsi"] == mmsi)
        .unwrap_or_else(|| panic!("no feature for {mmsi}: {doc}"))
}

#[test]
fn a_vessels_segments_are_joined_split_at_silences_and_simplified() {
    let l = ledger();
    let doc = tracks_geojson(
        &l,
        &q(&[
            ("from", "2025-04-02T00:00:00Z"),
            ("to", "2025-04-02T12:00:00Z"),
        ]),
        10,
    );
    assert_eq!(doc["type"], "FeatureCollection");
    assert_eq!(doc["vessels"], 2);
    assert_eq!(doc["truncated"], false);
    assert_eq!(doc["log_size"], 10);
    let f = feature(&doc, 219_000_001);
    // 03:00–04:29 joined; 07:00 after a silence of 2.5 h: two pieces.
    assert_eq!(f["geometry"]["type"], "MultiLineString");
    let pieces = f["geometry"]["coordinates"].as_array().unwrap();
    assert_eq!(pieces.len(), 2);
    let p = &f["properties"];
    assert_eq!(p["points_total"], 100);
    assert_eq!(p["points"], 100, "no tolerance: every point");
    assert_eq!(p["first"], "2025-04-02T03:00:00Z");
    assert_eq!(p["last"], "2025-04-02T07:09:00Z");
    assert_eq!(p["segments"]["count"], 3);
    assert_eq!(p["segments"]["first"], 3);
    assert_eq!(p["segments"]["last"], 5);
    assert_eq!(p["flags"]["jumps"], 1);
    // The static data in force at the track's end: renamed at 06:00.
    assert_eq!(p["name"], "ANNA MARIA");
    assert_eq!(p["class"], "commercial");
    assert_eq!(p["ship_type"], 80);
    assert_eq!(pieces[0][0], json!([30.85, 46.3]));
    let w = feature(&doc, 273_000_002);
    assert_eq!(w["geometry"]["type"], "LineString");
    assert_eq!(w["properties"]["class"], "military");

    // Simplified for a zoom: a straight run keeps its ends only.
    let doc = tracks_geojson(
        &l,
        &q(&[
            ("from", "2025-04-02"),
            ("to", "2025-04-02"),
            ("zoom", "8"),
            ("mmsi", "219000001"),
        ]),
        10,
    );
    assert_eq!(doc["features"].as_array().unwrap().len(), 1);
    let p = &feature(&doc, 219_000_001)["properties"];
    assert_eq!(p["points"], 4, "{p}");
    assert_eq!(p["points_total"], 100);
    assert!(doc["tolerance_m"].as_f64().unwrap() > 1000.0);
}

#[test]
fn the_window_box_and_bounds_choose_what_is_drawn() {
    let l = ledger();
    // Around a time: ±30 min of 04:00 holds the first two segments only, clipped to the window.
    let doc = tracks_geojson(
        &l,
        &q(&[
            ("at", "2025-04-02T04:00:00Z"),
            ("hours", "0.5"),
            ("mmsi", "219000001"),
        ]),
        10,
    );
    let f = feature(&doc, 219_000_001);
    assert_eq!(f["geometry"]["type"], "LineString");
    assert_eq!(f["properties"]["points_total"], 60);
    assert_eq!(f["properties"]["segments"]["count"], 2);
    assert_eq!(f["properties"]["first"], "2025-04-02T03:30:00Z");
    assert_eq!(f["properties"]["last"], "2025-04-02T04:29:00Z");
    // A box around Sevastopol: the warship only.
    let doc = tracks_geojson(
        &l,
        &q(&[("from", "2025-04-02"), ("bbox", "33,44,34,45")]),
        10,
    );
    assert_eq!(doc["features"].as_array().unwrap().len(), 1);
    assert_eq!(doc["features"][0]["properties"]["mmsi"], 273_000_002);
    // A limit: the first vessel, and `truncated`.
    let doc = tracks_geojson(&l, &q(&[("from", "2025-04-02"), ("limit", "1")]), 10);
    assert_eq!(doc["features"].as_array().unwrap().len(), 1);
    assert_eq!(doc["vessels"], 2);
    assert_eq!(doc["truncated"], true);
    // Another day: nothing.
    let doc = tracks_geojson(&l, &q(&[("from", "2025-04-05"), ("to", "2025-04-05")]), 10);
    assert_eq!(doc["features"], json!([]));
    // No time: the last day with tracks.
    let doc = tracks_geojson(&l, &q(&[]), 10);
    assert_eq!(doc["window"]["to"], "2025-04-02T07:09:00Z");
    assert_eq!(doc["features"].as_array().unwrap().len(), 2);
    // An empty ledger has no window and no features.
    let doc = tracks_geojson(&Ledger::new(), &q(&[]), 0);
    assert_eq!(doc["window"], Value::Null);
    assert_eq!(doc["features"], json!([]));
}

#[test]
fn vessels_list_their_versions_and_track_spans() {
    let l = ledger();
    let vq = |pairs: &[(&str, &str)]| {
        let p = Params::new(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            VESSEL_PARAMS,
        )
        .unwrap();
        let page = p.page(1000).unwrap();
        vessels_page_json(&l, &VesselQuery::parse(&p).unwrap(), page, 10)
    };
    let all = vq(&[]);
    assert_eq!(all["total"], 2);
    let a = &all["items"][0];
    assert_eq!(a["mmsi"], 219_000_001);
    assert_eq!(a["name"], "ANNA MARIA");
    assert_eq!(a["versions"].as_array().unwrap().len(), 2);
    assert_eq!(a["versions"][0]["name"], "ANNA");
    assert_eq!(a["versions"][0]["author"], "dma");
    assert_eq!(a["versions"][0]["imo"], 9_000_001);
    assert_eq!(a["versions"][0]["callsign"], "UABC");
    assert_eq!(a["track"]["segments"], 3);
    assert_eq!(a["track"]["first"], "2025-04-02T03:00:00Z");
    assert_eq!(
        vq(&[("class", "military")])["items"][0]["mmsi"],
        273_000_002
    );
    assert_eq!(vq(&[("class", "military")])["total"], 1);
    assert_eq!(vq(&[("q", "maria")])["total"], 1);
    assert_eq!(vq(&[("q", "nobody")])["total"], 0);
    assert_eq!(vq(&[("mmsi", "273000002,1")])["total"], 1);
    assert_eq!(
        vq(&[("limit", "1"), ("offset", "1")])["items"][0]["mmsi"],
        273_000_002
    );
    // An MMSI the log says nothing of: no versions, no track.
    let none = vessel_json(&l, 1);
    assert_eq!(none["versions"], json!([]));
    assert_eq!(none["track"], Value::Null);
    assert_eq!(none["class"], "unknown");
}

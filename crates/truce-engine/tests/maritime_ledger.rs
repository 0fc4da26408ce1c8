//! The maritime data a snapshot reads from a ledger (`Maritime::of`): each MMSI's latest static
//! data with its class, its track segments merged into one track (interpolated across the hour
//! boundary, never across a gap over an hour), and a signed report's named vessel — so an
//! allegation naming a vessel, or placed on its track, lists it in its incident.

use truce_engine::input::VesselClass;
use truce_engine::{judge, Params, Snapshot};
use truce_log::{generate_key, parse_signer};
use truce_model::ais::{Track, Vessel};
use truce_model::domain::*;
use truce_model::entry::{record, sign, Body};
use truce_model::{Ledger, Time};

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

/// A segment of MMSI 219000001 in the hour `hour`, its points `[dt_ms, lon_e6, lat_e6, …]`.
fn track(hour: i64, sha: char, points: &[i64]) -> Track {
    serde_json::from_value(serde_json::json!({
        "fixes": points.len() / 3 + 2, "flags": {}, "hour": hour, "line_first": 2, "line_last": 40,
        "mmsi": 219_000_001u32, "part": 0, "points": points,
        "sha256": sha.to_string().repeat(64), "tol_mm": 50000,
    }))
    .unwrap()
}

#[test]
fn a_snapshot_reads_vessels_tracks_and_named_vessels_from_the_ledger() {
    let op = generate_key(&mut rand_core::OsRng, "operator").unwrap();
    let dma = generate_key(&mut rand_core::OsRng, "dma").unwrap();
    let ua = generate_key(&mut rand_core::OsRng, "ua").unwrap();
    let ru = generate_key(&mut rand_core::OsRng, "ru").unwrap();
    let t = Time::parse("2025-04-02T12:00:00Z").unwrap();
    let signed = |k: &truce_log::KeyPair, author: &str, body: &Body| {
        sign(&id(author), t, body, &parse_signer(&k.signer).unwrap())
            .unwrap()
            .bytes
    };
    let register = |party: &str, role: Role, k: &truce_log::KeyPair| {
        Body::PartyRegister(PartyRegistration {
            id: id(party),
            name: party.to_uppercase(),
            role,
            keys: vec![k.verifier.clone()],
        })
    };
    // 2025-04-02T03:00Z: east along 46.3°N from 30.85°E; the next hour's segment continues it;
    // a third, three hours later, is not joined to it.
    let h = 1_743_562_800;
    let batch = [
        record(
            &id("dma"),
            t,
            &Body::Track(track(
                h,
                'a',
                &[0, 30_850_000, 46_300_000, 1_200_000, 30_950_000, 46_300_000],
            )),
        )
        .unwrap(),
        record(
            &id("dma"),
            t,
            &Body::Track(track(h + 3_600, 'b', &[0, 31_150_000, 46_300_000])),
        )
        .unwrap(),
        record(
            &id("dma"),
            t,
            &Body::Track(track(h + 4 * 3_600, 'c', &[0, 32_000_000, 46_300_000])),
        )
        .unwrap(),
        record(
            &id("dma"),
            t,
            &Body::Vessel(Vessel::new(
                219_000_001,
                None,
                Some("ANNA".into()),
                None,
                Some(70),
                None,
            )),
        )
        .unwrap(),
    ];
    let root = truce_log::merkle_root(batch.iter().map(Vec::as_slice));
    let manifest = Body::Manifest(Manifest {
        format: truce_model::ais::TRACK_FORMAT.into(),
        source: "test".into(),
        count: batch.len() as u64,
        root: base64::Engine::encode(&base64::prelude::BASE64_STANDARD, root.0),
        reception: None,
    });
    let report = |rid: &str, lon: f64, at: &str, vessel: Option<VesselRef>| {
        let mut v = serde_json::json!({
            "act": "attack-on-vessels", "alleged_perpetrator": "ru", "id": rid,
            "location": { "point": [lon, 46.3], "uncertainty_m": 500 },
            "time": { "start": at, "end": at },
        });
        if let Some(x) = vessel {
            v["vessel"] = serde_json::to_value(x).unwrap();
        }
        Body::Report(serde_json::from_value(v).unwrap())
    };
    let mut log = vec![
        signed(&op, "operator", &register("operator", Role::Operator, &op)),
        signed(&op, "operator", &register("dma", Role::OpenData, &dma)),
        signed(&op, "operator", &register("ua", Role::Belligerent, &ua)),
        signed(&op, "operator", &register("ru", Role::Belligerent, &ru)),
        signed(&dma, "dma", &manifest),
    ];
    log.extend(batch.iter().cloned());
    // Named, far from the track; on the track across the hour boundary (03:50Z, 31.10°E);
    // in the gap (05:30Z, between 31.15°E and 32.0°E).
    log.push(signed(
        &ua,
        "ua",
        &report(
            "named",
            29.0,
            "2025-04-02T03:10:00Z",
            VesselRef::new(None, None, Some("Anna".into())).ok(),
        ),
    ));
    log.push(signed(
        &ua,
        "ua",
        &report("on-track", 31.10, "2025-04-02T03:50:00Z", None),
    ));
    log.push(signed(
        &ua,
        "ua",
        &report("in-gap", 31.575, "2025-04-02T05:30:00Z", None),
    ));
    let mut l = Ledger::new();
    for (i, e) in log.iter().enumerate() {
        let a = l.apply(i as u64, e);
        assert!(
            !matches!(a, truce_model::Applied::Refused(_)),
            "entry {i}: {a:?}"
        );
    }
    let snap = Snapshot::of(&l, log.len() as u64);
    let m = &snap.maritime;
    assert_eq!(m.vessels.len(), 1);
    assert_eq!(
        (
            m.vessels[0].mmsi.as_deref(),
            m.vessels[0].name.as_deref(),
            m.vessels[0].class
        ),
        (Some("219000001"), Some("ANNA"), VesselClass::Commercial)
    );
    assert_eq!(m.tracks.len(), 1, "one track per MMSI");
    assert_eq!(m.tracks[0].points.len(), 4);
    assert_eq!(m.reports.len(), 1, "the named report");
    assert_eq!(m.reports[0].id, id("named"));

    let j = judge(&snap, &Params::default());
    let of = |rid: &str| {
        j.incidents
            .iter()
            .find(|i| i.members.iter().any(|x| x.id == id(rid)))
            .map(|i| i.vessels.clone())
            .unwrap()
    };
    let named = of("named");
    assert_eq!(named.len(), 1);
    assert_eq!(
        (named[0].how.as_str(), named[0].class.as_str()),
        ("named (name only)", "commercial")
    );
    let on = of("on-track");
    assert_eq!(on.len(), 1, "interpolated across the hour boundary");
    assert!(on[0].how.starts_with("track within "), "{}", on[0].how);
    assert!(
        of("in-gap").is_empty(),
        "no interpolation across a 3-hour gap"
    );
}

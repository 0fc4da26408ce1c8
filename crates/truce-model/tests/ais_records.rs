//! AIS `track` and `vessel` records under signed manifests: accepted and stored compactly, a
//! segment or vessel version its author already filed refused as a duplicate, another author's or
//! another raw file's kept, unsigned AIS records outside a manifest refused, bad bodies refused.

mod common;

use common::{apply_all, filed, key, rec, register, signed};
use truce_model::ais::{Track, Vessel, VesselClass};
use truce_model::domain::*;
use truce_model::entry::Body;
use truce_model::{Applied, Rejection, Time};

fn track(mmsi: u32, hour: i64, sha: char, points: &[i64]) -> Track {
    serde_json::from_value(serde_json::json!({
        "fixes": points.len() / 3 + 2, "flags": {}, "hour": hour, "line_first": 2, "line_last": 40,
        "mmsi": mmsi, "part": 0, "points": points,
        "sha256": sha.to_string().repeat(64), "tol_mm": 50000,
    }))
    .unwrap()
}

#[test]
fn tracks_and_vessels_are_stored_once_per_author_and_content() {
    let op = key("operator");
    let dma = key("dma");
    let gfw = key("gfw");
    let h = 1_648_684_800;
    let a = track(
        219_000_001,
        h,
        'a',
        &[0, 12_000_000, 55_000_000, 60_000, 12_001_000, 55_000_500],
    );
    let a_later = track(219_000_001, h + 3600, 'b', &[10, 12_002_000, 55_001_000]);
    let other_file = track(219_000_001, h, 'c', &[5, 12_000_000, 55_000_000]);
    let anna = Vessel::new(219_000_001, None, Some("ANNA".into()), None, Some(70), None);
    let mut renamed = anna.clone();
    renamed.name = Some("ANNA B".into());
    renamed.seen = Some(Time::parse("2022-03-31T02:00:00Z").unwrap());
    let rec = |author: &str, b: Body| rec(author, &b);
    let batch1 = vec![
        rec("dma", Body::Track(a.clone())),
        rec("dma", Body::Track(a_later.clone())),
        rec("dma", Body::Vessel(anna.clone())),
    ];
    // The same segment and vessel again (refused as duplicates), another raw file's segment for
    // the same vessel-hour and a renamed vessel (kept).
    let batch2 = vec![
        rec("dma", Body::Track(a.clone())),
        rec("dma", Body::Track(other_file.clone())),
        rec("dma", Body::Vessel(anna.clone())),
        rec("dma", Body::Vessel(renamed.clone())),
    ];
    // Another author filing the same segment: kept, as its own.
    let batch3 = vec![rec("gfw", Body::Track(a.clone()))];
    let mut log = vec![
        signed(&op, "operator", &register("operator", Role::Operator, &op)),
        signed(&op, "operator", &register("dma", Role::OpenData, &dma)),
        signed(&op, "operator", &register("gfw", Role::Monitor, &gfw)),
    ];
    log.extend(filed(&dma, "dma", &batch1, None));
    log.extend(filed(&dma, "dma", &batch2, None));
    log.extend(filed(&gfw, "gfw", &batch3, None));
    // An unsigned track with no manifest.
    log.push(rec("dma", Body::Track(a_later.clone())));
    let (l, applied) = apply_all(&log);
    // Two duplicates in batch 2 (its last record reports the last refusal), the stray record.
    assert_eq!(l.counts.refused, 3, "{applied:?}");
    assert!(matches!(
        applied[11],
        Applied::Refused(Rejection::Duplicate(6))
    ));
    assert!(matches!(applied.last(), Some(Applied::Refused(_))));
    let segs = l.tracks_of(219_000_001);
    assert_eq!(segs.len(), 4);
    assert_eq!(
        segs.iter().map(|s| (s.hour, s.index)).collect::<Vec<_>>(),
        vec![(h, 4), (h, 9), (h, 13), (h + 3600, 5)],
        "sorted by hour, then log index"
    );
    assert_eq!(l.tracks.author(&segs[2]).as_str(), "gfw");
    assert_eq!(
        l.tracks_in(h * 1000 + 3_600_000, h * 1000 + 3_700_000)
            .count(),
        1
    );
    assert_eq!(l.tracks.points(), 2 + 1 + 1 + 2);
    let versions = l.vessel(219_000_001);
    assert_eq!(versions.len(), 2);
    // The renamed version holds from when it was seen (2022), the first from its filing (2025).
    assert_eq!(versions[0].value.name.as_deref(), Some("ANNA B"));
    assert_eq!(versions[1].time, common::t());
    assert_eq!(versions[1].value.class, VesselClass::Commercial);
    assert_eq!(l.vessels().count(), 1);
    assert!(l.vessel(1).is_empty());
}

#[test]
fn a_track_with_a_bad_body_is_not_a_record() {
    let good = rec("dma", &Body::Track(track(1, 3600, 'a', &[0, 1, 1])));
    let text = String::from_utf8(good).unwrap();
    let bad = text.replace("\"hour\":3600", "\"hour\":3601");
    assert!(truce_model::decode(bad.as_bytes()).is_err());
    assert!(truce_model::decode(text.as_bytes()).is_ok());
}

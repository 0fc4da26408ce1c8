//! AIS reception coverage: a manifest may state the area its filer's receivers heard
//! (`reception`); when its records complete, the ledger records the area with the span of the
//! track segments accepted under it. A manifest without one, or with no accepted segment, records
//! none; a bad area refuses the manifest, saying why; an entry without `reception` reads and
//! writes as before.

mod common;

use common::{apply_all, filed, key, rec, register, signed};
use truce_model::ais::Track;
use truce_model::domain::*;
use truce_model::entry::Body;
use truce_model::geo::{Point, Polygon};
use truce_model::{Applied, Ledger, Rejection};

fn track(hour: i64, sha: char, points: &[i64]) -> Track {
    serde_json::from_value(serde_json::json!({
        "fixes": points.len() / 3, "flags": {}, "hour": hour, "line_first": 1, "line_last": 9,
        "mmsi": 219000001, "part": 0, "points": points,
        "sha256": sha.to_string().repeat(64), "tol_mm": 50000,
    }))
    .unwrap()
}

fn zone(name: &str, ring: &[[f64; 2]]) -> Zone {
    Zone {
        name: name.into(),
        polygon: Polygon::new(vec![ring
            .iter()
            .map(|p| Point::new(p[0], p[1]).unwrap())
            .collect()])
        .unwrap(),
    }
}

fn baltic() -> Zone {
    zone(
        "western Baltic",
        &[
            [10.0, 54.0],
            [14.0, 54.0],
            [14.0, 56.0],
            [10.0, 56.0],
            [10.0, 54.0],
        ],
    )
}

#[test]
fn a_complete_manifest_with_a_reception_area_records_its_coverage() {
    let op = key("operator");
    let dma = key("dma");
    let h = 1_648_684_800;
    let rec = |b: Body| rec("dma", &b);
    let batch1 = vec![
        rec(Body::Track(track(
            h + 3600,
            'b',
            &[10, 12_000_000, 55_000_000],
        ))),
        rec(Body::Track(track(
            h,
            'a',
            &[500, 12_000_000, 55_000_000, 60_000, 12_001_000, 55_000_500],
        ))),
    ];
    // The same segment again (a duplicate: refused, so not counted) and nothing else.
    let batch2 = vec![rec(Body::Track(track(
        h,
        'a',
        &[500, 12_000_000, 55_000_000, 60_000, 12_001_000, 55_000_500],
    )))];
    let batch3 = vec![rec(Body::Track(track(
        h + 7200,
        'c',
        &[0, 12.0 as i64, 55],
    )))];
    let mut log = vec![
        signed(&op, "operator", &register("operator", Role::Operator, &op)),
        signed(&op, "operator", &register("dma", Role::OpenData, &dma)),
    ];
    log.extend(filed(&dma, "dma", &batch1, Some(baltic())));
    log.extend(filed(&dma, "dma", &batch2, Some(baltic())));
    log.extend(filed(&dma, "dma", &batch3, None));
    let (l, applied) = apply_all(&log);
    assert_eq!(l.counts.refused, 1, "{applied:?}");
    let c = l.ais_coverage();
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].manifest_index, 2);
    assert_eq!(c[0].author.as_str(), "dma");
    assert_eq!(c[0].area, baltic());
    assert_eq!(c[0].first_ms, h * 1000 + 500);
    assert_eq!(c[0].last_ms, (h + 3600) * 1000 + 10);
    assert_eq!(l.tracks.len(), 3);
}

#[test]
fn a_manifest_reads_and_writes_with_and_without_reception() {
    let m = Manifest {
        format: "csv".into(),
        source: "x".into(),
        count: 1,
        root: "r".into(),
        reception: None,
    };
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(
        json,
        r#"{"format":"csv","source":"x","count":1,"root":"r"}"#
    );
    assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), m);
    let with = Manifest {
        reception: Some(baltic()),
        ..m
    };
    let json = serde_json::to_string(&with).unwrap();
    assert!(
        json.contains(r#""reception":{"name":"western Baltic","polygon":[[[10.0,54.0]"#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), with);
}

#[test]
fn a_bad_reception_area_refuses_the_manifest_saying_why() {
    let op = key("operator");
    let dma = key("dma");
    let mut l = Ledger::new();
    for (i, (k, who, role)) in [
        (&op, "operator", Role::Operator),
        (&dma, "dma", Role::OpenData),
    ]
    .into_iter()
    .enumerate()
    {
        assert!(matches!(
            l.apply(i as u64, &signed(&op, "operator", &register(who, role, k))),
            Applied::Accepted(..)
        ));
    }
    let polar = zone(
        "round the pole",
        &[[0.0, 80.0], [120.0, 80.0], [-120.0, 80.0], [0.0, 80.0]],
    );
    let unnamed = Zone {
        name: String::new(),
        ..baltic()
    };
    let mut big = vec![[10.0, 54.0]];
    for k in 0..1_000 {
        big.push([10.0 + k as f64 * 1e-4, 55.0]);
    }
    big.push([10.0, 54.0]);
    let big = zone("too many positions", &big);
    for (n, (z, want)) in [
        (polar, "goes round a pole"),
        (unnamed, "reception.name"),
        (big, "at most 1000"),
    ]
    .into_iter()
    .enumerate()
    {
        let m = Body::Manifest(Manifest {
            format: truce_model::ais::TRACK_FORMAT.into(),
            source: "test".into(),
            count: 1,
            root: truce_log::EMPTY_HASH.to_string(),
            reception: Some(z),
        });
        match l.apply(2 + n as u64, &signed(&dma, "dma", &m)) {
            Applied::Refused(Rejection::Invalid(e)) => {
                assert!(e.contains(want) && e.contains("reception"), "{e}")
            }
            other => panic!("{want}: {other:?}"),
        }
    }
    assert_eq!(l.pending_records(), 0);
}

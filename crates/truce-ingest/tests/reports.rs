//! Report readers on the real excerpts (exact row counts, known rows mapped to the expected
//! interval, position, uncertainty and kind) and on synthetic ACLED fixtures, good and broken.

use truce_ingest::{reports, ActorMap, Format, Row};
use truce_model::domain::{Act, Id, Report};

fn data(name: &str) -> std::fs::File {
    std::fs::File::open(format!(
        "{}/../../tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn read(format: Format, name: &str) -> Vec<Row> {
    reports(
        format,
        data(name),
        ActorMap::new(vec![
            ("Military Forces of Russia".into(), Id::new("ru").unwrap()),
            ("Government of Ukraine".into(), Id::new("ua").unwrap()),
        ]),
    )
    .unwrap()
    .collect()
}

fn ok(rows: &[Row]) -> Vec<(u64, &Report)> {
    rows.iter()
        .filter_map(|r| match r {
            Row::Report { line, report } => Some((*line, report.as_ref())),
            _ => None,
        })
        .collect()
}

fn csv_records(name: &str) -> usize {
    csv::Reader::from_reader(data(name)).records().count()
}

#[test]
fn real_firms_excerpts_ingest_every_row() {
    for (name, n) in [
        ("firms_api_example.csv", 9),
        ("firms_noaa20_ukraine_2025-08-11_economist.csv", 307),
        ("firms_viirs_snpp_ukraine_2023_excerpt.csv", 300),
    ] {
        let rows = read(Format::Firms, name);
        assert_eq!(csv_records(name), n);
        assert_eq!(
            ok(&rows).len(),
            n,
            "{name}: {:?}",
            rows.iter().find(|r| !matches!(r, Row::Report { .. }))
        );
    }
    // API example, row 1: 44.01191,19.88847 ... 2025-03-19, acq_time 41 (00:41), N, VIIRS, n.
    let rows = read(Format::Firms, "firms_api_example.csv");
    let (line, r) = ok(&rows)[0];
    assert_eq!(line, 2);
    assert_eq!(r.id.as_str(), "n-20250319-0041-44.01191-19.88847");
    assert_eq!(r.time.start.to_string(), "2025-03-19T00:41:00Z");
    assert_eq!(r.time.end.to_string(), "2025-03-19T00:42:00Z");
    assert_eq!(
        (r.location.point.lat(), r.location.point.lon()),
        (44.01191, 19.88847)
    );
    assert_eq!(
        r.location.uncertainty_m, 266,
        "half the diagonal of a 0.39 x 0.36 km pixel"
    );
    assert_eq!(r.act, Act::FireObserved);
    assert_eq!(r.attributes["confidence"], "nominal");
    // The Economist's clip: HH:MM:SS times, N20, words for confidence, instrument last.
    let rows = read(
        Format::Firms,
        "firms_noaa20_ukraine_2025-08-11_economist.csv",
    );
    let (_, r) = ok(&rows)[0];
    assert_eq!(r.id.as_str(), "n20-20250811-0045-48.26382-37.21014");
    assert_eq!(r.location.uncertainty_m, 428);
    assert_eq!(r.attributes["instrument"], "VIIRS");
    // The download variant: MODIS-style column names for VIIRS, zero-padded HHMM.
    let rows = read(Format::Firms, "firms_viirs_snpp_ukraine_2023_excerpt.csv");
    let (_, r) = ok(&rows)[0];
    assert_eq!(r.time.start.to_string(), "2023-02-24T11:06:00Z");
    assert_eq!(r.attributes["brightness"], "344.94");
}

#[test]
fn real_ucdp_excerpt_ingests_every_row() {
    let rows = read(Format::Ucdp, "ucdp_ged_ukraine_excerpt.csv");
    assert_eq!(csv_records("ucdp_ged_ukraine_excerpt.csv"), 400);
    let good = ok(&rows);
    assert_eq!(good.len(), 400);
    let (_, r) = good[0];
    assert_eq!(r.id.as_str(), "ucdp-147997");
    assert_eq!(r.time.start.to_string(), "2014-01-22T00:00:00Z");
    assert_eq!(r.time.end.to_string(), "2014-01-23T00:00:00Z");
    assert_eq!(r.location.uncertainty_m, 1_000);
    assert_eq!(
        (r.location.point.lat(), r.location.point.lon()),
        (50.45, 30.52333)
    );
    assert_eq!(r.act, Act::Violence);
    assert_eq!(
        r.alleged_perpetrator.as_ref().map(Id::as_str),
        Some("ua"),
        "side_a Government of Ukraine"
    );
    // Every interval is ordered and every date range covers at least a day.
    assert!(good.iter().all(|(_, r)| r.time.end > r.time.start));
}

#[test]
fn acled_synthetic_maps_precision_reissues_and_skips() {
    let rows = read(Format::Acled, "acled_synthetic.csv");
    let good = ok(&rows);
    assert_eq!(good.len(), 7);
    assert_eq!(
        rows.iter()
            .filter(|r| matches!(r, Row::Skipped { .. }))
            .count(),
        1,
        "the protest"
    );
    let by = |id: &str| {
        good.iter()
            .filter(|(_, r)| r.id.as_str() == id)
            .map(|(_, r)| *r)
            .collect::<Vec<_>>()
    };
    let s = by("ukr900001");
    assert_eq!(s.len(), 2, "original and re-issue");
    assert!(s[1].revision > s[0].revision);
    assert_eq!(s[0].act, Act::DroneStrike);
    assert_eq!(
        s[0].alleged_perpetrator.as_ref().map(Id::as_str),
        Some("ru")
    );
    assert_eq!(
        (s[0].time.start.to_string(), s[0].time.end.to_string()),
        ("2025-03-19T00:00:00Z".into(), "2025-03-20T00:00:00Z".into())
    );
    assert_eq!(s[0].location.uncertainty_m, 2_000);
    let k = by("rus900002");
    assert_eq!(
        k[0].time.start.to_string(),
        "2025-03-19T00:00:00Z",
        "'19 March 2025'"
    );
    assert_eq!(k[0].attributes["inter1"], "State forces", "numeric code 1");
    assert_eq!(k[0].location.uncertainty_m, 25_000);
    let q = by("rus900003");
    assert!(q[0].text.contains("Second line"), "quoted newline kept");
    assert_eq!(q[0].act, Act::Sabotage);
    let w = by("ukr900005");
    assert_eq!(
        (w[0].time.start.to_string(), w[0].time.end.to_string()),
        ("2025-03-24T00:00:00Z".into(), "2025-03-31T00:00:00Z".into()),
        "week precision"
    );
    assert_eq!(w[0].act, Act::GroundAssault);
    let m = by("ukr900007");
    assert_eq!(
        (m[0].time.start.to_string(), m[0].time.end.to_string()),
        ("2025-03-01T00:00:00Z".into(), "2025-04-01T00:00:00Z".into()),
        "month precision"
    );
    assert_eq!(m[0].location.uncertainty_m, 100_000);
}

#[test]
fn broken_rows_are_refused_with_line_and_reason_and_the_rest_goes_on() {
    let rows = read(Format::Acled, "acled_broken.csv");
    let refused: Vec<(u64, &str)> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Refused { line, reason, .. } => Some((*line, reason.as_str())),
            _ => None,
        })
        .collect();
    let expect = [
        (3, "\"NaN\" is not a number"),
        (4, "4 fields where the header has 31"),
        (5, "latitude`: 95.5 is out of range"),
        (6, "look swapped"),
        (7, "\"2025-02-30\" is not a real date"),
        (8, "is not Unix seconds"),
        (10, "invalid UTF-8"),
    ];
    assert_eq!(refused.len(), expect.len(), "{refused:?}");
    for ((line, reason), (l, want)) in refused.iter().zip(expect) {
        assert_eq!(*line, l);
        assert!(reason.contains(want), "line {line}: {reason}");
    }
    assert_eq!(
        ok(&rows).iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![2, 9]
    );
}

#[test]
fn native_formats_read_the_same_report() {
    let jsonl = r#"{"id":"r1","time":{"start":"2025-03-20T20:22:00Z"},"location":{"point":[35.27,51.19],"uncertainty_m":3000},"act":"shelling","alleged_perpetrator":"ru"}"#;
    let csv = "id,start,end,lon,lat,uncertainty_m,place,act,alleged_perpetrator,target_category,text\nr1,2025-03-20T23:22:00+03:00,,35.27,51.19,3000,,shelling,ru,,\n";
    let geo = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[35.27,51.19]},"properties":{"id":"r1","start":"2025-03-20T20:22:00Z","uncertainty_m":3000,"act":"shelling","alleged_perpetrator":"ru"}}]}"#;
    let mut got = Vec::new();
    for (f, text) in [
        (Format::Jsonl, jsonl),
        (Format::Csv, csv),
        (Format::GeoJson, geo),
    ] {
        let rows: Vec<Row> = reports(f, text.as_bytes(), ActorMap::default())
            .unwrap()
            .collect();
        let Row::Report { report, .. } = &rows[0] else {
            panic!("{f:?}: {rows:?}")
        };
        got.push(report.clone());
    }
    assert_eq!(got[0], got[1]);
    assert_eq!(got[1], got[2]);
    let bad = reports(
        Format::Jsonl,
        "{\"id\":\"x\"}\n\n{nope\n".as_bytes(),
        ActorMap::default(),
    )
    .unwrap()
    .collect::<Vec<_>>();
    assert!(matches!(&bad[0], Row::Refused { line: 1, .. }));
    assert!(matches!(&bad[1], Row::Refused { line: 3, .. }));
}

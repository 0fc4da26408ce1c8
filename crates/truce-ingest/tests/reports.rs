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
        r.alleged_perpetrator, None,
        "type_of_violence 1: side_a Government of Ukraine is one side of a dyad, not a perpetrator"
    );
    assert_eq!(r.attributes["side_a"], "Government of Ukraine");
    assert_eq!(r.attributes["side_b"], "Maidan");
    assert!(!r.attributes.contains_key("aggregate"));
    // Real aggregates (event_clarity 2): where_prec 1 (1 km) widens to 25 km; where_prec 4 keeps
    // its 100 km.
    let by = |id: &str| good.iter().find(|(_, r)| r.id.as_str() == id).unwrap().1;
    let a = by("ucdp-149249");
    assert_eq!(a.attributes["event_clarity"], "2");
    assert_eq!(a.location.uncertainty_m, 25_000);
    assert!(
        a.attributes["aggregate"].contains("widened from 1000 m to 25000 m"),
        "{:?}",
        a.attributes
    );
    let a = by("ucdp-154734");
    assert_eq!(a.location.uncertainty_m, 100_000);
    assert!(a.attributes["aggregate"].contains("100000 m kept"));
    assert_eq!(
        good.iter()
            .filter(|(_, r)| r.attributes.contains_key("aggregate"))
            .count(),
        15
    );
    assert!(good.iter().all(|(_, r)| r.alleged_perpetrator.is_none()));
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
    assert_eq!(w[0].attributes["event_type"], "Battles");
    assert_eq!(
        w[0].alleged_perpetrator, None,
        "a battle names participants, not a perpetrator"
    );
    assert!(
        good.iter().all(|(_, r)| r.relays.is_none()),
        "Synthetic source"
    );
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

/// Synthetic ACLED rows (ACLED's terms forbid redistributing real ones) under the real header:
/// each row is `(id, event_type, actor1, actor2, source, notes)`.
fn acled_rows(rows: &[(&str, &str, &str, &str, &str, &str)]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(truce_ingest::acled::COLUMNS).unwrap();
    for (i, (id, event_type, actor1, actor2, source, notes)) in rows.iter().enumerate() {
        let sub = if *event_type == "Battles" {
            "Armed clash"
        } else {
            "Shelling/artillery/missile attack"
        };
        let ts = (1_742_400_000 + i).to_string();
        let rec = [
            id,
            "2025-03-19",
            "2025",
            "1",
            "Political violence",
            event_type,
            sub,
            actor1,
            "",
            "State forces",
            actor2,
            "",
            "",
            "",
            "",
            "804",
            "Europe",
            "Ukraine",
            "Donetsk",
            "Kramatorskyi",
            "",
            "Sloviansk",
            "48.8500",
            "37.6100",
            "1",
            source,
            "National",
            notes,
            "0",
            "",
            ts.as_str(),
        ];
        w.write_record(rec).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn map_of(rules: &[(&str, &str)]) -> ActorMap {
    ActorMap::new(
        rules
            .iter()
            .map(|(p, id)| (p.to_string(), Id::new(id).unwrap()))
            .collect(),
    )
}

fn read_text(format: Format, text: &str, actors: ActorMap) -> Vec<Row> {
    reports(format, text.as_bytes(), actors).unwrap().collect()
}

const RU: &str = "Military Forces of Russia (2000-)";
const UA: &str = "Military Forces of Ukraine (2019-)";

#[test]
fn acled_relayed_claims_follow_the_documented_rules() {
    let text = acled_rows(&[
        // The party's officials are the only source.
        ("UKR910001", "Explosions/Remote violence", RU, "", "Ministry of Defence of Russia", "SYNTHETIC: strikes on military airfields."),
        ("UKR910002", "Explosions/Remote violence", RU, "", "Russia Ministry of Defense", "SYNTHETIC: strikes on fuel depots."),
        ("RUS910003", "Explosions/Remote violence", UA, "", "Ukrainian Air Force", "SYNTHETIC: drones shot down."),
        // The notes attribute the claim, whatever else the source lists.
        ("UKR910004", "Explosions/Remote violence", RU, "", "Synthetic Independent Outlet; Ministry of Defence of Russia", "SYNTHETIC: According to the Russian MoD, a command post was hit."),
        ("RUS910005", "Explosions/Remote violence", UA, "", "Synthetic Independent Outlet", "SYNTHETIC: On 19 March,  the General Staff of the Armed Forces of Ukraine reported a strike on a depot."),
        ("RUS910006", "Explosions/Remote violence", UA, "", "Synthetic Independent Outlet", "SYNTHETIC: an oil depot burned, the Russian Ministry of Defence has claimed."),
        // Independent outlets only.
        ("UKR910007", "Explosions/Remote violence", RU, "", "Synthetic Independent Outlet", "SYNTHETIC: shelling damaged a substation."),
        // Officials named, but not as the source of the claim.
        ("RUS910008", "Explosions/Remote violence", UA, "", "Synthetic Independent Outlet", "SYNTHETIC: Ukrainian Air Force jets struck a bridge; a Russian Ministry of Defence building was damaged."),
        // Officials beside another source, notes silent: not a relay.
        ("UKR910009", "Explosions/Remote violence", RU, "", "Ministry of Defence of Russia; Synthetic Independent Outlet", "SYNTHETIC: a railway hub was hit."),
        // A claim and a denial: notes decide nothing, the source list decides.
        ("UKR910010", "Explosions/Remote violence", RU, "", "Synthetic Independent Outlet", "SYNTHETIC: The Russian MoD claimed a strike on a plant; the Ukrainian General Staff said it was shot down."),
        ("UKR910011", "Explosions/Remote violence", RU, "", "Ministry of Defence of Russia", "SYNTHETIC: The Russian MoD claimed a strike on a plant; the Ukrainian General Staff said it was shot down."),
    ]);
    let actors = map_of(&[
        ("Military Forces of Russia", "ru"),
        ("Military Forces of Ukraine", "ua"),
    ]);
    let rows = read_text(Format::Acled, &text, actors.clone());
    let good = ok(&rows);
    assert_eq!(good.len(), 11, "{rows:?}");
    let get = |id: &str| good.iter().find(|(_, r)| r.id.as_str() == id).unwrap().1;
    let relays = |id: &str| get(id).relays.as_ref().map(|p| p.as_str().to_string());
    let why = |id: &str| {
        get(id)
            .attributes
            .get("relayed_by_rule")
            .cloned()
            .unwrap_or_default()
    };
    let note = |id: &str| {
        get(id)
            .attributes
            .get("relay_note")
            .cloned()
            .unwrap_or_default()
    };

    assert_eq!(relays("ukr910001").as_deref(), Some("ru"));
    assert_eq!(
        why("ukr910001"),
        "source: \"Ministry of Defence of Russia\" (built-in \"ministry of defence of russia\" → ru)"
    );
    assert_eq!(
        relays("ukr910002").as_deref(),
        Some("ru"),
        "\"defense\" spelling"
    );
    assert_eq!(relays("rus910003").as_deref(), Some("ua"));
    assert_eq!(relays("ukr910004").as_deref(), Some("ru"));
    assert_eq!(
        why("ukr910004"),
        "notes: \"According to the Russian MoD\" (built-in \"russian mod\" → ru)"
    );
    assert_eq!(relays("rus910005").as_deref(), Some("ua"));
    assert_eq!(
        why("rus910005"),
        "notes: \"General Staff of the Armed Forces of Ukraine reported\" (built-in \"general staff of the armed forces of ukraine\" → ua)"
    );
    assert_eq!(
        relays("rus910006").as_deref(),
        Some("ru"),
        "\"… has claimed\""
    );
    // Relaying is about the source of the claim; the perpetrator still comes from actor1.
    assert_eq!(
        get("rus910006")
            .alleged_perpetrator
            .as_ref()
            .map(Id::as_str),
        Some("ua")
    );

    for id in ["ukr910007", "rus910008"] {
        assert_eq!(relays(id), None, "{id}");
        assert!(!get(id).attributes.contains_key("relayed_by_rule"));
        assert!(!get(id).attributes.contains_key("relay_note"));
    }
    assert_eq!(relays("ukr910009"), None);
    assert_eq!(
        note("ukr910009"),
        "source names ru's officials beside other sources; notes attribute no claim: not a relay"
    );
    assert_eq!(relays("ukr910010"), None);
    assert_eq!(
        note("ukr910010"),
        "notes attribute claims to several parties (ru, ua); source names no officials: not a relay"
    );
    assert_eq!(
        relays("ukr910011").as_deref(),
        Some("ru"),
        "the only source is ru's MoD"
    );

    // Without a party for the state's forces the built-in rules are off; explicit rules act, before
    // the built-in ones.
    let rows = read_text(Format::Acled, &text, ActorMap::default());
    assert!(ok(&rows).iter().all(|(_, r)| r.relays.is_none()));
    let explicit = actors.with_relays(vec![ActorMap::parse_relay(
        "Synthetic Independent Outlet = ua",
    )
    .unwrap()]);
    let rows = read_text(Format::Acled, &text, explicit);
    let good = ok(&rows);
    let r = good
        .iter()
        .find(|(_, r)| r.id.as_str() == "ukr910007")
        .unwrap()
        .1;
    assert_eq!(r.relays.as_ref().map(Id::as_str), Some("ua"));
    assert_eq!(
        r.attributes["relayed_by_rule"],
        "source: \"Synthetic Independent Outlet\" (--relay \"synthetic independent outlet\" → ua)"
    );
    assert!(ActorMap::parse_relay("=ru").is_err());
    assert!(ActorMap::parse_relay("Ministry of Defence of Russia").is_err());
}

#[test]
fn acled_battles_name_no_perpetrator() {
    let text = acled_rows(&[
        (
            "UKR920001",
            "Battles",
            RU,
            UA,
            "Synthetic Independent Outlet",
            "SYNTHETIC: clashes near the town.",
        ),
        (
            "UKR920002",
            "Explosions/Remote violence",
            RU,
            "Civilians (Ukraine)",
            "Synthetic Independent Outlet",
            "SYNTHETIC: shelling of the town.",
        ),
    ]);
    let actors = map_of(&[
        ("Military Forces of Russia", "ru"),
        ("Military Forces of Ukraine", "ua"),
    ]);
    let rows = read_text(Format::Acled, &text, actors);
    let good = ok(&rows);
    let (b, s) = (good[0].1, good[1].1);
    assert_eq!(b.act, Act::GroundAssault);
    assert_eq!(b.alleged_perpetrator, None);
    assert_eq!(
        (
            b.attributes["actor1"].as_str(),
            b.attributes["actor2"].as_str()
        ),
        (RU, UA)
    );
    assert_eq!(s.alleged_perpetrator.as_ref().map(Id::as_str), Some("ru"));
}

/// Synthetic GED rows under the real excerpt's header: `(id, type_of_violence, side_a, side_b,
/// where_prec, event_clarity)`.
fn ucdp_rows(rows: &[(&str, &str, &str, &str, &str, &str)]) -> String {
    let header: Vec<String> = csv::Reader::from_reader(data("ucdp_ged_ukraine_excerpt.csv"))
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for (id, tov, a, b, wp, clarity) in rows {
        let rec: Vec<&str> = header
            .iter()
            .map(|h| match h.as_str() {
                "id" => *id,
                "type_of_violence" => *tov,
                "side_a" => *a,
                "side_b" => *b,
                "where_prec" => *wp,
                "event_clarity" => *clarity,
                "date_start" | "date_end" => "2024-06-01 00:00:00.000",
                "date_prec" => "1",
                "latitude" => "48.0",
                "longitude" => "37.8",
                "source_headline" => "SYNTHETIC row written for Truce",
                _ => "",
            })
            .collect();
        w.write_record(&rec).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[test]
fn ucdp_perpetrator_by_type_of_violence_and_aggregates_widen() {
    let text = ucdp_rows(&[
        (
            "900001",
            "3",
            "Government of Russia (Soviet Union)",
            "Civilians",
            "1",
            "1",
        ),
        (
            "900002",
            "1",
            "Government of Ukraine",
            "Government of Russia (Soviet Union)",
            "1",
            "1",
        ),
        ("900003", "2", "DPR", "LPR", "2", "1"),
        (
            "900004",
            "3",
            "Government of Ukraine",
            "Civilians",
            "1",
            "2",
        ),
        (
            "900005",
            "3",
            "Government of Ukraine",
            "Civilians",
            "3",
            "2",
        ),
        (
            "900006",
            "4",
            "Government of Ukraine",
            "Civilians",
            "1",
            "1",
        ),
        (
            "900007",
            "3",
            "Government of Ukraine",
            "Civilians",
            "1",
            "3",
        ),
    ]);
    let actors = map_of(&[
        ("Government of Russia", "ru"),
        ("Government of Ukraine", "ua"),
    ]);
    let rows = read_text(Format::Ucdp, &text, actors);
    let good = ok(&rows);
    let get = |id: &str| good.iter().find(|(_, r)| r.id.as_str() == id).unwrap().1;
    let perp = |id: &str| {
        get(id)
            .alleged_perpetrator
            .as_ref()
            .map(|p| p.as_str().to_string())
    };
    assert_eq!(
        perp("ucdp-900001").as_deref(),
        Some("ru"),
        "one-sided: side_a"
    );
    assert_eq!(perp("ucdp-900002"), None, "state-based dyad");
    assert_eq!(perp("ucdp-900003"), None, "non-state dyad");
    assert_eq!(
        get("ucdp-900002").attributes["side_b"],
        "Government of Russia (Soviet Union)"
    );
    assert_eq!(get("ucdp-900001").location.uncertainty_m, 1_000);
    let agg = get("ucdp-900004");
    assert_eq!(perp("ucdp-900004").as_deref(), Some("ua"));
    assert_eq!(agg.location.uncertainty_m, 25_000);
    assert!(agg.attributes["aggregate"].starts_with("event_clarity 2"));
    assert_eq!(
        get("ucdp-900005").location.uncertainty_m,
        50_000,
        "where_prec 3 kept"
    );
    let refused: Vec<(u64, &str)> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Refused { line, reason, .. } => Some((*line, reason.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[0].0, 7);
    assert!(refused[0]
        .1
        .contains("`type_of_violence`: \"4\" is not 1, 2 or 3"));
    assert_eq!(refused[1].0, 8);
    assert!(refused[1]
        .1
        .contains("`event_clarity`: \"3\" is not 1 or 2"));
}

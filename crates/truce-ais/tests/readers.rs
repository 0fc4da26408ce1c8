//! The AIS readers on real captures and exports (tests/data, see its NOTICE.md) and on lines
//! made here (each such line says so).

use std::collections::HashMap;

use truce_ais::fix::{Class, Fix, Item, Skip, Static};
use truce_ais::nmea::{self, Options};

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A record, owned.
#[derive(Debug, Clone)]
struct Rec {
    line: u64,
    raw: Vec<u8>,
    item: Item,
}

fn read_nmea(input: &[u8], opts: &Options) -> (nmea::Summary, Vec<Rec>) {
    let mut recs = Vec::new();
    let summary = nmea::read(input, opts, |r| {
        recs.push(Rec {
            line: r.line,
            raw: r.raw.to_vec(),
            item: r.item,
        })
    })
    .unwrap_or_else(|e| panic!("{e}"));
    (summary, recs)
}

const BASE: Options = Options {
    time_base: Some(1_600_000_000_000),
};
const NO_TIME: Options = Options { time_base: None };

/// `!` + body + `*` + the body's checksum: a sentence made here.
fn sentence(body: &str) -> String {
    let sum = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("!{body}*{sum:02X}")
}

/// A tag block made here: `\` + fields + `*hh` + `\`.
fn tag(fields: &str) -> String {
    let sum = fields.bytes().fold(0u8, |a, b| a ^ b);
    format!("\\{fields}*{sum:02X}\\")
}

fn one(line: &str, opts: &Options) -> Item {
    nmea::decode_line(line, opts).unwrap_or_else(|| panic!("no record from {line}"))
}

fn fix(item: &Item) -> &Fix {
    match item {
        Item::Fix(f) => f,
        other => panic!("not a fix: {other:?}"),
    }
}

fn stat(item: &Item) -> &Static {
    match item {
        Item::Static(s) => s,
        other => panic!("not static data: {other:?}"),
    }
}

fn refused(item: &Item) -> &str {
    match item {
        Item::Refused(why) => why,
        other => panic!("not refused: {other:?}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

// ---------------------------------------------------------------------------------------------
// NMEA: gpsd's decoded JSON (.chk) as the oracle.

/// (last sentence of the message, gpsd's JSON for it), in file order.
fn gpsd_oracle(chk: &[u8]) -> Vec<(String, serde_json::Value)> {
    let text = String::from_utf8_lossy(chk);
    let mut last = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with('!') {
            last = line.to_string();
        } else if line.starts_with('{') {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            out.push((last.clone(), v));
        }
    }
    out
}

fn last_line(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_string()
}

fn int(v: &serde_json::Value, k: &str) -> i64 {
    v[k].as_i64()
        .unwrap_or_else(|| panic!("no integer {k} in {v}"))
}

fn text(v: &serde_json::Value, k: &str) -> Option<String> {
    let s = v[k].as_str()?.trim_matches(|c| c == '@' || c == ' ');
    (!s.is_empty()).then(|| s.to_string())
}

/// gpsd's ship type as this reader gives it: codes 10..=99 kept; 0 (not available) and the
/// reserved 1..=9 and 100.. are None (nmea-parser folds them into "not available").
fn ship(code: i64) -> Option<u8> {
    (10..=99).contains(&code).then_some(code as u8)
}

/// Checks every position report (1, 2, 3, 18, 19, 27) and static report (5, 24) gpsd decoded
/// in `log` against this reader's record for the same message; returns how many of each were
/// compared.
fn check_against_gpsd(log: &str) -> HashMap<i64, usize> {
    let (_, recs) = read_nmea(&data(log), &BASE);
    let mut oracle: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
    let wanted = gpsd_oracle(&data(&format!("{log}.chk")))
        .into_iter()
        .filter(|(_, v)| matches!(int(v, "type"), 1..=3 | 5 | 18 | 19 | 24 | 27))
        .collect::<Vec<_>>();
    for (line, v) in &wanted {
        oracle.entry(line.clone()).or_default().push(v.clone());
    }
    for list in oracle.values_mut() {
        list.reverse();
    }
    let mut compared: HashMap<i64, usize> = HashMap::new();
    // Type 24: gpsd reports parts A and B together once it has both.
    let mut name24: HashMap<u32, Option<String>> = HashMap::new();
    let mut b24: HashMap<u32, (Option<String>, Option<u8>)> = HashMap::new();
    for rec in &recs {
        let last = last_line(&rec.raw);
        let payload_type = last.split(',').nth(5).and_then(|p| p.chars().next());
        if let (Item::Static(s), Some('H')) = (&rec.item, payload_type) {
            if s.name.is_some() {
                name24.insert(s.mmsi, s.name.clone());
            } else {
                b24.insert(s.mmsi, (s.callsign.clone(), s.ship_type));
            }
        }
        let Some(v) = oracle.get_mut(&last).and_then(|l| l.pop()) else {
            continue;
        };
        let t = int(&v, "type");
        let mmsi = int(&v, "mmsi") as u32;
        let at = format!("{log} line {}: {v}", rec.line);
        match t {
            1..=3 | 18 | 19 | 27 => {
                let (lon, lat) = (int(&v, "lon"), int(&v, "lat"));
                let (scale, na_lon, na_lat) = if t == 27 {
                    (600.0, 108_600, 54_600)
                } else {
                    (600_000.0, 108_600_000, 54_600_000)
                };
                if lon == na_lon || lat == na_lat {
                    assert_eq!(rec.item, Item::Skipped(Skip::PositionNotAvailable), "{at}");
                } else {
                    let f = fix(&rec.item);
                    assert_eq!(f.mmsi, mmsi, "{at}");
                    assert!(close(f.lon, lon as f64 / scale), "{at}: {f:?}");
                    assert!(close(f.lat, lat as f64 / scale), "{at}: {f:?}");
                    assert_eq!(f.t_ms, 1_600_000_000_000);
                    if t != 27 {
                        let speed = int(&v, "speed");
                        let course = int(&v, "course");
                        let heading = int(&v, "heading");
                        assert_eq!(
                            f.sog_knots,
                            (speed != 1023).then(|| speed as f64 / 10.0),
                            "{at}"
                        );
                        assert_eq!(
                            f.cog_deg,
                            (course < 3600).then(|| course as f64 / 10.0),
                            "{at}"
                        );
                        assert_eq!(
                            f.heading_deg,
                            (heading < 360).then_some(heading as u16),
                            "{at}"
                        );
                    }
                    if matches!(t, 1..=3 | 27) {
                        assert_eq!(f.nav_status, Some(int(&v, "status") as u8), "{at}");
                        assert_eq!(f.class, Some(Class::A));
                    } else {
                        assert_eq!(f.nav_status, None);
                        assert_eq!(f.class, Some(Class::B));
                    }
                }
            }
            5 => {
                let s = stat(&rec.item);
                assert_eq!(s.mmsi, mmsi, "{at}");
                assert_eq!(s.name, text(&v, "shipname"), "{at}");
                assert_eq!(s.callsign, text(&v, "callsign"), "{at}");
                let imo = int(&v, "imo");
                assert_eq!(s.imo, (imo != 0).then_some(imo as u32), "{at}");
                assert_eq!(s.ship_type, ship(int(&v, "shiptype")), "{at}");
                assert_eq!(s.t_ms, Some(1_600_000_000_000));
            }
            24 => {
                let s = stat(&rec.item);
                assert_eq!(s.mmsi, mmsi, "{at}");
                assert_eq!(
                    name24.get(&mmsi).cloned().flatten(),
                    text(&v, "shipname"),
                    "{at}"
                );
                let (callsign, ship_type) = b24.get(&mmsi).cloned().unwrap_or_default();
                assert_eq!(callsign, text(&v, "callsign"), "{at}");
                assert_eq!(ship_type, ship(int(&v, "shiptype")), "{at}");
            }
            _ => unreachable!(),
        }
        *compared.entry(t).or_default() += 1;
    }
    let left: Vec<_> = oracle.values().flatten().collect();
    assert!(
        left.is_empty(),
        "{log}: gpsd decoded, this reader did not: {left:?}"
    );
    compared
}

#[test]
fn gpsd_type6_fid55_log_decodes_as_gpsd_does() {
    let compared = check_against_gpsd("gpsd_ais-nmea-type6-fid55.log");
    let count = |t: i64| compared.get(&t).copied().unwrap_or(0);
    // The counts in the data NOTICE: types 1:573 2:12 3:111 5:130 18:110 19:1 27:1 (type 24:
    // gpsd reports a part A and B together once it has both, twice in this file; each part is
    // checked on its own in `type_24_parts_a_and_b`).
    assert_eq!(count(1), 573);
    assert_eq!(count(2), 12);
    assert_eq!(count(3), 111);
    assert_eq!(count(5), 130);
    assert_eq!(count(18), 110);
    assert_eq!(count(19), 1);
    assert_eq!(count(27), 1);
    assert_eq!(count(24), 2, "{compared:?}");
}

#[test]
fn gpsd_raw_messages_log_decodes_as_gpsd_does() {
    let compared = check_against_gpsd("gpsd_ais-raw-messages.log");
    let total: usize = compared.values().sum();
    assert!(total >= 90, "{compared:?}");
}

#[test]
fn gpsd_log_summary_and_talkers() {
    let input = data("gpsd_ais-nmea-type6-fid55.log");
    let (summary, recs) = read_nmea(&input, &BASE);
    assert_eq!(summary.refused, 0, "{:?}", refusals(&recs));
    // Every non-comment line is in exactly one record, bytes as read.
    let lines = String::from_utf8_lossy(&input)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .count();
    let in_records: usize = recs
        .iter()
        .map(|r| r.raw.iter().filter(|&&b| b == b'\n').count())
        .sum();
    assert_eq!(in_records, lines);
    assert_eq!(summary.records() as usize, recs.len());
    // Other talkers than AI are read: !BSVDM, !ABVDM, !BSVDO decoded, !AIVDO (types 8 and 21
    // only, here) skipped as other types.
    let with = |talker: &str, f: fn(&Item) -> bool| {
        recs.iter()
            .filter(|r| r.raw.starts_with(talker.as_bytes()) && f(&r.item))
            .count()
    };
    for talker in ["!BSVDM", "!ABVDM", "!BSVDO"] {
        assert!(
            with(talker, |i| matches!(i, Item::Fix(_) | Item::Static(_))) > 0,
            "{talker}"
        );
    }
    assert_eq!(with("!AIVDO", |i| *i == Item::Skipped(Skip::OtherType)), 3);
}

fn refusals(recs: &[Rec]) -> Vec<(u64, String)> {
    recs.iter()
        .filter_map(|r| match &r.item {
            Item::Refused(w) => Some((r.line, w.clone())),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// NMEA: messages and sentences.

#[test]
fn known_values_of_real_lines() {
    // gpsd_ais-nmea-type6-fid55.log line 8 and its .chk: type 1, mmsi 258568010,
    // lon 6735818, lat 38915277 (1/600000 degree), speed 1, course 787, heading 511, status 7.
    let f = fix(&one(
        "!AIVDM,1,1,,B,13nUgBWP01PkHvDU7<kC4wvJ2>`<,0*27",
        &BASE,
    ))
    .clone();
    assert_eq!(
        f,
        Fix {
            mmsi: 258_568_010,
            t_ms: 1_600_000_000_000,
            lon: 6_735_818.0 / 600_000.0,
            lat: 38_915_277.0 / 600_000.0,
            sog_knots: Some(0.1),
            cog_deg: Some(78.7),
            heading_deg: None,
            nav_status: Some(7),
            class: Some(Class::A),
        }
    );
    // Line 13: type 3, mmsi 538071319, heading 303, status 1 (at anchor).
    let f = fix(&one(
        "!AIVDM,1,1,,A,3819A5iu@00Oku:HqMljb9NJ0>`<,0*19",
        &BASE,
    ))
    .clone();
    assert_eq!(
        (f.mmsi, f.heading_deg, f.nav_status),
        (538_071_319, Some(303), Some(1))
    );
    assert!(close(f.lon, 4_169_637.0 / 600_000.0));
    // gpsd_ais-raw-messages.log: type 18, mmsi 237493600, speed 98, course 82.
    let f = fix(&one(
        "!AIVDM,1,1,,B,B3ROMH00H`JH;;UK00p5;wc5oP06,0*1E",
        &BASE,
    ))
    .clone();
    assert_eq!(
        (f.mmsi, f.sog_knots, f.cog_deg, f.class),
        (237_493_600, Some(9.8), Some(8.2), Some(Class::B))
    );
    assert!(close(f.lat, 22_741_006.0 / 600_000.0));
    // fid55 line 483: type 19 (decoded as its type-18 part), mmsi 412440345, course 3367,
    // heading 0.
    let f = fix(&one(
        "!AIVDM,1,1,,B,C69EG6@0026tkc3Ln`sBL000JBM0l@2L?0jc1QWQed00f0D210R0,0*5C",
        &BASE,
    ))
    .clone();
    assert_eq!(
        (f.mmsi, f.cog_deg, f.heading_deg, f.class),
        (412_440_345, Some(336.7), Some(0), Some(Class::B))
    );
    assert!(close(f.lon, 70_752_726.0 / 600_000.0));
    assert!(close(f.lat, 14_473_870.0 / 600_000.0));
}

#[test]
fn type_5_two_sentences_reassembled() {
    // fid55 lines 14-15 and the .chk: mmsi 244710865, "PRINSES CHRISTINA", ship type 69, no IMO.
    let input = data("gpsd_ais-nmea-type6-fid55.log");
    let (_, recs) = read_nmea(&input, &BASE);
    let rec = recs
        .iter()
        .find(|r| r.line == 14)
        .unwrap_or_else(|| panic!("no record at line 14"));
    assert_eq!(
        rec.raw,
        b"!AIVDM,2,1,7,A,53aGulD0000000c7?0918Tq<E>0<Q8U=@Tp400155P:22uG`002ShTj0,0*05\n\
          !AIVDM,2,2,7,A,EQC`4Sm51A0C@08,2*50\n"
    );
    let s = stat(&rec.item);
    assert_eq!(s.mmsi, 244_710_865);
    assert_eq!(s.name.as_deref(), Some("PRINSES CHRISTINA"));
    assert_eq!(s.ship_type, Some(69));
    assert_eq!((s.imo, s.callsign.as_deref()), (None, None));
    // Lines 17-18: mmsi 356068000, IMO 9698939, call sign 3FSA3, "SEAJACKS SCYLLA", ship type
    // 9 (reserved: None here).
    let s = stat(
        &recs
            .iter()
            .find(|r| r.line == 17)
            .unwrap_or_else(|| panic!("line 17"))
            .item,
    );
    assert_eq!(
        (
            s.mmsi,
            s.imo,
            s.callsign.as_deref(),
            s.name.as_deref(),
            s.ship_type
        ),
        (
            356_068_000,
            Some(9_698_939),
            Some("3FSA3"),
            Some("SEAJACKS SCYLLA"),
            None
        )
    );
}

#[test]
fn type_5_grouped_by_tag_block_with_a_sentence_between() {
    let input = data("libais_tagblock.nmea");
    let (summary, recs) = read_nmea(&input, &NO_TIME);
    assert_eq!((summary.fixes, summary.statics, summary.refused), (3, 1, 0));
    let text = String::from_utf8_lossy(&input);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Line 2 (a single sentence) comes out first, then the type 5 of lines 1 and 3.
    assert_eq!(recs[0].line, 2);
    assert_eq!(recs[1].line, 1);
    assert_eq!(recs[1].raw, format!("{}{}", lines[0], lines[2]).as_bytes());
    let s = stat(&recs[1].item);
    assert_eq!(s.t_ms, Some(1_418_169_601_000));
    // Decoded values (regression: nmea-parser's decoding is checked against gpsd above).
    assert_eq!(
        (s.mmsi, s.name.as_deref(), s.callsign.as_deref()),
        (219_005_012, Some("ROSINANTE"), Some("XPD5019"))
    );
}

#[test]
fn tag_block_group_keys_reassembly() {
    // Made here: two two-part type 5 messages with the same sequential id and channel,
    // interleaved, told apart only by their tag-block groups.
    let p1 = "53aGulD0000000c7?0918Tq<E>0<Q8U=@Tp400155P:22uG`002ShTj0";
    let p2 = "EQC`4Sm51A0C@08";
    let q1 = "55CTb`82CwWg<I<7<01<D4`4<e>1<=Thh40000091J12h5rVNA5S2Dlj";
    let q2 = "CQiCP0000000000";
    let lines = [
        format!(
            "{}{}",
            tag("g:1-2-10,c:1000000000"),
            sentence(&format!("AIVDM,2,1,3,A,{p1},0"))
        ),
        format!(
            "{}{}",
            tag("g:1-2-11,c:1000000001"),
            sentence(&format!("AIVDM,2,1,3,A,{q1},0"))
        ),
        format!(
            "{}{}",
            tag("g:2-2-10"),
            sentence(&format!("AIVDM,2,2,3,A,{p2},2"))
        ),
        format!(
            "{}{}",
            tag("g:2-2-11"),
            sentence(&format!("AIVDM,2,2,3,A,{q2},2"))
        ),
    ];
    let input = lines.join("\n") + "\n";
    let (summary, recs) = read_nmea(input.as_bytes(), &NO_TIME);
    assert_eq!((summary.statics, summary.refused), (2, 0), "{recs:?}");
    let a = stat(&recs[0].item);
    let b = stat(&recs[1].item);
    assert_eq!((a.mmsi, a.t_ms), (244_710_865, Some(1_000_000_000_000)));
    assert_eq!((b.mmsi, b.t_ms), (356_068_000, Some(1_000_000_001_000)));
    assert_eq!((recs[0].line, recs[1].line), (1, 2));
    // Without the groups the same lines pair wrongly: first part 1 is replaced (refused as
    // truncated), part 2 then joins the second message's part 1.
    let plain = [
        sentence(&format!("AIVDM,2,1,3,A,{p1},0")),
        sentence(&format!("AIVDM,2,1,3,A,{q1},0")),
        sentence(&format!("AIVDM,2,2,3,A,{p2},2")),
    ]
    .join("\n");
    let (summary, recs) = read_nmea(plain.as_bytes(), &NO_TIME);
    assert_eq!(summary.refused, 1);
    assert!(refused(&recs[0].item).contains("truncated"));
    // Other channel or talker: another message.
    let other = [
        sentence(&format!("AIVDM,2,1,3,A,{p1},0")),
        sentence(&format!("AIVDM,2,2,3,B,{p2},2")),
        sentence(&format!("BSVDM,2,2,3,A,{p2},2")),
    ]
    .join("\n");
    let (summary, _) = read_nmea(other.as_bytes(), &NO_TIME);
    assert_eq!((summary.statics, summary.refused), (0, 3));
}

#[test]
fn type_24_parts_a_and_b() {
    // fid55 line 218 (part A) and 236 (part B); .chk: mmsi 265650060, "MANI", ship type 36
    // (sailing), call sign SD8002.
    let a = stat(&one(
        "!AIVDM,1,1,,A,H3uEwS0l4pT0000000000000001,2*06",
        &BASE,
    ))
    .clone();
    let b = stat(&one(
        "!AIVDM,1,1,,A,H3uEwS4T0000000C4phhj0104130,0*43",
        &BASE,
    ))
    .clone();
    assert_eq!(
        a,
        Static {
            mmsi: 265_650_060,
            t_ms: Some(1_600_000_000_000),
            imo: None,
            name: Some("MANI".into()),
            callsign: None,
            ship_type: None,
        }
    );
    assert_eq!(
        b,
        Static {
            mmsi: 265_650_060,
            t_ms: Some(1_600_000_000_000),
            imo: None,
            name: None,
            callsign: Some("SD8002".into()),
            ship_type: Some(36),
        }
    );
    // Each part is its own record, whatever came before (no merging across the input).
    let input = "!AIVDM,1,1,,A,H3uEwS4T0000000C4phhj0104130,0*43\n\
                 !AIVDM,1,1,,A,H3uEwS4T0000000C4phhj0104130,0*43\n";
    let (summary, recs) = read_nmea(input.as_bytes(), &BASE);
    assert_eq!(summary.statics, 2);
    assert_eq!(recs[0].item, recs[1].item);
}

#[test]
fn checksum_failure_refused_with_both_values() {
    // A real line with one payload character changed (`U` -> `V`): written 4C, computed 4F.
    let why = one("!AIVDM,1,1,,B,13V4vF0P001d<UnEeSmQ>gv`04hd,0*4C", &BASE);
    assert_eq!(
        refused(&why),
        "checksum mismatch: expected 4C, computed 4F (a corrupted sentence: left out)"
    );
    // A tag block's checksum is checked too.
    let line = "\\s:rORBCOMM104,q:u,c:1418172113,T:2014-12-10 00.41.53*56\\!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep`iToV0<00,0*78";
    let why = one(line, &BASE);
    assert!(
        refused(&why).starts_with("tag block checksum mismatch: expected 56, computed 55"),
        "{why:?}"
    );
    // No checksum at all.
    assert!(
        refused(&one("!AIVDM,1,1,,B,13U4vF0P001d<UnEeSmQ>gv`04hd,0", &BASE))
            .contains("without a checksum")
    );
}

#[test]
fn truncated_multi_part_refused() {
    let p1 = "!AIVDM,2,1,7,A,53aGulD0000000c7?0918Tq<E>0<Q8U=@Tp400155P:22uG`002ShTj0,0*05\n";
    let p2 = "!AIVDM,2,2,7,A,EQC`4Sm51A0C@08,2*50\n";
    let pos = "!AIVDM,1,1,,B,13U4vF0P001d<UnEeSmQ>gv`04hd,0*4C\n";
    // Part 1 then the end of input.
    let (s, recs) = read_nmea(format!("{p1}{pos}").as_bytes(), &BASE);
    assert_eq!((s.fixes, s.refused), (1, 1));
    assert_eq!(recs[1].line, 1);
    assert_eq!(recs[1].raw, p1.as_bytes());
    assert_eq!(
        refused(&recs[1].item),
        "truncated multi-sentence message: 1 of 2 parts read, the input ended first: left out"
    );
    // Part 2 without part 1.
    let (s, recs) = read_nmea(format!("{p2}{pos}").as_bytes(), &BASE);
    assert_eq!((s.fixes, s.refused), (1, 1));
    assert!(refused(&recs[0].item).contains("earlier parts were not read"));
    // Part 1 twice, then part 2: the first part 1 is refused, the second pairs.
    let (s, recs) = read_nmea(format!("{p1}{p1}{p2}").as_bytes(), &BASE);
    assert_eq!((s.statics, s.refused), (1, 1));
    assert!(refused(&recs[0].item).contains("a new part 1 came instead"));
    assert_eq!(recs[1].line, 2);
    // Made here: part 3 of 3 right after part 1.
    let three = [
        sentence("AIVDM,3,1,1,A,53aGulD0000000c7?0918Tq<E>0<Q8U=@Tp400155P:22uG`002ShTj0,0"),
        sentence("AIVDM,3,3,1,A,EQC`4Sm51A0C@08,2"),
    ]
    .join("\n");
    let (s, recs) = read_nmea(three.as_bytes(), &BASE);
    assert_eq!(s.refused, 2);
    assert!(refused(&recs[0].item).contains("part 3 came after part 1"));
    // A payload cut short (the second part's characters missing): refused by length.
    let short = sentence("AIVDM,1,1,,A,53aGulD0000000c7?0918Tq<E>0<Q8U=@Tp400155P:22uG`002ShTj0,0");
    assert_eq!(
        refused(&one(&short, &BASE)),
        "type 5 message of 336 bits, at least 420 needed: left out (a truncated sentence)"
    );
}

#[test]
fn pending_groups_are_bounded() {
    // Made here: 1,025 first parts with distinct tag-block groups, then the first group's part 2.
    let p1 = "53aGulD0000000c7?0918Tq<E>0<Q8U=@Tp400155P:22uG`002ShTj0";
    let mut input = String::new();
    for g in 0..=nmea::MAX_PENDING {
        input += &tag(&format!("g:1-2-{g}"));
        input += &sentence(&format!("AIVDM,2,1,1,A,{p1},0"));
        input.push('\n');
    }
    input += &tag("g:2-2-0");
    input += &sentence("AIVDM,2,2,1,A,EQC`4Sm51A0C@08,2");
    input.push('\n');
    let (s, recs) = read_nmea(input.as_bytes(), &BASE);
    assert!(refused(&recs[0].item).contains("more than 1024 incomplete messages"));
    assert_eq!(recs[0].line, 1);
    assert!(refused(&recs[1].item).contains("earlier parts were not read"));
    assert_eq!(s.refused as usize, 2 + nmea::MAX_PENDING);
    // Ten parts cannot be said.
    let ten = sentence("AIVDM,10,1,1,A,53aG,0");
    assert!(refused(&one(&ten, &BASE)).contains("sentence count '10'"));
}

#[test]
fn time_from_tag_block_receiver_suffix_or_base() {
    // libais_tagblock.nmea line 2: c:1418172113.
    let input = data("libais_tagblock.nmea");
    let (_, recs) = read_nmea(&input, &NO_TIME);
    assert_eq!(fix(&recs[0].item).t_ms, 1_418_172_113_000);
    // A tag block time wins over the time base.
    let (_, recs) = read_nmea(&input, &BASE);
    assert_eq!(fix(&recs[0].item).t_ms, 1_418_172_113_000);
    // Milliseconds in c: (made here).
    let line = format!(
        "{}{}",
        tag("c:1418172113250"),
        "!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep`iToV0<00,0*78"
    );
    assert_eq!(fix(&one(&line, &NO_TIME)).t_ms, 1_418_172_113_250);

    // libais_test.aivdm: USCG suffixes ",b003669794,1272412827" and ",rCUDJOE_01,1272672306".
    let input = data("libais_test.aivdm");
    let (summary, recs) = read_nmea(&input, &NO_TIME);
    let first = recs
        .iter()
        .find(|r| {
            r.raw
                .starts_with(b"!AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS5,0*70")
        })
        .unwrap_or_else(|| panic!("line not found"));
    assert_eq!(fix(&first.item).t_ms, 1_272_412_827_000);
    let two_part = recs
        .iter()
        .find(|r| {
            r.raw
                .starts_with(b"!AIVDM,2,1,1,A,55>u@H02;lGc<Ha;L0084i<7GR2")
        })
        .unwrap_or_else(|| panic!("two-part not found"));
    assert_eq!(stat(&two_part.item).t_ms, Some(1_272_672_306_000));
    // Every line of that file has a receiver time: nothing refused for want of one.
    assert!(refusals(&recs)
        .iter()
        .all(|(_, w)| !w.contains("no time source")));
    assert_eq!(summary.refused, 13, "{:?}", refusals(&recs));
    // NAIS suffix ",d-080,S2118,t050056.00,T56.4837741,r003669946,1325394060,1325394001": the last
    // field.
    let line = "!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*30,d-080,S2118,t050056.00,T56.4837741,r003669946,1325394060,1325394001";
    let f = fix(&one(line, &NO_TIME)).clone();
    assert_eq!((f.mmsi, f.t_ms), (367_033_650, 1_325_394_001_000));

    // No source: only the time base, else refused.
    let bare = "!AIVDM,1,1,,B,13U4vF0P001d<UnEeSmQ>gv`04hd,0*4C";
    assert_eq!(fix(&one(bare, &BASE)).t_ms, 1_600_000_000_000);
    assert_eq!(
        refused(&one(bare, &NO_TIME)),
        "no time source: no tag block c:, no receiver time after the checksum, no time base; \
         pass --time-base or use tag blocks"
    );
    // Static data without a time is kept, without a time.
    let a = stat(&one(
        "!AIVDM,1,1,,A,H3uEwS0l4pT0000000000000001,2*06",
        &NO_TIME,
    ))
    .clone();
    assert_eq!(a.t_ms, None);
}

#[test]
fn position_not_available_is_skipped_not_refused() {
    // fid55: type 1, mmsi 244780460, lon 181, lat 91 (gpsd: 108600000, 54600000).
    let line = "!AIVDM,1,1,,A,13aL=c8P?w<tSF0l4Q@>4?wv0>`<,0*35";
    assert_eq!(one(line, &BASE), Item::Skipped(Skip::PositionNotAvailable));
    // Even without a time source.
    assert_eq!(
        one(line, &NO_TIME),
        Item::Skipped(Skip::PositionNotAvailable)
    );
    let (s, _) = read_nmea(&data("gpsd_ais-nmea-type6-fid55.log"), &BASE);
    assert_eq!(s.skipped_not_available, 11);
    // Out of range otherwise: refused (libais_typeexamples.nmea, a type 27 at lon 200.2).
    let line = "!AIVDM,1,1,,A,KvQ:1o`7EBrBQ`?w,0*37,d-127,S0258,t111606.00,T06.8887855,r003669946,1325416567,1325416509";
    assert!(refused(&one(line, &BASE)).starts_with("longitude 200.23"));
}

#[test]
fn other_types_skipped_and_comments_silent() {
    // Type 4 (base station), type 8, type 21 from the gpsd logs.
    for line in [
        "!AIVDM,1,1,,A,402B4L0000Htt1Lg@6FV5vG01d7N,0*06",
        "!AIVDM,1,1,,B,E>m1c@h`:R72dh97QUP00000000FCScPm@vv@00003cP10,4*1F",
        "!AIVDM,1,1,,A,83aIj>0j2d<tLL=MM1T0a?a@0000,0*02",
    ] {
        assert_eq!(one(line, &BASE), Item::Skipped(Skip::OtherType), "{line}");
    }
    let input = data("gpsd_ais-raw-messages.log");
    let (s, recs) = read_nmea(&input, &BASE);
    assert_eq!(s.refused, 0);
    // 7 comment lines (and CRLF endings) give no record; the first record is line 8.
    assert_eq!(recs[0].line, 8);
    assert!(recs[0].raw.ends_with(b"\r\n"));
    assert_eq!(s.records(), 109);
}

#[test]
fn type_27_long_range() {
    // fid55 line 1177; .chk: mmsi 244110563, lon 2931, lat 31434 (1/600 degree), status 5.
    let f = fix(&one("!AIVDM,1,1,,B,Kk`kDpu@;LkmU0Ot,0*20", &BASE)).clone();
    assert_eq!(
        f,
        Fix {
            mmsi: 244_110_563,
            t_ms: 1_600_000_000_000,
            lon: 2931.0 / 600.0,
            lat: 31434.0 / 600.0,
            sog_knots: None,
            cog_deg: None,
            heading_deg: None,
            nav_status: Some(5),
            class: Some(Class::A),
        }
    );
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_never_panic_and_every_line_is_accounted_for(
            lines in proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..120),
                    Just(b"!AIVDM,2,1,7,A,53aGulD0000000c7?0918Tq<E>0<Q8U=@Tp400155P:22uG`002ShTj0,0*05".to_vec()),
                    Just(b"!AIVDM,2,2,7,A,EQC`4Sm51A0C@08,2*50".to_vec()),
                    Just(b"!AIVDM,1,1,,B,13U4vF0P001d<UnEeSmQ>gv`04hd,0*4C".to_vec()),
                ],
                0..30,
            )
        ) {
            let mut input = Vec::new();
            for l in &lines {
                input.extend(l.iter().copied().filter(|&b| b != b'\n'));
                input.push(b'\n');
            }
            let mut newlines = 0usize;
            let summary = nmea::read(&input[..], &BASE, |r| {
                newlines += r.raw.iter().filter(|&&b| b == b'\n').count();
            });
            let summary = summary.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let kept = input
                .split(|&b| b == b'\n')
                .filter(|l| {
                    let t = l.trim_ascii();
                    !t.is_empty() && t[0] != b'#'
                })
                .count();
            prop_assert_eq!(newlines, kept);
            prop_assert!(summary.records() as usize <= kept);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV.

use truce_ais::csv::{self as aiscsv, Layout};

fn read_csv(input: &[u8]) -> (aiscsv::Summary, Vec<Rec>) {
    let mut recs = Vec::new();
    let summary = aiscsv::read(input, |r| {
        recs.push(Rec {
            line: r.line,
            raw: r.raw.to_vec(),
            item: r.item,
        })
    })
    .unwrap_or_else(|e| panic!("{e}"));
    (summary, recs)
}

fn at_line(recs: &[Rec], line: u64) -> Vec<&Item> {
    recs.iter()
        .filter(|r| r.line == line)
        .map(|r| &r.item)
        .collect()
}

#[test]
fn marinecadastre_sample_known_rows() {
    let input = data("AIS_2022_03_31_small-sample_original-format.csv");
    assert_eq!(sniff_first_line(&input), Some(Layout::MarineCadastre));
    let (s, recs) = read_csv(&input);
    assert_eq!((s.fixes, s.statics, s.refused), (51, 51, 0));
    // Line 2: 367702220,2022-03-31T00:00:01,29.78763,-95.08070,0.1,226.5,340.0,JOE B WARD,,
    // WDI4808,31,12,21,8,,57,A — a fix and static data, the same raw row.
    let items = at_line(&recs, 2);
    assert_eq!(
        items,
        [
            &Item::Fix(Fix {
                mmsi: 367_702_220,
                t_ms: 1_648_684_801_000,
                lon: -95.0807,
                lat: 29.78763,
                sog_knots: Some(0.1),
                cog_deg: Some(226.5),
                heading_deg: Some(340),
                nav_status: Some(12),
                class: Some(Class::A),
            }),
            &Item::Static(Static {
                mmsi: 367_702_220,
                t_ms: Some(1_648_684_801_000),
                imo: None,
                name: Some("JOE B WARD".into()),
                callsign: Some("WDI4808".into()),
                ship_type: Some(31),
            }),
        ]
    );
    let two: Vec<_> = recs.iter().filter(|r| r.line == 2).collect();
    assert_eq!(two[0].raw, two[1].raw);
    assert_eq!(
        two[0].raw,
        b"367702220,2022-03-31T00:00:01,29.78763,-95.08070,0.1,226.5,340.0,JOE B WARD,,WDI4808,31,12,21,8,,57,A\n"
    );
    // Line 3: IMO9221322, heading 511 (not available).
    let items = at_line(&recs, 3);
    assert_eq!(fix(items[0]).heading_deg, None);
    assert_eq!(stat(items[1]).imo, Some(9_221_322));
    assert_eq!(stat(items[1]).ship_type, Some(79));
    // Line 42: ESCAPE, COG 360.0, IMO0000000, class B, no status.
    let items = at_line(&recs, 42);
    let f = fix(items[0]);
    assert_eq!(
        (
            f.mmsi,
            f.t_ms,
            f.cog_deg,
            f.heading_deg,
            f.nav_status,
            f.class
        ),
        (
            338_361_065,
            1_648_684_806_000,
            None,
            None,
            None,
            Some(Class::B)
        )
    );
    assert_eq!(
        (stat(items[1]).imo, stat(items[1]).callsign.as_deref()),
        (None, None)
    );
    // Line 45: VesselType 0 is no type.
    assert_eq!(stat(at_line(&recs, 45)[1]).ship_type, None);
}

fn sniff_first_line(input: &[u8]) -> Option<Layout> {
    let end = input
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(input.len());
    aiscsv::sniff(&input[..end])
}

#[test]
fn marinecadastre_excerpt_rows_and_raw_bytes() {
    let input = data("AIS_2022_01_03_excerpt2000.csv");
    let (s, recs) = read_csv(&input);
    assert_eq!((s.fixes, s.refused), (1999, 0));
    assert_eq!(s.statics, 1997);
    // The position records' raw rows, in order, are the file after its header, byte for byte.
    let header_end = input.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
    let rows: Vec<u8> = recs
        .iter()
        .filter(|r| !matches!(r.item, Item::Static(_)))
        .flat_map(|r| r.raw.clone())
        .collect();
    assert_eq!(rows, &input[header_end..]);
    // Line 3: 367379190,2022-01-03T00:00:00,30.37060,-88.56408,0.0,336.2,511.0,EAGLE,
    // IMO8207721,WTD4583,31,0,28,11,3.3,52,A
    let items = at_line(&recs, 3);
    let f = fix(items[0]);
    assert_eq!(
        (
            f.mmsi,
            f.t_ms,
            f.lat,
            f.lon,
            f.sog_knots,
            f.cog_deg,
            f.heading_deg
        ),
        (
            367_379_190,
            1_641_168_000_000,
            30.3706,
            -88.56408,
            Some(0.0),
            Some(336.2),
            None
        )
    );
    assert_eq!(
        stat(items[1]),
        &Static {
            mmsi: 367_379_190,
            t_ms: Some(1_641_168_000_000),
            imo: Some(8_207_721),
            name: Some("EAGLE".into()),
            callsign: Some("WTD4583".into()),
            ship_type: Some(31),
        }
    );
}

#[test]
fn marinecadastre_quotes_sentinels_and_line_endings() {
    // Row 4183 of the shared AIS_2022_01_03_first20000.csv (real, not in the excerpt): a quoted
    // name with doubled quotes. Then rows made here (synthetic) for the sentinels, with CRLF
    // line endings and a blank line.
    let input = format!(
        "{}\r\n\
         367704390,2022-01-03T00:00:24,30.22025,-93.26768,0.2,275.4,197.0,\"RAY \"\"CHIEF\"\" TONEY\",,WDI5024,31,12,25,,,57,A\r\n\
         \r\n\
         111111111,2022-01-03T00:00:30,30.0,-90.0,102.3,360.0,511.0,,IMO8207721,,,,,,,,B\r\n\
         111111111,2022-01-03T00:00:31,30.0,-90.0,,,,,,,,,,,,,\r\n",
        aiscsv::MARINE_CADASTRE_HEADER
    );
    let (s, recs) = read_csv(input.as_bytes());
    assert_eq!((s.fixes, s.statics, s.refused), (3, 2, 0));
    assert_eq!(recs[0].line, 2);
    assert!(recs[0].raw.ends_with(b",A\r\n"));
    assert_eq!(
        stat(&recs[1].item).name.as_deref(),
        Some("RAY \"CHIEF\" TONEY")
    );
    assert_eq!(fix(&recs[0].item).class, Some(Class::A));
    // Line 4 (after the blank line 3): SOG 102.3, COG 360, heading 511 are not available.
    assert_eq!(recs[2].line, 4);
    let f = fix(&recs[2].item);
    assert_eq!(
        (f.sog_knots, f.cog_deg, f.heading_deg, f.class),
        (None, None, None, Some(Class::B))
    );
    assert_eq!(stat(&recs[3].item).imo, Some(8_207_721));
    assert_eq!(stat(&recs[3].item).name, None);
    // Line 5: everything but the position empty: a fix, no static data.
    assert_eq!(recs[4].line, 5);
    assert_eq!(fix(&recs[4].item).nav_status, None);
}

/// The mobiml DMA sample's rows, re-laid as the current 26-column layout (empty A,B,C,D added):
/// synthetic.
fn dma_26_columns(old: &str) -> String {
    let mut out = String::new();
    for (i, line) in old.lines().enumerate() {
        out += line;
        out += if i == 0 { ",A,B,C,D\n" } else { ",,,,\n" };
    }
    out
}

#[test]
fn dma_old_layout_known_rows() {
    let input = data("mobiml_test_aisdk_20180208_sample.csv");
    assert_eq!(sniff_first_line(&input), Some(Layout::Dma));
    let (s, recs) = read_csv(&input);
    assert_eq!((s.fixes, s.statics, s.refused), (10, 0, 0));
    // Line 2: 60,08/02/2018 00:00:00,Class A,265177000,57.602225,11.644943,Under way using
    // engine,0.0,15.7,61.4,63.0,Unknown,,,Undefined,… (IMO Unknown, ship type Undefined: no
    // static record).
    assert_eq!(
        at_line(&recs, 2),
        [&Item::Fix(Fix {
            mmsi: 265_177_000,
            t_ms: 1_518_048_000_000,
            lon: 11.644943,
            lat: 57.602225,
            sog_knots: Some(15.7),
            cog_deg: Some(61.4),
            heading_deg: Some(63),
            nav_status: Some(0),
            class: Some(Class::A),
        })]
    );
    // Line 3: at anchor; line 5: "Reserved for future amendment [HSC]" (9); line 6: "Unknown
    // value" (15) at 00:00:01.
    assert_eq!(fix(at_line(&recs, 3)[0]).nav_status, Some(1));
    assert_eq!(fix(at_line(&recs, 5)[0]).nav_status, Some(9));
    let f = fix(at_line(&recs, 6)[0]);
    assert_eq!(
        (f.mmsi, f.t_ms, f.nav_status),
        (265_550_210, 1_518_048_001_000, Some(15))
    );
    // Line 11: 258,08/02/2018 00:00:02,…,265547220,57.704668,11.939327,…,0.0,95.5,257.0
    let f = fix(at_line(&recs, 11)[0]);
    assert_eq!(
        (f.mmsi, f.t_ms, f.lat, f.lon, f.cog_deg, f.heading_deg),
        (
            265_547_220,
            1_518_048_002_000,
            57.704668,
            11.939327,
            Some(95.5),
            Some(257)
        )
    );
}

#[test]
fn dma_both_layouts_read_alike() {
    let old = data("mobiml_test_aisdk_20180208_sample.csv");
    let new = dma_26_columns(&String::from_utf8_lossy(&old));
    assert!(
        new.starts_with(",# Timestamp,")
            && new.lines().next().is_some_and(|h| h.ends_with(",A,B,C,D"))
    );
    let (s_old, old_recs) = read_csv(&old);
    let (s_new, new_recs) = read_csv(new.as_bytes());
    assert_eq!(s_old, s_new);
    let items = |r: &[Rec]| {
        r.iter()
            .map(|r| (r.line, r.item.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(items(&old_recs), items(&new_recs));
    // The current header alone, without the index column, is the DMA layout too.
    assert_eq!(
        aiscsv::sniff(aiscsv::DMA_HEADER.as_bytes()),
        Some(Layout::Dma)
    );
}

#[test]
fn dma_static_data_and_ship_type_words() {
    // Rows made here (synthetic), current layout.
    let row = |mobile: &str,
               mmsi: &str,
               time: &str,
               lat: &str,
               lon: &str,
               imo: &str,
               name: &str,
               ship: &str| {
        format!("{time},{mobile},{mmsi},{lat},{lon},Moored,,0.0,,,{imo},OXYZ2,{name},{ship},,,,GPS,,,,AIS,,,,\n")
    };
    let mut input = format!("{}\n", aiscsv::DMA_HEADER);
    input += &row(
        "Class A",
        "219000001",
        "01/03/2024 12:00:00",
        "55.5",
        "12.5",
        "9321483",
        "NORDIC STAR",
        "Cargo",
    );
    input += &row(
        "Class B",
        "219000002",
        "01/03/2024 12:00:01",
        "55.5",
        "12.5",
        "Unknown",
        "Unknown",
        "Tanker",
    );
    input += &row(
        "Class A",
        "219000003",
        "01/03/2024 12:00:02",
        "91",
        "181",
        "0",
        "",
        "Law enforcement",
    );
    input += &row(
        "Base Station",
        "2190001",
        "01/03/2024 12:00:03",
        "55.5",
        "12.5",
        "",
        "",
        "",
    );
    input += &row(
        "Class A",
        "219000004",
        "01/03/2024 12:00:04",
        "55.5",
        "12.5",
        "Unknown",
        "",
        "Undefined",
    );
    let (s, recs) = read_csv(input.as_bytes());
    assert_eq!(
        (
            s.fixes,
            s.statics,
            s.skipped_not_available,
            s.skipped_other_type,
            s.refused
        ),
        (3, 4, 1, 1, 0),
        "{recs:?}"
    );
    let a = at_line(&recs, 2);
    assert_eq!(fix(a[0]).nav_status, Some(5));
    assert_eq!(
        stat(a[1]),
        &Static {
            mmsi: 219_000_001,
            t_ms: Some(1_709_294_400_000),
            imo: Some(9_321_483),
            name: Some("NORDIC STAR".into()),
            callsign: Some("OXYZ2".into()),
            ship_type: Some(70),
        }
    );
    let b = at_line(&recs, 3);
    assert_eq!(fix(b[0]).class, Some(Class::B));
    assert_eq!(
        (
            stat(b[1]).imo,
            stat(b[1]).name.as_deref(),
            stat(b[1]).ship_type
        ),
        (None, None, Some(80))
    );
    // Lat 91 / lon 181: skipped, not refused; its static data still comes.
    let c = at_line(&recs, 4);
    assert_eq!(c[0], &Item::Skipped(Skip::PositionNotAvailable));
    assert_eq!((stat(c[1]).imo, stat(c[1]).ship_type), (None, Some(55)));
    assert_eq!(at_line(&recs, 5), [&Item::Skipped(Skip::OtherType)]);
    // Undefined ship type, Unknown IMO: only the call sign.
    let e = at_line(&recs, 6);
    assert_eq!(
        (stat(e[1]).ship_type, stat(e[1]).callsign.as_deref()),
        (None, Some("OXYZ2"))
    );
}

#[test]
fn csv_rows_refused_with_reasons() {
    // Rows made here (synthetic), the old DMA layout with the index column.
    let old = data("mobiml_test_aisdk_20180208_sample.csv");
    let header = String::from_utf8_lossy(&old)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let good = "60,08/02/2018 00:00:00,Class A,265177000,57.602225,11.644943,Under way using engine,0.0,15.7,61.4,63.0,Unknown,,,Undefined,,,,Undefined,,,,AIS";
    let rows = [
        good.replace("265177000", "26517700A"),
        good.replace("265177000", "2651770001"),
        good.replace("08/02/2018 00:00:00", "31/02/2018 00:00:00"),
        good.replace("08/02/2018 00:00:00", "2018-02-08T00:00:00"),
        good.replace("57.602225", "95.5"),
        good.replace("11.644943", "-180.5"),
        good.replace("15.7", "fast"),
        good.replace(",AIS", ""),
        good.replace("57.602225", "91"),
        good.replace("57.602225,11.644943", ","),
    ];
    let input = format!("{header}\n{}\n", rows.join("\n"));
    let (s, recs) = read_csv(input.as_bytes());
    let why: Vec<String> = recs
        .iter()
        .map(|r| match &r.item {
            Item::Refused(w) => w.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        why,
        [
            "MMSI '26517700A' is not a number of at most 9 digits: row left out",
            "MMSI '2651770001' is not a number of at most 9 digits: row left out",
            "time '31/02/2018 00:00:00' is not dd/mm/yyyy HH:MM:SS (# Timestamp): row left out",
            "time '2018-02-08T00:00:00' is not dd/mm/yyyy HH:MM:SS (# Timestamp): row left out",
            "latitude 95.5 outside -90..90 (91 would mean not available): row left out",
            "longitude -180.5 outside -180..180 (181 would mean not available): row left out",
            "SOG 'fast' is not a number: row left out",
            "row has 22 fields, the header 23: row left out (a broken line?)",
            "Skipped(PositionNotAvailable)",
            "Skipped(PositionNotAvailable)",
        ]
    );
    assert_eq!(
        recs.iter().map(|r| r.line).collect::<Vec<_>>(),
        (2..=11).collect::<Vec<u64>>()
    );
    assert_eq!((s.refused, s.skipped_not_available), (8, 2));
    // MarineCadastre: a bad time.
    let input = format!(
        "{}\n367702220,2022-03-31 25:00:01,29.78763,-95.08070,0.1,226.5,340.0,JOE B WARD,,WDI4808,31,12,21,8,,57,A\n",
        aiscsv::MARINE_CADASTRE_HEADER
    );
    let (_, recs) = read_csv(input.as_bytes());
    assert_eq!(
        refused(&recs[0].item),
        "time '2022-03-31 25:00:01' is not yyyy-mm-ddTHH:MM:SS (BaseDateTime): row left out"
    );
}

#[test]
fn csv_of_neither_layout_is_an_error_naming_the_headers() {
    let err = aiscsv::read(&b"mmsi,time,lat,lon\n1,2,3,4\n"[..], |_| {});
    let Err(e) = err else {
        panic!("read a CSV of no known layout")
    };
    let msg = e.to_string();
    assert!(msg.contains("found \"mmsi,time,lat,lon\""), "{msg}");
    assert!(msg.contains(aiscsv::DMA_HEADER) && msg.contains(aiscsv::MARINE_CADASTRE_HEADER));
    assert!(matches!(
        aiscsv::read(&b""[..], |_| {}),
        Err(aiscsv::ReadError::UnknownLayout { .. })
    ));
}

#[test]
fn csv_rows_over_the_bound_are_refused_and_reading_resumes() {
    let good = "367702220,2022-03-31T00:00:01,29.78763,-95.08070,0.1,226.5,340.0,JOE B WARD,,WDI4808,31,12,21,8,,57,A\n";
    // Made here: a 100 KiB name on line 3; an unclosed quote on line 5 running 200 KiB over many
    // lines; a good row after each.
    let long = good.replace("JOE B WARD", &"X".repeat(100 * 1024));
    let unclosed = format!(
        "367702220,2022-03-31T00:00:01,29.78763,-95.08070,0.1,226.5,340.0,\"JOE{}\n",
        "abcdefghij\n".repeat(20 * 1024)
    );
    let input = format!(
        "{}\n{good}{long}{good}{unclosed}{good}",
        aiscsv::MARINE_CADASTRE_HEADER
    );
    let (s, recs) = read_csv(input.as_bytes());
    let lines: Vec<(u64, &str)> = recs
        .iter()
        .map(|r| {
            (
                r.line,
                match &r.item {
                    Item::Fix(_) => "fix",
                    Item::Static(_) => "static",
                    Item::Refused(_) => "refused",
                    Item::Skipped(_) => "skipped",
                },
            )
        })
        .collect();
    // The unclosed quote's row is cut at 64 KiB, reading resumes at the next line: the rest of
    // its lines ("abcdefghij") are rows of one field, refused for their field count.
    assert_eq!(
        &lines[..6],
        [
            (2, "fix"),
            (2, "static"),
            (3, "refused"),
            (4, "fix"),
            (4, "static"),
            (5, "refused")
        ]
    );
    assert!(refused(&recs[2].item).starts_with("row longer than 65536 bytes"));
    assert_eq!(recs[2].raw.len(), aiscsv::MAX_ROW_BYTES);
    assert_eq!(recs[5].raw.len(), aiscsv::MAX_ROW_BYTES);
    let last_line = 5 + 20 * 1024 + 1;
    assert_eq!(
        lines[lines.len() - 2..],
        [(last_line, "fix"), (last_line, "static")]
    );
    assert_eq!(s.fixes, 3);
    for r in &recs[6..recs.len() - 2] {
        assert!(refused(&r.item).starts_with("row has 1 fields"), "{r:?}");
        assert_eq!(r.raw, b"abcdefghij\n");
    }
}

mod csv_prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_rows_never_panic_or_fail(
            rows in proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..200),
                    Just(b"367702220,2022-03-31T00:00:01,29.78763,-95.08070,0.1,226.5,340.0,\"JOE \"\"B\"\" WARD\",,WDI4808,31,12,21,8,,57,A".to_vec()),
                    Just(b"367702220,2022-03-31T00:00:01,91,181,,,,,,,,,,,,,".to_vec()),
                ],
                0..40,
            )
        ) {
            let mut input = format!("{}\n", aiscsv::MARINE_CADASTRE_HEADER).into_bytes();
            for r in &rows {
                input.extend_from_slice(r);
                input.push(b'\n');
            }
            let mut raw_total = 0usize;
            let mut last_line = 0;
            let result = aiscsv::read(&input[..], |r| {
                assert!(r.line >= last_line);
                last_line = r.line;
                raw_total += r.raw.len();
                assert!(r.raw.len() <= aiscsv::MAX_ROW_BYTES + 2);
            });
            prop_assert!(result.is_ok(), "{:?}", result.err());
            // Statics repeat their row's raw bytes, so at most twice the input.
            prop_assert!(raw_total <= 2 * input.len());
        }
    }
}

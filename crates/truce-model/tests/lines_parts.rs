//! Line versions too large for one entry, filed in parts: a `line` head stating the parts' count,
//! positions and the geometry's SHA-256, then its `line.part` entries. Assembly in the ledger
//! (visible only once complete and its digest verified), parts out of order, missing, altered or
//! by another author, the bounds, amendments of the assembled version, and replay equality.

mod common;

use common::{apply_all, id, key, register, signed};
use serde_json::json;
use truce_log::KeyPair;
use truce_model::domain::{AmendAction, Amendment, Role};
use truce_model::entry::{decode, Body};
use truce_model::geo::Geometry;
use truce_model::lines::{self, LineHead, LinePart, LineVersion, MAX_PARTS, MAX_VERTICES};
use truce_model::{Applied, Kind, Ledger, Rejection};

/// A wiggly contact line of `n` vertices eastward from 30°E, 48°N (about 0.06 km a step).
fn wiggly(n: usize) -> LineVersion {
    let coords: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let x = i as f64;
            [
                30.0 + x * 0.000_8,
                48.0 + 0.05 * (x / 40.0).sin() + 0.003 * (x / 3.0).cos(),
            ]
        })
        .collect();
    serde_json::from_value(json!({
        "id": "loc", "title": "Line of contact", "kind": "contact",
        "geometry": {"type": "LineString", "coordinates": coords},
        "valid_from": "2025-03-18T00:00:00Z", "source": "synthetic",
        "sectors": [{"id": "a", "name": "A", "from_km": 0, "to_km": 1}],
    }))
    .unwrap()
}

/// The head and parts of `v` split at the usual size.
fn split(v: &LineVersion) -> (LineHead, Vec<LinePart>) {
    lines::split(v, lines::PART_BODY_BYTES).unwrap().unwrap()
}

/// The operator, ua and ru registered.
fn genesis(op: &KeyPair, ua: &KeyPair, ru: &KeyPair) -> Vec<Vec<u8>> {
    vec![
        signed(op, "op", &register("op", Role::Operator, op)),
        signed(op, "op", &register("ua", Role::Belligerent, ua)),
        signed(op, "op", &register("ru", Role::Belligerent, ru)),
    ]
}

/// A head signed by `author`, then `parts` naming it.
fn filed(k: &KeyPair, author: &str, head: &LineHead, parts: &[LinePart]) -> Vec<Vec<u8>> {
    let h = signed(k, author, &Body::LineHead(head.clone()));
    let mut parts = parts.to_vec();
    lines::bind(&mut parts, &truce_model::entry::entry_id(&h));
    let mut out = vec![h];
    out.extend(
        parts
            .into_iter()
            .map(|p| signed(k, author, &Body::LinePart(p))),
    );
    out
}

fn refused_with(a: &Applied, want: &str) {
    assert!(
        matches!(a, Applied::Refused(Rejection::Invalid(m)) if m.contains(want)),
        "{want}: {a:?}"
    );
}

#[test]
fn a_long_line_is_assembled_from_its_parts_when_the_last_arrives() {
    let (op, ua, ru) = (key("op"), key("ua"), key("ru"));
    let v = wiggly(20_000);
    let (head, parts) = split(&v);
    assert!(parts.len() >= 5, "{} parts", parts.len());
    assert_eq!(head.parts.vertices, 20_000);
    assert_eq!(head.parts.count as usize, parts.len());
    assert_eq!(head.parts.sha256, lines::geometry_sha256(&v.geometry));
    let mut log = genesis(&op, &ua, &ru);
    let entries = filed(&ua, "ua", &head, &parts);
    for e in &entries {
        assert!(e.len() <= 65_535, "an entry of {} bytes", e.len());
    }
    let head_id = truce_model::entry::entry_id(&entries[0]);
    log.extend(entries);
    // Nothing is visible before the last part.
    let (partial, applied) = apply_all(&log[..log.len() - 1]);
    assert!(
        applied[3..]
            .iter()
            .all(|a| matches!(a, Applied::Accepted(..))),
        "{applied:?}"
    );
    assert!(partial.line_versions.is_empty());
    assert_eq!(partial.lines().count(), 0);
    let (ledger, applied) = apply_all(&log);
    assert!(matches!(
        applied.last(),
        Some(Applied::Accepted(_, Kind::LinePart))
    ));
    let rec = ledger.line_at(&id("ua"), &id("loc"), v.valid_from).unwrap();
    assert_eq!(rec.value, v, "the assembled version is the one split");
    assert_eq!((rec.index, rec.entry_id.as_str()), (3, head_id.as_str()));
    assert_eq!(lines::document(rec, false)["vertices"], 20_000);
    assert!(ledger.incomplete_lines.is_empty());
    // A head and a part decode to what was signed; the bytes are canonical.
    let h = decode(&log[3]).unwrap();
    assert_eq!(h.kind, Kind::Line);
    assert_eq!(h.body, Body::LineHead(head.clone()));
    let p = decode(&log[4]).unwrap();
    let Body::LinePart(first) = p.body else {
        panic!("{:?}", p.kind)
    };
    assert_eq!(
        (&first.head, &first.coordinates),
        (&head_id, &parts[0].coordinates)
    );
}

#[test]
fn a_small_line_stays_one_entry_with_its_geometry() {
    let v = wiggly(100);
    assert!(lines::split(&v, lines::PART_BODY_BYTES).unwrap().is_none());
    let (op, ua, ru) = (key("op"), key("ua"), key("ru"));
    let mut log = genesis(&op, &ua, &ru);
    log.push(signed(&ua, "ua", &Body::Line(v.clone())));
    let env = decode(&log[3]).unwrap();
    assert_eq!(env.body, Body::Line(v.clone()));
    let text = String::from_utf8(log[3].clone()).unwrap();
    assert!(text.contains("\"geometry\":{") && !text.contains("\"parts\""));
    let (ledger, _) = apply_all(&log);
    assert_eq!(ledger.lines().next().unwrap().value, v);
}

#[test]
fn multi_lines_and_polygons_are_split_by_line_and_ring() {
    let (op, ua, ru) = (key("op"), key("ua"), key("ru"));
    let ring = |cx: f64, r: f64, n: usize| -> Vec<[f64; 2]> {
        let mut pts: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                [cx + r * a.cos(), 48.0 + r * a.sin()]
            })
            .collect();
        pts.push(pts[0]);
        pts
    };
    let area: LineVersion = serde_json::from_value(json!({
        "id": "area", "title": "Area", "kind": "control-area", "controlled_by": "ru",
        "geometry": {"type": "Polygon", "coordinates": [ring(37.0, 1.0, 300), ring(37.0, 0.3, 200)]},
        "valid_from": "2025-03-18T00:00:00Z",
    }))
    .unwrap();
    let multi: LineVersion = serde_json::from_value(json!({
        "id": "multi", "title": "Two lines", "kind": "reference",
        "geometry": {"type": "MultiLineString", "coordinates": [
            wiggly(400).geometry.positions().iter().map(|p| [p.lon(), p.lat()]).collect::<Vec<_>>(),
            wiggly(300).geometry.positions().iter().map(|p| [p.lon(), p.lat() - 1.0]).collect::<Vec<_>>(),
        ]},
        "valid_from": "2025-03-18T00:00:00Z",
    }))
    .unwrap();
    let mut log = genesis(&op, &ua, &ru);
    for v in [&area, &multi] {
        // Small parts: several runs per line or ring.
        let (head, parts) = lines::split(v, 3_000).unwrap().unwrap();
        assert!(parts.iter().any(|p| p.sub == 1) && parts.len() > 4);
        log.extend(filed(&ua, "ua", &head, &parts));
    }
    let (ledger, applied) = apply_all(&log);
    assert!(
        applied[3..]
            .iter()
            .all(|a| matches!(a, Applied::Accepted(..))),
        "{applied:?}"
    );
    let got: Vec<&LineVersion> = ledger.lines().map(|r| &r.value).collect();
    assert_eq!(got, [&area, &multi]);
}

#[test]
fn parts_out_of_order_missing_or_altered_leave_the_version_invisible() {
    let (op, ua, ru) = (key("op"), key("ua"), key("ru"));
    let v = wiggly(8_000);
    let (head, parts) = split(&v);
    let n = parts.len();
    assert!(n >= 3);
    // Out of order: parts 1 and 0 swapped.
    let mut swapped = parts.clone();
    swapped.swap(0, 1);
    let mut log = genesis(&op, &ua, &ru);
    log.extend(filed(&ua, "ua", &head, &swapped));
    let (ledger, applied) = apply_all(&log);
    refused_with(&applied[4], "part 1 arrived where part 0 of");
    assert!(ledger.line_versions.is_empty());
    assert_eq!(ledger.incomplete_lines.len(), 1);
    assert!(
        ledger.incomplete_lines[0].1.contains("ua/loc")
            && ledger.incomplete_lines[0]
                .1
                .contains("file the whole version again"),
        "{:?}",
        ledger.incomplete_lines
    );
    // The rest are parts of no version waiting.
    refused_with(&applied[5], "no line version is waiting for its parts");
    // Missing: the last part never comes; another entry follows.
    let mut log = genesis(&op, &ua, &ru);
    log.extend(filed(&ua, "ua", &head, &parts[..n - 1]));
    log.push(signed(&ua, "ua", &Body::Line(wiggly(50))));
    let (ledger, applied) = apply_all(&log);
    assert!(matches!(
        applied.last(),
        Some(Applied::Accepted(_, Kind::Line))
    ));
    let versions = &ledger.line_versions[&(id("ua"), id("loc"))];
    assert_eq!(versions.len(), 1, "only the small version");
    assert_eq!(versions[0].value.vertices(), 50);
    let (at, why) = &ledger.incomplete_lines[0];
    assert_eq!(*at, 3);
    assert!(
        why.contains(&format!("only {} of its {n} parts followed it", n - 1)),
        "{why}"
    );
    // Missing at the end of the log: never visible.
    let (ledger, _) = apply_all(&log[..log.len() - 1]);
    assert!(ledger.line_versions.is_empty());
    // Altered: one position moved (a valid part, re-signed): the digest no longer matches.
    let mut altered = parts.clone();
    altered[1].coordinates[5] = truce_model::geo::Point::new(31.0, 48.5).unwrap();
    let mut log = genesis(&op, &ua, &ru);
    log.extend(filed(&ua, "ua", &head, &altered));
    let (ledger, applied) = apply_all(&log);
    refused_with(
        applied.last().unwrap(),
        "the assembled geometry's SHA-256 is",
    );
    assert!(ledger.line_versions.is_empty());
    assert_eq!(ledger.incomplete_lines.len(), 1);
    // A part of another line's id, or more positions than the head states.
    let mut other = parts.clone();
    other[1].line = id("elsewhere");
    let mut log = genesis(&op, &ua, &ru);
    log.extend(filed(&ua, "ua", &head, &other));
    refused_with(&apply_all(&log).1[5], "it belongs to line elsewhere");
    let mut fat = parts.clone();
    let extra = fat[n - 1].coordinates[0];
    fat[n - 1].coordinates.push(extra);
    let mut log = genesis(&op, &ua, &ru);
    log.extend(filed(&ua, "ua", &head, &fat));
    refused_with(&applied_last(&log), "more than the 8000 the head states");
}

fn applied_last(log: &[Vec<u8>]) -> Applied {
    apply_all(log).1.pop().unwrap()
}

#[test]
fn parts_come_only_from_the_versions_author_and_only_after_its_head() {
    let (op, ua, ru) = (key("op"), key("ua"), key("ru"));
    let (head, parts) = split(&wiggly(6_000));
    let mut log = genesis(&op, &ua, &ru);
    // A part with no head before it.
    log.push(signed(&ua, "ua", &Body::LinePart(parts[0].clone())));
    let filing = filed(&ua, "ua", &head, &parts[..1]);
    let mut bound = parts[1].clone();
    bound.head = truce_model::entry::entry_id(&filing[0]);
    log.extend(filing);
    log.push(signed(&ru, "ru", &Body::LinePart(bound.clone())));
    let (ledger, applied) = apply_all(&log);
    refused_with(&applied[3], "no line version is waiting for its parts here");
    refused_with(&applied[6], "only the author of a version files its parts");
    // A part naming another head.
    let mut log = genesis(&op, &ua, &ru);
    log.extend(filed(&ua, "ua", &head, &parts[..1]));
    let mut stray = parts[1].clone();
    stray.head = "ab".repeat(32);
    log.push(signed(&ua, "ua", &Body::LinePart(stray)));
    refused_with(&applied_last(&log), "it names the head abab");
    assert!(ledger.line_versions.is_empty());
    // A part after its version completed: no version is waiting.
    let mut log = genesis(&op, &ua, &ru);
    log.extend(filed(&ua, "ua", &head, &parts));
    log.push(signed(&ua, "ua", &Body::LinePart(parts[0].clone())));
    let (ledger, applied) = apply_all(&log);
    assert_eq!(ledger.lines().count(), 1);
    refused_with(applied.last().unwrap(), "no line version is waiting");
    // An open-data party may not file them.
    let firms = key("firms");
    let mut log = genesis(&op, &ua, &ru);
    log.push(signed(
        &op,
        "op",
        &register("firms", Role::OpenData, &firms),
    ));
    log.extend(filed(&firms, "firms", &head, &parts[..1]));
    assert!(matches!(
        apply_all(&log).1[4],
        Applied::Refused(Rejection::Forbidden { kind: "line", .. })
    ));
}

#[test]
fn the_bounds_are_enforced_on_decoding() {
    let v = wiggly(3_000);
    let (head, _) = split(&v);
    let bad = |f: &dyn Fn(&mut serde_json::Value), want: &str| {
        let mut x = serde_json::to_value(&head).unwrap();
        f(&mut x);
        let e = Body::parse(Kind::Line, x).unwrap_err();
        assert!(e.contains(want), "{want}: {e}");
    };
    bad(&|x| x["parts"]["count"] = json!(0), "1 to 1000 parts");
    bad(
        &|x| x["parts"]["count"] = json!(MAX_PARTS + 1),
        "parts.count is 1001",
    );
    bad(
        &|x| x["parts"]["vertices"] = json!(MAX_VERTICES + 1),
        "parts.vertices is 100001",
    );
    bad(&|x| x["parts"]["sha256"] = json!("ABC"), "64 lowercase hex");
    bad(&|x| x["parts"]["type"] = json!("Polygon"), "not a Polygon");
    bad(&|x| x["geometry"] = json!(null), "unknown field `geometry`");
    bad(&|x| x["title"] = json!(""), "the title is empty");
    // A version of more than MAX_VERTICES positions is not split: it is refused.
    let e = serde_json::from_value::<LineVersion>(json!({
        "id": "loc", "title": "T", "kind": "contact", "valid_from": "2025-03-18T00:00:00Z",
        "geometry": {"type": "LineString", "coordinates": (0..=MAX_VERTICES).map(|i| [i as f64 * 1e-5, 0.0]).collect::<Vec<_>>()},
    }))
    .unwrap_err()
    .to_string();
    assert!(e.contains("at most 100000"), "{e}");
    // A part's positions are valid positions; unknown fields are refused.
    let e = Body::parse(
        Kind::LinePart,
        json!({"line": "loc", "part": 0, "sub": 0, "coordinates": [[200.0, 0.0]]}),
    )
    .unwrap_err();
    assert!(e.contains("200"), "{e}");
    assert!(Body::parse(
        Kind::LinePart,
        json!({"line": "loc", "part": 0, "sub": 0, "coordinates": [], "x": 1})
    )
    .is_err());
    // Sectors beyond the assembled line's end are refused at the last part.
    let (op, ua, ru) = (key("op"), key("ua"), key("ru"));
    let mut long_sector = v.clone();
    long_sector.sectors[0].to_km = 5_000.0;
    let (h, p) = split(&long_sector);
    let mut log = genesis(&op, &ua, &ru);
    log.extend(filed(&ua, "ua", &h, &p));
    refused_with(&applied_last(&log), "beyond the line's end");
}

#[test]
fn the_assembled_version_is_corrected_and_retracted_through_its_head() {
    let (op, ua, ru) = (key("op"), key("ua"), key("ru"));
    let v = wiggly(5_000);
    let (head, parts) = split(&v);
    let mut log = genesis(&op, &ua, &ru);
    let entries = filed(&ua, "ua", &head, &parts);
    let head_id = truce_model::entry::entry_id(&entries[0]);
    let part_id = truce_model::entry::entry_id(&entries[1]);
    log.extend(entries);
    let amend = |target: &str, action, body: Option<serde_json::Value>| {
        Body::Amend(Amendment {
            amends: target.to_string(),
            action,
            reason: "because".into(),
            body,
        })
    };
    // A correction stating the same parts: a new title and valid_from, the geometry kept.
    let mut retitled = head.clone();
    retitled.title = "Line of contact (corrected)".into();
    retitled.valid_from = truce_model::Time::parse("2025-03-10T00:00:00Z").unwrap();
    log.push(signed(
        &ua,
        "ua",
        &amend(
            &head_id,
            AmendAction::Correct,
            Some(serde_json::to_value(&retitled).unwrap()),
        ),
    ));
    // Stating other parts (another geometry) is refused.
    let mut other = retitled.clone();
    other.parts.sha256 = "0".repeat(64);
    log.push(signed(
        &ua,
        "ua",
        &amend(
            &head_id,
            AmendAction::Correct,
            Some(serde_json::to_value(&other).unwrap()),
        ),
    ));
    // A part cannot be amended.
    log.push(signed(
        &ua,
        "ua",
        &amend(&part_id, AmendAction::Retract, None),
    ));
    let (ledger, applied) = apply_all(&log);
    let n = applied.len();
    assert!(
        matches!(applied[n - 3], Applied::Accepted(_, Kind::Amend)),
        "{:?}",
        applied[n - 3]
    );
    refused_with(&applied[n - 2], "keeps the version's geometry");
    refused_with(&applied[n - 1], "`line.part` entries cannot be amended");
    let rec = ledger.lines().next().unwrap();
    assert_eq!(rec.value.title, "Line of contact (corrected)");
    assert_eq!(rec.value.geometry, v.geometry);
    assert_eq!(rec.corrections, ["because"]);
    // A correction with the whole geometry inline replaces it (a small one fits one entry).
    let mut log2 = log.clone();
    let small = wiggly(30);
    log2.push(signed(
        &ua,
        "ua",
        &amend(
            &head_id,
            AmendAction::Correct,
            Some(serde_json::to_value(&small).unwrap()),
        ),
    ));
    let (ledger2, _) = apply_all(&log2);
    assert_eq!(ledger2.lines().next().unwrap().value, small);
    // Retracting the head retracts the whole version.
    log.push(signed(
        &ua,
        "ua",
        &amend(&head_id, AmendAction::Retract, None),
    ));
    let (ledger, applied) = apply_all(&log);
    assert!(matches!(
        applied.last(),
        Some(Applied::Accepted(_, Kind::Amend))
    ));
    assert_eq!(ledger.lines().count(), 0);
    // A head whose parts never all came has nothing to amend.
    let mut log = genesis(&op, &ua, &ru);
    log.extend(filed(&ua, "ua", &head, &parts[..1]));
    log.push(signed(
        &ua,
        "ua",
        &amend(&head_id, AmendAction::Retract, None),
    ));
    refused_with(&applied_last(&log), "never became visible");
}

#[test]
fn a_replay_gives_the_same_ledger_as_entry_by_entry_application() {
    let (op, ua, ru) = (key("op"), key("ua"), key("ru"));
    let (head, parts) = split(&wiggly(7_000));
    let mut log = genesis(&op, &ua, &ru);
    log.extend(filed(&ua, "ua", &head, &parts));
    // An incomplete one too, and a part out of place.
    let (h2, p2) = split(&wiggly(9_000));
    log.extend(filed(&ru, "ru", &h2, &p2[..2]));
    log.push(signed(&ru, "ru", &Body::LinePart(p2[3].clone())));
    let mut again = h2.clone();
    again.title = "Line of contact, filed again".into();
    log.extend(filed(&ru, "ru", &again, &p2));
    let (by_entry, _) = apply_all(&log);
    for decoders in [0, 3] {
        let mut replayed = Ledger::new();
        let _: Result<(), ()> = truce_model::replay::replay(
            &mut replayed,
            decoders,
            |sink| {
                for (i, e) in log.iter().enumerate() {
                    sink(i as u64, e);
                }
                Ok(())
            },
            |_, _| {},
        );
        assert_eq!(
            format!("{:?}", replayed.line_versions),
            format!("{:?}", by_entry.line_versions)
        );
        assert_eq!(replayed.incomplete_lines, by_entry.incomplete_lines);
        assert_eq!(replayed.counts, by_entry.counts);
    }
    assert_eq!(by_entry.lines().count(), 2);
    assert_eq!(by_entry.incomplete_lines.len(), 1);
    let g: Vec<&Geometry> = by_entry.lines().map(|r| &r.value.geometry).collect();
    assert_eq!(g[0], &wiggly(9_000).geometry, "ru's complete filing");
}

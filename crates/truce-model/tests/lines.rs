//! Lines of contact in the ledger: who may file them, every version kept and ordered by its
//! validity, the version in force at a time, retroactive versions, corrections and retractions.

mod common;

use common::{apply_all, id, key, register, signed, t};
use serde_json::json;
use truce_log::parse_signer;
use truce_model::domain::{AmendAction, Amendment, Role};
use truce_model::entry::{sign, Body};
use truce_model::lines::{document, LineVersion};
use truce_model::{Applied, Kind, Ledger, Rejection, Time};

fn at(s: &str) -> Time {
    Time::parse(s).unwrap()
}

/// A contact line `id` valid from `from`, its last vertex at `lon_end` °E.
fn line(id: &str, from: &str, lon_end: f64) -> Body {
    Body::Line(
        serde_json::from_value::<LineVersion>(json!({
            "id": id, "title": "Line of contact", "kind": "contact",
            "geometry": {"type": "LineString", "coordinates": [[37.5, 48.0], [37.8, 48.3], [lon_end, 48.6]]},
            "valid_from": from, "source": "illustrative",
        }))
        .unwrap(),
    )
}

fn accepted(a: &Applied) -> bool {
    matches!(a, Applied::Accepted(_, Kind::Line))
}

#[test]
fn belligerents_monitors_and_mediators_file_lines() {
    let op = key("op");
    let (ua, osce, us, firms) = (key("ua"), key("osce"), key("us"), key("firms"));
    let mut log = vec![
        signed(&op, "op", &register("op", Role::Operator, &op)),
        signed(&op, "op", &register("ua", Role::Belligerent, &ua)),
        signed(&op, "op", &register("osce", Role::Monitor, &osce)),
        signed(&op, "op", &register("us", Role::Mediator, &us)),
        signed(&op, "op", &register("firms", Role::OpenData, &firms)),
    ];
    let l = line("loc", "2025-03-18T00:00:00Z", 38.0);
    log.push(signed(&ua, "ua", &l));
    log.push(signed(&osce, "osce", &l));
    log.push(signed(&us, "us", &l));
    log.push(signed(&firms, "firms", &l));
    log.push(signed(&op, "op", &l));
    // A control area under a party nobody registered.
    let area = |by: &str| {
        Body::Line(
            serde_json::from_value::<LineVersion>(json!({
                "id": "ru-control", "title": "Area under control", "kind": "control-area",
                "controlled_by": by, "valid_from": "2025-03-18T00:00:00Z",
                "geometry": {"type": "Polygon", "coordinates": [[[37.5, 48.0], [38.5, 48.0], [38.5, 48.6], [37.5, 48.0]]]},
            }))
            .unwrap(),
        )
    };
    log.push(signed(&osce, "osce", &area("xx")));
    log.push(signed(&osce, "osce", &area("ua")));
    let (ledger, applied) = apply_all(&log);
    assert!(applied[5..8].iter().all(accepted), "{applied:?}");
    for a in &applied[8..10] {
        assert!(
            matches!(a, Applied::Refused(Rejection::Forbidden { kind: "line", allowed, .. }) if allowed.contains("belligerent, monitor, mediator")),
            "{a:?}"
        );
    }
    assert!(
        matches!(&applied[10], Applied::Refused(Rejection::Invalid(m)) if m.contains("controlled_by `xx` is not a registered party")),
        "{:?}",
        applied[10]
    );
    assert!(accepted(&applied[11]));
    assert_eq!(ledger.lines().count(), 4);
    assert_eq!(ledger.line_versions.len(), 4);
}

#[test]
fn each_version_holds_from_its_valid_from_and_a_retroactive_one_is_flagged() {
    let op = key("op");
    let ua = key("ua");
    let ua_signer = parse_signer(&ua.signer).unwrap();
    let mut log = vec![
        signed(&op, "op", &register("op", Role::Operator, &op)),
        signed(&op, "op", &register("ua", Role::Belligerent, &ua)),
    ];
    // Filed at t() = 18 March 12:00: valid from 1 April, then 1 March (retroactive, filed
    // later), then 10 April (filed on 20 April: retroactive too).
    log.push(signed(
        &ua,
        "ua",
        &line("loc", "2025-04-01T00:00:00Z", 38.0),
    ));
    log.push(signed(
        &ua,
        "ua",
        &line("loc", "2025-03-01T00:00:00Z", 38.1),
    ));
    let late = sign(
        &id("ua"),
        at("2025-04-20T00:00:00Z"),
        &line("loc", "2025-04-10T00:00:00Z", 38.2),
        &ua_signer,
    )
    .unwrap();
    log.push(late.bytes);
    let (ledger, applied) = apply_all(&log);
    assert!(applied[2..].iter().all(accepted), "{applied:?}");
    let versions = &ledger.line_versions[&(id("ua"), id("loc"))];
    // Sorted by valid_from, whatever the filing order.
    let idx: Vec<u64> = versions.iter().map(|r| r.index).collect();
    assert_eq!(idx, [3, 2, 4]);
    let end = |t: &str| {
        ledger
            .line_at(&id("ua"), &id("loc"), at(t))
            .map(|r| r.value.geometry.positions()[2].lon())
    };
    assert_eq!(end("2025-02-28T23:59:59Z"), None, "before every version");
    assert_eq!(end("2025-03-01T00:00:00Z"), Some(38.1), "at the first");
    assert_eq!(end("2025-03-31T23:59:59Z"), Some(38.1));
    assert_eq!(end("2025-04-01T00:00:00Z"), Some(38.0), "at the second");
    assert_eq!(end("2025-04-09T00:00:00Z"), Some(38.0));
    assert_eq!(end("2025-04-10T00:00:00Z"), Some(38.2), "at the third");
    assert_eq!(
        end("2030-01-01T00:00:00Z"),
        Some(38.2),
        "after every version"
    );
    assert_eq!(ledger.line_at(&id("ru"), &id("loc"), t()), None);
    // Retroactive: valid before it was filed.
    let retro: Vec<bool> = versions
        .iter()
        .map(|r| document(r, false)["retroactive"] == true)
        .collect();
    assert_eq!(retro, [true, false, true]);
    assert_eq!(
        ledger.lines().map(|r| r.index).collect::<Vec<_>>(),
        [4],
        "the latest version"
    );
}

#[test]
fn versions_are_corrected_and_retracted_by_their_author() {
    let op = key("op");
    let ua = key("ua");
    let mut log = vec![
        signed(&op, "op", &register("op", Role::Operator, &op)),
        signed(&op, "op", &register("ua", Role::Belligerent, &ua)),
    ];
    let first = signed(&ua, "ua", &line("loc", "2025-03-01T00:00:00Z", 38.0));
    let second = signed(&ua, "ua", &line("loc", "2025-04-01T00:00:00Z", 38.1));
    let id_of = |b: &[u8]| truce_model::entry::entry_id(b);
    let (first_id, second_id) = (id_of(&first), id_of(&second));
    log.push(first);
    log.push(second);
    // The first is corrected to hold from 5 April (after the second), then the second retracted.
    let Body::Line(mut moved) = line("loc", "2025-04-05T00:00:00Z", 38.3) else {
        unreachable!()
    };
    moved.title = "Line of contact (corrected)".into();
    let correct = |v: serde_json::Value| {
        Body::Amend(Amendment {
            amends: first_id.clone(),
            action: AmendAction::Correct,
            reason: "wrong date".into(),
            body: Some(v),
        })
    };
    log.push(signed(
        &ua,
        "ua",
        &correct(serde_json::to_value(&moved).unwrap()),
    ));
    let mut renamed = serde_json::to_value(&moved).unwrap();
    renamed["id"] = json!("other");
    log.push(signed(&ua, "ua", &correct(renamed)));
    log.push(signed(
        &ua,
        "ua",
        &Body::Amend(Amendment {
            amends: second_id,
            action: AmendAction::Retract,
            reason: "withdrawn".into(),
            body: None,
        }),
    ));
    let (ledger, applied) = apply_all(&log);
    assert!(matches!(applied[4], Applied::Accepted(_, Kind::Amend)));
    assert!(
        matches!(&applied[5], Applied::Refused(Rejection::Invalid(m)) if m.contains("may not change the identifier")),
        "{:?}",
        applied[5]
    );
    assert!(matches!(applied[6], Applied::Accepted(_, Kind::Amend)));
    let versions = &ledger.line_versions[&(id("ua"), id("loc"))];
    assert_eq!(
        versions.iter().map(|r| r.index).collect::<Vec<_>>(),
        [3, 2],
        "reordered by the corrected valid_from"
    );
    assert_eq!(versions[1].corrections, ["wrong date"]);
    assert_eq!(versions[0].retracted.as_deref(), Some("withdrawn"));
    // The retracted version holds nowhere; the corrected one from 5 April.
    assert_eq!(
        ledger.line_at(&id("ua"), &id("loc"), at("2025-04-02T00:00:00Z")),
        None
    );
    let now = ledger
        .line_at(&id("ua"), &id("loc"), at("2025-04-05T00:00:00Z"))
        .unwrap();
    assert_eq!(now.value.title, "Line of contact (corrected)");
    assert_eq!(ledger.lines().count(), 1);
}

#[test]
fn a_correction_names_registered_parties_as_a_new_line_does() {
    let op = key("op");
    let ua = key("ua");
    let area = |by: &str| {
        serde_json::json!({
            "id": "ru-control", "title": "Area under control", "kind": "control-area",
            "controlled_by": by, "valid_from": "2025-03-18T00:00:00Z",
            "geometry": {"type": "Polygon", "coordinates": [[[37.5, 48.0], [38.5, 48.0], [38.5, 48.6], [37.5, 48.0]]]},
        })
    };
    let filed = signed(
        &ua,
        "ua",
        &Body::Line(serde_json::from_value::<LineVersion>(area("ua")).unwrap()),
    );
    let amends = truce_model::entry::entry_id(&filed);
    let correct = |by: &str| {
        Body::Amend(Amendment {
            amends: amends.clone(),
            action: AmendAction::Correct,
            reason: "who controls it".into(),
            body: Some(area(by)),
        })
    };
    let log = vec![
        signed(&op, "op", &register("op", Role::Operator, &op)),
        signed(&op, "op", &register("ua", Role::Belligerent, &ua)),
        filed,
        signed(&ua, "ua", &correct("nobody")),
        signed(&ua, "ua", &correct("op")),
    ];
    let (ledger, applied) = apply_all(&log);
    assert!(
        matches!(&applied[3], Applied::Refused(Rejection::Invalid(m)) if m.contains("controlled_by `nobody` is not a registered party")),
        "{:?}",
        applied[3]
    );
    assert!(
        matches!(applied[4], Applied::Accepted(_, Kind::Amend)),
        "{:?}",
        applied[4]
    );
    let v = &ledger.line_versions[&(id("ua"), id("ru-control"))][0];
    assert_eq!(
        v.value.controlled_by.as_ref().map(|p| p.as_str()),
        Some("op")
    );
}

#[test]
fn a_new_line_must_have_a_valid_shape() {
    let op = key("op");
    let ua = key("ua");
    let mut ledger = Ledger::new();
    for (i, e) in [
        signed(&op, "op", &register("op", Role::Operator, &op)),
        signed(&op, "op", &register("ua", Role::Belligerent, &ua)),
    ]
    .iter()
    .enumerate()
    {
        ledger.apply(i as u64, e);
    }
    // Two equal positions: not a line (decoding accepts it; submission refuses it).
    let Body::Line(mut l) = line("loc", "2025-03-18T00:00:00Z", 38.0) else {
        unreachable!()
    };
    l.geometry = serde_json::from_value(
        json!({"type": "LineString", "coordinates": [[37.5, 48.0], [37.5, 48.0]]}),
    )
    .unwrap();
    let bytes = signed(&ua, "ua", &Body::Line(l));
    let e = ledger.admit(&bytes).unwrap_err().to_string();
    assert!(e.contains("line `loc`") && e.contains("not valid"), "{e}");
    let ok = signed(&ua, "ua", &line("loc", "2025-03-18T00:00:00Z", 38.0));
    assert!(ledger.admit(&ok).is_ok());
}

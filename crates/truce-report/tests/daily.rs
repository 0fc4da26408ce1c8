//! The daily report over a small hand-built judgement: counts and previous-day changes, which
//! incidents belong to a day at its edges and at other offsets, commitments due around the day,
//! deterministic output, and HTML that is self-contained and escapes what the log says.

use serde_json::{json, Value};
use truce_engine::{Compliance, Judgement};
use truce_model::views::{CommitmentStatus, ItemBalance};
use truce_report::{daily, CheckpointInfo, DailyInput, DailyReport, Day, ReportError};

fn incident(id: &str, start: &str, end: &str, grade: &str, blamed: &[&str]) -> Value {
    json!({
        "id": id, "start": start, "end": end, "day": &start[..10],
        "point": [35.27, 51.19], "uncertainty_m": 3000, "grade": grade,
        "disputed": false, "sides": ["party:ua"], "acts": ["shelling"],
        "alleged": blamed.iter().map(|p| json!({"party": p, "by": ["ua"]})).collect::<Vec<_>>(),
        "routine": false, "grade_reasons": ["one side reports it: party:ua"],
        "assessments": [], "members": []
    })
}

fn finding(incident: &str, day: &str, reading: &str, outcome: &str, party: &str) -> Value {
    json!({
        "incident": incident, "agreement": "moratorium", "reading": reading,
        "outcome": outcome, "grade": "reported", "day": day,
        "attributions": [{"party": party, "alleged_by": ["ua"], "outcome": outcome}],
        "reasons": [
            {"rule": "window", "holds": "yes", "text": "within the window"},
            {"rule": "target", "holds": "yes", "text": "a protected plant"}
        ],
        "rules": "truce-rules/1"
    })
}

/// Day D = 2025-03-21 (UTC): `a` (reported, ru) and `b` (corroborated, ua) on D; `c` (reported,
/// ru) on D-1; `edge` ends exactly at D 00:00; `late` starts exactly at D+1 00:00; `routine` on D.
fn judgement() -> Judgement {
    let mut routine = incident(
        "inc-routine",
        "2025-03-21T12:00:00Z",
        "2025-03-21T12:00:00Z",
        "reported",
        &[],
    );
    routine["routine"] = json!(true);
    let mut named = incident(
        "inc-b",
        "2025-03-21T10:00:00Z",
        "2025-03-21T11:00:00Z",
        "corroborated",
        &["ua"],
    );
    named["sides"] = json!(["party:ru", "sensor:firms"]);
    let mut fb = finding("inc-b", "2025-03-21", "ru", "breach", "ua");
    fb["site"] = json!({
        "lister": "ru", "id": "plant", "name": "<script>alert(\"x\")</script> & Co | plant",
        "category": "energy.power.plant", "distance_m": 10, "uncertain": false, "report": "ru/r1"
    });
    let v = json!({
        "rules": "truce-rules/1", "log_size": 42,
        "baseline": {"hot_spots": 0, "routine_detections": 1},
        "incidents": [
            incident("inc-c", "2025-03-20T08:00:00Z", "2025-03-20T09:00:00Z", "reported", &["ru"]),
            incident("inc-edge", "2025-03-20T22:00:00Z", "2025-03-21T00:00:00Z", "reported", &["ru"]),
            incident("inc-a", "2025-03-21T05:00:00Z", "2025-03-21T06:00:00Z", "reported", &["ru"]),
            named, routine,
            incident("inc-late", "2025-03-22T00:00:00Z", "2025-03-22T01:00:00Z", "reported", &["ua"]),
        ],
        "findings": [
            finding("inc-c", "2025-03-20", "ru", "breach", "ru"),
            finding("inc-edge", "2025-03-20", "ru", "breach", "ru"),
            finding("inc-a", "2025-03-21", "ru", "out_of_scope", "ru"),
            fb,
            finding("inc-late", "2025-03-22", "ru", "breach", "ua"),
        ],
        "warnings": []
    });
    serde_json::from_value(v).unwrap()
}

fn commitments() -> Vec<CommitmentStatus> {
    let c = |id: &str, due: &str, delivered: u64| CommitmentStatus {
        id: id.into(),
        title: format!("{id} title"),
        author: "ru".into(),
        due: due.into(),
        status: if delivered == 23 {
            "fulfilled"
        } else {
            "discrepancy"
        }
        .into(),
        items: vec![ItemBalance {
            what: "wounded".into(),
            from: Some("ru".into()),
            to: Some("ua".into()),
            promised: 23,
            delivered,
            discrepancy: delivered != 23,
        }],
        fulfilments: vec![7],
    };
    vec![c("near", "2025-03-19", 22), c("far", "2025-02-01", 23)]
}

fn report(date: &str, offset: &str) -> DailyReport {
    let j = judgement();
    let comp: Compliance = truce_engine::compliance(&j.findings);
    let cs = commitments();
    daily(&DailyInput {
        day: Day::parse(date, offset).unwrap(),
        judgement: &j,
        compliance: &comp,
        commitments: &cs,
        checkpoint: CheckpointInfo {
            origin: "example.org/log".into(),
            size: 42,
            root: "ROOT=".into(),
            note: "example.org/log\n42\nROOT=\n\n— example.org/log sig\n".into(),
        },
        rules: "truce-rules/1".into(),
    })
}

fn ids(r: &DailyReport) -> Vec<&str> {
    r.incidents.iter().map(|i| i.id.as_str()).collect()
}

fn label<'a>(v: &'a [truce_report::Labelled], l: &str) -> &'a truce_report::Count {
    &v.iter().find(|x| x.label == l).unwrap().count
}

#[test]
fn counts_with_the_change_from_the_previous_day() {
    let r = report("2025-03-21", "+00:00");
    assert_eq!(r.previous.as_deref(), Some("2025-03-20"));
    let s = &r.summary;
    // D: edge, a, b (+ routine); D-1: c, edge.
    assert_eq!(
        (s.incidents.day, s.incidents.previous, s.incidents.change),
        (3, 2, 1)
    );
    assert_eq!((s.routine.day, s.routine.previous), (1, 0));
    let rep = label(&s.by_grade, "reported");
    assert_eq!((rep.day, rep.previous, rep.change), (2, 2, 0));
    let cor = label(&s.by_grade, "corroborated");
    assert_eq!((cor.day, cor.previous, cor.change), (1, 0, 1));
    assert_eq!(label(&s.by_party, "ru").change, 0);
    assert_eq!(label(&s.by_party, "ua").change, 1);
    let ru = &s.readings[0];
    assert_eq!(
        (ru.agreement.as_str(), ru.reading.as_str()),
        ("moratorium", "ru")
    );
    let b = label(&ru.outcomes, "breach");
    assert_eq!((b.day, b.previous, b.change), (2, 2, 0));
    let o = label(&ru.outcomes, "out_of_scope");
    assert_eq!((o.day, o.previous, o.change), (1, 0, 1));
    let ua = ru.parties.iter().find(|p| p.party == "ua").unwrap();
    assert_eq!(label(&ua.outcomes, "breach").change, 1);
    let md = r.to_markdown();
    assert!(
        md.contains("Incidents on the day: **3 (+1)** (change from 2025-03-20)"),
        "{md}"
    );
    assert!(md.contains("| corroborated | 1 (+1) |"));
    // Breaches to date include D-1's, not D+1's.
    let b: Vec<_> = r
        .series
        .breaches
        .iter()
        .map(|b| (b.party.as_str(), b.to_date, b.day))
        .collect();
    assert_eq!(b, vec![("ru", 2, 1), ("ua", 1, 1)]);
    let days: Vec<_> = r
        .series
        .days
        .iter()
        .map(|d| (d.date.as_str(), d.by_grade.values().sum::<u64>()))
        .collect();
    assert_eq!(days, vec![("2025-03-20", 2), ("2025-03-21", 3)]);
}

#[test]
fn a_day_is_selected_by_overlap_at_its_offset() {
    let r = report("2025-03-21", "+00:00");
    assert_eq!(ids(&r), vec!["inc-edge", "inc-a", "inc-b"]);
    assert!(
        r.incidents[0].edge,
        "ends at 00:00: on the day by its last instant"
    );
    assert!(!r.incidents[1].edge);
    assert_eq!(r.unlisted.routine, 1);
    // The next day starts at inc-late's start: it belongs to the 22nd, not the 21st.
    assert_eq!(ids(&report("2025-03-22", "+00:00")), vec!["inc-late"]);
    assert_eq!(
        ids(&report("2025-03-20", "+00:00")),
        vec!["inc-c", "inc-edge"]
    );
    // At +03:00 the 21st is 20 March 21:00 – 21 March 21:00 UTC.
    let m = report("2025-03-21", "+03:00");
    assert_eq!(ids(&m), vec!["inc-edge", "inc-a", "inc-b"]);
    assert!(!m.incidents[0].edge);
    assert!(m.incidents[0]
        .when
        .contains("2025-03-21 01:00 – 2025-03-21 03:00 (UTC+03:00)"));
    // At -05:00 the 21st is 21 March 05:00 – 22 March 05:00 UTC.
    assert_eq!(
        ids(&report("2025-03-21", "-05:00")),
        vec!["inc-a", "inc-b", "inc-late"]
    );
}

#[test]
fn commitments_due_around_the_day() {
    let r = report("2025-03-21", "+00:00");
    assert_eq!(r.commitments.len(), 1);
    let c = &r.commitments[0];
    assert_eq!(
        (c.id.as_str(), c.due_in_days, c.status.as_str()),
        ("near", -2, "discrepancy")
    );
    assert!(r
        .to_markdown()
        .contains("| wounded | ru | ua | 23 | 22 | ≠ discrepancy |"));
}

#[test]
fn output_is_deterministic() {
    let (a, b) = (
        report("2025-03-21", "+00:00"),
        report("2025-03-21", "+00:00"),
    );
    assert_eq!(a.to_markdown(), b.to_markdown());
    assert_eq!(a.to_html(), b.to_html());
    assert_eq!(a.to_json(), b.to_json());
    assert_eq!(a.charts(), b.charts());
    let back: DailyReport = serde_json::from_str(&a.to_json()).unwrap();
    assert_eq!(back, a);
    let md = a.to_markdown();
    assert!(md.contains("checkpoint size **42**"));
    assert!(md.contains(
        "truce --dir DIR report daily --date 2025-03-21 --utc-offset +00:00 --format md"
    ));
}

#[test]
fn html_is_self_contained_and_escapes_text() {
    let h = report("2025-03-21", "+00:00").to_html();
    assert!(h.starts_with("<!DOCTYPE html>"));
    for bad in [
        "http://", "https://", "src=", "href=", "url(", "@import", "<script",
    ] {
        assert!(!h.contains(bad), "{bad} in the HTML");
    }
    assert!(h.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co | plant"));
    assert_eq!(h.matches("<svg").count(), 2);
    let md = report("2025-03-21", "+00:00").to_markdown();
    assert!(md.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt; & Co \\| plant"));
}

#[test]
fn charts_are_standalone_svg() {
    let r = report("2025-03-21", "+00:00");
    let charts = r.charts();
    let names: Vec<_> = charts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "report-2025-03-21-incidents-by-day.svg",
            "report-2025-03-21-breaches-by-party.svg"
        ]
    );
    for (n, svg) in &charts {
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{n}"
        );
        assert!(svg.ends_with("</svg>\n"));
        assert!(r.to_markdown().contains(&format!("]({n})")));
    }
}

#[test]
fn bad_dates_and_offsets_are_refused() {
    assert!(matches!(
        Day::parse("2025-13-01", "+00:00"),
        Err(ReportError::Date(_))
    ));
    assert!(matches!(
        Day::parse("2025-03-21", "+25:00"),
        Err(ReportError::Offset(_))
    ));
    let e = Day::parse("21.03.2025", "+00:00").unwrap_err().to_string();
    assert!(e.contains("YYYY-MM-DD"), "{e}");
}

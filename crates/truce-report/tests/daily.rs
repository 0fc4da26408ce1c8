//! The daily report over a small hand-built judgement: counts and previous-day changes, breaches
//! counted by standing (an alleged breach is never a bare "breach"), both grades and the monitors'
//! review of a notable incident, which incidents belong to a day at its edges, at other offsets,
//! in a time zone across a change to summer time (23 hours) and with an evening cut-off,
//! commitments due around the day, deterministic output, and HTML that is self-contained and
//! escapes what the log says.

use serde_json::{json, Value};
use truce_engine::input::ReportIn;
use truce_engine::{BackgroundRef, Compliance, EntryId, Judged, Judgement, Snapshot};
use truce_model::views::{CommitmentStatus, ItemBalance};
use truce_report::{daily, CheckpointInfo, DailyInput, DailyReport, Day, ReportError};

/// An incident naming `blamed` (by ua), each attribution with grade `attribution`.
fn incident(
    id: &str,
    start: &str,
    end: &str,
    occurrence: &str,
    blamed: &[&str],
    attribution: &str,
) -> Value {
    let standing = match attribution {
        "verified" | "admitted" => "established",
        "corroborated" => "corroborated",
        _ => "alleged",
    };
    json!({
        "id": id, "start": start, "end": end, "day": &start[..10],
        "point": [35.27, 51.19], "uncertainty_m": 3000, "occurrence": occurrence,
        "disputed": false, "sides": ["party:ua"], "acts": ["shelling"],
        "alleged": blamed.iter().map(|p| json!({
            "party": p, "by": ["ua"], "origins": ["party:ua"], "grade": attribution,
            "standing": standing, "reasons": [format!("{attribution}: named by ua")]
        })).collect::<Vec<_>>(),
        "routine": false, "grade_reasons": ["one origin reports it: party:ua"],
        "reviews": [], "assessments": [], "members": []
    })
}

/// A finding under `reading` with one attribution to `party` of the given outcome and standing.
fn finding(
    incident: &str,
    day: &str,
    reading: &str,
    outcome: &str,
    party: &str,
    standing: &str,
) -> Value {
    let grade = match standing {
        "established" => "verified",
        "corroborated" => "corroborated",
        _ => "alleged",
    };
    let words = match outcome {
        "breach" => format!("{standing} breach"),
        o => o.replace('_', " "),
    };
    json!({
        "incident": incident, "agreement": "moratorium", "reading": reading,
        "outcome": outcome, "standing": standing, "words": words,
        "occurrence": "reported", "day": day,
        "attributions": [{
            "party": party, "alleged_by": ["ua"], "outcome": outcome,
            "grade": grade, "standing": standing
        }],
        "reasons": [
            {"rule": "window", "holds": "yes", "text": "within the window"},
            {"rule": "target", "holds": "yes", "text": "a protected plant"}
        ],
        "version": 0,
        "rules": "truce-rules/2"
    })
}

/// Day D = 2025-03-21 (UTC): `a` (reported, ru, out of scope) and `b` (corroborated, ua,
/// corroborated breach) on D; `c` (reported, ru, alleged breach) on D-1; `edge` (verified, ru,
/// established breach, with a monitors' review) ends exactly at D 00:00; `late` (ua, alleged
/// breach) starts exactly at D+1 00:00; `routine` on D.
fn judgement() -> Judgement {
    let mut routine = incident(
        "inc-routine",
        "2025-03-21T12:00:00Z",
        "2025-03-21T12:00:00Z",
        "reported",
        &[],
        "alleged",
    );
    routine["routine"] = json!(true);
    let mut named = incident(
        "inc-b",
        "2025-03-21T10:00:00Z",
        "2025-03-21T11:00:00Z",
        "corroborated",
        &["ua"],
        "corroborated",
    );
    named["sides"] = json!(["party:ru", "sensor:firms"]);
    let mut fb = finding("inc-b", "2025-03-21", "ru", "breach", "ua", "corroborated");
    fb["site"] = json!({
        "lister": "ru", "id": "plant", "name": "<script>alert(\"x\")</script> & Co | plant",
        "category": "energy.power.plant", "distance_m": 10, "uncertain": false, "report": "ru/r1"
    });
    let mut edge = incident(
        "inc-edge",
        "2025-03-20T22:00:00Z",
        "2025-03-21T00:00:00Z",
        "verified",
        &["ru"],
        "verified",
    );
    let assessment = |index: u64, officer: &str, question: &str, counted: bool| {
        let mut a = json!({
            "index": index, "entry_id": format!("{index:064x}"), "author": "osce",
            "officer": officer, "question": question, "verdict": "verified",
            "counted": counted, "text": format!("{officer} saw it")
        });
        if question == "attribution" {
            a["party"] = json!("ru");
        }
        if !counted {
            a["note"] = json!("superseded by the same officer's later assessment (entry 12)");
        }
        a
    };
    edge["assessments"] = json!([
        assessment(10, "osce-k1", "occurrence", true),
        assessment(11, "osce-k1", "attribution", false),
        assessment(12, "osce-k1", "attribution", true),
    ]);
    edge["reviews"] = json!([
        {"question": "occurrence", "state": "verified", "quorum": 1,
         "tally": {"verified": 1}, "assessments": [edge["assessments"][0].clone()]},
        {"question": "attribution", "party": "ru", "state": "verified", "quorum": 1,
         "tally": {"verified": 1},
         "assessments": [edge["assessments"][1].clone(), edge["assessments"][2].clone()]},
    ]);
    let v = json!({
        "rules": "truce-rules/2", "log_size": 42,
        "baseline": {"learned_from": 3, "hot_spots": 0, "routine_detections": 1},
        "incidents": [
            incident("inc-c", "2025-03-20T08:00:00Z", "2025-03-20T09:00:00Z", "reported", &["ru"], "alleged"),
            edge,
            incident("inc-a", "2025-03-21T05:00:00Z", "2025-03-21T06:00:00Z", "reported", &["ru"], "alleged"),
            named, routine,
            incident("inc-late", "2025-03-22T00:00:00Z", "2025-03-22T01:00:00Z", "reported", &["ua"], "alleged"),
        ],
        "findings": [
            finding("inc-c", "2025-03-20", "ru", "breach", "ru", "alleged"),
            finding("inc-edge", "2025-03-20", "ru", "breach", "ru", "established"),
            finding("inc-a", "2025-03-21", "ru", "out_of_scope", "ru", "alleged"),
            fb,
            finding("inc-late", "2025-03-22", "ru", "breach", "ua", "alleged"),
        ],
        "warnings": []
    });
    serde_json::from_value(v).unwrap()
}

fn commitments() -> Vec<CommitmentStatus> {
    // `ru` reports `delivered`, `ua` 23 (the promise).
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
            delivered: delivered.max(23),
            by_side: [("ru".to_string(), delivered), ("ua".to_string(), 23)].into(),
            sides_differ: delivered != 23,
            discrepancy: delivered != 23,
        }],
        sides_differ: delivered != 23,
        fulfilments: vec![7, 8],
        lines: vec![],
    };
    vec![c("near", "2025-03-19", 22), c("far", "2025-02-01", 23)]
}

fn report(date: &str, offset: &str) -> DailyReport {
    report_of(&judgement(), date, offset)
}

/// A judgement with the snapshot it judged (an empty one for a judgement without background
/// detections).
trait AsJudged {
    fn judged(&self) -> Judged;
}

impl AsJudged for Judgement {
    fn judged(&self) -> Judged {
        Judged {
            snapshot: Snapshot::default(),
            judgement: self.clone(),
        }
    }
}

impl AsJudged for Judged {
    fn judged(&self) -> Judged {
        self.clone()
    }
}

fn report_of(j: &impl AsJudged, date: &str, offset: &str) -> DailyReport {
    report_on(j, Day::parse(date, offset).unwrap())
}

fn report_on(j: &impl AsJudged, day: Day) -> DailyReport {
    let j = j.judged();
    let comp: Compliance = truce_engine::compliance(&j.findings);
    let cs = commitments();
    daily(&DailyInput {
        day,
        judgement: &j,
        compliance: &comp,
        commitments: &cs,
        checkpoint: CheckpointInfo {
            origin: "example.org/log".into(),
            size: 42,
            root: "ROOT=".into(),
            note: "example.org/log\n42\nROOT=\n\n— example.org/log sig\n".into(),
        },
        rules: "truce-rules/2".into(),
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
    // Six occurrence grades, in display order.
    let grades: Vec<_> = s.by_occurrence.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(
        grades,
        [
            "reported",
            "corroborated",
            "verified",
            "unverifiable",
            "dismissed",
            "contested"
        ]
    );
    let rep = label(&s.by_occurrence, "reported");
    assert_eq!((rep.day, rep.previous, rep.change), (1, 1, 0));
    let cor = label(&s.by_occurrence, "corroborated");
    assert_eq!((cor.day, cor.previous, cor.change), (1, 0, 1));
    let ver = label(&s.by_occurrence, "verified");
    assert_eq!((ver.day, ver.previous), (1, 1));
    assert_eq!(label(&s.by_party, "ru").change, 0);
    assert_eq!(label(&s.by_party, "ua").change, 1);
    let ru = &s.readings[0];
    assert_eq!(
        (ru.agreement.as_str(), ru.reading.as_str()),
        ("moratorium", "ru")
    );
    // The headline: established breaches, corroborated apart, allegations apart.
    let b = &ru.breaches;
    assert_eq!((b.established.day, b.established.previous), (1, 1));
    assert_eq!((b.corroborated.day, b.corroborated.previous), (1, 0));
    assert_eq!(
        (b.alleged.day, b.alleged.previous, b.alleged.change),
        (0, 1, -1)
    );
    let words: Vec<_> = ru.outcomes.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(words, truce_report::OUTCOME_WORDS);
    let e = label(&ru.outcomes, "established breach");
    assert_eq!((e.day, e.previous, e.change), (1, 1, 0));
    let c = label(&ru.outcomes, "corroborated breach");
    assert_eq!((c.day, c.previous, c.change), (1, 0, 1));
    let a = label(&ru.outcomes, "alleged breach");
    assert_eq!((a.day, a.previous), (0, 1));
    let o = label(&ru.outcomes, "out of scope");
    assert_eq!((o.day, o.previous, o.change), (1, 0, 1));
    let ua = ru.parties.iter().find(|p| p.party == "ua").unwrap();
    assert_eq!(label(&ua.outcomes, "corroborated breach").change, 1);
    let md = r.to_markdown();
    assert!(
        md.contains("Incidents on the day: **3 (+1)** (change from 2025-03-20)"),
        "{md}"
    );
    assert!(md.contains("| corroborated | 1 (+1) |"));
    assert!(md.contains("| contested | 0 (±0) |"));
    assert!(
        md.contains("- ru's reading of moratorium: **established breaches: 1 (±0) (corroborated: 1 (+1)); allegations of breach: 0 (−1)**"),
        "{md}"
    );
    assert!(md.contains("| moratorium | ru | *all findings* | 1 (±0) | 1 (+1) | 0 (−1) | 0 (±0) | 1 (+1) | 0 (±0) |"), "{md}");
    // Breaches to date include D-1's, not D+1's, by standing.
    let b: Vec<_> = r
        .series
        .breaches
        .iter()
        .map(|b| {
            (
                b.party.as_str(),
                (b.established.to_date, b.established.day),
                (b.corroborated.to_date, b.corroborated.day),
                (b.alleged.to_date, b.alleged.day),
            )
        })
        .collect();
    assert_eq!(
        b,
        vec![
            ("ru", (1, 1), (0, 0), (1, 0)),
            ("ua", (0, 0), (1, 1), (0, 0))
        ]
    );
    assert!(
        md.contains("| moratorium | ru | ru | 1 (1) | 0 (0) | 1 (0) |"),
        "{md}"
    );
    let days: Vec<_> = r
        .series
        .days
        .iter()
        .map(|d| (d.date.as_str(), d.by_occurrence.values().sum::<u64>()))
        .collect();
    assert_eq!(days, vec![("2025-03-20", 2), ("2025-03-21", 3)]);
}

/// Every "breach" or "breaches" in `text` says its standing ("established", "corroborated",
/// "alleged"), or is "no breach" or "allegation(s) of breach": never a bare count of breaches.
/// (The charts' file names, `report-<date>-breaches-by-party.svg`, are names, not words.)
fn no_bare_breach(what: &str, text: &str) {
    let lower = text
        .to_lowercase()
        .replace("-breaches-by-party.svg", ".svg");
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for (k, w) in words.iter().enumerate() {
        if *w == "breach" || *w == "breaches" {
            let before = if k > 0 { words[k - 1] } else { "" };
            assert!(
                ["established", "corroborated", "alleged", "no", "of"].contains(&before),
                "a bare {w:?} after {before:?} in the {what}: …{}…",
                words[k.saturating_sub(8)..(k + 4).min(words.len())].join(" ")
            );
        }
    }
}

#[test]
fn an_alleged_breach_is_never_a_bare_breach() {
    // Only an allegation: one side says ru did it, and the reading would make it a breach.
    let v = json!({
        "rules": "truce-rules/2", "log_size": 3,
        "baseline": {"learned_from": 0, "hot_spots": 0, "routine_detections": 0},
        "incidents": [incident("inc-x", "2025-03-21T05:00:00Z", "2025-03-21T06:00:00Z", "reported", &["ru"], "alleged")],
        "findings": [finding("inc-x", "2025-03-21", "ua", "breach", "ru", "alleged")],
        "warnings": []
    });
    let j: Judgement = serde_json::from_value(v).unwrap();
    let r = report_of(&j, "2025-03-21", "+00:00");
    let b = &r.summary.readings[0].breaches;
    assert_eq!(
        (b.established.day, b.corroborated.day, b.alleged.day),
        (0, 0, 1)
    );
    assert_eq!(r.incidents[0].readings[0].words, "alleged breach");
    assert_eq!(
        r.incidents[0].readings[0].parties[0].words,
        "alleged breach"
    );
    let md = r.to_markdown();
    assert!(
        md.contains("- ua's reading of moratorium: **established breaches: 0 (±0) (corroborated: 0 (±0)); allegations of breach: 1 (+1)**"),
        "{md}"
    );
    assert!(
        md.contains(
            "| moratorium | ua | **alleged breach** | ru: alleged breach (attribution alleged) |"
        ),
        "{md}"
    );
    assert!(md.contains("Under ua's reading of moratorium: **alleged breach**"));
    assert!(
        md.contains("- **Attribution of ru: alleged** (standing: alleged); named by ua (party:ua)"),
        "{md}"
    );
    assert!(
        md.contains("| moratorium | ua | ru | 0 (0) | 0 (0) | 1 (1) |"),
        "{md}"
    );
    let html = r.to_html();
    assert!(html.contains("<span class=\"o o-alleged-breach\">alleged breach</span>"));
    assert!(html.contains(
        "<b>established breaches: 0 (±0) (corroborated: 0 (±0)); allegations of breach: 1 (+1)</b>"
    ));
    no_bare_breach("Markdown", &md);
    no_bare_breach("HTML", &html);
    for (n, svg) in r.charts() {
        no_bare_breach(&n, &svg);
    }
    // The full report too, with established and corroborated breaches in it.
    let full = report("2025-03-21", "+00:00");
    no_bare_breach("Markdown", &full.to_markdown());
    no_bare_breach("HTML", &full.to_html());
    for (n, svg) in full.charts() {
        no_bare_breach(&n, &svg);
    }
    // A bare count would be caught.
    let caught = std::panic::catch_unwind(|| no_bare_breach("test", "Breaches: 3"));
    assert!(caught.is_err());
}

#[test]
fn a_notable_incident_shows_both_grades_the_standing_and_the_review() {
    let r = report("2025-03-21", "+00:00");
    let edge = r.incidents.iter().find(|i| i.id == "inc-edge").unwrap();
    assert_eq!(edge.occurrence, "verified");
    assert_eq!(
        (
            edge.attributions[0].party.as_str(),
            edge.attributions[0].grade.as_str(),
            edge.attributions[0].standing.as_str()
        ),
        ("ru", "verified", "established")
    );
    assert_eq!(edge.reviews.len(), 2);
    assert_eq!(edge.assessments.len(), 3);
    assert!(!edge.assessments[1].counted);
    assert_eq!(edge.readings[0].words, "established breach");
    let md = r.to_markdown();
    for want in [
        "- **Occurrence: verified**",
        "  - one origin reports it: party:ua",
        "- **Attribution of ru: verified** (standing: established); named by ua (party:ua)",
        "  - verified: named by ua",
        "- Monitors' review:\n  - occurrence: verified (quorum 1; 1 verified)\n  - attribution of ru: verified (quorum 1; 1 verified)",
        "- Assessment: osce, officer osce-k1, on occurrence (entry 10): verified (counted): osce-k1 saw it",
        "- Assessment: osce, officer osce-k1, on attribution of ru (entry 11): verified (superseded by the same officer's later assessment (entry 12)): osce-k1 saw it",
        "| moratorium | ru | **established breach** | ru: established breach (attribution verified) |",
        "Under ru's reading of moratorium: **established breach**",
        "| moratorium | ru | **corroborated breach** | ua: corroborated breach (attribution corroborated) |",
        "Under ru's reading of moratorium: **out of scope**",
    ] {
        assert!(md.contains(want), "{want:?} not in\n{md}");
    }
    let html = r.to_html();
    assert!(html.contains("Occurrence: <span class=\"g g-verified\">verified</span>"));
    assert!(html.contains("Attribution of ru: <span class=\"a a-verified\">verified</span> (standing: <span class=\"s s-established\">established</span>)"));
    assert!(html.contains(
        "<dd class=\"uncounted\">osce, officer osce-k1, on attribution of ru (entry 11)"
    ));
    let js: Value = serde_json::from_str(&r.to_json()).unwrap();
    let i = js["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "inc-edge")
        .unwrap();
    assert_eq!(i["occurrence"], "verified");
    assert_eq!(i["attributions"][0]["standing"], "established");
    assert_eq!(i["readings"][0]["words"], "established breach");
    assert_eq!(i["reviews"][1]["party"], "ru");
    assert_eq!(
        js["summary"]["readings"][0]["breaches"]["corroborated"]["day"],
        1
    );
}

#[test]
fn a_day_is_selected_by_overlap_at_its_offset() {
    // Listed most important first: inc-edge (established breach), inc-b (corroborated breach),
    // inc-a (ru named, out of scope); inc-c and inc-late are alleged breaches.
    let r = report("2025-03-21", "+00:00");
    assert_eq!(ids(&r), vec!["inc-edge", "inc-b", "inc-a"]);
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
        vec!["inc-edge", "inc-c"]
    );
    // At +03:00 the 21st is 20 March 21:00 – 21 March 21:00 UTC.
    let m = report("2025-03-21", "+03:00");
    assert_eq!(ids(&m), vec!["inc-edge", "inc-b", "inc-a"]);
    assert!(!m.incidents[0].edge);
    assert!(m.incidents[0]
        .when
        .contains("2025-03-21 01:00 – 2025-03-21 03:00 (UTC+03:00)"));
    // At -05:00 the 21st is 21 March 05:00 – 22 March 05:00 UTC.
    assert_eq!(
        ids(&report("2025-03-21", "-05:00")),
        vec!["inc-b", "inc-late", "inc-a"]
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
        .contains("| wounded | ru | ua | 23 | 23 | ru 22, ua 23 | ≠ discrepancy; sides differ |"));
    let line = &c.items[0];
    assert_eq!(
        (
            line.by_side.get("ru"),
            line.by_side.get("ua"),
            line.sides_differ
        ),
        (Some(&22), Some(&23), true)
    );
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
    assert!(md.contains("truce --dir DIR report daily --date 2025-03-21 --tz +00:00 --format md"));
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
fn bad_dates_zones_and_cutoffs_are_refused() {
    assert!(matches!(
        Day::parse("2025-13-01", "+00:00"),
        Err(ReportError::Date(_))
    ));
    assert!(matches!(
        Day::parse("2025-03-21", "+25:00"),
        Err(ReportError::Zone(_))
    ));
    let e = Day::parse("2025-03-21", "Europe/Atlantis")
        .unwrap_err()
        .to_string();
    assert!(e.contains("IANA") && e.contains("Europe/Kyiv"), "{e}");
    let e = Day::new("2025-03-21", "UTC", Some("7.30"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("HH:MM"), "{e}");
    let e = Day::parse("21.03.2025", "+00:00").unwrap_err().to_string();
    assert!(e.contains("YYYY-MM-DD"), "{e}");
}

/// Kyiv was UTC+2 until 30 March 2025 03:00 local time and UTC+3 after: its 30 March lasted 23
/// hours, its 26 October (back to winter time) 25. Moscow kept UTC+3.
#[test]
fn a_day_across_a_change_to_summer_time_lasts_23_hours_in_kyiv() {
    let t = |s: &str| truce_report::unix(s).unwrap();
    let kyiv = |date: &str| Day::parse(date, "Europe/Kyiv").unwrap();
    let d = kyiv("2025-03-30");
    assert_eq!(d.tz(), "Europe/Kyiv");
    assert_eq!(d.start(), t("2025-03-29T22:00:00Z"));
    assert_eq!(d.end(), t("2025-03-30T21:00:00Z"));
    assert_eq!(d.end() - d.start(), 23 * 3600);
    // The days either side: 24 hours each, and they meet it exactly.
    let (before, after) = (d.previous().unwrap(), d.next().unwrap());
    assert_eq!((before.end(), after.start()), (d.start(), d.end()));
    assert_eq!(before.end() - before.start(), 24 * 3600);
    assert_eq!(after.end() - after.start(), 24 * 3600);
    let autumn = kyiv("2025-10-26");
    assert_eq!(autumn.end() - autumn.start(), 25 * 3600);
    let moscow = Day::parse("2025-03-30", "Europe/Moscow").unwrap();
    assert_eq!(moscow.end() - moscow.start(), 24 * 3600);
    assert_eq!(moscow.start(), t("2025-03-29T21:00:00Z"));
    // The clock jumps from 03:00 to 04:00.
    assert_eq!(d.local(t("2025-03-30T00:59:00Z")), "2025-03-30 02:59");
    assert_eq!(d.local(t("2025-03-30T01:00:00Z")), "2025-03-30 04:00");

    // In a report: an incident starting at 00:30 Kyiv time on 30 March (22:30 UTC on the 29th)
    // is on the 30th, one at 23:30 on the 30th (20:30 UTC) too, and one at 00:30 on the 31st
    // (21:30 UTC on the 30th) is not.
    let at = |id: &str, start: &str| incident(id, start, start, "reported", &["ru"], "alleged");
    let j: Judgement = serde_json::from_value(json!({
        "rules": "truce-rules/2", "log_size": 42,
        "baseline": {"learned_from": 0, "hot_spots": 0, "routine_detections": 0},
        "incidents": [
            at("inc-1", "2025-03-29T21:30:00Z"),
            at("inc-2", "2025-03-29T22:30:00Z"),
            at("inc-3", "2025-03-30T20:30:00Z"),
            at("inc-4", "2025-03-30T21:30:00Z"),
        ],
        "findings": [
            finding("inc-1", "2025-03-29", "ru", "breach", "ru", "alleged"),
            finding("inc-2", "2025-03-30", "ru", "breach", "ru", "alleged"),
            finding("inc-3", "2025-03-30", "ru", "breach", "ru", "alleged"),
            finding("inc-4", "2025-03-31", "ru", "breach", "ru", "alleged"),
        ],
        "warnings": []
    }))
    .unwrap();
    let r = report_on(&j, kyiv("2025-03-30"));
    assert_eq!(ids(&r), vec!["inc-2", "inc-3"]);
    assert_eq!(r.tz, "Europe/Kyiv");
    assert_eq!(
        (r.from.as_str(), r.until.as_str()),
        ("2025-03-29T22:00:00Z", "2025-03-30T21:00:00Z")
    );
    assert!(r.incidents[0]
        .when
        .contains("2025-03-30 00:30 (Europe/Kyiv)"));
    assert!(r.incidents[1]
        .when
        .contains("2025-03-30 23:30 (Europe/Kyiv)"));
    assert!(r
        .reproduce
        .ends_with("report daily --date 2025-03-30 --tz Europe/Kyiv"));
    let md = r.to_markdown();
    assert!(
        md.contains("2025-03-30 00:00 – 24:00 in Europe/Kyiv"),
        "{md}"
    );
    // At a fixed +03:00 the 30th starts an hour earlier: inc-1 (00:30 at UTC+3) is on it.
    assert_eq!(
        ids(&report_of(&j, "2025-03-30", "+03:00")),
        vec!["inc-1", "inc-2", "inc-3"]
    );
}

/// With a cut-off (the OSCE SMM's 19:30), the report of a day runs from the previous day's
/// cut-off to this day's; midnight (00:00 or 24:00) is the default.
#[test]
fn an_evening_cutoff_moves_the_day() {
    let t = |s: &str| truce_report::unix(s).unwrap();
    let d = Day::new("2025-03-21", "Europe/Kyiv", Some("19:30")).unwrap();
    assert_eq!(d.cutoff().as_deref(), Some("19:30"));
    // 19:30 at UTC+2 is 17:30 UTC.
    assert_eq!(d.start(), t("2025-03-20T17:30:00Z"));
    assert_eq!(d.end(), t("2025-03-21T17:30:00Z"));
    assert_eq!(
        d.params(),
        vec![
            ("date", "2025-03-21".to_string()),
            ("tz", "Europe/Kyiv".to_string()),
            ("cutoff", "19:30".to_string())
        ]
    );
    // Across the change to summer time: 29 March 19:30 (UTC+2) to 30 March 19:30 (UTC+3).
    let dst = Day::new("2025-03-30", "Europe/Kyiv", Some("19:30")).unwrap();
    assert_eq!(dst.end() - dst.start(), 23 * 3600);
    for midnight in ["00:00", "24:00"] {
        let m = Day::new("2025-03-21", "UTC", Some(midnight)).unwrap();
        assert_eq!(m, Day::parse("2025-03-21", "UTC").unwrap());
        assert_eq!(m.cutoff(), None);
        assert_eq!(m.params().len(), 2);
    }
    // In UTC with a 19:30 cut-off, the 21st is 20 March 19:30 – 21 March 19:30: inc-edge
    // (20 March 22:00 – 21 March 00:00), inc-a and inc-b; inc-c (20 March 08:00) was the 20th's.
    let r = report_on(
        &judgement(),
        Day::new("2025-03-21", "UTC", Some("19:30")).unwrap(),
    );
    assert_eq!(ids(&r), vec!["inc-edge", "inc-b", "inc-a"]);
    assert_eq!(r.cutoff.as_deref(), Some("19:30"));
    assert!(!r.incidents[0].edge);
    assert!(r
        .reproduce
        .ends_with("--date 2025-03-21 --tz UTC --cutoff 19:30"));
    assert!(r
        .to_markdown()
        .contains("19:30 the day before – 2025-03-21 19:30 in UTC"));
    let js: Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(js["cutoff"], "19:30");
    assert!(report("2025-03-21", "UTC")
        .to_json()
        .find("cutoff")
        .is_none());
}

/// A version change filed at `filed` (RFC 3339 UTC), with one finding it changed.
fn version_change(filed: &str, retroactive: bool) -> truce_report::VersionChange {
    let mut c = truce_report::VersionChange {
        agreement: "moratorium".into(),
        party: "ru".into(),
        version: 2,
        index: 40,
        entry_id: "ab".repeat(32),
        filed: filed.into(),
        effective_from: if retroactive {
            "2025-03-17T22:00:00Z".into()
        } else {
            filed.into()
        },
        time_zone: "Europe/Kyiv".into(),
        retroactive,
        changes: vec![truce_report::AspectChange {
            aspect: "start".into(),
            before: "2025-03-17T22:00:00Z".into(),
            after: "2025-03-31T21:00:00Z".into(),
        }],
        findings_changed: vec![truce_report::FindingChange {
            incident: "inc-<b>".into(),
            day: "2025-03-21".into(),
            before: "alleged breach".into(),
            after: "out of scope".into(),
            retroactive,
        }],
        findings_changed_total: None,
        sentence: String::new(),
    };
    c.sentence = truce_report::sentence(&c);
    c
}

#[test]
fn changes_to_readings_filed_on_the_day_are_reported_and_omitted_when_none() {
    let j = judgement().judged();
    let comp: Compliance = truce_engine::compliance(&j.findings);
    let cs = commitments();
    let input = |day: Day| DailyInput {
        day,
        judgement: &j,
        compliance: &comp,
        commitments: &cs,
        checkpoint: CheckpointInfo {
            origin: "example.org/log".into(),
            size: 42,
            root: "ROOT=".into(),
            note: "example.org/log\n42\nROOT=\n\n— example.org/log sig\n".into(),
        },
        rules: "truce-rules/3".into(),
    };
    // Filed 20 April 00:30 Kyiv time = 19 April 21:30 UTC: on the 20th in Kyiv, the 19th in UTC.
    let changes = [
        version_change("2025-04-19T21:30:00Z", true),
        version_change("2025-04-21T09:00:00Z", false),
    ];
    let kyiv = Day::parse("2025-04-20", "Europe/Kyiv").unwrap();
    let r = truce_report::daily_with_changes(&input(kyiv.clone()), &changes);
    assert_eq!(r.changes, vec![changes[0].clone()]);
    assert!(r.changes[0]
        .sentence
        .starts_with("ru filed a new reading on 20 April 2025, effective from 18 March 2025 (retroactive): start 18 March → 1 April"));
    let md = r.to_markdown();
    assert!(md.contains("## Changes to readings (1)"), "{md}");
    assert!(md.contains("- **RETROACTIVE** ru filed a new reading on 20 April 2025"));
    assert!(md.contains(
        "  - inc-&lt;b&gt; (2025-03-21): alleged breach → **out of scope** (retroactive)"
    ));
    let html = r.to_html();
    assert!(html.contains("<h2>Changes to readings (1)</h2>"));
    assert!(html.contains("<code>inc-&lt;b&gt;</code>"));
    let v: Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(
        v["changes"][0]["findings_changed"][0]["after"],
        "out of scope"
    );
    // In UTC the same filing is on the 19th; on the 20th nothing was filed, and a report with no
    // change is the report `daily` computes, byte for byte, with no section and no JSON key.
    let utc = Day::parse("2025-04-20", "UTC").unwrap();
    let none = truce_report::daily_with_changes(&input(utc.clone()), &changes);
    assert!(none.changes.is_empty());
    assert_eq!(none.to_json(), daily(&input(utc)).to_json());
    assert!(!none.to_json().contains("\"changes\""));
    assert!(!none.to_markdown().contains("Changes to readings"));
    let on19 = Day::parse("2025-04-19", "UTC").unwrap();
    assert_eq!(
        truce_report::daily_with_changes(&input(on19), &changes)
            .changes
            .len(),
        1
    );
}

/// A background detection by `author` (`sensor:<author>`) at `start` (an instant), routine or
/// not: its report, and the judgement's reference to it (routine: the first description).
fn detection(author: &str, index: u64, start: &str, routine: bool) -> (ReportIn, BackgroundRef) {
    let start = t(start);
    let r = ReportIn {
        index,
        entry_id: EntryId::from_hex(&format!("{index:064x}")).unwrap(),
        author: truce_model::Id::new(author).unwrap().into(),
        role: truce_model::Role::OpenData,
        id: truce_model::Id::new(&format!("d{index}")).unwrap(),
        act: truce_model::domain::Act::FireObserved,
        perpetrator: None,
        relays: None,
        denies: Box::default(),
        point: [35.0, 51.0],
        uncertainty_m: 375,
        start,
        end: start,
        target: None,
        static_source: false,
    };
    let b = BackgroundRef {
        start,
        index,
        nth: 0,
        routine: if routine {
            0
        } else {
            BackgroundRef::NOT_ROUTINE
        },
    };
    (r, b)
}

fn t(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// The hand-built judgement with background detections (on the 20th, the 21st, and at 23:30
/// on the 21st, which is the 22nd at +03:00) and incidents that are not notable: a sensor
/// detection out of scope of every reading (`inc-plain`), a party's report naming nobody with no
/// finding (`inc-quiet`); and notable ones that name nobody: a monitor's own report
/// (`inc-monitor`), sources that disagree (`inc-disputed`), an undetermined finding
/// (`inc-undetermined`).
fn judgement_with_background() -> Judged {
    let mut v = serde_json::to_value(judgement()).unwrap();
    let (reports, background): (Vec<ReportIn>, Vec<BackgroundRef>) = [
        detection("firms", 100, "2025-03-20T10:00:00Z", false),
        detection("firms", 101, "2025-03-21T01:00:00Z", false),
        detection("firms", 102, "2025-03-21T02:00:00Z", true),
        detection("viirs", 103, "2025-03-21T03:00:00Z", false),
        detection("firms", 104, "2025-03-21T23:30:00Z", false),
    ]
    .into_iter()
    .unzip();
    let quiet = |id: &str, start: &str, side: &str| {
        let mut i = incident(id, start, start, "reported", &[], "alleged");
        i["sides"] = json!([side]);
        i
    };
    let incidents = v["incidents"].as_array_mut().unwrap();
    incidents.push(quiet("inc-plain", "2025-03-21T07:00:00Z", "sensor:firms"));
    incidents.push(quiet("inc-quiet", "2025-03-21T07:30:00Z", "party:ua"));
    let mut monitor = quiet("inc-monitor", "2025-03-21T08:00:00Z", "monitor:osce");
    monitor["members"] = json!([{
        "index": 60, "entry_id": format!("{:064x}", 60), "author": "osce", "role": "monitor",
        "id": "patrol-1", "act": "shelling", "point": [35.0, 51.0], "uncertainty_m": 500,
        "start": "2025-03-21T08:00:00Z", "end": "2025-03-21T08:00:00Z", "side": "monitor:osce"
    }]);
    incidents.push(monitor);
    let mut disputed = quiet("inc-disputed", "2025-03-21T08:30:00Z", "party:ua");
    disputed["disputed"] = json!(true);
    incidents.push(disputed);
    incidents.push(quiet(
        "inc-undetermined",
        "2025-03-21T09:00:00Z",
        "sensor:firms",
    ));
    let findings = v["findings"].as_array_mut().unwrap();
    let mut plain = finding(
        "inc-plain",
        "2025-03-21",
        "ru",
        "out_of_scope",
        "ru",
        "alleged",
    );
    plain["attributions"] = json!([]);
    findings.push(plain);
    let mut und = finding(
        "inc-undetermined",
        "2025-03-21",
        "ru",
        "undetermined",
        "ru",
        "alleged",
    );
    und["attributions"] = json!([]);
    findings.push(und);
    let mut judgement: Judgement = serde_json::from_value(v).unwrap();
    judgement.background = background;
    judgement.routines = vec!["hot spot: gas flare".into()];
    Judged {
        snapshot: Snapshot {
            log_size: 200,
            reports,
            ..Default::default()
        },
        judgement,
    }
}

#[test]
fn background_detections_are_observations_counted_apart_never_incidents() {
    let j = judgement_with_background();
    let r = report_of(&j, "2025-03-21", "+00:00");
    let o = &r.observations;
    // The 21st: 101, 102 (routine), 103 (viirs), 104; the 20th: 100.
    assert_eq!(
        (o.detections.day, o.detections.previous, o.detections.change),
        (4, 1, 3)
    );
    assert_eq!((o.routine.day, o.routine.previous), (1, 0));
    let by: Vec<_> = o
        .by_source
        .iter()
        .map(|s| (s.source.as_str(), s.detections.day, s.routine.day))
        .collect();
    assert_eq!(by, [("sensor:firms", 3, 1), ("sensor:viirs", 1, 0)]);
    assert_eq!(
        o.command,
        "truce --dir DIR background --from 2025-03-21 --to 2025-03-21"
    );
    assert_eq!(
        o.api,
        "GET /v1/background?from=2025-03-21T00:00:00Z&to=2025-03-21T23:59:59Z"
    );
    // Never counted as incidents: the summary counts the incidents only (the hand-built three
    // and the five added).
    assert_eq!(r.summary.incidents.day, 8);
    assert_eq!(
        report("2025-03-21", "+00:00").observations,
        truce_report::Observations {
            command: o.command.clone(),
            api: o.api.clone(),
            ..Default::default()
        }
    );
    // At +03:00 the 21st ends at 21:00 UTC: 104 (23:30 UTC) is the 22nd's.
    let m = report_of(&j, "2025-03-21", "+03:00");
    assert_eq!(m.observations.detections.day, 3);
    assert_eq!(
        report_of(&j, "2025-03-22", "+03:00")
            .observations
            .detections
            .day,
        1
    );
    assert_eq!(
        m.observations.api,
        "GET /v1/background?from=2025-03-20T21:00:00Z&to=2025-03-21T20:59:59Z"
    );
    assert_eq!(
        m.unlisted.command,
        "truce --dir DIR incidents --from 2025-03-20 --to 2025-03-21"
    );
    let md = r.to_markdown();
    assert!(md.contains("## Observations\n\nSensor detections on the day in no incident: 4 (+3) (change from 2025-03-20), of which routine (persistent hot spots): 1 (+1).\n\n| source | detections (change) | routine (change) |\n|---|---|---|\n| sensor:firms | 3 (+2) | 1 (+1) |\n| sensor:viirs | 1 (+1) | 0 (±0) |\n"), "{md}");
    assert!(md.contains("List those that began on the day: `truce --dir DIR background --from 2025-03-21 --to 2025-03-21` (UTC dates)"));
    let html = r.to_html();
    assert!(html.contains("<h2>Observations</h2>\n<p>Sensor detections on the day in no incident: 4 (+3) (change from 2025-03-20), of which routine (persistent hot spots): 1 (+1).</p>"), "{html}");
    assert!(html.contains("<tr><td>sensor:viirs</td><td>1 (+1)</td><td>0 (±0)</td></tr>"));
    no_bare_breach("Markdown", &md);
    no_bare_breach("HTML", &html);
}

#[test]
fn only_notable_incidents_are_listed_most_important_first() {
    let r = report_of(&judgement_with_background(), "2025-03-21", "+00:00");
    // inc-edge (established breach), inc-b (corroborated breach), then those with no breach by
    // occurrence grade (inc-a and the three added, all reported) and start.
    assert_eq!(
        ids(&r),
        [
            "inc-edge",
            "inc-b",
            "inc-a",
            "inc-monitor",
            "inc-disputed",
            "inc-undetermined"
        ]
    );
    let why = |id: &str| {
        r.incidents
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.notable.join(","))
            .unwrap()
    };
    assert_eq!(why("inc-edge"), "breach,allegation,monitor");
    assert_eq!(why("inc-b"), "breach,allegation");
    assert_eq!(why("inc-a"), "allegation");
    assert_eq!(why("inc-monitor"), "monitor");
    assert_eq!(why("inc-disputed"), "disputed");
    assert_eq!(why("inc-undetermined"), "finding");
    assert_eq!(
        r.incidents[1].breach_standing.as_deref(),
        Some("corroborated")
    );
    assert_eq!(r.incidents[2].breach_standing, None);
    // inc-plain and inc-quiet are counted, not listed; inc-routine is routine.
    let u = &r.unlisted;
    assert_eq!((u.notable, u.cap, u.routine), (6, 50, 1));
    assert_eq!(u.beyond_cap.total, 0);
    assert_eq!(u.not_notable.total, 2);
    assert_eq!(u.not_notable.by_occurrence["reported"], 2);
    assert_eq!(u.not_notable.by_occurrence.len(), 6);
    let md = r.to_markdown();
    assert!(
        md.contains("## Notable incidents (6)\n\n### inc-edge"),
        "{md}"
    );
    assert!(md.contains(
        "- Listed for: corroborated breach under some reading; a party named as perpetrator\n"
    ));
    assert!(md.contains("- Listed for: a monitor's report or assessment\n"));
    assert!(md.contains("- Listed for: a finding other than out of scope under some reading\n"));
    assert!(md.contains("Not listed one by one:\n\n- notable incidents beyond the first 50: 0\n- incidents that are not notable: 2 (reported 2)\n- routine detections at persistent hot spots: 1\n\nEvery incident that began on the day: `truce --dir DIR incidents --from 2025-03-21 --to 2025-03-21` (UTC dates), or `GET /v1/incidents?from=2025-03-21T00:00:00Z&to=2025-03-21T23:59:59Z`"), "{md}");
    assert!(md.contains("Notable incidents are listed one by one: those with an established, corroborated or alleged breach under some reading, a finding other than out of scope under some reading, a party named as perpetrator, a monitor's report or assessment, or where sources disagree."));
    let html = r.to_html();
    assert!(html.contains("<p class=\"why\">Listed for: sources disagree</p>"));
    assert!(html.contains("<li>incidents that are not notable: 2 (reported 2)</li>"));
}

/// The report of the 21st over [`judgement_with_background`] in its three renderings, compared
/// with `tests/golden/daily-2025-03-21.{json,md,html}`. After an intended change, record them
/// with `UPDATE_GOLDEN=1 cargo test -p truce-report --test daily golden` and review the diff.
#[test]
fn the_three_renderings_match_the_golden_files() {
    let r = report_of(&judgement_with_background(), "2025-03-21", "+00:00");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (ext, text) in [
        ("json", r.to_json()),
        ("md", r.to_markdown()),
        ("html", r.to_html()),
    ] {
        let path = dir.join(format!("daily-2025-03-21.{ext}"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ: if intended, run UPDATE_GOLDEN=1 cargo test -p truce-report --test daily golden and review the diff"
    );
    // One model: the JSON reads back as the report the Markdown and HTML render.
    let back: DailyReport =
        serde_json::from_str(&std::fs::read_to_string(dir.join("daily-2025-03-21.json")).unwrap())
            .unwrap();
    assert_eq!(back.to_markdown(), r.to_markdown());
    assert_eq!(back.to_html(), r.to_html());
}

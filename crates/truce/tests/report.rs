//! `truce report daily` through the real binary on the demo: the report of 21 March 2025 names
//! the Sudzha incident with its occurrence and attribution grades and its outcome in words under
//! each reading (an alleged breach, never a bare "breach"), states the checkpoint
//! and the change from the previous day, is byte-identical when run twice (md, json, html), and
//! prints to PDF with headless Chromium.

mod common;
use common::{demo, fails, stdout, truce};
use serde_json::Value;
use std::path::Path;

const SUDZHA: &str = "inc-ebcad14da9c05248";

fn report(p: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "-q",
        "--dir",
        "d",
        "report",
        "daily",
        "--date",
        "2025-03-21",
    ];
    args.extend_from_slice(extra);
    stdout(truce(p).args(&args))
}

#[test]
fn the_report_of_21_march_names_sudzha_with_its_grade_and_outcomes() {
    let t = demo();
    let p = t.path();
    let size: Value = serde_json::from_str(&stdout(truce(p).args([
        "--dir",
        "d",
        "--json",
        "log",
        "checkpoint",
    ])))
    .unwrap();
    let size = size["size"].as_u64().unwrap();

    // Markdown.
    let md = report(p, &[]);
    assert_eq!(md, report(p, &["--format", "md"]), "md twice");
    assert!(
        md.contains(&format!("### {SUDZHA} — Sudzha gas metering station")),
        "{md}"
    );
    assert!(md.contains("- **Occurrence: corroborated; sources disagree**"));
    assert!(md
        .contains("- **Attribution of ru: disputed** (standing: alleged); named by ua (party:ua)"));
    assert!(md.contains("| energy-moratorium-2025 | ru | **alleged breach** | ru: alleged breach (attribution disputed); ua: alleged breach (attribution disputed) |"));
    assert!(md.contains("| energy-moratorium-2025 | ua | **out of scope** |"));
    assert!(md.contains("| energy-moratorium-2025 | us | **alleged breach** | ru: alleged breach (attribution disputed); ua: no breach (attribution disputed) |"));
    // Headline figures count established breaches (corroborated apart); allegations apart.
    assert!(md.contains("- ru's reading of energy-moratorium-2025: **established breaches: 0 (±0) (corroborated: 0 (±0)); allegations of breach: 2 (±0)**"));
    assert!(!md.contains("**breach**"));
    assert!(md.contains("— reaches this day only at its last instant (ends at 00:00)"));
    assert!(md.contains(&format!("`truce explain {SUDZHA}`")));
    assert!(md.contains(&format!("at checkpoint size **{size}**")));
    assert!(md.contains("Incidents on the day: **1 (±0)** (change from 2025-03-20)"));
    assert!(md.contains("| seriously-wounded | ru | ua | 23 | 22 | ru 22, ua 22 | ≠ discrepancy |"));
    assert!(md.contains("truce --dir DIR report daily --date 2025-03-21 --tz UTC --format md"));
    insta::assert_snapshot!("report_daily_2025_03_21_md", md);

    // JSON, also as the global --json.
    let js = report(p, &["--format", "json"]);
    assert_eq!(js, report(p, &["--format", "json"]), "json twice");
    assert_eq!(
        js,
        stdout(truce(p).args([
            "-q",
            "--dir",
            "d",
            "--json",
            "report",
            "daily",
            "--date",
            "2025-03-21"
        ]))
    );
    let v: Value = serde_json::from_str(&js).unwrap();
    assert_eq!(v["checkpoint"]["size"].as_u64(), Some(size));
    assert_eq!(v["previous"], "2025-03-20");
    let inc = v["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == SUDZHA)
        .expect("Sudzha on 21 March");
    assert_eq!(inc["occurrence"], "corroborated");
    assert_eq!(inc["disputed"], true);
    assert_eq!(inc["attributions"][0]["grade"], "disputed");
    assert_eq!(inc["attributions"][0]["standing"], "alleged");
    let outcome = |r: &str| {
        inc["readings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["reading"] == r && x["agreement"] == "energy-moratorium-2025")
            .map(|x| x["outcome"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(outcome("ru"), "breach");
    assert_eq!(outcome("ua"), "out_of_scope");
    assert_eq!(outcome("us"), "breach");
    let words = |r: &str| {
        inc["readings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["reading"] == r && x["agreement"] == "energy-moratorium-2025")
            .map(|x| x["words"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(words("ru"), "alleged breach");
    assert_eq!(words("ua"), "out of scope");
    let incidents = &v["summary"]["incidents"];
    assert_eq!(
        (incidents["day"].as_u64(), incidents["previous"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(incidents["change"].as_i64(), Some(0));

    // HTML: self-contained.
    let html = report(p, &["--format", "html"]);
    assert_eq!(html, report(p, &["--format", "html"]), "html twice");
    assert!(html.contains(SUDZHA) && html.contains("corroborated; sources disagree"));
    assert!(html.contains("<span class=\"o o-alleged-breach\">alleged breach</span>"));
    assert!(html.contains(&format!("checkpoint size <b>{size}</b>")));
    for bad in ["src=", "href=", "url(", "@import", "<script", "<link"] {
        assert!(!html.contains(bad), "{bad} in the HTML");
    }

    // At Moscow time the incident falls squarely on the 21st; the 22nd has nothing of it. A
    // fixed offset gives the same day.
    let moscow = report(p, &["--tz", "Europe/Moscow"]);
    assert!(moscow.contains(SUDZHA) && !moscow.contains("reaches this day only"));
    assert!(moscow.contains("2025-03-21 00:00 – 24:00 in Europe/Moscow"));
    assert!(report(p, &["--tz", "+03:00"]).contains(SUDZHA));
    // At Kyiv time (UTC+2 until 30 March) it starts at 22:22 on the 20th and ends at 02:00 on
    // the 21st: on both days.
    let kyiv = report(p, &["--tz", "Europe/Kyiv"]);
    assert!(kyiv.contains(SUDZHA), "{kyiv}");
    assert!(
        kyiv.contains("2025-03-20 22:22 – 2025-03-21 02:00 (Europe/Kyiv)"),
        "{kyiv}"
    );
    let next = stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "report",
        "daily",
        "--date",
        "2025-03-22",
    ]));
    assert!(!next.contains(&format!("### {SUDZHA}")));

    // Markdown with --out writes the charts next to it.
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "report",
        "daily",
        "--date",
        "2025-03-21",
        "--out",
        "r.md",
    ]));
    assert_eq!(std::fs::read_to_string(p.join("r.md")).unwrap(), md);
    for n in ["incidents-by-day", "breaches-by-party"] {
        let svg = std::fs::read_to_string(p.join(format!("report-2025-03-21-{n}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{n}");
    }
}

#[test]
fn pdf_is_printed_by_headless_chromium() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .any(|c| Path::new(c).exists());
    assert!(chromium, "install chromium: apt-get install chromium");
    let t = demo();
    let p = t.path();
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "report",
        "daily",
        "--date",
        "2025-03-21",
        "--format",
        "pdf",
        "--out",
        "r.pdf",
    ]));
    let pdf = std::fs::read(p.join("r.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // A PDF needs a file to go to.
    let e = fails(
        truce(p).args([
            "--dir",
            "d",
            "report",
            "daily",
            "--date",
            "2025-03-21",
            "--format",
            "pdf",
        ]),
        2,
    );
    assert!(e.contains("--out"), "{e}");
}

#[test]
fn bad_arguments_are_refused() {
    let t = demo();
    let p = t.path();
    let e = fails(
        truce(p).args(["--dir", "d", "report", "daily", "--date", "21/03/2025"]),
        2,
    );
    assert!(e.contains("YYYY-MM-DD"), "{e}");
    let e = fails(
        truce(p).args([
            "--dir",
            "d",
            "report",
            "daily",
            "--date",
            "2025-03-21",
            "--tz",
            "+3",
        ]),
        2,
    );
    assert!(e.contains("±HH:MM") && e.contains("IANA"), "{e}");
    let e = fails(
        truce(p).args([
            "--dir",
            "d",
            "report",
            "daily",
            "--date",
            "2025-03-21",
            "--cutoff",
            "7pm",
        ]),
        2,
    );
    assert!(e.contains("HH:MM"), "{e}");
    let help = stdout(truce(p).args(["report", "daily", "--help"]));
    assert!(help.contains("truce --dir truce-demo report daily --date 2025-03-21"));
}

/// ru re-files its reading on 20 April 2025 (Moscow time) with its start moved to 1 April and
/// `effective_from` 18 March (retroactive): the daily report of the 20th, in the agreement's
/// zone, says so under "Changes to readings" with the sentence and the findings it changed; the
/// 19th does not.
#[test]
fn the_report_of_the_day_of_a_refiling_mentions_it() {
    let t = demo();
    let p = t.path();
    let day = |date: &str, format: &str| {
        stdout(truce(p).args([
            "-q",
            "--dir",
            "d",
            "report",
            "daily",
            "--date",
            date,
            "--tz",
            "Europe/Kyiv",
            "--format",
            format,
        ]))
    };
    assert!(!day("2025-04-20", "md").contains("Changes to readings"));
    let text = std::fs::read_to_string(format!("{}/readings/ru.toml", common::scenario()))
        .unwrap()
        .replace(
            "time = 2025-03-25T18:00:00+03:00",
            "time = 2025-04-20T12:00:00+03:00",
        )
        .replace(
            "start = 2025-03-18T00:00:00+03:00",
            "start = 2025-04-01T00:00:00+03:00",
        );
    assert!(text.contains("effective_from = 2025-03-18T00:00:00+03:00"));
    std::fs::write(p.join("ru-retro.toml"), text).unwrap();
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "agreement",
        "add",
        "ru-retro.toml",
        "--as",
        "ru",
        "--key",
        "d/keys/ru.key",
    ]));

    let v: Value = serde_json::from_str(&day("2025-04-20", "json")).unwrap();
    let changes = v["changes"].as_array().expect("changes on the 20th");
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let c = &changes[0];
    assert_eq!(c["party"], "ru");
    assert_eq!(c["agreement"], "energy-moratorium-2025");
    assert_eq!(c["retroactive"], true);
    let sentence = c["sentence"].as_str().unwrap();
    assert!(
        sentence.starts_with("ru filed a new reading on 20 April 2025, effective from 17 March 2025 23:00 (retroactive): start 17 March 23:00 → 1 April"),
        "{sentence}"
    );
    let changed = c["findings_changed"].as_array().unwrap();
    let sudzha = changed
        .iter()
        .find(|f| f["incident"] == SUDZHA)
        .unwrap_or_else(|| panic!("{changed:#?}"));
    assert_eq!(
        (&sudzha["before"], &sudzha["after"], &sudzha["retroactive"]),
        (
            &Value::from("alleged breach"),
            &Value::from("out of scope"),
            &Value::from(true)
        )
    );
    assert!(sentence.ends_with(&format!("; {} findings change", changed.len())));

    let md = day("2025-04-20", "md");
    assert!(md.contains("## Changes to readings (1)"), "{md}");
    assert!(
        md.contains(&format!("- **RETROACTIVE** {sentence}")),
        "{md}"
    );
    assert!(md.contains(&format!(
        "  - {SUDZHA} (2025-03-20): alleged breach → **out of scope** (retroactive)"
    )));
    let html = day("2025-04-20", "html");
    assert!(html.contains("<h2>Changes to readings (1)</h2>"));
    // The day before: no change to readings filed, no section.
    assert!(!day("2025-04-19", "md").contains("Changes to readings"));
    assert!(!day("2025-04-19", "json").contains("\"changes\""));

    // Published, the report of the 20th is recomputed by `truce verify` with its change.
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "publish",
        "report-daily",
        "--date",
        "2025-04-20",
        "--tz",
        "Europe/Kyiv",
    ]));
    stdout(truce(p).args(["-q", "--dir", "d", "log", "export-tiles", "m"]));
    let r = common::verify_json(p, "m", 0);
    let c = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "publications")
        .unwrap();
    assert_eq!(c["status"], "ok", "{c}");
}

//! The engine's commands through the real binary on the demo: the expected incidents and
//! findings (Sudzha in scope under Russia's reading, out of scope under Ukraine's), `explain`,
//! `compliance`, views recomputed when the log grows, and `truce rebuild` reproducing
//! `truce findings --json` byte for byte.

mod common;
use assert_cmd::Command;
use common::{fails, stdout, truce};
use serde_json::Value;

fn json(c: &mut Command) -> Value {
    serde_json::from_str(&stdout(c.arg("--json"))).unwrap()
}

fn scenario() -> String {
    format!(
        "{}/../../scenarios/energy-moratorium-2025",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn demo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    stdout(truce(t.path()).args([
        "-q",
        "demo",
        "--no-serve",
        "--scenario",
        &scenario(),
        "--dir",
        "d",
    ]));
    t
}

fn members(i: &Value) -> Vec<String> {
    i["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}/{}",
                m["author"].as_str().unwrap(),
                m["id"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn the_demo_yields_the_expected_incidents_and_findings() {
    let t = demo();
    let p = t.path();
    let incidents = json(truce(p).args(["--dir", "d", "incidents"]));
    let incidents = incidents.as_array().unwrap();
    assert_eq!(incidents.len(), 7, "{incidents:#?}");

    // Sudzha: both allegations cluster with the satellite detection.
    let sudzha = incidents
        .iter()
        .find(|i| members(i).contains(&"ru/sudzha-gms-2025-03-21".to_string()))
        .unwrap();
    assert_eq!(
        members(sudzha),
        [
            "firms/synthetic-sudzha-2025-03-20",
            "ru/sudzha-gms-2025-03-21",
            "ua/sudzha-shelling-2025-03-21"
        ]
    );
    assert_eq!(sudzha["grade"], "unverifiable", "the monitor's assessment");
    assert_eq!(sudzha["disputed"], true);
    let id = sudzha["id"].as_str().unwrap();

    // Kavkazskaya: a side and a sensor corroborate each other.
    let kav = incidents
        .iter()
        .find(|i| members(i).contains(&"ru/kavkazskaya-depot-2025-03-19".to_string()))
        .unwrap();
    assert_eq!(kav["grade"], "corroborated");
    assert_eq!(members(kav).len(), 2);
    // The 150 km-wide Kursk/Bryansk report is too imprecise to cluster with anything.
    let kb = incidents
        .iter()
        .find(|i| members(i).contains(&"ru/kursk-bryansk-power-2025-03-26".to_string()))
        .unwrap();
    assert_eq!(members(kb).len(), 1);

    // Findings for Sudzha: breach under Russia's reading (window from 18 March), out of scope
    // under Ukraine's (window from 25 March).
    let f = json(truce(p).args(["--dir", "d", "findings", "--incident", id]));
    let by = |r: &str| {
        f.as_array()
            .unwrap()
            .iter()
            .find(|x| x["reading"] == r)
            .unwrap()
            .clone()
    };
    let ru = by("ru");
    assert_eq!(ru["outcome"], "breach");
    assert_eq!(ru["site"]["id"], "sudzha-gms");
    assert_eq!(ru["site"]["distance_m"], 0);
    let ua = by("ua");
    assert_eq!(ua["outcome"], "out_of_scope");
    assert_eq!(ua["reasons"][0]["rule"], "window");
    assert_eq!(ua["reasons"][0]["holds"], "no");
    // Under the US reading (strikes only), the shelling blamed on ru is a breach, the sabotage
    // blamed on ua is not a prohibited act.
    let us = by("us");
    let attr = |p: &str| {
        us["attributions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["party"] == p)
            .unwrap()["outcome"]
            .clone()
    };
    assert_eq!(attr("ru"), "breach");
    assert_eq!(attr("ua"), "no_breach");

    // Filters.
    let breaches = json(truce(p).args([
        "--dir",
        "d",
        "findings",
        "--reading",
        "ua",
        "--outcome",
        "breach",
    ]));
    assert!(breaches
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["reading"] == "ua" && f["outcome"] == "breach"));
    assert_eq!(breaches.as_array().unwrap().len(), 4);
    let corroborated = json(truce(p).args(["--dir", "d", "incidents", "--grade", "corroborated"]));
    assert_eq!(corroborated.as_array().unwrap().len(), 1);
    let boxed = json(truce(p).args(["--dir", "d", "incidents", "--bbox", "35,51,36,52"]));
    assert_eq!(
        boxed.as_array().unwrap().len(),
        2,
        "the two Sudzha incidents"
    );

    // explain: readable reasons naming the site and the distance; a unique prefix is enough.
    let text = stdout(truce(p).args(["--dir", "d", "explain", &id[..8]]));
    assert!(text.contains(&format!("Incident {id}")), "{text}");
    assert!(
        text.contains("site ru/sudzha-gms") && text.contains("is 0 m from"),
        "{text}"
    );
    assert!(
        text.contains("under ru's reading: BREACH")
            && text.contains("under ua's reading: OUT_OF_SCOPE"),
        "{text}"
    );
    let e = fails(truce(p).args(["--dir", "d", "explain", "inc-"]), 2);
    assert!(e.contains("ambiguous"), "{e}");
    let e = fails(
        truce(p).args(["--dir", "d", "explain", "inc-ffffffffffffffff"]),
        2,
    );
    assert!(e.contains("no incident"), "{e}");
    let e = fails(
        truce(p).args(["--dir", "d", "incidents", "--grade", "sure"]),
        2,
    );
    assert!(e.contains("use one of reported"), "{e}");

    // Compliance: the release clause in Russia's reading frees ru after ua's corroborated strike
    // at Kavkazskaya; the incidents whose outcome depends on the reading are listed.
    let c = json(truce(p).args(["--dir", "d", "compliance"]));
    let totals = c["totals"].as_array().unwrap();
    let ru_totals = totals.iter().find(|t| t["reading"] == "ru").unwrap();
    assert_eq!(ru_totals["breaches_by_party"]["ua"], 4);
    assert_eq!(ru_totals["breaches_by_party"]["ru"], 1);
    let diffs = c["differences"].as_array().unwrap();
    assert!(diffs.iter().any(|d| d["incident"] == id
        && d["outcomes"]["ru"] == "breach"
        && d["outcomes"]["ua"] == "out_of_scope"));
    let text = stdout(truce(p).args(["--dir", "d", "compliance", "--reading", "ua"]));
    assert!(
        text.contains("under ua's reading: 4 breach") && !text.contains("under ru's reading"),
        "{text}"
    );
}

#[test]
fn rebuild_reproduces_the_findings_byte_for_byte_and_views_follow_the_log() {
    let t = demo();
    let p = t.path();
    let before = stdout(truce(p).args(["--dir", "d", "--json", "findings"]));
    let incidents_before = stdout(truce(p).args(["--dir", "d", "--json", "incidents"]));
    let r = json(truce(p).args(["--dir", "d", "rebuild"]));
    assert_eq!(r["incidents"], 7);
    assert_eq!(r["findings"], 21);
    assert_eq!(
        stdout(truce(p).args(["--dir", "d", "--json", "findings"])),
        before
    );
    // Deleting the derived views loses nothing.
    std::fs::remove_file(p.join("d/views.db")).unwrap();
    let _ = std::fs::remove_file(p.join("d/views.db-wal"));
    let _ = std::fs::remove_file(p.join("d/views.db-shm"));
    assert_eq!(
        stdout(truce(p).args(["--dir", "d", "--json", "findings"])),
        before
    );
    assert_eq!(
        stdout(truce(p).args(["--dir", "d", "--json", "incidents"])),
        incidents_before
    );

    // A new corroborating report: the views are recomputed on the next query.
    std::fs::write(
        p.join("ua-kavkazskaya.toml"),
        r#"time = 2025-03-19T15:00:00+03:00
[[report]]
id = "kavkazskaya-fire-2025-03-19"
time = { start = 2025-03-19T02:00:00+03:00, end = 2025-03-19T03:00:00+03:00 }
location = { point = [40.601, 45.449], uncertainty_m = 1000 }
act = "fire-observed"
text = "test: Ukraine's account of the same fire"
"#,
    )
    .unwrap();
    stdout(truce(p).args([
        "--dir",
        "d",
        "-q",
        "submit",
        "ua-kavkazskaya.toml",
        "--as",
        "ua",
        "--key",
        "d/keys/ua.key",
    ]));
    let incidents = json(truce(p).args(["--dir", "d", "incidents", "--grade", "corroborated"]));
    let kav = &incidents.as_array().unwrap()[0];
    assert_eq!(members(kav).len(), 3, "{kav:#}");
    assert_eq!(kav["sides"].as_array().unwrap().len(), 3);
}

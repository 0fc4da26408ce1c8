//! `truce review` through the real binary on the demo (a monitoring mission with two officers and
//! a two-officer review policy): the queue and one incident's review as snapshots; two officers
//! verifying the same attribution take it out of the queue; a mission's own report is never
//! cited and its own question never assessed; errors with `--json` are JSON on stdout.

mod common;
use common::{demo, fails, stdout, truce};
use serde_json::Value;
use std::path::Path;

const SUDZHA: &str = "inc-ebcad14da9c05248";

fn json(p: &Path, args: &[&str]) -> Value {
    let mut all = vec!["-q", "--dir", "d", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&stdout(truce(p).args(&all))).unwrap()
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

/// `truce review assess` as the monitor with one officer's key; the JSON answer.
fn assess(p: &Path, incident: &str, question: &[&str], officer: &str, time: &str) -> Value {
    let key = format!("d/keys/monitor-{officer}.key");
    let mut args = vec!["review", "assess", incident];
    args.extend_from_slice(question);
    args.extend_from_slice(&[
        "--verdict",
        "verified",
        "--text",
        "Imagery shows the depot burning.",
        "--as",
        "monitor",
        "--key",
        &key,
        "--time",
        time,
    ]);
    json(p, &args)
}

#[test]
fn the_queue_and_an_incident_review_read_as_tables() {
    let t = demo();
    let p = t.path();
    insta::assert_snapshot!(
        "review_queue",
        stdout(truce(p).args(["-q", "--dir", "d", "review", "queue"]))
    );
    insta::assert_snapshot!(
        "review_show_sudzha",
        stdout(truce(p).args(["-q", "--dir", "d", "review", "show", &SUDZHA[..12]]))
    );
    insta::assert_snapshot!(
        "review_queue_party_ua",
        stdout(
            truce(p).args(["-q", "--dir", "d", "review", "queue", "--party", "ua", "--limit", "2"])
        )
    );

    // The JSON: one page shape, as the API's.
    let q = json(p, &["review", "queue"]);
    assert_eq!(q["quorum"], 2, "the demo's review policy: two officers");
    assert_eq!(q["offset"], 0);
    let items = q["items"].as_array().unwrap();
    assert_eq!(q["total"].as_u64().unwrap() as usize, items.len());
    let ua = items
        .iter()
        .find(|x| x["incident"] == SUDZHA && x["party"] == "ua")
        .unwrap();
    assert_eq!(ua["state"], "pending", "one officer of two");
    assert_eq!(ua["tally"], serde_json::json!({"unverifiable": 1}));
    assert_eq!(ua["assessed_by"].as_array().unwrap().len(), 1);
    assert_eq!(ua["raised_by"], serde_json::json!(["ru"]));
    let show = json(p, &["review", "show", SUDZHA]);
    assert_eq!(show["incident"], SUDZHA);
    assert_eq!(show["assessments"].as_array().unwrap().len(), 2);
    assert_eq!(show["questions"].as_array().unwrap().len(), 3);
}

#[test]
fn two_officers_verifying_an_attribution_take_it_out_of_the_queue_and_own_reports_are_not_cited() {
    let t = demo();
    let p = t.path();

    // The mission's own patrol saw the Kavkazskaya depot burn: its report joins the incident.
    std::fs::write(
        p.join("patrol.toml"),
        r#"time = 2025-03-19T12:00:00+03:00

[[report]]
id = "patrol-kavkazskaya-2025-03-19"
time = { start = 2025-03-19T02:00:00Z }
location = { point = [40.601, 45.448], uncertainty_m = 500, place = "Kavkazskaya" }
act = "fire-observed"
evidence = []
text = "Patrol saw smoke over the depot."
"#,
    )
    .unwrap();
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "submit",
        "patrol.toml",
        "--as",
        "monitor",
        "--key",
        "d/keys/monitor.key",
    ]));
    let incidents = json(p, &["incidents"]);
    let kav = incidents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| members(i).contains(&"monitor/patrol-kavkazskaya-2025-03-19".to_string()))
        .unwrap();
    assert_eq!(members(kav).len(), 3, "{kav:#?}");
    let inc = kav["id"].as_str().unwrap().to_string();
    let own = kav["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["author"] == "monitor")
        .unwrap()["entry_id"]
        .as_str()
        .unwrap()
        .to_string();

    // Its occurrence question is raised by the mission's own report: it may not assess it.
    let q = json(p, &["review", "queue"]);
    let occ = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["incident"] == inc.as_str() && x["question"] == "occurrence")
        .unwrap();
    assert!(occ["raised_by"]
        .as_array()
        .unwrap()
        .contains(&Value::from("monitor")));
    let o = truce(p)
        .args([
            "-q",
            "--dir",
            "d",
            "--json",
            "review",
            "assess",
            &inc,
            "--question",
            "occurrence",
            "--verdict",
            "verified",
            "--text",
            "seen",
            "--as",
            "monitor",
            "--key",
            "d/keys/monitor-officer-1.key",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["error"]["exit"], 2);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nobody assesses a question raised by their own report"),
        "{e}"
    );

    // The attribution to ua: the first officer's verdict is short of the quorum of two.
    let size_before = json(p, &["log", "checkpoint"])["size"].as_u64().unwrap();
    let a1 = assess(
        p,
        &inc,
        &["--question", "attribution", "--party", "ua"],
        "officer-1",
        "2025-03-25T10:00:00Z",
    );
    assert_eq!(a1["index"].as_u64().unwrap(), size_before);
    let cited: Vec<&str> = a1["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(cited.len(), 2, "the sensor's and ru's reports");
    assert!(
        !cited.contains(&own.as_str()),
        "its own report is not cited"
    );
    assert_eq!(a1["question"]["state"], "pending");
    assert_eq!(a1["question"]["open"], true);
    // The signed entry in the log says so too.
    let entry = stdout(truce(p).args(["--dir", "d", "log", "entry", &a1["index"].to_string()]));
    let entry: Value = serde_json::from_str(&entry).unwrap();
    assert_eq!(entry["kind"], "assessment");
    assert_eq!(entry["author"], "monitor");
    assert_eq!(entry["key"], a1["officer"]);
    assert_eq!(entry["body"]["reports"], a1["reports"]);
    assert_eq!(entry["body"]["party"], "ua");
    let still = json(p, &["review", "queue", "--party", "ua"]);
    assert!(still["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["incident"] == inc.as_str()));

    // The second officer agrees: verified, and the question leaves the queue.
    let a2 = assess(
        p,
        &inc,
        &["--question", "attribution", "--party", "ua"],
        "officer-2",
        "2025-03-25T11:00:00Z",
    );
    assert_ne!(a2["officer"], a1["officer"]);
    assert_eq!(a2["question"]["state"], "verified");
    assert_eq!(a2["question"]["open"], false);
    assert_eq!(a2["question"]["tally"], serde_json::json!({"verified": 2}));
    let after = json(p, &["review", "queue", "--party", "ua"]);
    assert!(!after["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["incident"] == inc.as_str()));
    assert_eq!(
        after["total"].as_u64().unwrap() + 1,
        still["total"].as_u64().unwrap()
    );
    let show = json(p, &["review", "show", &inc]);
    let counted: Vec<bool> = show["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["counted"].as_bool().unwrap())
        .collect();
    assert_eq!(counted, [true, true]);
    let incidents = json(p, &["incidents", "--party", "ua"]);
    let kav = incidents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == inc.as_str())
        .unwrap();
    assert_eq!(kav["alleged"][0]["grade"], "verified");
}

#[test]
fn bad_input_is_refused_with_exit_2() {
    let t = demo();
    let p = t.path();
    let base = ["-q", "--dir", "d", "review"];
    for (args, msg) in [
        (vec!["show", "inc-zzzz"], "no incident"),
        (vec!["show", "inc-"], "ambiguous"),
        (
            vec![
                "assess",
                SUDZHA,
                "--question",
                "attribution",
                "--verdict",
                "verified",
                "--text",
                "x",
                "--as",
                "monitor",
                "--key",
                "d/keys/monitor-officer-1.key",
            ],
            "needs --party",
        ),
        (
            vec![
                "assess",
                SUDZHA,
                "--question",
                "attribution",
                "--party",
                "us",
                "--verdict",
                "verified",
                "--text",
                "x",
                "--as",
                "monitor",
                "--key",
                "d/keys/monitor-officer-1.key",
            ],
            "nobody in inc-ebcad14da9c05248 names us",
        ),
        (
            vec![
                "assess",
                SUDZHA,
                "--question",
                "occurrence",
                "--verdict",
                "verified",
                "--text",
                "x",
                "--as",
                "ua",
                "--key",
                "d/keys/ua.key",
            ],
            "not monitor",
        ),
        (
            vec![
                "assess",
                SUDZHA,
                "--question",
                "occurrence",
                "--verdict",
                "verified",
                "--text",
                "x",
                "--as",
                "monitor",
                "--key",
                "d/keys/ua.key",
            ],
            "the key is named `ua`",
        ),
        (
            vec![
                "assess",
                SUDZHA,
                "--question",
                "occurrence",
                "--verdict",
                "verified",
                "--text",
                "x",
                "--as",
                "monitor",
                "--key",
                "d/keys/monitor.key",
                "--time",
                "yesterday",
            ],
            "--time",
        ),
    ] {
        let mut all = base.to_vec();
        all.extend_from_slice(&args);
        let err = fails(truce(p).args(&all), 2);
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}

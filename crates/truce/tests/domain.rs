//! The domain commands through the real binary: the demo (deterministic, diff, commitments,
//! claims) and the acceptance rules seen by users (wrong, unknown and revoked keys, roles, bad
//! files with file:line:reason), with nothing appended when anything is refused.

mod common;
use assert_cmd::Command;
use common::{fails, scenario, stdout, truce};

use serde_json::Value;
use std::path::Path;

fn json(c: &mut Command) -> Value {
    serde_json::from_str(&stdout(c.arg("--json"))).unwrap()
}

fn size(dir: &Path, data: &str) -> u64 {
    json(truce(dir).args(["--dir", data, "log", "checkpoint"]))["size"]
        .as_u64()
        .unwrap()
}

#[test]
fn the_demo_is_deterministic_and_shows_the_disputes() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    let summary = stdout(truce(p).args(["demo", "--no-serve", "--scenario", &scenario()]));
    assert!(
        summary.contains("energy moratorium") && summary.contains("≠ start"),
        "{summary}"
    );
    stdout(truce(p).args([
        "demo",
        "--no-serve",
        "--scenario",
        &scenario(),
        "--dir",
        "again",
    ]));

    // Byte-identical logs: same checkpoint, same tiles and bundles.
    let a = stdout(truce(p).args(["--dir", "truce-demo", "log", "checkpoint"]));
    let b = stdout(truce(p).args(["--dir", "again", "log", "checkpoint"]));
    assert_eq!(a, b);
    stdout(truce(p).args(["--dir", "truce-demo", "log", "export-tiles", "m1"]));
    stdout(truce(p).args(["--dir", "again", "log", "export-tiles", "m2"]));
    let files = |d: &Path| {
        let mut v = Vec::new();
        let mut stack = vec![d.to_path_buf()];
        while let Some(x) = stack.pop() {
            for e in std::fs::read_dir(&x).unwrap() {
                let e = e.unwrap().path();
                if e.is_dir() {
                    stack.push(e);
                } else {
                    v.push((
                        e.strip_prefix(d).unwrap().to_path_buf(),
                        std::fs::read(&e).unwrap(),
                    ));
                }
            }
        }
        v.sort();
        v
    };
    assert_eq!(files(&p.join("m1")), files(&p.join("m2")));
    stdout(truce(p).args(["--dir", "truce-demo", "log", "check"]));
    // The demo built before is used as it is (nothing appended); any other non-empty directory
    // is refused, naming the command that serves it.
    let o = truce(p)
        .args(["demo", "--no-serve", "--scenario", &scenario()])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("holds the demo already built"));
    assert_eq!(
        stdout(truce(p).args(["--dir", "truce-demo", "log", "checkpoint"])),
        a
    );
    std::fs::write(p.join("m1/other"), "x").unwrap();
    let e = fails(
        truce(p).args([
            "demo",
            "--no-serve",
            "--scenario",
            &scenario(),
            "--dir",
            "m1",
        ]),
        2,
    );
    assert!(
        e.contains("already exists") && e.contains("truce --dir m1 serve"),
        "{e}"
    );

    // The readings diff: 18 vs 25 March starts, and categories only some readings protect.
    let d = json(truce(p).args([
        "--dir",
        "truce-demo",
        "agreement",
        "diff",
        "energy-moratorium-2025",
    ]));
    let rows = d["rows"].as_array().unwrap();
    let start = rows.iter().find(|r| r["aspect"] == "start").unwrap();
    assert_eq!(start["differs"], true);
    assert_eq!(
        start["values"]["ru"], "2025-03-17T21:00:00Z",
        "18 March 00:00 Moscow time"
    );
    assert_eq!(start["values"]["us"], "2025-03-17T21:00:00Z");
    assert_eq!(
        start["values"]["ua"], "2025-03-24T21:00:00Z",
        "25 March 00:00 Kyiv/Moscow time"
    );
    let only_us: Vec<&str> = d["categories_only_in"]["us"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(only_us.contains(&"transport.port"), "{only_us:?}");
    let text = stdout(truce(p).args([
        "--dir",
        "truce-demo",
        "agreement",
        "diff",
        "energy-moratorium-2025",
    ]));
    assert!(
        text.contains("≠ start") && text.contains("2025-03-24T21:00:00Z"),
        "{text}"
    );
    let release = rows
        .iter()
        .find(|r| r["aspect"] == "release clauses")
        .unwrap();
    assert_eq!(release["differs"], true);

    // The exchange: 23 seriously wounded announced, 22 transferred.
    let c = json(truce(p).args(["--dir", "truce-demo", "commitments"]));
    let ex = &c.as_array().unwrap()[0];
    assert_eq!(ex["status"], "discrepancy");
    let wounded = ex["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["discrepancy"] == true)
        .unwrap();
    assert_eq!(
        (wounded["promised"].as_u64(), wounded["delivered"].as_u64()),
        (Some(23), Some(22))
    );
    let text = stdout(truce(p).args(["--dir", "truce-demo", "commitments"]));
    assert!(text.contains("DISCREPANCY"), "{text}");

    // The aid contradiction.
    let cl = json(truce(p).args(["--dir", "truce-demo", "claims"]));
    let aid = cl
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["topic"] == "aid-discussed")
        .unwrap();
    assert_eq!(aid["contradiction"], true);

    // The process and agreements.
    let pr = stdout(truce(p).args(["--dir", "truce-demo", "process", "show"]));
    assert!(
        pr.contains("energy-moratorium") && pr.contains("lapsed"),
        "{pr}"
    );
    let parties = json(truce(p).args(["--dir", "truce-demo", "party", "list"]));
    assert_eq!(parties.as_array().unwrap().len(), 7);
}

const READING: &str = r#"time = 2025-03-25T12:00:00+03:00
[reading]
agreement = "moratorium"
summary = "test"
[reading.source]
title = "statement"
date = 2025-03-25
[reading.terms]
prohibited_acts = ["strike"]
protected = ["set:kremlin-2025-03-25"]
bound = ["ru", "ua"]
[reading.terms.window]
start = 2025-03-18T00:00:00+03:00
duration_days = 30
"#;

const PROCESS: &str = r#"time = 2025-03-18T12:00:00Z
[process]
id = "peace"
title = "Peace process"
[[process.phases]]
id = "energy"
title = "Energy moratorium"
status = "in-force"
agreements = [{ id = "moratorium", title = "Energy moratorium" }]
"#;

#[test]
fn keys_roles_and_files_are_checked_before_anything_is_appended() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    stdout(truce(p).args(["init", "--origin", "test.example/log"]));
    for (id, role) in [
        ("us", "mediator"),
        ("ru", "belligerent"),
        ("ua", "belligerent"),
        ("osce", "monitor"),
    ] {
        stdout(truce(p).args(["party", "add", id, "--name", id, "--role", role]));
    }
    let e = fails(
        truce(p).args(["party", "add", "x", "--name", "x", "--role", "general"]),
        2,
    );
    assert!(e.contains("possible values: operator, belligerent"), "{e}");
    std::fs::write(p.join("process.toml"), PROCESS).unwrap();
    std::fs::write(p.join("reading.toml"), READING).unwrap();

    // A belligerent may not file the process; the mediator may.
    let e = fails(
        truce(p).args([
            "submit",
            "process.toml",
            "--as",
            "ru",
            "--key",
            "truce-data/keys/ru.key",
        ]),
        2,
    );
    assert!(
        e.contains("`ru` is a belligerent and may not write `process`"),
        "{e}"
    );
    stdout(truce(p).args([
        "submit",
        "process.toml",
        "--as",
        "us",
        "--key",
        "truce-data/keys/us.key",
    ]));
    let base = size(p, "truce-data");

    // Wrong key: ua's key used as ru.
    let e = fails(
        truce(p).args([
            "agreement",
            "add",
            "reading.toml",
            "--as",
            "ru",
            "--key",
            "truce-data/keys/ua.key",
        ]),
        2,
    );
    assert!(e.contains("is not registered to `ru`"), "{e}");
    // Unknown party.
    let e = fails(
        truce(p).args([
            "agreement",
            "add",
            "reading.toml",
            "--as",
            "ghost",
            "--key",
            "truce-data/keys/ua.key",
        ]),
        2,
    );
    assert!(e.contains("unknown author `ghost`"), "{e}");
    assert_eq!(size(p, "truce-data"), base, "nothing appended");

    stdout(truce(p).args([
        "agreement",
        "add",
        "reading.toml",
        "--as",
        "ru",
        "--key",
        "truce-data/keys/ru.key",
    ]));
    let list = json(truce(p).args(["agreement", "list"]));
    assert_eq!(list[0]["readings"][0], "ru");

    // Revoked key: rotate ru, then its old key is refused.
    std::fs::copy(p.join("truce-data/keys/ru.key"), p.join("old-ru.key")).unwrap();
    stdout(truce(p).args(["party", "rotate", "ru"]));
    std::fs::write(
        p.join("reading.toml"),
        READING.replace("summary = \"test\"", "summary = \"second\""),
    )
    .unwrap();
    let e = fails(
        truce(p).args([
            "agreement",
            "add",
            "reading.toml",
            "--as",
            "ru",
            "--key",
            "old-ru.key",
        ]),
        2,
    );
    assert!(e.contains("was revoked"), "{e}");

    // Bad files name file, line and reason; nothing appended.
    let before = size(p, "truce-data");
    let cases = [
        (
            READING.replace("set:kremlin-2025-03-25", "energy.oil.refinry"),
            "bad.toml:10:",
            "unknown category",
        ),
        (
            READING.replace("duration_days = 30", "end = 2025-03-01T00:00:00Z"),
            "bad.toml:12:",
            "precedes",
        ),
        (
            READING.replace("[reading.terms]", "[reading.terms"),
            "bad.toml:8:",
            "unclosed table",
        ),
        (
            READING.replace("summary = \"test\"", "summary = "),
            "bad.toml:4:",
            "",
        ),
    ];
    for (text, at, why) in cases {
        std::fs::write(p.join("bad.toml"), text).unwrap();
        let e = fails(
            truce(p).args([
                "agreement",
                "add",
                "bad.toml",
                "--as",
                "ua",
                "--key",
                "truce-data/keys/ua.key",
            ]),
            2,
        );
        assert!(
            e.contains(at) && e.contains(why),
            "expected {at} {why}: {e}"
        );
    }
    let site = "time = 2025-03-20T00:00:00Z\n[[site]]\nid = \"x\"\nname = \"X\"\ncategory = \"energy.gas.metering\"\ngeometry = { type = \"Point\", coordinates = [35.27, 95.19] }\n";
    std::fs::write(p.join("site.toml"), site).unwrap();
    let e = fails(
        truce(p).args([
            "submit",
            "site.toml",
            "--as",
            "ua",
            "--key",
            "truce-data/keys/ua.key",
        ]),
        2,
    );
    assert!(
        e.contains("site.toml:6:") && e.contains("latitude 95.19 is out of range"),
        "{e}"
    );
    // A belligerent cannot assess.
    let a = "time = 2025-03-20T00:00:00Z\n[[assessment]]\nreports = [\"ru/x\"]\nverdict = \"verified\"\n";
    std::fs::write(p.join("a.toml"), a).unwrap();
    let e = fails(
        truce(p).args([
            "submit",
            "a.toml",
            "--as",
            "ua",
            "--key",
            "truce-data/keys/ua.key",
        ]),
        2,
    );
    assert!(e.contains("may not write `assessment`"), "{e}");
    assert_eq!(size(p, "truce-data"), before, "nothing appended");
    stdout(truce(p).args(["log", "check"]));
}

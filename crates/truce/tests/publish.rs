//! `truce publish` through the real binary, on the demo: the findings and a daily report are
//! published (the documents are byte for byte the items `truce --json findings` pages through
//! and what `truce --json report daily` prints, and their SHA-256 is in the entry), `truce verify`
//! recomputes both, a publication with a wrong digest appended by hand fails naming its entry,
//! and the help and every bad input with its exit code.

mod common;
use common::{check, demo_in, fails, serve, stdout, truce, verify_json};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;

fn hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn size(p: &Path) -> u64 {
    let cp: Value = serde_json::from_str(&stdout(truce(p).args([
        "--dir",
        "d",
        "--json",
        "log",
        "checkpoint",
    ])))
    .unwrap();
    cp["size"].as_u64().unwrap()
}

fn filters() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"[0-9a-f]{64}", "[SHA256]");
    s.add_filter(r"\([0-9a-f]{16}\)", "([ENTRY ID])");
    s.add_filter(r"truce-rules/\d+", "[RULES]");
    s.add_filter(r"(log size|entry) \d+", "$1 [N]");
    s
}

#[test]
fn published_documents_are_the_cli_outputs_and_verify_recomputes_them() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    demo_in(p);

    // The findings: the document is every item of what `truce --json findings` prints (the
    // page `GET /v1/findings` answers) as one array, byte for byte.
    let page = stdout(truce(p).args([
        "-q", "--dir", "d", "--json", "findings", "--limit", "100000",
    ]));
    let items = &page["{\"items\":".len()..page.rfind(",\"total\":").unwrap()];
    let findings = format!("{items}\n");
    let n = size(p);
    let text = stdout(truce(p).args(["-q", "--dir", "d", "publish", "findings", "--out", "pub"]));
    {
        let _s = filters().bind_to_scope();
        insta::assert_snapshot!("publish_findings", text);
    }
    let doc = std::fs::read(p.join("pub/findings.json")).unwrap();
    assert_eq!(String::from_utf8_lossy(&doc), findings);
    assert!(text.contains(&format!("entry {n} (")), "{text}");
    assert!(
        text.contains(&format!("findings    sha256 {}", hex(&doc))),
        "{text}"
    );
    let compliance = std::fs::read(p.join("pub/compliance.json")).unwrap();
    assert!(text.contains(&hex(&compliance)), "{text}");
    // The publication and the sequencer's clock entry closing its batch.
    assert_eq!(size(p), n + 2);

    // A daily report, published by the monitor: exactly what `truce report daily` prints now.
    let report = stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "--json",
        "report",
        "daily",
        "--date",
        "2025-03-21",
        "--tz",
        "+03:00",
    ]));
    let out = stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "--json",
        "publish",
        "report-daily",
        "--date",
        "2025-03-21",
        "--tz",
        "+03:00",
        "--as",
        "monitor",
        "--key",
        "d/keys/monitor.key",
        "--out",
        "pub2",
    ]));
    let v: Value = serde_json::from_str(&out).unwrap();
    // After the first publication and the clock entry closing its batch.
    assert_eq!(v["index"], n + 2);
    assert_eq!(v["author"], "monitor");
    let pb = &v["publication"];
    assert_eq!(pb["what"], "report.daily");
    assert_eq!(pb["size"], n + 2);
    assert_eq!(pb["params"]["date"], "2025-03-21");
    assert_eq!(pb["params"]["tz"], "+03:00");
    assert_eq!(pb["params"]["role"], "monitor");
    let doc = std::fs::read(p.join("pub2/report.json")).unwrap();
    assert_eq!(String::from_utf8_lossy(&doc), report);
    assert_eq!(pb["sha256"]["report"].as_str().unwrap(), hex(&doc));

    // Anybody recomputes both from a mirror.
    stdout(truce(p).args(["-q", "--dir", "d", "log", "export-tiles", "m"]));
    let r = verify_json(p, "m", 0);
    let c = check(&r, "publications");
    assert_eq!(c["status"], "ok", "{r}");
    let pubs = r["publications"].as_array().unwrap();
    let got: Vec<(u64, &str)> = pubs
        .iter()
        .map(|x| (x["index"].as_u64().unwrap(), x["status"].as_str().unwrap()))
        .collect();
    assert_eq!(got, vec![(n, "ok"), (n + 2, "ok")]);
    let text = stdout(truce(p).args([
        "-q",
        "verify",
        "m",
        "--log-key",
        "d/log.vkey",
        "--state",
        "s.json",
    ]));
    assert!(text.contains("✓ publications"), "{text}");
    assert!(
        text.contains(&format!(
            "✓ entry {}: report.daily date 2025-03-21 tz +03:00",
            n + 2
        )),
        "{text}"
    );

    // A publication whose digest is wrong, signed by the operator and appended by hand.
    let mut body: truce_model::domain::Publication = serde_json::from_value(pb.clone()).unwrap();
    let d = body.sha256.get_mut("report").unwrap();
    *d = d.chars().rev().collect();
    let key = std::fs::read_to_string(p.join("d/operator.key")).unwrap();
    let env = truce_model::entry::sign(
        &truce_model::Id::new("operator").unwrap(),
        truce_model::Time::parse("2025-04-01T00:00:00Z").unwrap(),
        &truce_model::entry::Body::Publication(body),
        &truce_log::parse_signer(key.trim()).unwrap(),
    )
    .unwrap();
    let mut line = env.bytes.clone();
    line.push(b'\n');
    std::fs::write(p.join("bad.jsonl"), line).unwrap();
    stdout(truce(p).args(["-q", "--dir", "d", "log", "append", "bad.jsonl"]));
    stdout(truce(p).args(["-q", "--dir", "d", "log", "export-tiles", "m2"]));
    let r = verify_json(p, "m2", 1);
    let c = check(&r, "publications");
    assert_eq!(c["status"], "failed", "{r}");
    let msg = c["message"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!("entry {}: report.daily: `report` differs", n + 4)),
        "{msg}"
    );
    for name in ["tree", "signatures", "findings", "compliance"] {
        assert_eq!(check(&r, name)["status"], "ok", "{name}: {r}");
    }
    let err = fails(
        truce(p).args([
            "-q",
            "verify",
            "m2",
            "--log-key",
            "d/log.vkey",
            "--state",
            "s.json",
        ]),
        1,
    );
    assert!(
        err.contains(&format!("publications: entry {}", n + 4)),
        "{err}"
    );
}

#[test]
fn help_teaches_and_bad_input_has_its_exit_code() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    insta::assert_snapshot!("publish_help", stdout(truce(p).args(["publish", "--help"])));
    insta::assert_snapshot!(
        "publish_findings_help",
        stdout(truce(p).args(["publish", "findings", "--help"]))
    );
    insta::assert_snapshot!(
        "publish_report_daily_help",
        stdout(truce(p).args(["publish", "report-daily", "--help"]))
    );

    // No data directory: 3.
    let err = fails(truce(p).args(["--dir", "nope", "publish", "findings"]), 3);
    assert!(err.contains("no Truce data directory"), "{err}");

    demo_in(p);
    let n = size(p);
    // A bad date: 2, and with --json the error is JSON on stdout too.
    let o = truce(p)
        .args([
            "--dir",
            "d",
            "--json",
            "publish",
            "report-daily",
            "--date",
            "2025-02-30",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["exit"], 2);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2025-02-30"),
        "{v}"
    );
    // --as without --key, and a role that may not publish: clap refuses (2).
    fails(
        truce(p).args(["--dir", "d", "publish", "findings", "--as", "monitor"]),
        2,
    );
    let err = fails(
        truce(p).args(["--dir", "d", "publish", "findings", "--role", "belligerent"]),
        2,
    );
    assert!(err.contains("possible values: operator, monitor"), "{err}");
    // The operator does not publish as a monitor.
    let err = fails(
        truce(p).args(["--dir", "d", "publish", "findings", "--role", "monitor"]),
        2,
    );
    assert!(err.contains("registered with the role operator"), "{err}");
    // A belligerent may not publish: the log's rules refuse the entry, nothing is appended.
    let err = fails(
        truce(p).args([
            "--dir",
            "d",
            "publish",
            "findings",
            "--as",
            "ru",
            "--key",
            "d/keys/ru.key",
        ]),
        2,
    );
    assert!(
        err.contains("refused") && err.contains("nothing was appended"),
        "{err}"
    );
    // A key that is not the party's.
    let err = fails(
        truce(p).args([
            "--dir",
            "d",
            "publish",
            "findings",
            "--as",
            "monitor",
            "--key",
            "d/keys/ru.key",
        ]),
        2,
    );
    assert!(err.contains("named `ru`"), "{err}");
    assert_eq!(size(p), n);
}

#[test]
fn publications_through_the_api_verify_against_the_server() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    demo_in(p);
    let n = size(p);
    stdout(truce(p).args(["-q", "--dir", "d", "publish", "findings"]));
    let token: Value = serde_json::from_str(&stdout(truce(p).args([
        "--dir", "d", "--json", "token", "create", "monitor", "--role", "monitor",
    ])))
    .unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let s = serve(&p.join("d"));
    let url = format!("http://{}", s.addr);
    let client = reqwest::blocking::Client::new();
    let r = client
        .post(format!("{url}/v1/publications"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"what": "report.daily", "date": "2025-03-21"}))
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text());
    let v: Value = r.json().unwrap();
    // After the first publication and its batch's clock entry.
    assert_eq!(v["ack"]["index"], n + 2);
    assert_eq!(v["publication"]["params"]["requested_by"], "monitor");
    let l: Value = client
        .get(format!("{url}/v1/publications"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(l["total"], 2, "{l}");

    // The verifier finds the publications through /v1/publications and recomputes both.
    let o = truce(p)
        .args([
            "-q",
            "verify",
            &url,
            "--log-key",
            "d/log.vkey",
            "--state",
            "s.json",
            "--json",
        ])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    assert!(
        o.status.success(),
        "{r} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(check(&r, "publications")["status"], "ok", "{r}");
    let got: Vec<(u64, &str, &str)> = r["publications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["index"].as_u64().unwrap(),
                x["what"].as_str().unwrap(),
                x["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![(n, "findings", "ok"), (n + 2, "report.daily", "ok")]
    );
}

//! One log, two writers: while `truce serve` runs on the demo, `truce submit` (another process, its
//! own sequencer on the same database) files an allegation. The server applies it without a
//! restart — it is at `/v1/incidents` and `/checkpoint` moves to it within a few of the follower's
//! 1 s intervals — and the server's own next append comes after it, both in one log that checks.

mod common;
use common::{demo, serve, stdout, truce};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn get(url: &str) -> Value {
    let r = reqwest::blocking::Client::new().get(url).send().unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().unwrap()
}

fn checkpoint_size(addr: &str) -> u64 {
    let text = reqwest::blocking::get(format!("http://{addr}/checkpoint"))
        .unwrap()
        .text()
        .unwrap();
    text.lines().nth(1).unwrap().parse().unwrap()
}

/// Incidents from 9 May holding a strike on the Kherson plant (the demo's synthetic patrol
/// observations of those days are other incidents).
fn may_incidents(addr: &str) -> usize {
    get(&format!(
        "http://{addr}/v1/incidents?from=2025-05-09T00:00:00Z"
    ))["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["members"].as_array().unwrap().iter().any(|m| {
                m["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("kherson-tpp-"))
            })
        })
        .count()
}

fn cli_submit(p: &Path, name: &str, text: &str, party: &str) -> Value {
    std::fs::write(p.join(name), text).unwrap();
    let key = format!("d/keys/{party}.key");
    let out = stdout(truce(p).args([
        "--dir", "d", "--json", "submit", name, "--as", party, "--key", &key,
    ]));
    serde_json::from_str(&out).unwrap()
}

#[test]
fn an_allegation_filed_by_another_process_is_served_without_a_restart() {
    let t = demo();
    let p = t.path();
    let server = serve(&p.join("d"));
    let addr = server.addr.clone();
    let before = checkpoint_size(&addr);
    assert_eq!(may_incidents(&addr), 0);

    let acked = cli_submit(p, "may.toml", common::MAY_STRIKE, "ua");
    let index = acked[0]["index"].as_u64().unwrap();
    assert_eq!(
        index, before,
        "the CLI appended right after the server's last entry"
    );

    let started = Instant::now();
    while may_incidents(&addr) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the allegation appended by `truce submit` was not served within 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let size = checkpoint_size(&addr);
    assert!(
        size > index,
        "/checkpoint {size} does not cover entry {index}"
    );
    let entry = get(&format!("http://{addr}/v1/entries/{index}"));
    assert_eq!(entry["author"], "ua", "{entry}");
    // The views the server recomputed from its live ledger are those a replay of the log gives:
    // an outsider's `truce verify` recomputes them and compares.
    let report = common::verify_json(p, &format!("http://{addr}"), 0);
    assert_eq!(
        common::check(&report, "findings")["status"],
        "ok",
        "{report}"
    );
    assert_eq!(report["size"], size, "{report}");

    // The server's own writer appends after what the CLI appended (no conflict, no gap).
    let second = common::MAY_STRIKE
        .replace("kherson-tpp-2025-05-10", "kherson-tpp-2025-05-11")
        .replace("2025-05-10T", "2025-05-11T");
    std::fs::write(p.join("second.toml"), &second).unwrap();
    let signed = stdout(truce(p).args([
        "--dir",
        "d",
        "sign",
        "second.toml",
        "--as",
        "ua",
        "--key",
        "d/keys/ua.key",
    ]));
    let r = reqwest::blocking::Client::new()
        .post(format!("http://{addr}/v1/entries"))
        .header("content-type", "application/x-ndjson")
        .body(signed)
        .send()
        .unwrap();
    let status = r.status();
    let v: Value = r.json().unwrap();
    assert!(status.is_success(), "{status}: {v}");
    let placed = v["index"]
        .as_u64()
        .or_else(|| v["results"][0]["ok"]["index"].as_u64())
        .unwrap_or_else(|| panic!("no index in {v}"));
    assert_eq!(
        placed, size,
        "the server appended right after the CLI's batch"
    );
    drop(server);
    stdout(truce(p).args(["--dir", "d", "log", "check"]));
}

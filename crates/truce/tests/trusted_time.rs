//! Trusted time through the real binary, on the demo (whose DEMO-ONLY witnesses cosign on the
//! scenario's clock): every entry's known-by interval, each sequencer clock inside its own,
//! `--as-of <time>` equal to `--as-of <size>` of the size witnessed by then, `truce verify`'s
//! time check, and a forged round (a validly signed and cosigned checkpoint whose root is not
//! the log's) named by `truce verify`.

mod common;
use common::{demo, fails, stdout, truce, verify_json};
use ed25519_dalek::SigningKey;
use serde_json::Value;
use std::path::Path;
use truce_log::cosignature::Cosigner;

fn json(p: &Path, args: &[&str]) -> Value {
    let mut c = truce(p);
    c.args(["--json", "--dir", "d"]).args(args);
    serde_json::from_str(&stdout(&mut c)).unwrap()
}

fn size(p: &Path) -> u64 {
    json(p, &["log", "checkpoint"])["size"].as_u64().unwrap()
}

/// `GET /v1/entries/{i}/known-by` of a running server.
fn known_by(http: &reqwest::blocking::Client, addr: &impl std::fmt::Display, i: u64) -> Value {
    http.get(format!("http://{addr}/v1/entries/{i}/known-by"))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn every_demo_entry_has_a_known_by_interval_and_every_clock_lies_inside_its_own() {
    let t = demo();
    let p = t.path();
    let n = size(p);
    let mut clocks = 0;
    let mut first_round = None;
    // Every entry through the API (one server, not a replay per entry: the demo holds two
    // thousand AIS records); the CLI prints the same document, checked on every 97th entry.
    let server = common::serve(&p.join("d"));
    let http = reqwest::blocking::Client::new();
    for i in 0..n {
        let k = known_by(&http, &server.addr, i);
        if i % 97 == 0 || i + 1 == n {
            assert_eq!(
                json(p, &["log", "known-by", &i.to_string()]),
                k,
                "entry {i}"
            );
        }
        assert_eq!(k["index"].as_u64(), Some(i));
        let kb = &k["known_by"];
        // Every entry but the last round has a round covering it; every entry after the first
        // round has one before it.
        assert_eq!(kb["by"].is_string(), i + 1 < n, "entry {i}: {k}");
        assert_eq!(
            kb["after"].is_string(),
            first_round.is_some_and(|r| i > r),
            "entry {i}: {k}"
        );
        if k["kind"] == "witnessing" && first_round.is_none() {
            first_round = Some(i);
        }
        if let (Some(a), Some(b)) = (kb["after"].as_str(), kb["by"].as_str()) {
            assert!(a <= b, "entry {i}: {k}");
        }
        // The demo files nothing late or ahead (its clock is the scenario's).
        assert!(
            k.get("late_by_s").is_none() && k.get("ahead_by_s").is_none(),
            "{k}"
        );
        if k["kind"] == "clock" {
            clocks += 1;
            let s = k["stated"].as_str().unwrap();
            if let Some(a) = kb["after"].as_str() {
                assert!(a <= s, "clock {i} at {s} before {a}");
            }
            if let Some(b) = kb["by"].as_str() {
                assert!(s <= b, "clock {i} at {s} after {b}");
            }
        }
    }
    assert!(clocks > 20, "{clocks} clock entries");
    let words = stdout(truce(p).args(["--dir", "d", "log", "known-by", "1"]));
    assert!(
        words.contains("known to the log by 2025-03-17T21:00:03Z"),
        "{words}"
    );
    let e = fails(
        truce(p).args(["--dir", "d", "log", "known-by", &n.to_string()]),
        2,
    );
    assert!(e.contains("beyond the log"), "{e}");
}

#[test]
fn as_of_a_time_is_the_size_the_witnesses_had_cosigned_by_then() {
    let t = demo();
    let p = t.path();
    // The round after the Sudzha reports: what was witnessed by 22 March.
    let by_time = stdout(truce(p).args([
        "--json",
        "--dir",
        "d",
        "findings",
        "--as-of",
        "2025-03-22T00:00:00+03:00",
    ]));
    // The same size, found from the rounds themselves.
    let n = size(p);
    let mut best = 0;
    let server = common::serve(&p.join("d"));
    let http = reqwest::blocking::Client::new();
    for i in 0..n {
        let k = known_by(&http, &server.addr, i);
        if k["known_by"]["by"]
            .as_str()
            .is_some_and(|b| b <= "2025-03-21T21:00:00Z")
        {
            best = i + 1;
        }
    }
    assert!(best > 0 && best < n, "{best} of {n}");
    let by_size = stdout(truce(p).args([
        "--json",
        "--dir",
        "d",
        "findings",
        "--as-of",
        &best.to_string(),
    ]));
    assert_eq!(by_time, by_size);
    assert_ne!(
        by_time,
        stdout(truce(p).args(["--json", "--dir", "d", "findings"]))
    );
    // The API resolves a time the same way (`?as_of=`, the same shared cache).
    let get = |q: &str| -> Value {
        reqwest::blocking::get(format!("http://{}/v1/findings?limit=20&{q}", server.addr))
            .unwrap()
            .json()
            .unwrap()
    };
    let by_api_time = get("as_of=2025-03-22T00:00:00%2B03:00");
    assert_eq!(by_api_time["log_size"], best, "{by_api_time}");
    assert_eq!(by_api_time, get(&format!("as_of={best}")));
    let bad = get("as_of=2025-01-01T00:00:00Z");
    assert_eq!(bad["error"]["field"], "as_of", "{bad}");
    drop(server);
    // Before the first round: refused, naming when the first quorum was reached.
    let e = fails(
        truce(p).args(["--dir", "d", "findings", "--as-of", "2025-01-01T00:00:00Z"]),
        2,
    );
    assert!(e.contains("2025-03-17T21:00:03Z"), "{e}");
    let e = fails(
        truce(p).args(["--dir", "d", "findings", "--as-of", "yesterday"]),
        2,
    );
    assert!(e.contains("neither a log size nor a time"), "{e}");
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report}"))
}

#[test]
fn verify_checks_the_time_and_names_a_forged_round() {
    let t = demo();
    let p = t.path();
    stdout(truce(p).args(["--dir", "d", "log", "export-tiles", "m"]));
    let r = verify_json(p, "m", 0);
    let c = check(&r, "time");
    assert_eq!(c["status"], "ok", "{c}");
    assert!(c["message"].as_str().unwrap().contains("witnessing rounds"));

    // The operator files a policy of two witnesses it controls (`truce witness policy`), then
    // logs a round whose checkpoint is validly signed by the log key and cosigned by both, but
    // whose root is not the log's at that size.
    let vkey = std::fs::read_to_string(p.join("d/log.vkey")).unwrap();
    let ws: Vec<Cosigner> = (0..2u8)
        .map(|i| {
            Cosigner::new(
                &format!("witness.test/w{i}"),
                SigningKey::from_bytes(&[40 + i; 32]),
            )
            .unwrap()
        })
        .collect();
    let policy = format!(
        "log {}\nwitness a {}\nwitness b {}\ngroup both all a b\nquorum both\n",
        vkey.trim(),
        ws[0].vkey(),
        ws[1].vkey()
    );
    std::fs::write(p.join("policy.txt"), &policy).unwrap();
    let out = stdout(truce(p).args(["--dir", "d", "witness", "policy", "policy.txt"]));
    assert!(out.contains("witness policy filed"), "{out}");
    let n = size(p);
    let log_key = std::fs::read_to_string(p.join("d/log.key")).unwrap();
    let origin = vkey.split('+').next().unwrap();
    let cp = truce_log::sign_checkpoint(
        &truce_log::parse_signer(log_key.trim()).unwrap(),
        origin,
        n,
        truce_log::merkle_root([b"not this log".as_slice()]),
    )
    .unwrap();
    let mut note = cp.note;
    for w in &ws {
        note = w.cosign_note(&note, 1_900_000_000).unwrap();
    }
    let op = std::fs::read_to_string(p.join("d/operator.key")).unwrap();
    let env = truce_model::sign(
        &truce_model::Id::new("operator").unwrap(),
        truce_model::Time::parse("2030-03-17T08:53:20Z").unwrap(),
        &truce_model::Body::Witnessing(truce_model::witnessed::Witnessing {
            checkpoint: String::from_utf8(note).unwrap(),
        }),
        &truce_log::parse_signer(op.trim()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        p.join("round.jsonl"),
        [env.bytes.as_slice(), b"\n"].concat(),
    )
    .unwrap();
    stdout(truce(p).args(["--dir", "d", "log", "append", "round.jsonl"]));
    std::fs::remove_dir_all(p.join("m")).unwrap();
    stdout(truce(p).args(["--dir", "d", "log", "export-tiles", "m"]));
    std::fs::remove_file(p.join("s.json")).unwrap();
    let r = verify_json(p, "m", 1);
    let c = check(&r, "time");
    assert_eq!(c["status"], "failed", "{c}");
    let details = c.to_string();
    assert!(
        details.contains(&format!("entry {n}")) && details.contains("root"),
        "{details}"
    );
}

/// The demo's DEMO-ONLY witness `w` ("mission", "ru", "ua"), derived from the scenario's public
/// seed as `truce demo` derives it.
fn demo_witness(w: &str) -> Cosigner {
    use sha2::Digest;
    let text = std::fs::read_to_string(format!("{}/scenario.toml", common::scenario())).unwrap();
    let field = |k: &str| -> String {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{k} =")))
            .unwrap();
        line.split('"').nth(1).unwrap().to_string()
    };
    let (seed, origin) = (field("seed"), field("origin"));
    let d = sha2::Sha256::digest(format!("truce demo witness v1\n{seed}\n{w}").as_bytes());
    Cosigner::new(
        &format!("{origin}/witness-{w}"),
        SigningKey::from_bytes(&d.into()),
    )
    .unwrap()
}

#[test]
fn a_verifier_with_its_own_policy_judges_the_rounds_under_it() {
    let t = demo();
    let p = t.path();
    stdout(truce(p).args(["--dir", "d", "log", "export-tiles", "m"]));
    // The mirror's checkpoint, cosigned now by the mission's and ru's witnesses and by one the
    // verifier adds (who never cosigned a logged round).
    let extra = Cosigner::new(
        "witness.verifier.example",
        SigningKey::from_bytes(&[77; 32]),
    )
    .unwrap();
    let mut note = std::fs::read(p.join("m/checkpoint")).unwrap();
    for c in [demo_witness("mission"), demo_witness("ru"), extra.clone()] {
        note = c.cosign_note(&note, 1_900_000_000).unwrap();
    }
    std::fs::write(p.join("m/checkpoint"), &note).unwrap();
    let policy = std::fs::read_to_string(p.join("d/witness-policy.txt")).unwrap();
    std::fs::write(p.join("demo-policy.txt"), &policy).unwrap();
    let run = |policy: &str| -> Value {
        let o = truce(p)
            // Its own state file: the default one is the machine's (shared by every run).
            .args(["-q", "--json", "verify", "m", "--policy", policy])
            .args(["--state", "s.json"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    // The demo's own policy: every round bounds time for this verifier too.
    let r = run("demo-policy.txt");
    let c = check(&r, "time");
    assert_eq!(c["status"], "ok", "{c}");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("under your policy 44 of them bound time"),
        "{c}"
    );
    // A verifier who also requires a witness of its own: no logged round meets it, each is
    // listed, and nothing fails (the rounds just bound nothing for this verifier).
    let mine: String = policy
        .lines()
        .filter(|l| !l.starts_with("group") && !l.starts_with("quorum"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + &format!(
            "witness mine {}\ngroup strict all mission mine\nquorum strict\n",
            extra.vkey()
        );
    std::fs::write(p.join("my-policy.txt"), mine).unwrap();
    let r = run("my-policy.txt");
    let c = check(&r, "time");
    assert_eq!(c["status"], "ok", "{c}");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("under your policy 0 of them bound time"),
        "{c}"
    );
    let details = c["details"].as_array().unwrap();
    assert_eq!(details.len(), 44, "{c}");
    assert!(details[0]
        .as_str()
        .unwrap()
        .starts_with("does not meet your policy (bounds nothing for you): entry "));
}

//! `truce commitments` through the real binary: an exchange of 1,000 for 1,000 in three tranches
//! over three days of May 2025 filed by both sides, each side's own total, a restatement, sides
//! that differ flagged; a fulfilment's person list filed with `truce commitments fulfil` — on the
//! operator's data directory and through a running server — its salted commitment in the log,
//! the list in the restricted store served to permitted tokens only, nothing filed twice; and
//! `truce export` byte for byte what the API's export endpoints serve.

mod common;
use common::{demo, fails, serve, stdout, truce};
use serde_json::Value;
use std::path::Path;

fn commitment(p: &Path, id: &str) -> Value {
    let v: Value = serde_json::from_str(&stdout(truce(p).args([
        "--dir",
        "d",
        "--json",
        "commitments",
    ])))
    .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no commitment {id}: {v}"))
        .clone()
}

/// `[(by_side, sides_differ, discrepancy)]` per item.
fn figures(c: &Value) -> Vec<(Value, bool, bool)> {
    c["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["by_side"].clone(),
                i["sides_differ"].as_bool().unwrap(),
                i["discrepancy"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn fulfilment_toml(date: &str, n: u64, kind: &str) -> String {
    let mut t = format!(
        "time = {date}T18:00:00+03:00\n[[fulfilment]]\ncommitment = \"exchange-1000\"\ndate = {date}\n"
    );
    if !kind.is_empty() {
        t.push_str(&format!("kind = \"{kind}\"\n"));
    }
    for (from, to) in [("ru", "ua"), ("ua", "ru")] {
        t.push_str(&format!(
            "[[fulfilment.items]]\nwhat = \"prisoners\"\nquantity = {n}\nfrom = \"{from}\"\nto = \"{to}\"\n"
        ));
    }
    t.push_str(&format!(
        "[fulfilment.source]\ntitle = \"press reports of {date}\"\ndate = {date}\n"
    ));
    t
}

fn submit(p: &Path, file: &str, text: &str, party: &str) {
    std::fs::write(p.join(file), text).unwrap();
    stdout(truce(p).args([
        "--dir",
        "d",
        "-q",
        "submit",
        file,
        "--as",
        party,
        "--key",
        &format!("d/keys/{party}.key"),
    ]));
}

fn log_size(p: &Path) -> u64 {
    let v: Value = serde_json::from_str(&stdout(truce(p).args([
        "--dir",
        "d",
        "--json",
        "log",
        "checkpoint",
    ])))
    .unwrap();
    v["size"].as_u64().unwrap()
}

fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let mut r = reqwest::blocking::Client::new().get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

fn token(p: &Path, party: &str, role: &str) -> String {
    let v: Value = serde_json::from_str(&stdout(truce(p).args([
        "--dir", "d", "--json", "token", "create", party, "--role", role,
    ])))
    .unwrap();
    v["token"].as_str().unwrap().to_string()
}

#[test]
fn tranches_sum_per_side_and_person_lists_are_filed_by_commitment() {
    let t = demo();
    let p = t.path();
    submit(
        p,
        "commitment.toml",
        "time = 2025-05-16T20:00:00+03:00\n[[commitment]]\nid = \"exchange-1000\"\ntitle = \"Exchange of 1,000 for 1,000\"\nannounced = 2025-05-16\ndue = 2025-05-25\n[[commitment.items]]\nwhat = \"prisoners\"\nquantity = 1000\nfrom = \"ru\"\nto = \"ua\"\n[[commitment.items]]\nwhat = \"prisoners\"\nquantity = 1000\nfrom = \"ua\"\nto = \"ru\"\n[commitment.source]\ntitle = \"Istanbul talks, 16 May 2025\"\ndate = 2025-05-16\n",
        "ua",
    );
    // Russia files its three tranches with `truce submit`; Ukraine its first two, and its
    // third with the person list behind it.
    for (date, n) in [
        ("2025-05-23", 390),
        ("2025-05-24", 307),
        ("2025-05-25", 303),
    ] {
        submit(
            p,
            &format!("ru-{date}.toml"),
            &fulfilment_toml(date, n, ""),
            "ru",
        );
    }
    for (date, n) in [("2025-05-23", 390), ("2025-05-24", 307)] {
        submit(
            p,
            &format!("ua-{date}.toml"),
            &fulfilment_toml(date, n, "tranche"),
            "ua",
        );
    }
    let list = "UA-0001 (pseudonymous)\nUA-0002 (pseudonymous)\n";
    std::fs::write(p.join("ua-list.txt"), list).unwrap();
    std::fs::write(p.join("ua-3.toml"), fulfilment_toml("2025-05-25", 303, "")).unwrap();
    let fulfil = |p: &Path| -> Value {
        serde_json::from_str(&stdout(truce(p).args([
            "--dir",
            "d",
            "--json",
            "commitments",
            "fulfil",
            "ua-3.toml",
            "--persons",
            "ua-list.txt",
            "--as",
            "ua",
            "--key",
            "d/keys/ua.key",
        ])))
        .unwrap()
    };
    let before = log_size(p);
    let v = fulfil(p);
    assert_eq!(
        (v["appended"].as_bool(), v["stored"].as_bool()),
        (Some(true), Some(true))
    );
    let c = v["commitment"].as_str().unwrap().to_string();
    // The commitment is SHA-256(salt ‖ list), the salt kept beside the list (0600).
    let printed = stdout(truce(p).args(["commitments", "persons", "ua-list.txt"]));
    assert_eq!(printed.trim(), c);
    let salt_file = p.join("ua-list.txt.salt");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&salt_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let log_after = log_size(p);
    assert!(log_after > before);
    // Again: nothing filed twice.
    let again = fulfil(p);
    assert_eq!(
        (
            again["appended"].as_bool(),
            again["stored"].as_bool(),
            again["index"].as_u64()
        ),
        (Some(false), Some(false), v["index"].as_u64())
    );
    assert_eq!(log_size(p), log_after);
    // A persons_commitment stated in the file must be the list's.
    std::fs::write(
        p.join("wrong.toml"),
        fulfilment_toml("2025-05-25", 303, "").replace(
            "date = 2025-05-25\n[[fulfilment.items]]",
            &format!(
                "date = 2025-05-25\npersons_commitment = \"{}\"\n[[fulfilment.items]]",
                "ab".repeat(32)
            ),
        ),
    )
    .unwrap();
    let e = fails(
        truce(p).args([
            "--dir",
            "d",
            "commitments",
            "fulfil",
            "wrong.toml",
            "--persons",
            "ua-list.txt",
            "--as",
            "ua",
            "--key",
            "d/keys/ua.key",
        ]),
        2,
    );
    assert!(e.contains("is not the commitment of"), "{e}");

    // Each side's own total: 390 + 307 + 303 = 1,000, never 2,000.
    let x = commitment(p, "exchange-1000");
    assert_eq!(x["status"], "fulfilled", "{x}");
    let both = serde_json::json!({"ru": 1000, "ua": 1000});
    assert_eq!(figures(&x), vec![(both.clone(), false, false); 2]);
    let text = stdout(truce(p).args(["--dir", "d", "commitments"]));
    assert!(
        text.contains("promised  1000  delivered  1000  (ru 1000, ua 1000)"),
        "{text}"
    );
    // Russia restates its total as 990: replaced, not added; the sides now differ.
    submit(
        p,
        "ru-restated.toml",
        &fulfilment_toml("2025-05-26", 990, "restatement"),
        "ru",
    );
    let x = commitment(p, "exchange-1000");
    assert_eq!(x["status"], "discrepancy");
    assert_eq!(x["sides_differ"], true);
    let differ = serde_json::json!({"ru": 990, "ua": 1000});
    assert_eq!(figures(&x), vec![(differ, true, true); 2]);
    let kinds: Vec<&str> = x["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.last(), Some(&"restatement"));
    let text = stdout(truce(p).args(["--dir", "d", "commitments"]));
    assert!(
        text.contains("(ru 990, ua 1000)  ≠  SIDES DIFFER"),
        "{text}"
    );

    // Through a server: Russia files its own list with its token.
    let (ru, ua_token, monitor) = (
        token(p, "ru", "belligerent"),
        token(p, "ua", "belligerent"),
        token(p, "monitor", "monitor"),
    );
    let server = serve(&p.join("d"));
    let base = format!("http://{}", server.addr);
    std::fs::write(p.join("ru-list.txt"), "RU-0001 (pseudonymous)\n").unwrap();
    std::fs::write(p.join("ru-4.toml"), fulfilment_toml("2025-05-27", 10, "")).unwrap();
    let via_server = || -> Value {
        serde_json::from_str(&stdout(truce(p).args([
            "--json",
            "commitments",
            "fulfil",
            "ru-4.toml",
            "--persons",
            "ru-list.txt",
            "--as",
            "ru",
            "--key",
            "d/keys/ru.key",
            "--server",
            &base,
            "--token",
            &ru,
        ])))
        .unwrap()
    };
    let v = via_server();
    assert_eq!(
        (v["appended"].as_bool(), v["stored"].as_bool()),
        (Some(true), Some(true)),
        "{v}"
    );
    let ru_c = v["commitment"].as_str().unwrap().to_string();
    let v = via_server();
    assert_eq!(
        (v["appended"].as_bool(), v["stored"].as_bool()),
        (Some(false), Some(false)),
        "{v}"
    );
    // Both lists are served to permitted tokens only: the filer and a monitor, not the other
    // side, not the public.
    for (c, content, filer, other) in [
        (&c, list, &ua_token, &ru),
        (&ru_c, "RU-0001 (pseudonymous)\n", &ru, &ua_token),
    ] {
        let url = format!("{base}/v1/restricted/{c}");
        for t in [filer, &monitor] {
            let (status, body) = get(&url, Some(t));
            assert_eq!(status, 200, "{body}");
            let v: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["content"], content);
            assert_eq!(v["kind"], "persons");
        }
        assert_eq!(get(&url, Some(other)).0, 403);
        assert_eq!(get(&url, None).0, 401);
    }
    // The public log holds the commitment only.
    let (_, public) = get(&format!("{base}/v1/commitments"), None);
    assert!(
        public.contains(&c) && !public.contains("UA-0001"),
        "{public}"
    );
}

#[test]
fn offline_exports_are_byte_for_byte_what_the_api_serves() {
    let t = demo();
    let p = t.path();
    let offline: Vec<(String, Vec<u8>)> = [
        "incidents.geojson",
        "incidents.csv",
        "reports.geojson",
        "sites.geojson",
        "findings.csv",
    ]
    .iter()
    .map(|w| {
        let o = truce(p).args(["--dir", "d", "export", w]).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(!o.stdout.is_empty(), "{w}");
        (w.to_string(), o.stdout)
    })
    .collect();
    // --out writes the same bytes.
    stdout(truce(p).args([
        "--dir",
        "d",
        "export",
        "sites.geojson",
        "--out",
        "sites.geojson",
    ]));
    assert_eq!(
        std::fs::read(p.join("sites.geojson")).unwrap(),
        offline[3].1
    );
    let e = fails(truce(p).args(["--dir", "d", "export", "parties.json"]), 2);
    assert!(e.contains("incidents.geojson"), "{e}");

    let server = serve(&p.join("d"));
    for (what, bytes) in &offline {
        let r = reqwest::blocking::get(format!("http://{}/v1/{what}", server.addr)).unwrap();
        assert_eq!(r.status().as_u16(), 200, "{what}");
        let served = r.bytes().unwrap();
        assert!(
            served.as_ref() == bytes.as_slice(),
            "{what}: the API served {} bytes, truce export wrote {}",
            served.len(),
            bytes.len()
        );
    }
}

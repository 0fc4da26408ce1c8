//! The lifecycle through the CLI, on the demo (truce-rules/4): a strike on 10 May, after the
//! moratorium lapsed on 18 April, is out of scope under every reading while only ru consents to
//! extend the window; once ua consents to the same end (both before the lapse) it is in scope,
//! `--as-of` the size before ua's consent still gives the earlier findings byte for byte, and the
//! readings diff and `truce agreement history` show the consents. Who may file `extension` and
//! `condition` entries is checked through `truce submit`.

mod common;
use common::{demo, fails, stdout, truce};
use serde_json::Value;
use std::path::Path;

/// The `--json` output; of a page of incidents or findings (`GET /v1/…`'s document), its items.
fn json(p: &Path, args: &[&str]) -> Value {
    let mut c = truce(p);
    c.args(["--dir", "d", "--json"]).args(args);
    let v: Value = serde_json::from_str(&stdout(&mut c)).unwrap();
    if matches!(args.first(), Some(&"incidents") | Some(&"findings")) {
        return v["items"].clone();
    }
    v
}

/// `truce submit FILE --as PARTY`: the index of the first entry appended.
fn submit(p: &Path, name: &str, text: &str, party: &str) -> u64 {
    std::fs::write(p.join(name), text).unwrap();
    let key = format!("d/keys/{party}.key");
    let out = json(p, &["submit", name, "--as", party, "--key", &key]);
    out[0]["index"].as_u64().unwrap()
}

fn consent(time: &str) -> String {
    format!(
        "time = {time}\n[[extension]]\nagreement = \"energy-moratorium-2025\"\nuntil = 2025-05-17T00:00:00+03:00\nnote = \"test: extended by mutual agreement\"\n"
    )
}

#[test]
fn an_extension_needs_both_sides_and_as_of_reproduces_what_was_known_before() {
    let t = demo();
    let p = t.path();
    submit(p, "may.toml", common::MAY_STRIKE, "ua");
    let incidents = json(p, &["incidents", "--from", "2025-05-09"]);
    // The strike's incident (the demo's synthetic patrol observations of those days are others).
    let inc = incidents
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["id"] == "kherson-tpp-2025-05-10")
        })
        .unwrap_or_else(|| panic!("{incidents:#}"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let findings = |extra: &[&str]| -> Value {
        let mut args = vec![
            "findings",
            "--agreement",
            "energy-moratorium-2025",
            "--incident",
            inc.as_str(),
        ];
        args.extend_from_slice(extra);
        json(p, &args)
    };
    let outcomes = |f: &Value| -> Vec<(String, String)> {
        f.as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["reading"].as_str().unwrap().to_string(),
                    x["outcome"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };

    // ru consents on 15 April: nothing changes but the findings say it is awaiting ua.
    submit(
        p,
        "ru-ext.toml",
        &consent("2025-04-15T12:00:00+03:00"),
        "ru",
    );
    let ru_only = findings(&[]);
    for (r, o) in outcomes(&ru_only) {
        assert_eq!(o, "out_of_scope", "{r}");
    }
    let ru = ru_only
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["reading"] == "ru")
        .unwrap();
    assert!(
        ru["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule"] == "extension"
                && r["text"]
                    .as_str()
                    .unwrap()
                    .contains("extension to 2025-05-16T21:00:00Z proposed by ru, awaiting ua")),
        "{ru:#}"
    );
    // The moratorium's findings of the incident, as printed (`--as-of` SIZE when given).
    let text = |as_of: Option<u64>| {
        let mut c = truce(p);
        c.args(["--dir", "d", "--json", "findings", "--agreement"])
            .args(["energy-moratorium-2025", "--incident", &inc]);
        if let Some(n) = as_of {
            c.args(["--as-of", &n.to_string()]);
        }
        stdout(&mut c)
    };
    let ru_only_text = text(None);

    // ua consents to the same end on 16 April, before the lapse: in scope under every reading
    // (the US reading states no end, but the lapse it now meets only on 17 May).
    let ua_index = submit(
        p,
        "ua-ext.toml",
        &consent("2025-04-16T12:00:00+03:00"),
        "ua",
    );
    let both = findings(&[]);
    for (r, o) in outcomes(&both) {
        assert_eq!(o, "breach", "{r}: {both:#}");
    }
    let w = both[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "window")
        .unwrap();
    assert!(
        w["text"]
            .as_str()
            .unwrap()
            .contains("but the extension to 2025-05-16T21:00:00Z was in force by then"),
        "{w:#}"
    );

    // What was known before ua's consent: byte for byte.
    assert_eq!(text(Some(ua_index)), ru_only_text);

    // The readings diff: agreed under every reading.
    let diff = json(p, &["agreement", "diff", "energy-moratorium-2025"]);
    let row = diff["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["aspect"] == "extension to 2025-05-16T21:00:00Z")
        .unwrap_or_else(|| panic!("{diff:#}"));
    for party in ["ru", "ua", "us"] {
        assert!(
            row["values"][party]
                .as_str()
                .unwrap()
                .starts_with("agreed by ru, ua"),
            "{row:#}"
        );
    }

    // The history lists both consents; ua's changed the May finding under every reading.
    let h = json(p, &["agreement", "history", "energy-moratorium-2025"]);
    let events = h["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{h:#}");
    assert_eq!(events[0]["party"], "ru");
    assert_eq!(
        events[0]["under"]["ru"], "proposed by ru, awaiting ua",
        "{h:#}"
    );
    assert!(events[0]["findings_changed"]
        .as_object()
        .unwrap()
        .is_empty());
    let changed = events[1]["findings_changed"].as_object().unwrap();
    assert_eq!(changed.len(), 3, "{h:#}");
    assert!(
        changed["ru"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["incident"] == inc.as_str()),
        "{h:#}"
    );
    let text = stdout(truce(p).args([
        "--dir",
        "d",
        "agreement",
        "history",
        "energy-moratorium-2025",
    ]));
    assert!(
        text.contains("extensions and conditions, in log order:")
            && text.contains("ua consents to extend the window to 2025-05-16T21:00:00Z")
            && text.contains("under us's reading: agreed by ru, ua"),
        "{text}"
    );
}

#[test]
fn who_may_file_extensions_and_conditions() {
    let t = demo();
    let p = t.path();
    let condition = "time = 2025-04-01T12:00:00Z\n[[condition]]\nid = \"rosselkhozbank-swift\"\ntitle = \"Rosselkhozbank reconnected to SWIFT\"\nstatus = \"unmet\"\n";
    submit(p, "c.toml", condition, "us");
    submit(p, "c2.toml", condition, "ru");
    std::fs::write(p.join("c3.toml"), condition).unwrap();
    let e = fails(
        truce(p).args([
            "--dir",
            "d",
            "submit",
            "c3.toml",
            "--as",
            "firms",
            "--key",
            "d/keys/firms.key",
        ]),
        2,
    );
    assert!(
        e.contains("may not write `condition` entries") && e.contains("nothing was appended"),
        "{e}"
    );
    std::fs::write(p.join("x.toml"), consent("2025-04-15T12:00:00Z")).unwrap();
    let e = fails(
        truce(p).args([
            "--dir",
            "d",
            "submit",
            "x.toml",
            "--as",
            "firms",
            "--key",
            "d/keys/firms.key",
        ]),
        2,
    );
    assert!(e.contains("may not write `extension` entries"), "{e}");
    let bad = consent("2025-04-15T12:00:00Z").replace("energy-moratorium-2025", "no-such");
    std::fs::write(p.join("y.toml"), bad).unwrap();
    let e = fails(
        truce(p).args([
            "--dir",
            "d",
            "submit",
            "y.toml",
            "--as",
            "ru",
            "--key",
            "d/keys/ru.key",
        ]),
        2,
    );
    assert!(e.contains("agreement `no-such` is not defined"), "{e}");
}

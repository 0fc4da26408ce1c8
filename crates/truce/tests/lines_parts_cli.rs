//! `truce lines import` of a line too large for one log entry: a synthetic 20,000-vertex line of
//! contact (about 1,300 km) is filed in parts in one batch, shown back with every vertex, listed,
//! checked and verified from a mirror (`truce verify` replays every entry). Amendments through
//! the head are in truce-model's `tests/lines_parts.rs`.

mod common;

use common::{check, quiet, stdout, truce, verify_json};
use serde_json::{json, Value};

/// 20,000 vertices from 30°E to 46°E near 48°N, wiggling a few km: about 1,300 km.
fn wiggly() -> Vec<[f64; 2]> {
    (0..20_000)
        .map(|i| {
            let x = i as f64;
            let lon = 30.0 + x * 16.0 / 19_999.0;
            let lat = 48.0 + 0.05 * (x / 150.0).sin() + 0.001 * (x / 7.0).cos();
            // Six decimals, as lines are usually drawn.
            [(lon * 1e6).round() / 1e6, (lat * 1e6).round() / 1e6]
        })
        .collect()
}

/// A log in `p/d` with the monitor `osce` registered.
fn osce_log(p: &std::path::Path) {
    quiet(
        p,
        &["--dir", "d", "init", "--origin", "truce.test/lines-parts"],
    );
    quiet(
        p,
        &[
            "--dir", "d", "party", "add", "osce", "--name", "OSCE", "--role", "monitor",
        ],
    );
}

/// `p/loc.toml`: an authoring file holding one `[[line]]` with `coords`.
fn write_line_toml(p: &std::path::Path, coords: &[[f64; 2]]) {
    let text = format!(
        "time = 2025-03-18T12:00:00Z\n\n[[line]]\nid = \"loc\"\ntitle = \"Line of contact (synthetic)\"\nkind = \"contact\"\nvalid_from = 2025-03-18T00:00:00Z\nsource = \"synthetic\"\ngeometry = {{ type = \"LineString\", coordinates = {} }}\n",
        serde_json::to_string(coords).unwrap()
    );
    std::fs::write(p.join("loc.toml"), text).unwrap();
}

#[test]
fn a_twenty_thousand_vertex_line_is_filed_in_parts_and_shown_whole() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    osce_log(p);
    let coords = wiggly();
    std::fs::write(
        p.join("loc.geojson"),
        json!({"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": coords}})
            .to_string(),
    )
    .unwrap();
    let size_before: u64 = stdout(truce(p).args(["-q", "--dir", "d", "--json", "log", "check"]))
        .parse::<Value>()
        .ok()
        .and_then(|v| v["size"].as_u64())
        .unwrap_or(0);
    let out = quiet(
        p,
        &[
            "--dir",
            "d",
            "--json",
            "lines",
            "import",
            "loc.geojson",
            "--id",
            "loc",
            "--title",
            "Line of contact",
            "--valid-from",
            "2025-03-18T00:00:00Z",
            "--time",
            "2025-03-18T12:00:00Z",
            "--as",
            "osce",
            "--key",
            "d/keys/osce.key",
        ],
    );
    let filed: Value = serde_json::from_str(&out).unwrap();
    let parts = filed["parts"].as_u64().unwrap();
    assert!(parts >= 5, "{parts} parts for 20,000 vertices");
    assert_eq!(filed["line"]["vertices"], 20_000);
    let km = filed["line"]["length_km"].as_f64().unwrap();
    assert!((1_200.0..1_400.0).contains(&km), "{km} km");
    // The head and its parts are one batch: the head's index, then its parts, then the clock.
    let index = filed["index"].as_u64().unwrap();
    if size_before > 0 {
        assert_eq!(index, size_before, "the head is the batch's first entry");
    }
    // Shown back whole: every vertex, in order.
    let shown: Value = serde_json::from_str(&quiet(
        p,
        &["--dir", "d", "--json", "lines", "show", "osce/loc"],
    ))
    .unwrap();
    assert_eq!(shown["index"], index);
    assert_eq!(shown["entry_id"], filed["entry_id"]);
    assert_eq!(shown["geometry"]["type"], "LineString");
    assert_eq!(shown["geometry"]["coordinates"], json!(coords));
    let text = quiet(p, &["--dir", "d", "lines", "list"]);
    assert!(text.contains("20000"), "{text}");
    let geojson: Value = serde_json::from_str(&quiet(
        p,
        &["--dir", "d", "lines", "show", "osce/loc", "--geojson"],
    ))
    .unwrap();
    assert_eq!(
        geojson["geometry"]["coordinates"].as_array().unwrap().len(),
        20_000
    );
    // The log's own check and a verifier's full replay from a mirror.
    stdout(truce(p).args(["-q", "--dir", "d", "log", "check"]));
    stdout(truce(p).args(["-q", "--dir", "d", "log", "export-tiles", "m"]));
    let r = verify_json(p, "m", 0);
    let replayed = check(&r, "signatures");
    assert_eq!(replayed["status"], "ok", "{r}");
    let msg = replayed["message"].as_str().unwrap();
    assert!(msg.contains("0 refused by the rules"), "{msg}");
    assert_eq!(r["ok"], true);
}

#[test]
fn a_line_too_large_for_one_entry_in_an_authoring_file_is_signed_and_submitted_in_parts() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    osce_log(p);
    let coords = wiggly();
    write_line_toml(p, &coords);
    // Signed for another machine's POST /v1/entries: the head, then its parts.
    let signed = quiet(
        p,
        &[
            "--dir",
            "d",
            "sign",
            "loc.toml",
            "--as",
            "osce",
            "--key",
            "d/keys/osce.key",
        ],
    );
    let kinds: Vec<String> = signed
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(kinds.len() >= 6, "{kinds:?}");
    assert_eq!(kinds[0], "line");
    assert!(kinds[1..].iter().all(|k| k == "line.part"), "{kinds:?}");
    // Submitted here: the same entries, and the line whole.
    let out: Value = serde_json::from_str(&quiet(
        p,
        &[
            "--dir",
            "d",
            "--json",
            "submit",
            "loc.toml",
            "--as",
            "osce",
            "--key",
            "d/keys/osce.key",
        ],
    ))
    .unwrap();
    let rows = out.as_array().unwrap();
    assert_eq!(rows.len(), kinds.len(), "{out}");
    let shown: Value = serde_json::from_str(&quiet(
        p,
        &["--dir", "d", "--json", "lines", "show", "osce/loc"],
    ))
    .unwrap();
    assert_eq!(shown["entry_id"], rows[0]["entry_id"]);
    assert_eq!(shown["geometry"]["coordinates"], json!(coords));
}

#[test]
fn a_line_whose_parts_never_all_arrived_is_reported_by_the_verifier() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    osce_log(p);
    write_line_toml(p, &wiggly());
    let signed = quiet(
        p,
        &[
            "--dir",
            "d",
            "sign",
            "loc.toml",
            "--as",
            "osce",
            "--key",
            "d/keys/osce.key",
        ],
    );
    // A writer that appends the head and all but its last part (the log's own writer refuses
    // such a batch; a faulty or hostile one need not).
    let mut entries: Vec<&str> = signed.lines().collect();
    entries.pop();
    let d = p.join("d");
    let signer = truce_store::keyfile::read(&d.join("log.key")).unwrap();
    let mut seq = truce_store::Sequencer::open(
        truce_store::sqlite::SqliteStorage::open(&d.join("truce.db"), false).unwrap(),
        &signer,
    )
    .unwrap();
    let refs: Vec<&[u8]> = entries.iter().map(|e| e.as_bytes()).collect();
    seq.append(&refs).unwrap();
    drop(seq);
    // At the log's end it still waits for its parts; once another entry follows, it never
    // completes. The verifier says so either way.
    stdout(truce(p).args(["-q", "--dir", "d", "log", "export-tiles", "m"]));
    let r = verify_json(p, "m", 0);
    let sig = check(&r, "signatures");
    assert_eq!(sig["status"], "ok", "{r}");
    let details = sig["details"].to_string();
    assert!(
        details.contains("osce/loc") && details.contains("the log ends there"),
        "{details}"
    );
    quiet(
        p,
        &[
            "--dir", "d", "party", "add", "un", "--name", "UN", "--role", "monitor",
        ],
    );
    stdout(truce(p).args(["-q", "--dir", "d", "log", "export-tiles", "m2"]));
    let r = verify_json(p, "m2", 0);
    let details = check(&r, "signatures")["details"].to_string();
    assert!(
        details.contains("1 line version(s) filed in parts never completed")
            && details.contains("osce/loc")
            && details.contains("is not one of them"),
        "{details}"
    );
    // Never visible.
    let listed = quiet(p, &["--dir", "d", "--json", "lines", "list"]);
    assert!(!listed.contains("\"loc\""), "{listed}");
}

//! `truce ingest` through the real binary: real excerpts, idempotent re-ingest (also gzipped),
//! rejects and --strict, an unknown header, records accepted on replay, and an ingest killed
//! midway then run again yielding every record exactly once.

mod common;
use common::{fails, stdout, truce};
use std::collections::HashMap;
use std::path::Path;
use truce_store::sqlite::SqliteStorage;
use truce_store::LogReader;

fn data(name: &str) -> String {
    format!("{}/../../tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn summary(p: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["ingest"];
    all.extend_from_slice(args);
    all.push("--json");
    let v: serde_json::Value = serde_json::from_str(&stdout(truce(p).args(&all))).unwrap();
    v["summary"].clone()
}

fn setup(p: &Path) {
    stdout(truce(p).args(["init", "--origin", "ingest.example/log"]));
    for (id, role) in [
        ("firms", "open-data"),
        ("acled", "open-data"),
        ("ucdp", "open-data"),
        ("ru", "belligerent"),
        ("ua", "belligerent"),
    ] {
        stdout(truce(p).args(["party", "add", id, "--name", id, "--role", role]));
    }
}

/// Replays the log: reports per author, and how many record entries carry each (author, id).
fn replay(p: &Path) -> (truce_model::Ledger, HashMap<(String, String), u64>) {
    let r = LogReader::open(SqliteStorage::open(&p.join("truce-data/truce.db"), false).unwrap())
        .unwrap();
    let mut ledger = truce_model::Ledger::new();
    let mut seen = HashMap::new();
    r.for_each_entry(|i, e| {
        if let Ok(env) = truce_model::decode(e) {
            if let truce_model::Body::Report(rep) = &env.body {
                *seen
                    .entry((env.author.to_string(), rep.id.to_string()))
                    .or_default() += 1;
            }
        }
        ledger.apply(i, e);
    })
    .unwrap();
    (ledger, seen)
}

#[test]
fn excerpts_ingest_once_and_refusals_are_precise() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let key = |k: &str| format!("truce-data/keys/{k}.key");
    let s = summary(
        p,
        &[
            &data("firms_viirs_snpp_ukraine_2023_excerpt.csv"),
            "--as",
            "firms",
            "--key",
            &key("firms"),
        ],
    );
    assert_eq!(
        (s["read"].as_u64(), s["accepted"].as_u64()),
        (Some(300), Some(300))
    );
    let s = summary(
        p,
        &[
            &data("ucdp_ged_ukraine_excerpt.csv"),
            "--as",
            "ucdp",
            "--key",
            &key("ucdp"),
            "--batch",
            "150",
        ],
    );
    assert_eq!(
        (s["accepted"].as_u64(), s["batches"].as_u64()),
        (Some(400), Some(3))
    );

    // Again, plain and gzipped: nothing new.
    let s = summary(
        p,
        &[
            &data("firms_viirs_snpp_ukraine_2023_excerpt.csv"),
            "--as",
            "firms",
            "--key",
            &key("firms"),
        ],
    );
    assert_eq!(
        (s["accepted"].as_u64(), s["duplicates"].as_u64()),
        (Some(0), Some(300))
    );
    let gz = p.join("excerpt.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    std::io::copy(
        &mut std::fs::File::open(data("firms_viirs_snpp_ukraine_2023_excerpt.csv")).unwrap(),
        &mut enc,
    )
    .unwrap();
    enc.finish().unwrap();
    let s = summary(
        p,
        &[
            gz.to_str().unwrap(),
            "--as",
            "firms",
            "--key",
            &key("firms"),
        ],
    );
    assert_eq!(
        (s["read"].as_u64(), s["duplicates"].as_u64()),
        (Some(300), Some(300))
    );

    // ACLED: BOM, CRLF, re-issue supersedes, protest skipped.
    let s = summary(
        p,
        &[
            &data("acled_synthetic.csv"),
            "--as",
            "acled",
            "--key",
            &key("acled"),
        ],
    );
    assert_eq!(
        (
            s["accepted"].as_u64(),
            s["skipped"].as_u64(),
            s["rejected"].as_u64()
        ),
        (Some(7), Some(1), Some(0))
    );

    // Broken rows: good ones land, bad ones in the rejects file with line and reason.
    let size = |p: &Path| -> u64 {
        let v: serde_json::Value =
            serde_json::from_str(&stdout(truce(p).args(["log", "checkpoint", "--json"]))).unwrap();
        v["size"].as_u64().unwrap()
    };
    let before = size(p);
    let e = fails(
        truce(p).args([
            "ingest",
            &data("acled_broken.csv"),
            "--as",
            "acled",
            "--key",
            &key("acled"),
            "--strict",
        ]),
        2,
    );
    assert!(
        e.contains("acled_broken.csv:3:") && e.contains("nothing was appended (--strict)"),
        "{e}"
    );
    assert_eq!(size(p), before);
    let s = summary(
        p,
        &[
            &data("acled_broken.csv"),
            "--as",
            "acled",
            "--key",
            &key("acled"),
            "--rejects",
            "rej.csv",
        ],
    );
    assert_eq!(
        (s["accepted"].as_u64(), s["rejected"].as_u64()),
        (Some(2), Some(7))
    );
    let rej = std::fs::read_to_string(p.join("rej.csv")).unwrap();
    let lines: Vec<&str> = rej.lines().collect();
    assert_eq!(lines[0], "line,reason,record");
    assert!(
        lines[1].starts_with("3,") && lines[1].contains("is not a number"),
        "{rej}"
    );
    assert!(
        rej.contains("\n10,field `location`: invalid UTF-8"),
        "{rej}"
    );

    // A header that fits no format; an author who may not file reports.
    std::fs::write(p.join("x.csv"), "lat,lon,when\n1,2,3\n").unwrap();
    let e = fails(
        truce(p).args(["ingest", "x.csv", "--as", "firms", "--key", &key("firms")]),
        2,
    );
    assert!(
        e.contains("fits no known format") && e.contains("firms lacks latitude"),
        "{e}"
    );
    let e = fails(
        truce(p).args([
            "ingest",
            &data("firms_api_example.csv"),
            "--as",
            "ru",
            "--key",
            &key("firms"),
        ]),
        2,
    );
    assert!(e.contains("is not registered to `ru`"), "{e}");

    // On replay the ledger accepts every record under its manifest.
    let (ledger, seen) = replay(p);
    assert_eq!(ledger.counts.refused, 0);
    let by = |a: &str| {
        ledger
            .reports
            .iter()
            .filter(|r| r.author().as_str() == a)
            .count()
    };
    assert_eq!((by("firms"), by("ucdp"), by("acled")), (300, 400, 8));
    assert_eq!(
        seen[&("acled".to_string(), "ukr900001".to_string())],
        2,
        "original and re-issue both logged"
    );
    let r = ledger
        .reports
        .get(&truce_model::Id::new("acled").unwrap(), "ukr900001")
        .unwrap();
    assert_eq!(r.revision(), Some(1742900000), "the re-issue supersedes");
    stdout(truce(p).args(["log", "check"]));
}

#[test]
fn an_ingest_killed_midway_then_rerun_yields_each_record_once() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    // 80,000 synthetic FIRMS rows (unique natural keys).
    let mut csv = String::from("latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight\n");
    for i in 0..80_000u32 {
        let lat = 45.0 + f64::from(i % 400) * 0.01;
        let lon = 30.0 + f64::from(i / 400) * 0.01;
        let hhmm = ((i / 60) % 24) * 100 + i % 60;
        csv.push_str(&format!(
            "{lat:.5},{lon:.5},330.1,0.4,0.4,2025-03-{:02},{hhmm},N20,VIIRS,n,2.0NRT,290.0,1.5,N\n",
            1 + i % 28
        ));
    }
    std::fs::write(p.join("big.csv"), csv).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("truce");
    let mut killed = false;
    for delay_ms in [150u64, 400, 900] {
        let mut child = std::process::Command::new(&bin)
            .current_dir(p)
            .args([
                "ingest",
                "big.csv",
                "--as",
                "firms",
                "--key",
                "truce-data/keys/firms.key",
                "--batch",
                "2000",
                "--quiet",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        killed |= !child.wait().unwrap().success();
    }
    stdout(truce(p).args(["log", "check"]));
    let s = summary(
        p,
        &[
            "big.csv",
            "--as",
            "firms",
            "--key",
            "truce-data/keys/firms.key",
            "--batch",
            "2000",
        ],
    );
    assert_eq!(
        s["accepted"].as_u64().unwrap() + s["duplicates"].as_u64().unwrap(),
        80_000
    );
    let (ledger, seen) = replay(p);
    assert_eq!(
        ledger.counts.refused, 0,
        "partial batches never reach the log"
    );
    assert_eq!(ledger.reports.len(), 80_000);
    assert_eq!(seen.len(), 80_000);
    assert!(seen.values().all(|n| *n == 1), "each record exactly once");
    eprintln!("killed mid-way at least once: {killed}");
}

#[test]
fn site_lists_import_from_osm_wri_and_mapped_csv() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let ua = ["--as", "ua", "--key", "truce-data/keys/ua.key"];
    let run = |file: &str, extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["sites", "import", file];
        args.extend_from_slice(&ua);
        args.extend_from_slice(extra);
        args.push("--json");
        let v: serde_json::Value = serde_json::from_str(&stdout(truce(p).args(&args))).unwrap();
        v["summary"].clone()
    };
    let s = run(&data("osm/sites.osm.pbf"), &[]);
    assert_eq!(
        (s["accepted"].as_u64(), s["skipped"].as_u64()),
        (Some(6), Some(2))
    );
    let wri = format!(
        "{}/../../scenarios/energy-moratorium-2025/sites/wri-ukraine.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    assert_eq!(run(&wri, &[])["accepted"].as_u64(), Some(64));
    assert_eq!(
        run(&wri, &[])["duplicates"].as_u64(),
        Some(64),
        "importing again adds nothing"
    );
    std::fs::write(p.join("s.csv"), "ref,Name,Y,X,kind\nA1,Substation A,48.1,37.2,energy.power.substation\nA2,Depot,48.2,37.3,energy.oil.storage\nA3,Bad,48.3,37.4,energy.nothing\n").unwrap();
    let s = run(
        "s.csv",
        &[
            "--id",
            "ref",
            "--name",
            "Name",
            "--lat",
            "Y",
            "--lon",
            "X",
            "--category-column",
            "kind",
            "--rejects",
            "r.csv",
        ],
    );
    assert_eq!(
        (s["accepted"].as_u64(), s["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(std::fs::read_to_string(p.join("r.csv"))
        .unwrap()
        .contains("unknown category"));
    let e = fails(
        truce(p).args([
            "sites",
            "import",
            "s.csv",
            "--as",
            "ua",
            "--key",
            "truce-data/keys/ua.key",
        ]),
        2,
    );
    assert!(e.contains("--category"), "{e}");
    let (ledger, _) = replay(p);
    assert_eq!(ledger.sites.len(), 72);
    assert_eq!(ledger.counts.refused, 0);
}

/// Every entry of the log, decoded.
fn entries(p: &Path, dir: &str) -> Vec<truce_model::Envelope> {
    let r = LogReader::open(SqliteStorage::open(&p.join(dir).join("truce.db"), false).unwrap())
        .unwrap();
    let mut out = Vec::new();
    r.for_each_entry(|_, e| {
        if let Ok(env) = truce_model::decode(e) {
            out.push(env);
        }
    })
    .unwrap();
    out
}

/// Runs `truce sites import FILE --as ua … ARGS --json` in `p`; returns the summary and stderr.
fn import_sites(p: &Path, file: &str, args: &[&str]) -> (serde_json::Value, String) {
    let mut all = vec![
        "sites",
        "import",
        file,
        "--as",
        "ua",
        "--key",
        "truce-data/keys/ua.key",
        "--json",
    ];
    all.extend_from_slice(args);
    let o = truce(p).args(&all).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    (v["summary"].clone(), err)
}

#[test]
fn a_crlf_site_list_keeps_its_real_lines_its_file_name_and_its_old_ids() {
    let file = data("sites_crlf.csv");
    // A fresh log: lines as the file has them (CRLF, a blank line, a quoted line break).
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let (s, err) = import_sites(p, &file, &["--rejects", "rej.csv"]);
    assert_eq!(
        (s["accepted"].as_u64(), s["rejected"].as_u64()),
        (Some(4), Some(1)),
        "{err}"
    );
    let rej = std::fs::read_to_string(p.join("rej.csv")).unwrap();
    assert!(
        rej.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("7,") && l.contains("148.4 is out of range")),
        "{rej}"
    );
    let all = entries(p, "truce-data");
    let sites: Vec<&truce_model::domain::Site> = all
        .iter()
        .filter_map(|e| match &e.body {
            truce_model::Body::Site(s) => Some(s),
            _ => None,
        })
        .collect();
    let ids: Vec<&str> = sites.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["row-2", "row-3", "row-5", "row-8"]);
    // The public log names the file, never where the importer keeps it.
    assert_eq!(sites[0].source, "site list sites_crlf.csv: row-2");
    assert!(sites.iter().all(|s| !s.source.contains('/')), "{sites:?}");
    let manifest = all
        .iter()
        .find_map(|e| match &e.body {
            truce_model::Body::Manifest(m) if m.format == "csv" => Some(m),
            _ => None,
        })
        .unwrap();
    assert_eq!(manifest.source, "sites_crlf.csv, lines 2-8");
    let (s, _) = import_sites(p, &file, &[]);
    assert_eq!(
        (s["accepted"].as_u64(), s["duplicates"].as_u64()),
        (Some(0), Some(4))
    );

    // A log that holds the list under the ids earlier versions gave it (row-<line>, the lines
    // one or two early in a CRLF file): re-importing adds nothing.
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let mut old = String::from("time = 2025-01-10T12:00:00Z\n");
    for (id, name, lat, lon, category) in [
        (
            "row-1",
            "Substation Alpha",
            48.1,
            37.2,
            "energy.power.substation",
        ),
        ("row-2", "Oil depot Beta", 48.2, 37.3, "energy.oil.storage"),
        (
            "row-3",
            "Pumping station\\r\\nGamma",
            48.3,
            37.4,
            "energy.oil.pumping",
        ),
        ("row-7", "Hydro Delta", 48.5, 37.6, "energy.hydro.dam"),
    ] {
        old.push_str(&format!(
            "[[site]]\nid = \"{id}\"\nname = \"{name}\"\ncategory = \"{category}\"\ngeometry = {{ type = \"Point\", coordinates = [{lon}, {lat}] }}\nsource = \"site list /home/someone/lists/sites_crlf.csv: {id}\"\n"
        ));
    }
    std::fs::write(p.join("old.toml"), old).unwrap();
    stdout(truce(p).args([
        "submit",
        "old.toml",
        "--as",
        "ua",
        "--key",
        "truce-data/keys/ua.key",
    ]));
    let (s, err) = import_sites(p, &file, &[]);
    assert_eq!(
        (
            s["accepted"].as_u64(),
            s["duplicates"].as_u64(),
            s["rejected"].as_u64()
        ),
        (Some(0), Some(4), Some(1)),
        "{err}"
    );
    let (ledger, _) = replay(p);
    assert_eq!(ledger.sites.len(), 4);
}

#[test]
fn an_id_reused_with_other_content_is_refused_with_its_reason() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    // The WRI sheet (CRLF, no newline at the end: 64 plants on lines 2-65) with two rows more:
    // the first plant's id on another plant (line 66), and the second plant again (line 67).
    let wri = std::fs::read_to_string(format!(
        "{}/../../scenarios/energy-moratorium-2025/sites/wri-ukraine.csv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let rows: Vec<&str> = wri.split("\r\n").collect();
    assert_eq!(rows.len(), 65);
    let first: Vec<&str> = rows[1].splitn(4, ',').collect();
    let reused = format!("{},{},Another plant,{}", first[0], first[1], first[3]);
    assert!(reused.contains("WKS0062408"), "{reused}");
    std::fs::write(
        p.join("wri-more.csv"),
        format!("{wri}\r\n{reused}\r\n{}", rows[2]),
    )
    .unwrap();
    let (s, err) = import_sites(p, "wri-more.csv", &[]);
    assert_eq!(
        (
            s["accepted"].as_u64(),
            s["duplicates"].as_u64(),
            s["rejected"].as_u64()
        ),
        (Some(64), Some(1), Some(1)),
        "{err}"
    );
    assert!(
        err.contains("wri-more.csv:66: site id `wks0062408` was already read at line 2 of this file with other content"),
        "{err}"
    );
    // Again, into the log that holds the sheet: the reused id is refused against the log.
    let (s, err) = import_sites(p, "wri-more.csv", &["--rejects", "rej.csv"]);
    assert_eq!(
        (
            s["accepted"].as_u64(),
            s["duplicates"].as_u64(),
            s["rejected"].as_u64()
        ),
        (Some(0), Some(65), Some(1)),
        "{err}"
    );
    let rej = std::fs::read_to_string(p.join("rej.csv")).unwrap();
    assert!(
        rej.contains("66,\"site id `wks0062408` is already in the log with other content")
            && rej.contains("Another plant"),
        "{rej}"
    );
    assert!(err.contains("rejected 1 (see rej.csv)"), "{err}");

    // Reports: one id and revision saying two things is refused; a higher revision amends.
    let report = |id: &str, rev: Option<i64>, place: &str| {
        let mut v = serde_json::json!({"id": id, "time": {"start": "2025-03-20T20:22:00Z"},
            "location": {"point": [35.27, 51.19], "uncertainty_m": 3000, "place": place},
            "act": "shelling", "alleged_perpetrator": "ru"});
        if let Some(r) = rev {
            v["revision"] = r.into();
        }
        v.to_string()
    };
    let lines = [
        report("r1", None, "Sudzha"),
        report("r1", None, "Kursk"),
        report("r2", Some(1), "Sudzha"),
        report("r2", Some(2), "Sudzha, corrected"),
        report("r2", Some(2), "Sudzha, corrected"),
        report("r2", Some(1), "Sudzha"),
    ];
    std::fs::write(p.join("r.jsonl"), lines.join("\n") + "\n").unwrap();
    let ingest = |rejects: &str| {
        let o = truce(p)
            .args([
                "ingest",
                "r.jsonl",
                "--as",
                "ua",
                "--key",
                "truce-data/keys/ua.key",
                "--json",
                "--rejects",
                rejects,
            ])
            .output()
            .unwrap();
        assert!(o.status.success());
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let s = &v["summary"];
        (
            s["accepted"].as_u64().unwrap(),
            s["duplicates"].as_u64().unwrap(),
            s["rejected"].as_u64().unwrap(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (a, d, r, err) = ingest("rej-r.csv");
    assert_eq!((a, d, r), (3, 2, 1), "{err}");
    let rej = std::fs::read_to_string(p.join("rej-r.csv")).unwrap();
    assert!(
        rej.contains(
            "2,\"report id `r1` was already read at line 1 of this file with other content"
        ),
        "{rej}"
    );
    let (a, d, r, err) = ingest("rej-r2.csv");
    assert_eq!((a, d, r), (0, 5, 1), "{err}");
    let rej = std::fs::read_to_string(p.join("rej-r2.csv")).unwrap();
    assert!(
        rej.contains("2,\"report id `r1` is already in the log"),
        "{rej}"
    );
    let (ledger, seen) = replay(p);
    assert_eq!(ledger.counts.refused, 0);
    assert_eq!(
        seen[&("ua".to_string(), "r2".to_string())],
        2,
        "both revisions"
    );
    // A bulk record's full value is read back from the log at its index.
    let reader =
        LogReader::open(SqliteStorage::open(&p.join("truce-data/truce.db"), false).unwrap())
            .unwrap();
    let r2 = ledger
        .reports
        .get(&truce_model::Id::new("ua").unwrap(), "r2")
        .unwrap()
        .record(|i| reader.entry(i))
        .unwrap();
    assert_eq!(r2.value.location.place, "Sudzha, corrected");
}

#[test]
fn refusals_beyond_twenty_are_counted_and_rejects_named_only_when_used() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let mut csv = String::from(
        "id,start,end,lon,lat,uncertainty_m,place,act,alleged_perpetrator,target_category,text\n",
    );
    for i in 0..25 {
        csv.push_str(&format!(
            "bad{i},2025-03-20T20:22:00Z,,35.27,951.19,0,,shelling,,,\n"
        ));
    }
    csv.push_str("good,2025-03-20T20:22:00Z,,35.27,51.19,0,,shelling,,,\n");
    std::fs::write(p.join("bad.csv"), csv).unwrap();
    let o = truce(p)
        .args([
            "ingest",
            "bad.csv",
            "--as",
            "ua",
            "--key",
            "truce-data/keys/ua.key",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("bad.csv:").count(), 21, "{err}");
    assert!(err.contains("bad.csv:21: "), "{err}");
    assert!(!err.contains("bad.csv:22: "), "{err}");
    assert!(
        err.contains("… and 5 more refused row(s) not shown; --rejects FILE writes every one"),
        "{err}"
    );
    // A rejects file with nothing in it is not pointed at.
    let o = truce(p)
        .args([
            "ingest",
            "bad.csv",
            "--as",
            "ua",
            "--key",
            "truce-data/keys/ua.key",
            "--rejects",
            "rej.csv",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("rejected 25 (see rej.csv)"), "{err}");
    std::fs::write(
        p.join("good.csv"),
        "id,start,end,lon,lat,uncertainty_m,place,act,alleged_perpetrator,target_category,text\ngood2,2025-03-20T20:22:00Z,,35.27,51.19,0,,shelling,,,\n",
    )
    .unwrap();
    let o = truce(p)
        .args([
            "ingest",
            "good.csv",
            "--as",
            "ua",
            "--key",
            "truce-data/keys/ua.key",
            "--rejects",
            "rej2.csv",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("rejected 0;"), "{err}");
    assert!(!err.contains("see rej2.csv"), "{err}");
}

#[test]
fn simulated_site_lists_import_as_they_are_and_missing_columns_are_explained() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let help = stdout(truce(p).args(["sites", "import", "--help"]));
    assert!(!help.contains("for reports"), "{help}");
    assert!(help.contains(".gz"), "{help}");
    stdout(truce(p).args(["simulate", "sites", "--sites", "30", "--out", "sim.csv"]));
    let text = std::fs::read_to_string(p.join("sim.csv")).unwrap();
    let first_id = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    let (s, err) = import_sites(p, "sim.csv", &[]);
    assert_eq!(
        (s["accepted"].as_u64(), s["rejected"].as_u64()),
        (Some(30), Some(0)),
        "{err}"
    );
    let (ledger, _) = replay(p);
    assert!(
        ledger
            .sites
            .keys()
            .any(|(a, id)| a.as_str() == "ua" && id.as_str() == first_id.to_ascii_lowercase()),
        "the simulator's ids are kept: {first_id}"
    );
    // Gzipped, with its name telling the format under the `.gz`.
    let gz = p.join("sim.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    std::io::Write::write_all(&mut enc, text.as_bytes()).unwrap();
    enc.finish().unwrap();
    let (s, _) = import_sites(p, "sim.csv.gz", &[]);
    assert_eq!(s["duplicates"].as_u64(), Some(30));

    std::fs::write(
        p.join("s.csv"),
        "ref,Name,Y,X,kind\nA1,Substation A,48.1,37.2,energy.power.substation\n",
    )
    .unwrap();
    let e = fails(
        truce(p).args([
            "sites",
            "import",
            "s.csv",
            "--as",
            "ua",
            "--key",
            "truce-data/keys/ua.key",
            "--category-column",
            "kind",
        ]),
        2,
    );
    assert!(
        e.contains("missing column(s) `lat` (latitude), `lon` (longitude); the file's columns are `ref`, `Name`, `Y`, `X`, `kind`")
            && e.contains("name the file's columns with --lat <column>, --lon <column>"),
        "{e}"
    );
}

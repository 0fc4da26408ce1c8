//! The engine's commands through the real binary on the demo: the expected incidents and
//! findings (Sudzha in scope under Russia's reading, out of scope under Ukraine's), `explain`,
//! `compliance`, views recomputed when the log grows, and `truce rebuild` reproducing
//! `truce findings --json` byte for byte.

mod common;
use assert_cmd::Command;
use common::{demo, fails, stdout, truce};
use serde_json::Value;

/// The `--json` output; of a page of incidents or findings (what `GET /v1/incidents` and
/// `/v1/findings` answer), its items (every one: the demo has fewer than a page).
fn json(c: &mut Command) -> Value {
    let v: Value = serde_json::from_str(&stdout(c.arg("--json"))).unwrap();
    match v.get("items") {
        Some(items) if v.get("totals").is_none() => {
            assert_eq!(v["total"], items.as_array().unwrap().len(), "{v:#}");
            items.clone()
        }
        _ => v,
    }
}

/// `truce findings --json` of the energy moratorium (the demo's other agreement, the Black Sea
/// ceasefire, judges every incident too), with more flags.
fn moratorium_findings(p: &std::path::Path, flags: &[&str]) -> Value {
    json(
        truce(p)
            .args([
                "--dir",
                "d",
                "findings",
                "--agreement",
                "energy-moratorium-2025",
            ])
            .args(flags),
    )
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
    // Ten before the (illustrative) full ceasefire; seven on 2–4 May (the monitor's patrols,
    // sightings and crater, Ukraine's allegation of an advance); thirteen from the synthetic
    // week of patrol observations.
    assert_eq!(incidents.len(), 30, "{incidents:#?}");

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
    // Occurrence corroborated: the fire detection and both sides report it. Attribution to
    // each side disputed: each blames the other; one officer's "unverifiable" is short of the
    // mission's two-officer policy, so the question stays open.
    assert_eq!(sudzha["occurrence"], "corroborated");
    assert_eq!(sudzha["disputed"], true);
    for a in sudzha["alleged"].as_array().unwrap() {
        assert_eq!(a["grade"], "disputed", "{a:#?}");
        assert_eq!(a["standing"], "alleged");
    }
    let reviews = sudzha["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 2);
    assert!(reviews
        .iter()
        .all(|r| r["state"] == "pending" && r["quorum"] == 2 && r["tally"]["unverifiable"] == 1));
    let id = sudzha["id"].as_str().unwrap();

    // Kavkazskaya: Russia's allegation and a satellite pixel. The pixel corroborates that
    // something burned (occurrence), never who did it: the attribution to ua stays alleged.
    let kav = incidents
        .iter()
        .find(|i| members(i).contains(&"ru/kavkazskaya-depot-2025-03-19".to_string()))
        .unwrap();
    assert_eq!(kav["occurrence"], "corroborated");
    assert_eq!(kav["alleged"][0]["party"], "ua");
    assert_eq!(kav["alleged"][0]["grade"], "alleged");
    assert_eq!(members(kav).len(), 2);
    // Under each reading: Russia's and the US's, an alleged (not established) breach by ua;
    // Ukraine's, out of scope (its window starts 25 March). No release clause fires: Russia's
    // own allegation never qualifies, so later strikes blamed on Russia stay in breach.
    let kf = moratorium_findings(p, &["--incident", kav["id"].as_str().unwrap()]);
    let words: Vec<(String, String)> = kf
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["reading"].as_str().unwrap().to_string(),
                f["words"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        words,
        [
            ("ru".to_string(), "alleged breach".to_string()),
            ("ua".to_string(), "out of scope".to_string()),
            ("us".to_string(), "alleged breach".to_string())
        ]
    );
    let ru_kav = &kf.as_array().unwrap()[0];
    assert!(ru_kav["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["rule"] == "release"
            && r["text"]
                .as_str()
                .unwrap()
                .contains("does not qualify for the release clause")));
    let ru_findings = moratorium_findings(p, &["--reading", "ru"]);
    for f in ru_findings.as_array().unwrap() {
        for a in f["attributions"].as_array().unwrap() {
            assert!(a.get("released_by").is_none(), "{f:#?}");
            assert!(a.get("release_available").is_none(), "{f:#?}");
        }
    }
    // The 150 km-wide Kursk/Bryansk report is too imprecise to cluster with anything.
    let kb = incidents
        .iter()
        .find(|i| members(i).contains(&"ru/kursk-bryansk-power-2025-03-26".to_string()))
        .unwrap();
    assert_eq!(members(kb).len(), 1);

    // Findings for Sudzha: breach under Russia's reading (window from 18 March), out of scope
    // under Ukraine's (window from 25 March).
    let f = moratorium_findings(p, &["--incident", id]);
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
    assert_eq!(ru["standing"], "alleged");
    assert_eq!(ru["words"], "alleged breach");
    assert_eq!(ru["site"]["id"], "sudzha-gms");
    assert_eq!(ru["site"]["distance_m"], 0);
    let ua = by("ua");
    assert_eq!(ua["outcome"], "out_of_scope");
    // Ukraine's reading was filed on 25 March, applying from then: none was in force.
    assert_eq!(ua["reasons"][0]["rule"], "version");
    assert_eq!(ua["reasons"][0]["holds"], "no");
    assert!(ua["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .contains("ua had no reading in force when this incident began"));
    // Russia's, filed on 25 March, applies from 18 March: retroactive, flagged.
    assert_eq!(ru["retroactive"], true);
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
    assert_eq!(us["words"], "alleged breach");

    // Filters.
    let breaches = moratorium_findings(p, &["--reading", "ua", "--outcome", "breach"]);
    assert!(breaches
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["reading"] == "ua" && f["outcome"] == "breach"));
    assert_eq!(breaches.as_array().unwrap().len(), 3);
    let established = json(truce(p).args(["--dir", "d", "findings", "--standing", "established"]));
    assert_eq!(established.as_array().unwrap().len(), 0);
    let corroborated =
        json(truce(p).args(["--dir", "d", "incidents", "--occurrence", "corroborated"]));
    assert_eq!(corroborated.as_array().unwrap().len(), 2);
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
        text.contains("under ru's reading (version of entry 136): ALLEGED BREACH — decided by a RETROACTIVE version")
            && text.contains("under ua's reading (version of entry 139): OUT OF SCOPE")
            && text.contains("attribution to ua: disputed (standing: alleged"),
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
        truce(p).args(["--dir", "d", "incidents", "--occurrence", "sure"]),
        2,
    );
    assert!(e.contains("possible values: reported"), "{e}");

    // Compliance counts breaches per standing: every breach in the demo is an allegation, so
    // no party has an established or corroborated breach; the incidents whose outcome depends
    // on the reading are listed.
    let c = json(truce(p).args(["--dir", "d", "compliance"]));
    let totals = c["totals"].as_array().unwrap();
    let ru_totals = totals
        .iter()
        .find(|t| t["reading"] == "ru" && t["agreement"] == "energy-moratorium-2025")
        .unwrap();
    assert_eq!(
        ru_totals["breaches_by_party"]["ua"],
        serde_json::json!({"alleged": 3, "corroborated": 0, "established": 0})
    );
    assert_eq!(
        ru_totals["breaches_by_party"]["ru"],
        serde_json::json!({"alleged": 4, "corroborated": 0, "established": 0})
    );
    let diffs = c["differences"].as_array().unwrap();
    assert!(diffs.iter().any(|d| d["incident"] == id
        && d["outcomes"]["ru"] == "breach"
        && d["words"]["ru"] == "alleged breach"
        && d["outcomes"]["ua"] == "out_of_scope"));
    let text = stdout(truce(p).args(["--dir", "d", "compliance", "--reading", "ua"]));
    assert!(
        text.contains("under ua's reading: 3 finding(s) of breach")
            && text.contains("ru: 0 established breach(es), 0 corroborated; 2 alleged breach(es)")
            && !text.contains("under ru's reading"),
        "{text}"
    );

    // Days: the agreement counts in Europe/Kyiv (process.toml). Ukraine's report of the Kherson
    // strike covers the whole of 4 April, Moscow time: from 3 April 21:00 UTC. The incident keeps
    // its UTC day (3 April); its findings, and compliance, count on 4 April.
    let kherson = incidents
        .iter()
        .find(|i| members(i).contains(&"ua/kherson-tpp-2025-04-04".to_string()))
        .unwrap();
    assert_eq!(kherson["start"], "2025-04-03T21:00:00Z");
    assert_eq!(kherson["day"], "2025-04-03");
    let kid = kherson["id"].as_str().unwrap();
    let fs = moratorium_findings(p, &["--incident", kid]);
    let fs = fs.as_array().unwrap();
    assert!(!fs.is_empty());
    assert!(fs.iter().all(|f| f["day"] == "2025-04-04"), "{fs:#?}");
    // (The Black Sea agreement states no zone: its rows count UTC days.)
    let rows: Vec<&Value> = c["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["agreement"] == "energy-moratorium-2025")
        .collect();
    assert!(rows.iter().any(|r| r["day"] == "2025-04-04"));
    assert!(!rows.iter().any(|r| r["day"] == "2025-04-03"), "{rows:#?}");
}

#[test]
fn rebuild_reproduces_the_findings_byte_for_byte_and_views_follow_the_log() {
    let t = demo();
    let p = t.path();
    let before = stdout(truce(p).args(["--dir", "d", "--json", "findings", "--limit", "1000"]));
    let incidents_before =
        stdout(truce(p).args(["--dir", "d", "--json", "incidents", "--limit", "1000"]));
    let r = json(truce(p).args(["--dir", "d", "rebuild"]));
    assert_eq!(r["incidents"], 30);
    // The ten incidents before May under each of three readings of the two agreements, and
    // under the two full-ceasefire readings of the blamed ones; the May incidents under the
    // readings they concern.
    assert_eq!(r["findings"], 145);
    assert_eq!(
        stdout(truce(p).args(["--dir", "d", "--json", "findings", "--limit", "1000"])),
        before
    );
    // Deleting the derived views loses nothing.
    std::fs::remove_file(p.join("d/views.db")).unwrap();
    let _ = std::fs::remove_file(p.join("d/views.db-wal"));
    let _ = std::fs::remove_file(p.join("d/views.db-shm"));
    assert_eq!(
        stdout(truce(p).args(["--dir", "d", "--json", "findings", "--limit", "1000"])),
        before
    );
    assert_eq!(
        stdout(truce(p).args(["--dir", "d", "--json", "incidents", "--limit", "1000"])),
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
    let incidents =
        json(truce(p).args(["--dir", "d", "incidents", "--occurrence", "corroborated"]));
    let kav = &incidents.as_array().unwrap()[0];
    assert_eq!(members(kav).len(), 3, "{kav:#}");
    assert_eq!(kav["sides"].as_array().unwrap().len(), 3);
}

/// The log's size, from `truce log checkpoint --json`.
fn log_size(p: &std::path::Path) -> u64 {
    json(truce(p).args(["--dir", "d", "log", "checkpoint"]))["size"]
        .as_u64()
        .unwrap()
}

/// ru's reading re-filed on 20 April with its start moved to 1 April: with `effective_from` 18
/// March (retroactive) it re-decides Sudzha, flagged; `--as-of` the size before it reproduces
/// exactly what was known then; with no `effective_from`, nothing before 20 April changes.
#[test]
fn a_refiled_reading_is_a_version_and_the_past_stays_reproducible() {
    let t = demo();
    let p = t.path();
    let before = stdout(truce(p).args(["--dir", "d", "--json", "findings", "--limit", "1000"]));
    let n = log_size(p);
    let original = std::fs::read_to_string(format!("{}/readings/ru.toml", common::scenario()))
        .unwrap()
        .replace(
            "time = 2025-03-25T18:00:00+03:00",
            "time = 2025-04-20T12:00:00+03:00",
        )
        .replace(
            "start = 2025-03-18T00:00:00+03:00",
            "start = 2025-04-01T00:00:00+03:00",
        );
    assert!(original.contains("effective_from = 2025-03-18T00:00:00+03:00"));
    let file = |name: &str, text: &str| {
        std::fs::write(p.join(name), text).unwrap();
        stdout(truce(p).args([
            "-q",
            "--dir",
            "d",
            "agreement",
            "add",
            name,
            "--as",
            "ru",
            "--key",
            "d/keys/ru.key",
        ]));
    };

    // Retroactive: effective from 18 March, filed 20 April.
    file("ru-retro.toml", &original);
    let after = moratorium_findings(p, &["--reading", "ru"]);
    let sudzha = after
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["incident"] == "inc-ebcad14da9c05248")
        .unwrap();
    assert_eq!(sudzha["outcome"], "out_of_scope", "{sudzha:#}");
    assert_eq!(sudzha["retroactive"], true);
    assert!(sudzha["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .contains("RETROACTIVE"));
    // What was known before the re-filing: byte for byte.
    assert_eq!(
        stdout(truce(p).args([
            "--dir",
            "d",
            "--json",
            "findings",
            "--limit",
            "1000",
            "--as-of",
            &n.to_string()
        ])),
        before
    );
    // The history names the version, flags it and lists the findings it changed, in one
    // sentence with the dates in the agreement's zone (Europe/Kyiv: midnight in Moscow, UTC+3,
    // is 23:00 in Kyiv before 30 March, UTC+2, and midnight after).
    let h = stdout(truce(p).args([
        "--dir",
        "d",
        "agreement",
        "history",
        "energy-moratorium-2025",
    ]));
    assert!(
        h.contains("RETROACTIVE: ru filed a new reading on 20 April 2025, effective from 17 March 2025 23:00 (retroactive): start 17 March 23:00 → 1 April")
            && h.contains("filed 2025-04-20T09:00:00Z, effective from 2025-03-17T21:00:00Z")
            && h.contains("start: 2025-03-17T21:00:00Z → 2025-03-31T21:00:00Z")
            && h.contains("inc-ebcad14da9c05248: alleged breach → out of scope (retroactive)"),
        "{h}"
    );
    // The JSON is the document the API serves at /v1/agreements/{id}/history.
    let hj = json(truce(p).args([
        "--dir",
        "d",
        "agreement",
        "history",
        "energy-moratorium-2025",
    ]));
    let refiled = hj["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["party"] == "ru" && v["version"] == 2)
        .unwrap_or_else(|| panic!("{hj:#}"));
    assert_eq!(refiled["retroactive"], true);
    let n_changed = refiled["findings_changed"].as_array().unwrap().len();
    assert!(refiled["sentence"]
        .as_str()
        .unwrap()
        .ends_with(&format!("; {n_changed} findings change")));
    assert_eq!(hj["time_zone"], "Europe/Kyiv");
    let server = common::serve(&p.join("d"));
    let served: Value = reqwest::blocking::get(format!(
        "http://{}/v1/agreements/energy-moratorium-2025/history",
        server.addr
    ))
    .unwrap()
    .json()
    .unwrap();
    assert_eq!(served, hj);
    // And `?as_of=` before the re-filing serves what `--as-of` prints (pages of 20).
    let mut items = Vec::new();
    loop {
        let page: Value = reqwest::blocking::get(format!(
            "http://{}/v1/findings?limit=20&offset={}&as_of={n}",
            server.addr,
            items.len()
        ))
        .unwrap()
        .json()
        .unwrap();
        assert_eq!(page["log_size"], n);
        let got = page["items"].as_array().unwrap().clone();
        items.extend(got.iter().cloned());
        if got.is_empty() || items.len() as u64 >= page["total"].as_u64().unwrap() {
            break;
        }
    }
    drop(server);
    let before_v: Value = serde_json::from_str(&before).unwrap();
    assert_eq!(Value::Array(items), before_v["items"]);
    // As-of caches are bounded: querying many sizes keeps only the newest few.
    for size in 10..18 {
        stdout(truce(p).args(["-q", "--dir", "d", "findings", "--as-of", &size.to_string()]));
    }
    let caches = std::fs::read_dir(p.join("d"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().to_string();
            n.starts_with("views-asof-") && n.ends_with(".db")
        })
        .count();
    assert_eq!(caches, 4);
    // A time is what the witnessed log held then (its scenario witnesses cosign each step),
    // never the authors' stated times; one without an offset is refused.
    let e = common::fails(
        truce(p).args(["--dir", "d", "findings", "--as-of", "2025-04-01T00:00:00"]),
        2,
    );
    assert!(e.contains("neither a log size nor a time"), "{e}");

    // The same re-filing applying from its own filing: no finding before 20 April changes.
    let t2 = demo();
    let p2 = t2.path();
    let before2 = stdout(truce(p2).args(["--dir", "d", "--json", "findings", "--limit", "1000"]));
    std::fs::write(
        p2.join("ru-new.toml"),
        original.replace("effective_from = 2025-03-18T00:00:00+03:00\n", ""),
    )
    .unwrap();
    stdout(truce(p2).args([
        "-q",
        "--dir",
        "d",
        "agreement",
        "add",
        "ru-new.toml",
        "--as",
        "ru",
        "--key",
        "d/keys/ru.key",
    ]));
    let after2: Value = serde_json::from_str(&stdout(
        truce(p2).args(["--dir", "d", "--json", "findings", "--limit", "1000"]),
    ))
    .unwrap();
    let before2: Value = serde_json::from_str(&before2).unwrap();
    // Findings of incidents before 20 April (the May ones are judged by the new version).
    let early = |v: &Value| -> Vec<Value> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["day"].as_str().unwrap() < "2025-04-20")
            .cloned()
            .collect()
    };
    assert!(!early(&before2).is_empty());
    assert_eq!(
        early(&after2),
        early(&before2),
        "no incident before 20 April changes"
    );
}

/// After the moratorium phase lapsed (18 April 2025, `process-2025-04-18.toml`), a strike on
/// the Kherson thermal power plant on 10 May is out of scope under every reading — even the US
/// reading, which states no end.
#[test]
fn after_the_lapse_a_may_strike_is_out_of_scope_under_every_reading() {
    let t = demo();
    let p = t.path();
    std::fs::write(p.join("may.toml"), common::MAY_STRIKE).unwrap();
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "submit",
        "may.toml",
        "--as",
        "ua",
        "--key",
        "d/keys/ua.key",
    ]));
    let incidents = json(truce(p).args(["--dir", "d", "incidents", "--from", "2025-05-09"]));
    // The strike's incident (the synthetic patrol observations of those days are others).
    let id = incidents
        .as_array()
        .unwrap()
        .iter()
        .find(|i| members(i).contains(&"ua/kherson-tpp-2025-05-10".to_string()))
        .unwrap_or_else(|| panic!("{incidents:#}"))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let f = moratorium_findings(p, &["--incident", &id]);
    let f = f.as_array().unwrap();
    assert_eq!(f.len(), 3, "{f:#?}");
    for x in f {
        assert_eq!(x["outcome"], "out_of_scope", "{x:#}");
    }
    let us = f.iter().find(|x| x["reading"] == "us").unwrap();
    let w = us["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "window")
        .unwrap();
    assert!(
        w["text"]
            .as_str()
            .unwrap()
            .contains("the phase energy-moratorium lapsed"),
        "{w:#}"
    );
}

/// The monitors' line of contact re-filed on 8 May, valid from then, moved about 110 km east
/// (illustrative): findings of incidents that started before 8 May stay exactly as they were;
/// some after it change (the observations no longer lie within the buffer of the line in force);
/// `--as-of` the size before the new version reproduces exactly what was known then.
#[test]
fn a_new_line_version_changes_findings_only_from_its_validity_and_the_past_stays_reproducible() {
    let t = demo();
    let p = t.path();
    let all = |extra: &[&str]| -> String {
        let mut args = vec![
            "--dir",
            "d",
            "--json",
            "findings",
            "--agreement",
            "full-ceasefire-2025",
            "--limit",
            "1000",
        ];
        args.extend_from_slice(extra);
        stdout(truce(p).args(&args))
    };
    let before_text = all(&[]);
    let n = log_size(p);
    let starts: std::collections::HashMap<String, String> =
        json(truce(p).args(["--dir", "d", "incidents", "--limit", "1000"]))
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["id"].as_str().unwrap().to_string(),
                    i["start"].as_str().unwrap().to_string(),
                )
            })
            .collect();

    // The same line and sectors, every vertex 1.5° further east.
    let original = std::fs::read_to_string(format!(
        "{}/lines/monitor-loc-2025-05-01.toml",
        common::scenario()
    ))
    .unwrap();
    let mut moved = String::new();
    for l in original.lines() {
        if let Some(coords) = l
            .strip_prefix("geometry = { type = \"LineString\", coordinates = ")
            .and_then(|r| r.strip_suffix(" }"))
        {
            let pts: Vec<[f64; 2]> = serde_json::from_str(coords).unwrap();
            let shifted: Vec<[f64; 2]> = pts.iter().map(|q| [q[0] + 1.5, q[1]]).collect();
            moved.push_str(&format!(
                "geometry = {{ type = \"LineString\", coordinates = {} }}\n",
                serde_json::to_string(&shifted).unwrap()
            ));
        } else if l.starts_with("time = ") {
            moved.push_str("time = 2025-05-08T00:00:00+03:00\n");
        } else if l.starts_with("valid_from = ") {
            moved.push_str("valid_from = 2025-05-08T00:00:00+03:00\n");
        } else {
            moved.push_str(l);
            moved.push('\n');
        }
    }
    assert!(moved.contains("coordinates = [[39.45,50.25]"), "{moved}");
    std::fs::write(p.join("moved.toml"), moved).unwrap();
    stdout(truce(p).args([
        "-q",
        "--dir",
        "d",
        "submit",
        "moved.toml",
        "--as",
        "monitor",
        "--key",
        "d/keys/monitor.key",
    ]));

    let key = |f: &Value| format!("{} {}", f["incident"], f["reading"]);
    let index = |text: &str| -> std::collections::BTreeMap<String, Value> {
        let v: Value = serde_json::from_str(text).unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (key(f), f.clone()))
            .collect()
    };
    let (was, now) = (index(&before_text), index(&all(&[])));
    let valid_from = "2025-05-07T21:00:00Z";
    let mut changed_after = 0;
    for (k, f) in &now {
        let start = &starts[f["incident"].as_str().unwrap()];
        if start.as_str() < valid_from {
            assert_eq!(
                was.get(k),
                Some(f),
                "{k} starts {start}, before the new version"
            );
        } else if was.get(k) != Some(f) {
            changed_after += 1;
        }
    }
    assert!(changed_after > 0, "no finding after 8 May changed");
    // What was known before the new version: byte for byte.
    assert_eq!(all(&["--as-of", &n.to_string()]), before_text);
}

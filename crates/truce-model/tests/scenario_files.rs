//! The demo scenario `scenarios/energy-moratorium-2025/` is valid: every authoring file parses,
//! the manifest's steps exist and are submitted by registered parties, the GeoJSON sites use
//! taxonomy categories, and replaying the authoring steps in order (signed by throwaway keys)
//! gets every entry accepted by the ledger rules, with the views showing what the scenario is for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use truce_log::{generate_key, parse_signer, KeyPair};
use truce_model::authoring::{format_toml_error, AuthoredFile};
use truce_model::domain::{Id, PartyRegistration, Role, Stance};
use truce_model::entry::{sign, Body};
use truce_model::ledger::allowed_roles;
use truce_model::taxonomy::Category;
use truce_model::{views, Ledger, Time};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/energy-moratorium-2025")
}

/// Every `*.toml` under the scenario directory, except the manifest, relative to it.
fn authoring_files() -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else if p.extension().is_some_and(|x| x == "toml") {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                if rel != "scenario.toml" {
                    out.push(rel);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&dir(), &dir(), &mut out);
    out.sort();
    out
}

fn read(rel: &str) -> String {
    let p = dir().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn parse(rel: &str) -> AuthoredFile {
    AuthoredFile::parse(rel, &read(rel)).unwrap_or_else(|e| panic!("{e}"))
}

struct Step {
    file: String,
    by: String,
    format: Option<String>,
}

struct Manifest {
    parties: Vec<(String, String, Role)>,
    steps: Vec<Step>,
}

fn manifest() -> Manifest {
    let text = read("scenario.toml");
    let t: toml::Table = toml::from_str(&text)
        .unwrap_or_else(|e| panic!("{}", format_toml_error("scenario.toml", &text, &e)));
    let s = |v: &toml::Value, k: &str, what: &str| -> String {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_else(|| panic!("scenario.toml: {what} has no string `{k}`"))
            .to_string()
    };
    for k in ["origin", "seed"] {
        assert!(
            t.get(k)
                .and_then(|v| v.as_str())
                .is_some_and(|v| !v.is_empty()),
            "scenario.toml: missing `{k}`"
        );
    }
    let parties = t["party"]
        .as_array()
        .expect("scenario.toml: [[party]] tables")
        .iter()
        .map(|p| {
            let role: Role = toml::Value::String(s(p, "role", "a party"))
                .try_into()
                .unwrap_or_else(|e| panic!("scenario.toml: party role: {e}"));
            (s(p, "id", "a party"), s(p, "name", "a party"), role)
        })
        .collect();
    let steps = t["step"]
        .as_array()
        .expect("scenario.toml: [[step]] tables")
        .iter()
        .map(|st| Step {
            file: s(st, "file", "a step"),
            by: s(st, "as", "a step"),
            format: st
                .get("format")
                .map(|f| f.as_str().expect("format is a string").to_string()),
        })
        .collect();
    Manifest { parties, steps }
}

#[test]
fn every_authoring_file_parses() {
    let files = authoring_files();
    assert!(files.len() >= 20, "found only {files:?}");
    let mut errors = Vec::new();
    for rel in &files {
        let path = dir().join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        match AuthoredFile::parse(&path.to_string_lossy(), &text) {
            Ok(f) => assert!(
                !f.bodies().is_empty() || !f.observation.is_empty(),
                "{rel}: no entries"
            ),
            Err(e) => errors.push(e),
        }
    }
    assert!(
        errors.is_empty(),
        "authoring files that do not parse:\n{}",
        errors.join("\n")
    );
}

#[test]
fn manifest_steps_exist_and_cover_every_file() {
    let m = manifest();
    let ids: Vec<&str> = m.parties.iter().map(|(id, ..)| id.as_str()).collect();
    assert!(
        !ids.contains(&"operator"),
        "`truce init` registers the operator, not the manifest"
    );
    for (id, ..) in &m.parties {
        Id::new(id).unwrap();
    }
    for st in &m.steps {
        assert!(
            dir().join(&st.file).is_file(),
            "step file {} does not exist",
            st.file
        );
        assert!(
            ids.contains(&st.by.as_str()),
            "step {}: `as = {}` is not a party",
            st.file,
            st.by
        );
        match st.format.as_deref() {
            None => assert!(
                st.file.ends_with(".toml"),
                "step {}: an authoring file is .toml",
                st.file
            ),
            Some("wri") => assert!(st.file.ends_with(".csv"), "{}", st.file),
            Some("geojson") => assert!(st.file.ends_with(".geojson"), "{}", st.file),
            Some("ais-dma" | "ais-marinecadastre") => assert!(
                st.file.ends_with(".csv") || st.file.ends_with(".csv.gz"),
                "{}",
                st.file
            ),
            Some("ais-nmea") => assert!(
                st.file.ends_with(".nmea") || st.file.ends_with(".nmea.gz"),
                "{}",
                st.file
            ),
            Some(f) => panic!("step {}: unknown format {f:?}", st.file),
        }
    }
    for rel in authoring_files() {
        let n = m
            .steps
            .iter()
            .filter(|s| s.file == rel && s.format.is_none())
            .count();
        assert_eq!(
            n, 1,
            "{rel} is submitted by {n} steps; every authoring file by exactly one"
        );
    }
}

/// The steps are in filing order, and nothing is reported before it happened.
#[test]
fn filing_times_follow_the_steps() {
    let mut prev: Option<(Time, String)> = None;
    for st in manifest().steps.iter().filter(|s| s.format.is_none()) {
        let f = parse(&st.file);
        if let Some((t, file)) = &prev {
            assert!(
                f.time >= *t,
                "{} is filed at {}, before {file} ({t})",
                st.file,
                f.time
            );
        }
        for r in &f.report {
            assert!(
                r.time.end <= f.time,
                "{}: report {} ends after it is filed",
                st.file,
                r.id
            );
        }
        prev = Some((f.time, st.file.clone()));
    }
}

#[test]
fn wri_copy_is_byte_exact() {
    let b = std::fs::read(dir().join("sites/wri-ukraine.csv")).unwrap();
    assert_eq!(
        b.len(),
        16_201,
        "sites/wri-ukraine.csv must be the unchanged WRI file"
    );
    assert!(b.windows(2).any(|w| w == b"\r\n") && !b.ends_with(b"\n"));
}

#[test]
fn geojson_sites_use_taxonomy_categories_and_are_flagged_approximate() {
    let text = read("sites/russia-approximate.geojson");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(v["type"], "FeatureCollection");
    let features = v["features"].as_array().expect("features");
    assert_eq!(features.len(), 3);
    for f in features {
        let p = &f["properties"];
        let id = p["id"].as_str().expect("id");
        Id::new(id).unwrap();
        assert!(
            p["name"]
                .as_str()
                .is_some_and(|n| n.contains("approximate")),
            "{id}"
        );
        let c = p["category"].as_str().expect("category");
        Category::new(c).unwrap_or_else(|e| panic!("feature {id}: {e}"));
        assert!(
            p["approximate_m"].as_u64().is_some_and(|m| m > 0),
            "feature {id} is not flagged approximate"
        );
        assert!(
            p["source"]
                .as_str()
                .is_some_and(|s| s.contains("approximate")),
            "{id}"
        );
        assert_eq!(f["geometry"]["type"], "Point", "{id}");
        let c = f["geometry"]["coordinates"].as_array().unwrap();
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        // Western Russia: [lon, lat], not [lat, lon].
        assert!(
            (30.0..50.0).contains(&lon) && (44.0..56.0).contains(&lat),
            "{id}: {lon},{lat}"
        );
    }
}

#[test]
fn every_report_is_marked_illustrative_and_every_site_in_toml_is_approximate() {
    for rel in authoring_files() {
        let f = parse(&rel);
        for r in &f.report {
            assert!(
                r.illustrative,
                "{rel}: report {} must be marked illustrative",
                r.id
            );
            let t = r.text.to_lowercase();
            assert!(
                t.contains("illustrative") || t.contains("synthetic"),
                "{rel}: report {} text",
                r.id
            );
        }
        for s in &f.site {
            assert!(
                s.approximate_m.is_some(),
                "{rel}: site {} must carry approximate_m",
                s.id
            );
        }
    }
}

/// Replays the authoring steps in manifest order into a ledger, each entry signed by a throwaway
/// key of its `as` party at its file's `time`. Data-file steps (WRI, GeoJSON) are skipped: their
/// importers live in truce-ingest, and nothing in the scenario refers to their sites.
fn replay() -> Ledger {
    struct World {
        ledger: Ledger,
        keys: BTreeMap<String, KeyPair>,
        next: u64,
    }
    impl World {
        fn submit(&mut self, who: &str, time: Time, body: &Body, what: &str) {
            let signer = parse_signer(&self.keys[who].signer).unwrap();
            let env = sign(&Id::new(who).unwrap(), time, body, &signer).unwrap();
            if let Err(e) = self.ledger.admit(&env.bytes) {
                panic!("{what}: refused: {e}");
            }
            self.ledger.apply(self.next, &env.bytes);
            self.next += 1;
        }
        fn register(&mut self, id: &str, name: &str, role: Role) {
            let k = generate_key(&mut rand_core::OsRng, id).unwrap();
            let body = Body::PartyRegister(PartyRegistration {
                id: Id::new(id).unwrap(),
                name: name.into(),
                role,
                keys: vec![k.verifier.clone()],
            });
            self.keys.insert(id.into(), k);
            let genesis = Time::parse("2025-03-18T00:00:00Z").unwrap();
            self.submit("operator", genesis, &body, &format!("registering {id}"));
        }
    }

    let m = manifest();
    let mut w = World {
        ledger: Ledger::new(),
        keys: BTreeMap::new(),
        next: 0,
    };
    w.register("operator", "Operator", Role::Operator);
    for (id, name, role) in &m.parties {
        w.register(id, name, *role);
    }
    let roles: BTreeMap<&str, Role> = m
        .parties
        .iter()
        .map(|(id, _, r)| (id.as_str(), *r))
        .collect();
    for st in m.steps.iter().filter(|s| s.format.is_none()) {
        let f = parse(&st.file);
        let role = roles[st.by.as_str()];
        for body in f.bodies() {
            assert!(
                allowed_roles(body.kind()).contains(&role),
                "{}: `{}` ({}) may not write {} entries",
                st.file,
                st.by,
                role.as_str(),
                body.kind().as_str()
            );
            w.submit(&st.by, f.time, &body, &st.file);
        }
    }
    w.ledger
}

#[test]
fn replaying_the_steps_is_accepted_and_shows_the_disputes() {
    let ledger = replay();
    assert_eq!(ledger.counts.refused, 0);
    // The monitor's [[observation]] drafts are not entry bodies: filing them needs the public
    // footprint (truce-ingest), tested through `truce demo` (crates/truce/tests).
    assert_eq!(ledger.reports.len(), 18);

    // The (illustrative) full ceasefire: both readings bind the same terms, but Russia measures
    // from its own version of the line.
    let full = Id::new("full-ceasefire-2025").unwrap();
    let diff = views::readings_diff(&ledger, &full);
    let row = |aspect: &str| diff.rows.iter().find(|r| r.aspect == aspect).unwrap();
    assert!(row("front: lines").differs);
    assert!(row("front: lines").values["ru"].contains("ru from ru/loc, left side (50 %"));
    assert!(!row("front: buffer").differs);
    assert_eq!(row("front: buffer").values["us"], "30 km");
    assert_eq!(ledger.line_versions.len(), 2);

    // Three readings of the Black Sea ceasefire: Russia's alone has a condition precedent (its
    // status filed by Russia, unmet), Ukraine's alone confines Russia's warships.
    let black_sea = Id::new("black-sea-ceasefire-2025").unwrap();
    let diff = views::readings_diff(&ledger, &black_sea);
    let parties: Vec<&str> = diff.readings.iter().map(|r| r.party.as_str()).collect();
    assert_eq!(parties, ["ru", "ua", "us"]);
    let row = |aspect: &str| diff.rows.iter().find(|r| r.aspect == aspect).unwrap();
    assert!(row("conditions").differs);
    assert!(row("conditions").values["ru"].contains("rosselkhozbank-sanctions-relief"));
    assert_eq!(row("conditions").values["us"], "none");
    assert!(row("confined").differs);
    assert!(row("confined").values["ua"].contains("vessel.military"));
    assert!(!row("zones").differs);

    // Three readings of the moratorium, differing on start, end and categories.
    let agreement = Id::new("energy-moratorium-2025").unwrap();
    let diff = views::readings_diff(&ledger, &agreement);
    let parties: Vec<&str> = diff.readings.iter().map(|r| r.party.as_str()).collect();
    assert_eq!(parties, ["ru", "ua", "us"]);
    let row = |aspect: &str| diff.rows.iter().find(|r| r.aspect == aspect).unwrap();
    assert!(row("start").differs);
    assert_eq!(row("end (effective)").values["ru"], "2025-04-16T21:00:00Z");
    assert_eq!(row("end (effective)").values["ua"], "2025-04-23T21:00:00Z");
    assert_eq!(row("end (effective)").values["us"], "—");
    assert_eq!(diff.categories_only_in["ua"], ["energy.gas.processing"]);
    assert!(diff.categories_only_in["us"].contains(&"transport.port".to_string()));

    // The later process entry supersedes the first: the moratorium lapsed.
    let p = ledger
        .processes
        .values()
        .find(|p| p.value.id.as_str() == "ukraine-peace-2025")
        .unwrap();
    let phase = &p.value.phases[0];
    assert_eq!(phase.id.as_str(), "energy-moratorium");
    assert_eq!(format!("{:?}", phase.status), "Lapsed");

    // Contradictory claims are flagged.
    let topics = views::claims(&ledger);
    let topic = |t: &str| {
        topics
            .iter()
            .find(|x| x.topic == t)
            .unwrap_or_else(|| panic!("topic {t}"))
    };
    for t in ["aid-discussed", "sudzha-destroyed-by-ukraine"] {
        assert!(topic(t).contradiction, "{t} should be a contradiction");
    }
    let aid = topic("aid-discussed");
    assert!(aid
        .claims
        .iter()
        .any(|c| c.speaker == "us" && c.stance == Stance::Denies));
    assert!(!topic("moratorium-expired").contradiction);

    // The monitor's officer-1 assessed the attribution to each side, naming all three Sudzha
    // reports, under the mission's two-officer review policy.
    assert_eq!(ledger.assessments.len(), 2);
    for a in &ledger.assessments {
        assert_eq!(a.value.reports.len(), 3);
        assert_eq!(a.value.question, truce_model::domain::Question::Attribution);
    }
    assert_eq!(ledger.review_policies.len(), 1);
    assert_eq!(ledger.review_policies[0].value.quorum, 2);
}

/// The exchange: 175 for 175 promised and done; 23 seriously wounded promised, 22 transferred.
/// Only the wounded should be flagged. Both sides report the same figures: each side's own
/// total is shown, and they are never added up (175 + 175 = 350 against a promise of 175).
#[test]
fn the_exchange_reconciles_with_one_discrepancy() {
    let ledger = replay();
    let c = views::commitments(&ledger);
    assert_eq!(c.len(), 1);
    let c = &c[0];
    assert_eq!(c.status, "discrepancy");
    let wounded = c
        .items
        .iter()
        .find(|i| i.what == "seriously-wounded")
        .unwrap();
    assert_eq!(
        (wounded.promised, wounded.delivered, wounded.discrepancy),
        (23, 22, true)
    );
    for i in c.items.iter().filter(|i| i.what == "prisoners") {
        assert_eq!(
            (i.promised, i.delivered, i.discrepancy),
            (175, 175, false),
            "prisoners in each direction: 175 promised, 175 delivered"
        );
        assert_eq!(
            i.by_side
                .iter()
                .map(|(s, n)| (s.as_str(), *n))
                .collect::<Vec<_>>(),
            [("ru", 175), ("ua", 175)]
        );
        assert!(!i.sides_differ);
    }
}

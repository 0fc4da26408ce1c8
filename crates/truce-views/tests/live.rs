//! Views that follow the log ([`truce_views::live::Live`]) equal a full rebuild, byte for byte.
//!
//! A real SQLite log (parties, a process, two readings, sites) grows by random appends —
//! detections (some at a flare that turns into a persistent hot spot, some near protected sites),
//! allegations naming a perpetrator, monitors' assessments, retractions, new reading versions and
//! new sites —, in batches. After each batch the ledger applies the new entries (as the server's
//! writer does), a `Live` re-judges what they reach and updates its `views.db`; a second
//! `views.db` is rebuilt from scratch (`derived::judge` + `derived::store`, what `truce rebuild`
//! does). Every row of every table of the two files must be equal.

use proptest::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use truce_log::KeyPair;
use truce_model::entry::{sign, Body};
use truce_model::{Id, Kind, Ledger, Role, Time};
use truce_store::sqlite::SqliteStorage;
use truce_store::{LogReader, Sequencer};
use truce_views::db::{ViewStamp, ViewStore};
use truce_views::derived;
use truce_views::live::{amend_targets, Live};

const ORIGIN: &str = "live.test.example/log";
const AGREEMENT: &str = "energy-moratorium-2025";

fn key(name: &str) -> KeyPair {
    let seed: [u8; 32] = Sha256::digest(format!("live test {name}").as_bytes()).into();
    truce_log::key_from_seed(name, seed).unwrap()
}

fn body(kind: Kind, v: Value) -> Body {
    Body::parse(kind, v).unwrap()
}

/// One append: its author, and bodies.
type Batch = Vec<(String, Body)>;

struct Log {
    seq: Sequencer<SqliteStorage>,
    keys: BTreeMap<String, KeyPair>,
    /// Entry ids of the reports filed, with their authors (what an assessment or a retraction
    /// can name).
    reports: Vec<(String, String)>,
    n: u64,
}

impl Log {
    fn append(&mut self, batch: &Batch) {
        let mut envs = Vec::new();
        for (author, b) in batch {
            let signer = truce_log::parse_signer(&self.keys[author.as_str()].signer).unwrap();
            let env = sign(
                &Id::new(author).unwrap(),
                Time::parse("2025-05-01T00:00:00Z").unwrap(),
                b,
                &signer,
            )
            .unwrap();
            if matches!(b, Body::Report(_)) {
                self.reports.push((env.id.clone(), author.clone()));
            }
            envs.push(env.bytes);
        }
        let refs: Vec<&[u8]> = envs.iter().map(Vec::as_slice).collect();
        self.seq.append(&refs).unwrap();
    }
}

fn setup(dir: &Path) -> Log {
    let log_key = key(ORIGIN);
    let storage = SqliteStorage::open(&dir.join("truce.db"), true).unwrap();
    let seq = Sequencer::create(storage, ORIGIN, &log_key.signer).unwrap();
    let parties = [
        ("operator", Role::Operator),
        ("ua", Role::Belligerent),
        ("ru", Role::Belligerent),
        ("monitor", Role::Monitor),
        ("firms", Role::OpenData),
    ];
    let keys: BTreeMap<String, KeyPair> = parties
        .iter()
        .map(|(p, _)| (p.to_string(), key(p)))
        .collect();
    let mut log = Log {
        seq,
        keys,
        reports: Vec::new(),
        n: 0,
    };
    let reg = |p: &str, role: Role, keys: &BTreeMap<String, KeyPair>| {
        (
            "operator".to_string(),
            body(
                Kind::PartyRegister,
                json!({"id": p, "name": p, "role": role, "keys": [keys[p].verifier]}),
            ),
        )
    };
    let regs: Batch = parties.iter().map(|(p, r)| reg(p, *r, &log.keys)).collect();
    log.append(&regs[..1].to_vec());
    log.append(&regs[1..].to_vec());
    log.append(&vec![(
        "operator".into(),
        body(
            Kind::Process,
            json!({"id": "peace-2025", "title": "Peace process", "phases": [
                {"id": "moratorium", "title": "Energy moratorium", "status": "in-force",
                 "agreements": [{"id": AGREEMENT, "title": "Energy-strike moratorium"}]}]}),
        ),
    )]);
    for p in ["ru", "ua"] {
        log.append(&vec![(p.into(), reading("2025-03-17T21:00:00Z", 30))]);
        log.append(&vec![(p.into(), site(p, 0))]);
    }
    log
}

fn reading(start: &str, days: u32) -> Body {
    body(
        Kind::Reading,
        json!({"agreement": AGREEMENT, "summary": format!("from {start}"),
            "source": {"title": "Readout", "date": "2025-03-18"},
            "terms": {"prohibited_acts": ["strike", "sabotage", "drone-strike", "shelling"],
                "protected": ["energy.*"],
                "window": {"start": start, "duration_days": days},
                "bound": ["ru", "ua"],
                // An established breach by the other side frees the reading's author at once:
                // later findings change when one is established (the release pass).
                "release": [{"kind": "violation-frees-other-side", "automatic": true}]}}),
    )
}

/// Sites on a line east of the flare, 0.05° apart.
fn site(lister: &str, k: u32) -> Body {
    body(
        Kind::Site,
        json!({"id": format!("{lister}-site-{k}"), "name": format!("site {k}"),
            "category": "energy.oil.storage",
            "geometry": {"type": "Point", "coordinates": [36.0 + 0.05 * f64::from(k), 48.0]},
            "approximate_m": 1000}),
    )
}

/// What one step appends.
#[derive(Debug, Clone)]
enum Step {
    /// A detection at the flare (36.0, 48.5) on day `d` of April.
    Flare(u8),
    /// A detection near site `k` on day `d` of April.
    NearSite(u32, u8),
    /// `ua` or `ru` alleges a strike near site `k` on day `d`.
    Allegation(bool, u32, u8),
    /// An allegation at the flare on day `d` (pulls its detections in).
    AtFlare(u8),
    /// The monitor assesses report `r` (an index into the reports filed, modulo).
    Assess(usize, bool),
    /// The monitor verifies who did what report `r` alleges (counted from the last report filed;
    /// the party its author accuses, `ru` for a detection): an established breach, which releases the other side.
    Attribute(usize),
    /// The author of report `r` retracts it.
    Retract(usize),
    /// `ru` files a new version of its reading, `days` long.
    NewReading(u32),
    /// `ua` lists another site `k`.
    NewSite(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1u8..=30).prop_map(Step::Flare),
        3 => (0u32..4, 1u8..=30).prop_map(|(k, d)| Step::NearSite(k, d)),
        3 => (any::<bool>(), 0u32..4, 1u8..=30).prop_map(|(u, k, d)| Step::Allegation(u, k, d)),
        1 => (1u8..=30).prop_map(Step::AtFlare),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(r, v)| Step::Assess(r, v)),
        1 => any::<usize>().prop_map(Step::Attribute),
        1 => any::<usize>().prop_map(Step::Retract),
        1 => (10u32..60).prop_map(Step::NewReading),
        1 => (1u32..4).prop_map(Step::NewSite),
    ]
}

fn day(d: u8, h: u32) -> String {
    format!("2025-04-{d:02}T{:02}:{:02}:00Z", h % 24, (h * 7) % 60)
}

fn report(id: String, start: String, point: [f64; 2], extra: Value) -> Body {
    let mut v = json!({"id": id, "time": {"start": start},
        "location": {"point": point, "uncertainty_m": 500}, "act": "fire-observed"});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    body(Kind::Report, v)
}

fn batch_of(log: &mut Log, s: &Step) -> Batch {
    log.n += 1;
    let n = log.n;
    let h = (n * 5) as u32;
    match *s {
        Step::Flare(d) => vec![(
            "firms".into(),
            report(format!("flare-{n}"), day(d, h), [36.0, 48.5], json!({})),
        )],
        Step::NearSite(k, d) => vec![(
            "firms".into(),
            report(
                format!("det-{n}"),
                day(d, h),
                [36.0 + 0.05 * f64::from(k) + 0.002, 48.001],
                json!({}),
            ),
        )],
        Step::Allegation(by_ua, k, d) => {
            let (by, against) = if by_ua { ("ua", "ru") } else { ("ru", "ua") };
            vec![(
                by.into(),
                report(
                    format!("alleged-{n}"),
                    day(d, h),
                    [36.0 + 0.05 * f64::from(k), 48.0],
                    json!({"act": "drone-strike", "alleged_perpetrator": against,
                        "target_category": "energy.oil.storage"}),
                ),
            )]
        }
        Step::AtFlare(d) => vec![(
            "ua".into(),
            report(
                format!("flare-alleged-{n}"),
                day(d, h),
                [36.0, 48.5],
                json!({"act": "drone-strike", "alleged_perpetrator": "ru"}),
            ),
        )],
        Step::Assess(r, verified) if !log.reports.is_empty() => {
            let (id, _) = &log.reports[r % log.reports.len()];
            vec![(
                "monitor".into(),
                body(
                    Kind::Assessment,
                    json!({"reports": [id], "question": "occurrence",
                        "verdict": if verified { "verified" } else { "dismissed" },
                        "text": "assessed"}),
                ),
            )]
        }
        Step::Attribute(r) if !log.reports.is_empty() => {
            let (id, author) = &log.reports[log.reports.len() - 1 - r % log.reports.len()];
            let party = if author == "ru" { "ua" } else { "ru" };
            vec![(
                "monitor".into(),
                body(
                    Kind::Assessment,
                    json!({"reports": [id], "question": "attribution", "party": party,
                        "verdict": "verified", "text": "attributed"}),
                ),
            )]
        }
        Step::Retract(r) if !log.reports.is_empty() => {
            let (id, author) = log.reports[r % log.reports.len()].clone();
            vec![(
                author,
                body(
                    Kind::Amend,
                    json!({"amends": id, "action": "retract", "reason": "withdrawn"}),
                ),
            )]
        }
        Step::NewReading(days) => vec![("ru".into(), reading("2025-03-20T21:00:00Z", days))],
        Step::NewSite(k) => vec![("ua".into(), site("ua", k))],
        Step::Assess(..) | Step::Attribute(..) | Step::Retract(..) => Vec::new(),
    }
}

/// Every row of every table of a views database, in a fixed order.
fn dump(path: &Path) -> Vec<String> {
    ViewStore::open(path).unwrap().dump().unwrap()
}

fn stamp_of(reader: &LogReader<SqliteStorage>, size: u64) -> ViewStamp {
    ViewStamp {
        log_size: size,
        root: reader.root_at(size).unwrap().to_string(),
        rules: truce_engine::RULES_VERSION.to_string(),
    }
}

fn run(batches: Vec<Vec<Step>>) {
    let dir = tempfile::tempdir().unwrap();
    let mut log = setup(dir.path());
    let reader =
        LogReader::open(SqliteStorage::open(&dir.path().join("truce.db"), false).unwrap()).unwrap();
    // The ledger the writer keeps, applied entry by entry; the live views.
    let mut ledger = Ledger::new();
    let size = reader.latest().unwrap().size;
    reader
        .for_each_entry_in(0, size, |i, e| {
            ledger.apply(i, e);
        })
        .unwrap();
    let mut live = Live::new(&ledger, stamp_of(&reader, size));
    let live_path = dir.path().join("live.db");
    let mut live_db = ViewStore::open(&live_path).unwrap();
    let first = live.stamp().clone();
    live.store(&mut live_db, &first, None).unwrap();
    let full_path = dir.path().join("full.db");
    let mut full_db = ViewStore::open(&full_path).unwrap();
    let mut incremental_stores = 0;
    for steps in batches {
        let batch: Batch = steps.iter().flat_map(|s| batch_of(&mut log, s)).collect();
        if batch.is_empty() {
            continue;
        }
        log.append(&batch);
        let from = ledger.size;
        let to = reader.latest().unwrap().size;
        reader
            .for_each_entry_in(from, to, |i, e| {
                ledger.apply(i, e);
            })
            .unwrap();
        let amended = amend_targets(&reader, from, to).unwrap();
        let previous = live.stamp().clone();
        let d = live.delta(&ledger, &amended);
        let rj = live.apply(d, stamp_of(&reader, to));
        if rj.full.is_none() {
            incremental_stores += 1;
        }
        live.store(&mut live_db, &previous, Some(&rj)).unwrap();
        let (j, stamp) = derived::judge(&reader, &mut |_| {}).unwrap();
        assert_eq!(&stamp, live.stamp());
        derived::store(&mut full_db, &j, &stamp).unwrap();
        // The stored background reads back as exactly what the engine publishes.
        let mut stored = Vec::new();
        full_db
            .each_background(&Default::default(), |r| {
                stored.push(serde_json::to_string(&derived::background_of(&r).unwrap()).unwrap())
            })
            .unwrap();
        let published: Vec<String> = j
            .judgement
            .background_full(&j.snapshot)
            .map(|b| serde_json::to_string(&b).unwrap())
            .collect();
        assert_eq!(stored, published);
        let (a, b) = (dump(&live_path), dump(&full_path));
        if a != b {
            let at = a
                .iter()
                .zip(&b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            panic!(
                "after {steps:?} (log size {to}, {rj:?}): live views differ from a rebuild at row {at}:\n live:    {:?}\n rebuild: {:?}",
                a.get(at),
                b.get(at)
            );
        }
    }
    // Most steps must have been incremental, or the test tests nothing of `store_changes`.
    assert!(incremental_stores > 0, "no incremental update happened");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn live_views_equal_a_rebuild(batches in prop::collection::vec(prop::collection::vec(step(), 1..4), 5..40)) {
        run(batches);
    }
}

/// A fixed run that turns the flare into a hot spot (ten days over three weeks) and then alleges
/// a strike there, so baseline cells change and detections leave the background.
#[test]
fn a_hot_spot_forms_and_an_allegation_pulls_its_detections_in() {
    let mut batches: Vec<Vec<Step>> = (1..=30).step_by(2).map(|d| vec![Step::Flare(d)]).collect();
    batches.push(vec![Step::NearSite(1, 5), Step::Allegation(true, 1, 5)]);
    batches.push(vec![Step::AtFlare(9)]);
    batches.push(vec![Step::Assess(usize::MAX, true)]);
    batches.push(vec![Step::Retract(3)]);
    batches.push(vec![Step::NewSite(2), Step::NearSite(2, 7)]);
    batches.push(vec![Step::NewReading(20)]);
    batches.push(vec![Step::Allegation(false, 2, 8)]);
    // An established breach by ua (ru's allegation of 10 April, verified): ru is released from
    // then on, so the finding on ua's allegation of 14 April (an incident the step does not
    // re-judge) changes through the release pass alone.
    batches.push(vec![
        Step::Allegation(true, 1, 14),
        Step::Allegation(false, 3, 10),
    ]);
    batches.push(vec![Step::Attribute(0)]);
    run(batches);
}

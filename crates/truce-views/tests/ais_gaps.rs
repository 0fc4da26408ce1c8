//! AIS gaps in the views: a real SQLite log of AIS ingests (manifests stating a reception area,
//! track segments), ports listed as sites. A rebuild (`derived::refresh`) stores the gaps the
//! engine derives in `view_ais_gaps`, and `GapQuery` reads them as the API and the CLI answer;
//! views that follow the log (`Live`) equal a rebuild after every append — a new ingest, a new
//! coverage, a port far away, a port near where a gap starts.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use truce_log::KeyPair;
use truce_model::entry::{record, sign, Body};
use truce_model::{Id, Kind, Ledger, Role, Time};
use truce_store::sqlite::SqliteStorage;
use truce_store::{LogReader, Sequencer};
use truce_views::db::{GapFilter, ViewStamp, ViewStore};
use truce_views::derived;
use truce_views::live::{amend_targets, Live};
use truce_views::query::gaps::{GapQuery, GAP_PARAMS};
use truce_views::query::Params;

const ORIGIN: &str = "gaps.test.example/log";
/// 2025-04-01T00:00:00Z.
const H0: i64 = 1_743_465_600;
const SHIP: u32 = 272_000_001;
const SHIP2: u32 = 272_000_002;
const SHIP3: u32 = 272_000_003;

fn key(name: &str) -> KeyPair {
    let seed: [u8; 32] = Sha256::digest(format!("gaps test {name}").as_bytes()).into();
    truce_log::key_from_seed(name, seed).unwrap()
}

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

fn t() -> Time {
    Time::parse("2025-04-05T00:00:00Z").unwrap()
}

struct Log {
    seq: Sequencer<SqliteStorage>,
    keys: BTreeMap<&'static str, KeyPair>,
    sha: u64,
}

impl Log {
    fn signed(&self, who: &str, b: &Body) -> Vec<u8> {
        let signer = truce_log::parse_signer(&self.keys[who].signer).unwrap();
        sign(&id(who), t(), b, &signer).unwrap().bytes
    }

    fn append(&mut self, entries: Vec<Vec<u8>>) {
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        self.seq.append(&refs).unwrap();
    }

    /// Segments of `mmsi` for `hours` (from H0), moving east 0.1° an hour along 44° N from
    /// 31° E, fixes at :00, :30 and :59.
    fn hours(&mut self, mmsi: u32, hours: std::ops::Range<i64>) -> Vec<Body> {
        hours
            .map(|h| {
                self.sha += 1;
                let points: Vec<i64> = [0i64, 1800, 3540]
                    .into_iter()
                    .flat_map(|s| {
                        let x = 31.0 + 0.1 * (h as f64 + s as f64 / 3600.0);
                        [s * 1000, (x * 1e6).round() as i64, 44_000_000]
                    })
                    .collect();
                Body::parse(
                    Kind::Track,
                    json!({
                        "fixes": 3, "flags": {}, "hour": H0 + h * 3600, "line_first": 1,
                        "line_last": 9, "mmsi": mmsi, "part": 0, "points": points,
                        "sha256": format!("{:064x}", self.sha), "tol_mm": 50000,
                    }),
                )
                .unwrap()
            })
            .collect()
    }

    /// A manifest of `who` stating `reception` (the Black Sea) or none, and its records.
    fn ingest(&mut self, who: &str, reception: bool, bodies: Vec<Body>) {
        let recs: Vec<Vec<u8>> = bodies
            .iter()
            .map(|b| record(&id(who), t(), b).unwrap())
            .collect();
        let root = truce_log::merkle_root(recs.iter().map(Vec::as_slice));
        let mut m = json!({
            "format": truce_model::ais::TRACK_FORMAT, "source": "test", "count": recs.len(),
            "root": root.to_string(),
        });
        if reception {
            m["reception"] = json!({"name": "Black Sea", "polygon": [[[28.0, 41.0], [42.0, 41.0], [42.0, 47.0], [28.0, 47.0], [28.0, 41.0]]]});
        }
        let mut entries = vec![self.signed(who, &Body::parse(Kind::Manifest, m).unwrap())];
        entries.extend(recs);
        self.append(entries);
    }

    fn site(&mut self, k: u32, category: &str, at: [f64; 2]) {
        let b = Body::parse(
            Kind::Site,
            json!({"id": format!("site-{k}"), "name": format!("site {k}"), "category": category,
                   "geometry": {"type": "Point", "coordinates": at}}),
        )
        .unwrap();
        let e = self.signed("ua", &b);
        self.append(vec![e]);
    }
}

fn setup(dir: &Path) -> Log {
    let storage = SqliteStorage::open(&dir.join("truce.db"), true).unwrap();
    let seq = Sequencer::create(storage, ORIGIN, &key(ORIGIN).signer).unwrap();
    let parties = [
        ("operator", Role::Operator),
        ("ua", Role::Belligerent),
        ("dma", Role::OpenData),
        ("gfw", Role::Monitor),
    ];
    let mut log = Log {
        seq,
        keys: parties.iter().map(|(p, _)| (*p, key(p))).collect(),
        sha: 0,
    };
    let regs: Vec<Vec<u8>> = parties
        .iter()
        .map(|(p, role)| {
            let b = Body::parse(
                Kind::PartyRegister,
                json!({"id": p, "name": p, "role": role, "keys": [log.keys[p].verifier]}),
            )
            .unwrap();
            log.signed("operator", &b)
        })
        .collect();
    log.append(regs[..1].to_vec());
    log.append(regs[1..].to_vec());
    log
}

fn stamp_of(reader: &LogReader<SqliteStorage>, size: u64) -> ViewStamp {
    ViewStamp {
        log_size: size,
        root: reader.root_at(size).unwrap().to_string(),
        rules: truce_engine::RULES_VERSION.to_string(),
    }
}

fn page(v: &ViewStore, pairs: &[(&str, &str)], size: u64) -> Value {
    let p = Params::new(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        GAP_PARAMS,
    )
    .unwrap();
    let (doc, _) = GapQuery::parse(&p).unwrap().page_json(v, size).unwrap();
    serde_json::from_str(&doc).unwrap()
}

/// The start of SHIP's silence: its fix at 05:59.
fn gap_start() -> [f64; 2] {
    [31.0 + 0.1 * (5.0 + 3540.0 / 3600.0), 44.0]
}

#[test]
fn gaps_are_stored_by_a_rebuild_and_followed_live() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = setup(dir.path());
    let reader =
        LogReader::open(SqliteStorage::open(&dir.path().join("truce.db"), false).unwrap()).unwrap();
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

    type Append = Box<dyn Fn(&mut Log)>;
    let steps: Vec<(&str, Append, usize)> = vec![
        (
            "SHIP silent 05:59–20:00 inside dma's coverage",
            Box::new(|l: &mut Log| {
                let mut b = l.hours(SHIP, 0..6);
                b.extend(l.hours(SHIP, 20..24));
                l.ingest("dma", true, b);
            }),
            1,
        ),
        (
            "SHIP2 silent on April 3 (02:59–18:00), no reception stated",
            Box::new(|l: &mut Log| {
                let mut b = l.hours(SHIP2, 48..51);
                b.extend(l.hours(SHIP2, 66..68));
                l.ingest("dma", false, b);
            }),
            1,
        ),
        (
            "a port 100 km away and a site that is no port next to the gap",
            Box::new(|l: &mut Log| {
                let s = gap_start();
                l.site(1, "transport.port", [s[0], s[1] + 0.9]);
                l.site(2, "energy.oil.storage", [s[0], s[1] + 0.01]);
            }),
            1,
        ),
        (
            "gfw states it heard the area: SHIP2's silence becomes a gap",
            Box::new(|l: &mut Log| {
                let b = l.hours(SHIP, 6..7);
                l.ingest("gfw", true, b);
                let b = l.hours(SHIP3, 50..67);
                l.ingest("gfw", true, b);
            }),
            2,
        ),
        (
            "a grain port 5 km from where SHIP's gap now starts",
            Box::new(|l: &mut Log| {
                let s = gap_start();
                l.site(3, "transport.port.grain", [s[0] + 0.1, s[1] + 0.045]);
            }),
            1,
        ),
    ];
    for (what, append, want) in steps {
        append(&mut log);
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
        live.store(&mut live_db, &previous, Some(&rj)).unwrap();
        derived::refresh(&reader, &mut full_db, &mut |_| {}).unwrap();
        let (live_dump, full_dump) = (live_db.dump().unwrap(), full_db.dump().unwrap());
        assert_eq!(
            live_dump, full_dump,
            "{what}: live views differ from a rebuild"
        );
        let (docs, total) = full_db.gaps_page(&GapFilter::default(), 100, 0).unwrap();
        assert_eq!(total as usize, want, "{what}: {docs:#?}");
    }
    // The last state: SHIP2's gap, heard by gfw's second coverage (SHIP3's track, 02:00 to
    // 18:59 on April 3).
    let size = ledger.size;
    let doc = page(&full_db, &[], size);
    assert_eq!(doc["total"], 1);
    assert_eq!(doc["log_size"], size);
    assert_eq!(doc["note"], truce_engine::gaps::NOTE);
    let g = &doc["items"][0];
    assert_eq!(g["mmsi"], SHIP2);
    assert_eq!(g["start_time"], "2025-04-03T02:59:00Z");
    assert_eq!(g["end_time"], "2025-04-03T18:00:00Z");
    assert_eq!(g["hours"], 15.017);
    assert_eq!(g["coverage"].as_array().unwrap().len(), 1);
    assert_eq!(page(&full_db, &[("mmsi", "272000001")], size)["total"], 0);
    assert_eq!(page(&full_db, &[("mmsi", "272000002")], size)["total"], 1);
    assert_eq!(page(&full_db, &[("from", "2025-04-04")], size)["total"], 0);
    assert_eq!(
        page(&full_db, &[("to", "2025-04-03T03:00:00Z")], size)["total"],
        1
    );
    assert_eq!(
        page(&full_db, &[("to", "2025-04-03T02:00:00Z")], size)["total"],
        0
    );
    assert_eq!(
        page(&full_db, &[("bbox", "36.0,43.9,36.2,44.1")], size)["total"],
        1
    );
    assert_eq!(page(&full_db, &[("bbox", "30,43,31,45")], size)["total"], 0);
    // The GeoJSON: a line from the last fix before to the first after.
    let p = Params::new(vec![], GAP_PARAMS).unwrap();
    let geo = GapQuery::parse(&p)
        .unwrap()
        .geojson(&full_db, size)
        .unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    let f = &geo["features"][0];
    assert_eq!(f["geometry"]["type"], "LineString");
    assert_eq!(f["geometry"]["coordinates"][0], g["start"]);
    assert_eq!(f["geometry"]["coordinates"][1], g["end"]);
    assert_eq!(f["properties"]["mmsi"], SHIP2);
}

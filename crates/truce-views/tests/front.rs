//! The front's display zones (`truce_views::query::front`) over a ledger built from signed
//! entries: a reading naming two parties' lines; zones drawn once per (line version, distance,
//! tolerance) and kept within the cache's bounds.

use serde_json::json;
use sha2::{Digest, Sha256};
use truce_log::KeyPair;
use truce_model::entry::{sign, Body};
use truce_model::lines::{self, LineVersion};
use truce_model::{Id, Kind, Ledger, Role, Time};
use truce_views::query::front::{front_geojson, DisplayCache, FrontQuery, FRONT_PARAMS};
use truce_views::query::Params;

fn key(name: &str) -> KeyPair {
    let seed: [u8; 32] = Sha256::digest(format!("front test {name}").as_bytes()).into();
    truce_log::key_from_seed(name, seed).unwrap()
}

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

/// A zig-zag line of `n` vertices from 37°E, 47°N northwards.
fn zigzag(n: usize, dlon: f64) -> Vec<[f64; 2]> {
    (0..n)
        .map(|i| {
            let lat = 47.0 + i as f64 * 0.001;
            let lon = 37.0 + dlon + if i % 2 == 0 { 0.0 } else { 0.004 };
            [lon, lat]
        })
        .collect()
}

/// The operator, two belligerents and a mediator; a process defining `ceasefire`; lines
/// `ua/loc` and `ru/loc` of `n` vertices; the mediator's reading with front terms.
pub fn ledger(n: usize) -> Ledger {
    let t = Time::parse("2025-05-01T00:00:00Z").unwrap();
    let keys: Vec<(&str, Role, KeyPair)> = [
        ("operator", Role::Operator),
        ("ua", Role::Belligerent),
        ("ru", Role::Belligerent),
        ("us", Role::Mediator),
    ]
    .into_iter()
    .map(|(p, r)| (p, r, key(p)))
    .collect();
    let k = |p: &str| &keys.iter().find(|x| x.0 == p).unwrap().2;
    let signed = |author: &str, body: Body| {
        sign(
            &id(author),
            t,
            &body,
            &truce_log::parse_signer(&k(author).signer).unwrap(),
        )
        .unwrap()
        .bytes
    };
    let body = |kind: Kind, v: serde_json::Value| Body::parse(kind, v).unwrap();
    let mut log = Vec::new();
    for (p, r, kp) in &keys {
        log.push(signed(
            "operator",
            body(
                Kind::PartyRegister,
                json!({"id": p, "name": p, "role": r, "keys": [kp.verifier]}),
            ),
        ));
    }
    log.push(signed(
        "operator",
        body(
            Kind::Process,
            json!({"id": "p", "title": "Process", "phases": [{"id": "one", "title": "One", "status": "in-force",
                "agreements": [{"id": "ceasefire", "title": "Ceasefire"}]}]}),
        ),
    ));
    for (p, dlon) in [("ua", 0.0), ("ru", -0.05)] {
        let v: LineVersion =
            serde_json::from_value(json!({"id": "loc", "title": "line", "kind": "contact",
            "geometry": {"type": "LineString", "coordinates": zigzag(n, dlon)},
            "valid_from": "2025-05-01T00:00:00Z"}))
            .unwrap();
        match lines::split(&v, lines::PART_BODY_BYTES).unwrap() {
            None => log.push(signed(p, Body::Line(v))),
            // Too large for one entry: a head and its parts.
            Some((head, mut parts)) => {
                let h = signed(p, Body::LineHead(head));
                let hid: String = Sha256::digest(&h)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                lines::bind(&mut parts, &hid);
                log.push(h);
                log.extend(parts.into_iter().map(|x| signed(p, Body::LinePart(x))));
            }
        }
    }
    log.push(signed(
        "us",
        body(
            Kind::Reading,
            json!({"agreement": "ceasefire", "source": {"title": "Readout", "date": "2025-05-01"},
                "terms": {"prohibited_acts": ["strike"], "protected": ["energy.*"],
                    "window": {"start": "2025-05-01T00:00:00Z"}, "bound": ["ru", "ua"],
                    "front": {"lines": [{"party": "ua", "line": "ua/loc", "side": "right"},
                                        {"party": "ru", "line": "ru/loc", "side": "left"}],
                              "buffer_km": 10,
                              "withdrawal": [{"weapons": "weapon.artillery", "width_km": 50}],
                              "prohibit": ["explosion-in-buffer"]}}}),
        ),
    ));
    let mut l = Ledger::new();
    for (i, e) in log.iter().enumerate() {
        let a = l.apply(i as u64, e);
        assert!(
            matches!(a, truce_model::ledger::Applied::Accepted(..)),
            "entry {i}: {a:?}"
        );
    }
    l
}

fn query(l: &Ledger, q: &str) -> FrontQuery {
    let pairs = q
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    FrontQuery::parse(&Params::new(pairs, FRONT_PARAMS).unwrap(), l).unwrap()
}

#[test]
fn zones_are_drawn_once_and_the_cache_stays_within_its_bounds() {
    let l = ledger(50);
    let cache = DisplayCache::new(3, usize::MAX);
    let q = query(&l, "agreement=ceasefire&reading=us");
    let v = front_geojson(&l, &q, &cache);
    assert_eq!(v["features"].as_array().unwrap().len(), 6, "{v:#}");
    assert_eq!(v["truncated"], false);
    // Two lines × (buffer 5 km, withdrawal 25 km).
    assert_eq!(cache.drawn(), 4);
    assert_eq!(cache.len(), 3, "at most three kept");
    // Asked again: only what was let go is drawn again, and the answer is the same.
    let again = front_geojson(&l, &q, &cache);
    assert_eq!(again, v);
    assert!(cache.drawn() > 4 && cache.len() <= 3);
    // A large cache draws nothing twice.
    let big = DisplayCache::default();
    front_geojson(&l, &q, &big);
    front_geojson(&l, &q, &big);
    assert_eq!(big.drawn(), 4);
    assert_eq!(big.len(), 4);
    // A bound on positions keeps fewer.
    let small = DisplayCache::new(100, 1);
    front_geojson(&l, &q, &small);
    assert!(small.len() <= 1, "{}", small.len());
}

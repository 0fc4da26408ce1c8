//! Helpers shared by the verifier's integration tests: deterministic keys, signed entries, the
//! demo scenario's files.
#![allow(dead_code)] // each test file uses some of them

use truce_log::{key_from_seed, parse_signer, KeyPair};
use truce_model::domain::{PartyRegistration, Role};
use truce_model::entry::{sign, Body};
use truce_model::{Id, Time};

/// The log's key for `origin` (a fixed seed: tests only).
pub fn log_key(origin: &str) -> KeyPair {
    key_from_seed(origin, [7; 32]).unwrap()
}

/// A party's key, derived from its id (tests only).
pub fn party_key(id: &str) -> KeyPair {
    let mut seed = [0u8; 32];
    for (i, b) in id.bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    seed[31] = 0x5a;
    key_from_seed(id, seed).unwrap()
}

/// The demo scenario's directory in the repository.
pub fn scenario() -> String {
    format!(
        "{}/../../scenarios/energy-moratorium-2025",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// `body` signed by `author` with its [`party_key`], as the log stores it.
pub fn signed(author: &str, time: Time, body: &Body) -> Vec<u8> {
    let k = party_key(author);
    sign(
        &Id::new(author).unwrap(),
        time,
        body,
        &parse_signer(&k.signer).unwrap(),
    )
    .unwrap()
    .bytes
}

/// Signed domain entries: the operator registering itself and `parties`, then every entry of
/// the demo scenario's authoring `files`, each `(path, author)` signed by its author.
pub fn scenario_entries(parties: &[(&str, Role)], files: &[(&str, &str)]) -> Vec<Vec<u8>> {
    let t0 = Time::parse("2025-03-18T00:00:00+03:00").unwrap();
    let register = |id: &str, role: Role| {
        Body::PartyRegister(PartyRegistration {
            id: Id::new(id).unwrap(),
            name: id.to_uppercase(),
            role,
            keys: vec![party_key(id).verifier],
        })
    };
    let mut out = vec![signed(
        "operator",
        t0,
        &register("operator", Role::Operator),
    )];
    for (id, role) in parties {
        out.push(signed("operator", t0, &register(id, *role)));
    }
    for (file, author) in files {
        let path = format!("{}/{file}", scenario());
        let text = std::fs::read_to_string(&path).unwrap();
        let f = truce_model::authoring::AuthoredFile::parse(&path, &text).unwrap();
        for b in f.bodies() {
            out.push(signed(author, f.time, &b));
        }
    }
    out
}

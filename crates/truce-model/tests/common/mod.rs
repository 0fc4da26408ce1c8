//! Helpers shared by truce-model's integration tests: parties with fresh keys, the entries they
//! sign (or the unsigned records they file) at one fixed time, the operator's registrations and
//! AIS manifests over a batch of records.
#![allow(dead_code)] // each test file uses some of them

use truce_log::{generate_key, parse_signer, KeyPair};
use truce_model::domain::{Id, Manifest, PartyRegistration, Role, Zone};
use truce_model::entry::{record, sign, Body};
use truce_model::{Applied, Ledger, Time};

pub fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

/// The time every entry of these tests carries: 2025-03-18T12:00:00Z.
pub fn t() -> Time {
    Time::parse("2025-03-18T12:00:00Z").unwrap()
}

/// A fresh key pair named `name`.
pub fn key(name: &str) -> KeyPair {
    generate_key(&mut rand_core::OsRng, name).unwrap()
}

/// `body` signed by `author` with `k`, at `t()`: the entry's bytes.
pub fn signed(k: &KeyPair, author: &str, body: &Body) -> Vec<u8> {
    sign(&id(author), t(), body, &parse_signer(&k.signer).unwrap())
        .unwrap()
        .bytes
}

/// `body` as an unsigned record of `author` at `t()` (to stream under a manifest).
pub fn rec(author: &str, body: &Body) -> Vec<u8> {
    record(&id(author), t(), body).unwrap()
}

/// The registration of `party` (named in capitals) with role `role` and key `k`.
pub fn register(party: &str, role: Role, k: &KeyPair) -> Body {
    Body::PartyRegister(PartyRegistration {
        id: id(party),
        name: party.to_uppercase(),
        role,
        keys: vec![k.verifier.clone()],
    })
}

/// An AIS track manifest over `records` (their count and Merkle root), stating `reception`.
pub fn manifest(records: &[Vec<u8>], reception: Option<Zone>) -> Body {
    let root = truce_log::merkle_root(records.iter().map(Vec::as_slice));
    Body::Manifest(Manifest {
        format: truce_model::ais::TRACK_FORMAT.into(),
        source: "test".into(),
        count: records.len() as u64,
        root: base64::Engine::encode(&base64::prelude::BASE64_STANDARD, root.0),
        reception,
    })
}

/// A batch as `author` files it with key `k`: its signed manifest (stating `reception`), then its
/// `records`.
pub fn filed(
    k: &KeyPair,
    author: &str,
    records: &[Vec<u8>],
    reception: Option<Zone>,
) -> Vec<Vec<u8>> {
    let mut out = vec![signed(k, author, &manifest(records, reception))];
    out.extend(records.iter().cloned());
    out
}

/// A fresh ledger with every entry of `log` applied in turn, and what each did.
pub fn apply_all(log: &[Vec<u8>]) -> (Ledger, Vec<Applied>) {
    let mut l = Ledger::new();
    let applied = log
        .iter()
        .enumerate()
        .map(|(i, e)| l.apply(i as u64, e))
        .collect();
    (l, applied)
}

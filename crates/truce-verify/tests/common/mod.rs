//! Helpers shared by the verifier's integration tests: deterministic keys, signed entries, the
//! demo scenario's files.
#![allow(dead_code)] // each test file uses some of them

use truce_log::{key_from_seed, parse_signer, KeyPair};
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

//! Entry envelopes (RFC 8785 JSON, `truce_model::entry::decode`): an entry that decodes is its
//! own bytes, and its body survives `to_value` and `parse` unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_model::entry::{decode, Body};

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = decode(data) {
        assert_eq!(env.bytes, data);
        assert_eq!(env.body.kind(), env.kind);
        let again = Body::parse(env.kind, env.body.to_value()).expect("a decoded body re-parses");
        assert_eq!(again, env.body);
    }
});

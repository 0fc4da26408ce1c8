//! tlog-proof files: a proof that parses re-encodes to the same bytes; verifying it (for the
//! entry `leaf<index>`, as the seeds) under the fuzz log's key never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "keys.rs"]
mod keys;

static VERIFIER: OnceLock<signed_note::StandardVerifier> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let verifier = VERIFIER.get_or_init(|| {
        truce_log::parse_verifier(&keys::log_key().verifier).expect("the fixed verifier parses")
    });
    if let Ok(p) = truce_log::TlogProof::parse(data) {
        assert_eq!(p.encode(), data, "a parsed tlog-proof re-encodes to itself");
        let _ = p.verify(format!("leaf{}", p.index).as_bytes(), verifier);
    }
});

//! Signed notes and checkpoints: `open_checkpoint` under the fuzz log's key, the note splitter and
//! cosignature verification. A checkpoint that opens re-encodes to the same body.
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
    if let Ok(cp) = truce_log::open_checkpoint(data, verifier) {
        assert_eq!(cp.note, data);
        let (text, _) = truce_log::cosignature::parse_note(data).expect("an opened note splits");
        // A body without extension lines re-encodes byte for byte.
        if text.iter().filter(|&&b| b == b'\n').count() == 3 {
            assert_eq!(cp.body(), text);
        }
    }
    if let Ok((body, sigs)) = truce_log::cosignature::parse_note(data) {
        assert!(body.ends_with(b"\n"));
        let _ = keys::cosigner().verifier().verify_parsed(body, &sigs);
    }
    let _ = truce_log::witness::parse_tlog_size(data);
});

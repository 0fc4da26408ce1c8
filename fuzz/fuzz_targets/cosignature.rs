//! Cosignature lines, verifier and private key texts, the witness's answer (cosignature lines)
//! and the `add-checkpoint` request body: a request that parses re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_log::cosignature::{parse_signature_line, CosignatureVerifier, Cosigner};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        for line in s.lines() {
            let _ = parse_signature_line(line);
        }
        if let Ok(v) = CosignatureVerifier::from_vkey(s) {
            assert_eq!(
                CosignatureVerifier::from_vkey(&v.vkey())
                    .map(|w| w.vkey())
                    .ok(),
                Some(v.vkey())
            );
        }
        if let Ok(c) = Cosigner::from_private_text(s) {
            let again = Cosigner::from_private_text(&c.private_text()).expect("re-parses");
            assert_eq!(again.vkey(), c.vkey());
        }
        let _ = truce_log::parse_verifier(s);
        let _ = truce_log::parse_signer(s);
    }
    let _ = truce_log::witness::parse_cosignature_lines(data);
    if let Ok(req) = truce_log::witness::AddCheckpoint::parse(data) {
        assert_eq!(req.encode(), data, "a parsed request re-encodes to itself");
    }
});

//! tlog policies: parsing, and checking a cosigned checkpoint of the fuzz log against a policy
//! that parsed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "keys.rs"]
mod keys;

static NOTE: OnceLock<Vec<u8>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let note = NOTE.get_or_init(|| {
        let cp = keys::checkpoint(5);
        keys::cosigner()
            .cosign_note(&cp.note, 1_700_000_000)
            .expect("cosigns")
    });
    if let Ok(p) = truce_log::policy::Policy::parse(text) {
        let _ = p.check(note);
        let _ = p.cosigned_by(note);
    }
});

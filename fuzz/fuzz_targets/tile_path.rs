//! C2SP tile paths and entry bundles: a path that parses is canonical (re-encodes to itself); a
//! bundle that decodes re-encodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(p) = truce_log::parse_tile_path(s) {
            assert_eq!(p.to_path(), s, "a parsed tile path is canonical");
            assert!((1..=256).contains(&p.width));
        }
    }
    if let Ok(entries) = truce_log::decode_bundle(data) {
        let mut out = Vec::new();
        for e in entries {
            truce_log::encode_bundle_into(&mut out, e).expect("a decoded entry fits");
        }
        assert_eq!(out, data, "a decoded bundle re-encodes to itself");
    }
});

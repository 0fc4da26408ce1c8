//! TOML authoring files (`truce_model::authoring`): parsing, errors pointing at a line and column,
//! and every body of a file that parsed re-parsing from its JSON value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_model::authoring::AuthoredFile;
use truce_model::entry::Body;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match AuthoredFile::parse("fuzz.toml", text) {
        Ok(f) => {
            for b in f.bodies() {
                let _ = Body::parse(b.kind(), b.to_value());
            }
        }
        Err(e) => assert!(e.starts_with("fuzz.toml")),
    }
});

//! OpenStreetMap PBF extracts (`truce_ingest::osm::read_sites`).
//!
//! osmpbf panics on some malformed blocks (unchecked position arithmetic; protobuf enum values
//! it unwraps); `read_sites` catches those panics and refuses the file
//! (tests/bad/osm/overflowing-coordinates.osm.pbf). libFuzzer's panic
//! hook aborts before any `catch_unwind` runs, so this target lets a panic raised inside the
//! source of osmpbf or its protobuf runtime unwind to that catch — and aborts on every other
//! panic, ours included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Once;

static HOOK: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    HOOK.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_osmpbf = info.location().is_some_and(|l| {
                l.file().contains("/osmpbf-") || l.file().contains("/protobuf-")
            });
            if !in_osmpbf {
                fuzzer_hook(info);
            }
        }));
    });
    let _ = truce_ingest::osm::read_sites(data);
});

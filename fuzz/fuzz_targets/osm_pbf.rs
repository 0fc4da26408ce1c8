//! OpenStreetMap PBF extracts (`truce_ingest::osm::read_sites`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = truce_ingest::osm::read_sites(data);
});

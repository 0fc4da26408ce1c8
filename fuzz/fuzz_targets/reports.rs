//! Every report reader over the same bytes: FIRMS, ACLED, UCDP GED and native CSV, native JSON
//! Lines and GeoJSON (`truce_ingest::reports`), plus format sniffing. Each record is a report, a
//! skip or a refusal with a line; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use truce_ingest::{reports, sniff, ActorMap, Format, Row};

static ACTORS: OnceLock<ActorMap> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let actors = ACTORS.get_or_init(|| {
        ActorMap::parse(&[
            "Military Forces of Russia=ru".into(),
            "Military Forces of Ukraine=ua".into(),
        ])
        .expect("actor rules parse")
    });
    let _ = sniff(data);
    for f in [
        Format::Firms,
        Format::Acled,
        Format::Ucdp,
        Format::Csv,
        Format::Jsonl,
        Format::GeoJson,
    ] {
        if let Ok(rows) = reports(f, data, actors.clone()) {
            for row in rows.take(10_000) {
                if let Row::Refused { line, .. } = row {
                    assert!(line >= 1);
                }
            }
        }
    }
});

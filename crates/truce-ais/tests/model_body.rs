//! The log's `track` body (`truce_model::ais::Track`) is exactly this crate's segment JSON: every
//! segment made from the real samples parses as the model's body and re-encodes byte for byte (the
//! model's direct writer, its serde form and its record in the log), and back.

use truce_ais::fix::Item;
use truce_ais::track::{Params, Segment, Segmenter};
use truce_model::ais::Track;
use truce_model::entry::{record, Body};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn segments(name: &str) -> Vec<Segment> {
    let input = data(name);
    let mut seg = Segmenter::new(Params::default()).unwrap();
    let mut out = Vec::new();
    let mut each = |r: truce_ais::fix::Record<'_>| {
        if let Item::Fix(f) = &r.item {
            out.extend(seg.push(f, r.raw, r.line).unwrap());
        }
    };
    if name.ends_with(".csv") {
        truce_ais::csv::read(input.as_slice(), &mut each).unwrap();
    } else {
        let opts = truce_ais::nmea::Options {
            time_base: Some(1_700_000_000_000),
        };
        truce_ais::nmea::read(input.as_slice(), &opts, &mut each).unwrap();
    }
    out.extend(seg.finish());
    out
}

#[test]
fn every_real_segment_is_the_models_track_body_byte_for_byte() {
    let author = truce_model::Id::new("dma").unwrap();
    let time = truce_model::Time::parse("2025-03-18T12:00:00Z").unwrap();
    let mut n = 0;
    for name in [
        "mobiml_test_aisdk_20180208_sample.csv",
        "AIS_2022_01_03_excerpt2000.csv",
        "AIS_2022_03_31_small-sample_original-format.csv",
        "gpsd_ais-raw-messages.log",
        "libais_tagblock.nmea",
    ] {
        for seg in segments(name) {
            let json = seg.to_json();
            let t: Track =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e}: {json}"));
            assert_eq!(t.to_jcs(), json, "{name}");
            assert_eq!(serde_json::to_string(&t).unwrap(), json, "{name}");
            assert_eq!(Segment::from_json(t.to_jcs().as_bytes()).unwrap(), seg);
            let bytes = record(&author, time, &Body::Track(t.clone())).unwrap();
            let env = truce_model::decode(&bytes).unwrap();
            assert_eq!(env.body, Body::Track(t));
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains(&format!("\"body\":{json},")), "{name}");
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} segments from the samples");
}

//! Every site reader but OSM over the same bytes: WRI CSV, column-mapped CSV (a category column
//! and a fixed category) and GeoJSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_ingest::sites_csv::{rows, CategoryFrom, Mapping};

fuzz_target!(|data: &[u8]| {
    let _ = truce_ingest::wri::read_sites(data);
    let _ = truce_ingest::geojson::read_sites(data);
    let by_column = Mapping {
        id: Some("id".into()),
        name: "name".into(),
        lat: "lat".into(),
        lon: "lon".into(),
        category: CategoryFrom::Column("category".into()),
        source: "fuzz".into(),
        legacy_row_ids: true,
    };
    let _ = rows(data, &by_column);
    let fixed = Mapping {
        id: None,
        category: CategoryFrom::Fixed(
            truce_model::taxonomy::Category::new("energy.power.plant").expect("a category"),
        ),
        ..by_column
    };
    let _ = rows(data, &fixed);
});

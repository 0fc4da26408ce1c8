//! `truce lines import|list|show`: a line of contact filed from GeoJSON, a second version from
//! KML, the version in force before and after it, a control area, and refusals naming the flag.

mod common;

use common::{fails, quiet, truce};
use serde_json::{json, Value};
use std::path::Path;

/// Two features joined into one MultiLineString, about 104 km together.
const GEOJSON: &str = r#"{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"name": "north"}, "geometry": {"type": "LineString", "coordinates": [[37.5, 48.0], [37.8, 48.3], [38.0, 48.5, 120]]}},
 {"type": "Feature", "properties": {"name": "south"}, "geometry": {"type": "LineString", "coordinates": [[37.0, 47.5], [37.4, 47.7]]}}
]}"#;

const KML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
<Document><name>Line of contact, 1 April</name>
<Placemark><name>loc</name>
<LineString><tessellate>1</tessellate><coordinates>
37.5,48.0,0 37.9,48.3,0 38.1,48.6,0
</coordinates></LineString>
</Placemark>
</Document>
</kml>
"#;

const AREA: &str = r#"{"type": "Polygon", "coordinates": [[[37.5, 48.0], [38.5, 48.0], [38.5, 48.6], [37.5, 48.0]]]}"#;

fn setup() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    quiet(d, &["init", "--origin", "truce.test/lines"]);
    for (p, role) in [
        ("osce", "monitor"),
        ("ru", "belligerent"),
        ("ua", "belligerent"),
        ("firms", "open-data"),
    ] {
        quiet(d, &["party", "add", p, "--name", p, "--role", role]);
    }
    std::fs::write(d.join("loc.geojson"), GEOJSON).unwrap();
    std::fs::write(d.join("loc.kml"), KML).unwrap();
    std::fs::write(d.join("area.geojson"), AREA).unwrap();
    std::fs::write(
        d.join("sectors.csv"),
        "id,name,from_km,to_km\nnorth,Northern stretch,0,50\nsouth,Southern stretch,50.3,86\n",
    )
    .unwrap();
    t
}

fn import(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = ["lines", "import"].map(String::from).to_vec();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn key(p: &str) -> String {
    format!("truce-data/keys/{p}.key")
}

fn json_of(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

#[test]
fn lines_are_imported_listed_and_shown_by_version() {
    let t = setup();
    let d = t.path();
    let osce = key("osce");
    // Version 1 from GeoJSON, filed on 18 March, valid from 1 March: retroactive.
    let out = quiet(
        d,
        &[
            "--json",
            "lines",
            "import",
            "loc.geojson",
            "--id",
            "loc",
            "--title",
            "Line of contact",
            "--valid-from",
            "2025-03-01T00:00:00+02:00",
            "--time",
            "2025-03-18T12:00:00Z",
            "--sectors",
            "sectors.csv",
            "--approximate-m",
            "2000",
            "--as",
            "osce",
            "--key",
            &osce,
        ],
    );
    let filed = json_of(&out);
    assert_eq!(filed["line"]["retroactive"], true);
    assert_eq!(filed["line"]["vertices"], 5);
    // Version 2 from KML, valid from 1 April, filed the day before.
    let out = quiet(
        d,
        &[
            "lines",
            "import",
            "loc.kml",
            "--id",
            "loc",
            "--title",
            "Line of contact, 1 April",
            "--valid-from",
            "2025-04-01T00:00:00Z",
            "--time",
            "2025-03-31T12:00:00Z",
            "--as",
            "osce",
            "--key",
            &osce,
        ],
    );
    assert!(
        out.starts_with("filed line osce/loc at index ")
            && out.contains("contact, 3 vertices")
            && !out.contains("RETROACTIVE"),
        "{out}"
    );
    // A control area filed by ua.
    quiet(
        d,
        &[
            "lines",
            "import",
            "area.geojson",
            "--id",
            "ru-control",
            "--title",
            "Area under Russian control",
            "--kind",
            "control-area",
            "--controlled-by",
            "ru",
            "--valid-from",
            "2025-03-18T00:00:00Z",
            "--time",
            "2025-03-18T12:00:00Z",
            "--source",
            "illustrative",
            "--as",
            "ua",
            "--key",
            &key("ua"),
        ],
    );

    // The list: every version, the JSON stable but for the entry ids.
    let text = quiet(d, &["lines", "list"]);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4, "{text}");
    assert!(rows[0].starts_with("AUTHOR  ID"), "{text}");
    assert!(
        rows[1].starts_with("osce")
            && rows[1].contains("2025-02-28T22:00:00Z")
            && rows[1].contains("104 km")
            && rows[1].ends_with("RETROACTIVE"),
        "{text}"
    );
    assert!(
        rows[3].starts_with("ua") && rows[3].contains("km²"),
        "{text}"
    );
    let list = |d: &Path| {
        let mut v = json_of(&quiet(d, &["--json", "lines", "list"]));
        for x in v["versions"].as_array_mut().unwrap() {
            assert_eq!(x["entry_id"].as_str().unwrap().len(), 64);
            x["entry_id"] = json!("…");
        }
        v
    };
    let v = list(d);
    assert_eq!(v, list(d), "the same log lists the same");
    let first = &v["versions"][0];
    assert_eq!(
        first,
        &json!({
            "author": "osce", "id": "loc", "title": "Line of contact", "kind": "contact",
            "valid_from": "2025-02-28T22:00:00Z", "filed": "2025-03-18T12:00:00Z",
            "index": first["index"], "entry_id": "…", "retroactive": true, "vertices": 5,
            "length_km": first["length_km"], "area_km2": null, "controlled_by": null,
            "approximate_m": 2000, "source": "loc.geojson",
            "sectors": [
                {"id": "north", "name": "Northern stretch", "from_km": 0.0, "to_km": 50.0},
                {"id": "south", "name": "Southern stretch", "from_km": 50.3, "to_km": 86.0}
            ],
            "retracted": null, "corrections": [],
        })
    );
    // The geodesic length agrees with a haversine sum (on a sphere of the mean radius) to 0.5%.
    let km = first["length_km"].as_f64().unwrap();
    let hav = |a: [f64; 2], b: [f64; 2]| {
        let (p1, p2) = (a[1].to_radians(), b[1].to_radians());
        let (dp, dl) = (p2 - p1, (b[0] - a[0]).to_radians());
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * 6371.0088 * h.sqrt().asin()
    };
    let sphere = hav([37.5, 48.0], [37.8, 48.3])
        + hav([37.8, 48.3], [38.0, 48.5])
        + hav([37.0, 47.5], [37.4, 47.7]);
    assert!((km - sphere).abs() / sphere < 0.005, "{km} vs {sphere}");
    assert_eq!(v["versions"][1]["retroactive"], false);
    assert_eq!(v["versions"][2]["kind"], "control-area");
    assert_eq!(v["versions"][2]["controlled_by"], "ru");

    // The version in force before and after the second one's valid_from.
    let show = |at: &str| {
        json_of(&quiet(
            d,
            &["--json", "lines", "show", "osce/loc", "--at", at],
        ))
    };
    let before = show("2025-03-31T23:59:59Z");
    assert_eq!(before["geometry"]["type"], "MultiLineString");
    assert_eq!(before["title"], "Line of contact");
    let after = show("2025-04-01T00:00:00Z");
    assert_eq!(after["geometry"]["type"], "LineString");
    assert_eq!(after["geometry"]["coordinates"][2], json!([38.1, 48.6]));
    assert_eq!(show("2030-01-01T00:00:00Z"), after);
    let latest = json_of(&quiet(d, &["--json", "lines", "show", "osce/loc"]));
    assert_eq!(latest, after);
    let e = fails(
        truce(d).args(["lines", "show", "osce/loc", "--at", "2025-02-01T00:00:00Z"]),
        2,
    );
    assert!(
        e.contains("--at") && e.contains("its first version holds from 2025-02-28T22:00:00Z"),
        "{e}"
    );
    let feature = json_of(&quiet(
        d,
        &[
            "lines",
            "show",
            "osce/loc",
            "--at",
            "2025-03-05T00:00:00Z",
            "--geojson",
        ],
    ));
    assert_eq!(feature["type"], "Feature");
    assert_eq!(feature["id"], "osce/loc");
    assert_eq!(feature["properties"]["sectors"][1]["id"], "south");
    assert!(feature["properties"].get("geometry").is_none());
    let text = quiet(
        d,
        &["lines", "show", "osce/loc", "--at", "2025-03-05T00:00:00Z"],
    );
    assert!(
        text.starts_with("osce/loc: Line of contact\n")
            && text.contains("RETROACTIVE")
            && text.contains("Southern stretch"),
        "{text}"
    );
}

#[test]
fn refusals_name_the_flag_and_exit_2() {
    let t = setup();
    let d = t.path();
    let base = |file: &str, who: &str| {
        let mut a = import(&[
            file,
            "--id",
            "loc",
            "--title",
            "Line",
            "--valid-from",
            "2025-03-01T00:00:00Z",
            "--as",
            who,
        ]);
        a.push("--key".into());
        a.push(key(who));
        a
    };
    let refused = |args: Vec<String>, extra: &[&str], want: &[&str]| {
        let e = fails(truce(d).args(args).args(extra), 2);
        for w in want {
            assert!(e.contains(w), "{w}: {e}");
        }
    };
    // An open-data source may not file lines.
    refused(
        base("loc.geojson", "firms"),
        &[],
        &[
            "`firms` is a open-data",
            "`line`",
            "belligerent, monitor, mediator",
        ],
    );
    // The kind and the geometry disagree.
    refused(
        base("area.geojson", "ua"),
        &[],
        &["--kind contact", "holds a Polygon"],
    );
    refused(
        base("area.geojson", "ua"),
        &["--kind", "control-area"],
        &["--controlled-by is required"],
    );
    refused(
        base("area.geojson", "ua"),
        &["--kind", "control-area", "--controlled-by", "xx"],
        &["controlled_by `xx` is not a registered party"],
    );
    // Sectors beyond the line's end, or overlapping.
    std::fs::write(d.join("far.csv"), "id,name,from_km,to_km\na,A,0,500\n").unwrap();
    refused(
        base("loc.geojson", "osce"),
        &["--sectors", "far.csv"],
        &["--sectors far.csv", "beyond the line's end"],
    );
    std::fs::write(
        d.join("over.csv"),
        "id,name,from_km,to_km\na,A,0,20\nb,B,10,30\n",
    )
    .unwrap();
    refused(
        base("loc.geojson", "osce"),
        &["--sectors", "over.csv"],
        &["--sectors over.csv", "before sector a ends"],
    );
    std::fs::write(d.join("cols.csv"), "id,title,from,to\n").unwrap();
    refused(
        base("loc.geojson", "osce"),
        &["--sectors", "cols.csv"],
        &["--sectors cols.csv", "no name column"],
    );
    // Bad times and ids.
    let mut a = base("loc.geojson", "osce");
    let at = a.iter().position(|x| x == "--valid-from").unwrap();
    a[at + 1] = "1 March".into();
    refused(a, &[], &["--valid-from \"1 March\""]);
    let mut a = base("loc.geojson", "osce");
    let at = a.iter().position(|x| x == "--id").unwrap();
    a[at + 1] = "Loc!".into();
    refused(a, &[], &["--id \"Loc!\""]);
    // Files that hold no line.
    std::fs::write(
        d.join("pt.kml"),
        "<kml><Placemark><Point><coordinates>1,2</coordinates></Point></Placemark></kml>",
    )
    .unwrap();
    refused(
        base("pt.kml", "osce"),
        &[],
        &["pt.kml: line 1: a <Point> is not a line"],
    );
    std::fs::write(d.join("x.txt"), "lon,lat\n1,2\n").unwrap();
    refused(base("x.txt", "osce"), &[], &["x.txt: neither GeoJSON"]);
    refused(base("missing.geojson", "osce"), &[], &["missing.geojson"]);
    // More vertices than a version may hold (a longer line than one entry holds is filed in
    // parts: `tests/lines_parts_cli.rs`).
    let long: Vec<[f64; 2]> = (0..100_001)
        .map(|i| [30.0 + i as f64 * 0.0001, 48.0])
        .collect();
    std::fs::write(
        d.join("long.geojson"),
        json!({"type": "LineString", "coordinates": long}).to_string(),
    )
    .unwrap();
    refused(
        base("long.geojson", "osce"),
        &[],
        &[
            "long.geojson: line loc has 100001 positions; at most 100000",
            "simplify it",
        ],
    );
    // Nothing was filed.
    let v = json_of(&quiet(d, &["--json", "lines", "list"]));
    assert_eq!(v, json!({"versions": []}));
    let e = fails(truce(d).args(["lines", "show", "osce/loc"]), 2);
    assert!(e.contains("no line osce/loc in the log"), "{e}");
    let e = fails(truce(d).args(["lines", "show", "loc"]), 2);
    assert!(e.contains("write AUTHOR/ID"), "{e}");
}

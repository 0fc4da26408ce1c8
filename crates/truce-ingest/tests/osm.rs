//! Reads the synthetic OpenStreetMap extract `tests/data/osm/sites.osm.pbf` (dense and plain node
//! encodings) and checks every site and every refusal.

use std::fs::File;
use truce_ingest::osm::{read_sites, read_sites_from, OsmReport};
use truce_model::geo::{Geometry, Point};

fn path(name: &str) -> String {
    format!("{}/../../tests/data/osm/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str) -> OsmReport {
    read_sites(File::open(path(name)).expect("fixture")).expect("reads")
}

fn pt(g: &Geometry) -> (f64, f64) {
    match g {
        Geometry::Point(p) => (p.lon(), p.lat()),
        other => panic!("expected a point, got {other:?}"),
    }
}

fn ring(g: &Geometry) -> &[Point] {
    match g {
        Geometry::Polygon(p) => {
            assert_eq!(p.rings().len(), 1);
            &p.rings()[0]
        }
        other => panic!("expected a polygon, got {other:?}"),
    }
}

#[test]
fn reads_every_site_and_refusal() {
    let r = read("sites.osm.pbf");
    let got: Vec<_> = r
        .sites
        .iter()
        .map(|s| (s.id.as_str(), s.category.as_str(), s.name.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("osm-node-1", "energy.nuclear", "Synthetic Nuclear Plant"),
            (
                "osm-node-2",
                "energy.gas.metering",
                "energy.gas.metering (osm node 2)"
            ),
            (
                "osm-way-10",
                "energy.power.substation",
                "Підстанція Синтетична"
            ),
            (
                "osm-way-11",
                "energy.oil.storage",
                "energy.oil.storage (osm way 11)"
            ),
            ("osm-way-12", "energy.hydro.dam", "Synthetic Dam"),
            (
                "osm-relation-100",
                "energy.oil.refinery",
                "Synthetic Refinery"
            ),
        ]
    );
    assert_eq!(
        r.skipped,
        [
            ("node/3".to_string(), "small generator".to_string()),
            (
                "way/13".to_string(),
                "node 999 is missing from the extract".to_string()
            ),
        ]
    );
    let s = &r.sites;
    assert_eq!(s[0].source, "OpenStreetMap contributors (ODbL), node/1");
    assert_eq!(
        s[5].source,
        "OpenStreetMap contributors (ODbL), relation/100"
    );
    assert!(s.iter().all(|s| s.approximate_m.is_none()));

    let close = |(a, b): (f64, f64), (x, y): (f64, f64)| {
        assert!(
            (a - x).abs() < 1e-7 && (b - y).abs() < 1e-7,
            "{a},{b} != {x},{y}"
        )
    };
    close(pt(&s[0].geometry), (34.5863, 47.5119));
    close(pt(&s[1].geometry), (22.3012, 48.6043));
    close(pt(&s[4].geometry), (33.37, 46.778)); // the dam line's middle node

    let sub = ring(&s[2].geometry);
    assert_eq!(sub.len(), 5);
    assert_eq!(sub.first(), sub.last());
    close((sub[2].lon(), sub[2].lat()), (30.502, 50.4015));
    let tank = ring(&s[3].geometry);
    assert_eq!((tank.len(), tank.first() == tank.last()), (9, true));

    // Ways 20 (201-202-203) and 21 (201-204-203, reversed to join) make one ring.
    let refinery: Vec<_> = ring(&s[5].geometry)
        .iter()
        .map(|p| (p.lon(), p.lat()))
        .collect();
    let want = [
        (33.43, 49.1),
        (33.44, 49.1),
        (33.44, 49.106),
        (33.43, 49.106),
        (33.43, 49.1),
    ];
    assert_eq!(refinery.len(), want.len());
    for (g, w) in refinery.into_iter().zip(want) {
        close(g, w);
    }
}

#[test]
fn plain_nodes_and_reopened_streams_read_the_same() {
    let dense = read("sites.osm.pbf");
    assert_eq!(read("sites.nodense.osm.pbf"), dense);
    let mut opened = 0;
    let streamed = read_sites_from(|| {
        opened += 1;
        File::open(path("sites.osm.pbf"))
    })
    .expect("reads");
    assert_eq!((streamed, opened), (dense, 3));
    let e = read_sites_from(|| File::open(path("absent.osm.pbf"))).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("file: cannot read the OpenStreetMap PBF extract"),
        "{e}"
    );
}

/// Every hostile extract of `tests/bad/osm/` (found by the `osm_pbf` fuzz target) is refused with
/// the message in its `.expected` file, never a panic.
#[test]
fn hostile_extracts_are_refused_with_their_message() {
    let dir = format!("{}/../../tests/bad/osm", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".pbf") {
            continue;
        }
        let stem = name.split('.').next().unwrap();
        let expected = std::fs::read_to_string(format!("{dir}/{stem}.expected")).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let err = read_sites(bytes.as_slice()).expect_err(&name);
        assert!(
            err.to_string().contains(expected.trim_end()),
            "{name}: {err}"
        );
        seen += 1;
    }
    assert!(seen > 0, "no hostile extracts in {dir}");
}

//! The map's aggregation (`/v1/map/cells`, `/v1/map/days`) over `app(state)`, on the query
//! scenario grown with 2,400 scattered allegations and 600 sensor detections: for random boxes,
//! zooms and filters, the cells add up to `total`, which is what `/v1/incidents` counts with the
//! same filters (and, for outcomes, what the findings say); each point lies in exactly one cell,
//! the cell holding it; cells lie in the box; features come iff `total` ≤ the threshold; answers
//! stay under the stated size; a box of too many cells, an unknown parameter or a filter of the
//! other layer is a 400 naming it.

mod common;

use axum::http::StatusCode;
use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use truce_model::entry::{sign, Body as EntryBody};
use truce_model::{Id, Kind, Time};
use truce_server::map::{MAX_CELLS, MAX_RESPONSE_BYTES, THRESHOLD};
use truce_store::Sequencer;

const ACTS: [&str; 6] = [
    "strike",
    "drone-strike",
    "missile-strike",
    "shelling",
    "sabotage",
    "ground-assault",
];

/// A small deterministic generator (the log must be the same in every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 31) as f64
    }
}

/// The query scenario, then 2,500 allegations by ua and ru scattered over Ukraine and 30 days
/// (some on the scenario's protected sites, some on tile edges) and 2,500 FIRMS detections (one
/// in 50 at a flare, a persistent hot spot: routine).
fn grown() -> Scenario {
    let sc = scenario();
    off_runtime(|| grow(&sc));
    sc
}

fn grow(sc: &Scenario) {
    let d = sc.dir.path();
    let key = truce_store::keyfile::read(&d.join("log.key")).unwrap();
    let storage = writable_storage(d);
    let mut seq = Sequencer::open(storage, key.trim()).unwrap();
    let mut rng = Lcg(7);
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let t0 = Time::parse("2025-03-18T00:00:00Z").unwrap();
    for k in 0..5000u32 {
        let (author, blamed) = match k % 4 {
            1 => ("ua", Some("ru")),
            3 => ("ru", Some("ua")),
            _ => ("firms", None),
        };
        let (lon, lat) = match (blamed.is_some(), k % 97, k % 100) {
            // On the Sudzha metering station (a protected site: breaches).
            (true, 1 | 3, _) => (35.27, 51.19),
            // On tile edges at several zooms.
            (true, 5 | 7, _) => (33.75, 48.0),
            // A gas flare, detected again and again.
            (false, _, 0 | 50) => (37.512, 47.093),
            _ => (22.0 + rng.unit() * 19.0, 44.0 + rng.unit() * 9.0),
        };
        let start =
            Time(t0.0 + jiff::SignedDuration::from_secs((rng.unit() * 30.0 * 86400.0) as i64));
        let filed = Time(start.0 + jiff::SignedDuration::from_hours(2));
        let mut report = json!({
            "id": format!("r-{k}"),
            "time": {"start": start.to_string()},
            "location": {"point": [lon, lat], "uncertainty_m": 500},
            "act": if blamed.is_some() { ACTS[(rng.next() % 6) as usize] } else { "fire-observed" },
        });
        if let Some(b) = blamed {
            report["alleged_perpetrator"] = json!(b);
            if lon == 35.27 {
                report["target_category"] = json!("energy.gas.metering");
            }
        }
        let body = EntryBody::parse(Kind::Report, report).unwrap();
        let signer = truce_log::parse_signer(&sc.keys[author].signer).unwrap();
        batch.push(
            sign(&Id::new(author).unwrap(), filed, &body, &signer)
                .unwrap()
                .bytes,
        );
        if batch.len() == 500 {
            let refs: Vec<&[u8]> = batch.iter().map(|e| e.as_slice()).collect();
            seq.append(&refs).unwrap();
            batch.clear();
        }
    }
    if !batch.is_empty() {
        let refs: Vec<&[u8]> = batch.iter().map(|e| e.as_slice()).collect();
        seq.append(&refs).unwrap();
    }
}

// ── an independent reading of the answers ──

fn tile(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor().clamp(0.0, n - 1.0) as u32;
    let l = lat
        .clamp(-85.051_128_779_806_59, 85.051_128_779_806_59)
        .to_radians();
    let y = ((1.0 - l.tan().asinh() / std::f64::consts::PI) / 2.0 * n)
        .floor()
        .clamp(0.0, n - 1.0) as u32;
    (x, y)
}

fn cells_covered(b: [f64; 4], z: u32) -> u64 {
    let (x0, y0) = tile(b[0], b[3], z);
    let (x1, y1) = tile(b[2], b[1], z);
    u64::from(x1 - x0 + 1) * u64::from(y1 - y0 + 1)
}

/// Every incident (list form) and every finding, read through the API.
struct World {
    incidents: Vec<Value>,
    /// Every background detection.
    background: Vec<Value>,
    /// (agreement, reading, incident) → finding.
    findings: BTreeMap<(String, String, String), Value>,
}

async fn all(router: &axum::Router, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = get(
            router,
            &format!("{path}{sep}limit=1000&offset={}", out.len()),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        let v = r.json();
        let items = v["items"].as_array().unwrap().clone();
        let total = v["total"].as_u64().unwrap() as usize;
        out.extend(items);
        if out.len() >= total {
            return out;
        }
    }
}

async fn world(router: &axum::Router) -> World {
    let incidents = all(router, "/v1/incidents").await;
    let findings = all(router, "/v1/findings")
        .await
        .into_iter()
        .map(|f| {
            (
                (
                    f["agreement"].as_str().unwrap().to_string(),
                    f["reading"].as_str().unwrap().to_string(),
                    f["incident"].as_str().unwrap().to_string(),
                ),
                f,
            )
        })
        .collect();
    let background = all(router, "/v1/background").await;
    World {
        incidents,
        background,
        findings,
    }
}

/// A random request.
#[derive(Debug, Clone)]
struct Req {
    bbox: [f64; 4],
    zoom: f64,
    from: Option<String>,
    to: Option<String>,
    party: Option<&'static str>,
    occurrence: Option<&'static str>,
    kind: Option<&'static str>,
    reading: Option<&'static str>,
    outcome: Option<&'static str>,
}

impl Req {
    fn query(&self) -> String {
        let mut q = vec![format!(
            "bbox={},{},{},{}",
            self.bbox[0], self.bbox[1], self.bbox[2], self.bbox[3]
        )];
        let enc = |s: &str| {
            s.replace('+', "%2B")
                .replace(' ', "%20")
                .replace(':', "%3A")
        };
        for (k, v) in [
            ("from", self.from.as_deref()),
            ("to", self.to.as_deref()),
            ("party", self.party),
            ("occurrence", self.occurrence),
            ("kind", self.kind),
            ("reading", self.reading),
            ("outcome", self.outcome),
        ] {
            if let Some(v) = v {
                q.push(format!("{k}={}", enc(v)));
            }
        }
        if self.reading.is_some() {
            q.push(format!("agreement={AGREEMENT}"));
        }
        q.join("&")
    }

    /// The same filters for `/v1/incidents` (no outcome: it has none).
    fn incidents_query(&self) -> String {
        let r = Req {
            reading: None,
            outcome: None,
            ..self.clone()
        };
        r.query()
    }

    /// Whether the request keeps an incident (the test's own reading of the filters).
    fn keeps(&self, i: &Value, w: &World) -> bool {
        let [lon, lat] = [
            i["point"][0].as_f64().unwrap(),
            i["point"][1].as_f64().unwrap(),
        ];
        let b = self.bbox;
        if !(lon >= b[0] && lat >= b[1] && lon <= b[2] && lat <= b[3]) {
            return false;
        }
        let start = Time::parse(i["start"].as_str().unwrap()).unwrap();
        if self.from.as_ref().is_some_and(|f| {
            if f.len() == 10 {
                i["day"].as_str().unwrap() < f.as_str()
            } else {
                start < Time::parse(f).unwrap()
            }
        }) {
            return false;
        }
        if self.to.as_ref().is_some_and(|t| {
            if t.len() == 10 {
                i["day"].as_str().unwrap() > t.as_str()
            } else {
                start > Time::parse(t).unwrap()
            }
        }) {
            return false;
        }
        if let Some(p) = self.party {
            if !i["alleged"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["party"] == p)
            {
                return false;
            }
        }
        if self.occurrence.is_some_and(|g| i["occurrence"] != g) {
            return false;
        }
        if let Some(k) = self.kind {
            let acts: Vec<&str> = i["acts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            let strike = ["drone-strike", "missile-strike", "shelling"];
            if !acts
                .iter()
                .any(|a| *a == k || (k == "strike" && strike.contains(a)))
            {
                return false;
            }
        }
        if let (Some(r), Some(o)) = (self.reading, self.outcome) {
            let f = w.findings.get(&(
                AGREEMENT.to_string(),
                r.to_string(),
                i["id"].as_str().unwrap().to_string(),
            ));
            let words = f.map(|f| f["words"].as_str().unwrap().to_string());
            let outcome = f.map(|f| f["outcome"].as_str().unwrap().to_string());
            let ok = match o {
                "none" => f.is_none(),
                o if o.contains(' ') || o == "undetermined" => words.as_deref() == Some(o),
                o => outcome.as_deref() == Some(o),
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

fn req() -> impl Strategy<Value = Req> {
    let lon = 20.0f64..43.0;
    let lat = 42.0f64..55.0;
    let day = (18u32..=48).prop_map(|d| {
        let t = Time::parse("2025-03-01T00:00:00Z").unwrap();
        Time(t.0 + jiff::SignedDuration::from_hours(24 * i64::from(d - 1))).to_string()[..10]
            .to_string()
    });
    let instant = (0i64..30 * 86400).prop_map(|s| {
        let t = Time::parse("2025-03-18T00:00:00Z").unwrap();
        let t = Time(t.0 + jiff::SignedDuration::from_secs(s));
        // Some with an offset, as a client may write them.
        if s % 2 == 0 {
            t.to_string()
        } else {
            t.0.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(3)))
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        }
    });
    let bound = prop_oneof![
        2 => Just(None),
        1 => day.prop_map(Some),
        1 => instant.prop_map(Some),
    ];
    (
        (lon.clone(), lon, lat.clone(), lat),
        prop_oneof![
            1 => Just(None),
            4 => (2.0f64..8.0).prop_map(Some),
            1 => (0.0f64..22.0).prop_map(Some),
        ],
        (bound.clone(), bound),
        (
            prop::option::weighted(
                0.3,
                prop::sample::select(vec!["ru", "ua", "ua", "ru", "monitor"]),
            ),
            prop::option::weighted(
                0.3,
                prop::sample::select(vec!["reported", "reported", "corroborated", "verified"]),
            ),
            prop::option::weighted(
                0.3,
                prop::sample::select(vec!["strike", "shelling", "sabotage", "drone-strike"]),
            ),
        ),
        (
            prop::option::weighted(0.6, prop::sample::select(vec!["ru", "ua"])),
            prop::option::weighted(
                0.4,
                prop::sample::select(vec![
                    "breach",
                    "out_of_scope",
                    "out_of_scope",
                    "out of scope",
                    "no_breach",
                    "undetermined",
                    "alleged breach",
                    "corroborated breach",
                    "out of scope",
                    "none",
                ]),
            ),
        ),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(
                (x0, x1, y0, y1),
                zoom,
                (from, to),
                (party, occurrence, kind),
                (reading, outcome),
                world,
            )| {
                let bbox = if world {
                    [-180.0, -90.0, 180.0, 90.0]
                } else {
                    [x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)]
                };
                // `from` after `to` is refused: keep them in order.
                let (from, to) = match (from, to) {
                    (Some(a), Some(b)) if a[..10] > b[..10] => (Some(b), Some(a)),
                    x => x,
                };
                Req {
                    bbox,
                    zoom: zoom.unwrap_or(if world { 0.0 } else { 6.0 }),
                    from,
                    to,
                    party,
                    occurrence,
                    kind,
                    outcome: reading.and(outcome),
                    reading,
                }
            },
        )
}

struct Fixture {
    _sc: Scenario,
    router: axum::Router,
    world: World,
    rt: tokio::runtime::Runtime,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sc = grown();
        let (_, router) = open(&sc);
        let world = rt.block_on(world(&router));
        Fixture {
            _sc: sc,
            router,
            world,
            rt,
        }
    })
}

/// Checks one request against the world; returns its `total`.
async fn check(f: &Fixture, r: &Req) -> Option<u64> {
    let zoom = r.zoom.floor() as u32;
    let cz = (zoom + 3).min(20);
    let uri = format!("/v1/map/cells?{}&zoom={}", r.query(), r.zoom);
    let resp = get(&f.router, &uri, None).await;
    let covered = cells_covered(r.bbox, cz);
    if covered > MAX_CELLS {
        assert_eq!(resp.status, StatusCode::BAD_REQUEST, "{uri}: {}", resp.body);
        assert_eq!(resp.json()["error"]["field"], "bbox");
        return None;
    }
    if let (Some(a), Some(b)) = (&r.from, &r.to) {
        // As the server reads them: two instants compared, else their UTC days.
        let day = |x: &str| {
            if x.len() == 10 {
                x.to_string()
            } else {
                Time::parse(x).unwrap().date().to_string()
            }
        };
        let inverted = if a.len() > 10 && b.len() > 10 {
            Time::parse(a).unwrap() > Time::parse(b).unwrap()
        } else {
            day(a) > day(b)
        };
        if inverted {
            assert_eq!(resp.status, StatusCode::BAD_REQUEST, "{uri}: {}", resp.body);
            assert_eq!(resp.json()["error"]["field"], "to");
            return None;
        }
    }
    assert_eq!(resp.status, StatusCode::OK, "{uri}: {}", resp.body);
    assert!(resp.body.len() <= MAX_RESPONSE_BYTES);
    let v = resp.json();
    assert_eq!(v["cell_zoom"], cz);
    assert_eq!(v["zoom"], zoom);
    assert_eq!(v["threshold"], THRESHOLD);
    let total = v["total"].as_u64().unwrap();
    let cells = v["cells"].as_array().unwrap();
    // The cells add up to the total, and each lies in the box.
    let mut sum = 0;
    let b = r.bbox;
    let eps = 1e-6;
    let mut keys = BTreeMap::new();
    for c in cells {
        let n = c["count"].as_u64().unwrap();
        assert!(n > 0);
        sum += n;
        let cb: Vec<f64> = c["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let lon_b = [b[0], b[2]];
        let lat_b = [b[1].max(-85.06), b[3].min(85.06)];
        assert!(
            cb[0] <= lon_b[1] + eps
                && cb[2] >= lon_b[0] - eps
                && cb[1] <= lat_b[1] + eps
                && cb[3] >= lat_b[0] - eps,
            "cell {c} outside the box {b:?}"
        );
        let [cx, cy] = [
            c["center"][0].as_f64().unwrap(),
            c["center"][1].as_f64().unwrap(),
        ];
        assert!(
            cx >= b[0] - eps && cx <= b[2] + eps && cy >= b[1] - eps && cy <= b[3] + eps,
            "center of {c} outside the box {b:?}"
        );
        assert!(cx >= cb[0] - eps && cx <= cb[2] + eps && cy >= cb[1] - eps && cy <= cb[3] + eps);
        let by_grade: u64 = c["by_grade"]
            .as_object()
            .unwrap()
            .values()
            .map(|x| x.as_u64().unwrap())
            .sum();
        assert_eq!(by_grade, n, "{c}");
        let by_outcome: u64 = c["by_outcome"]
            .as_object()
            .unwrap()
            .values()
            .map(|x| x.as_u64().unwrap())
            .sum();
        assert_eq!(by_outcome, if r.reading.is_some() { n } else { 0 }, "{c}");
        assert!(keys
            .insert(c["key"].as_str().unwrap().to_string(), n)
            .is_none());
    }
    assert_eq!(sum, total, "{uri}");
    // The total is what /v1/incidents counts with the same filters (when it has them all)...
    if r.outcome.is_none() {
        let i = get(
            &f.router,
            &format!("/v1/incidents?{}&limit=0", r.incidents_query()),
            None,
        )
        .await;
        assert_eq!(i.status, StatusCode::OK, "{}", i.body);
        assert_eq!(i.json()["total"].as_u64().unwrap(), total, "{uri}");
    }
    // ... and what the test's own reading of the filters keeps.
    let expected: BTreeSet<&str> = f
        .world
        .incidents
        .iter()
        .filter(|i| r.keeps(i, &f.world))
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(expected.len() as u64, total, "{uri}");
    // Features iff few enough: each in the one cell that holds it.
    if total as usize <= THRESHOLD {
        let feats = v["features"]["features"].as_array().unwrap();
        assert_eq!(feats.len() as u64, total);
        let ids: BTreeSet<&str> = feats
            .iter()
            .map(|x| x["properties"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, expected, "{uri}");
        let mut per_cell: BTreeMap<String, u64> = BTreeMap::new();
        for x in feats {
            let [lon, lat] = [
                x["geometry"]["coordinates"][0].as_f64().unwrap(),
                x["geometry"]["coordinates"][1].as_f64().unwrap(),
            ];
            let (tx, ty) = tile(lon, lat, cz);
            *per_cell.entry(format!("{cz}/{tx}/{ty}")).or_default() += 1;
            let p = &x["properties"];
            if r.reading.is_some() {
                assert!(p["outcome"].is_string(), "{p}");
            } else {
                assert!(p["outcome"].is_null());
            }
        }
        assert_eq!(per_cell, keys, "{uri}");
    } else {
        assert!(v["features"].is_null());
    }
    // The timeline counts the same points.
    let d = get(&f.router, &format!("/v1/map/days?{}", r.query()), None).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let d = d.json();
    assert_eq!(d["total"].as_u64().unwrap(), total);
    let days: u64 = d["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["count"].as_u64().unwrap())
        .sum();
    assert_eq!(days, total);
    Some(total)
}

/// A random request for the background layer.
#[derive(Debug, Clone)]
struct BgReq {
    bbox: [f64; 4],
    zoom: f64,
    from: Option<String>,
    to: Option<String>,
    source: Option<&'static str>,
    routine: Option<bool>,
}

impl BgReq {
    fn filters(&self) -> String {
        let r = Req {
            bbox: self.bbox,
            zoom: self.zoom,
            from: self.from.clone(),
            to: self.to.clone(),
            party: None,
            occurrence: None,
            kind: None,
            reading: None,
            outcome: None,
        };
        let mut q = r.query();
        if let Some(s) = self.source {
            q.push_str(&format!("&source={s}"));
        }
        if let Some(x) = self.routine {
            q.push_str(&format!("&routine={x}"));
        }
        q
    }

    fn keeps(&self, d: &Value) -> bool {
        let r = Req {
            bbox: self.bbox,
            zoom: self.zoom,
            from: self.from.clone(),
            to: self.to.clone(),
            party: None,
            occurrence: None,
            kind: None,
            reading: None,
            outcome: None,
        };
        // A detection has the fields the time and box filters read, as an incident has.
        let as_incident = json!({
            "point": d["point"], "start": d["start"], "day": d["day"],
            "alleged": [], "acts": [d["act"]], "occurrence": "reported", "id": d["id"],
        });
        r.keeps(
            &as_incident,
            &World {
                incidents: vec![],
                background: vec![],
                findings: BTreeMap::new(),
            },
        ) && self.source.is_none_or(|s| d["author"] == s)
            && self.routine.is_none_or(|x| d["routine"].is_string() == x)
    }
}

fn bg_req() -> impl Strategy<Value = BgReq> {
    (
        req(),
        prop::option::weighted(
            0.4,
            prop::sample::select(vec!["firms", "firms", "ua", "nobody"]),
        ),
        prop::option::weighted(0.4, any::<bool>()),
    )
        .prop_map(|(r, source, routine)| BgReq {
            bbox: r.bbox,
            zoom: r.zoom,
            from: r.from,
            to: r.to,
            source,
            routine,
        })
}

/// Checks one request of the background layer; returns its `total`.
async fn check_background(f: &Fixture, r: &BgReq) -> Option<u64> {
    let zoom = r.zoom.floor() as u32;
    let cz = (zoom + 3).min(20);
    let uri = format!(
        "/v1/map/cells?layer=background&{}&zoom={}",
        r.filters(),
        r.zoom
    );
    let resp = get(&f.router, &uri, None).await;
    if cells_covered(r.bbox, cz) > MAX_CELLS {
        assert_eq!(resp.status, StatusCode::BAD_REQUEST, "{uri}: {}", resp.body);
        return None;
    }
    if resp.status == StatusCode::BAD_REQUEST && resp.json()["error"]["field"] == "to" {
        return None;
    }
    assert_eq!(resp.status, StatusCode::OK, "{uri}: {}", resp.body);
    assert!(resp.body.len() <= MAX_RESPONSE_BYTES);
    let v = resp.json();
    assert_eq!(v["layer"], "background");
    let total = v["total"].as_u64().unwrap();
    let mut keys = BTreeMap::new();
    let mut sum = 0;
    for c in v["cells"].as_array().unwrap() {
        let n = c["count"].as_u64().unwrap();
        sum += n;
        assert_eq!(c["by_grade"], json!({}));
        assert!(c["routine"].as_u64().unwrap() <= n);
        keys.insert(c["key"].as_str().unwrap().to_string(), n);
    }
    assert_eq!(sum, total, "{uri}");
    // What /v1/background/count counts with the same filters.
    let count = get(
        &f.router,
        &format!("/v1/background/count?{}", r.filters()),
        None,
    )
    .await;
    assert_eq!(count.status, StatusCode::OK, "{}", count.body);
    let count = count.json();
    assert_eq!(count["count"].as_u64().unwrap(), total, "{uri}");
    let expected: BTreeMap<&str, &Value> = f
        .world
        .background
        .iter()
        .filter(|d| r.keeps(d))
        .map(|d| (d["entry_id"].as_str().unwrap(), d))
        .collect();
    assert_eq!(expected.len() as u64, total, "{uri}");
    if total as usize <= THRESHOLD {
        let feats = v["features"]["features"].as_array().unwrap();
        let mut per_cell: BTreeMap<String, u64> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for x in feats {
            let p = &x["properties"];
            let d = expected[p["entry_id"].as_str().unwrap()];
            for k in ["author", "id", "start", "day"] {
                assert_eq!(p[k], d[k], "{k}");
            }
            assert_eq!(
                p["routine"],
                d.get("routine").cloned().unwrap_or(Value::Null)
            );
            assert_eq!(x["geometry"]["coordinates"], d["point"]);
            let (tx, ty) = tile(
                d["point"][0].as_f64().unwrap(),
                d["point"][1].as_f64().unwrap(),
                cz,
            );
            *per_cell.entry(format!("{cz}/{tx}/{ty}")).or_default() += 1;
            seen.insert(p["entry_id"].as_str().unwrap());
        }
        assert_eq!(seen.len() as u64, total);
        assert_eq!(per_cell, keys);
    } else {
        assert!(v["features"].is_null());
    }
    // The timeline is /v1/background/count's days.
    let d = get(
        &f.router,
        &format!("/v1/map/days?layer=background&{}", r.filters()),
        None,
    )
    .await
    .json();
    let days: BTreeMap<String, Value> = d["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["day"].as_str().unwrap().to_string(), x["count"].clone()))
        .collect();
    let by_day: BTreeMap<String, Value> = count["by_day"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(days, by_day, "{uri}");
    assert_eq!(d["total"].as_u64().unwrap(), total);
    Some(total)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn cells_add_up_to_the_incidents_the_filters_keep(r in req()) {
        let f = fixture();
        f.rt.block_on(check(f, &r));
    }

    #[test]
    fn cells_add_up_to_the_background_the_filters_keep(r in bg_req()) {
        let f = fixture();
        f.rt.block_on(check_background(f, &r));
    }
}

#[test]
fn features_come_only_under_the_threshold() {
    let f = fixture();
    assert!(
        f.world.incidents.len() > THRESHOLD,
        "the fixture needs more than {THRESHOLD} incidents: {}",
        f.world.incidents.len()
    );
    f.rt.block_on(async {
        let all = Req {
            bbox: [-180.0, -90.0, 180.0, 90.0],
            zoom: 2.5,
            from: None,
            to: None,
            party: None,
            occurrence: None,
            kind: None,
            reading: None,
            outcome: None,
        };
        let total = check(f, &all).await.unwrap();
        assert_eq!(total as usize, f.world.incidents.len());
        // A small box: features, with the outcome under the reading.
        let small = Req {
            bbox: [35.0, 51.0, 35.5, 51.5],
            zoom: 9.0,
            reading: Some("ru"),
            ..all.clone()
        };
        let n = check(f, &small).await.unwrap();
        assert!(n > 0 && (n as usize) <= THRESHOLD);
        let v = get(
            &f.router,
            &format!("/v1/map/cells?{}&zoom=9", small.query()),
            None,
        )
        .await
        .json();
        let breach = v["features"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["properties"]["outcome"] == "breach")
            .expect("a breach at Sudzha under ru's reading");
        let p = &breach["properties"];
        for k in [
            "id",
            "start",
            "end",
            "day",
            "occurrence",
            "standing",
            "words",
        ] {
            assert!(p[k].is_string(), "{k}: {p}");
        }
        for k in ["routine", "disputed"] {
            assert!(p[k].is_boolean(), "{k}: {p}");
        }
        assert!(
            p["parties"].as_array().unwrap().contains(&json!("ru"))
                || p["parties"].as_array().unwrap().contains(&json!("ua"))
        );
        assert!(!p["acts"].as_array().unwrap().is_empty());
        // The same incident, as /v1/incidents has it.
        let i = f
            .world
            .incidents
            .iter()
            .find(|i| i["id"] == p["id"])
            .unwrap();
        for k in [
            "start",
            "end",
            "day",
            "occurrence",
            "routine",
            "disputed",
            "acts",
        ] {
            assert_eq!(p[k], i[k], "{k}");
        }
        assert_eq!(breach["geometry"]["coordinates"], i["point"]);
        let c = &v["cells"][0];
        assert!(c["by_outcome"].as_object().is_some());
    });
}

#[test]
fn background_features_come_only_under_the_threshold() {
    let f = fixture();
    let n = f.world.background.len();
    assert!(
        n > THRESHOLD,
        "the fixture needs more than {THRESHOLD} detections: {n}"
    );
    assert!(f.world.background.iter().any(|d| d["routine"].is_string()));
    f.rt.block_on(async {
        let world = BgReq {
            bbox: [-180.0, -90.0, 180.0, 90.0],
            zoom: 0.0,
            from: None,
            to: None,
            source: None,
            routine: None,
        };
        assert_eq!(check_background(f, &world).await, Some(n as u64));
        let firms = BgReq {
            source: Some("firms"),
            routine: Some(true),
            ..world.clone()
        };
        let routine = check_background(f, &firms).await.unwrap();
        assert!(routine > 0 && (routine as usize) < THRESHOLD);
    });
}

#[test]
fn bad_requests_name_the_parameter() {
    let f = fixture();
    f.rt.block_on(async {
        for (uri, field) in [
            ("/v1/map/cells?bbox=-180,-90,180,90&zoom=6", "bbox"),
            ("/v1/map/cells?bbox=20,40,45,56&zoom=12", "bbox"),
            ("/v1/map/cells?zoom=23", "zoom"),
            ("/v1/map/cells?zoom=-1", "zoom"),
            ("/v1/map/cells?zoom=nan", "zoom"),
            ("/v1/map/cells?bbox=1,2,3", "bbox"),
            ("/v1/map/cells?colour=red", "colour"),
            ("/v1/map/days?zoom=3", "zoom"),
            ("/v1/map/cells?layer=sites", "layer"),
            ("/v1/map/cells?layer=background&party=ru", "party"),
            ("/v1/map/cells?layer=incidents&source=firms", "source"),
            ("/v1/map/cells?layer=background&routine=maybe", "routine"),
            ("/v1/map/cells?outcome=breach", "outcome"),
            (
                &format!("/v1/map/cells?agreement={AGREEMENT}&reading=ru&outcome=sort-of"),
                "outcome",
            ),
            (&format!("/v1/map/cells?agreement={AGREEMENT}"), "reading"),
            ("/v1/map/cells?reading=ru", "agreement"),
            ("/v1/map/cells?party=nobody", "party"),
            ("/v1/map/cells?occurrence=rumoured", "occurrence"),
            ("/v1/map/cells?kind=arson", "kind"),
            ("/v1/map/cells?from=2025-04-01&to=2025-03-01", "to"),
            ("/v1/map/days?as_of=999999999", "as_of"),
        ] {
            let r = get(&f.router, uri, None).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
            assert_eq!(r.json()["error"]["field"], field, "{uri}: {}", r.body);
        }
        // The whole world at zoom 3 is 64 × 64 cells: 4,096, the most allowed.
        let r = get(&f.router, "/v1/map/cells?zoom=3", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = get(&f.router, "/v1/map/cells?zoom=4", None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    });
}

#[test]
fn as_of_answers_as_known_then() {
    let f = fixture();
    f.rt.block_on(async {
        let now = get(&f.router, "/v1/map/cells", None).await.json();
        let size = now["log_size"].as_u64().unwrap();
        let earlier = size - 1000;
        let then = get(&f.router, &format!("/v1/map/cells?as_of={earlier}"), None).await;
        assert_eq!(then.status, StatusCode::OK, "{}", then.body);
        let then = then.json();
        assert_eq!(then["log_size"], earlier);
        let listed = get(
            &f.router,
            &format!("/v1/incidents?as_of={earlier}&limit=0"),
            None,
        )
        .await
        .json();
        assert_eq!(then["total"], listed["total"]);
        assert!(then["total"].as_u64() < now["total"].as_u64());
        let days = get(&f.router, &format!("/v1/map/days?as_of={earlier}"), None)
            .await
            .json();
        assert_eq!(days["total"], listed["total"]);
        assert_eq!(days["log_size"], earlier);
    });
}

//! End-to-end checks of the simulator's outputs: determinism, exact row counts, formats that
//! parse as the real sources do, ACLED re-issues, allegations that deserialise into the model's
//! `Report`, hot spots that recur, strike fires near struck sites, and streaming at volume.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use truce_model::domain::{Id, Report};
use truce_model::taxonomy::Category;
use truce_sim::geo::distance_m;
use truce_sim::{
    write_acled, write_allegations, write_firms, write_sites_csv, Params, Side, World,
    ACLED_COLUMNS, FIRMS_HEADER,
};

fn params(seed: u64) -> Params {
    Params {
        seed,
        start: (2025, 3, 18),
        days: 10,
        sites: 300,
        hotspots: 8,
        strikes_per_day: 6,
    }
}

fn world(seed: u64) -> World {
    World::new(&params(seed)).unwrap()
}

fn firms(w: &World, rows: u64) -> Vec<u8> {
    let mut v = Vec::new();
    assert_eq!(write_firms(w, rows, &mut v).unwrap(), rows);
    v
}
fn acled(w: &World, rows: u64) -> Vec<u8> {
    let mut v = Vec::new();
    assert_eq!(write_acled(w, rows, &mut v).unwrap(), rows);
    v
}
fn allegations(w: &World, rows: u64) -> Vec<u8> {
    let mut v = Vec::new();
    assert_eq!(
        write_allegations(w, "ua", "ru", rows, &mut v).unwrap(),
        rows
    );
    v
}
fn sites(w: &World) -> Vec<u8> {
    let mut v = Vec::new();
    assert_eq!(write_sites_csv(w, &mut v).unwrap(), w.sites().len() as u64);
    v
}

fn lines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

fn records(b: &[u8]) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(b)
        .records()
        .map(Result::unwrap)
        .collect()
}

/// A writer that only counts bytes and lines.
#[derive(Default)]
struct Counting {
    bytes: u64,
    lines: u64,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len() as u64;
        self.lines += buf.iter().filter(|&&c| c == b'\n').count() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_different_ones() {
    let (a, b, c) = (world(42), world(42), world(43));
    type Gen = fn(&World) -> Vec<u8>;
    let gens: [(&str, Gen); 4] = [
        ("firms", |w| firms(w, 5_000)),
        ("acled", |w| acled(w, 2_000)),
        ("allegations", |w| allegations(w, 1_000)),
        ("sites", sites),
    ];
    for (name, g) in gens {
        let (x, y, z) = (g(&a), g(&b), g(&c));
        assert!(x.len() > 1_000, "{name}");
        assert_eq!(x, y, "{name}: same seed, same bytes");
        assert_ne!(x, z, "{name}: another seed, other bytes");
    }
}

#[test]
fn row_counts_are_exact() {
    let w = world(5);
    for rows in [0u64, 1, 7, 9, 11, 999, 4_321] {
        assert_eq!(lines(&firms(&w, rows)), rows as usize + 1, "firms {rows}");
        assert_eq!(
            records(&acled(&w, rows)).len(),
            rows as usize + 1,
            "acled {rows}"
        );
        assert_eq!(
            lines(&allegations(&w, rows)),
            rows as usize,
            "allegations {rows}"
        );
    }
    assert_eq!(records(&sites(&w)).len(), 301);
}

fn parse_hhmm(t: &str) -> (u32, u32) {
    assert!(
        (1..=4).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()),
        "acq_time {t:?}"
    );
    let v: u32 = t.parse().unwrap();
    let (h, m) = (v / 100, v % 100);
    assert!(h < 24 && m < 60, "acq_time {t:?}");
    (h, m)
}

#[test]
fn every_firms_row_parses_like_the_area_api() {
    let w = world(9);
    let out = firms(&w, 20_000);
    let recs = records(&out);
    assert_eq!(recs[0].iter().collect::<Vec<_>>().join(","), FIRMS_HEADER);
    let dates: BTreeSet<String> = (0..10).map(|d| w.date(d)).collect();
    let mut times = BTreeSet::new();
    let mut conf = BTreeSet::new();
    let mut sats = BTreeSet::new();
    for r in &recs[1..] {
        assert_eq!(r.len(), 14, "{r:?}");
        let f = |i: usize| {
            r[i].parse::<f64>()
                .unwrap_or_else(|_| panic!("field {i} of {r:?}"))
        };
        assert!((44.0..=53.0).contains(&f(0)), "{r:?}");
        assert!((22.0..=41.0).contains(&f(1)), "{r:?}");
        assert!((290.0..=367.0).contains(&f(2)), "{r:?}");
        assert!(
            (0.32..=0.8).contains(&f(3)) && (0.32..=0.8).contains(&f(4)),
            "{r:?}"
        );
        assert!(dates.contains(&r[5]), "{r:?}");
        let (h, _) = parse_hhmm(&r[6]);
        times.insert(r[6].len());
        sats.insert(r[7].to_string());
        assert_eq!(&r[8], "VIIRS");
        conf.insert(r[9].to_string());
        assert_eq!(&r[10], "2.0NRT");
        assert!(f(11) > 250.0 && f(11) < f(2), "{r:?}");
        assert!(f(12) > 0.0, "{r:?}");
        assert_eq!(&r[13], if h >= 9 { "D" } else { "N" }, "{r:?}");
    }
    assert_eq!(
        times,
        BTreeSet::from([1, 2, 3, 4]),
        "acq_time of every width, unpadded"
    );
    assert_eq!(
        sats,
        BTreeSet::from(["N".into(), "N20".into(), "N21".into()])
    );
    assert_eq!(conf, BTreeSet::from(["l".into(), "n".into(), "h".into()]));
}

#[test]
fn hot_spots_recur_every_day_at_identical_positions() {
    let w = world(11);
    let out = firms(&w, 20_000);
    let mut days_at: HashMap<(String, String), BTreeSet<String>> = HashMap::new();
    for r in &records(&out)[1..] {
        days_at
            .entry((r[0].to_string(), r[1].to_string()))
            .or_default()
            .insert(r[5].to_string());
    }
    assert_eq!(w.hotspots().len(), 8);
    for h in w.hotspots() {
        let key = (h.lat.to_string(), h.lon.to_string());
        let days = days_at.get(&key).map(BTreeSet::len).unwrap_or(0);
        assert_eq!(days, 10, "hot spot at {key:?} seen on {days} of 10 days");
    }
    // Scattered fires do not repeat positions: a recurring position is a hot spot.
    let recurring = days_at.values().filter(|d| d.len() > 1).count();
    assert_eq!(recurring, w.hotspots().len());
}

#[test]
fn struck_sites_show_fire_clusters_on_the_day() {
    let w = world(12);
    let out = firms(&w, 30_000);
    let recs = records(&out);
    let mut struck = 0;
    for s in w.strikes() {
        let site = &w.sites()[s.site];
        let date = w.date(s.day);
        let near = recs[1..]
            .iter()
            .filter(|r| r[5] == *date && &r[13] == "D")
            .filter(|r| {
                distance_m(
                    site.lat,
                    site.lon,
                    r[0].parse().unwrap(),
                    r[1].parse().unwrap(),
                ) < 2_000.0
            })
            .count();
        assert!(near >= 1, "no fire near {} on {date}", site.name);
        struck += 1;
    }
    assert!(struck > 20, "{struck} strikes");
}

#[test]
fn acled_has_the_exact_header_and_31_fields_a_row() {
    let w = world(13);
    let out = acled(&w, 5_000);
    assert!(out.starts_with(format!("{}\n", ACLED_COLUMNS.join(",")).as_bytes()));
    let recs = records(&out);
    assert_eq!(recs[0].iter().collect::<Vec<_>>(), ACLED_COLUMNS.to_vec());
    assert_eq!(ACLED_COLUMNS.len(), 31);
    let col = |name: &str| ACLED_COLUMNS.iter().position(|c| *c == name).unwrap();
    let mut long_dates = 0;
    let mut numeric_inter = 0;
    let mut text_inter = 0;
    let mut quoted = 0;
    let mut types = BTreeSet::new();
    for r in &recs[1..] {
        assert_eq!(r.len(), 31, "{r:?}");
        let id = &r[col("event_id_cnty")];
        assert!(
            (id.starts_with("UKR") || id.starts_with("RUS"))
                && id[3..].bytes().all(|b| b.is_ascii_digit()),
            "{id}"
        );
        let date = &r[col("event_date")];
        if date.contains(' ') {
            long_dates += 1;
            assert!(
                date.ends_with(" 2025") && date.split(' ').count() == 3,
                "{date}"
            );
        } else {
            assert!(date.starts_with("2025-") && date.len() == 10, "{date}");
        }
        assert_eq!(&r[col("year")], "2025");
        match &r[col("inter1")] {
            "State forces" => text_inter += 1,
            "1" => numeric_inter += 1,
            other => panic!("inter1 {other:?}"),
        }
        let lat: f64 = r[col("latitude")].parse().unwrap();
        let lon: f64 = r[col("longitude")].parse().unwrap();
        assert!((44.0..=53.0).contains(&lat) && (22.0..=41.0).contains(&lon));
        r[col("fatalities")].parse::<u32>().unwrap();
        r[col("timestamp")].parse::<i64>().unwrap();
        let notes = &r[col("notes")];
        assert!(
            notes.contains(", ") && notes.ends_with("[synthetic, generated by truce-sim seed 13]"),
            "{notes}"
        );
        quoted += usize::from(notes.contains('"'));
        types.insert(format!(
            "{}/{}",
            &r[col("event_type")],
            &r[col("sub_event_type")]
        ));
        assert_eq!(
            &r[col("disorder_type")],
            if &r[col("event_type")] == "Strategic developments" {
                "Strategic developments"
            } else {
                "Political violence"
            }
        );
    }
    assert!(
        long_dates > 100 && long_dates < 1_000,
        "{long_dates} dates like 16 May 2025"
    );
    assert!(
        numeric_inter > 100 && text_inter > 5 * numeric_inter,
        "{numeric_inter} numeric, {text_inter} text"
    );
    assert!(quoted > 10, "notes with quotes: {quoted}");
    for t in [
        "Explosions/Remote violence/Air/drone strike",
        "Explosions/Remote violence/Shelling/artillery/missile attack",
        "Battles/Armed clash",
        "Strategic developments/Disrupted weapons use",
    ] {
        assert!(types.contains(t), "{t} missing from {types:?}");
    }
}

#[test]
fn acled_reissues_repeat_an_event_with_a_newer_timestamp() {
    let w = world(14);
    let out = acled(&w, 5_000);
    let mut first: HashMap<String, (i64, String)> = HashMap::new();
    let mut reissues = 0;
    for r in &records(&out)[1..] {
        let ts: i64 = r[30].parse().unwrap();
        match first.get(&r[0]) {
            None => {
                first.insert(r[0].to_string(), (ts, r[1].to_string()));
            }
            Some((t0, date)) => {
                reissues += 1;
                assert!(ts > *t0, "re-issue of {} has timestamp {ts} <= {t0}", &r[0]);
                assert_eq!(&r[1], date, "a re-issue keeps the event date");
            }
        }
    }
    assert!(
        (100..500).contains(&reissues),
        "{reissues} re-issues in 5000 rows"
    );
}

#[test]
fn allegations_are_reports_blaming_the_opponent() {
    let w = world(15);
    let out = allegations(&w, 3_000);
    let text = String::from_utf8(out).unwrap();
    let mut ids = BTreeSet::new();
    for line in text.lines() {
        let r: Report = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(r.alleged_perpetrator.as_ref().map(Id::as_str), Some("ru"));
        assert!(r.illustrative);
        assert!(
            r.text.starts_with("ua ")
                && r.text
                    .ends_with("[synthetic, generated by truce-sim seed 15]")
        );
        assert!(r.time.end >= r.time.start);
        let (lat, lon) = (r.location.point.lat(), r.location.point.lon());
        assert!((44.0..=53.0).contains(&lat) && (22.0..=41.0).contains(&lon));
        assert!(r.location.uncertainty_m >= 500);
        assert!(ids.insert(r.id.to_string()), "duplicate id {}", r.id);
        // The exact serde shape: re-serialising gives the same line.
        assert_eq!(serde_json::to_string(&r).unwrap(), line);
    }
    let first = text.lines().next().unwrap();
    assert!(first.contains(r#""id":"sim-15-0000000""#), "{first}");
    assert!(first.contains(r#""illustrative":true"#));
}

#[test]
fn allegations_are_near_the_partys_sites_and_some_are_fabricated() {
    let w = world(16);
    let fires = firms(&w, 30_000);
    let fire_rows = records(&fires);
    let out = allegations(&w, 2_000);
    let by_name: BTreeMap<&str, usize> = w
        .sites()
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let (mut genuine, mut fabricated, mut at_site, mut fabricated_with_fire) = (0, 0, 0, 0);
    let lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
    for line in &lines {
        let r: Report = serde_json::from_str(line).unwrap();
        let Some(name) = r
            .location
            .place
            .split(", near ")
            .next()
            .filter(|_| r.location.place.contains(", near "))
        else {
            fabricated += 1; // a claim about homes or a hospital in a town
            continue;
        };
        let si = by_name[name];
        let site = &w.sites()[si];
        at_site += 1;
        assert_eq!(
            site.side,
            Side::Ukraine,
            "ua reports strikes on its own sites"
        );
        assert_eq!(
            r.target_category.as_ref().map(Category::as_str),
            Some(site.category)
        );
        let d = distance_m(
            site.lat,
            site.lon,
            r.location.point.lat(),
            r.location.point.lon(),
        );
        assert!(
            d <= 1.01 * f64::from(r.location.uncertainty_m),
            "{d} m from {name}"
        );
        let date = r.time.start.date().to_string();
        let day = (0..10).find(|&d| w.date(d) == date).unwrap();
        let struck = w.strikes_on(day).iter().any(|s| s.site == si);
        let fire = fire_rows[1..].iter().any(|f| {
            f[5] == *date
                && distance_m(
                    site.lat,
                    site.lon,
                    f[0].parse().unwrap(),
                    f[1].parse().unwrap(),
                ) < 2_000.0
        });
        if struck {
            genuine += 1;
            assert!(fire, "a genuine report has a fire: {line}");
        } else {
            fabricated += 1;
            fabricated_with_fire += usize::from(fire);
        }
    }
    assert!(
        at_site * 2 > lines.len(),
        "most reports name a site: {at_site} of {}",
        lines.len()
    );
    assert!(
        genuine > 50 && fabricated > 50,
        "{genuine} genuine, {fabricated} fabricated"
    );
    assert!(
        fabricated_with_fire * 5 < fabricated,
        "{fabricated_with_fire} of {fabricated} fabricated reports near a fire"
    );
}

#[test]
fn parties_are_checked_and_unknown_parties_use_every_site() {
    let w = world(17);
    for (p, o) in [("UA", "ru"), ("ua", "r u"), ("ua", "ua"), ("", "ru")] {
        assert!(
            write_allegations(&w, p, o, 10, std::io::sink()).is_err(),
            "{p:?} {o:?}"
        );
    }
    let mut v = Vec::new();
    write_allegations(&w, "monitor-1", "ru", 200, &mut v).unwrap();
    let ru_report = std::str::from_utf8(&v).unwrap().lines().any(|l| {
        let r: Report = serde_json::from_str(l).unwrap();
        r.alleged_perpetrator.unwrap().as_str() == "ru" && r.text.starts_with("monitor-1 ")
    });
    assert!(ru_report);
}

#[test]
fn site_list_has_valid_ids_names_and_categories() {
    let w = world(18);
    let recs = records(&sites(&w));
    assert_eq!(
        recs[0].iter().collect::<Vec<_>>(),
        ["id", "name", "lat", "lon", "category"]
    );
    let mut ids = BTreeSet::new();
    for r in &recs[1..] {
        Id::new(&r[0]).unwrap();
        assert!(ids.insert(r[0].to_string()));
        let cat = Category::new(&r[4]).unwrap();
        assert!(cat.as_str().starts_with("energy."));
        let number = r[1].rsplit(' ').next().unwrap();
        assert!(number.parse::<u32>().is_ok(), "{}", &r[1]);
        let lat: f64 = r[2].parse().unwrap();
        let lon: f64 = r[3].parse().unwrap();
        assert!((44.0..=53.0).contains(&lat) && (22.0..=41.0).contains(&lon));
    }
    assert_eq!(w.model_sites().unwrap().len(), recs.len() - 1);
}

#[test]
fn two_hundred_thousand_firms_rows_stream_into_a_sink() {
    let w = World::new(&Params {
        days: 30,
        sites: 2_000,
        ..Params::default()
    })
    .unwrap();
    let started = std::time::Instant::now();
    let mut c = Counting::default();
    assert_eq!(write_firms(&w, 200_000, &mut c).unwrap(), 200_000);
    assert_eq!(c.lines, 200_001);
    assert!(c.bytes > 200_000 * 80, "{} bytes", c.bytes);
    let mut c = Counting::default();
    write_acled(&w, 20_000, &mut c).unwrap();
    assert_eq!(c.lines, 20_001);
    let mut c = Counting::default();
    write_allegations(&w, "ru", "ua", 20_000, &mut c).unwrap();
    assert_eq!(c.lines, 20_000);
    let elapsed = started.elapsed();
    assert!(elapsed.as_secs() < 60, "{elapsed:?}");
}

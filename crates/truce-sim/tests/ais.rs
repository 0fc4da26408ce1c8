//! Synthetic AIS read back through `truce-ais` (whose NMEA payload decoding is the `nmea-parser`
//! crate's, independent of the encoder here): every row is read without refusal and gives the
//! generated values; the three formats carry the same fixes; the same seed gives the same bytes;
//! memory does not grow with the rows; the traffic has the advertised shape.
#![allow(unsafe_code)] // a counting global allocator forwards to System's (GlobalAlloc is an unsafe trait)

use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashMap;
use truce_ais::fix::{Class, Fix, Item, Static};
use truce_sim::ais::{
    push_position_line, push_static_lines, write_ais, AisFormat, AisParams, Bits, Event, Position,
    Traffic, Transmit, Vessel, VesselKind, Voyage, DEFAULT_START,
};

// ---------------------------------------------------------------------------------------------
// A per-thread counting allocator (tests run in parallel threads: each measures its own).

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|l| {
        let now = l.get() + delta;
        l.set(now);
        let _ = PEAK.try_with(|p| {
            if now > p.get() {
                p.set(now)
            }
        });
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Peak heap bytes this thread allocated on top of what it held before `f` ran.
fn peak_during(f: impl FnOnce()) -> isize {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    f();
    PEAK.with(Cell::get) - base
}

/// Counts the bytes written.
struct CountingWriter(u64);

impl std::io::Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        std::io::sink().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------

fn params(seed: u64, rows: u64) -> AisParams {
    AisParams {
        seed,
        start: DEFAULT_START,
        rows,
    }
}

fn generate(p: &AisParams, format: AisFormat) -> Vec<u8> {
    let mut out = Vec::new();
    let s = write_ais(p, format, &mut out, &mut |_| {}).unwrap();
    assert_eq!(s.positions, p.rows);
    out
}

/// The generator's events for `rows` position rows.
fn events(p: &AisParams) -> (Traffic, Vec<Event>) {
    let mut t = Traffic::new(p.seed, p.start);
    let mut evs = Vec::new();
    let mut n = 0;
    while n < p.rows {
        let e = t.next().unwrap();
        n += u64::from(matches!(e, Event::Position(_)));
        evs.push(e);
    }
    (t, evs)
}

fn read_nmea(bytes: &[u8]) -> Vec<Item> {
    let mut items = Vec::new();
    truce_ais::nmea::read(bytes, &truce_ais::nmea::Options::default(), |r| {
        items.push(r.item)
    })
    .unwrap();
    items
}

fn read_csv(bytes: &[u8]) -> Vec<Item> {
    let mut items = Vec::new();
    truce_ais::csv::read(bytes, |r| items.push(r.item)).unwrap();
    items
}

/// The fix a position should read back as (NMEA gives positions exactly in AIS units).
fn expected_fix(p: &Position) -> Fix {
    Fix {
        mmsi: p.mmsi,
        t_ms: p.t * 1000,
        lon: p.lon(),
        lat: p.lat(),
        sog_knots: (p.sog10 < 1023).then(|| f64::from(p.sog10) / 10.0),
        cog_deg: (p.cog10 < 3600).then(|| f64::from(p.cog10) / 10.0),
        heading_deg: (p.heading < 360).then_some(p.heading),
        nav_status: Some(p.nav_status),
        class: Some(Class::A),
    }
}

fn expected_static(v: &Vessel, t: i64) -> Static {
    Static {
        mmsi: v.mmsi,
        t_ms: Some(t * 1000),
        imo: (v.imo != 0).then_some(v.imo),
        name: Some(v.name.clone()),
        callsign: Some(v.callsign.clone()),
        ship_type: Some(v.ship_type),
    }
}

/// Fixes equal within `tol` degrees (the format's decimals), everything else exactly.
fn assert_fix_close(got: &Fix, want: &Fix, tol: f64, what: &str) {
    assert!(
        (got.lat - want.lat).abs() <= tol && (got.lon - want.lon).abs() <= tol,
        "{what}: position {got:?} vs {want:?}"
    );
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    };
    assert!(
        close(got.sog_knots, want.sog_knots) && close(got.cog_deg, want.cog_deg),
        "{what}: {got:?} vs {want:?}"
    );
    assert_eq!(
        (
            got.mmsi,
            got.t_ms,
            got.heading_deg,
            got.nav_status,
            got.class
        ),
        (
            want.mmsi,
            want.t_ms,
            want.heading_deg,
            want.nav_status,
            want.class
        ),
        "{what}"
    );
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for format in [AisFormat::Nmea, AisFormat::Dma, AisFormat::MarineCadastre] {
        let a = generate(&params(7, 3_000), format);
        let b = generate(&params(7, 3_000), format);
        assert!(a == b, "{format:?} not reproducible");
        assert!(generate(&params(8, 3_000), format) != a, "{format:?}");
        let later = AisParams {
            start: DEFAULT_START + 86_400,
            ..params(7, 3_000)
        };
        assert!(generate(&later, format) != a, "{format:?}");
    }
}

#[test]
fn nmea_reads_back_exactly_as_generated() {
    let p = params(11, 20_000);
    let bytes = generate(&p, AisFormat::Nmea);
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.starts_with("# SYNTHETIC AIS"), "{}", &text[..80]);
    let items = read_nmea(&bytes);
    let (traffic, evs) = events(&p);
    assert_eq!(items.len(), evs.len(), "one record per generated message");
    let mut statics = 0;
    for (i, (item, ev)) in items.iter().zip(&evs).enumerate() {
        match (item, ev) {
            (Item::Fix(f), Event::Position(p)) => {
                assert_fix_close(f, &expected_fix(p), 0.0, &format!("record {i}"))
            }
            (Item::Static(s), Event::Static(v)) => {
                statics += 1;
                assert_eq!(
                    s,
                    &expected_static(&traffic.vessels()[v.vessel], v.t),
                    "record {i}"
                );
            }
            other => panic!("record {i}: {other:?}"),
        }
    }
    assert!(statics > 100, "{statics}");
}

#[test]
fn csv_formats_read_back_as_generated() {
    let p = params(12, 10_000);
    let (traffic, evs) = events(&p);
    let positions: Vec<&Position> = evs
        .iter()
        .filter_map(|e| match e {
            Event::Position(p) => Some(p),
            Event::Static(_) => None,
        })
        .collect();
    for (format, tol) in [
        (AisFormat::Dma, 5.001e-7),
        (AisFormat::MarineCadastre, 5.001e-6),
    ] {
        let bytes = generate(&p, format);
        let items = read_csv(&bytes);
        // Each row: its fix, then its static record.
        assert_eq!(items.len(), 2 * positions.len(), "{format:?}");
        for (k, (pair, pos)) in items.chunks(2).zip(&positions).enumerate() {
            let what = format!("{format:?} row {}", k + 2);
            let Item::Fix(f) = &pair[0] else {
                panic!("{what}: {:?}", pair[0])
            };
            assert_fix_close(f, &expected_fix(pos), tol, &what);
            assert_eq!(
                pair[1],
                Item::Static(expected_static(&traffic.vessels()[pos.vessel], pos.t)),
                "{what}"
            );
        }
    }
}

#[test]
fn the_three_formats_carry_the_same_fixes() {
    let p = params(13, 5_000);
    let fixes = |items: Vec<Item>| -> Vec<Fix> {
        items
            .into_iter()
            .filter_map(|i| match i {
                Item::Fix(f) => Some(f),
                Item::Static(_) => None,
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let nmea = fixes(read_nmea(&generate(&p, AisFormat::Nmea)));
    let dma = fixes(read_csv(&generate(&p, AisFormat::Dma)));
    let mc = fixes(read_csv(&generate(&p, AisFormat::MarineCadastre)));
    assert_eq!(nmea.len(), 5_000);
    assert_eq!(dma.len(), 5_000);
    assert_eq!(mc.len(), 5_000);
    for i in 0..nmea.len() {
        assert_fix_close(&dma[i], &nmea[i], 5.001e-7, &format!("dma fix {i}"));
        assert_fix_close(
            &mc[i],
            &nmea[i],
            5.001e-6,
            &format!("marinecadastre fix {i}"),
        );
        // AIS resolution: within 1e-4 degree of each other whatever the format.
        assert!((mc[i].lat - dma[i].lat).abs() < 1e-4);
    }
}

#[test]
fn memory_does_not_grow_with_rows() {
    let run = |rows: u64| {
        let mut w = CountingWriter(0);
        let s = write_ais(&params(5, rows), AisFormat::Dma, &mut w, &mut |_| {}).unwrap();
        assert_eq!(s.positions, rows);
        assert!(w.0 > rows * 150, "{} bytes for {rows} rows", w.0);
    };
    let small = peak_during(|| run(20_000));
    let large = peak_during(|| run(2_000_000));
    assert!(
        large <= small + 16 * 1024 && large < 512 * 1024,
        "peak heap {large} B for 2M rows vs {small} B for 20k"
    );
}

#[test]
fn progress_is_reported() {
    let mut seen = Vec::new();
    write_ais(
        &params(1, 250_000),
        AisFormat::Nmea,
        std::io::sink(),
        &mut |n| seen.push(n),
    )
    .unwrap();
    assert_eq!(seen, [100_000, 200_000, 250_000]);
}

#[test]
fn the_traffic_has_the_advertised_shape() {
    let start = DEFAULT_START;
    let mut t = Traffic::new(21, start);
    let vessels = t.vessels().to_vec();
    assert!(vessels.iter().all(|v| v.name.starts_with("SYNTHETIC ")
        && v.name.len() <= 20
        && v.callsign.starts_with("SYN")
        && (100_000_000..=999_999_999).contains(&v.mmsi)));
    let naval: Vec<usize> = (0..vessels.len())
        .filter(|&i| vessels[i].kind == VesselKind::Naval)
        .collect();
    assert!(naval.iter().all(|&i| vessels[i].ship_type == 35));
    let silent: Vec<usize> = naval
        .iter()
        .copied()
        .filter(|&i| vessels[i].transmit == Transmit::Never)
        .collect();
    assert!(silent.len() > naval.len() / 2, "most naval vessels silent");
    let dark: Vec<(usize, (i64, i64))> = (0..vessels.len())
        .filter_map(|i| vessels[i].dark.map(|d| (i, d)))
        .collect();
    assert!(dark.len() >= 2);
    for (_, (a, b)) in &dark {
        assert!((12 * 3600..=30 * 3600).contains(&(b - a)));
    }
    let until = dark.iter().map(|(_, (_, b))| *b).max().unwrap() + 6 * 3600;

    let mut last_pos: HashMap<usize, Position> = HashMap::new();
    let mut last_static: HashMap<usize, i64> = HashMap::new();
    let mut statuses = [0u32; 16];
    let mut seen_after_dark: HashMap<usize, bool> = HashMap::new();
    let mut prev_t = start;
    for e in t.by_ref() {
        match e {
            Event::Position(p) => {
                assert!(p.t >= prev_t, "time order");
                prev_t = p.t;
                if p.t > until {
                    break;
                }
                let v = &vessels[p.vessel];
                assert!(!silent.contains(&p.vessel));
                if let Some((a, b)) = v.dark {
                    assert!(!(a..b).contains(&p.t), "{} transmits while dark", v.name);
                    if p.t >= b {
                        seen_after_dark.insert(p.vessel, true);
                    }
                }
                statuses[usize::from(p.nav_status)] += 1;
                match p.nav_status {
                    0 => {
                        assert_eq!(p.msg_type, 1);
                        if v.kind == VesselKind::Bulk {
                            assert!((97..=143).contains(&p.sog10), "{p:?}");
                        }
                    }
                    1 | 5 => assert_eq!(p.msg_type, 3),
                    s => panic!("status {s}"),
                }
                if v.kind == VesselKind::Moored {
                    assert_eq!(p.nav_status, 5);
                }
                // The Black Sea box.
                assert!((40.9..46.8).contains(&p.lat()) && (27.5..41.8).contains(&p.lon()));
                if let Some(q) = last_pos.get(&p.vessel) {
                    let gap = p.t - q.t;
                    let in_dark = v.dark.is_some_and(|(a, b)| q.t < a && p.t >= b);
                    let intermittent = matches!(v.transmit, Transmit::Intermittent { .. });
                    if !in_dark && !intermittent {
                        if q.nav_status == 0 && p.nav_status == 0 {
                            assert!((2..=10).contains(&gap), "{gap} s under way: {p:?}");
                        } else if q.nav_status == p.nav_status {
                            assert_eq!(gap, 180, "{p:?}");
                        }
                    }
                    if in_dark {
                        // It comes back where its voyage took it: tens of miles away.
                        let moved = (p.lat() - q.lat()).abs() + (p.lon() - q.lon()).abs();
                        assert!(moved > 0.5, "{} moved {moved} degrees in the dark", v.name);
                    }
                }
                last_pos.insert(p.vessel, p);
            }
            Event::Static(voy) => {
                let v = &vessels[voy.vessel];
                if let Some(prev) = last_static.get(&voy.vessel) {
                    let in_dark = v.dark.is_some_and(|(a, b)| *prev < a && voy.t >= b);
                    if !in_dark && v.transmit == Transmit::Always {
                        assert_eq!(voy.t - prev, 360);
                    }
                }
                last_static.insert(voy.vessel, voy.t);
            }
        }
    }
    assert!(
        statuses[0] > 0 && statuses[1] > 0 && statuses[5] > 0,
        "{statuses:?}"
    );
    for (i, _) in &dark {
        assert!(
            seen_after_dark.contains_key(i),
            "{} never came back",
            vessels[*i].name
        );
    }
    for &i in &naval {
        if matches!(vessels[i].transmit, Transmit::Intermittent { .. }) {
            assert!(
                last_pos.contains_key(&i),
                "intermittent naval vessel never heard"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The encoder against the independent decoder, on any field values.

fn sixbit_text(max: usize) -> impl Strategy<Value = String> {
    // Characters of the AIS 6-bit set other than '@' (padding), not starting or ending in a
    // space (the reader trims those).
    let inner = format!("[A-Z0-9 !\"#$%&'()*+,./:;<=>?\\[\\]^_-]{{0,{}}}", max - 2);
    (
        "[A-Z0-9]",
        proptest::string::string_regex(&inner).unwrap(),
        "[A-Z0-9]",
    )
        .prop_map(|(a, b, c)| format!("{a}{b}{c}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn position_reports_round_trip(
        mmsi in 0u32..=999_999_999,
        t in 0i64..4_000_000_000,
        lat in -54_000_000i32..=54_000_000,
        lon in -108_000_000i32..=108_000_000,
        sog10 in 0u16..=1023,
        cog10 in 0u16..=3600,
        heading in prop_oneof![0u16..360, Just(511u16)],
        status in 0u8..=15,
        msg_type in prop_oneof![Just(1u8), Just(2u8), Just(3u8)],
        channel in prop_oneof![Just(b'A'), Just(b'B')],
    ) {
        let p = Position {
            t, vessel: 0, mmsi, msg_type, nav_status: status, lat_units: lat, lon_units: lon,
            sog10, cog10, heading,
        };
        let mut line = Vec::new();
        push_position_line(&mut line, &p, channel, &mut Bits::new());
        let text = std::str::from_utf8(&line).unwrap();
        let item = truce_ais::nmea::decode_line(text, &truce_ais::nmea::Options::default());
        let Some(Item::Fix(f)) = item else { panic!("{text}: {item:?}") };
        assert_fix_close(&f, &expected_fix(&p), 0.0, text);
    }

    #[test]
    fn static_messages_round_trip(
        mmsi in 0u32..=999_999_999,
        imo in prop_oneof![Just(0u32), 1u32..(1 << 30)],
        name in sixbit_text(20),
        callsign in sixbit_text(7),
        ship_type in 10u8..=99,
        dims in (0u16..512, 0u16..512, 0u16..64, 0u16..64),
        draught10 in 0u8..=255,
        destination in sixbit_text(20),
        eta in prop_oneof![Just(None), (946_684_800i64..4_000_000_000).prop_map(Some)],
        t in 0i64..4_000_000_000,
        seq in 0u8..10,
        group in 1u32..10_000,
    ) {
        let v = Vessel {
            kind: VesselKind::Bulk, mmsi, imo, name, callsign, ship_type,
            dims: [dims.0, dims.1, dims.2, dims.3], has_heading: true,
            transmit: Transmit::Always, dark: None,
        };
        let dest: &'static str = Box::leak(destination.into_boxed_str());
        let voy = Voyage { t, vessel: 0, draught10, destination: dest, eta };
        let mut lines = Vec::new();
        push_static_lines(&mut lines, &v, &voy, seq, group, b'B', &mut Bits::new());
        let items = read_nmea(&lines);
        prop_assert_eq!(items, vec![Item::Static(expected_static(&v, t))]);
    }
}

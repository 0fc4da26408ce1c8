//! `truce ingest` of AIS files: raw NMEA 0183 (`ais-nmea`), the Danish Maritime Authority's CSV
//! (`ais-dma`) and NOAA MarineCadastre's CSV (`ais-marinecadastre`), into `track` segments and
//! `vessel` records under signed manifests.
//!
//! Streaming: reader (`truce_ais::nmea::read` / `truce_ais::csv::read`) → segmenter
//! (`truce_ais::track::Segmenter`: one MMSI, one UTC hour, simplified within `--tolerance-m`) →
//! records in batches of at most `--batch` → one signed manifest per batch, appended durably by a
//! second thread behind a channel of two batches. Memory is the segmenter's open segments, two
//! batches and 16 bytes per segment or vessel key already filed: it does not grow with the file.
//!
//! Idempotence and crash safety are the bulk path's: a segment is keyed by
//! `mmsi-hour-part-<SHA-256 prefix of its raw rows>` and a vessel by MMSI and content
//! ([`truce_model::ais`]); keys the author already filed (read from the log at the start) or
//! filed earlier in the run are counted as duplicates, so a rerun after a kill adds exactly the
//! batches the kill lost. The segmentation is a function of the file and the parameters, so the
//! same file gives the same keys; a rerun with another `--tolerance-m` gives the same keys too
//! (the raw rows are already covered) and adds nothing.
//!
//! Refusals: what the readers refuse (checksum, truncated multi-part message, impossible
//! position, no time source, bad field), a fix or static message timed after this ingest's filing
//! time (plus `TRUCE_MAX_CLOCK_SKEW_S`), and a segment whose record would exceed the log's entry
//! size (its rows' lines and a larger tolerance to use are named). Positions "not available"
//! (longitude 181, latitude 91) and other message types are skipped and counted.

use super::{
    append_batch, bar, context, open, reject_prefix, rejects_writer, strict_failure, Batch, Bulk,
    Context, Summary, SHOWN,
};
use crate::datadir::DataDir;
use crate::domain_cmd::key_of;
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use truce_ais::fix::{Item as AisItem, Record, Skip};
use truce_ais::track::{Params, Segment, Segmenter};
use truce_model::ais::{Track, Vessel, TRACK_FORMAT};
use truce_model::entry::{record, Body};
use truce_model::Time;

/// The AIS inputs `truce ingest` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AisFormat {
    /// Raw NMEA 0183 `!AIVDM`/`!AIVDO` sentences (tag blocks, receiver suffixes).
    Nmea,
    /// The Danish Maritime Authority's daily CSV.
    Dma,
    /// NOAA MarineCadastre's CSV.
    MarineCadastre,
}

impl AisFormat {
    /// The name `--format` takes.
    pub fn name(&self) -> &'static str {
        match self {
            AisFormat::Nmea => "ais-nmea",
            AisFormat::Dma => "ais-dma",
            AisFormat::MarineCadastre => "ais-marinecadastre",
        }
    }

    /// The AIS format of a file from its first bytes: a DMA or MarineCadastre header, or a first
    /// sentence line (`!…VDM`/`!…VDO`, possibly behind a `\…\` tag block); `None` otherwise.
    pub fn sniff(head: &[u8]) -> Option<AisFormat> {
        let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let first = head
            .split(|b| *b == b'\n')
            .map(<[u8]>::trim_ascii)
            .find(|l| !l.is_empty() && !l.starts_with(b"#"))
            .unwrap_or(&[]);
        let header = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
        match truce_ais::csv::sniff(header) {
            Some(truce_ais::csv::Layout::Dma) => return Some(AisFormat::Dma),
            Some(truce_ais::csv::Layout::MarineCadastre) => return Some(AisFormat::MarineCadastre),
            None => {}
        }
        let sentence = if first.starts_with(b"\\") {
            first
                .iter()
                .skip(1)
                .position(|b| *b == b'\\')
                .map_or(&[][..], |i| &first[i + 2..])
        } else {
            first
        };
        let vdm = sentence.len() > 6
            && sentence[0] == b'!'
            && (&sentence[3..6] == b"VDM" || &sentence[3..6] == b"VDO");
        vdm.then_some(AisFormat::Nmea)
    }
}

/// The AIS options of `truce ingest`.
#[derive(Debug, Clone)]
pub struct AisOptions {
    /// The area the filer's receivers hear well (`--reception-area`), stated in every manifest:
    /// AIS gaps are derived only inside it, while its ingests cover the time.
    pub reception: Option<truce_model::domain::Zone>,
    /// NMEA: the time of sentences with no tag-block or receiver time.
    pub time_base: Option<Time>,
    /// How far the stored track may be from any raw fix at its time, metres.
    pub tolerance_m: f64,
}

/// Reads `--reception-area`: a GeoJSON Polygon geometry, or a Feature (or a FeatureCollection
/// of one) with a Polygon geometry, named by its `name` property (else the file's name).
pub fn reception_area(path: &std::path::Path) -> Result<truce_model::domain::Zone, Failure> {
    let what = |e: String| {
        Failure::input(anyhow!(
            "--reception-area {}: {e}; give a GeoJSON Polygon, or a Feature with a Polygon geometry and a `name` property",
            path.display()
        ))
    };
    let bytes = std::fs::read(path).map_err(|e| what(e.to_string()))?;
    if bytes.len() > 4 << 20 {
        return Err(what("larger than 4 MiB".into()));
    }
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| what(e.to_string()))?;
    let feature = match v.get("type").and_then(|t| t.as_str()) {
        Some("FeatureCollection") => match v.get("features").and_then(|f| f.as_array()) {
            Some(f) if f.len() == 1 => f[0].clone(),
            _ => {
                return Err(what(
                    "a FeatureCollection must hold exactly one feature".into(),
                ))
            }
        },
        _ => v,
    };
    let (geometry, name) = match feature.get("type").and_then(|t| t.as_str()) {
        Some("Feature") => (
            feature.get("geometry").cloned().unwrap_or_default(),
            feature
                .pointer("/properties/name")
                .and_then(|n| n.as_str())
                .map(str::to_string),
        ),
        _ => (feature, None),
    };
    if geometry.get("type").and_then(|t| t.as_str()) != Some("Polygon") {
        return Err(what("the geometry is not a Polygon".into()));
    }
    let polygon: truce_model::geo::Polygon =
        serde_json::from_value(geometry.get("coordinates").cloned().unwrap_or_default())
            .map_err(|e| what(format!("coordinates: {e}")))?;
    let name = name.unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    Ok(truce_model::domain::Zone { name, polygon })
}

/// What an AIS ingest did.
#[derive(Debug, Default, serde::Serialize)]
pub struct AisSummary {
    /// Input rows (CSV rows, NMEA messages) read.
    pub read: u64,
    /// Position reports read.
    pub fixes: u64,
    /// Static data messages read.
    pub statics: u64,
    /// Segments made from the file.
    pub segments: u64,
    /// Points in the segments appended.
    pub points: u64,
    /// Vessel records appended (distinct MMSI and content).
    pub vessels: u64,
    /// Records appended (segments and vessels).
    pub accepted: u64,
    /// Segments and vessels already in the log, or earlier in this file.
    pub duplicates: u64,
    /// Rows skipped: position not available (longitude 181 / latitude 91) or another message
    /// type.
    pub skipped: u64,
    /// Of those, positions not available.
    pub skipped_not_available: u64,
    /// Rows refused, with reasons.
    pub rejected: u64,
    /// Impossible jumps flagged in the segments appended.
    pub flagged_jumps: u64,
    /// Segments appended with at least one jump or conflicting fix.
    pub flagged_segments: u64,
    /// Batches (manifests) appended.
    pub batches: u64,
    /// First log index written.
    pub first_index: Option<u64>,
}

/// Makes a reader fail once `stop` is set (the appender failed: stop reading).
struct Stoppable<R> {
    inner: R,
    stop: Arc<AtomicBool>,
}

impl<R: Read> Read for Stoppable<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("stopped: the log append failed"));
        }
        self.inner.read(buf)
    }
}

/// Reads the file with the reader of `format`, handing each record on.
fn read_ais<R: Read>(
    format: AisFormat,
    input: R,
    time_base: Option<i64>,
    each: impl FnMut(Record<'_>),
) -> Result<(), String> {
    match format {
        AisFormat::Nmea => {
            let opts = truce_ais::nmea::Options { time_base };
            truce_ais::nmea::read(input, &opts, each)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        AisFormat::Dma | AisFormat::MarineCadastre => truce_ais::csv::read(input, each)
            .map(|_| ())
            .map_err(|e| e.to_string()),
    }
}

/// Why a record timed after the filing time is refused, if it is.
fn future(t_ms: i64, filed_ms: i64, skew_s: u64) -> Option<String> {
    let limit = filed_ms.saturating_add((skew_s as i64).saturating_mul(1000));
    (t_ms > limit).then(|| {
        let t = jiff::Timestamp::from_millisecond(t_ms)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| format!("{t_ms} ms"));
        format!(
            "the message is timed {t}, after this ingest's filing time (allowed skew {skew_s} s): a record cannot describe what has not happened; fix the file's times (or --time-base), or this computer's clock"
        )
    })
}

/// The reading side of an ingest: segments and vessels to records, records to batches.
struct Producer<'a> {
    s: AisSummary,
    /// Keys already filed (in the log or earlier in the run).
    seen: HashSet<[u8; 16]>,
    records: Vec<Vec<u8>>,
    /// Lines the batch's records came from (first, last).
    lines: (u64, u64),
    /// The first error that stops the run (the rejects file cannot be written).
    failed: Option<Failure>,
    stop: Arc<AtomicBool>,
    tx: std::sync::mpsc::SyncSender<Batch>,
    rejects: Option<csv::Writer<std::fs::File>>,
    name: &'a str,
    author: truce_model::Id,
    time: Time,
    batch_size: usize,
    filed_ms: i64,
    skew_s: u64,
    last_line: u64,
    /// Each MMSI's last static data as read (IMO, name, call sign, ship type): a row repeating
    /// it (a DMA row carries its vessel's static columns every time) is a duplicate without
    /// building and hashing its record.
    last_static: HashMap<u32, StaticKey>,
}

/// A static message's fields as read.
type StaticKey = (Option<u32>, Option<String>, Option<String>, Option<u8>);

impl Producer<'_> {
    fn stopped(&self) -> bool {
        self.failed.is_some() || self.stop.load(Ordering::Relaxed)
    }

    /// Sends the batch; false (and the run stops) when the appender is gone.
    fn send(&mut self) -> bool {
        let root = truce_log::merkle_root(self.records.iter().map(Vec::as_slice));
        let batch = Batch {
            records: std::mem::take(&mut self.records),
            root,
            lines: (self.lines.0.min(self.lines.1), self.lines.1),
        };
        self.lines = (u64::MAX, 0);
        let ok = self.tx.send(batch).is_ok();
        if !ok {
            self.stop.store(true, Ordering::Relaxed);
        }
        ok
    }

    /// A refused row: to the rejects file, else the first 20 on stderr (the rest counted).
    fn refuse(&mut self, line: u64, reason: &str, raw: &[u8]) {
        self.s.rejected += 1;
        if let Some(r) = self.rejects.as_mut() {
            let raw = String::from_utf8_lossy(raw);
            let raw = raw.trim_end_matches(['\r', '\n']);
            if let Err(e) = r.write_record([line.to_string().as_str(), reason, &reject_prefix(raw)])
            {
                self.failed = Some(Failure::input(anyhow!("rejects file: {e}")));
            }
        } else if self.s.rejected <= SHOWN {
            eprintln!("{}:{line}: {reason}", self.name);
        }
    }

    /// Adds a record unless its key is already filed.
    fn add(&mut self, key: String, body: Body, span: (u64, u64)) {
        if !self.seen.insert(key_of(&key)) {
            self.s.duplicates += 1;
            return;
        }
        let bytes = match record(&self.author, self.time, &body) {
            Ok(b) => b,
            Err(e) => {
                let why = match (&body, e) {
                    (Body::Track(t), truce_model::entry::EntryError::TooLarge(n)) => format!(
                        "the segment of MMSI {} for hour {} (lines {}-{}, {} points) would be a {n}-byte record, over the log's 65,535: ingest with a larger --tolerance-m (now {} m) so it keeps fewer points",
                        t.mmsi,
                        t.hour,
                        t.line_first,
                        t.line_last,
                        t.points.len() / 3,
                        f64::from(t.tol_mm) / 1000.0
                    ),
                    (_, e) => e.to_string(),
                };
                self.refuse(span.0, &why, b"");
                return;
            }
        };
        match &body {
            Body::Track(t) => {
                self.s.points += (t.points.len() / 3) as u64;
                self.s.flagged_jumps += t.flags.jumps;
                if t.flags.jumps > 0 || t.flags.conflicts > 0 {
                    self.s.flagged_segments += 1;
                }
            }
            _ => self.s.vessels += 1,
        }
        self.s.accepted += 1;
        self.lines.0 = self.lines.0.min(span.0);
        self.lines.1 = self.lines.1.max(span.1);
        self.records.push(bytes);
        if self.records.len() >= self.batch_size {
            self.send();
        }
    }

    /// Segments the segmenter closed.
    fn segments(&mut self, segs: Vec<Segment>) {
        for seg in segs {
            if self.stopped() {
                return;
            }
            self.s.segments += 1;
            let t = seg.to_track();
            let span = (t.line_first, t.line_last);
            self.add(ais_key_of_track(&t), Body::Track(t), span);
        }
    }

    /// One record of the reader.
    fn record(&mut self, r: Record<'_>, segmenter: &mut Segmenter) {
        if self.stopped() {
            return;
        }
        if r.line != self.last_line {
            self.s.read += 1;
            self.last_line = r.line;
        }
        match r.item {
            AisItem::Fix(f) => {
                self.s.fixes += 1;
                if let Some(why) = future(f.t_ms, self.filed_ms, self.skew_s) {
                    return self.refuse(r.line, &why, r.raw);
                }
                match segmenter.push(&f, r.raw, r.line) {
                    Ok(segs) => self.segments(segs),
                    Err(e) => self.refuse(r.line, &e.to_string(), r.raw),
                }
            }
            AisItem::Static(st) => {
                self.s.statics += 1;
                if let Some(why) = st.t_ms.and_then(|t| future(t, self.filed_ms, self.skew_s)) {
                    return self.refuse(r.line, &why, r.raw);
                }
                let fields = (st.imo, st.name, st.callsign, st.ship_type);
                if self.last_static.get(&st.mmsi) == Some(&fields) {
                    self.s.duplicates += 1;
                    return;
                }
                self.last_static.insert(st.mmsi, fields.clone());
                let (imo, name, callsign, ship_type) = fields;
                let seen_at = st
                    .t_ms
                    .and_then(|t| jiff::Timestamp::from_second(t.div_euclid(1000)).ok())
                    .map(Time);
                let clean = |v: Option<String>| {
                    v.map(|x| {
                        x.chars()
                            .filter(|c| !c.is_control())
                            .take(120)
                            .collect::<String>()
                    })
                    .filter(|x| !x.trim().is_empty())
                };
                let v = Vessel::new(
                    st.mmsi,
                    imo,
                    clean(name),
                    clean(callsign),
                    ship_type.filter(|t| *t <= 99),
                    seen_at,
                );
                if let Err(why) = v.check() {
                    return self.refuse(r.line, &why, r.raw);
                }
                let key = format!("vessel:{}", v.key());
                self.add(key, Body::Vessel(v), (r.line, r.line));
            }
            AisItem::Skipped(k) => {
                self.s.skipped += 1;
                if k == Skip::PositionNotAvailable {
                    self.s.skipped_not_available += 1;
                }
            }
            AisItem::Refused(why) => self.refuse(r.line, &why, r.raw),
        }
    }
}

/// `truce ingest` of an AIS file.
pub fn ingest(
    dir: &DataDir,
    b: &Bulk<'_>,
    format: AisFormat,
    opts: AisOptions,
    out: &Out,
) -> Result<(), Failure> {
    let name = b.file.display().to_string();
    let params = Params {
        tolerance_m: opts.tolerance_m,
        ..Params::default()
    };
    params
        .check()
        .map_err(|e| Failure::input(anyhow!("--tolerance-m: {e}")))?;
    let head = super::head(b.file)?;
    match (format, AisFormat::sniff(&head)) {
        (AisFormat::Dma | AisFormat::MarineCadastre, Some(found)) if found != format => {
            return Err(Failure::input(anyhow!(
                "{name}: --format {} was given, but the header is {}'s; give --format {} or leave --format out",
                format.name(),
                found.name(),
                found.name()
            )))
        }
        _ => {}
    }
    let time_base = opts.time_base.map(|t| t.0.as_millisecond());
    if time_base.is_some() && format != AisFormat::Nmea {
        return Err(Failure::input(anyhow!(
            "--time-base is for NMEA sentences without times; {} rows carry their own",
            format.name()
        )));
    }
    let mut cx = context(dir, b)?;
    let progress = bar(out, std::fs::metadata(b.file).map(|m| m.len()).unwrap_or(0));
    let summary = run(&mut cx, b, format, opts, &progress)?;
    progress.finish_and_clear();
    let size = cx.seq.size();
    if b.rejects.is_none() && summary.rejected > SHOWN {
        eprintln!(
            "{name}: … and {} more refused row(s) not shown; --rejects FILE writes every one with its line and reason",
            summary.rejected - SHOWN
        );
    }
    let line = summary.line();
    eprintln!(
        "{name} ({}): {line}{}; log size {size}",
        format.name(),
        b.rejects
            .filter(|_| summary.rejected > 0)
            .map(|p| format!(" (see {})", p.display()))
            .unwrap_or_default()
    );
    out.print(
        format!("{line}\n"),
        json!({ "file": name, "format": format.name(), "summary": summary, "log_size": size }),
    )
}

/// Files an AIS file into the log through `cx` (its author, key, clock and sequencer): the
/// work of `truce ingest` without its printing, also `truce demo`'s.
pub(crate) fn run(
    cx: &mut Context,
    b: &Bulk<'_>,
    format: AisFormat,
    opts: AisOptions,
    progress: &indicatif::ProgressBar,
) -> Result<AisSummary, Failure> {
    let name = b.file.display().to_string();
    let params = Params {
        tolerance_m: opts.tolerance_m,
        ..Params::default()
    };
    let time_base = opts.time_base.map(|t| t.0.as_millisecond());
    cx.reception = opts.reception.clone();
    let filed_ms = cx.time.0.as_millisecond();
    let skew_s = cx.gate.limits.max_clock_skew_s;
    if b.strict {
        let mut bad: Option<(u64, String)> = None;
        let input = open(b.file, Arc::new(AtomicU64::new(0)), &b.limits)?;
        read_ais(format, input, time_base, |r| {
            if bad.is_some() {
                return;
            }
            let why = match &r.item {
                AisItem::Refused(why) => Some(why.clone()),
                AisItem::Fix(f) => future(f.t_ms, filed_ms, skew_s),
                AisItem::Static(s) => s.t_ms.and_then(|t| future(t, filed_ms, skew_s)),
                AisItem::Skipped(_) => None,
            };
            bad = why.map(|w| (r.line, w));
        })
        .map_err(|e| Failure::input(anyhow!("{name}: {e}; nothing was appended (--strict)")))?;
        if let Some((line, why)) = bad {
            return Err(strict_failure(&name, line, &why));
        }
    }
    let source = b
        .file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut rejects = rejects_writer(b.rejects)?;
    let existing = std::mem::take(&mut cx.state.ais);
    let (author, time, batch_size) = (cx.author.clone(), cx.time, b.batch);
    let manifest_format = format!("{}+{TRACK_FORMAT}", format.name());
    let read = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(2);
    let mut bulk_summary = Summary::default();
    let produced = std::thread::scope(|scope| -> Result<AisSummary, Failure> {
        let (name, read_p, stop_p) = (name.as_str(), read.clone(), stop.clone());
        let producer = scope.spawn(move || -> Result<AisSummary, Failure> {
            let mut segmenter = Segmenter::new(params)
                .map_err(|e| Failure::input(anyhow!("--tolerance-m: {e}")))?;
            let mut p = Producer {
                s: AisSummary::default(),
                seen: existing,
                records: Vec::with_capacity(batch_size.min(4096)),
                lines: (u64::MAX, 0),
                failed: None,
                stop: stop_p.clone(),
                tx,
                rejects: rejects.take(),
                name,
                author,
                time,
                batch_size,
                filed_ms,
                skew_s,
                last_line: 0,
                last_static: HashMap::new(),
            };
            let input = Stoppable {
                inner: open(b.file, read_p, &b.limits)?,
                stop: stop_p.clone(),
            };
            let outcome = read_ais(format, input, time_base, |r| p.record(r, &mut segmenter));
            if let Some(e) = p.failed.take() {
                return Err(e);
            }
            if p.stopped() {
                return Ok(p.s); // the appender stopped; its error is reported
            }
            outcome.map_err(|e| {
                Failure::input(anyhow!(
                    "{name}: {e}; the file was not read further (batches appended before stay in the log, and running the command again adds each record once)"
                ))
            })?;
            p.segments(segmenter.finish());
            if let Some(e) = p.failed.take() {
                return Err(e);
            }
            if !p.records.is_empty() && !p.stopped() {
                p.send();
            }
            if let Some(r) = p.rejects.as_mut() {
                r.flush()
                    .map_err(|e| Failure::input(anyhow!("rejects file: {e}")))?;
            }
            Ok(p.s)
        });
        let mut appended: Result<(), Failure> = Ok(());
        for batch in rx.iter() {
            if let Err(e) = append_batch(cx, &manifest_format, &source, &batch, &mut bulk_summary) {
                appended = Err(e);
                stop.store(true, Ordering::Relaxed);
                break;
            }
            progress.set_position(read.load(Ordering::Relaxed));
        }
        drop(rx);
        let produced = producer
            .join()
            .map_err(|_| Failure::input(anyhow!("the reader thread panicked")))?;
        appended?;
        produced
    })?;
    let mut summary = produced;
    summary.batches = bulk_summary.batches;
    summary.first_index = bulk_summary.first_index;
    Ok(summary)
}

impl AisSummary {
    /// The summary in one line of text.
    pub fn line(&self) -> String {
        format!(
            "read {} fixes {} segments {} points {} vessels {} accepted {} duplicates {} skipped {} (not available {}) rejected {} jumps {}",
            self.read,
            self.fixes,
            self.segments,
            self.points,
            self.vessels,
            self.accepted,
            self.duplicates,
            self.skipped,
            self.skipped_not_available,
            self.rejected,
            self.flagged_jumps
        )
    }
}

/// The de-duplication id of a track body (as [`ais_key`] gives it from the record's bytes).
fn ais_key_of_track(t: &Track) -> String {
    format!("track:{}", t.key())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain_cmd::ais_key;

    #[test]
    fn the_keys_of_the_ingest_and_of_the_replay_agree() {
        let t: Track = serde_json::from_str(r#"{"fixes":1,"flags":{},"hour":3600,"line_first":2,"line_last":2,"mmsi":219000001,"part":0,"points":[5,1,2],"sha256":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","tol_mm":50000}"#).unwrap();
        assert_eq!(
            ais_key("track", t.to_jcs().as_bytes()),
            Some(ais_key_of_track(&t))
        );
        let v = Vessel::new(1, Some(2), Some("A".into()), None, Some(35), None);
        let body = serde_json::to_vec(&v).unwrap();
        assert_eq!(
            ais_key("vessel", &body),
            Some(format!("vessel:{}", v.key()))
        );
    }

    #[test]
    fn formats_are_sniffed_from_the_first_line() {
        let dma = format!("{}\n", truce_ais::csv::DMA_HEADER);
        assert_eq!(AisFormat::sniff(dma.as_bytes()), Some(AisFormat::Dma));
        let mc = format!("{}\r\n", truce_ais::csv::MARINE_CADASTRE_HEADER);
        assert_eq!(
            AisFormat::sniff(mc.as_bytes()),
            Some(AisFormat::MarineCadastre)
        );
        assert_eq!(
            AisFormat::sniff(b"# log\n!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24\n"),
            Some(AisFormat::Nmea)
        );
        assert_eq!(
            AisFormat::sniff(b"\\g:1-2-73874,n:157036,s:r003669945,c:1241544035*4A\\!AIVDM,1,1,,B,15N4cJ`005Jrek0H@9n`DW5608EP,0*13\n"),
            Some(AisFormat::Nmea)
        );
        assert_eq!(AisFormat::sniff(b"latitude,longitude,acq_date\n"), None);
    }
}

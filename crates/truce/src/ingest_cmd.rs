//! `truce ingest` and `truce sites import`: bulk files into the log, attributable at bulk speed.
//!
//! Rows are streamed, validated and de-duplicated by their natural key (the report or site id,
//! with ACLED's revision), then appended in batches; each batch is one signed `manifest` entry
//! (format, source, count, Merkle root of the records) followed by its unsigned records, in one
//! durable commit. A killed ingest leaves whole batches only, and running it again adds each
//! record exactly once. Refused rows go to `--rejects` with their line and reason; `--strict`
//! checks the whole file first and appends nothing if any row is bad.
//!
//! Submission gates: every record's filing time (its entry `time`) is this computer's clock when
//! the ingest starts, so a historical event (a FIRMS archive, an ACLED export of 2019) is neither
//! ahead of the clock nor a late filing; a row whose event *starts* after that filing time (plus
//! `TRUCE_MAX_CLOCK_SKEW_S`) is refused like any bad row, and one whose event *ends* after it (an
//! ACLED week still running) is appended and counted as `flagged`.

use crate::datadir::DataDir;
use crate::domain_cmd::{load_signer, replay_for_bulk, Gate};
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use truce_ingest::{ActorMap, Format, Row};
use truce_model::domain::{Id, Manifest};
use truce_model::entry::{record, sign, Body};
use truce_model::{gate, Ledger, Time};

/// Arguments shared by the bulk commands.
pub struct Bulk<'a> {
    /// The file (`.gz` accepted).
    pub file: &'a Path,
    /// The author.
    pub author: &'a str,
    /// The author's signer key file.
    pub key: &'a Path,
    /// Where refused rows go.
    pub rejects: Option<&'a Path>,
    /// Refuse the whole file on the first bad row.
    pub strict: bool,
    /// Records per batch.
    pub batch: usize,
}

/// Counts bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a file, transparently gunzipping it; counts raw bytes read into `read`.
fn open(path: &Path, read: Arc<AtomicU64>) -> Result<Box<dyn Read>, Failure> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| Failure::input(anyhow!("{}: {e}", path.display())))?;
    let mut magic = [0u8; 2];
    let gz = f
        .read(&mut magic)
        .map(|n| n == 2 && magic == [0x1f, 0x8b])
        .unwrap_or(false);
    use std::io::Seek;
    f.seek(std::io::SeekFrom::Start(0))
        .map_err(|e| Failure::input(anyhow!("{}: {e}", path.display())))?;
    let counted = Counting { inner: f, read };
    Ok(if gz {
        Box::new(flate2::read::MultiGzDecoder::new(
            std::io::BufReader::with_capacity(1 << 20, counted),
        ))
    } else {
        Box::new(counted)
    })
}

fn head(path: &Path) -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    open(path, Arc::new(AtomicU64::new(0)))?
        .take(64 * 1024)
        .read_to_end(&mut buf)
        .map_err(|e| Failure::input(anyhow!("{}: {e}", path.display())))?;
    Ok(buf)
}

/// The summary of a bulk run.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    /// Records read.
    pub read: u64,
    /// Appended.
    pub accepted: u64,
    /// Already in the log (or earlier in the file).
    pub duplicates: u64,
    /// Well-formed but not tracked.
    pub skipped: u64,
    /// Refused.
    pub rejected: u64,
    /// Appended, but flagged by the submission gates (the event ends after its filing).
    pub flagged: u64,
    /// Batches (manifests) appended.
    pub batches: u64,
    /// First log index written.
    pub first_index: Option<u64>,
}

/// A batch ready to append: records in JCS form, their Merkle root and the lines they came from.
struct Batch {
    records: Vec<Vec<u8>>,
    root: truce_log::Hash,
    lines: (u64, u64),
}

/// Signs a manifest for a batch and appends both in one durable commit.
fn append_batch(
    cx: &mut Context,
    format: &str,
    source: &str,
    batch: &Batch,
    summary: &mut Summary,
) -> Result<(), Failure> {
    let manifest = Body::Manifest(Manifest {
        format: format.to_string(),
        source: format!("{source}, lines {}-{}", batch.lines.0, batch.lines.1),
        count: batch.records.len() as u64,
        root: batch.root.to_string(),
    });
    let env = sign(&cx.author, cx.time, &manifest, &cx.signer).map_err(Failure::input)?;
    let mut entries: Vec<&[u8]> = Vec::with_capacity(batch.records.len() + 2);
    entries.push(&env.bytes);
    entries.extend(batch.records.iter().map(Vec::as_slice));
    // The sequencer's clock closes the batch: read per batch, never before the log's last.
    let t = jiff::Timestamp::now();
    cx.gate.now = Time(jiff::Timestamp::from_second(t.as_second()).unwrap_or(t));
    let clock = cx
        .gate
        .clock_entry(&cx.state.ledger, cx.seq.size(), entries.len())?;
    if let Some(c) = &clock {
        entries.push(&c.bytes);
    }
    let ack = cx.seq.append(&entries)?;
    if let Some(c) = &clock {
        let at = ack.first_index + entries.len() as u64 - 1;
        cx.state.ledger.apply(at, &c.bytes);
    }
    summary.first_index.get_or_insert(ack.first_index);
    summary.batches += 1;
    Ok(())
}

/// Checks that `author` may file records of `kind` with this key, by admitting a trial manifest.
fn check_author(
    ledger: &Ledger,
    author: &Id,
    signer: &signed_note::StandardSigner,
    time: Time,
) -> Result<(), Failure> {
    let trial = Body::Manifest(Manifest {
        format: "check".into(),
        source: String::new(),
        count: 1,
        root: truce_log::EMPTY_HASH.to_string(),
    });
    let env = sign(author, time, &trial, signer).map_err(Failure::input)?;
    ledger
        .admit(&env.bytes)
        .map(|_| ())
        .map_err(|r| Failure::input(anyhow!("refused before reading: {r}")))
}

fn default_actors(ledger: &Ledger, extra: &[String]) -> Result<ActorMap, Failure> {
    let mut rules: Vec<(String, Id)> = Vec::new();
    for spec in extra {
        let (p, id) = spec.split_once('=').ok_or_else(|| {
            Failure::input(anyhow!(
                "--actor {spec:?}: write <actor name prefix>=<party id>"
            ))
        })?;
        let id =
            Id::new(id.trim()).map_err(|e| Failure::input(anyhow!("--actor {spec:?}: {e}")))?;
        if !ledger.parties.contains_key(&id) {
            return Err(Failure::input(anyhow!(
                "--actor {spec:?}: `{id}` is not a registered party"
            )));
        }
        rules.push((p.trim().to_string(), id));
    }
    for (prefix, party) in [
        ("Military Forces of Russia", "ru"),
        ("Government of Russia", "ru"),
        ("Military Forces of Ukraine", "ua"),
        ("Government of Ukraine", "ua"),
    ] {
        if let Ok(id) = Id::new(party) {
            if ledger.parties.contains_key(&id) {
                rules.push((prefix.to_string(), id));
            }
        }
    }
    Ok(ActorMap::new(rules))
}

/// The `--relay TEXT=PARTY` rules, each naming a registered party.
fn relay_rules(ledger: &Ledger, specs: &[String]) -> Result<Vec<(String, Id)>, Failure> {
    specs
        .iter()
        .map(|spec| {
            let (text, id) = ActorMap::parse_relay(spec)
                .map_err(|e| Failure::input(anyhow!("--relay {spec:?}: {e}")))?;
            if !ledger.parties.contains_key(&id) {
                return Err(Failure::input(anyhow!(
                    "--relay {spec:?}: `{id}` is not a registered party"
                )));
            }
            Ok((text, id))
        })
        .collect()
}

fn bar(out: &Out, total: u64) -> ProgressBar {
    if out.quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(s) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left) {msg}") {
        b.set_style(s);
    }
    b
}

/// The rejects file: `line,reason,record` CSV.
fn rejects_writer(path: Option<&Path>) -> Result<Option<csv::Writer<std::fs::File>>, Failure> {
    let Some(p) = path else { return Ok(None) };
    let mut w =
        csv::Writer::from_path(p).map_err(|e| Failure::input(anyhow!("{}: {e}", p.display())))?;
    w.write_record(["line", "reason", "record"])
        .map_err(|e| Failure::input(anyhow!("{}: {e}", p.display())))?;
    Ok(Some(w))
}

/// One item of a bulk file.
enum Item {
    /// A record to add (its natural key and revision, and the body).
    Add {
        line: u64,
        id: Id,
        revision: Option<i64>,
        body: Box<Body>,
        /// What the submission gates flagged, if anything.
        flag: Option<String>,
    },
    /// Well-formed, not tracked.
    Skip,
    /// Refused.
    Refuse {
        line: u64,
        reason: String,
        raw: String,
    },
}

/// What every bulk command needs once the file's format is known.
struct Context {
    author: Id,
    signer: signed_note::StandardSigner,
    /// The records' filing time: this computer's clock at the start (whole seconds).
    time: Time,
    /// The submission clock (reading `time`) and the gates' thresholds.
    gate: Gate,
    seq: truce_store::Sequencer<truce_store::sqlite::SqliteStorage>,
    state: crate::domain_cmd::BulkState,
}

fn context(dir: &DataDir, b: &Bulk) -> Result<Context, Failure> {
    let author = Id::new(b.author).map_err(|e| Failure::input(anyhow!(e)))?;
    let signer = load_signer(b.key)?;
    let gate = Gate::system(dir)?;
    let time = gate.now;
    let seq = dir.sequencer()?;
    let state = replay_for_bulk(seq.reader(), &author)?;
    check_author(&state.ledger, &author, &signer, time)?;
    Ok(Context {
        author,
        signer,
        time,
        gate,
        seq,
        state,
    })
}

/// Streams the items `make` produces into the log in manifest-covered batches, skipping what is
/// already there. Two threads: one reads, validates, de-duplicates, encodes and hashes; the other
/// signs manifests and appends durably. A bounded channel keeps memory flat.
fn run_bulk<F, I>(
    mut cx: Context,
    b: &Bulk,
    format: &str,
    existing: crate::domain_cmd::Seen,
    make: F,
    read: Arc<AtomicU64>,
    out: &Out,
) -> Result<(), Failure>
where
    F: FnOnce() -> Result<I, Failure> + Send,
    I: Iterator<Item = Item>,
{
    let name = b.file.display().to_string();
    let source = b
        .file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let total = std::fs::metadata(b.file).map(|m| m.len()).unwrap_or(0);
    let progress = bar(out, total);
    let mut rejects = rejects_writer(b.rejects)?;
    let (author, time, batch_size) = (cx.author.clone(), cx.time, b.batch);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(2);
    let mut summary = Summary::default();
    let produced = std::thread::scope(|scope| -> Result<Summary, Failure> {
        let name = &name;
        let producer = scope.spawn(move || -> Result<Summary, Failure> {
            let mut existing = existing;
            let mut s = Summary::default();
            let mut records = Vec::with_capacity(batch_size);
            let mut lines = (0, 0);
            let send = |records: &mut Vec<Vec<u8>>, lines: (u64, u64)| -> bool {
                let root = truce_log::merkle_root(records.iter().map(Vec::as_slice));
                tx.send(Batch {
                    records: std::mem::replace(records, Vec::with_capacity(batch_size)),
                    root,
                    lines,
                })
                .is_ok()
            };
            for item in make()? {
                s.read += 1;
                match item {
                    Item::Skip => s.skipped += 1,
                    Item::Refuse { line, reason, raw } => {
                        s.rejected += 1;
                        if let Some(r) = rejects.as_mut() {
                            r.write_record([line.to_string().as_str(), &reason, &raw])
                                .map_err(|e| Failure::input(anyhow!("rejects file: {e}")))?;
                        } else if s.rejected <= 20 {
                            eprintln!("{name}:{line}: {reason}");
                        }
                    }
                    Item::Add {
                        line,
                        id,
                        revision,
                        body,
                        flag,
                    } => {
                        let key = crate::domain_cmd::key_of(id.as_str());
                        if let Some(old) = existing.get(&key) {
                            if revision.unwrap_or(i64::MIN) <= old.unwrap_or(i64::MIN) {
                                s.duplicates += 1;
                                continue;
                            }
                        }
                        let bytes = match record(&author, time, &body) {
                            Ok(bytes) => bytes,
                            Err(e) => {
                                s.rejected += 1;
                                eprintln!("{name}:{line}: {e}");
                                continue;
                            }
                        };
                        existing.insert(key, revision);
                        if records.is_empty() {
                            lines.0 = line;
                        }
                        lines.1 = line;
                        records.push(bytes);
                        s.accepted += 1;
                        if let Some(why) = flag {
                            s.flagged += 1;
                            if s.flagged <= 20 {
                                eprintln!("{name}:{line}: flagged: {why}");
                            }
                        }
                        if records.len() >= batch_size && !send(&mut records, lines) {
                            return Ok(s); // the appender stopped; its error is reported
                        }
                    }
                }
            }
            if !records.is_empty() {
                send(&mut records, lines);
            }
            if let Some(r) = rejects.as_mut() {
                r.flush()
                    .map_err(|e| Failure::input(anyhow!("rejects file: {e}")))?;
            }
            Ok(s)
        });
        let mut appended: Result<(), Failure> = Ok(());
        for batch in rx.iter() {
            if let Err(e) = append_batch(&mut cx, format, &source, &batch, &mut summary) {
                appended = Err(e);
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
    progress.finish_and_clear();
    summary.read = produced.read;
    summary.accepted = produced.accepted;
    summary.duplicates = produced.duplicates;
    summary.skipped = produced.skipped;
    summary.rejected = produced.rejected;
    summary.flagged = produced.flagged;
    let size = cx.seq.size();
    let flagged = if summary.flagged > 0 {
        format!(" flagged {}", summary.flagged)
    } else {
        String::new()
    };
    eprintln!(
        "{name} ({format}): read {}, accepted {}, duplicates {}, skipped {}, rejected {}{}{}; log size {size}",
        summary.read,
        summary.accepted,
        summary.duplicates,
        summary.skipped,
        summary.rejected,
        b.rejects.map(|p| format!(" (see {})", p.display())).unwrap_or_default(),
        if summary.flagged > 0 {
            format!(", flagged {} (the event ends after its filing)", summary.flagged)
        } else {
            String::new()
        }
    );
    out.print(
        format!(
            "read {} accepted {} duplicates {} skipped {} rejected {}{flagged}\n",
            summary.read, summary.accepted, summary.duplicates, summary.skipped, summary.rejected
        ),
        json!({ "file": name, "format": format, "summary": summary, "log_size": size }),
    )
}

fn strict_failure(name: &str, line: u64, reason: &str) -> Failure {
    Failure::input(anyhow!(
        "{name}:{line}: {reason}; nothing was appended (--strict)"
    ))
}

/// `truce ingest`.
pub fn ingest(
    dir: &DataDir,
    b: &Bulk,
    format: Option<&str>,
    actors: &[String],
    relays: &[String],
    out: &Out,
) -> Result<(), Failure> {
    let format = match format {
        Some(f) => Format::parse(f).map_err(|e| Failure::input(anyhow!(e)))?,
        None => truce_ingest::sniff(&head(b.file)?)
            .map_err(|e| Failure::input(anyhow!("{}: {e}", b.file.display())))?,
    };
    let mut cx = context(dir, b)?;
    let actors = default_actors(&cx.state.ledger, actors)?
        .with_relays(relay_rules(&cx.state.ledger, relays)?);
    let parties: std::collections::HashSet<Id> = cx.state.ledger.parties.keys().cloned().collect();
    // The gates: the filing time is the submission clock's reading, so only an event that starts
    // after it is refused, and one that ends after it flagged.
    let (filed, limits, clock) = (cx.time, cx.gate.limits, cx.gate.clock);
    let gate_row = move |report: &truce_model::domain::Report| -> Result<Option<String>, String> {
        match gate::check_times(filed, Some(&report.time), filed, &limits) {
            Ok(flags) => Ok(flags.first().map(|f| f.describe(clock))),
            Err(gate::Refusal::EventStartsAfterFiling {
                start,
                after_s,
                skew_s,
                ..
            }) => Err(format!(
                "field `time`: the event starts at {start}, {} after this ingest's filing time {filed} ({clock}); a record cannot describe an event that has not started (allowed skew {skew_s} s): fix the row, or this computer's clock",
                gate::span(after_s)
            )),
            Err(r) => Err(r.describe(clock)),
        }
    };
    let to_item = move |row: Row| -> Item {
        match row {
            Row::Skipped { .. } => Item::Skip,
            Row::Refused { line, reason, raw } => Item::Refuse { line, reason, raw },
            Row::Report { line, report } => match (&report.alleged_perpetrator, &report.relays) {
                (Some(p), _) if !parties.contains(p) => Item::Refuse {
                    line,
                    reason: format!("field `alleged_perpetrator`: `{p}` is not a registered party"),
                    raw: String::new(),
                },
                (_, Some(p)) if !parties.contains(p) => Item::Refuse {
                    line,
                    reason: format!("field `relays`: `{p}` is not a registered party"),
                    raw: String::new(),
                },
                _ => match gate_row(&report) {
                    Err(reason) => Item::Refuse {
                        line,
                        reason,
                        raw: String::new(),
                    },
                    Ok(flag) => Item::Add {
                        line,
                        id: report.id.clone(),
                        revision: report.revision,
                        body: Box::new(Body::Report(*report)),
                        flag,
                    },
                },
            },
        }
    };
    let name = b.file.display().to_string();
    let rows = |read| -> Result<_, Failure> {
        truce_ingest::reports(format, open(b.file, read)?, actors.clone())
            .map_err(|e| Failure::input(anyhow!("{name}: {e}")))
    };
    if b.strict {
        for item in rows(Arc::new(AtomicU64::new(0)))?.map(&to_item) {
            if let Item::Refuse { line, reason, .. } = item {
                return Err(strict_failure(&name, line, &reason));
            }
        }
    }
    let existing = std::mem::take(&mut cx.state.reports);
    let read = Arc::new(AtomicU64::new(0));
    let (file, counter) = (b.file.to_path_buf(), read.clone());
    let make = move || -> Result<_, Failure> {
        let input = open(&file, counter)?;
        let rows = truce_ingest::reports(format, input, actors)
            .map_err(|e| Failure::input(anyhow!("{}: {e}", file.display())))?;
        Ok(rows.map(to_item))
    };
    run_bulk(cx, b, format.name(), existing, make, read, out)
}

/// How `truce sites import` reads a file.
pub enum SiteFormat {
    /// WRI Global Power Plant Database CSV.
    Wri,
    /// GeoJSON FeatureCollection.
    GeoJson,
    /// OpenStreetMap PBF extract.
    Osm,
    /// Any CSV through a column mapping.
    Csv(truce_ingest::sites_csv::Mapping),
}

/// `truce sites import`.
pub fn sites_import(dir: &DataDir, b: &Bulk, format: SiteFormat, out: &Out) -> Result<(), Failure> {
    use truce_ingest::sites_csv::{rows, Mapping, SiteRow};
    let mut cx = context(dir, b)?;
    let name = b.file.display().to_string();
    let read = Arc::new(AtomicU64::new(0));
    let site = |line: u64, s: truce_model::domain::Site| Item::Add {
        line,
        id: s.id.clone(),
        revision: None,
        body: Box::new(Body::Site(s)),
        flag: None,
    };
    let (format_name, items): (&str, Vec<Item>) = match format {
        SiteFormat::Wri | SiteFormat::Csv(_) => {
            let (n, m) = match format {
                SiteFormat::Csv(m) => ("csv", m),
                _ => ("wri", Mapping::wri()),
            };
            let got = rows(open(b.file, read.clone())?, &m)
                .map_err(|e| Failure::input(anyhow!("{name}: {e}")))?;
            (
                n,
                got.into_iter()
                    .map(|r| match r {
                        SiteRow::Site { line, site: s } => site(line, *s),
                        SiteRow::Refused { line, reason, raw } => {
                            Item::Refuse { line, reason, raw }
                        }
                    })
                    .collect(),
            )
        }
        SiteFormat::GeoJson => {
            let got = truce_ingest::geojson::read_sites(open(b.file, read.clone())?)
                .map_err(|e| Failure::input(anyhow!("{name}: {e}")))?;
            (
                "geojson",
                got.into_iter()
                    .enumerate()
                    .map(|(i, s)| site(i as u64 + 1, s))
                    .collect(),
            )
        }
        SiteFormat::Osm => {
            let path = b.file.to_path_buf();
            let got = truce_ingest::osm::read_sites_from(|| std::fs::File::open(&path))
                .map_err(|e| Failure::input(anyhow!("{name}: {e}")))?;
            let mut items: Vec<Item> = got
                .sites
                .into_iter()
                .enumerate()
                .map(|(i, s)| site(i as u64 + 1, s))
                .collect();
            items.extend(got.skipped.into_iter().map(|(el, why)| {
                tracing::info!("{name}: {el} skipped: {why}");
                Item::Skip
            }));
            ("osm", items)
        }
    };
    if b.strict {
        if let Some(Item::Refuse { line, reason, .. }) =
            items.iter().find(|i| matches!(i, Item::Refuse { .. }))
        {
            return Err(strict_failure(&name, *line, reason));
        }
    }
    let existing = std::mem::take(&mut cx.state.sites);
    run_bulk(
        cx,
        b,
        format_name,
        existing,
        move || Ok(items.into_iter()),
        read,
        out,
    )
}

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
use crate::domain_cmd::{body_of, key_of, load_signer, replay_for_bulk, Gate, SeenRecord};
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use truce_ingest::limits::{Inflation, Limits};
use truce_ingest::{ActorMap, Format, Row};
use truce_model::domain::{Id, Manifest};
use truce_model::entry::{record, sign, Body};
use truce_model::{gate, Ledger, Time};

mod ais;
pub(crate) use ais::run as ais_run;
pub use ais::{reception_area, AisFormat, AisOptions};

/// What `truce ingest --format` names: a report format, or an AIS one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestFormat {
    /// Reports (FIRMS, ACLED, UCDP GED, Truce's CSV / JSON Lines / GeoJSON).
    Reports(Format),
    /// AIS: NMEA sentences, DMA or MarineCadastre CSV.
    Ais(AisFormat),
}

impl crate::values::Named for IngestFormat {
    const VALUES: &'static [crate::values::Choice<IngestFormat>] = {
        use crate::values::Choice;
        use Format::*;
        use IngestFormat::*;
        &[
            Choice(Reports(Firms)),
            Choice(Reports(Acled)),
            Choice(Reports(Ucdp)),
            Choice(Reports(Csv)),
            Choice(Reports(Jsonl)),
            Choice(Reports(GeoJson)),
            Choice(Ais(AisFormat::Nmea)),
            Choice(Ais(AisFormat::Dma)),
            Choice(Ais(AisFormat::MarineCadastre)),
        ]
    };
    fn name(&self) -> &'static str {
        match self {
            IngestFormat::Reports(f) => f.name(),
            IngestFormat::Ais(f) => f.name(),
        }
    }
}

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
    /// Bounds on a record's bytes and on decompression.
    pub limits: Limits,
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

/// Opens a file, transparently gunzipping it within `limits` (decompressed size and ratio);
/// counts raw bytes read into `read`.
fn open(path: &Path, read: Arc<AtomicU64>, limits: &Limits) -> Result<Box<dyn Read>, Failure> {
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
    let counted = Counting {
        inner: f,
        read: read.clone(),
    };
    Ok(if gz {
        Box::new(Inflation::new(
            flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, counted)),
            read,
            *limits,
        ))
    } else {
        Box::new(counted)
    })
}

fn head(path: &Path) -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    open(path, Arc::new(AtomicU64::new(0)), &Limits::default())?
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
    /// Already in the log or earlier in the file with the same content (or superseded there by a
    /// newer revision).
    pub duplicates: u64,
    /// Well-formed but not tracked.
    pub skipped: u64,
    /// Refused: bad rows, and ids reused with other content at the same revision.
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
        reception: cx.reception.clone(),
    });
    let env = sign(&cx.author, cx.time, &manifest, &cx.signer).map_err(Failure::input)?;
    let mut entries: Vec<&[u8]> = Vec::with_capacity(batch.records.len() + 2);
    entries.push(&env.bytes);
    entries.extend(batch.records.iter().map(Vec::as_slice));
    // The sequencer's clock closes the batch: read per batch, never before the log's last (a
    // scenario's clock stays at the step's time).
    if !cx.fixed_clock {
        let t = jiff::Timestamp::now();
        cx.gate.now = Time(jiff::Timestamp::from_second(t.as_second()).unwrap_or(t));
    }
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
        reception: None,
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
        /// The id an earlier version of Truce gave the same row, with what the record said
        /// under it (see `truce_ingest::sites_csv::Mapping::legacy_row_ids`).
        alias: Option<Alias>,
    },
    /// Well-formed, not tracked.
    Skip,
    /// Refused.
    Refuse {
        line: u64,
        reason: String,
        raw: String,
    },
    /// The file cannot be read further (a limit exceeded, a read error): the run stops.
    Stop { line: u64, reason: String },
}

/// The most bytes of a refused record written to the rejects file (a longer one is cut, and
/// says so), so that a hostile record never copies itself whole.
const REJECT_PREFIX: usize = 4096;

/// At most [`REJECT_PREFIX`] bytes of `raw` (cut at a character boundary), saying how long it was.
fn reject_prefix(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.len() <= REJECT_PREFIX {
        return raw.into();
    }
    let mut end = REJECT_PREFIX;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [cut: {} bytes in all]", &raw[..end], raw.len()).into()
}

/// The error for an [`Item::Stop`].
fn stop_failure(name: &str, line: u64, reason: &str) -> Failure {
    Failure::input(anyhow!(
        "{name}:{line}: {reason}; the file was not read further (batches appended before this line stay in the log, and running the command again adds each record once)"
    ))
}

/// A row's earlier id: its key and the record's content under it.
struct Alias {
    key: [u8; 16],
    seen: SeenRecord,
}

/// What to do with a record whose id may already be known.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// New, or a new revision: add it.
    Add,
    /// The same record again, or an older revision: nothing to add.
    Duplicate,
    /// The same id and revision saying something else: refused, with the reason.
    Conflict(String),
}

/// Decides about a record of `kind` with id `id` read at `line`: `seen` is what it says,
/// `earlier` what was filed under its id before (in the log or earlier in the file), `alias`
/// its earlier id and what was filed under that. A row already filed under its earlier id with
/// the same content is a duplicate; otherwise the id decides: same revision and content is a
/// duplicate, same revision and other content a conflict, an older revision a duplicate (it is
/// superseded), a newer one an amendment to add.
fn verdict(
    kind: &str,
    id: &str,
    seen: SeenRecord,
    earlier: Option<SeenRecord>,
    alias: Option<(SeenRecord, SeenRecord)>,
) -> Verdict {
    if alias.is_some_and(|(mine, filed)| mine.content == filed.content) {
        return Verdict::Duplicate;
    }
    let Some(old) = earlier else {
        return Verdict::Add;
    };
    if seen.revision > old.revision {
        return Verdict::Add;
    }
    if seen.revision < old.revision || seen.content == old.content {
        return Verdict::Duplicate;
    }
    let revision = if seen.revision == i64::MIN {
        String::new()
    } else {
        format!(" at revision {}", seen.revision)
    };
    let place = match old.line {
        0 => "is already in the log".to_string(),
        n => format!("was already read at line {n} of this file"),
    };
    Verdict::Conflict(format!(
        "{kind} id `{id}`{revision} {place} with other content: one id and revision cannot say two things, so this row is refused (give it its own id; a correction is a new revision or an `amend` entry)"
    ))
}

/// What every bulk command needs once the file's format is known.
pub(crate) struct Context {
    author: Id,
    signer: signed_note::StandardSigner,
    /// The records' filing time: this computer's clock at the start (whole seconds).
    time: Time,
    /// The submission clock (reading `time`) and the gates' thresholds.
    gate: Gate,
    seq: truce_store::Sequencer<truce_store::DynStorage>,
    state: crate::domain_cmd::BulkState,
    /// The gate's clock is a scenario's, fixed at `time` (`truce demo`): not re-read per batch.
    fixed_clock: bool,
    /// The area the filer's receivers hear, stated in each manifest (AIS ingests).
    reception: Option<truce_model::domain::Zone>,
}

fn context(dir: &DataDir, b: &Bulk<'_>) -> Result<Context, Failure> {
    let author = Id::new(b.author).map_err(|e| Failure::input(anyhow!(e)))?;
    let signer = load_signer(b.key)?;
    let gate = Gate::system(dir)?;
    let mut cx = scenario_context(dir.sequencer()?, author, signer, gate)?;
    cx.fixed_clock = false;
    Ok(cx)
}

/// A bulk context on a sequencer the caller holds, filing at the gate's fixed clock (`truce
/// demo`'s scenario clock); [`Context::into_sequencer`] gives the sequencer back. (`truce
/// ingest`'s own, [`context`], is this one on this computer's clock, read again per batch.)
pub(crate) fn scenario_context(
    seq: truce_store::Sequencer<truce_store::DynStorage>,
    author: Id,
    signer: signed_note::StandardSigner,
    gate: Gate,
) -> Result<Context, Failure> {
    let state = replay_for_bulk(seq.reader(), &author)?;
    let time = gate.now;
    check_author(&state.ledger, &author, &signer, time)?;
    Ok(Context {
        author,
        signer,
        time,
        gate,
        seq,
        state,
        fixed_clock: true,
        reception: None,
    })
}

impl Context {
    /// The sequencer, handed back.
    pub(crate) fn into_sequencer(self) -> truce_store::Sequencer<truce_store::DynStorage> {
        self.seq
    }
}

/// Refused (and flagged) rows printed on stderr when there is no rejects file; the rest are
/// counted in one line.
const SHOWN: u64 = 20;

/// Streams the items `make` produces into the log in manifest-covered batches, skipping what is
/// already there. Two threads: one reads, validates, de-duplicates, encodes and hashes; the other
/// signs manifests and appends durably. A bounded channel keeps memory flat.
fn run_bulk<F, I>(
    mut cx: Context,
    b: &Bulk<'_>,
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
            // Refused rows: to the rejects file, else the first 20 on stderr (the rest counted).
            let mut refuse = |s: &mut Summary, line: u64, reason: &str, raw: &str| {
                s.rejected += 1;
                if let Some(r) = rejects.as_mut() {
                    r.write_record([line.to_string().as_str(), reason, &reject_prefix(raw)])
                        .map_err(|e| Failure::input(anyhow!("rejects file: {e}")))?;
                } else if s.rejected <= SHOWN {
                    eprintln!("{name}:{line}: {reason}");
                }
                Ok::<(), Failure>(())
            };
            for item in make()? {
                s.read += 1;
                match item {
                    Item::Skip => s.skipped += 1,
                    Item::Refuse { line, reason, raw } => refuse(&mut s, line, &reason, &raw)?,
                    Item::Stop { line, reason } => {
                        if let Some(r) = rejects.as_mut() {
                            let _ = r.flush();
                        }
                        return Err(stop_failure(name, line, &reason));
                    }
                    Item::Add {
                        line,
                        id,
                        revision,
                        body,
                        flag,
                        alias,
                    } => {
                        let bytes = match record(&author, time, &body) {
                            Ok(bytes) => bytes,
                            Err(e) => {
                                refuse(&mut s, line, &e.to_string(), "")?;
                                continue;
                            }
                        };
                        let kind = body.kind().as_str();
                        let body_json = body_of(&bytes).unwrap_or_default();
                        let seen = SeenRecord::new(kind, revision, body_json, line);
                        let key = key_of(id.as_str());
                        let alias =
                            alias.and_then(|a| existing.get(&a.key).map(|filed| (a.seen, *filed)));
                        match verdict(kind, id.as_str(), seen, existing.get(&key).copied(), alias) {
                            Verdict::Duplicate => {
                                s.duplicates += 1;
                                continue;
                            }
                            Verdict::Conflict(reason) => {
                                let raw = String::from_utf8_lossy(body_json);
                                refuse(&mut s, line, &reason, &raw)?;
                                continue;
                            }
                            Verdict::Add => {}
                        }
                        existing.insert(key, seen);
                        if records.is_empty() {
                            lines.0 = line;
                        }
                        lines.1 = line;
                        records.push(bytes);
                        s.accepted += 1;
                        if let Some(why) = flag {
                            s.flagged += 1;
                            if s.flagged <= SHOWN {
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
    if b.rejects.is_none() && summary.rejected > SHOWN {
        eprintln!(
            "{name}: … and {} more refused row(s) not shown; --rejects FILE writes every one with its line and reason",
            summary.rejected - SHOWN
        );
    }
    if summary.flagged > SHOWN {
        eprintln!(
            "{name}: … and {} more flagged row(s) not shown",
            summary.flagged - SHOWN
        );
    }
    eprintln!(
        "{name} ({format}): read {}, accepted {}, duplicates {}, skipped {}, rejected {}{}{}; log size {size}",
        summary.read,
        summary.accepted,
        summary.duplicates,
        summary.skipped,
        summary.rejected,
        b.rejects
            .filter(|_| summary.rejected > 0)
            .map(|p| format!(" (see {})", p.display()))
            .unwrap_or_default(),
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

/// `truce ingest`: the format from `--format`, else sniffed (an AIS header or sentence, else a
/// report format's header); AIS files go to [`ais::ingest`] with `ais_opts`.
pub fn ingest(
    dir: &DataDir,
    b: &Bulk<'_>,
    format: Option<IngestFormat>,
    actors: &[String],
    relays: &[String],
    ais_opts: AisOptions,
    out: &Out,
) -> Result<(), Failure> {
    let format = match format {
        Some(IngestFormat::Reports(f)) => f,
        Some(IngestFormat::Ais(f)) => return ais::ingest(dir, b, f, ais_opts, out),
        None => {
            let head = head(b.file)?;
            if let Some(f) = AisFormat::sniff(&head) {
                return ais::ingest(dir, b, f, ais_opts, out);
            }
            truce_ingest::sniff(&head)
                .map_err(|e| Failure::input(anyhow!("{}: {e}", b.file.display())))?
        }
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
            Row::Unreadable { line, reason } => Item::Stop { line, reason },
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
                        alias: None,
                    },
                },
            },
        }
    };
    let name = b.file.display().to_string();
    let limits = b.limits;
    let rows = |read| -> Result<_, Failure> {
        truce_ingest::reports_with(
            format,
            open(b.file, read, &limits)?,
            actors.clone(),
            &limits,
        )
        .map_err(|e| Failure::input(anyhow!("{name}: {e}")))
    };
    if b.strict {
        for item in rows(Arc::new(AtomicU64::new(0)))?.map(&to_item) {
            match item {
                Item::Refuse { line, reason, .. } => {
                    return Err(strict_failure(&name, line, &reason))
                }
                Item::Stop { line, reason } => {
                    return Err(Failure::input(anyhow!(
                        "{name}:{line}: {reason}; nothing was appended (--strict)"
                    )))
                }
                _ => {}
            }
        }
    }
    let existing = std::mem::take(&mut cx.state.reports);
    let read = Arc::new(AtomicU64::new(0));
    let (file, counter) = (b.file.to_path_buf(), read.clone());
    let make = move || -> Result<_, Failure> {
        let input = open(&file, counter, &limits)?;
        let rows = truce_ingest::reports_with(format, input, actors, &limits)
            .map_err(|e| Failure::input(anyhow!("{}: {e}", file.display())))?;
        Ok(rows.map(to_item))
    };
    run_bulk(cx, b, format.name(), existing, make, read, out)
}

/// How `truce sites import` reads its file: `--format`, else the name (`.pbf` → osm,
/// `.geojson`/`.json` → geojson, after any `.gz`), else the header (`gppd_idnr` → wri, any other
/// CSV → csv). A CSV's columns default to `name`, `lat`, `lon`, the `id` column if there is one
/// (else ids from line numbers) and the `category` column if there is one, so `truce simulate
/// sites` output imports as it is.
pub fn site_format(a: &crate::cli::SitesImportArgs) -> Result<SiteFormat, Failure> {
    use truce_ingest::sites_csv::{CategoryFrom, Mapping};
    let path = &a.bulk.file;
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = file_name.to_ascii_lowercase();
    let stem = lower.strip_suffix(".gz").unwrap_or(&lower);
    let ext = stem.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    // The header, decompressed, as the CSV reader will see it.
    let header = || -> Vec<String> {
        let head = head(path).unwrap_or_default();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(head.as_slice());
        let mut rec = csv::ByteRecord::new();
        if !rdr.read_byte_record(&mut rec).unwrap_or(false) {
            return Vec::new();
        }
        rec.iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .trim()
                    .to_ascii_lowercase()
            })
            .collect()
    };
    use crate::cli::SiteFormatName as Name;
    let guess = match a.format {
        Some(f) => f,
        None if ext == "pbf" => Name::Osm,
        None if ext == "geojson" || ext == "json" => Name::Geojson,
        None if header().iter().any(|h| h == "gppd_idnr") => Name::Wri,
        None => Name::Csv,
    };
    Ok(match guess {
        Name::Wri => SiteFormat::Wri,
        Name::Geojson => SiteFormat::GeoJson,
        Name::Osm => SiteFormat::Osm,
        Name::Csv => {
            let columns = header();
            let has = |c: &str| columns.iter().any(|h| h == c);
            let category = match (&a.category, &a.category_column) {
                (Some(c), None) => CategoryFrom::Fixed(
                    truce_model::taxonomy::Category::new(c)
                        .map_err(|e| Failure::input(anyhow!("--category: {e}")))?,
                ),
                (None, Some(col)) => CategoryFrom::Column(col.clone()),
                (None, None) if has("category") => CategoryFrom::Column("category".into()),
                (None, None) => {
                    return Err(Failure::input(anyhow!(
                        "{}: a CSV site list needs its sites' categories: --category-column <column> (the file's columns are {}), or --category <name> for every row (see `truce taxonomy`); a column named `category` is used by default",
                        path.display(),
                        columns.join(", ")
                    )))
                }
                (Some(_), Some(_)) => {
                    return Err(Failure::input(anyhow!(
                        "give either --category <name> (every row) or --category-column <column>, not both"
                    )))
                }
            };
            SiteFormat::Csv(Mapping {
                id: a.id.clone().or_else(|| has("id").then(|| "id".to_string())),
                name: a.name.clone(),
                lat: a.lat.clone(),
                lon: a.lon.clone(),
                category,
                // The file's name only: where the importer keeps it is nobody's business.
                source: format!("site list {file_name}"),
                legacy_row_ids: a.id.is_none(),
            })
        }
    })
}

/// After a site list's missing columns: the options that name them.
fn column_hint(format: &str, e: &truce_ingest::IngestError) -> String {
    if e.field.as_deref() != Some("header") || !e.reason.contains("missing column") {
        return String::new();
    }
    if format == "wri" {
        return "; a sheet with other column names imports with --format csv and --lat, --lon, --name, --id and --category-column".into();
    }
    let options: Vec<&str> = [
        ("(name)", "--name <column>"),
        ("(latitude)", "--lat <column>"),
        ("(longitude)", "--lon <column>"),
        ("(id)", "--id <column>"),
        (
            "(category)",
            "--category-column <column> (or --category <name> for every row)",
        ),
    ]
    .into_iter()
    .filter(|(what, _)| e.reason.contains(what))
    .map(|(_, option)| option)
    .collect();
    format!("; name the file's columns with {}", options.join(", "))
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
pub fn sites_import(
    dir: &DataDir,
    b: &Bulk<'_>,
    format: SiteFormat,
    out: &Out,
) -> Result<(), Failure> {
    use truce_ingest::sites_csv::{rows_with, Mapping, SiteRow};
    let mut cx = context(dir, b)?;
    let name = b.file.display().to_string();
    let read = Arc::new(AtomicU64::new(0));
    let (author, time) = (cx.author.clone(), cx.time);
    let site = |line: u64, s: truce_model::domain::Site, legacy: Option<Id>| {
        // What this row says under the id an earlier version gave it.
        let alias = legacy.and_then(|old| {
            let key = key_of(old.as_str());
            let mut as_before = s.clone();
            as_before.id = old;
            let bytes = record(&author, time, &Body::Site(as_before)).ok()?;
            let seen = SeenRecord::new("site", None, body_of(&bytes)?, line);
            Some(Alias { key, seen })
        });
        Item::Add {
            line,
            id: s.id.clone(),
            revision: None,
            body: Box::new(Body::Site(s)),
            flag: None,
            alias,
        }
    };
    let (format_name, items): (&str, Vec<Item>) = match format {
        SiteFormat::Wri | SiteFormat::Csv(_) => {
            let (n, m) = match format {
                SiteFormat::Csv(m) => ("csv", m),
                _ => ("wri", Mapping::wri()),
            };
            let got = rows_with(
                open(b.file, read.clone(), &b.limits)?,
                &m,
                b.limits.max_record,
            )
            .map_err(|e| Failure::input(anyhow!("{name}: {e}{}", column_hint(n, &e))))?;
            (
                n,
                got.into_iter()
                    .map(|r| match r {
                        SiteRow::Site {
                            line,
                            site: s,
                            legacy_id,
                        } => site(line, *s, legacy_id),
                        SiteRow::Refused { line, reason, raw } => {
                            Item::Refuse { line, reason, raw }
                        }
                    })
                    .collect(),
            )
        }
        SiteFormat::GeoJson => {
            let got = truce_ingest::geojson::read_sites_with(
                open(b.file, read.clone(), &b.limits)?,
                b.limits.max_record,
            )
            .map_err(|e| Failure::input(anyhow!("{name}: {e}")))?;
            (
                "geojson",
                got.into_iter()
                    .enumerate()
                    .map(|(i, s)| site(i as u64 + 1, s, None))
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
                .map(|(i, s)| site(i as u64 + 1, s, None))
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

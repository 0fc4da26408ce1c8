//! `truce ingest` and `truce sites import`: bulk files into the log, attributable at bulk speed.
//!
//! Rows are streamed, validated and de-duplicated by their natural key (the report or site id,
//! with ACLED's revision), then appended in batches; each batch is one signed `manifest` entry
//! (format, source, count, Merkle root of the records) followed by its unsigned records, in one
//! durable commit. A killed ingest leaves whole batches only, and running it again adds each
//! record exactly once. Refused rows go to `--rejects` with their line and reason; `--strict`
//! checks the whole file first and appends nothing if any row is bad.

use crate::datadir::DataDir;
use crate::domain_cmd::{load_signer, replay};
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use truce_ingest::{ActorMap, Format, Row};
use truce_model::domain::{Id, Manifest};
use truce_model::entry::{record, sign, Body};
use truce_model::{Ledger, Time};

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
    /// Batches (manifests) appended.
    pub batches: u64,
    /// First log index written.
    pub first_index: Option<u64>,
}

/// Appends records in manifest-covered batches.
struct Writer<'a> {
    seq: truce_store::Sequencer<truce_store::sqlite::SqliteStorage>,
    author: Id,
    signer: signed_note::StandardSigner,
    time: Time,
    format: &'a str,
    source: String,
    pending: Vec<Vec<u8>>,
    lines: (u64, u64),
}

impl Writer<'_> {
    fn push(&mut self, line: u64, bytes: Vec<u8>) {
        if self.pending.is_empty() {
            self.lines.0 = line;
        }
        self.lines.1 = line;
        self.pending.push(bytes);
    }

    fn flush(&mut self, summary: &mut Summary) -> Result<(), Failure> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let root = truce_log::merkle_root(self.pending.iter().map(Vec::as_slice));
        let manifest = Body::Manifest(Manifest {
            format: self.format.to_string(),
            source: format!("{}, lines {}-{}", self.source, self.lines.0, self.lines.1),
            count: self.pending.len() as u64,
            root: root.to_string(),
        });
        let env = sign(&self.author, self.time, &manifest, &self.signer).map_err(Failure::input)?;
        let mut entries: Vec<&[u8]> = Vec::with_capacity(self.pending.len() + 1);
        entries.push(&env.bytes);
        entries.extend(self.pending.iter().map(Vec::as_slice));
        let ack = self.seq.append(&entries)?;
        summary.first_index.get_or_insert(ack.first_index);
        summary.batches += 1;
        self.pending.clear();
        Ok(())
    }
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

/// `truce ingest`.
pub fn ingest(
    dir: &DataDir,
    b: &Bulk,
    format: Option<&str>,
    actors: &[String],
    out: &Out,
) -> Result<(), Failure> {
    let format = match format {
        Some(f) => Format::parse(f).map_err(|e| Failure::input(anyhow!(e)))?,
        None => truce_ingest::sniff(&head(b.file)?)
            .map_err(|e| Failure::input(anyhow!("{}: {e}", b.file.display())))?,
    };
    let author = Id::new(b.author).map_err(|e| Failure::input(anyhow!(e)))?;
    let signer = load_signer(b.key)?;
    let time = Time(jiff::Timestamp::now());
    let seq = dir.sequencer()?;
    let ledger = replay(seq.reader())?;
    check_author(&ledger, &author, &signer, time)?;
    let actors = default_actors(&ledger, actors)?;
    let parties: std::collections::HashSet<Id> = ledger.parties.keys().cloned().collect();
    let check_row = |r: &truce_model::domain::Report| -> Result<(), String> {
        match &r.alleged_perpetrator {
            Some(p) if !parties.contains(p) => Err(format!(
                "field `alleged_perpetrator`: `{p}` is not a registered party"
            )),
            _ => Ok(()),
        }
    };
    let name = b.file.display().to_string();

    if b.strict {
        let rows = truce_ingest::reports(
            format,
            open(b.file, Arc::new(AtomicU64::new(0)))?,
            actors.clone(),
        )
        .map_err(|e| Failure::input(anyhow!("{name}: {e}")))?;
        for row in rows {
            let bad = match &row {
                Row::Refused { line, reason, .. } => Some((*line, reason.clone())),
                Row::Report { line, report } => check_row(report).err().map(|e| (*line, e)),
                Row::Skipped { .. } => None,
            };
            if let Some((line, reason)) = bad {
                return Err(Failure::input(anyhow!(
                    "{name}:{line}: {reason}; nothing was appended (--strict)"
                )));
            }
        }
    }

    let mut existing: HashMap<Id, Option<i64>> = ledger
        .reports
        .iter()
        .filter(|((a, _), _)| *a == author)
        .map(|((_, id), r)| (id.clone(), r.value.revision))
        .collect();
    drop(ledger);
    let read = Arc::new(AtomicU64::new(0));
    let total = std::fs::metadata(b.file).map(|m| m.len()).unwrap_or(0);
    let progress = bar(out, total);
    let rows = truce_ingest::reports(format, open(b.file, read.clone())?, actors)
        .map_err(|e| Failure::input(anyhow!("{name}: {e}")))?;
    let mut rejects = rejects_writer(b.rejects)?;
    let mut summary = Summary::default();
    let mut w = Writer {
        seq,
        author: author.clone(),
        signer,
        time,
        format: format.name(),
        source: b
            .file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        pending: Vec::with_capacity(b.batch),
        lines: (0, 0),
    };
    let mut reject =
        |summary: &mut Summary, line: u64, reason: &str, raw: &str| -> Result<(), Failure> {
            summary.rejected += 1;
            if let Some(r) = rejects.as_mut() {
                r.write_record([line.to_string().as_str(), reason, raw])
                    .map_err(|e| Failure::input(anyhow!("rejects file: {e}")))?;
            } else if summary.rejected <= 20 {
                eprintln!("{name}:{line}: {reason}");
            }
            Ok(())
        };
    for row in rows {
        summary.read += 1;
        match row {
            Row::Skipped { .. } => summary.skipped += 1,
            Row::Refused { line, reason, raw } => reject(&mut summary, line, &reason, &raw)?,
            Row::Report { line, report } => {
                if let Err(reason) = check_row(&report) {
                    reject(&mut summary, line, &reason, "")?;
                    continue;
                }
                match existing.get(&report.id) {
                    Some(old) if report.revision.unwrap_or(i64::MIN) <= old.unwrap_or(i64::MIN) => {
                        summary.duplicates += 1;
                        continue;
                    }
                    _ => {}
                }
                existing.insert(report.id.clone(), report.revision);
                let bytes = match record(&author, time, &Body::Report(*report)) {
                    Ok(b) => b,
                    Err(e) => {
                        reject(&mut summary, line, &e.to_string(), "")?;
                        continue;
                    }
                };
                w.push(line, bytes);
                summary.accepted += 1;
                if w.pending.len() >= b.batch {
                    w.flush(&mut summary)?;
                    progress.set_position(read.load(Ordering::Relaxed));
                }
            }
        }
    }
    w.flush(&mut summary)?;
    progress.finish_and_clear();
    if let Some(r) = rejects.as_mut() {
        r.flush()
            .map_err(|e| Failure::input(anyhow!("rejects file: {e}")))?;
    }
    let size = w.seq.size();
    eprintln!(
        "{name} ({}): read {}, accepted {}, duplicates {}, skipped {}, rejected {}{}; log size {size}",
        format.name(),
        summary.read,
        summary.accepted,
        summary.duplicates,
        summary.skipped,
        summary.rejected,
        b.rejects.map(|p| format!(" (see {})", p.display())).unwrap_or_default()
    );
    out.print(
        format!(
            "read {} accepted {} duplicates {} skipped {} rejected {}\n",
            summary.read, summary.accepted, summary.duplicates, summary.skipped, summary.rejected
        ),
        json!({ "file": name, "format": format.name(), "summary": summary, "log_size": size }),
    )
}

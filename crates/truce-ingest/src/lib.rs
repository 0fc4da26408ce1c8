//! Readers for the formats monitors and open-data sources already use. Each turns records into
//! `truce-model` values and says exactly which record it refused and why. Readers take any
//! `io::Read`; they open no files and read no clock.
//!
//! - Sites: WRI Global Power Plant Database CSV ([`wri`]), GeoJSON ([`geojson`]), OpenStreetMap
//!   PBF extracts ([`osm`]), and any CSV through a column mapping ([`sites_csv`]).
//! - Reports ([`reports`]): NASA FIRMS ([`firms`]), ACLED ([`acled`]), UCDP GED ([`ucdp`]), and
//!   Truce's native CSV, JSON Lines and GeoJSON ([`native`]). Each format's natural key becomes the
//!   report id, so re-ingesting a file adds nothing.
//! - Provenance: ACLED rows citing a party's officials relay that party's claim, ACLED battles and
//!   UCDP dyads name no perpetrator, UCDP aggregates widen their uncertainty — the rules are in
//!   [`acled`] and [`ucdp`] (summary: `PROVENANCE.md`).
//! - Monitors' observations ([`observations`]): a draft with the observer's exact position
//!   becomes a public report (the footprint coarsened so the observer stays hidden, the
//!   position's salted commitment) and the restricted position content.
//! - Bounds ([`limits`]): a line, record or GeoJSON feature holds at most 1 MiB by default, read
//!   with the bound enforced beneath the parser; GeoJSON is streamed feature by feature
//!   ([`features`]); a decompressing reader is capped in size and ratio ([`limits::Inflation`]).
//!   A file beyond a bound ends in [`Row::Unreadable`] with its line and the limit.

pub mod acled;
pub mod features;
pub mod firms;
pub mod geojson;
pub mod limits;
pub mod lines;
pub mod native;
pub mod observations;
pub mod osm;
pub mod rows;
pub mod sites_csv;
pub mod ucdp;
pub mod wri;

pub use rows::{sniff, ActorMap, Format, Row};
use std::io::{BufRead, BufReader, Read};

/// A record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {reason}", line.map(|l| format!("line {l}")).unwrap_or_else(|| "file".into()), field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
pub struct IngestError {
    /// 1-based line (CSV) or feature number (GeoJSON), if known.
    pub line: Option<u64>,
    /// The field at fault.
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub reason: String,
}

impl IngestError {
    pub(crate) fn at(line: Option<u64>, field: &str, reason: impl Into<String>) -> Self {
        IngestError {
            line,
            field: Some(field.to_string()),
            reason: reason.into(),
        }
    }
}

struct CsvRows<R: Read> {
    rdr: csv::Reader<lines::Tracked<R>>,
    lines: lines::Lines,
    cols: rows::Columns,
    width: usize,
    format: Format,
    actors: ActorMap,
    relays: acled::Relays,
    rec: csv::ByteRecord,
    max_record: u64,
    done: bool,
}

/// What a read error becomes: the last row (the input is not read further).
fn unreadable(line: u64, e: &dyn std::fmt::Display) -> Row {
    Row::Unreadable {
        line,
        reason: e.to_string(),
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Row;
    fn next(&mut self) -> Option<Row> {
        if self.done {
            return None;
        }
        loop {
            let start = self.rdr.position().byte();
            match self.rdr.read_byte_record(&mut self.rec) {
                Ok(false) => return None,
                Err(e) => {
                    let line = self
                        .lines
                        .line_at(e.position().map(|p| p.byte()).unwrap_or(start));
                    if let csv::ErrorKind::Io(io) = e.kind() {
                        self.done = true;
                        return Some(match limits::LimitError::from_io(io) {
                            Some(l) => unreadable(line, l),
                            None => unreadable(line, &format!("read error: {io}")),
                        });
                    }
                    return Some(Row::Refused {
                        line,
                        reason: e.to_string(),
                        raw: String::new(),
                    });
                }
                Ok(true) => {}
            }
            let line = self
                .lines
                .line_at(self.rec.position().map(|p| p.byte()).unwrap_or(start));
            if self.rec.len() == 1 && self.rec.get(0).is_some_and(|f| f.is_empty()) {
                continue; // a blank line
            }
            let raw = || rows::raw(&self.rec);
            if self.rec.as_slice().len() as u64 > self.max_record {
                return Some(Row::Refused {
                    line,
                    reason: format!(
                        "the record holds more than {} bytes, the limit for one record (--max-record-bytes raises it)",
                        self.max_record
                    ),
                    raw: raw(),
                });
            }
            if self.rec.len() != self.width {
                return Some(Row::Refused {
                    line,
                    reason: format!(
                        "{} fields where the header has {}",
                        self.rec.len(),
                        self.width
                    ),
                    raw: raw(),
                });
            }
            let mapped = match self.format {
                Format::Firms => {
                    firms::map(&self.cols, &self.rec).map(|r| acled::Mapped::Report(Box::new(r)))
                }
                Format::Acled => acled::map(&self.cols, &self.rec, &self.actors, &self.relays),
                Format::Ucdp => ucdp::map(&self.cols, &self.rec, &self.actors)
                    .map(|r| acled::Mapped::Report(Box::new(r))),
                _ => native::map_csv(&self.cols, &self.rec)
                    .map(|r| acled::Mapped::Report(Box::new(r))),
            };
            return Some(match mapped {
                Ok(acled::Mapped::Report(report)) => Row::Report { line, report },
                Ok(acled::Mapped::Skip(reason)) => Row::Skipped { line, reason },
                Err(reason) => Row::Refused {
                    line,
                    reason,
                    raw: raw(),
                },
            });
        }
    }
}

struct JsonLines<R: BufRead> {
    input: R,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = Row;
    fn next(&mut self) -> Option<Row> {
        if self.done {
            return None;
        }
        loop {
            self.buf.clear();
            match self.input.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Err(e) => {
                    self.done = true;
                    return Some(match limits::LimitError::from_io(&e) {
                        Some(l) => unreadable(self.line + 1, l),
                        None => unreadable(self.line + 1, &format!("read error: {e}")),
                    });
                }
                Ok(_) => {}
            }
            self.line += 1;
            let line = self.line;
            let Ok(text) = std::str::from_utf8(&self.buf) else {
                return Some(Row::Refused {
                    line,
                    reason: "invalid UTF-8".into(),
                    raw: String::from_utf8_lossy(&self.buf).into_owned(),
                });
            };
            let text = text.trim_start_matches('\u{feff}').trim();
            if text.is_empty() {
                continue;
            }
            return Some(match native::map_json_line(text) {
                Ok(r) => Row::Report {
                    line,
                    report: Box::new(r),
                },
                Err(reason) => Row::Refused {
                    line,
                    reason,
                    raw: text.to_string(),
                },
            });
        }
    }
}

/// Reads reports of `format` from `input`, record by record, within the default
/// [`limits::Limits`] (see [`reports_with`]).
pub fn reports<'a, R: Read + 'a>(
    format: Format,
    input: R,
    actors: ActorMap,
) -> Result<Box<dyn Iterator<Item = Row> + 'a>, IngestError> {
    reports_with(format, input, actors, &limits::Limits::default())
}

/// Reads reports of `format` from `input`, record by record (GeoJSON feature by feature). Fails only when the file as a whole is unusable (e.g. a header that fits no
/// format); bad records come out as [`Row::Refused`] and the rest goes on; a line, record or
/// feature beyond `limits.max_record` (or a read error) ends the rows with [`Row::Unreadable`].
pub fn reports_with<'a, R: Read + 'a>(
    format: Format,
    input: R,
    actors: ActorMap,
    limits: &limits::Limits,
) -> Result<Box<dyn Iterator<Item = Row> + 'a>, IngestError> {
    use limits::{RecordCap, Records};
    let max_record = limits.max_record;
    match format {
        Format::Jsonl => Ok(Box::new(JsonLines {
            input: BufReader::with_capacity(
                1 << 16,
                RecordCap::new(input, Records::Lines, max_record),
            ),
            line: 0,
            buf: Vec::new(),
            done: false,
        })),
        Format::GeoJson => {
            // Up to the first feature now, so a file that is no FeatureCollection at all is
            // refused as a whole; later failures end the rows with `Row::Unreadable`.
            let mut features = features::FeatureReader::new(input, max_record).peekable();
            if let Some(Err(e)) = features.peek() {
                if !matches!(e, features::FeaturesError::TooLarge(_)) {
                    return Err(IngestError::at(None, "file", e.to_string()));
                }
            }
            let (mut done, mut last) = (false, 0);
            Ok(Box::new(std::iter::from_fn(move || {
                if done {
                    return None;
                }
                match features.next()? {
                    Ok((n, f)) => {
                        last = n;
                        Some(native::geojson_row(n, f))
                    }
                    Err(e) => {
                        done = true;
                        // The document's line when it is known, else the feature's number.
                        let line = match &e {
                            features::FeaturesError::NotGeoJson { line, .. } => *line,
                            _ => last + 1,
                        };
                        Some(unreadable(line, &e))
                    }
                }
            })))
        }
        _ => {
            let input = RecordCap::new(input, Records::Csv, max_record);
            let (input, lines) = lines::Tracked::new(input);
            let mut rdr = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(true)
                .from_reader(input);
            let header = rdr
                .byte_headers()
                .map_err(|e| IngestError::at(Some(1), "header", e.to_string()))?
                .clone();
            let cols = rows::Columns::new(&header, format.required(), format.name())?;
            Ok(Box::new(CsvRows {
                rdr,
                lines,
                cols,
                width: header.len(),
                format,
                relays: if format == Format::Acled {
                    acled::Relays::new(&actors)
                } else {
                    acled::Relays::default()
                },
                actors,
                rec: csv::ByteRecord::new(),
                max_record,
                done: false,
            }))
        }
    }
}

//! AIS exports as CSV: the Danish Maritime Authority's daily files and NOAA MarineCadastre's, to
//! [`Item`]s, with the `csv` crate.
//!
//! The layout is found from the header line ([`sniff`]); columns are found by name, never by
//! position (the DMA's current 26-column layout, its older 22-column layout without `A,B,C,D`,
//! and copies with an extra leading index column all read the same). Any other header is a
//! [`ReadError::UnknownLayout`] naming the expected headers.
//!
//! Each row yields one record for its position — an [`Item::Fix`], an [`Item::Skipped`] or an
//! [`Item::Refused`] with the reason (bad MMSI, bad time, a position out of range, a number that
//! is not one, a row with another number of fields than the header) — and, when the row is not
//! refused and carries static values (IMO, name, call sign, ship type), a second record, an
//! [`Item::Static`], with the same `line` and `raw`. Static data is the row's as given: no
//! merging across rows.
//!
//! Invariants:
//!
//! - `raw` is the row's exact bytes with its line ending (a row can span lines inside quotes);
//!   blank lines belong to no row and yield nothing. A row over [`MAX_ROW_BYTES`] is refused,
//!   keeping only its first [`MAX_ROW_BYTES`] bytes as `raw`, and reading resumes at the next
//!   line: the memory held is bounded whatever the input (an unclosed quote included).
//! - `Err` is only an I/O failure or a header of neither layout; a bad row is refused.
//! - Rows are parsed from bytes (`csv::ByteRecord`); only the name and call sign are copied.
//!
//! Values (both layouts): times are UTC (DMA `# Timestamp` `dd/mm/yyyy HH:MM:SS`, MarineCadastre
//! `BaseDateTime` `yyyy-mm-ddTHH:MM:SS`, a `Z` allowed); an empty field, `Unknown` or `Undefined`
//! is `None`; SOG 102.3 (or more) and COG 360 (or more) are `None`; a heading of 360 or more
//! (511: not available) is `None`; latitude 91 or longitude 181, or an empty position, is
//! [`Skip::PositionNotAvailable`]; IMO `IMO8207721` or `8207721` is 8207721, 0 or anything else
//! `None`. DMA rows whose `Type of mobile` is `Base Station` or `AtoN` are
//! [`Skip::OtherType`] (as AIS types 4 and 21 are in [`crate::nmea`]); `Class A`/`Class B` give
//! the class, anything else no class. DMA's navigational status words map to their AIS codes
//! (`Unknown value` is 15, "not defined"); MarineCadastre's `Status` is the code.
//!
//! Ship types: MarineCadastre's `VesselType` is the AIS code (1..=99 kept). The DMA gives a word,
//! mapped to the AIS code of its family (the digit of the hazard category is not in the word):
//! `Cargo` 70, `Tanker` 80, `Passenger` 60, `Fishing` 30, `Military` 35, `Law enforcement` 55,
//! `Tug` 52, `Pilot` 50, `SAR` 51, `Pleasure` 37, `Sailing` 36, `HSC` 40, `WIG` 20, `Other`
//! 90, and the ones with a code of their own: `Towing` 31, `Towing long/wide` 32, `Dredging` 33,
//! `Diving` 34, `Port tender` 53, `Anti-pollution` 54, `Medical` 58, `Not party to conflict` 59;
//! `Undefined`, `Unknown`, `Reserved`, `Spare …` and any other word give `None` (the word itself
//! is not kept: [`Static`] has no field for it).

use std::io::{self, Read, Seek, SeekFrom};

use csv::ByteRecord;

use crate::fix::{Class, Fix, Item, Record, Skip, Static};
pub use crate::nmea::Summary;

/// The longest row accepted, in bytes (the header line too).
pub const MAX_ROW_BYTES: usize = 64 * 1024;

/// The Danish Maritime Authority's current header (the older layout lacks `,A,B,C,D`).
pub const DMA_HEADER: &str = "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D";

/// NOAA MarineCadastre's header (2018 on).
pub const MARINE_CADASTRE_HEADER: &str = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass";

/// Which export a CSV file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Danish Maritime Authority daily CSV (needs `# Timestamp`, `MMSI`, `Latitude`,
    /// `Longitude`).
    Dma,
    /// NOAA MarineCadastre CSV (needs `MMSI`, `BaseDateTime`, `LAT`, `LON`).
    MarineCadastre,
}

/// Why the CSV reader stopped. A bad row is not an error (it is an [`Item::Refused`]).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Reading the input failed.
    #[error("reading the CSV input failed near line {line}: {source}; check the file or stream")]
    Io {
        /// The line being read.
        line: u64,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The header line is of neither layout.
    #[error(
        "the CSV header (line 1) is neither the Danish Maritime Authority's \
         (\"{DMA_HEADER}\", or without \",A,B,C,D\") nor NOAA MarineCadastre's \
         (\"{MARINE_CADASTRE_HEADER}\"): found \"{found}\"; give one of these exports"
    )]
    UnknownLayout {
        /// The header found (its first 300 characters).
        found: String,
    },
    /// The CSV parser failed otherwise.
    #[error("reading the CSV failed near line {line}: {message}")]
    Csv {
        /// The line being read.
        line: u64,
        /// The parser's message.
        message: String,
    },
}

/// The layout of a CSV file from its header line (with or without its line ending).
pub fn sniff(header: &[u8]) -> Option<Layout> {
    Columns::from_header(header).map(|c| c.layout)
}

/// Reads a DMA or MarineCadastre CSV from `input` and hands each record to `each`, in row order
/// (a row's position record, then its static record if any).
pub fn read<R: Read>(input: R, mut each: impl FnMut(Record<'_>)) -> Result<Summary, ReadError> {
    let mut tee = Tee::new(input, MAX_ROW_BYTES);
    let header = tee
        .header_line()
        .map_err(|source| ReadError::Io { line: 1, source })?;
    let cols = header
        .as_deref()
        .and_then(Columns::from_header)
        .ok_or_else(|| ReadError::UnknownLayout {
            found: header.as_deref().map_or_else(
                || "nothing (empty input)".to_string(),
                |h| {
                    String::from_utf8_lossy(h.trim_ascii_end())
                        .chars()
                        .take(300)
                        .collect()
                },
            ),
        })?;
    // csv's offsets and lines start after the header line.
    let header_len = tee.served;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(64 * 1024)
        .from_reader(tee);
    let mut rec = ByteRecord::new();
    let mut summary = Summary::default();
    let mut emit = |r: Record<'_>| {
        summary.count(&r.item);
        each(r);
    };
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let (start, csv_line) = rec.position().map_or((0, 1), |p| (p.byte(), p.line()));
                let end = rdr.position().byte();
                let tee = rdr.get_mut();
                tee.row_start = header_len + end;
                let whole = tee.slice(header_len + start, header_len + end);
                // Blank lines before the row are no part of it.
                let lead = whole.iter().take_while(|&&b| b == b'\n').count();
                let raw = &whole[lead..];
                let line = csv_line + 1 + lead as u64;
                if rec.len() == 1 && rec[0].trim_ascii().is_empty() {
                    continue;
                }
                let content = raw.strip_suffix(b"\n").unwrap_or(raw);
                let content = content.strip_suffix(b"\r").unwrap_or(content);
                if content.len() > MAX_ROW_BYTES {
                    emit(Record {
                        line,
                        raw: &raw[..MAX_ROW_BYTES],
                        item: Item::Refused(too_long()),
                    });
                    continue;
                }
                let (item, stat) = row(&cols, &rec);
                emit(Record { line, raw, item });
                if let Some(s) = stat {
                    emit(Record {
                        line,
                        raw,
                        item: Item::Static(s),
                    });
                }
            }
            Err(e) => {
                let csv_line = rec.position().map_or(1, |p| p.line());
                let Some(cut) = rdr.get_mut().overflow.take() else {
                    let line = csv_line + 1;
                    return Err(match e.into_kind() {
                        csv::ErrorKind::Io(source) => ReadError::Io { line, source },
                        other => ReadError::Csv {
                            line,
                            message: format!("{other:?}"),
                        },
                    });
                };
                let lead = cut.raw.iter().take_while(|&&b| b == b'\n').count();
                emit(Record {
                    line: csv_line + 1 + lead as u64,
                    raw: &cut.raw[lead..],
                    item: Item::Refused(too_long()),
                });
                let mut pos = csv::Position::new();
                pos.set_byte(cut.resume - header_len)
                    .set_line(csv_line + cut.newlines);
                rdr.seek_raw(SeekFrom::Start(cut.resume), pos)
                    .map_err(|e| ReadError::Csv {
                        line: csv_line + cut.newlines + 1,
                        message: format!("resuming after an over-long row: {e}"),
                    })?;
            }
        }
    }
    Ok(summary)
}

fn too_long() -> String {
    format!(
        "row longer than {MAX_ROW_BYTES} bytes (an unclosed quote, or not an AIS export): left \
         out, reading resumes at the next line"
    )
}

// ---------------------------------------------------------------------------------------------
// The input, kept for the rows' raw bytes, bounded.

/// A row cut short at the bound.
struct Cut {
    /// Its first bytes (at most the bound), as read.
    raw: Vec<u8>,
    /// The offset where reading resumes (after the next line end).
    resume: u64,
    /// The line ends from the row's start to `resume`.
    newlines: u64,
}

/// Hands the input to the CSV parser while keeping the bytes of the row being parsed (so each
/// row's raw bytes can be given), and cuts a row that grows past the bound: it then skips to
/// the next line end and fails the read, and the reader resumes there (`Seek` to the offset
/// reached is all it supports).
struct Tee<R> {
    inner: R,
    /// Input bytes from offset `base`.
    kept: Vec<u8>,
    base: u64,
    /// Offset of the next byte to hand on.
    served: u64,
    /// Offset where the row being parsed starts.
    row_start: u64,
    limit: usize,
    overflow: Option<Cut>,
}

const CHUNK: usize = 64 * 1024;

impl<R: Read> Tee<R> {
    fn new(inner: R, limit: usize) -> Self {
        Tee {
            inner,
            kept: Vec::with_capacity(2 * CHUNK),
            base: 0,
            served: 0,
            row_start: 0,
            limit,
            overflow: None,
        }
    }

    fn end(&self) -> u64 {
        self.base + self.kept.len() as u64
    }

    /// Reads more input into `kept`; 0 at its end.
    fn fill(&mut self) -> io::Result<usize> {
        // Drop what no row needs any more.
        let dead = (self.row_start.min(self.served) - self.base) as usize;
        if dead >= 4 * CHUNK {
            self.kept.drain(..dead);
            self.base += dead as u64;
        }
        let old = self.kept.len();
        self.kept.resize(old + CHUNK, 0);
        loop {
            match self.inner.read(&mut self.kept[old..]) {
                Ok(n) => {
                    self.kept.truncate(old + n);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.kept.truncate(old);
                    return Err(e);
                }
            }
        }
    }

    /// The first line (with its line ending), `None` for an empty input; a line over the bound
    /// gives its first bytes only (no layout has such a header).
    fn header_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut searched = 0;
        loop {
            if let Some(i) = self.kept[searched..].iter().position(|&b| b == b'\n') {
                let n = searched + i + 1;
                self.served = n as u64;
                self.row_start = self.served;
                return Ok(Some(self.kept[..n].to_vec()));
            }
            searched = self.kept.len();
            if searched > self.limit {
                return Ok(Some(self.kept[..self.limit].to_vec()));
            }
            if self.fill()? == 0 {
                self.served = self.kept.len() as u64;
                self.row_start = self.served;
                return Ok((!self.kept.is_empty()).then(|| self.kept.clone()));
            }
        }
    }

    /// Bytes `from..to` (offsets), which are kept.
    fn slice(&self, from: u64, to: u64) -> &[u8] {
        let a = (from.saturating_sub(self.base) as usize).min(self.kept.len());
        let b = (to.saturating_sub(self.base) as usize).clamp(a, self.kept.len());
        &self.kept[a..b]
    }

    /// Cuts the row being parsed: keeps its first bytes, skips to the next line end.
    fn cut(&mut self) -> io::Result<usize> {
        let from = (self.row_start - self.base) as usize;
        let upto = (self.served - self.base) as usize;
        let raw = self.kept[from..(from + self.limit).min(upto)].to_vec();
        let mut newlines = self.kept[from..upto]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        let mut at = self.served;
        loop {
            let idx = (at - self.base) as usize;
            if let Some(i) = self.kept[idx..].iter().position(|&b| b == b'\n') {
                at += i as u64 + 1;
                newlines += 1;
                break;
            }
            at = self.end();
            self.kept.clear();
            self.base = at;
            self.served = at;
            self.row_start = at;
            if self.fill()? == 0 {
                break;
            }
        }
        let drop = (at - self.base) as usize;
        self.kept.drain(..drop);
        self.base = at;
        self.served = at;
        self.row_start = at;
        self.overflow = Some(Cut {
            raw,
            resume: at,
            newlines,
        });
        Err(io::Error::other(too_long()))
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Called only once the parser has taken everything handed on: the row so far is
        // `row_start..served`.
        if self.served - self.row_start > self.limit as u64 {
            return self.cut();
        }
        if self.served == self.end() && self.fill()? == 0 {
            return Ok(0);
        }
        let from = (self.served - self.base) as usize;
        let n = (self.kept.len() - from).min(buf.len());
        buf[..n].copy_from_slice(&self.kept[from..from + n]);
        self.served += n as u64;
        Ok(n)
    }
}

impl<R: Read> Seek for Tee<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match pos {
            SeekFrom::Start(n) if n == self.served => Ok(n),
            SeekFrom::Current(0) => Ok(self.served),
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the AIS CSV reader only resumes where it stopped",
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rows.

/// The columns used, by index.
#[derive(Debug, Clone)]
struct Columns {
    layout: Layout,
    fields: usize,
    time: usize,
    mmsi: usize,
    lat: usize,
    lon: usize,
    sog: Option<usize>,
    cog: Option<usize>,
    heading: Option<usize>,
    status: Option<usize>,
    class: Option<usize>,
    imo: Option<usize>,
    callsign: Option<usize>,
    name: Option<usize>,
    ship_type: Option<usize>,
}

impl Columns {
    fn from_header(header: &[u8]) -> Option<Columns> {
        let header = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(header);
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(header);
        let mut names = ByteRecord::new();
        if !rdr.read_byte_record(&mut names).ok()? {
            return None;
        }
        let find = |name: &str| {
            names
                .iter()
                .position(|n| n.trim_ascii().eq_ignore_ascii_case(name.as_bytes()))
        };
        let fields = names.len();
        if let (Some(time), Some(mmsi), Some(lat), Some(lon)) = (
            find("# Timestamp"),
            find("MMSI"),
            find("Latitude"),
            find("Longitude"),
        ) {
            return Some(Columns {
                layout: Layout::Dma,
                fields,
                time,
                mmsi,
                lat,
                lon,
                sog: find("SOG"),
                cog: find("COG"),
                heading: find("Heading"),
                status: find("Navigational status"),
                class: find("Type of mobile"),
                imo: find("IMO"),
                callsign: find("Callsign"),
                name: find("Name"),
                ship_type: find("Ship type"),
            });
        }
        if let (Some(time), Some(mmsi), Some(lat), Some(lon)) =
            (find("BaseDateTime"), find("MMSI"), find("LAT"), find("LON"))
        {
            return Some(Columns {
                layout: Layout::MarineCadastre,
                fields,
                time,
                mmsi,
                lat,
                lon,
                sog: find("SOG"),
                cog: find("COG"),
                heading: find("Heading"),
                status: find("Status"),
                class: find("TransceiverClass"),
                imo: find("IMO"),
                callsign: find("CallSign"),
                name: find("VesselName"),
                ship_type: find("VesselType"),
            });
        }
        None
    }
}

/// A field, trimmed; `None` when empty, `Unknown` or `Undefined` (or the column is absent).
fn get(r: &ByteRecord, col: Option<usize>) -> Option<&[u8]> {
    let f = r.get(col?)?.trim_ascii();
    if f.is_empty() || f.eq_ignore_ascii_case(b"Unknown") || f.eq_ignore_ascii_case(b"Undefined") {
        None
    } else {
        Some(f)
    }
}

/// A number field: `Ok(None)` when absent, `Err` naming the column when not a number.
fn number(r: &ByteRecord, col: Option<usize>, what: &str) -> Result<Option<f64>, String> {
    let Some(f) = get(r, col) else {
        return Ok(None);
    };
    std::str::from_utf8(f)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or_else(|| {
            format!(
                "{what} '{}' is not a number: row left out",
                String::from_utf8_lossy(f)
            )
        })
}

fn digits(f: &[u8]) -> Option<u64> {
    if f.is_empty() || f.len() > 18 || !f.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(f.iter().fold(0u64, |a, &c| a * 10 + u64::from(c - b'0')))
}

fn text(r: &ByteRecord, col: Option<usize>) -> Option<String> {
    get(r, col).map(|f| String::from_utf8_lossy(f).into_owned())
}

/// One row: its position record and, if any, its static record.
fn row(c: &Columns, r: &ByteRecord) -> (Item, Option<Static>) {
    match row_items(c, r) {
        Ok(x) => x,
        Err(why) => (Item::Refused(why), None),
    }
}

fn row_items(c: &Columns, r: &ByteRecord) -> Result<(Item, Option<Static>), String> {
    if r.len() != c.fields {
        return Err(format!(
            "row has {} fields, the header {}: row left out (a broken line?)",
            r.len(),
            c.fields
        ));
    }
    let mmsi_field = r.get(c.mmsi).unwrap_or_default().trim_ascii();
    let mmsi = digits(mmsi_field)
        .filter(|m| *m <= 999_999_999)
        .ok_or_else(|| {
            format!(
                "MMSI '{}' is not a number of at most 9 digits: row left out",
                String::from_utf8_lossy(mmsi_field)
            )
        })? as u32;
    let time_field = r.get(c.time).unwrap_or_default().trim_ascii();
    let t_ms = match c.layout {
        Layout::Dma => dma_time(time_field),
        Layout::MarineCadastre => iso_time(time_field),
    }
    .ok_or_else(|| {
        format!(
            "time '{}' is not {}: row left out",
            String::from_utf8_lossy(time_field),
            match c.layout {
                Layout::Dma => "dd/mm/yyyy HH:MM:SS (# Timestamp)",
                Layout::MarineCadastre => "yyyy-mm-ddTHH:MM:SS (BaseDateTime)",
            }
        )
    })?;

    let class_field = get(r, c.class);
    if c.layout == Layout::Dma
        && class_field.is_some_and(|f| {
            f.eq_ignore_ascii_case(b"Base Station") || f.eq_ignore_ascii_case(b"AtoN")
        })
    {
        return Ok((Item::Skipped(Skip::OtherType), None));
    }
    let lat = number(r, Some(c.lat), "latitude")?;
    let lon = number(r, Some(c.lon), "longitude")?;
    let sog = number(r, c.sog, "SOG")?;
    let cog = number(r, c.cog, "COG")?;
    let heading = number(r, c.heading, "heading")?;

    let imo = get(r, c.imo).and_then(|f| {
        let d = if f.len() > 3 && f[..3].eq_ignore_ascii_case(b"IMO") {
            &f[3..]
        } else {
            f
        };
        digits(d)
            .filter(|i| *i > 0 && *i <= u64::from(u32::MAX))
            .map(|i| i as u32)
    });
    let ship_type = get(r, c.ship_type).and_then(|f| match c.layout {
        Layout::Dma => dma_ship_type(f),
        Layout::MarineCadastre => digits(f).filter(|t| (1..=99).contains(t)).map(|t| t as u8),
    });
    let name = text(r, c.name);
    let callsign = text(r, c.callsign);
    let stat = (imo.is_some() || ship_type.is_some() || name.is_some() || callsign.is_some())
        .then_some(Static {
            mmsi,
            t_ms: Some(t_ms),
            imo,
            name,
            callsign,
            ship_type,
        });

    let (Some(lat), Some(lon)) = (lat, lon) else {
        return Ok((Item::Skipped(Skip::PositionNotAvailable), stat));
    };
    if lat == 91.0 || lon == 181.0 {
        return Ok((Item::Skipped(Skip::PositionNotAvailable), stat));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(format!(
            "latitude {lat} outside -90..90 (91 would mean not available): row left out"
        ));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(format!(
            "longitude {lon} outside -180..180 (181 would mean not available): row left out"
        ));
    }
    let status = get(r, c.status).and_then(|f| match c.layout {
        Layout::Dma => dma_status(f),
        Layout::MarineCadastre => digits(f).filter(|s| *s <= 15).map(|s| s as u8),
    });
    let class = class_field.and_then(|f| {
        let f = f.strip_prefix(b"Class ").unwrap_or(f);
        if f.eq_ignore_ascii_case(b"A") {
            Some(Class::A)
        } else if f.eq_ignore_ascii_case(b"B") {
            Some(Class::B)
        } else {
            None
        }
    });
    Ok((
        Item::Fix(Fix {
            mmsi,
            t_ms,
            lon,
            lat,
            sog_knots: sog.filter(|s| (0.0..102.3).contains(s)),
            cog_deg: cog.filter(|c| (0.0..360.0).contains(c)),
            heading_deg: heading
                .filter(|h| (0.0..360.0).contains(h))
                .map(|h| h as u16),
            nav_status: status,
            class,
        }),
        stat,
    ))
}

/// DMA ship type words to AIS ship type codes (see the module documentation).
fn dma_ship_type(f: &[u8]) -> Option<u8> {
    const WORDS: [(&str, u8); 22] = [
        ("Cargo", 70),
        ("Tanker", 80),
        ("Passenger", 60),
        ("Fishing", 30),
        ("Military", 35),
        ("Law enforcement", 55),
        ("Tug", 52),
        ("Pilot", 50),
        ("SAR", 51),
        ("Pleasure", 37),
        ("Sailing", 36),
        ("HSC", 40),
        ("WIG", 20),
        ("Other", 90),
        ("Towing", 31),
        ("Towing long/wide", 32),
        ("Dredging", 33),
        ("Diving", 34),
        ("Port tender", 53),
        ("Anti-pollution", 54),
        ("Medical", 58),
        ("Not party to conflict", 59),
    ];
    WORDS
        .iter()
        .find(|(w, _)| f.eq_ignore_ascii_case(w.as_bytes()))
        .map(|(_, c)| *c)
}

/// DMA navigational status words to AIS codes.
fn dma_status(f: &[u8]) -> Option<u8> {
    const WORDS: [(&str, u8); 17] = [
        ("Under way using engine", 0),
        ("At anchor", 1),
        ("Not under command", 2),
        ("Restricted manoeuverability", 3),
        ("Restricted maneuverability", 3),
        ("Constrained by her draught", 4),
        ("Moored", 5),
        ("Aground", 6),
        ("Engaged in fishing", 7),
        ("Under way sailing", 8),
        ("Reserved for future amendment [HSC]", 9),
        ("Reserved for future amendment [WIG]", 10),
        ("Power-driven vessel towing astern", 11),
        ("Power-driven vessel pushing ahead or towing alongside", 12),
        ("Reserved for future use", 13),
        ("AIS-SART", 14),
        ("Unknown value", 15),
    ];
    WORDS
        .iter()
        .find(|(w, _)| f.eq_ignore_ascii_case(w.as_bytes()))
        .map(|(_, c)| *c)
}

fn two(f: &[u8]) -> Option<u32> {
    match f {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Some(u32::from(a - b'0') * 10 + u32::from(b - b'0')),
        _ => None,
    }
}

/// `dd/mm/yyyy HH:MM:SS` (UTC) to unix milliseconds.
fn dma_time(f: &[u8]) -> Option<i64> {
    if f.len() != 19 || f[2] != b'/' || f[5] != b'/' || f[10] != b' ' {
        return None;
    }
    let year = digits(&f[6..10])? as i64;
    date_time(year, two(&f[3..5])?, two(&f[0..2])?, &f[11..])
}

/// `yyyy-mm-ddTHH:MM:SS` (UTC, a `Z` or a space for the `T` allowed) to unix milliseconds.
fn iso_time(f: &[u8]) -> Option<i64> {
    let f = f.strip_suffix(b"Z").unwrap_or(f);
    if f.len() != 19 || f[4] != b'-' || f[7] != b'-' || !matches!(f[10], b'T' | b' ') {
        return None;
    }
    let year = digits(&f[0..4])? as i64;
    date_time(year, two(&f[5..7])?, two(&f[8..10])?, &f[11..])
}

/// A date and `HH:MM:SS` to unix milliseconds, checking every part.
fn date_time(year: i64, month: u32, day: u32, hms: &[u8]) -> Option<i64> {
    if hms.len() != 8 || hms[2] != b':' || hms[5] != b':' {
        return None;
    }
    let (h, m, s) = (two(&hms[0..2])?, two(&hms[3..5])?, two(&hms[6..8])?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in || h > 23 || m > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + i64::from(h)) * 60 + i64::from(m)) * 60_000 + i64::from(s) * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2018, 2, 8), 17_570);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }

    #[test]
    fn times() {
        // 2018-02-08T00:00:00Z = 1518048000.
        assert_eq!(dma_time(b"08/02/2018 00:00:00"), Some(1_518_048_000_000));
        assert_eq!(dma_time(b"08/02/2018 13:14:15"), Some(1_518_095_655_000));
        assert_eq!(dma_time(b"29/02/2020 00:00:00"), Some(1_582_934_400_000));
        for bad in [
            &b"29/02/2019 00:00:00"[..],
            b"32/01/2018 00:00:00",
            b"08/13/2018 00:00:00",
            b"08/02/2018 24:00:00",
            b"08/02/2018 00:60:00",
            b"2018-02-08 00:00:00",
            b"8/2/2018 00:00:00",
            b"",
        ] {
            assert_eq!(dma_time(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        // 2022-01-03T00:00:00Z = 1641168000.
        assert_eq!(iso_time(b"2022-01-03T00:00:00"), Some(1_641_168_000_000));
        assert_eq!(iso_time(b"2022-01-03 00:00:09Z"), Some(1_641_168_009_000));
        assert_eq!(iso_time(b"2022-01-03T00:00"), None);
        assert_eq!(iso_time(b"03/01/2022 00:00:00"), None);
    }

    #[test]
    fn ship_types_and_status_words() {
        assert_eq!(dma_ship_type(b"Cargo"), Some(70));
        assert_eq!(dma_ship_type(b"law enforcement"), Some(55));
        assert_eq!(dma_ship_type(b"Reserved"), None);
        assert_eq!(dma_ship_type(b"Spare 1"), None);
        assert_eq!(dma_status(b"Under way using engine"), Some(0));
        assert_eq!(dma_status(b"Reserved for future amendment [HSC]"), Some(9));
        assert_eq!(dma_status(b"Unknown value"), Some(15));
        assert_eq!(dma_status(b"whatever"), None);
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(DMA_HEADER.as_bytes()), Some(Layout::Dma));
        assert_eq!(
            sniff(format!("{MARINE_CADASTRE_HEADER}\r\n").as_bytes()),
            Some(Layout::MarineCadastre)
        );
        assert_eq!(
            sniff(b"\xEF\xBB\xBF,# Timestamp,Type of mobile,MMSI,Latitude,Longitude\n"),
            Some(Layout::Dma)
        );
        assert_eq!(sniff(b"mmsi,time,x,y\n"), None);
        assert_eq!(sniff(b""), None);
    }
}

//! Bounds on what one input file can make the readers hold or produce, so that a hostile file
//! (a 1 GiB line, a gzip bomb, `/dev/zero`) is refused quickly with its line and the limit
//! instead of growing memory without end.
//!
//! - [`Limits::max_record`]: a line or record (CSV, JSON Lines) or one GeoJSON feature (or any
//!   other top-level member of the document) may hold at most this many bytes (default 1 MiB).
//!   [`RecordCap`] enforces it on the bytes as they are read, before any parser buffers them.
//! - [`Limits::max_decompressed`] and [`Limits::max_ratio`]: a compressed file may expand to at
//!   most this many bytes in all (default 64 GiB), and beyond [`RATIO_FLOOR`] decompressed bytes
//!   to at most `max_ratio` times the compressed bytes read so far (default 100: real CSV and
//!   GeoJSON compress 5–20 times). [`Inflation`] enforces both.
//!
//! Each wrapper fails the read with an [`std::io::Error`] carrying a [`LimitError`] (what, where
//! and the option that raises the limit), and keeps failing on every later read, so a parser
//! stops instead of skipping ahead.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The default bound on one line, record or GeoJSON feature: 1 MiB.
pub const DEFAULT_MAX_RECORD: u64 = 1 << 20;
/// The default bound on a compressed file's decompressed size: 64 GiB.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 64 << 30;
/// The default bound on decompressed bytes per compressed byte.
pub const DEFAULT_MAX_RATIO: u64 = 100;
/// Below this many decompressed bytes the ratio is not checked (a small file of repeated rows
/// compresses very well and harms nobody): 64 MiB.
pub const RATIO_FLOOR: u64 = 64 << 20;

/// The bounds applied to one input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes per line, record or GeoJSON feature.
    pub max_record: u64,
    /// Decompressed bytes of a compressed file, in all.
    pub max_decompressed: u64,
    /// Decompressed bytes per compressed byte, beyond [`RATIO_FLOOR`].
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record: DEFAULT_MAX_RECORD,
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
            max_ratio: DEFAULT_MAX_RATIO,
        }
    }
}

/// A bound that an input file went beyond.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// A line (JSON Lines) is longer than the limit.
    #[error("line {line} is longer than {limit} bytes, the limit for one line (--max-record-bytes raises it)")]
    Line {
        /// The line's 1-based number.
        line: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// A CSV record (which may span lines inside quotes) is longer than the limit.
    #[error("the record starting at line {line} is longer than {limit} bytes, the limit for one record (--max-record-bytes raises it; an unclosed `\"` makes the rest of a file one record)")]
    Record {
        /// The 1-based line the record starts on.
        line: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// A GeoJSON feature (or another top-level member) is larger than the limit.
    #[error("{what} is larger than {limit} bytes, the limit for one feature (--max-record-bytes raises it)")]
    Feature {
        /// `feature N` or `member "name"`.
        what: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A compressed file expands beyond the absolute limit.
    #[error("decompresses to more than {limit} bytes (--max-decompressed-bytes raises the limit); refused as a possible decompression bomb")]
    Decompressed {
        /// The limit in bytes.
        limit: u64,
    },
    /// A compressed file expands more than the ratio allows.
    #[error("expands {ratio} times ({out} bytes from {input} compressed), more than {limit} times (--max-ratio raises the limit); refused as a possible decompression bomb")]
    Ratio {
        /// Decompressed bytes so far.
        out: u64,
        /// Compressed bytes read so far.
        input: u64,
        /// `out / input`.
        ratio: u64,
        /// The limit.
        limit: u64,
    },
}

impl LimitError {
    /// The [`LimitError`] inside an I/O error made by one of this module's readers, if any.
    pub fn from_io(e: &std::io::Error) -> Option<&LimitError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<LimitError>())
    }

    fn io(&self) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, self.clone())
    }
}

/// How [`RecordCap`] finds where a record ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    /// One record per line (`\n`, `\r\n` or a lone `\r`).
    Lines,
    /// CSV: a record ends at a line break outside double quotes (`""` inside a quoted field
    /// toggles twice, so counting quotes is exact for well-formed CSV).
    Csv,
}

/// Fails the read once a line or record is longer than its limit.
pub struct RecordCap<R> {
    inner: R,
    mode: Records,
    limit: u64,
    /// Bytes of the current record so far.
    len: u64,
    /// Line breaks seen.
    breaks: u64,
    /// The line the current record starts on.
    start_line: u64,
    quoted: bool,
    prev_cr: bool,
    failed: Option<LimitError>,
}

impl<R: Read> RecordCap<R> {
    /// Wraps `inner`, allowing `limit` bytes per record.
    pub fn new(inner: R, mode: Records, limit: u64) -> Self {
        RecordCap {
            inner,
            mode,
            limit,
            len: 0,
            breaks: 0,
            start_line: 1,
            quoted: false,
            prev_cr: false,
            failed: None,
        }
    }
}

impl<R: Read> Read for RecordCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(e.io());
        }
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            let crlf = b == b'\n' && self.prev_cr;
            self.prev_cr = b == b'\r';
            if crlf {
                continue; // counted at its `\r`
            }
            match b {
                b'"' if self.mode == Records::Csv => {
                    self.quoted = !self.quoted;
                    self.len += 1;
                }
                b'\n' | b'\r' => {
                    self.breaks += 1;
                    if !self.quoted {
                        self.len = 0;
                        self.start_line = self.breaks + 1;
                    }
                }
                _ => self.len += 1,
            }
            if self.len > self.limit {
                let (line, limit) = (self.start_line, self.limit);
                let e = match self.mode {
                    Records::Lines => LimitError::Line { line, limit },
                    Records::Csv => LimitError::Record { line, limit },
                };
                let io = e.io();
                self.failed = Some(e);
                return Err(io);
            }
        }
        Ok(n)
    }
}

/// Fails the read of a decompressing reader once its output goes beyond the absolute limit, or
/// beyond `max_ratio` times the compressed bytes read so far (`compressed`, counted beneath the
/// decompressor) once past [`RATIO_FLOOR`].
pub struct Inflation<R> {
    inner: R,
    compressed: Arc<AtomicU64>,
    out: u64,
    limits: Limits,
    failed: Option<LimitError>,
}

impl<R: Read> Inflation<R> {
    /// Wraps the decompressor `inner`; `compressed` counts the bytes it has read.
    pub fn new(inner: R, compressed: Arc<AtomicU64>, limits: Limits) -> Self {
        Inflation {
            inner,
            compressed,
            out: 0,
            limits,
            failed: None,
        }
    }
}

impl<R: Read> Read for Inflation<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(e.io());
        }
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let input = self.compressed.load(Ordering::Relaxed).max(1);
        let e = if self.out > self.limits.max_decompressed {
            Some(LimitError::Decompressed {
                limit: self.limits.max_decompressed,
            })
        } else if self.out > RATIO_FLOOR && self.out / input > self.limits.max_ratio {
            Some(LimitError::Ratio {
                out: self.out,
                input,
                ratio: self.out / input,
                limit: self.limits.max_ratio,
            })
        } else {
            None
        };
        if let Some(e) = e {
            let io = e.io();
            self.failed = Some(e);
            return Err(io);
        }
        Ok(n)
    }
}

/// Fails the read once more than `limit` bytes were read since the last [`Meter::mark`]
/// (plus `slack` for a parser's read-ahead buffer); shared so a parser's visitor can mark where
/// each element starts.
#[derive(Clone)]
pub(crate) struct Meter {
    state: Arc<MeterState>,
}

struct MeterState {
    read: AtomicU64,
    mark: AtomicU64,
    tripped: std::sync::atomic::AtomicBool,
}

impl Meter {
    pub(crate) fn new() -> Self {
        Meter {
            state: Arc::new(MeterState {
                read: AtomicU64::new(0),
                mark: AtomicU64::new(0),
                tripped: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// Starts counting an element from the bytes read so far.
    pub(crate) fn mark(&self) {
        let r = self.state.read.load(Ordering::Relaxed);
        self.state.mark.store(r, Ordering::Relaxed);
    }

    /// Whether a read failed because an element was too large.
    pub(crate) fn tripped(&self) -> bool {
        self.state.tripped.load(Ordering::Relaxed)
    }

    pub(crate) fn reader<R: Read>(&self, inner: R, limit: u64) -> Metered<R> {
        Metered {
            inner,
            meter: self.clone(),
            limit,
        }
    }
}

/// The reader side of a [`Meter`].
pub(crate) struct Metered<R> {
    inner: R,
    meter: Meter,
    limit: u64,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let st = &self.meter.state;
        if st.tripped.load(Ordering::Relaxed) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "element too large",
            ));
        }
        // Never read more than the current element may still hold (plus one byte to notice).
        let used = st.read.load(Ordering::Relaxed) - st.mark.load(Ordering::Relaxed);
        if used > self.limit {
            st.tripped.store(true, Ordering::Relaxed);
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "element too large",
            ));
        }
        let room = (self.limit + 1 - used).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        st.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(mut r: impl Read) -> Result<Vec<u8>, LimitError> {
        let mut out = Vec::new();
        r.read_to_end(&mut out)
            .map_err(|e| LimitError::from_io(&e).cloned().expect("a limit error"))?;
        Ok(out)
    }

    #[test]
    fn lines_longer_than_the_limit_are_refused_with_their_line() {
        let ok = b"abcd\nefgh\r\nijkl\rmnop\n";
        assert_eq!(
            read_all(RecordCap::new(&ok[..], Records::Lines, 4)).unwrap(),
            ok
        );
        let long = b"abcd\r\nefgh\rabcde\n";
        assert_eq!(
            read_all(RecordCap::new(&long[..], Records::Lines, 4)),
            Err(LimitError::Line { line: 3, limit: 4 })
        );
        // Endless input without a line break stops at the limit.
        let zero = std::io::repeat(0);
        assert_eq!(
            read_all(RecordCap::new(zero, Records::Lines, 1000)),
            Err(LimitError::Line {
                line: 1,
                limit: 1000
            })
        );
    }

    #[test]
    fn csv_records_span_quoted_line_breaks() {
        // Record 2 starts on line 2 and spans three lines inside quotes ("" is a quote).
        let text = b"h,a\nx,\"1\n\"\"2\"\"\n3\"\ny,2\n";
        assert!(read_all(RecordCap::new(&text[..], Records::Csv, 14)).is_ok());
        assert_eq!(
            read_all(RecordCap::new(&text[..], Records::Csv, 10)),
            Err(LimitError::Record { line: 2, limit: 10 })
        );
        // Line by line, every line is short.
        assert!(read_all(RecordCap::new(&text[..], Records::Lines, 10)).is_ok());
    }

    #[test]
    fn inflation_is_bounded_absolutely_and_by_ratio() {
        let count = Arc::new(AtomicU64::new(0));
        let limits = Limits {
            max_decompressed: 1000,
            ..Limits::default()
        };
        let r = Inflation::new(std::io::repeat(1).take(5000), count.clone(), limits);
        assert_eq!(read_all(r), Err(LimitError::Decompressed { limit: 1000 }));
        // 1 compressed byte "read" for an endless output: refused past the floor.
        count.store(1 << 20, Ordering::Relaxed);
        let r = Inflation::new(std::io::repeat(1), count.clone(), Limits::default());
        match read_all(r) {
            Err(LimitError::Ratio { limit: 100, .. }) => {}
            other => panic!("{:?}", other.map(|v| v.len())),
        }
        // Small files of any ratio pass.
        count.store(1, Ordering::Relaxed);
        let r = Inflation::new(std::io::repeat(1).take(1 << 20), count, Limits::default());
        assert_eq!(read_all(r).unwrap().len(), 1 << 20);
    }

    #[test]
    fn a_meter_bounds_each_marked_element() {
        let m = Meter::new();
        let mut r = m.reader(std::io::repeat(b'x'), 100);
        let mut buf = [0u8; 64];
        let mut got = 0;
        while r.read(&mut buf).is_ok() {
            got += 64;
            if got == 64 * 10 {
                break;
            }
        }
        assert!(m.tripped() && got <= 128, "{got}");
    }
}

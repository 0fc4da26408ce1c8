//! The line a CSV record starts on, counted from the bytes themselves.
//!
//! The `csv` crate's own `Position::line` is taken before the record's leading line terminators
//! are skipped, so in a CRLF file every record after the header is one line early (the `\n` of
//! the previous record's `\r\n` is still ahead of it), blank lines before a record make it
//! early by as many lines (in LF files too), and in a file ending its lines with `\r` alone every
//! record is on line 1. Rejects,
//! manifests (`lines a-b`) and line-numbered site ids (`row-<line>`) need the real line, so the
//! readers wrap their input in a [`Tracked`] reader that notes where each `\r` and `\n` is, and ask
//! [`Lines::line_at`] for the line of the byte offset the `csv` crate gives: the line breaks
//! before the record's first byte (`\r\n`, `\n` or a lone `\r`), plus one.
//!
//! Memory stays flat: only the terminators between the last record asked about and the end of
//! what was read ahead (the `csv` reader's buffer) are kept.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct State {
    /// Bytes read so far.
    read: u64,
    /// Offsets of the `\r` and `\n` bytes not yet counted, in order.
    breaks: VecDeque<(u64, u8)>,
    /// Line breaks counted (every one before the offsets still in `breaks`).
    counted: u64,
}

impl State {
    /// Counts the first pending terminator: `\n` is a line break, and so is a `\r` not followed
    /// by `\n` (a `\r\n` is counted once, at its `\n`).
    fn pop(&mut self) {
        let Some((at, b)) = self.breaks.pop_front() else {
            return;
        };
        let crlf = b == b'\r' && self.breaks.front() == Some(&(at + 1, b'\n'));
        if !crlf {
            self.counted += 1;
        }
    }
}

/// Answers which line a byte offset of the input is on (shared with the [`Tracked`] reader).
#[derive(Debug, Clone, Default)]
pub struct Lines(Arc<Mutex<State>>);

impl Lines {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The 1-based line of the first byte of a record the `csv` crate says starts at `byte`: the
    /// line terminators at `byte` itself (a CRLF's `\n`, blank lines) are skipped first. Offsets
    /// must be asked in increasing order (each call forgets what lies before its offset).
    pub fn line_at(&self, byte: u64) -> u64 {
        let mut st = self.state();
        while st.breaks.front().is_some_and(|&(at, _)| at < byte) {
            st.pop();
        }
        let mut next = byte;
        while st.breaks.front().is_some_and(|&(at, _)| at == next) {
            st.pop();
            next += 1;
        }
        st.counted + 1
    }
}

/// A reader that notes where the line terminators of what passes through it are.
pub struct Tracked<R> {
    inner: R,
    lines: Lines,
}

impl<R: Read> Tracked<R> {
    /// Wraps `inner`; the returned [`Lines`] answers for it.
    pub fn new(inner: R) -> (Tracked<R>, Lines) {
        let lines = Lines::default();
        (
            Tracked {
                inner,
                lines: lines.clone(),
            },
            lines,
        )
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut st = self.lines.state();
        let base = st.read;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                st.breaks.push_back((base + i as u64, b));
            }
        }
        st.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of every record as read through `csv`, and the `csv` crate's own count.
    fn lines_of(text: &str) -> Vec<(String, u64, u64)> {
        let (input, lines) = Tracked::new(text.as_bytes());
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .buffer_capacity(8)
            .from_reader(input);
        rdr.byte_headers().unwrap();
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while rdr.read_byte_record(&mut rec).unwrap() {
            let p = rec.position().unwrap();
            out.push((
                String::from_utf8_lossy(&rec[0]).into_owned(),
                lines.line_at(p.byte()),
                p.line(),
            ));
        }
        out
    }

    #[test]
    fn lf_crlf_and_cr_files_count_alike() {
        let lf = "\u{feff}h,a\nx,1\ny,2\n\n\"q\nz\",3\nw,4\n";
        let want = [("x", 2), ("y", 3), ("q\nz", 5), ("w", 7)];
        let got = lines_of(lf);
        for ((name, line, _), (n, l)) in got.iter().zip(want) {
            assert_eq!((name.as_str(), *line), (n, l), "LF: {got:?}");
        }
        let crlf = lines_of(&lf.replace('\n', "\r\n"));
        let lines: Vec<u64> = crlf.iter().map(|r| r.1).collect();
        assert_eq!(lines, [2, 3, 5, 7], "CRLF: {crlf:?}");
        // What the csv crate says: one line early, two after a blank line.
        let csv_lines: Vec<u64> = crlf.iter().map(|r| r.2).collect();
        assert_eq!(csv_lines, [1, 2, 3, 6]);
        let cr = lines_of("h,a\rx,1\ry,2\r\r\"q\rz\",3\rw,4");
        let lines: Vec<u64> = cr.iter().map(|r| r.1).collect();
        assert_eq!(lines, [2, 3, 5, 7], "CR: {cr:?}");
    }
}

//! A fixed-size output buffer in front of the caller's writer: rows are appended to it and it is
//! handed to the writer whenever it passes 64 KiB, so memory stays flat however many rows are
//! written.

use std::io::{self, Write};

const FLUSH_AT: usize = 64 * 1024;

/// Buffered output.
pub(crate) struct Out<W: Write> {
    w: W,
    /// Bytes not yet handed to the writer.
    pub buf: Vec<u8>,
}

impl<W: Write> Out<W> {
    pub fn new(w: W) -> Self {
        Out {
            w,
            buf: Vec::with_capacity(FLUSH_AT + 4096),
        }
    }

    /// Call after each row: hands the buffer over when it is full.
    #[inline]
    pub fn row_done(&mut self) -> io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.w.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes what is left and flushes the writer.
    pub fn finish(mut self) -> io::Result<()> {
        self.w.write_all(&self.buf)?;
        self.buf.clear();
        self.w.flush()
    }
}

/// The `k`-th of `parts` near-equal shares of `total` (shares sum to `total` exactly).
pub(crate) fn share(total: u64, parts: u64, k: u64) -> u64 {
    let at = |i: u64| (u128::from(total) * u128::from(i) / u128::from(parts)) as u64;
    at(k + 1) - at(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_to_the_total() {
        for (total, parts) in [(0, 3), (1, 6), (7, 6), (1_000_000, 365), (u64::MAX / 2, 7)] {
            let sum: u128 = (0..parts).map(|k| u128::from(share(total, parts, k))).sum();
            assert_eq!(sum, u128::from(total));
        }
    }
}

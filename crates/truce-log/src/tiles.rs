//! C2SP tlog-tiles layout: tile paths (`tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`) and
//! entry bundles (entries each prefixed by a big-endian uint16 length).
//!
//! The published `tlog_tiles` 0.2 writes Go-sumdb paths (`tile/8/0/x001/...`, `tile/8/data/...`);
//! C2SP drops the height element and names data tiles `entries`, so the paths are written here.

use crate::LogError;

/// Tile height of C2SP tlog-tiles: every tile covers 2^8 = 256 hashes or entries.
pub const TILE_HEIGHT: u8 = 8;
/// Width of a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Largest entry an entry bundle can hold (its length prefix is a uint16).
pub const ENTRY_MAX: usize = 65_535;

/// What a tile path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileKind {
    /// A hash tile at the given level.
    Hash(u8),
    /// An entry bundle (`tile/entries/...`).
    Entries,
}

/// A parsed C2SP tile path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TilePath {
    /// Hash tile level or entry bundle.
    pub kind: TileKind,
    /// Tile index within its level.
    pub n: u64,
    /// Width: 1..=255 for a partial tile, 256 for a full one.
    pub width: u16,
}

impl TilePath {
    /// The path text, e.g. `tile/0/x001/x234/067.p/8`.
    pub fn to_path(&self) -> String {
        let w = if u64::from(self.width) == TILE_WIDTH {
            0
        } else {
            self.width
        };
        match self.kind {
            TileKind::Hash(l) => tile_path(l, self.n, w),
            TileKind::Entries => entries_path(self.n, w),
        }
    }
}

fn push_index(out: &mut String, n: u64) {
    // Groups of three digits, most significant first; every group but the last gets an `x`.
    let mut groups = Vec::with_capacity(7);
    let mut rest = n;
    loop {
        groups.push(rest % 1000);
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    for (i, g) in groups.iter().rev().enumerate() {
        if i + 1 < groups.len() {
            out.push_str(&format!("x{g:03}/"));
        } else {
            out.push_str(&format!("{g:03}"));
        }
    }
}

fn push_width(out: &mut String, width: u16) {
    if width != 0 && u64::from(width) != TILE_WIDTH {
        out.push_str(&format!(".p/{width}"));
    }
}

/// Path of hash tile `n` at `level`; `width` 0 or 256 means full, 1..=255 partial.
pub fn tile_path(level: u8, n: u64, width: u16) -> String {
    let mut s = format!("tile/{level}/");
    push_index(&mut s, n);
    push_width(&mut s, width);
    s
}

/// Path of entry bundle `n`; `width` 0 or 256 means full, 1..=255 partial.
pub fn entries_path(n: u64, width: u16) -> String {
    let mut s = String::from("tile/entries/");
    push_index(&mut s, n);
    push_width(&mut s, width);
    s
}

/// Parses a C2SP tile path (`tile/0/x001/x234/067.p/8`, `tile/entries/005`), strictly: the
/// canonical form only (three-digit groups, `x` on all but the last, width 1..=255 after `.p/`).
pub fn parse_tile_path(path: &str) -> Result<TilePath, LogError> {
    let bad = |why: &str| LogError::BadTile(format!("{path:?} is not a C2SP tile path: {why}"));
    let rest = path
        .strip_prefix("tile/")
        .ok_or_else(|| bad("must start with tile/"))?;
    let (kind_s, rest) = rest.split_once('/').ok_or_else(|| bad("missing index"))?;
    let kind = if kind_s == "entries" {
        TileKind::Entries
    } else {
        let ok = !kind_s.is_empty()
            && kind_s.bytes().all(|b| b.is_ascii_digit())
            && (kind_s == "0" || !kind_s.starts_with('0'));
        let level: u8 = kind_s
            .parse()
            .ok()
            .filter(|l| ok && *l < 64)
            .ok_or_else(|| bad("level must be a number 0..63"))?;
        TileKind::Hash(level)
    };
    let (index_s, width) = match rest.split_once(".p/") {
        Some((i, w)) => {
            let ok = !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) && !w.starts_with('0');
            let w: u16 = w
                .parse()
                .ok()
                .filter(|w| ok && (1..=255).contains(w))
                .ok_or_else(|| bad("partial width must be 1..255"))?;
            (i, w)
        }
        None => (rest, TILE_WIDTH as u16),
    };
    let parts: Vec<&str> = index_s.split('/').collect();
    let mut n: u64 = 0;
    for (i, p) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let digits = if last {
            *p
        } else {
            p.strip_prefix('x')
                .ok_or_else(|| bad("non-final index groups start with x"))?
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("index groups are three digits"));
        }
        let g: u64 = digits.parse().map_err(|_| bad("index group"))?;
        n = n
            .checked_mul(1000)
            .and_then(|n| n.checked_add(g))
            .ok_or_else(|| bad("index too large"))?;
    }
    if parts.len() > 1 && parts[0] == "x000" {
        return Err(bad("index has a leading zero group"));
    }
    Ok(TilePath { kind, n, width })
}

/// Appends `entry` to an entry bundle in the C2SP encoding (uint16 big-endian length, bytes).
pub fn encode_bundle_into(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), LogError> {
    let len =
        u16::try_from(entry.len()).map_err(|_| LogError::EntryTooLarge { len: entry.len() })?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Splits an entry bundle into its entries; fails on a truncated length or body, naming the
/// position inside the bundle.
pub fn decode_bundle(bundle: &[u8]) -> Result<Vec<&[u8]>, LogError> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bundle.len() {
        if bundle.len() - at < 2 {
            return Err(LogError::BadBundle(format!(
                "entry {} has a truncated length prefix at byte {at}",
                out.len()
            )));
        }
        let len = usize::from(u16::from_be_bytes([bundle[at], bundle[at + 1]]));
        at += 2;
        if bundle.len() - at < len {
            return Err(LogError::BadBundle(format!(
                "entry {} claims {len} bytes at byte {} but only {} remain",
                out.len(),
                at - 2,
                bundle.len() - at
            )));
        }
        out.push(&bundle[at..at + len]);
        at += len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_c2sp_examples() {
        assert_eq!(tile_path(0, 1_234_067, 0), "tile/0/x001/x234/067");
        assert_eq!(tile_path(1, 5, 0), "tile/1/005");
        assert_eq!(tile_path(0, 5, 256), "tile/0/005");
        assert_eq!(tile_path(2, 1_234_067, 8), "tile/2/x001/x234/067.p/8");
        assert_eq!(entries_path(0, 1), "tile/entries/000.p/1");
        assert_eq!(entries_path(1000, 0), "tile/entries/x001/000");
        assert_eq!(
            tile_path(0, u64::MAX, 0),
            "tile/0/x018/x446/x744/x073/x709/x551/615"
        );
    }

    #[test]
    fn paths_round_trip_and_reject_non_canonical() {
        for (l, n, w) in [
            (0u8, 0u64, 256u16),
            (3, 1_234_067, 8),
            (0, 999, 255),
            (0, 1000, 1),
        ] {
            let p = tile_path(l, n, w);
            let t = parse_tile_path(&p).unwrap();
            assert_eq!(
                t,
                TilePath {
                    kind: TileKind::Hash(l),
                    n,
                    width: w
                }
            );
            assert_eq!(t.to_path(), p);
        }
        let e = parse_tile_path("tile/entries/x001/x234/067.p/3").unwrap();
        assert_eq!(
            e,
            TilePath {
                kind: TileKind::Entries,
                n: 1_234_067,
                width: 3
            }
        );
        for bad in [
            "tile/0/5",
            "tile/0/x1/005",
            "tile/0/001/005",
            "tile/0/x000/005",
            "tile/00/005",
            "tile/0/005.p/0",
            "tile/0/005.p/256",
            "tile/0/005.p/07",
            "tile/8/0/005",
            "tile/data/005",
            "tile/0/x018/x446/x744/x073/x709/x551/616",
            "tiles/0/005",
            "tile/64/005",
        ] {
            assert!(parse_tile_path(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn bundles_round_trip_and_name_truncation() {
        let mut b = Vec::new();
        for e in [&b"a"[..], b"", &[7u8; 300]] {
            encode_bundle_into(&mut b, e).unwrap();
        }
        let d = decode_bundle(&b).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d[2].len(), 300);
        let err = decode_bundle(&b[..b.len() - 1]).unwrap_err().to_string();
        assert!(err.contains("entry 2"), "{err}");
        assert!(encode_bundle_into(&mut b, &vec![0; ENTRY_MAX + 1]).is_err());
        assert!(encode_bundle_into(&mut b, &vec![0; ENTRY_MAX]).is_ok());
    }
}

//! The verifier's local state: per log origin, the last checkpoint it trusted (size, root, note,
//! when), and the progress of an unfinished tree pass, in one small JSON file written atomically.

use crate::source::write_atomic;
use crate::VerifyError;
use base64::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use truce_log::{Edge, Hash, HASH_SIZE};

/// A checkpoint the verifier checked completely (signature, quorum, tree, consistency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trusted {
    /// Tree size.
    pub size: u64,
    /// Root hash (base64).
    pub root: String,
    /// The signed checkpoint note as text.
    pub checkpoint: String,
    /// When it was verified (unix seconds).
    pub verified_at: u64,
    /// Where it was read from.
    pub source: String,
}

/// How far an interrupted tree pass got for one checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The checkpoint's size.
    pub size: u64,
    /// The checkpoint's root (base64).
    pub root: String,
    /// Entry bundles whose hash tiles were all verified (bundles `0..bundles`).
    pub bundles: u64,
    /// The right edge after those bundles: the partial hash tile at each level (base64).
    pub partials: Vec<String>,
}

/// The whole state file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Format version (1).
    #[serde(default = "one")]
    pub version: u32,
    /// Trusted checkpoints by origin.
    #[serde(default)]
    pub logs: BTreeMap<String, Trusted>,
    /// Unfinished tree passes by origin.
    #[serde(default)]
    pub progress: BTreeMap<String, Progress>,
}

fn one() -> u32 {
    1
}

/// The default state file: `$XDG_STATE_HOME/truce/verify-state.json`, else
/// `~/.local/state/truce/verify-state.json`; `None` if neither variable is set.
pub fn default_state_path() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("truce/verify-state.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".local/state/truce/verify-state.json"))
}

impl State {
    /// Reads the state file; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<State, VerifyError> {
        let bad = |why: String| VerifyError::State {
            path: path.display().to_string(),
            why,
        };
        match std::fs::read(path) {
            Ok(d) => {
                let s: State = serde_json::from_slice(&d)
                    .map_err(|e| bad(format!("not a verify state file: {e}")))?;
                if s.version != 1 {
                    return Err(bad(format!("unknown version {}", s.version)));
                }
                Ok(s)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
                version: 1,
                ..Default::default()
            }),
            Err(e) => Err(bad(e.to_string())),
        }
    }

    /// Writes the state file atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), VerifyError> {
        let text = serde_json::to_vec_pretty(self).map_err(|e| VerifyError::State {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        write_atomic(path, &text)
    }
}

impl Progress {
    /// Records the edge reached after `bundles` whole bundles of the checkpoint `(size, root)`.
    pub fn new(size: u64, root: &Hash, bundles: u64, edge: &Edge) -> Progress {
        let mut partials = Vec::new();
        let mut level = 0u8;
        while level < 8 && (edge.size() >> (8 * u32::from(level))) > 0 {
            let n = edge
                .size()
                .checked_shr(8 * (u32::from(level) + 1))
                .unwrap_or(0);
            partials.push(
                edge.partial_tile(level, n)
                    .map(|d| BASE64_STANDARD.encode(d))
                    .unwrap_or_default(),
            );
            level += 1;
        }
        Progress {
            size,
            root: root.to_string(),
            bundles,
            partials,
        }
    }

    /// The edge recorded, if the record is well-formed.
    pub fn edge(&self) -> Option<Edge> {
        let partials = self
            .partials
            .iter()
            .map(|p| BASE64_STANDARD.decode(p).ok())
            .collect::<Option<Vec<Vec<u8>>>>()?;
        if partials.iter().any(|p| p.len() % HASH_SIZE != 0) {
            return None;
        }
        Edge::from_parts(
            self.bundles.checked_mul(truce_log::TILE_WIDTH)?,
            partials,
            Vec::new(),
        )
        .ok()
    }
}

/// A unix time as a UTC date and time, `2025-03-21 00:10:00 UTC`.
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_742_515_800), "2025-03-21 00:10:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn progress_round_trips_the_edge() {
        let mut edge = Edge::empty();
        let entries: Vec<Vec<u8>> = (0..(256u32 * 300))
            .map(|i| i.to_le_bytes().to_vec())
            .collect();
        edge.append(entries.iter().map(Vec::as_slice)).unwrap();
        let p = Progress::new(1, &edge.root(), 300, &edge);
        assert_eq!(p.edge().unwrap(), edge);
    }
}

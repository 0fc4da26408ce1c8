//! Static mirror export: writes the checkpoint, every hash tile and entry bundle at its C2SP
//! tlog-tiles path under a directory, so any static web server can serve the log for verifiers.

use crate::{LogStorage, StoreError};
use std::path::Path;
use truce_log::{entries_path, open_checkpoint, parse_verifier, tile_path, TILE_WIDTH};

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Tree size of the exported checkpoint.
    pub size: u64,
    /// Hash tiles written.
    pub tiles: u64,
    /// Entry bundles written.
    pub bundles: u64,
    /// Bytes written.
    pub bytes: u64,
}

fn write(dir: &Path, rel: &str, data: &[u8], report: &mut ExportReport) -> Result<(), StoreError> {
    let path = dir.join(rel);
    let io = |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(&path, data).map_err(io)?;
    report.bytes += data.len() as u64;
    Ok(())
}

/// Exports the log as of its latest checkpoint into `dir`. `progress(done, total)` counts tiles
/// and bundles.
pub fn export_tiles<S: LogStorage + ?Sized>(
    storage: &S,
    dir: &Path,
    mut progress: impl FnMut(u64, u64),
) -> Result<ExportReport, StoreError> {
    let meta = storage.meta()?.ok_or_else(|| StoreError::NotInitialised {
        path: "storage".into(),
    })?;
    let note = storage
        .latest_checkpoint()?
        .ok_or_else(|| StoreError::Corrupt("the log has no checkpoint".into()))?;
    let cp = open_checkpoint(&note, &parse_verifier(&meta.vkey)?)?;
    let size = cp.size;
    let mut report = ExportReport {
        size,
        ..Default::default()
    };
    let mut todo: Vec<(Option<u8>, u64, u64)> = Vec::new(); // (level or entries, n, width)
    for n in 0..size.div_ceil(TILE_WIDTH) {
        todo.push((None, n, (size - n * TILE_WIDTH).min(TILE_WIDTH)));
    }
    let mut level = 0u32;
    while level < 8 && (size >> (8 * level)) > 0 {
        let hashes = size >> (8 * level);
        for n in 0..hashes.div_ceil(TILE_WIDTH) {
            todo.push((
                Some(level as u8),
                n,
                (hashes - n * TILE_WIDTH).min(TILE_WIDTH),
            ));
        }
        level += 1;
    }
    let total = todo.len() as u64;
    for (i, (kind, n, width)) in todo.into_iter().enumerate() {
        let w = if width == TILE_WIDTH { 0 } else { width as u16 };
        match kind {
            None => {
                let path = entries_path(n, w);
                let data = storage
                    .read_bundle(n)?
                    .ok_or_else(|| StoreError::Corrupt(format!("{path} is missing")))?;
                let cut = bundle_prefix(&data, width as usize).ok_or_else(|| {
                    StoreError::Corrupt(format!("{path} is shorter than the checkpoint needs"))
                })?;
                write(dir, &path, &data[..cut], &mut report)?;
                report.bundles += 1;
            }
            Some(level) => {
                let path = tile_path(level, n, w);
                let data = storage
                    .read_tile(level, n)?
                    .ok_or_else(|| StoreError::Corrupt(format!("{path} is missing")))?;
                let cut = width as usize * 32;
                if data.len() < cut {
                    return Err(StoreError::Corrupt(format!(
                        "{path} is shorter than the checkpoint needs"
                    )));
                }
                write(dir, &path, &data[..cut], &mut report)?;
                report.tiles += 1;
            }
        }
        progress(i as u64 + 1, total);
    }
    // The checkpoint last, so a mirror never names tiles it does not yet hold.
    write(dir, "checkpoint", &note, &mut report)?;
    Ok(report)
}

/// Byte length of the first `count` entries of a bundle, if it holds that many.
fn bundle_prefix(data: &[u8], count: usize) -> Option<usize> {
    let mut at = 0usize;
    for _ in 0..count {
        let len = usize::from(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]));
        at += 2 + len;
        if at > data.len() {
            return None;
        }
    }
    Some(at)
}

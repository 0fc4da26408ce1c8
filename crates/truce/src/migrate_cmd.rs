//! `truce migrate --to postgres://… --bucket NAME --bucket-endpoint URL`: copies a data
//! directory's SQLite log into a shared log (PostgreSQL + an S3 bucket), checks the copy, and
//! switches the directory to it (`DIR/cluster.toml`; `truce.db` is left as it was, a backup).
//!
//! The copy appends the source's entries with the log's own key in the batches the source's
//! checkpoints delimit, so every checkpoint the source signed is signed again with the same
//! bytes (C2SP checkpoints carry no timestamp and Ed25519 signatures are deterministic); a batch
//! over [`CHUNK`] entries is appended in chunks (extra checkpoints, same tree). It is checked as
//! it goes (each copied checkpoint byte for byte the source's) and at the end: the latest
//! checkpoint identical, the shared log's self-check, and `truce verify` of the bucket alone.
//! Interrupted, it resumes: a shared log holding a prefix of the source (same checkpoints) is
//! continued. Then the tokens (`access.db`) and restricted content (`restricted.db`) are copied
//! into the shared database (`truce_server::migrate`); the views are derived, each server
//! rebuilds its own.

use crate::datadir::DataDir;
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::time::Duration;
use truce_cluster::spec::ClusterSpec;
use truce_cluster::ClusterStorage;
use truce_store::sqlite::SqliteStorage;
use truce_store::{keyfile, LogReader, LogStorage, Sequencer};

/// The most entries appended in one commit of the copy (memory stays bounded by it).
pub const CHUNK: u64 = 16_384;

/// `truce migrate`.
pub fn run(dir: &DataDir, file_spec: &ClusterSpec, out: &Out) -> Result<(), Failure> {
    if dir.path.join(truce_cluster::spec::FILE).exists() {
        return Err(Failure::input(anyhow!(
            "{} already uses a shared log ({}): there is nothing to migrate",
            dir.path.display(),
            truce_cluster::spec::FILE
        )));
    }
    if !dir.db().is_file() {
        return Err(Failure::store(anyhow!(
            "{} has no SQLite log (truce.db) to migrate",
            dir.path.display()
        )));
    }
    // The secrets from the environment, checked before anything is written.
    let spec = ClusterSpec::parse(&file_spec.to_toml(), "truce migrate", std::env::vars())
        .map_err(Failure::input)?;
    let key = keyfile::read(&dir.key()).map_err(|e| {
        Failure::store(anyhow!(
            "{e}: the log's signer key is needed to sign the copied checkpoints"
        ))
    })?;
    let source = LogReader::open(SqliteStorage::open(&dir.db(), false)?)?;
    let latest = source.latest()?;
    let sizes = source.storage().checkpoint_sizes()?;

    let holder = format!("truce migrate {}", truce_cluster::lease::holder_id());
    let target = ClusterStorage::open(&spec.database, &spec.bucket_config())
        .map_err(truce_store::StoreError::from)?;
    let mut seq = match target.meta()? {
        None => {
            let target = target
                .acquire_lease(&spec.database, &holder, Duration::from_secs(12))
                .map_err(truce_store::StoreError::from)?;
            Sequencer::create(target, &source.meta().origin, &key)?
        }
        Some(meta) if meta.origin == source.meta().origin && meta.vkey == source.meta().vkey => {
            let target = target
                .acquire_lease(&spec.database, &holder, Duration::from_secs(12))
                .map_err(truce_store::StoreError::from)?;
            Sequencer::open(target, &key)?
        }
        Some(meta) => {
            return Err(Failure::input(anyhow!(
                "{} already holds another log ({}): migrate into an empty database and bucket",
                spec.describe(),
                meta.origin
            )))
        }
    };
    // What the target holds must be a prefix of the source: the same checkpoint at its size.
    let resumed = seq.size();
    let same = source.storage().checkpoint_at(resumed)?;
    if same.as_deref() != Some(seq.checkpoint().note.as_slice()) {
        return Err(Failure::input(anyhow!(
            "{} holds {resumed} entries whose checkpoint is not this log's at that size: it is not a copy of {}",
            spec.describe(),
            dir.db().display()
        )));
    }
    if resumed > 0 {
        tracing::info!("resuming: the shared log already holds {resumed} entries");
    }

    let pb = bar(out, latest.size);
    pb.set_position(resumed);
    let mut from = resumed;
    for &to in sizes.iter().filter(|&&s| s > resumed) {
        while from < to {
            let end = to.min(from + CHUNK);
            let mut batch: Vec<Vec<u8>> = Vec::with_capacity((end - from) as usize);
            source.for_each_entry_in(from, end, |_, e| batch.push(e.to_vec()))?;
            let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
            seq.append(&refs)?;
            from = end;
            pb.set_position(from);
        }
        let mine = &seq.checkpoint().note;
        let theirs = source.storage().checkpoint_at(to)?;
        if theirs.as_deref() != Some(mine.as_slice()) {
            return Err(Failure::store(anyhow!(
                "the copied checkpoint of size {to} differs from the source's: stopped; the shared log holds {to} entries (a prefix) — look at both before going on"
            )));
        }
    }
    pb.finish_and_clear();
    if seq.checkpoint().note != latest.note {
        return Err(Failure::store(anyhow!(
            "the copy ends at size {} but the source's latest checkpoint is of size {}",
            seq.size(),
            latest.size
        )));
    }
    // The copy checked whole: every tile recomputed from the entries, then the bucket alone.
    let storage = seq.into_storage();
    let checked = truce_store::check::check(&storage, |_, _| {})
        .map_err(|e| Failure::verify(anyhow!("the shared log's self-check after the copy: {e}")))?;
    storage
        .publish_checkpoint()
        .map_err(truce_store::StoreError::from)?;
    drop(storage);
    let bucket = crate::verify_cmd::BucketSource::open(
        &spec.bucket.name,
        &spec.bucket.endpoint,
        &spec.bucket.region,
    )?;
    let report = truce_verify::verify(
        &bucket,
        &truce_verify::Options {
            trust: truce_verify::Trust::LogKey(source.meta().vkey.clone()),
            state: None,
            replay: true,
            progress: None,
        },
    )
    .map_err(Failure::store)?;
    if !report.ok || report.size != Some(latest.size) {
        return Err(Failure::verify(anyhow!(
            "the bucket does not verify as the migrated log: {}",
            report.to_text()
        )));
    }
    // Tokens (their hashes) and restricted content go to the shared database too.
    let stores = truce_server::migrate::copy_stores(&dir.path, &spec.database)
        .map_err(|e| Failure::store(anyhow!("copying tokens and restricted content: {e}")))?;
    // Switched: the directory now names the shared log; truce.db stays as it was.
    let file = dir.path.join(truce_cluster::spec::FILE);
    keyfile::write_new(&file, &file_spec.to_toml(), 0o600)?;
    let text = format!(
        "migrated {} entries ({} copied now) to {}; checkpoint {} identical; `truce verify` of the bucket passed; {} tokens and {} restricted contents copied\n{} now uses the shared log ({}); {} is left as it was (a backup)\n",
        latest.size,
        latest.size - resumed,
        spec.describe(),
        latest.size,
        stores.tokens,
        stores.restricted,
        dir.path.display(),
        file.display(),
        dir.db().display()
    );
    out.print(
        text,
        json!({
            "entries": latest.size,
            "copied": latest.size - resumed,
            "checked_entries": checked.entries,
            "checkpoint": String::from_utf8_lossy(&latest.note),
            "to": spec.describe(),
            "verified": report.ok,
            "stores": stores,
        }),
    )
}

fn bar(out: &Out, total: u64) -> ProgressBar {
    if out.quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} entries ({per_sec}, {eta} left)",
    ) {
        b.set_style(style);
    }
    b
}

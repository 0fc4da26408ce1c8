//! `truce sign`: signs every entry of an authoring file as a party, exactly as `truce submit`
//! would, but appends nothing: the entries are written as JSON Lines (one canonical entry per
//! line), for `POST /v1/entries` (`Content-Type: application/x-ndjson`) and for load tests.

use crate::datadir::DataDir;
use crate::domain_cmd::{load_signer, read_authored, sign_entry};
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use serde_json::json;
use std::path::Path;
use truce_model::Id;

/// `truce sign FILE --as PARTY --key KEY [--out PATH]`. The data directory is not read: the
/// entries are checked against the log only when they are submitted.
pub fn sign(
    _dir: &DataDir,
    file: &Path,
    author: &str,
    key: &Path,
    out_path: Option<&Path>,
    out: &Out,
) -> Result<(), Failure> {
    let f = read_authored(file)?;
    crate::domain_cmd::no_observations(&f, &file.display().to_string())?;
    let author_id = Id::new(author).map_err(|e| Failure::input(anyhow!(e)))?;
    let signer = load_signer(key)?;
    {
        use signed_note::Signer;
        // A party's keys are named after it; the log would refuse anything else as unknown.
        if signer.name() != author {
            return Err(Failure::input(anyhow!(
                "{}: the key is named `{}`, not `{author}`: sign with a key registered to `{author}`",
                key.display(),
                signer.name()
            )));
        }
    }
    let what = file.display().to_string();
    let bodies = crate::domain_cmd::lines_in_parts(f.bodies(), &author_id, &signer, f.time, &what)?;
    let mut lines = Vec::new();
    let mut ids = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let env = sign_entry(&author_id, &signer, f.time, body, i, &what)?;
        lines.extend_from_slice(&env.bytes);
        lines.push(b'\n');
        ids.push(json!({"kind": env.kind, "entry_id": env.id}));
    }
    match out_path {
        None => out.print_raw(&String::from_utf8_lossy(&lines)),
        Some(p) => {
            std::fs::write(p, &lines)
                .map_err(|e| Failure::input(anyhow!("{}: {e}", p.display())))?;
            out.print(
                format!(
                    "signed {} entries of {what} as {author}: {} (JSON Lines; nothing was appended)\n",
                    ids.len(),
                    p.display()
                ),
                json!({"file": p, "author": author, "entries": ids}),
            )
        }
    }
}

//! The log commands: init, key generation, append, checkpoint, prove, consistency, entry, check,
//! export and offline proof verification. Each prints data on stdout (text or `--json`).

use crate::datadir::DataDir;
use crate::Failure;
use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use truce_log::{generate_key, parse_verifier, SignedCheckpoint, TlogProof, ENTRY_MAX};
use truce_store::{check::check as self_check, export::export_tiles, keyfile};

/// Output settings.
pub struct Out {
    /// JSON on stdout.
    pub json: bool,
    /// No progress bars.
    pub quiet: bool,
}

impl Out {
    pub fn print(&self, text: impl AsRef<str>, value: serde_json::Value) -> Result<(), Failure> {
        let mut stdout = std::io::stdout().lock();
        let r = if self.json {
            writeln!(stdout, "{value}")
        } else {
            write!(stdout, "{}", text.as_ref())
        };
        r.and_then(|_| stdout.flush())
            .map_err(|e| Failure::input(anyhow!("writing to stdout: {e}")))
    }

    /// Writes `s` to stdout as it is (already-encoded JSON).
    pub fn print_raw(&self, s: &str) -> Result<(), Failure> {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(s.as_bytes())
            .and_then(|_| stdout.flush())
            .map_err(|e| Failure::input(anyhow!("writing to stdout: {e}")))
    }

    fn bar(&self, total: u64, unit: &str) -> ProgressBar {
        if self.quiet {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let template = format!("{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}} left)");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar
    }
}

fn checkpoint_json(cp: &SignedCheckpoint) -> serde_json::Value {
    json!({ "origin": cp.origin, "size": cp.size, "root": cp.root.to_string(), "note": cp.note_text() })
}

/// `truce init`.
pub fn init(
    dir: &DataDir,
    origin: &str,
    cluster: Option<&truce_cluster::spec::ClusterSpec>,
    out: &Out,
) -> Result<(), Failure> {
    truce_log::validate_origin(origin).map_err(Failure::input)?;
    if let Some(spec) = cluster {
        // Checked with the environment's secrets before anything is created.
        truce_cluster::spec::ClusterSpec::parse(&spec.to_toml(), "truce init", std::env::vars())
            .map_err(Failure::input)?;
    }
    let key = generate_key(&mut rand_core::OsRng, origin).map_err(Failure::input)?;
    let operator =
        generate_key(&mut rand_core::OsRng, crate::domain_cmd::OPERATOR).map_err(Failure::input)?;
    let mut seq = dir.init(origin, &key, &operator, cluster)?;
    crate::domain_cmd::genesis(
        &mut seq,
        &operator,
        &format!("operator of {origin}"),
        truce_model::Time(jiff::Timestamp::now()),
    )?;
    tracing::info!(dir = %dir.path.display(), origin, "created log");
    if !out.quiet {
        eprintln!(
        "created log {origin} in {}\n  signer key   {} (secret, mode 0600)\n  verifier key {}\n  operator key {} (registers parties; secret)",
        dir.path.display(),
        dir.key().display(),
        dir.vkey().display(),
        dir.operator_key().display()
    );
    }
    out.print(
        format!("{}\n", key.verifier),
        json!({ "origin": origin, "dir": dir.path, "vkey": key.verifier, "checkpoint": checkpoint_json(seq.checkpoint()) }),
    )
}

/// `truce key generate`.
pub fn key_generate(name: &str, to: &Path, out: &Out) -> Result<(), Failure> {
    let key = generate_key(&mut rand_core::OsRng, name).map_err(Failure::input)?;
    let file = name.replace('/', "_");
    let (k, v) = (
        to.join(format!("{file}.key")),
        to.join(format!("{file}.vkey")),
    );
    std::fs::create_dir_all(to)
        .map_err(|e| Failure::input(anyhow!("cannot create {}: {e}", to.display())))?;
    keyfile::write_new(&k, &key.signer, 0o600).map_err(Failure::input)?;
    if let Err(e) = keyfile::write_new(&v, &key.verifier, 0o644) {
        let _ = std::fs::remove_file(&k);
        return Err(Failure::input(e));
    }
    eprintln!("wrote {} (secret) and {}", k.display(), v.display());
    out.print(
        format!("{}\n", key.verifier),
        json!({ "name": name, "key_file": k, "vkey_file": v, "vkey": key.verifier }),
    )
}

/// Reads lines (entries) from a file, calling `f(line_number, entry)`; a trailing `\r` is dropped.
fn for_each_line(
    path: &Path,
    mut f: impl FnMut(u64, &[u8]) -> Result<(), Failure>,
) -> Result<u64, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::input(anyhow!("{}: {e}", path.display())))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::with_capacity(1024);
    let mut line = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Failure::input(anyhow!("{}:{}: {e}", path.display(), line + 1)))?;
        if n == 0 {
            return Ok(line);
        }
        line += 1;
        let mut entry = buf.as_slice();
        if let Some(e) = entry.strip_suffix(b"\n") {
            entry = e;
        }
        if let Some(e) = entry.strip_suffix(b"\r") {
            entry = e;
        }
        f(line, entry)?;
    }
}

/// `truce log append`.
pub fn append(dir: &DataDir, files: &[PathBuf], batch: u64, out: &Out) -> Result<(), Failure> {
    // Pass 1: validate everything, so a bad file appends nothing.
    let mut total = 0u64;
    for path in files {
        let lines = for_each_line(path, |line, entry| {
            if entry.is_empty() {
                return Err(Failure::input(anyhow!(
                    "{}:{line}: empty line; every line becomes an entry, so remove blank lines",
                    path.display()
                )));
            }
            if entry.len() > ENTRY_MAX {
                return Err(Failure::input(anyhow!(
                    "{}:{line}: entry of {} bytes exceeds the 65,535-byte limit of the log; store large evidence elsewhere and log its hash",
                    path.display(),
                    entry.len()
                )));
            }
            Ok(())
        })?;
        if lines == 0 {
            return Err(Failure::input(anyhow!(
                "{}: the file is empty; nothing to append",
                path.display()
            )));
        }
        total += lines;
    }
    let mut seq = dir.sequencer()?;
    let start = seq.size();
    let bar = out.bar(total, "entries");
    let mut buf: Vec<u8> = Vec::with_capacity(batch as usize * 256);
    let mut ends: Vec<usize> = Vec::with_capacity(batch as usize);
    let mut flush = |buf: &mut Vec<u8>, ends: &mut Vec<usize>| -> Result<(), Failure> {
        if ends.is_empty() {
            return Ok(());
        }
        let mut entries = Vec::with_capacity(ends.len());
        let mut at = 0;
        for &end in ends.iter() {
            entries.push(&buf[at..end]);
            at = end;
        }
        let ack = seq.append(&entries)?;
        let last = ack.first_index + ack.count - 1;
        out.print(
            format!("ack {}..{} size {} root {}\n", ack.first_index, last, ack.checkpoint.size, ack.checkpoint.root),
            json!({ "first_index": ack.first_index, "last_index": last, "count": ack.count, "size": ack.checkpoint.size, "root": ack.checkpoint.root.to_string() }),
        )?;
        bar.inc(ack.count);
        buf.clear();
        ends.clear();
        Ok(())
    };
    for path in files {
        for_each_line(path, |_, entry| {
            buf.extend_from_slice(entry);
            ends.push(buf.len());
            if ends.len() as u64 >= batch {
                flush(&mut buf, &mut ends)?;
            }
            Ok(())
        })?;
    }
    flush(&mut buf, &mut ends)?;
    bar.finish_and_clear();
    let size = start + total;
    eprintln!(
        "appended {total} entries ({start}..{}); log size {size}",
        size - 1
    );
    Ok(())
}

/// `truce log checkpoint`.
pub fn checkpoint(dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let cp = dir.reader()?.latest()?;
    out.print(cp.note_text(), checkpoint_json(&cp))
}

fn write_file(path: &Path, data: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, data).map_err(|e| Failure::input(anyhow!("{}: {e}", path.display())))
}

/// `truce log prove`.
pub fn prove(
    dir: &DataDir,
    index: u64,
    size: Option<u64>,
    file: Option<PathBuf>,
    out: &Out,
) -> Result<(), Failure> {
    let proof = dir.reader()?.tlog_proof(index, size)?;
    let text = proof.encode();
    if let Some(path) = &file {
        write_file(path, &text)?;
        eprintln!("wrote the proof of entry {index} to {}", path.display());
    }
    let cp_size = truce_log::TlogProof::parse(&text)
        .ok()
        .and_then(|p| tlog_tiles_size(&p.checkpoint))
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&text).into_owned();
    out.print(
        if file.is_some() { String::new() } else { body.clone() },
        json!({ "index": index, "size": cp_size, "hashes": proof.hashes.iter().map(|h| h.to_string()).collect::<Vec<_>>(), "proof": body }),
    )
}

fn tlog_tiles_size(note: &[u8]) -> Option<u64> {
    std::str::from_utf8(note).ok()?.lines().nth(1)?.parse().ok()
}

/// `truce log consistency`.
pub fn consistency(dir: &DataDir, old: u64, new: u64, out: &Out) -> Result<(), Failure> {
    let r = dir.reader()?;
    if old > new {
        return Err(Failure::input(anyhow!(
            "old size {old} is larger than new size {new}"
        )));
    }
    let proof = r.prove_consistency(old, new)?;
    let (old_root, new_root) = (r.root_at(old)?, r.root_at(new)?);
    let hashes: Vec<String> = proof.iter().map(|h| h.to_string()).collect();
    let mut text = String::new();
    for h in &hashes {
        text.push_str(h);
        text.push('\n');
    }
    out.print(
        text,
        json!({ "old": old, "new": new, "old_root": old_root.to_string(), "new_root": new_root.to_string(), "hashes": hashes }),
    )
}

/// `truce log entry`.
pub fn entry(dir: &DataDir, index: u64, file: Option<PathBuf>, out: &Out) -> Result<(), Failure> {
    let e = dir.reader()?.entry(index)?;
    if let Some(path) = &file {
        write_file(path, &e)?;
        if out.json {
            return out.print("", json!({ "index": index, "bytes": e.len(), "out": path }));
        }
        eprintln!(
            "wrote entry {index} ({} bytes) to {}",
            e.len(),
            path.display()
        );
        return Ok(());
    }
    if out.json {
        use base64::prelude::*;
        return out.print("", json!({ "index": index, "base64": BASE64_STANDARD.encode(&e), "text": std::str::from_utf8(&e).ok() }));
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&e)
        .and_then(|_| stdout.write_all(b"\n"))
        .map_err(|err| Failure::input(anyhow!("writing to stdout: {err}")))
}

/// `truce log check`.
pub fn check(dir: &DataDir, out: &Out) -> Result<(), Failure> {
    let r = dir.reader()?;
    let size = r.latest().map(|c| c.size).unwrap_or(0);
    let bar = out.bar(size, "entries");
    let result = self_check(r.storage(), |done, _| bar.set_position(done));
    bar.finish_and_clear();
    match result {
        Ok(rep) => out.print(
            format!(
                "ok: {} entries recomputed; {} tiles and {} checkpoints agree; root {}\n",
                rep.entries, rep.tiles, rep.checkpoints, rep.root
            ),
            json!({ "ok": true, "entries": rep.entries, "tiles": rep.tiles, "checkpoints": rep.checkpoints, "root": rep.root }),
        ),
        Err(f) => {
            if out.json {
                out.print("", json!({ "ok": false, "failure": f.to_string() }))?;
            }
            Err(Failure::verify(anyhow!("log check failed: {f}")))
        }
    }
}

/// `truce log export-tiles`.
pub fn export(dir: &DataDir, to: &Path, out: &Out) -> Result<(), Failure> {
    let r = dir.reader()?;
    let bar = out.bar(0, "tiles");
    let rep = export_tiles(r.storage(), to, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    let (findings, rows) = export_derived(dir, to, rep.size, out)?;
    out.print(
        format!(
            "exported size {} to {}: {} hash tiles, {} entry bundles, {} bytes; findings.json ({findings} findings) and compliance.json ({rows} rows)\n",
            rep.size,
            to.display(),
            rep.tiles,
            rep.bundles,
            rep.bytes
        ),
        json!({ "dir": to, "size": rep.size, "tiles": rep.tiles, "bundles": rep.bundles, "bytes": rep.bytes, "findings": findings, "compliance_rows": rows }),
    )
}

/// Writes `findings.json` and `compliance.json` beside an exported mirror of size `size`: the
/// documents `GET /v1/findings` and `GET /v1/compliance` return, with every item on one page
/// (`limit` = `total`, `offset` 0) and `log_size` = the exported size. Returns the numbers of
/// findings and compliance rows.
fn export_derived(
    dir: &DataDir,
    to: &Path,
    size: u64,
    out: &Out,
) -> Result<(usize, usize), Failure> {
    use truce_views::db::{FindingFilter, ViewStore};
    use truce_views::derived;
    let reader = dir.reader()?;
    let mut views = ViewStore::open(&derived::views_path(&dir.path))?;
    let bar = if out.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    };
    bar.set_message("computing findings");
    let fresh = derived::ensure_fresh(&reader, &mut views, &mut |_| bar.tick());
    bar.finish_and_clear();
    let derived_failure = |e: derived::DerivedError| match e {
        derived::DerivedError::Log(e) => Failure::from(e),
        derived::DerivedError::Db(e) => Failure::from(e),
        other => Failure::store(anyhow!(other)),
    };
    fresh.map_err(derived_failure)?;
    let stamp = views
        .stamp()?
        .ok_or_else(|| Failure::store(anyhow!("views.db has no stamp after recomputing it")))?;
    let (docs, compliance): (Vec<String>, truce_engine::Compliance) = if stamp.log_size == size {
        let compliance = match views.doc("compliance")? {
            Some(d) => serde_json::from_str(&d).map_err(|e| {
                Failure::store(anyhow!("views.db: compliance: {e}; run `truce rebuild`"))
            })?,
            None => truce_engine::compliance(&[]),
        };
        (views.findings(&FindingFilter::default())?, compliance)
    } else {
        // The log grew since the tiles were exported: judge exactly the exported prefix.
        let mut ledger = truce_model::Ledger::new();
        reader.for_each_entry(|i, e| {
            if i < size {
                let _ = ledger.apply(i, e);
            }
        })?;
        let root = if size == 0 {
            String::new()
        } else {
            reader.root_at(size)?.to_string()
        };
        let (j, _) = derived::judge_ledger(ledger, size, root);
        let docs = j
            .findings
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Failure::input(anyhow!("encoding findings: {e}")))?;
        (docs, truce_engine::compliance(&j.findings))
    };
    let n = docs.len();
    let findings = format!(
        "{{\"items\":[{}],\"total\":{n},\"limit\":{n},\"offset\":0,\"log_size\":{size}}}",
        docs.join(",")
    );
    let rows = compliance.rows.len();
    let doc = json!({
        "items": compliance.rows,
        "total": rows,
        "limit": rows,
        "offset": 0,
        "log_size": size,
        "totals": compliance.totals,
        "differences": compliance.differences,
    });
    for (name, text) in [
        ("findings.json", findings),
        ("compliance.json", doc.to_string()),
    ] {
        let path = to.join(name);
        let tmp = to.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| Failure::store(anyhow!("{}: {e}", path.display())))?;
    }
    Ok((n, rows))
}

fn read_input(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    let mut data = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(|e| Failure::input(anyhow!("{what} {}: {e}", path.display())))?;
    Ok(data)
}

/// `truce verify-proof`: with `vkey` (the log's verifier key) or `policy` (a tlog-policy: the
/// proof's checkpoint must also carry a quorum of its witnesses' cosignatures).
pub fn verify_proof(
    proof: &Path,
    entry: &Path,
    vkey: Option<&Path>,
    policy: Option<&Path>,
    out: &Out,
) -> Result<(), Failure> {
    let proof_bytes = read_input(proof, "proof file")?;
    let entry_bytes = read_input(entry, "entry file")?;
    let parsed = TlogProof::parse(&proof_bytes)
        .map_err(|e| Failure::input(anyhow!("proof file {}: {e}", proof.display())))?;
    let mut witnesses: Vec<String> = Vec::new();
    let (vkey_text, vkey_what) = match (vkey, policy) {
        (_, Some(p)) => {
            let text = String::from_utf8(read_input(p, "policy file")?)
                .map_err(|_| Failure::input(anyhow!("policy file {}: not text", p.display())))?;
            let pol = truce_log::policy::Policy::parse(&text)
                .map_err(|e| Failure::input(anyhow!("policy file {}: {e}", p.display())))?;
            let origin = parsed
                .checkpoint
                .split(|&b| b == b'\n')
                .next()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .unwrap_or_default();
            let fail = |why: String| -> Result<(), Failure> {
                if out.json {
                    out.print(
                        "",
                        json!({ "ok": false, "index": parsed.index, "failure": why }),
                    )?;
                }
                Err(Failure::verify(anyhow!("{}: {why}", proof.display())))
            };
            match pol.check(&parsed.checkpoint) {
                Ok(c) => witnesses = c.witnesses.keys().cloned().collect(),
                Err(truce_log::policy::CheckError::Log(e)) => fail(format!(
                    "its checkpoint does not satisfy the policy {}: {e}",
                    p.display()
                ))?,
                Err(truce_log::policy::CheckError::QuorumNotMet {
                    witnesses: valid, ..
                }) => {
                    let missing: Vec<&str> = pol
                        .witnesses
                        .iter()
                        .filter(|w| !valid.contains_key(&w.name))
                        .map(|w| w.name.as_str())
                        .collect();
                    fail(format!(
                        "its checkpoint is not cosigned by a quorum of the policy {}: valid cosignatures from [{}]; missing: {}",
                        p.display(),
                        valid.keys().cloned().collect::<Vec<_>>().join(", "),
                        missing.join(", ")
                    ))?
                }
            }
            let log = pol
                .logs
                .iter()
                .find(|l| {
                    parse_verifier(&l.vkey).is_ok_and(|v| signed_note::Verifier::name(&v) == origin)
                })
                .ok_or_else(|| {
                    Failure::verify(anyhow!("the policy has no log key for origin {origin:?}"))
                })?;
            (log.vkey.clone(), format!("policy file {}", p.display()))
        }
        (Some(v), None) => (
            String::from_utf8(read_input(v, "verifier key file")?).map_err(|_| {
                Failure::input(anyhow!("verifier key file {}: not text", v.display()))
            })?,
            format!("verifier key file {}", v.display()),
        ),
        (None, None) => return Err(Failure::input(anyhow!("give --vkey FILE or --policy FILE"))),
    };
    let verifier = parse_verifier(vkey_text.trim())
        .map_err(|e| Failure::input(anyhow!("{vkey_what}: {e}")))?;
    let cosigned = if witnesses.is_empty() {
        String::new()
    } else {
        format!("; cosigned by {}", witnesses.join(", "))
    };
    match parsed.verify(&entry_bytes, &verifier) {
        Ok(cp) => out.print(
            format!("ok: the entry is at index {} of {} (checkpoint size {}){cosigned}\n", parsed.index, cp.origin, cp.size),
            json!({ "ok": true, "index": parsed.index, "origin": cp.origin, "size": cp.size, "root": cp.root.to_string(), "witnesses": witnesses }),
        ),
        Err(e) => {
            if out.json {
                out.print("", json!({ "ok": false, "index": parsed.index, "failure": e.to_string() }))?;
            }
            Err(Failure::verify(anyhow!("{} does not prove {}: {e}", proof.display(), entry.display())))
        }
    }
}

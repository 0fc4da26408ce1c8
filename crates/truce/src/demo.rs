//! `truce demo`: builds the March–April 2025 energy-moratorium scenario from the files in
//! `scenarios/energy-moratorium-2025/` into a fresh data directory, then prints a summary.
//!
//! Deterministic: every key is derived from the scenario's public seed (demo-only keys), every
//! time comes from the scenario files, and batches follow the manifest's steps, so two builds give
//! byte-identical logs (same entries, tiles and checkpoints).
//!
//! The submission gates run on a labelled scenario clock ([`SCENARIO_CLOCK`]): each step is filed
//! as it would have been in 2025, so the gates' "now" is the step's own stated time, never this
//! computer's clock. Nothing is refused as ahead of the clock or flagged as a late filing, and the
//! log does not depend on the day the demo is built (a report whose event started after its own
//! filing would still be refused).
//!
//! Trusted time on the same clock: three DEMO-ONLY witnesses (keys derived from the public seed,
//! run in this process) cosign the log after every step at the scenario's clock (two, three and
//! four seconds after the step's time), and each round is logged as a `witnessing` entry under
//! the `witness.policy` the operator files first (2 of 3), so every entry of the demo has a
//! known-by interval. Each batch ends with the sequencer's `clock` entry, on the same clock.

use crate::datadir::DataDir;
use crate::domain_cmd::{
    genesis, read_authored, render_commitments, render_diff, replay, submit_with, Gate, OPERATOR,
};
use crate::log_cmd::Out;
use crate::Failure;
use anyhow::anyhow;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use truce_model::domain::*;
use truce_model::entry::Body;
use truce_model::{views, Time};

/// Where the scenario lives in this repository.
pub const DEFAULT_SCENARIO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../scenarios/energy-moratorium-2025"
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    origin: String,
    seed: String,
    #[serde(default)]
    start: Option<Time>,
    party: Vec<PartyDecl>,
    step: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartyDecl {
    id: Id,
    name: String,
    role: Role,
    /// Named officers, each with a key of their own besides the party's (a monitoring mission's
    /// officers: distinct keys are distinct individuals for the review policy).
    #[serde(default)]
    officers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    file: String,
    #[serde(rename = "as")]
    author: Id,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    time: Option<Time>,
    /// Which of the party's officers signs (default: the party's own key).
    #[serde(default)]
    officer: Option<String>,
    /// AIS files: the area the filer's receivers hear, stated in its manifests.
    #[serde(default)]
    reception: Option<Zone>,
}

/// The AIS format a step's `format` names, if it names one.
fn ais_format(name: &str) -> Option<crate::ingest_cmd::AisFormat> {
    use crate::ingest_cmd::AisFormat;
    [AisFormat::Dma, AisFormat::Nmea, AisFormat::MarineCadastre]
        .into_iter()
        .find(|f| f.name() == name)
}

/// How gate messages name the demo's clock: the scenario's, not this computer's.
pub const SCENARIO_CLOCK: &str = "the scenario's clock";

/// Derives a demo-only key from the scenario seed.
fn demo_key(seed: &str, name: &str) -> Result<truce_log::KeyPair, Failure> {
    let digest = Sha256::digest(format!("truce demo key v1\n{seed}\n{name}").as_bytes());
    truce_log::key_from_seed(name, digest.into()).map_err(Failure::input)
}

fn scenario_dir(given: Option<&Path>) -> PathBuf {
    if let Some(p) = given {
        return tidy(p);
    }
    let local = PathBuf::from("scenarios/energy-moratorium-2025");
    if local.join("scenario.toml").is_file() {
        local
    } else {
        tidy(Path::new(DEFAULT_SCENARIO))
    }
}

/// A path as a reader wants it: without `..` (canonical), relative to the working directory when
/// it lies below it.
fn tidy(p: &Path) -> PathBuf {
    let Ok(abs) = std::fs::canonicalize(p) else {
        return p.to_path_buf();
    };
    std::env::current_dir()
        .ok()
        .and_then(|cwd| std::fs::canonicalize(cwd).ok())
        .and_then(|cwd| abs.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .filter(|rel| !rel.as_os_str().is_empty())
        .unwrap_or(abs)
}

/// The file in a demo directory recording the scenario it was built from (the SHA-256 of the
/// scenario's files), written once the build is complete.
const STAMP: &str = "demo-scenario.sha256";

/// SHA-256 over the scenario's input files (sorted relative paths and contents; the Markdown
/// notes, which feed nothing, are left out).
fn scenario_digest(dir: &Path) -> Result<String, Failure> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            if p.is_dir() {
                walk(base, &p, out)?;
            } else if p.extension().is_some_and(|e| e != "md") {
                let rel = p
                    .strip_prefix(base)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p)?));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)
        .map_err(|e| Failure::input(anyhow!("reading the scenario {}: {e}", dir.display())))?;
    files.sort();
    let mut h = Sha256::new();
    for (name, bytes) in files {
        h.update(name.as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(&bytes);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Builds the scenario into `dir`.
pub fn run(dir: &DataDir, scenario: Option<&Path>, out: &Out) -> Result<(), Failure> {
    let sdir = scenario_dir(scenario);
    let manifest_path = sdir.join("scenario.toml");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
        Failure::input(anyhow!(
            "{}: {e}; pass --scenario <dir> to point at the scenario files",
            manifest_path.display()
        ))
    })?;
    let m: Manifest = toml::from_str(&text).map_err(|e| {
        Failure::input(anyhow!(truce_model::authoring::format_toml_error(
            &manifest_path.display().to_string(),
            &text,
            &e
        )))
    })?;
    let digest = scenario_digest(&sdir)?;
    if dir.path.exists()
        && std::fs::read_dir(&dir.path)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        let built = std::fs::read_to_string(dir.path.join(STAMP)).unwrap_or_default();
        if built.trim() == digest && dir.db().is_file() {
            // The demo of this very scenario, built before (`truce demo --no-serve`): use it.
            tracing::info!(dir = %dir.path.display(), "the demo is already built here");
            if !out.quiet {
                eprintln!(
                    "{} holds the demo already built from {}: using it (remove the directory to build it afresh)",
                    dir.path.display(),
                    sdir.display()
                );
            }
            let reader = dir.reader()?;
            let ledger = replay(&reader)?;
            let cp = reader.latest()?;
            return summary(dir, &ledger, &cp, &sdir, out);
        }
        let d = dir.path.display();
        return Err(Failure::input(anyhow!(
            "{d} already exists and is not the demo built from {}; serve what it holds with `truce --dir {d} serve`, or remove it or choose another --dir to build the demo",
            sdir.display()
        )));
    }
    let start = m.start.unwrap_or(
        Time::parse("2025-03-18T00:00:00+03:00").map_err(|e| Failure::input(anyhow!(e)))?,
    );
    let log_key = demo_key(&m.seed, &m.origin)?;
    let operator = demo_key(&m.seed, OPERATOR)?;
    let mut seq = dir.init(&m.origin, &log_key, &operator, None)?;
    genesis(&mut seq, &operator, "Truce demo operator", start)?;

    // Party keys: derived, written for exploration, labelled demo-only.
    std::fs::create_dir_all(dir.keys_dir())
        .map_err(|e| Failure::store(anyhow!("{}: {e}", dir.keys_dir().display())))?;
    std::fs::write(
        dir.keys_dir().join("README.txt"),
        format!("DEMO-ONLY keys, derived from the public seed {:?} of the demo scenario.\nAnyone can recompute them: never use them for anything real.\n", m.seed),
    )
    .map_err(|e| Failure::store(anyhow!("{e}")))?;
    let mut signers = std::collections::BTreeMap::new();
    let mut registrations = Vec::new();
    for p in &m.party {
        let k = demo_key(&m.seed, p.id.as_str())?;
        truce_store::keyfile::write_new(
            &dir.keys_dir().join(format!("{}.key", p.id)),
            &k.signer,
            0o600,
        )?;
        let mut keys = vec![k.verifier.clone()];
        signers.insert(
            (p.id.clone(), None),
            truce_log::parse_signer(&k.signer).map_err(Failure::input)?,
        );
        for o in &p.officers {
            // The key is named after the party (as every party key must be); the officer is
            // told apart by the key id.
            let digest =
                Sha256::digest(format!("truce demo key v1\n{}\n{}#{o}", m.seed, p.id).as_bytes());
            let ok =
                truce_log::key_from_seed(p.id.as_str(), digest.into()).map_err(Failure::input)?;
            truce_store::keyfile::write_new(
                &dir.keys_dir().join(format!("{}-{o}.key", p.id)),
                &ok.signer,
                0o600,
            )?;
            keys.push(ok.verifier.clone());
            signers.insert(
                (p.id.clone(), Some(o.clone())),
                truce_log::parse_signer(&ok.signer).map_err(Failure::input)?,
            );
        }
        registrations.push(Body::PartyRegister(PartyRegistration {
            id: p.id.clone(),
            name: p.name.clone(),
            role: p.role,
            keys,
        }));
    }
    let mut ledger = replay(seq.reader())?;
    let op_signer = truce_log::parse_signer(&operator.signer).map_err(Failure::input)?;
    let op_id = Id::new(OPERATOR).map_err(|e| Failure::input(anyhow!(e)))?;
    let witnesses = DemoWitnesses::new(&m.seed, &m.origin, &log_key.verifier)?;
    std::fs::write(dir.path.join("witness-policy.txt"), &witnesses.policy)
        .map_err(|e| Failure::store(anyhow!("{}: {e}", dir.path.display())))?;
    let gate = |now: Time| Gate::at(now, SCENARIO_CLOCK).with_sequencer(op_signer.clone());
    let mut bodies = registrations;
    bodies.push(Body::WitnessPolicy(truce_model::witnessed::WitnessPolicy {
        policy: witnesses.policy.clone(),
    }));
    submit_with(
        &mut seq,
        &mut ledger,
        &op_id,
        &op_signer,
        start,
        &bodies,
        "parties",
        &gate(start),
    )?;
    witnesses.round(&mut seq, &mut ledger, &op_signer, start)?;

    for step in &m.step {
        let path = sdir.join(&step.file);
        let signer = signers
            .get(&(step.author.clone(), step.officer.clone()))
            .ok_or_else(|| {
                Failure::input(anyhow!(
                    "{}: step {}: `as = {}`{} is not a scenario party (or officer)",
                    manifest_path.display(),
                    step.file,
                    step.author,
                    step.officer
                        .as_ref()
                        .map(|o| format!(", officer = {o}"))
                        .unwrap_or_default()
                ))
            })?;
        let open = || {
            std::fs::File::open(&path)
                .map_err(|e| Failure::input(anyhow!("{}: {e}", path.display())))
        };
        if let Some(format) = step.format.as_deref().and_then(ais_format) {
            // An AIS file: track segments and vessels under manifests, as `truce ingest` files
            // them, signed by the step's party at the step's time on the scenario's clock.
            let time = step.time.ok_or_else(|| {
                Failure::input(anyhow!(
                    "{}: step {}: an AIS step states its filing `time`",
                    manifest_path.display(),
                    step.file
                ))
            })?;
            let key_path = dir.keys_dir().join(format!("{}.key", step.author));
            let b = crate::ingest_cmd::Bulk {
                file: &path,
                author: step.author.as_str(),
                key: &key_path,
                rejects: None,
                strict: true,
                batch: 50_000,
                limits: Default::default(),
            };
            let mut cx = crate::ingest_cmd::scenario_context(
                seq,
                step.author.clone(),
                signer.clone(),
                gate(time),
            )?;
            let opts = crate::ingest_cmd::AisOptions {
                time_base: None,
                tolerance_m: 50.0,
                reception: step.reception.clone(),
            };
            let s = crate::ingest_cmd::ais_run(
                &mut cx,
                &b,
                format,
                opts,
                &indicatif::ProgressBar::hidden(),
            )?;
            seq = cx.into_sequencer();
            ledger = replay(seq.reader())?;
            witnesses.round(&mut seq, &mut ledger, &op_signer, time)?;
            tracing::info!(file = %step.file, summary = %s.line(), "submitted");
            continue;
        }
        let (time, bodies) = match step.format.as_deref().unwrap_or("toml") {
            "toml" => {
                let f = read_authored(&path)?;
                // Observers' positions: salts derived from the public seed (the demo is
                // byte-identical when built again; a real filing draws them at random).
                let (bodies, positions) =
                    crate::domain_cmd::bodies_filed(&f, &path.display().to_string(), &mut |d| {
                        Sha256::digest(
                            format!("truce demo salt v1\n{}\n{}\n{}", m.seed, step.author, d.id)
                                .as_bytes(),
                        )
                        .to_vec()
                    })?;
                let time = step.time.unwrap_or(f.time);
                crate::domain_cmd::store_positions(
                    &dir.path,
                    &step.author,
                    &positions,
                    time.0.as_second(),
                )?;
                (time, bodies)
            }
            "wri" => {
                let sites = truce_ingest::wri::read_sites(open()?)
                    .map_err(|e| Failure::input(anyhow!("{}: {e}", path.display())))?;
                (
                    step.time.unwrap_or(start),
                    sites.into_iter().map(Body::Site).collect(),
                )
            }
            "geojson" => {
                let sites = truce_ingest::geojson::read_sites(open()?)
                    .map_err(|e| Failure::input(anyhow!("{}: {e}", path.display())))?;
                (
                    step.time.unwrap_or(start),
                    sites.into_iter().map(Body::Site).collect(),
                )
            }
            other => {
                return Err(Failure::input(anyhow!(
                    "{}: unknown format {other:?} (toml, wri, geojson, ais-dma, ais-nmea, ais-marinecadastre)",
                    step.file
                )))
            }
        };
        // The scenario's clock reads the step's own time (see the module documentation).
        submit_with(
            &mut seq,
            &mut ledger,
            &step.author,
            signer,
            time,
            &bodies,
            &path.display().to_string(),
            &gate(time),
        )?;
        witnesses.round(&mut seq, &mut ledger, &op_signer, time)?;
        tracing::info!(file = %step.file, entries = bodies.len(), "submitted");
    }

    std::fs::write(dir.path.join(STAMP), format!("{digest}\n"))
        .map_err(|e| Failure::store(anyhow!("{}: {e}", dir.path.join(STAMP).display())))?;
    summary(dir, &ledger, seq.checkpoint(), &sdir, out)
}

/// The demo's witnesses: DEMO-ONLY keys derived from the public seed, cosigning in this process
/// on the scenario's clock.
struct DemoWitnesses {
    cosigners: Vec<truce_log::cosignature::Cosigner>,
    /// The tlog-policy the operator logs: the log key, the three witnesses, 2 of 3.
    policy: String,
}

impl DemoWitnesses {
    fn new(seed: &str, origin: &str, log_vkey: &str) -> Result<DemoWitnesses, Failure> {
        let mut cosigners = Vec::new();
        let mut policy = format!(
            "# DEMO-ONLY witness policy of `truce demo`: the witnesses' keys derive from the public\n# seed {seed:?}; they cosign on the scenario's clock.\nlog {log_vkey}\n"
        );
        for w in ["mission", "ru", "ua"] {
            let digest = Sha256::digest(format!("truce demo witness v1\n{seed}\n{w}").as_bytes());
            let key = ed25519_dalek::SigningKey::from_bytes(&digest.into());
            let c = truce_log::cosignature::Cosigner::new(&format!("{origin}/witness-{w}"), key)
                .map_err(Failure::input)?;
            policy.push_str(&format!("witness {w} {}\n", c.vkey()));
            cosigners.push(c);
        }
        policy.push_str("group witnesses 2 mission ru ua\nquorum witnesses\n");
        Ok(DemoWitnesses { cosigners, policy })
    }

    /// One round: the latest checkpoint cosigned 2, 3 and 4 seconds after `at`, logged as a
    /// `witnessing` entry signed by the operator at the sequencer's clock (5 seconds after `at`,
    /// never before the log's last clock).
    fn round(
        &self,
        seq: &mut truce_store::Sequencer<truce_store::DynStorage>,
        ledger: &mut truce_model::Ledger,
        operator: &signed_note::StandardSigner,
        at: Time,
    ) -> Result<(), Failure> {
        // The scenario's clock, never before the log's last reading.
        let at = ledger.time.next_clock(at);
        let mut note = seq.checkpoint().note.clone();
        for (i, c) in self.cosigners.iter().enumerate() {
            let ts = at.0.as_second() + 2 + i as i64;
            note = c.cosign_note(&note, ts as u64).map_err(Failure::input)?;
        }
        let body = Body::Witnessing(truce_model::witnessed::Witnessing {
            checkpoint: String::from_utf8(note).map_err(Failure::input)?,
        });
        let clock = Time(
            at.0.checked_add(jiff::SignedDuration::from_secs(5))
                .map_err(Failure::input)?,
        );
        let op = Id::new(OPERATOR).map_err(|e| Failure::input(anyhow!(e)))?;
        let env = truce_model::sign(&op, clock, &body, operator).map_err(Failure::input)?;
        ledger
            .admit_envelope(&env)
            .map_err(|r| Failure::input(anyhow!("the demo's witnessing round was refused: {r}")))?;
        let index = seq.size();
        seq.append(&[env.bytes.as_slice()])?;
        // Decoded once: the signed envelope is the one applied.
        ledger.apply_decoded(index, truce_model::Decoded::envelope(env));
        Ok(())
    }
}

fn summary(
    dir: &DataDir,
    ledger: &truce_model::Ledger,
    cp: &truce_log::SignedCheckpoint,
    sdir: &Path,
    out: &Out,
) -> Result<(), Failure> {
    let agreement = Id::new("energy-moratorium-2025").map_err(|e| Failure::input(anyhow!(e)))?;
    let diff = views::readings_diff(ledger, &agreement);
    let commitments = views::commitments(ledger);
    let claims = views::claims(ledger);
    let d = dir.path.display();
    let mut text = format!(
        "Truce demo — the March–April 2025 energy moratorium\n\
         (reports, detections, assessments and some wording are illustrative; Russian site positions are approximate;\n \
         see {}/README.md)\n\n\
         log    {} — {} entries, root {}\n\
         data   {d}\n\
         parties {}\n\
         sites  {} listed; reports {}; statements {}\n\n",
        sdir.display(),
        cp.origin,
        cp.size,
        cp.root,
        ledger.parties.values().map(|p| format!("{} ({})", p.id, p.role.as_str())).collect::<Vec<_>>().join(", "),
        ledger.sites.len(),
        ledger.reports.len(),
        ledger.statements.len(),
    );
    text.push_str(&render_diff(&diff));
    text.push_str("\ncommitments:\n");
    text.push_str(&render_commitments(&commitments));
    text.push_str("\ncontradictory claims:\n");
    for t in claims.iter().filter(|t| t.contradiction) {
        text.push_str(&format!("  {}\n", t.topic));
        for c in &t.claims {
            text.push_str(&format!(
                "    {:<6} {:<7} {}\n",
                c.speaker,
                crate::domain_cmd::file_name(&c.stance),
                c.proposition
            ));
        }
    }
    let (judgement, compliance) = crate::engine_cmd::refresh(dir, out)?;
    text.push_str(&format!(
        "\nincidents: {} from {} reports\n",
        judgement.incidents.len(),
        ledger.reports.len()
    ));
    for i in &judgement.incidents {
        text.push_str(&format!(
            "  {} {} {:<13} {}\n",
            i.id,
            i.day,
            i.occurrence.as_str(),
            i.members
                .iter()
                .map(|m| format!("{}/{}", m.author, m.id))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    text.push_str("\nwhere the reading decides (outcome under each party's reading):\n");
    let mut agreement = None;
    for diff in &compliance.differences {
        if agreement != Some(&diff.agreement) {
            agreement = Some(&diff.agreement);
            text.push_str(&format!("  {}\n", diff.agreement));
        }
        text.push_str(&format!(
            "    {} {}: {}\n",
            diff.incident,
            diff.day,
            diff.words
                .iter()
                .map(|(r, w)| format!("{r}: {w}"))
                .collect::<Vec<_>>()
                .join(" · ")
        ));
    }
    let sudzha = judgement
        .incidents
        .iter()
        .find(|i| i.members.len() > 2)
        .map(|i| i.id.clone())
        .unwrap_or_else(|| "<incident>".into());
    text.push_str(&format!(
        "\nexplore:\n  truce --dir {d} incidents\n  truce --dir {d} findings --reading ru\n  truce --dir {d} explain {sudzha}\n  truce --dir {d} compliance\n  truce --dir {d} agreement diff energy-moratorium-2025\n  truce --dir {d} agreement diff black-sea-ceasefire-2025\n  truce --dir {d} ais vessels\n  truce --dir {d} ais gaps\n  truce --dir {d} process show\n  truce --dir {d} claims\n  truce --dir {d} commitments\n  truce --dir {d} party list\n  truce --dir {d} log check\n"
    ));
    out.print(
        text,
        json!({
            "dir": dir.path, "origin": cp.origin, "size": cp.size, "root": cp.root.to_string(), "checkpoint": cp.note_text(),
            "diff": diff, "commitments": commitments, "claims": claims,
            "incidents": judgement.incidents.len(), "findings": judgement.findings.len(),
            "differences": compliance.differences,
        }),
    )
}

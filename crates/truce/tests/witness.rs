//! `truce witness` end to end: `keygen` writes the key pair (0600, never overwritten), `serve`
//! witnesses a log made by `truce init`: a real add-checkpoint of the log's checkpoint is cosigned
//! and the cosignature verifies with the printed vkey; after SIGKILL and a restart the witness
//! remembers what it cosigned (old 0 → 409 with the recorded size). Bad configurations fail with
//! exit 2 and name the field.

mod common;

use common::{fails, stdout, truce};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Stdio};
use truce_log::cosignature::{add_cosignature, CosignatureVerifier};
use truce_log::witness::{parse_cosignature_lines, parse_tlog_size, AddCheckpoint};

const ORIGIN: &str = "truce.test/witnessed";
const WITNESS: &str = "witness.test/w1";

/// A running `truce witness serve`; killed with SIGKILL when dropped.
struct Witness {
    child: Child,
    url: String,
}

impl Drop for Witness {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, config: &Path) -> Witness {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("truce"));
    child
        .current_dir(dir)
        .env_remove("TRUCE_DIR")
        .env("TRUCE_LOG", "error")
        .args(["witness", "serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = child.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line of `truce witness serve`: {first:?}"))
        .to_string();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    Witness {
        child,
        url: format!("http://{addr}"),
    }
}

fn post(url: &str, body: Vec<u8>) -> (u16, String, String) {
    let r = reqwest::blocking::Client::new()
        .post(format!("{url}/add-checkpoint"))
        .body(body)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, r.text().unwrap())
}

#[test]
fn keygen_serve_cosign_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    stdout(truce(dir).args(["--dir", "log", "init", "--origin", ORIGIN]));
    let log_vkey = std::fs::read_to_string(dir.join("log/log.vkey")).unwrap();

    // keygen: JSON names the files; the private key is 0600; running it again overwrites nothing.
    let out = stdout(truce(dir).args(["witness", "keygen", WITNESS, "--out", "keys", "--json"]));
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["name"], WITNESS);
    let vkey = j["vkey"].as_str().unwrap().to_string();
    let key_file = dir.join(j["key_file"].as_str().unwrap());
    assert_eq!(
        key_file,
        dir.join("keys/witness.test_w1.witness.key"),
        "{j}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let vkey_file = std::fs::read_to_string(dir.join("keys/witness.test_w1.witness.vkey")).unwrap();
    assert_eq!(vkey_file.trim(), vkey);
    let before = std::fs::read(&key_file).unwrap();
    let e = fails(
        truce(dir).args(["witness", "keygen", WITNESS, "--out", "keys"]),
        2,
    );
    assert!(e.contains("already exists"), "{e}");
    assert_eq!(std::fs::read(&key_file).unwrap(), before);
    // Without --json, the vkey alone.
    let plain = stdout(truce(dir).args(["witness", "keygen", "witness.test/w2", "--out", "keys"]));
    assert!(plain.starts_with("witness.test/w2+"), "{plain}");

    let config = dir.join("witness.toml");
    std::fs::write(
        &config,
        format!(
            "name = \"{WITNESS}\"\nkey = \"keys/witness.test_w1.witness.key\"\nstate = \"witness.db\"\n\n[[log]]\norigin = \"{ORIGIN}\"\nkeys = [\"{}\"]\n",
            log_vkey.trim()
        ),
    )
    .unwrap();

    let checkpoint = stdout(truce(dir).args(["--dir", "log", "log", "checkpoint"]));
    let size: u64 = checkpoint.lines().nth(1).unwrap().parse().unwrap();
    assert!(size >= 1);
    let request = AddCheckpoint {
        old: 0,
        proof: vec![],
        checkpoint: checkpoint.clone().into_bytes(),
    }
    .encode();

    let w = start(dir, &config);
    let (status, _, body) = post(&w.url, request.clone());
    assert_eq!(status, 200, "{body}");
    let lines = parse_cosignature_lines(body.as_bytes()).unwrap();
    assert_eq!(lines.len(), 1);
    let verifier = CosignatureVerifier::from_vkey(&vkey).unwrap();
    let cosigned = add_cosignature(checkpoint.as_bytes(), &lines[0]).unwrap();
    let ts = verifier.verify(&cosigned).unwrap();
    assert!(ts > 1_700_000_000, "timestamp {ts}");
    drop(w); // SIGKILL

    let w = start(dir, &config);
    let (status, ct, body) = post(&w.url, request);
    assert_eq!(status, 409, "{body}");
    assert_eq!(ct, "text/x.tlog.size");
    assert_eq!(parse_tlog_size(body.as_bytes()), Some(size));
    assert_eq!(body, format!("{size}\n"));
    // The same checkpoint from the recorded size is cosigned again.
    let again = AddCheckpoint {
        old: size,
        proof: vec![],
        checkpoint: checkpoint.into_bytes(),
    }
    .encode();
    assert_eq!(post(&w.url, again).0, 200);
}

#[test]
fn bad_configurations_name_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    stdout(truce(dir).args(["witness", "keygen", WITNESS]));
    let other = truce_log::key_from_seed("other.test/log", [1; 32]).unwrap();
    let config = dir.join("w.toml");
    std::fs::write(
        &config,
        format!(
            "key = \"witness.test_w1.witness.key\"\nstate = \"w.db\"\n[[log]]\norigin = \"{ORIGIN}\"\nkeys = [\"{}\"]\n",
            other.verifier
        ),
    )
    .unwrap();
    let e = fails(
        truce(dir).args(["witness", "serve", "--config", "w.toml"]),
        2,
    );
    assert!(e.contains("log[0].keys[0]"), "{e}");
    std::fs::write(&config, "state = \"w.db\"\n").unwrap();
    let e = fails(
        truce(dir).args(["witness", "serve", "--config", "w.toml"]),
        2,
    );
    assert!(e.contains("key"), "{e}");
    let e = fails(
        truce(dir).args(["witness", "serve", "--config", "missing.toml"]),
        2,
    );
    assert!(e.contains("missing.toml"), "{e}");
}

#[test]
fn serve_help_teaches_the_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let help = stdout(truce(tmp.path()).args(["witness", "serve", "--help"]));
    for needle in [
        "[[log]]",
        "origin =",
        "keys =",
        "state =",
        "409",
        "listening on",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}

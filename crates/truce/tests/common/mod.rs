//! Helpers shared by the CLI test files: run the real `truce` binary in a directory and check its
//! exit code; build the demo scenario.
#![allow(dead_code)] // each test file uses some of them

use assert_cmd::Command;
use std::path::Path;

/// The `truce` binary, run in `dir`, with no `TRUCE_DIR` from the environment.
pub fn truce(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("truce").unwrap();
    c.current_dir(dir)
        .env_remove("TRUCE_DIR")
        .env("NO_COLOR", "1");
    c
}

/// Runs the command, asserts success, returns stdout.
pub fn stdout(c: &mut Command) -> String {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Runs the command, asserts the exit code, returns stderr.
pub fn fails(c: &mut Command, code: i32) -> String {
    let o = c.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {} stderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stderr).unwrap()
}

/// Runs `truce -q ARGS` in `dir`, asserts success, returns stdout.
pub fn quiet(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["-q"];
    all.extend_from_slice(args);
    stdout(truce(dir).args(&all))
}

/// Starts a log in `dir` (`truce init --origin ORIGIN`) with one open-data party, `dma`, whose key
/// is `truce-data/keys/dma.key`.
pub fn init_with_dma(dir: &Path, origin: &str) {
    quiet(dir, &["init", "--origin", origin]);
    quiet(
        dir,
        &[
            "party",
            "add",
            "dma",
            "--name",
            "DMA",
            "--role",
            "open-data",
        ],
    );
}

/// The demo scenario's directory in the repository.
pub fn scenario() -> String {
    format!(
        "{}/../../scenarios/energy-moratorium-2025",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Builds the demo scenario into `dir/d` (without serving it).
pub fn demo_in(dir: &Path) {
    stdout(truce(dir).args([
        "-q",
        "demo",
        "--no-serve",
        "--scenario",
        &scenario(),
        "--dir",
        "d",
    ]));
}

/// A new temporary directory with the demo built in `d`.
pub fn demo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    demo_in(t.path());
    t
}

/// Runs `truce verify SOURCE --log-key d/log.vkey --state s.json --json` in `p`, asserts the exit
/// code, returns the report.
pub fn verify_json(p: &Path, source: &str, code: i32) -> serde_json::Value {
    let o = truce(p)
        .args([
            "-q",
            "verify",
            source,
            "--log-key",
            "d/log.vkey",
            "--state",
            "s.json",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {} stderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The check called `name` in a verify report.
pub fn check<'a>(r: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {r}"))
}

/// A running `truce serve`, killed when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `truce serve` on a free port for `dir`, with pages smaller than a verifier asks for
/// first (so it pages through several).
pub fn serve(dir: &Path) -> Server {
    serve_with(
        &assert_cmd::cargo::cargo_bin("truce"),
        dir,
        &[("TRUCE_MAX_PAGE", "20")],
    )
}

/// Starts `bin serve` on a free port for `dir` with the environment `env` (`TRUCE_*` settings).
pub fn serve_with(bin: &Path, dir: &Path, env: &[(&str, &str)]) -> Server {
    use std::io::{BufRead, BufReader, Read};
    let mut child = std::process::Command::new(bin)
        .env_remove("TRUCE_DIR")
        .env("TRUCE_LOG", "error")
        .envs(env.iter().copied())
        .args(["serve", "--listen", "127.0.0.1:0", "--dir"])
        .arg(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line of `truce serve`: {first:?}"))
        .to_string();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    Server { child, addr }
}

/// ua's report (an authoring file) of a drone strike at the Kherson thermal power plant on
/// 10 May 2025, after the moratorium lapsed on 18 April (test data, illustrative).
pub const MAY_STRIKE: &str = r#"time = 2025-05-10T18:00:00+03:00
[[report]]
id = "kherson-tpp-2025-05-10"
time = { start = 2025-05-10T03:00:00+03:00, end = 2025-05-10T04:00:00+03:00 }
location = { point = [32.55, 46.65], uncertainty_m = 1000, place = "Kherson thermal power plant (test)" }
act = "drone-strike"
alleged_perpetrator = "ru"
target_category = "energy.power.plant"
text = "test: a strike after the lapse"
illustrative = true
"#;

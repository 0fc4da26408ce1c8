//! The dashboard in a real browser: builds the demo with the real binary, serves it with
//! `truce serve` on a free port, and runs `crates/truce-dashboard/web/tests/browser.mjs`
//! (playwright-core driving Debian's Chromium, every request to another host blocked and
//! reported) against it. Needs `node` and `/usr/bin/chromium`; fails, never skips, without them.
//! Before serving, it submits to the demo a strike on 10 May (after the 18 April lapse) and
//! consents by ru and ua (ua's retroactive) to extend the energy moratorium to 17 May, so the
//! agreements page has lifecycle events to show, with the findings they changed.
//!
//! A second run serves the same log plus 100,000 simulated FIRMS detections (`truce simulate firms
//! --rows 100000 --seed 3`, ingested and the views rebuilt before serving): the same checks, and
//! browser.mjs's bound on every response the page fetches (2 MiB) and on the map's first load
//! (4 MiB from the API) — the map asks the server for cells, never for every incident.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
/// The whole browser run is bounded (it takes a few seconds; tens on the large log in a debug build).
const BROWSER_TIMEOUT: Duration = Duration::from_secs(240);
/// FIRMS detections added to the demo for the run on a large log.
const LARGE_ROWS: &str = "100000";

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../truce-dashboard/web")
}

/// A `truce serve` child, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path) -> (Server, String) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("truce"))
        .env_remove("TRUCE_DIR")
        .env("NO_COLOR", "1")
        .env("TRUCE_LOG", "error")
        .arg("--dir")
        .arg(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let server = Server(child);
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line of `truce serve`: {first:?}"))
        .to_string();
    // Keep draining stdout so the server never blocks on it.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    (server, url)
}

/// Authoring files submitted to the demo before it is served (file, party, text): ua's report of
/// a strike on 10 May, ru's consent to extend the moratorium to 17 May (15 April), then ua's to
/// the same end (16 April, effective from the evening of the 15th: retroactive), which brings
/// the strike into scope under every reading.
const LIFECYCLE: [(&str, &str, &str); 3] = [
    ("may.toml", "ua", common::MAY_STRIKE),
    (
        "ru-extension.toml",
        "ru",
        r#"time = 2025-04-15T12:00:00+03:00
[[extension]]
agreement = "energy-moratorium-2025"
until = 2025-05-17T00:00:00+03:00
note = "test: extended by mutual agreement"
"#,
    ),
    (
        "ua-extension.toml",
        "ua",
        r#"time = 2025-04-16T12:00:00+03:00
[[extension]]
agreement = "energy-moratorium-2025"
until = 2025-05-17T00:00:00+03:00
effective_from = 2025-04-15T18:00:00+03:00
note = "test: extended by mutual agreement, from the evening before"
"#,
    ),
];

/// Node, Chromium and playwright-core are there (`npm ci` in `web/` when it is missing).
fn browser_tools() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "install chromium: apt-get install chromium"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "install Node.js: apt-get install nodejs npm"
    );
    let web = web_dir();
    if !web
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        let s = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&web)
            .status()
            .expect("run npm (apt-get install npm)");
        assert!(s.success(), "`npm ci` in {} failed", web.display());
    }
}

/// Runs `truce ARGS` in `cwd`; panics with its stderr when it fails.
fn truce_ok(cwd: &Path, args: &[&str]) {
    let out = Command::new(assert_cmd::cargo::cargo_bin("truce"))
        .env_remove("TRUCE_DIR")
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "truce {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds the demo in `t/d` and submits the lifecycle entries ([`LIFECYCLE`]) to it.
fn demo_with_lifecycle(t: &Path) {
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/energy-moratorium-2025");
    let scenario = scenario.to_str().expect("UTF-8 path");
    truce_ok(
        t,
        &[
            "-q",
            "demo",
            "--no-serve",
            "--scenario",
            scenario,
            "--dir",
            "d",
        ],
    );
    for (name, party, text) in LIFECYCLE {
        std::fs::write(t.join(name), text).unwrap();
        let key = format!("d/keys/{party}.key");
        truce_ok(
            t,
            &[
                "-q", "--dir", "d", "submit", name, "--as", party, "--key", &key,
            ],
        );
    }
}

/// Serves `t/d`, runs browser.mjs against it (screenshots in `t/shots`), and returns its output.
fn run_browser_test(t: &Path) -> String {
    let (server, url) = serve(&t.join("d"));
    let shots = t.join("shots");
    let started = Instant::now();
    let mut node = Command::new("node")
        .arg("tests/browser.mjs")
        .arg(&url)
        .arg(&shots)
        .current_dir(web_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node");
    let (mut o, mut e) = (node.stdout.take().unwrap(), node.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = o.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = e.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(s) = node.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = node.kill();
            let _ = node.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    drop(server);
    eprintln!("browser test at {url}: {:?}\n{out}{err}", started.elapsed());
    let status =
        status.unwrap_or_else(|| panic!("browser.mjs timed out after {BROWSER_TIMEOUT:?}"));
    assert!(
        status.success(),
        "browser.mjs failed ({status}):\n{out}\n{err}"
    );
    for page in [
        "map",
        "incident",
        "agreements",
        "events",
        "compliance",
        "commitments",
        "log",
    ] {
        let f = shots.join(format!("dashboard-{page}.png"));
        let len = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        assert!(len > 1000, "no screenshot {}", f.display());
    }
    out
}

#[test]
fn the_dashboard_works_in_a_browser_without_any_other_host() {
    browser_tools();
    let t = tempfile::tempdir().unwrap();
    let started = Instant::now();
    demo_with_lifecycle(t.path());
    eprintln!("demo built in {:?}", started.elapsed());
    run_browser_test(t.path());
}

/// The same browser test on the demo plus 100,000 FIRMS detections: the map draws from bounded
/// answers (browser.mjs fails on any response over 2 MiB, or a first map load over 4 MiB from the
/// API), and the demo's incidents and panel are as on the demo alone.
#[test]
fn the_dashboard_stays_bounded_on_a_large_log() {
    browser_tools();
    let t = tempfile::tempdir().unwrap();
    let started = Instant::now();
    demo_with_lifecycle(t.path());
    truce_ok(
        t.path(),
        &[
            "-q", "simulate", "firms", "--rows", LARGE_ROWS, "--seed", "3", "--out", "f.csv",
        ],
    );
    truce_ok(
        t.path(),
        &[
            "-q",
            "--dir",
            "d",
            "ingest",
            "f.csv",
            "--as",
            "firms",
            "--key",
            "d/keys/firms.key",
        ],
    );
    // The views computed before serving: the browser test measures the dashboard, not the first
    // computation of the views.
    truce_ok(t.path(), &["-q", "--dir", "d", "rebuild"]);
    eprintln!(
        "demo + {LARGE_ROWS} FIRMS detections built in {:?}",
        started.elapsed()
    );
    let out = run_browser_test(t.path());
    assert!(out.contains("all dashboard checks passed"), "{out}");
}

/// `truce demo` builds the scenario, then serves it: the printed URL (port 0 → a free port) answers
/// with the dashboard and the demo's API.
#[test]
fn the_demo_serves_the_dashboard_at_the_printed_url() {
    let t = tempfile::tempdir().unwrap();
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/energy-moratorium-2025");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("truce"))
        .env_remove("TRUCE_DIR")
        .env("NO_COLOR", "1")
        .arg("--dir")
        .arg(t.path().join("demo"))
        .arg("demo")
        .arg("--scenario")
        .arg(&scenario)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let server = Server(child);
    // The summary comes first, then the `listening on` line.
    let mut url = None;
    let mut summary = String::new();
    for line in out.lines() {
        let line = line.unwrap();
        if let Some(u) = line.strip_prefix("listening on ") {
            url = Some(u.to_string());
            break;
        }
        summary.push_str(&line);
        summary.push('\n');
    }
    let url = url.unwrap_or_else(|| panic!("no `listening on` line after:\n{summary}"));
    assert!(summary.contains("where the reading decides"), "{summary}");
    let mut notice = String::new();
    err.read_line(&mut notice).unwrap();
    assert!(notice.contains(&format!("open {url}/")), "{notice:?}");
    let get = |path: &str| {
        let r = reqwest::blocking::get(format!("{url}{path}")).unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        r.text().unwrap()
    };
    assert!(get("/").contains("<title>"), "the dashboard page");
    let v: serde_json::Value = serde_json::from_str(&get("/v1/incidents")).unwrap();
    assert_eq!(v["total"], 30);
    drop(server);
}

//! A newcomer's first hour (issue 20): the rough edges a new user hit following the README, each
//! held by a test through the real binary.
#![allow(unsafe_code)] // umask(2) in the child before exec (pre_exec), to test key file modes

mod common;
use common::{fails, stdout, truce};
use std::path::Path;

fn json_error(stderr: &str) -> serde_json::Value {
    let line = stderr
        .lines()
        .rfind(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON error on stderr: {stderr}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[test]
fn a_missing_key_file_names_the_os_error_once() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    stdout(truce(p).args(["-q", "init", "--origin", "truce.example/test"]));
    let process = format!("{}/process.toml", common::scenario());
    let err = fails(
        truce(p).args(["submit", &process, "--as", "us", "--key", "nokey.key"]),
        2,
    );
    assert_eq!(
        err.matches("No such file or directory").count(),
        1,
        "the OS error once: {err}"
    );
    assert!(err.starts_with("error: nokey.key: "), "{err}");
}

#[test]
fn under_json_errors_are_one_json_object_on_stderr() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    // No data directory: exit 3.
    let o = truce(p)
        .args(["--json", "log", "checkpoint"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty(), "stdout carries only data");
    let e = json_error(&String::from_utf8_lossy(&o.stderr));
    assert_eq!(e["error"]["exit_code"], 3);
    assert_eq!(e["error"]["kind"], "unavailable");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no Truce data directory"),
        "{e}"
    );
    // Bad input: exit 2.
    stdout(truce(p).args(["-q", "init", "--origin", "truce.example/test"]));
    let err = fails(truce(p).args(["--json", "log", "entry", "99"]), 2);
    let e = json_error(&err);
    assert_eq!(e["error"]["kind"], "input");
    assert_eq!(e["error"]["exit_code"], 2);
    // A usage error (clap) too, wherever --json stands.
    let err = fails(truce(p).args(["findings", "--bogus", "--json"]), 2);
    let e = json_error(&err);
    assert_eq!(e["error"]["kind"], "usage");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("--bogus"),
        "{e}"
    );
    // Help is help, not an error.
    let o = truce(p).args(["--json", "--help"]).output().unwrap();
    assert!(o.status.success());
    // Without --json: plain text.
    let err = fails(truce(p).args(["log", "entry", "99"]), 2);
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn log_entry_out_says_what_it_wrote_under_json() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    stdout(truce(p).args(["-q", "init", "--origin", "truce.example/test"]));
    let v: serde_json::Value = serde_json::from_str(&stdout(
        truce(p).args(["--json", "log", "entry", "0", "--out", "e0.bin"]),
    ))
    .unwrap();
    let bytes = std::fs::read(p.join("e0.bin")).unwrap();
    assert_eq!(v["index"], 0);
    assert_eq!(v["bytes"], bytes.len());
    assert_eq!(v["out"], "e0.bin");
}

#[test]
fn log_lines_carry_no_colour_when_stderr_is_not_a_terminal() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    // -v logs at info level: there are log lines, and stderr is a pipe here.
    for (i, no_color) in [None, Some("1")].into_iter().enumerate() {
        let mut c = truce(p);
        c.env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let dir = format!("d{i}");
        let o = c
            .args([
                "-v",
                "--dir",
                &dir,
                "init",
                "--origin",
                "truce.example/test",
            ])
            .output()
            .unwrap();
        assert!(o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("INFO"), "log lines expected: {err}");
        assert!(!err.contains('\x1b'), "ANSI codes on a pipe: {err:?}");
    }
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn verifier_keys_are_readable_by_all_and_signer_keys_by_their_owner_only() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    // Whatever the umask: a restrictive one must not hide the published keys.
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("truce"));
    c.current_dir(p).env_remove("TRUCE_DIR");
    // SAFETY: umask is async-signal-safe.
    unsafe {
        use std::os::unix::process::CommandExt;
        c.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
    let o = c
        .args(["-q", "init", "--origin", "truce.example/test"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = p.join("truce-data");
    assert_eq!(mode(&d.join("log.vkey")), 0o644);
    assert_eq!(mode(&d.join("operator.vkey")), 0o644);
    assert_eq!(mode(&d.join("log.key")), 0o600);
    assert_eq!(mode(&d.join("operator.key")), 0o600);
    stdout(truce(p).args([
        "-q",
        "party",
        "add",
        "ru",
        "--name",
        "R",
        "--role",
        "belligerent",
    ]));
    assert_eq!(mode(&d.join("keys/ru.key")), 0o600);
    stdout(truce(p).args(["-q", "key", "generate", "ua.example", "--out", "k"]));
    assert_eq!(mode(&p.join("k/ua.example.key")), 0o600);
    assert_eq!(mode(&p.join("k/ua.example.vkey")), 0o644);
    stdout(truce(p).args(["-q", "witness", "keygen", "w.example", "--out", "w"]));
    assert_eq!(mode(&p.join("w/w.example.witness.key")), 0o600);
    assert_eq!(mode(&p.join("w/w.example.witness.vkey")), 0o644);
}

#[test]
fn verify_of_an_unreachable_log_names_its_checkpoint() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    stdout(truce(p).args(["-q", "init", "--origin", "truce.example/test"]));
    // Port 9 (discard) on the loopback: nothing listens there.
    let err = fails(
        truce(p).args([
            "verify",
            "http://127.0.0.1:9",
            "--log-key",
            "truce-data/log.vkey",
            "--state",
            "s.json",
        ]),
        3,
    );
    assert!(
        err.contains("cannot reach http://127.0.0.1:9/checkpoint"),
        "{err}"
    );
    assert!(!err.contains("/v1/findings"), "{err}");
}

#[test]
fn raw_lines_in_the_log_are_summarised_once_per_command() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    stdout(truce(p).args(["-q", "init", "--origin", "truce.example/test"]));
    let lines: String = (0..40).map(|i| format!("{{\"report\":{i}}}\n")).collect();
    std::fs::write(p.join("reports.jsonl"), lines).unwrap();
    stdout(truce(p).args(["log", "append", "reports.jsonl"]));
    // Both commands replay the log.
    for args in [&["party", "list"][..], &["findings"]] {
        let o = truce(p).args(args).output().unwrap();
        assert!(o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.matches("WARN").count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("40 entries in the log are not accepted"),
            "{err}"
        );
        assert!(err.contains("entry 1: "), "{err}");
        assert!(err.contains("and 37 more"), "{err}");
    }
    // -q: none.
    let o = truce(p).args(["-q", "findings"]).output().unwrap();
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn the_demo_built_before_is_served_and_another_directory_is_named() {
    use std::io::{BufRead, BufReader};
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    // Outside the repository, without --scenario: the scenario's path is printed normalised.
    let built = stdout(truce(p).args(["demo", "--no-serve"]));
    assert!(!built.contains("/../"), "{built}");
    assert!(
        built.contains("scenarios/energy-moratorium-2025/README.md"),
        "{built}"
    );
    // Again without --no-serve: the same demo is used and served.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("truce"))
        .current_dir(p)
        .env_remove("TRUCE_DIR")
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("listening on http://"));
    let _ = child.kill();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(listening.is_some(), "the existing demo is served: {err}");
    assert!(err.contains("holds the demo already built"), "{err}");
    // A directory holding something else: the message says how to serve it.
    stdout(truce(p).args(["-q", "init", "--origin", "truce.example/test"]));
    let err = fails(truce(p).args(["demo", "--dir", "truce-data"]), 2);
    assert!(err.contains("`truce --dir truce-data serve`"), "{err}");
}

/// The commands of the README's ```sh block after the line starting with `heading`, one per
/// line, comments and blank lines dropped.
fn readme_block(heading: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let at = readme
        .find(&format!("\n{heading}"))
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    let rest = &readme[at..];
    let start = rest.find("```sh\n").unwrap() + "```sh\n".len();
    let end = start + rest[start..].find("```").unwrap();
    rest[start..end]
        .lines()
        .map(|l| l.split(" # ").next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Runs README commands with bash in `dir`, the `truce` under test first on the PATH; each must
/// succeed.
fn run_readme(dir: &Path, commands: &[String]) {
    let bin = assert_cmd::cargo::cargo_bin("truce");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for c in commands {
        let o = std::process::Command::new("bash")
            .args(["-c", c])
            .current_dir(dir)
            .env("PATH", &path)
            .env_remove("TRUCE_DIR")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "README command failed: {c}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn the_readme_your_own_log_block_runs_as_written() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    // From the repository's root, as the README says: the scenario's files at the same paths.
    std::os::unix::fs::symlink(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios"),
        p.join("scenarios"),
    )
    .unwrap();
    let block = readme_block("Your own log");
    assert!(block.len() >= 5, "{block:?}");
    run_readme(p, &block);
    // What it built: the process and ru's reading, ru's key rotated.
    let v: serde_json::Value =
        serde_json::from_str(&stdout(truce(p).args(["--json", "party", "list"]))).unwrap();
    let ru = v
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "ru")
        .unwrap();
    assert_eq!(ru["keys"].as_array().unwrap().len(), 2, "{ru}");
    let show = stdout(truce(p).args(["agreement", "show", "energy-moratorium-2025"]));
    assert!(show.contains("ru"), "{show}");
}

#[test]
fn the_readme_tour_runs_as_written() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    let block = readme_block("## A tour");
    assert!(block[0].starts_with("truce demo --no-serve"), "{block:?}");
    // The demo finds its scenario from anywhere (the repository's copy).
    run_readme(p, &block);
}

#[test]
fn unknown_filter_values_are_errors_listing_the_valid_ones() {
    let t = common::demo();
    let p = t.path();
    let q = |args: &[&str]| {
        let mut c = truce(p);
        c.args(["--dir", "d"]).args(args);
        fails(&mut c, 2)
    };
    for (args, names) in [
        (
            &["findings", "--reading", "xx"][..],
            &["--reading", "\"xx\"", "ru, ua, us"][..],
        ),
        (
            &["findings", "--agreement", "xx"],
            &["--agreement", "energy-moratorium-2025"],
        ),
        (&["findings", "--party", "xx"], &["--party", "ru"]),
        (&["incidents", "--party", "xx"], &["--party", "ua"]),
        (
            &["compliance", "--reading", "xx"],
            &["--reading", "ru, ua, us"],
        ),
        (
            &["compliance", "--agreement", "xx"],
            &["--agreement", "energy-moratorium-2025"],
        ),
        (&["compliance", "--party", "xx"], &["--party", "ru"]),
        (
            &["findings", "--standing", "xx"],
            &["--standing", "established"],
        ),
        (
            &["findings", "--outcome", "xx"],
            &["--outcome", "out_of_scope"],
        ),
        (
            &["incidents", "--occurrence", "xx"],
            &["--occurrence", "corroborated"],
        ),
    ] {
        let err = q(args);
        for n in names {
            assert!(err.contains(n), "{args:?}: {n} not in {err}");
        }
    }
    // A known value matching nothing is still an answer: none.
    let out = stdout(truce(p).args(["--dir", "d", "findings", "--party", "operator"]));
    assert!(out.contains("0 finding(s)"), "{out}");
}

#[test]
fn the_diff_of_an_agreement_without_readings_says_so() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    stdout(truce(p).args(["-q", "init", "--origin", "truce.example/test"]));
    stdout(truce(p).args([
        "-q", "party", "add", "us", "--name", "US", "--role", "mediator",
    ]));
    let process = format!("{}/process.toml", common::scenario());
    stdout(truce(p).args([
        "-q",
        "submit",
        &process,
        "--as",
        "us",
        "--key",
        "truce-data/keys/us.key",
    ]));
    let out = stdout(truce(p).args(["agreement", "diff", "energy-moratorium-2025"]));
    assert!(
        out.contains("no party has filed a reading of energy-moratorium-2025"),
        "{out}"
    );
}

/// Where each of `header`'s column names starts, in characters.
fn column_starts(header: &str, names: &[&str]) -> Vec<usize> {
    names
        .iter()
        .map(|n| {
            let at = header.find(n).unwrap_or_else(|| panic!("{n} in {header}"));
            header[..at].chars().count()
        })
        .collect()
}

/// Every line of a table has a cell starting (after a space, or at 0) at each column start.
fn assert_aligned(table: &str, names: &[&str]) {
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let starts = column_starts(header, names);
    for line in lines
        .take_while(|l| !l.is_empty() && !l.contains("finding(s)") && !l.contains("incident(s)"))
    {
        let chars: Vec<char> = line.chars().collect();
        for &s in &starts {
            assert!(
                s < chars.len() && chars[s] != ' ' && (s == 0 || chars[s - 1] == ' '),
                "column at {s} misaligned in {line:?}\n{table}"
            );
        }
    }
}

#[test]
fn names_are_those_of_the_files_and_tables_are_aligned() {
    let t = common::demo();
    let p = t.path();
    let run = |args: &[&str]| stdout(truce(p).args(["--dir", "d"]).args(args));
    let show = run(&["agreement", "show", "energy-moratorium-2025"]);
    assert!(show.contains("prohibited strike, sabotage"), "{show}");
    assert!(
        show.contains("release    violation-frees-other-side: "),
        "{show}"
    );
    assert!(
        !show.contains("Strike") && !show.contains("ViolationFrees"),
        "{show}"
    );
    let process = run(&["process", "show"]);
    assert!(process.contains(" lapsed "), "{process}");
    assert!(
        !process.contains("Lapsed") && !process.contains("InForce"),
        "{process}"
    );
    let list = run(&["agreement", "list"]);
    assert!(
        list.contains(" lapsed ") && !list.contains("Lapsed"),
        "{list}"
    );
    assert_aligned(&run(&["party", "list"]), &["ID", "ROLE", "NAME", "KEYS"]);
    assert_aligned(
        &run(&["incidents"]),
        &["INCIDENT", "DAY", "OCCURRENCE", "ATTRIBUTION", "WHERE"],
    );
    assert_aligned(
        &run(&["findings"]),
        &[
            "INCIDENT",
            "AGREEMENT",
            "READING",
            "FINDING",
            "OCCURRENCE",
            "PARTIES",
            "DECIDED BY",
        ],
    );
    assert_aligned(
        &list,
        &["AGREEMENT", "TITLE", "PROCESS/PHASE", "STATUS", "DAYS IN"],
    );
    // No colour codes in tables, even with colour allowed.
    let o = truce(p)
        .env_remove("NO_COLOR")
        .args(["--dir", "d", "party", "list"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains('\x1b'));
}

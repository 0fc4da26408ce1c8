//! The submission gates through the real binary, on this computer's clock: `truce submit` refuses
//! a report dated 2099, one whose event starts after its own filing, and one dated beyond the
//! allowed skew (exit 2, nothing appended), and accepts a late filing with a flag and its delay;
//! `truce ingest` (whose records are filed now) refuses a row of an event that has not started
//! and flags one still under way, and takes history as it is. No assertion depends on the date:
//! refused times are in 2099 or computed from the clock, late ones in 2025.

mod common;
use assert_cmd::Command;
use common::{fails, stdout, truce};
use serde_json::Value;
use std::path::Path;

fn json(c: &mut Command) -> Value {
    serde_json::from_str(&stdout(c.arg("--json"))).unwrap()
}

fn size(p: &Path) -> u64 {
    json(truce(p).args(["log", "checkpoint"]))["size"]
        .as_u64()
        .unwrap()
}

fn setup(p: &Path) {
    stdout(truce(p).args(["init", "--origin", "gates.example/log"]));
    for (id, role) in [
        ("ru", "belligerent"),
        ("ua", "belligerent"),
        ("acled", "open-data"),
    ] {
        stdout(truce(p).args(["party", "add", id, "--name", id, "--role", role]));
    }
}

/// An authoring file: one report by `ua` filed at `filed`, about `start`..`end`.
fn report_file(p: &Path, name: &str, filed: &str, start: &str, end: &str) -> String {
    let text = format!(
        r#"time = {filed}

[[report]]
id = "{name}"
time = {{ start = {start}, end = {end} }}
location = {{ point = [35.27, 51.19], uncertainty_m = 3000 }}
act = "shelling"
alleged_perpetrator = "ru"
text = "a test report"
"#
    );
    let f = format!("{name}.toml");
    std::fs::write(p.join(&f), text).unwrap();
    f
}

fn submit(p: &Path, file: &str) -> Command {
    let mut c = truce(p);
    c.args([
        "submit",
        file,
        "--as",
        "ua",
        "--key",
        "truce-data/keys/ua.key",
    ]);
    c
}

/// This computer's clock moved by `secs`, RFC 3339 in whole seconds.
fn clock(secs: i64) -> String {
    let now = jiff::Timestamp::now().as_second();
    jiff::Timestamp::from_second(now + secs)
        .unwrap()
        .to_string()
}

#[test]
fn submit_refuses_impossible_times_and_flags_late_filings() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let base = size(p);

    // Dated 2099: refused, exit 2, the reason and what to do.
    let f = report_file(
        p,
        "r-2099",
        "2099-01-01T00:00:00Z",
        "2099-01-01T00:00:00Z",
        "2099-01-01T00:00:00Z",
    );
    let e = fails(&mut submit(p, &f), 2);
    assert!(
        e.contains("r-2099.toml: entry 1 (report r-2099) refused: entry time 2099-01-01T00:00:00Z is ")
            && e.contains(" years ahead of this computer's clock (")
            && e.contains("the allowed skew is 300 s: fix the author's clock or the stated time; nothing was appended"),
        "{e}"
    );

    // Filed on 1 March about an event on 23 April: refused, naming the event's start.
    let f = report_file(
        p,
        "r-early",
        "2025-03-01T10:00:00Z",
        "2025-04-23T00:00:00Z",
        "2025-04-23T06:00:00Z",
    );
    let e = fails(&mut submit(p, &f), 2);
    assert!(
        e.contains("the report's event starts at 2025-04-23T00:00:00Z, 52 days after the report's own filing time 2025-03-01T10:00:00Z")
            && e.contains("nothing was appended"),
        "{e}"
    );

    // An hour ahead of the clock: refused by default, accepted with a wider configured skew.
    let f = report_file(p, "r-ahead", &clock(3_600), &clock(-7_200), &clock(-7_000));
    let e = fails(&mut submit(p, &f), 2);
    assert!(e.contains(" minutes ahead of this computer's clock"), "{e}");
    assert_eq!(size(p), base, "nothing appended");
    let out = stdout(submit(p, &f).env("TRUCE_MAX_CLOCK_SKEW_S", "7200"));
    assert!(!out.contains("flagged"), "{out}");
    // The report and the sequencer's clock entry closing its batch.
    assert_eq!(size(p), base + 2);

    // Filed in 2025, submitted now: accepted, flagged as late with its delay (text and JSON).
    let f = report_file(
        p,
        "r-late",
        "2025-03-01T10:00:00Z",
        "2025-02-28T22:00:00Z",
        "2025-03-01T02:00:00Z",
    );
    let out = stdout(&mut submit(p, &f));
    assert!(
        out.contains("  flagged (late_filing): late filing: entry time 2025-03-01T10:00:00Z is ")
            && out.contains(" days before this computer's clock ("),
        "{out}"
    );
    let f = report_file(
        p,
        "r-late-2",
        "2025-03-01T10:00:00Z",
        "2025-02-28T22:00:00Z",
        "2025-03-02T02:00:00Z",
    );
    let v = json(&mut submit(p, &f));
    let flags = v[0]["flags"].as_array().unwrap();
    let codes: Vec<&str> = flags.iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["event_ends_after_filing", "late_filing"], "{v}");
    assert_eq!(flags[0]["seconds"], 16 * 3_600);
    assert!(flags[1]["seconds"].as_i64().unwrap() > 280 * 86_400, "{v}");
    // Three reports, each batch closed by its clock entry.
    assert_eq!(size(p), base + 6);

    // A late-filing threshold wider than the delay: nothing said.
    let f = report_file(
        p,
        "r-late-3",
        "2025-03-01T10:00:00Z",
        "2025-02-28T22:00:00Z",
        "2025-03-01T02:00:00Z",
    );
    let out = stdout(submit(p, &f).env("TRUCE_LATE_FILING_S", "3153600000"));
    assert!(!out.contains("flagged"), "{out}");
    let e = fails(submit(p, &f).env("TRUCE_LATE_FILING_S", "a week"), 2);
    assert!(e.contains("TRUCE_LATE_FILING_S"), "{e}");
}

#[test]
fn ingest_takes_history_refuses_future_events_and_flags_ongoing_ones() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    setup(p);
    let csv = format!(
        "id,start,end,lon,lat,uncertainty_m,place,act,alleged_perpetrator,target_category,text\n\
         old,2019-06-01T00:00:00Z,2019-06-07T23:59:59Z,35.27,51.19,1000,,shelling,ru,,history\n\
         next-week,{},{},35.27,51.19,1000,,shelling,ru,,not yet\n\
         this-week,{},{},35.27,51.19,1000,,shelling,ru,,still running\n",
        clock(7 * 86_400),
        clock(8 * 86_400),
        clock(-3 * 86_400),
        clock(4 * 86_400),
    );
    std::fs::write(p.join("reports.csv"), csv).unwrap();
    let o = truce(p)
        .args([
            "ingest",
            "reports.csv",
            "--as",
            "acled",
            "--key",
            "truce-data/keys/acled.key",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &v["summary"];
    assert_eq!(
        (
            s["read"].as_u64(),
            s["accepted"].as_u64(),
            s["rejected"].as_u64(),
            s["flagged"].as_u64()
        ),
        (Some(3), Some(2), Some(1), Some(1)),
        "{v}"
    );
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("reports.csv:3: field `time`: the event starts at ")
            && e.contains(" after this ingest's filing time "),
        "{e}"
    );
    assert!(
        e.contains("reports.csv:4: flagged: the event ends at "),
        "{e}"
    );
}

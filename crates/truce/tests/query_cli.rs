//! `truce incidents`, `truce findings` and `truce compliance` through the real binary on the
//! demo: `--json` prints byte for byte what `truce serve` answers to the same filters (one
//! typed query, `truce_views::query`, and one document for both), a bad filter is refused with
//! exit code 2 naming the flag, an enumeration's valid values are listed by clap, and the text
//! says which page of how many it shows.

mod common;
use common::{demo_in, fails, serve, stdout, truce};
use std::path::Path;

fn cli(p: &Path, args: &[&str]) -> String {
    let mut all = vec!["-q", "--dir", "d", "--json"];
    all.extend_from_slice(args);
    stdout(truce(p).args(&all))
}

fn http(addr: &str, path: &str) -> String {
    let r = reqwest::blocking::get(format!("http://{addr}{path}")).unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().unwrap()
}

#[test]
fn the_cli_prints_what_the_api_answers_for_the_same_filters() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    demo_in(p);
    // The API's largest page here is 20 (`common::serve`): the cases name a page within it.
    let server = serve(&p.join("d"));
    let cases: &[(&[&str], &str)] = &[
        (&["incidents", "--limit", "20"], "/v1/incidents?limit=20"),
        (
            &["incidents", "--occurrence", "corroborated", "--limit", "2"],
            "/v1/incidents?occurrence=corroborated&limit=2",
        ),
        (
            &[
                "incidents",
                "--party",
                "ua",
                "--from",
                "2025-03-20",
                "--limit",
                "5",
                "--offset",
                "1",
            ],
            "/v1/incidents?party=ua&from=2025-03-20&limit=5&offset=1",
        ),
        (
            &[
                "incidents",
                "--bbox",
                "30,44,41,53",
                "--kind",
                "strike",
                "--limit",
                "20",
            ],
            "/v1/incidents?bbox=30,44,41,53&kind=strike&limit=20",
        ),
        (
            // An instant bound: the documents are read to apply it.
            &[
                "incidents",
                "--from",
                "2025-03-20T12:00:00Z",
                "--limit",
                "20",
            ],
            "/v1/incidents?from=2025-03-20T12:00:00Z&limit=20",
        ),
        (&["findings", "--limit", "20"], "/v1/findings?limit=20"),
        (
            &[
                "findings",
                "--reading",
                "ru",
                "--outcome",
                "breach",
                "--limit",
                "3",
            ],
            "/v1/findings?reading=ru&outcome=breach&limit=3",
        ),
        (
            &[
                "findings",
                "--standing",
                "alleged",
                "--party",
                "ua",
                "--to",
                "2025-03-28",
                "--limit",
                "20",
            ],
            "/v1/findings?standing=alleged&party=ua&to=2025-03-28&limit=20",
        ),
        (
            &[
                "findings",
                "--agreement",
                "energy-moratorium-2025",
                "--limit",
                "4",
                "--offset",
                "4",
            ],
            "/v1/findings?agreement=energy-moratorium-2025&limit=4&offset=4",
        ),
        (&["compliance", "--limit", "20"], "/v1/compliance?limit=20"),
        (
            &[
                "compliance",
                "--reading",
                "ua",
                "--party",
                "ru",
                "--limit",
                "5",
            ],
            "/v1/compliance?reading=ua&party=ru&limit=5",
        ),
        (
            &[
                "compliance",
                "--from",
                "2025-03-20",
                "--to",
                "2025-03-31",
                "--limit",
                "20",
            ],
            "/v1/compliance?from=2025-03-20&to=2025-03-31&limit=20",
        ),
        (
            &["findings", "--as-of", "150", "--limit", "20"],
            "/v1/findings?as_of=150&limit=20",
        ),
    ];
    for (args, path) in cases {
        let body = http(&server.addr, path);
        assert_eq!(cli(p, args), format!("{body}\n"), "{path}");
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(
            doc["items"].is_array() && doc["log_size"].is_u64(),
            "{path}: {body}"
        );
    }
    // Nothing matched is an answer too, the same one.
    assert_eq!(
        cli(p, &["findings", "--party", "operator"]),
        format!("{}\n", http(&server.addr, "/v1/findings?party=operator"))
            .replace("\"limit\":20", "\"limit\":100")
    );
    drop(server);

    // The text shows the same page and says which of how many.
    let text = stdout(truce(p).args([
        "-q", "--dir", "d", "findings", "--limit", "3", "--offset", "2",
    ]));
    assert!(text.contains("3–5 of 145 finding(s)"), "{text}");
    let text = stdout(truce(p).args(["-q", "--dir", "d", "incidents"]));
    assert!(text.contains("30 incident(s)"), "{text}");

    // Bad values: clap lists the valid ones; the rest is the API's parser, naming the flag.
    for (args, says) in [
        (
            &["incidents", "--occurrence", "sure"][..],
            "possible values: reported, corroborated",
        ),
        (
            &["incidents", "--kind", "bombing"],
            "possible values: strike",
        ),
        (
            &["findings", "--standing", "firm"],
            "possible values: alleged, corroborated, established",
        ),
        (
            &["findings", "--outcome", "bad"],
            "possible values: breach, no_breach",
        ),
        (&["incidents", "--bbox", "1,2,3"], "--bbox"),
        (&["incidents", "--from", "20-03-2025"], "--from"),
        (
            &["findings", "--from", "2025-03-21", "--to", "2025-03-20"],
            "--to: it is before `from`",
        ),
        (
            &["compliance", "--party", "xx"],
            "--party: unknown party \"xx\"",
        ),
        (&["incidents", "--party", "Not An Id"], "--party"),
        (
            &["party", "add", "xx", "--name", "X", "--role", "chief"],
            "possible values: operator, belligerent",
        ),
    ] {
        let mut all = vec!["-q", "--dir", "d"];
        all.extend_from_slice(args);
        let err = fails(truce(p).args(&all), 2);
        assert!(err.contains(says), "{args:?}: {says:?} not in {err}");
    }
}

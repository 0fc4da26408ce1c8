//! Line numbers are the file's lines whatever its line ends (LF, CRLF, CR): refusals, manifests
//! and line-numbered site ids depend on them. A CRLF fixture (`tests/data/sites_crlf.csv`) and
//! the broken ACLED rows with their line ends changed.

use truce_ingest::sites_csv::{rows, CategoryFrom, Mapping, SiteRow};
use truce_ingest::{reports, ActorMap, Format, Row};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Replaces every `\n` by `ends`.
fn with_ends(bytes: &[u8], ends: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        if b == b'\n' {
            out.extend_from_slice(ends);
        } else {
            out.push(b);
        }
    }
    out
}

fn lines(rows: &[Row]) -> Vec<(u64, bool)> {
    rows.iter()
        .map(|r| match r {
            Row::Report { line, .. } => (*line, true),
            Row::Skipped { line, .. } => (*line, true),
            Row::Refused { line, .. } | Row::Unreadable { line, .. } => (*line, false),
        })
        .collect()
}

#[test]
fn refusals_name_the_same_line_in_lf_crlf_and_cr_files() {
    let lf = data("acled_broken.csv");
    assert!(!lf.contains(&b'\r'), "the fixture is LF");
    let read = |bytes: Vec<u8>| -> Vec<(u64, bool)> {
        lines(
            &reports(Format::Acled, bytes.as_slice(), ActorMap::default())
                .unwrap()
                .collect::<Vec<_>>(),
        )
    };
    let want = read(lf.clone());
    assert_eq!(
        want,
        [
            (2, true),
            (3, false),
            (4, false),
            (5, false),
            (6, false),
            (7, false),
            (8, false),
            (9, true),
            (10, false)
        ]
    );
    assert_eq!(read(with_ends(&lf, b"\r\n")), want, "CRLF");
    assert_eq!(read(with_ends(&lf, b"\r")), want, "CR");
}

fn mapping() -> Mapping {
    Mapping {
        id: None,
        name: "name".into(),
        lat: "lat".into(),
        lon: "lon".into(),
        category: CategoryFrom::Column("category".into()),
        source: "site list sites_crlf.csv".into(),
        legacy_row_ids: true,
    }
}

#[test]
fn a_crlf_site_list_gets_real_lines_and_keeps_its_old_ids_as_legacy_ids() {
    let bytes = data("sites_crlf.csv");
    assert!(
        bytes.windows(2).any(|w| w == b"\r\n"),
        "the fixture keeps its CRLF line ends"
    );
    let got = rows(bytes.as_slice(), &mapping()).unwrap();
    let summary: Vec<(u64, String, Option<String>)> = got
        .iter()
        .map(|r| match r {
            SiteRow::Site {
                line,
                site,
                legacy_id,
            } => (
                *line,
                site.id.to_string(),
                legacy_id.as_ref().map(|i| i.to_string()),
            ),
            SiteRow::Refused { line, reason, .. } => (*line, format!("refused: {reason}"), None),
        })
        .collect();
    assert_eq!(summary.len(), 5, "{summary:?}");
    let want = [
        (2, "row-2", Some("row-1")),
        (3, "row-3", Some("row-2")),
        (5, "row-5", Some("row-3")),
        (8, "row-8", Some("row-7")),
    ];
    let sites: Vec<_> = summary
        .iter()
        .filter(|(_, id, _)| !id.starts_with("refused"))
        .collect();
    for ((line, id, legacy), (l, i, g)) in sites.iter().zip(want) {
        assert_eq!(
            (*line, id.as_str(), legacy.as_deref()),
            (l, i, g),
            "{summary:?}"
        );
    }
    let refused = &summary[3];
    assert_eq!(refused.0, 7, "{summary:?}");
    assert!(refused.1.contains("148.4 is out of range"), "{summary:?}");
    // The same file with LF ends: the same lines; earlier versions were right but for the row
    // after the blank line (counted from the blank line).
    let lf: Vec<u8> = bytes.iter().copied().filter(|b| *b != b'\r').collect();
    let mut n = 0;
    for r in rows(lf.as_slice(), &mapping()).unwrap() {
        if let SiteRow::Site {
            line,
            site,
            legacy_id,
        } = r
        {
            assert_eq!(site.id.to_string(), format!("row-{line}"));
            let want = (line == 5).then(|| "row-4".to_string());
            assert_eq!(legacy_id.map(|i| i.to_string()), want, "{line}");
            n += 1;
        }
    }
    assert_eq!(n, 4);
    // Sites say which file they came from by its name only.
    let SiteRow::Site { site, .. } = &got[0] else {
        panic!()
    };
    assert_eq!(site.source, "site list sites_crlf.csv: row-2");
}

#[test]
fn missing_columns_are_named_with_the_files_columns() {
    let csv = "ref,Name,Y,X,kind\r\nA1,Substation A,48.1,37.2,energy.power.substation\r\n";
    let e = rows(csv.as_bytes(), &mapping()).unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(
        e.reason.contains("missing column(s) `lat` (latitude), `lon` (longitude), `category` (category); the file's columns are `ref`, `Name`, `Y`, `X`, `kind`"),
        "{e}"
    );
}

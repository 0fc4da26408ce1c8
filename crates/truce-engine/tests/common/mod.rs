//! Helpers shared by the engine's integration tests: ids, times, sites, readings and
//! assessments built the way the ledger would hand them to the engine.
#![allow(dead_code)] // each test file uses some of them

use truce_engine::input::{AssessmentIn, ReadingIn, SiteIn};
use truce_model::domain::{Question, Reading, Verdict};
use truce_model::geo::{Geometry, Point};
use truce_model::taxonomy::Category;
use truce_model::{Id, Time};

pub fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

pub fn t(s: &str) -> i64 {
    Time::parse(s).unwrap().0.as_second()
}

pub fn site(index: u64, lister: &str, sid: &str, cat: &str, p: [f64; 2], approx: u32) -> SiteIn {
    SiteIn {
        index,
        lister: id(lister),
        id: id(sid),
        name: sid.to_string(),
        category: Category::new(cat).unwrap(),
        geometry: Geometry::Point(Point::new(p[0], p[1]).unwrap()),
        approximate_m: approx,
        filed: i64::MIN,
        effective: i64::MIN,
    }
}

pub fn reading(index: u64, author: &str, toml_terms: &str) -> ReadingIn {
    let text = format!(
        "agreement = \"energy-moratorium-2025\"\n[source]\ntitle = \"t\"\ndate = 2025-03-18\n[terms]\n{toml_terms}"
    );
    let reading: Reading = toml::from_str(&text).unwrap();
    // Known from the beginning of time: tests of versions set `filed` and `effective`.
    ReadingIn {
        index,
        author: id(author),
        filed: i64::MIN,
        effective: i64::MIN,
        reading,
    }
}

/// An assessment by `author`'s officer `key` of the reports at `reports` (log indices): of the
/// occurrence, or of the attribution to `party`.
pub fn assessment(
    index: u64,
    author: &str,
    key: &str,
    party: Option<&str>,
    reports: &[u64],
    verdict: Verdict,
) -> AssessmentIn {
    AssessmentIn {
        index,
        entry_id: format!("{index:064x}"),
        author: id(author),
        key: key.into(),
        question: if party.is_some() {
            Question::Attribution
        } else {
            Question::Occurrence
        },
        party: party.map(id),
        reports: reports.iter().map(|i| format!("{i:064x}")).collect(),
        verdict,
        text: format!("{verdict:?}"),
    }
}

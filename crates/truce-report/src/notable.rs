//! Which of the day's incidents the report lists one by one (the *notable* ones), in which order,
//! and how many at most: the rule is stated in the crate's documentation and in every report's
//! "Method".

use truce_engine::{Finding, Grade, Incident, Outcome};
use truce_model::domain::{Role, Standing};

/// The most notable incidents a report lists one by one; the rest are counted by occurrence
/// grade, with the command that lists them.
pub const NOTABLE_CAP: usize = 50;
/// The most reports listed under one incident (claims before sensor detections, then log order);
/// `reports_total` says how many it has.
pub const REPORTS_CAP: usize = 20;
/// The most monitors' assessments listed under one incident (counted ones first, then log
/// order); `assessments_total` says how many it has.
pub const ASSESSMENTS_CAP: usize = 20;

/// Why an incident is notable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// A finding of breach (at any standing) under some reading.
    Breach,
    /// A finding other than a breach or out of scope (no breach, undetermined) under some
    /// reading.
    Finding,
    /// A party named as perpetrator.
    Allegation,
    /// A monitor reported it, or assessed one of its reports.
    Monitor,
    /// Sources disagree on what happened or on who did it.
    Disputed,
}

impl Why {
    /// Every reason, in the order they are given.
    pub const ALL: [Why; 5] = [
        Why::Breach,
        Why::Finding,
        Why::Allegation,
        Why::Monitor,
        Why::Disputed,
    ];

    /// The reason's name in the JSON (`IncidentLine::notable`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Why::Breach => "breach",
            Why::Finding => "finding",
            Why::Allegation => "allegation",
            Why::Monitor => "monitor",
            Why::Disputed => "disputed",
        }
    }

    /// The reason in words ("a party named as perpetrator").
    pub fn words(&self) -> &'static str {
        match self {
            Why::Breach => "an established, corroborated or alleged breach under some reading",
            Why::Finding => "a finding other than out of scope under some reading",
            Why::Allegation => "a party named as perpetrator",
            Why::Monitor => "a monitor's report or assessment",
            Why::Disputed => "sources disagree",
        }
    }
}

/// Why `i` is notable, given its findings (empty: it is not). A routine incident (every report a
/// detection at a persistent hot spot) never is.
pub fn why(i: &Incident, fs: &[&Finding]) -> Vec<Why> {
    if i.routine {
        return Vec::new();
    }
    Why::ALL
        .into_iter()
        .filter(|w| match w {
            Why::Breach => fs.iter().any(|f| f.outcome == Outcome::Breach),
            Why::Finding => fs
                .iter()
                .any(|f| matches!(f.outcome, Outcome::NoBreach | Outcome::Undetermined)),
            Why::Allegation => !i.alleged.is_empty(),
            Why::Monitor => {
                !i.assessments.is_empty()
                    || !i.reviews.is_empty()
                    || i.members.iter().any(|m| m.role == Role::Monitor)
            }
            Why::Disputed => i.disputed,
        })
        .collect()
}

/// The strongest standing of a breach attributed under any reading, if any.
pub fn breach_standing(fs: &[&Finding]) -> Option<Standing> {
    fs.iter()
        .flat_map(|f| f.attributions.iter())
        .filter(|a| a.outcome == Outcome::Breach)
        .map(|a| a.standing)
        .max()
}

/// Occurrence grades from the most to the least notable: verified, corroborated, contested,
/// unverifiable, reported, dismissed.
pub const GRADE_ORDER: [Grade; 6] = [
    Grade::Verified,
    Grade::Corroborated,
    Grade::Contested,
    Grade::Unverifiable,
    Grade::Reported,
    Grade::Dismissed,
];

/// The order notable incidents are listed in (smallest first): the strongest standing of a
/// breach (established, corroborated, alleged, then none), the occurrence grade
/// ([`GRADE_ORDER`]), the start, the id.
pub(crate) fn rank<'a>(i: &'a Incident, fs: &[&Finding], start: i64) -> (u8, usize, i64, &'a str) {
    let standing = match breach_standing(fs) {
        Some(Standing::Established) => 0,
        Some(Standing::Corroborated) => 1,
        Some(Standing::Alleged) => 2,
        None => 3,
    };
    let grade = GRADE_ORDER
        .iter()
        .position(|g| *g == i.occurrence)
        .unwrap_or(GRADE_ORDER.len());
    (standing, grade, start, i.id.as_str())
}

/// The indices of the items to show when at most `cap` of `n` are: those `first` prefers
/// (in order) before the others, then back in their own order.
pub(crate) fn keep(n: usize, cap: usize, first: impl Fn(usize) -> bool) -> Vec<usize> {
    if n <= cap {
        return (0..n).collect();
    }
    let mut k: Vec<usize> = (0..n).filter(|x| first(*x)).take(cap).collect();
    let rest = cap - k.len();
    k.extend((0..n).filter(|x| !first(*x)).take(rest));
    k.sort_unstable();
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_prefers_then_restores_the_order() {
        assert_eq!(keep(3, 5, |_| false), vec![0, 1, 2]);
        // Odd ones first, at most 3, back in order.
        assert_eq!(keep(10, 3, |x| x % 2 == 1), vec![1, 3, 5]);
        assert_eq!(keep(5, 4, |x| x == 4), vec![0, 1, 2, 4]);
    }

    #[test]
    fn every_grade_has_a_place() {
        for g in Grade::ALL {
            assert!(GRADE_ORDER.contains(&g), "{g:?}");
        }
    }
}

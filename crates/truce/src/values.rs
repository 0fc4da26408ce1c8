//! The libraries' enumerations offered to clap as `ValueEnum`s: `--help` lists their values and a
//! bad one is refused by clap, naming the valid ones. The values are the libraries' own (their
//! `ALL` lists and names where they have them), so the CLI never keeps a second list that could
//! drift from what the API parses.

use clap::builder::PossibleValue;
use truce_engine::{Grade, Outcome};
use truce_model::domain::{Act, Standing};
use truce_model::Role;

/// A value of a library's enumeration `T`, as a command-line argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice<T: 'static>(pub T);

/// An enumeration whose values clap offers: every value, and the name it is written as (the
/// name the API's query parameters and the JSON documents use).
pub trait Named: Copy + Send + Sync + 'static {
    /// Every value, in the order `--help` lists them.
    const VALUES: &'static [Choice<Self>];
    /// The value's name.
    fn name(&self) -> &'static str;
}

impl<T: Named> clap::ValueEnum for Choice<T> {
    fn value_variants<'a>() -> &'a [Self] {
        T::VALUES
    }
    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.name()))
    }
}

/// `[T; N]` as `[Choice<T>; N]`, in a constant.
const fn wrap<T: Copy, const N: usize>(a: [T; N]) -> [Choice<T>; N] {
    // Starts from the first value (every list here has one) and overwrites each.
    let mut out = [Choice(a[0]); N];
    let mut i = 0;
    while i < N {
        out[i] = Choice(a[i]);
        i += 1;
    }
    out
}

impl Named for Grade {
    const VALUES: &'static [Choice<Grade>] = &wrap(Grade::ALL);
    fn name(&self) -> &'static str {
        self.as_str()
    }
}

impl Named for Outcome {
    const VALUES: &'static [Choice<Outcome>] = &wrap(Outcome::ALL);
    fn name(&self) -> &'static str {
        self.as_str()
    }
}

impl Named for Standing {
    const VALUES: &'static [Choice<Standing>] = &wrap(Standing::ALL);
    fn name(&self) -> &'static str {
        self.as_str()
    }
}

impl Named for truce_model::lines::LineKind {
    const VALUES: &'static [Choice<truce_model::lines::LineKind>] =
        &wrap(truce_model::lines::LineKind::ALL);
    fn name(&self) -> &'static str {
        self.as_str()
    }
}

/// Every role (`truce_model` keeps no list of them: [`every_role_listed`] fails to compile when
/// one is added and not listed here).
const ROLES: [Role; 5] = [
    Role::Operator,
    Role::Belligerent,
    Role::Monitor,
    Role::Mediator,
    Role::OpenData,
];

#[allow(dead_code)]
fn every_role_listed(r: Role) {
    match r {
        Role::Operator | Role::Belligerent | Role::Monitor | Role::Mediator | Role::OpenData => {}
    }
}

impl Named for Role {
    const VALUES: &'static [Choice<Role>] = &wrap(ROLES);
    fn name(&self) -> &'static str {
        self.as_str()
    }
}

/// Every act with its name as the documents write it (`serde`'s; a test checks each).
const ACTS: [(Act, &str); 16] = [
    (Act::Strike, "strike"),
    (Act::DroneStrike, "drone-strike"),
    (Act::MissileStrike, "missile-strike"),
    (Act::Shelling, "shelling"),
    (Act::Sabotage, "sabotage"),
    (Act::AttackOnVessels, "attack-on-vessels"),
    (Act::GroundAssault, "ground-assault"),
    (Act::FireObserved, "fire-observed"),
    (Act::Violence, "violence"),
    (Act::MilitaryUseOfVessel, "military-use-of-vessel"),
    (Act::VesselMovement, "vessel-movement"),
    (Act::Explosion, "explosion"),
    (Act::Gunfire, "gunfire"),
    (Act::WeaponsSighting, "weapons-sighting"),
    (Act::Advance, "advance"),
    (Act::MovementRestriction, "movement-restriction"),
];

#[allow(dead_code)]
fn every_act_listed(a: Act) {
    match a {
        Act::Strike
        | Act::DroneStrike
        | Act::MissileStrike
        | Act::Shelling
        | Act::Sabotage
        | Act::AttackOnVessels
        | Act::GroundAssault
        | Act::FireObserved
        | Act::Violence
        | Act::MilitaryUseOfVessel
        | Act::VesselMovement
        | Act::Explosion
        | Act::Gunfire
        | Act::WeaponsSighting
        | Act::Advance
        | Act::MovementRestriction => {}
    }
}

const fn acts() -> [Choice<Act>; 16] {
    let mut out = [Choice(Act::Strike); 16];
    let mut i = 0;
    while i < 16 {
        out[i] = Choice(ACTS[i].0);
        i += 1;
    }
    out
}

impl Named for Act {
    const VALUES: &'static [Choice<Act>] = &acts();
    fn name(&self) -> &'static str {
        ACTS.iter()
            .find(|(a, _)| a == self)
            .map(|(_, n)| *n)
            .unwrap_or("strike")
    }
}

/// Every format `truce ingest --format` reads (`truce_ingest::Format`; its names are its own).
const FORMATS: [truce_ingest::Format; 6] = {
    use truce_ingest::Format::*;
    [Firms, Acled, Ucdp, Csv, Jsonl, GeoJson]
};

#[allow(dead_code)]
fn every_format_listed(f: truce_ingest::Format) {
    use truce_ingest::Format::*;
    match f {
        Firms | Acled | Ucdp | Csv | Jsonl | GeoJson => {}
    }
}

impl Named for truce_ingest::Format {
    const VALUES: &'static [Choice<truce_ingest::Format>] = &wrap(FORMATS);
    fn name(&self) -> &'static str {
        truce_ingest::Format::name(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<T: Named>() -> Vec<&'static str> {
        T::VALUES.iter().map(|c| c.0.name()).collect()
    }

    #[test]
    fn the_names_are_the_libraries_own() {
        for c in Act::VALUES {
            assert_eq!(
                serde_json::to_value(c.0).unwrap(),
                serde_json::Value::from(c.0.name())
            );
        }
        for c in Role::VALUES {
            assert_eq!(
                serde_json::to_value(c.0).unwrap(),
                serde_json::Value::from(c.0.name())
            );
        }
        for c in <truce_ingest::Format as Named>::VALUES {
            assert_eq!(truce_ingest::Format::parse(c.0.name()).ok(), Some(c.0));
        }
        for n in names::<Grade>() {
            assert!(Grade::parse(n).is_some());
        }
        assert_eq!(names::<Outcome>().len(), Outcome::ALL.len());
        assert_eq!(
            names::<Standing>(),
            ["alleged", "corroborated", "established"]
        );
    }
}

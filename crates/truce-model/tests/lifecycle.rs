//! Extensions and conditions precedent in the ledger: who may file them, what they must refer
//! to, every filing kept as a version, retractions, and the readings diff that shows them.

use truce_log::{generate_key, parse_signer, KeyPair};
use truce_model::domain::*;
use truce_model::entry::{sign, Body};
use truce_model::lifecycle::{Condition, ConditionStatus, Extension};
use truce_model::{views, Ledger, Rejection, Time};

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

fn t(s: &str) -> Time {
    Time::parse(s).unwrap()
}

struct World {
    ledger: Ledger,
    keys: std::collections::BTreeMap<String, KeyPair>,
    next: u64,
}

impl World {
    /// The operator, belligerents ru and ua, mediator us, monitor osce, open-data firms; a
    /// process defining the moratorium.
    fn new() -> World {
        let mut w = World {
            ledger: Ledger::new(),
            keys: Default::default(),
            next: 0,
        };
        w.register("operator", Role::Operator);
        for (p, r) in [
            ("ru", Role::Belligerent),
            ("ua", Role::Belligerent),
            ("us", Role::Mediator),
            ("osce", Role::Monitor),
            ("firms", Role::OpenData),
        ] {
            w.register(p, r);
        }
        let process: Process = serde_json::from_value(serde_json::json!({
            "id": "p", "title": "P",
            "phases": [{"id": "energy", "title": "E", "status": "in-force",
                        "agreements": [{"id": "energy-moratorium-2025", "title": "M"}]}]
        }))
        .unwrap();
        w.submit("us", Body::Process(process), "2025-03-18T12:00:00Z")
            .unwrap();
        w
    }

    fn submit(&mut self, author: &str, body: Body, at: &str) -> Result<String, Rejection> {
        let k = &self.keys[author];
        let b = sign(&id(author), t(at), &body, &parse_signer(&k.signer).unwrap())
            .unwrap()
            .bytes;
        let env = self.ledger.admit(&b)?;
        self.ledger.apply(self.next, &b);
        self.next += 1;
        Ok(env.id)
    }

    fn register(&mut self, party: &str, role: Role) {
        let k = generate_key(&mut rand_core::OsRng, party).unwrap();
        let body = Body::PartyRegister(PartyRegistration {
            id: id(party),
            name: party.to_uppercase(),
            role,
            keys: vec![k.verifier.clone()],
        });
        self.keys.insert(party.into(), k);
        self.submit("operator", body, "2025-03-18T00:00:00Z")
            .unwrap();
    }
}

fn extension(agreement: &str, until: &str) -> Body {
    Body::Extension(Extension {
        agreement: id(agreement),
        until: t(until),
        effective_from: None,
        note: String::new(),
    })
}

fn condition(status: ConditionStatus) -> Body {
    Body::Condition(Condition {
        id: id("rosselkhozbank-swift"),
        title: "Rosselkhozbank reconnected to SWIFT".into(),
        status,
        effective_from: None,
        note: String::new(),
    })
}

fn reading(extra_terms: &str) -> Body {
    let text = format!(
        "agreement = \"energy-moratorium-2025\"\n[source]\ntitle = \"t\"\ndate = 2025-03-18\n[terms]\nprohibited_acts = [\"strike\"]\nprotected = [\"energy.*\"]\nbound = [\"ru\", \"ua\"]\n{extra_terms}\n[terms.window]\nstart = 2025-03-18T00:00:00+03:00\nduration_days = 30\n"
    );
    Body::Reading(toml::from_str(&text).unwrap())
}

#[test]
fn belligerents_and_mediators_consent_to_extensions_and_conditions_take_the_operator_too() {
    let mut w = World::new();
    let ext = || extension("energy-moratorium-2025", "2025-05-17T00:00:00+03:00");
    for p in ["ru", "ua", "us"] {
        w.submit(p, ext(), "2025-04-10T00:00:00Z").unwrap();
    }
    for p in ["operator", "osce", "firms"] {
        let e = w.submit(p, ext(), "2025-04-10T00:00:00Z").unwrap_err();
        assert!(matches!(e, Rejection::Forbidden { .. }), "{p}: {e}");
        assert!(
            e.to_string().contains("may not write `extension` entries"),
            "{e}"
        );
    }
    for p in ["operator", "ru", "us"] {
        w.submit(p, condition(ConditionStatus::Unmet), "2025-04-10T00:00:00Z")
            .unwrap();
    }
    for p in ["osce", "firms"] {
        let e = w
            .submit(p, condition(ConditionStatus::Met), "2025-04-10T00:00:00Z")
            .unwrap_err();
        assert!(matches!(e, Rejection::Forbidden { .. }), "{p}: {e}");
    }
    assert_eq!(w.ledger.extensions.len(), 3);
    // Every filing of a condition is a version.
    assert_eq!(
        w.ledger.condition_versions[&id("rosselkhozbank-swift")].len(),
        3
    );
}

#[test]
fn an_extension_refers_to_a_defined_agreement_and_a_reading_to_registered_parties() {
    let mut w = World::new();
    let e = w
        .submit(
            "ru",
            extension("no-such-agreement", "2025-05-17T00:00:00Z"),
            "2025-04-10T00:00:00Z",
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("is not defined by any process"),
        "{e}"
    );
    let e = w
        .submit(
            "ru",
            reading("").clone_with_window("extension_by = [\"ru\", \"nobody\"]"),
            "2025-03-25T00:00:00Z",
        )
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("party in extension_by `nobody` is not a registered party"),
        "{e}"
    );
    // A condition's attesters and a confined party are registered parties too.
    let e = w
        .submit(
            "ru",
            reading("conditions = [{ id = \"sanctions\", attested_by = [\"ru\", \"nobody\"] }]"),
            "2025-03-25T00:00:00Z",
        )
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("party in a condition's attested_by `nobody` is not a registered party"),
        "{e}"
    );
    let confined = "confined = [{ category = \"vessel.military\", party = \"nobody\", zone = { name = \"east\", polygon = [[[36.0, 41.0], [41.8, 41.0], [41.8, 47.3], [36.0, 41.0]]] } }]";
    let e = w
        .submit("ru", reading(confined), "2025-03-25T00:00:00Z")
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("confined party `nobody` is not a registered party"),
        "{e}"
    );
    w.submit(
        "ru",
        reading(&confined.replace("nobody", "ru")),
        "2025-03-25T00:00:00Z",
    )
    .unwrap();
}

/// A reading body with one more line in its `[terms.window]` table.
trait WithWindow {
    fn clone_with_window(&self, line: &str) -> Body;
}

impl WithWindow for Body {
    fn clone_with_window(&self, line: &str) -> Body {
        let Body::Reading(r) = self else {
            panic!("not a reading")
        };
        let mut v = serde_json::to_value(r).unwrap();
        let extra: toml::Table = toml::from_str(line).unwrap();
        for (k, x) in extra {
            v["terms"]["window"][k] = serde_json::to_value(x).unwrap();
        }
        Body::Reading(serde_json::from_value(v).unwrap())
    }
}

#[test]
fn the_readings_diff_shows_extensions_and_conditions_per_reading() {
    let mut w = World::new();
    w.submit(
        "ru",
        reading("conditions = [\"rosselkhozbank-swift\"]"),
        "2025-03-25T00:00:00Z",
    )
    .unwrap();
    w.submit(
        "ua",
        reading("").clone_with_window("extension_by = \"any-bound-party\""),
        "2025-03-25T00:00:00Z",
    )
    .unwrap();
    let until = "2025-05-17T00:00:00+03:00";
    w.submit(
        "ru",
        extension("energy-moratorium-2025", until),
        "2025-04-10T00:00:00Z",
    )
    .unwrap();
    let d = views::readings_diff(&w.ledger, &id("energy-moratorium-2025"));
    let row = |a: &str| {
        d.rows
            .iter()
            .find(|r| r.aspect == a)
            .unwrap_or_else(|| panic!("no row {a}: {:#?}", d.rows))
    };
    let ext = row("extension to 2025-05-16T21:00:00Z");
    assert_eq!(ext.values["ru"], "proposed by ru, awaiting ua");
    assert_eq!(
        ext.values["ua"],
        "agreed by ru (entries 9), in force from 2025-04-10T00:00:00Z"
    );
    assert!(ext.differs);
    assert_eq!(row("extension by").values["ru"], "every one of ru, ua");
    assert_eq!(row("extension by").values["ua"], "any one of ru, ua");
    assert_eq!(row("conditions").values["ru"], "rosselkhozbank-swift");
    assert_eq!(row("conditions").values["ua"], "none");
    let c = row("condition rosselkhozbank-swift");
    assert_eq!(c.values["ru"], "no status filed (not met)");
    assert_eq!(c.values["ua"], "not a condition");
    // ua consents too: agreed under ru's reading, from ua's consent.
    w.submit(
        "ua",
        extension("energy-moratorium-2025", until),
        "2025-04-12T00:00:00Z",
    )
    .unwrap();
    w.submit(
        "us",
        condition(ConditionStatus::Met),
        "2025-04-13T00:00:00Z",
    )
    .unwrap();
    let d = views::readings_diff(&w.ledger, &id("energy-moratorium-2025"));
    let ext = d
        .rows
        .iter()
        .find(|r| r.aspect.starts_with("extension to"))
        .unwrap();
    assert_eq!(
        ext.values["ru"],
        "agreed by ru, ua (entries 9, 10), in force from 2025-04-12T00:00:00Z"
    );
    let c = d
        .rows
        .iter()
        .find(|r| r.aspect == "condition rosselkhozbank-swift")
        .unwrap();
    assert!(c.values["ru"].starts_with("met (filed by us"), "{c:?}");
}

#[test]
fn a_retracted_consent_no_longer_counts() {
    let mut w = World::new();
    let until = "2025-05-17T00:00:00+03:00";
    let e = w
        .submit(
            "ru",
            extension("energy-moratorium-2025", until),
            "2025-04-10T00:00:00Z",
        )
        .unwrap();
    w.submit(
        "ru",
        Body::Amend(Amendment {
            amends: e,
            action: AmendAction::Retract,
            reason: "withdrawn".into(),
            body: None,
        }),
        "2025-04-11T00:00:00Z",
    )
    .unwrap();
    assert!(w.ledger.extensions[0].retracted.is_some());
    assert!(views::consents_of(&w.ledger, &id("energy-moratorium-2025")).is_empty());
    // Only the author retracts its consent.
    let e = w
        .submit(
            "ua",
            extension("energy-moratorium-2025", until),
            "2025-04-12T00:00:00Z",
        )
        .unwrap();
    let err = w
        .submit(
            "ru",
            Body::Amend(Amendment {
                amends: e,
                action: AmendAction::Retract,
                reason: "not mine".into(),
                body: None,
            }),
            "2025-04-13T00:00:00Z",
        )
        .unwrap_err();
    assert!(err.to_string().contains("only its author"), "{err}");
}

#[test]
fn the_readings_diff_shows_who_attests_each_condition_and_whose_status_counts() {
    let mut w = World::new();
    w.submit(
        "ru",
        reading("conditions = [{ id = \"rosselkhozbank-swift\", attested_by = [\"ru\"] }]"),
        "2025-03-25T00:00:00Z",
    )
    .unwrap();
    w.submit(
        "ua",
        reading("conditions = [\"rosselkhozbank-swift\"]"),
        "2025-03-25T00:00:00Z",
    )
    .unwrap();
    // ua says the condition is met: its own reading's attester, not ru's.
    w.submit(
        "ua",
        condition(ConditionStatus::Met),
        "2025-04-13T00:00:00Z",
    )
    .unwrap();
    let d = views::readings_diff(&w.ledger, &id("energy-moratorium-2025"));
    let row = |a: &str| {
        d.rows
            .iter()
            .find(|r| r.aspect == a)
            .unwrap_or_else(|| panic!("no row {a}: {:#?}", d.rows))
    };
    let conditions = row("conditions");
    assert_eq!(
        conditions.values["ru"],
        "rosselkhozbank-swift (attested by ru)"
    );
    assert_eq!(conditions.values["ua"], "rosselkhozbank-swift");
    assert!(conditions.differs);
    let c = row("condition rosselkhozbank-swift");
    assert_eq!(
        c.values["ru"],
        "no status filed (not met); attested by ru; not counted: statuses filed by ua (not attesters under this reading)"
    );
    assert!(c.values["ua"].starts_with("met (filed by ua"), "{c:?}");
    assert!(c.differs);
}

//! Commitments against fulfilments, side by side: an exchange of 1,000 for 1,000 delivered in
//! three tranches over three days (23–25 May 2025), each side's own total, a restatement
//! replacing a side's figure instead of adding to it, an amendment correcting a tranche, and
//! sides whose figures differ flagged.

use truce_log::{generate_key, parse_signer, KeyPair};
use truce_model::domain::*;
use truce_model::entry::{sign, Body};
use truce_model::views::{self, CommitmentStatus};
use truce_model::{Date, Ledger, Time};

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

struct World {
    ledger: Ledger,
    keys: std::collections::BTreeMap<String, KeyPair>,
    next: u64,
}

impl World {
    fn new() -> World {
        let mut w = World {
            ledger: Ledger::new(),
            keys: Default::default(),
            next: 0,
        };
        let op = generate_key(&mut rand_core::OsRng, "operator").unwrap();
        let reg = Body::PartyRegister(PartyRegistration {
            id: id("operator"),
            name: "Operator".into(),
            role: Role::Operator,
            keys: vec![op.verifier.clone()],
        });
        w.keys.insert("operator".into(), op);
        w.submit("operator", reg);
        for party in ["ru", "ua"] {
            let k = generate_key(&mut rand_core::OsRng, party).unwrap();
            let body = Body::PartyRegister(PartyRegistration {
                id: id(party),
                name: party.to_uppercase(),
                role: Role::Belligerent,
                keys: vec![k.verifier.clone()],
            });
            w.keys.insert(party.into(), k);
            w.submit("operator", body);
        }
        w
    }

    /// Signs, admits and applies; returns the entry id.
    fn submit(&mut self, author: &str, body: Body) -> String {
        let k = &self.keys[author];
        let env = sign(
            &id(author),
            Time::parse("2025-05-26T12:00:00Z").unwrap(),
            &body,
            &parse_signer(&k.signer).unwrap(),
        )
        .unwrap();
        self.ledger.admit(&env.bytes).unwrap();
        self.ledger.apply(self.next, &env.bytes);
        self.next += 1;
        env.id
    }

    fn status(&self) -> CommitmentStatus {
        let mut all = views::commitments(&self.ledger);
        assert_eq!(all.len(), 1);
        all.remove(0)
    }
}

fn source(date: &str) -> SourceRef {
    SourceRef {
        title: "press reports".into(),
        date: Date::parse(date).unwrap(),
        url: None,
        quotes: vec![],
    }
}

/// Prisoners each way: ru → ua and ua → ru.
fn both_ways(n: u64) -> Vec<Quantity> {
    [("ru", "ua"), ("ua", "ru")]
        .into_iter()
        .map(|(from, to)| Quantity {
            what: id("prisoners"),
            quantity: n,
            from: Some(id(from)),
            to: Some(id(to)),
        })
        .collect()
}

fn fulfilment(date: &str, n: u64, kind: FulfilmentKind) -> Body {
    Body::Fulfilment(Fulfilment {
        commitment: id("exchange-1000"),
        date: Date::parse(date).unwrap(),
        items: both_ways(n),
        kind,
        persons_commitment: None,
        source: source(date),
    })
}

/// The exchange promised on 16 May and both sides' three tranches: 390, 307 and 303.
fn exchange() -> World {
    let mut w = World::new();
    w.submit(
        "ua",
        Body::Commitment(Commitment {
            id: id("exchange-1000"),
            title: "Exchange of 1,000 for 1,000".into(),
            announced: Date::parse("2025-05-16").unwrap(),
            due: Date::parse("2025-05-25").unwrap(),
            items: both_ways(1000),
            source: source("2025-05-16"),
        }),
    );
    for (date, n) in [
        ("2025-05-23", 390),
        ("2025-05-24", 307),
        ("2025-05-25", 303),
    ] {
        for side in ["ru", "ua"] {
            w.submit(side, fulfilment(date, n, FulfilmentKind::Tranche));
        }
    }
    w
}

/// An item as (promised, delivered, each side's total, sides differ, discrepancy).
type Figures = (u64, u64, Vec<(String, u64)>, bool, bool);

fn figures(c: &CommitmentStatus) -> Vec<Figures> {
    c.items
        .iter()
        .map(|i| {
            (
                i.promised,
                i.delivered,
                i.by_side.clone().into_iter().collect(),
                i.sides_differ,
                i.discrepancy,
            )
        })
        .collect()
}

fn sides(ru: u64, ua: u64) -> Vec<(String, u64)> {
    vec![("ru".into(), ru), ("ua".into(), ua)]
}

#[test]
fn three_tranches_sum_per_side_and_the_sides_are_never_added() {
    let w = exchange();
    let c = w.status();
    assert_eq!(c.status, "fulfilled");
    assert!(!c.sides_differ);
    for f in figures(&c) {
        assert_eq!(f, (1000, 1000, sides(1000, 1000), false, false));
    }
    assert_eq!(c.fulfilments.len(), 6);
    let kinds: Vec<(&str, &str, &str)> = c
        .lines
        .iter()
        .map(|l| (l.date.as_str(), l.side.as_str(), l.kind.as_str()))
        .collect();
    assert_eq!(kinds[0], ("2025-05-23", "ru", "tranche"));
    assert_eq!(kinds[5], ("2025-05-25", "ua", "tranche"));
}

#[test]
fn a_restatement_replaces_the_sides_figure_and_a_second_tranche_adds() {
    // Ukraine restates its total on 26 May: 1,000 each way, not 2,000.
    let mut w = exchange();
    w.submit(
        "ua",
        fulfilment("2025-05-26", 1000, FulfilmentKind::Restatement),
    );
    let c = w.status();
    assert_eq!(c.status, "fulfilled");
    for f in figures(&c) {
        assert_eq!(f, (1000, 1000, sides(1000, 1000), false, false));
    }
    assert_eq!(c.lines.last().unwrap().kind, "restatement");

    // The same figure filed again as a tranche is counted again: the side's total is then
    // 1,175, flagged against the promise and against the other side's 1,000.
    w.submit("ru", fulfilment("2025-05-26", 175, FulfilmentKind::Tranche));
    let c = w.status();
    assert_eq!(c.status, "discrepancy");
    assert!(c.sides_differ);
    for f in figures(&c) {
        assert_eq!(f, (1000, 1175, sides(1175, 1000), true, true));
    }
    // Restated by Russia, the figure is replaced; a tranche dated later adds to it.
    w.submit(
        "ru",
        fulfilment("2025-05-27", 995, FulfilmentKind::Restatement),
    );
    let c = w.status();
    for f in figures(&c) {
        assert_eq!(f, (1000, 1000, sides(995, 1000), true, true));
    }
    w.submit("ru", fulfilment("2025-05-28", 5, FulfilmentKind::Tranche));
    let c = w.status();
    assert_eq!(c.status, "fulfilled");
    assert!(!c.sides_differ);
}

#[test]
fn an_amended_tranche_counts_as_corrected() {
    let mut w = World::new();
    w.submit(
        "ua",
        Body::Commitment(Commitment {
            id: id("exchange-1000"),
            title: "Exchange of 1,000 for 1,000".into(),
            announced: Date::parse("2025-05-16").unwrap(),
            due: Date::parse("2025-05-25").unwrap(),
            items: both_ways(1000),
            source: source("2025-05-16"),
        }),
    );
    w.submit(
        "ru",
        fulfilment("2025-05-23", 1000, FulfilmentKind::Tranche),
    );
    let wrong = w.submit(
        "ua",
        fulfilment("2025-05-23", 1100, FulfilmentKind::Tranche),
    );
    let c = w.status();
    for f in figures(&c) {
        assert_eq!(f, (1000, 1100, sides(1000, 1100), true, true));
    }
    let Body::Fulfilment(mut right) = fulfilment("2025-05-23", 1000, FulfilmentKind::Tranche)
    else {
        unreachable!()
    };
    right.source.title = "corrected figures".into();
    w.submit(
        "ua",
        Body::Amend(Amendment {
            amends: wrong,
            action: AmendAction::Correct,
            reason: "typo: 1,000, not 1,100".into(),
            body: Some(Body::Fulfilment(right).to_value()),
        }),
    );
    let c = w.status();
    assert_eq!(c.status, "fulfilled", "{c:?}");
}

#[test]
fn old_fulfilments_without_a_kind_read_as_tranches_and_keep_their_bytes() {
    let json = r#"{"commitment":"x","date":"2025-03-19","items":[{"what":"prisoners","quantity":175}],"source":{"title":"t","date":"2025-03-19"}}"#;
    let f: Fulfilment = serde_json::from_str(json).unwrap();
    assert_eq!(f.kind, FulfilmentKind::Tranche);
    let back = serde_json::to_value(&f).unwrap();
    assert!(back.get("kind").is_none(), "{back}");
    let r: Fulfilment = serde_json::from_str(&json.replace(
        r#""date":"2025-03-19","items""#,
        r#""date":"2025-03-19","kind":"restatement","items""#,
    ))
    .unwrap();
    assert_eq!(r.kind, FulfilmentKind::Restatement);
    assert!(serde_json::from_str::<Fulfilment>(&json.replace(
        r#""date":"2025-03-19","items""#,
        r#""date":"2025-03-19","kind":"total","items""#,
    ))
    .is_err());
}

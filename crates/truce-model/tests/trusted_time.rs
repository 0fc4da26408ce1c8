//! Trusted time: witness policies, witnessing rounds and sequencer clocks in the ledger, known-by
//! intervals, and what one colluding witness can (not) move.

use ed25519_dalek::SigningKey;
use truce_log::cosignature::Cosigner;
use truce_log::{key_from_seed, merkle_root, parse_signer, sign_checkpoint, KeyPair};
use truce_model::domain::*;
use truce_model::entry::{sign, Body};
use truce_model::witnessed::{Clock, WitnessPolicy, Witnessing};
use truce_model::{Applied, Ledger, Rejection, Time};

const ORIGIN: &str = "truce.example/log";

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

fn at(secs: i64) -> Time {
    Time(jiff::Timestamp::from_second(secs).unwrap())
}

/// 2025-04-20T00:00:00Z
const T0: i64 = 1_745_107_200;

struct World {
    ledger: Ledger,
    entries: Vec<Vec<u8>>,
    op: KeyPair,
    log: KeyPair,
    witnesses: Vec<Cosigner>,
}

impl World {
    fn new() -> World {
        let op = key_from_seed("operator", [1; 32]).unwrap();
        let mut w = World {
            ledger: Ledger::new(),
            entries: Vec::new(),
            op,
            log: key_from_seed(ORIGIN, [2; 32]).unwrap(),
            witnesses: (0..3u8)
                .map(|i| {
                    Cosigner::new(
                        &format!("witness.example/w{i}"),
                        SigningKey::from_bytes(&[10 + i; 32]),
                    )
                    .unwrap()
                })
                .collect(),
        };
        let reg = Body::PartyRegister(PartyRegistration {
            id: id("operator"),
            name: "Operator".into(),
            role: Role::Operator,
            keys: vec![w.op.verifier.clone()],
        });
        w.submit(reg, at(T0)).unwrap();
        w
    }

    fn policy_text(&self) -> String {
        let mut p = format!("log {}\n", self.log.verifier);
        for (i, c) in self.witnesses.iter().enumerate() {
            p.push_str(&format!("witness w{i} {}\n", c.vkey()));
        }
        p.push_str("group mission 2 w0 w1 w2\nquorum mission\n");
        p
    }

    fn submit(&mut self, body: Body, time: Time) -> Result<u64, Rejection> {
        let b = sign(
            &id("operator"),
            time,
            &body,
            &parse_signer(&self.op.signer).unwrap(),
        )
        .unwrap()
        .bytes;
        self.ledger.admit(&b)?;
        let index = self.entries.len() as u64;
        assert!(matches!(
            self.ledger.apply(index, &b),
            Applied::Accepted(..)
        ));
        self.entries.push(b);
        Ok(index)
    }

    fn clock(&mut self, time: Time) -> Result<u64, Rejection> {
        let first = self.entries.len() as u64 - 1;
        self.submit(Body::Clock(Clock { first, entries: 1 }), time)
    }

    /// A checkpoint of the first `size` entries cosigned by witness i at `stamps[i]` (None:
    /// silent).
    fn round_note(&self, size: usize, stamps: &[Option<i64>]) -> String {
        let root = merkle_root(self.entries[..size].iter().map(|e| e.as_slice()));
        let cp = sign_checkpoint(
            &parse_signer(&self.log.signer).unwrap(),
            ORIGIN,
            size as u64,
            root,
        )
        .unwrap();
        let mut note = cp.note;
        for (c, s) in self.witnesses.iter().zip(stamps) {
            if let Some(s) = s {
                note = c.cosign_note(&note, *s as u64).unwrap();
            }
        }
        String::from_utf8(note).unwrap()
    }

    fn round(&mut self, size: usize, stamps: &[Option<i64>], time: Time) -> Result<u64, Rejection> {
        let note = self.round_note(size, stamps);
        self.submit(Body::Witnessing(Witnessing { checkpoint: note }), time)
    }
}

fn invalid(r: Rejection) -> String {
    match r {
        Rejection::Invalid(s) => s,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn known_by_intervals_come_from_the_rounds_around_an_entry() {
    let mut w = World::new();
    // No policy yet: a round is refused and intervals are open.
    let e = invalid(w.round(1, &[Some(T0), Some(T0), None], at(T0)).unwrap_err());
    assert!(e.contains("no witness policy"), "{e}");
    let policy = w.policy_text();
    w.submit(Body::WitnessPolicy(WitnessPolicy { policy }), at(T0))
        .unwrap(); // 1
    w.clock(at(T0 + 10)).unwrap(); // 2
    let r1 = w
        .round(
            3,
            &[Some(T0 + 60), Some(T0 + 70), Some(T0 + 65)],
            at(T0 + 80),
        )
        .unwrap(); // 3
    let x = w.clock(at(T0 + 100)).unwrap(); // 4: the entry we look at
    let r2 = w
        .round(5, &[Some(T0 + 200), None, Some(T0 + 230)], at(T0 + 240))
        .unwrap(); // 5
    let t = &w.ledger.time;
    assert_eq!(t.rounds.len(), 2);
    let k = t.known_by(x);
    // After: the round before it, where a quorum (2 of 3) had all signed at or after T0+65.
    assert_eq!(k.after, Some(at(T0 + 65)));
    assert_eq!(k.after_round, Some(r1));
    // By: the first round including it, whose quorum was reached at T0+230.
    assert_eq!(k.by, Some(at(T0 + 230)));
    assert_eq!(k.by_round, Some(r2));
    // The round entry itself is not covered yet.
    assert_eq!(t.known_by(r2).by, None);
    assert_eq!(t.known_by(0).after, None);
    assert_eq!(t.known_by(0).by, Some(at(T0 + 65)));
    // As of a time: the largest size every entry of which was known by then.
    assert_eq!(t.size_known_by(at(T0 + 64)), None);
    assert_eq!(t.size_known_by(at(T0 + 65)), Some(3));
    assert_eq!(t.size_known_by(at(T0 + 229)), Some(3));
    assert_eq!(t.size_known_by(at(T0 + 10_000)), Some(5));
    assert!(t.clock_faults().is_empty(), "{:?}", t.clock_faults());
}

#[test]
fn one_colluding_witness_cannot_move_an_interval() {
    let honest = [T0 + 100, T0 + 110];
    for lie in [0, T0 - 86_400 * 365, T0 + 105, T0 + 86_400 * 365 * 70] {
        let mut w = World::new();
        let policy = w.policy_text();
        w.submit(Body::WitnessPolicy(WitnessPolicy { policy }), at(T0))
            .unwrap();
        w.clock(at(T0 + 50)).unwrap();
        // Witness 2 colludes with whatever timestamp it likes; it signs validly.
        w.round(
            3,
            &[Some(honest[0]), Some(honest[1]), Some(lie)],
            at(T0 + 120),
        )
        .unwrap();
        let x = w.clock(at(T0 + 130)).unwrap();
        w.round(
            5,
            &[Some(honest[0] + 100), Some(honest[1] + 100), Some(lie)],
            at(T0 + 220),
        )
        .unwrap();
        let k0 = w.ledger.time.known_by(1);
        let by = k0.by.unwrap();
        // Known by: never earlier than an honest witness attested.
        assert!(by >= at(honest[0]), "lie {lie}: by {by}");
        let k = w.ledger.time.known_by(x);
        let after = k.after.unwrap();
        // Not before: never later than an honest witness signed.
        assert!(after <= at(honest[1]), "lie {lie}: after {after}");
        let by = k.by.unwrap();
        assert!(by >= at(honest[0] + 100), "lie {lie}: by {by}");
        assert!(by <= at(honest[1] + 100).max(at(lie)), "lie {lie}: by {by}");
    }
}

#[test]
fn rounds_and_clocks_that_cannot_be_true_are_refused() {
    let mut w = World::new();
    let policy = w.policy_text();
    w.submit(Body::WitnessPolicy(WitnessPolicy { policy }), at(T0))
        .unwrap();
    w.clock(at(T0 + 10)).unwrap();
    // A round naming a tree larger than the log before it (validly signed and cosigned).
    let cp = sign_checkpoint(
        &parse_signer(&w.log.signer).unwrap(),
        ORIGIN,
        9,
        merkle_root(w.entries.iter().map(|e| e.as_slice())),
    )
    .unwrap();
    let mut note = cp.note;
    for c in &w.witnesses[..2] {
        note = c.cosign_note(&note, (T0 + 20) as u64).unwrap();
    }
    let e = invalid(
        w.submit(
            Body::Witnessing(Witnessing {
                checkpoint: String::from_utf8(note).unwrap(),
            }),
            at(T0 + 30),
        )
        .unwrap_err(),
    );
    assert!(e.contains("already logged"), "{e}");
    // One cosignature is no quorum.
    let e = invalid(
        w.round(3, &[Some(T0 + 20), None, None], at(T0 + 30))
            .unwrap_err(),
    );
    assert!(e.contains("do not meet the witness policy"), "{e}");
    // A cosignature by a key not in the policy does not count.
    let mut other = w.round_note(3, &[Some(T0 + 20), None, None]);
    let stranger = Cosigner::new("witness.example/w1", SigningKey::from_bytes(&[99; 32])).unwrap();
    other = String::from_utf8(
        stranger
            .cosign_note(other.as_bytes(), (T0 + 20) as u64)
            .unwrap(),
    )
    .unwrap();
    let e = invalid(
        w.submit(
            Body::Witnessing(Witnessing { checkpoint: other }),
            at(T0 + 30),
        )
        .unwrap_err(),
    );
    assert!(e.contains("do not meet"), "{e}");
    // A checkpoint signed by another log key.
    let log = w.log.clone();
    w.log = key_from_seed(ORIGIN, [3; 32]).unwrap();
    let e = invalid(
        w.round(3, &[Some(T0 + 20), Some(T0 + 20), None], at(T0 + 30))
            .unwrap_err(),
    );
    assert!(e.contains("checkpoint"), "{e}");
    w.log = log;
    w.round(3, &[Some(T0 + 20), Some(T0 + 21), None], at(T0 + 30))
        .unwrap();
    // Not larger than the last round.
    let e = invalid(
        w.round(3, &[Some(T0 + 40), Some(T0 + 41), None], at(T0 + 50))
            .unwrap_err(),
    );
    assert!(e.contains("not larger"), "{e}");
    // The clock never goes backwards (round entries are clock readings too).
    let e = invalid(w.clock(at(T0 + 29)).unwrap_err());
    assert!(e.contains("backwards"), "{e}");
    assert_eq!(w.ledger.time.next_clock(at(T0)), at(T0 + 30));
    assert_eq!(w.ledger.time.next_clock(at(T0 + 99)), at(T0 + 99));
    // A clock that is too late for what the witnesses cosigned is a fault, not a refusal (the
    // round that shows it comes later).
    let late = w.clock(at(T0 + 500)).unwrap();
    w.round(
        late as usize + 1,
        &[Some(T0 + 100), Some(T0 + 101), None],
        at(T0 + 600),
    )
    .unwrap();
    let faults = w.ledger.time.clock_faults();
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert_eq!(faults[0].index, late);
    assert!(faults[0].message.contains("after"), "{}", faults[0].message);
}

#[test]
fn only_the_operator_writes_time() {
    let mut w = World::new();
    let ua = key_from_seed("ua", [5; 32]).unwrap();
    w.submit(
        Body::PartyRegister(PartyRegistration {
            id: id("ua"),
            name: "UA".into(),
            role: Role::Belligerent,
            keys: vec![ua.verifier.clone()],
        }),
        at(T0),
    )
    .unwrap();
    let b = sign(
        &id("ua"),
        at(T0),
        &Body::Clock(Clock {
            first: 2,
            entries: 0,
        }),
        &parse_signer(&ua.signer).unwrap(),
    )
    .unwrap()
    .bytes;
    assert!(matches!(
        w.ledger.admit(&b),
        Err(Rejection::Forbidden { .. })
    ));
}

#[test]
fn a_verifier_judges_the_rounds_again_under_its_own_policy() {
    let mut w = World::new();
    let policy = w.policy_text();
    w.submit(Body::WitnessPolicy(WitnessPolicy { policy }), at(T0))
        .unwrap();
    w.clock(at(T0 + 10)).unwrap();
    // Cosigned by w0 and w1: the operator's 2 of 3 is met.
    w.round(3, &[Some(T0 + 60), Some(T0 + 70), None], at(T0 + 80))
        .unwrap();
    let x = w.clock(at(T0 + 100)).unwrap();
    w.round(
        5,
        &[Some(T0 + 200), Some(T0 + 230), Some(T0 + 210)],
        at(T0 + 240),
    )
    .unwrap();
    // A verifier who trusts only w1 and w2, both required.
    let mut text = format!("log {}\n", w.log.verifier);
    for (i, c) in w.witnesses.iter().enumerate().skip(1) {
        text.push_str(&format!("witness v{i} {}\n", c.vkey()));
    }
    text.push_str("group both all v1 v2\nquorum both\n");
    let mine = truce_log::policy::Policy::parse(&text).unwrap();
    let (t, missed) = w.ledger.time.under(&mine);
    // The first round lacks w2: it bounds nothing for this verifier.
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert!(missed[0].starts_with("entry 3: "), "{missed:?}");
    assert_eq!(t.rounds.len(), 1);
    let k = t.known_by(x);
    assert_eq!(k.after, None, "no round this verifier accepts before it");
    // Known by the time both of its witnesses had signed: the later of w1 and w2.
    assert_eq!(k.by, Some(at(T0 + 230)));
    assert!(t.clock_faults().is_empty());
    // Under the logged policy itself nothing is missed and the bounds are the ledger's.
    let logged = w.ledger.time.policies[0].2.clone();
    let (same, missed) = w.ledger.time.under(&logged);
    assert!(missed.is_empty());
    assert_eq!(same.known_by(x), w.ledger.time.known_by(x));
}

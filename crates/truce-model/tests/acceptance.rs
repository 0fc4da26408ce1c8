//! Acceptance rules: signatures, keys, revocation, roles, references, amendments, canonical form.

use truce_log::{generate_key, parse_signer, KeyPair};
use truce_model::domain::*;
use truce_model::entry::{sign, Body};
use truce_model::{Ledger, Rejection, Time};

fn key(name: &str) -> KeyPair {
    generate_key(&mut rand_core::OsRng, name).unwrap()
}

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
    fn new() -> World {
        let mut w = World {
            ledger: Ledger::new(),
            keys: Default::default(),
            next: 0,
        };
        let op = key("operator");
        let reg = Body::PartyRegister(PartyRegistration {
            id: id("operator"),
            name: "Operator".into(),
            role: Role::Operator,
            keys: vec![op.verifier.clone()],
        });
        w.keys.insert("operator".into(), op);
        w.submit("operator", reg).unwrap();
        w.register("ua", Role::Belligerent);
        w
    }

    fn bytes(&self, author: &str, body: &Body) -> Vec<u8> {
        let k = &self.keys[author];
        sign(
            &id(author),
            t("2025-03-18T12:00:00Z"),
            body,
            &parse_signer(&k.signer).unwrap(),
        )
        .unwrap()
        .bytes
    }

    fn submit(&mut self, author: &str, body: Body) -> Result<String, Rejection> {
        let b = self.bytes(author, &body);
        let env = self.ledger.admit(&b)?;
        self.ledger.apply(self.next, &b);
        self.next += 1;
        Ok(env.id)
    }

    fn register(&mut self, party: &str, role: Role) {
        let k = key(party);
        let body = Body::PartyRegister(PartyRegistration {
            id: id(party),
            name: party.to_uppercase(),
            role,
            keys: vec![k.verifier.clone()],
        });
        self.keys.insert(party.into(), k);
        self.submit("operator", body).unwrap();
    }
}

fn report(rid: &str) -> Body {
    Body::Report(
        serde_json::from_value(serde_json::json!({
            "id": rid, "time": {"start": "2025-03-20T20:22:00Z"},
            "location": {"point": [35.27, 51.19], "uncertainty_m": 3000},
            "act": "sabotage", "alleged_perpetrator": "ua", "text": "illustrative", "illustrative": true
        }))
        .unwrap(),
    )
}

fn assessment(of: &str) -> Body {
    Body::Assessment(Assessment {
        question: Default::default(),
        party: None,
        reports: vec![of.into()],
        verdict: Verdict::Unverifiable,
        evidence: vec![],
        text: String::new(),
    })
}

#[test]
fn roles_decide_what_each_party_may_write() {
    let mut w = World::new();
    w.register("ru", Role::Belligerent);
    w.register("osce", Role::Monitor);
    let r = w.submit("ru", report("sudzha-1")).unwrap();
    // A belligerent cannot assess; a monitor can.
    let e = w.submit("ua", assessment(&r)).unwrap_err();
    assert!(matches!(e, Rejection::Forbidden { .. }), "{e}");
    assert!(
        e.to_string().contains(
            "`ua` is a belligerent and may not write `assessment` entries (only monitor may)"
        ),
        "{e}"
    );
    w.submit("osce", assessment(&r)).unwrap();
    // Only the operator registers parties.
    let k = key("x");
    let reg = Body::PartyRegister(PartyRegistration {
        id: id("x"),
        name: "X".into(),
        role: Role::Monitor,
        keys: vec![k.verifier],
    });
    assert!(matches!(
        w.submit("ru", reg),
        Err(Rejection::Forbidden { .. })
    ));
    // References must exist.
    let e = w
        .submit("osce", assessment("00ff"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not in the log"), "{e}");
    let mut bad = report("r2");
    if let Body::Report(r) = &mut bad {
        r.alleged_perpetrator = Some(id("nobody"));
    }
    assert!(w
        .submit("ru", bad)
        .unwrap_err()
        .to_string()
        .contains("`nobody` is not a registered party"));
}

#[test]
fn wrong_unknown_and_revoked_keys_are_refused() {
    let mut w = World::new();
    w.register("ru", Role::Belligerent);
    // Signed by a key that is not registered to ru.
    let stranger = key("ru");
    let b = sign(
        &id("ru"),
        t("2025-03-18T12:00:00Z"),
        &report("a"),
        &parse_signer(&stranger.signer).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        w.ledger.admit(&b.bytes),
        Err(Rejection::UnknownKey { .. })
    ));
    // An altered entry (same key id, other content) fails the signature.
    let good = w.bytes("ru", &report("b"));
    let tampered = String::from_utf8(good.clone())
        .unwrap()
        .replace("sabotage", "shelling")
        .into_bytes();
    assert!(matches!(
        w.ledger.admit(&tampered),
        Err(Rejection::BadSignature { .. })
    ));
    // Unknown author.
    let ghost = key("ghost");
    w.keys.insert("ghost".into(), ghost);
    let g = w.bytes("ghost", &report("c"));
    assert!(matches!(
        w.ledger.admit(&g),
        Err(Rejection::UnknownAuthor(_))
    ));
    // Rotation: add a new key, revoke the old one; the old key is refused afterwards.
    let old_id = w.ledger.parties[&id("ru")]
        .keys
        .keys()
        .next()
        .unwrap()
        .clone();
    let new = key("ru");
    w.submit(
        "ru",
        Body::KeyAdd(KeyAdd {
            party: id("ru"),
            key: new.verifier.clone(),
        }),
    )
    .unwrap();
    w.submit(
        "ru",
        Body::KeyRevoke(KeyRevoke {
            party: id("ru"),
            key_id: old_id,
            reason: "rotation".into(),
        }),
    )
    .unwrap();
    let e = w.submit("ru", report("d")).unwrap_err();
    assert!(matches!(e, Rejection::RevokedKey { .. }), "{e}");
    w.keys.insert("ru".into(), new);
    w.submit("ru", report("d")).unwrap();
    // Another party cannot add keys to ru.
    let k = key("ru");
    assert!(matches!(
        w.submit(
            "ua",
            Body::KeyAdd(KeyAdd {
                party: id("ru"),
                key: k.verifier
            })
        ),
        Err(Rejection::Forbidden { .. })
    ));
}

#[test]
fn entries_are_canonical_and_not_replayable() {
    let mut w = World::new();
    w.register("ru", Role::Belligerent);
    let b = w.bytes("ru", &report("a"));
    // Same JSON, other whitespace: refused as non-canonical.
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    let pretty = serde_json::to_vec_pretty(&v).unwrap();
    let e = w.ledger.admit(&pretty).unwrap_err().to_string();
    assert!(e.contains("canonical"), "{e}");
    w.ledger.admit(&b).unwrap();
    w.ledger.apply(5, &b);
    assert!(matches!(w.ledger.admit(&b), Err(Rejection::Duplicate(5))));
    // The first entry must be the operator's own registration.
    let fresh = Ledger::new();
    assert!(fresh
        .admit(&b)
        .unwrap_err()
        .to_string()
        .contains("first entry"));
}

#[test]
fn amendments_keep_history_and_only_authors_amend() {
    let mut w = World::new();
    w.register("ru", Role::Belligerent);
    let r = w.submit("ru", report("a")).unwrap();
    let retract = |reason: &str| {
        Body::Amend(Amendment {
            amends: r.clone(),
            action: AmendAction::Retract,
            reason: reason.into(),
            body: None,
        })
    };
    assert!(w
        .submit("ua", retract("not yours"))
        .unwrap_err()
        .to_string()
        .contains("only its author"));
    let mut corrected = report("a");
    if let Body::Report(x) = &mut corrected {
        x.text = "corrected".into();
    }
    let correct = Body::Amend(Amendment {
        amends: r.clone(),
        action: AmendAction::Correct,
        reason: "typo".into(),
        body: Some(corrected.to_value()),
    });
    w.submit("ru", correct).unwrap();
    let rec = w
        .ledger
        .reports
        .get(&id("ru"), "a")
        .unwrap()
        .held()
        .unwrap();
    assert_eq!(rec.value.text, "corrected");
    assert_eq!(
        rec.entry_id, r,
        "the record still points at the original entry"
    );
    w.submit("ru", retract("withdrawn")).unwrap();
    assert_eq!(
        w.ledger.reports.get(&id("ru"), "a").unwrap().retracted(),
        Some("withdrawn")
    );
    // A correction may not change the identifier.
    let other = Body::Amend(Amendment {
        amends: r,
        action: AmendAction::Correct,
        reason: "x".into(),
        body: Some(report("zzz").to_value()),
    });
    assert!(w
        .submit("ru", other)
        .unwrap_err()
        .to_string()
        .contains("identifier"));
}

#[test]
fn replay_gives_the_same_ledger_and_counts_raw_entries() {
    let mut w = World::new();
    w.register("ru", Role::Belligerent);
    w.submit("ru", report("a")).unwrap();
    let entries: Vec<Vec<u8>> = vec![
        w.bytes(
            "operator",
            &Body::PartyRegister(PartyRegistration {
                id: id("zz"),
                name: "Z".into(),
                role: Role::Monitor,
                keys: vec![key("zz").verifier],
            }),
        ),
        b"raw line".to_vec(),
    ];
    for e in &entries {
        w.ledger.apply(w.next, e);
        w.next += 1;
    }
    assert_eq!(w.ledger.counts.opaque, 1);
    assert_eq!(w.ledger.counts.accepted, 5);
}

fn shaped_site(sid: &str, geometry: &str) -> Body {
    Body::Site(Site {
        id: id(sid),
        name: format!("site {sid}"),
        category: truce_model::taxonomy::Category::new("energy.gas.metering").unwrap(),
        geometry: serde_json::from_str(geometry).unwrap(),
        approximate_m: None,
        effective_from: None,
        source: String::new(),
    })
}

#[test]
fn bad_site_shapes_are_refused_at_submission_but_old_logs_replay() {
    let mut w = World::new();
    let bow = r#"{"type":"Polygon","coordinates":[[[35.27,51.19],[35.28,51.2],[35.28,51.19],[35.27,51.2],[35.27,51.19]]]}"#;
    let pole = r#"{"type":"Polygon","coordinates":[[[0,80],[90,80],[180,80],[-90,80],[0,80]]]}"#;
    let am = r#"{"type":"Polygon","coordinates":[[[179.5,65],[-179.5,65],[-179.5,66],[179.5,66],[179.5,65]]]}"#;
    for (sid, g, says) in [
        ("bow-tie", bow, "self-intersection"),
        ("pole-ring", pole, "goes round a pole"),
        ("across-180", am, "split it at 180°"),
    ] {
        let e = w.submit("ua", shaped_site(sid, g)).unwrap_err().to_string();
        assert!(
            e.contains(&format!("site `{sid}`")) && e.contains(says),
            "{e}"
        );
    }
    // A pipeline is a line.
    let line = r#"{"type":"LineString","coordinates":[[35.0,51.0],[35.5,51.1],[36.0,51.0]]}"#;
    w.submit("ua", shaped_site("pipeline", line)).unwrap();
    // A log written before the rule holds a bow-tie: replaying it accepts it as it did.
    let old = w.bytes("ua", &shaped_site("bow-tie", bow));
    let next = w.next;
    assert!(matches!(
        w.ledger.apply(next, &old),
        truce_model::Applied::Accepted(..)
    ));
    assert!(w.ledger.sites.contains_key(&(id("ua"), id("bow-tie"))));
}

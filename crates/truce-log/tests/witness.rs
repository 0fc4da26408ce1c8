//! tlog-cosignature v1 and tlog-policy: cosign/verify round trips, tampering, key IDs computed
//! independently, nested quorum groups, policy parse errors and whole-checkpoint policy checks.

use base64::prelude::*;
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use truce_log::cosignature::*;
use truce_log::policy::*;
use truce_log::*;

const BODY: &[u8] = b"truce.example/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

fn cosigner(name: &str, seed: u8) -> Cosigner {
    Cosigner::new(name, SigningKey::from_bytes(&[seed; 32])).unwrap()
}

fn note_with(line: &str) -> Vec<u8> {
    let mut n = BODY.to_vec();
    n.push(b'\n');
    n.extend_from_slice(line.as_bytes());
    n.push(b'\n');
    n
}

/// Decodes a signature line's base64 into raw bytes (key ID ‖ timestamp ‖ signature).
fn raw_of(line: &str) -> (String, Vec<u8>) {
    let rest = line.strip_prefix("\u{2014} ").unwrap();
    let (name, b64) = rest.split_once(' ').unwrap();
    (name.to_string(), BASE64_STANDARD.decode(b64).unwrap())
}

fn line_of(name: &str, raw: &[u8]) -> String {
    format!("\u{2014} {name} {}", BASE64_STANDARD.encode(raw))
}

#[test]
fn cosign_and_verify_round_trip() {
    let w = cosigner("witness.example/w1", 1);
    let line = w.cosign(BODY, 1_700_000_000);
    assert!(line.starts_with("\u{2014} witness.example/w1 "));
    let (_, raw) = raw_of(&line);
    assert_eq!(raw.len(), 4 + 8 + 64);
    assert_eq!(&raw[4..12], &1_700_000_000u64.to_be_bytes());
    let v = CosignatureVerifier::from_vkey(&w.vkey()).unwrap();
    assert_eq!(v, w.verifier());
    assert_eq!(v.vkey(), w.vkey());
    assert_eq!(v.verify(&note_with(&line)).unwrap(), 1_700_000_000);
    // The vkey has the signed-note shape with type byte 0x04.
    let vkey = w.vkey();
    let parts: Vec<&str> = vkey.splitn(3, '+').collect();
    assert_eq!(parts[0], "witness.example/w1");
    let key = BASE64_STANDARD.decode(parts[2]).unwrap();
    assert_eq!(key.len(), 33);
    assert_eq!(key[0], 0x04);
}

#[test]
fn key_id_is_computed_as_specified() {
    let sk = SigningKey::from_bytes(&[9; 32]);
    let pk = sk.verifying_key().to_bytes();
    let name = "witness.example/w9";
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, 0x04]);
    h.update(pk);
    let d = h.finalize();
    let expected = [d[0], d[1], d[2], d[3]];
    let w = Cosigner::new(name, sk).unwrap();
    assert_eq!(w.key_id(), expected);
    assert_eq!(key_id(name, &pk), expected);
    let hex: String = expected.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(w.vkey().split('+').nth(1).unwrap(), hex);
    let (_, raw) = raw_of(&w.cosign(BODY, 5));
    assert_eq!(&raw[..4], &expected);
}

#[test]
fn the_signed_message_is_prefixed_by_the_timestamp_header() {
    let msg = signed_message(BODY, 17);
    let mut expected = b"cosignature/v1\ntime 17\n".to_vec();
    expected.extend_from_slice(BODY);
    assert_eq!(msg, expected);
    // And that is exactly what the Ed25519 signature covers.
    use ed25519_dalek::Verifier;
    let sk = SigningKey::from_bytes(&[3; 32]);
    let w = Cosigner::new("w", sk.clone()).unwrap();
    let (_, raw) = raw_of(&w.cosign(BODY, 17));
    let sig = ed25519_dalek::Signature::from_bytes(raw[12..].try_into().unwrap());
    sk.verifying_key().verify(&expected, &sig).unwrap();
}

#[test]
fn a_flipped_byte_in_body_timestamp_or_signature_fails() {
    let w = cosigner("w1", 1);
    let v = w.verifier();
    let line = w.cosign(BODY, 1000);
    // Body.
    let mut note = note_with(&line);
    note[20] ^= 1;
    assert!(matches!(
        v.verify(&note),
        Err(CosignatureError::Invalid { .. })
    ));
    // Timestamp (byte 4..12 of the raw signature) and signature (12..76).
    for i in [4, 11, 12, 40, 75] {
        let (name, mut raw) = raw_of(&line);
        raw[i] ^= 0x80;
        let bad = line_of(&name, &raw);
        assert!(
            matches!(
                v.verify(&note_with(&bad)),
                Err(CosignatureError::Invalid { .. })
            ),
            "flipping raw byte {i} must fail"
        );
    }
}

#[test]
fn wrong_key_id_or_name_is_ignored() {
    let w = cosigner("w1", 1);
    let v = w.verifier();
    let line = w.cosign(BODY, 1000);
    let (name, mut raw) = raw_of(&line);
    raw[0] ^= 1;
    let other_id = line_of(&name, &raw);
    assert!(matches!(
        v.verify(&note_with(&other_id)),
        Err(CosignatureError::Missing { .. })
    ));
    let (_, raw) = raw_of(&line);
    let other_name = line_of("w2", &raw);
    assert!(matches!(
        v.verify(&note_with(&other_name)),
        Err(CosignatureError::Missing { .. })
    ));
    // An unrelated line before the good one does not prevent verification.
    let mut note = note_with(&other_id);
    note.extend_from_slice(line.as_bytes());
    note.push(b'\n');
    assert_eq!(v.verify(&note).unwrap(), 1000);
}

#[test]
fn vkeys_are_checked() {
    let w = cosigner("w1", 1);
    let vkey = w.vkey();
    assert!(vkey.parse::<CosignatureVerifier>().is_ok());
    // Wrong key ID.
    let mut parts: Vec<String> = vkey.splitn(3, '+').map(String::from).collect();
    parts[1] = "00000000".into();
    assert!(CosignatureVerifier::from_vkey(&parts.join("+")).is_err());
    // A signed-note Ed25519 vkey (type 0x01) is not a cosignature key.
    let log = key_from_seed("w1", [1; 32]).unwrap();
    assert!(CosignatureVerifier::from_vkey(&log.verifier).is_err());
    assert!(CosignatureVerifier::from_vkey("nonsense").is_err());
    assert!(Cosigner::new("bad name", SigningKey::from_bytes(&[1; 32])).is_err());
}

#[test]
fn cosignatures_are_appended_to_notes() {
    let log = key_from_seed("truce.example/log", [5; 32]).unwrap();
    let cp = sign_checkpoint(
        &parse_signer(&log.signer).unwrap(),
        "truce.example/log",
        3,
        Hash([7; 32]),
    )
    .unwrap();
    let w = cosigner("w1", 1);
    let line = w.cosign(&cp.body(), 99);
    let note = add_cosignature(&cp.note, &line).unwrap();
    assert!(note.starts_with(&cp.note));
    assert!(note.ends_with(format!("{line}\n").as_bytes()));
    assert_eq!(w.verifier().verify(&note).unwrap(), 99);
    assert_eq!(w.cosign_note(&cp.note, 99).unwrap(), note);
    // The log signature still verifies.
    open_checkpoint(&note, &parse_verifier(&log.verifier).unwrap()).unwrap();
    // The same key twice is refused; malformed lines and notes are refused.
    assert!(matches!(
        add_cosignature(&note, &line),
        Err(CosignatureError::Duplicate { .. })
    ));
    assert!(add_cosignature(&cp.note, "not a signature").is_err());
    assert!(add_cosignature(b"no blank line\n", &line).is_err());
}

// ---- policies ----

struct Parties {
    log: KeyPair,
    ru: Cosigner,
    ua: Cosigner,
    monitors: [Cosigner; 3],
}

fn parties() -> Parties {
    Parties {
        log: key_from_seed("truce.example/log", [50; 32]).unwrap(),
        ru: cosigner("witness.ru.example", 11),
        ua: cosigner("witness.ua.example", 12),
        monitors: [
            cosigner("osce.example", 21),
            cosigner("un.example", 22),
            cosigner("icrc.example", 23),
        ],
    }
}

fn policy_text(p: &Parties) -> String {
    format!(
        "# Truce policy: both sides and 2 of 3 monitors\n\
         log {} https://log.truce.example/\n\
         \n\
         witness ru {}\n\
         witness ua {} https://ua.example/witness\n\
         witness osce {}\n\
         witness un {}   # trailing comment\n\
         witness icrc {}\n\
         group sides all ru ua\n\
         group monitors 2 osce un icrc\n\
         group truce all sides monitors\n\
         quorum truce\n",
        p.log.verifier,
        p.ru.vkey(),
        p.ua.vkey(),
        p.monitors[0].vkey(),
        p.monitors[1].vkey(),
        p.monitors[2].vkey(),
    )
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn nested_quorum_is_both_sides_and_two_of_three_monitors() {
    let p = parties();
    let policy = Policy::parse(&policy_text(&p)).unwrap();
    assert_eq!(policy.witnesses.len(), 5);
    assert_eq!(policy.groups.len(), 3);
    assert_eq!(
        policy.logs[0].url.as_deref(),
        Some("https://log.truce.example/")
    );
    assert!(policy.satisfied(&set(&["ru", "ua", "osce", "un"])));
    assert!(policy.satisfied(&set(&["ru", "ua", "un", "icrc"])));
    assert!(policy.satisfied(&set(&["ru", "ua", "osce", "un", "icrc"])));
    assert!(!policy.satisfied(&set(&["ru", "ua", "osce"])));
    assert!(!policy.satisfied(&set(&["ru", "osce", "un", "icrc"])));
    assert!(!policy.satisfied(&set(&["ua", "osce", "un", "icrc"])));
    assert!(!policy.satisfied(&set(&[])));
    assert!(!policy.satisfied(&set(&["ru", "ua", "unknown", "other"])));
}

#[test]
fn any_all_and_none() {
    let p = parties();
    let base = format!(
        "log {}\nwitness ru {}\nwitness ua {}\n",
        p.log.verifier,
        p.ru.vkey(),
        p.ua.vkey()
    );
    let any = Policy::parse(&format!("{base}group g any ru ua\nquorum g\n")).unwrap();
    assert!(any.satisfied(&set(&["ua"])));
    assert!(!any.satisfied(&set(&[])));
    let all = Policy::parse(&format!("{base}group g all ru ua\nquorum g\n")).unwrap();
    assert!(!all.satisfied(&set(&["ua"])));
    assert!(all.satisfied(&set(&["ua", "ru"])));
    let one = Policy::parse(&format!("{base}quorum ru\n")).unwrap();
    assert!(one.satisfied(&set(&["ru"])));
    assert!(!one.satisfied(&set(&["ua"])));
    let none = Policy::parse(&format!("{base}quorum none\n")).unwrap();
    assert!(none.satisfied(&set(&[])));
}

#[test]
fn parse_errors_name_the_line() {
    let p = parties();
    let log = format!("log {}", p.log.verifier);
    let ru = format!("witness ru {}", p.ru.vkey());
    let ua = format!("witness ua {}", p.ua.vkey());
    let parse = |lines: &[&str]| Policy::parse(&lines.join("\n")).unwrap_err();

    let e = parse(&[&log, &ru, "group g 1 ru nobody", "quorum g"]);
    assert!(matches!(e, PolicyError::UnknownMember { line: 3, ref name } if name == "nobody"));
    assert!(e.to_string().contains("line 3"), "{e}");

    let e = parse(&[&log, &ru, "# comment", "", "witness ru x"]);
    assert!(matches!(e, PolicyError::BadKey { line: 5, .. }), "{e:?}");

    let dup = format!("witness ru {}", p.ua.vkey());
    let e = parse(&[&log, &ru, &dup, "quorum ru"]);
    assert!(
        matches!(
            e,
            PolicyError::Duplicate {
                line: 3,
                first: 2,
                what: "name",
                ..
            }
        ),
        "{e:?}"
    );
    let e = parse(&[&log, &ru, "group ru any ru", "quorum ru"]);
    assert!(matches!(e, PolicyError::Duplicate { line: 3, .. }), "{e:?}");

    let e = parse(&[&log, &ru, &ua, "group g 3 ru ua", "quorum g"]);
    assert!(
        matches!(
            e,
            PolicyError::BadThreshold {
                line: 4,
                members: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("line 4"));
    let e = parse(&[&log, &ru, &ua, "group g 0 ru ua", "quorum g"]);
    assert!(
        matches!(e, PolicyError::BadThreshold { line: 4, .. }),
        "{e:?}"
    );

    let e = parse(&[
        &log,
        &ru,
        &ua,
        "group a any b",
        "group b all ru ua",
        "quorum a",
    ]);
    assert!(
        matches!(e, PolicyError::ReferencedBeforeDefinition { line: 4, defined: 5, ref name } if name == "b"),
        "{e:?}"
    );

    let e = parse(&[&ru, "quorum ru"]);
    assert_eq!(e, PolicyError::MissingLog);
    assert_eq!(e.line(), None);
    let e = parse(&[&log, &ru]);
    assert_eq!(e, PolicyError::MissingQuorum);

    let e = parse(&[&log, &ru, "quorum nobody"]);
    assert!(
        matches!(e, PolicyError::UnknownMember { line: 3, .. }),
        "{e:?}"
    );
    let e = parse(&[&log, &ru, "quorum ru", "quorum ru"]);
    assert!(matches!(
        e,
        PolicyError::DuplicateQuorum { line: 4, first: 3 }
    ));
    let e = parse(&[&log, "frobnicate x", "quorum none"]);
    assert!(matches!(e, PolicyError::Syntax { line: 2, .. }));
    assert_eq!(e.line(), Some(2));
    let e = parse(&[&log, &ru, "group g many ru", "quorum g"]);
    assert!(matches!(e, PolicyError::Syntax { line: 3, .. }));
    // The same witness key under two names is refused.
    let again = format!("witness ru2 {}", p.ru.vkey());
    let e = parse(&[&log, &ru, &again, "quorum ru"]);
    assert!(
        matches!(
            e,
            PolicyError::Duplicate {
                line: 3,
                what: "witness key",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn checkpoints_are_checked_against_the_policy() {
    let p = parties();
    let policy = Policy::parse(&policy_text(&p)).unwrap();
    let signer = parse_signer(&p.log.signer).unwrap();
    let cp = sign_checkpoint(&signer, "truce.example/log", 10, Hash([1; 32])).unwrap();
    let body = cp.body();

    let mut note = cp.note.clone();
    // An unknown witness's cosignature and a foreign signature line are ignored.
    let stranger = cosigner("stranger.example", 99);
    note = add_cosignature(&note, &stranger.cosign(&body, 1)).unwrap();
    for (w, ts) in [(&p.ru, 100), (&p.ua, 101), (&p.monitors[0], 102)] {
        note = add_cosignature(&note, &w.cosign(&body, ts)).unwrap();
    }
    // Only one monitor so far: quorum not met, but the valid cosignatures are reported.
    match policy.check(&note) {
        Err(CheckError::QuorumNotMet { witnesses, .. }) => {
            assert_eq!(
                witnesses.keys().cloned().collect::<BTreeSet<_>>(),
                set(&["ru", "ua", "osce"])
            );
            assert_eq!(witnesses["ru"], 100);
        }
        other => panic!("expected quorum not met, got {other:?}"),
    }
    // An invalid cosignature by a known witness does not count.
    let bad_un = {
        let line = p.monitors[1].cosign(b"some other body\n", 103);
        add_cosignature(&note, &line).unwrap()
    };
    assert!(matches!(
        policy.check(&bad_un),
        Err(CheckError::QuorumNotMet { .. })
    ));
    // A second monitor: quorum met.
    let note = add_cosignature(&note, &p.monitors[1].cosign(&body, 103)).unwrap();
    let ok = policy.check(&note).unwrap();
    assert_eq!(ok.checkpoint.size, 10);
    assert_eq!(ok.checkpoint.root, Hash([1; 32]));
    assert_eq!(
        ok.witnesses.keys().cloned().collect::<BTreeSet<_>>(),
        set(&["ru", "ua", "osce", "un"])
    );
    assert_eq!(ok.witnesses["un"], 103);

    // Missing the Ukrainian side's cosignature: quorum not met.
    let mut no_ua = cp.note.clone();
    for w in [&p.ru, &p.monitors[0], &p.monitors[1], &p.monitors[2]] {
        no_ua = add_cosignature(&no_ua, &w.cosign(&body, 7)).unwrap();
    }
    assert!(matches!(
        policy.check(&no_ua),
        Err(CheckError::QuorumNotMet { .. })
    ));

    // A checkpoint not signed by the policy's log key is rejected outright.
    let other_log = key_from_seed("truce.example/log", [51; 32]).unwrap();
    let forged = sign_checkpoint(
        &parse_signer(&other_log.signer).unwrap(),
        "truce.example/log",
        10,
        Hash([1; 32]),
    )
    .unwrap();
    let mut forged_note = forged.note.clone();
    for w in [&p.ru, &p.ua, &p.monitors[0], &p.monitors[1]] {
        forged_note = add_cosignature(&forged_note, &w.cosign(&forged.body(), 7)).unwrap();
    }
    assert!(matches!(
        policy.check(&forged_note),
        Err(CheckError::Log(_))
    ));
    // A checkpoint from an origin the policy does not know is rejected too.
    let elsewhere = key_from_seed("elsewhere.example/log", [52; 32]).unwrap();
    let cp2 = sign_checkpoint(
        &parse_signer(&elsewhere.signer).unwrap(),
        "elsewhere.example/log",
        1,
        Hash([0; 32]),
    )
    .unwrap();
    assert!(matches!(policy.check(&cp2.note), Err(CheckError::Log(_))));
}

#[test]
fn private_key_text_round_trips_and_is_checked() {
    let c = truce_log::cosignature::Cosigner::generate(&mut rand_core::OsRng, "witness.ua.example")
        .unwrap();
    let text = c.private_text();
    assert!(text.starts_with("PRIVATE+KEY+witness.ua.example+"));
    let back = truce_log::cosignature::Cosigner::from_private_text(&format!("{text}\n")).unwrap();
    assert_eq!(back.vkey(), c.vkey());
    // A renamed key no longer matches its key ID; a log (0x01) key is refused.
    let renamed = text.replace("witness.ua.example", "witness.ru.example");
    assert!(truce_log::cosignature::Cosigner::from_private_text(&renamed).is_err());
    let log = truce_log::generate_key(&mut rand_core::OsRng, "log.example").unwrap();
    assert!(truce_log::cosignature::Cosigner::from_private_text(&log.signer).is_err());
    assert!(truce_log::cosignature::Cosigner::from_private_text(&c.vkey()).is_err());
}

fn flat_2_of_3() -> Policy {
    let log = truce_log::key_from_seed("truce.example/log", [7; 32]).unwrap();
    let mut text = format!("log {}\n", log.verifier);
    for (n, seed) in [("a", 1u8), ("b", 2), ("c", 3)] {
        text.push_str(&format!(
            "witness {n} {}\n",
            cosigner(&format!("w.example/{n}"), seed).vkey()
        ));
    }
    text.push_str("group mission 2 a b c\nquorum mission\n");
    Policy::parse(&text).unwrap()
}

fn times(ts: &[(&str, u64)]) -> std::collections::BTreeMap<String, u64> {
    ts.iter().map(|(n, t)| (n.to_string(), *t)).collect()
}

#[test]
fn quorum_times_are_the_kth_timestamps() {
    let p = flat_2_of_3();
    let t = times(&[("a", 100), ("b", 105), ("c", 130)]);
    assert_eq!(p.quorum_reached_at(&t), Some(105));
    assert_eq!(p.quorum_held_since(&t), Some(105));
    let t = times(&[("a", 100), ("b", 105)]);
    assert_eq!(p.quorum_reached_at(&t), Some(105));
    assert_eq!(p.quorum_held_since(&t), Some(100));
    // One cosignature is no quorum: it bounds nothing.
    assert_eq!(p.quorum_reached_at(&times(&[("a", 100)])), None);
    assert_eq!(p.quorum_held_since(&times(&[("a", 100)])), None);
}

#[test]
fn one_colluding_witness_cannot_move_the_bounds_past_an_honest_one() {
    let p = flat_2_of_3();
    let honest = [("a", 1_000u64), ("b", 1_010)];
    for lie in [0u64, 1, 999, 1_005, 1_011, 5_000, u64::MAX] {
        let mut t = times(&honest);
        t.insert("c".into(), lie);
        let reached = p.quorum_reached_at(&t).unwrap();
        let since = p.quorum_held_since(&t).unwrap();
        // "known by" never earlier than the earliest honest attestation, and "not before" never
        // later than the latest honest one.
        assert!(reached >= 1_000, "lie {lie}: reached {reached}");
        assert!(since <= 1_010, "lie {lie}: since {since}");
    }
    // Two honest witnesses only (the liar is silent) still bound the checkpoint.
    assert_eq!(p.quorum_reached_at(&times(&honest)), Some(1_010));
}

#[test]
fn quorum_none_bounds_nothing() {
    let log = truce_log::key_from_seed("truce.example/log", [7; 32]).unwrap();
    let p = Policy::parse(&format!("log {}\nquorum none\n", log.verifier)).unwrap();
    assert_eq!(p.quorum_reached_at(&times(&[("a", 1)])), None);
}

//! The parallel replay (`truce_model::replay`) gives exactly the ledger that applying each entry in
//! turn gives, whatever the number of decoder threads, and stops after what was fed when the
//! reader fails.

use truce_log::{generate_key, parse_signer};
use truce_model::domain::*;
use truce_model::entry::{sign, Body};
use truce_model::{Applied, Ledger, Time};

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

/// An operator, two parties, 1,200 more entries: reports (some refused: a duplicate id with other
/// content), raw lines and malformed envelopes.
fn log() -> Vec<Vec<u8>> {
    let op = generate_key(&mut rand_core::OsRng, "operator").unwrap();
    let ua = generate_key(&mut rand_core::OsRng, "ua").unwrap();
    let ru = generate_key(&mut rand_core::OsRng, "ru").unwrap();
    let t = Time::parse("2025-03-18T12:00:00Z").unwrap();
    let signed = |k: &truce_log::KeyPair, author: &str, body: &Body| {
        sign(&id(author), t, body, &parse_signer(&k.signer).unwrap())
            .unwrap()
            .bytes
    };
    let register = |party: &str, role: Role, k: &truce_log::KeyPair| {
        Body::PartyRegister(PartyRegistration {
            id: id(party),
            name: party.to_uppercase(),
            role,
            keys: vec![k.verifier.clone()],
        })
    };
    let mut out = vec![
        signed(&op, "operator", &register("operator", Role::Operator, &op)),
        signed(&op, "operator", &register("ua", Role::Belligerent, &ua)),
        signed(&op, "operator", &register("ru", Role::Belligerent, &ru)),
    ];
    for k in 0..1200u32 {
        if k % 97 == 0 {
            out.push(format!("raw line {k}").into_bytes());
        } else if k % 131 == 0 {
            out.push(b"{\"v\":1,\"kind\":\"report\"}".to_vec());
        } else {
            // Every 50th reuses an id with other content: refused.
            let rid = if k % 50 == 0 { 1 } else { k };
            let body = Body::Report(
                serde_json::from_value(serde_json::json!({
                    "id": format!("r{rid}"), "time": {"start": "2025-03-20T20:22:00Z"},
                    "location": {"point": [35.0 + f64::from(k) / 1e4, 51.19], "uncertainty_m": 300},
                    "act": "shelling", "alleged_perpetrator": "ru", "text": format!("test {k}")
                }))
                .unwrap(),
            );
            out.push(signed(&ua, "ua", &body));
        }
    }
    out
}

fn summary(l: &Ledger, applied: &[(u64, Applied)]) -> String {
    format!(
        "{:?} {:?} {} {} {:?}",
        l.counts,
        l.reports,
        l.by_id.len(),
        l.size,
        applied
    )
}

/// The log applied entry by entry, with what each entry did.
fn sequential(log: &[Vec<u8>]) -> (Ledger, Vec<(u64, Applied)>) {
    let mut seq = Ledger::new();
    let applied = log
        .iter()
        .enumerate()
        .map(|(i, e)| (i as u64, seq.apply(i as u64, e)))
        .collect();
    (seq, applied)
}

#[test]
fn the_parallel_replay_is_the_sequential_one() {
    let log = log();
    let (seq, seq_applied) = sequential(&log);
    assert!(seq.counts.accepted > 1000, "{:?}", seq.counts);
    assert!(
        seq.counts.opaque > 5 && seq.counts.refused > 5,
        "{:?}",
        seq.counts
    );
    for decoders in [0, 1, 2, 3] {
        let mut par = Ledger::new();
        let mut applied = Vec::new();
        let fed: Result<usize, ()> = truce_model::replay::replay(
            &mut par,
            decoders,
            |sink| {
                for (i, e) in log.iter().enumerate() {
                    sink(i as u64, e);
                }
                Ok(log.len())
            },
            |i, a| applied.push((i, a.clone())),
        );
        assert_eq!(fed, Ok(log.len()));
        assert_eq!(
            summary(&par, &applied),
            summary(&seq, &seq_applied),
            "{decoders} decoders"
        );
    }
}

#[test]
fn an_error_of_the_reader_ends_the_replay_after_what_was_fed() {
    let log = log();
    let mut par = Ledger::new();
    let mut n = 0u64;
    let fed: Result<(), &str> = truce_model::replay::replay(
        &mut par,
        2,
        |sink| {
            for (i, e) in log.iter().enumerate().take(700) {
                sink(i as u64, e);
            }
            Err("the disk went away")
        },
        |_, _| n += 1,
    );
    assert_eq!(fed, Err("the disk went away"));
    assert_eq!(n, 700);
    assert_eq!(par.size, 700);
}

#[test]
fn entries_decoded_together_apply_as_entry_by_entry() {
    let log = log();
    let (seq, seq_applied) = sequential(&log);
    let refs: Vec<&[u8]> = log.iter().map(Vec::as_slice).collect();
    for threads in [1, 2, 3, 5] {
        let mut l = Ledger::new();
        let mut applied = Vec::new();
        // In bundles of 256, as `truce verify` reads them.
        for (b, bundle) in refs.chunks(256).enumerate() {
            let decoded = truce_model::replay::decode_all(bundle, threads);
            assert_eq!(decoded.len(), bundle.len());
            for (k, d) in decoded.into_iter().enumerate() {
                let i = (b * 256 + k) as u64;
                applied.push((i, l.apply_decoded(i, d)));
            }
        }
        assert_eq!(
            summary(&l, &applied),
            summary(&seq, &seq_applied),
            "{threads} threads"
        );
    }
}

//! The parallel replay (`truce_model::replay`) gives exactly the ledger that applying each entry in
//! turn gives, whatever the number of decoder threads, and stops after what was fed when the
//! reader fails.

mod common;

use common::{id, key, rec, register, signed};
use truce_model::domain::*;
use truce_model::entry::Body;
use truce_model::{Applied, Ledger};

/// An operator, two parties, 1,200 more entries: reports (some refused: a duplicate id with other
/// content), raw lines and malformed envelopes.
fn log() -> Vec<Vec<u8>> {
    let op = key("operator");
    let ua = key("ua");
    let ru = key("ru");
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
        l.entries_accepted(),
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

/// Bulk records under manifests: records are checked against their manifest's root as they
/// stream in and applied when the last one arrives; a broken, mis-rooted or mixed manifest
/// accepts none of its records; records are checked in order against the ones before them (a
/// revision, a duplicate); a bulk report's full value is read back from the log, with its
/// retraction and corrections.
#[test]
fn manifests_check_their_records_as_they_stream() {
    let op = key("operator");
    let ua = key("ua");
    let firms = key("firms");
    let report = |rid: &str, rev: Option<i64>, perp: Option<&str>| {
        Body::Report(
            serde_json::from_value(serde_json::json!({
                "id": rid, "time": {"start": "2025-03-20T20:22:00Z"}, "revision": rev,
                "location": {"point": [35.1, 51.19], "uncertainty_m": 375},
                "act": "fire-observed", "alleged_perpetrator": perp,
                "attributes": {"type": "2", "frp": "3.5"}, "text": format!("{rid} {rev:?}"),
            }))
            .unwrap(),
        )
    };
    let manifest = |records: &[Vec<u8>], count: u64| {
        let root = truce_log::merkle_root(records.iter().map(Vec::as_slice));
        Body::Manifest(Manifest {
            format: "firms".into(),
            source: "test".into(),
            count,
            root: base64::Engine::encode(&base64::prelude::BASE64_STANDARD, root.0),
            reception: None,
        })
    };
    let mut log = vec![
        signed(&op, "operator", &register("operator", Role::Operator, &op)),
        signed(&op, "operator", &register("ua", Role::Belligerent, &ua)),
        signed(&op, "operator", &register("firms", Role::OpenData, &firms)),
    ];
    // 3..=6: a good manifest of three reports.
    let good: Vec<Vec<u8>> = ["a", "b", "c"]
        .iter()
        .map(|r| rec("firms", &report(r, None, None)))
        .collect();
    log.push(signed(&firms, "firms", &manifest(&good, 3)));
    log.extend(good.iter().cloned());
    // 7..=10: a manifest of two broken by a signed entry; its second record comes alone.
    let broken: Vec<Vec<u8>> = ["d", "e"]
        .iter()
        .map(|r| rec("firms", &report(r, None, None)))
        .collect();
    log.push(signed(&firms, "firms", &manifest(&broken, 2)));
    log.push(broken[0].clone());
    log.push(signed(&ua, "ua", &report("u1", None, None)));
    log.push(broken[1].clone());
    // 11..=13: two records that do not hash to their manifest's root.
    let other: Vec<Vec<u8>> = ["f", "g"]
        .iter()
        .map(|r| rec("firms", &report(r, None, None)))
        .collect();
    log.push(signed(&firms, "firms", &manifest(&good[..2], 2)));
    log.extend(other.iter().cloned());
    // 14..=15: a record by another author inside firms' manifest.
    let mixed = vec![rec("ua", &report("h", None, None))];
    log.push(signed(&firms, "firms", &manifest(&mixed, 1)));
    log.extend(mixed.iter().cloned());
    // 16..=20: a revision, a stale revision and a report naming an unregistered party.
    let revs = vec![
        rec("firms", &report("x", Some(1), None)),
        rec("firms", &report("x", Some(2), None)),
        rec("firms", &report("x", Some(1), None)),
        rec("firms", &report("y", None, Some("nobody"))),
    ];
    log.push(signed(&firms, "firms", &manifest(&revs, 4)));
    log.extend(revs.iter().cloned());
    // 21..=22: firms retracts `a` and corrects `b`.
    let amend = |target: &[u8], action: AmendAction, body: Option<Body>| {
        Body::Amend(Amendment {
            amends: truce_model::entry::entry_id(target),
            action,
            reason: "checked".into(),
            body: body.map(|b| b.to_value()),
        })
    };
    log.push(signed(
        &firms,
        "firms",
        &amend(&good[0], AmendAction::Retract, None),
    ));
    let mut fixed = report("b", None, Some("ua"));
    if let Body::Report(r) = &mut fixed {
        r.text = "corrected".into();
    }
    log.push(signed(
        &firms,
        "firms",
        &amend(&good[1], AmendAction::Correct, Some(fixed)),
    ));

    let (seq, applied) = sequential(&log);
    let refused: Vec<(u64, String)> = applied
        .iter()
        .filter_map(|(i, a)| match a {
            Applied::Refused(r) => Some((*i, r.to_string())),
            _ => None,
        })
        .collect();
    let want: Vec<(u64, String)> = vec![
        (10, "an unsigned record without a manifest before it".into()),
        (
            13,
            "the 2 records after the manifest at index 11 do not hash to its root".into(),
        ),
        (15, "record by `ua` inside a manifest of `firms`".into()),
        (20, "`nobody` is not the id of a registered party".into()),
    ];
    assert_eq!(refused.len(), want.len(), "{refused:?}");
    for ((i, r), (wi, wr)) in refused.iter().zip(&want) {
        assert_eq!(i, wi);
        assert!(r.contains(wr.as_str()) || wi == &20, "{i}: {r}");
    }
    assert!(refused[3].1.contains("nobody"), "{:?}", refused[3]);
    // Accepted: 3 registrations, 5 manifests, a, b, c, u1, x twice, 2 amendments.
    assert_eq!(
        seq.counts.accepted,
        3 + 5 + 3 + 1 + 2 + 2,
        "{:?}",
        seq.counts
    );
    // Refused: d (broken), e, f and g, h, the stale x, y.
    assert_eq!(seq.counts.refused, 1 + 1 + 2 + 1 + 2, "{:?}", seq.counts);
    let keys: Vec<(u64, String, String)> = seq
        .reports
        .iter()
        .map(|r| (r.index(), r.author().to_string(), r.id().to_string()))
        .collect();
    assert_eq!(
        keys,
        [
            (4, "firms", "a"),
            (5, "firms", "b"),
            (6, "firms", "c"),
            (9, "ua", "u1"),
            (18, "firms", "x")
        ]
        .map(|(i, a, r)| (i, a.to_string(), r.to_string()))
    );
    let read =
        |i: u64| -> Result<Vec<u8>, std::convert::Infallible> { Ok(log[i as usize].clone()) };
    let a = seq.reports.get(&id("firms"), "a").unwrap();
    assert_eq!(a.retracted(), Some("checked"));
    assert!(a.static_source());
    let b = seq
        .reports
        .get(&id("firms"), "b")
        .unwrap()
        .record(read)
        .unwrap();
    assert_eq!(
        (b.value.text.as_str(), b.corrections.len()),
        ("corrected", 1)
    );
    assert_eq!(b.value.alleged_perpetrator, Some(id("ua")));
    assert_eq!(b.value.attributes["frp"], "3.5");
    let x = seq.reports.get(&id("firms"), "x").unwrap();
    assert_eq!(x.revision(), Some(2));
    assert_eq!(x.record(read).unwrap().value.text, "x Some(2)");
    // Every accepted entry is known by id, a superseded revision too.
    assert_eq!(seq.entries_accepted() as u64, seq.counts.accepted);
    let first_x = seq.entry(&truce_model::entry::entry_id(&revs[0])).unwrap();
    assert_eq!((first_x.index, first_x.key), (17, Some(id("x"))));
    // The parallel replay is the same.
    for decoders in [1, 2] {
        let mut par = Ledger::new();
        let mut par_applied = Vec::new();
        let _: Result<(), ()> = truce_model::replay::replay(
            &mut par,
            decoders,
            |sink| {
                for (i, e) in log.iter().enumerate() {
                    sink(i as u64, e);
                }
                Ok(())
            },
            |i, a| par_applied.push((i, a.clone())),
        );
        assert_eq!(summary(&par, &par_applied), summary(&seq, &applied));
    }
}

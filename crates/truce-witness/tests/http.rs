//! The witness through its HTTP interface on a real server (port 0): every status code of C2SP
//! tlog-witness `add-checkpoint`, forks, foreign and bad signatures, proof-line limits, injected
//! store failures, and the cosignature verified with the witness's verifier key.

mod common;

use common::*;
use std::sync::Arc;
use truce_log::cosignature::{add_cosignature, Cosigner};
use truce_log::witness::{parse_cosignature_lines, parse_tlog_size, TLOG_SIZE_CONTENT_TYPE};
use truce_log::Hash;
use truce_witness::{MemFaults, MemWitnessStore, WitnessStore};

const ORIGIN: &str = "truce.test/log";

fn setup(log: &Log) -> (Server, MemWitnessStore) {
    let store = MemWitnessStore::new();
    let server = Server::start(witness(&[log]), Arc::new(store.clone()));
    (server, store)
}

fn assert_conflict(a: &Answer, size: u64) {
    assert_eq!(a.status, 409, "{a:?}");
    assert_eq!(a.content_type, TLOG_SIZE_CONTENT_TYPE);
    assert_eq!(parse_tlog_size(a.body.as_bytes()), Some(size), "{a:?}");
}

fn assert_status(a: &Answer, status: u16) {
    assert_eq!(a.status, status, "{a:?}");
    if status != 200 && status != 409 {
        assert!(a.content_type.starts_with("text/plain"), "{a:?}");
        assert!(
            a.body.ends_with('\n') && a.body.trim_end().lines().count() == 1,
            "{a:?}"
        );
    }
}

fn recorded(store: &MemWitnessStore) -> Option<u64> {
    store.latest(ORIGIN).unwrap().map(|w| w.size)
}

#[test]
fn a_first_checkpoint_is_cosigned_and_the_cosignature_verifies() {
    let log = Log::new(ORIGIN, 1, 10);
    let (server, store) = setup(&log);
    let c = client();
    let before = now();
    let a = post(&c, &server.url, log.request(0, 10));
    assert_status(&a, 200);
    assert!(a.content_type.starts_with("text/plain"), "{a:?}");
    let lines = parse_cosignature_lines(a.body.as_bytes()).unwrap();
    assert_eq!(lines.len(), 1);
    let note = add_cosignature(&log.checkpoint(10), &lines[0]).unwrap();
    let ts = cosigner().verifier().verify(&note).unwrap();
    assert!(ts >= before && ts <= now() + 1, "timestamp {ts} is not now");
    // The log's own signature still verifies on the cosigned note.
    truce_log::open_checkpoint(&note, &truce_log::parse_verifier(&log.vkey()).unwrap()).unwrap();
    let w = store.latest(ORIGIN).unwrap().unwrap();
    assert_eq!((w.size, w.root), (10, log.root(10)));
    assert_eq!(w.note, log.checkpoint(10));
}

#[test]
fn the_log_grows_with_consistency_proofs() {
    let mut log = Log::new(ORIGIN, 1, 1);
    let (server, store) = setup(&log);
    let c = client();
    let mut old = 0;
    for size in [1usize, 2, 3, 7, 8, 9, 255, 256, 257, 1000, 1000, 1025] {
        log.grow(size);
        let a = post(&c, &server.url, log.request(old, size));
        assert_status(&a, 200);
        assert_eq!(recorded(&store), Some(size as u64));
        old = size;
    }
}

#[test]
fn an_unknown_origin_is_404() {
    let log = Log::new(ORIGIN, 1, 5);
    let other = Log::new("elsewhere.test/log", 2, 5);
    let (server, store) = setup(&log);
    let a = post(&client(), &server.url, other.request(0, 5));
    assert_status(&a, 404);
    assert!(a.body.contains("elsewhere.test/log"), "{a:?}");
    assert_eq!(store.latest("elsewhere.test/log").unwrap(), None);
}

#[test]
fn a_checkpoint_without_a_trusted_signature_is_403() {
    let log = Log::new(ORIGIN, 1, 5);
    let (server, store) = setup(&log);
    // Same origin, another key: the signature is by an unknown key, so there is none by a
    // trusted key.
    let impostor = Log::new(ORIGIN, 9, 5);
    let a = post(&client(), &server.url, impostor.request(0, 5));
    assert_status(&a, 403);
    assert_eq!(recorded(&store), None);
}

/// Flips a bit in the signature payload of the last signature line of `note`.
fn corrupt_last_signature(note: &[u8]) -> Vec<u8> {
    use base64::prelude::*;
    let text = String::from_utf8(note.to_vec()).unwrap();
    let (head, last) = text.trim_end_matches('\n').rsplit_once('\n').unwrap();
    let (prefix, b64) = last.rsplit_once(' ').unwrap();
    let mut raw = BASE64_STANDARD.decode(b64).unwrap();
    let n = raw.len();
    raw[n - 1] ^= 1;
    format!("{head}\n{prefix} {}\n", BASE64_STANDARD.encode(raw)).into_bytes()
}

fn request_with_note(log: &Log, old: usize, size: usize, note: Vec<u8>) -> Vec<u8> {
    truce_log::witness::AddCheckpoint {
        old: old as u64,
        proof: log.proof(old, size),
        checkpoint: note,
    }
    .encode()
}

#[test]
fn a_bad_signature_by_the_trusted_key_is_403() {
    let log = Log::new(ORIGIN, 1, 5);
    let (server, store) = setup(&log);
    let c = client();
    let bad = corrupt_last_signature(&log.checkpoint(5));
    let a = post(&c, &server.url, request_with_note(&log, 0, 5, bad.clone()));
    assert_status(&a, 403);
    assert!(a.body.contains("does not verify"), "{a:?}");
    // A valid signature by the trusted key does not excuse an invalid one by the same key.
    let good = log.checkpoint(5);
    let bad_line = String::from_utf8(bad).unwrap();
    let bad_line = bad_line.trim_end().rsplit_once('\n').unwrap().1.to_string();
    let both = [good.clone(), format!("{bad_line}\n").into_bytes()].concat();
    let a = post(&c, &server.url, request_with_note(&log, 0, 5, both));
    assert_status(&a, 403);
    // A checkpoint whose body was altered after signing.
    let mut altered = good;
    let i = ORIGIN.len() + 1;
    altered[i] = b'6'; // size 5 → 6
    let a = post(&c, &server.url, request_with_note(&log, 0, 5, altered));
    assert_status(&a, 403);
    assert_eq!(recorded(&store), None);
}

#[test]
fn unknown_signatures_are_ignored() {
    let log = Log::new(ORIGIN, 1, 5);
    let (server, _store) = setup(&log);
    let body = log.body(5);
    // Another witness's cosignature, a signature by an unknown log key with the same name, and a
    // garbage signature by an unknown name, before and after the log's own.
    let other_witness = Cosigner::new(
        "other.witness/w",
        ed25519_dalek::SigningKey::from_bytes(&[5; 32]),
    )
    .unwrap();
    let stranger = Log::new(ORIGIN, 33, 5).checkpoint(5);
    let stranger_line = String::from_utf8(stranger)
        .unwrap()
        .trim_end()
        .rsplit_once('\n')
        .unwrap()
        .1
        .to_string();
    let own = log.checkpoint(5);
    let own_line = String::from_utf8(own.clone())
        .unwrap()
        .trim_end()
        .rsplit_once('\n')
        .unwrap()
        .1
        .to_string();
    let note = format!(
        "{}\n{stranger_line}\n\u{2014} nobody.example AAAAAAAAAA==\n{own_line}\n{}\n",
        String::from_utf8(body.clone()).unwrap(),
        other_witness.cosign(&body, 12345),
    );
    let a = post(
        &client(),
        &server.url,
        request_with_note(&log, 0, 5, note.into_bytes()),
    );
    assert_status(&a, 200);
}

#[test]
fn old_beyond_the_checkpoint_size_is_400() {
    let log = Log::new(ORIGIN, 1, 10);
    let (server, store) = setup(&log);
    let c = client();
    assert_status(&post(&c, &server.url, log.request(0, 5)), 200);
    let req = truce_log::witness::AddCheckpoint {
        old: 6,
        proof: vec![Hash([1; 32])],
        checkpoint: log.checkpoint(5),
    }
    .encode();
    let a = post(&c, &server.url, req);
    assert_status(&a, 400);
    assert!(a.body.contains("larger than the checkpoint size"), "{a:?}");
    assert_eq!(recorded(&store), Some(5));
}

#[test]
fn malformed_bodies_are_400_and_name_the_line() {
    let log = Log::new(ORIGIN, 1, 10);
    let (server, store) = setup(&log);
    let c = client();
    let cp = String::from_utf8(log.checkpoint(10)).unwrap();
    let h = Hash([3; 32]);
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "line 1"),
        (format!("old x\n\n{cp}"), "line 1"),
        (format!("old 01\n\n{cp}"), "line 1"),
        (format!("old 1\n{h}\nnot a hash\n\n{cp}"), "line 3"),
        ("old 0\n\n".to_string(), "line 3"),
        (format!("old 0\n{cp}"), "line 2"),
        // The checkpoint itself: no signatures, bad size, bad root.
        (
            format!("old 0\n\n{ORIGIN}\n10\n{}\n", log.root(10)),
            "line 3",
        ),
        (
            format!("old 0\n\n{}", cp.replacen("\n10\n", "\n010\n", 1)),
            "line 4",
        ),
        (
            format!(
                "old 0\n{h}\n\n{}",
                cp.replacen(&log.root(10).to_string(), "bm90IGEgaGFzaA==", 1)
            ),
            "",
        ),
    ];
    for (body, line) in cases {
        let a = post(&c, &server.url, body.clone().into_bytes());
        assert_status(&a, 400);
        assert!(a.body.contains(line), "{body:?} → {a:?}, expected {line}");
    }
    // Not UTF-8.
    assert_status(&post(&c, &server.url, b"old 0\n\n\xff\xfe\n".to_vec()), 400);
    // A proof where none can be (old size 0) is a proof that does not verify: 422.
    assert_status(
        &post(&c, &server.url, format!("old 0\n{h}\n\n{cp}").into_bytes()),
        422,
    );
    assert_eq!(recorded(&store), None);
}

#[test]
fn the_root_line_is_named_when_it_is_not_a_hash() {
    let log = Log::new(ORIGIN, 1, 10);
    let (server, _) = setup(&log);
    let cp = String::from_utf8(log.checkpoint(10)).unwrap();
    let body = format!(
        "old 0\n\n{}",
        cp.replacen(&log.root(10).to_string(), "bm90IGEgaGFzaA==", 1)
    );
    let a = post(&client(), &server.url, body.into_bytes());
    assert_status(&a, 400);
    assert!(a.body.contains("line 5"), "{a:?}");
}

#[test]
fn sixty_four_proof_lines_are_400_and_sixty_three_are_parsed() {
    let log = Log::new(ORIGIN, 1, 10);
    let (server, store) = setup(&log);
    let c = client();
    assert_status(&post(&c, &server.url, log.request(0, 5)), 200);
    let with = |n: usize| {
        truce_log::witness::AddCheckpoint {
            old: 5,
            proof: vec![Hash([9; 32]); n],
            checkpoint: log.checkpoint(10),
        }
        .encode()
    };
    let a = post(&c, &server.url, with(64));
    assert_status(&a, 400);
    assert!(a.body.contains("line 65"), "{a:?}");
    // 63 lines are well formed; they just do not prove anything.
    assert_status(&post(&c, &server.url, with(63)), 422);
    assert_eq!(recorded(&store), Some(5));
}

#[test]
fn a_stale_old_size_is_409_with_the_recorded_size() {
    let log = Log::new(ORIGIN, 1, 20);
    let (server, store) = setup(&log);
    let c = client();
    assert_status(&post(&c, &server.url, log.request(0, 10)), 200);
    assert_conflict(&post(&c, &server.url, log.request(0, 20)), 10);
    assert_conflict(&post(&c, &server.url, log.request(5, 20)), 10);
    assert_conflict(&post(&c, &server.url, log.request(12, 20)), 10);
    assert_status(&post(&c, &server.url, log.request(10, 20)), 200);
    assert_conflict(&post(&c, &server.url, log.request(10, 20)), 20);
    assert_eq!(recorded(&store), Some(20));
}

#[test]
fn the_same_checkpoint_again_is_cosigned_again() {
    let log = Log::new(ORIGIN, 1, 10);
    let (server, store) = setup(&log);
    let c = client();
    assert_status(&post(&c, &server.url, log.request(0, 10)), 200);
    assert_status(&post(&c, &server.url, log.request(10, 10)), 200);
    // At equal sizes a proof must be empty.
    let req = truce_log::witness::AddCheckpoint {
        old: 10,
        proof: vec![Hash([1; 32])],
        checkpoint: log.checkpoint(10),
    }
    .encode();
    assert_status(&post(&c, &server.url, req), 422);
    assert_eq!(recorded(&store), Some(10));
}

#[test]
fn a_forked_log_is_refused() {
    let log = Log::new(ORIGIN, 1, 30);
    let fork = log.fork(5, 30);
    let (server, store) = setup(&log);
    let c = client();
    assert_status(&post(&c, &server.url, log.request(0, 10)), 200);
    // Two different checkpoints of the same size: 409.
    assert_ne!(fork.root(10), log.root(10));
    assert_conflict(&post(&c, &server.url, fork.request(10, 10)), 10);
    // A checkpoint of the fork, with the fork's own (valid for it) proof from 10: 422.
    let a = post(&c, &server.url, fork.request(10, 20));
    assert_status(&a, 422);
    assert!(a.body.contains("not consistent"), "{a:?}");
    // The fork's proof from 4 (before the fork point) is fine for the fork but the witness is
    // at 10: 409.
    assert_conflict(&post(&c, &server.url, fork.request(4, 20)), 10);
    // A proof of the real log to another size does not fit either.
    let req = truce_log::witness::AddCheckpoint {
        old: 10,
        proof: log.proof(10, 25),
        checkpoint: log.checkpoint(20),
    }
    .encode();
    assert_status(&post(&c, &server.url, req), 422);
    assert_eq!(
        store.latest(ORIGIN).unwrap().unwrap().root,
        log.root(10),
        "the fork never entered the state"
    );
    // The real log goes on.
    assert_status(&post(&c, &server.url, log.request(10, 30)), 200);
}

#[test]
fn a_store_failure_is_503_and_cosigns_nothing() {
    let log = Log::new(ORIGIN, 1, 30);
    let (server, store) = setup(&log);
    let c = client();
    assert_status(&post(&c, &server.url, log.request(0, 10)), 200);
    store.set_faults(MemFaults {
        fail_writes: true,
        ..Default::default()
    });
    let a = post(&c, &server.url, log.request(10, 20));
    assert_status(&a, 503);
    assert!(!a.body.contains('\u{2014}'), "no cosignature: {a:?}");
    assert_eq!(recorded(&store), Some(10));
    store.set_faults(MemFaults {
        fail_reads: true,
        ..Default::default()
    });
    assert_status(&post(&c, &server.url, log.request(10, 20)), 503);
    // A lost acknowledgement: the state moved forward but nothing was answered; the log learns
    // the new size from the next 409.
    store.set_faults(MemFaults {
        lose_ack: true,
        ..Default::default()
    });
    assert_status(&post(&c, &server.url, log.request(10, 20)), 503);
    store.set_faults(MemFaults::default());
    assert_eq!(recorded(&store), Some(20));
    assert_conflict(&post(&c, &server.url, log.request(10, 30)), 20);
    assert_status(&post(&c, &server.url, log.request(20, 30)), 200);
}

#[test]
fn health_unknown_paths_and_oversized_bodies() {
    let log = Log::new(ORIGIN, 1, 3);
    let (server, _) = setup(&log);
    let c = client();
    let r = c.get(format!("{}/healthz", server.url)).send().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().unwrap(), "ok\n");
    let r = c.get(format!("{}/nothing", server.url)).send().unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = c
        .get(format!("{}/add-checkpoint", server.url))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let big = vec![b'a'; truce_witness::http::MAX_BODY_BYTES + 1];
    let a = post(&c, &server.url, big);
    assert_eq!(a.status, 413, "{a:?}");
}

//! Interoperability of checkpoints, notes and proof files: the C2SP signed-note spec example
//! verifies with our code; our checkpoints verify with `signed_note`'s own verifier; tlog-proof
//! files round-trip and fail when any part is altered.

use signed_note::{Note, StandardVerifier, VerifierList};
use truce_log::*;

const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

#[test]
fn the_signed_note_spec_example_verifies() {
    let v = parse_verifier(SPEC_VKEY).unwrap();
    let note = Note::from_bytes(SPEC_NOTE.as_bytes()).unwrap();
    let (ok, unknown) = note.verify(&VerifierList::new(vec![Box::new(v)])).unwrap();
    assert_eq!(ok.len(), 1);
    assert!(unknown.is_empty());
    assert_eq!(note.text(), b"This is an example message.\n");
    // One changed byte of the text and it no longer verifies.
    let tampered = SPEC_NOTE.replace("example message", "example massage");
    let note = Note::from_bytes(tampered.as_bytes()).unwrap();
    let v = parse_verifier(SPEC_VKEY).unwrap();
    assert!(note.verify(&VerifierList::new(vec![Box::new(v)])).is_err());
}

fn rng() -> rand_core::OsRng {
    rand_core::OsRng
}

#[test]
fn our_checkpoints_verify_with_signed_note_and_ignore_unknown_signatures() {
    let keys = generate_key(&mut rng(), "truce.example/log").unwrap();
    let signer = parse_signer(&keys.signer).unwrap();
    assert_eq!(verifier_from_signer(&keys.signer).unwrap(), keys.verifier);
    // Seeded keys are valid signed-note keys, and deterministic.
    let a = key_from_seed("demo", [7; 32]).unwrap();
    assert_eq!(a.signer, key_from_seed("demo", [7; 32]).unwrap().signer);
    assert_eq!(verifier_from_signer(&a.signer).unwrap(), a.verifier);
    parse_signer(&a.signer).unwrap();
    // Base64 key material often contains '+': derivation must not split on it.
    for _ in 0..64 {
        let k = generate_key(&mut rng(), "k.example").unwrap();
        assert_eq!(verifier_from_signer(&k.signer).unwrap(), k.verifier);
    }
    let mut edge = Edge::empty();
    edge.append([&b"one"[..], b"two", b"three"]).unwrap();
    let cp = sign_checkpoint(&signer, "truce.example/log", edge.size(), edge.root()).unwrap();
    let text = cp.note_text();
    assert!(text.starts_with(&format!(
        "truce.example/log\n3\n{}\n\n\u{2014} truce.example/log ",
        edge.root()
    )));

    // signed_note's own verifier accepts it.
    let v = StandardVerifier::new(&keys.verifier).unwrap();
    let note = Note::from_bytes(&cp.note).unwrap();
    note.verify(&VerifierList::new(vec![Box::new(v.clone())]))
        .unwrap();
    assert_eq!(open_checkpoint(&cp.note, &v).unwrap(), cp);

    // An extra signature by an unknown key is ignored.
    let other = generate_key(&mut rng(), "witness.example").unwrap();
    let mut note = Note::from_bytes(&cp.note).unwrap();
    note.add_sigs(&[&parse_signer(&other.signer).unwrap()])
        .unwrap();
    assert_eq!(open_checkpoint(&note.to_bytes(), &v).unwrap().size, 3);

    // The wrong key, a changed size, a changed signature: each refused with a clear reason.
    let wrong = parse_verifier(&other.verifier).unwrap();
    let err = open_checkpoint(&cp.note, &wrong).unwrap_err().to_string();
    assert!(err.contains("no signature by the log key"), "{err}");
    let changed = text.replacen("\n3\n", "\n4\n", 1);
    let err = open_checkpoint(changed.as_bytes(), &v)
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not verify"), "{err}");
}

#[test]
fn origins_and_key_names_are_validated() {
    for bad in ["", "https://x.example/log", "has space", "a+b"] {
        assert!(validate_origin(bad).is_err(), "{bad:?}");
    }
    validate_origin("truce.example/energy-2025").unwrap();
    assert!(generate_key(&mut rng(), "bad name").is_err());
    let keys = generate_key(&mut rng(), "a.example").unwrap();
    let signer = parse_signer(&keys.signer).unwrap();
    assert!(sign_checkpoint(&signer, "b.example", 0, EMPTY_HASH).is_err());
    assert!(parse_signer(&keys.verifier).is_err());
    assert!(parse_verifier(&keys.signer).is_err());
}

#[test]
fn tlog_proof_files_round_trip_and_detect_tampering() {
    let keys = generate_key(&mut rng(), "truce.example/log").unwrap();
    let signer = parse_signer(&keys.signer).unwrap();
    let v = parse_verifier(&keys.verifier).unwrap();
    let entries: Vec<Vec<u8>> = (0..300u32).map(|i| format!("e{i}").into_bytes()).collect();
    let mut edge = Edge::empty();
    let mut tiles = std::collections::HashMap::new();
    let up = edge.append(entries.iter().map(Vec::as_slice)).unwrap();
    for t in up.tiles {
        tiles.insert((t.level, t.n), t.data);
    }
    struct M(std::collections::HashMap<(u8, u64), Vec<u8>>);
    impl TileSource for M {
        fn tile(&self, l: u8, n: u64) -> Result<Option<Vec<u8>>, LogError> {
            Ok(self.0.get(&(l, n)).cloned())
        }
    }
    let m = M(tiles);
    let cp = sign_checkpoint(&signer, "truce.example/log", 300, edge.root()).unwrap();
    let proof = TlogProof {
        extra: Some(b"hello".to_vec()),
        index: 257,
        hashes: prove_inclusion(&m, None, 257, 300).unwrap(),
        checkpoint: cp.note.clone(),
    };
    let text = proof.encode();
    let s = String::from_utf8(text.clone()).unwrap();
    assert!(s.starts_with("c2sp.org/tlog-proof@v1\nextra aGVsbG8=\nindex 257\n"));
    let parsed = TlogProof::parse(&text).unwrap();
    assert_eq!(parsed, proof);
    assert_eq!(parsed.verify(b"e257", &v).unwrap().size, 300);
    assert!(parsed.verify(b"e258", &v).is_err());
    let mut p2 = parsed.clone();
    p2.index = 256;
    assert!(p2.verify(b"e257", &v).is_err());
    // Malformed files name the line.
    let err = TlogProof::parse(s.replace("index 257", "index 0257").as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 3"), "{err}");
    assert!(TlogProof::parse(b"c2sp.org/tlog-proof@v2\nindex 1\n\nx").is_err());
    let no_extra = TlogProof {
        extra: None,
        ..proof
    };
    assert_eq!(TlogProof::parse(&no_extra.encode()).unwrap(), no_extra);
}

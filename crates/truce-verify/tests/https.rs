//! `HttpSource` over HTTPS: a mirror served by a local HTTPS file server whose certificate a CA
//! made in the test issued verifies when that CA is given (`--ca-cert`), and fails with the
//! reason in words when it is not, when another CA is given, when the certificate is for another
//! name, and when the server speaks plain HTTP; an unusable CA file is the verifier's input error.

mod common;
use common::{log_key, signed};
use std::path::{Path, PathBuf};
use truce_model::domain::{PartyRegistration, Role};
use truce_model::entry::Body;
use truce_model::{Id, Time};
use truce_store::export::export_tiles;
use truce_store::memory::MemStorage;
use truce_store::Sequencer;
use truce_tls::testing::{HttpsServer, TestCa};
use truce_verify::{verify, HttpSource, Options, Report, Status, Trust, VerifyError};

const ORIGIN: &str = "https.test.example/log";

/// A small log (the operator registered, then opaque entries) exported to `dir`.
fn mirror(dir: &Path) {
    let k = log_key(ORIGIN);
    let mut seq = Sequencer::create(MemStorage::new(), ORIGIN, &k.signer).unwrap();
    let op = signed(
        "operator",
        Time::parse("2025-03-18T00:00:00Z").unwrap(),
        &Body::PartyRegister(PartyRegistration {
            id: Id::new("operator").unwrap(),
            name: "OPERATOR".into(),
            role: Role::Operator,
            keys: vec![common::party_key("operator").verifier],
        }),
    );
    let mut entries = vec![op];
    entries.extend((0..300).map(|i| format!("raw entry {i}").into_bytes()));
    let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    seq.append(&refs).unwrap();
    export_tiles(seq.reader().storage(), dir, |_, _| {}).unwrap();
}

fn run(url: &str, ca_certs: &[PathBuf]) -> Result<Report, VerifyError> {
    let source = HttpSource::with_ca_certs(url, None, ca_certs)?;
    let o = Options {
        trust: Trust::LogKey(log_key(ORIGIN).verifier),
        state: None,
        replay: true,
        progress: None,
    };
    verify(&source, &o)
}

/// The reason a verification could not reach its source.
fn unreachable(r: Result<Report, VerifyError>) -> String {
    match r {
        Err(VerifyError::Unreachable { what, why }) => {
            assert!(what.ends_with("/checkpoint"), "{what}");
            why
        }
        other => panic!("expected an unreachable source, got {other:?}"),
    }
}

#[test]
fn a_mirror_over_https_verifies_with_its_ca_and_fails_in_words_without() {
    let t = tempfile::tempdir().unwrap();
    let m = t.path().join("m");
    mirror(&m);
    let ca = TestCa::new("Truce test CA");
    let ca_pem = t.path().join("ca.pem");
    std::fs::write(&ca_pem, ca.pem()).unwrap();
    let srv = HttpsServer::dir(&m, &ca.server_cert(&["localhost", "127.0.0.1"]));

    // With the CA: by address and by name, every check passes.
    let r = run(&srv.url(), std::slice::from_ref(&ca_pem)).unwrap();
    assert!(r.ok, "{}", r.to_text());
    let tree = r.checks.iter().find(|c| c.name == "tree").unwrap();
    assert_eq!(tree.status, Status::Ok, "{}", r.to_text());
    let by_name = format!("https://localhost:{}", srv.addr.port());
    assert!(run(&by_name, std::slice::from_ref(&ca_pem)).unwrap().ok);

    // A file holding several certificates: any of them may be the issuer.
    let other = TestCa::new("Another CA");
    let bundle = t.path().join("bundle.pem");
    std::fs::write(&bundle, format!("{}{}", other.pem(), ca.pem())).unwrap();
    assert!(run(&srv.url(), &[bundle]).unwrap().ok);

    // Without it, or with another CA: an unknown issuer, and how to trust the right one.
    let why = unreachable(run(&srv.url(), &[]));
    assert!(
        why.contains("TLS") && why.contains("unknown issuer") && why.contains("--ca-cert FILE"),
        "{why}"
    );
    let other_pem = t.path().join("other.pem");
    std::fs::write(&other_pem, other.pem()).unwrap();
    let why = unreachable(run(&srv.url(), &[other_pem]));
    assert!(why.contains("unknown issuer"), "{why}");

    // A certificate of the right CA for another name.
    let wrong = HttpsServer::dir(&m, &ca.server_cert(&["log.other.example"]));
    let why = unreachable(run(&wrong.url(), std::slice::from_ref(&ca_pem)));
    assert!(
        why.contains("not valid for the host name 127.0.0.1 (it is for log.other.example)")
            && why.contains("log.other.example"),
        "{why}"
    );
}

#[test]
fn a_plain_http_server_asked_for_https_is_named() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut s in l.incoming().flatten() {
            let mut b = [0u8; 1024];
            let _ = s.read(&mut b);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let why = unreachable(run(&format!("https://{addr}"), &[]));
    assert!(why.contains("did not answer in TLS"), "{why}");
}

#[test]
fn an_unusable_ca_file_is_an_input_error_naming_it() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("missing.pem");
    let e = HttpSource::with_ca_certs("https://127.0.0.1:9", None, &[missing]).unwrap_err();
    assert!(e.is_input(), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("CA certificate file") && msg.contains("missing.pem"),
        "{msg}"
    );
    let key_only = t.path().join("key.pem");
    std::fs::write(
        &key_only,
        TestCa::new("x").server_cert(&["localhost"]).key_pem,
    )
    .unwrap();
    let e = HttpSource::with_ca_certs("https://127.0.0.1:9", None, &[key_only]).unwrap_err();
    assert!(e.is_input());
    assert!(e.to_string().contains("no certificate in it"), "{e}");
}

//! `truce verify` over HTTPS, with a CA and server certificates made in the test: the demo served
//! by `truce serve` behind a TLS-terminating proxy, and its mirror from `truce log export-tiles`
//! behind a static HTTPS file server, verify with `--ca-cert`; without it, or with another CA,
//! the TLS failure is said in words with exit code 3; an unusable CA file is bad input (2), for
//! `truce verify --ca-cert` and for `truce serve`'s `witness_ca_cert`.

mod common;
use common::{check, demo, fails, serve, stdout, truce};
use serde_json::Value;
use std::path::Path;
use truce_tls::testing::{HttpsServer, TestCa};

fn verify(p: &Path, url: &str, extra: &[&str]) -> assert_cmd::Command {
    let mut c = truce(p);
    c.args([
        "-q",
        "verify",
        url,
        "--log-key",
        "d/log.vkey",
        "--state",
        "s.json",
    ])
    .args(extra);
    c
}

fn all_ok(p: &Path, url: &str, extra: &[&str]) -> Value {
    let o = verify(p, url, extra).arg("--json").output().unwrap();
    let r: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    assert!(
        o.status.success(),
        "{r} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    for name in [
        "checkpoint",
        "tree",
        "consistency",
        "signatures",
        "findings",
        "compliance",
    ] {
        assert_eq!(check(&r, name)["status"], "ok", "{name}: {r}");
    }
    r
}

#[test]
fn the_demo_over_https_verifies_with_its_ca_and_tls_failures_are_said() {
    let t = demo();
    let p = t.path();
    let ca = TestCa::new("Truce test CA");
    std::fs::write(p.join("ca.pem"), ca.pem()).unwrap();
    let cert = ca.server_cert(&["localhost", "127.0.0.1"]);

    // `truce serve` behind HTTPS: the server's endpoints, findings and compliance.
    let s = serve(&p.join("d"));
    let tls = HttpsServer::proxy(s.addr.parse().unwrap(), &cert);
    let r = all_ok(p, &tls.url(), &["--ca-cert", "ca.pem"]);
    assert!(check(&r, "findings")["details"][0]
        .as_str()
        .unwrap()
        .contains("/v1/findings"));

    // No --ca-cert: the platform's roots do not know the test CA.
    let err = fails(&mut verify(p, &tls.url(), &[]), 3);
    assert!(
        err.contains(&format!("{}/checkpoint", tls.url()))
            && err.contains("unknown issuer")
            && err.contains("--ca-cert FILE"),
        "{err}"
    );
    // Another CA.
    std::fs::write(p.join("other.pem"), TestCa::new("Another CA").pem()).unwrap();
    let err = fails(&mut verify(p, &tls.url(), &["--ca-cert", "other.pem"]), 3);
    assert!(err.contains("unknown issuer"), "{err}");
    // The right CA, a certificate for another name.
    let wrong = HttpsServer::proxy(
        s.addr.parse().unwrap(),
        &ca.server_cert(&["log.other.example"]),
    );
    let err = fails(&mut verify(p, &wrong.url(), &["--ca-cert", "ca.pem"]), 3);
    assert!(
        err.contains("not valid for the host name 127.0.0.1 (it is for log.other.example)")
            && err.contains("log.other.example"),
        "{err}"
    );

    // An unusable CA file is bad input, naming the file and what is wrong.
    let err = fails(&mut verify(p, &tls.url(), &["--ca-cert", "nope.pem"]), 2);
    assert!(
        err.contains("CA certificate file nope.pem") && err.contains("No such file"),
        "{err}"
    );
    std::fs::write(p.join("key.pem"), cert.key_pem.as_str()).unwrap();
    let err = fails(&mut verify(p, &tls.url(), &["--ca-cert", "key.pem"]), 2);
    assert!(
        err.contains("key.pem") && err.contains("no certificate in it"),
        "{err}"
    );

    // The mirror behind a static HTTPS file server (findings.json, compliance.json).
    stdout(truce(p).args(["-q", "--dir", "d", "log", "export-tiles", "m"]));
    let mirror = HttpsServer::dir(&p.join("m"), &cert);
    let r = all_ok(p, &mirror.url(), &["--ca-cert", "ca.pem"]);
    assert!(check(&r, "findings")["details"][0]
        .as_str()
        .unwrap()
        .contains("findings.json"));
    assert!(check(&r, "consistency")["message"]
        .as_str()
        .unwrap()
        .contains("same checkpoint"));
}

#[test]
fn truce_serve_refuses_an_unusable_witness_ca_file_as_bad_input() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    std::fs::write(p.join("serve.toml"), "witness_ca_cert = \"nope.pem\"\n").unwrap();
    let err = fails(
        truce(p).args(["--dir", "d", "serve", "--config", "serve.toml"]),
        2,
    );
    assert!(
        err.contains("witness_ca_cert: CA certificate file nope.pem")
            && err.contains("No such file"),
        "{err}"
    );
    std::fs::write(p.join("junk.pem"), "junk\n").unwrap();
    let err = fails(
        truce(p)
            .env("TRUCE_WITNESS_CA_CERT", "junk.pem")
            .args(["--dir", "d", "serve"]),
        2,
    );
    assert!(
        err.contains("junk.pem") && err.contains("no certificate"),
        "{err}"
    );
}

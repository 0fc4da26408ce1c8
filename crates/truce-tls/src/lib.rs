//! HTTPS for Truce's clients (`truce verify`, the server's witnessing client): reqwest with
//! rustls on ring trusts the platform's CA roots (read by `rustls-native-certs`: the system
//! store, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set), plus the CA certificates of PEM files
//! given here ([`read_ca_file`]); and a failed request is said in words ([`describe`]), a TLS
//! failure naming what was wrong with the server's certificate and how to trust its CA.
//!
//! Every answer is read within a cap ([`read_capped`], [`read_capped_blocking`]): a hostile
//! server streaming without end costs the client at most the cap, and the error names the URL
//! and the limit it exceeded.
//!
//! With the `testing` feature, [`testing`] makes a CA and server certificates and serves any
//! local HTTP server over HTTPS, for tests.

#![warn(missing_docs)]

use std::error::Error as StdError;
use std::path::{Path, PathBuf};

pub use reqwest::Certificate;

#[cfg(feature = "testing")]
pub mod testing;

/// A CA certificate file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("CA certificate file {}: {why}", path.display())]
pub struct CaFileError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub why: String,
}

/// Reads the CA certificates of a PEM file (one or more `-----BEGIN CERTIFICATE-----` blocks;
/// anything else in the file is ignored), each checked to be a certificate rustls can trust.
pub fn read_ca_file(path: &Path) -> Result<Vec<Certificate>, CaFileError> {
    let bad = |why: String| CaFileError {
        path: path.to_path_buf(),
        why,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    parse_ca_pem(&pem).map_err(bad)
}

/// [`read_ca_file`] of each file, all certificates together.
pub fn read_ca_files(paths: &[PathBuf]) -> Result<Vec<Certificate>, CaFileError> {
    let mut all = Vec::new();
    for p in paths {
        all.extend(read_ca_file(p)?);
    }
    Ok(all)
}

/// The CA certificates of a PEM text (see [`read_ca_file`]); the error says what is wrong.
pub fn parse_ca_pem(pem: &[u8]) -> Result<Vec<Certificate>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut certs = Vec::new();
    for (k, item) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let der = item.map_err(|e| format!("certificate {} is not valid PEM: {e}", k + 1))?;
        // The check rustls makes of a root when the client is built, here with its place.
        rustls::RootCertStore::empty()
            .add(der.clone())
            .map_err(|e| {
                format!(
                    "certificate {} is not a usable X.509 certificate: {e}",
                    k + 1
                )
            })?;
        certs.push(
            Certificate::from_der(der.as_ref())
                .map_err(|e| format!("certificate {}: {e}", k + 1))?,
        );
    }
    if certs.is_empty() {
        return Err("no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

/// An answer that could not be read within its bounds.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The answer is larger than the most the thing asked for can be: reading stopped there.
    #[error(
        "{url}: the answer is larger than {limit} bytes, the most {what} can be{declared}; stopped reading it (is this the right server?)",
        declared = declared.map(|d| format!(" (it declares {d} bytes)")).unwrap_or_default()
    )]
    TooLarge {
        /// The URL.
        url: String,
        /// What was asked for, e.g. "a checkpoint".
        what: String,
        /// The cap, bytes.
        limit: u64,
        /// The `Content-Length` the server declared, when that alone exceeded the cap.
        declared: Option<u64>,
    },
    /// The connection failed or timed out while reading the answer.
    #[error("{url}: reading the answer: {why}")]
    Read {
        /// The URL.
        url: String,
        /// What went wrong.
        why: String,
    },
}

fn too_large(resp_url: &reqwest::Url, what: &str, limit: u64, declared: Option<u64>) -> BodyError {
    BodyError::TooLarge {
        url: resp_url.to_string(),
        what: what.to_string(),
        limit,
        declared,
    }
}

/// Reads the body of `resp`, at most `limit` bytes, incrementally: a declared `Content-Length`
/// over the cap is refused before reading, and an answer that streams past it is dropped at the
/// cap (memory held: at most `limit` plus one chunk). `what` names what was asked for in the
/// error ("a checkpoint", "a tile").
pub async fn read_capped(
    mut resp: reqwest::Response,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, BodyError> {
    let url = resp.url().clone();
    if let Some(n) = resp.content_length().filter(|n| *n > limit) {
        return Err(too_large(&url, what, limit, Some(n)));
    }
    let mut body = Vec::new();
    loop {
        let chunk = resp.chunk().await.map_err(|e| BodyError::Read {
            url: url.to_string(),
            why: describe(&e, "a CA file"),
        })?;
        let Some(chunk) = chunk else {
            return Ok(body);
        };
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_large(&url, what, limit, None));
        }
        body.extend_from_slice(&chunk);
    }
}

/// [`read_capped`] for a blocking response.
pub fn read_capped_blocking(
    resp: reqwest::blocking::Response,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, BodyError> {
    use std::io::Read;
    let url = resp.url().clone();
    if let Some(n) = resp.content_length().filter(|n| *n > limit) {
        return Err(too_large(&url, what, limit, Some(n)));
    }
    let mut body = Vec::new();
    resp.take(limit.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| BodyError::Read {
            url: url.to_string(),
            why: describe(&e, "a CA file"),
        })?;
    if body.len() as u64 > limit {
        return Err(too_large(&url, what, limit, None));
    }
    Ok(body)
}

/// An error and its causes, joined by `: `.
pub fn chain(e: &(dyn StdError + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.ends_with(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// The rustls error in `e` or its causes (also inside an `io::Error`), if any.
fn find_rustls<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(c) = cur {
        if let Some(r) = c.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(inner) = c
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if let Some(r) = find_rustls(inner) {
                return Some(r);
            }
        }
        cur = c.source();
    }
    None
}

/// If `e` is a TLS failure, what went wrong, in words; `ca_hint` says how this client is given
/// a CA to trust (e.g. `--ca-cert FILE`), for a certificate from an unknown authority.
pub fn tls_failure(e: &(dyn StdError + 'static), ca_hint: &str) -> Option<String> {
    use rustls::CertificateError as C;
    let r = find_rustls(e)?;
    let unknown_ca =
        format!("if a private CA issued it, give that CA's certificate (PEM) with {ca_hint}");
    let what = match r {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => format!(
                "the server's certificate is not issued by a certificate authority this client trusts (unknown issuer); {unknown_ca}"
            ),
            C::BadSignature => format!(
                "the server's certificate chain has a bad signature (not issued by the CA it names); {unknown_ca}"
            ),
            C::NotValidForNameContext { expected, presented } => format!(
                "the server's certificate is not valid for the host name {} (it is for {}): use a URL with a name the certificate holds",
                expected.to_str(),
                presented.iter().map(|n| san(n)).collect::<Vec<_>>().join(", ")
            ),
            C::NotValidForName => "the server's certificate is not valid for this host name: use a URL with a name the certificate holds".into(),
            C::Expired | C::ExpiredContext { .. } => {
                "the server's certificate has expired (or this machine's clock is wrong)".into()
            }
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet (or this machine's clock is wrong)"
                    .into()
            }
            C::Revoked => "the server's certificate is revoked".into(),
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                "the server's certificate is not for TLS server authentication".into()
            }
            _ => format!("the server's certificate is refused ({r})"),
        },
        rustls::Error::InvalidMessage(_) => {
            format!("the server did not answer in TLS: is it plain HTTP? then use http:// ({r})")
        }
        rustls::Error::AlertReceived(a) => format!("the server refused the handshake ({a:?})"),
        other => other.to_string(),
    };
    Some(format!("TLS: {what}"))
}

/// `DnsName("a.example")` (how rustls lists a certificate's names) as `a.example`.
fn san(presented: &str) -> &str {
    presented
        .split_once("(\"")
        .and_then(|(_, rest)| rest.strip_suffix("\")"))
        .unwrap_or(presented)
}

/// A failed request in words: a TLS failure as [`tls_failure`] says it, anything else as the
/// error and its causes.
pub fn describe(e: &(dyn StdError + 'static), ca_hint: &str) -> String {
    tls_failure(e, ca_hint).unwrap_or_else(|| chain(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_empty_and_garbled_files_are_named_with_what_is_wrong() {
        let t = tempfile::tempdir().unwrap();
        let missing = t.path().join("nope.pem");
        let e = read_ca_file(&missing).unwrap_err().to_string();
        assert!(e.contains("nope.pem") && e.contains("No such file"), "{e}");

        let empty = t.path().join("empty.pem");
        std::fs::write(&empty, "just text\n").unwrap();
        let e = read_ca_file(&empty).unwrap_err().to_string();
        assert!(
            e.contains("empty.pem") && e.contains("no certificate in it"),
            "{e}"
        );

        let garbled = t.path().join("garbled.pem");
        std::fs::write(
            &garbled,
            "-----BEGIN CERTIFICATE-----\nMIIB!!!notbase64\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = read_ca_file(&garbled).unwrap_err().to_string();
        assert!(
            e.contains("garbled.pem") && e.contains("certificate 1 is not valid PEM"),
            "{e}"
        );

        let not_x509 = t.path().join("not-x509.pem");
        std::fs::write(
            &not_x509,
            "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = read_ca_file(&not_x509).unwrap_err().to_string();
        assert!(
            e.contains("not-x509.pem") && e.contains("certificate 1 is not a usable X.509"),
            "{e}"
        );
    }

    #[test]
    fn chain_skips_a_cause_its_parent_already_says() {
        let io = std::io::Error::other("connection refused");
        assert_eq!(chain(&io), "connection refused");
        assert!(tls_failure(&io, "--ca-cert FILE").is_none());
        let tls = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let t = tls_failure(&tls, "--ca-cert FILE").unwrap();
        assert!(
            t.contains("unknown issuer") && t.contains("--ca-cert FILE"),
            "{t}"
        );
    }
}

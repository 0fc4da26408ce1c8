//! For tests of HTTPS clients: a CA made on the spot ([`TestCa`]), server certificates it issues
//! ([`ServerCert`]), and an HTTPS server with such a certificate ([`HttpsServer`]): a
//! TLS-terminating proxy in front of a local plain-HTTP server (a `truce serve`, a witness), or
//! a static file server (a mirror from `truce log export-tiles`).

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A certificate authority made for one test.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

/// A server certificate (with its chain: the leaf only) and its private key, PEM.
#[derive(Debug, Clone)]
pub struct ServerCert {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key, PEM (PKCS#8).
    pub key_pem: String,
}

impl TestCa {
    /// A new CA named `name` (its common name), with a fresh key.
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        let pem = params.self_signed(&key).expect("CA certificate").pem();
        TestCa {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// The CA's certificate, PEM (what a client is given to trust).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A server certificate for `names` (DNS names or IP addresses, e.g. `localhost`,
    /// `127.0.0.1`), issued by this CA.
    pub fn server_cert(&self, names: &[&str]) -> ServerCert {
        let sans: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans).expect("server params");
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("server"),
        );
        params.is_ca = IsCa::NoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("server key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("server certificate");
        ServerCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// What an [`HttpsServer`] does with each connection once its TLS is ended.
#[derive(Debug, Clone)]
enum Backend {
    /// Relays the bytes to a plain-HTTP server.
    Proxy(SocketAddr),
    /// Answers `GET`s with the files under a directory (one request per connection).
    Dir(PathBuf),
}

/// An HTTPS server on `127.0.0.1` with the certificate given: either a TLS-terminating proxy in
/// front of a local plain-HTTP server ([`HttpsServer::proxy`]) or a static file server
/// ([`HttpsServer::dir`], as a static web mirror). Runs on its own thread and runtime (so it
/// serves synchronous and asynchronous tests alike); stops when dropped.
pub struct HttpsServer {
    /// The address it listens on (`https://{addr}`).
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HttpsServer {
    /// Serves `backend` (a plain-HTTP server) over HTTPS with `cert`, on a free port.
    pub fn proxy(backend: SocketAddr, cert: &ServerCert) -> HttpsServer {
        Self::start(Backend::Proxy(backend), cert)
    }

    /// Serves the files under `dir` over HTTPS with `cert`, on a free port: `GET /a/b` is
    /// `dir/a/b` (the query string ignored), 404 if there is no such file.
    pub fn dir(dir: &Path, cert: &ServerCert) -> HttpsServer {
        Self::start(Backend::Dir(dir.to_path_buf()), cert)
    }

    fn start(backend: Backend, cert: &ServerCert) -> HttpsServer {
        use tokio_rustls::rustls;
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(cert.cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .expect("server certificate PEM");
        let key = PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes()).expect("server key PEM");
        // ring, as reqwest's client uses (rustls deprecates it for lacking post-quantum key
        // exchange; aws-lc-rs would need cmake and nasm to build).
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server certificate and key");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local address");
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let conn = tokio::select! {
                        _ = &mut stopped => break,
                        c = listener.accept() => c,
                    };
                    let Ok((tcp, _)) = conn else { continue };
                    let (acceptor, backend) = (acceptor.clone(), backend.clone());
                    tokio::spawn(async move {
                        // A client that refuses the certificate ends the handshake: nothing to do.
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        match backend {
                            Backend::Proxy(to) => {
                                if let Ok(mut up) = tokio::net::TcpStream::connect(to).await {
                                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                                }
                            }
                            Backend::Dir(dir) => {
                                let _ = serve_file(&mut tls, &dir).await;
                            }
                        }
                    });
                }
            });
        });
        HttpsServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

/// Answers one HTTP/1.1 `GET` with a file under `dir`, then closes.
async fn serve_file<S>(s: &mut S, dir: &Path) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).await?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let target = line.split_whitespace().nth(1).unwrap_or("/");
    let path = target
        .split('?')
        .next()
        .unwrap_or("")
        .trim_start_matches('/');
    let file = (!path.split('/').any(|c| c == ".." || c.is_empty()))
        .then(|| dir.join(path))
        .filter(|f| f.is_file());
    let (status, body) = match file.map(std::fs::read) {
        Some(Ok(b)) => ("200 OK", b),
        _ => ("404 Not Found", b"not found\n".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await?;
    s.write_all(&body).await?;
    s.shutdown().await
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

//! Serving HTTP/1 with bounds: the one connection loop of `truce serve` and `truce witness serve`.
//!
//! [`serve`] accepts connections on a listener and serves an axum [`Router`] on each, with:
//!
//! - a **header-read timeout** ([`Limits::header_read_timeout`], 10 s by default): a client that
//!   has not sent a request's whole head within it is disconnected (hyper answers 408 when it
//!   can). hyper starts this timer whenever it waits for a request head — on a fresh connection
//!   and after each response of a keep-alive connection — so it also bounds the wait for the
//!   next request.
//! - an **idle timeout** ([`Limits::idle_timeout`], 60 s): a connection on which no byte has been
//!   read or written for that long is asked to close (an idle keep-alive connection closes at
//!   once; a request in flight finishes first and keep-alive is off); if it is still silent one
//!   more idle timeout later (a client that does not read its response, a handler stuck), it is
//!   dropped. It should exceed the handlers' own timeout.
//! - a **connection cap** ([`Limits::max_connections`], 512): beyond it the accept loop stops
//!   accepting, so new connections wait in the kernel's listen backlog (and are served, in
//!   order, as old ones end — which the two timeouts above guarantee), never refused by us.
//! - an optional **per-request timeout** ([`Limits::request_timeout`]): a handler that has not
//!   produced its response head by then is answered 408. `truce serve` sets its own in its
//!   router (`request_timeout_s`) and passes `None`; the witness passes its `request_timeout_s`.
//! - a **header size cap** ([`Limits::max_header_bytes`], 64 KiB: 431 above).
//! - **graceful shutdown**: once the shutdown future resolves, nothing more is accepted, every
//!   connection is asked to close after its in-flight request, and [`serve`] returns when the
//!   last connection has ended (the idle timeout bounds how long a silent one can delay this).
//!
//! Every request carries `axum::extract::ConnectInfo<SocketAddr>` (the peer's address), as
//! `into_make_service_with_connect_info` would give it, for rate limits and logs.

#![warn(missing_docs)]

use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

/// The default header-read timeout, seconds.
pub const DEFAULT_HEADER_READ_TIMEOUT_S: u64 = 10;
/// The default idle timeout, seconds.
pub const DEFAULT_IDLE_TIMEOUT_S: u64 = 60;
/// The default cap on concurrent connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// The default cap on a request's head (request line and headers), bytes.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;

/// The bounds a server holds every connection to (see the crate documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to send a request's head (also the longest wait for the next
    /// request on a keep-alive connection).
    pub header_read_timeout: Duration,
    /// How long a connection may go without a byte read or written before it is asked to close
    /// (and, silent for as long again, dropped).
    pub idle_timeout: Duration,
    /// The most connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// The longest a handler may take to produce its response head (408 after), if set.
    pub request_timeout: Option<Duration>,
    /// The largest request head, bytes (431 above).
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_S),
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_S),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            request_timeout: None,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
        }
    }
}

impl Limits {
    /// The limits with zero values raised to the smallest usable ones (1 ms, one connection,
    /// 1 KiB), so a configuration can never turn a bound off by setting it to 0.
    fn usable(mut self) -> Self {
        let min = Duration::from_millis(1);
        self.header_read_timeout = self.header_read_timeout.max(min);
        self.idle_timeout = self.idle_timeout.max(min);
        self.max_connections = self
            .max_connections
            .clamp(1, Semaphore::MAX_PERMITS.min(1 << 20));
        self.request_timeout = self.request_timeout.map(|t| t.max(min));
        self.max_header_bytes = self.max_header_bytes.max(1024);
        self
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves; then accepts nothing
/// more, lets in-flight requests finish and returns once every connection has ended. Accept
/// errors (a full file table, a reset before accept) are logged and accepting goes on.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = Arc::new(limits.usable());
    let permits = limits.max_connections;
    let slots = Arc::new(Semaphore::new(permits));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        // At the cap, wait here: new connections queue in the kernel's backlog meanwhile.
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    if !is_connection_error(&e) {
                        // EMFILE and the like: wait for connections to end rather than spin.
                        tracing::error!("accepting a connection: {e}; retrying in 1 s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    continue;
                }
            },
        };
        tokio::spawn(connection(
            stream,
            peer,
            router.clone(),
            limits.clone(),
            stop_rx.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection task holds a permit until it ends: all of them back means all ended.
    let all = u32::try_from(permits).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// The answer to a request its handler did not answer within the request timeout.
fn timed_out(after: Duration) -> Response {
    (
        StatusCode::REQUEST_TIMEOUT,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "the request was not answered within {} ms; retry later\n",
            after.as_millis()
        ),
    )
        .into_response()
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Arc<Limits>,
    mut stop: watch::Receiver<bool>,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let base = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let io = TokioIo::new(Watched {
        inner: stream,
        base,
        last: last.clone(),
    });
    let request_timeout = limits.request_timeout;
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let answer = router.clone().oneshot(req);
        async move {
            let resp = match request_timeout {
                Some(t) => match tokio::time::timeout(t, answer).await {
                    Ok(r) => r,
                    Err(_) => Ok(timed_out(t)),
                },
                None => answer.await,
            };
            Ok::<Response, Infallible>(match resp {
                Ok(r) => r,
                Err(never) => match never {},
            })
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let idle = limits.idle_timeout;
    let idle_ms = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
    let mut closing = false;
    let mut asked_idle = false;
    loop {
        let deadline = base + Duration::from_millis(last.load(Ordering::Relaxed)) + idle;
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
                return;
            }
            _ = stop.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            () = tokio::time::sleep_until(deadline) => {
                let now = millis_since(base);
                if now < last.load(Ordering::Relaxed).saturating_add(idle_ms) {
                    continue; // there was traffic meanwhile
                }
                if asked_idle {
                    tracing::info!(%peer, "dropping a connection silent for twice the idle timeout ({} ms)", idle_ms);
                    return;
                }
                tracing::debug!(%peer, "closing a connection idle for {} ms", idle_ms);
                conn.as_mut().graceful_shutdown();
                closing = true;
                asked_idle = true;
                last.store(now, Ordering::Relaxed);
            }
        }
    }
}

fn millis_since(base: Instant) -> u64 {
    u64::try_from(base.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A stream that notes when a byte last moved either way (milliseconds since `base`).
struct Watched<T> {
    inner: T,
    base: Instant,
    last: Arc<AtomicU64>,
}

impl<T> Watched<T> {
    fn touch(&self) {
        self.last.store(millis_since(self.base), Ordering::Relaxed);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.touch();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.touch();
        }
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_limits_are_raised_never_turned_off() {
        let l = Limits {
            header_read_timeout: Duration::ZERO,
            idle_timeout: Duration::ZERO,
            max_connections: 0,
            request_timeout: Some(Duration::ZERO),
            max_header_bytes: 0,
        }
        .usable();
        assert_eq!(l.header_read_timeout, Duration::from_millis(1));
        assert_eq!(l.idle_timeout, Duration::from_millis(1));
        assert_eq!(l.max_connections, 1);
        assert_eq!(l.request_timeout, Some(Duration::from_millis(1)));
        assert_eq!(l.max_header_bytes, 1024);
        assert_eq!(Limits::default().usable(), Limits::default());
    }
}

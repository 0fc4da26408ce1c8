//! Exports streamed as response bodies: what `truce_views::query::export` writes goes through a
//! bounded channel into the body, at most `max_heavy_queries` at once (503 with `Retry-After`
//! beyond), a client that reads nothing for the request timeout cut off.

use super::*;
use std::time::Duration;

/// Bytes of an export handed to the connection at a time.
const CHUNK: usize = 64 * 1024;
/// Chunks produced ahead of what the connection has taken.
const CHUNKS_AHEAD: usize = 4;

/// An [`std::io::Write`] into a streamed response body: it buffers [`CHUNK`] bytes and hands
/// them to a bounded channel, waiting (on a blocking thread) while the client is slow — at most
/// `stall`, after which the export stops (a client that reads nothing holds no permit forever).
pub(crate) struct ChannelWriter {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Result<axum::body::Bytes, std::io::Error>>,
    rt: tokio::runtime::Handle,
    stall: Duration,
}

impl ChannelWriter {
    fn send(&mut self, item: Result<axum::body::Bytes, std::io::Error>) -> std::io::Result<()> {
        use std::io::{Error, ErrorKind};
        match self
            .rt
            .block_on(tokio::time::timeout(self.stall, self.tx.send(item)))
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Error::new(ErrorKind::BrokenPipe, "the client went away")),
            Err(_) => Err(Error::new(
                ErrorKind::TimedOut,
                format!("the client read nothing for {} s", self.stall.as_secs()),
            )),
        }
    }

    fn send_buffer(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.send(Ok(chunk.into()))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.send_buffer()?;
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.send_buffer()
    }
}

/// The body's chunks: the first (already received), then the channel's.
struct Chunks {
    first: Option<axum::body::Bytes>,
    rx: tokio::sync::mpsc::Receiver<Result<axum::body::Bytes, std::io::Error>>,
}

impl futures_core::Stream for Chunks {
    type Item = Result<axum::body::Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if let Some(b) = self.first.take() {
            return std::task::Poll::Ready(Some(Ok(b)));
        }
        self.rx.poll_recv(cx)
    }
}

/// A permit to stream an export, or the
/// 503 answer with `Retry-After` when `max_heavy_queries` are running.
pub(crate) fn heavy_permit(
    s: &AppState,
) -> Result<tokio::sync::OwnedSemaphorePermit, Box<Response>> {
    let v = &s.0.views;
    v.heavy.clone().try_acquire_owned().map_err(|_| {
        let mut r = ApiError::unavailable(format!(
            "{} exports are streaming, this server's limit (max_heavy_queries); retry in {} s",
            v.heavy_max, v.retry_after_s
        ))
        .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(v.retry_after_s));
        Box::new(r)
    })
}

/// Streams the document `produce` writes (on a blocking thread, holding `permit` until it is
/// done) as the response body: memory stays at [`CHUNKS_AHEAD`] chunks whatever the document's
/// size. An error before the first chunk is an error response; after it, the body is cut (the
/// client sees an incomplete document, never a complete-looking wrong one).
pub(crate) async fn stream(
    s: &AppState,
    permit: tokio::sync::OwnedSemaphorePermit,
    content_type: &'static str,
    caller: &Caller,
    attachment: Option<&str>,
    produce: impl FnOnce(&mut ChannelWriter) -> Result<(), export::ExportError> + Send + 'static,
) -> Result<Response, ApiError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    let mut w = ChannelWriter {
        buf: Vec::with_capacity(CHUNK),
        tx,
        rt: tokio::runtime::Handle::current(),
        stall: Duration::from_secs(s.0.config.request_timeout_s.max(1)),
    };
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let r = produce(&mut w);
        match r {
            Ok(()) => {
                if let Err(e) = std::io::Write::flush(&mut w) {
                    tracing::debug!("export not delivered: {e}");
                }
            }
            Err(export::ExportError::Io(e)) => tracing::debug!("export not delivered: {e}"),
            Err(e) => {
                tracing::error!("export failed: {e}");
                w.buf.clear();
                let _ = w.send(Err(std::io::Error::other(e.to_string())));
            }
        }
    });
    let first = match rx.recv().await {
        None => axum::body::Bytes::new(),
        Some(Err(e)) => return Err(ApiError::internal(e)),
        Some(Ok(b)) => b,
    };
    let mut r = axum::body::Body::from_stream(Chunks {
        first: Some(first),
        rx,
    })
    .into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(name) = attachment {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(cache(r, caller))
}

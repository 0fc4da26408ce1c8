//! Request middleware that needs no handler: a body declared too large is refused from its
//! header, and a client's request id never becomes ours.
//!
//! - [`refuse_oversized`]: a request whose `Content-Length` is above `max_body_bytes` is answered
//!   413 `too_large` — at once, before a byte of the body is read, when it declares more than
//!   [`DRAIN`] times the limit (without it, a client declaring a gigabyte and sending nothing would
//!   hold the request until the request timeout); after reading and dropping it when it is a little
//!   over (a client still sending would otherwise see its connection reset, not the answer). Bodies
//!   without a length (chunked) are still cut at the limit by axum's `DefaultBodyLimit` when read.
//! - [`client_request_id`]: every request gets an id made here (returned in `x-request-id` and
//!   logged as `id`); a client's own `x-request-id` is removed from the request and kept as
//!   [`ClientRequestId`] — printable ASCII, at most [`CLIENT_ID_MAX`] characters — which the
//!   request's log span shows as a separate `client_id` field. A client can then neither forge our
//!   ids nor write control characters or megabytes into the log.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The longest client request id logged, characters.
pub const CLIENT_ID_MAX: usize = 64;

/// A client's `x-request-id`, sanitised: printable ASCII (other bytes become `?`), at most
/// [`CLIENT_ID_MAX`] characters (longer ones cut, ending in `…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequestId(pub String);

impl ClientRequestId {
    /// Sanitises the bytes of a header value.
    pub fn sanitise(raw: &[u8]) -> ClientRequestId {
        let mut s: String = raw
            .iter()
            .take(CLIENT_ID_MAX)
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '?'
                }
            })
            .collect();
        if raw.len() > CLIENT_ID_MAX {
            s.pop();
            s.push('…');
        }
        ClientRequestId(s)
    }
}

/// How many times `max_body_bytes` a body declared too large may be before it is refused unread.
pub const DRAIN: u64 = 4;

/// 413 `too_large` for a request whose declared `Content-Length` is above `max_body_bytes`
/// (also an unreadable `Content-Length`: 400): before the body is read when it is declared over
/// [`DRAIN`] times the limit, else after reading and dropping it (so the client gets the answer).
pub async fn refuse_oversized(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let limit = s.0.config.max_body_bytes;
    if let Some(v) = req.headers().get(header::CONTENT_LENGTH) {
        match v.to_str().ok().and_then(|t| t.trim().parse::<u64>().ok()) {
            Some(n) if n > limit as u64 => {
                // A body at most DRAIN times the limit is read and dropped first: the client,
                // still sending it, then reads the answer instead of a connection reset under
                // its feet. A larger one is refused at once (its connection closed unread).
                if n <= (limit as u64).saturating_mul(DRAIN) {
                    let _ = axum::body::to_bytes(req.into_body(), n as usize).await;
                }
                return too_large(limit, Some(n)).into_response();
            }
            Some(_) => {}
            None => {
                return ApiError::bad_request("the Content-Length header is not a number")
                    .field("Content-Length")
                    .into_response()
            }
        }
    }
    next.run(req).await
}

/// 413 `too_large`: a body over this server's limit of `limit` bytes (`declared`: what its
/// `Content-Length` said).
pub fn too_large(limit: usize, declared: Option<u64>) -> ApiError {
    let what = match declared {
        Some(n) => format!("the body's Content-Length, {n} bytes, is above"),
        None => "the body is larger than".to_string(),
    };
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!(
            "{what} this server's limit of {limit} bytes (`max_body_bytes`); send less per request"
        ),
    )
}

/// Moves a client's `x-request-id` out of the request into a [`ClientRequestId`] extension, so
/// that the id set next is always ours.
pub async fn client_request_id(mut req: Request, next: Next) -> Response {
    let theirs = req
        .headers_mut()
        .remove(crate::REQUEST_ID)
        .map(|v| ClientRequestId::sanitise(v.as_bytes()));
    if let Some(c) = theirs {
        req.extensions_mut().insert(c);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_printable_ascii_and_short() {
        assert_eq!(ClientRequestId::sanitise(b"abc-123").0, "abc-123");
        assert_eq!(
            ClientRequestId::sanitise(b"a\nb\x1b[31m\xffc").0,
            "a?b?[31m?c"
        );
        let long = ClientRequestId::sanitise(&[b'x'; 1000]).0;
        assert_eq!(long.chars().count(), CLIENT_ID_MAX);
        assert!(long.ends_with('…'));
        assert_eq!(ClientRequestId::sanitise(&[b'y'; 64]).0, "y".repeat(64));
    }
}

//! The one JSON error shape every endpoint answers with: `{"error": {"status", "code", "message",
//! "field"?}}`. Messages say what was wrong and what to do; they never carry internals (paths,
//! SQL, stack traces) — those go to the server log with the request id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// HTTP status.
    #[serde(serialize_with = "status_code")]
    pub status: StatusCode,
    /// A stable machine-readable code (`bad_request`, `bad_signature`, `forbidden`, `duplicate`,
    /// `too_large`, `rate_limited`, `not_found`, `unavailable`, `internal`, …).
    pub code: &'static str,
    /// What went wrong and what to do.
    pub message: String,
    /// The field at fault, if one is (`body.location.point`, `entries[3]`, `limit`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds after which to retry, sent as `Retry-After` (not in the body).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

fn status_code<S: serde::Serializer>(s: &StatusCode, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_u16(s.as_u16())
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }
    /// Asks the client to retry after `seconds` (`Retry-After`).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
    /// Names the field at fault.
    pub fn field(mut self, f: impl Into<String>) -> Self {
        self.field = Some(f.into());
        self
    }
    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    /// 404: nothing here.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    /// 401: no or bad credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    /// 403: the caller may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    /// 503: not ready or shutting down.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
    /// 500: an internal failure. The detail is logged, not returned.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {detail}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details under this request's id",
        )
    }
}

/// A JSON body that could not be read: 413 `too_large` when it was over the body limit (axum
/// cuts it there), else 400 `bad_request` saying `what` the body must be and why it is not
/// (naming `field`, if given).
pub fn json_body(
    e: &axum::extract::rejection::JsonRejection,
    what: &str,
    field: Option<&str>,
) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the body is larger than this server's limit (`max_body_bytes`); send less per request",
        )
    } else {
        let err = ApiError::bad_request(format!("{what}: {}", e.body_text()));
        match field {
            Some(f) => err.field(f),
            None => err,
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a ApiError,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(Body { error: &self })).into_response();
        r.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(s),
            );
        }
        r
    }
}

impl From<truce_store::StoreError> for ApiError {
    fn from(e: truce_store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<truce_views::query::ParamError> for ApiError {
    /// A parameter refused: 400 naming it.
    fn from(e: truce_views::query::ParamError) -> Self {
        ApiError::bad_request(e.message).field(e.field)
    }
}

impl From<truce_views::db::DbError> for ApiError {
    fn from(e: truce_views::db::DbError) -> Self {
        ApiError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_a_header_not_a_field() {
        let r = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "wait")
            .retry_after(7)
            .into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[axum::http::header::RETRY_AFTER], "7");
        let plain = ApiError::bad_request("no").into_response();
        assert!(plain
            .headers()
            .get(axum::http::header::RETRY_AFTER)
            .is_none());
        let body = serde_json::to_value(ApiError::bad_request("x").retry_after(3)).unwrap();
        assert!(body.get("retry_after").is_none(), "{body}");
    }
}

//! Bearer tokens bound to a party and role (stored only as hashes, revocable), the caller
//! extractor, and rate limits. (Being written.)

use crate::config::Config;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::path::Path;

/// Tokens and limits.
pub struct Access {}

impl Access {
    /// Opens `DIR/access.db`.
    pub fn open(_dir: &Path, _config: &Config) -> Result<Access, String> {
        Ok(Access {})
    }
}

/// Per-address rate limit middleware.
pub async fn rate_limit_by_address(State(_s): State<AppState>, req: Request, next: Next) -> Response {
    next.run(req).await
}

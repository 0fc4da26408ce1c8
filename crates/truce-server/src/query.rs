//! JSON queries and exports. (Being written.)

use crate::config::Config;
use crate::state::AppState;
use axum::Router;
use std::path::Path;

/// Derived views.
pub struct Views {}

impl Views {
    /// Opens the views of `dir`.
    pub fn open(_dir: &Path, _config: &Config) -> Result<Views, String> {
        Ok(Views {})
    }
}

/// The query routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}

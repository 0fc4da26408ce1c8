//! Truce's dashboard: a single page (map, incident panel, readings diff, compliance charts,
//! commitments and claims, log status) served by `truce serve` from assets embedded in the
//! binary. Nothing is fetched from anywhere but the serving host at run time: the front-end
//! libraries (Leaflet, leaflet.markercluster, topojson-client) and the base map (Natural Earth
//! countries from `world-atlas`, Natural Earth first-level regions and GeoNames towns cut to the
//! scenario's region) are committed under `vendor/` at pinned versions with their licences
//! (refreshed from npm and PyPI by `scripts/vendor-dashboard.sh`; see `vendor/README.md`) and
//! compiled in with `include_bytes!`: `build.rs` only reads files, so building runs no npm.
//!
//! [`routes`] serves `GET /` (the page) and `GET /ui/{*path}` (the assets, with their content type;
//! 404 for anything else). The page talks to the service's JSON API only (`/v1/...`,
//! `/checkpoint`); its scripts are ES modules in files, so the service's CSP
//! (`default-src 'self'`) holds without exceptions.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

mod table {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// `Cache-Control` of the page and our own scripts: always revalidated, so a new binary's page is
/// never mixed with an old one's scripts.
const CACHE_OWN: &str = "no-cache";
/// `Cache-Control` of vendor files (pinned, listed with their SHA-256 in `vendor/SHA256SUMS`).
const CACHE_VENDOR: &str = "public, max-age=86400";

/// Every embedded asset as (path under `/ui/`, bytes), e.g. `("index.html", …)`,
/// `("vendor/leaflet/leaflet.js", …)`.
pub fn assets() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    table::ASSETS.iter().map(|(p, _, b)| (*p, *b))
}

/// The content type an asset is served with, if it exists.
pub fn content_type(path: &str) -> Option<&'static str> {
    find(path).map(|(_, t, _)| *t)
}

fn find(path: &str) -> Option<&'static (&'static str, &'static str, &'static [u8])> {
    table::ASSETS.iter().find(|(p, _, _)| *p == path)
}

/// The dashboard's routes: `GET /` and `GET /ui/{*path}`. Generic over the router's state so it
/// merges into any service.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { serve("index.html") }))
        .route(
            "/ui/{*path}",
            get(|Path(path): Path<String>| async move { serve(&path) }),
        )
}

fn serve(path: &str) -> Response {
    let Some((p, ct, bytes)) = find(path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such dashboard asset\n",
        )
            .into_response();
    };
    let cache = if p.starts_with("vendor/") {
        CACHE_VENDOR
    } else {
        CACHE_OWN
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(ct)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        *bytes,
    )
        .into_response()
}

//! Where a log is read from: a static mirror directory ([`DirSource`], as written by
//! `truce log export-tiles`) or an HTTP server or static web mirror ([`HttpSource`]), with an
//! optional on-disk cache of immutable tiles so an interrupted verification resumes without
//! downloading them again.
//!
//! Over HTTP every answer is read within a cap on what it can be ([`MAX_CHECKPOINT_BYTES`], a
//! tile's exact maximum ([`max_tile_bytes`]), [`MAX_DOCUMENT_BYTES`] for one answer of a
//! published document and [`MAX_DOCUMENT_TOTAL_BYTES`] for all its pages), stopping at the cap
//! with [`VerifyError::TooLarge`] naming the URL and the limit, and every request has a connect
//! and a total timeout ([`Timeouts`]): a hostile or broken server can neither exhaust the
//! verifier's memory nor hold it forever.

use crate::VerifyError;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use truce_log::{TileKind, TilePath, ENTRY_MAX, TILE_WIDTH};

/// The most a checkpoint answer may be, bytes (a signed note with dozens of cosignatures is a
/// few KiB).
pub const MAX_CHECKPOINT_BYTES: u64 = 64 * 1024;
/// The most a full hash tile is: 256 hashes of 32 bytes, 8192 bytes.
pub const MAX_TILE_BYTES: u64 = TILE_WIDTH * 32;
/// The most a full entry bundle is: 256 entries of a 2-byte length and at most [`ENTRY_MAX`]
/// bytes each.
pub const MAX_BUNDLE_BYTES: u64 = TILE_WIDTH * (2 + ENTRY_MAX as u64);
/// The most one answer of a published JSON document may be (a page of findings, compliance or
/// publications, or a static mirror's whole `findings.json`), bytes.
pub const MAX_DOCUMENT_BYTES: u64 = 256 * 1024 * 1024;
/// The most all pages of one published document may be together, bytes.
pub const MAX_DOCUMENT_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;

/// The most the tile or bundle at `path` can be, bytes (a partial one of width `w`: `w` hashes
/// or entries).
pub fn max_tile_bytes(path: &TilePath) -> u64 {
    let w = u64::from(path.width);
    match path.kind {
        TileKind::Hash(_) => w * 32,
        TileKind::Entries => w * (2 + ENTRY_MAX as u64),
    }
}

/// How long an HTTP source waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To connect (and finish TLS).
    pub connect: Duration,
    /// For a whole request, from connecting to the last byte of the answer.
    pub total: Duration,
}

impl Default for Timeouts {
    /// 15 s to connect, 120 s per request.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            total: Duration::from_secs(120),
        }
    }
}

/// A derived document as published (all pages merged): `{"items": [...], "total", "log_size", …}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    /// The log size the document says it describes.
    pub log_size: u64,
    /// The whole document; `items` holds every item of every page.
    pub doc: Value,
    /// Where it came from (a file or URL), for messages.
    pub origin: String,
}

/// Something a log can be read from. Blocking; every method may do IO.
pub trait Source {
    /// A short description for reports (the directory or base URL).
    fn describe(&self) -> String;
    /// The latest signed checkpoint note.
    fn checkpoint(&self) -> Result<Vec<u8>, VerifyError>;
    /// A hash tile or entry bundle at its C2SP path (with `.p/<W>` for partial ones); `None` if
    /// the source does not have it.
    fn tile(&self, path: &TilePath) -> Result<Option<Vec<u8>>, VerifyError>;
    /// The published findings, if the source publishes any. A document that is not the expected
    /// JSON is [`VerifyError::Malformed`].
    fn derived_findings(&self) -> Result<Option<Derived>, VerifyError>;
    /// The published compliance document, if any (rows in `items`, with `totals` and
    /// `differences`).
    fn derived_compliance(&self) -> Result<Option<Derived>, VerifyError>;
    /// The source's list of publication entries, `(index, body)`, if it serves one (a server's
    /// `GET /v1/publications`): where the replay must stop to recompute them. `None` (the
    /// default): the verifier finds them by a pre-scan of the entry bundles. Only a hint: what
    /// is checked are the entries the verified tree pass replays.
    fn publications(
        &self,
    ) -> Result<Option<Vec<(u64, truce_model::domain::Publication)>>, VerifyError> {
        Ok(None)
    }
}

/// Reads a derived document from its JSON text, checking the page fields it must have.
pub fn parse_derived(text: &[u8], origin: &str) -> Result<Derived, VerifyError> {
    let malformed = |why: String| VerifyError::Malformed {
        what: origin.to_string(),
        why,
    };
    let doc: Value =
        serde_json::from_slice(text).map_err(|e| malformed(format!("not JSON: {e}")))?;
    let log_size = doc
        .get("log_size")
        .and_then(Value::as_u64)
        .ok_or_else(|| malformed("no numeric `log_size`".into()))?;
    if !doc.get("items").is_some_and(Value::is_array) {
        return Err(malformed("no `items` array".into()));
    }
    Ok(Derived {
        log_size,
        doc,
        origin: origin.to_string(),
    })
}

/// A static mirror directory: `checkpoint`, `tile/...`, and optionally `findings.json` and
/// `compliance.json` (as `truce log export-tiles` writes them).
#[derive(Debug, Clone)]
pub struct DirSource {
    dir: PathBuf,
}

impl DirSource {
    /// A mirror rooted at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DirSource { dir: dir.into() }
    }

    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, VerifyError> {
        let path = self.dir.join(rel);
        match std::fs::read(&path) {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(VerifyError::Io {
                path: path.display().to_string(),
                source: e,
            }),
        }
    }

    fn derived(&self, name: &str) -> Result<Option<Derived>, VerifyError> {
        let origin = self.dir.join(name).display().to_string();
        self.read(name)?
            .map(|d| parse_derived(&d, &origin))
            .transpose()
    }
}

impl Source for DirSource {
    fn describe(&self) -> String {
        self.dir.display().to_string()
    }

    fn checkpoint(&self) -> Result<Vec<u8>, VerifyError> {
        self.read("checkpoint")?
            .ok_or_else(|| VerifyError::Unreachable {
                what: self.dir.join("checkpoint").display().to_string(),
                why: "no checkpoint file: is this a mirror written by `truce log export-tiles`?"
                    .into(),
            })
    }

    fn tile(&self, path: &TilePath) -> Result<Option<Vec<u8>>, VerifyError> {
        self.read(&path.to_path())
    }

    fn derived_findings(&self) -> Result<Option<Derived>, VerifyError> {
        self.derived("findings.json")
    }

    fn derived_compliance(&self) -> Result<Option<Derived>, VerifyError> {
        self.derived("compliance.json")
    }
}

/// A log served over HTTP: a `truce serve` (C2SP endpoints and `/v1/findings`, `/v1/compliance`,
/// `/v1/publications`) or a static web mirror (`findings.json`, `compliance.json` beside
/// `checkpoint`).
pub struct HttpSource {
    base: String,
    client: reqwest::blocking::Client,
    cache: Option<PathBuf>,
}

impl std::fmt::Debug for HttpSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSource")
            .field("base", &self.base)
            .field("cache", &self.cache)
            .finish()
    }
}

/// Page sizes of derived documents asked for, largest first.
const PAGES: [usize; 4] = [1000, 100, 20, 1];

impl HttpSource {
    /// A source at `base` (`http://host:port`, `https://host` or a URL prefix; a trailing `/`
    /// is ignored). With `cache`, full tiles and bundles (immutable) are kept under that
    /// directory and read from there on later runs. HTTPS trusts the platform's CA roots.
    pub fn new(base: &str, cache: Option<PathBuf>) -> Result<Self, VerifyError> {
        Self::with_ca_certs(base, cache, &[])
    }

    /// [`HttpSource::new`], trusting for HTTPS the CA certificates of the PEM files `ca_certs`
    /// too (`--ca-cert`: a log whose certificate a private CA issued). A file that cannot be
    /// used is [`VerifyError::CaCert`].
    pub fn with_ca_certs(
        base: &str,
        cache: Option<PathBuf>,
        ca_certs: &[PathBuf],
    ) -> Result<Self, VerifyError> {
        Self::with_timeouts(base, cache, ca_certs, Timeouts::default())
    }

    /// [`HttpSource::with_ca_certs`] waiting at most `timeouts`.
    pub fn with_timeouts(
        base: &str,
        cache: Option<PathBuf>,
        ca_certs: &[PathBuf],
        timeouts: Timeouts,
    ) -> Result<Self, VerifyError> {
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .user_agent(concat!("truce-verify/", env!("CARGO_PKG_VERSION")));
        for c in truce_tls::read_ca_files(ca_certs)? {
            builder = builder.add_root_certificate(c);
        }
        let client = builder.build().map_err(|e| VerifyError::Unreachable {
            what: base.to_string(),
            why: format!("cannot build an HTTP client: {e}"),
        })?;
        if let Some(c) = &cache {
            std::fs::create_dir_all(c).map_err(|e| VerifyError::Io {
                path: c.display().to_string(),
                source: e,
            })?;
        }
        Ok(HttpSource {
            base: base.trim_end_matches('/').to_string(),
            client,
            cache,
        })
    }

    /// GETs `rel` (relative to the base), at most `limit` bytes of `what`; `None` on 404.
    fn get(&self, rel: &str, limit: u64, what: &str) -> Result<Option<Vec<u8>>, VerifyError> {
        let url = format!("{}/{rel}", self.base);
        let resp = self
            .client
            .get(&url)
            .send()
            .map_err(|e| VerifyError::Unreachable {
                what: url.clone(),
                why: truce_tls::describe(&e, CA_HINT),
            })?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            // Only the start of an error answer is shown: read no more than that.
            let mut start = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::Read::take(resp, 4096), &mut start);
            return Err(VerifyError::Http {
                url,
                status: status.as_u16(),
                body: String::from_utf8_lossy(&start).chars().take(300).collect(),
            });
        }
        match truce_tls::read_capped_blocking(resp, limit, what) {
            Ok(b) => Ok(Some(b)),
            Err(e @ truce_tls::BodyError::TooLarge { .. }) => Err(VerifyError::TooLarge(e)),
            Err(truce_tls::BodyError::Read { why, .. }) => Err(VerifyError::Unreachable {
                what: url,
                why: format!("reading the response: {why}"),
            }),
        }
    }

    fn cache_path(&self, rel: &str) -> Option<PathBuf> {
        self.cache.as_ref().map(|c| c.join(rel))
    }

    /// Pages through a `/v1/...` list, merging `items`. `None` on 404.
    fn paged(&self, endpoint: &str, limit: usize) -> Result<Option<Derived>, VerifyError> {
        // The views may move to a newer log size while we page: start again (a few times).
        for _ in 0..3 {
            let mut merged: Option<Derived> = None;
            let mut items: Vec<Value> = Vec::new();
            let mut restart = false;
            let mut read: u64 = 0;
            loop {
                let rel = format!("{endpoint}?limit={limit}&offset={}", items.len());
                let origin = format!("{}/{rel}", self.base);
                let Some(body) = self.get(&rel, MAX_DOCUMENT_BYTES, "a page of a document")? else {
                    return Ok(None);
                };
                read += body.len() as u64;
                if read > MAX_DOCUMENT_TOTAL_BYTES {
                    return Err(VerifyError::TooLarge(truce_tls::BodyError::TooLarge {
                        url: format!("{}/{endpoint}", self.base),
                        what: "a published document, all pages together".into(),
                        limit: MAX_DOCUMENT_TOTAL_BYTES,
                        declared: None,
                    }));
                }
                let page = parse_derived(&body, &origin)?;
                let total = page
                    .doc
                    .get("total")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| VerifyError::Malformed {
                        what: origin.clone(),
                        why: "no numeric `total`".into(),
                    })?;
                if merged.as_ref().is_some_and(|m| m.log_size != page.log_size) {
                    restart = true;
                    break;
                }
                let got = page
                    .doc
                    .get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let empty = got.is_empty();
                items.extend(got);
                if merged.is_none() {
                    merged = Some(page);
                }
                if items.len() as u64 >= total {
                    break;
                }
                if empty {
                    return Err(VerifyError::Malformed {
                        what: origin,
                        why: format!("an empty page at offset {} of {total} items", items.len()),
                    });
                }
            }
            if restart {
                continue;
            }
            return Ok(merged.map(|mut m| {
                if let Some(o) = m.doc.as_object_mut() {
                    o.insert("limit".into(), Value::from(items.len()));
                    o.insert("offset".into(), Value::from(0));
                    o.insert("items".into(), Value::Array(items));
                }
                m.origin = format!("{}/{endpoint}", self.base);
                m
            }));
        }
        Err(VerifyError::Malformed {
            what: format!("{}/{endpoint}", self.base),
            why: "its log_size kept changing while paging; retry".into(),
        })
    }

    fn derived(&self, endpoint: &str, file: &str) -> Result<Option<Derived>, VerifyError> {
        // A server configured with a smaller largest page answers 400: ask for smaller pages.
        for (k, limit) in PAGES.iter().enumerate() {
            match self.paged(endpoint, *limit) {
                Ok(Some(d)) => return Ok(Some(d)),
                Ok(None) => break,
                Err(VerifyError::Http { status: 400, .. }) if k + 1 < PAGES.len() => continue,
                Err(e) => return Err(e),
            }
        }
        let origin = format!("{}/{file}", self.base);
        self.get(file, MAX_DOCUMENT_BYTES, "a published document")?
            .map(|b| parse_derived(&b, &origin))
            .transpose()
    }
}

/// How `truce verify` is told to trust a private CA, for TLS failures.
const CA_HINT: &str = "--ca-cert FILE";

/// Writes `data` to `path` atomically: a temporary file in the same directory, then a rename.
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> Result<(), VerifyError> {
    let io = |source| VerifyError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, data).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

impl Source for HttpSource {
    fn describe(&self) -> String {
        self.base.clone()
    }

    fn checkpoint(&self) -> Result<Vec<u8>, VerifyError> {
        self.get("checkpoint", MAX_CHECKPOINT_BYTES, "a checkpoint")?
            .ok_or_else(|| VerifyError::Unreachable {
                what: format!("{}/checkpoint", self.base),
                why: "404: no checkpoint here; is this the base URL of a C2SP log?".into(),
            })
    }

    fn tile(&self, path: &TilePath) -> Result<Option<Vec<u8>>, VerifyError> {
        let rel = path.to_path();
        let full = u64::from(path.width) == TILE_WIDTH;
        let cached = if full { self.cache_path(&rel) } else { None };
        if let Some(c) = &cached {
            if let Ok(d) = std::fs::read(c) {
                return Ok(Some(d));
            }
        }
        let what = match path.kind {
            TileKind::Hash(_) => "this hash tile",
            TileKind::Entries => "this entry bundle",
        };
        let data = self.get(&rel, max_tile_bytes(path), what)?;
        if let (Some(c), Some(d)) = (&cached, &data) {
            // A cache that cannot be written only costs a download next time.
            if let Err(e) = write_atomic(c, d) {
                tracing::warn!("tile cache: {e}");
            }
        }
        Ok(data)
    }

    fn derived_findings(&self) -> Result<Option<Derived>, VerifyError> {
        self.derived("v1/findings", "findings.json")
    }

    fn derived_compliance(&self) -> Result<Option<Derived>, VerifyError> {
        self.derived("v1/compliance", "compliance.json")
    }

    fn publications(
        &self,
    ) -> Result<Option<Vec<(u64, truce_model::domain::Publication)>>, VerifyError> {
        let Some(d) = self.derived("v1/publications", "publications.json")? else {
            return Ok(None);
        };
        let malformed = |why: String| VerifyError::Malformed {
            what: d.origin.clone(),
            why,
        };
        let items = d
            .doc
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        items
            .iter()
            .enumerate()
            .map(|(k, item)| {
                let index = item
                    .get("index")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| malformed(format!("item {k} has no numeric `index`")))?;
                let body = item
                    .get("publication")
                    .cloned()
                    .ok_or_else(|| malformed(format!("item {k} has no `publication`")))?;
                let p = serde_json::from_value(body)
                    .map_err(|e| malformed(format!("item {k}: {e}")))?;
                Ok((index, p))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

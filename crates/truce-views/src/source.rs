//! What derived state reads of a log: its latest signed checkpoint, the root of any prefix and
//! the entries in order. The operator's storage (`truce_store::LogReader`, behind the `store`
//! feature) is one source; a verifier's mirror or URL can be another, without linking the
//! operator's storage.

use truce_log::{Hash, SignedCheckpoint};

/// A log's failure to answer, in its own words (its `Display` and `source` are the reader's).
#[derive(Debug)]
pub struct SourceError(pub Box<dyn std::error::Error + Send + Sync + 'static>);

impl SourceError {
    /// Wraps a reader's error.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> SourceError {
        SourceError(Box::new(e))
    }
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// A log as derived state reads it.
pub trait LogSource {
    /// The latest signed checkpoint (verified by the source).
    fn checkpoint(&self) -> Result<SignedCheckpoint, SourceError>;
    /// The latest checkpoint's size.
    fn size(&self) -> Result<u64, SourceError> {
        Ok(self.checkpoint()?.size)
    }
    /// The root of the tree of the first `size` entries (at most the latest checkpoint's size).
    fn root_at(&self, size: u64) -> Result<Hash, SourceError>;
    /// Calls `each(index, bytes)` for the first `size` entries in order; returns `size`.
    fn entries(&self, size: u64, each: &mut dyn FnMut(u64, &[u8])) -> Result<u64, SourceError>;
    /// Calls `each(index, bytes)` for the entries `from..to` in order (what a log appended since
    /// `from`). The default reads from the start and skips; a source that can seek overrides it.
    fn entries_in(
        &self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), SourceError> {
        self.entries(to, &mut |i, e| {
            if i >= from {
                each(i, e)
            }
        })
        .map(|_| ())
    }
}

#[cfg(feature = "store")]
impl<S: truce_store::LogStorage> LogSource for truce_store::LogReader<S> {
    fn checkpoint(&self) -> Result<SignedCheckpoint, SourceError> {
        self.latest().map_err(SourceError::new)
    }
    fn root_at(&self, size: u64) -> Result<Hash, SourceError> {
        truce_store::LogReader::root_at(self, size).map_err(SourceError::new)
    }
    fn entries(&self, size: u64, each: &mut dyn FnMut(u64, &[u8])) -> Result<u64, SourceError> {
        self.for_each_entry_to(size, each).map_err(SourceError::new)
    }
    fn entries_in(
        &self,
        from: u64,
        to: u64,
        each: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), SourceError> {
        self.for_each_entry_in(from, to, each)
            .map(|_| ())
            .map_err(SourceError::new)
    }
}

/// The operator's storage failing while derived state is computed: the log's error.
#[cfg(feature = "store")]
impl From<truce_store::StoreError> for crate::DerivedError {
    fn from(e: truce_store::StoreError) -> Self {
        crate::DerivedError::Log(SourceError::new(e))
    }
}

//! Committed objects kept in memory, shared by every [`ClusterStorage`](crate::ClusterStorage)
//! of the process (a server's readers, its writer, its publisher).
//!
//! A C2SP path names its content for good once committed: a full tile, a partial tile of a
//! given width (`.p/<W>`), a bundle of a given width never change (the crate's first
//! invariant), so a cached object is never stale. Keys are the bucket's description and the
//! path, so two logs in one process (tests) never share entries; a bucket whose log is
//! initialised again is forgotten ([`ObjectCache::forget`]). Bounded by bytes
//! ([`CACHE_BYTES`]), the oldest entries evicted first. It spares the object store the reads a
//! proof or a follower's catch-up makes again and again — above all the right-edge tiles of
//! the latest commit, which the sequencer inserts as it commits them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

/// The most bytes of objects kept.
pub const CACHE_BYTES: usize = 64 << 20;

/// An object larger than this is not kept (a bundle near its 16 MiB bound).
const MAX_OBJECT: usize = 1 << 20;

/// The process's cache of committed objects.
#[derive(Debug, Default)]
pub struct ObjectCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<String, Arc<Vec<u8>>>,
    order: VecDeque<String>,
    bytes: usize,
}

impl ObjectCache {
    /// The process's cache.
    pub fn global() -> &'static ObjectCache {
        static CACHE: OnceLock<ObjectCache> = OnceLock::new();
        CACHE.get_or_init(ObjectCache::default)
    }

    fn key(bucket: &str, path: &str) -> String {
        format!("{bucket}\n{path}")
    }

    /// The committed object at `path` of `bucket`, if kept.
    pub fn get(&self, bucket: &str, path: &str) -> Option<Arc<Vec<u8>>> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.map.get(&Self::key(bucket, path)).cloned()
    }

    /// Keeps the committed object `bytes` at `path` of `bucket` (only committed content: its
    /// path then names it for good).
    pub fn put(&self, bucket: &str, path: &str, bytes: &[u8]) {
        if bytes.len() > MAX_OBJECT {
            return;
        }
        let key = Self::key(bucket, path);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.map.contains_key(&key) {
            return;
        }
        while inner.bytes + bytes.len() > CACHE_BYTES {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(v) = inner.map.remove(&old) {
                inner.bytes -= v.len();
            }
        }
        inner.bytes += bytes.len();
        inner.order.push_back(key.clone());
        inner.map.insert(key, Arc::new(bytes.to_vec()));
    }

    /// Forgets everything kept of `bucket` (its log was initialised again).
    pub fn forget(&self, bucket: &str) {
        let prefix = format!("{bucket}\n");
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let gone: Vec<String> = inner
            .map
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect();
        for k in &gone {
            if let Some(v) = inner.map.remove(k) {
                inner.bytes -= v.len();
            }
        }
        inner.order.retain(|k| !k.starts_with(&prefix));
    }

    /// Bytes kept now.
    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_by_bucket_and_path_evicts_the_oldest_and_forgets_a_bucket() {
        let c = ObjectCache::default();
        c.put("b1", "tile/0/000", b"x");
        c.put("b2", "tile/0/000", b"y");
        assert_eq!(
            c.get("b1", "tile/0/000").as_deref().map(Vec::as_slice),
            Some(&b"x"[..])
        );
        assert_eq!(
            c.get("b2", "tile/0/000").as_deref().map(Vec::as_slice),
            Some(&b"y"[..])
        );
        // First written stays: a path names one content.
        c.put("b1", "tile/0/000", b"z");
        assert_eq!(
            c.get("b1", "tile/0/000").as_deref().map(Vec::as_slice),
            Some(&b"x"[..])
        );
        c.forget("b1");
        assert!(c.get("b1", "tile/0/000").is_none());
        assert!(c.get("b2", "tile/0/000").is_some());
        // Bounded: the oldest go first.
        let big = vec![0u8; MAX_OBJECT];
        for i in 0..(CACHE_BYTES / MAX_OBJECT + 2) {
            c.put("b3", &format!("tile/entries/{i:03}"), &big);
        }
        assert!(c.bytes() <= CACHE_BYTES);
        assert!(c.get("b3", "tile/entries/000").is_none());
        assert!(c.get("b2", "tile/0/000").is_none());
        let last = CACHE_BYTES / MAX_OBJECT + 1;
        assert!(c.get("b3", &format!("tile/entries/{last:03}")).is_some());
        // Too large to keep.
        c.put("b4", "tile/entries/000", &vec![0u8; MAX_OBJECT + 1]);
        assert!(c.get("b4", "tile/entries/000").is_none());
    }
}

//! The object-store side: an S3-compatible bucket (Garage, MinIO, AWS S3, …) holding hash tiles,
//! entry bundles and the published `checkpoint` exactly at their C2SP tlog-tiles paths, so the
//! bucket served as static files *is* a mirror that `truce verify` reads.
//!
//! Paths come from `truce_log` ([`truce_log::tile_path`], [`truce_log::entries_path`]), the
//! same functions `truce log export-tiles` writes a directory mirror with; this module never
//! spells a path itself.
//!
//! `object_store` is async and [`LogStorage`](truce_store::LogStorage) is not: the bucket owns a
//! small current-thread tokio runtime and blocks on each request. Every request has a connect
//! timeout and a total timeout, and a bounded number of retries within [`BucketConfig::timeout`];
//! the whole call is also bounded by it (plus the retries' budget), so nothing waits for ever.
//! Do not call it from inside another tokio runtime's async task (use `spawn_blocking`).

use crate::ClusterError;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use std::future::Future;
use std::time::Duration;

/// The name of the published checkpoint object (C2SP tlog-tiles).
pub const CHECKPOINT: &str = "checkpoint";

/// Where the bucket is and how to reach it.
#[derive(Clone)]
pub struct BucketConfig {
    /// The S3 endpoint, e.g. `http://127.0.0.1:3900`.
    pub endpoint: String,
    /// The bucket's name.
    pub bucket: String,
    /// The region the endpoint expects (Garage's default is `garage`).
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Allow plain `http://` endpoints (a local Garage); HTTPS otherwise.
    pub allow_http: bool,
    /// Longest one request may take, from connecting to its last byte.
    pub timeout: Duration,
}

impl std::fmt::Debug for BucketConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BucketConfig")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("allow_http", &self.allow_http)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Connect timeout of every request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Writes of one commit in flight at once.
pub const PARALLEL_PUTS: usize = 16;
/// Retries of a failed request (within the request timeout budget).
const RETRIES: usize = 3;

/// An S3 bucket, used synchronously.
pub struct Bucket {
    store: AmazonS3,
    /// Always `Some` until dropped.
    rt: Option<tokio::runtime::Runtime>,
    describe: String,
    /// Bound on one whole call, retries included.
    deadline: Duration,
}

impl Bucket {
    fn runtime(&self) -> Result<&tokio::runtime::Runtime, ClusterError> {
        self.rt
            .as_ref()
            .ok_or_else(|| ClusterError::Corrupt("the bucket's runtime is gone".into()))
    }
}

impl Drop for Bucket {
    /// A runtime cannot be dropped (blocking) on an async task's thread: there it is shut down
    /// in the background.
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                rt.shutdown_background();
            } else {
                drop(rt);
            }
        }
    }
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket")
            .field("at", &self.describe)
            .finish()
    }
}

impl Bucket {
    /// Opens the bucket (no request is made).
    pub fn open(config: &BucketConfig) -> Result<Bucket, ClusterError> {
        let describe = format!(
            "s3 bucket {} at {}",
            config.bucket,
            config.endpoint.trim_end_matches('/')
        );
        let options = ClientOptions::new()
            .with_allow_http(config.allow_http)
            .with_connect_timeout(CONNECT_TIMEOUT)
            .with_timeout(config.timeout);
        let retry = RetryConfig {
            max_retries: RETRIES,
            retry_timeout: config.timeout,
            ..RetryConfig::default()
        };
        let store = AmazonS3Builder::new()
            .with_endpoint(&config.endpoint)
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_allow_http(config.allow_http)
            .with_virtual_hosted_style_request(false)
            .with_client_options(options)
            .with_retry(retry)
            .build()
            .map_err(|source| ClusterError::Bucket {
                at: describe.clone(),
                what: "configuring",
                path: String::new(),
                source: Box::new(source),
            })?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ClusterError::Runtime)?;
        Ok(Bucket {
            store,
            rt: Some(rt),
            describe,
            // The request budget, its retries' budget, and a margin for the backoff.
            deadline: config.timeout * 2 + Duration::from_secs(5),
        })
    }

    /// Where the bucket is, for messages.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    fn block<T>(
        &self,
        what: &'static str,
        path: &str,
        fut: impl Future<Output = Result<T, object_store::Error>>,
    ) -> Result<T, ClusterError> {
        let deadline = self.deadline;
        match self
            .runtime()?
            .block_on(async move { tokio::time::timeout(deadline, fut).await })
        {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(source)) => Err(ClusterError::Bucket {
                at: self.describe.clone(),
                what,
                path: path.to_string(),
                source: Box::new(source),
            }),
            Err(_) => Err(ClusterError::Timeout {
                at: self.describe.clone(),
                what,
                path: path.to_string(),
                after: deadline,
            }),
        }
    }

    /// The object at `path`, `None` if there is none.
    pub fn get(&self, path: &str) -> Result<Option<Vec<u8>>, ClusterError> {
        let location = Path::from(path);
        let store = &self.store;
        self.block("reading", path, async move {
            match store.get(&location).await {
                Ok(r) => Ok(Some(r.bytes().await?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    /// Writes (or overwrites) the object at `path`. Durable when it returns as far as the store
    /// promises (Garage: with `data_fsync` and `metadata_fsync` on).
    pub fn put(&self, path: &str, data: &[u8]) -> Result<(), ClusterError> {
        let location = Path::from(path);
        let payload = PutPayload::from(data.to_vec());
        let store = &self.store;
        self.block("writing", path, async move {
            store.put(&location, payload).await.map(|_| ())
        })
    }

    /// Writes every `(path, bytes)` object, [`PARALLEL_PUTS`] requests at a time; returns when
    /// all are written, or with the first error (the others may or may not be written).
    pub fn put_many(&self, objects: Vec<(String, Vec<u8>)>) -> Result<(), ClusterError> {
        if objects.len() <= 1 {
            for (path, data) in &objects {
                self.put(path, data)?;
            }
            return Ok(());
        }
        let deadline = self.deadline;
        let at = self.describe.clone();
        let store = self.store.clone();
        self.runtime()?.block_on(async move {
            let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLEL_PUTS));
            let mut tasks = tokio::task::JoinSet::new();
            for (path, data) in objects {
                let store = store.clone();
                let limit = limit.clone();
                let at = at.clone();
                tasks.spawn(async move {
                    let _permit = limit.acquire_owned().await;
                    let location = Path::from(path.as_str());
                    let put = store.put(&location, PutPayload::from(data));
                    match tokio::time::timeout(deadline, put).await {
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err(source)) => Err(ClusterError::Bucket {
                            at,
                            what: "writing",
                            path,
                            source: Box::new(source),
                        }),
                        Err(_) => Err(ClusterError::Timeout {
                            at,
                            what: "writing",
                            path,
                            after: deadline,
                        }),
                    }
                });
            }
            while let Some(done) = tasks.join_next().await {
                let r =
                    done.map_err(|e| ClusterError::Corrupt(format!("a write task failed: {e}")))?;
                if let Err(e) = r {
                    tasks.abort_all();
                    return Err(e);
                }
            }
            Ok(())
        })
    }

    /// Deletes the object at `path` (no error if there is none).
    pub fn delete(&self, path: &str) -> Result<(), ClusterError> {
        let location = Path::from(path);
        let store = &self.store;
        self.block("deleting", path, async move {
            match store.delete(&location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    /// Every object's path under `prefix` (all of them with `None`), in no particular order.
    pub fn list(&self, prefix: Option<&str>) -> Result<Vec<String>, ClusterError> {
        let prefix = prefix.map(Path::from);
        let mut stream = self.store.list(prefix.as_ref());
        self.block(
            "listing",
            prefix.as_ref().map_or("", |p| p.as_ref()),
            async move {
                let mut out = Vec::new();
                while let Some(meta) =
                    std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await
                {
                    out.push(meta?.location.to_string());
                }
                Ok(out)
            },
        )
    }
}

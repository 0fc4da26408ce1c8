//! Where a data directory's log lives when it is shared: `DIR/cluster.toml`, written by
//! `truce init --database … --bucket …` and read by every command and `truce serve` on that
//! directory. Without the file the log is the directory's SQLite file (the embedded default).
//!
//! ```toml
//! # truce cluster storage (written by `truce init`; mode 0600 when it holds secrets)
//! database = "postgres://truce@db.internal/truce"
//! [bucket]
//! endpoint = "http://garage.internal:3900"
//! name = "truce-log"
//! region = "garage"
//! key_id = "GK…"          # or TRUCE_BUCKET_KEY_ID
//! secret = "…"            # or TRUCE_BUCKET_SECRET
//! ```
//!
//! Secrets may stay out of the file: `TRUCE_DATABASE_URL`, `TRUCE_BUCKET_KEY_ID` and
//! `TRUCE_BUCKET_SECRET` override it (a systemd unit's `LoadCredential=`/`EnvironmentFile=`).

use crate::bucket::BucketConfig;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The file name inside a data directory.
pub const FILE: &str = "cluster.toml";

/// The environment variable overriding [`ClusterSpec::database`].
pub const ENV_DATABASE: &str = "TRUCE_DATABASE_URL";
/// The environment variable overriding [`BucketSpec::key_id`].
pub const ENV_KEY_ID: &str = "TRUCE_BUCKET_KEY_ID";
/// The environment variable overriding [`BucketSpec::secret`].
pub const ENV_SECRET: &str = "TRUCE_BUCKET_SECRET";

/// A shared log's storage: the PostgreSQL database and the bucket.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// PostgreSQL connection string (`postgres://user[:password]@host[:port]/db` or
    /// `host=… user=… dbname=…`).
    pub database: String,
    /// The bucket.
    pub bucket: BucketSpec,
}

/// The S3-compatible bucket of a [`ClusterSpec`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSpec {
    /// The S3 endpoint, e.g. `http://127.0.0.1:3900`; `http://` allowed (a local Garage).
    pub endpoint: String,
    /// The bucket's name.
    pub name: String,
    /// The region the endpoint expects (`garage` for Garage).
    #[serde(default = "default_region")]
    pub region: String,
    /// Access key id (empty: from `TRUCE_BUCKET_KEY_ID`).
    #[serde(default)]
    pub key_id: String,
    /// Secret access key (empty: from `TRUCE_BUCKET_SECRET`).
    #[serde(default)]
    pub secret: String,
    /// Longest one request may take, seconds.
    #[serde(default = "default_timeout")]
    pub timeout_s: u64,
}

fn default_region() -> String {
    "garage".into()
}

fn default_timeout() -> u64 {
    30
}

impl std::fmt::Debug for ClusterSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterSpec")
            .field("database", &redact_url(&self.database))
            .field("bucket", &self.bucket)
            .finish()
    }
}

impl std::fmt::Debug for BucketSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BucketSpec")
            .field("endpoint", &self.endpoint)
            .field("name", &self.name)
            .field("region", &self.region)
            .field("key_id", &self.key_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A connection string with any password replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let scheme = &url[..url.len() - rest.len()];
        if let Some((cred, host)) = rest.split_once('@') {
            if let Some((user, _)) = cred.split_once(':') {
                return format!("{scheme}{user}:***@{host}");
            }
        }
        return url.to_string();
    }
    url.split_whitespace()
        .map(|kv| {
            if kv.starts_with("password=") {
                "password=***".to_string()
            } else {
                kv.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a cluster specification cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The TOML is malformed or has an unknown key.
    #[error("{file}: {why}")]
    Toml {
        /// Where it was read.
        file: String,
        /// What is wrong.
        why: String,
    },
    /// A required value is missing.
    #[error("{file}: {what} is not set: {fix}")]
    Missing {
        /// Where it was read.
        file: String,
        /// The field.
        what: &'static str,
        /// What to do.
        fix: &'static str,
    },
    /// The file could not be read or written.
    #[error("{file}: {source}")]
    Io {
        /// Where.
        file: String,
        /// Why.
        source: std::io::Error,
    },
}

impl ClusterSpec {
    /// Parses `text` (from `file`, for messages) and applies the environment's overrides
    /// (`vars`: `TRUCE_DATABASE_URL`, `TRUCE_BUCKET_KEY_ID`, `TRUCE_BUCKET_SECRET`).
    pub fn parse(
        text: &str,
        file: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<ClusterSpec, SpecError> {
        let mut spec: ClusterSpec = toml::from_str(text).map_err(|e| SpecError::Toml {
            file: file.into(),
            why: e.to_string(),
        })?;
        for (k, v) in vars {
            match k.as_str() {
                ENV_DATABASE if !v.is_empty() => spec.database = v,
                ENV_KEY_ID if !v.is_empty() => spec.bucket.key_id = v,
                ENV_SECRET if !v.is_empty() => spec.bucket.secret = v,
                _ => {}
            }
        }
        let missing = |what, fix| SpecError::Missing {
            file: file.into(),
            what,
            fix,
        };
        if spec.database.trim().is_empty() {
            return Err(missing(
                "database",
                "set `database = \"postgres://…\"` or TRUCE_DATABASE_URL",
            ));
        }
        if spec.bucket.endpoint.trim().is_empty() || spec.bucket.name.trim().is_empty() {
            return Err(missing(
                "bucket.endpoint / bucket.name",
                "set both in the [bucket] table",
            ));
        }
        if spec.bucket.key_id.is_empty() || spec.bucket.secret.is_empty() {
            return Err(missing(
                "bucket.key_id / bucket.secret",
                "set them in the [bucket] table or TRUCE_BUCKET_KEY_ID / TRUCE_BUCKET_SECRET",
            ));
        }
        Ok(spec)
    }

    /// Reads `DIR/cluster.toml` if it exists (with the process environment's overrides).
    pub fn of_dir(dir: &std::path::Path) -> Result<Option<ClusterSpec>, SpecError> {
        let path = dir.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                ClusterSpec::parse(&text, &path.display().to_string(), std::env::vars()).map(Some)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SpecError::Io {
                file: path.display().to_string(),
                source,
            }),
        }
    }

    /// The TOML text of this specification.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!("# Truce cluster storage: the log is in this PostgreSQL database and S3 bucket.\n# Secrets may be left out and given as TRUCE_DATABASE_URL, TRUCE_BUCKET_KEY_ID, TRUCE_BUCKET_SECRET.\n{body}")
    }

    /// The bucket's client configuration.
    pub fn bucket_config(&self) -> BucketConfig {
        BucketConfig {
            endpoint: self.bucket.endpoint.clone(),
            bucket: self.bucket.name.clone(),
            region: self.bucket.region.clone(),
            access_key_id: self.bucket.key_id.clone(),
            secret_access_key: self.bucket.secret.clone(),
            allow_http: self.bucket.endpoint.starts_with("http://"),
            timeout: Duration::from_secs(self.bucket.timeout_s.max(1)),
        }
    }

    /// The specification of an existing bucket configuration.
    pub fn of(database: &str, bucket: &BucketConfig) -> ClusterSpec {
        ClusterSpec {
            database: database.into(),
            bucket: BucketSpec {
                endpoint: bucket.endpoint.clone(),
                name: bucket.bucket.clone(),
                region: bucket.region.clone(),
                key_id: bucket.access_key_id.clone(),
                secret: bucket.secret_access_key.clone(),
                timeout_s: bucket.timeout.as_secs().max(1),
            },
        }
    }

    /// Where it is, for messages (no secret).
    pub fn describe(&self) -> String {
        format!(
            "{} + s3 bucket {} at {}",
            redact_url(&self.database),
            self.bucket.name,
            self.bucket.endpoint
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "database = \"postgres://t:pw@db/truce\"\n[bucket]\nendpoint = \"http://g:3900\"\nname = \"log\"\nkey_id = \"GK1\"\nsecret = \"s\"\n";

    #[test]
    fn parses_with_defaults_and_env_overrides() {
        let s = ClusterSpec::parse(TEXT, "c.toml", []).unwrap();
        assert_eq!(s.bucket.region, "garage");
        assert_eq!(s.bucket.timeout_s, 30);
        assert!(s.bucket_config().allow_http);
        let s = ClusterSpec::parse(
            TEXT,
            "c.toml",
            [(ENV_DATABASE.to_string(), "postgres://other/db".to_string())],
        )
        .unwrap();
        assert_eq!(s.database, "postgres://other/db");
        let back = ClusterSpec::parse(&s.to_toml(), "again", []).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn missing_and_unknown_fields_say_what_to_do() {
        let no_secret = TEXT.replace("secret = \"s\"\n", "");
        let e = ClusterSpec::parse(&no_secret, "c.toml", []).unwrap_err();
        assert!(e.to_string().contains("TRUCE_BUCKET_SECRET"), "{e}");
        let ok = ClusterSpec::parse(
            &no_secret,
            "c.toml",
            [(ENV_SECRET.to_string(), "x".to_string())],
        );
        assert!(ok.is_ok());
        let e = ClusterSpec::parse(&format!("{TEXT}colour = 1\n"), "c.toml", []).unwrap_err();
        assert!(e.to_string().contains("c.toml"), "{e}");
    }

    #[test]
    fn secrets_never_shown() {
        let s = ClusterSpec::parse(TEXT, "c.toml", []).unwrap();
        let shown = format!("{s:?} {}", s.describe());
        assert!(
            !shown.contains("pw@") && !shown.contains("\"s\""),
            "{shown}"
        );
        assert_eq!(
            redact_url("host=db password=x user=t"),
            "host=db password=*** user=t"
        );
        assert_eq!(redact_url("postgres://u@h/d"), "postgres://u@h/d");
    }
}

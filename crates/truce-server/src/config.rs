//! Server configuration: defaults, then a TOML file, then `TRUCE_*` environment variables, then
//! command-line flags (applied by the binary), each overriding the one before.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Everything `truce serve` can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:8080`; port 0 picks a free port).
    pub listen: String,
    /// Largest request body, bytes (413 above).
    pub max_body_bytes: usize,
    /// Most entries in one submission (413 above).
    pub max_batch_entries: usize,
    /// Most entries appended in one durable commit (group commit of concurrent submissions).
    pub max_commit_entries: usize,
    /// Sustained submissions per second allowed per signing key (429 above).
    pub rate_per_key: f64,
    /// Sustained requests per second allowed per client address (429 above).
    pub rate_per_addr: f64,
    /// Burst allowance of both rate limits, requests.
    pub rate_burst: f64,
    /// Per-request timeout, seconds (408 above for reads).
    pub request_timeout_s: u64,
    /// How long a client may take to send a request's head, seconds; also the longest wait for
    /// the next request on a keep-alive connection. The connection is closed after it
    /// (`truce_http`).
    pub header_read_timeout_s: u64,
    /// A connection with no byte read or written for this many seconds is closed after its
    /// request in flight (dropped if silent as long again). Keep it above `request_timeout_s`.
    pub idle_timeout_s: u64,
    /// The most connections served at once; more wait in the listen backlog until one ends.
    pub max_connections: usize,
    /// Origins allowed by CORS; empty (the default) sends no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// Largest page a query may ask for.
    pub max_page: usize,
    /// How often derived views are recomputed after the log grows, milliseconds.
    pub views_refresh_ms: u64,
    /// Exports streamed at once (each holds its permit until its last byte is taken, or for at
    /// most `request_timeout_s` of a client reading nothing): beyond it an export answers 503
    /// with `Retry-After`. At least 1. (The views' recompute is single-flight on its own.)
    pub max_heavy_queries: usize,
    /// The `Retry-After` of that 503, seconds.
    pub heavy_retry_after_s: u64,
    /// How often the server looks for entries another process (`truce ingest`, `truce submit`
    /// on the same directory) appended, milliseconds; they are applied and served without a
    /// restart. 0: only before the server's own next append.
    pub follow_interval_ms: u64,
    /// Witnesses asked to cosign each new checkpoint (TOML `[[witness]]` tables with `url` and
    /// `vkey`). None by default: `/checkpoint` then serves the log's own signature only.
    #[serde(rename = "witness")]
    pub witnesses: Vec<WitnessEndpoint>,
    /// How long to wait for one witness's answer, milliseconds.
    pub witness_timeout_ms: u64,
    /// How often to look for a new checkpoint to have witnessed, milliseconds.
    pub witness_interval_ms: u64,
    /// A PEM file of CA certificates trusted for `https://` witnesses besides the platform's
    /// roots (the system store, or `SSL_CERT_FILE` / `SSL_CERT_DIR`): for witnesses whose
    /// certificates a private CA issued. A relative path is from the server's working directory.
    pub witness_ca_cert: Option<PathBuf>,
    /// Submission gate: an entry whose `time` is ahead of this server's clock by more than this
    /// many seconds is refused (400), and so is a report whose event starts more than this after
    /// its own `time` (see `truce_model::gate`).
    pub max_clock_skew_s: u64,
    /// Submission gate: an entry whose `time` is more than this many seconds before this server's
    /// clock is accepted but flagged as a late filing, with its delay, in its acknowledgement.
    pub late_filing_s: u64,
    /// On a shared log (`DIR/cluster.toml`): the URL the other servers reach this one at, named
    /// in the sequencer lease while this server holds it, so they can hand it submissions.
    /// Default `http://<the address it listens on>` (set it when listening on `0.0.0.0` or
    /// behind a proxy).
    pub advertise_url: Option<String>,
}

/// A witness the log pushes its checkpoints to (C2SP tlog-witness).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessEndpoint {
    /// The witness's submission prefix, e.g. `http://127.0.0.1:7380` or
    /// `https://witness.example/ua` (the log POSTs `<url>/add-checkpoint`).
    pub url: String,
    /// The witness's cosignature verifier key (`name+hexid+base64`, from `truce witness keygen`).
    pub vkey: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 1 << 20,
            max_batch_entries: 1_000,
            max_commit_entries: 10_000,
            rate_per_key: 1_000.0,
            rate_per_addr: 10_000.0,
            rate_burst: 2_000.0,
            request_timeout_s: 30,
            header_read_timeout_s: truce_http::DEFAULT_HEADER_READ_TIMEOUT_S,
            idle_timeout_s: truce_http::DEFAULT_IDLE_TIMEOUT_S,
            max_connections: truce_http::DEFAULT_MAX_CONNECTIONS,
            cors_origins: Vec::new(),
            max_page: 1_000,
            views_refresh_ms: 1_000,
            max_heavy_queries: 2,
            heavy_retry_after_s: 5,
            follow_interval_ms: 1_000,
            witnesses: Vec::new(),
            witness_timeout_ms: 5_000,
            witness_interval_ms: 200,
            witness_ca_cert: None,
            max_clock_skew_s: truce_model::gate::DEFAULT_MAX_CLOCK_SKEW_S,
            late_filing_s: truce_model::gate::DEFAULT_LATE_FILING_S,
            advertise_url: None,
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file is malformed or has an unknown key.
    #[error("{0}")]
    Toml(String),
    /// An environment variable has a bad value.
    #[error("environment variable {name}={value:?}: {why}")]
    Env {
        /// Variable.
        name: String,
        /// Its value.
        value: String,
        /// What is wrong.
        why: String,
    },
}

impl Config {
    /// Reads a TOML configuration (missing keys keep their defaults).
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))
    }

    /// Applies `TRUCE_LISTEN`, `TRUCE_MAX_BODY_BYTES`, `TRUCE_MAX_BATCH_ENTRIES`,
    /// `TRUCE_MAX_COMMIT_ENTRIES`, `TRUCE_RATE_PER_KEY`, `TRUCE_RATE_PER_ADDR`, `TRUCE_RATE_BURST`,
    /// `TRUCE_REQUEST_TIMEOUT_S`, `TRUCE_HEADER_READ_TIMEOUT_S`, `TRUCE_IDLE_TIMEOUT_S`,
    /// `TRUCE_MAX_CONNECTIONS`, `TRUCE_CORS_ORIGINS` (comma-separated), `TRUCE_MAX_PAGE`,
    /// `TRUCE_VIEWS_REFRESH_MS`, `TRUCE_MAX_HEAVY_QUERIES`, `TRUCE_HEAVY_RETRY_AFTER_S`,
    /// `TRUCE_WITNESS_TIMEOUT_MS`, `TRUCE_WITNESS_INTERVAL_MS`,
    /// `TRUCE_WITNESS_CA_CERT` (a path; empty for none), `TRUCE_MAX_CLOCK_SKEW_S`,
    /// `TRUCE_LATE_FILING_S`, `TRUCE_ADVERTISE_URL` from `vars`.
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ConfigError> {
            v.trim().parse().map_err(|_| ConfigError::Env {
                name: name.into(),
                value: v.into(),
                why: "not a number".into(),
            })
        }
        for (k, v) in vars {
            match k.as_str() {
                "TRUCE_LISTEN" => self.listen = v,
                "TRUCE_MAX_BODY_BYTES" => self.max_body_bytes = num(&k, &v)?,
                "TRUCE_MAX_BATCH_ENTRIES" => self.max_batch_entries = num(&k, &v)?,
                "TRUCE_MAX_COMMIT_ENTRIES" => self.max_commit_entries = num(&k, &v)?,
                "TRUCE_RATE_PER_KEY" => self.rate_per_key = num(&k, &v)?,
                "TRUCE_RATE_PER_ADDR" => self.rate_per_addr = num(&k, &v)?,
                "TRUCE_RATE_BURST" => self.rate_burst = num(&k, &v)?,
                "TRUCE_REQUEST_TIMEOUT_S" => self.request_timeout_s = num(&k, &v)?,
                "TRUCE_HEADER_READ_TIMEOUT_S" => self.header_read_timeout_s = num(&k, &v)?,
                "TRUCE_IDLE_TIMEOUT_S" => self.idle_timeout_s = num(&k, &v)?,
                "TRUCE_MAX_CONNECTIONS" => self.max_connections = num(&k, &v)?,
                "TRUCE_MAX_PAGE" => self.max_page = num(&k, &v)?,
                "TRUCE_VIEWS_REFRESH_MS" => self.views_refresh_ms = num(&k, &v)?,
                "TRUCE_MAX_HEAVY_QUERIES" => self.max_heavy_queries = num(&k, &v)?,
                "TRUCE_HEAVY_RETRY_AFTER_S" => self.heavy_retry_after_s = num(&k, &v)?,
                "TRUCE_FOLLOW_INTERVAL_MS" => self.follow_interval_ms = num(&k, &v)?,
                "TRUCE_WITNESS_TIMEOUT_MS" => self.witness_timeout_ms = num(&k, &v)?,
                "TRUCE_WITNESS_INTERVAL_MS" => self.witness_interval_ms = num(&k, &v)?,
                "TRUCE_WITNESS_CA_CERT" => {
                    self.witness_ca_cert = (!v.trim().is_empty()).then(|| PathBuf::from(v))
                }
                "TRUCE_MAX_CLOCK_SKEW_S" => self.max_clock_skew_s = num(&k, &v)?,
                "TRUCE_LATE_FILING_S" => self.late_filing_s = num(&k, &v)?,
                "TRUCE_ADVERTISE_URL" => {
                    self.advertise_url = (!v.trim().is_empty()).then(|| v.trim().to_string())
                }
                "TRUCE_CORS_ORIGINS" => {
                    self.cors_origins = v
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The bounds every connection is held to (the per-request timeout is in the router).
    pub fn connection_limits(&self) -> truce_http::Limits {
        truce_http::Limits {
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout_s),
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout_s),
            max_connections: self.max_connections,
            ..truce_http::Limits::default()
        }
    }

    /// The submission gates' thresholds.
    pub fn gate_limits(&self) -> truce_model::gate::Limits {
        truce_model::gate::Limits {
            max_clock_skew_s: self.max_clock_skew_s,
            late_filing_s: self.late_filing_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_then_env_override_defaults() {
        let mut c = Config::from_toml("listen = \"0.0.0.0:9000\"\nmax_page = 50\n").unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.max_body_bytes, Config::default().max_body_bytes);
        c.apply_env([
            ("TRUCE_MAX_PAGE".to_string(), "20".to_string()),
            (
                "TRUCE_CORS_ORIGINS".into(),
                "https://a.example, https://b.example".into(),
            ),
            ("HOME".into(), "/root".into()),
        ])
        .unwrap();
        assert_eq!(c.max_page, 20);
        assert_eq!(c.cors_origins.len(), 2);
        assert!(Config::from_toml("lisen = 1")
            .unwrap_err()
            .to_string()
            .contains("lisen"));
        let e = c
            .apply_env([("TRUCE_RATE_BURST".to_string(), "lots".to_string())])
            .unwrap_err();
        assert!(e.to_string().contains("TRUCE_RATE_BURST"));
    }

    #[test]
    fn the_witness_ca_file_from_toml_then_env() {
        assert_eq!(Config::default().witness_ca_cert, None);
        let mut c = Config::from_toml("witness_ca_cert = \"/etc/truce/witness-ca.pem\"\n").unwrap();
        assert_eq!(
            c.witness_ca_cert,
            Some(PathBuf::from("/etc/truce/witness-ca.pem"))
        );
        c.apply_env([("TRUCE_WITNESS_CA_CERT".to_string(), "ca.pem".to_string())])
            .unwrap();
        assert_eq!(c.witness_ca_cert, Some(PathBuf::from("ca.pem")));
        c.apply_env([("TRUCE_WITNESS_CA_CERT".to_string(), String::new())])
            .unwrap();
        assert_eq!(c.witness_ca_cert, None);
    }

    #[test]
    fn connection_bounds_from_toml_then_env() {
        let d = Config::default().connection_limits();
        assert_eq!(d, truce_http::Limits::default());
        assert_eq!(
            (d.header_read_timeout.as_secs(), d.idle_timeout.as_secs()),
            (10, 60)
        );
        let mut c = Config::from_toml(
            "header_read_timeout_s = 5\nidle_timeout_s = 20\nmax_connections = 64\n",
        )
        .unwrap();
        c.apply_env([("TRUCE_MAX_CONNECTIONS".to_string(), "32".to_string())])
            .unwrap();
        let l = c.connection_limits();
        assert_eq!(l.header_read_timeout, std::time::Duration::from_secs(5));
        assert_eq!(l.idle_timeout, std::time::Duration::from_secs(20));
        assert_eq!(l.max_connections, 32);
        let e = c
            .apply_env([("TRUCE_IDLE_TIMEOUT_S".to_string(), "soon".to_string())])
            .unwrap_err();
        assert!(e.to_string().contains("TRUCE_IDLE_TIMEOUT_S"), "{e}");
    }

    #[test]
    fn the_deploy_examples_are_valid() {
        for (name, text) in [
            (
                "server-a.toml",
                include_str!("../../../deploy/config/server-a.toml"),
            ),
            (
                "server-b.toml",
                include_str!("../../../deploy/config/server-b.toml"),
            ),
        ] {
            let c = Config::from_toml(text).unwrap_or_else(|e| panic!("deploy/config/{name}: {e}"));
            assert!(c.advertise_url.is_some(), "{name}");
            assert!(!c.witnesses.is_empty(), "{name}");
        }
        let env = [
            (
                truce_cluster::spec::ENV_KEY_ID.to_string(),
                "GK1".to_string(),
            ),
            (truce_cluster::spec::ENV_SECRET.to_string(), "s".to_string()),
        ];
        truce_cluster::spec::ClusterSpec::parse(
            include_str!("../../../deploy/config/cluster.toml"),
            "deploy/config/cluster.toml",
            env,
        )
        .unwrap();
    }

    #[test]
    fn submission_gate_settings() {
        let d = Config::default().gate_limits();
        assert_eq!((d.max_clock_skew_s, d.late_filing_s), (300, 7 * 86_400));
        let mut c = Config::from_toml("max_clock_skew_s = 60\nlate_filing_s = 86400\n").unwrap();
        assert_eq!((c.max_clock_skew_s, c.late_filing_s), (60, 86_400));
        c.apply_env([
            ("TRUCE_MAX_CLOCK_SKEW_S".to_string(), "30".to_string()),
            ("TRUCE_LATE_FILING_S".to_string(), "3600".to_string()),
        ])
        .unwrap();
        assert_eq!(
            c.gate_limits(),
            truce_model::gate::Limits {
                max_clock_skew_s: 30,
                late_filing_s: 3_600
            }
        );
    }
}

//! The witness's TOML configuration. Relative paths resolve against the configuration file's
//! directory. Example:
//!
//! ```toml
//! name = "witness.example/w1"          # the witness key's name (checked against the key file)
//! key = "keys/w1.witness.key"          # PRIVATE+KEY+… from `truce witness keygen` (secret)
//! state = "witness.db"                 # SQLite: the latest cosigned checkpoint per log
//! listen = "127.0.0.1:7380"            # optional; this is the default
//! # Connection bounds, optional (these are the defaults; 0 is taken as the smallest bound):
//! header_read_timeout_s = 10           # a request head not sent within it: disconnected
//! idle_timeout_s = 60                  # no byte either way for so long: closed
//! max_connections = 512                # more wait in the listen backlog
//! request_timeout_s = 30               # a request not answered within it: 408
//!
//! [[log]]
//! origin = "truce.example/energy-2025"
//! keys = ["truce.example/energy-2025+1a2b3c4d+AW3…"]   # the log's .vkey; its name is the origin
//! ```

use crate::core::{TrustedLog, Witness};
use crate::WitnessError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use truce_log::cosignature::Cosigner;

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7380";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    name: Option<String>,
    key: Option<PathBuf>,
    state: Option<PathBuf>,
    listen: Option<String>,
    header_read_timeout_s: Option<u64>,
    idle_timeout_s: Option<u64>,
    max_connections: Option<usize>,
    request_timeout_s: Option<u64>,
    #[serde(default)]
    log: Vec<RawLog>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    origin: String,
    keys: Vec<String>,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The witness key's name, if stated (it must match the key file's).
    pub name: Option<String>,
    /// The private key file (absolute, or relative to the working directory).
    pub key: PathBuf,
    /// The state database file.
    pub state: PathBuf,
    /// The address to listen on.
    pub listen: String,
    /// The trusted logs.
    pub logs: Vec<TrustedLog>,
    /// The bounds every connection is held to (`header_read_timeout_s`, `idle_timeout_s`,
    /// `max_connections`, `request_timeout_s`; defaults: [`crate::http::default_limits`]).
    pub limits: truce_http::Limits,
}

fn field(field: impl Into<String>, why: impl Into<String>) -> WitnessError {
    WitnessError::Config {
        field: field.into(),
        why: why.into(),
    }
}

impl Config {
    /// Parses a configuration; relative paths are resolved against `base` (the file's directory).
    pub fn from_toml(text: &str, base: &Path) -> Result<Self, WitnessError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}")
                })
                .unwrap_or_else(|| "toml".into());
            field(at, e.message().to_string())
        })?;
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let key = raw.key.map(resolve).ok_or_else(|| {
            field(
                "key",
                "missing: the witness's private key file, e.g. key = \"w1.witness.key\" (made by `truce witness keygen`)",
            )
        })?;
        let state = raw.state.map(resolve).ok_or_else(|| {
            field(
                "state",
                "missing: the state database file, e.g. state = \"witness.db\"",
            )
        })?;
        let listen = raw.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let port_ok = listen
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(field(
                "listen",
                format!("{listen:?} is not an address and port, e.g. \"127.0.0.1:7380\""),
            ));
        }
        if raw.log.is_empty() {
            return Err(field(
                "log",
                "no [[log]] tables: list each log to witness with its origin and keys",
            ));
        }
        let mut logs = Vec::with_capacity(raw.log.len());
        for (i, l) in raw.log.iter().enumerate() {
            if raw.log[..i].iter().any(|o| o.origin == l.origin) {
                return Err(field(
                    format!("log[{i}].origin"),
                    format!(
                        "{:?} is listed twice; list all its keys in one [[log]]",
                        l.origin
                    ),
                ));
            }
            let log = TrustedLog::new(&l.origin, &l.keys).map_err(|(k, why)| match k {
                Some(k) => field(format!("log[{i}].keys[{k}]"), why),
                None if l.keys.is_empty() => field(format!("log[{i}].keys"), why),
                None => field(format!("log[{i}].origin"), why),
            })?;
            logs.push(log);
        }
        let secs = std::time::Duration::from_secs;
        let d = crate::http::default_limits();
        let limits = truce_http::Limits {
            header_read_timeout: raw
                .header_read_timeout_s
                .map_or(d.header_read_timeout, secs),
            idle_timeout: raw.idle_timeout_s.map_or(d.idle_timeout, secs),
            max_connections: raw.max_connections.unwrap_or(d.max_connections),
            request_timeout: raw.request_timeout_s.map(secs).or(d.request_timeout),
            ..d
        };
        Ok(Config {
            name: raw.name,
            key,
            state,
            listen,
            logs,
            limits,
        })
    }

    /// Reads and parses the configuration file at `path`.
    pub fn load(path: &Path) -> Result<Self, WitnessError> {
        let text = std::fs::read_to_string(path).map_err(|source| WitnessError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        let base = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        };
        Self::from_toml(&text, base)
    }

    /// Reads the private key file and checks it against `name`.
    pub fn cosigner(&self) -> Result<Cosigner, WitnessError> {
        let text = std::fs::read_to_string(&self.key).map_err(|source| WitnessError::Io {
            path: self.key.display().to_string(),
            source,
        })?;
        let c = Cosigner::from_private_text(&text)
            .map_err(|e| field("key", format!("{}: {e}", self.key.display())))?;
        if let Some(name) = &self.name {
            if name != c.name() {
                return Err(field(
                    "name",
                    format!(
                        "{name:?} differs from the key's name {:?} in {}",
                        c.name(),
                        self.key.display()
                    ),
                ));
            }
        }
        Ok(c)
    }

    /// The witness this configuration describes (reads the key file).
    pub fn witness(&self) -> Result<Witness, WitnessError> {
        Witness::new(self.cosigner()?, self.logs.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vkey(origin: &str) -> String {
        truce_log::key_from_seed(origin, [3; 32]).unwrap().verifier
    }

    #[test]
    fn parses_and_resolves_paths() {
        let text = format!(
            "name = \"w1\"\nkey = \"k/w1.witness.key\"\nstate = \"/abs/w.db\"\n\n[[log]]\norigin = \"a.example/log\"\nkeys = [\"{}\"]\n",
            vkey("a.example/log")
        );
        let c = Config::from_toml(&text, Path::new("/etc/witness")).unwrap();
        assert_eq!(c.key, Path::new("/etc/witness/k/w1.witness.key"));
        assert_eq!(c.state, Path::new("/abs/w.db"));
        assert_eq!(c.listen, DEFAULT_LISTEN);
        assert_eq!(c.logs.len(), 1);
        assert_eq!(c.logs[0].origin(), "a.example/log");
    }

    #[test]
    fn connection_bounds_default_and_configured() {
        let log = format!(
            "[[log]]\norigin = \"a.example/log\"\nkeys = [\"{}\"]\n",
            vkey("a.example/log")
        );
        let base = "key = \"k\"\nstate = \"s\"\n";
        let c = Config::from_toml(&format!("{base}{log}"), Path::new(".")).unwrap();
        assert_eq!(c.limits, crate::http::default_limits());
        assert_eq!(
            c.limits.request_timeout,
            Some(std::time::Duration::from_secs(30))
        );
        let c = Config::from_toml(
            &format!("{base}header_read_timeout_s = 2\nidle_timeout_s = 5\nmax_connections = 8\nrequest_timeout_s = 3\n{log}"),
            Path::new("."),
        )
        .unwrap();
        let secs = std::time::Duration::from_secs;
        assert_eq!(c.limits.header_read_timeout, secs(2));
        assert_eq!(c.limits.idle_timeout, secs(5));
        assert_eq!(c.limits.max_connections, 8);
        assert_eq!(c.limits.request_timeout, Some(secs(3)));
        let e = Config::from_toml(
            &format!("{base}max_connections = \"many\"\n{log}"),
            Path::new("."),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn errors_name_the_field() {
        let good = vkey("a.example/log");
        let err = |t: &str| {
            Config::from_toml(t, Path::new("."))
                .unwrap_err()
                .to_string()
        };
        let e = err("state = \"s\"\n[[log]]\norigin = \"a.example/log\"\nkeys = []\n");
        assert!(e.contains("config key:"), "{e}");
        let e = err(&format!(
            "key = \"k\"\nstate = \"s\"\n[[log]]\norigin = \"b.example/log\"\nkeys = [\"{good}\"]\n"
        ));
        assert!(e.contains("log[0].keys[0]"), "{e}");
        let e = err(&format!(
            "key = \"k\"\nstate = \"s\"\n[[log]]\norigin = \"a.example/log\"\nkeys = [\"{good}\"]\n[[log]]\norigin = \"a.example/log\"\nkeys = [\"{good}\"]\n"
        ));
        assert!(e.contains("log[1].origin"), "{e}");
        let e = err("key = \"k\"\nstate = \"s\"\n[[log]]\norigin = \"a.example/log\"\nkeys = []\n");
        assert!(e.contains("log[0].keys"), "{e}");
        let e = err("key = \"k\"\nstate = \"s\"\n");
        assert!(e.contains("config log:"), "{e}");
        let e = err(&format!(
            "key = \"k\"\nstate = \"s\"\nlisten = \"nowhere\"\n[[log]]\norigin = \"a.example/log\"\nkeys = [\"{good}\"]\n"
        ));
        assert!(e.contains("config listen:"), "{e}");
        let e = err("key = \"k\"\nstate = \"s\"\nbogus = 1\n");
        assert!(e.contains("line 3"), "{e}");
    }
}

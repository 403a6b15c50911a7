//! Server configuration (TOML).

use crate::error::{Error, Result};
use crate::phase::Phase;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A phase switch in the config file.
#[derive(Debug, Clone, Deserialize)]
pub struct Switch {
    /// Prague local time (`2025-10-04T14:00`) or RFC 3339.
    pub at: String,
    /// Phase from that instant on.
    pub phase: Phase,
}

/// One election served.
#[derive(Debug, Clone, Deserialize)]
pub struct ElectionConfig {
    /// Path of the JSON definition (relative to the config file).
    pub definition: PathBuf,
    /// Phase switches.
    #[serde(default)]
    pub schedule: Vec<Switch>,
}

fn default_cache() -> f64 {
    60.0
}
fn default_batch() -> f64 {
    300.0
}
fn default_admin_max_body() -> usize {
    256 << 20
}
fn default_log_flush() -> f64 {
    0.2
}
fn default_reload() -> f64 {
    1.0
}

/// What an ingest does with precinct rows that break a rule of the results model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvalidRows {
    /// The document is refused whole (`422`), every such row named with its rule.
    #[default]
    Refuse,
    /// Such rows are set aside (listed by `/admin/quarantine`, `quarantine` and
    /// `/admin/status`), the rest of the document is stored.
    Quarantine,
}

/// The server configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// SQLite database (registry, phases, precinct log, batches).
    pub database: PathBuf,
    /// Public listeners for registered media.
    pub listen: Vec<SocketAddr>,
    /// Admin listener (ingest, batch cuts); must be a loopback address.
    pub admin_listen: SocketAddr,
    /// The admin endpoint's credential: a file holding the bearer token, readable by the
    /// service user only (created with mode 0600 at the first start when missing). Default:
    /// `admin.token` next to the database.
    #[serde(default)]
    pub admin_token_file: Option<PathBuf>,
    /// Largest document the admin endpoint accepts, in bytes (default 256 MiB). A batch the
    /// size of a whole Chamber election with every precinct's preferential votes runs to
    /// tens of MB; the endpoint is loopback-only and behind the token.
    #[serde(default = "default_admin_max_body")]
    pub admin_max_body_bytes: usize,
    /// Proxies whose forwarding header is honoured (addresses or blocks).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// The header those proxies write: `x-forwarded-for` (default) or `forwarded`; the other
    /// one is ignored, as a proxy passes it through from the client unchanged.
    #[serde(default)]
    pub forwarded_header: opendata_http::forwarded::ForwardedHeader,
    /// Timeouts, connection limit and shutdown deadline of the public listeners (`[http]`).
    #[serde(default)]
    pub http: opendata_http::HttpSettings,
    /// Inconsistent precinct rows: `refuse` the document (default) or `quarantine` the rows.
    #[serde(default)]
    pub invalid_rows: InvalidRows,
    /// Documents are regenerated at most once per this many seconds (ČSÚ: 60).
    #[serde(default = "default_cache")]
    pub cache_period_secs: f64,
    /// A precinct batch is cut every this many seconds (0: only on admin request).
    #[serde(default = "default_batch")]
    pub batch_interval_secs: f64,
    /// How often registry, phase and log changes by other processes are picked up.
    #[serde(default = "default_reload")]
    pub reload_interval_secs: f64,
    /// Directory of the per-organisation access logs.
    pub log_dir: PathBuf,
    /// Threads serving the public listeners, each with its own event loop and its own
    /// `SO_REUSEPORT` socket per address (default: one per CPU core).
    #[serde(default)]
    pub workers: Option<usize>,
    /// How often buffered access log lines are written (seconds; also on shutdown).
    #[serde(default = "default_log_flush")]
    pub access_log_flush_secs: f64,
    /// Rotation, URL length and refusal rate of the access logs (`[logs]`).
    #[serde(default)]
    pub logs: crate::logs::LogSettings,
    /// Registration deadline (Prague local time), written to the registry at start.
    #[serde(default)]
    pub registration_deadline: Option<String>,
    /// Elections served.
    #[serde(default, rename = "election")]
    pub elections: Vec<ElectionConfig>,
}

impl Config {
    /// The admin token file in force (`admin_token_file`, else `admin.token` next to the
    /// database).
    pub fn admin_token_path(&self) -> PathBuf {
        self.admin_token_file.clone().unwrap_or_else(|| {
            self.database
                .parent()
                .unwrap_or(Path::new("."))
                .join("admin.token")
        })
    }

    /// Reads a config file; relative paths in it are taken relative to its directory.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut cfg: Self = toml::from_str(&text)
            .map_err(|e| Error::syntax(path.display().to_string(), e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut cfg.database);
        fix(&mut cfg.log_dir);
        if let Some(token) = &mut cfg.admin_token_file {
            fix(token);
        }
        for e in &mut cfg.elections {
            fix(&mut e.definition);
        }
        cfg.check()?;
        Ok(cfg)
    }

    /// Checks values that TOML cannot.
    pub fn check(&self) -> Result<()> {
        if !self.admin_listen.ip().is_loopback() {
            return Err(Error::Config(format!(
                "admin_listen {} is not a loopback address; the ingest endpoint must not be reachable from outside",
                self.admin_listen
            )));
        }
        opendata_http::forwarded::TrustedProxies::parse(
            &self.trusted_proxies,
            self.forwarded_header,
        )
        .map_err(|e| Error::Config(format!("trusted_proxies: {e}")))?;
        self.http.limits().map_err(Error::Config)?;
        self.logs.check().map_err(Error::Config)?;
        if self.listen.is_empty() {
            return Err(Error::Config("`listen` names no address".into()));
        }
        for (name, v) in [
            ("cache_period_secs", self.cache_period_secs),
            ("batch_interval_secs", self.batch_interval_secs),
            ("reload_interval_secs", self.reload_interval_secs),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::Config(format!(
                    "{name} must be a non-negative number"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_example_is_a_valid_config() {
        let readme = include_str!("../README.md");
        let start = readme.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let end = start + readme[start..].find("```").expect("its end");
        let cfg: Config = toml::from_str(&readme[start..end]).expect("README example parses");
        cfg.check().expect("README example passes the checks");
        assert_eq!(cfg.workers, Some(2));
        assert_eq!(cfg.elections[0].schedule.len(), 2);
        crate::time::parse_prague(cfg.registration_deadline.as_deref().unwrap()).unwrap();
    }
}

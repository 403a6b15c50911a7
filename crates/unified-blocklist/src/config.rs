//! The TOML configuration of `run` (and the defaults of `update` and `serve`).

use crate::dcat::DcatSettings;
use blocklist_model::{GuardKind, LandingNames, RpzAction, RpzOptions, UnifiedList};
use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the catalogue is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// SPARQL 1.1 protocol (`…/sparql`).
    Sparql,
    /// Triple Pattern Fragments (`…/ldf/nkod-ldf`).
    Ldf,
    /// NKOD's GraphQL API (`…/graphql`).
    Graphql,
}

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The catalogue: `"embedded"` (the snapshot served in-process) or NKOD's base URL
    /// (e.g. `https://data.gov.cz/`).
    pub nkod: String,
    /// Which catalogue API to use.
    pub backend: Backend,
    /// The output path (a link to the current publication).
    pub out: PathBuf,
    /// The state directory (validators, cached sources, last publication).
    pub state: PathBuf,
    /// Where `serve`/`run` listen.
    pub listen: String,
    /// The daily update time on the wall clock of `time_zone` (`HH:MM`).
    pub update_at: String,
    /// An IANA time zone name.
    pub time_zone: String,
    /// The first retry delay after a failed update, in seconds (doubles each time).
    pub retry_initial_secs: u64,
    /// The longest retry delay, in seconds.
    pub retry_max_secs: u64,
    /// The largest share (0–1) by which a source may shrink against the last good version
    /// before the guard keeps that source's last good copy instead.
    pub max_shrink: f64,
    /// The staleness alarm: a source that has been stale for more than this many days (its
    /// last good copy is older) is flagged in `stav.json`, on the page and in the log.
    pub max_source_age_days: u64,
    /// `/healthz` reports 503 when the publication is older than this many hours.
    pub max_age_hours: u64,
    /// The RPZ zone's origin (its name in the resolvers' configuration).
    pub rpz_origin: String,
    /// Time allowed for one HTTP request to the catalogue or a download, in seconds.
    pub request_timeout_secs: u64,
    /// Attempts per HTTP call (1 = no retry inside one update).
    pub attempts: u32,
    /// How the list is registered in NKOD.
    pub dcat: DcatSettings,
    /// What the RPZ zone makes resolvers answer (`[rpz]`).
    pub rpz: RpzSettings,
    /// Run after each publication is visible (program and arguments, no shell), e.g.
    /// `["knotc", "zone-reload", "rpz.jednotny-seznam.cz"]`; empty for none.
    pub post_publication: Vec<String>,
    /// The post-publication command is killed after this many seconds.
    pub post_publication_timeout_secs: u64,
    /// The web server's timeouts, connection limit and shutdown deadline (`[http]`).
    pub http: opendata_http::HttpSettings,
    /// The local lists, as found in the catalogue (`[[sources]]`).
    pub sources: Vec<SourceSpec>,
    /// How datasets that look like a local list but are not configured are found.
    pub discovery: DiscoverySettings,
}

/// The search for candidate datasets: any publisher's dataset that cites the decree (its
/// legal basis in `dcatap:applicableLegislation`), or carries one of the keywords and has a
/// CSV with the decree's columns, is reported in `stav.json` and the log so that ČTÚ learns of
/// a new authority's list. Candidates are never included until configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscoverySettings {
    /// Legal-basis IRIs (ELI) that mark a local list.
    pub legislation: Vec<String>,
    /// Keywords (compared without case) that make a dataset worth a look at its columns.
    pub keywords: Vec<String>,
}

impl Default for DiscoverySettings {
    fn default() -> Self {
        Self {
            // Decree 569/2025 Sb. and § 115b of Act 127/2005 Sb., as e-Sbírka names them.
            legislation: vec![
                "https://www.e-sbirka.cz/eli/cz/sb/2025/569".into(),
                "https://www.e-sbirka.cz/eli/cz/sb/2005/127/par_115b".into(),
            ],
            keywords: vec!["blokace".into(), "blokované weby".into()],
        }
    }
}

/// The RPZ policy a resolver applies to a blocked name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RpzPolicy {
    /// NXDOMAIN (`CNAME .`): the name does not exist.
    #[default]
    Nxdomain,
    /// NODATA (`CNAME *.`): the name exists with no records.
    Nodata,
    /// A CNAME to the authority's landing page (`[rpz.landing]`, `rpz.landing_default`).
    Landing,
}

/// `[rpz]`: the policy of the RPZ zone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpzSettings {
    /// `nxdomain`, `nodata` or `landing`.
    pub policy: RpzPolicy,
    /// Landing name per authority (`ZDROJ` → name), for `policy = "landing"`.
    pub landing: BTreeMap<String, String>,
    /// Landing name for authorities not in `landing`.
    pub landing_default: Option<String>,
    /// Publish `_info.<host> TXT` with each blocking row's authority, dataset and entry date.
    pub provenance: bool,
}

impl RpzSettings {
    /// The zone writer's action.
    pub fn action(&self) -> RpzAction {
        match self.policy {
            RpzPolicy::Nxdomain => RpzAction::Nxdomain,
            RpzPolicy::Nodata => RpzAction::Nodata,
            RpzPolicy::Landing => RpzAction::LandingCname(LandingNames {
                by_authority: self.landing.clone(),
                default: self.landing_default.clone(),
            }),
        }
    }

    /// The zone writer's options for `origin` and `serial`.
    pub fn options(&self, origin: &str, serial: u32) -> RpzOptions {
        let mut options = RpzOptions::new(origin, serial);
        options.action = self.action();
        options.provenance = self.provenance;
        options
    }

    fn check(&self) -> Result<(), String> {
        if self.policy == RpzPolicy::Landing
            && self.landing.is_empty()
            && self.landing_default.is_none()
        {
            return Err("policy \"landing\" needs [rpz.landing] names or landing_default".into());
        }
        // The writer checks every name; an empty list shows a bad option before any update.
        let empty = UnifiedList::merge(chrono::NaiveDate::MIN, Vec::new());
        blocklist_model::write_rpz(&empty, &self.options("rpz.invalid", 1), std::io::sink())
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

/// One local list: how to find it in the catalogue and how to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// A short id (`mf`, `sukl`, …) used in messages and the state.
    pub id: String,
    /// The publisher's IČO (its IRI in the register is derived from it).
    pub publisher_ico: String,
    /// The NKOD dataset title (matched case-insensitively).
    pub title: String,
    /// `ZDROJ` when the catalogue gives no publisher name.
    pub authority: String,
    /// The reader: `mf`, `sukl`, `szpi`, `uskvbl` or `decree` (any list in the decree's shape).
    pub reader: String,
    /// Pins the dataset IRI instead of searching by publisher and title (if the pinned IRI
    /// is gone, the dataset is looked for by publisher again and the change is logged).
    #[serde(default)]
    pub dataset_iri: Option<String>,
    /// Keywords that find the dataset of this publisher when its title changed (compared
    /// without case, diacritics and surrounding white space).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Guards overridden for this source (`empty-source`, `shrink`,
    /// `unrecognised-format`): the operator's decision that a new version is intended.
    #[serde(default)]
    pub allow: Vec<GuardKind>,
}

impl SourceSpec {
    fn new(id: &str, ico: &str, title: &str, authority: &str) -> Self {
        Self {
            id: id.into(),
            publisher_ico: ico.into(),
            title: title.into(),
            authority: authority.into(),
            reader: id.into(),
            dataset_iri: None,
            keywords: vec!["blokace".into()],
            allow: Vec::new(),
        }
    }

    /// The four local lists registered in NKOD.
    pub fn defaults() -> Vec<Self> {
        vec![
            Self::new(
                "mf",
                "00006947",
                "Seznam nepovolených internetových her",
                "Ministerstvo financí",
            ),
            Self::new(
                "sukl",
                "00023817",
                "Seznam stránek s nelegální nabídkou léčivých přípravků",
                "Státní ústav pro kontrolu léčiv",
            ),
            Self::new(
                "szpi",
                "75014149",
                "Seznam internetových stránek s nabídkou nebezpečných potravin",
                "Státní zemědělská a potravinářská inspekce",
            ),
            Self::new(
                "uskvbl",
                "00019585",
                "Seznam stránek s nelegální nabídkou veterinárních léčivých přípravků",
                "Ústav pro státní kontrolu veterinárních biopreparátů a léčiv",
            ),
        ]
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            nkod: "embedded".into(),
            backend: Backend::Sparql,
            out: "out".into(),
            state: "state".into(),
            listen: "127.0.0.1:8080".into(),
            update_at: "22:00".into(),
            time_zone: "Europe/Prague".into(),
            retry_initial_secs: 300,
            retry_max_secs: 3600,
            max_shrink: 0.2,
            max_source_age_days: 7,
            max_age_hours: 48,
            rpz_origin: "rpz.jednotny-seznam.cz".into(),
            request_timeout_secs: 30,
            attempts: 3,
            dcat: DcatSettings::default(),
            rpz: RpzSettings::default(),
            post_publication: Vec::new(),
            post_publication_timeout_secs: 60,
            http: opendata_http::HttpSettings::default(),
            sources: SourceSpec::defaults(),
            discovery: DiscoverySettings::default(),
        }
    }
}

/// The configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this configuration.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A value is out of range.
    #[error("{path}: `{key}`: {message}")]
    Value {
        /// The file.
        path: PathBuf,
        /// The key.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and checks configuration text (`path` only names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        config.check(path)?;
        Ok(config)
    }

    fn check(&self, path: &Path) -> Result<(), ConfigError> {
        let value = |key, message: String| ConfigError::Value {
            path: path.to_path_buf(),
            key,
            message,
        };
        self.update_time().map_err(|m| value("update_at", m))?;
        self.zone().map_err(|m| value("time_zone", m))?;
        if !(0.0..=1.0).contains(&self.max_shrink) {
            return Err(value(
                "max_shrink",
                format!("{} is not between 0 and 1", self.max_shrink),
            ));
        }
        if self.retry_initial_secs == 0 || self.retry_max_secs < self.retry_initial_secs {
            return Err(value(
                "retry_initial_secs",
                "must be positive and not above retry_max_secs".into(),
            ));
        }
        for (i, source) in self.sources.iter().enumerate() {
            if !["mf", "sukl", "szpi", "uskvbl", "decree"].contains(&source.reader.as_str()) {
                return Err(value(
                    "sources.reader",
                    format!("source {}: unknown reader {:?}", source.id, source.reader),
                ));
            }
            let id_ok = !source.id.is_empty()
                && source
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !id_ok || source.id == crate::manual::MANUAL_SOURCE_ID {
                return Err(value(
                    "sources.id",
                    format!(
                        "{:?} must be lower-case letters, digits and '-', and not {:?} (the hand-kept source)",
                        source.id,
                        crate::manual::MANUAL_SOURCE_ID
                    ),
                ));
            }
            if self.sources.iter().take(i).any(|s| s.id == source.id) {
                return Err(value(
                    "sources.id",
                    format!("{:?} is used twice", source.id),
                ));
            }
        }
        if self.sources.is_empty() {
            return Err(value("sources", "at least one source is needed".into()));
        }
        if self.request_timeout_secs == 0 || self.attempts == 0 {
            return Err(value(
                "request_timeout_secs",
                "timeouts and attempts must be positive".into(),
            ));
        }
        self.rpz.check().map_err(|m| value("rpz", m))?;
        if self.post_publication.first().is_some_and(String::is_empty)
            || self.post_publication_timeout_secs == 0
        {
            return Err(value(
                "post_publication",
                "the program must not be empty and the timeout must be positive".into(),
            ));
        }
        self.http.limits().map_err(|m| value("http", m))?;
        if !self.dcat.public_url.starts_with("https://") {
            return Err(value(
                "dcat.public_url",
                format!(
                    "{:?} must start with https:// (DCAT-AP-CZ access URLs)",
                    self.dcat.public_url
                ),
            ));
        }
        Ok(())
    }

    /// The daily update time.
    pub fn update_time(&self) -> Result<NaiveTime, String> {
        NaiveTime::parse_from_str(&self.update_at, "%H:%M")
            .map_err(|_| format!("{:?} is not a time of day HH:MM", self.update_at))
    }

    /// The time zone.
    pub fn zone(&self) -> Result<chrono_tz::Tz, String> {
        self.time_zone
            .parse()
            .map_err(|_| format!("{:?} is not an IANA time zone name", self.time_zone))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let config = Config::parse(
            "update_at = \"21:30\"\nbackend = \"ldf\"\n[dcat]\npublic_url = \"https://seznam.example/\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(
            config.update_time().unwrap(),
            NaiveTime::from_hms_opt(21, 30, 0).unwrap()
        );
        assert_eq!(config.backend, Backend::Ldf);
        assert_eq!(config.time_zone, "Europe/Prague");
    }

    #[test]
    fn errors_name_the_key() {
        let err = Config::parse("update_at = \"25:00\"", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("update_at"), "{err}");
        let err = Config::parse("unknown = 1", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("unknown"), "{err}");
        let err = Config::parse("time_zone = \"Mars/Olympus\"", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("time_zone"), "{err}");
        let err = Config::parse("[rpz]\npolicy = \"landing\"", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("`rpz`"), "{err}");
        let err = Config::parse(
            "[rpz]\npolicy = \"landing\"\nlanding_default = \"a b\"",
            Path::new("t.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"a b\""), "{err}");
        let err = Config::parse("[rpz]\npolicy = \"drop\"", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("drop"), "{err}");
    }

    #[test]
    fn rpz_landing_per_authority() {
        let config = Config::parse(
            "[rpz]\npolicy = \"landing\"\nprovenance = true\nlanding_default = \"blokace.example.cz\"\n\
             [rpz.landing]\n\"Ministerstvo financí\" = \"hazard.example.cz\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let options = config.rpz.options("rpz.example.cz", 5);
        assert!(options.provenance);
        let RpzAction::LandingCname(names) = options.action else {
            panic!("{:?}", options.action)
        };
        assert_eq!(
            names.for_authority("Ministerstvo financí"),
            Some("hazard.example.cz")
        );
        assert_eq!(names.for_authority("SÚKL"), Some("blokace.example.cz"));
    }
}

#[cfg(test)]
mod example_file {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/unified-blocklist/example.toml"
        ));
        let config = Config::load(path).unwrap();
        assert_eq!(config.sources, SourceSpec::defaults());
        assert_eq!(config.nkod, "https://data.gov.cz/");
        let defaults = Config::default();
        assert_eq!(config.update_at, defaults.update_at);
        assert_eq!(config.max_shrink, defaults.max_shrink);
    }
}

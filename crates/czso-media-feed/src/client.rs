//! The admin endpoint's client, as the CLI and the rehearsal replay use it; it carries the
//! operators' token ([`AdminToken`]).

use crate::admin::AdminToken;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::Channel;

/// A running server's admin endpoint (`http://127.0.0.1:PORT`) with the operators' token.
#[derive(Debug, Clone)]
pub struct AdminClient {
    base: String,
    bearer: String,
    agent: ureq::Agent,
}

/// Percent-encodes a query value.
pub fn encode_query_value(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl AdminClient {
    /// A client of the endpoint at `base`, presenting `token`.
    pub fn new(base: &str, token: &AdminToken) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            bearer: token.bearer(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
        }
    }

    /// The client of a server config's admin endpoint (`admin` overrides the address), with
    /// the token from its `admin_token_file`.
    pub fn for_config(config: &Config, admin: Option<&str>) -> Result<Self> {
        let token = AdminToken::read(&config.admin_token_path())?;
        let base = admin.map_or_else(|| format!("http://{}", config.admin_listen), str::to_owned);
        Ok(Self::new(&base, &token))
    }

    /// POSTs `body` to `path_query`; returns the answer's text when it is a success.
    pub fn post(&self, path_query: &str, body: &[u8]) -> Result<String> {
        let url = format!("{}{path_query}", self.base);
        let failed = |message: String| Error::Admin {
            url: url.clone(),
            message,
        };
        let request = self.agent.post(&url).header("Authorization", &self.bearer);
        let sent = if body.is_empty() {
            request.send_empty()
        } else {
            request.content_type("application/xml").send(body)
        };
        let mut resp = sent.map_err(|e| failed(e.to_string()))?;
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        if !resp.status().is_success() {
            return Err(failed(format!("{} {text}", resp.status())));
        }
        Ok(text)
    }

    /// GETs `path_query`; returns the answer's text when it is a success.
    pub fn get(&self, path_query: &str) -> Result<String> {
        let url = format!("{}{path_query}", self.base);
        let failed = |message: String| Error::Admin {
            url: url.clone(),
            message,
        };
        let mut resp = self
            .agent
            .get(&url)
            .header("Authorization", &self.bearer)
            .call()
            .map_err(|e| failed(e.to_string()))?;
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        if !resp.status().is_success() {
            return Err(failed(format!("{} {text}", resp.status())));
        }
        Ok(text)
    }

    /// The rows of `election` set aside by the `quarantine` policy (JSON).
    pub fn quarantine(&self, election: &str) -> Result<String> {
        self.get(&format!(
            "/admin/quarantine?election={}",
            encode_query_value(election)
        ))
    }

    /// Ingests one batch document; `cut`: cut a batch after it, keeping the document's
    /// batch number and time.
    pub fn ingest(
        &self,
        election: &str,
        channel: Channel,
        round: u8,
        source: &str,
        body: &[u8],
        cut: bool,
    ) -> Result<String> {
        let q = format!(
            "/admin/ingest?election={}&channel={}&round={round}&source={}{}",
            encode_query_value(election),
            channel.as_str(),
            encode_query_value(source),
            if cut { "&cut=2" } else { "" }
        );
        self.post(&q, body)
    }

    /// Resets the test data set of `election` (rows and batches removed, registry and
    /// phases kept, faults cleared).
    pub fn reset(&self, election: &str) -> Result<String> {
        self.post(
            &format!(
                "/admin/reset?election={}&channel=test",
                encode_query_value(election)
            ),
            b"",
        )
    }

    /// Sets rehearsal faults of the test data set (`charset`: `utf-8` or `iso-8859-2`;
    /// `server_error_secs`: answer 500 that long).
    pub fn faults(
        &self,
        election: &str,
        charset: Option<&str>,
        server_error_secs: Option<f64>,
    ) -> Result<String> {
        let mut q = format!(
            "/admin/faults?election={}&channel=test",
            encode_query_value(election)
        );
        if let Some(c) = charset {
            q.push_str(&format!("&charset={}", encode_query_value(c)));
        }
        if let Some(s) = server_error_secs {
            q.push_str(&format!("&server_error_secs={s}"));
        }
        self.post(&q, b"")
    }
}

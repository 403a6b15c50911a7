//! `run`: serve the publication and update it daily at a wall-clock time (22:00
//! Europe/Prague by default), retrying with backoff after a failure while the last good
//! publication stays served; stops cleanly on SIGTERM or Ctrl-C.

use crate::config::Config;
use crate::schedule::{Backoff, next_run};
use crate::serve::ServeOptions;
use crate::source::Stage;
use crate::update::{UpdateOptions, update};
use chrono::Utc;
use std::time::Duration;
use tokio::sync::watch;

/// Everything `run` needs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The configuration (validated).
    pub config: Config,
}

impl RunOptions {
    /// Options from a configuration.
    pub fn from_config(config: &Config) -> Self {
        Self {
            config: config.clone(),
        }
    }
}

/// `run` could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The async runtime or the listener could not be set up.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being done.
        action: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The configuration is not usable.
    #[error("configuration: {0}")]
    Config(String),
}

/// Sleeps until the wall clock reaches `until`, waking every minute to re-check (so a changed
/// system clock or a suspended machine cannot make the run late by hours); returns `false` if
/// shut down first.
async fn sleep_until(until: chrono::DateTime<Utc>, shutdown: &mut watch::Receiver<bool>) -> bool {
    loop {
        let now = Utc::now();
        if now >= until {
            return true;
        }
        let left = (until - now)
            .to_std()
            .unwrap_or_default()
            .min(Duration::from_secs(60));
        tokio::select! {
            () = tokio::time::sleep(left) => {}
            _ = shutdown.changed() => return false,
        }
        if *shutdown.borrow() {
            return false;
        }
    }
}

/// One update with retries; gives up when the next scheduled run would come first.
async fn update_with_retries(
    options: &UpdateOptions,
    backoff: Backoff,
    give_up_at: chrono::DateTime<Utc>,
    shutdown: &mut watch::Receiver<bool>,
) {
    let mut attempt = 0;
    loop {
        let job = options.clone();
        let result = tokio::task::spawn_blocking(move || update(&job)).await;
        // A source that could not be reached (catalogue or download) is worth another try
        // before the next scheduled run; a broken file or a tripped guard is not.
        let retry_reason = match &result {
            Ok(Ok(report)) => {
                match &report.published {
                    Some(id) => tracing::info!(
                        "published {id}: {} changes, {:.0?}",
                        report.changes,
                        report.elapsed
                    ),
                    None => tracing::info!("no change in any source; publication kept"),
                }
                for source in report.sources.iter().filter(|s| s.failure.is_some()) {
                    if let Some(failure) = &source.failure {
                        tracing::warn!(source = %source.id, "{} ({failure})", source.health.name());
                    }
                }
                let unreachable: Vec<String> = report
                    .sources
                    .iter()
                    .filter(|s| {
                        s.failure.as_ref().is_some_and(|f| {
                            matches!(f.stage, Stage::Detect | Stage::Fetch)
                                && f.rule != "not-in-catalogue"
                                && f.rule != "no-csv-distribution"
                        })
                    })
                    .map(|s| s.id.clone())
                    .collect();
                if unreachable.is_empty() {
                    return;
                }
                format!("sources not reachable: {}", unreachable.join(", "))
            }
            Ok(Err(error)) => format!("update failed ({error})"),
            Err(join_error) => {
                tracing::error!("update task failed: {join_error}");
                return;
            }
        };
        {
            {
                attempt += 1;
                let delay = backoff.delay(attempt);
                let retry_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                if retry_at >= give_up_at {
                    tracing::error!(
                        "{retry_reason}; the last good data stays published; next try at the scheduled time"
                    );
                    return;
                }
                tracing::error!(
                    "{retry_reason}; the last good data stays published; retry {attempt} in {delay:?}"
                );
                if !sleep_until(retry_at, shutdown).await {
                    return;
                }
            }
        }
    }
}

/// Serves and updates on schedule until SIGTERM.
pub fn run(options: RunOptions) -> Result<(), RunError> {
    let config = options.config;
    let at = config.update_time().map_err(RunError::Config)?;
    let zone = config.zone().map_err(RunError::Config)?;
    let backoff = Backoff {
        initial: Duration::from_secs(config.retry_initial_secs),
        max: Duration::from_secs(config.retry_max_secs),
    };
    let update_options = UpdateOptions::from_config(&config);
    let mut serve_options = ServeOptions::new(config.out.clone())
        .with_http(&config.http)
        .map_err(RunError::Config)?;
    serve_options.max_age = Duration::from_secs(config.max_age_hours * 3600);
    let listen = crate::serve::listen_addresses(&config.listen).map_err(|source| RunError::Io {
        action: format!("listen on {}", config.listen),
        source,
    })?;
    // The server runs on its own threads; this runtime only schedules the updates.
    let server = crate::serve::start(&listen, serve_options).map_err(|source| RunError::Io {
        action: format!("listen on {}", config.listen),
        source,
    })?;
    tracing::info!(address = %server.addr(), "serving {}", config.out.display());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| RunError::Io {
            action: "start the async runtime".into(),
            source,
        })?;
    runtime.block_on(async move {
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(async move {
            if let Err(e) = opendata_http::shutdown_signal().await {
                tracing::error!("cannot wait for signals: {e}");
                std::future::pending::<()>().await;
            }
            let _ = stop.send(true);
        });

        let has_publication = crate::publish::Publisher::new(&config.out)
            .current()
            .ok()
            .flatten()
            .is_some();
        if !has_publication {
            tracing::info!("no publication yet: updating now");
            let next = next_run(Utc::now(), at, zone);
            update_with_retries(&update_options, backoff, next, &mut stopped).await;
        }
        while !*stopped.borrow() {
            let next = next_run(Utc::now(), at, zone);
            tracing::info!(
                "next update at {} ({})",
                next.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z"),
                next.format("%H:%M UTC")
            );
            if !sleep_until(next, &mut stopped).await {
                break;
            }
            let following = next_run(next, at, zone);
            update_with_retries(&update_options, backoff, following, &mut stopped).await;
        }
    });
    // Requests in progress finish within the shutdown deadline.
    server.stop();
    tracing::info!("stopped");
    Ok(())
}

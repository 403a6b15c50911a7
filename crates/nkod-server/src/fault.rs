//! Deterministic fault injection, configured per route.
//!
//! Faults exist so that clients can be tested against every failure mode a real catalogue shows:
//! slow answers, 500/503 errors, bodies cut short and bodies that trickle in. Everything is
//! deterministic (driven by a per-route request counter, never by a random generator), so a test
//! knows exactly which request fails.

use std::time::Duration;

/// The routes of the server, each with its own faults and request counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `/sparql`
    Sparql,
    /// `/ldf/...` (Triple Pattern Fragments)
    Ldf,
    /// `/graphql`
    Graphql,
    /// `/soubory/...` (distribution files)
    Files,
}

impl Route {
    /// All routes, in a fixed order.
    pub const ALL: [Route; 4] = [Route::Sparql, Route::Ldf, Route::Graphql, Route::Files];

    /// The route that serves a request path, if any.
    pub fn for_path(path: &str) -> Option<Route> {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        match first {
            "sparql" => Some(Route::Sparql),
            "ldf" => Some(Route::Ldf),
            "graphql" => Some(Route::Graphql),
            "soubory" => Some(Route::Files),
            _ => None,
        }
    }

    /// The route's name as used on the command line (`sparql`, `ldf`, `graphql`, `files`).
    pub fn name(self) -> &'static str {
        match self {
            Route::Sparql => "sparql",
            Route::Ldf => "ldf",
            Route::Graphql => "graphql",
            Route::Files => "files",
        }
    }

    /// Parses a route name (`sparql`, `ldf`, `graphql`, `files`).
    pub fn from_name(name: &str) -> Option<Route> {
        Route::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// One value per route (faults, request counters), reached by the route itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PerRoute<T> {
    sparql: T,
    ldf: T,
    graphql: T,
    files: T,
}

impl<T> PerRoute<T> {
    pub(crate) fn get(&self, route: Route) -> &T {
        match route {
            Route::Sparql => &self.sparql,
            Route::Ldf => &self.ldf,
            Route::Graphql => &self.graphql,
            Route::Files => &self.files,
        }
    }

    pub(crate) fn get_mut(&mut self, route: Route) -> &mut T {
        match route {
            Route::Sparql => &mut self.sparql,
            Route::Ldf => &mut self.ldf,
            Route::Graphql => &mut self.graphql,
            Route::Files => &mut self.files,
        }
    }

    /// Every route's value, in the order of [`Route::ALL`].
    pub(crate) fn values(&self) -> [&T; 4] {
        Route::ALL.map(|route| self.get(route))
    }
}

/// A body sent in small chunks with a pause before each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowBody {
    /// Bytes per chunk (at least 1).
    pub chunk_size: usize,
    /// Pause before each chunk.
    pub delay: Duration,
}

/// The faults applied to one route. The default injects nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fault {
    /// Delay before the response head is sent.
    pub latency: Duration,
    /// The first `fail_first` requests of the route fail with `error_status`.
    pub fail_first: u64,
    /// Fraction (0.0–1.0) of the later requests that fail with `error_status`, spread evenly:
    /// request number n (1-based, counted after `fail_first`) fails when
    /// `ceil(n·rate) > ceil((n−1)·rate)`, so 0.5 fails requests 1, 3, 5, … and 1.0 fails all.
    pub error_rate: f64,
    /// Status of injected errors: 500 or 503 (503 carries `Retry-After: 1`). 0 means 500.
    pub error_status: u16,
    /// Send the full `Content-Length` but close the connection after this many body bytes.
    pub truncate_body_at: Option<usize>,
    /// Send the body slowly.
    pub slow_body: Option<SlowBody>,
    /// Apply the fault only to requests for this path (e.g. `/soubory/szpi.csv`), so that one
    /// distribution file fails while the others are served normally. `None`: every request
    /// of the route.
    pub only_path: Option<String>,
}

impl Fault {
    /// A fault that only delays responses.
    pub fn latency(latency: Duration) -> Self {
        Fault {
            latency,
            ..Fault::default()
        }
    }

    /// A fault that fails the given fraction of requests with `status` (500 or 503).
    pub fn errors(rate: f64, status: u16) -> Self {
        Fault {
            error_rate: rate,
            error_status: status,
            ..Fault::default()
        }
    }

    /// A fault that fails the first `count` requests with `status` (500 or 503).
    pub fn fail_first(count: u64, status: u16) -> Self {
        Fault {
            fail_first: count,
            error_status: status,
            ..Fault::default()
        }
    }

    /// A fault that cuts every body after `bytes` bytes.
    pub fn truncate_at(bytes: usize) -> Self {
        Fault {
            truncate_body_at: Some(bytes),
            ..Fault::default()
        }
    }

    /// A fault that sends every body in `chunk_size` pieces, `delay` apart.
    pub fn slow(chunk_size: usize, delay: Duration) -> Self {
        Fault {
            slow_body: Some(SlowBody {
                chunk_size: chunk_size.max(1),
                delay,
            }),
            ..Fault::default()
        }
    }

    /// The same fault, applied only to requests for `path` (e.g. `/soubory/szpi.csv`).
    #[must_use]
    pub fn only_for(mut self, path: impl Into<String>) -> Self {
        self.only_path = Some(path.into());
        self
    }

    /// True when this fault changes nothing.
    pub fn is_none(&self) -> bool {
        Fault {
            only_path: None,
            ..self.clone()
        } == Fault::default()
    }

    /// Whether the fault applies to a request for `path`.
    pub(crate) fn applies_to(&self, path: &str) -> bool {
        self.only_path.as_deref().is_none_or(|only| only == path)
    }

    /// Whether request number `n` (1-based, per route) gets an injected error.
    pub(crate) fn fails_request(&self, n: u64) -> bool {
        if n <= self.fail_first {
            return true;
        }
        let rate = self.error_rate.clamp(0.0, 1.0);
        if rate == 0.0 {
            return false;
        }
        let k = (n - self.fail_first) as f64;
        (k * rate).ceil() > ((k - 1.0) * rate).ceil()
    }

    pub(crate) fn status(&self) -> u16 {
        match self.error_status {
            0 => 500,
            s => s,
        }
    }
}

/// Faults for every route.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    routes: PerRoute<Fault>,
}

impl Faults {
    /// No faults anywhere.
    pub fn none() -> Self {
        Faults::default()
    }

    /// Sets the fault of one route (replacing the previous one).
    pub fn set(&mut self, route: Route, fault: Fault) -> &mut Self {
        *self.routes.get_mut(route) = fault;
        self
    }

    /// Builder form of [`Faults::set`].
    #[must_use]
    pub fn with(mut self, route: Route, fault: Fault) -> Self {
        self.set(route, fault);
        self
    }

    /// The fault of one route.
    pub fn get(&self, route: Route) -> &Fault {
        self.routes.get(route)
    }
}

/// A fault specification that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault {spec:?}: {reason}")]
pub struct FaultSpecError {
    /// The specification as given.
    pub spec: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Faults {
    /// Applies one command-line style specification, `ROUTE:KEY=VALUE`, where ROUTE is
    /// `sparql`, `ldf`, `graphql`, `files` or `all`, and KEY is one of `latency-ms` (N),
    /// `fail-first` (N), `error-rate` (0.0–1.0), `status` (500 or 503), `truncate` (bytes),
    /// `slow` (`CHUNK/DELAYms`, e.g. `16/50ms`) or `path` (only requests for this path, e.g.
    /// `/soubory/szpi.csv`). Several specifications add up.
    pub fn apply_spec(&mut self, spec: &str) -> Result<(), FaultSpecError> {
        let fail = |reason: &str| FaultSpecError {
            spec: spec.to_owned(),
            reason: reason.to_owned(),
        };
        let (route, setting) = spec
            .split_once(':')
            .ok_or_else(|| fail("expected ROUTE:KEY=VALUE"))?;
        let routes: Vec<Route> = if route == "all" {
            Route::ALL.to_vec()
        } else {
            vec![
                Route::from_name(route)
                    .ok_or_else(|| fail("the route must be sparql, ldf, graphql, files or all"))?,
            ]
        };
        let (key, value) = setting
            .split_once('=')
            .ok_or_else(|| fail("expected KEY=VALUE after the route"))?;
        let number = |v: &str| -> Result<u64, FaultSpecError> {
            v.trim()
                .parse::<u64>()
                .map_err(|_| fail("the value must be a whole number"))
        };
        for route in routes {
            let mut fault = self.get(route).clone();
            match key {
                "latency-ms" => fault.latency = Duration::from_millis(number(value)?),
                "fail-first" => fault.fail_first = number(value)?,
                "error-rate" => {
                    let rate: f64 = value
                        .trim()
                        .parse()
                        .map_err(|_| fail("the rate must be a number"))?;
                    if !(0.0..=1.0).contains(&rate) {
                        return Err(fail("the rate must be between 0.0 and 1.0"));
                    }
                    fault.error_rate = rate;
                }
                "status" => {
                    let status = number(value)?;
                    if status != 500 && status != 503 {
                        return Err(fail("the status must be 500 or 503"));
                    }
                    fault.error_status = u16::try_from(status).unwrap_or(500);
                }
                "path" => {
                    if !value.starts_with('/') {
                        return Err(fail("the path must start with /"));
                    }
                    fault.only_path = Some(value.to_owned());
                }
                "truncate" => {
                    fault.truncate_body_at = Some(
                        usize::try_from(number(value)?)
                            .map_err(|_| fail("the byte count is too large"))?,
                    );
                }
                "slow" => {
                    let (chunk, delay) = value
                        .split_once('/')
                        .ok_or_else(|| fail("slow takes CHUNK/DELAYms, e.g. 16/50ms"))?;
                    let chunk = usize::try_from(number(chunk)?)
                        .map_err(|_| fail("the chunk size is too large"))?;
                    if chunk == 0 {
                        return Err(fail("the chunk size must be at least 1"));
                    }
                    let delay = number(delay.trim().trim_end_matches("ms"))?;
                    fault.slow_body = Some(SlowBody {
                        chunk_size: chunk,
                        delay: Duration::from_millis(delay),
                    });
                }
                _ => {
                    return Err(fail(
                        "the key must be latency-ms, fail-first, error-rate, status, truncate, slow or path",
                    ));
                }
            }
            self.set(route, fault);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_add_up() {
        let mut faults = Faults::none();
        faults.apply_spec("sparql:error-rate=0.5").unwrap();
        faults.apply_spec("sparql:status=503").unwrap();
        faults.apply_spec("all:latency-ms=20").unwrap();
        faults.apply_spec("files:slow=16/50ms").unwrap();
        faults.apply_spec("ldf:truncate=100").unwrap();
        faults.apply_spec("graphql:fail-first=2").unwrap();
        faults.apply_spec("ldf:path=/ldf/nkod-ldf").unwrap();
        assert_eq!(
            faults.get(Route::Ldf).only_path.as_deref(),
            Some("/ldf/nkod-ldf")
        );
        let sparql = faults.get(Route::Sparql);
        assert_eq!((sparql.error_rate, sparql.error_status), (0.5, 503));
        assert_eq!(sparql.latency, Duration::from_millis(20));
        assert_eq!(faults.get(Route::Files).latency, Duration::from_millis(20));
        assert_eq!(
            faults.get(Route::Files).slow_body,
            Some(SlowBody {
                chunk_size: 16,
                delay: Duration::from_millis(50)
            })
        );
        assert_eq!(faults.get(Route::Ldf).truncate_body_at, Some(100));
        assert_eq!(faults.get(Route::Graphql).fail_first, 2);
        for bad in [
            "sparql",
            "web:latency-ms=1",
            "sparql:latency-ms=x",
            "sparql:error-rate=2",
            "sparql:status=404",
            "files:slow=0/5ms",
            "files:slow=5",
            "files:color=red",
            "files:path=soubory/x.csv",
        ] {
            assert!(Faults::none().apply_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_rate_is_even_and_deterministic() {
        let half = Fault::errors(0.5, 503);
        let failed: Vec<u64> = (1..=8).filter(|&n| half.fails_request(n)).collect();
        assert_eq!(failed, vec![1, 3, 5, 7]);
        let all = Fault::errors(1.0, 500);
        assert!((1..=10).all(|n| all.fails_request(n)));
        let none = Fault::default();
        assert!((1..=10).all(|n| !none.fails_request(n)));
        let third = Fault::errors(1.0 / 3.0, 500);
        assert_eq!((1..=9).filter(|&n| third.fails_request(n)).count(), 3);
    }

    #[test]
    fn fail_first_then_rate() {
        let f = Fault {
            fail_first: 2,
            ..Fault::default()
        };
        assert!(f.fails_request(1) && f.fails_request(2) && !f.fails_request(3));
        assert_eq!(f.status(), 500);
    }

    #[test]
    fn route_for_path() {
        assert_eq!(Route::for_path("/sparql"), Some(Route::Sparql));
        assert_eq!(Route::for_path("/ldf/nkod-ldf"), Some(Route::Ldf));
        assert_eq!(Route::for_path("/soubory/a.csv"), Some(Route::Files));
        assert_eq!(Route::for_path("/graphql"), Some(Route::Graphql));
        assert_eq!(Route::for_path("/"), None);
        assert_eq!(Route::from_name("files"), Some(Route::Files));
    }
}

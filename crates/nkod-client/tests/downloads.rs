//! Distribution downloads against scripted loopback HTTP servers: conditional GET, SHA-256,
//! limits, redirects, retries inside the deadline, and one distinct error per failure mode.

use nkod_client::{Downloader, Error, Fetched, HttpConfig, Validators};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What the scripted server does with one connection.
type Script = Arc<dyn Fn(usize, &str, &mut TcpStream) + Send + Sync>;

/// A loopback server answering each connection with `script(connection index, request head)`.
/// It serves until the test process ends; each test gets its own port.
struct Scripted {
    base: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    fn start(script: impl Fn(usize, &str, &mut TcpStream) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let script: Script = Arc::new(script);
        let seen = Arc::clone(&heads);
        thread::spawn(move || {
            for (index, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { continue };
                let script = Arc::clone(&script);
                let seen = Arc::clone(&seen);
                thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
                    let mut head = String::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                        head.push_str(&line);
                    }
                    seen.lock().expect("lock").push(head.clone());
                    script(index, &head, &mut stream);
                    let _ = stream.flush();
                });
            }
        });
        Self { base, heads }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn requests(&self) -> usize {
        self.heads.lock().expect("lock").len()
    }

    fn head(&self, index: usize) -> String {
        self.heads.lock().expect("lock")[index].clone()
    }
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(body);
}

fn quick() -> HttpConfig {
    HttpConfig {
        request_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(10),
        max_attempts: 3,
        backoff_initial: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        ..HttpConfig::default()
    }
}

const CSV: &[u8] =
    b"URL,DATUM_ZAPISU,DATUM_VYMAZU\r\n\"americansupplements.eu\",\"2022-12-07\",\r\n";

#[test]
fn conditional_get_returns_not_modified_without_a_body() {
    let server = Scripted::start(|_, head, stream| {
        let lower = head.to_ascii_lowercase();
        if lower.contains("if-none-match: \"v1\"") {
            respond(stream, "304 Not Modified", &[("ETag", "\"v1\"")], b"");
        } else {
            respond(
                stream,
                "200 OK",
                &[
                    ("ETag", "\"v1\""),
                    ("Last-Modified", "Tue, 18 Aug 2026 06:00:00 GMT"),
                    ("Content-Type", "text/csv"),
                ],
                CSV,
            );
        }
    });
    let downloader = Downloader::new(quick());
    let first = downloader
        .fetch(&server.url("/szpi.csv"), None)
        .expect("first download");
    assert_eq!(first.usage.requests, 1);
    assert!(first.usage.bytes_received >= CSV.len() as u64);
    let Fetched::Changed(download) = &first.value else {
        panic!("expected a body: {:?}", first.value)
    };
    assert_eq!(download.body, CSV);
    let expected_sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(CSV));
    assert_eq!(download.sha256(), expected_sha);
    assert!(download.last_modified().is_some());

    let second = downloader
        .fetch(&server.url("/szpi.csv"), Some(first.value.validators()))
        .expect("conditional GET");
    assert_eq!(second.usage.requests, 1);
    assert!(
        matches!(second.value, Fetched::NotModified { .. }),
        "{:?}",
        second.value
    );
    assert!(
        second.usage.bytes_received < 200,
        "a 304 carries no body: {}",
        second.usage
    );
    let sent = server.head(1).to_ascii_lowercase();
    assert!(sent.contains("if-none-match: \"v1\""), "{sent}");
    assert!(
        sent.contains("if-modified-since: tue, 18 aug 2026 06:00:00 gmt"),
        "{sent}"
    );
    assert_eq!(downloader.total_usage().requests, 2);
}

#[test]
fn server_ignoring_validators_is_detected_by_hash() {
    let server = Scripted::start(|_, _, stream| {
        respond(stream, "200 OK", &[], CSV);
    });
    let downloader = Downloader::new(quick());
    let first = downloader
        .fetch(&server.url("/x.csv"), None)
        .expect("download");
    let again = downloader
        .fetch(&server.url("/x.csv"), Some(first.value.validators()))
        .expect("download");
    assert!(matches!(again.value, Fetched::Unchanged(_)));
    assert!(!again.value.is_changed());
    let other = Validators {
        sha256: Some("00".repeat(32)),
        ..Validators::default()
    };
    assert!(
        downloader
            .fetch(&server.url("/x.csv"), Some(&other))
            .expect("download")
            .value
            .is_changed()
    );
}

#[test]
fn follows_redirects_and_counts_every_hop() {
    let server = Scripted::start(|_, head, stream| {
        if head.starts_with("GET /old ") {
            respond(stream, "302 Found", &[("Location", "/middle")], b"");
        } else if head.starts_with("GET /middle ") {
            respond(
                stream,
                "301 Moved Permanently",
                &[("Location", "/files/new.csv")],
                b"",
            );
        } else {
            respond(stream, "200 OK", &[], CSV);
        }
    });
    let downloader = Downloader::new(quick());
    let fetched = downloader
        .fetch(&server.url("/old"), None)
        .expect("download");
    assert_eq!(fetched.usage.requests, 3);
    let Fetched::Changed(download) = fetched.value else {
        panic!("expected a body")
    };
    assert_eq!(download.final_url, server.url("/files/new.csv"));

    let looping = Scripted::start(|_, _, stream| {
        respond(stream, "302 Found", &[("Location", "/again")], b"");
    });
    let config = HttpConfig {
        max_redirects: 3,
        ..quick()
    };
    let err = Downloader::new(config)
        .fetch(&looping.url("/a"), None)
        .expect_err("redirect loop");
    assert!(matches!(err, Error::Redirect { .. }), "{err}");
    assert_eq!(
        looping.requests(),
        4,
        "3 redirects followed, then give up without retrying"
    );
}

#[test]
fn retries_transient_statuses_with_backoff() {
    let server = Scripted::start(|index, _, stream| {
        if index < 2 {
            respond(stream, "503 Service Unavailable", &[], b"busy");
        } else {
            respond(stream, "200 OK", &[], CSV);
        }
    });
    let started = Instant::now();
    let fetched = Downloader::new(quick())
        .fetch(&server.url("/x.csv"), None)
        .expect("third attempt succeeds");
    assert_eq!(fetched.usage.requests, 3);
    assert!(
        started.elapsed() >= Duration::from_millis(60),
        "backoff 20 ms then 40 ms"
    );
}

#[test]
fn http_status_error_is_not_retried_for_client_errors() {
    let server =
        Scripted::start(|_, _, stream| respond(stream, "404 Not Found", &[], b"no such file"));
    let err = Downloader::new(quick())
        .fetch(&server.url("/missing.csv"), None)
        .expect_err("404");
    match &err {
        Error::Status {
            status,
            body_excerpt,
            url,
        } => {
            assert_eq!(*status, 404);
            assert_eq!(body_excerpt, "no such file");
            assert!(url.ends_with("/missing.csv"));
        }
        other => panic!("expected Error::Status, got {other:?}"),
    }
    assert_eq!(server.requests(), 1);
    assert!(!err.is_transient());
}

#[test]
fn persistent_server_errors_end_with_the_status_after_all_attempts() {
    let server =
        Scripted::start(|_, _, stream| respond(stream, "500 Internal Server Error", &[], b""));
    let err = Downloader::new(quick())
        .fetch(&server.url("/x.csv"), None)
        .expect_err("always 500");
    assert!(matches!(err, Error::Status { status: 500, .. }), "{err}");
    assert_eq!(server.requests(), 3);
}

#[test]
fn truncated_body_is_its_own_error() {
    let server = Scripted::start(|_, _, stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\nURL,DATUM_ZAPISU\r\n");
        let _ = stream.shutdown(std::net::Shutdown::Both);
    });
    let config = HttpConfig {
        max_attempts: 2,
        ..quick()
    };
    let err = Downloader::new(config)
        .fetch(&server.url("/cut.csv"), None)
        .expect_err("truncated");
    match err {
        Error::Truncated {
            received, expected, ..
        } => {
            assert_eq!(received, 18);
            assert_eq!(expected, Some(1000));
        }
        other => panic!("expected Error::Truncated, got {other:?}"),
    }
    assert_eq!(server.requests(), 2, "a truncated body is retried");
}

#[test]
fn slow_server_times_out() {
    let server = Scripted::start(|_, _, stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
        let _ = stream.flush();
        thread::sleep(Duration::from_secs(3));
    });
    let config = HttpConfig {
        request_timeout: Duration::from_millis(300),
        deadline: Duration::from_millis(800),
        ..quick()
    };
    let started = Instant::now();
    let err = Downloader::new(config)
        .fetch(&server.url("/slow.csv"), None)
        .expect_err("slow body");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the total deadline bounds retries"
    );
    assert!(
        server.requests() >= 2,
        "a timeout is retried while the deadline allows"
    );
}

#[test]
fn size_limit_stops_the_download() {
    let big = vec![b'x'; 50_000];
    let server = Scripted::start(move |_, _, stream| respond(stream, "200 OK", &[], &big));
    let config = HttpConfig {
        max_body_bytes: 10_000,
        ..quick()
    };
    let err = Downloader::new(config)
        .fetch(&server.url("/big.csv"), None)
        .expect_err("too large");
    assert!(
        matches!(err, Error::TooLarge { limit: 10_000, .. }),
        "{err}"
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn unknown_host_is_a_dns_error() {
    let err = Downloader::new(quick())
        .fetch("http://nkod-client-test.invalid/x.csv", None)
        .expect_err("no DNS");
    assert!(matches!(err, Error::Dns { .. }), "{err:?}");
}

#[test]
fn tls_to_a_plain_http_server_is_a_tls_error() {
    // A server that answers whatever arrives (a TLS client hello) with plain HTTP.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().expect("address");
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0_u8; 512];
            let _ = stream.read(&mut buffer);
            respond(&mut stream, "400 Bad Request", &[], b"plain http");
        }
    });
    let err = Downloader::new(quick())
        .fetch(&format!("https://{address}/x.csv"), None)
        .expect_err("not TLS");
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
}

#[test]
fn refused_connection_is_a_connect_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let config = HttpConfig {
        max_attempts: 1,
        ..quick()
    };
    let err = Downloader::new(config)
        .fetch(&format!("http://127.0.0.1:{port}/x.csv"), None)
        .expect_err("refused");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
}

#[test]
fn invalid_urls_are_rejected_before_any_request() {
    let downloader = Downloader::new(quick());
    let err = downloader
        .fetch("file:///etc/passwd", None)
        .expect_err("not http");
    assert!(matches!(err, Error::InvalidUrl { .. }), "{err}");
    assert_eq!(downloader.total_usage().requests, 0);
}

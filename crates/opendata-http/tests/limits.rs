//! The server's limits on loopback: idle and header timeouts, stalled transfers, the
//! connection limit and the shutdown deadline.

use bytes::Bytes;
use opendata_http::client::{Client, Request};
use opendata_http::{Full, Limits, RunningServer, ServerConfig, handler_fn};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn limits() -> Limits {
    Limits {
        header_read_timeout: Duration::from_millis(600),
        idle_timeout: Duration::from_millis(800),
        max_connections: None,
        shutdown_deadline: Duration::from_millis(500),
        max_head_bytes: 8192,
    }
}

/// `/slow` sleeps 30 s before answering; `/big` is 64 MiB; anything else is "ok".
fn start(limits: Limits) -> RunningServer {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.workers = 1;
    config.limits = limits;
    let big = Bytes::from(vec![b'x'; 64 << 20]);
    opendata_http::start(
        &config,
        handler_fn(move |request, _| {
            let big = big.clone();
            Box::pin(async move {
                match request.uri().path() {
                    "/slow" => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        http::Response::new(Full::new("late"))
                    }
                    "/big" => http::Response::new(Full::new(big)),
                    _ => http::Response::new(Full::new("ok")),
                }
            })
        }),
    )
    .unwrap()
}

/// Reads until the server closes; how long that took.
fn closed_after(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);
    start.elapsed()
}

#[test]
fn idle_connections_are_closed() {
    let server = start(limits());
    // Never says anything: closed after the header timeout from the accept.
    let mut silent = TcpStream::connect(server.addr()).unwrap();
    let waited = closed_after(&mut silent);
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    // Idle after a keep-alive request.
    let mut conn = Client::new(server.addr()).connect().unwrap();
    let reply = conn.send(&Request::get("/").keep_alive()).unwrap();
    assert_eq!(reply.status, 200);
    let mut rest = Vec::new();
    let start = Instant::now();
    assert_eq!(conn.read_to_end(&mut rest).unwrap(), 0);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(server.stats().timed_out() >= 2);
}

#[test]
fn a_slow_head_is_cut_even_while_bytes_arrive() {
    let server = start(limits());
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let start = Instant::now();
    // One header byte every 100 ms: always under the idle timeout, never a whole head.
    let mut cut = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        if stream.write_all(b"X").is_err() {
            cut = true;
            break;
        }
    }
    let waited = start.elapsed();
    assert!(cut, "the slow head was never cut");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}

#[test]
fn a_client_that_stops_reading_is_cut() {
    let server = start(limits());
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // Read nothing: the server fills the socket buffers and stalls.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.stats().timed_out() == 0 {
        assert!(
            Instant::now() < deadline,
            "a stalled transfer was never cut"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.stats().open(), 0);
}

#[test]
fn at_the_limit_idle_connections_make_room_else_503() {
    let server = start(Limits {
        max_connections: Some(3),
        idle_timeout: Duration::from_secs(30),
        header_read_timeout: Duration::from_secs(30),
        ..limits()
    });
    let client = Client::new(server.addr());
    // Three idle keep-alive connections fill the server.
    let mut idle: Vec<_> = (0..3)
        .map(|_| {
            let mut c = client.connect().unwrap();
            assert_eq!(c.send(&Request::get("/").keep_alive()).unwrap().status, 200);
            c
        })
        .collect();
    // A fourth client is still served: the longest-idle connection is closed for it.
    assert_eq!(client.get("/", &[]).unwrap().status, 200);
    assert_eq!(server.stats().evicted(), 1);
    // One of the idle connections (the longest idle, give or take a millisecond) is closed.
    std::thread::sleep(Duration::from_millis(300));
    let mut closed = 0;
    for c in &mut idle {
        c.stream()
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut rest = Vec::new();
        closed += usize::from(matches!(c.read_to_end(&mut rest), Ok(0)));
    }
    assert_eq!(closed, 1);
    drop(idle);
    // Three connections in the middle of a head cannot be evicted: the next gets 503.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.stats().open() > 0 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let busy: Vec<_> = (0..3)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr()).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\n").unwrap();
            s
        })
        .collect();
    while server.stats().open() < 3 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let refused = client.get("/", &[]).unwrap();
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("connection"), Some("close"));
    assert!(refused.text().contains("too many connections"));
    assert_eq!(server.stats().refused(), 1);
    drop(busy);
}

#[test]
fn shutdown_waits_for_requests_only_until_the_deadline() {
    let server = start(limits());
    let addr = server.addr();
    let slow = std::thread::spawn(move || Client::new(addr).get("/slow", &[]));
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    server.stop();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "stop took {took:?}");
    assert!(slow.join().unwrap().is_err(), "the slow request was cut");
    assert!(TcpStream::connect(addr).is_err(), "the port is closed");
}

#[test]
fn shutdown_lets_a_short_request_finish() {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.workers = 1;
    config.limits = Limits {
        shutdown_deadline: Duration::from_secs(5),
        ..limits()
    };
    let server = opendata_http::start(
        &config,
        handler_fn(|_, _| {
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                http::Response::new(Full::new("finished"))
            })
        }),
    )
    .unwrap();
    let addr = server.addr();
    let request = std::thread::spawn(move || Client::new(addr).get("/", &[]));
    std::thread::sleep(Duration::from_millis(150));
    server.stop();
    let reply = request.join().unwrap().unwrap();
    assert_eq!(reply.text(), "finished");
}

#[test]
fn an_oversized_head_gets_431() {
    let server = start(limits());
    let reply = Client::new(server.addr())
        .get("/", &[("X-Padding", &"a".repeat(20_000))])
        .unwrap();
    assert_eq!(reply.status, 431);
}

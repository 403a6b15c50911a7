//! Large bodies go out with sendfile(2) from their sealed mirrors (Linux), byte for byte the
//! same as copied ones: whole, gzip, ranges, pipelined, and to a client that reads slowly
//! enough for every send to stop half-way.
#![cfg(target_os = "linux")]

use http::{HeaderValue, Method};
use opendata_http::client::{Client, Request};
use opendata_http::{Entity, RunningServer, ServerConfig, handler_fn, response};
use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// 3 MB of a CSV-like text (compressible, so it has a gzip representation too).
fn big() -> Vec<u8> {
    (0..150_000)
        .map(|i| format!("{i:07},domena-{}.cz\n", i * 7919 % 100_003))
        .collect::<String>()
        .into_bytes()
}

/// `/big` and `/small` (1 KB).
fn serve() -> RunningServer {
    let big = Arc::new(Entity::new(
        big(),
        SystemTime::UNIX_EPOCH,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    ));
    let small = Arc::new(Entity::new(
        vec![b'a'; 1024],
        SystemTime::UNIX_EPOCH,
        HeaderValue::from_static("application/octet-stream"),
    ));
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.workers = 1;
    opendata_http::start(
        &config,
        handler_fn(move |request, _| {
            let entity = if request.uri().path() == "/big" {
                &big
            } else {
                &small
            };
            std::future::ready(match *request.method() {
                Method::GET | Method::HEAD => entity.respond(request.method(), request.headers()),
                _ => response::method_not_allowed("GET, HEAD", "only GET and HEAD\n"),
            })
        }),
    )
    .unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn whole_gzip_and_ranges_are_sent_from_the_mirror_unchanged() {
    let server = serve();
    let client = Client::new(server.addr());
    let whole = big();
    // The first answer of each representation is copied; the mirror is made for the second.
    for gzip in ["identity", "gzip"] {
        let first = client.get("/big", &[("Accept-Encoding", gzip)]).unwrap();
        assert_eq!(first.status, 200);
    }
    assert_eq!(server.stats().sent_from_mirrors(), 0);
    let reply = client.get("/big", &[]).unwrap();
    assert_eq!(reply.status, 200);
    assert!(reply.body == whole, "identity body differs");
    let sent = server.stats().sent_from_mirrors();
    // The body (not the head) went out with sendfile.
    assert_eq!(sent, whole.len() as u64);

    let gz = client.get("/big", &[("Accept-Encoding", "gzip")]).unwrap();
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gunzip(&gz.body) == whole, "gzip body differs");
    let sent_gz = server.stats().sent_from_mirrors() - sent;
    assert_eq!(sent_gz, gz.body.len() as u64);

    // A range inside the body is sent from the same mirror at its offset.
    let part = client
        .get("/big", &[("Range", "bytes=1000000-1999999")])
        .unwrap();
    assert_eq!(part.status, 206);
    assert!(part.body == whole[1_000_000..2_000_000], "range differs");
    assert_eq!(
        server.stats().sent_from_mirrors() - sent - sent_gz,
        1_000_000
    );

    // Small bodies and HEAD are written as before.
    let before = server.stats().sent_from_mirrors();
    let small = client.get("/small", &[]).unwrap();
    assert_eq!(small.body, vec![b'a'; 1024]);
    let head = client.send(&Request::head("/big")).unwrap();
    assert_eq!(head.body.len(), 0);
    assert_eq!(server.stats().sent_from_mirrors(), before);
}

#[test]
fn pipelined_answers_keep_their_order_and_bytes() {
    let server = serve();
    let whole = big();
    // The first of the three /big answers is copied, the others come from the mirror.
    let mut conn = Client::new(server.addr()).connect().unwrap();
    let mut requests = Vec::new();
    let host = server.addr().to_string();
    for target in ["/big", "/small", "/big"] {
        requests.extend(Request::get(target).keep_alive().to_bytes(&host));
    }
    requests.extend(
        Request::get("/big")
            .keep_alive()
            .header("Range", "bytes=-10")
            .to_bytes(&host),
    );
    conn.write_raw(&requests).unwrap();
    assert!(conn.read_reply(false).unwrap().body == whole);
    assert_eq!(conn.read_reply(false).unwrap().body, vec![b'a'; 1024]);
    assert!(conn.read_reply(false).unwrap().body == whole);
    let tail = conn.read_reply(false).unwrap();
    assert_eq!(
        (tail.status, &tail.body[..]),
        (206, &whole[whole.len() - 10..])
    );
}

#[test]
fn a_slow_reader_gets_every_byte() {
    let server = serve();
    let whole = big();
    // A small receive buffer and pauses: the server's socket fills and each sendfile stops
    // part-way, to go on when the socket is writable again.
    assert!(Client::new(server.addr()).get("/big", &[]).unwrap().body == whole);
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&server.addr().into()).unwrap();
    let mut stream: std::net::TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(
            format!(
                "GET /big HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                server.addr()
            )
            .as_bytes(),
        )
        .unwrap();
    let mut received = Vec::new();
    let mut chunk = vec![0u8; 16384];
    let mut reads = 0u32;
    loop {
        let n = stream.read(&mut chunk).unwrap();
        if n == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..n]);
        reads += 1;
        if reads.is_multiple_of(64) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let body_at = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(received[body_at..] == whole[..], "body differs");
    assert_eq!(server.stats().sent_from_mirrors(), whole.len() as u64);
}

#[test]
fn a_body_whose_entity_is_gone_is_copied() {
    // The handler makes a new entity per request and drops it with its mirror before hyper
    // writes the body, which hyper still holds: it goes out by copying.
    let whole = Arc::new(big());
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.workers = 1;
    let body = Arc::clone(&whole);
    let server = opendata_http::start(
        &config,
        handler_fn(move |request, _| {
            let entity = Entity::new(
                body.as_ref().clone(),
                SystemTime::UNIX_EPOCH,
                HeaderValue::from_static("text/csv"),
            );
            std::future::ready(entity.respond(request.method(), request.headers()))
        }),
    )
    .unwrap();
    let client = Client::new(server.addr());
    for _ in 0..3 {
        let reply = client.get("/", &[]).unwrap();
        assert!(reply.body == *whole, "body differs");
    }
    assert_eq!(server.stats().sent_from_mirrors(), 0);
}

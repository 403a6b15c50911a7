//! RFC 9110 over the wire: a real server from this crate answering an [`Entity`], asked by
//! the crate's own client with the header lines a browser, a cache or a download tool sends.

use http::{HeaderValue, Method};
use opendata_http::client::{Client, Request};
use opendata_http::{Entity, RunningServer, ServerConfig, handler_fn, response};
use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 2023-11-14T22:13:20Z.
const MODIFIED: u64 = 1_700_000_000;
const MODIFIED_HTTP: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

fn body() -> String {
    (0..400).map(|i| format!("{i:04},example.cz\n")).collect()
}

fn serve(entity: Entity) -> RunningServer {
    let entity = Arc::new(entity);
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.workers = 1;
    opendata_http::start(
        &config,
        handler_fn(move |request, _| {
            std::future::ready(match *request.method() {
                Method::GET | Method::HEAD => entity.respond(request.method(), request.headers()),
                _ => response::method_not_allowed("GET, HEAD", "only GET and HEAD\n"),
            })
        }),
    )
    .unwrap()
}

fn csv_server() -> RunningServer {
    serve(Entity::new(
        body(),
        UNIX_EPOCH + Duration::from_millis(MODIFIED * 1000 + 700),
        HeaderValue::from_static("text/csv; charset=utf-8"),
    ))
}

#[test]
fn validators_and_conditional_get() {
    let server = csv_server();
    let client = Client::new(server.addr());
    let full = client.get("/", &[]).unwrap();
    assert_eq!(full.status, 200);
    assert_eq!(full.text(), body());
    let etag = full.header("etag").unwrap().to_owned();
    assert_eq!(etag.len(), 34, "128-bit tag in hex, quoted: {etag}");
    assert_eq!(full.header("last-modified"), Some(MODIFIED_HTTP));
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    assert_eq!(full.header("vary"), Some("Accept-Encoding"));
    assert_eq!(full.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        full.header("content-length"),
        Some(body().len().to_string().as_str())
    );

    for (lines, status) in [
        (vec![("If-None-Match", etag.clone())], 304),
        (vec![("If-None-Match", format!("W/{etag}"))], 304),
        (vec![("If-None-Match", format!("\"x\", {etag}"))], 304),
        (
            vec![
                ("If-None-Match", "\"x\"".to_owned()),
                ("If-None-Match", etag.clone()),
            ],
            304,
        ),
        (vec![("If-None-Match", "*".to_owned())], 304),
        (
            vec![("If-None-Match", etag.trim_matches('"').to_owned())],
            200,
        ),
        (vec![("If-Modified-Since", MODIFIED_HTTP.to_owned())], 304),
        (
            vec![(
                "If-Modified-Since",
                "Tue, 14 Nov 2023 22:13:19 GMT".to_owned(),
            )],
            200,
        ),
        // A date in the future is not one this server gave out: ignored.
        (
            vec![(
                "If-Modified-Since",
                httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(86_400)),
            )],
            200,
        ),
        (vec![("If-Modified-Since", "not a date".to_owned())], 200),
        (
            vec![
                ("If-None-Match", "\"stale\"".to_owned()),
                ("If-Modified-Since", MODIFIED_HTTP.to_owned()),
            ],
            200,
        ),
        (vec![("If-Match", "\"other\"".to_owned())], 412),
        (vec![("If-Match", etag.clone())], 200),
        (
            vec![(
                "If-Unmodified-Since",
                "Mon, 13 Nov 2023 00:00:00 GMT".to_owned(),
            )],
            412,
        ),
    ] {
        let headers: Vec<(&str, &str)> = lines.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let reply = client.get("/", &headers).unwrap();
        assert_eq!(reply.status, status, "{lines:?}");
        if status == 304 {
            assert!(reply.body.is_empty());
            assert_eq!(reply.header("etag"), Some(etag.as_str()));
            assert_eq!(reply.header("vary"), Some("Accept-Encoding"));
        }
    }
}

#[test]
fn gzip_is_negotiated_with_its_own_validator() {
    let server = csv_server();
    let client = Client::new(server.addr());
    let identity = client.get("/", &[]).unwrap();
    let gz = client
        .get("/", &[("Accept-Encoding", "br;q=1, gzip;q=0.8")])
        .unwrap();
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, identity.body);
    let gz_tag = gz.header("etag").unwrap();
    assert_ne!(gz_tag, identity.header("etag").unwrap());
    // Each tag revalidates its own representation only.
    let again = client
        .get(
            "/",
            &[("Accept-Encoding", "gzip"), ("If-None-Match", gz_tag)],
        )
        .unwrap();
    assert_eq!(again.status, 304);
    let other = client.get("/", &[("If-None-Match", gz_tag)]).unwrap();
    assert_eq!(other.status, 200, "the gzip tag does not validate identity");
    for refusal in ["gzip;q=0", "*;q=0", "identity, gzip;q=0", "deflate"] {
        let reply = client.get("/", &[("Accept-Encoding", refusal)]).unwrap();
        assert_eq!(reply.header("content-encoding"), None, "{refusal}");
        assert_eq!(reply.body, identity.body);
    }
    let star = client.get("/", &[("Accept-Encoding", "*")]).unwrap();
    assert_eq!(star.header("content-encoding"), Some("gzip"));
}

#[test]
fn single_byte_ranges_206_and_416() {
    let server = csv_server();
    let client = Client::new(server.addr());
    let whole = body().into_bytes();
    let len = whole.len();
    let part = client.get("/", &[("Range", "bytes=10-19")]).unwrap();
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &whole[10..20]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 10-19/{len}").as_str())
    );
    let tail = client.get("/", &[("Range", "bytes=-5")]).unwrap();
    assert_eq!(tail.body, &whole[len - 5..]);
    let open = client.get("/", &[("Range", "bytes=5990-")]).unwrap();
    assert_eq!(open.body, &whole[5990..]);
    let beyond = client
        .get("/", &[("Range", &format!("bytes={len}-"))])
        .unwrap();
    assert_eq!(beyond.status, 416);
    assert_eq!(
        beyond.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    let several = client.get("/", &[("Range", "bytes=0-1,5-6")]).unwrap();
    assert_eq!((several.status, several.body.len()), (200, len));
    let etag = part.header("etag").unwrap().to_owned();
    let resumed = client
        .get("/", &[("Range", "bytes=100-"), ("If-Range", &etag)])
        .unwrap();
    assert_eq!(resumed.status, 206);
    let stale = client
        .get("/", &[("Range", "bytes=100-"), ("If-Range", "\"old\"")])
        .unwrap();
    assert_eq!((stale.status, stale.body.len()), (200, len));
    let by_date = client
        .get("/", &[("Range", "bytes=100-"), ("If-Range", MODIFIED_HTTP)])
        .unwrap();
    assert_eq!(by_date.status, 206);
    // The range applies to the representation sent: here the gzip bytes.
    let gz = client.get("/", &[("Accept-Encoding", "gzip")]).unwrap();
    let gz_part = client
        .get("/", &[("Accept-Encoding", "gzip"), ("Range", "bytes=0-9")])
        .unwrap();
    assert_eq!(gz_part.body, &gz.body[..10]);
    assert_eq!(gz_part.header("content-encoding"), Some("gzip"));
}

#[test]
fn head_has_the_get_headers_and_no_body() {
    let server = csv_server();
    let client = Client::new(server.addr());
    let get = client.get("/", &[]).unwrap();
    let head = client.send(&Request::head("/")).unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    for name in [
        "etag",
        "last-modified",
        "content-length",
        "content-type",
        "vary",
    ] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
    let post = client.send(&Request::post("/", "x")).unwrap();
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
}

#[test]
fn small_and_binary_bodies_are_not_compressed() {
    let small = serve(Entity::new(
        "tiny",
        SystemTime::now(),
        HeaderValue::from_static("text/plain; charset=utf-8"),
    ));
    let reply = Client::new(small.addr())
        .get("/", &[("Accept-Encoding", "gzip")])
        .unwrap();
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.header("vary"), None, "no choice, no Vary");
    let zip = serve(Entity::new(
        vec![7u8; 4096],
        SystemTime::now(),
        HeaderValue::from_static("application/zip"),
    ));
    let reply = Client::new(zip.addr())
        .get("/", &[("Accept-Encoding", "gzip")])
        .unwrap();
    assert_eq!(reply.header("content-encoding"), None);
}

#[test]
fn a_weak_tag_of_the_callers_making_compares_weakly() {
    // A document re-stamped with its generation time: other bytes, the same meaning.
    let server = serve(Entity::with_tag(
        body(),
        "c0ffee",
        true,
        UNIX_EPOCH + Duration::from_secs(MODIFIED),
        HeaderValue::from_static("application/xml; charset=utf-8"),
    ));
    let client = Client::new(server.addr());
    let full = client.get("/", &[]).unwrap();
    assert_eq!(full.header("etag"), Some("W/\"c0ffee\""));
    let gz = client.get("/", &[("Accept-Encoding", "gzip")]).unwrap();
    assert_eq!(gz.header("etag"), Some("W/\"c0ffee-gz\""));
    // If-None-Match compares weakly: either form of the tag matches.
    for tag in ["W/\"c0ffee\"", "\"c0ffee\""] {
        assert_eq!(
            client.get("/", &[("If-None-Match", tag)]).unwrap().status,
            304,
            "{tag}"
        );
    }
    // If-Match needs a strong match, which a weak tag never gives.
    assert_eq!(
        client
            .get("/", &[("If-Match", "W/\"c0ffee\"")])
            .unwrap()
            .status,
        412
    );
    // If-Range with a weak tag: the whole representation, not the range.
    let r = client
        .get("/", &[("Range", "bytes=0-9"), ("If-Range", "W/\"c0ffee\"")])
        .unwrap();
    assert_eq!(r.status, 200);
    // Nothing but the tag's characters gets into the header.
    let odd = Entity::with_tag(
        "x",
        "a\"b c\r\nd",
        false,
        UNIX_EPOCH,
        HeaderValue::from_static("text/plain"),
    );
    assert_eq!(odd.etag(), "\"abcd\"");
}

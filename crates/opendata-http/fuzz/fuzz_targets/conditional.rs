//! Conditional requests, content coding and byte ranges on one entity, with request headers
//! a client controls: never a panic, and every answer is one RFC 9110 allows for them —
//! 304 only for GET/HEAD whose `If-None-Match` matched weakly or whose `If-Modified-Since`
//! is a single past date not before the modification; 412 only under `If-Match` or
//! `If-Unmodified-Since`; 206 only for GET with one range inside the representation, its
//! `Content-Range` and bytes exact; 416 with `bytes */len`; the gzip representation only
//! when the request accepts it, with its own entity tag; `Content-Length` the bytes sent.
//!
//! Input: four bytes (bit 0 of the first: HEAD, bit 1: a compressible type, bit 2: a weak
//! tag; then the body length in two bytes; then the seconds before now of the modification)
//! and header lines separated by `\n`, each naming its field by its first byte. In values,
//! byte 1 stands for the identity tag, 2 for the gzip tag and 3 for the modification date,
//! so the fuzzer reaches the branches where validators match.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opendata_http::Entity;
use opendata_http::http::header::{self, HeaderName};
use opendata_http::http::{HeaderMap, HeaderValue, Method, StatusCode};
use opendata_http::negotiate::{Coding, RangeRequest, byte_range, choose_coding};
use std::io::Read as _;
use std::time::{Duration, SystemTime};

const FIELDS: [HeaderName; 7] = [
    header::IF_NONE_MATCH,
    header::IF_MATCH,
    header::IF_MODIFIED_SINCE,
    header::IF_UNMODIFIED_SINCE,
    header::IF_RANGE,
    header::RANGE,
    header::ACCEPT_ENCODING,
];

fn text<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fuzz_target!(|data: &[u8]| {
    let Some((&[flags, len_hi, len_lo, age], rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let method = if flags & 1 != 0 {
        Method::HEAD
    } else {
        Method::GET
    };
    let content_type = if flags & 2 != 0 {
        HeaderValue::from_static("text/csv; charset=utf-8")
    } else {
        HeaderValue::from_static("application/octet-stream")
    };
    let len = usize::from(u16::from_be_bytes([len_hi, len_lo]) % 4096);
    let body: Vec<u8> = (0..len).map(|i| b"abcdefgh\n"[i % 9]).collect();
    let modified = SystemTime::now() - Duration::from_secs(u64::from(age) * 3600);
    let entity = if flags & 4 != 0 {
        Entity::with_tag(body.clone(), "v1-abc", true, modified, content_type)
    } else {
        Entity::new(body.clone(), modified, content_type)
    };
    let identity_tag = entity.etag().to_str().unwrap().to_owned();
    let gzip_tag = identity_tag.replacen('"', "", 2).replace("W/", "");
    let gzip_tag = if entity.is_weak() {
        format!("W/\"{gzip_tag}-gz\"")
    } else {
        format!("\"{gzip_tag}-gz\"")
    };
    let date = httpdate::fmt_http_date(entity.last_modified());

    let mut headers = HeaderMap::new();
    for line in rest.split(|&b| b == b'\n') {
        let Some((&which, value)) = line.split_first() else {
            continue;
        };
        let mut expanded = Vec::with_capacity(value.len());
        for &b in value {
            match b {
                1 => expanded.extend_from_slice(identity_tag.as_bytes()),
                2 => expanded.extend_from_slice(gzip_tag.as_bytes()),
                3 => expanded.extend_from_slice(date.as_bytes()),
                _ => expanded.push(b),
            }
        }
        if let Ok(v) = HeaderValue::from_bytes(&expanded) {
            headers.append(FIELDS[usize::from(which) % FIELDS.len()].clone(), v);
        }
    }

    let response = entity.respond(&method, &headers);
    let status = response.status();
    let h = response.headers();
    let sent = response.body().as_bytes();
    // Answers are deterministic.
    assert_eq!(entity.respond(&method, &headers).status(), status);

    let etag = h.get(header::ETAG).expect("every answer names its tag");
    let etag = etag.to_str().unwrap();
    let gzip_sent = h.get(header::CONTENT_ENCODING).is_some();
    let gzip_possible = entity.gzip_body().is_some();
    // The representation the request selects, whatever the answer.
    let gzip_chosen = gzip_possible && choose_coding(&headers) == Coding::Gzip;
    assert_eq!(etag, if gzip_chosen { gzip_tag.as_str() } else { identity_tag.as_str() });
    if matches!(
        status,
        StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
    ) {
        assert_eq!(h.contains_key(header::VARY), gzip_possible);
    }
    if matches!(status, StatusCode::OK | StatusCode::PARTIAL_CONTENT) {
        assert_eq!(gzip_sent, gzip_chosen);
    } else {
        assert!(!gzip_sent);
    }
    let representation: &[u8] = if gzip_chosen {
        entity.gzip_body().unwrap()
    } else {
        &body
    };
    match status {
        StatusCode::OK => {
            let length: usize = text(h, &header::CONTENT_LENGTH).unwrap().parse().unwrap();
            assert_eq!(length, representation.len());
            if method == Method::HEAD {
                assert!(sent.is_empty());
            } else {
                assert_eq!(sent, representation);
            }
            if gzip_chosen && method == Method::GET {
                let mut plain = Vec::new();
                flate2::read::GzDecoder::new(sent)
                    .read_to_end(&mut plain)
                    .unwrap();
                assert_eq!(plain, body);
            }
        }
        StatusCode::NOT_MODIFIED => {
            assert!(sent.is_empty());
            let inm = headers.contains_key(header::IF_NONE_MATCH);
            if !inm {
                let since = headers.get_all(header::IF_MODIFIED_SINCE).iter().collect::<Vec<_>>();
                assert_eq!(since.len(), 1);
                let since = httpdate::parse_http_date(since[0].to_str().unwrap()).unwrap();
                assert!(since <= SystemTime::now(), "a date in the future gave 304");
                assert!(entity.last_modified() <= since);
            }
        }
        StatusCode::PRECONDITION_FAILED => {
            assert!(
                headers.contains_key(header::IF_MATCH)
                    || headers.contains_key(header::IF_UNMODIFIED_SINCE)
            );
        }
        StatusCode::PARTIAL_CONTENT => {
            assert_eq!(method, Method::GET);
            let range = text(h, &header::CONTENT_RANGE).unwrap();
            let (span, total) = range.strip_prefix("bytes ").unwrap().split_once('/').unwrap();
            assert_eq!(total.parse::<usize>().unwrap(), representation.len());
            let (start, end) = span.split_once('-').unwrap();
            let (start, end): (usize, usize) = (start.parse().unwrap(), end.parse().unwrap());
            assert!(start <= end && end < representation.len());
            assert_eq!(sent, &representation[start..=end]);
            let length: usize = text(h, &header::CONTENT_LENGTH).unwrap().parse().unwrap();
            assert_eq!(length, sent.len());
            // A weak tag never satisfies If-Range.
            if let Some(if_range) = text(&headers, &header::IF_RANGE) {
                assert!(!if_range.trim_start().starts_with("W/"));
            }
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            assert_eq!(method, Method::GET);
            assert_eq!(
                text(h, &header::CONTENT_RANGE).unwrap(),
                format!("bytes */{}", representation.len())
            );
        }
        other => panic!("unexpected status {other}"),
    }

    // The range reader alone, over every length the input names.
    for l in [0u64, 1, len as u64, u64::MAX] {
        match byte_range(&headers, l) {
            RangeRequest::Partial { start, end } => assert!(start <= end && end < l),
            RangeRequest::Unsatisfiable => assert!(l > 0),
            RangeRequest::Full => {}
        }
    }
});

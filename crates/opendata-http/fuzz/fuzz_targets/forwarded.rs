//! The client address behind trusted proxies, from forwarding headers a client controls:
//! never a panic; the answer is the peer itself when the peer is not trusted; otherwise an
//! address of the chain to whose right every hop is a trusted proxy, and itself untrusted
//! unless the whole chain is; the header the proxies do not write never changes it; every
//! address read back from its text form is the same address.
//!
//! Input: one selector byte (bit 0: `Forwarded` instead of `X-Forwarded-For`, bit 1: an
//! untrusted peer, bit 2: an IPv4-mapped IPv6 peer), then header lines separated by `\n`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opendata_http::forwarded::{
    ForwardedError, ForwardedHeader, TrustedProxies, client_address, forwarded, parse_node,
    x_forwarded_for,
};
use opendata_http::http::{HeaderMap, HeaderValue};
use std::net::IpAddr;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (kind, other) = if selector & 1 == 0 {
        (ForwardedHeader::XForwardedFor, ForwardedHeader::Forwarded)
    } else {
        (ForwardedHeader::Forwarded, ForwardedHeader::XForwardedFor)
    };
    let trusted = TrustedProxies::parse(&["127.0.0.0/8", "10.0.0.0/8", "2001:db8::/32"], kind)
        .expect("valid blocks");
    let peer: IpAddr = match (selector & 2 != 0, selector & 4 != 0) {
        (false, false) => "127.0.0.1",
        (false, true) => "::ffff:10.1.2.3",
        (true, false) => "192.0.2.1",
        (true, true) => "::ffff:192.0.2.1",
    }
    .parse()
    .unwrap();

    let mut headers = HeaderMap::new();
    let mut values = Vec::new();
    for line in rest.split(|&b| b == b'\n') {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            headers.append(kind.name(), v.clone());
            values.push(v);
        }
    }
    let result = client_address(peer, &headers, &trusted);

    // The other header, whatever it says, is ignored.
    let mut both = headers.clone();
    for v in &values {
        both.append(other.name(), v.clone());
    }
    both.append(other.name(), HeaderValue::from_static("198.51.100.7"));
    assert_eq!(client_address(peer, &both, &trusted), result);

    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        assert_eq!(result, Ok(peer));
        return;
    }
    let Some(texts) = values
        .iter()
        .map(|v| v.to_str().ok())
        .collect::<Option<Vec<&str>>>()
    else {
        assert_eq!(result, Err(ForwardedError::NotAscii));
        return;
    };
    let hops: Vec<String> = match kind {
        ForwardedHeader::XForwardedFor => x_forwarded_for(&texts)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        ForwardedHeader::Forwarded => match forwarded(&texts) {
            Ok(nodes) => nodes,
            Err(e) => {
                assert_eq!(result, Err(e));
                return;
            }
        },
    };
    for hop in &hops {
        if let Some(ip) = parse_node(hop) {
            assert_eq!(ip, ip.to_canonical(), "{hop:?}");
            assert_eq!(parse_node(&ip.to_string()), Some(ip), "{hop:?}");
        }
    }
    let Ok(client) = result else {
        // Refused: some hop, reached walking left from the peer over trusted proxies only,
        // is not an address.
        let refused = hops.iter().rev().find_map(|h| match parse_node(h) {
            None => Some(true),
            Some(ip) if !trusted.contains(ip) => Some(false),
            Some(_) => None,
        });
        assert_eq!(refused, Some(true), "{hops:?} → {result:?}");
        return;
    };
    if hops.is_empty() {
        assert_eq!(client, peer);
        return;
    }
    // Walking left from the peer: trusted hops, then the client (or the left-most hop).
    let mut position = None;
    for (i, hop) in hops.iter().enumerate().rev() {
        let ip = parse_node(hop).expect("every hop right of the client is an address");
        if ip == client && (!trusted.contains(ip) || i == 0) {
            position = Some(i);
            break;
        }
        assert!(trusted.contains(ip), "{hop:?} is right of {client} and untrusted");
    }
    assert!(position.is_some(), "{client} is not in {hops:?}");
});

//! The client address behind trusted proxies: `X-Forwarded-For` or `Forwarded` (RFC 7239),
//! honoured only when the TCP peer is a trusted proxy, read over every field line, and
//! walked from the right: the client is the right-most address that is not a trusted proxy.
//!
//! Only the header the proxies are configured to write is read (nginx's `real_ip_header`
//! does the same): a proxy passes the other one through from the client unchanged, so
//! honouring it would let any client choose its address.

use http::{HeaderMap, HeaderName, header};
use std::net::{IpAddr, Ipv6Addr};

/// An address block (`192.0.2.0/24`, `2001:db8::/32`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A configuration value is not an address block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an IP address or address block: {reason}")]
pub struct CidrError {
    text: String,
    reason: &'static str,
}

impl Cidr {
    /// Parses a block or a single address (IPv4-mapped IPv6 is taken as IPv4).
    pub fn parse(text: &str) -> Result<Self, CidrError> {
        let error = |reason| CidrError {
            text: text.to_owned(),
            reason,
        };
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr.trim().parse().map_err(|_| error("not an address"))?;
        let (network, mapped) = match network {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), true),
                None => (network, false),
            },
            v4 => (v4, false),
        };
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => {
                let p = p.trim().parse::<u8>().map_err(|_| error("bad prefix"))?;
                // A mapped block counts its prefix over 128 bits.
                let p = if mapped {
                    p.checked_sub(96).ok_or(error("bad prefix"))?
                } else {
                    p
                };
                if p > max {
                    return Err(error("prefix too long"));
                }
                p
            }
            None => max,
        };
        Ok(Self { network, prefix })
    }

    /// Whether the block holds `ip` (IPv4-mapped IPv6 normalised).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Which header the trusted proxies write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` (HAProxy `option forwardfor`, nginx `$proxy_add_x_forwarded_for`).
    #[default]
    #[serde(rename = "x-forwarded-for")]
    XForwardedFor,
    /// `Forwarded: for=…` (RFC 7239; HAProxy `option forwarded`).
    #[serde(rename = "forwarded")]
    Forwarded,
}

impl ForwardedHeader {
    /// The header's name.
    pub fn name(self) -> HeaderName {
        match self {
            Self::XForwardedFor => HeaderName::from_static("x-forwarded-for"),
            Self::Forwarded => header::FORWARDED,
        }
    }
}

/// The proxies whose forwarding header is believed, and which header that is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    blocks: Vec<Cidr>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Trusts `blocks`, reading `header`.
    pub fn new(blocks: Vec<Cidr>, header: ForwardedHeader) -> Self {
        Self { blocks, header }
    }

    /// Parses configured blocks.
    pub fn parse<S: AsRef<str>>(blocks: &[S], header: ForwardedHeader) -> Result<Self, CidrError> {
        Ok(Self::new(
            blocks
                .iter()
                .map(|b| Cidr::parse(b.as_ref()))
                .collect::<Result<_, _>>()?,
            header,
        ))
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.blocks.iter().any(|b| b.contains(ip))
    }

    /// The header read.
    pub fn header(&self) -> ForwardedHeader {
        self.header
    }
}

/// A trusted proxy sent a forwarding header that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardedError {
    /// An element (`unknown`, an obfuscated name, garbage) where an address was needed.
    #[error("the forwarding header holds {0:?} where an address is needed")]
    NotAnAddress(String),
    /// The header is not visible ASCII.
    #[error("the forwarding header is not ASCII")]
    NotAscii,
    /// `Forwarded` syntax (an unterminated quote, an element without `for=`).
    #[error("the Forwarded header is malformed: {0}")]
    Malformed(&'static str),
}

/// The client address of a request from `peer`: the peer itself unless it is a trusted
/// proxy; then the right-most address of the forwarding chain that is not a trusted proxy
/// (or the left-most one, when every hop is trusted). Without the header, the peer.
pub fn client_address(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Result<IpAddr, ForwardedError> {
    let peer = peer.to_canonical();
    if trusted.blocks.is_empty() || !trusted.contains(peer) {
        return Ok(peer);
    }
    let mut lines = Vec::new();
    for value in headers.get_all(trusted.header.name()) {
        lines.push(value.to_str().map_err(|_| ForwardedError::NotAscii)?);
    }
    let hops: Vec<std::borrow::Cow<'_, str>> = match trusted.header {
        ForwardedHeader::XForwardedFor => x_forwarded_for(&lines)
            .into_iter()
            .map(std::borrow::Cow::Borrowed)
            .collect(),
        ForwardedHeader::Forwarded => forwarded(&lines)?
            .into_iter()
            .map(std::borrow::Cow::Owned)
            .collect(),
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        client = parse_node(hop)
            .ok_or_else(|| ForwardedError::NotAnAddress(hop.chars().take(64).collect()))?;
        if !trusted.contains(client) {
            return Ok(client);
        }
    }
    Ok(client)
}

/// The elements of `X-Forwarded-For` over every line, in order (empty elements dropped, as
/// in any RFC 9110 list).
pub fn x_forwarded_for<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    lines
        .iter()
        .flat_map(|line| line.split(','))
        .map(|e| e.trim_matches([' ', '\t']))
        .filter(|e| !e.is_empty())
        .collect()
}

/// The `for=` node of each `Forwarded` element over every line, in order (quotes and
/// escapes removed).
pub fn forwarded(lines: &[&str]) -> Result<Vec<String>, ForwardedError> {
    let mut nodes = Vec::new();
    for line in lines {
        for element in split_outside_quotes(line, ',')? {
            let element = element.trim_matches([' ', '\t']);
            if element.is_empty() {
                continue;
            }
            let mut node = None;
            for pair in split_outside_quotes(element, ';')? {
                let Some((name, value)) = pair.split_once('=') else {
                    return Err(ForwardedError::Malformed("a parameter without '='"));
                };
                if name.trim_matches([' ', '\t']).eq_ignore_ascii_case("for") {
                    node = Some(unquote(value.trim_matches([' ', '\t']))?);
                }
            }
            nodes.push(node.ok_or(ForwardedError::Malformed("an element without for="))?);
        }
    }
    Ok(nodes)
}

fn split_outside_quotes(text: &str, separator: char) -> Result<Vec<&str>, ForwardedError> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&text[start..i]);
            start = i + 1;
        }
    }
    if quoted {
        return Err(ForwardedError::Malformed("an unterminated quoted string"));
    }
    parts.push(&text[start..]);
    Ok(parts)
}

fn unquote(value: &str) -> Result<String, ForwardedError> {
    let Some(inner) = value.strip_prefix('"') else {
        return Ok(value.to_owned());
    };
    let inner = inner
        .strip_suffix('"')
        .ok_or(ForwardedError::Malformed("an unterminated quoted string"))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// An address from a node: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`, `[2001:db8::1]`,
/// `[2001:db8::1]:8080` (IPv4-mapped normalised); `None` for `unknown`, obfuscated names and
/// anything else.
pub fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim_matches([' ', '\t']);
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = node.strip_prefix('[') {
        let (addr, after) = rest.split_once(']')?;
        if !(after.is_empty() || is_port(after.strip_prefix(':')?)) {
            return None;
        }
        return addr
            .parse::<Ipv6Addr>()
            .ok()
            .map(|v6| IpAddr::V6(v6).to_canonical());
    }
    let (addr, port) = node.rsplit_once(':')?;
    if !is_port(port) {
        return None;
    }
    addr.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(name: &str, lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(l).unwrap(),
            );
        }
        h
    }

    fn xff() -> TrustedProxies {
        TrustedProxies::parse(&["10.0.0.0/8", "::1"], ForwardedHeader::XForwardedFor).unwrap()
    }

    #[test]
    fn only_trusted_peers_are_believed() {
        let h = headers("x-forwarded-for", &["198.51.100.1, 192.0.2.7, 10.1.1.1"]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &h, &xff()),
            Ok(ip("192.0.2.7"))
        );
        assert_eq!(
            client_address(ip("203.0.113.9"), &h, &xff()),
            Ok(ip("203.0.113.9"))
        );
        assert_eq!(
            client_address(
                ip("::ffff:10.0.0.2"),
                &headers("x-forwarded-for", &["192.0.2.7"]),
                &xff()
            ),
            Ok(ip("192.0.2.7"))
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &HeaderMap::new(), &xff()),
            Ok(ip("10.0.0.2"))
        );
        // Every hop trusted: the left-most one.
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                &headers("x-forwarded-for", &["10.9.9.9, 10.1.1.1"]),
                &xff()
            ),
            Ok(ip("10.9.9.9"))
        );
        let none = TrustedProxies::default();
        assert_eq!(
            client_address(ip("10.0.0.2"), &h, &none),
            Ok(ip("10.0.0.2"))
        );
    }

    #[test]
    fn every_line_counts_and_the_right_most_untrusted_wins() {
        // HAProxy's `option forwardfor` adds its own line after the client's forged one.
        let h = headers("x-forwarded-for", &["192.0.2.7", "203.0.113.66"]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &h, &xff()),
            Ok(ip("203.0.113.66"))
        );
        let h = headers("x-forwarded-for", &["192.0.2.7,", " , 203.0.113.66:4711"]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &h, &xff()),
            Ok(ip("203.0.113.66"))
        );
    }

    #[test]
    fn unusable_hops_are_refused_only_when_reached() {
        let h = headers("x-forwarded-for", &["junk, 192.0.2.7"]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &h, &xff()),
            Ok(ip("192.0.2.7"))
        );
        let h = headers("x-forwarded-for", &["192.0.2.7, unknown"]);
        assert!(matches!(
            client_address(ip("10.0.0.2"), &h, &xff()),
            Err(ForwardedError::NotAnAddress(_))
        ));
    }

    #[test]
    fn the_other_header_is_ignored() {
        let h = headers("forwarded", &["for=192.0.2.7"]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &h, &xff()),
            Ok(ip("10.0.0.2"))
        );
    }

    #[test]
    fn rfc_7239_forwarded() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8"], ForwardedHeader::Forwarded).unwrap();
        let h = headers(
            "forwarded",
            &[
                "for=192.0.2.43, for=\"[2001:db8:cafe::17]:4711\";proto=https",
                "For=10.1.2.3;by=10.0.0.1",
            ],
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &h, &trusted),
            Ok(ip("2001:db8:cafe::17"))
        );
        let h = headers("forwarded", &["for=\"_hidden\""]);
        assert!(client_address(ip("10.0.0.2"), &h, &trusted).is_err());
        let h = headers("forwarded", &["for=\"192.0.2.1"]);
        assert!(client_address(ip("10.0.0.2"), &h, &trusted).is_err());
        let h = headers("forwarded", &["proto=https"]);
        assert!(client_address(ip("10.0.0.2"), &h, &trusted).is_err());
    }

    #[test]
    fn nodes_and_blocks() {
        assert_eq!(parse_node("192.0.2.1:80"), Some(ip("192.0.2.1")));
        assert_eq!(parse_node("[::1]:80"), Some(ip("::1")));
        assert_eq!(parse_node("[::ffff:192.0.2.1]"), Some(ip("192.0.2.1")));
        assert_eq!(parse_node("::1"), Some(ip("::1")));
        assert_eq!(parse_node("[::1]x"), None);
        assert_eq!(parse_node("192.0.2.1:"), None);
        assert_eq!(parse_node("unknown"), None);
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains(ip("2001:db8:1::5"))
        );
        assert!(
            Cidr::parse("::ffff:10.0.0.0/104")
                .unwrap()
                .contains(ip("10.3.4.5"))
        );
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains(ip("203.0.113.1"))
        );
    }
}

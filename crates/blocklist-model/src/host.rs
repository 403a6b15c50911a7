//! Host normalisation: from an address as an authority published it to the DNS name a resolver
//! can block.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The DNS view of one published address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NormalisedAddress {
    /// Lower-case ASCII host (IDNA/punycode), without scheme, port, path or trailing dot.
    /// For an IP literal this is the address text.
    pub host: String,
    /// The address carries a path, query or fragment beyond a bare `/`: DNS cannot express it.
    pub has_path: bool,
    /// The host starts with a `www.` label (and has at least two more labels).
    pub leading_www: bool,
    /// The host is an IPv4 or IPv6 literal: DNS names cannot express it.
    pub ip_literal: bool,
}

impl NormalisedAddress {
    /// Whether blocking the host by DNS blocks exactly what was listed: a name, no path.
    pub fn dns_blockable(&self) -> bool {
        !self.has_path && !self.ip_literal
    }

    /// The host without its leading `www.` label, when it has one.
    pub fn apex_of_www(&self) -> Option<&str> {
        if self.leading_www {
            self.host.strip_prefix("www.")
        } else {
            None
        }
    }
}

/// Why an address has no usable host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddressError {
    /// The address is empty after trimming.
    Empty,
    /// The address contains whitespace or a control character inside it.
    InvalidCharacter,
    /// The scheme is not `http` or `https` (for example `javascript:`).
    UnsupportedScheme,
    /// The address carries user information (`user@host`).
    UserInfo,
    /// The port after `:` is not a number.
    InvalidPort,
    /// IDNA (UTS #46) processing rejected the host.
    InvalidIdn,
    /// A label is empty, longer than 63 octets, starts or ends with `-`, or holds a character
    /// other than letters, digits, `-` and `_`.
    InvalidLabel,
    /// The name is longer than 253 octets.
    TooLong,
    /// The name has a single label (a top-level domain or a local name).
    SingleLabel,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "the address is empty",
            Self::InvalidCharacter => "the address contains whitespace or a control character",
            Self::UnsupportedScheme => "the scheme is not http or https",
            Self::UserInfo => "the address contains user information (user@host)",
            Self::InvalidPort => "the port is not a number",
            Self::InvalidIdn => "the host is not a valid internationalised domain name (UTS #46)",
            Self::InvalidLabel => {
                "a label of the host is empty, too long, starts or ends with '-' or holds a character other than a-z, 0-9, '-' and '_'"
            }
            Self::TooLong => "the host name is longer than 253 octets",
            Self::SingleLabel => "the host name has a single label",
        })
    }
}

impl std::error::Error for AddressError {}

/// Normalises an address as published (a bare host, `host/path`, or a URL with scheme).
///
/// Steps: trim; drop an `http`/`https` scheme (any other scheme is an error); cut the path,
/// query and fragment (noting whether anything beyond a bare `/` was there); drop the port and
/// a trailing dot; apply UTS #46 ToASCII with the `idna` crate (lower case, NFC, punycode);
/// check every label is a DNS label.
///
/// ```
/// use blocklist_model::normalise_address;
/// let n = normalise_address("https://www.Example.cz:443/").unwrap();
/// assert_eq!(n.host, "www.example.cz");
/// assert!(n.dns_blockable() && n.leading_www);
/// let idn = normalise_address("mezinárodníonlinecasino.com").unwrap();
/// assert_eq!(idn.host, "xn--mezinrodnonlinecasino-e0b4z.com");
/// ```
pub fn normalise_address(address: &str) -> Result<NormalisedAddress, AddressError> {
    let address = address.trim();
    if address.is_empty() {
        return Err(AddressError::Empty);
    }
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AddressError::InvalidCharacter);
    }
    let rest = strip_scheme(address)?;
    let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, remainder) = rest.split_at(authority_end);
    let has_path = !(remainder.is_empty() || remainder == "/");
    if authority.contains('@') {
        return Err(AddressError::UserInfo);
    }
    // IPv6 literal in brackets, with an optional port after it.
    if let Some(inner) = authority.strip_prefix('[') {
        let (literal, after) = inner.split_once(']').ok_or(AddressError::InvalidLabel)?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return Err(AddressError::InvalidPort);
        }
        let ip: Ipv6Addr = literal.parse().map_err(|_| AddressError::InvalidLabel)?;
        return Ok(NormalisedAddress {
            host: ip.to_string(),
            has_path,
            leading_www: false,
            ip_literal: true,
        });
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if is_port(port) => host,
        Some(_) => return Err(AddressError::InvalidPort),
        None => authority,
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return Err(AddressError::Empty);
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok(NormalisedAddress {
            host: ip.to_string(),
            has_path,
            leading_www: false,
            ip_literal: true,
        });
    }
    let ascii = if host.is_ascii() && !host.contains("xn--") && !host.contains("XN--") {
        // Fast path: plain ASCII names need only lower-casing; UTS #46 maps nothing else
        // among the characters the label check below accepts.
        host.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(host).map_err(|_| AddressError::InvalidIdn)?
    };
    check_dns_name(&ascii)?;
    let leading_www = ascii.starts_with("www.") && ascii[4..].contains('.');
    Ok(NormalisedAddress {
        host: ascii,
        has_path,
        leading_www,
        ip_literal: false,
    })
}

/// The common case without allocating: an address that is already a lower-case ASCII host
/// name (no scheme, port, path or trailing dot) is its own normalised host. Returns whether it
/// has a leading `www.`, or `None` when the full normalisation is needed.
pub(crate) fn plain_host(address: &str) -> Option<bool> {
    let bytes = address.as_bytes();
    let plain = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'));
    // All-digit-and-dot strings may be IPv4 literals; "xn--" labels need IDNA validation.
    if !plain || !bytes.iter().any(u8::is_ascii_lowercase) || address.contains("xn--") {
        return None;
    }
    check_dns_name(address).ok()?;
    Some(address.starts_with("www.") && address[4..].contains('.'))
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

fn strip_scheme(address: &str) -> Result<&str, AddressError> {
    if let Some((scheme, rest)) = address.split_once("://") {
        let scheme_ok = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
        // A "://" that sits after a '/' belongs to the path, not to a scheme.
        if !scheme.contains(['/', '?', '#']) {
            return if scheme_ok {
                Ok(rest)
            } else {
                Err(AddressError::UnsupportedScheme)
            };
        }
    }
    if let Some(rest) = address.strip_prefix("//") {
        return Ok(rest);
    }
    // `javascript:alert(1)`, `mailto:x@y`: a scheme without `//`. A host with a port
    // (`example.cz:8080`) has only digits after the colon.
    if let Some((before, after)) = address.split_once(':') {
        let after_authority = after.split(['/', '?', '#']).next().unwrap_or("");
        if !before.contains(['/', '.', '[']) && !is_port(after_authority) {
            return Err(AddressError::UnsupportedScheme);
        }
    }
    Ok(address)
}

fn check_dns_name(name: &str) -> Result<(), AddressError> {
    if name.len() > 253 {
        return Err(AddressError::TooLong);
    }
    let mut labels = 0usize;
    for label in name.split('.') {
        labels += 1;
        let bytes = label.as_bytes();
        let valid = !bytes.is_empty()
            && bytes.len() <= 63
            && bytes.first() != Some(&b'-')
            && bytes.last() != Some(&b'-')
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'_');
        if !valid {
            return Err(AddressError::InvalidLabel);
        }
    }
    if labels < 2 {
        return Err(AddressError::SingleLabel);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> NormalisedAddress {
        normalise_address(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn bare_and_url_forms() {
        assert_eq!(host("1xbet.com").host, "1xbet.com");
        assert_eq!(host(" 1XBet.COM. ").host, "1xbet.com");
        let u = host("http://www.blissforcats.com");
        assert_eq!(u.host, "www.blissforcats.com");
        assert!(u.leading_www && u.dns_blockable());
        assert_eq!(u.apex_of_www(), Some("blissforcats.com"));
        let s = host("https://plushair.cz/");
        assert!(!s.has_path && s.dns_blockable());
        assert_eq!(host("example.cz:8080").host, "example.cz");
        assert_eq!(host("//example.cz/").host, "example.cz");
    }

    #[test]
    fn paths_are_not_dns_blockable() {
        for a in [
            "lobby.uptownaces.eu/lobby",
            "https://jiny-web.example/cs/",
            "s-dotazem.example/?id=1",
            "x.example#frag",
        ] {
            let n = host(a);
            assert!(n.has_path && !n.dns_blockable(), "{a}");
        }
    }

    #[test]
    fn idn_to_punycode() {
        assert_eq!(
            host("mezinárodníonlinecasino.com").host,
            "xn--mezinrodnonlinecasino-e0b4z.com"
        );
        assert_eq!(
            host("XN--MEZINRODNONLINECASINO-E0B4Z.COM").host,
            "xn--mezinrodnonlinecasino-e0b4z.com"
        );
    }

    #[test]
    fn www_only_at_the_start() {
        assert!(!host("wwwx.cz").leading_www);
        assert!(!host("www.cz").leading_www);
        assert!(!host("a.www.cz").leading_www);
    }

    #[test]
    fn fast_path_agrees_with_full_normalisation() {
        for a in [
            "1xbet.com",
            "www.a.cz",
            "www.cz",
            "a_b.example",
            "1.2.3.4",
            "x..cz",
            "-a.cz",
            "cz",
        ] {
            if let Some(www) = plain_host(a) {
                let full = normalise_address(a).unwrap();
                assert_eq!((full.host.as_str(), full.leading_www), (a, www), "{a}");
                assert!(full.dns_blockable());
            }
        }
        assert_eq!(plain_host("1.2.3.4"), None);
        assert_eq!(plain_host("x..cz"), None);
        assert_eq!(plain_host("www.a.cz"), Some(true));
    }

    #[test]
    fn ip_literals() {
        let v4 = host("203.0.113.10");
        assert!(v4.ip_literal && !v4.dns_blockable());
        let v6 = host("http://[2001:db8::1]:80/");
        assert_eq!(v6.host, "2001:db8::1");
        assert!(!v6.dns_blockable());
    }

    #[test]
    fn rejects() {
        use AddressError::*;
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("javascript:alert(1)", UnsupportedScheme),
            ("ftp://x.cz", UnsupportedScheme),
            ("a b.cz", InvalidCharacter),
            ("user@x.cz", UserInfo),
            ("x.cz:abc", InvalidPort),
            ("-x.cz", InvalidLabel),
            ("x..cz", InvalidLabel),
            ("x!.cz", InvalidLabel),
            ("localhost", SingleLabel),
            ("https:///", Empty),
        ];
        for (input, expected) in cases {
            assert_eq!(normalise_address(input), Err(expected), "{input:?}");
        }
        let long = format!("{}.cz", "a.".repeat(130));
        assert_eq!(normalise_address(&long), Err(TooLong));
    }
}

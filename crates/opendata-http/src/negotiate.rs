//! Content coding (`Accept-Encoding`, RFC 9110 §12.5.3) and byte ranges (`Range`, §14).

use http::{HeaderMap, header};

/// A content coding this layer can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// The representation as it is.
    Identity,
    /// gzip.
    Gzip,
}

/// A q-value in thousandths (`q=0.5` → 500); `None` if it is not a valid qvalue.
fn qvalue(text: &str) -> Option<u16> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    match int {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

/// The q-values a request gives gzip and identity, from every `Accept-Encoding` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Weights {
    gzip: Option<u16>,
    identity: Option<u16>,
    any: Option<u16>,
}

fn weights(headers: &HeaderMap) -> Option<Weights> {
    let mut values = headers.get_all(header::ACCEPT_ENCODING).iter().peekable();
    values.peek()?;
    let mut w = Weights {
        gzip: None,
        identity: None,
        any: None,
    };
    for value in values {
        let Ok(text) = value.to_str() else { continue };
        for member in text.split(',') {
            let mut parts = member.split(';');
            let coding = parts.next().unwrap_or("").trim_matches([' ', '\t']);
            if coding.is_empty() {
                continue;
            }
            let mut q = Some(1000);
            for param in parts {
                let param = param.trim_matches([' ', '\t']);
                if let Some((name, value)) = param.split_once('=')
                    && name.trim_end().eq_ignore_ascii_case("q")
                {
                    q = qvalue(value.trim_start());
                }
            }
            // A member with a broken weight says nothing usable.
            let Some(q) = q else { continue };
            let slot =
                if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                    &mut w.gzip
                } else if coding.eq_ignore_ascii_case("identity") {
                    &mut w.identity
                } else if coding == "*" {
                    &mut w.any
                } else {
                    continue;
                };
            *slot = Some(slot.map_or(q, |old: u16| old.max(q)));
        }
    }
    Some(w)
}

/// The coding to send when gzip is available: gzip when the request accepts it (explicitly
/// or through `*`) with a weight above zero and at least that of identity (which, unnamed,
/// is acceptable but preferred to nothing); identity otherwise. Without `Accept-Encoding` the answer is identity, as browsers and download
/// tools that want gzip always say so. `gzip;q=0` and `*;q=0` refuse gzip.
pub fn choose_coding(headers: &HeaderMap) -> Coding {
    let Some(w) = weights(headers) else {
        return Coding::Identity;
    };
    let gzip = w.gzip.or(w.any).unwrap_or(0);
    // Identity is acceptable unless refused, but a client that names only gzip prefers it.
    let identity = w.identity.or(w.any).unwrap_or(1);
    if gzip > 0 && gzip >= identity {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// What a `Range` header asks of a representation of a given length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable single byte range: send the whole representation (200).
    Full,
    /// Bytes `start..=end` (206).
    Partial {
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// The range lies beyond the representation (416).
    Unsatisfiable,
}

/// Reads a single byte range (RFC 9110 §14.1.2) for a representation of `len` bytes.
///
/// Anything else — no header, several lines, another unit, a syntax error, several ranges,
/// an empty representation — is [`RangeRequest::Full`]: a server may always ignore `Range`,
/// and only a single range is worth its cost here.
pub fn byte_range(headers: &HeaderMap, len: u64) -> RangeRequest {
    let mut values = headers.get_all(header::RANGE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return RangeRequest::Full;
    };
    let Ok(text) = value.to_str() else {
        return RangeRequest::Full;
    };
    let Some((unit, set)) = text.split_once('=') else {
        return RangeRequest::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || len == 0 {
        return RangeRequest::Full;
    }
    let mut specs = set.split(',').map(|s| s.trim_matches([' ', '\t']));
    let (Some(spec), None) = (specs.next(), specs.next()) else {
        return RangeRequest::Full;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return RangeRequest::Full;
    };
    // Digits only; a number too large for u64 still counts as a (huge) number.
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().unwrap_or(u64::MAX))
    };
    match (first, last) {
        ("", suffix) => match number(suffix) {
            None => RangeRequest::Full,
            Some(0) => RangeRequest::Unsatisfiable,
            Some(n) => RangeRequest::Partial {
                start: len.saturating_sub(n),
                end: len - 1,
            },
        },
        (first, "") => match number(first) {
            None => RangeRequest::Full,
            Some(start) if start >= len => RangeRequest::Unsatisfiable,
            Some(start) => RangeRequest::Partial {
                start,
                end: len - 1,
            },
        },
        (first, last) => match (number(first), number(last)) {
            (Some(start), Some(end)) if start <= end => {
                if start >= len {
                    RangeRequest::Unsatisfiable
                } else {
                    RangeRequest::Partial {
                        start,
                        end: end.min(len - 1),
                    }
                }
            }
            _ => RangeRequest::Full,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with(name: &header::HeaderName, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn coding(values: &[&str]) -> Coding {
        choose_coding(&with(&header::ACCEPT_ENCODING, values))
    }

    #[test]
    fn q_values_decide_and_zero_refuses() {
        assert_eq!(coding(&[]), Coding::Identity);
        assert_eq!(coding(&[""]), Coding::Identity);
        assert_eq!(coding(&["gzip, deflate, br"]), Coding::Gzip);
        assert_eq!(coding(&["br;q=1.0, GZIP;q=0.5"]), Coding::Gzip);
        assert_eq!(coding(&["x-gzip"]), Coding::Gzip);
        assert_eq!(coding(&["gzip;q=0"]), Coding::Identity);
        assert_eq!(coding(&["gzip; q=0.000"]), Coding::Identity);
        assert_eq!(coding(&["gzip;Q=0"]), Coding::Identity);
        assert_eq!(coding(&["*"]), Coding::Gzip);
        assert_eq!(coding(&["*;q=0"]), Coding::Identity);
        assert_eq!(coding(&["*, gzip;q=0"]), Coding::Identity);
        assert_eq!(coding(&["gzip;q=0.5, identity"]), Coding::Identity);
        assert_eq!(coding(&["gzip, identity;q=0.5"]), Coding::Gzip);
        assert_eq!(coding(&["deflate"]), Coding::Identity);
        assert_eq!(
            coding(&["deflate", "gzip"]),
            Coding::Gzip,
            "every line counts"
        );
        assert_eq!(coding(&["gzip;q=2"]), Coding::Identity, "not a qvalue");
        assert_eq!(coding(&["gzip;q=0.0001"]), Coding::Identity, "not a qvalue");
    }

    fn range(v: &str, len: u64) -> RangeRequest {
        byte_range(&with(&header::RANGE, &[v]), len)
    }

    #[test]
    fn single_byte_ranges() {
        use RangeRequest::*;
        assert_eq!(byte_range(&HeaderMap::new(), 10), Full);
        assert_eq!(range("bytes=0-4", 10), Partial { start: 0, end: 4 });
        assert_eq!(range("bytes=5-", 10), Partial { start: 5, end: 9 });
        assert_eq!(range("bytes=-3", 10), Partial { start: 7, end: 9 });
        assert_eq!(range("bytes=-30", 10), Partial { start: 0, end: 9 });
        assert_eq!(range("bytes=8-100", 10), Partial { start: 8, end: 9 });
        assert_eq!(range("Bytes = 1-1", 10), Partial { start: 1, end: 1 });
        assert_eq!(range("bytes=10-", 10), Unsatisfiable);
        assert_eq!(range("bytes=10-20", 10), Unsatisfiable);
        assert_eq!(range("bytes=-0", 10), Unsatisfiable);
        assert_eq!(range("bytes=99999999999999999999999-", 10), Unsatisfiable);
        assert_eq!(
            range("bytes=0-99999999999999999999999", 10),
            Partial { start: 0, end: 9 }
        );
        assert_eq!(range("bytes=5-4", 10), Full, "invalid: last before first");
        assert_eq!(range("bytes=0-1,3-4", 10), Full, "several ranges");
        assert_eq!(range("items=0-1", 10), Full);
        assert_eq!(range("bytes=a-b", 10), Full);
        assert_eq!(range("bytes=+1-2", 10), Full);
        assert_eq!(range("bytes=0-", 0), Full);
        assert_eq!(
            byte_range(&with(&header::RANGE, &["bytes=0-1", "bytes=2-3"]), 10),
            Full
        );
    }
}

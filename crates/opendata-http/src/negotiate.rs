//! Content coding (`Accept-Encoding`, RFC 9110 §12.5.3), media types (`Accept`, §12.5.1, and a
//! request's `Content-Type`, §8.3) and byte ranges (`Range`, §14).

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

/// The members of every `name` line of a weighted list header (`Accept`, `Accept-Encoding`;
/// RFC 9110 §12.4.2): each member without its parameters, and its weight in thousandths (1000
/// without `q`). A member with a broken weight says nothing usable and is left out.
fn weighted_members(headers: &HeaderMap, name: header::HeaderName) -> Vec<(&str, u16)> {
    let mut members = Vec::new();
    for value in headers.get_all(name) {
        let Ok(text) = value.to_str() else { continue };
        for member in text.split(',') {
            let mut parts = member.split(';');
            let token = parts.next().unwrap_or("").trim_matches([' ', '\t']);
            if token.is_empty() {
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
            if let Some(q) = q {
                members.push((token, q));
            }
        }
    }
    members
}

fn weights(headers: &HeaderMap) -> Option<Weights> {
    if !headers.contains_key(header::ACCEPT_ENCODING) {
        return None;
    }
    let mut w = Weights {
        gzip: None,
        identity: None,
        any: None,
    };
    for (coding, q) in weighted_members(headers, header::ACCEPT_ENCODING) {
        let slot = if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
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

/// The media type of a request's `Content-Type` (RFC 9110 §8.3.1): `type/subtype`, lower-cased,
/// without parameters. `None` without the header, or when it is not visible ASCII or empty.
pub fn content_media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next()?.trim_matches([' ', '\t']);
    (!media.is_empty()).then(|| media.to_ascii_lowercase())
}

/// Proactive negotiation of a media type (`Accept`, RFC 9110 §12.5.1).
///
/// `offers` are `(media type, server preference)`, the type lower-case and the preference in
/// thousandths. Each offer's client weight comes from the most specific range that matches
/// it (`type/subtype` over `type/*` over `*/*`), and the offer with the highest product of
/// weight and preference wins, the earlier one on a tie (as @ldf/server weighs its formats).
/// Without a usable `Accept` the first offer wins. `None` when the client accepts none of
/// them (406). A member with a broken weight says nothing, as in [`choose_coding`].
pub fn choose_media_type<'a>(headers: &HeaderMap, offers: &[(&'a str, u16)]) -> Option<&'a str> {
    let ranges: Vec<(String, u16)> = weighted_members(headers, header::ACCEPT)
        .into_iter()
        .map(|(range, q)| (range.to_ascii_lowercase(), q))
        .collect();
    if ranges.is_empty() {
        return offers.first().map(|(media, _)| *media);
    }
    let mut best: Option<(&'a str, u32)> = None;
    for (offer, preference) in offers {
        let major = offer.split_once('/').map_or(*offer, |(major, _)| major);
        let mut weight: Option<(u8, u16)> = None;
        for (range, q) in &ranges {
            let specificity = if range == offer {
                3
            } else if range.strip_suffix("/*") == Some(major) {
                2
            } else if range == "*/*" {
                1
            } else {
                continue;
            };
            if weight.is_none_or(|(s, _)| specificity > s) {
                weight = Some((specificity, *q));
            }
        }
        if let Some((_, q)) = weight {
            let score = u32::from(q) * u32::from(*preference);
            if score > 0 && best.is_none_or(|(_, b)| score > b) {
                best = Some((offer, score));
            }
        }
    }
    best.map(|(media, _)| media)
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

    fn media(values: &[&str]) -> Option<&'static str> {
        const OFFERS: &[(&str, u16)] = &[
            ("application/trig", 900),
            ("text/turtle", 600),
            ("application/n-triples", 500),
        ];
        choose_media_type(&with(&header::ACCEPT, values), OFFERS)
    }

    #[test]
    fn media_types_by_weight_preference_and_specificity() {
        assert_eq!(media(&[]), Some("application/trig"));
        assert_eq!(media(&[" "]), Some("application/trig"));
        assert_eq!(media(&["text/turtle"]), Some("text/turtle"));
        assert_eq!(media(&["Text/Turtle"]), Some("text/turtle"));
        // 0.5 × 0.6 < 1 × 0.5
        assert_eq!(
            media(&["text/turtle;q=0.5, application/n-triples"]),
            Some("application/n-triples")
        );
        assert_eq!(media(&["*/*"]), Some("application/trig"));
        assert_eq!(media(&["image/png"]), None);
        assert_eq!(media(&["text/*"]), Some("text/turtle"));
        // The most specific range decides: text/turtle is refused although text/* is not.
        assert_eq!(media(&["text/*, text/turtle;q=0"]), None);
        assert_eq!(media(&["*/*;q=0.1", "text/turtle"]), Some("text/turtle"));
        // A broken weight says nothing: the first offer, as without the header.
        assert_eq!(media(&["text/turtle;q=2"]), Some("application/trig"));
        assert_eq!(media(&["application/trig;q=0"]), None);
    }

    #[test]
    fn the_media_type_of_a_request_body() {
        let ct = |v: &str| content_media_type(&with(&header::CONTENT_TYPE, &[v]));
        assert_eq!(
            ct("Application/X-WWW-Form-Urlencoded; charset=UTF-8").as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(ct("text/xml").as_deref(), Some("text/xml"));
        assert_eq!(ct(" ; charset=utf-8"), None);
        assert_eq!(content_media_type(&HeaderMap::new()), None);
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

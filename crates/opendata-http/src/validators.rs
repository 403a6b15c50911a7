//! Validators and preconditions (RFC 9110 §8.8 and §13): entity tags, `If-Match`,
//! `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since` and `If-Range`.

use http::{HeaderMap, HeaderValue, Method, header};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An entity tag (RFC 9110 §8.8.3): an opaque string, strong or weak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTag<'a> {
    /// `W/` prefix: only weak comparison may match it.
    pub weak: bool,
    /// The opaque tag without quotes.
    pub tag: &'a str,
}

impl<'a> EntityTag<'a> {
    /// Parses one entity tag (`"xyzzy"` or `W/"xyzzy"`); `None` if it is not one.
    pub fn parse(text: &'a str) -> Option<Self> {
        let text = text.trim_matches([' ', '\t']);
        let (weak, quoted) = match text.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let tag = quoted.strip_prefix('"')?.strip_suffix('"')?;
        // etagc = %x21 / %x23-7E / obs-text: no quote, no space, no control.
        tag.bytes()
            .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80)
            .then_some(Self { weak, tag })
    }

    /// Strong comparison: both strong and the same opaque tag.
    pub fn strong_eq(&self, other: &EntityTag<'_>) -> bool {
        !self.weak && !other.weak && self.tag == other.tag
    }

    /// Weak comparison: the same opaque tag, whatever the `W/` prefixes.
    pub fn weak_eq(&self, other: &EntityTag<'_>) -> bool {
        self.tag == other.tag
    }
}

/// What an `If-Match` / `If-None-Match` field holds: `*` or a list of tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagList<'a> {
    /// `*`: any current representation.
    Any,
    /// The listed tags (invalid members are dropped).
    Tags(Vec<EntityTag<'a>>),
}

impl<'a> TagList<'a> {
    /// Reads every line of the field, combined as one comma-separated list (RFC 9110 §5.3).
    /// `None` when the field is absent.
    pub fn from_headers(headers: &'a HeaderMap, name: &header::HeaderName) -> Option<Self> {
        let mut values = headers.get_all(name).iter().peekable();
        values.peek()?;
        let mut tags = Vec::new();
        for value in values {
            let Ok(text) = value.to_str() else { continue };
            for member in split_tag_list(text) {
                if member == "*" {
                    return Some(Self::Any);
                }
                if let Some(tag) = EntityTag::parse(member) {
                    tags.push(tag);
                }
            }
        }
        Some(Self::Tags(tags))
    }

    /// Whether the list matches `current` by weak comparison (`If-None-Match`).
    pub fn matches_weak(&self, current: &EntityTag<'_>) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|t| t.weak_eq(current)),
        }
    }

    /// Whether the list matches `current` by strong comparison (`If-Match`).
    pub fn matches_strong(&self, current: &EntityTag<'_>) -> bool {
        match self {
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|t| t.strong_eq(current)),
        }
    }
}

/// Splits a list of entity tags at the commas outside quotes (a tag may hold a comma).
fn split_tag_list(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        loop {
            if rest.is_empty() {
                return None;
            }
            let mut quoted = false;
            let mut end = rest.len();
            for (i, b) in rest.bytes().enumerate() {
                match b {
                    b'"' => quoted = !quoted,
                    b',' if !quoted => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let member = rest[..end].trim_matches([' ', '\t']);
            rest = rest.get(end + 1..).unwrap_or("");
            if !member.is_empty() {
                return Some(member);
            }
        }
    })
}

/// An HTTP date from a field with exactly one line; `None` if absent, repeated or not a date.
fn single_date(headers: &HeaderMap, name: &header::HeaderName) -> Option<SystemTime> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    httpdate::parse_http_date(value.to_str().ok()?).ok()
}

/// `t` truncated to whole seconds, as HTTP dates carry them.
pub fn whole_seconds(t: SystemTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs())
}

/// The validators of the selected representation.
#[derive(Debug, Clone, Copy)]
pub struct Validators<'a> {
    /// Its strong entity tag.
    pub etag: &'a EntityTag<'a>,
    /// Its modification time, in whole seconds.
    pub last_modified: SystemTime,
}

/// The outcome of evaluating a request's preconditions (RFC 9110 §13.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Perform the method (a `Range` may still apply, see [`range_allowed`]).
    Proceed,
    /// `304 Not Modified` (GET and HEAD).
    NotModified,
    /// `412 Precondition Failed`.
    Failed,
}

/// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since` in the
/// order of RFC 9110 §13.2.2 for a resource that exists.
///
/// `If-Modified-Since` is ignored when `If-None-Match` is present, when it is not a single
/// valid HTTP date, when the method is neither GET nor HEAD, and when the date lies in the
/// future (`now`): such a date cannot have come from this server, and answering 304 to it
/// would hide every change made before it.
pub fn evaluate(
    method: &Method,
    headers: &HeaderMap,
    current: Validators<'_>,
    now: SystemTime,
) -> Precondition {
    // Step 1 and 2.
    if let Some(list) = TagList::from_headers(headers, &header::IF_MATCH) {
        if !list.matches_strong(current.etag) {
            return Precondition::Failed;
        }
    } else if let Some(since) = single_date(headers, &header::IF_UNMODIFIED_SINCE)
        && current.last_modified > since
    {
        return Precondition::Failed;
    }
    let get_or_head = method == Method::GET || method == Method::HEAD;
    // Step 3 and 4.
    if let Some(list) = TagList::from_headers(headers, &header::IF_NONE_MATCH) {
        if list.matches_weak(current.etag) {
            return if get_or_head {
                Precondition::NotModified
            } else {
                Precondition::Failed
            };
        }
    } else if get_or_head
        && let Some(since) = single_date(headers, &header::IF_MODIFIED_SINCE)
        && since <= now
        && current.last_modified <= since
    {
        return Precondition::NotModified;
    }
    Precondition::Proceed
}

/// Whether a `Range` may be honoured, given `If-Range` (RFC 9110 §13.1.5): absent, or a strong
/// tag equal to the current one, or a date equal to the last modification. A weak tag or a
/// different validator means the client's partial copy is stale: the whole representation is
/// sent instead.
pub fn range_allowed(headers: &HeaderMap, current: Validators<'_>) -> bool {
    let mut values = headers.get_all(header::IF_RANGE).iter();
    let Some(value) = values.next() else {
        return true;
    };
    if values.next().is_some() {
        return false;
    }
    let Ok(text) = value.to_str() else {
        return false;
    };
    if let Some(tag) = EntityTag::parse(text) {
        return tag.strong_eq(current.etag);
    }
    httpdate::parse_http_date(text).is_ok_and(|date| date == current.last_modified)
}

/// A strong tag formatted as a header value (`"tag"`).
pub fn etag_header(tag: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{tag}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    const TAG: EntityTag<'static> = EntityTag {
        weak: false,
        tag: "abc",
    };

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn eval(pairs: &[(&str, &str)]) -> Precondition {
        evaluate(
            &Method::GET,
            &headers(pairs),
            Validators {
                etag: &TAG,
                last_modified: at(1_700_000_000),
            },
            at(1_800_000_000),
        )
    }

    #[test]
    fn entity_tags_parse_strictly() {
        assert_eq!(EntityTag::parse("\"abc\""), Some(TAG));
        assert_eq!(
            EntityTag::parse("W/\"abc\""),
            Some(EntityTag {
                weak: true,
                tag: "abc"
            })
        );
        assert_eq!(EntityTag::parse("abc"), None, "quotes are required");
        assert_eq!(EntityTag::parse("\"a c\""), None);
        assert_eq!(EntityTag::parse("w/\"abc\""), None, "W is upper case");
        assert_eq!(EntityTag::parse("\"\"").map(|t| t.tag), Some(""));
    }

    #[test]
    fn if_none_match_uses_weak_comparison_over_every_line() {
        assert_eq!(
            eval(&[("if-none-match", "\"abc\"")]),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "W/\"abc\"")]),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "\"x\", \"y,z\" , W/\"abc\"")]),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&[("if-none-match", "\"x\""), ("if-none-match", "\"abc\"")]),
            Precondition::NotModified,
            "a second field line is part of the same list"
        );
        assert_eq!(eval(&[("if-none-match", "*")]), Precondition::NotModified);
        assert_eq!(eval(&[("if-none-match", "abc")]), Precondition::Proceed);
        assert_eq!(
            eval(&[("if-none-match", "\"abcd\"")]),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        assert_eq!(
            eval(&[
                ("if-none-match", "\"stale\""),
                ("if-modified-since", "Fri, 01 Jan 2027 00:00:00 GMT")
            ]),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_modified_since_in_whole_seconds_ignored_in_the_future_or_invalid() {
        // 1_700_000_000 = Tue, 14 Nov 2023 22:13:20 GMT.
        assert_eq!(
            eval(&[("if-modified-since", "Tue, 14 Nov 2023 22:13:20 GMT")]),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&[("if-modified-since", "Tue, 14 Nov 2023 22:13:19 GMT")]),
            Precondition::Proceed
        );
        // After `now` (2027-01-15): not a date this server gave out.
        assert_eq!(
            eval(&[("if-modified-since", "Sat, 01 Jan 2028 00:00:00 GMT")]),
            Precondition::Proceed
        );
        assert_eq!(
            eval(&[("if-modified-since", "yesterday")]),
            Precondition::Proceed
        );
        assert_eq!(
            eval(&[
                ("if-modified-since", "Tue, 14 Nov 2023 22:13:20 GMT"),
                ("if-modified-since", "Tue, 14 Nov 2023 22:13:20 GMT")
            ]),
            Precondition::Proceed,
            "more than one member"
        );
        let post = evaluate(
            &Method::POST,
            &headers(&[("if-modified-since", "Tue, 14 Nov 2023 22:13:20 GMT")]),
            Validators {
                etag: &TAG,
                last_modified: at(1_700_000_000),
            },
            at(1_800_000_000),
        );
        assert_eq!(post, Precondition::Proceed);
    }

    #[test]
    fn if_match_and_if_unmodified_since_fail_with_412() {
        assert_eq!(eval(&[("if-match", "\"abc\"")]), Precondition::Proceed);
        assert_eq!(eval(&[("if-match", "W/\"abc\"")]), Precondition::Failed);
        assert_eq!(eval(&[("if-match", "\"x\"")]), Precondition::Failed);
        assert_eq!(eval(&[("if-match", "*")]), Precondition::Proceed);
        assert_eq!(
            eval(&[("if-unmodified-since", "Tue, 14 Nov 2023 22:13:19 GMT")]),
            Precondition::Failed
        );
        assert_eq!(
            eval(&[("if-unmodified-since", "Tue, 14 Nov 2023 22:13:20 GMT")]),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_range_needs_a_strong_match_or_the_exact_date() {
        let v = Validators {
            etag: &TAG,
            last_modified: at(1_700_000_000),
        };
        assert!(range_allowed(&headers(&[]), v));
        assert!(range_allowed(&headers(&[("if-range", "\"abc\"")]), v));
        assert!(!range_allowed(&headers(&[("if-range", "W/\"abc\"")]), v));
        assert!(!range_allowed(&headers(&[("if-range", "\"x\"")]), v));
        assert!(range_allowed(
            &headers(&[("if-range", "Tue, 14 Nov 2023 22:13:20 GMT")]),
            v
        ));
        assert!(!range_allowed(
            &headers(&[("if-range", "Tue, 14 Nov 2023 22:13:21 GMT")]),
            v
        ));
    }
}

//! Small HTTP helpers: media type negotiation (`Accept`) and plain-text error responses.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Picks the offered media type the `Accept` header likes best.
///
/// `offers` are `(media type, server preference)`; the client's q-value is multiplied by the
/// server preference, as @ldf/server does. With no usable `Accept` header the first offer wins.
pub(crate) fn negotiate<'a>(headers: &HeaderMap, offers: &[(&'a str, f32)]) -> Option<&'a str> {
    let Some(accept) = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    else {
        return offers.first().map(|(m, _)| *m);
    };
    let ranges: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let range = pieces.next()?.trim().to_ascii_lowercase();
            if range.is_empty() {
                return None;
            }
            let mut q = 1.0f32;
            for param in pieces {
                if let Some(v) = param.trim().strip_prefix("q=") {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
            Some((range, q))
        })
        .collect();
    let mut best: Option<(&'a str, f32)> = None;
    for (offer, preference) in offers {
        let (otype, _) = offer.split_once('/').unwrap_or((offer, ""));
        // The most specific matching range decides the client's q for this offer.
        let mut q: Option<(u8, f32)> = None;
        for (range, rq) in &ranges {
            let specificity = if range == offer {
                3
            } else if range.strip_suffix("/*") == Some(otype) {
                2
            } else if range == "*/*" {
                1
            } else {
                continue;
            };
            if q.is_none_or(|(s, _)| specificity > s) {
                q = Some((specificity, *rq));
            }
        }
        if let Some((_, q)) = q {
            let score = q * preference;
            if score > 0.0 && best.is_none_or(|(_, b)| score > b) {
                best = Some((offer, score));
            }
        }
    }
    best.map(|(m, _)| m)
}

/// A plain-text error response naming the request problem (the shared layer's one-line text
/// answer).
pub(crate) fn text_error(status: StatusCode, message: impl Into<String>) -> Response {
    opendata_http::response::text(status, message)
        .map(axum::body::Body::new)
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn negotiation_uses_q_and_preference() {
        let offers = [
            ("application/trig", 0.9),
            ("text/turtle", 0.6),
            ("application/n-triples", 0.5),
        ];
        assert_eq!(
            negotiate(&HeaderMap::new(), &offers),
            Some("application/trig")
        );
        assert_eq!(
            negotiate(&accept("text/turtle"), &offers),
            Some("text/turtle")
        );
        assert_eq!(
            negotiate(&accept("text/turtle;q=0.5, application/n-triples"), &offers),
            Some("application/n-triples")
        );
        assert_eq!(negotiate(&accept("*/*"), &offers), Some("application/trig"));
        assert_eq!(negotiate(&accept("image/png"), &offers), None);
        assert_eq!(negotiate(&accept("text/*"), &offers), Some("text/turtle"));
    }
}

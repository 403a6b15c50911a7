//! XSD lexical-form checks used by the writer (for text cells in typed columns) and the
//! validator. Hand-written so that checking a cell allocates nothing.

use crate::Datatype;

/// Whether `value` is in the lexical space of `datatype` (the XSD syntax the Czech standard
/// requires). The empty string is never valid here: emptiness is handled as "absent value".
#[must_use]
pub fn is_valid_lexical(datatype: Datatype, value: &str) -> bool {
    is_valid_lexical_bytes(datatype, value.as_bytes())
}

/// [`is_valid_lexical`] on the bytes of a value already known to be valid UTF-8 (every form
/// but `anyURI` is ASCII, so most checks never need a `str`).
#[must_use]
pub(crate) fn is_valid_lexical_bytes(datatype: Datatype, b: &[u8]) -> bool {
    if b.is_empty() {
        return false;
    }
    match datatype {
        Datatype::String => true,
        Datatype::Date => with_timezone(b, date_prefix),
        Datatype::Time => with_timezone(b, time_prefix),
        Datatype::DateTime => date_prefix(b).is_some_and(|n| match b.get(n..) {
            Some([b'T', time @ ..]) => with_timezone(time, time_prefix),
            _ => false,
        }),
        Datatype::Integer => is_integer(b),
        Datatype::Decimal => is_decimal(strip_sign(b)),
        Datatype::Double => is_double(b),
        Datatype::Boolean => matches!(b, b"true" | b"false" | b"1" | b"0"),
        Datatype::AnyUri => std::str::from_utf8(b)
            .is_ok_and(|v| v.chars().all(|c| !c.is_whitespace() && !c.is_control())),
    }
}

/// Whether `b` is a prefix `prefix` accepts followed by a valid timezone.
fn with_timezone(b: &[u8], prefix: fn(&[u8]) -> Option<usize>) -> bool {
    prefix(b).and_then(|n| b.get(n..)).is_some_and(is_timezone)
}

fn strip_sign(b: &[u8]) -> &[u8] {
    match b {
        [b'+' | b'-', rest @ ..] => rest,
        _ => b,
    }
}

fn all_digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

fn is_integer(b: &[u8]) -> bool {
    all_digits(strip_sign(b))
}

/// Unsigned decimal: `d+`, `d+.`, `d+.d+` or `.d+`.
fn is_decimal(b: &[u8]) -> bool {
    let mut parts = b.splitn(2, |&c| c == b'.');
    match (parts.next(), parts.next()) {
        (Some(int), None) => all_digits(int),
        (Some(int), Some(frac)) => {
            (int.is_empty() || all_digits(int))
                && (frac.is_empty() || all_digits(frac))
                && !(int.is_empty() && frac.is_empty())
        }
        (None, _) => false,
    }
}

fn is_double(b: &[u8]) -> bool {
    if matches!(b, b"INF" | b"+INF" | b"-INF" | b"NaN") {
        return true;
    }
    let mut parts = strip_sign(b).splitn(2, |&c| c == b'e' || c == b'E');
    match (parts.next(), parts.next()) {
        (Some(mantissa), None) => is_decimal(mantissa),
        (Some(mantissa), Some(exponent)) => is_decimal(mantissa) && is_integer(exponent),
        (None, _) => false,
    }
}

fn two_digits(b: &[u8], at: usize) -> Option<u32> {
    match *b.get(at..at + 2)? {
        [tens @ b'0'..=b'9', ones @ b'0'..=b'9'] => {
            Some(u32::from(tens - b'0') * 10 + u32::from(ones - b'0'))
        }
        _ => None,
    }
}

/// Length of a valid `-?YYYY-MM-DD` prefix (at least four year digits, a real calendar day).
fn date_prefix(b: &[u8]) -> Option<usize> {
    let neg = usize::from(b.first() == Some(&b'-'));
    let digits = b.get(neg..)?;
    let year_len = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if year_len < 4 || (year_len > 4 && digits.first() == Some(&b'0')) {
        return None;
    }
    let at = neg + year_len;
    if b.get(at) != Some(&b'-') || b.get(at + 3) != Some(&b'-') {
        return None;
    }
    let month = two_digits(b, at + 1)?;
    let day = two_digits(b, at + 4)?;
    // Leap years repeat every 400 years, so the year modulo 400 decides the calendar
    // (XSD years are proleptic Gregorian; year 0000 and -0004 are leap years too).
    let year_mod = digits
        .iter()
        .take(year_len)
        .fold(0u32, |acc, d| (acc * 10 + u32::from(d - b'0')) % 400);
    let leap = year_mod % 4 == 0 && (year_mod % 100 != 0 || year_mod == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month).contains(&day).then_some(at + 6)
}

/// Length of a valid `HH:MM:SS(.s+)?` prefix (`24:00:00` allowed).
fn time_prefix(b: &[u8]) -> Option<usize> {
    let (h, m, s) = (two_digits(b, 0)?, two_digits(b, 3)?, two_digits(b, 6)?);
    if b.get(2) != Some(&b':') || b.get(5) != Some(&b':') {
        return None;
    }
    let mut at = 8;
    let mut fraction_nonzero = false;
    if let Some([b'.', fraction @ ..]) = b.get(at..) {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        fraction_nonzero = fraction.iter().take(digits).any(|&c| c != b'0');
        at += 1 + digits;
    }
    let ok = (h < 24 && m < 60 && s < 60) || (h == 24 && m == 0 && s == 0 && !fraction_nonzero);
    ok.then_some(at)
}

/// Empty, `Z`, or `(+|-)HH:MM` with HH ≤ 14.
fn is_timezone(b: &[u8]) -> bool {
    match b {
        [] | [b'Z'] => true,
        [b'+' | b'-', rest @ ..] if matches!(rest, [_, _, b':', _, _]) => {
            match (two_digits(rest, 0), two_digits(rest, 3)) {
                (Some(h), Some(m)) => (h < 14 && m < 60) || (h == 14 && m == 0),
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Datatype as D;

    #[test]
    fn lexical_forms() {
        let ok = [
            (D::Date, "2024-02-29"),
            (D::Date, "2000-02-29"),
            (D::Date, "0000-02-29"),
            (D::Date, "-0004-02-29"),
            (D::Date, "2024-12-31"),
            (D::Date, "2019-01-01+01:00"),
            (D::Date, "2019-01-01Z"),
            (D::Date, "12019-01-01"),
            (D::Time, "09:30:10.5+01:00"),
            (D::Time, "24:00:00"),
            (D::DateTime, "2019-01-01T09:30:00+02:00"),
            (D::Integer, "-100000"),
            (D::Integer, "+7"),
            (D::Decimal, "-3.14"),
            (D::Decimal, ".5"),
            (D::Decimal, "5."),
            (D::Double, "12.78e-2"),
            (D::Double, "-INF"),
            (D::Double, "NaN"),
            (D::Boolean, "true"),
            (D::Boolean, "0"),
            (D::AnyUri, "https://example.cz/ř"),
            (D::String, " anything "),
        ];
        for (dt, v) in ok {
            assert!(is_valid_lexical(dt, v), "{dt} {v:?} should be valid");
        }
        let bad = [
            (D::Date, "2023-02-29"),
            (D::Date, "1900-02-29"),
            (D::Date, "-0001-02-29"),
            (D::Date, "2024-04-31"),
            (D::Date, "2024-13-01"),
            (D::Date, "2024-00-10"),
            (D::Date, "2024-01-00"),
            (D::Date, "10.03.2022"),
            (D::Date, "2022-3-10"),
            (D::Date, "2022-03-10 "),
            (D::Date, "02022-03-10"),
            (D::Date, "2022-03-10+15:00"),
            (D::Time, "24:00:01"),
            (D::Time, "9:30:00"),
            (D::DateTime, "2019-01-01 09:30:00"),
            (D::Integer, "100 000"),
            (D::Integer, "1.0"),
            (D::Integer, "-"),
            (D::Decimal, "3,14"),
            (D::Decimal, "1e3"),
            (D::Decimal, "."),
            (D::Double, "1e"),
            (D::Double, "inf"),
            (D::Boolean, "ano"),
            (D::AnyUri, "a b"),
            (D::String, ""),
        ];
        for (dt, v) in bad {
            assert!(!is_valid_lexical(dt, v), "{dt} {v:?} should be invalid");
        }
    }
}

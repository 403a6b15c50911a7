//! Built-in datatypes, datatype descriptions with formats and constraints, and cell value parsing.

use std::sync::LazyLock;

use regex::Regex;

use crate::numfmt::NumberFormat;

const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// The built-in datatype names of CSVW (aliases are mapped by [`canonical_base`]).
pub const BUILTIN: &[&str] = &[
    "anyAtomicType",
    "anyURI",
    "base64Binary",
    "boolean",
    "date",
    "dateTime",
    "dateTimeStamp",
    "decimal",
    "integer",
    "long",
    "int",
    "short",
    "byte",
    "nonNegativeInteger",
    "positiveInteger",
    "unsignedLong",
    "unsignedInt",
    "unsignedShort",
    "unsignedByte",
    "nonPositiveInteger",
    "negativeInteger",
    "double",
    "duration",
    "dayTimeDuration",
    "yearMonthDuration",
    "float",
    "gDay",
    "gMonth",
    "gMonthDay",
    "gYear",
    "gYearMonth",
    "hexBinary",
    "QName",
    "string",
    "normalizedString",
    "token",
    "language",
    "Name",
    "NMTOKEN",
    "xml",
    "html",
    "json",
    "time",
];

/// Maps a datatype name (including the aliases `number`, `binary`, `datetime`, `any`) to the
/// built-in name, or `None` if it is not built in.
pub fn canonical_base(name: &str) -> Option<&'static str> {
    match name {
        "number" => Some("double"),
        "binary" => Some("base64Binary"),
        "datetime" => Some("dateTime"),
        "any" => Some("anyAtomicType"),
        _ => BUILTIN.iter().copied().find(|b| *b == name),
    }
}

/// The IRI of a built-in datatype.
pub fn builtin_iri(base: &str) -> String {
    match base {
        "xml" => "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral".to_owned(),
        "html" => "http://www.w3.org/1999/02/22-rdf-syntax-ns#HTML".to_owned(),
        "json" => "http://www.w3.org/ns/csvw#JSON".to_owned(),
        other => format!("{XSD}{other}"),
    }
}

/// The built-in name for an IRI such as `http://www.w3.org/2001/XMLSchema#integer`.
pub fn builtin_from_iri(iri: &str) -> Option<&'static str> {
    if let Some(local) = iri.strip_prefix(XSD) {
        return BUILTIN.iter().copied().find(|b| *b == local);
    }
    match iri {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral" => Some("xml"),
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#HTML" => Some("html"),
        "http://www.w3.org/ns/csvw#JSON" => Some("json"),
        _ => None,
    }
}

/// Whether `base` is `string` or derived from it (or one of the string-like CSVW types).
pub fn is_string_type(base: &str) -> bool {
    matches!(
        base,
        "string"
            | "normalizedString"
            | "token"
            | "language"
            | "Name"
            | "NMTOKEN"
            | "xml"
            | "html"
            | "json"
            | "anyURI"
            | "QName"
    )
}

/// Whether `base` is a binary type (length counts bytes).
pub fn is_binary_type(base: &str) -> bool {
    matches!(base, "base64Binary" | "hexBinary")
}

/// Whether `base` is numeric.
pub fn is_numeric_type(base: &str) -> bool {
    matches!(base, "decimal" | "double" | "float") || is_integer_type(base)
}

/// Whether `base` is `integer` or derived from it.
pub fn is_integer_type(base: &str) -> bool {
    matches!(
        base,
        "integer"
            | "long"
            | "int"
            | "short"
            | "byte"
            | "nonNegativeInteger"
            | "positiveInteger"
            | "unsignedLong"
            | "unsignedInt"
            | "unsignedShort"
            | "unsignedByte"
            | "nonPositiveInteger"
            | "negativeInteger"
    )
}

/// Whether `base` is a date or time type.
pub fn is_temporal_type(base: &str) -> bool {
    matches!(
        base,
        "date"
            | "dateTime"
            | "dateTimeStamp"
            | "time"
            | "gDay"
            | "gMonth"
            | "gMonthDay"
            | "gYear"
            | "gYearMonth"
    )
}

/// Whether `base` is a duration type.
pub fn is_duration_type(base: &str) -> bool {
    matches!(base, "duration" | "dayTimeDuration" | "yearMonthDuration")
}

/// How cell strings are read for a datatype.
#[derive(Debug, Clone, Default)]
pub enum Format {
    /// No format: the XSD lexical space.
    #[default]
    None,
    /// A regular expression the whole value must match.
    Regex(Regex),
    /// A number format.
    Number(NumberFormat),
    /// `true|false` words.
    Boolean(String, String),
    /// A UAX #35 date/time pattern.
    DateTime(DatePattern),
}

/// A datatype description after normalisation.
#[derive(Debug, Clone)]
pub struct Datatype {
    /// The built-in base type.
    pub base: &'static str,
    /// The datatype's own IRI (`@id`), if any.
    pub id: Option<String>,
    /// How values are read.
    pub format: Format,
    /// Exact length.
    pub length: Option<usize>,
    /// Minimum length.
    pub min_length: Option<usize>,
    /// Maximum length.
    pub max_length: Option<usize>,
    /// Lower bound (inclusive).
    pub min_inclusive: Option<TypedValue>,
    /// Upper bound (inclusive).
    pub max_inclusive: Option<TypedValue>,
    /// Lower bound (exclusive).
    pub min_exclusive: Option<TypedValue>,
    /// Upper bound (exclusive).
    pub max_exclusive: Option<TypedValue>,
}

impl Default for Datatype {
    fn default() -> Self {
        Self::builtin("string")
    }
}

impl Datatype {
    /// A built-in datatype without format or constraints.
    pub fn builtin(base: &'static str) -> Self {
        Self {
            base,
            id: None,
            format: Format::None,
            length: None,
            min_length: None,
            max_length: None,
            min_inclusive: None,
            max_inclusive: None,
            min_exclusive: None,
            max_exclusive: None,
        }
    }

    /// The IRI used for RDF literals.
    pub fn iri(&self) -> String {
        self.id.clone().unwrap_or_else(|| builtin_iri(self.base))
    }
}

/// What kind of value a cell holds, for comparisons and output.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// Text.
    Text,
    /// A number (float approximation for comparisons).
    Number(f64),
    /// A boolean.
    Boolean(bool),
    /// A date or time: seconds on a common time line (for comparisons).
    Temporal(f64),
    /// A duration (months, seconds).
    Duration(f64, f64),
    /// A value that did not parse or broke a constraint: kept as a plain string.
    Invalid,
}

/// A parsed cell value: the lexical form to output and its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedValue {
    /// The XSD lexical form used for output.
    pub lexical: String,
    /// The kind, for constraints and JSON output.
    pub kind: ValueKind,
}

impl TypedValue {
    fn text(s: &str) -> Self {
        Self {
            lexical: s.to_owned(),
            kind: ValueKind::Text,
        }
    }

    fn compare(&self, other: &Self) -> Option<std::cmp::Ordering> {
        match (&self.kind, &other.kind) {
            (ValueKind::Number(a), ValueKind::Number(b))
            | (ValueKind::Temporal(a), ValueKind::Temporal(b)) => a.partial_cmp(b),
            (ValueKind::Duration(m1, s1), ValueKind::Duration(m2, s2)) => {
                (m1 * 30.0 * 86400.0 + s1).partial_cmp(&(m2 * 30.0 * 86400.0 + s2))
            }
            _ => None,
        }
    }
}

/// Parses `text` (already whitespace-normalised) as a value of `dt`.
pub fn parse_value(dt: &Datatype, text: &str) -> Result<TypedValue, String> {
    let value = parse_lexical(dt, text)?;
    check_constraints(dt, &value)?;
    Ok(value)
}

fn parse_lexical(dt: &Datatype, text: &str) -> Result<TypedValue, String> {
    let base = dt.base;
    let bad = || format!("{text:?} is not a valid {base}");
    if is_numeric_type(base) {
        let default_format = NumberFormat::default();
        let format = match &dt.format {
            Format::Number(f) => f,
            _ => &default_format,
        };
        let n = format.parse(text).ok_or_else(bad)?;
        if n.lexical == "NaN" || n.lexical.ends_with("INF") {
            if matches!(base, "double" | "float") {
                return Ok(TypedValue {
                    lexical: n.lexical,
                    kind: ValueKind::Number(n.value),
                });
            }
            return Err(bad());
        }
        if is_integer_type(base) {
            if n.has_fraction || n.has_exponent {
                return Err(bad());
            }
            check_integer_range(base, &n.lexical).ok_or_else(bad)?;
        } else if base == "decimal" && n.has_exponent {
            return Err(bad());
        }
        return Ok(TypedValue {
            lexical: n.lexical,
            kind: ValueKind::Number(n.value),
        });
    }
    if base == "boolean" {
        let b = match &dt.format {
            Format::Boolean(t, f) => {
                if text == t {
                    true
                } else if text == f {
                    false
                } else {
                    return Err(bad());
                }
            }
            _ => match text {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(bad()),
            },
        };
        return Ok(TypedValue {
            lexical: b.to_string(),
            kind: ValueKind::Boolean(b),
        });
    }
    if is_temporal_type(base) {
        if let Format::DateTime(pattern) = &dt.format {
            let fields = pattern.read(text).ok_or_else(bad)?;
            if base == "dateTimeStamp" && fields.tz.is_none() {
                return Err(bad());
            }
            return fields.to_value(base).ok_or_else(bad);
        }
        if let Format::Regex(re) = &dt.format
            && !re.is_match(text)
        {
            return Err(bad());
        }
        return parse_temporal(base, text).ok_or_else(bad);
    }
    if let Format::Regex(re) = &dt.format
        && !re.is_match(text)
    {
        return Err(format!(
            "{text:?} does not match the format {:?}",
            re.as_str()
        ));
    }
    if is_duration_type(base) {
        return parse_duration(base, text).ok_or_else(bad);
    }
    let ok = match base {
        "hexBinary" => text.len().is_multiple_of(2) && text.chars().all(|c| c.is_ascii_hexdigit()),
        "base64Binary" => BASE64.is_match(text),
        "language" => LANGUAGE.is_match(text),
        "Name" => NAME.is_match(text),
        "NMTOKEN" => NMTOKEN.is_match(text),
        "QName" => QNAME.is_match(text),
        "json" => serde_json::from_str::<serde_json::Value>(text).is_ok(),
        _ => true,
    };
    if !ok {
        return Err(bad());
    }
    Ok(TypedValue::text(text))
}

fn check_integer_range(base: &str, lexical: &str) -> Option<()> {
    let (min, max): (i128, i128) = match base {
        "long" => (i64::MIN.into(), i64::MAX.into()),
        "int" => (i32::MIN.into(), i32::MAX.into()),
        "short" => (i16::MIN.into(), i16::MAX.into()),
        "byte" => (i8::MIN.into(), i8::MAX.into()),
        "unsignedLong" => (0, u64::MAX.into()),
        "unsignedInt" => (0, u32::MAX.into()),
        "unsignedShort" => (0, u16::MAX.into()),
        "unsignedByte" => (0, u8::MAX.into()),
        "nonNegativeInteger" => (0, i128::MAX),
        "positiveInteger" => (1, i128::MAX),
        "nonPositiveInteger" => (i128::MIN, 0),
        "negativeInteger" => (i128::MIN, -1),
        _ => return Some(()),
    };
    match lexical.parse::<i128>() {
        Ok(v) => (v >= min && v <= max).then_some(()),
        // Too large for i128: only unbounded types in the right direction accept it.
        Err(_) => {
            let negative = lexical.starts_with('-');
            match base {
                "nonNegativeInteger" | "positiveInteger" if !negative => Some(()),
                "nonPositiveInteger" | "negativeInteger" if negative => Some(()),
                _ => None,
            }
        }
    }
}

fn length_of(dt: &Datatype, value: &TypedValue) -> usize {
    match dt.base {
        "hexBinary" => value.lexical.len() / 2,
        "base64Binary" => {
            let s = value.lexical.trim_end_matches('=');
            let chars = s.chars().filter(|c| !c.is_whitespace()).count();
            chars * 3 / 4
        }
        _ => value.lexical.chars().count(),
    }
}

fn check_constraints(dt: &Datatype, value: &TypedValue) -> Result<(), String> {
    let len = length_of(dt, value);
    if let Some(l) = dt.length
        && len != l
    {
        return Err(format!("{:?} does not have length {l}", value.lexical));
    }
    if let Some(l) = dt.min_length
        && len < l
    {
        return Err(format!("{:?} is shorter than minLength {l}", value.lexical));
    }
    if let Some(l) = dt.max_length
        && len > l
    {
        return Err(format!("{:?} is longer than maxLength {l}", value.lexical));
    }
    use std::cmp::Ordering::{Greater, Less};
    let fail = |what: &str, bound: &TypedValue| {
        Err(format!(
            "{:?} is not {what} {:?}",
            value.lexical, bound.lexical
        ))
    };
    if let Some(b) = &dt.min_inclusive
        && value.compare(b).is_some_and(|o| o == Less)
    {
        return fail(">=", b);
    }
    if let Some(b) = &dt.max_inclusive
        && value.compare(b).is_some_and(|o| o == Greater)
    {
        return fail("<=", b);
    }
    if let Some(b) = &dt.min_exclusive
        && value.compare(b).is_some_and(|o| o != Greater)
    {
        return fail(">", b);
    }
    if let Some(b) = &dt.max_exclusive
        && value.compare(b).is_some_and(|o| o != Less)
    {
        return fail("<", b);
    }
    Ok(())
}

/// Parses a bound (`minimum`, `maxExclusive`, …) in the base type's XSD lexical space.
pub fn parse_bound(base: &'static str, text: &str) -> Option<TypedValue> {
    parse_lexical(&Datatype::builtin(base), text).ok()
}

/// Compares two bounds; `None` if incomparable.
pub fn compare_bounds(a: &TypedValue, b: &TypedValue) -> Option<std::cmp::Ordering> {
    a.compare(b)
}

/// One of this module's literal patterns, compiled once behind its `LazyLock`.
#[expect(
    clippy::expect_used,
    reason = "literal patterns of this module; the test `every_pattern_compiles` builds each"
)]
fn pattern(source: &str) -> Regex {
    Regex::new(source).expect("valid regex")
}

static BASE64: LazyLock<Regex> = LazyLock::new(|| pattern(r"^(?:[A-Za-z0-9+/]\s*)*(?:=\s*){0,2}$"));
static LANGUAGE: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*$"));
static NAME: LazyLock<Regex> = LazyLock::new(|| pattern(r"^[\p{L}_:][\p{L}\p{N}_:.\-]*$"));
static NMTOKEN: LazyLock<Regex> = LazyLock::new(|| pattern(r"^[\p{L}\p{N}_:.\-]+$"));
static QNAME: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^(?:[\p{L}_][\p{L}\p{N}_.\-]*:)?[\p{L}_][\p{L}\p{N}_.\-]*$"));
static TZ: &str = r"(Z|[+-]\d\d:\d\d)?";
static DATE: LazyLock<Regex> =
    LazyLock::new(|| pattern(&format!(r"^(-?\d{{4,}})-(\d\d)-(\d\d){TZ}$")));
static DATETIME: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"^(-?\d{{4,}})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?{TZ}$"
    ))
});
static TIME: LazyLock<Regex> =
    LazyLock::new(|| pattern(&format!(r"^(\d\d):(\d\d):(\d\d)(\.\d+)?{TZ}$")));
static GYEAR: LazyLock<Regex> = LazyLock::new(|| pattern(&format!(r"^(-?\d{{4,}}){TZ}$")));
static GYEARMONTH: LazyLock<Regex> =
    LazyLock::new(|| pattern(&format!(r"^(-?\d{{4,}})-(\d\d){TZ}$")));
static GMONTH: LazyLock<Regex> = LazyLock::new(|| pattern(&format!(r"^--(\d\d){TZ}$")));
static GMONTHDAY: LazyLock<Regex> = LazyLock::new(|| pattern(&format!(r"^--(\d\d)-(\d\d){TZ}$")));
static GDAY: LazyLock<Regex> = LazyLock::new(|| pattern(&format!(r"^---(\d\d){TZ}$")));
static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$",
    )
});

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn tz_offset_seconds(tz: Option<&str>) -> Option<f64> {
    match tz {
        None | Some("") | Some("Z") => Some(0.0),
        Some(t) => {
            let sign = if t.starts_with('-') { -1.0 } else { 1.0 };
            let h: f64 = t.get(1..3)?.parse().ok()?;
            let m: f64 = t.get(4..6)?.parse().ok()?;
            if h > 14.0 || m > 59.0 {
                return None;
            }
            Some(sign * (h * 3600.0 + m * 60.0))
        }
    }
}

fn valid_date(year: i64, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

fn valid_time(h: u32, m: u32, s: f64) -> bool {
    (h < 24 && m < 60 && s < 60.0) || (h == 24 && m == 0 && s == 0.0)
}

fn parse_temporal(base: &str, text: &str) -> Option<TypedValue> {
    let num = |s: &str| s.parse::<i64>().ok();
    let key = match base {
        "date" => {
            let c = DATE.captures(text)?;
            let (y, m, d) = (num(&c[1])?, num(&c[2])? as u32, num(&c[3])? as u32);
            if !valid_date(y, m, d) {
                return None;
            }
            days_from_civil(y, m, d) as f64 * 86400.0
                - tz_offset_seconds(c.get(4).map(|x| x.as_str()))?
        }
        "dateTime" | "dateTimeStamp" => {
            let c = DATETIME.captures(text)?;
            let (y, mo, d) = (num(&c[1])?, num(&c[2])? as u32, num(&c[3])? as u32);
            let (h, mi) = (num(&c[4])? as u32, num(&c[5])? as u32);
            let s: f64 = format!("{}{}", &c[6], c.get(7).map_or("", |x| x.as_str()))
                .parse()
                .ok()?;
            if !valid_date(y, mo, d) || !valid_time(h, mi, s) {
                return None;
            }
            if base == "dateTimeStamp" && c.get(8).is_none() {
                return None;
            }
            days_from_civil(y, mo, d) as f64 * 86400.0 + f64::from(h * 3600 + mi * 60) + s
                - tz_offset_seconds(c.get(8).map(|x| x.as_str()))?
        }
        "time" => {
            let c = TIME.captures(text)?;
            let (h, mi) = (num(&c[1])? as u32, num(&c[2])? as u32);
            let s: f64 = format!("{}{}", &c[3], c.get(4).map_or("", |x| x.as_str()))
                .parse()
                .ok()?;
            if !valid_time(h, mi, s) {
                return None;
            }
            f64::from(h * 3600 + mi * 60) + s - tz_offset_seconds(c.get(5).map(|x| x.as_str()))?
        }
        "gYear" => {
            let c = GYEAR.captures(text)?;
            tz_offset_seconds(c.get(2).map(|x| x.as_str()))?;
            num(&c[1])? as f64
        }
        "gYearMonth" => {
            let c = GYEARMONTH.captures(text)?;
            let m = num(&c[2])?;
            if !(1..=12).contains(&m) {
                return None;
            }
            tz_offset_seconds(c.get(3).map(|x| x.as_str()))?;
            (num(&c[1])? * 12 + m) as f64
        }
        "gMonth" => {
            let c = GMONTH.captures(text)?;
            let m = num(&c[1])?;
            if !(1..=12).contains(&m) {
                return None;
            }
            tz_offset_seconds(c.get(2).map(|x| x.as_str()))?;
            m as f64
        }
        "gMonthDay" => {
            let c = GMONTHDAY.captures(text)?;
            let (m, d) = (num(&c[1])? as u32, num(&c[2])? as u32);
            if !valid_date(2000, m, d) {
                return None;
            }
            tz_offset_seconds(c.get(3).map(|x| x.as_str()))?;
            f64::from(m * 32 + d)
        }
        "gDay" => {
            let c = GDAY.captures(text)?;
            let d = num(&c[1])?;
            if !(1..=31).contains(&d) {
                return None;
            }
            tz_offset_seconds(c.get(2).map(|x| x.as_str()))?;
            d as f64
        }
        _ => return None,
    };
    Some(TypedValue {
        lexical: text.to_owned(),
        kind: ValueKind::Temporal(key),
    })
}

fn parse_duration(base: &str, text: &str) -> Option<TypedValue> {
    let c = DURATION.captures(text)?;
    let has = |i: usize| c.get(i).is_some();
    if !(has(2) || has(3) || has(4) || has(6) || has(7) || has(8)) {
        return None;
    }
    if has(5) && !(has(6) || has(7) || has(8)) {
        return None;
    }
    match base {
        "dayTimeDuration" if has(2) || has(3) => return None,
        "yearMonthDuration" if has(4) || has(5) => return None,
        _ => {}
    }
    let n = |i: usize| {
        c.get(i)
            .map_or(0.0, |x| x.as_str().parse::<f64>().unwrap_or(0.0))
    };
    let sign = if has(1) { -1.0 } else { 1.0 };
    let months = sign * (n(2) * 12.0 + n(3));
    let seconds = sign * (n(4) * 86400.0 + n(6) * 3600.0 + n(7) * 60.0 + n(8));
    Some(TypedValue {
        lexical: text.to_owned(),
        kind: ValueKind::Duration(months, seconds),
    })
}

/// A UAX #35 date/time pattern (the subset CSVW allows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatePattern {
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Year,
    Month { min: usize },
    Day { min: usize },
    Hour,
    Minute,
    Second,
    Fraction(usize),
    Zone(String),
    Literal(char),
}

const DATE_FORMATS: &[&str] = &[
    "yyyy-MM-dd",
    "yyyyMMdd",
    "dd-MM-yyyy",
    "d-M-yyyy",
    "MM-dd-yyyy",
    "M-d-yyyy",
    "dd/MM/yyyy",
    "d/M/yyyy",
    "MM/dd/yyyy",
    "M/d/yyyy",
    "dd.MM.yyyy",
    "d.M.yyyy",
    "MM.dd.yyyy",
    "M.d.yyyy",
];
const TIME_FORMATS: &[&str] = &["HH:mm:ss", "HHmmss", "HH:mm", "HHmm"];
const ZONES: &[&str] = &["XXX", "XX", "X", "xxx", "xx", "x"];

impl DatePattern {
    /// Parses a pattern allowed for `base` (`date`, `time`, `dateTime`, `dateTimeStamp`);
    /// `None` if the pattern is not one CSVW defines.
    pub fn parse(base: &str, pattern: &str) -> Option<Self> {
        let (rest, zone) = split_zone(pattern);
        let ok = match base {
            "date" => DATE_FORMATS.contains(&rest),
            "time" => is_time_format(rest),
            "dateTime" | "dateTimeStamp" => DATE_FORMATS.iter().any(|d| {
                rest.strip_prefix(d)
                    .and_then(|r| r.strip_prefix('T').or_else(|| r.strip_prefix(' ')))
                    .is_some_and(is_time_format)
            }),
            _ => false,
        };
        if !ok {
            return None;
        }
        let mut tokens = Vec::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            let mut n = 1;
            while chars.next_if_eq(&c).is_some() {
                n += 1;
            }
            match c {
                'y' => tokens.push(Token::Year),
                'M' => tokens.push(Token::Month { min: n }),
                'd' => tokens.push(Token::Day { min: n }),
                'H' => tokens.push(Token::Hour),
                'm' => tokens.push(Token::Minute),
                's' => tokens.push(Token::Second),
                'S' => tokens.push(Token::Fraction(n)),
                other => {
                    for _ in 0..n {
                        tokens.push(Token::Literal(other));
                    }
                }
            }
        }
        if let Some((space, z)) = zone {
            if space {
                tokens.push(Token::Literal(' '));
            }
            tokens.push(Token::Zone(z.to_owned()));
        }
        Some(Self { tokens })
    }

    /// Whether the pattern is the XSD lexical form itself (`yyyy-MM-dd`, `HH:mm:ss`,
    /// `yyyy-MM-ddTHH:mm:ss`, optional fraction and `XXX` zone): values it accepts need no
    /// conversion to be valid `xsd:date` / `xsd:time` / `xsd:dateTime` literals.
    #[must_use]
    pub fn is_xsd_form(&self) -> bool {
        use Token::{Day, Fraction, Hour, Literal, Minute, Month, Second, Year, Zone};
        let mut tokens = self.tokens.as_slice();
        if let [rest @ .., Zone(zone)] = tokens {
            if zone != "XXX" {
                return false;
            }
            tokens = rest;
        }
        if let [rest @ .., Fraction(_)] = tokens {
            tokens = rest;
            // A fraction must follow seconds (`ss.S…`).
            let [before @ .., Literal('.')] = tokens else {
                return false;
            };
            tokens = before;
        }
        let date = [
            Year,
            Literal('-'),
            Month { min: 2 },
            Literal('-'),
            Day { min: 2 },
        ];
        let time = [Hour, Literal(':'), Minute, Literal(':'), Second];
        match tokens.len() {
            5 => tokens == date || tokens == time,
            11 => matches!(
                tokens.split_at_checked(5),
                Some((d, [Literal('T'), t @ ..])) if d == date && t == time
            ),
            _ => false,
        }
    }

    fn read(&self, text: &str) -> Option<DateFields> {
        let mut f = DateFields::default();
        let mut s = text;
        let take_digits = |s: &mut &str, min: usize, max: usize| -> Option<String> {
            let n = s.chars().take(max).take_while(char::is_ascii_digit).count();
            if n < min {
                return None;
            }
            let (d, r) = s.split_at(n);
            *s = r;
            Some(d.to_owned())
        };
        for token in &self.tokens {
            match token {
                Token::Year => f.year = Some(take_digits(&mut s, 4, 4)?.parse().ok()?),
                Token::Month { min } => {
                    f.month = Some(take_digits(&mut s, *min, 2)?.parse().ok()?);
                }
                Token::Day { min } => f.day = Some(take_digits(&mut s, *min, 2)?.parse().ok()?),
                Token::Hour => f.hour = Some(take_digits(&mut s, 2, 2)?.parse().ok()?),
                Token::Minute => f.minute = Some(take_digits(&mut s, 2, 2)?.parse().ok()?),
                Token::Second => f.second = Some(take_digits(&mut s, 2, 2)?.parse().ok()?),
                Token::Fraction(n) => f.fraction = Some(take_digits(&mut s, 1, *n)?),
                Token::Literal(c) => s = s.strip_prefix(*c)?,
                Token::Zone(z) => {
                    if let Some(r) = s.strip_prefix('Z') {
                        if z.starts_with('x') {
                            return None;
                        }
                        s = r;
                        f.tz = Some("Z".to_owned());
                        continue;
                    }
                    let sign = s.chars().next().filter(|c| *c == '+' || *c == '-')?;
                    s = &s[1..];
                    let h = take_digits(&mut s, 2, 2)?;
                    let m = match z.len() {
                        1 => {
                            if s.starts_with(|c: char| c.is_ascii_digit()) {
                                take_digits(&mut s, 2, 2)?
                            } else {
                                "00".to_owned()
                            }
                        }
                        2 => take_digits(&mut s, 2, 2)?,
                        _ => {
                            s = s.strip_prefix(':')?;
                            take_digits(&mut s, 2, 2)?
                        }
                    };
                    f.tz = Some(format!("{sign}{h}:{m}"));
                }
            }
        }
        s.is_empty().then_some(f)
    }
}

fn is_time_format(s: &str) -> bool {
    if TIME_FORMATS.contains(&s) {
        return true;
    }
    s.strip_prefix("HH:mm:ss.")
        .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c == 'S'))
}

fn split_zone(pattern: &str) -> (&str, Option<(bool, &str)>) {
    for z in ZONES {
        if let Some(rest) = pattern.strip_suffix(z) {
            if rest.ends_with(['X', 'x']) {
                continue;
            }
            return match rest.strip_suffix(' ') {
                Some(r) => (r, Some((true, z))),
                None => (rest, Some((false, z))),
            };
        }
    }
    (pattern, None)
}

#[derive(Debug, Default)]
struct DateFields {
    year: Option<i64>,
    month: Option<u32>,
    day: Option<u32>,
    hour: Option<u32>,
    minute: Option<u32>,
    second: Option<u32>,
    fraction: Option<String>,
    tz: Option<String>,
}

impl DateFields {
    fn to_value(&self, base: &str) -> Option<TypedValue> {
        let tz = self.tz.clone().unwrap_or_default();
        let date = match (self.year, self.month, self.day) {
            (Some(y), Some(m), Some(d)) => {
                if !valid_date(y, m, d) {
                    return None;
                }
                Some(format!("{y:04}-{m:02}-{d:02}"))
            }
            _ => None,
        };
        let time = match (self.hour, self.minute) {
            (Some(h), Some(m)) => {
                let s = self.second.unwrap_or(0);
                if !valid_time(h, m, f64::from(s)) {
                    return None;
                }
                let mut t = format!("{h:02}:{m:02}:{s:02}");
                if let Some(f) = &self.fraction {
                    t.push('.');
                    t.push_str(f);
                }
                Some(t)
            }
            _ => None,
        };
        let lexical = match base {
            "date" => format!("{}{tz}", date?),
            "time" => format!("{}{tz}", time?),
            _ => format!("{}T{}{tz}", date?, time?),
        };
        let builtin = if base == "dateTimeStamp" {
            "dateTimeStamp"
        } else {
            base
        };
        parse_temporal(builtin, &lexical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        for regex in [
            &BASE64,
            &LANGUAGE,
            &NAME,
            &NMTOKEN,
            &QNAME,
            &DATE,
            &DATETIME,
            &TIME,
            &GYEAR,
            &GYEARMONTH,
            &GMONTH,
            &GMONTHDAY,
            &GDAY,
            &DURATION,
        ] {
            assert!(!LazyLock::force(regex).as_str().is_empty());
        }
    }

    #[test]
    fn xsd_form_patterns() {
        let xsd =
            |base: &str, pattern: &str| DatePattern::parse(base, pattern).unwrap().is_xsd_form();
        assert!(xsd("date", "yyyy-MM-dd"));
        assert!(xsd("date", "yyyy-MM-ddXXX"));
        assert!(xsd("time", "HH:mm:ss"));
        assert!(xsd("time", "HH:mm:ss.SSS"));
        assert!(xsd("dateTime", "yyyy-MM-ddTHH:mm:ss"));
        assert!(xsd("dateTime", "yyyy-MM-ddTHH:mm:ss.SXXX"));
        assert!(!xsd("date", "dd.MM.yyyy"));
        assert!(!xsd("date", "d.M.yyyy"));
        assert!(!xsd("date", "yyyyMMdd"));
        assert!(!xsd("date", "yyyy-MM-ddX"));
        assert!(!xsd("time", "HH:mm"));
        assert!(!xsd("dateTime", "yyyy-MM-dd HH:mm:ss"));
    }

    #[test]
    fn native_dates() {
        assert!(parse_temporal("date", "2015-03-22-08:00").is_some());
        assert!(parse_temporal("date", "2015-02-30").is_none());
        assert!(parse_temporal("gDay", "---31Z").is_some());
        assert!(parse_duration("duration", "P").is_none());
        assert!(parse_duration("dayTimeDuration", "P1Y").is_none());
    }

    #[test]
    fn date_patterns() {
        let p = DatePattern::parse("date", "dd.MM.yyyy XXX").unwrap();
        let v = p.read("22.03.2015 Z").unwrap().to_value("date").unwrap();
        assert_eq!(v.lexical, "2015-03-22Z");
        let p = DatePattern::parse("dateTime", "d-M-yyyy HHmm X").unwrap();
        let v = p
            .read("15-3-2015 1502 +0800")
            .unwrap()
            .to_value("dateTime")
            .unwrap();
        assert_eq!(v.lexical, "2015-03-15T15:02:00+08:00");
        assert!(DatePattern::parse("date", "yy-MM-dd").is_none());
    }
}

//! UAX #35 number patterns and number parsing with `groupChar`/`decimalChar`.

/// A parsed number pattern such as `#,##0.00` or `0.###E0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPattern {
    prefix: String,
    suffix: String,
    min_int: usize,
    primary_group: Option<usize>,
    secondary_group: Option<usize>,
    min_frac: usize,
    max_frac: usize,
    frac_group: Option<usize>,
    has_fraction: bool,
    exponent: Option<Exponent>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Exponent {
    explicit_plus: bool,
    min_digits: usize,
}

/// How to read numbers in a column: the pattern and the group and decimal characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberFormat {
    /// The pattern, if any.
    pub pattern: Option<NumberPattern>,
    /// Grouping character (none by default).
    pub group_char: Option<char>,
    /// Decimal character (`.` by default).
    pub decimal_char: char,
}

impl Default for NumberFormat {
    fn default() -> Self {
        Self {
            pattern: None,
            group_char: None,
            decimal_char: '.',
        }
    }
}

impl NumberPattern {
    /// Parses a pattern; `None` if it is not a valid UAX #35 number pattern.
    pub fn parse(pattern: &str) -> Option<Self> {
        let is_body = |c: char| matches!(c, '#' | '0' | ',' | '.');
        let start = pattern.find(is_body)?;
        let prefix = &pattern[..start];
        let rest = &pattern[start..];
        let body_end = rest
            .char_indices()
            .find(|&(_, c)| !(is_body(c) || c == 'E' || c == '+'))
            .map_or(rest.len(), |(i, _)| i);
        let mut body = &rest[..body_end];
        let suffix = &rest[body_end..];
        let affix_ok = |s: &str| s.chars().all(|c| matches!(c, '+' | '-' | '%' | '‰'));
        if !affix_ok(prefix) || !affix_ok(suffix) {
            return None;
        }
        let mut exponent = None;
        if let Some(e) = body.find('E') {
            let exp = &body[e + 1..];
            body = &body[..e];
            let (explicit_plus, digits) = match exp.strip_prefix('+') {
                Some(d) => (true, d),
                None => (false, exp),
            };
            if digits.is_empty() || !digits.chars().all(|c| c == '0' || c == '#') {
                return None;
            }
            // `#` before `0` only.
            if digits.trim_start_matches('#').contains('#') {
                return None;
            }
            exponent = Some(Exponent {
                explicit_plus,
                min_digits: digits.chars().filter(|&c| c == '0').count(),
            });
        }
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        if int_part.contains('E') || frac_part.is_some_and(|f| f.contains('.')) {
            return None;
        }
        // Integer part: '#'s then '0's (commas anywhere between digits).
        let digits: String = int_part.chars().filter(|&c| c != ',').collect();
        if digits.trim_start_matches('#').contains('#') {
            return None;
        }
        if int_part.ends_with(',') || int_part.contains(",,") {
            return None;
        }
        let min_int = digits.chars().filter(|&c| c == '0').count();
        let groups: Vec<&str> = int_part.split(',').collect();
        let (primary_group, secondary_group) = match groups.as_slice() {
            [.., before, last] => {
                let primary = last.len();
                // `#,##0`: the secondary group is the primary one unless a second comma says.
                let secondary = if groups.len() > 2 {
                    before.len()
                } else {
                    primary
                };
                (Some(primary), Some(secondary))
            }
            _ => (None, None),
        };
        let (min_frac, max_frac, frac_group, has_fraction) = match frac_part {
            Some(f) => {
                let digits: String = f.chars().filter(|&c| c != ',').collect();
                if digits.trim_start_matches('0').contains('0') {
                    return None;
                }
                if f.starts_with(',') || f.contains(",,") {
                    return None;
                }
                let frac_group = f.find(',');
                (
                    digits.chars().filter(|&c| c == '0').count(),
                    digits.len(),
                    frac_group,
                    true,
                )
            }
            None => (0, 0, None, false),
        };
        if digits.is_empty() && max_frac == 0 {
            return None;
        }
        Some(Self {
            prefix: prefix.replace(['+', '-'], ""),
            suffix: suffix.replace(['+', '-'], ""),
            min_int,
            primary_group,
            secondary_group,
            min_frac,
            max_frac,
            frac_group,
            has_fraction,
            exponent,
        })
    }
}

/// A number read from a cell: its XSD lexical form (after removing grouping and applying
/// percent/per-mille) and whether it was special (`NaN`, `INF`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedNumber {
    /// Canonical-ish XSD lexical form: optional `-`, digits, optional `.digits`, optional `E[-]digits`.
    pub lexical: String,
    /// Whether the lexical form has a fractional part.
    pub has_fraction: bool,
    /// Whether it has an exponent.
    pub has_exponent: bool,
    /// The value as a float, for range checks.
    pub value: f64,
}

impl NumberFormat {
    /// Reads a number; `None` if `text` does not match the format.
    pub fn parse(&self, text: &str) -> Option<ParsedNumber> {
        match text {
            "NaN" => return special("NaN", f64::NAN),
            "INF" => return special("INF", f64::INFINITY),
            "-INF" => return special("-INF", f64::NEG_INFINITY),
            _ => {}
        }
        let mut s = text;
        let mut percent = 0u8; // 1 = %, 2 = ‰
        let take_affix = |s: &mut &str, at_start: bool| {
            for (c, kind) in [('%', 1u8), ('‰', 2u8)] {
                if at_start {
                    if let Some(r) = s.strip_prefix(c) {
                        *s = r;
                        return Some(kind);
                    }
                } else if let Some(r) = s.strip_suffix(c) {
                    *s = r;
                    return Some(kind);
                }
            }
            None
        };
        if let Some(k) = take_affix(&mut s, true) {
            percent = k;
        }
        let mut negative = false;
        let mut plus = false;
        if let Some(r) = s.strip_prefix('-') {
            negative = true;
            s = r;
        } else if let Some(r) = s.strip_prefix('+') {
            plus = true;
            s = r;
        }
        if percent == 0
            && let Some(k) = take_affix(&mut s, true)
        {
            percent = k;
        }
        if percent == 0
            && let Some(k) = take_affix(&mut s, false)
        {
            percent = k;
        }
        if let Some(p) = &self.pattern {
            let expected_prefix = affix_kind(&p.prefix);
            let expected_suffix = affix_kind(&p.suffix);
            let expected = expected_prefix.max(expected_suffix);
            if expected != percent {
                return None;
            }
        }
        // Split mantissa and exponent.
        // A pattern's exponent is written 'E'; without a pattern XSD also allows 'e'.
        let exp_pos = if self.pattern.is_some() {
            s.find('E')
        } else {
            s.find(['E', 'e'])
        };
        let (mantissa, exponent) = match exp_pos {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        let (int_part, frac_part) = match mantissa.find(self.decimal_char) {
            Some(i) => (
                &mantissa[..i],
                Some(&mantissa[i + self.decimal_char.len_utf8()..]),
            ),
            None => (mantissa, None),
        };
        let group = self.group_char;
        let is_digit_or_group = |c: char| c.is_ascii_digit() || Some(c) == group;
        if !int_part.chars().all(is_digit_or_group)
            || !frac_part.unwrap_or("").chars().all(is_digit_or_group)
        {
            return None;
        }
        if int_part.is_empty() && frac_part.is_none_or(str::is_empty) {
            return None;
        }
        if let Some(g) = group {
            let gs = g.to_string();
            let doubled = format!("{g}{g}");
            if int_part.contains(&doubled)
                || int_part.starts_with(&gs)
                || int_part.ends_with(&gs)
                || frac_part
                    .is_some_and(|f| f.contains(&doubled) || f.starts_with(&gs) || f.ends_with(&gs))
            {
                return None;
            }
        }
        let int_digits: String = int_part.chars().filter(char::is_ascii_digit).collect();
        let frac_digits: String = frac_part
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let exp_value = match exponent {
            Some(e) => {
                let (sign, digits) = if let Some(d) = e.strip_prefix('-') {
                    ("-", d)
                } else if let Some(d) = e.strip_prefix('+') {
                    ("+", d)
                } else {
                    ("", e)
                };
                if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                Some((sign, digits))
            }
            None => None,
        };
        if let Some(p) = &self.pattern {
            if int_digits.len() < p.min_int {
                return None;
            }
            // Integer grouping.
            let groups: Vec<&str> = match group {
                Some(g) => int_part.split(g).collect(),
                None => vec![int_part],
            };
            match p.primary_group {
                None => {
                    if groups.len() > 1 {
                        return None;
                    }
                }
                Some(primary) => {
                    let secondary = p.secondary_group.unwrap_or(primary);
                    if let [leading @ .., last] = groups.as_slice()
                        && !leading.is_empty()
                    {
                        if last.len() != primary {
                            return None;
                        }
                        for (i, g) in leading.iter().enumerate() {
                            if i == 0 {
                                if g.is_empty() || g.len() > secondary {
                                    return None;
                                }
                            } else if g.len() != secondary {
                                return None;
                            }
                        }
                    } else if int_digits.len() > primary {
                        return None;
                    }
                }
            }
            // Fraction.
            if frac_digits.len() < p.min_frac || frac_digits.len() > p.max_frac {
                return None;
            }
            if !p.has_fraction && frac_part.is_some() {
                return None;
            }
            if let Some(frac) = frac_part {
                let groups: Vec<&str> = match group {
                    Some(g) => frac.split(g).collect(),
                    None => vec![frac],
                };
                match p.frac_group {
                    None => {
                        if groups.len() > 1 {
                            return None;
                        }
                    }
                    Some(size) => {
                        let n = groups.len();
                        for (i, g) in groups.iter().enumerate() {
                            if (i + 1 < n && g.len() != size) || (i + 1 == n && g.len() > size) {
                                return None;
                            }
                        }
                    }
                }
            }
            match (&p.exponent, exp_value) {
                (None, Some(_)) => return None,
                (Some(_), None) => return None,
                (Some(e), Some((sign, digits))) => {
                    if digits.len() < e.min_digits || (e.explicit_plus && sign.is_empty()) {
                        return None;
                    }
                }
                (None, None) => {}
            }
        }
        // The lexical form keeps the writer's sign and exponent marker (RDF output keeps the
        // literal as written); only grouping and the decimal character are normalised.
        let mut lexical = String::new();
        if negative {
            lexical.push('-');
        } else if plus {
            lexical.push('+');
        }
        let int_digits = if int_digits.is_empty() {
            "0".to_owned()
        } else {
            int_digits
        };
        lexical.push_str(&int_digits);
        if frac_part.is_some() {
            lexical.push('.');
            lexical.push_str(if frac_digits.is_empty() {
                "0"
            } else {
                &frac_digits
            });
        }
        let mut has_fraction = frac_part.is_some();
        if let Some((sign, digits)) = exp_value {
            // Values read through a pattern get the XSD-preferred lower-case marker, as the
            // reference implementation writes them; other values keep the marker as written.
            lexical.push(if self.pattern.is_some() {
                'e'
            } else {
                exp_pos
                    .and_then(|at| s.get(at..))
                    .and_then(|rest| rest.chars().next())
                    .unwrap_or('E')
            });
            lexical.push_str(sign);
            lexical.push_str(digits);
        }
        if percent > 0 {
            lexical = shift_decimal(&lexical, if percent == 1 { 2 } else { 3 });
            has_fraction = lexical.contains('.');
        }
        let value: f64 = lexical.parse().ok()?;
        Some(ParsedNumber {
            has_exponent: exp_value.is_some(),
            lexical,
            has_fraction,
            value,
        })
    }
}

fn affix_kind(affix: &str) -> u8 {
    if affix.contains('%') {
        1
    } else if affix.contains('‰') {
        2
    } else {
        0
    }
}

fn special(lexical: &str, value: f64) -> Option<ParsedNumber> {
    Some(ParsedNumber {
        lexical: lexical.to_owned(),
        has_fraction: false,
        has_exponent: false,
        value,
    })
}

/// Divides a decimal lexical form (without exponent handling beyond pass-through) by 10^places.
fn shift_decimal(lexical: &str, places: usize) -> String {
    if let Some(e) = lexical.find('E') {
        let (m, exp) = lexical.split_at(e);
        let exp: i64 = exp[1..].parse().unwrap_or(0);
        return format!("{m}E{}", exp - places as i64);
    }
    let (sign, digits) = match lexical.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", lexical.trim_start_matches('+')),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut int = int.to_owned();
    while int.len() <= places {
        int.insert(0, '0');
    }
    let split = int.len() - places;
    let new_int = int[..split].trim_start_matches('0');
    let new_int = if new_int.is_empty() { "0" } else { new_int };
    let new_frac = format!("{}{}", &int[split..], frac);
    let new_frac = new_frac.trim_end_matches('0');
    if new_frac.is_empty() {
        format!("{sign}{new_int}")
    } else {
        format!("{sign}{new_int}.{new_frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(pattern: &str) -> NumberFormat {
        NumberFormat {
            pattern: Some(NumberPattern::parse(pattern).unwrap()),
            group_char: Some(','),
            decimal_char: '.',
        }
    }

    #[test]
    fn grouping_rules() {
        assert!(fmt("##0").parse("1,234").is_none());
        assert!(fmt("##0").parse("12345").is_some());
        assert!(fmt("#,#00").parse("1").is_none());
        assert!(fmt("#,#00").parse("1234").is_none());
        assert!(fmt("#,#00").parse("12,34").is_none());
        assert!(fmt("#,#00").parse("1,234").is_some());
        assert!(fmt("#,##,#00").parse("1,234,567").is_none());
        assert!(fmt("#,##,#00").parse("12,34,567").is_some());
        assert!(fmt("#0.0#,#").parse("12.34,5").is_some());
        assert!(fmt("#0.0#,#").parse("12.345").is_none());
        assert!(fmt("#0.0").parse("1").is_none());
        assert!(fmt("0,00,000").parse("1,23,456").is_some());
        assert!(NumberPattern::parse("[").is_none());
    }

    #[test]
    fn percent() {
        let f = fmt("000%");
        assert_eq!(f.parse("123%").unwrap().lexical, "1.23");
        assert_eq!(f.parse("-123%").unwrap().lexical, "-1.23");
        assert_eq!(shift_decimal("123456.789", 2), "1234.56789");
    }
}

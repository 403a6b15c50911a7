//! RFC 6570 URI templates (levels 1–4), as used by `aboutUrl`, `propertyUrl` and `valueUrl`.

use std::fmt::Write as _;

/// The value of a template variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateValue {
    /// A single string.
    Str(String),
    /// A list (a cell with a separator).
    List(Vec<String>),
}

/// A parsed URI template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriTemplate {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Expression {
        operator: Option<char>,
        vars: Vec<VarSpec>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct VarSpec {
    name: String,
    prefix: Option<usize>,
    explode: bool,
}

/// Why a template does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid URI template {template:?}: {message}")]
pub struct TemplateError {
    template: String,
    message: String,
}

impl UriTemplate {
    /// Parses a template.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let err = |message: &str| TemplateError {
            template: source.to_owned(),
            message: message.to_owned(),
        };
        let mut parts = Vec::new();
        let mut rest = source;
        while !rest.is_empty() {
            if let Some(start) = rest.find('{') {
                if start > 0 {
                    parts.push(Part::Literal(rest[..start].to_owned()));
                }
                let after = &rest[start + 1..];
                let end = after.find('}').ok_or_else(|| err("unclosed '{'"))?;
                let body = &after[..end];
                let (operator, list) = match body.chars().next() {
                    Some(c @ ('+' | '#' | '.' | '/' | ';' | '?' | '&')) => (Some(c), &body[1..]),
                    Some('=' | ',' | '!' | '@' | '|') => return Err(err("reserved operator")),
                    _ => (None, body),
                };
                let mut vars = Vec::new();
                for spec in list.split(',') {
                    let (name, prefix, explode) = if let Some(name) = spec.strip_suffix('*') {
                        (name, None, true)
                    } else if let Some((name, len)) = spec.split_once(':') {
                        let len: usize = len.parse().map_err(|_| err("invalid prefix length"))?;
                        if len == 0 || len >= 10000 {
                            return Err(err("invalid prefix length"));
                        }
                        (name, Some(len), false)
                    } else {
                        (spec, None, false)
                    };
                    if name.is_empty()
                        || !name
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '%')
                    {
                        return Err(err("invalid variable name"));
                    }
                    vars.push(VarSpec {
                        name: percent_encoding::percent_decode_str(name)
                            .decode_utf8_lossy()
                            .into_owned(),
                        prefix,
                        explode,
                    });
                }
                parts.push(Part::Expression { operator, vars });
                rest = &after[end + 1..];
            } else {
                if rest.contains('}') {
                    return Err(err("unmatched '}'"));
                }
                parts.push(Part::Literal(rest.to_owned()));
                rest = "";
            }
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    /// Whether the expansion depends on the column (`_column`, `_sourceColumn`, `_name`), so
    /// it cannot be shared between the cells of a row.
    pub fn uses_column_variables(&self) -> bool {
        self.parts.iter().any(|p| match p {
            Part::Literal(_) => false,
            Part::Expression { vars, .. } => vars
                .iter()
                .any(|v| matches!(v.name.as_str(), "_column" | "_sourceColumn" | "_name")),
        })
    }

    /// The template text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Expands the template; `lookup` returns the value of a variable, `None` if undefined.
    pub fn expand<'a>(&self, lookup: impl Fn(&str) -> Option<&'a TemplateValue>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => encode(&mut out, text, true),
                Part::Expression { operator, vars } => {
                    expand_expression(&mut out, *operator, vars, &lookup);
                }
            }
        }
        out
    }
}

fn expand_expression<'a>(
    out: &mut String,
    operator: Option<char>,
    vars: &[VarSpec],
    lookup: &impl Fn(&str) -> Option<&'a TemplateValue>,
) {
    let (first, sep, named, if_empty, reserved) = match operator {
        None => ("", ",", false, "", false),
        Some('+') => ("", ",", false, "", true),
        Some('.') => (".", ".", false, "", false),
        Some('/') => ("/", "/", false, "", false),
        Some(';') => (";", ";", true, "", false),
        Some('?') => ("?", "&", true, "=", false),
        Some('&') => ("&", "&", true, "=", false),
        Some('#') => ("#", ",", false, "", true),
        Some(_) => ("", ",", false, "", false),
    };
    let mut first_done = false;
    for var in vars {
        let Some(value) = lookup(&var.name) else {
            continue;
        };
        if let TemplateValue::List(items) = value
            && items.is_empty()
        {
            continue;
        }
        out.push_str(if first_done { sep } else { first });
        first_done = true;
        match value {
            TemplateValue::Str(s) => {
                if named {
                    encode(out, &var.name, true);
                    if s.is_empty() {
                        out.push_str(if_empty);
                        continue;
                    }
                    out.push('=');
                }
                let s = match var.prefix {
                    Some(n) => s.chars().take(n).collect::<String>(),
                    None => s.clone(),
                };
                encode(out, &s, reserved);
            }
            TemplateValue::List(items) => {
                if var.explode {
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(sep);
                        }
                        if named {
                            encode(out, &var.name, true);
                            if item.is_empty() {
                                out.push_str(if_empty);
                                continue;
                            }
                            out.push('=');
                        }
                        encode(out, item, reserved);
                    }
                } else {
                    if named {
                        encode(out, &var.name, true);
                        out.push('=');
                    }
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        encode(out, item, reserved);
                    }
                }
            }
        }
    }
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

fn is_reserved(c: char) -> bool {
    matches!(
        c,
        ':' | '/'
            | '?'
            | '#'
            | '['
            | ']'
            | '@'
            | '!'
            | '$'
            | '&'
            | '\''
            | '('
            | ')'
            | '*'
            | '+'
            | ','
            | ';'
            | '='
    )
}

fn encode(out: &mut String, text: &str, allow_reserved: bool) {
    let mut i = 0;
    for (idx, c) in text.char_indices() {
        if idx < i {
            continue;
        }
        if is_unreserved(c) || (allow_reserved && is_reserved(c)) {
            out.push(c);
        } else if let Some(escape) = text.get(idx..idx + 3).filter(|e| {
            allow_reserved && c == '%' && e.bytes().skip(1).all(|b| b.is_ascii_hexdigit())
        }) {
            // An existing percent escape is kept as it is.
            out.push_str(escape);
            i = idx + 3;
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<&'static TemplateValue> {
        static VAR: std::sync::OnceLock<TemplateValue> = std::sync::OnceLock::new();
        static LIST: std::sync::OnceLock<TemplateValue> = std::sync::OnceLock::new();
        static HELLO: std::sync::OnceLock<TemplateValue> = std::sync::OnceLock::new();
        match name {
            "var" => Some(VAR.get_or_init(|| TemplateValue::Str("value".into()))),
            "hello" => Some(HELLO.get_or_init(|| TemplateValue::Str("Hello World!".into()))),
            "list" => Some(LIST.get_or_init(|| {
                TemplateValue::List(vec!["red".into(), "green".into(), "blue".into()])
            })),
            _ => None,
        }
    }

    #[test]
    fn rfc6570_examples() {
        let cases = [
            ("{var}", "value"),
            ("{hello}", "Hello%20World%21"),
            ("{+hello}", "Hello%20World!"),
            ("{#hello}", "#Hello%20World!"),
            ("X{.var}", "X.value"),
            ("{/var,undef}", "/value"),
            ("{;list*}", ";list=red;list=green;list=blue"),
            ("{?var,hello}", "?var=value&hello=Hello%20World%21"),
            ("{var:3}", "val"),
            ("{list}", "red,green,blue"),
            ("{/list*}", "/red/green/blue"),
            ("#gid-{undef}", "#gid-"),
        ];
        for (template, expected) in cases {
            let t = UriTemplate::parse(template).unwrap();
            assert_eq!(t.expand(vars), expected, "{template}");
        }
        assert!(UriTemplate::parse("{unclosed").is_err());
    }
}

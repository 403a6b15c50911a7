//! A GraphQL lexer and parser for executable documents (queries) and the type-definition
//! subset of SDL that the NKOD schema uses.

use std::collections::HashMap;
use std::fmt;

/// A position in the query text, 1-based as GraphQL error locations are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// A syntax error with its position.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    pub(crate) message: String,
    pub(crate) pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Punct(char),
    Spread,
    Name(String),
    Int(String),
    Float(String),
    Str(String),
    End,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Punct(c) => write!(f, "\"{c}\""),
            Tok::Spread => f.write_str("\"...\""),
            Tok::Name(n) => write!(f, "Name \"{n}\""),
            Tok::Int(n) => write!(f, "Int \"{n}\""),
            Tok::Float(n) => write!(f, "Float \"{n}\""),
            Tok::Str(s) => write!(f, "String {s:?}"),
            Tok::End => f.write_str("<EOF>"),
        }
    }
}

fn lex(text: &str) -> Result<Vec<(Tok, Pos)>, SyntaxError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line, mut line_start) = (0usize, 1usize, 0usize);
    let err = |message: String, line: usize, column: usize| SyntaxError {
        message,
        pos: Pos { line, column },
    };
    while let Some(&c) = chars.get(i) {
        let pos = Pos {
            line,
            column: i - line_start + 1,
        };
        match c {
            '\n' => {
                i += 1;
                line += 1;
                line_start = i;
            }
            '\r' => {
                i += 1;
                if chars.get(i) != Some(&'\n') {
                    line += 1;
                    line_start = i;
                }
            }
            ' ' | '\t' | ',' | '\u{feff}' => i += 1,
            '#' => {
                while chars.get(i).is_some_and(|&d| d != '\n' && d != '\r') {
                    i += 1;
                }
            }
            '!' | '$' | '&' | '(' | ')' | ':' | '=' | '@' | '[' | ']' | '{' | '|' | '}' => {
                tokens.push((Tok::Punct(c), pos));
                i += 1;
            }
            '.' => {
                if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') {
                    tokens.push((Tok::Spread, pos));
                    i += 3;
                } else {
                    return Err(err(
                        "Cannot parse the unexpected character \".\".".into(),
                        pos.line,
                        pos.column,
                    ));
                }
            }
            '"' => {
                if chars.get(i + 1) == Some(&'"') && chars.get(i + 2) == Some(&'"') {
                    // Block string: raw until the closing """, then common indentation removed.
                    i += 3;
                    let start = i;
                    loop {
                        let Some(&d) = chars.get(i) else {
                            return Err(err("Unterminated string.".into(), pos.line, pos.column));
                        };
                        if d == '"'
                            && chars.get(i + 1) == Some(&'"')
                            && chars.get(i + 2) == Some(&'"')
                        {
                            break;
                        }
                        if d == '\n' {
                            line += 1;
                            line_start = i + 1;
                        }
                        i += 1;
                    }
                    let raw: String = chars.get(start..i).unwrap_or_default().iter().collect();
                    i += 3;
                    tokens.push((Tok::Str(block_string_value(&raw)), pos));
                } else {
                    i += 1;
                    let mut value = String::new();
                    loop {
                        let Some(&c) = chars.get(i) else {
                            return Err(err("Unterminated string.".into(), pos.line, pos.column));
                        };
                        match c {
                            '"' => {
                                i += 1;
                                break;
                            }
                            '\n' | '\r' => {
                                return Err(err(
                                    "Unterminated string.".into(),
                                    pos.line,
                                    pos.column,
                                ));
                            }
                            '\\' => {
                                let e = chars.get(i + 1).copied().unwrap_or(' ');
                                i += 2;
                                match e {
                                    '"' => value.push('"'),
                                    '\\' => value.push('\\'),
                                    '/' => value.push('/'),
                                    'b' => value.push('\u{8}'),
                                    'f' => value.push('\u{c}'),
                                    'n' => value.push('\n'),
                                    'r' => value.push('\r'),
                                    't' => value.push('\t'),
                                    'u' => {
                                        let hex: String = chars.iter().skip(i).take(4).collect();
                                        let code = u32::from_str_radix(&hex, 16)
                                            .ok()
                                            .and_then(char::from_u32);
                                        match code {
                                            Some(ch) if hex.len() == 4 => value.push(ch),
                                            _ => {
                                                return Err(err(
                                                    format!(
                                                        "Invalid Unicode escape sequence: \"\\u{hex}\"."
                                                    ),
                                                    line,
                                                    i - line_start,
                                                ));
                                            }
                                        }
                                        i += 4;
                                    }
                                    other => {
                                        return Err(err(
                                            format!(
                                                "Invalid character escape sequence: \"\\{other}\"."
                                            ),
                                            line,
                                            i - line_start,
                                        ));
                                    }
                                }
                            }
                            c => {
                                value.push(c);
                                i += 1;
                            }
                        }
                    }
                    tokens.push((Tok::Str(value), pos));
                }
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                let mut float = false;
                while let Some(&d) = chars.get(i) {
                    if d.is_ascii_digit() {
                        i += 1;
                    } else if d == '.' || d == 'e' || d == 'E' {
                        float = true;
                        i += 1;
                        if matches!(chars.get(i), Some('+' | '-')) {
                            i += 1;
                        }
                    } else {
                        break;
                    }
                }
                let text: String = chars.get(start..i).unwrap_or_default().iter().collect();
                if text == "-" {
                    return Err(err(
                        "Invalid number, expected digit but got \"-\".".into(),
                        pos.line,
                        pos.column,
                    ));
                }
                tokens.push((
                    if float {
                        Tok::Float(text)
                    } else {
                        Tok::Int(text)
                    },
                    pos,
                ));
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|d| *d == '_' || d.is_ascii_alphanumeric())
                {
                    i += 1;
                }
                let name = chars.get(start..i).unwrap_or_default().iter().collect();
                tokens.push((Tok::Name(name), pos));
            }
            other => {
                return Err(err(
                    format!("Cannot parse the unexpected character {other:?}."),
                    pos.line,
                    pos.column,
                ));
            }
        }
    }
    tokens.push((
        Tok::End,
        Pos {
            line,
            column: i - line_start + 1,
        },
    ));
    Ok(tokens)
}

fn block_string_value(raw: &str) -> String {
    let raw = raw.replace("\\\"\"\"", "\"\"\"");
    let lines: Vec<&str> = raw.lines().collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(n, l)| {
            if n == 0 {
                (*l).to_owned()
            } else {
                l.chars().skip(indent).collect()
            }
        })
        .collect();
    while out.first().is_some_and(|l| l.trim().is_empty()) {
        out.remove(0);
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// A value literal in a query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Variable(String),
    Int(i64),
    Float(f64),
    String(String),
    Boolean(bool),
    Null,
    Enum(String),
    List(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// A type reference: `Name`, `[T]`, `T!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    pub(crate) fn named(&self) -> &str {
        match self {
            TypeRef::Named(n) => n,
            TypeRef::List(t) | TypeRef::NonNull(t) => t.named(),
        }
    }
}

impl fmt::Display for TypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeRef::Named(n) => f.write_str(n),
            TypeRef::List(t) => write!(f, "[{t}]"),
            TypeRef::NonNull(t) => write!(f, "{t}!"),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Directive {
    pub(crate) name: String,
    pub(crate) args: Vec<(String, Value)>,
    pub(crate) pos: Pos,
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) alias: Option<String>,
    pub(crate) name: String,
    pub(crate) args: Vec<(String, Value)>,
    pub(crate) directives: Vec<Directive>,
    pub(crate) selection: Vec<Selection>,
    pub(crate) pos: Pos,
}

impl Field {
    pub(crate) fn response_key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Selection {
    Field(Field),
    Spread {
        name: String,
        directives: Vec<Directive>,
        pos: Pos,
    },
    Inline {
        type_condition: Option<String>,
        directives: Vec<Directive>,
        selection: Vec<Selection>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct VariableDefinition {
    pub(crate) name: String,
    pub(crate) ty: TypeRef,
    pub(crate) default: Option<Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub(crate) kind: String,
    pub(crate) name: Option<String>,
    pub(crate) variables: Vec<VariableDefinition>,
    pub(crate) selection: Vec<Selection>,
    pub(crate) pos: Pos,
}

#[derive(Debug, Clone)]
pub(crate) struct FragmentDefinition {
    pub(crate) type_condition: String,
    pub(crate) selection: Vec<Selection>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Document {
    pub(crate) operations: Vec<Operation>,
    pub(crate) fragments: HashMap<String, FragmentDefinition>,
}

/// An SDL field or input-value definition.
#[derive(Debug, Clone)]
pub(crate) struct FieldDefinition {
    pub(crate) name: String,
    pub(crate) args: Vec<InputValueDefinition>,
    pub(crate) ty: TypeRef,
}

#[derive(Debug, Clone)]
pub(crate) struct InputValueDefinition {
    pub(crate) name: String,
    pub(crate) ty: TypeRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeKind {
    Object,
    InputObject,
    Scalar,
}

#[derive(Debug, Clone)]
pub(crate) struct TypeDefinition {
    pub(crate) name: String,
    pub(crate) kind: TypeKind,
    pub(crate) fields: Vec<FieldDefinition>,
}

/// Deepest nesting of selection sets and values accepted (deeper input is refused, not
/// recursed into, so no input can exhaust the stack).
const MAX_NESTING: usize = 64;

struct Parser {
    tokens: Vec<(Tok, Pos)>,
    at: usize,
    depth: usize,
}

impl Parser {
    /// The token at the cursor; past the end (which `next` never moves to: the lexer ends
    /// every list with [`Tok::End`]) the end.
    fn current(&self) -> &(Tok, Pos) {
        const END: &(Tok, Pos) = &(Tok::End, Pos { line: 0, column: 0 });
        self.tokens
            .get(self.at)
            .or(self.tokens.last())
            .unwrap_or(END)
    }

    fn peek(&self) -> &Tok {
        &self.current().0
    }

    fn pos(&self) -> Pos {
        self.current().1
    }

    fn next(&mut self) -> Tok {
        let t = self.current().0.clone();
        if self.at + 1 < self.tokens.len() {
            self.at += 1;
        }
        t
    }

    fn unexpected(&self) -> SyntaxError {
        SyntaxError {
            message: format!("Syntax Error: Unexpected {}.", self.peek()),
            pos: self.pos(),
        }
    }

    fn is_punct(&self, c: char) -> bool {
        *self.peek() == Tok::Punct(c)
    }

    fn expect_punct(&mut self, c: char) -> Result<(), SyntaxError> {
        if self.is_punct(c) {
            self.next();
            Ok(())
        } else {
            Err(SyntaxError {
                message: format!("Syntax Error: Expected \"{c}\", found {}.", self.peek()),
                pos: self.pos(),
            })
        }
    }

    fn name(&mut self) -> Result<String, SyntaxError> {
        match self.peek() {
            Tok::Name(n) => {
                let n = n.clone();
                self.next();
                Ok(n)
            }
            _ => Err(SyntaxError {
                message: format!("Syntax Error: Expected Name, found {}.", self.peek()),
                pos: self.pos(),
            }),
        }
    }

    fn document(&mut self) -> Result<Document, SyntaxError> {
        let mut doc = Document::default();
        loop {
            match self.peek().clone() {
                Tok::End => break,
                Tok::Punct('{') => {
                    let pos = self.pos();
                    let selection = self.selection_set()?;
                    doc.operations.push(Operation {
                        kind: "query".into(),
                        name: None,
                        variables: Vec::new(),
                        selection,
                        pos,
                    });
                }
                Tok::Name(n) if n == "query" || n == "mutation" || n == "subscription" => {
                    let pos = self.pos();
                    self.next();
                    let name = match self.peek() {
                        Tok::Name(_) => Some(self.name()?),
                        _ => None,
                    };
                    let variables = self.variable_definitions()?;
                    self.directives()?;
                    let selection = self.selection_set()?;
                    doc.operations.push(Operation {
                        kind: n,
                        name,
                        variables,
                        selection,
                        pos,
                    });
                }
                Tok::Name(n) if n == "fragment" => {
                    self.next();
                    let name = self.name()?;
                    match self.next() {
                        Tok::Name(on) if on == "on" => {}
                        _ => return Err(self.unexpected()),
                    }
                    let type_condition = self.name()?;
                    self.directives()?;
                    let selection = self.selection_set()?;
                    doc.fragments.insert(
                        name,
                        FragmentDefinition {
                            type_condition,
                            selection,
                        },
                    );
                }
                _ => return Err(self.unexpected()),
            }
        }
        if doc.operations.is_empty() {
            return Err(SyntaxError {
                message: "Syntax Error: the document contains no operation.".into(),
                pos: self.pos(),
            });
        }
        Ok(doc)
    }

    fn variable_definitions(&mut self) -> Result<Vec<VariableDefinition>, SyntaxError> {
        let mut defs = Vec::new();
        if !self.is_punct('(') {
            return Ok(defs);
        }
        self.next();
        while !self.is_punct(')') {
            self.expect_punct('$')?;
            let name = self.name()?;
            self.expect_punct(':')?;
            let ty = self.type_ref()?;
            let default = if self.is_punct('=') {
                self.next();
                Some(self.value(true)?)
            } else {
                None
            };
            self.directives()?;
            defs.push(VariableDefinition { name, ty, default });
        }
        self.next();
        Ok(defs)
    }

    fn type_ref(&mut self) -> Result<TypeRef, SyntaxError> {
        let ty = if self.is_punct('[') {
            self.next();
            let inner = self.type_ref()?;
            self.expect_punct(']')?;
            TypeRef::List(Box::new(inner))
        } else {
            TypeRef::Named(self.name()?)
        };
        if self.is_punct('!') {
            self.next();
            return Ok(TypeRef::NonNull(Box::new(ty)));
        }
        Ok(ty)
    }

    fn directives(&mut self) -> Result<Vec<Directive>, SyntaxError> {
        let mut out = Vec::new();
        while self.is_punct('@') {
            let pos = self.pos();
            self.next();
            let name = self.name()?;
            let args = self.arguments()?;
            out.push(Directive { name, args, pos });
        }
        Ok(out)
    }

    fn arguments(&mut self) -> Result<Vec<(String, Value)>, SyntaxError> {
        let mut args = Vec::new();
        if !self.is_punct('(') {
            return Ok(args);
        }
        self.next();
        while !self.is_punct(')') {
            let name = self.name()?;
            self.expect_punct(':')?;
            args.push((name, self.value(false)?));
        }
        self.next();
        Ok(args)
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(SyntaxError {
                message: format!("Syntax Error: nesting deeper than {MAX_NESTING} levels."),
                pos: self.pos(),
            });
        }
        Ok(())
    }

    fn value(&mut self, constant: bool) -> Result<Value, SyntaxError> {
        self.enter()?;
        let value = self.value_inner(constant);
        self.depth -= 1;
        value
    }

    fn value_inner(&mut self, constant: bool) -> Result<Value, SyntaxError> {
        let pos = self.pos();
        Ok(match self.next() {
            Tok::Punct('$') if !constant => Value::Variable(self.name()?),
            Tok::Int(n) => Value::Int(n.parse().map_err(|_| SyntaxError {
                message: format!("Int cannot represent non 32-bit signed integer value: {n}"),
                pos,
            })?),
            Tok::Float(n) => Value::Float(n.parse().map_err(|_| SyntaxError {
                message: format!("Syntax Error: Invalid number {n}."),
                pos,
            })?),
            Tok::Str(s) => Value::String(s),
            Tok::Name(n) => match n.as_str() {
                "true" => Value::Boolean(true),
                "false" => Value::Boolean(false),
                "null" => Value::Null,
                _ => Value::Enum(n),
            },
            Tok::Punct('[') => {
                let mut items = Vec::new();
                while !self.is_punct(']') {
                    if *self.peek() == Tok::End {
                        return Err(self.unexpected());
                    }
                    items.push(self.value(constant)?);
                }
                self.next();
                Value::List(items)
            }
            Tok::Punct('{') => {
                let mut fields = Vec::new();
                while !self.is_punct('}') {
                    let name = self.name()?;
                    self.expect_punct(':')?;
                    fields.push((name, self.value(constant)?));
                }
                self.next();
                Value::Object(fields)
            }
            other => {
                return Err(SyntaxError {
                    message: format!("Syntax Error: Unexpected {other}."),
                    pos,
                });
            }
        })
    }

    fn selection_set(&mut self) -> Result<Vec<Selection>, SyntaxError> {
        self.enter()?;
        let selection = self.selection_set_inner();
        self.depth -= 1;
        selection
    }

    fn selection_set_inner(&mut self) -> Result<Vec<Selection>, SyntaxError> {
        self.expect_punct('{')?;
        let mut out = Vec::new();
        while !self.is_punct('}') {
            let pos = self.pos();
            match self.peek().clone() {
                Tok::Spread => {
                    self.next();
                    match self.peek().clone() {
                        Tok::Name(n) if n != "on" => {
                            self.next();
                            let directives = self.directives()?;
                            out.push(Selection::Spread {
                                name: n,
                                directives,
                                pos,
                            });
                        }
                        _ => {
                            let type_condition = if matches!(self.peek(), Tok::Name(n) if n == "on")
                            {
                                self.next();
                                Some(self.name()?)
                            } else {
                                None
                            };
                            let directives = self.directives()?;
                            let selection = self.selection_set()?;
                            out.push(Selection::Inline {
                                type_condition,
                                directives,
                                selection,
                            });
                        }
                    }
                }
                Tok::Name(_) => {
                    let first = self.name()?;
                    let (alias, name) = if self.is_punct(':') {
                        self.next();
                        (Some(first), self.name()?)
                    } else {
                        (None, first)
                    };
                    let args = self.arguments()?;
                    let directives = self.directives()?;
                    let selection = if self.is_punct('{') {
                        self.selection_set()?
                    } else {
                        Vec::new()
                    };
                    out.push(Selection::Field(Field {
                        alias,
                        name,
                        args,
                        directives,
                        selection,
                        pos,
                    }));
                }
                _ => return Err(self.unexpected()),
            }
        }
        self.next();
        if out.is_empty() {
            return Err(SyntaxError {
                message: "Syntax Error: Expected Name, found \"}\".".into(),
                pos: self.pos(),
            });
        }
        Ok(out)
    }

    fn type_definitions(&mut self) -> Result<Vec<TypeDefinition>, SyntaxError> {
        let mut out = Vec::new();
        loop {
            match self.next() {
                Tok::End => break,
                Tok::Name(k) if k == "schema" => {
                    self.expect_punct('{')?;
                    while !self.is_punct('}') {
                        // `next` stays on the end: an unclosed block would loop for ever.
                        if *self.peek() == Tok::End {
                            return Err(self.unexpected());
                        }
                        self.next();
                    }
                    self.next();
                }
                Tok::Name(k) if k == "scalar" => {
                    let name = self.name()?;
                    out.push(TypeDefinition {
                        name,
                        kind: TypeKind::Scalar,
                        fields: Vec::new(),
                    });
                }
                Tok::Name(k) if k == "type" || k == "input" => {
                    let name = self.name()?;
                    self.expect_punct('{')?;
                    let mut fields = Vec::new();
                    while !self.is_punct('}') {
                        let fname = self.name()?;
                        let mut args = Vec::new();
                        if self.is_punct('(') {
                            self.next();
                            while !self.is_punct(')') {
                                let aname = self.name()?;
                                self.expect_punct(':')?;
                                args.push(InputValueDefinition {
                                    name: aname,
                                    ty: self.type_ref()?,
                                });
                            }
                            self.next();
                        }
                        self.expect_punct(':')?;
                        let ty = self.type_ref()?;
                        fields.push(FieldDefinition {
                            name: fname,
                            args,
                            ty,
                        });
                    }
                    self.next();
                    out.push(TypeDefinition {
                        name,
                        kind: if k == "type" {
                            TypeKind::Object
                        } else {
                            TypeKind::InputObject
                        },
                        fields,
                    });
                }
                _ => return Err(self.unexpected()),
            }
        }
        Ok(out)
    }
}

/// Parses an executable document (operations and fragments).
pub(crate) fn parse_document(text: &str) -> Result<Document, SyntaxError> {
    Parser {
        tokens: lex(text)?,
        at: 0,
        depth: 0,
    }
    .document()
}

/// Parses SDL type definitions (`type`, `input`, `scalar`, `schema`).
pub(crate) fn parse_type_definitions(text: &str) -> Result<Vec<TypeDefinition>, SyntaxError> {
    Parser {
        tokens: lex(text)?,
        at: 0,
        depth: 0,
    }
    .type_definitions()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_queries_with_arguments_aliases_fragments_and_variables() {
        let doc = parse_document(
            "query Q($lim: Int = 5) { a: datasets(limit: $lim, filters: [{publisherIri: \"x\\u00e9\"}]) { data { ...F ... on Dataset { iri } } } }\nfragment F on Dataset { title { cs } }",
        )
        .unwrap();
        let op = &doc.operations[0];
        assert_eq!(op.name.as_deref(), Some("Q"));
        assert_eq!(op.variables[0].default, Some(Value::Int(5)));
        let Selection::Field(f) = &op.selection[0] else {
            panic!()
        };
        assert_eq!(f.response_key(), "a");
        assert_eq!(f.args[0].1, Value::Variable("lim".into()));
        assert_eq!(
            f.args[1].1,
            Value::List(vec![Value::Object(vec![(
                "publisherIri".into(),
                Value::String("xé".into())
            )])])
        );
        assert!(doc.fragments.contains_key("F"));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse_document("{ datasets(limit: ) }").unwrap_err();
        assert_eq!(
            e.pos,
            Pos {
                line: 1,
                column: 19
            }
        );
        assert!(parse_document("{ a").is_err());
        assert!(parse_document("").is_err());
        assert!(parse_document("{ a(s: \"x) }").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "{ a ".repeat(100_000), "}".repeat(100_000));
        assert!(parse_document(&deep).is_err());
        let deep = format!(
            "{{ a(x: {}1{}) }}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(parse_document(&deep).is_err());
    }

    #[test]
    fn arbitrary_input_never_panics() {
        let seeds = [
            "query Q($v: [String!]! = [\"a\"]) { datasets(filters: {theme: $v}) { data { iri } } }",
            "{ a: b(c: \"\"\"block\n  text\"\"\", d: -1.5e3, e: [1 2 {f: null}]) @skip(if: false) { ...on X { y } } }",
            "fragment F on Dataset { ...F } { dataset(iri: \"\\u00e9\") { ...F } }",
        ];
        // Every prefix and every single-byte corruption of the seeds must parse or fail cleanly.
        for seed in seeds {
            for end in 0..=seed.len() {
                if seed.is_char_boundary(end) {
                    let _ = parse_document(&seed[..end]);
                }
            }
            for i in 0..seed.len() {
                for replacement in ['{', '}', '"', '\\', '.', '$', '-', '[', ']', '#', '\u{e9}'] {
                    let mut s: String = seed.to_owned();
                    if s.is_char_boundary(i) && s.is_char_boundary(i + 1) {
                        s.replace_range(i..=i, &replacement.to_string());
                        let _ = parse_document(&s);
                    }
                }
            }
        }
    }

    #[test]
    fn parses_the_nkod_schema() {
        let types = parse_type_definitions(include_str!("nkod-schema.graphql")).unwrap();
        let dataset = types.iter().find(|t| t.name == "Dataset").unwrap();
        assert!(
            dataset
                .fields
                .iter()
                .any(|f| f.name == "distribution" && f.args.len() == 1)
        );
        assert!(
            types
                .iter()
                .any(|t| t.name == "DatasetsFilter" && t.kind == TypeKind::InputObject)
        );
    }

    /// Every cut of real queries (as a client that sends half a request would) and of the
    /// schema is an error or a document, never a panic: the lexer and parser index nothing
    /// they have not checked.
    #[test]
    fn every_prefix_of_a_query_is_answered_without_panic() {
        let texts = [
            "query Q($lim: Int = 5) { a: datasets(limit: $lim, filters: [{publisherIri: \"x\\u00e9\"}]) { data { ...F ... on Dataset { iri } } } }\nfragment F on Dataset { title { cs } }",
            "{ datasets(offset: -1e3, limit: 10) { pagination { totalCount } data { iri } } } # comment\r\n",
            "{ a: dataset(iri: \"\"\"block\n  string\"\"\") { iri } }",
            include_str!("nkod-schema.graphql"),
        ];
        for text in texts {
            for (cut, _) in text.char_indices() {
                let prefix = text.get(..cut).unwrap_or_default();
                let _ = parse_document(prefix);
                let _ = parse_type_definitions(prefix);
            }
        }
    }
}

//! CSV to RDF conversion (Generating RDF from Tabular Data on the Web), standard and minimal,
//! with Turtle and N-Triples output through `oxttl`.

use std::collections::HashMap;
use std::io::Write;

use oxrdf::{BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use serde_json::Value;

use crate::datatype::{TypedValue, ValueKind};
use crate::metadata::{CSVW_NS, expand_prefixed};
use crate::table::{CellValue, Column, Row, RowSink, Table, TableGroup};

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

fn iri(s: &str) -> NamedNode {
    NamedNode::new(s).unwrap_or_else(|_| NamedNode::new_unchecked(s.replace(' ', "%20")))
}

fn csvw(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{CSVW_NS}{local}"))
}

fn rdf(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{RDF}{local}"))
}

fn xsd(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{XSD}{local}"))
}

fn node(s: &str) -> NamedOrBlankNode {
    match s.strip_prefix("_:") {
        Some(id) => BlankNode::new(id).map_or_else(|_| BlankNode::default().into(), Into::into),
        None => iri(s).into(),
    }
}

struct Emitter<'a> {
    sink: &'a mut dyn FnMut(Triple),
}

impl Emitter<'_> {
    fn emit(&mut self, s: impl Into<NamedOrBlankNode>, p: NamedNode, o: impl Into<Term>) {
        (self.sink)(Triple::new(s, p, o));
    }

    fn literal(&mut self, value: &TypedValue, column: &Column, invalid: bool) -> Literal {
        let dt = &column.datatype;
        let lang = column.props.lang.as_deref().filter(|l| *l != "und");
        if invalid || value.kind == ValueKind::Invalid {
            return Literal::new_simple_literal(value.lexical.clone());
        }
        if dt.id.is_none() && matches!(dt.base, "string") {
            return match lang {
                Some(l) => Literal::new_language_tagged_literal(value.lexical.clone(), l)
                    .unwrap_or_else(|_| Literal::new_simple_literal(value.lexical.clone())),
                None => Literal::new_simple_literal(value.lexical.clone()),
            };
        }
        Literal::new_typed_literal(value.lexical.clone(), iri(&dt.iri()))
    }

    fn common(&mut self, subject: &NamedOrBlankNode, property: &str, value: &Value) {
        let predicate = iri(&expand_prefixed(property));
        match value {
            Value::Array(items) => {
                for item in items {
                    self.common(subject, property, item);
                }
            }
            other => {
                if let Some(object) = self.common_object(other) {
                    self.emit(subject.clone(), predicate, object);
                }
            }
        }
    }

    fn common_object(&mut self, value: &Value) -> Option<Term> {
        Some(match value {
            Value::Null => return None,
            Value::Bool(b) => Literal::new_typed_literal(b.to_string(), xsd("boolean")).into(),
            Value::Number(n) => json_number_literal(n).into(),
            Value::String(s) => Literal::new_simple_literal(s.clone()).into(),
            Value::Array(_) => return None,
            Value::Object(obj) => {
                if let Some(v) = obj.get("@value") {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => {
                            if obj.get("@type").is_none() {
                                return Some(json_number_literal(n).into());
                            }
                            n.to_string()
                        }
                        Value::Bool(b) => {
                            if obj.get("@type").is_none() {
                                return Some(
                                    Literal::new_typed_literal(b.to_string(), xsd("boolean"))
                                        .into(),
                                );
                            }
                            b.to_string()
                        }
                        _ => return None,
                    };
                    if let Some(Value::String(t)) = obj.get("@type") {
                        return Some(
                            Literal::new_typed_literal(text, iri(&type_iri(t, true))).into(),
                        );
                    }
                    if let Some(Value::String(l)) = obj.get("@language") {
                        return Some(
                            Literal::new_language_tagged_literal(text.clone(), l)
                                .unwrap_or_else(|_| Literal::new_simple_literal(text))
                                .into(),
                        );
                    }
                    return Some(Literal::new_simple_literal(text).into());
                }
                let subject: NamedOrBlankNode = match obj.get("@id") {
                    Some(Value::String(id)) => node(id),
                    _ => BlankNode::default().into(),
                };
                for (key, v) in obj {
                    match key.as_str() {
                        "@id" => {}
                        "@type" => {
                            let types: Vec<&Value> = match v {
                                Value::Array(a) => a.iter().collect(),
                                other => vec![other],
                            };
                            for t in types {
                                if let Some(t) = t.as_str() {
                                    self.emit(
                                        subject.clone(),
                                        rdf("type"),
                                        iri(&type_iri(t, false)),
                                    );
                                }
                            }
                        }
                        _ => self.common(&subject, key, v),
                    }
                }
                Term::from(subject)
            }
        })
    }

    fn notes(&mut self, subject: &NamedOrBlankNode, notes: &[Value]) {
        for note in notes {
            if let Some(object) = self.common_object(note) {
                self.emit(subject.clone(), csvw("note"), object);
            }
        }
    }

    fn row(&mut self, table: &Table, row: &Row, minimal: bool, row_node: Option<&BlankNode>) {
        let vars = table.template_vars(row);
        let default_subject = BlankNode::default();
        let mut described: Vec<NamedOrBlankNode> = Vec::new();
        let mut subject_cache: HashMap<String, NamedOrBlankNode> = HashMap::new();
        let mut cache = Vec::new();
        for (column, cell) in table.columns.iter().zip(&row.cells) {
            if column.suppress_output {
                continue;
            }
            let subject: NamedOrBlankNode = match &column.props.about_url {
                Some(t) => {
                    let about = table.expand_cached(t, &vars, column, &mut cache);
                    subject_cache
                        .entry(about.clone())
                        .or_insert_with(|| node(&about))
                        .clone()
                }
                None => default_subject.clone().into(),
            };
            if !described.contains(&subject) {
                described.push(subject.clone());
            }
            let predicate = match &column.props.property_url {
                Some(t) => iri(&table.expand_cached(t, &vars, column, &mut cache)),
                None => iri(&format!(
                    "{}#{}",
                    table.url.split('#').next().unwrap_or(""),
                    column.name
                )),
            };
            if let Some(t) = &column.props.value_url {
                if cell.value == CellValue::Null && !column.virtual_ {
                    continue;
                }
                let value = table.expand_cached(t, &vars, column, &mut cache);
                let object: Term = Term::from(node(&value));
                self.emit(subject.clone(), predicate, object);
                continue;
            }
            match &cell.value {
                CellValue::Null => {}
                CellValue::One(v) => {
                    let lit = self.literal(v, column, cell.invalid);
                    self.emit(subject.clone(), predicate, lit);
                }
                CellValue::List(items) => {
                    if column.props.ordered.unwrap_or(false) {
                        let mut head: Term = rdf("nil").into();
                        for item in items.iter().rev() {
                            let b = BlankNode::default();
                            let lit = self.literal(item, column, false);
                            self.emit(b.clone(), rdf("first"), lit);
                            self.emit(b.clone(), rdf("rest"), head);
                            head = b.into();
                        }
                        self.emit(subject.clone(), predicate, head);
                    } else {
                        for item in items {
                            let lit = self.literal(item, column, false);
                            self.emit(subject.clone(), predicate.clone(), lit);
                        }
                    }
                }
            }
        }
        if minimal {
            return;
        }
        if let Some(r) = row_node {
            for s in described {
                let object: Term = Term::from(s);
                self.emit(r.clone(), csvw("describes"), object);
            }
        }
    }
}

fn json_number_literal(n: &serde_json::Number) -> Literal {
    if n.is_i64() || n.is_u64() {
        Literal::new_typed_literal(n.to_string(), xsd("integer"))
    } else {
        let f = n.as_f64().unwrap_or(0.0);
        Literal::new_typed_literal(format!("{f:E}"), xsd("double"))
    }
}

fn type_iri(t: &str, datatype: bool) -> String {
    if t.contains(':') {
        return expand_prefixed(t);
    }
    if datatype && let Some(b) = crate::datatype::canonical_base(t) {
        return crate::datatype::builtin_iri(b);
    }
    format!("{CSVW_NS}{t}")
}

/// Where the conversion is: the nodes of the group and of the current table.
struct RdfState {
    minimal: bool,
    group_node: NamedOrBlankNode,
    /// The current table's node; `None` outside a table or for a `suppressOutput` table.
    table_node: Option<NamedOrBlankNode>,
    /// How many of the table's common properties were converted at its start.
    common_done: usize,
}

impl RdfState {
    fn new(minimal: bool) -> Self {
        Self {
            minimal,
            group_node: BlankNode::default().into(),
            table_node: None,
            common_done: 0,
        }
    }

    fn start_group(&mut self, group: &TableGroup, e: &mut Emitter<'_>) {
        self.group_node = match &group.id {
            Some(id) => node(id),
            None => BlankNode::default().into(),
        };
        if !self.minimal {
            e.emit(self.group_node.clone(), rdf("type"), csvw("TableGroup"));
            for (key, value) in &group.common {
                e.common(&self.group_node, key, value);
            }
            e.notes(&self.group_node, &group.notes);
        }
    }

    fn start_table(&mut self, table: &Table, e: &mut Emitter<'_>) {
        if table.suppress_output {
            self.table_node = None;
            return;
        }
        let table_node: NamedOrBlankNode = match &table.id {
            Some(id) => node(id),
            None => BlankNode::default().into(),
        };
        if !self.minimal {
            let object: Term = Term::from(table_node.clone());
            e.emit(self.group_node.clone(), csvw("table"), object);
            e.emit(table_node.clone(), rdf("type"), csvw("Table"));
            e.emit(table_node.clone(), csvw("url"), iri(&table.url));
            for (key, value) in &table.common {
                e.common(&table_node, key, value);
            }
            e.notes(&table_node, &table.notes);
        }
        self.common_done = table.common.len();
        self.table_node = Some(table_node);
    }

    fn row(&self, table: &Table, row: &Row, e: &mut Emitter<'_>) {
        let Some(table_node) = &self.table_node else {
            return;
        };
        if self.minimal {
            e.row(table, row, true, None);
            return;
        }
        let row_node = BlankNode::default();
        e.emit(table_node.clone(), csvw("row"), row_node.clone());
        e.emit(row_node.clone(), rdf("type"), csvw("Row"));
        e.emit(
            row_node.clone(),
            csvw("rownum"),
            Literal::new_typed_literal(row.number.to_string(), xsd("integer")),
        );
        e.emit(
            row_node.clone(),
            csvw("url"),
            iri(&format!("{}#row={}", table.url, row.source_number)),
        );
        for &i in &table.row_titles {
            let (Some(column), Some(cell)) = (table.columns.get(i), row.cells.get(i)) else {
                continue;
            };
            let values: Vec<&TypedValue> = match &cell.value {
                CellValue::Null => Vec::new(),
                CellValue::One(v) => vec![v],
                CellValue::List(items) => items.iter().collect(),
            };
            for v in values {
                let lang = column.props.lang.as_deref().filter(|l| *l != "und");
                let lit = match lang {
                    Some(l) => Literal::new_language_tagged_literal(v.lexical.clone(), l)
                        .unwrap_or_else(|_| Literal::new_simple_literal(v.lexical.clone())),
                    None => Literal::new_simple_literal(v.lexical.clone()),
                };
                e.emit(row_node.clone(), csvw("title"), lit);
            }
        }
        e.row(table, row, false, Some(&row_node));
    }

    /// Common properties the table gained while streaming (`rdfs:comment` of comment rows).
    fn end_table(&mut self, table: &Table, e: &mut Emitter<'_>) {
        if let Some(table_node) = self.table_node.take()
            && !self.minimal
        {
            for (key, value) in table.common.iter().skip(self.common_done) {
                e.common(&table_node, key, value);
            }
        }
    }
}

/// Converts an annotated table group to RDF, passing every triple to `sink`.
pub fn to_rdf(group: &TableGroup, minimal: bool, sink: &mut dyn FnMut(Triple)) {
    let mut e = Emitter { sink };
    let mut state = RdfState::new(minimal);
    state.start_group(group, &mut e);
    for table in &group.tables {
        state.start_table(table, &mut e);
        for row in &table.rows {
            state.row(table, row, &mut e);
        }
        state.end_table(table, &mut e);
    }
}

/// Converts to an in-memory graph.
pub fn to_graph(group: &TableGroup, minimal: bool) -> Graph {
    let mut graph = Graph::new();
    to_rdf(group, minimal, &mut |t| {
        graph.insert(&t);
    });
    graph
}

/// RDF output syntaxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdfSyntax {
    /// Turtle with the usual prefixes.
    Turtle,
    /// N-Triples (streamed).
    NTriples,
}

/// Writes the RDF conversion of `group` to `writer`.
///
/// # Errors
/// The I/O errors of `writer`.
pub fn write_rdf(
    group: &TableGroup,
    minimal: bool,
    syntax: RdfSyntax,
    writer: impl Write,
) -> std::io::Result<()> {
    let mut rdf_writer = RdfWriter::new(writer, minimal, syntax)?;
    crate::table::feed(group, &mut rdf_writer)
}

enum Serializer<W: Write> {
    NTriples(oxttl::ntriples::WriterNTriplesSerializer<W>),
    Turtle(Box<oxttl::turtle::WriterTurtleSerializer<W>>),
}

/// A [`RowSink`] writing the RDF conversion as rows arrive, for
/// [`Processor::process_tabular_streaming`](crate::Processor::process_tabular_streaming);
/// the output is complete when `end_group` has run.
pub struct RdfWriter<W: Write> {
    state: RdfState,
    serializer: Option<Serializer<W>>,
    triples: Vec<Triple>,
}

impl<W: Write> RdfWriter<W> {
    /// A writer of `syntax` to `writer`, standard or minimal mode.
    ///
    /// # Errors
    /// None in practice (the Turtle prefixes are valid); kept for the serializer's API.
    pub fn new(writer: W, minimal: bool, syntax: RdfSyntax) -> std::io::Result<Self> {
        let serializer = match syntax {
            RdfSyntax::NTriples => {
                Serializer::NTriples(oxttl::NTriplesSerializer::new().for_writer(writer))
            }
            RdfSyntax::Turtle => {
                let mut ser = oxttl::TurtleSerializer::new();
                for (prefix, ns) in [
                    ("csvw", CSVW_NS),
                    ("rdf", RDF),
                    ("xsd", XSD),
                    ("dc", "http://purl.org/dc/terms/"),
                    ("schema", "http://schema.org/"),
                ] {
                    ser = ser
                        .with_prefix(prefix, ns)
                        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
                }
                Serializer::Turtle(Box::new(ser.for_writer(writer)))
            }
        };
        Ok(Self {
            state: RdfState::new(minimal),
            serializer: Some(serializer),
            triples: Vec::new(),
        })
    }

    /// Runs `step` with an emitter collecting triples, then serializes them.
    fn convert(
        &mut self,
        step: impl FnOnce(&mut RdfState, &mut Emitter<'_>),
    ) -> std::io::Result<()> {
        let triples = &mut self.triples;
        let mut push = |t: Triple| triples.push(t);
        let mut e = Emitter { sink: &mut push };
        step(&mut self.state, &mut e);
        let result = match self.serializer.as_mut() {
            Some(Serializer::NTriples(ser)) => self
                .triples
                .iter()
                .try_for_each(|t| ser.serialize_triple(t)),
            Some(Serializer::Turtle(ser)) => self
                .triples
                .iter()
                .try_for_each(|t| ser.serialize_triple(t)),
            None => Err(std::io::Error::other("the RDF output is already finished")),
        };
        self.triples.clear();
        result
    }
}

impl<W: Write> RowSink for RdfWriter<W> {
    fn start_group(&mut self, group: &TableGroup) -> std::io::Result<()> {
        self.convert(|state, e| state.start_group(group, e))
    }

    fn start_table(&mut self, table: &Table) -> std::io::Result<()> {
        self.convert(|state, e| state.start_table(table, e))
    }

    fn row(&mut self, table: &Table, row: &Row) -> std::io::Result<()> {
        self.convert(|state, e| state.row(table, row, e))
    }

    fn end_table(&mut self, table: &Table) -> std::io::Result<()> {
        self.convert(|state, e| state.end_table(table, e))
    }

    fn end_group(&mut self) -> std::io::Result<()> {
        match self.serializer.take() {
            Some(Serializer::NTriples(ser)) => ser.finish().flush(),
            Some(Serializer::Turtle(ser)) => ser.finish()?.flush(),
            None => Ok(()),
        }
    }
}

//! CSV to JSON conversion (Generating JSON from Tabular Data on the Web), standard and minimal.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;

use serde_json::Value;

use crate::datatype::{self, TypedValue, ValueKind};
use crate::metadata::compact_iri;
use crate::table::{CellValue, Row, RowSink, Table, TableGroup};

/// An ordered JSON value (key order as produced, for readable output).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// A number, as JSON text.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object with ordered keys.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Writes the value as pretty-printed JSON.
    pub fn to_pretty_string(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out.push('\n');
        out
    }

    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_string(out, s),
            Json::Array(items) => {
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    push_indent(out, indent + 1);
                    item.write(out, indent + 1);
                }
                out.push('\n');
                push_indent(out, indent);
                out.push(']');
            }
            Json::Object(entries) => {
                if entries.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    push_indent(out, indent + 1);
                    write_string(out, key);
                    out.push_str(": ");
                    value.write(out, indent + 1);
                }
                out.push('\n');
                push_indent(out, indent);
                out.push('}');
            }
        }
    }

    fn push_value(entries: &mut Vec<(String, Json)>, key: String, value: Json) {
        if let Some((_, existing)) = entries.iter_mut().find(|(k, _)| *k == key) {
            match existing {
                Json::Array(items) => match value {
                    Json::Array(more) => items.extend(more),
                    v => items.push(v),
                },
                other => {
                    let old = std::mem::replace(other, Json::Null);
                    let mut items = vec![old];
                    match value {
                        Json::Array(more) => items.extend(more),
                        v => items.push(v),
                    }
                    *other = Json::Array(items);
                }
            }
        } else {
            entries.push((key, value));
        }
    }
}

/// Writes `"key": value` on a new line at `indent`: one member of an object being streamed.
fn push_member(buf: &mut String, key: &str, value: &Json, indent: usize) {
    buf.push('\n');
    push_indent(buf, indent);
    write_string(buf, key);
    buf.push_str(": ");
    value.write(buf, indent);
}

fn push_indent(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("  ");
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Converts a normalised common property value to its JSON output form.
pub fn common_to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => Json::Number(n.to_string()),
        Value::String(s) => Json::String(s.clone()),
        Value::Array(items) => Json::Array(items.iter().map(common_to_json).collect()),
        Value::Object(obj) => {
            if let Some(v) = obj.get("@value") {
                return common_to_json(v);
            }
            if obj.len() == 1
                && let Some(Value::String(id)) = obj.get("@id")
            {
                return Json::String(id.clone());
            }
            Json::Object(
                obj.iter()
                    .map(|(k, v)| (k.clone(), common_to_json(v)))
                    .collect(),
            )
        }
    }
}

fn number_json(lexical: &str) -> Json {
    // JSON forbids leading zeros and a leading '+'.
    let (sign, rest) = match lexical.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", lexical.trim_start_matches('+')),
    };
    let (int, tail) = rest
        .find(['.', 'E', 'e'])
        .map_or((rest, ""), |i| (&rest[..i], &rest[i..]));
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let tail = if tail.starts_with('.') && tail.len() == 1 {
        ""
    } else {
        tail
    };
    Json::Number(format!("{sign}{int}{tail}"))
}

/// The JSON form of a typed value.
pub fn value_to_json(value: &TypedValue, base: &str) -> Json {
    match value.kind {
        ValueKind::Number(n) if n.is_finite() && datatype::is_numeric_type(base) => {
            number_json(&value.lexical)
        }
        ValueKind::Boolean(b) => Json::Bool(b),
        _ => Json::String(value.lexical.clone()),
    }
}

fn cell_json(value: &CellValue, base: &str, invalid: bool) -> Option<Json> {
    let one = |v: &TypedValue| {
        if invalid || v.kind == ValueKind::Invalid {
            Json::String(v.lexical.clone())
        } else {
            value_to_json(v, base)
        }
    };
    match value {
        CellValue::Null => None,
        CellValue::One(v) => Some(one(v)),
        CellValue::List(items) => Some(Json::Array(items.iter().map(one).collect())),
    }
}

/// Object entries in order.
type Entries = Vec<(String, Json)>;

fn row_subjects(table: &Table, row: &Row) -> Vec<Json> {
    let vars = table.template_vars(row);
    // (subject id or None for the default blank node, properties)
    let mut subjects: Vec<(Option<String>, Entries)> = Vec::new();
    let mut references: HashMap<String, usize> = HashMap::new();
    let mut cache = Vec::new();
    for (column, cell) in table.columns.iter().zip(&row.cells) {
        if column.suppress_output {
            continue;
        }
        let about = column
            .props
            .about_url
            .as_ref()
            .map(|t| table.expand_cached(t, &vars, column, &mut cache));
        let index = match subjects.iter().position(|(id, _)| *id == about) {
            Some(i) => i,
            None => {
                let mut props = Vec::new();
                if let Some(id) = &about {
                    props.push(("@id".to_owned(), Json::String(id.clone())));
                }
                subjects.push((about.clone(), props));
                subjects.len() - 1
            }
        };
        let value_url = column
            .props
            .value_url
            .as_ref()
            .map(|t| table.expand_cached(t, &vars, column, &mut cache));
        let property = column
            .props
            .property_url
            .as_ref()
            .map(|t| table.expand_cached(t, &vars, column, &mut cache));
        let is_type =
            property.as_deref() == Some("http://www.w3.org/1999/02/22-rdf-syntax-ns#type");
        let key = match (&property, is_type) {
            (_, true) => "@type".to_owned(),
            (Some(p), false) => compact_iri(p),
            (None, false) => table.decoded_name(column).to_owned(),
        };
        let value = if let Some(v) = value_url {
            if cell.value == CellValue::Null && !column.virtual_ {
                continue;
            }
            *references.entry(v.clone()).or_default() += 1;
            Json::String(if is_type { compact_iri(&v) } else { v })
        } else {
            match cell_json(&cell.value, column.datatype.base, cell.invalid) {
                Some(v) => v,
                None => continue,
            }
        };
        if let Some((_, properties)) = subjects.get_mut(index) {
            Json::push_value(properties, key, value);
        }
    }
    // Nest subjects referenced exactly once from another subject of the row.
    let mut nested: Vec<bool> = vec![false; subjects.len()];
    let mut objects: Vec<Option<Vec<(String, Json)>>> =
        subjects.iter().map(|(_, p)| Some(p.clone())).collect();
    let ids: Vec<Option<String>> = subjects.iter().map(|(id, _)| id.clone()).collect();
    for (i, id) in ids.iter().enumerate() {
        let Some(id) = id else { continue };
        if references.get(id) != Some(&1) {
            continue;
        }
        // Find the referencing subject (not itself).
        let holder = (0..objects.len()).find(|&j| {
            j != i
                && nested.get(j) == Some(&false)
                && objects
                    .get(j)
                    .and_then(Option::as_ref)
                    .is_some_and(|p| p.iter().any(|(k, v)| k != "@id" && contains_id(v, id)))
        });
        if let Some(j) = holder
            && let Some(obj) = objects.get_mut(i).and_then(Option::take)
        {
            let node = Json::Object(obj);
            if let Some(props) = objects.get_mut(j).and_then(Option::as_mut) {
                for (k, v) in props.iter_mut() {
                    if k != "@id" {
                        replace_id(v, id, &node);
                    }
                }
            }
            if let Some(done) = nested.get_mut(i) {
                *done = true;
            }
        }
    }
    objects.into_iter().flatten().map(Json::Object).collect()
}

fn contains_id(value: &Json, id: &str) -> bool {
    match value {
        Json::String(s) => s == id,
        Json::Array(items) => items.iter().any(|v| contains_id(v, id)),
        _ => false,
    }
}

fn replace_id(value: &mut Json, id: &str, node: &Json) {
    match value {
        Json::String(s) if s == id => *value = node.clone(),
        Json::Array(items) => items.iter_mut().for_each(|v| replace_id(v, id, node)),
        _ => {}
    }
}

/// Converts an annotated table group to JSON.
fn row_json(table: &Table, row: &Row) -> Json {
    let mut r = vec![
        (
            "url".to_owned(),
            Json::String(format!("{}#row={}", table.url, row.source_number)),
        ),
        ("rownum".to_owned(), Json::Number(row.number.to_string())),
    ];
    let titles: Vec<Json> = table
        .row_titles
        .iter()
        .filter_map(|&i| {
            row.cells
                .get(i)
                .and_then(|cell| cell_json(&cell.value, "string", true))
        })
        .collect();
    match titles.len() {
        0 => {}
        1 => r.push((
            "titles".to_owned(),
            titles.into_iter().next().unwrap_or(Json::Null),
        )),
        _ => r.push(("titles".to_owned(), Json::Array(titles))),
    }
    r.push((
        "describes".to_owned(),
        Json::Array(row_subjects(table, row)),
    ));
    Json::Object(r)
}

fn group_entries(group: &TableGroup) -> Entries {
    let mut root = Vec::new();
    if let Some(id) = &group.id {
        root.push(("@id".to_owned(), Json::String(id.clone())));
    }
    if !group.notes.is_empty() {
        root.push((
            "notes".to_owned(),
            Json::Array(group.notes.iter().map(common_to_json).collect()),
        ));
    }
    for (key, value) in &group.common {
        Json::push_value(&mut root, key.clone(), common_to_json(value));
    }
    root
}

fn table_entries(table: &Table) -> Entries {
    let mut obj = Vec::new();
    if let Some(id) = &table.id {
        obj.push(("@id".to_owned(), Json::String(id.clone())));
    }
    obj.push(("url".to_owned(), Json::String(table.url.clone())));
    for (key, value) in &table.common {
        Json::push_value(&mut obj, key.clone(), common_to_json(value));
    }
    if !table.notes.is_empty() {
        obj.push((
            "notes".to_owned(),
            Json::Array(table.notes.iter().map(common_to_json).collect()),
        ));
    }
    obj
}

/// Converts an annotated table group to JSON (in memory; see [`write_json`] for large tables).
pub fn to_json(group: &TableGroup, minimal: bool) -> Json {
    if minimal {
        let mut out = Vec::new();
        for table in group.tables.iter().filter(|t| !t.suppress_output) {
            for row in &table.rows {
                out.extend(row_subjects(table, row));
            }
        }
        return Json::Array(out);
    }
    let mut root = group_entries(group);
    let tables = group
        .tables
        .iter()
        .filter(|t| !t.suppress_output)
        .map(|table| {
            let mut obj = table_entries(table);
            obj.push((
                "row".to_owned(),
                Json::Array(table.rows.iter().map(|row| row_json(table, row)).collect()),
            ));
            Json::Object(obj)
        })
        .collect();
    root.push(("tables".to_owned(), Json::Array(tables)));
    Json::Object(root)
}

/// Writes the JSON conversion row by row (the same text as `to_json(..).to_pretty_string()`),
/// without building the whole document in memory.
pub fn write_json(group: &TableGroup, minimal: bool, out: impl Write) -> std::io::Result<()> {
    let mut writer = JsonWriter::new(out, minimal);
    crate::table::feed(group, &mut writer)
}

/// A [`RowSink`] writing the JSON conversion as rows arrive, for
/// [`Processor::process_tabular_streaming`](crate::Processor::process_tabular_streaming).
///
/// The text is that of [`to_json`], except that table properties only known at the end of a
/// streamed file (the `rdfs:comment` of comment rows) come after the table's `row` array.
pub struct JsonWriter<W: Write> {
    out: W,
    buf: String,
    minimal: bool,
    tables_written: usize,
    /// Whether the current table is written (not `suppressOutput`).
    in_table: bool,
    rows_written: usize,
    /// How many of the table's common properties were written at its start.
    common_written: usize,
    any_subject: bool,
}

impl<W: Write> JsonWriter<W> {
    /// A writer to `out`, standard or minimal mode.
    pub fn new(out: W, minimal: bool) -> Self {
        Self {
            out,
            buf: String::new(),
            minimal,
            tables_written: 0,
            in_table: false,
            rows_written: 0,
            common_written: 0,
            any_subject: false,
        }
    }

    fn flush_if_full(&mut self) -> std::io::Result<()> {
        if self.buf.len() > 1 << 16 {
            self.out.write_all(self.buf.as_bytes())?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl<W: Write> RowSink for JsonWriter<W> {
    fn start_group(&mut self, group: &TableGroup) -> std::io::Result<()> {
        let buf = &mut self.buf;
        if self.minimal {
            buf.push('[');
            return Ok(());
        }
        buf.push('{');
        for (key, value) in group_entries(group) {
            push_member(buf, &key, &value, 1);
            buf.push(',');
        }
        buf.push_str("\n  \"tables\": [");
        Ok(())
    }

    fn start_table(&mut self, table: &Table) -> std::io::Result<()> {
        self.in_table = !table.suppress_output;
        self.rows_written = 0;
        if !self.in_table || self.minimal {
            return Ok(());
        }
        let buf = &mut self.buf;
        buf.push_str(if self.tables_written == 0 {
            "\n"
        } else {
            ",\n"
        });
        self.tables_written += 1;
        push_indent(buf, 2);
        buf.push('{');
        for (key, value) in table_entries(table) {
            push_member(buf, &key, &value, 3);
            buf.push(',');
        }
        self.common_written = table.common.len();
        buf.push('\n');
        push_indent(buf, 3);
        buf.push_str("\"row\": [");
        Ok(())
    }

    fn row(&mut self, table: &Table, row: &Row) -> std::io::Result<()> {
        if !self.in_table {
            return Ok(());
        }
        let buf = &mut self.buf;
        if self.minimal {
            for subject in row_subjects(table, row) {
                buf.push_str(if self.any_subject { ",\n" } else { "\n" });
                self.any_subject = true;
                push_indent(buf, 1);
                subject.write(buf, 1);
            }
        } else {
            buf.push_str(if self.rows_written == 0 { "\n" } else { ",\n" });
            push_indent(buf, 4);
            row_json(table, row).write(buf, 4);
        }
        self.rows_written += 1;
        self.flush_if_full()
    }

    fn end_table(&mut self, table: &Table) -> std::io::Result<()> {
        if !self.in_table || self.minimal {
            return Ok(());
        }
        let buf = &mut self.buf;
        if self.rows_written > 0 {
            buf.push('\n');
            push_indent(buf, 3);
        }
        buf.push(']');
        let mut late: Entries = Vec::new();
        for (key, value) in table.common.iter().skip(self.common_written) {
            Json::push_value(&mut late, key.clone(), common_to_json(value));
        }
        for (key, value) in late {
            buf.push(',');
            push_member(buf, &key, &value, 3);
        }
        buf.push('\n');
        push_indent(buf, 2);
        buf.push('}');
        self.in_table = false;
        self.flush_if_full()
    }

    fn end_group(&mut self) -> std::io::Result<()> {
        if self.minimal {
            self.buf
                .push_str(if self.any_subject { "\n]\n" } else { "]\n" });
        } else {
            if self.tables_written > 0 {
                self.buf.push_str("\n  ");
            }
            self.buf.push_str("]\n}\n");
        }
        self.out.write_all(self.buf.as_bytes())?;
        self.buf.clear();
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryFetcher, Options, Processor, Url};

    #[test]
    fn streaming_writer_matches_the_tree() {
        let mut files = MemoryFetcher::new();
        files.insert("http://example.org/a.csv", "x,y\n1,\"a\nb\"\n2,c\n");
        let url = Url::parse("http://example.org/a.csv").unwrap();
        let group = Processor::new(&files, Options::default())
            .process_tabular(&url)
            .unwrap();
        for minimal in [false, true] {
            let mut streamed = Vec::new();
            write_json(&group, minimal, &mut streamed).unwrap();
            let tree = to_json(&group, minimal).to_pretty_string();
            assert_eq!(String::from_utf8(streamed).unwrap(), tree);
        }
    }
}

//! Reading CSVW metadata of any publisher into what the validator expects of the CSV.

use std::path::Path;

use serde_json::Value;

use crate::validate::{Violation, ViolationKind};
use crate::{CSVW_CONTEXT, Datatype, TableSchema};

/// What a CSV file must look like according to its metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExpectedTable {
    /// The metadata's `url`, if given.
    pub url: Option<String>,
    /// The non-virtual columns, in order.
    pub columns: Vec<ExpectedColumn>,
}

/// One column as declared by metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedColumn {
    /// The column `name`, if given.
    pub name: Option<String>,
    /// All `titles` (any language); empty when none were given.
    pub titles: Vec<String>,
    /// The datatype whose lexical rules apply; `None` when the metadata names no datatype
    /// known to CSVW (then values are not checked).
    pub datatype: Option<Datatype>,
    /// Whether a value is required.
    pub required: bool,
}

impl ExpectedTable {
    /// What the writer produces for `schema` (used to check writer output).
    #[must_use]
    pub fn from_schema(schema: &TableSchema) -> Self {
        Self {
            url: None,
            columns: schema
                .columns()
                .iter()
                .map(|c| ExpectedColumn {
                    name: Some(c.name.clone()),
                    titles: vec![c.titles.clone()],
                    datatype: Some(c.datatype),
                    required: c.required,
                })
                .collect(),
        }
    }
}

/// Metadata that cannot be used at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptorError {
    /// Not JSON.
    #[error("metadata is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but not a CSVW table description.
    #[error("metadata is not a CSVW table description: {0}")]
    NotATable(String),
    /// `tableSchema` refers to a schema file that cannot be read.
    #[error("cannot read the table schema {path}: {source}")]
    SchemaFile {
        /// The schema file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Parses a CSVW metadata document describing one table (or a table group with one table).
///
/// `base_dir` resolves a `tableSchema` given as a relative file reference (a shared
/// `schema.json`, as data.gov.cz recommends). Problems that still leave the metadata usable
/// (wrong `@context`, a datatype unknown to CSVW, a non-ASCII column name) are returned as
/// violations with no record number.
///
/// # Errors
/// [`DescriptorError`] when the document is not JSON or describes no table.
pub fn parse_descriptor(
    json: &str,
    base_dir: Option<&Path>,
) -> Result<(ExpectedTable, Vec<Violation>), DescriptorError> {
    let doc: Value = serde_json::from_str(json)?;
    let mut violations = Vec::new();
    check_context(doc.get("@context"), &mut violations);

    let table = match doc.get("tables") {
        Some(Value::Array(tables)) => match tables.as_slice() {
            [one] => one,
            _ => {
                return Err(DescriptorError::NotATable(format!(
                    "a table group with {} tables; give the metadata of one table",
                    tables.len()
                )));
            }
        },
        _ => &doc,
    };
    let url = table.get("url").and_then(Value::as_str).map(str::to_owned);

    let schema_value;
    let schema = match table.get("tableSchema") {
        Some(Value::String(reference)) => {
            let path =
                base_dir.map_or_else(|| Path::new(reference).to_owned(), |d| d.join(reference));
            let text = read_schema_file(&path).map_err(|source| DescriptorError::SchemaFile {
                path: path.display().to_string(),
                source,
            })?;
            schema_value = serde_json::from_str::<Value>(&text)?;
            &schema_value
        }
        Some(schema @ Value::Object(_)) => schema,
        _ => {
            return Err(DescriptorError::NotATable(
                "no \"tableSchema\" object".to_owned(),
            ));
        }
    };
    let Some(Value::Array(columns)) = schema.get("columns") else {
        return Err(DescriptorError::NotATable(
            "\"tableSchema\" has no \"columns\" array".to_owned(),
        ));
    };

    let mut expected = Vec::new();
    for (index, column) in columns.iter().enumerate() {
        if column.get("virtual").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let number = index + 1;
        let name = column
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(name) = &name
            && !is_uri_fragment_name(name)
        {
            violations.push(Violation::metadata(
                ViolationKind::InvalidColumnName,
                format!(
                    "column {number}: name {name:?} is not a valid URI fragment \
                     (use ASCII letters, digits and '_', or percent-encode)"
                ),
            ));
        }
        let titles = titles_of(column.get("titles"));
        let datatype = match column.get("datatype") {
            None => Some(Datatype::String),
            Some(value) => {
                let base = match value {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(o) => {
                        Some(o.get("base").and_then(Value::as_str).unwrap_or("string"))
                    }
                    _ => None,
                };
                let datatype = base.and_then(Datatype::from_csvw_name);
                if datatype.is_none() {
                    violations.push(Violation::metadata(
                        ViolationKind::UnknownDatatype,
                        format!("column {number}: datatype {value} is not a CSVW built-in datatype; its values are not checked"),
                    ));
                }
                datatype
            }
        };
        let required = column.get("required").and_then(Value::as_bool) == Some(true);
        expected.push(ExpectedColumn {
            name,
            titles,
            datatype,
            required,
        });
    }
    Ok((
        ExpectedTable {
            url,
            columns: expected,
        },
        violations,
    ))
}

/// Reads a referenced schema file: a regular file of at most 16 MiB (so a hostile reference
/// to a device or a huge file cannot hang or exhaust memory).
fn read_schema_file(path: &Path) -> std::io::Result<String> {
    const MAX: u64 = 16 << 20;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() || meta.len() > MAX {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file of at most 16 MiB",
        ));
    }
    std::fs::read_to_string(path)
}

fn check_context(context: Option<&Value>, violations: &mut Vec<Violation>) {
    let ok = match context {
        Some(Value::String(s)) => s == CSVW_CONTEXT,
        Some(Value::Array(items)) => {
            items.first().and_then(Value::as_str) == Some(CSVW_CONTEXT)
                && items.len() <= 2
                && items.get(1).is_none_or(Value::is_object)
        }
        _ => false,
    };
    if !ok {
        let found = context.map_or_else(|| "nothing".to_owned(), Value::to_string);
        violations.push(Violation::metadata(
            ViolationKind::WrongContext,
            format!(
                "@context must be [\"{CSVW_CONTEXT}\", {{\"@language\": \"cs\"}}], found {found}"
            ),
        ));
        return;
    }
    let language = match context {
        Some(Value::Array(items)) => items
            .get(1)
            .and_then(|o| o.get("@language"))
            .and_then(Value::as_str),
        _ => None,
    };
    if language != Some("cs") {
        violations.push(Violation::metadata(
            ViolationKind::WrongContext,
            format!(
                "@context should set {{\"@language\": \"cs\"}}, found {}",
                context.map_or_else(String::new, Value::to_string)
            ),
        ));
    }
}

/// `titles` may be a string, an array of strings, or a language map of either.
fn titles_of(value: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: &Value| match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => {
            out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        _ => {}
    };
    match value {
        Some(Value::Object(map)) => map.values().for_each(&mut push),
        Some(other) => push(other),
        None => {}
    }
    out
}

/// A CSVW `name` must be usable as a URI template variable: ASCII letters, digits, `_`,
/// `.` and percent-encoded octets, not starting with `_`.
fn is_uri_fragment_name(name: &str) -> bool {
    let mut rest = name.as_bytes();
    if matches!(rest, [] | [b'_', ..]) {
        return false;
    }
    while let Some((&c, tail)) = rest.split_first() {
        rest = match (c, tail) {
            (b'%', [high, low, after @ ..])
                if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() =>
            {
                after
            }
            (b'%', _) => return false,
            (c, _) if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' => tail,
            _ => return false,
        };
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_data_gov_cz_example() {
        let json = r#"{
          "@context": ["http://www.w3.org/ns/csvw", {"@language": "cs"}],
          "url": "012052-17data091517.csv",
          "tableSchema": {
            "columns": [{
              "name": "idhod", "titles": "idhod", "required": true, "datatype": "string"
            }, {
              "name": "hodnota", "titles": {"cs": ["hodnota", "hodnota2"]}, "datatype": "number"
            }, {
              "name": "den", "datatype": {"base": "date", "format": "yyyy-MM-dd"}
            }, {"virtual": true, "propertyUrl": "rdf:type"}],
            "primaryKey": "idhod"
          }
        }"#;
        let (table, violations) = parse_descriptor(json, None).unwrap();
        assert!(violations.is_empty(), "{violations:?}");
        assert_eq!(table.url.as_deref(), Some("012052-17data091517.csv"));
        assert_eq!(table.columns.len(), 3);
        assert_eq!(table.columns[1].titles, ["hodnota", "hodnota2"]);
        assert_eq!(table.columns[1].datatype, Some(Datatype::Double));
        assert_eq!(table.columns[2].datatype, Some(Datatype::Date));
        assert!(table.columns[0].required);
    }

    #[test]
    fn reports_wrong_context_and_bad_names() {
        let json = r#"{"@context": "http://schema.org", "tableSchema": {"columns": [
            {"name": "datum_zápisu", "datatype": "foo"}]}}"#;
        let (_, violations) = parse_descriptor(json, None).unwrap();
        let kinds: Vec<_> = violations.iter().map(|v| v.kind).collect();
        assert_eq!(
            kinds,
            [
                ViolationKind::WrongContext,
                ViolationKind::InvalidColumnName,
                ViolationKind::UnknownDatatype
            ]
        );
        assert!(parse_descriptor("{", None).is_err());
        assert!(parse_descriptor("{}", None).is_err());
    }
}

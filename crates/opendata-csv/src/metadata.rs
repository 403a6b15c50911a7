//! CSVW metadata (`<file>.csv-metadata.json`) generated from a [`TableSchema`].

use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::TableSchema;

/// The `@context` the Czech standard requires.
pub const CSVW_CONTEXT: &str = "http://www.w3.org/ns/csvw";

/// Descriptive metadata of one published CSV table plus its schema.
///
/// ```
/// use opendata_csv::{Column, Datatype, TableMetadata, TableSchema};
/// let schema = TableSchema::builder()
///     .column(Column::new("url", "URL", Datatype::String).required())
///     .build()?;
/// let meta = TableMetadata::new("seznam.csv", "Seznam", schema)
///     .modified(chrono::NaiveDate::from_ymd_opt(2026, 8, 18).unwrap());
/// assert!(meta.to_json().contains(r#""dc:modified": {"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TableMetadata {
    /// The CSV file's URL, normally relative to the metadata file (`seznam.csv`).
    pub url: String,
    /// `dc:title`, in Czech.
    pub title: String,
    /// `dc:description`, in Czech.
    pub description: Option<String>,
    /// `dc:publisher` (name of the publishing body).
    pub publisher: Option<String>,
    /// `dc:modified`: the date the data are valid as of.
    pub modified: Option<NaiveDate>,
    /// `dc:license`: IRI of the licence (e.g. a Creative Commons URL).
    pub license: Option<String>,
    /// `prov:wasDerivedFrom`: IRIs of the data this table was made from (e.g. the source
    /// datasets' distributions), in the order given.
    pub derived_from: Vec<String>,
    /// The columns and the primary key.
    pub schema: TableSchema,
}

impl TableMetadata {
    /// Metadata with a URL, a title and a schema; the rest is set with the builder methods.
    pub fn new(url: impl Into<String>, title: impl Into<String>, schema: TableSchema) -> Self {
        Self {
            url: url.into(),
            title: title.into(),
            description: None,
            publisher: None,
            modified: None,
            license: None,
            derived_from: Vec::new(),
            schema,
        }
    }

    /// Sets `dc:description`.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets `dc:publisher`.
    #[must_use]
    pub fn publisher(mut self, publisher: impl Into<String>) -> Self {
        self.publisher = Some(publisher.into());
        self
    }

    /// Sets `dc:modified` ("valid as of").
    #[must_use]
    pub fn modified(mut self, modified: NaiveDate) -> Self {
        self.modified = Some(modified);
        self
    }

    /// Sets `dc:license` (an IRI).
    #[must_use]
    pub fn license(mut self, license: impl Into<String>) -> Self {
        self.license = Some(license.into());
        self
    }

    /// Adds a `prov:wasDerivedFrom` IRI (the origin of the data).
    #[must_use]
    pub fn derived_from(mut self, iri: impl Into<String>) -> Self {
        self.derived_from.push(iri.into());
        self
    }

    /// The CSVW JSON-LD descriptor, pretty-printed, ending with a newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        let modified = self.modified.map(|d| TypedValue {
            value: d.format("%Y-%m-%d").to_string(),
            kind: "xsd:date",
        });
        let doc = Descriptor {
            context: (CSVW_CONTEXT, Language { language: "cs" }),
            kind: "Table",
            url: &self.url,
            title: &self.title,
            description: self.description.as_deref(),
            publisher: self.publisher.as_deref(),
            modified,
            license: self.license.as_deref().map(|id| IdRef { id }),
            derived_from: self.derived_from.iter().map(|id| IdRef { id }).collect(),
            table_schema: SchemaJson {
                kind: "Schema",
                columns: self
                    .schema
                    .columns()
                    .iter()
                    .map(|c| ColumnJson {
                        kind: "Column",
                        name: &c.name,
                        titles: &c.titles,
                        description: c.description.as_deref(),
                        datatype: c.datatype.csvw_name(),
                        required: c.required,
                    })
                    .collect(),
                primary_key: self.schema.primary_key().map(|key| match key {
                    [single] => PrimaryKey::One(single),
                    many => PrimaryKey::Many(many),
                }),
            },
        };
        // Serializing plain structs of strings cannot fail.
        let mut json = serde_json::to_string_pretty(&doc).unwrap_or_default();
        json.push('\n');
        json
    }

    /// Writes [`Self::to_json`] to `path`.
    ///
    /// # Errors
    /// The I/O error of creating or writing the file.
    pub fn write_to_path(&self, path: &Path) -> io::Result<()> {
        std::fs::write(path, self.to_json())
    }

    /// Writes [`Self::to_json`] next to the CSV file `csv_path`, as
    /// `<csv_path>-metadata.json`, and returns the path written.
    ///
    /// # Errors
    /// The I/O error of creating or writing the file.
    pub fn write_beside(&self, csv_path: &Path) -> io::Result<PathBuf> {
        let path = metadata_path_for(csv_path);
        self.write_to_path(&path)?;
        Ok(path)
    }
}

/// The standard metadata location for a CSV file: `data.csv` → `data.csv-metadata.json`.
#[must_use]
pub fn metadata_path_for(csv_path: &Path) -> PathBuf {
    let mut name = csv_path.as_os_str().to_owned();
    name.push("-metadata.json");
    PathBuf::from(name)
}

#[derive(Serialize)]
struct Language {
    #[serde(rename = "@language")]
    language: &'static str,
}

#[derive(Serialize)]
struct TypedValue {
    #[serde(rename = "@value")]
    value: String,
    #[serde(rename = "@type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct IdRef<'a> {
    #[serde(rename = "@id")]
    id: &'a str,
}

#[derive(Serialize)]
struct Descriptor<'a> {
    #[serde(rename = "@context")]
    context: (&'static str, Language),
    #[serde(rename = "@type")]
    kind: &'static str,
    url: &'a str,
    #[serde(rename = "dc:title")]
    title: &'a str,
    #[serde(rename = "dc:description", skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(rename = "dc:publisher", skip_serializing_if = "Option::is_none")]
    publisher: Option<&'a str>,
    #[serde(rename = "dc:modified", skip_serializing_if = "Option::is_none")]
    modified: Option<TypedValue>,
    #[serde(rename = "dc:license", skip_serializing_if = "Option::is_none")]
    license: Option<IdRef<'a>>,
    #[serde(rename = "prov:wasDerivedFrom", skip_serializing_if = "Vec::is_empty")]
    derived_from: Vec<IdRef<'a>>,
    #[serde(rename = "tableSchema")]
    table_schema: SchemaJson<'a>,
}

#[derive(Serialize)]
struct SchemaJson<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    columns: Vec<ColumnJson<'a>>,
    #[serde(rename = "primaryKey", skip_serializing_if = "Option::is_none")]
    primary_key: Option<PrimaryKey<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum PrimaryKey<'a> {
    One(&'a str),
    Many(&'a [String]),
}

#[derive(Serialize)]
struct ColumnJson<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    titles: &'a str,
    #[serde(rename = "dc:description", skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    datatype: &'static str,
    required: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, Datatype};

    #[test]
    fn descriptor_shape() {
        let schema = TableSchema::builder()
            .column(
                Column::new("url", "URL", Datatype::String)
                    .required()
                    .description("Adresa"),
            )
            .column(Column::new("datum_zapisu", "datum_zápisu", Datatype::Date))
            .primary_key(["url"])
            .build()
            .unwrap();
        let meta = TableMetadata::new("seznam.csv", "Seznam", schema)
            .description("Popis")
            .publisher("ČTÚ")
            .modified(NaiveDate::from_ymd_opt(2026, 8, 18).unwrap())
            .license("https://creativecommons.org/licenses/by/4.0/")
            .derived_from("https://data.gov.cz/zdroj/datové-sady/1/distribuce/a");
        let value: serde_json::Value = serde_json::from_str(&meta.to_json()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "@context": ["http://www.w3.org/ns/csvw", {"@language": "cs"}],
                "@type": "Table",
                "url": "seznam.csv",
                "dc:title": "Seznam",
                "dc:description": "Popis",
                "dc:publisher": "ČTÚ",
                "dc:modified": {"@value": "2026-08-18", "@type": "xsd:date"},
                "dc:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
                "prov:wasDerivedFrom": [{"@id": "https://data.gov.cz/zdroj/datové-sady/1/distribuce/a"}],
                "tableSchema": {
                    "@type": "Schema",
                    "columns": [
                        {"@type": "Column", "name": "url", "titles": "URL",
                         "dc:description": "Adresa", "datatype": "string", "required": true},
                        {"@type": "Column", "name": "datum_zapisu", "titles": "datum_zápisu",
                         "datatype": "date", "required": false}
                    ],
                    "primaryKey": "url"
                }
            })
        );
        assert_eq!(
            metadata_path_for(Path::new("out/seznam.csv")),
            PathBuf::from("out/seznam.csv-metadata.json")
        );
    }
}

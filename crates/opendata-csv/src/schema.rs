//! The typed table description: one source for the CSV header row and the CSVW `tableSchema`.

use std::collections::HashSet;
use std::fmt;

/// An XML Schema datatype a column holds, as named in CSVW metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Datatype {
    /// `string`: any text (no padding spaces).
    String,
    /// `date`: `YYYY-MM-DD`, optionally with a timezone (`2019-01-01+01:00`).
    Date,
    /// `dateTime`: `YYYY-MM-DDTHH:MM:SS[.s][zone]`.
    DateTime,
    /// `time`: `HH:MM:SS[.s][zone]`.
    Time,
    /// `integer`: `xsd:integer` syntax (`-100000`), no grouping.
    Integer,
    /// `decimal`: `xsd:decimal` syntax (`-3.14`), a dot, no exponent, no grouping.
    Decimal,
    /// `double`: `xsd:double` syntax (`12.78e-2`, `INF`, `NaN`). CSVW's `number` is the same.
    Double,
    /// `boolean`: `true`, `false`, `1` or `0`.
    Boolean,
    /// `anyURI`: an absolute or relative URI reference (no spaces).
    AnyUri,
}

impl Datatype {
    /// Every datatype the standard's columns may hold.
    pub const ALL: [Self; 9] = [
        Self::String,
        Self::Date,
        Self::DateTime,
        Self::Time,
        Self::Integer,
        Self::Decimal,
        Self::Double,
        Self::Boolean,
        Self::AnyUri,
    ];

    /// The name used in CSVW metadata (`"datatype": "date"`).
    #[must_use]
    pub fn csvw_name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Date => "date",
            Self::DateTime => "dateTime",
            Self::Time => "time",
            Self::Integer => "integer",
            Self::Decimal => "decimal",
            Self::Double => "double",
            Self::Boolean => "boolean",
            Self::AnyUri => "anyURI",
        }
    }

    /// Maps a CSVW built-in datatype name (or its `xsd:` form) onto the type whose lexical
    /// rules apply to it. Derived integer types (`long`, `int`, `nonNegativeInteger`, …) map to
    /// [`Datatype::Integer`], `number`/`float` to [`Datatype::Double`], and string-like types
    /// (`normalizedString`, `token`, `language`, …) to [`Datatype::String`].
    /// Returns `None` for a name that is not a CSVW built-in datatype.
    #[must_use]
    pub fn from_csvw_name(name: &str) -> Option<Self> {
        let name = name
            .strip_prefix("http://www.w3.org/2001/XMLSchema#")
            .or_else(|| name.strip_prefix("xsd:"))
            .unwrap_or(name);
        Some(match name {
            "string" | "normalizedString" | "token" | "language" | "Name" | "NMTOKEN" | "xml"
            | "html" | "json" | "any" | "anyAtomicType" | "QName" | "NCName" | "ID" | "IDREF"
            | "ENTITY" | "hexBinary" | "base64Binary" | "binary" | "hexbinary" | "duration"
            | "dayTimeDuration" | "yearMonthDuration" | "gDay" | "gMonth" | "gMonthDay"
            | "gYear" | "gYearMonth" | "dateTimeStamp" => Self::String,
            "date" => Self::Date,
            "dateTime" | "datetime" => Self::DateTime,
            "time" => Self::Time,
            "integer" | "long" | "int" | "short" | "byte" | "nonNegativeInteger"
            | "positiveInteger" | "unsignedLong" | "unsignedInt" | "unsignedShort"
            | "unsignedByte" | "nonPositiveInteger" | "negativeInteger" => Self::Integer,
            "decimal" => Self::Decimal,
            "double" | "number" | "float" => Self::Double,
            "boolean" => Self::Boolean,
            "anyURI" => Self::AnyUri,
            _ => return None,
        })
    }
}

impl fmt::Display for Datatype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.csvw_name())
    }
}

/// One column: an ASCII `name` (the CSVW name, a URI fragment), a Czech `titles` (the header
/// cell), its datatype, whether a value is required, and a description (`dc:description`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Column {
    /// ASCII name: letters, digits and `_`, not starting with `_` (e.g. `datum_zapisu`).
    pub name: String,
    /// The header cell, in Czech (e.g. `datum_zápisu`).
    pub titles: String,
    /// Datatype of every non-empty value.
    pub datatype: Datatype,
    /// Whether every row must have a non-empty value.
    pub required: bool,
    /// Czech description of the column (`dc:description`), if any.
    pub description: Option<String>,
}

impl Column {
    /// A non-required column without description.
    pub fn new(name: impl Into<String>, titles: impl Into<String>, datatype: Datatype) -> Self {
        Self {
            name: name.into(),
            titles: titles.into(),
            datatype,
            required: false,
            description: None,
        }
    }

    /// Marks the column as required (no empty cells).
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Sets the Czech description (`dc:description`).
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A validated list of columns with an optional primary key.
///
/// Built with [`TableSchema::builder`]; the invariants (valid unique names and titles, primary
/// key naming existing columns) hold for every value of this type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    columns: Vec<Column>,
    primary_key: Option<Vec<String>>,
}

impl TableSchema {
    /// Starts a schema.
    #[must_use]
    pub fn builder() -> TableSchemaBuilder {
        TableSchemaBuilder::default()
    }

    /// The columns in header order.
    #[must_use]
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Names of the primary-key columns, if a key was declared.
    #[must_use]
    pub fn primary_key(&self) -> Option<&[String]> {
        self.primary_key.as_deref()
    }

    /// Index of the column with this `name`.
    #[must_use]
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// Builder of a [`TableSchema`].
#[derive(Debug, Clone, Default)]
pub struct TableSchemaBuilder {
    columns: Vec<Column>,
    primary_key: Option<Vec<String>>,
}

impl TableSchemaBuilder {
    /// Appends a column.
    #[must_use]
    pub fn column(mut self, column: Column) -> Self {
        self.columns.push(column);
        self
    }

    /// Declares the primary key (column `name`s).
    #[must_use]
    pub fn primary_key<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.primary_key = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Checks the invariants and returns the schema.
    ///
    /// # Errors
    /// [`SchemaError`] when there is no column, a name is not ASCII `[A-Za-z0-9_]` or starts
    /// with `_`, a name or title repeats, a title is empty or padded, or the primary key is
    /// empty or names an unknown column.
    pub fn build(self) -> Result<TableSchema, SchemaError> {
        if self.columns.is_empty() {
            return Err(SchemaError::NoColumns);
        }
        let mut names = HashSet::new();
        let mut titles = HashSet::new();
        for column in &self.columns {
            if !is_valid_name(&column.name) {
                return Err(SchemaError::InvalidName(column.name.clone()));
            }
            if !names.insert(column.name.as_str()) {
                return Err(SchemaError::DuplicateName(column.name.clone()));
            }
            if column.titles.is_empty() || column.titles.trim() != column.titles {
                return Err(SchemaError::InvalidTitle(column.titles.clone()));
            }
            if !titles.insert(column.titles.as_str()) {
                return Err(SchemaError::DuplicateTitle(column.titles.clone()));
            }
        }
        if let Some(key) = &self.primary_key {
            if key.is_empty() {
                return Err(SchemaError::EmptyPrimaryKey);
            }
            if let Some(unknown) = key.iter().find(|k| !names.contains(k.as_str())) {
                return Err(SchemaError::UnknownKeyColumn(unknown.clone()));
            }
        }
        Ok(TableSchema {
            columns: self.columns,
            primary_key: self.primary_key,
        })
    }
}

/// Whether `name` is a valid ASCII column name: `[A-Za-z0-9_]+`, not starting with `_`
/// (CSVW reserves leading underscores).
#[must_use]
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Why a [`TableSchema`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The schema has no column.
    #[error("a table schema needs at least one column")]
    NoColumns,
    /// A column name is not ASCII `[A-Za-z0-9_]+` or starts with `_`.
    #[error("column name {0:?} must be ASCII letters, digits and '_', not starting with '_'")]
    InvalidName(String),
    /// Two columns share a name.
    #[error("column name {0:?} is used twice")]
    DuplicateName(String),
    /// A title is empty or has leading/trailing spaces.
    #[error("column title {0:?} is empty or has leading/trailing spaces")]
    InvalidTitle(String),
    /// Two columns share a title.
    #[error("column title {0:?} is used twice")]
    DuplicateTitle(String),
    /// The primary key lists no column.
    #[error("the primary key lists no column")]
    EmptyPrimaryKey,
    /// The primary key names a column that does not exist.
    #[error("primary key column {0:?} is not a column of the schema")]
    UnknownKeyColumn(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_rejects_bad_schemas() {
        let col = |n: &str, t: &str| Column::new(n, t, Datatype::String);
        assert_eq!(TableSchema::builder().build(), Err(SchemaError::NoColumns));
        assert_eq!(
            TableSchema::builder()
                .column(col("datum_zápisu", "x"))
                .build(),
            Err(SchemaError::InvalidName("datum_zápisu".into()))
        );
        assert_eq!(
            TableSchema::builder()
                .column(col("a", "x"))
                .column(col("a", "y"))
                .build(),
            Err(SchemaError::DuplicateName("a".into()))
        );
        assert_eq!(
            TableSchema::builder().column(col("a", " x")).build(),
            Err(SchemaError::InvalidTitle(" x".into()))
        );
        assert_eq!(
            TableSchema::builder()
                .column(col("a", "x"))
                .primary_key(["b"])
                .build(),
            Err(SchemaError::UnknownKeyColumn("b".into()))
        );
    }

    #[test]
    fn csvw_names_round_trip() {
        for dt in Datatype::ALL {
            assert_eq!(Datatype::from_csvw_name(dt.csvw_name()), Some(dt));
        }
        assert_eq!(Datatype::from_csvw_name("number"), Some(Datatype::Double));
        assert_eq!(
            Datatype::from_csvw_name("xsd:long"),
            Some(Datatype::Integer)
        );
        assert_eq!(Datatype::from_csvw_name("bogus"), None);
    }
}

//! The annotated tabular data model and the processor that builds it: locating metadata,
//! reading CSV with a dialect, checking compatibility, parsing cells, checking keys.

use std::collections::HashMap;

use serde_json::Value;
use url::Url;

use crate::datatype::{self, Datatype, TypedValue};
use crate::dialect::{self, Dialect};
use crate::error::{Diagnostics, Error, Severity};
use crate::fetch::{Fetcher, Resource};
use crate::metadata::{
    ColumnDesc, CommonProperty, DialectDesc, ForeignKeyDesc, Inherited, MetadataReader, SchemaDesc,
    TableDesc, TableGroupDesc,
};
use crate::template::{TemplateValue, UriTemplate};

/// Processing options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Validation mode: cell, compatibility and key problems are errors (otherwise warnings,
    /// and keys are not checked).
    pub validate: bool,
    /// User-supplied metadata, overriding everything else.
    pub user_metadata: Option<Url>,
}

/// A column of an annotated table.
#[derive(Debug, Clone)]
pub struct Column {
    /// 1-based column number.
    pub number: usize,
    /// 1-based column number in the source file (after `skipColumns`).
    pub source_number: usize,
    /// The `name` annotation.
    pub name: String,
    /// Titles with language.
    pub titles: Vec<(String, String)>,
    /// Whether it is virtual.
    pub virtual_: bool,
    /// Whether it is left out of output.
    pub suppress_output: bool,
    /// Inherited properties resolved down to the column.
    pub props: Inherited,
    /// The datatype (resolved; `string` by default).
    pub datatype: Datatype,
    /// Common properties of the column description.
    pub common: Vec<CommonProperty>,
}

/// A parsed cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// No value (empty or matching `null`).
    Null,
    /// One value.
    One(TypedValue),
    /// A list (the column has a separator); null items are left out.
    List(Vec<TypedValue>),
}

/// A cell.
#[derive(Debug, Clone)]
pub struct Cell {
    /// The parsed value.
    pub value: CellValue,
    /// Whether the value failed to parse or broke a constraint (then it is kept as a string).
    pub invalid: bool,
}

/// A row.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based row number among data rows.
    pub number: usize,
    /// 1-based row number in the source file.
    pub source_number: usize,
    /// Cells, one per column (virtual columns get a null cell).
    pub cells: Vec<Cell>,
}

/// An annotated table.
#[derive(Debug, Clone)]
pub struct Table {
    /// `@id`.
    pub id: Option<String>,
    /// The table's URL.
    pub url: String,
    /// Whether it is left out of output.
    pub suppress_output: bool,
    /// Notes.
    pub notes: Vec<Value>,
    /// Common properties (including `rdfs:comment` from CSV comments).
    pub common: Vec<CommonProperty>,
    /// Columns.
    pub columns: Vec<Column>,
    /// Rows.
    pub rows: Vec<Row>,
    /// Column indexes of the primary key.
    pub primary_key: Vec<usize>,
    /// Column indexes of `rowTitles`.
    pub row_titles: Vec<usize>,
    /// The schema `@id`, if any.
    pub schema_id: Option<String>,
    /// The dialect the file was read with (from the metadata, or the default).
    pub dialect: Dialect,
    foreign_keys: Vec<ForeignKeyDesc>,
    base: Option<Url>,
    decoded_names: Vec<String>,
    uses_templates: bool,
}

/// Receives an annotated table group row by row, from
/// [`Processor::process_tabular_streaming`] or [`feed`]: the calls come in the order
/// `start_group`, then per table `start_table`, `row`…, `end_table`, then `end_group`.
pub trait RowSink {
    /// Before the first table; `group.tables` is empty.
    ///
    /// # Errors
    /// Whatever the sink fails with (typically writing output); processing stops.
    fn start_group(&mut self, group: &TableGroup) -> std::io::Result<()>;
    /// Before the first row of `table`; `table.rows` is empty.
    ///
    /// # Errors
    /// As [`RowSink::start_group`].
    fn start_table(&mut self, table: &Table) -> std::io::Result<()>;
    /// One row of `table`.
    ///
    /// # Errors
    /// As [`RowSink::start_group`].
    fn row(&mut self, table: &Table, row: &Row) -> std::io::Result<()>;
    /// After the last row. `table.common` may have gained entries since `start_table` (the
    /// `rdfs:comment` of comment rows, known only at the end of the file).
    ///
    /// # Errors
    /// As [`RowSink::start_group`].
    fn end_table(&mut self, table: &Table) -> std::io::Result<()>;
    /// After the last table.
    ///
    /// # Errors
    /// As [`RowSink::start_group`].
    fn end_group(&mut self) -> std::io::Result<()>;
}

/// A sink that ignores everything: streaming validation only needs the diagnostics.
#[derive(Debug, Clone, Copy, Default)]
pub struct IgnoreRows;

impl RowSink for IgnoreRows {
    fn start_group(&mut self, _: &TableGroup) -> std::io::Result<()> {
        Ok(())
    }
    fn start_table(&mut self, _: &Table) -> std::io::Result<()> {
        Ok(())
    }
    fn row(&mut self, _: &Table, _: &Row) -> std::io::Result<()> {
        Ok(())
    }
    fn end_table(&mut self, _: &Table) -> std::io::Result<()> {
        Ok(())
    }
    fn end_group(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hands an annotated table group held in memory to `sink`, table by table and row by row.
///
/// # Errors
/// The first error of the sink.
pub fn feed(group: &TableGroup, sink: &mut dyn RowSink) -> std::io::Result<()> {
    sink.start_group(&group_header(group))?;
    for table in &group.tables {
        sink.start_table(table)?;
        for row in &table.rows {
            sink.row(table, row)?;
        }
        sink.end_table(table)?;
    }
    sink.end_group()
}

/// The group's own properties, without tables.
fn group_header(group: &TableGroup) -> TableGroup {
    TableGroup {
        id: group.id.clone(),
        notes: group.notes.clone(),
        common: group.common.clone(),
        tables: Vec::new(),
    }
}

/// An annotated table group: what a processor produces.
#[derive(Debug, Clone)]
pub struct TableGroup {
    /// `@id`.
    pub id: Option<String>,
    /// Notes.
    pub notes: Vec<Value>,
    /// Common properties.
    pub common: Vec<CommonProperty>,
    /// Tables.
    pub tables: Vec<Table>,
}

/// Processes CSV files and metadata into annotated tables.
pub struct Processor<'a> {
    fetcher: &'a dyn Fetcher,
    options: Options,
    /// Warnings and non-fatal errors found so far.
    pub diagnostics: Diagnostics,
}

fn fetch_required(fetcher: &dyn Fetcher, url: &Url) -> Result<Resource, Error> {
    fetcher
        .fetch(url)
        .map_err(|source| Error::Io {
            url: url.to_string(),
            source,
        })?
        .ok_or_else(|| Error::NotFound {
            url: url.to_string(),
        })
}

fn parse_url(text: &str) -> Result<Url, Error> {
    Url::parse(text).map_err(|e| Error::Url {
        url: text.to_owned(),
        message: e.to_string(),
    })
}

impl<'a> Processor<'a> {
    /// A processor reading through `fetcher`.
    pub fn new(fetcher: &'a dyn Fetcher, options: Options) -> Self {
        Self {
            fetcher,
            options,
            diagnostics: Diagnostics::default(),
        }
    }

    fn problem(&mut self, url: &str, message: String) {
        let severity = if self.options.validate {
            Severity::Error
        } else {
            Severity::Warning
        };
        self.diagnostics.push(severity, url, None, None, message);
    }

    /// Processes a metadata document (a table group or table description).
    pub fn process_metadata(&mut self, url: &Url) -> Result<TableGroup, Error> {
        let resource = fetch_required(self.fetcher, url)?;
        let group =
            MetadataReader::new(self.fetcher, &mut self.diagnostics).read(url, &resource.body)?;
        self.process_group(&group, None, None)
    }

    /// Processes a CSV file, locating its metadata (user metadata, `Link` header, site-wide
    /// configuration, then embedded metadata only).
    pub fn process_tabular(&mut self, url: &Url) -> Result<TableGroup, Error> {
        let (group, resource) = self.tabular_group(url)?;
        self.process_group(&group, Some((url, resource)), None)
    }

    /// Like [`Processor::process_tabular`], but each row goes to `sink` as soon as it is read
    /// and is not kept: memory no longer grows with the table (the returned group's tables
    /// have no rows). Primary keys are still checked (only the key values are kept). When a
    /// table of the group has foreign keys, which need every row of both tables, the group is
    /// processed in memory first and then handed to `sink`.
    ///
    /// # Errors
    /// As [`Processor::process_tabular`]; a failing sink gives [`Error::Output`]. A fatal
    /// error in the CSV syntax is found before any row of that table reaches the sink.
    pub fn process_tabular_streaming(
        &mut self,
        url: &Url,
        sink: &mut dyn RowSink,
    ) -> Result<TableGroup, Error> {
        let (group, resource) = self.tabular_group(url)?;
        self.process_group(&group, Some((url, resource)), Some(sink))
    }

    /// Like [`Processor::process_metadata`], handing rows to `sink` as
    /// [`Processor::process_tabular_streaming`] does.
    ///
    /// # Errors
    /// As [`Processor::process_tabular_streaming`].
    pub fn process_metadata_streaming(
        &mut self,
        url: &Url,
        sink: &mut dyn RowSink,
    ) -> Result<TableGroup, Error> {
        let resource = fetch_required(self.fetcher, url)?;
        let group =
            MetadataReader::new(self.fetcher, &mut self.diagnostics).read(url, &resource.body)?;
        self.process_group(&group, None, Some(sink))
    }

    /// The metadata describing the CSV file at `url` (user metadata, located metadata or
    /// embedded only) and the file itself.
    fn tabular_group(&mut self, url: &Url) -> Result<(TableGroupDesc, Resource), Error> {
        let resource = fetch_required(self.fetcher, url)?;
        if let Some(user) = self.options.user_metadata.clone() {
            let meta = fetch_required(self.fetcher, &user)?;
            let group =
                MetadataReader::new(self.fetcher, &mut self.diagnostics).read(&user, &meta.body)?;
            return Ok((group, resource));
        }
        if let Some(group) = self.locate_metadata(url, &resource)? {
            return Ok((group, resource));
        }
        let group = TableGroupDesc {
            tables: vec![TableDesc {
                url: url.to_string(),
                ..TableDesc::default()
            }],
            single_table: true,
            ..TableGroupDesc::default()
        };
        Ok((group, resource))
    }

    fn locate_metadata(
        &mut self,
        url: &Url,
        resource: &Resource,
    ) -> Result<Option<TableGroupDesc>, Error> {
        for link in &resource.links {
            for (target, params) in parse_link_header(link) {
                let rel_ok = params
                    .iter()
                    .any(|(k, v)| k == "rel" && v.split_whitespace().any(|r| r == "describedby"));
                let type_ok = params.iter().any(|(k, v)| {
                    k == "type"
                        && matches!(
                            v.as_str(),
                            "application/csvm+json" | "application/ld+json" | "application/json"
                        )
                });
                if !(rel_ok && type_ok) {
                    continue;
                }
                let Ok(meta_url) = url.join(&target) else {
                    continue;
                };
                if let Some(group) = self.try_metadata(url, &meta_url)? {
                    return Ok(Some(group));
                }
            }
        }
        let well_known = url.join("/.well-known/csvm").map_err(|e| Error::Url {
            url: url.to_string(),
            message: e.to_string(),
        })?;
        let templates: Vec<String> = match self.fetcher.fetch(&well_known) {
            Ok(Some(r)) => String::from_utf8_lossy(&r.body)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => vec![
                "{+url}-metadata.json".to_owned(),
                "csv-metadata.json".to_owned(),
            ],
        };
        let url_value = TemplateValue::Str(url.to_string());
        for template in templates {
            let Ok(t) = UriTemplate::parse(&template) else {
                continue;
            };
            let expanded = t.expand(|name| (name == "url").then_some(&url_value));
            let Ok(meta_url) = url.join(&expanded) else {
                continue;
            };
            if let Some(group) = self.try_metadata(url, &meta_url)? {
                return Ok(Some(group));
            }
        }
        Ok(None)
    }

    fn try_metadata(
        &mut self,
        csv_url: &Url,
        meta_url: &Url,
    ) -> Result<Option<TableGroupDesc>, Error> {
        let Ok(Some(meta)) = self.fetcher.fetch(meta_url) else {
            return Ok(None);
        };
        let mut scratch = Diagnostics::default();
        match MetadataReader::new(self.fetcher, &mut scratch).read(meta_url, &meta.body) {
            Ok(group) if describes(&group, csv_url) => {
                self.diagnostics.items.extend(scratch.items);
                Ok(Some(group))
            }
            Ok(_) => {
                self.diagnostics.warn(
                    meta_url.as_str(),
                    format!("metadata does not describe {csv_url}; ignored"),
                );
                Ok(None)
            }
            Err(e) => {
                self.diagnostics.warn(
                    meta_url.as_str(),
                    format!("ignoring unusable metadata: {e}"),
                );
                Ok(None)
            }
        }
    }

    fn process_group(
        &mut self,
        group: &TableGroupDesc,
        first: Option<(&Url, Resource)>,
        sink: Option<&mut dyn RowSink>,
    ) -> Result<TableGroup, Error> {
        let Some(sink) = sink else {
            return self.process_group_with(group, first, None);
        };
        let has_foreign_keys = group
            .tables
            .iter()
            .filter_map(|t| t.schema.as_ref().or(group.schema.as_ref()))
            .any(|s| !s.foreign_keys.is_empty());
        // A metadata `rdfs:comment` and comment rows merge into one property, which a sink
        // told about the comments only at the end could not write as one.
        let has_comment_property = group
            .tables
            .iter()
            .any(|t| t.common.iter().any(|(key, _)| key == "rdfs:comment"));
        if has_foreign_keys || has_comment_property {
            let result = self.process_group_with(group, first, None)?;
            feed(&result, sink).map_err(Error::Output)?;
            return Ok(result);
        }
        self.process_group_with(group, first, Some(sink))
    }

    fn process_group_with(
        &mut self,
        group: &TableGroupDesc,
        first: Option<(&Url, Resource)>,
        mut sink: Option<&mut (dyn RowSink + '_)>,
    ) -> Result<TableGroup, Error> {
        let header = TableGroup {
            id: group.id.clone(),
            notes: group.notes.clone(),
            common: group.common.clone(),
            tables: Vec::new(),
        };
        if let Some(sink) = sink.as_deref_mut() {
            sink.start_group(&header).map_err(Error::Output)?;
        }
        let mut tables = Vec::new();
        let mut first = first;
        for desc in &group.tables {
            let url = parse_url(&desc.url)?;
            let resource = match first.take() {
                Some((u, r)) if same_resource(u, &url) => r,
                other => {
                    first = other;
                    fetch_required(self.fetcher, &url)?
                }
            };
            tables.push(self.process_table(group, desc, &url, &resource, sink.as_deref_mut())?);
        }
        resolve_foreign_keys(&tables)?;
        if self.options.validate {
            self.check_foreign_keys(&tables);
        }
        if let Some(sink) = sink {
            sink.end_group().map_err(Error::Output)?;
        }
        Ok(TableGroup { tables, ..header })
    }

    fn process_table(
        &mut self,
        group: &TableGroupDesc,
        desc: &TableDesc,
        url: &Url,
        resource: &Resource,
        mut sink: Option<&mut (dyn RowSink + '_)>,
    ) -> Result<Table, Error> {
        let url_text = desc.url.clone();
        let dialect_desc: Option<&DialectDesc> = desc.dialect.as_ref().or(group.dialect.as_ref());
        let mut dialect: Dialect = dialect_desc.map(|d| d.dialect.clone()).unwrap_or_default();
        let header_given = dialect_desc.is_some_and(|d| d.header_given);
        if !header_given
            && resource
                .content_type
                .as_deref()
                .is_some_and(|ct| ct.replace(' ', "").contains("header=absent"))
        {
            dialect.header = false;
            dialect.header_row_count = 0;
        }
        let encoding = encoding_rs::Encoding::for_label(dialect.encoding.as_bytes())
            .unwrap_or(encoding_rs::UTF_8);
        let (text, _, had_errors) = encoding.decode(&resource.body);
        if had_errors {
            self.diagnostics.warn(
                &url_text,
                format!("the file is not valid {}", encoding.name()),
            );
        }
        let tabular_error = |e: dialect::CsvError| Error::Tabular {
            url: url_text.clone(),
            message: e.to_string(),
        };
        // A first pass finds the table's width (its widest row) and any syntax error before a
        // row is processed, so rows can then be handed on one by one without keeping them.
        let mut reader = dialect::CsvReader::new(&text, &dialect).map_err(tabular_error)?;
        let mut width = reader.header_rows.iter().map(Vec::len).max().unwrap_or(0);
        while let Some((_, cells)) = reader.next_row().map_err(tabular_error)? {
            width = width.max(cells.len());
        }
        let mut reader = dialect::CsvReader::new(&text, &dialect).map_err(tabular_error)?;
        // Embedded titles per column.
        let mut embedded: Vec<Vec<String>> = vec![Vec::new(); width];
        for header in &reader.header_rows {
            for (i, title) in header.iter().enumerate() {
                if !title.is_empty()
                    && let Some(titles) = embedded.get_mut(i)
                {
                    titles.push(title.clone());
                }
            }
        }
        let schema: Option<&SchemaDesc> = desc.schema.as_ref().or(group.schema.as_ref());
        let empty = SchemaDesc::default();
        let schema_ref = schema.unwrap_or(&empty);
        let meta_cols: Vec<&ColumnDesc> =
            schema_ref.columns.iter().filter(|c| !c.virtual_).collect();
        let inherited_base = schema_ref
            .inherited
            .over(&desc.inherited.over(&group.inherited));
        // Embedded titles take the table's language.
        let lang_default = inherited_base
            .lang
            .clone()
            .unwrap_or_else(|| "und".to_owned());
        if schema.is_some() {
            self.check_compatibility(
                &url_text,
                &meta_cols,
                &embedded,
                !reader.header_rows.is_empty(),
                &lang_default,
            );
        }
        let mut columns = Vec::new();
        let n_real = meta_cols.len().max(width);
        for i in 0..n_real {
            let meta = meta_cols.get(i).copied();
            let titles: Vec<(String, String)> = match meta {
                Some(m) if !m.titles.is_empty() => m.titles.clone(),
                _ => embedded
                    .get(i)
                    .map(|ts| {
                        ts.iter()
                            .map(|t| (t.clone(), lang_default.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            // With a metadata schema, names come from the metadata only (embedded titles are
            // just checked for compatibility).
            let name = match (schema.is_some(), meta) {
                (_, Some(m)) => m
                    .name
                    .clone()
                    .or_else(|| m.name_from_titles.as_deref().map(percent_encode_name)),
                (false, None) => titles.first().map(|(t, _)| percent_encode_name(t)),
                (true, None) => None,
            }
            .unwrap_or_else(|| format!("_col.{}", i + 1));
            let props = meta.map_or_else(
                || inherited_base.clone(),
                |m| m.inherited.over(&inherited_base),
            );
            columns.push(Column {
                number: i + 1,
                source_number: i + 1 + dialect.skip_columns,
                name,
                titles,
                virtual_: false,
                suppress_output: meta.is_some_and(|m| m.suppress_output),
                datatype: props.datatype.clone().unwrap_or_default(),
                props,
                common: meta.map(|m| m.common.clone()).unwrap_or_default(),
            });
        }
        for v in schema_ref.columns.iter().filter(|c| c.virtual_) {
            let props = v.inherited.over(&inherited_base);
            let number = columns.len() + 1;
            columns.push(Column {
                number,
                source_number: number + dialect.skip_columns,
                name: v
                    .name
                    .clone()
                    .or_else(|| v.name_from_titles.as_deref().map(percent_encode_name))
                    .unwrap_or_else(|| format!("_col.{number}")),
                titles: v.titles.clone(),
                virtual_: true,
                suppress_output: v.suppress_output,
                datatype: props.datatype.clone().unwrap_or_default(),
                props,
                common: v.common.clone(),
            });
        }
        let index_of = |names: &[String]| -> Vec<usize> {
            names
                .iter()
                .filter_map(|n| columns.iter().position(|c| &c.name == n))
                .collect()
        };
        let primary_key = index_of(&schema_ref.primary_key);
        let row_titles = index_of(&schema_ref.row_titles);
        let table = Table {
            id: desc.id.clone(),
            url: url_text.clone(),
            suppress_output: desc.suppress_output,
            notes: desc.notes.clone(),
            common: desc.common.clone(),
            columns,
            rows: Vec::new(),
            primary_key,
            row_titles,
            schema_id: schema_ref.id.clone(),
            foreign_keys: schema_ref.foreign_keys.clone(),
            dialect: dialect.clone(),
            base: Url::parse(&url_text).ok(),
            decoded_names: Vec::new(),
            uses_templates: false,
        };
        let mut table = table;
        table.decoded_names = table
            .columns
            .iter()
            .map(|c| {
                percent_encoding::percent_decode_str(&c.name)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        table.uses_templates = table.columns.iter().any(|c| {
            c.props.about_url.is_some()
                || c.props.property_url.is_some()
                || c.props.value_url.is_some()
        });
        let _ = url;
        if let Some(sink) = sink.as_deref_mut() {
            sink.start_table(&table).map_err(Error::Output)?;
        }
        let check_keys = self.options.validate && !table.primary_key.is_empty();
        // One string per key (the cell itself, or length-prefixed cells for a compound key, so
        // two different keys never give the same string): a streamed table keeps nothing else
        // per row, so this is most of the memory validation needs.
        let mut keys_seen: HashMap<String, usize> = HashMap::new();
        let mut index = 0;
        while let Some((source_number, raw_cells)) = reader.next_row().map_err(tabular_error)? {
            if self.options.validate && raw_cells.len() != n_real {
                self.diagnostics.push(
                    Severity::Error,
                    &url_text,
                    Some(source_number),
                    None,
                    format!(
                        "the row has {} cells but the table has {n_real} columns",
                        raw_cells.len()
                    ),
                );
            }
            let mut cells = Vec::with_capacity(table.columns.len());
            let mut raw_iter = raw_cells.into_iter();
            for column in &table.columns {
                if column.virtual_ {
                    cells.push(Cell {
                        value: CellValue::Null,
                        invalid: false,
                    });
                    continue;
                }
                let raw = raw_iter.next().unwrap_or_default();
                let (cell, errors) = parse_cell(raw, column);
                for message in errors {
                    let severity = if self.options.validate {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    self.diagnostics.push(
                        severity,
                        &url_text,
                        Some(source_number),
                        Some(column.source_number),
                        message,
                    );
                }
                cells.push(cell);
            }
            index += 1;
            let row = Row {
                number: index,
                source_number,
                cells,
            };
            if check_keys {
                let values: Vec<String> = table
                    .primary_key
                    .iter()
                    .map(|&i| cell_key(&row, i))
                    .collect();
                let key = match values.as_slice() {
                    [one] => one.clone(),
                    many => many.iter().fold(String::new(), |mut key, value| {
                        key.push_str(&value.len().to_string());
                        key.push(':');
                        key.push_str(value);
                        key
                    }),
                };
                if let Some(first) = keys_seen.get(&key) {
                    self.diagnostics.push(
                        Severity::Error,
                        &table.url,
                        Some(source_number),
                        None,
                        format!("duplicate primary key {values:?} (first in row {first})"),
                    );
                } else {
                    keys_seen.insert(key, source_number);
                }
            }
            match sink.as_deref_mut() {
                Some(sink) => sink.row(&table, &row).map_err(Error::Output)?,
                None => table.rows.push(row),
            }
        }
        if !reader.comments.is_empty() {
            table.common.push((
                "rdfs:comment".to_owned(),
                Value::Array(reader.comments.into_iter().map(Value::String).collect()),
            ));
        }
        if let Some(sink) = sink {
            sink.end_table(&table).map_err(Error::Output)?;
        }
        Ok(table)
    }

    fn check_compatibility(
        &mut self,
        url: &str,
        meta_cols: &[&ColumnDesc],
        embedded: &[Vec<String>],
        has_header: bool,
        embedded_lang: &str,
    ) {
        if meta_cols.len() != embedded.len()
            && (!embedded.is_empty() || !meta_cols.is_empty())
            && (embedded.len() > meta_cols.len() || has_header || meta_cols.is_empty())
        {
            self.problem(
                url,
                format!(
                    "the metadata describes {} columns but the file has {}",
                    meta_cols.len(),
                    embedded.len()
                ),
            );
            return;
        }
        if !has_header {
            return;
        }
        for (i, (meta, titles)) in meta_cols.iter().zip(embedded).enumerate() {
            if titles.is_empty() || (meta.name.is_none() && meta.titles.is_empty()) {
                continue;
            }
            // A name without titles is only compatible with embedded titles when not validating.
            if meta.titles.is_empty() && !self.options.validate {
                continue;
            }
            let matches = meta.titles.iter().any(|(t, lang)| {
                languages_match(lang, embedded_lang) && titles.iter().any(|e| e == t)
            });
            if !matches {
                self.problem(
                    url,
                    format!(
                        "column {}: the header {:?} does not match the metadata titles {:?}",
                        i + 1,
                        titles,
                        meta.titles.iter().map(|(t, _)| t).collect::<Vec<_>>()
                    ),
                );
            }
        }
    }

    fn check_foreign_keys(&mut self, tables: &[Table]) {
        for table in tables {
            for fk in &table.foreign_keys {
                let target = tables
                    .iter()
                    .find(|t| match (&fk.resource, &fk.schema_reference) {
                        (Some(r), _) => &t.url == r,
                        (None, Some(s)) => t.schema_id.as_ref() == Some(s),
                        _ => false,
                    });
                let Some(target) = target else {
                    self.diagnostics.error(
                        &table.url,
                        "foreign key references a table that is not in the group".to_owned(),
                    );
                    continue;
                };
                let src: Vec<usize> = fk
                    .columns
                    .iter()
                    .filter_map(|n| table.columns.iter().position(|c| &c.name == n))
                    .collect();
                let dst: Vec<usize> = fk
                    .referenced_columns
                    .iter()
                    .filter_map(|n| target.columns.iter().position(|c| &c.name == n))
                    .collect();
                if dst.len() != fk.referenced_columns.len() || src.len() != fk.columns.len() {
                    self.diagnostics.error(
                        &table.url,
                        format!(
                            "foreign key references unknown columns {:?} of {}",
                            fk.referenced_columns, target.url
                        ),
                    );
                    continue;
                }
                let mut counts: HashMap<Vec<String>, usize> = HashMap::new();
                for row in &target.rows {
                    let key: Vec<String> = dst.iter().map(|&i| cell_key(row, i)).collect();
                    *counts.entry(key).or_default() += 1;
                }
                for row in &table.rows {
                    // Null referencing values are checked too: they must match a (null) key.
                    let key: Vec<String> = src.iter().map(|&i| cell_key(row, i)).collect();
                    match counts.get(&key).copied().unwrap_or(0) {
                        1 => {}
                        0 => self.diagnostics.push(
                            Severity::Error,
                            &table.url,
                            Some(row.source_number),
                            None,
                            format!("foreign key {key:?} matches no row of {}", target.url),
                        ),
                        n => self.diagnostics.push(
                            Severity::Error,
                            &table.url,
                            Some(row.source_number),
                            None,
                            format!("foreign key {key:?} matches {n} rows of {}", target.url),
                        ),
                    }
                }
            }
        }
    }
}

/// Every foreign key must reference an existing table and existing columns (always an error).
fn resolve_foreign_keys(tables: &[Table]) -> Result<(), Error> {
    for table in tables {
        for fk in &table.foreign_keys {
            let target = tables
                .iter()
                .find(|t| match (&fk.resource, &fk.schema_reference) {
                    (Some(r), _) => &t.url == r,
                    (None, Some(s)) => t.schema_id.as_ref() == Some(s),
                    _ => false,
                });
            let Some(target) = target else {
                return Err(Error::Tabular {
                    url: table.url.clone(),
                    message: format!(
                        "foreign key references {}, which is not a table of the group",
                        fk.resource
                            .as_ref()
                            .or(fk.schema_reference.as_ref())
                            .map_or("", String::as_str)
                    ),
                });
            };
            if let Some(missing) = fk
                .referenced_columns
                .iter()
                .find(|n| !target.columns.iter().any(|c| &c.name == *n))
            {
                return Err(Error::Tabular {
                    url: table.url.clone(),
                    message: format!(
                        "foreign key references unknown column {missing:?} of {}",
                        target.url
                    ),
                });
            }
            if fk.columns.len() != fk.referenced_columns.len() {
                return Err(Error::Tabular {
                    url: table.url.clone(),
                    message: "foreign key column counts differ".to_owned(),
                });
            }
        }
    }
    Ok(())
}

fn key_string(value: &CellValue) -> String {
    match value {
        CellValue::Null => String::new(),
        CellValue::One(v) => v.lexical.clone(),
        CellValue::List(items) => items
            .iter()
            .map(|v| v.lexical.as_str())
            .collect::<Vec<_>>()
            .join("\u{1f}"),
    }
}

/// The key form of a row's cell in column `index` (every row has a cell per column).
fn cell_key(row: &Row, index: usize) -> String {
    row.cells
        .get(index)
        .map(|cell| key_string(&cell.value))
        .unwrap_or_default()
}

/// Language tags match if either is `und` or they are equal when truncated to the shorter.
fn languages_match(a: &str, b: &str) -> bool {
    if a == "und" || b == "und" {
        return true;
    }
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    // Bytes, not str slices: a tag cut inside a multi-byte character must not panic.
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len().min(b.len());
    a.get(..n) == b.get(..n)
        && (a.get(n).is_none_or(|&c| c == b'-') || b.get(n).is_none_or(|&c| c == b'-'))
}

/// URL equality after normalisation (dot segments, default ports, case of scheme and host).
fn same_resource(a: &Url, b: &Url) -> bool {
    a == b || Url::parse(a.as_str()).ok() == Url::parse(b.as_str()).ok()
}

/// Whether a table group describes the file at `url`.
fn describes(group: &TableGroupDesc, url: &Url) -> bool {
    group
        .tables
        .iter()
        .any(|t| Url::parse(&t.url).is_ok_and(|u| same_resource(&u, url)))
}

/// Parses a `Link` header value into (target, params).
pub fn parse_link_header(value: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    for part in value.split(',') {
        let part = part.trim();
        let Some(rest) = part.strip_prefix('<') else {
            continue;
        };
        let Some(end) = rest.find('>') else {
            continue;
        };
        let target = rest[..end].to_owned();
        let params = rest[end + 1..]
            .split(';')
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
            })
            .collect();
        out.push((target, params));
    }
    out
}

/// Percent-encodes a title for use as a column name.
fn percent_encode_name(title: &str) -> String {
    // URI template variable names allow only ALPHA, DIGIT, '_', '.' and pct-encoded.
    const SET: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'.').remove(b'_');
    percent_encoding::utf8_percent_encode(title, SET).to_string()
}

fn normalize_whitespace(raw: String, base: &str) -> String {
    let is_ws = |c: char| matches!(c, ' ' | '\t' | '\r' | '\n');
    match base {
        "string" | "json" | "xml" | "html" | "anyAtomicType" => raw,
        "normalizedString" if raw.contains(['\r', '\n', '\t']) => {
            raw.replace(['\r', '\n', '\t'], " ")
        }
        "normalizedString" => raw,
        _ => {
            // Most values are already clean: keep the allocation.
            let clean = !raw.starts_with(is_ws)
                && !raw.ends_with(is_ws)
                && !raw.contains(['\t', '\r', '\n'])
                && !raw.contains("  ");
            if clean {
                raw
            } else {
                raw.split(is_ws)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        }
    }
}

/// Parses one cell for `column`; returns the cell and the problems found.
pub fn parse_cell(raw: String, column: &Column) -> (Cell, Vec<String>) {
    let dt = &column.datatype;
    let props = &column.props;
    let mut errors = Vec::new();
    let mut normalized = normalize_whitespace(raw, dt.base);
    if normalized.is_empty()
        && let Some(default) = &props.default
    {
        normalized = default.clone();
    }
    let default_null = [String::new()];
    let nulls: &[String] = props.null.as_deref().unwrap_or(&default_null);
    let required = props.required.unwrap_or(false);
    let mut invalid = false;
    let value = if nulls.contains(&normalized) {
        if required {
            errors.push(format!("required column {} has no value", column.name));
        }
        CellValue::Null
    } else if let Some(Some(sep)) = &props.separator {
        if normalized.is_empty() {
            if required {
                errors.push(format!("required column {} has no value", column.name));
            }
            CellValue::List(Vec::new())
        } else {
            let mut items = Vec::new();
            for item in normalized.split(sep.as_str()) {
                let item = if datatype::is_string_type(dt.base) && dt.base == "string" {
                    item.to_owned()
                } else {
                    item.trim().to_owned()
                };
                if nulls.contains(&item) {
                    continue;
                }
                match datatype::parse_value(dt, &item) {
                    Ok(v) => items.push(v),
                    Err(e) => {
                        invalid = true;
                        errors.push(e);
                        items.push(TypedValue {
                            lexical: item,
                            kind: datatype::ValueKind::Invalid,
                        });
                    }
                }
            }
            CellValue::List(items)
        }
    } else {
        match datatype::parse_value(dt, &normalized) {
            Ok(v) => CellValue::One(v),
            Err(e) => {
                invalid = true;
                errors.push(e);
                CellValue::One(TypedValue {
                    lexical: normalized,
                    kind: datatype::ValueKind::Invalid,
                })
            }
        }
    };
    (Cell { value, invalid }, errors)
}

impl Table {
    /// The template variables of a row, for expanding URI templates of `column`.
    pub fn template_vars(&self, row: &Row) -> HashMap<String, TemplateValue> {
        if !self.uses_templates {
            return HashMap::new();
        }
        let mut vars = HashMap::with_capacity(self.columns.len() + 4);
        for (cell, name) in row.cells.iter().zip(&self.decoded_names) {
            let value = match &cell.value {
                CellValue::Null => continue,
                CellValue::One(v) => TemplateValue::Str(v.lexical.clone()),
                CellValue::List(items) => {
                    TemplateValue::List(items.iter().map(|v| v.lexical.clone()).collect())
                }
            };
            vars.insert(name.clone(), value);
        }
        vars.insert(
            "_row".to_owned(),
            TemplateValue::Str(row.number.to_string()),
        );
        vars.insert(
            "_sourceRow".to_owned(),
            TemplateValue::Str(row.source_number.to_string()),
        );
        vars
    }

    /// Expands a template for a cell and resolves it against the table URL.
    pub fn expand(
        &self,
        template: &UriTemplate,
        vars: &HashMap<String, TemplateValue>,
        column: &Column,
    ) -> String {
        let col = TemplateValue::Str(column.number.to_string());
        let source_col = TemplateValue::Str(column.source_number.to_string());
        let name = TemplateValue::Str(
            self.decoded_names
                .get(column.number - 1)
                .cloned()
                .unwrap_or_default(),
        );
        let expanded = template.expand(|var| match var {
            "_column" => Some(&col),
            "_sourceColumn" => Some(&source_col),
            "_name" => Some(&name),
            other => vars.get(other),
        });
        let expanded = crate::metadata::expand_prefixed(&expanded);
        match self.base.as_ref().map(|base| base.join(&expanded)) {
            Some(Ok(u)) => u.to_string(),
            _ => expanded,
        }
    }

    /// Like [`Table::expand`], reusing expansions of the same row: `cache` must be empty at the
    /// start of each row.
    pub fn expand_cached(
        &self,
        template: &UriTemplate,
        vars: &HashMap<String, TemplateValue>,
        column: &Column,
        cache: &mut Vec<(String, String)>,
    ) -> String {
        if template.uses_column_variables() {
            return self.expand(template, vars, column);
        }
        if let Some((_, value)) = cache.iter().find(|(k, _)| k == template.as_str()) {
            return value.clone();
        }
        let value = self.expand(template, vars, column);
        cache.push((template.as_str().to_owned(), value.clone()));
        value
    }

    /// The column name without percent-encoding (the JSON property name).
    pub fn decoded_name<'a>(&'a self, column: &'a Column) -> &'a str {
        self.decoded_names
            .get(column.number - 1)
            .map_or(column.name.as_str(), String::as_str)
    }
}

//! Metadata documents (Metadata Vocabulary for Tabular Data): parsing, validation and
//! normalisation into typed descriptions.

use serde_json::{Map, Value};
use url::Url;

use crate::datatype::{self, Datatype, Format};
use crate::dialect::{Dialect, Trim};
use crate::error::{Diagnostics, Error};
use crate::fetch::Fetcher;
use crate::numfmt::{NumberFormat, NumberPattern};
use crate::template::UriTemplate;

/// The CSVW namespace.
pub const CSVW_NS: &str = "http://www.w3.org/ns/csvw#";
const CSVW_CONTEXT: &str = "http://www.w3.org/ns/csvw";

/// The prefixes predefined by the CSVW context (`http://www.w3.org/ns/csvw`).
pub const PREFIXES: &[(&str, &str)] = &[
    ("as", "https://www.w3.org/ns/activitystreams#"),
    ("cc", "http://creativecommons.org/ns#"),
    ("csvw", "http://www.w3.org/ns/csvw#"),
    ("ctag", "http://commontag.org/ns#"),
    ("dc", "http://purl.org/dc/terms/"),
    ("dc11", "http://purl.org/dc/elements/1.1/"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("dctypes", "http://purl.org/dc/dcmitype/"),
    ("dqv", "http://www.w3.org/ns/dqv#"),
    ("duv", "https://www.w3.org/TR/vocab-duv#"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("gr", "http://purl.org/goodrelations/v1#"),
    ("grddl", "http://www.w3.org/2003/g/data-view#"),
    ("ical", "http://www.w3.org/2002/12/cal/icaltzd#"),
    ("ldp", "http://www.w3.org/ns/ldp#"),
    ("ma", "http://www.w3.org/ns/ma-ont#"),
    ("oa", "http://www.w3.org/ns/oa#"),
    ("og", "http://ogp.me/ns#"),
    ("org", "http://www.w3.org/ns/org#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("qb", "http://purl.org/linked-data/cube#"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfa", "http://www.w3.org/ns/rdfa#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("rev", "http://purl.org/stuff/rev#"),
    ("rif", "http://www.w3.org/2007/rif#"),
    ("rr", "http://www.w3.org/ns/r2rml#"),
    ("schema", "http://schema.org/"),
    ("sd", "http://www.w3.org/ns/sparql-service-description#"),
    ("sioc", "http://rdfs.org/sioc/ns#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("skosxl", "http://www.w3.org/2008/05/skos-xl#"),
    ("v", "http://rdf.data-vocabulary.org/#"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("void", "http://rdfs.org/ns/void#"),
    ("wdr", "http://www.w3.org/2007/05/powder#"),
    ("wrds", "http://www.w3.org/2007/05/powder-s#"),
    ("xhv", "http://www.w3.org/1999/xhtml/vocab#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

/// CSVW terms usable as `@type` values of common properties.
const CSVW_TERMS: &[&str] = &[
    "Cell",
    "Column",
    "Datatype",
    "Dialect",
    "Direction",
    "ForeignKey",
    "NumericFormat",
    "Row",
    "Schema",
    "Table",
    "TableGroup",
    "TableReference",
    "Transformation",
    "JSON",
    "uriTemplate",
];

/// Expands `prefix:name` with the predefined prefixes; other strings are returned unchanged.
pub fn expand_prefixed(name: &str) -> String {
    if let Some((prefix, local)) = name.split_once(':')
        && !local.starts_with("//")
        && let Some((_, ns)) = PREFIXES.iter().find(|(p, _)| *p == prefix)
    {
        return format!("{ns}{local}");
    }
    name.to_owned()
}

/// Compacts an IRI to `prefix:name` when a predefined prefix matches.
pub fn compact_iri(iri: &str) -> String {
    for (prefix, ns) in PREFIXES {
        if *prefix == "dcterms" {
            continue;
        }
        if let Some(local) = iri.strip_prefix(ns)
            && !local.is_empty()
            && !local.contains(['/', '#'])
        {
            return format!("{prefix}:{local}");
        }
    }
    iri.to_owned()
}

/// Properties inherited from table groups, tables and schemas down to columns.
#[derive(Debug, Clone, Default)]
pub struct Inherited {
    /// `aboutUrl`.
    pub about_url: Option<UriTemplate>,
    /// `propertyUrl`.
    pub property_url: Option<UriTemplate>,
    /// `valueUrl`.
    pub value_url: Option<UriTemplate>,
    /// `datatype`.
    pub datatype: Option<Datatype>,
    /// `default`.
    pub default: Option<String>,
    /// `lang`.
    pub lang: Option<String>,
    /// `null`.
    pub null: Option<Vec<String>>,
    /// `ordered`.
    pub ordered: Option<bool>,
    /// `required`.
    pub required: Option<bool>,
    /// `separator` (`Some(None)`: explicitly null).
    pub separator: Option<Option<String>>,
    /// `textDirection`.
    pub text_direction: Option<String>,
}

impl Inherited {
    /// `self` with unset properties taken from `parent`.
    pub fn over(&self, parent: &Self) -> Self {
        Self {
            about_url: self.about_url.clone().or_else(|| parent.about_url.clone()),
            property_url: self
                .property_url
                .clone()
                .or_else(|| parent.property_url.clone()),
            value_url: self.value_url.clone().or_else(|| parent.value_url.clone()),
            datatype: self.datatype.clone().or_else(|| parent.datatype.clone()),
            default: self.default.clone().or_else(|| parent.default.clone()),
            lang: self.lang.clone().or_else(|| parent.lang.clone()),
            null: self.null.clone().or_else(|| parent.null.clone()),
            ordered: self.ordered.or(parent.ordered),
            required: self.required.or(parent.required),
            separator: self.separator.clone().or_else(|| parent.separator.clone()),
            text_direction: self
                .text_direction
                .clone()
                .or_else(|| parent.text_direction.clone()),
        }
    }
}

/// A common property: its name as written (`dc:title`) and its normalised JSON-LD value.
pub type CommonProperty = (String, Value);

/// A column description.
#[derive(Debug, Clone, Default)]
pub struct ColumnDesc {
    /// `@id`.
    pub id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `titles`: (title, language tag or `und`).
    pub titles: Vec<(String, String)>,
    /// The first title in the default language (or `und`): the default `name`.
    pub name_from_titles: Option<String>,
    /// `suppressOutput`.
    pub suppress_output: bool,
    /// `virtual`.
    pub virtual_: bool,
    /// Inherited properties set on the column.
    pub inherited: Inherited,
    /// Common properties.
    pub common: Vec<CommonProperty>,
}

/// A foreign key.
#[derive(Debug, Clone, Default)]
pub struct ForeignKeyDesc {
    /// Referencing column names.
    pub columns: Vec<String>,
    /// Referenced table URL (`resource`).
    pub resource: Option<String>,
    /// Referenced schema `@id` (`schemaReference`).
    pub schema_reference: Option<String>,
    /// Referenced column names.
    pub referenced_columns: Vec<String>,
}

/// A schema description.
#[derive(Debug, Clone, Default)]
pub struct SchemaDesc {
    /// `@id`.
    pub id: Option<String>,
    /// Columns.
    pub columns: Vec<ColumnDesc>,
    /// `primaryKey` column names.
    pub primary_key: Vec<String>,
    /// `rowTitles` column names.
    pub row_titles: Vec<String>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKeyDesc>,
    /// Inherited properties set on the schema.
    pub inherited: Inherited,
    /// Common properties.
    pub common: Vec<CommonProperty>,
}

/// A table description.
#[derive(Debug, Clone, Default)]
pub struct TableDesc {
    /// `@id`.
    pub id: Option<String>,
    /// `url` (absolute).
    pub url: String,
    /// `dialect`.
    pub dialect: Option<DialectDesc>,
    /// `notes` (normalised).
    pub notes: Vec<Value>,
    /// `suppressOutput`.
    pub suppress_output: bool,
    /// `tableDirection`.
    pub table_direction: Option<String>,
    /// `tableSchema`.
    pub schema: Option<SchemaDesc>,
    /// `transformations` (kept as JSON).
    pub transformations: Vec<Value>,
    /// Inherited properties set on the table.
    pub inherited: Inherited,
    /// Common properties.
    pub common: Vec<CommonProperty>,
}

/// A dialect plus which properties were set explicitly.
#[derive(Debug, Clone, Default)]
pub struct DialectDesc {
    /// The dialect with defaults filled in.
    pub dialect: Dialect,
    /// Whether `header` or `headerRowCount` was given.
    pub header_given: bool,
}

/// A table group description: the result of reading a metadata document.
#[derive(Debug, Clone, Default)]
pub struct TableGroupDesc {
    /// `@id`.
    pub id: Option<String>,
    /// The tables.
    pub tables: Vec<TableDesc>,
    /// `dialect` for every table.
    pub dialect: Option<DialectDesc>,
    /// `notes`.
    pub notes: Vec<Value>,
    /// `tableDirection`.
    pub table_direction: Option<String>,
    /// `tableSchema` for every table.
    pub schema: Option<SchemaDesc>,
    /// `transformations`.
    pub transformations: Vec<Value>,
    /// Inherited properties.
    pub inherited: Inherited,
    /// Common properties.
    pub common: Vec<CommonProperty>,
    /// Whether the document was a single table (not a group).
    pub single_table: bool,
}

/// Reads metadata documents.
pub struct MetadataReader<'a> {
    fetcher: &'a dyn Fetcher,
    diagnostics: &'a mut Diagnostics,
}

/// A fetched referenced document: its context and its object.
type Fetched = (Ctx, Map<String, Value>);

#[derive(Clone)]
struct Ctx {
    doc: String,
    base: Url,
    lang: Option<String>,
}

const INHERITED_KEYS: &[&str] = &[
    "aboutUrl",
    "datatype",
    "default",
    "lang",
    "null",
    "ordered",
    "propertyUrl",
    "required",
    "separator",
    "textDirection",
    "valueUrl",
];

/// Whether `tag` is a well-formed BCP 47 language tag.
#[expect(
    clippy::expect_used,
    reason = "a literal pattern; the tests check language tags through it"
)]
pub fn is_valid_lang(tag: &str) -> bool {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
        r"(?i)^(?:[a-z]{2,3}(-[a-z]{3}){0,3}|[a-z]{4,8})(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*(-[0-9a-wy-z](-[a-z0-9]{2,8})+)*(-x(-[a-z0-9]{1,8})+)?$|^(?i:x(-[a-z0-9]{1,8})+)$|^(?i:i-[a-z]+|en-GB-oed|sgn-[a-z]{2}-[a-z]{3})$",
    )
    .expect("valid regex")
    });
    RE.is_match(tag)
}

impl<'a> MetadataReader<'a> {
    /// A reader fetching referenced documents with `fetcher` and collecting warnings.
    pub fn new(fetcher: &'a dyn Fetcher, diagnostics: &'a mut Diagnostics) -> Self {
        Self {
            fetcher,
            diagnostics,
        }
    }

    fn err(ctx: &Ctx, message: impl Into<String>) -> Error {
        Error::Metadata {
            url: ctx.doc.clone(),
            message: message.into(),
        }
    }

    fn warn(&mut self, ctx: &Ctx, message: impl Into<String>) {
        self.diagnostics.warn(&ctx.doc, message);
    }

    /// Parses a metadata document located at `url`.
    pub fn read(&mut self, url: &Url, bytes: &[u8]) -> Result<TableGroupDesc, Error> {
        let doc = url.as_str().to_owned();
        let json: Value = serde_json::from_slice(bytes).map_err(|e| Error::Metadata {
            url: doc.clone(),
            message: format!("invalid JSON: {e}"),
        })?;
        let Value::Object(obj) = json else {
            return Err(Error::Metadata {
                url: doc,
                message: "a metadata document must be a JSON object".to_owned(),
            });
        };
        let mut ctx = Ctx {
            doc,
            base: url.clone(),
            lang: None,
        };
        self.read_context(&mut ctx, obj.get("@context"), true)?;
        if obj.contains_key("tables") {
            self.table_group(&ctx, &obj)
        } else if obj.contains_key("url") {
            let table = self.table(&ctx, &obj, true)?;
            Ok(TableGroupDesc {
                tables: vec![table],
                single_table: true,
                ..TableGroupDesc::default()
            })
        } else if obj.get("@type").and_then(Value::as_str) == Some("Table") {
            Err(Self::err(&ctx, "a table must have a url"))
        } else {
            Err(Self::err(
                &ctx,
                "a metadata document must describe a table group (tables) or a table (url)",
            ))
        }
    }

    fn read_context(
        &mut self,
        ctx: &mut Ctx,
        context: Option<&Value>,
        required: bool,
    ) -> Result<(), Error> {
        match context {
            None if required => Err(Self::err(ctx, "@context is missing")),
            None => Ok(()),
            Some(Value::String(s)) if s == CSVW_CONTEXT => Ok(()),
            Some(Value::Array(items))
                if items.len() == 2
                    && items.first().and_then(Value::as_str) == Some(CSVW_CONTEXT) =>
            {
                let Some(Value::Object(local)) = items.get(1) else {
                    return Err(Self::err(ctx, "invalid @context"));
                };
                for (key, value) in local {
                    match key.as_str() {
                        "@base" => {
                            let Some(base) = value.as_str() else {
                                return Err(Self::err(ctx, "@base must be a string"));
                            };
                            ctx.base = ctx.base.join(base).map_err(|e| {
                                Self::err(ctx, format!("invalid @base {base:?}: {e}"))
                            })?;
                        }
                        "@language" => match value.as_str() {
                            Some(lang) if is_valid_lang(lang) => ctx.lang = Some(lang.to_owned()),
                            _ => self.warn(ctx, format!("invalid @language {value}")),
                        },
                        other => {
                            return Err(Self::err(
                                ctx,
                                format!("@context may only set @base and @language, not {other}"),
                            ));
                        }
                    }
                }
                Ok(())
            }
            Some(Value::Array(items))
                if items.len() == 1
                    && items.first().and_then(Value::as_str) == Some(CSVW_CONTEXT) =>
            {
                Ok(())
            }
            Some(other) => Err(Self::err(ctx, format!("invalid @context {other}"))),
        }
    }

    fn check_id(&mut self, ctx: &Ctx, obj: &Map<String, Value>) -> Result<Option<String>, Error> {
        match obj.get("@id") {
            None => Ok(None),
            Some(Value::String(s)) => {
                if s.starts_with("_:") {
                    return Err(Self::err(
                        ctx,
                        format!("@id {s:?} must not be a blank node"),
                    ));
                }
                Ok(Some(self.resolve(ctx, s)))
            }
            // An invalid link acts as the empty string, i.e. the base URL.
            Some(other) => {
                self.warn(ctx, format!("@id must be a string, not {other}"));
                Ok(Some(self.resolve(ctx, "")))
            }
        }
    }

    fn check_type(ctx: &Ctx, obj: &Map<String, Value>, expected: &str) -> Result<(), Error> {
        match obj.get("@type") {
            None => Ok(()),
            Some(Value::String(s)) if s == expected => Ok(()),
            Some(other) => Err(Self::err(
                ctx,
                format!("@type must be {expected:?}, not {other}"),
            )),
        }
    }

    fn resolve(&self, ctx: &Ctx, link: &str) -> String {
        if Url::parse(link).is_ok() {
            return link.to_owned();
        }
        ctx.base
            .join(link)
            .map_or_else(|_| link.to_owned(), |u| u.to_string())
    }

    fn table_group(
        &mut self,
        ctx: &Ctx,
        obj: &Map<String, Value>,
    ) -> Result<TableGroupDesc, Error> {
        Self::check_type(ctx, obj, "TableGroup")?;
        let id = self.check_id(ctx, obj)?;
        let mut group = TableGroupDesc {
            id,
            ..TableGroupDesc::default()
        };
        let Some(tables) = obj.get("tables") else {
            return Err(Self::err(ctx, "a table group must have tables"));
        };
        let Value::Array(tables) = tables else {
            return Err(Self::err(ctx, "tables must be an array"));
        };
        for table in tables {
            match table {
                Value::Object(t) => group.tables.push(self.table(ctx, t, false)?),
                other => self.warn(ctx, format!("tables: ignoring non-object {other}")),
            }
        }
        if group.tables.is_empty() {
            return Err(Self::err(ctx, "a table group must have at least one table"));
        }
        for (key, value) in obj {
            match key.as_str() {
                "@context" | "@id" | "@type" | "tables" => {}
                "dialect" => group.dialect = self.dialect_property(ctx, value)?,
                "notes" => group.notes = self.notes(ctx, value)?,
                "tableDirection" => group.table_direction = self.direction(ctx, key, value),
                "tableSchema" => group.schema = self.schema_property(ctx, value)?,
                "transformations" => group.transformations = self.transformations(ctx, value)?,
                k if INHERITED_KEYS.contains(&k) => {
                    self.inherited(ctx, &mut group.inherited, k, value)?;
                }
                _ => self.other_property(ctx, key, value, &mut group.common)?,
            }
        }
        Ok(group)
    }

    fn table(
        &mut self,
        ctx: &Ctx,
        obj: &Map<String, Value>,
        top: bool,
    ) -> Result<TableDesc, Error> {
        Self::check_type(ctx, obj, "Table")?;
        let id = self.check_id(ctx, obj)?;
        let url = match obj.get("url") {
            Some(Value::String(u)) => self.resolve(ctx, u),
            Some(other) => {
                self.warn(ctx, format!("url must be a string, not {other}"));
                return Err(Self::err(ctx, "a table must have a url"));
            }
            None => return Err(Self::err(ctx, "a table must have a url")),
        };
        let mut table = TableDesc {
            id,
            url,
            ..TableDesc::default()
        };
        for (key, value) in obj {
            match key.as_str() {
                "@id" | "@type" | "url" => {}
                "@context" if top => {}
                "dialect" => table.dialect = self.dialect_property(ctx, value)?,
                "notes" => table.notes = self.notes(ctx, value)?,
                "suppressOutput" => table.suppress_output = self.boolean(ctx, key, value),
                "tableDirection" => table.table_direction = self.direction(ctx, key, value),
                "tableSchema" => table.schema = self.schema_property(ctx, value)?,
                "transformations" => table.transformations = self.transformations(ctx, value)?,
                k if INHERITED_KEYS.contains(&k) => {
                    self.inherited(ctx, &mut table.inherited, k, value)?;
                }
                _ => self.other_property(ctx, key, value, &mut table.common)?,
            }
        }
        Ok(table)
    }

    fn boolean(&mut self, ctx: &Ctx, key: &str, value: &Value) -> bool {
        match value {
            Value::Bool(b) => *b,
            other => {
                self.warn(ctx, format!("{key} must be a boolean, not {other}"));
                false
            }
        }
    }

    fn direction(&mut self, ctx: &Ctx, key: &str, value: &Value) -> Option<String> {
        match value.as_str() {
            Some(d @ ("ltr" | "rtl" | "auto" | "inherit")) => Some(d.to_owned()),
            _ => {
                self.warn(ctx, format!("invalid {key} {value}"));
                None
            }
        }
    }

    /// Unknown properties: common properties (prefixed names or absolute IRIs) are kept;
    /// anything else is ignored with a warning.
    fn other_property(
        &mut self,
        ctx: &Ctx,
        key: &str,
        value: &Value,
        common: &mut Vec<CommonProperty>,
    ) -> Result<(), Error> {
        if key.starts_with('@') {
            return Err(Self::err(ctx, format!("unknown keyword {key}")));
        }
        if key.contains(':') {
            let normalized = self.common_value(ctx, value, true)?;
            common.push((key.to_owned(), normalized));
        } else {
            self.warn(ctx, format!("ignoring unknown property {key:?}"));
        }
        Ok(())
    }

    /// Validates and normalises a common property value (a JSON-LD subset).
    fn common_value(&mut self, ctx: &Ctx, value: &Value, top: bool) -> Result<Value, Error> {
        let _ = top;
        match value {
            Value::String(s) => Ok(match &ctx.lang {
                Some(lang) => serde_json::json!({"@value": s, "@language": lang}),
                None => Value::String(s.clone()),
            }),
            Value::Array(items) => Ok(Value::Array(
                items
                    .iter()
                    .map(|v| self.common_value(ctx, v, false))
                    .collect::<Result<_, _>>()?,
            )),
            Value::Object(obj) => {
                if obj.contains_key("@value") {
                    for key in obj.keys() {
                        if !matches!(key.as_str(), "@value" | "@type" | "@language") {
                            return Err(Self::err(
                                ctx,
                                format!("a value object must not have {key}"),
                            ));
                        }
                    }
                    if obj.contains_key("@type") && obj.contains_key("@language") {
                        return Err(Self::err(
                            ctx,
                            "a value object must not have both @type and @language",
                        ));
                    }
                    if let Some(lang) = obj.get("@language") {
                        match lang.as_str() {
                            Some(l) if is_valid_lang(l) => {}
                            _ => return Err(Self::err(ctx, format!("invalid @language {lang}"))),
                        }
                    }
                    if let Some(t) = obj.get("@type") {
                        let Some(t) = t.as_str() else {
                            return Err(Self::err(ctx, "@type must be a string"));
                        };
                        self.check_type_name(ctx, t, true)?;
                    }
                    if obj["@value"].is_object() || obj["@value"].is_array() {
                        return Err(Self::err(ctx, "@value must be a string, number or boolean"));
                    }
                    return Ok(Value::Object(obj.clone()));
                }
                if obj.contains_key("@language") {
                    return Err(Self::err(ctx, "@language is only allowed with @value"));
                }
                let mut out = Map::new();
                for (key, v) in obj {
                    match key.as_str() {
                        "@id" => {
                            let Some(id) = v.as_str() else {
                                return Err(Self::err(ctx, "@id must be a string"));
                            };
                            if id.starts_with("_:") {
                                return Err(Self::err(
                                    ctx,
                                    format!("@id {id:?} must not be a blank node"),
                                ));
                            }
                            let expanded = expand_prefixed(id);
                            out.insert(key.clone(), Value::String(self.resolve(ctx, &expanded)));
                        }
                        "@type" => {
                            let types: Vec<&Value> = match v {
                                Value::Array(a) => a.iter().collect(),
                                other => vec![other],
                            };
                            for t in &types {
                                let Some(t) = t.as_str() else {
                                    return Err(Self::err(ctx, "@type must be a string"));
                                };
                                self.check_type_name(ctx, t, false)?;
                            }
                            out.insert(key.clone(), v.clone());
                        }
                        "@context" => {
                            return Err(Self::err(
                                ctx,
                                "@context is not allowed in a common property",
                            ));
                        }
                        "@list" | "@set" => {
                            return Err(Self::err(
                                ctx,
                                format!("{key} is not allowed in a common property"),
                            ));
                        }
                        k if k.starts_with('@') => {
                            return Err(Self::err(ctx, format!("unknown keyword {k}")));
                        }
                        _ => {
                            out.insert(key.clone(), self.common_value(ctx, v, false)?);
                        }
                    }
                }
                Ok(Value::Object(out))
            }
            other => Ok(other.clone()),
        }
    }

    fn check_type_name(&mut self, ctx: &Ctx, t: &str, datatype: bool) -> Result<(), Error> {
        if t.starts_with("_:") {
            return Err(Self::err(
                ctx,
                format!("@type {t:?} must not be a blank node"),
            ));
        }
        let ok = if let Some((prefix, _)) = t.split_once(':') {
            PREFIXES.iter().any(|(p, _)| *p == prefix) || Url::parse(t).is_ok()
        } else if datatype {
            datatype::canonical_base(t).is_some()
        } else {
            CSVW_TERMS.contains(&t)
        };
        if ok {
            Ok(())
        } else {
            Err(Self::err(ctx, format!("invalid @type {t:?}")))
        }
    }

    fn notes(&mut self, ctx: &Ctx, value: &Value) -> Result<Vec<Value>, Error> {
        match value {
            Value::Array(items) => items
                .iter()
                .map(|v| self.common_value(ctx, v, true))
                .collect(),
            other => {
                self.warn(ctx, format!("notes must be an array, not {other}"));
                Ok(Vec::new())
            }
        }
    }

    fn transformations(&mut self, ctx: &Ctx, value: &Value) -> Result<Vec<Value>, Error> {
        let Value::Array(items) = value else {
            self.warn(
                ctx,
                format!("transformations must be an array, not {value}"),
            );
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in items {
            let Value::Object(obj) = item else {
                self.warn(ctx, format!("transformations: ignoring non-object {item}"));
                continue;
            };
            Self::check_type(ctx, obj, "Template")?;
            self.check_id(ctx, obj)?;
            for key in ["url", "scriptFormat", "targetFormat"] {
                if !obj.get(key).is_some_and(Value::is_string) {
                    self.warn(ctx, format!("transformation without a valid {key}"));
                }
            }
            for (key, v) in obj {
                match key.as_str() {
                    "@id" | "@type" | "url" | "scriptFormat" | "targetFormat" | "source" => {}
                    "titles" => {
                        self.titles(ctx, v);
                    }
                    _ => {
                        let mut sink = Vec::new();
                        self.other_property(ctx, key, v, &mut sink)?;
                    }
                }
            }
            out.push(item.clone());
        }
        Ok(out)
    }

    fn fetch_object(&mut self, ctx: &Ctx, link: &str) -> Result<Option<Fetched>, Error> {
        let url = ctx.base.join(link).map_err(|e| Error::Url {
            url: link.to_owned(),
            message: e.to_string(),
        })?;
        let resource = self.fetcher.fetch(&url).map_err(|source| Error::Io {
            url: url.to_string(),
            source,
        })?;
        let Some(resource) = resource else {
            self.warn(ctx, format!("{url} not found"));
            return Ok(None);
        };
        let json: Value = match serde_json::from_slice(&resource.body) {
            Ok(j) => j,
            Err(e) => {
                self.warn(ctx, format!("{url} is not valid JSON: {e}"));
                return Ok(None);
            }
        };
        let Value::Object(obj) = json else {
            self.warn(ctx, format!("{url} is not a JSON object"));
            return Ok(None);
        };
        let mut sub = Ctx {
            doc: url.to_string(),
            base: url,
            lang: None,
        };
        self.read_context(&mut sub, obj.get("@context"), false)?;
        Ok(Some((sub, obj)))
    }

    fn schema_property(&mut self, ctx: &Ctx, value: &Value) -> Result<Option<SchemaDesc>, Error> {
        match value {
            Value::Object(obj) => Ok(Some(self.schema(ctx, obj)?)),
            Value::String(link) => match self.fetch_object(ctx, link)? {
                Some((sub, obj)) => Ok(Some(self.schema(&sub, &obj)?)),
                None => Ok(Some(SchemaDesc::default())),
            },
            other => {
                self.warn(
                    ctx,
                    format!("tableSchema must be an object or URL, not {other}"),
                );
                Ok(Some(SchemaDesc::default()))
            }
        }
    }

    fn dialect_property(&mut self, ctx: &Ctx, value: &Value) -> Result<Option<DialectDesc>, Error> {
        match value {
            Value::Object(obj) => Ok(Some(self.dialect(ctx, obj)?)),
            Value::String(link) => match self.fetch_object(ctx, link)? {
                Some((sub, obj)) => Ok(Some(self.dialect(&sub, &obj)?)),
                None => Ok(None),
            },
            other => {
                self.warn(
                    ctx,
                    format!("dialect must be an object or URL, not {other}"),
                );
                Ok(None)
            }
        }
    }

    fn schema(&mut self, ctx: &Ctx, obj: &Map<String, Value>) -> Result<SchemaDesc, Error> {
        Self::check_type(ctx, obj, "Schema")?;
        let id = self.check_id(ctx, obj)?;
        let mut schema = SchemaDesc {
            id,
            ..SchemaDesc::default()
        };
        for (key, value) in obj {
            match key.as_str() {
                "@id" | "@type" | "@context" => {}
                "columns" => {
                    let Value::Array(cols) = value else {
                        self.warn(ctx, format!("columns must be an array, not {value}"));
                        continue;
                    };
                    for col in cols {
                        match col {
                            Value::Object(c) => schema.columns.push(self.column(ctx, c)?),
                            other => {
                                self.warn(ctx, format!("columns: ignoring non-object {other}"));
                            }
                        }
                    }
                }
                "primaryKey" => schema.primary_key = self.column_refs(ctx, key, value),
                "rowTitles" => schema.row_titles = self.column_refs(ctx, key, value),
                "foreignKeys" => {
                    let Value::Array(fks) = value else {
                        self.warn(ctx, format!("foreignKeys must be an array, not {value}"));
                        continue;
                    };
                    for fk in fks {
                        match fk {
                            Value::Object(f) => schema.foreign_keys.push(self.foreign_key(ctx, f)?),
                            other => {
                                self.warn(ctx, format!("foreignKeys: ignoring non-object {other}"));
                            }
                        }
                    }
                }
                k if INHERITED_KEYS.contains(&k) => {
                    self.inherited(ctx, &mut schema.inherited, k, value)?;
                }
                _ => self.other_property(ctx, key, value, &mut schema.common)?,
            }
        }
        // Column names must be unique and virtual columns come last.
        let mut seen = std::collections::HashSet::new();
        let mut virtual_seen = false;
        for col in &schema.columns {
            if let Some(name) = &col.name
                && !seen.insert(name.clone())
            {
                return Err(Self::err(ctx, format!("duplicate column name {name:?}")));
            }
            if col.virtual_ {
                virtual_seen = true;
            } else if virtual_seen {
                return Err(Self::err(
                    ctx,
                    "virtual columns must come after non-virtual columns",
                ));
            }
        }
        let names: Vec<String> = schema
            .columns
            .iter()
            .filter_map(|c| c.name.clone())
            .collect();
        for (what, refs) in [
            ("primaryKey", &mut schema.primary_key),
            ("rowTitles", &mut schema.row_titles),
        ] {
            if let Some(bad) = refs.iter().find(|r| !names.contains(r)) {
                self.warn(ctx, format!("{what} refers to unknown column {bad:?}"));
                refs.clear();
            }
        }
        for fk in &schema.foreign_keys {
            if let Some(bad) = fk.columns.iter().find(|r| !names.contains(r)) {
                return Err(Self::err(
                    ctx,
                    format!("foreign key refers to unknown column {bad:?}"),
                ));
            }
        }
        Ok(schema)
    }

    fn column_refs(&mut self, ctx: &Ctx, key: &str, value: &Value) -> Vec<String> {
        match value {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            other => {
                self.warn(ctx, format!("invalid {key} {other}"));
                Vec::new()
            }
        }
    }

    fn foreign_key(
        &mut self,
        ctx: &Ctx,
        obj: &Map<String, Value>,
    ) -> Result<ForeignKeyDesc, Error> {
        let mut fk = ForeignKeyDesc::default();
        for (key, value) in obj {
            match key.as_str() {
                "columnReference" => fk.columns = self.strict_refs(ctx, value)?,
                "reference" => {
                    let Value::Object(r) = value else {
                        return Err(Self::err(ctx, "a foreign key reference must be an object"));
                    };
                    for (rk, rv) in r {
                        match rk.as_str() {
                            "resource" => match rv.as_str() {
                                Some(s) => fk.resource = Some(self.resolve(ctx, s)),
                                None => return Err(Self::err(ctx, "resource must be a string")),
                            },
                            "schemaReference" => match rv.as_str() {
                                Some(s) => fk.schema_reference = Some(self.resolve(ctx, s)),
                                None => {
                                    return Err(Self::err(ctx, "schemaReference must be a string"));
                                }
                            },
                            "columnReference" => {
                                fk.referenced_columns = self.strict_refs(ctx, rv)?;
                            }
                            other => {
                                return Err(Self::err(
                                    ctx,
                                    format!("invalid property {other} in a foreign key reference"),
                                ));
                            }
                        }
                    }
                    if fk.resource.is_some() == fk.schema_reference.is_some() {
                        return Err(Self::err(
                            ctx,
                            "a foreign key reference needs exactly one of resource and schemaReference",
                        ));
                    }
                    if fk.referenced_columns.is_empty() {
                        return Err(Self::err(
                            ctx,
                            "a foreign key reference needs a columnReference",
                        ));
                    }
                }
                other => {
                    return Err(Self::err(
                        ctx,
                        format!("invalid property {other} in a foreign key"),
                    ));
                }
            }
        }
        if fk.columns.is_empty() {
            return Err(Self::err(ctx, "a foreign key needs a columnReference"));
        }
        if fk.referenced_columns.is_empty() {
            return Err(Self::err(ctx, "a foreign key needs a reference"));
        }
        Ok(fk)
    }

    fn strict_refs(&mut self, ctx: &Ctx, value: &Value) -> Result<Vec<String>, Error> {
        match value {
            Value::String(s) => Ok(vec![s.clone()]),
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
                Ok(items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect())
            }
            other => Err(Self::err(ctx, format!("invalid columnReference {other}"))),
        }
    }

    fn column(&mut self, ctx: &Ctx, obj: &Map<String, Value>) -> Result<ColumnDesc, Error> {
        Self::check_type(ctx, obj, "Column")?;
        let id = self.check_id(ctx, obj)?;
        let mut col = ColumnDesc {
            id,
            ..ColumnDesc::default()
        };
        for (key, value) in obj {
            match key.as_str() {
                "@id" | "@type" => {}
                "name" => match value.as_str() {
                    Some(n) if is_valid_name(n) => col.name = Some(n.to_owned()),
                    _ => self.warn(ctx, format!("invalid column name {value}")),
                },
                "titles" => {
                    col.titles = self.titles(ctx, value);
                    let default_lang = ctx.lang.as_deref().unwrap_or("und");
                    col.name_from_titles = col
                        .titles
                        .iter()
                        .find(|(_, lang)| lang == default_lang)
                        .map(|(t, _)| t.clone());
                }
                "suppressOutput" => col.suppress_output = self.boolean(ctx, key, value),
                "virtual" => col.virtual_ = self.boolean(ctx, key, value),
                k if INHERITED_KEYS.contains(&k) => {
                    self.inherited(ctx, &mut col.inherited, k, value)?;
                }
                _ => self.other_property(ctx, key, value, &mut col.common)?,
            }
        }
        Ok(col)
    }

    fn titles(&mut self, ctx: &Ctx, value: &Value) -> Vec<(String, String)> {
        let lang = ctx.lang.clone().unwrap_or_else(|| "und".to_owned());
        match value {
            Value::String(s) => vec![(s.clone(), lang)],
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.push((s.clone(), lang.clone())),
                        other => self.warn(ctx, format!("titles: ignoring non-string {other}")),
                    }
                }
                out
            }
            Value::Object(map) => {
                let mut out = Vec::new();
                for (tag, v) in map {
                    if !is_valid_lang(tag) {
                        self.warn(ctx, format!("titles: invalid language tag {tag:?}"));
                        continue;
                    }
                    match v {
                        Value::String(s) => out.push((s.clone(), tag.clone())),
                        Value::Array(items) => {
                            for item in items {
                                match item {
                                    Value::String(s) => out.push((s.clone(), tag.clone())),
                                    other => self
                                        .warn(ctx, format!("titles: ignoring non-string {other}")),
                                }
                            }
                        }
                        other => self.warn(ctx, format!("titles: ignoring non-string {other}")),
                    }
                }
                out
            }
            other => {
                self.warn(ctx, format!("invalid titles {other}"));
                Vec::new()
            }
        }
    }

    fn template(&mut self, ctx: &Ctx, key: &str, value: &Value) -> Option<UriTemplate> {
        match value.as_str().map(UriTemplate::parse) {
            Some(Ok(t)) => Some(t),
            // An invalid template acts as the empty template (which resolves to the table URL).
            Some(Err(e)) => {
                self.warn(ctx, format!("{key}: {e}"));
                UriTemplate::parse("").ok()
            }
            None => {
                self.warn(ctx, format!("{key} must be a string, not {value}"));
                UriTemplate::parse("").ok()
            }
        }
    }

    fn inherited(
        &mut self,
        ctx: &Ctx,
        inh: &mut Inherited,
        key: &str,
        value: &Value,
    ) -> Result<(), Error> {
        match key {
            "aboutUrl" => inh.about_url = self.template(ctx, key, value),
            "propertyUrl" => inh.property_url = self.template(ctx, key, value),
            "valueUrl" => inh.value_url = self.template(ctx, key, value),
            "datatype" => inh.datatype = self.datatype(ctx, value)?,
            "default" => match value.as_str() {
                Some(s) => inh.default = Some(s.to_owned()),
                None => self.warn(ctx, format!("default must be a string, not {value}")),
            },
            "lang" => match value.as_str() {
                Some(s) if is_valid_lang(s) => inh.lang = Some(s.to_owned()),
                _ => self.warn(ctx, format!("invalid lang {value}")),
            },
            "null" => match value {
                Value::String(s) => inh.null = Some(vec![s.clone()]),
                Value::Array(items) => {
                    let mut nulls = Vec::new();
                    for item in items {
                        match item.as_str() {
                            Some(s) => nulls.push(s.to_owned()),
                            None => self.warn(ctx, format!("null: ignoring non-string {item}")),
                        }
                    }
                    inh.null = Some(nulls);
                }
                other => self.warn(ctx, format!("null must be a string or array, not {other}")),
            },
            "ordered" => match value {
                Value::Bool(b) => inh.ordered = Some(*b),
                other => self.warn(ctx, format!("ordered must be a boolean, not {other}")),
            },
            "required" => match value {
                Value::Bool(b) => inh.required = Some(*b),
                other => self.warn(ctx, format!("required must be a boolean, not {other}")),
            },
            "separator" => match value {
                Value::String(s) => inh.separator = Some(Some(s.clone())),
                Value::Null => inh.separator = Some(None),
                other => self.warn(
                    ctx,
                    format!("separator must be a string or null, not {other}"),
                ),
            },
            "textDirection" => inh.text_direction = self.direction(ctx, key, value),
            _ => {}
        }
        Ok(())
    }

    fn datatype(&mut self, ctx: &Ctx, value: &Value) -> Result<Option<Datatype>, Error> {
        let obj = match value {
            Value::String(name) => {
                return Ok(match datatype::canonical_base(name) {
                    Some(base) => Some(Datatype::builtin(base)),
                    None => {
                        self.warn(ctx, format!("unknown datatype {name:?}"));
                        Some(Datatype::builtin("string"))
                    }
                });
            }
            Value::Object(obj) => obj,
            other => {
                self.warn(ctx, format!("invalid datatype {other}"));
                return Ok(Some(Datatype::builtin("string")));
            }
        };
        Self::check_type(ctx, obj, "Datatype")?;
        let id = match obj.get("@id") {
            Some(Value::String(s)) => {
                if s.starts_with("_:") {
                    return Err(Self::err(
                        ctx,
                        format!("datatype @id {s:?} must not be a blank node"),
                    ));
                }
                let expanded = expand_prefixed(s);
                if datatype::builtin_from_iri(&expanded).is_some() {
                    return Err(Self::err(
                        ctx,
                        format!("datatype @id {s:?} must not be a built-in datatype"),
                    ));
                }
                Some(self.resolve(ctx, &expanded))
            }
            Some(other) => {
                self.warn(ctx, format!("datatype @id must be a string, not {other}"));
                None
            }
            None => None,
        };
        let base = match obj.get("base") {
            None => "string",
            Some(Value::String(b)) => match datatype::canonical_base(b) {
                Some(base) => base,
                None => {
                    self.warn(ctx, format!("unknown datatype base {b:?}"));
                    "string"
                }
            },
            Some(other) => {
                self.warn(ctx, format!("invalid datatype base {other}"));
                "string"
            }
        };
        let mut dt = Datatype::builtin(base);
        dt.id = id;
        for (key, v) in obj {
            match key.as_str() {
                "@id" | "@type" | "base" => {}
                "format" => dt.format = self.format(ctx, base, v),
                "length" | "minLength" | "maxLength" => {
                    let Some(n) = v.as_u64() else {
                        self.warn(
                            ctx,
                            format!("{key} must be a non-negative integer, not {v}"),
                        );
                        continue;
                    };
                    let n = n as usize;
                    match key.as_str() {
                        "length" => dt.length = Some(n),
                        "minLength" => dt.min_length = Some(n),
                        _ => dt.max_length = Some(n),
                    }
                }
                "minimum" | "maximum" | "minInclusive" | "maxInclusive" | "minExclusive"
                | "maxExclusive" => {
                    if datatype::is_string_type(base)
                        || datatype::is_binary_type(base)
                        || base == "boolean"
                    {
                        return Err(Self::err(
                            ctx,
                            format!("{key} is not allowed on datatype {base}"),
                        ));
                    }
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        other => {
                            self.warn(ctx, format!("invalid {key} {other}"));
                            continue;
                        }
                    };
                    let Some(bound) = datatype::parse_bound(base, &text) else {
                        self.warn(ctx, format!("{key} {text:?} is not a valid {base}"));
                        continue;
                    };
                    match key.as_str() {
                        "minimum" | "minInclusive" => dt.min_inclusive = Some(bound),
                        "maximum" | "maxInclusive" => dt.max_inclusive = Some(bound),
                        "minExclusive" => dt.min_exclusive = Some(bound),
                        _ => dt.max_exclusive = Some(bound),
                    }
                }
                _ => {
                    let mut sink = Vec::new();
                    self.other_property(ctx, key, v, &mut sink)?;
                }
            }
        }
        if (dt.length.is_some() || dt.min_length.is_some() || dt.max_length.is_some())
            && !(datatype::is_string_type(base) || datatype::is_binary_type(base))
        {
            return Err(Self::err(
                ctx,
                format!("length constraints are not allowed on datatype {base}"),
            ));
        }
        if let Some(l) = dt.length
            && (dt.min_length.is_some_and(|m| l < m) || dt.max_length.is_some_and(|m| l > m))
        {
            return Err(Self::err(ctx, "length is outside minLength..maxLength"));
        }
        if let (Some(min), Some(max)) = (dt.min_length, dt.max_length)
            && min > max
        {
            return Err(Self::err(ctx, "minLength is greater than maxLength"));
        }
        use std::cmp::Ordering::{Greater, Less};
        if dt.min_inclusive.is_some() && dt.min_exclusive.is_some() {
            return Err(Self::err(
                ctx,
                "minInclusive and minExclusive cannot both be set",
            ));
        }
        if dt.max_inclusive.is_some() && dt.max_exclusive.is_some() {
            return Err(Self::err(
                ctx,
                "maxInclusive and maxExclusive cannot both be set",
            ));
        }
        let cmp = |a: &Option<datatype::TypedValue>, b: &Option<datatype::TypedValue>| match (a, b)
        {
            (Some(a), Some(b)) => datatype::compare_bounds(a, b),
            _ => None,
        };
        if cmp(&dt.min_inclusive, &dt.max_inclusive) == Some(Greater)
            || cmp(&dt.min_inclusive, &dt.max_exclusive).is_some_and(|o| o != Less)
            || cmp(&dt.min_exclusive, &dt.max_exclusive).is_some_and(|o| o != Less)
            || cmp(&dt.min_exclusive, &dt.max_inclusive).is_some_and(|o| o != Less)
        {
            return Err(Self::err(
                ctx,
                "the datatype's lower bound is above its upper bound",
            ));
        }
        Ok(Some(dt))
    }

    fn format(&mut self, ctx: &Ctx, base: &str, value: &Value) -> Format {
        if datatype::is_numeric_type(base) {
            let (pattern, group, decimal) = match value {
                Value::String(p) => (Some(p.clone()), None, None),
                Value::Object(o) => {
                    let get = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
                    for k in o.keys() {
                        if !matches!(k.as_str(), "pattern" | "groupChar" | "decimalChar") {
                            self.warn(ctx, format!("unknown number format property {k}"));
                        }
                    }
                    (get("pattern"), get("groupChar"), get("decimalChar"))
                }
                other => {
                    self.warn(ctx, format!("invalid number format {other}"));
                    return Format::None;
                }
            };
            let single = |s: Option<String>, what: &str, this: &mut Self| -> Option<char> {
                let s = s?;
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some(c),
                    _ => {
                        this.warn(ctx, format!("{what} must be a single character"));
                        None
                    }
                }
            };
            let has_pattern = pattern.is_some();
            // In a pattern, ',' is the grouping character unless another one is given.
            let group_char = single(group, "groupChar", self).or(has_pattern.then_some(','));
            let decimal_char = single(decimal, "decimalChar", self).unwrap_or('.');
            let pattern = match pattern {
                Some(p) => match NumberPattern::parse(&p) {
                    Some(parsed) => Some(parsed),
                    None => {
                        self.warn(ctx, format!("invalid number pattern {p:?}"));
                        None
                    }
                },
                None => None,
            };
            return Format::Number(NumberFormat {
                pattern,
                group_char,
                decimal_char,
            });
        }
        let Some(text) = value.as_str() else {
            self.warn(ctx, format!("format must be a string, not {value}"));
            return Format::None;
        };
        if base == "boolean" {
            return match text.split_once('|') {
                Some((t, f)) if !t.is_empty() && !f.is_empty() && !f.contains('|') => {
                    Format::Boolean(t.to_owned(), f.to_owned())
                }
                _ => {
                    self.warn(ctx, format!("invalid boolean format {text:?}"));
                    Format::None
                }
            };
        }
        if matches!(base, "date" | "time" | "dateTime" | "dateTimeStamp") {
            return match datatype::DatePattern::parse(base, text) {
                Some(p) => Format::DateTime(p),
                None => {
                    self.warn(ctx, format!("invalid date/time format {text:?}"));
                    Format::None
                }
            };
        }
        match regex::Regex::new(&format!("^(?:{text})$")) {
            Ok(re) => Format::Regex(re),
            Err(e) => {
                self.warn(
                    ctx,
                    format!("invalid format regular expression {text:?}: {e}"),
                );
                Format::None
            }
        }
    }

    fn dialect(&mut self, ctx: &Ctx, obj: &Map<String, Value>) -> Result<DialectDesc, Error> {
        Self::check_type(ctx, obj, "Dialect")?;
        self.check_id(ctx, obj)?;
        let mut d = Dialect::default();
        let mut header_given = false;
        let mut header_row_count = None;
        for (key, value) in obj {
            let mut invalid = false;
            match key.as_str() {
                "@id" | "@type" | "@context" => {}
                "commentPrefix" => match value {
                    Value::String(s) => d.comment_prefix = Some(s.clone()),
                    Value::Null => d.comment_prefix = None,
                    _ => invalid = true,
                },
                "delimiter" => match value.as_str() {
                    Some(s) => d.delimiter = s.to_owned(),
                    None => invalid = true,
                },
                "doubleQuote" => match value {
                    Value::Bool(b) => d.double_quote = *b,
                    _ => invalid = true,
                },
                "encoding" => match value.as_str() {
                    Some(e) if encoding_rs::Encoding::for_label(e.as_bytes()).is_some() => {
                        d.encoding = e.to_owned();
                    }
                    _ => invalid = true,
                },
                "header" => match value {
                    Value::Bool(b) => {
                        d.header = *b;
                        header_given = true;
                    }
                    _ => invalid = true,
                },
                "headerRowCount" => match value.as_u64() {
                    Some(n) => {
                        header_row_count = Some(n as usize);
                        header_given = true;
                    }
                    None => invalid = true,
                },
                "lineTerminators" => match value {
                    Value::String(s) => d.line_terminators = vec![s.clone()],
                    Value::Array(items) if items.iter().all(Value::is_string) => {
                        d.line_terminators = items
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect();
                    }
                    _ => invalid = true,
                },
                "quoteChar" => match value {
                    Value::String(s) if s.chars().count() == 1 => d.quote_char = s.chars().next(),
                    Value::Null => d.quote_char = None,
                    _ => invalid = true,
                },
                "skipBlankRows" => match value {
                    Value::Bool(b) => d.skip_blank_rows = *b,
                    _ => invalid = true,
                },
                "skipColumns" => match value.as_u64() {
                    Some(n) => d.skip_columns = n as usize,
                    None => invalid = true,
                },
                "skipInitialSpace" => match value {
                    Value::Bool(b) => d.skip_initial_space = *b,
                    _ => invalid = true,
                },
                "skipRows" => match value.as_u64() {
                    Some(n) => d.skip_rows = n as usize,
                    None => invalid = true,
                },
                "trim" => match value {
                    Value::Bool(true) => d.trim = Trim::Both,
                    Value::Bool(false) => d.trim = Trim::None,
                    Value::String(s) => match s.as_str() {
                        "true" => d.trim = Trim::Both,
                        "false" => d.trim = Trim::None,
                        "start" => d.trim = Trim::Start,
                        "end" => d.trim = Trim::End,
                        _ => invalid = true,
                    },
                    _ => invalid = true,
                },
                _ => {
                    let mut sink = Vec::new();
                    self.other_property(ctx, key, value, &mut sink)?;
                }
            }
            if invalid {
                self.warn(
                    ctx,
                    format!("invalid dialect {key} {value}; using the default"),
                );
            }
        }
        d.header_row_count = match header_row_count {
            Some(n) => n,
            None if d.header => 1,
            None => 0,
        };
        if header_row_count.is_some() {
            d.header = d.header_row_count > 0;
        }
        Ok(DialectDesc {
            dialect: d,
            header_given,
        })
    }
}

/// Whether `name` is allowed as a column name (no leading `_`, URI-template variable syntax).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('_')
        && name.split('%').enumerate().all(|(i, part)| {
            let rest = if i == 0 {
                part
            } else {
                if part.len() < 2 || !part[..2].chars().all(|c| c.is_ascii_hexdigit()) {
                    return false;
                }
                &part[2..]
            };
            rest.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
}

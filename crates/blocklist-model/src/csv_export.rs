//! CSV exports through `opendata-csv`: the decree CSV and the extended CSV for providers, each
//! with its CSVW metadata.

use std::io::Write;

use opendata_csv::{Cell, Column, CsvWriter, Datatype, TableMetadata, TableSchema};

use crate::list::UnifiedList;

/// The decree CSV's header, exactly as ČTÚ publishes it.
pub const DECREE_HEADER: &str = "URL,DATUM_ZAPISU,DATUM_VYMAZU,ZDROJ,NAZEV_DATOVE_SADY";

/// The title of the unified list, as the law names it.
pub const LIST_TITLE: &str = "Jednotný seznam blokovaných internetových stránek";

/// A CSV export failed.
#[derive(Debug, thiserror::Error)]
pub enum CsvExportError {
    /// Writing a row failed (I/O, or a cell `opendata-csv` refused).
    #[error("writing the CSV: {0}")]
    Write(#[from] opendata_csv::WriteError),
    /// The built-in schema was refused (a bug in this crate).
    #[error("the built-in table schema is invalid: {0}")]
    Schema(#[from] opendata_csv::SchemaError),
    /// Writing the metadata failed.
    #[error("writing the CSVW metadata: {0}")]
    Io(#[from] std::io::Error),
}

fn decree_columns() -> [Column; 5] {
    [
        Column::new("url", "URL", Datatype::String)
            .required()
            .description("Adresa internetové stránky tak, jak ji zveřejnil orgán vedoucí lokální seznam."),
        Column::new("datum_zapisu", "DATUM_ZAPISU", Datatype::Date)
            .required()
            .description("Datum zápisu internetové stránky na lokální seznam."),
        Column::new("datum_vymazu", "DATUM_VYMAZU", Datatype::Date)
            .description("Datum výmazu zápisu ze seznamu; prázdné, dokud zápis trvá."),
        Column::new("zdroj", "ZDROJ", Datatype::String)
            .required()
            .description("Orgán, který vede lokální seznam."),
        Column::new("nazev_datove_sady", "NAZEV_DATOVE_SADY", Datatype::String)
            .required()
            .description("Název datové sady, pod kterou je lokální seznam zveřejněn v Národním katalogu otevřených dat."),
    ]
}

/// The decree CSV's table schema (`URL,DATUM_ZAPISU,DATUM_VYMAZU,ZDROJ,NAZEV_DATOVE_SADY`).
///
/// No primary key is declared: a host listed by two authorities, and a re-listing, are separate
/// rows by design, and no published column set is guaranteed unique.
pub fn decree_schema() -> Result<TableSchema, CsvExportError> {
    let mut b = TableSchema::builder();
    for c in decree_columns() {
        b = b.column(c);
    }
    Ok(b.build()?)
}

/// The extended CSV's schema: the decree columns plus `DOMENA` (normalised host),
/// `BLOKOVATELNE_DNS` and `PRAVNI_ZAKLAD`.
pub fn extended_schema() -> Result<TableSchema, CsvExportError> {
    let mut b = TableSchema::builder();
    for c in decree_columns() {
        b = b.column(c);
    }
    b = b
        .column(Column::new("domena", "DOMENA", Datatype::String).description(
            "Normalizovaný název domény: malá písmena, IDNA (punycode), bez schématu, portu, cesty a koncové tečky; prázdné, pokud adresa nemá platný název domény.",
        ))
        .column(
            Column::new("blokovatelne_dns", "BLOKOVATELNE_DNS", Datatype::Boolean)
                .required()
                .description("Zda lze zápis zablokovat v DNS (false, pokud adresa obsahuje cestu nebo IP adresu)."),
        )
        .column(
            Column::new("pravni_zaklad", "PRAVNI_ZAKLAD", Datatype::String)
                .description("Právní důvod zápisu, pokud jej lokální seznam uvádí."),
        );
    Ok(b.build()?)
}

/// Writes the decree CSV (UTF-8 without BOM, `,`, CRLF, ISO dates) in the list's order; returns
/// the number of rows written. Rows that differ only in the legal basis (not a decree column)
/// are written once.
pub fn write_decree_csv(list: &UnifiedList, out: impl Write) -> Result<u64, CsvExportError> {
    let schema = decree_schema()?;
    let mut w = CsvWriter::new(out, &schema)?;
    let mut previous: Option<&crate::Entry> = None;
    for e in list.entries() {
        // Rows that differ only in a field the decree CSV lacks (the legal basis) would print
        // as identical lines; they are adjacent in the list's order, and printed once.
        if previous.is_some_and(|p| same_decree_row(p, e)) {
            continue;
        }
        previous = Some(e);
        w.write_row(&[
            Cell::Text(e.url()),
            Cell::Date(e.entered()),
            Cell::from(e.removed()),
            Cell::Text(e.authority()),
            Cell::Text(e.dataset()),
        ])?;
    }
    let rows = w.rows_written();
    w.finish()?;
    Ok(rows)
}

fn same_decree_row(a: &crate::Entry, b: &crate::Entry) -> bool {
    a.url() == b.url()
        && a.entered() == b.entered()
        && a.removed() == b.removed()
        && a.source() == b.source()
}

/// Writes the extended CSV for providers in the list's order; returns the number of rows.
pub fn write_extended_csv(list: &UnifiedList, out: impl Write) -> Result<u64, CsvExportError> {
    let schema = extended_schema()?;
    let mut w = CsvWriter::new(out, &schema)?;
    for e in list.entries() {
        w.write_row(&[
            Cell::Text(e.url()),
            Cell::Date(e.entered()),
            Cell::from(e.removed()),
            Cell::Text(e.authority()),
            Cell::Text(e.dataset()),
            Cell::from(e.host()),
            Cell::Boolean(e.dns_blockable()),
            Cell::from(e.legal_basis()),
        ])?;
    }
    let rows = w.rows_written();
    w.finish()?;
    Ok(rows)
}

/// The decree CSV's CSVW metadata; `csv_url` is the CSV's (relative) URL. `dc:modified` is the
/// date the list is valid as of. Add the publisher with [`TableMetadata::publisher`].
pub fn decree_metadata(list: &UnifiedList, csv_url: &str) -> Result<TableMetadata, CsvExportError> {
    Ok(TableMetadata::new(csv_url, LIST_TITLE, decree_schema()?)
        .description(format!(
            "Jednotný seznam blokovaných internetových stránek podle § 115b zákona č. 127/2005 Sb. a vyhlášky č. 569/2025 Sb., platný k {}.",
            list.valid_as_of()
        ))
        .modified(list.valid_as_of()))
}

/// The extended CSV's CSVW metadata.
pub fn extended_metadata(
    list: &UnifiedList,
    csv_url: &str,
) -> Result<TableMetadata, CsvExportError> {
    Ok(TableMetadata::new(
        csv_url,
        format!("{LIST_TITLE} – rozšířený výstup pro poskytovatele"),
        extended_schema()?,
    )
    .description(format!(
        "Jednotný seznam blokovaných internetových stránek platný k {}, doplněný o normalizovaný název domény, příznak blokovatelnosti v DNS a právní důvod zápisu.",
        list.valid_as_of()
    ))
    .modified(list.valid_as_of()))
}

/// Writes metadata JSON to `out`.
pub fn write_metadata(metadata: &TableMetadata, mut out: impl Write) -> Result<(), CsvExportError> {
    out.write_all(metadata.to_json().as_bytes())?;
    out.flush()?;
    Ok(())
}

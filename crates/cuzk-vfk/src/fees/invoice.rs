//! A quote as an invoice table in the Czech open-data CSV standard (through `opendata-csv`).

use std::io::Write;

use opendata_csv::{
    Cell, Column, CsvWriter, Datatype, SchemaError, TableMetadata, TableSchema, WriteError,
};

use super::quote::{OrderKind, Quote};

/// The invoice table: one row per priced delivery (and one for an order-level minimum).
pub fn invoice_schema() -> Result<TableSchema, SchemaError> {
    TableSchema::builder()
        .column(Column::new("poradi", "pořadí", Datatype::Integer).required())
        .column(Column::new("zakaznik", "zákazník", Datatype::String).required())
        .column(Column::new("rozsah", "rozsah", Datatype::String).required())
        .column(Column::new("datum_objednavky", "datum_objednávky", Datatype::Date).required())
        .column(
            Column::new("dodavka", "dodávka", Datatype::String)
                .required()
                .description("Stavová data k datu nebo měsíc změnových dat"),
        )
        .column(
            Column::new("polozky", "položky_přílohy_6", Datatype::String).description(
                "Položky přílohy 6 vyhlášky č. 358/2013 Sb. použité pro základní úplatu",
            ),
        )
        .column(Column::new("pocet_mj", "počet_MJ", Datatype::Integer).required())
        .column(Column::new("jpv", "s_JPV", Datatype::Boolean).required())
        .column(Column::new(
            "zakladni_uplata",
            "základní_úplata_Kč",
            Datatype::Decimal,
        ))
        .column(Column::new("pravidlo", "pravidlo", Datatype::String).required())
        .column(Column::new("procento", "procento", Datatype::Decimal))
        .column(Column::new("vypocteno", "vypočteno_Kč", Datatype::Decimal))
        .column(Column::new(
            "minimum",
            "uplatněné_minimum_Kč",
            Datatype::Decimal,
        ))
        .column(Column::new("castka", "částka_Kč", Datatype::Decimal).required())
        .column(
            Column::new("predpis", "předpis", Datatype::String)
                .required()
                .description("Znění vyhlášky č. 358/2013 Sb. účinné v den objednávky"),
        )
        .primary_key(["poradi"])
        .build()
}

/// Error writing an invoice.
#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    /// The invoice schema was rejected (a bug in this crate).
    #[error("invoice schema: {0}")]
    Schema(#[from] SchemaError),
    /// Writing failed.
    #[error("invoice CSV: {0}")]
    Write(#[from] WriteError),
}

/// Writes the invoice rows of a quote; returns the writer.
pub fn write_invoice_csv<W: Write>(quote: &Quote, out: W) -> Result<W, InvoiceError> {
    let schema = invoice_schema()?;
    let mut writer = CsvWriter::new(out, &schema)?;
    let ordered_on = quote.order.ordered_on;
    let mj = i64::try_from(quote.mj).unwrap_or(i64::MAX);
    let mut row_no = 0i64;
    for line in &quote.lines {
        row_no += 1;
        let items = line
            .base_fee
            .bands
            .iter()
            .map(|b| b.band.item.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        writer.write_row(&[
            Cell::Integer(row_no),
            Cell::Text(quote.order.customer.trim()),
            Cell::Text(quote.order.scope.trim()),
            Cell::Date(ordered_on),
            Cell::Text(&line.delivery),
            Cell::Text(&items),
            Cell::Integer(mj),
            Cell::Boolean(quote.jpv),
            Cell::Decimal(line.base_fee.amount_czk),
            Cell::Text(line.rule.label_cs()),
            Cell::Decimal(line.percentage),
            Cell::Decimal(line.computed_czk),
            Cell::from(line.minimum_applied_czk),
            Cell::Decimal(line.amount_czk),
            Cell::Text(quote.rule_set.title),
        ])?;
    }
    if let Some(adjustment) = quote.order_minimum_adjustment_czk {
        row_no += 1;
        let minimum = quote.order_minimum_czk.unwrap_or_default();
        let minimum_label = format!("minimální cena aktualizace {minimum} Kč");
        let delivery = match quote.order.kind {
            OrderKind::State { .. } => "doplatek do minimální ceny aktualizace",
            OrderKind::Change { .. } => "doplatek do minimální ceny aktualizace za objednávku",
        };
        writer.write_row(&[
            Cell::Integer(row_no),
            Cell::Text(quote.order.customer.trim()),
            Cell::Text(quote.order.scope.trim()),
            Cell::Date(ordered_on),
            Cell::Text(delivery),
            Cell::Empty,
            Cell::Integer(mj),
            Cell::Boolean(quote.jpv),
            Cell::Empty,
            Cell::Text(&minimum_label),
            Cell::Empty,
            Cell::Empty,
            Cell::Decimal(minimum),
            Cell::Decimal(adjustment),
            Cell::Text(quote.rule_set.title),
        ])?;
    }
    Ok(writer.finish()?)
}

/// CSVW metadata describing an invoice file.
pub fn invoice_metadata(csv_file_name: &str, quote: &Quote) -> Result<TableMetadata, SchemaError> {
    Ok(TableMetadata::new(
        csv_file_name,
        "Vyúčtování úplaty za data VFK pro šíření",
        invoice_schema()?,
    )
    .description(format!(
        "Úplata podle přílohy 6: {} (účinné od {}), a FAQ ČÚZK – Šíření; zaokrouhlení: {}",
        quote.rule_set.title, quote.rule_set.in_force_from, quote.rounding
    ))
    .modified(quote.order.ordered_on))
}

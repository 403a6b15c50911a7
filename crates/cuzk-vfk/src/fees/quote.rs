//! Orders, a customer's order history and the quote for the next order.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::rounding::RoundingPolicy;
use super::rule_set::{NoRuleSet, RuleSet, RuleSetRef, RuleSets};
use super::rules::{
    ContinuityRule, PSEUDONYM_VALIDITY_YEARS, PercentageBase, PricingRule, UpdateMinimumScope,
    months_in_period,
};
use super::tariff::BaseFee;

/// What an order asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrderKind {
    /// State data (stavová data) as of a date.
    State {
        /// The date the data are valid for.
        as_of: NaiveDate,
    },
    /// Change data (změnová data) for the half-open period `[from, to)`;
    /// `to` is the date of the state the changes lead to.
    Change {
        /// First day of the period.
        from: NaiveDate,
        /// End of the period (state date after the changes).
        to: NaiveDate,
    },
}

impl OrderKind {
    /// The earliest date of the data asked for.
    pub fn first_data_date(&self) -> NaiveDate {
        match *self {
            Self::State { as_of } => as_of,
            Self::Change { from, .. } => from,
        }
    }

    /// The state date the customer's data reach after this order.
    pub fn data_until(&self) -> NaiveDate {
        match *self {
            Self::State { as_of } => as_of,
            Self::Change { to, .. } => to,
        }
    }
}

/// One order of a customer for a scope (rozsah: a set of k.ú. with or without JPV).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// Customer identifier (as the distributor keeps it).
    pub customer: String,
    /// Scope identifier; orders of the same scope are "aktualizace stejného rozsahu".
    pub scope: String,
    /// The day the order (žádost) was made; it decides the calendar year.
    pub ordered_on: NaiveDate,
    /// State or change data.
    #[serde(flatten)]
    pub kind: OrderKind,
    /// MJ of the scope (for change data: of the state at the end of the period).
    /// `None` = the MJ of the scope's last order.
    pub mj: Option<u64>,
    /// Whether the data are SPI with JPV. `None` = as the scope's last order.
    pub jpv: Option<bool>,
    /// Line in the history file, for error messages.
    #[serde(skip)]
    pub source_line: Option<u64>,
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.source_line {
            write!(f, "line {line}: ")?;
        }
        write!(
            f,
            "order of {}/{} on {}",
            self.customer, self.scope, self.ordered_on
        )
    }
}

/// Error in a quote request or the order history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuoteError {
    /// The data asked for are older than one year before the order.
    #[error(
        "{order}: data from {data_date} are more than one year back (earliest allowed {earliest}); ČÚZK FAQ – Šíření: „maximálně však rok zpět“"
    )]
    TooFarBack {
        /// The order.
        order: String,
        /// Its first data date.
        data_date: NaiveDate,
        /// The earliest allowed date.
        earliest: NaiveDate,
    },
    /// Orders of a scope are not in chronological order.
    #[error(
        "{order}: dates out of order: ordered on {ordered_on}, before the previous order of the same scope on {previous}"
    )]
    DatesOutOfOrder {
        /// The order.
        order: String,
        /// Its order date.
        ordered_on: NaiveDate,
        /// The previous order's date.
        previous: NaiveDate,
    },
    /// A change-data period that ends before it starts.
    #[error("{order}: change data period {from} – {to} is empty or reversed")]
    InvalidPeriod {
        /// The order.
        order: String,
        /// Start.
        from: NaiveDate,
        /// End.
        to: NaiveDate,
    },
    /// Change data or an order without MJ for a scope with no earlier order.
    #[error("{order}: unknown scope {scope:?} of customer {customer:?}: {why}")]
    UnknownScope {
        /// The order.
        order: String,
        /// Customer.
        customer: String,
        /// Scope.
        scope: String,
        /// What needed the history.
        why: &'static str,
    },
    /// Change data that do not continue from the customer's data.
    #[error(
        "{order}: change data from {from} do not continue the customer's data, which reach {data_until}; the gap needs state data"
    )]
    ChangeDataGap {
        /// The order.
        order: String,
        /// Start of the change period.
        from: NaiveDate,
        /// State date reached by the previous orders.
        data_until: NaiveDate,
    },
    /// JPV differs from the scope's earlier orders.
    #[error(
        "{order}: JPV {jpv} differs from the earlier orders of the scope; SPI with JPV is a different scope (ČÚZK FAQ – Šíření: the JPV data start with state data)"
    )]
    JpvChanged {
        /// The order.
        order: String,
        /// JPV of this order.
        jpv: bool,
    },
    /// No rule set is known for the day the order was placed.
    #[error("{order}: {known}; orders placed before that day cannot be priced")]
    NoRuleSet {
        /// The order.
        order: String,
        /// Which rule sets are known.
        known: NoRuleSet,
    },
}

/// One priced delivery of a quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteLine {
    /// What is delivered, in Czech, e.g. `stavová data k 2019-04-01` or `změnová data 2019-04`.
    pub delivery: String,
    /// The calendar month of change data.
    pub month: Option<String>,
    /// The rule applied.
    pub rule: PricingRule,
    /// Its percentage of the base fee.
    pub percentage: Decimal,
    /// The source of the rule.
    pub rule_source: &'static str,
    /// The source of the minimum compared with the rounded amount.
    pub minimum_source: &'static str,
    /// The base fee with its bands.
    pub base_fee: BaseFee,
    /// `percentage × base fee`, exact.
    pub computed_czk: Decimal,
    /// `computed_czk` after the rounding policy.
    pub rounded_czk: Decimal,
    /// The minimum that raised the amount, if one did.
    pub minimum_applied_czk: Option<Decimal>,
    /// The amount charged.
    pub amount_czk: Decimal,
}

/// The price of an order with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quote {
    /// The order priced.
    pub order: Order,
    /// The rule set in force on the order date, which priced the order.
    pub rule_set: RuleSetRef,
    /// MJ used.
    pub mj: u64,
    /// JPV used.
    pub jpv: bool,
    /// Earlier orders of the same customer and scope that were considered.
    pub history_orders: usize,
    /// Priced deliveries.
    pub lines: Vec<QuoteLine>,
    /// With [`UpdateMinimumScope::PerOrder`]: the amount added to reach the update minimum.
    pub order_minimum_adjustment_czk: Option<Decimal>,
    /// With [`UpdateMinimumScope::PerOrder`]: the update minimum that was reached.
    pub order_minimum_czk: Option<Decimal>,
    /// Total in Kč.
    pub total_czk: Decimal,
    /// The rounding policy's name.
    pub rounding: String,
    /// Warnings that do not change the price.
    pub notices: Vec<String>,
}

/// The fee engine: the dated rule sets plus the policies for what the sources leave open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeeEngine {
    /// The rule sets; a quote uses the one in force on the order date.
    pub rule_sets: RuleSets,
    /// Rounding of charged lines.
    pub rounding: RoundingPolicy,
    /// When continuity counts as broken.
    pub continuity: ContinuityRule,
    /// Where the update minimum applies.
    pub update_minimum: UpdateMinimumScope,
    /// Whether percentages apply to the exact or the rounded base fee.
    pub percentage_base: PercentageBase,
}

impl FeeEngine {
    /// The rule set in force on `date`.
    pub fn rules_on(&self, date: NaiveDate) -> Result<&RuleSet, NoRuleSet> {
        self.rule_sets.on(date)
    }

    /// Prices one delivery under a rule of `rules`.
    pub fn charge(
        &self,
        rules: &RuleSet,
        rule: PricingRule,
        mj: u64,
        jpv: bool,
        delivery: String,
        month: Option<String>,
    ) -> QuoteLine {
        self.charge_with_minimum(rules, rule, mj, jpv, delivery, month, true)
    }

    #[allow(clippy::too_many_arguments)]
    fn charge_with_minimum(
        &self,
        rules: &RuleSet,
        rule: PricingRule,
        mj: u64,
        jpv: bool,
        delivery: String,
        month: Option<String>,
        apply_minimum: bool,
    ) -> QuoteLine {
        let base_fee = rules.tariff.value.base_fee(mj, jpv);
        let percentage = rules.percentage(rule).value;
        let of = match self.percentage_base {
            PercentageBase::ExactBaseFee => base_fee.amount_czk,
            PercentageBase::RoundedBaseFee => self.rounding.round(base_fee.amount_czk),
        };
        let computed = (of * percentage / Decimal::ONE_HUNDRED).normalize();
        let rounded = self.rounding.round(computed);
        let minimum = rules.minimum(rule);
        // The minimum is compared with the rounded amount (the charged line).
        let (amount, minimum_applied) = if apply_minimum && rounded < minimum.value {
            (self.rounding.round(minimum.value), Some(minimum.value))
        } else {
            (rounded, None)
        };
        QuoteLine {
            delivery,
            month,
            rule,
            percentage,
            rule_source: rules.source_of(rule).citation,
            minimum_source: minimum.source.citation,
            base_fee,
            computed_czk: computed,
            rounded_czk: rounded,
            minimum_applied_czk: minimum_applied,
            amount_czk: amount,
        }
    }

    /// Prices `order` given the history of all customers (only the orders of
    /// the same customer and scope matter; they must be in chronological order).
    pub fn quote(&self, history: &[Order], order: &Order) -> Result<Quote, QuoteError> {
        let past: Vec<&Order> = history
            .iter()
            .filter(|o| o.customer == order.customer && o.scope == order.scope)
            .collect();
        for (i, o) in past.iter().enumerate() {
            // Earlier orders placed under unknown rules still count for continuity
            // (ČÚZK FAQ – Šíření: "Novelou vyhlášky nárok na uplatnění slevy nezaniká").
            if let Ok(rules) = self.rules_on(o.ordered_on) {
                check_order_alone(rules, o)?;
            } else {
                check_period(o)?;
            }
            if let Some(prev) = i.checked_sub(1).and_then(|p| past.get(p).copied()) {
                check_sequence(prev, o)?;
            }
        }
        let rules = self
            .rules_on(order.ordered_on)
            .map_err(|known| QuoteError::NoRuleSet {
                order: order.to_string(),
                known,
            })?;
        check_order_alone(rules, order)?;
        if let Some(prev) = past.last() {
            check_sequence(prev, order)?;
        }
        let unknown = |why| QuoteError::UnknownScope {
            order: order.to_string(),
            customer: order.customer.clone(),
            scope: order.scope.clone(),
            why,
        };
        let last = past.last();
        let Some(mj) = order.mj.or_else(|| last.and_then(|o| o.mj)) else {
            return Err(unknown(
                "no MJ given and no earlier order to take them from",
            ));
        };
        let scope_jpv = past.iter().rev().find_map(|o| o.jpv);
        let jpv = order.jpv.or(scope_jpv).unwrap_or(false);
        if scope_jpv.is_some_and(|s| s != jpv) {
            return Err(QuoteError::JpvChanged {
                order: order.to_string(),
                jpv,
            });
        }
        let mut notices = Vec::new();
        let data_until = past.iter().map(|o| o.kind.data_until()).max();
        if let OrderKind::Change { from, to } = order.kind {
            let Some(data_until) = data_until else {
                return Err(unknown(
                    "change data need an earlier purchase of state data of the same scope",
                ));
            };
            if from > data_until {
                return Err(QuoteError::ChangeDataGap {
                    order: order.to_string(),
                    from,
                    data_until,
                });
            }
            if let Some(renewed) = past
                .iter()
                .filter_map(|o| match o.kind {
                    OrderKind::State { as_of } => Some(as_of),
                    OrderKind::Change { .. } => None,
                })
                .max()
            {
                let expiry = renewed
                    .checked_add_months(Months::new(12 * PSEUDONYM_VALIDITY_YEARS))
                    .unwrap_or(NaiveDate::MAX);
                if to > expiry {
                    notices.push(format!(
                        "pseudonymised identifiers (POSIdent) from the state data of {renewed} expire after {PSEUDONYM_VALIDITY_YEARS} years ({expiry}); order state data to renew them (ČÚZK FAQ – Šíření)"
                    ));
                }
            }
        }

        let deliveries: Vec<(String, Option<String>)> = match order.kind {
            OrderKind::State { as_of } => vec![(format!("stavová data k {as_of}"), None)],
            OrderKind::Change { from, to } => months_in_period(from, to)
                .into_iter()
                .map(|(y, m)| {
                    (
                        format!("změnová data {y}-{m:02}"),
                        Some(format!("{y}-{m:02}")),
                    )
                })
                .collect(),
        };
        let per_order_minimum = self.update_minimum == UpdateMinimumScope::PerOrder;
        let mut previous_purchase = last.map(|o| o.ordered_on);
        let mut lines = Vec::new();
        for (delivery, month) in deliveries {
            let rule = match previous_purchase {
                None => PricingRule::FirstPurchase,
                Some(prev) if self.continuity.is_broken(prev, order.ordered_on) => {
                    PricingRule::ContinuityBroken
                }
                Some(prev) if prev.year() == order.ordered_on.year() => PricingRule::UpdateSameYear,
                Some(_) => PricingRule::FirstUpdateInNewYear,
            };
            let apply_minimum = rule.is_full_purchase() || !per_order_minimum;
            lines.push(self.charge_with_minimum(
                rules,
                rule,
                mj,
                jpv,
                delivery,
                month,
                apply_minimum,
            ));
            previous_purchase = Some(order.ordered_on);
        }
        let mut total: Decimal = lines.iter().map(|l| l.amount_czk).sum();
        let mut adjustment = None;
        if per_order_minimum {
            let updates: Decimal = lines
                .iter()
                .filter(|l| !l.rule.is_full_purchase())
                .map(|l| l.amount_czk)
                .sum();
            let has_updates = lines.iter().any(|l| !l.rule.is_full_purchase());
            let minimum = rules.minimum_update_czk.value;
            if has_updates && updates < minimum {
                let add = self.rounding.round(minimum - updates);
                total += add;
                adjustment = Some(add);
            }
        }
        if let Some(gap_start) = data_until
            && let OrderKind::State { as_of } = order.kind
            && as_of < gap_start
        {
            notices.push(format!(
                "state data as of {as_of} are older than the data the customer already has ({gap_start})"
            ));
        }
        Ok(Quote {
            order: order.clone(),
            rule_set: rules.reference(),
            mj,
            jpv,
            history_orders: past.len(),
            lines,
            order_minimum_adjustment_czk: adjustment,
            order_minimum_czk: adjustment.map(|_| rules.minimum_update_czk.value),
            total_czk: total,
            rounding: self.rounding.name(),
            notices,
        })
    }
}

/// Checks that an order is consistent on its own under `rules` (period, one year back).
fn check_order_alone(rules: &RuleSet, order: &Order) -> Result<(), QuoteError> {
    check_period(order)?;
    let earliest = rules.earliest_data_date(order.ordered_on);
    let data_date = order.kind.first_data_date();
    if data_date < earliest {
        return Err(QuoteError::TooFarBack {
            order: order.to_string(),
            data_date,
            earliest,
        });
    }
    Ok(())
}

fn check_period(order: &Order) -> Result<(), QuoteError> {
    if let OrderKind::Change { from, to } = order.kind
        && to <= from
    {
        return Err(QuoteError::InvalidPeriod {
            order: order.to_string(),
            from,
            to,
        });
    }
    Ok(())
}

fn check_sequence(previous: &Order, order: &Order) -> Result<(), QuoteError> {
    if order.ordered_on < previous.ordered_on {
        return Err(QuoteError::DatesOutOfOrder {
            order: order.to_string(),
            ordered_on: order.ordered_on,
            previous: previous.ordered_on,
        });
    }
    Ok(())
}

/// Error reading an order history or an order specification.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The CSV could not be read.
    #[error("{source_name}: {error}")]
    Csv {
        /// File or argument name.
        source_name: String,
        /// Cause.
        error: csv::Error,
    },
    /// A row or specification is invalid.
    #[error("{source_name}: {location}: {message}")]
    Invalid {
        /// File or argument name.
        source_name: String,
        /// `line N` or `order`.
        location: String,
        /// What is wrong.
        message: String,
    },
}

/// Column names accepted for each order field (English and Czech).
const FIELD_NAMES: &[(&str, &[&str])] = &[
    ("customer", &["customer", "zakaznik", "zákazník"]),
    ("scope", &["scope", "rozsah"]),
    (
        "ordered_on",
        &["ordered_on", "datum_objednavky", "datum_objednávky", "date"],
    ),
    ("kind", &["kind", "druh", "typ"]),
    (
        "valid_from",
        &["valid_from", "platnost_od", "from", "as_of", "k_datu"],
    ),
    ("valid_to", &["valid_to", "platnost_do", "to"]),
    ("mj", &["mj", "pocet_mj", "počet_mj"]),
    ("jpv", &["jpv"]),
];

fn canonical_field(name: &str) -> Option<&'static str> {
    let n = name.trim().to_lowercase();
    FIELD_NAMES
        .iter()
        .find(|(_, aliases)| aliases.contains(&n.as_str()))
        .map(|(canonical, _)| *canonical)
}

/// Builds an order from named fields (CSV row or `key=value` specification).
pub fn order_from_fields(
    fields: &HashMap<&'static str, String>,
    source_line: Option<u64>,
) -> Result<Order, String> {
    let get = |k: &str| fields.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let required = |k: &'static str| get(k).ok_or_else(|| format!("missing field {k}"));
    let customer = required("customer")?.to_owned();
    let scope = required("scope")?.to_owned();
    let ordered_on = parse_date(required("ordered_on")?).map_err(|e| format!("ordered_on: {e}"))?;
    let kind_text = required("kind")?.to_lowercase();
    let from = get("valid_from")
        .map(parse_date)
        .transpose()
        .map_err(|e| format!("valid_from: {e}"))?;
    let to = get("valid_to")
        .map(parse_date)
        .transpose()
        .map_err(|e| format!("valid_to: {e}"))?;
    let kind = match kind_text.as_str() {
        "state" | "stavova" | "stavová" | "s" => {
            let as_of = match (from, to) {
                (Some(f), Some(t)) if f != t => {
                    return Err(format!(
                        "state data have one date, got valid_from {f} and valid_to {t}"
                    ));
                }
                (Some(d), _) | (None, Some(d)) => d,
                (None, None) => {
                    return Err("state data need valid_from (the date of the state)".to_owned());
                }
            };
            OrderKind::State { as_of }
        }
        "change" | "zmenova" | "změnová" | "z" => match (from, to) {
            (Some(from), Some(to)) => OrderKind::Change { from, to },
            _ => return Err("change data need valid_from and valid_to".to_owned()),
        },
        other => {
            return Err(format!(
                "kind {other:?} is neither state (stavová) nor change (změnová)"
            ));
        }
    };
    let mj = get("mj")
        .map(|s| s.replace([' ', '\u{a0}'], "").parse::<u64>())
        .transpose()
        .map_err(|_| {
            format!(
                "mj {:?} is not a whole number",
                get("mj").unwrap_or_default()
            )
        })?;
    let jpv = get("jpv").map(parse_bool).transpose()?;
    Ok(Order {
        customer,
        scope,
        ordered_on,
        kind,
        mj,
        jpv,
        source_line,
    })
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_lowercase().as_str() {
        "1" | "true" | "yes" | "ano" | "s jpv" | "y" | "a" => Ok(true),
        "0" | "false" | "no" | "ne" | "bez jpv" | "n" => Ok(false),
        _ => Err(format!("jpv {s:?} is not yes/no (ano/ne, 1/0)")),
    }
}

/// Parses `YYYY-MM-DD` or the Czech `d.m.yyyy`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&s.replace(' ', ""), "%d.%m.%Y"))
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD or d.m.yyyy)"))
}

/// Reads an order history CSV (header row; `,` or `;` separated; UTF-8).
///
/// Columns (English or Czech names): `customer`/`zakaznik`, `scope`/`rozsah`,
/// `ordered_on`/`datum_objednavky`, `kind`/`druh` (`state`/`stavová` or
/// `change`/`změnová`), `valid_from`/`platnost_od`, `valid_to`/`platnost_do`,
/// `mj`, `jpv`.
pub fn read_history<R: Read>(input: R, source_name: &str) -> Result<Vec<Order>, HistoryError> {
    let mut data = Vec::new();
    let mut input = input;
    input
        .read_to_end(&mut data)
        .map_err(|e| HistoryError::Csv {
            source_name: source_name.to_owned(),
            error: e.into(),
        })?;
    let first_line = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let delimiter = if first_line.iter().filter(|&&b| b == b';').count()
        > first_line.iter().filter(|&&b| b == b',').count()
    {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(data.as_slice());
    let csv_err = |error| HistoryError::Csv {
        source_name: source_name.to_owned(),
        error,
    };
    let headers = reader.headers().map_err(csv_err)?.clone();
    let mut columns = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim_start_matches('\u{feff}');
        match canonical_field(h) {
            Some(c) => columns.push((i, c)),
            None => {
                return Err(HistoryError::Invalid {
                    source_name: source_name.to_owned(),
                    location: "line 1".to_owned(),
                    message: format!("unknown column {h:?}"),
                });
            }
        }
    }
    let mut orders = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_err)?;
        let line = record.position().map_or(0, |p| p.line());
        let mut fields = HashMap::new();
        for &(i, name) in &columns {
            fields.insert(name, record.get(i).unwrap_or("").to_owned());
        }
        let order =
            order_from_fields(&fields, Some(line)).map_err(|message| HistoryError::Invalid {
                source_name: source_name.to_owned(),
                location: format!("line {line}"),
                message,
            })?;
        orders.push(order);
    }
    Ok(orders)
}

/// Parses an order specification `key=value,key=value,…` with the history's column names.
pub fn parse_order_spec(spec: &str) -> Result<Order, HistoryError> {
    let invalid = |message: String| HistoryError::Invalid {
        source_name: "--order".to_owned(),
        location: "order".to_owned(),
        message,
    };
    let mut fields = HashMap::new();
    for part in spec
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| invalid(format!("{part:?} is not key=value")))?;
        let name = canonical_field(key).ok_or_else(|| invalid(format!("unknown field {key:?}")))?;
        fields.insert(name, value.trim().to_owned());
    }
    order_from_fields(&fields, None).map_err(invalid)
}

//! ČÚZK fees for distributors (šiřitelé) of VFK data: base fee, update rules, quotes.
//!
//! * [`tariff`]: the base fee of vyhláška 358/2013 Sb., příloha 6, items 6001–6006 (marginal bands).
//! * [`rule_set`]: the dated rule sets (tariff, 100 % / 3 % / 20 %, minimums, one year back,
//!   JPV), each rule with its legal source and the date it applies from.
//! * [`rules`]: which rule prices a delivery, continuity, months of change data.
//! * [`rounding`]: the rounding policy (default whole crowns, half up, as ČÚZK quotes).
//! * [`invoice`]: a quote as a standard open-data CSV (via `opendata-csv`).
//! * [`quote`]: orders, history and the itemised price of the next order.
//!
//! All amounts are exact decimals ([`rust_decimal::Decimal`]), never floats.

pub mod invoice;
pub mod quote;
pub mod rounding;
pub mod rule_set;
pub mod rules;
pub mod tariff;

pub use invoice::{InvoiceError, invoice_metadata, invoice_schema, write_invoice_csv};
pub use quote::{FeeEngine, HistoryError, Order, OrderKind, Quote, QuoteError, QuoteLine};
pub use rounding::{ROUNDING_SOURCE, RoundingMode, RoundingPolicy};
pub use rule_set::{NoRuleSet, Rule, RuleEntry, RuleSet, RuleSetRef, RuleSets, Source};
pub use rules::{ContinuityRule, PercentageBase, PricingRule, UpdateMinimumScope};
pub use tariff::{BaseFee, Tariff};

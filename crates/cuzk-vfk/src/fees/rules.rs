//! The pricing rules for state and change data, each tied to its source.

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

/// Which rule prices a delivery (the percentages and minimums are in the
/// [`RuleSet`](super::rule_set::RuleSet) in force on the order date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PricingRule {
    /// 100 % of the base fee, at least the minimum base fee.
    ///
    /// ČÚZK FAQ – Šíření: "Prvotní odběr dat VFK je zpoplatněn 100% základní úplaty."
    FirstPurchase,
    /// 3 % of the base fee, at least the minimum update price.
    ///
    /// ČÚZK FAQ – Šíření: "Jakákoliv následující aktualizace dat (stejného
    /// rozsahu) ve stejném kalendářním roce je zpoplatněna 3% základní úplaty."
    UpdateSameYear,
    /// 20 % of the base fee, at least the minimum update price.
    ///
    /// ČÚZK FAQ – Šíření: "První aktualizace v novém kalendářním roce je
    /// zpoplatněna 20% základní úplaty."
    FirstUpdateInNewYear,
    /// 100 % again: the discount for updates is lost.
    ///
    /// ČÚZK FAQ – Šíření: "Slevu za aktualizaci dat lze poskytnout za
    /// předpokladu, že není přerušena roční kontinuita v odběru dat."
    ContinuityBroken,
}

impl PricingRule {
    /// Whether the minimum base fee (500 Kč) applies, rather than the minimum update price (100 Kč).
    pub fn is_full_purchase(self) -> bool {
        matches!(self, Self::FirstPurchase | Self::ContinuityBroken)
    }

    /// Short Czech label for invoices.
    pub fn label_cs(self) -> &'static str {
        match self {
            Self::FirstPurchase => "prvotní odběr (100 %)",
            Self::UpdateSameYear => "aktualizace ve stejném kalendářním roce (3 %)",
            Self::FirstUpdateInNewYear => "první aktualizace v novém kalendářním roce (20 %)",
            Self::ContinuityBroken => "přerušená roční kontinuita, odběr jako prvotní (100 %)",
        }
    }
}

/// When the annual continuity of purchases counts as broken.
///
/// **Assumption.** The FAQ only says "roční kontinuita v odběru dat". The
/// default reads it by calendar years, as the 3 %/20 % rules themselves are
/// defined by calendar years: continuity holds while no whole calendar year
/// passes without a purchase of the scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContinuityRule {
    /// Broken when a whole calendar year passed without a purchase (default).
    #[default]
    CalendarYear,
    /// Broken when more than twelve months passed since the last purchase.
    TwelveMonths,
}

impl ContinuityRule {
    /// Whether an order on `now` breaks continuity after the last purchase on `last`.
    pub fn is_broken(self, last: NaiveDate, now: NaiveDate) -> bool {
        match self {
            Self::CalendarYear => now.year() > last.year() + 1,
            Self::TwelveMonths => last
                .checked_add_months(Months::new(12))
                .is_some_and(|limit| now > limit),
        }
    }
}

/// Where the 100 Kč minimum update price applies to change data.
///
/// **Assumption.** The FAQ says change data "se fakturují po jednotlivých
/// měsících" and "minimální cena aktualizace je 100 Kč"; the default treats
/// every invoiced month as one update, so the minimum applies per month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateMinimumScope {
    /// Each month of change data is an update with its own minimum (default).
    #[default]
    PerMonth,
    /// The minimum applies to the sum of the update lines of one order.
    PerOrder,
}

/// What the 3 % and 20 % of an update are taken of.
///
/// **Assumption.** The FAQ says "3% základní úplaty". ČÚZK quotes the base fee
/// in whole crowns, but no source says whether the percentage is applied to the
/// exact base fee or to the base fee as charged (rounded). The two differ by
/// 1 Kč for about 0.8 % of scopes at 3 % (e.g. 10 033 MJ without JPV: 3 % of
/// 8 016,50 Kč = 240,495 → 240 Kč; 3 % of 8 017 Kč = 240,51 → 241 Kč) and
/// never at 20 %.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PercentageBase {
    /// The exact base fee, as the bands give it (default).
    #[default]
    ExactBaseFee,
    /// The base fee after the rounding policy.
    RoundedBaseFee,
}

/// Pseudonymised identifiers of persons (POSIdent) stay valid at most this many years.
///
/// ČÚZK FAQ – Šíření: "Maximálně tři roky." State data renew them: "je možné
/// pro obnovení pseudonymizovaných identifikátorů OS použít v tříletém
/// intervalu stavová data VFK."
pub const PSEUDONYM_VALIDITY_YEARS: u32 = 3;

/// Calendar months touched by the half-open period `[from, to)`.
///
/// ČÚZK FAQ – Šíření: "Změnová data se fakturují po jednotlivých měsících v nich
/// obsažených", with the example 1.4.–1.6. = two months. A month that the
/// period only touches counts as a whole month (assumption: the ordering form
/// works in whole months, `verzeDat` with `rok` and `mesic`).
pub fn months_in_period(from: NaiveDate, to: NaiveDate) -> Vec<(i32, u32)> {
    let mut months = Vec::new();
    if to <= from {
        return months;
    }
    let (mut y, mut m) = (from.year(), from.month());
    let last = to.pred_opt().unwrap_or(to);
    while (y, m) <= (last.year(), last.month()) {
        months.push((y, m));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn months() {
        assert_eq!(
            months_in_period(d(2019, 4, 1), d(2019, 6, 1)),
            vec![(2019, 4), (2019, 5)]
        );
        assert_eq!(
            months_in_period(d(2019, 1, 1), d(2019, 1, 31)),
            vec![(2019, 1)]
        );
        assert_eq!(
            months_in_period(d(2019, 12, 1), d(2020, 2, 1)),
            vec![(2019, 12), (2020, 1)]
        );
        assert!(months_in_period(d(2019, 2, 1), d(2019, 2, 1)).is_empty());
    }

    #[test]
    fn continuity() {
        let r = ContinuityRule::CalendarYear;
        assert!(!r.is_broken(d(2019, 1, 1), d(2020, 12, 31)));
        assert!(r.is_broken(d(2019, 12, 31), d(2021, 1, 1)));
        let r = ContinuityRule::TwelveMonths;
        assert!(!r.is_broken(d(2019, 5, 1), d(2020, 5, 1)));
        assert!(r.is_broken(d(2019, 5, 1), d(2020, 5, 2)));
    }
}

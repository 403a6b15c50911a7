//! Dated rule sets: the fee rules in force on a date, each rule with its legal source.
//!
//! A quote uses the rule set in force on the day the order was placed
//! ([`RuleSets::on`]) and names it. An order placed before the first known rule
//! set cannot be priced ([`NoRuleSet`]).
//!
//! What is known about the wording of vyhláška č. 358/2013 Sb. over time:
//!
//! | act | in force from | what it did to the fees for VFK data (příloha 6) |
//! |---|---|---|
//! | 358/2013 Sb. | 2014-01-01 | the original annex; its notes could not be read. ČÚZK's page "Výpočet úplaty za poskytnutí hromadných dat" describes an earlier regime with the same rates (three more deliveries included, then 20/15/10/5 %), but the period it applied to is not established, so it is **not modelled** |
//! | 354/2015 Sb. | 2016-01-01 | amended §3–§8 (copies, outputs); a change to příloha 6 is not known |
//! | 256/2018 Sb. | 2019-01-01 | the current regime for distributors: 100 % / 3 % / 20 %, minimums 500 and 100 Kč, monthly change data, at most one year back (as ČÚZK's FAQ – Šíření explains it) |
//! | 50/2024 Sb. | 2024-07-01 | inserted §11a (distribution of data obtained by remote access); no change to příloha 6 is known: ČÚZK's annex page "v platném znění" and its 2024 information-act answer price by the same rates. Only point 1 of its Čl. I could be read, so this is not fully verified |
//!
//! The first rule set therefore starts on 2019-01-01. Every rule of both sets
//! carries the date from which its wording is established (2019-01-01).

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::rules::PricingRule;
use super::tariff::Tariff;
use crate::header::JPV_GROUPS;

/// Where a rule comes from: a citation (quoting the text where it is short) and an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The act, page or answer, with the quoted wording.
    pub citation: &'static str,
    /// Where it can be read.
    pub url: &'static str,
}

/// One rule: its value, the date from which it applies, and its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule<T> {
    /// The value (rates, a percentage, an amount, a limit).
    pub value: T,
    /// The first day on which this wording is established to apply.
    pub in_force_from: NaiveDate,
    /// The legal source.
    pub source: Source,
    /// What is uncertain about the rule or its date, if anything.
    pub note: Option<&'static str>,
}

/// What makes data "SPI s JPV" and which items of příloha 6 price them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JpvRule {
    /// Items of příloha 6 for SPI with JPV.
    pub items: [u16; 3],
    /// VFK data groups (`&HSKUPINA`) that make an export "s JPV".
    pub groups: [&'static str; 2],
}

/// The fee rules in force from one date until the next rule set starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSet {
    /// Short identifier, e.g. `358/2013+256/2018`.
    pub id: &'static str,
    /// The wording in force, as it is cited in Czech.
    pub title: &'static str,
    /// First day of the rule set.
    pub in_force_from: NaiveDate,
    /// The act that put this wording in force, and where its date is documented.
    pub enacted_by: Source,
    /// What is known and not known about the set.
    pub note: &'static str,
    /// Marginal bands of items 6001–6006.
    pub tariff: Rule<Tariff>,
    /// Percentage of the base fee for a first purchase (and after a break in continuity).
    pub first_purchase_percent: Rule<Decimal>,
    /// Percentage for any later update of the same scope in the same calendar year.
    pub update_same_year_percent: Rule<Decimal>,
    /// Percentage for the first update in a new calendar year.
    pub first_update_new_year_percent: Rule<Decimal>,
    /// The update discounts need unbroken annual continuity of purchases.
    pub continuity_required: Rule<bool>,
    /// Minimum base fee in Kč (first purchase).
    pub minimum_base_fee_czk: Rule<Decimal>,
    /// Minimum price of one update in Kč.
    pub minimum_update_czk: Rule<Decimal>,
    /// How many months back data may be ordered.
    pub data_back_limit_months: Rule<u32>,
    /// Change data are billed per calendar month, at the MJ of the state at the end.
    pub change_data_per_month: Rule<bool>,
    /// SPI with JPV: items and data groups.
    pub jpv: Rule<JpvRule>,
}

impl RuleSet {
    /// The percentage rule that prices a delivery under `rule`.
    pub fn percentage(&self, rule: PricingRule) -> &Rule<Decimal> {
        match rule {
            PricingRule::FirstPurchase | PricingRule::ContinuityBroken => {
                &self.first_purchase_percent
            }
            PricingRule::UpdateSameYear => &self.update_same_year_percent,
            PricingRule::FirstUpdateInNewYear => &self.first_update_new_year_percent,
        }
    }

    /// The minimum that applies to a delivery under `rule`.
    pub fn minimum(&self, rule: PricingRule) -> &Rule<Decimal> {
        if rule.is_full_purchase() {
            &self.minimum_base_fee_czk
        } else {
            &self.minimum_update_czk
        }
    }

    /// The source that explains why `rule` applies.
    pub fn source_of(&self, rule: PricingRule) -> Source {
        match rule {
            PricingRule::ContinuityBroken => self.continuity_required.source,
            other => self.percentage(other).source,
        }
    }

    /// The first date from which data may be ordered on `ordered_on`.
    ///
    /// One year back is the same day of the previous year (29 February → 28 February).
    pub fn earliest_data_date(&self, ordered_on: NaiveDate) -> NaiveDate {
        ordered_on
            .checked_sub_months(Months::new(self.data_back_limit_months.value))
            .unwrap_or(NaiveDate::MIN)
    }

    /// Every rule of the set as a row: name, value, first day, source and note.
    pub fn entries(&self) -> Vec<RuleEntry> {
        fn entry<T>(name: &'static str, value: String, rule: &Rule<T>) -> RuleEntry {
            RuleEntry {
                name,
                value,
                in_force_from: rule.in_force_from,
                source: rule.source,
                note: rule.note,
            }
        }
        let bands = |jpv: bool| {
            self.tariff
                .value
                .bands(jpv)
                .iter()
                .map(|b| match b.up_to_mj {
                    Some(up_to) => {
                        format!(
                            "{}: MJ {}–{} × {} Kč",
                            b.item, b.above_mj, up_to, b.rate_czk
                        )
                    }
                    None => format!("{}: MJ over {} × {} Kč", b.item, b.above_mj, b.rate_czk),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let percent = |rule: &Rule<Decimal>| format!("{} %", rule.value);
        let czk = |rule: &Rule<Decimal>| format!("{} Kč", rule.value);
        vec![
            entry("bands without JPV", bands(false), &self.tariff),
            entry("bands with JPV", bands(true), &self.tariff),
            entry(
                "first purchase",
                percent(&self.first_purchase_percent),
                &self.first_purchase_percent,
            ),
            entry(
                "update in the same calendar year",
                percent(&self.update_same_year_percent),
                &self.update_same_year_percent,
            ),
            entry(
                "first update in a new calendar year",
                percent(&self.first_update_new_year_percent),
                &self.first_update_new_year_percent,
            ),
            entry(
                "update discounts need annual continuity",
                self.continuity_required.value.to_string(),
                &self.continuity_required,
            ),
            entry(
                "minimum base fee",
                czk(&self.minimum_base_fee_czk),
                &self.minimum_base_fee_czk,
            ),
            entry(
                "minimum update",
                czk(&self.minimum_update_czk),
                &self.minimum_update_czk,
            ),
            entry(
                "data at most this far back",
                format!("{} months", self.data_back_limit_months.value),
                &self.data_back_limit_months,
            ),
            entry(
                "change data billed per month",
                self.change_data_per_month.value.to_string(),
                &self.change_data_per_month,
            ),
            entry(
                "SPI with JPV",
                format!(
                    "items {}; groups {}",
                    self.jpv.value.items.map(|i| i.to_string()).join(", "),
                    self.jpv.value.groups.join(", ")
                ),
                &self.jpv,
            ),
        ]
    }

    /// A short reference for quotes and invoices.
    pub fn reference(&self) -> RuleSetRef {
        RuleSetRef {
            id: self.id,
            title: self.title,
            in_force_from: self.in_force_from,
        }
    }
}

/// One rule of a set, for listings ([`RuleSet::entries`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleEntry {
    /// What the rule decides.
    pub name: &'static str,
    /// Its value, written out.
    pub value: String,
    /// The first day on which its wording is established to apply.
    pub in_force_from: NaiveDate,
    /// Its legal source.
    pub source: Source,
    /// What is uncertain about it.
    pub note: Option<&'static str>,
}

/// The rule set a quote used, by name and date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleSetRef {
    /// Short identifier.
    pub id: &'static str,
    /// The wording, cited in Czech.
    pub title: &'static str,
    /// First day of the rule set.
    pub in_force_from: NaiveDate,
}

/// No rule set is known for a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no fee rules are known for {date}: the earliest known rule set, {first_title} ({first_id}), is in force from {first_from}"
)]
pub struct NoRuleSet {
    /// The date asked for.
    pub date: NaiveDate,
    /// Identifier of the earliest known rule set.
    pub first_id: &'static str,
    /// Its title.
    pub first_title: &'static str,
    /// Its first day.
    pub first_from: NaiveDate,
}

/// Rule sets ordered by the date they come into force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSets(Vec<RuleSet>);

/// Rule sets that cannot be used together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetsError {
    /// No rule set at all.
    #[error("no rule sets given")]
    Empty,
    /// Two rule sets start on the same day.
    #[error("rule sets {0} and {1} both start on {2}")]
    SameStart(&'static str, &'static str, NaiveDate),
}

impl Default for RuleSets {
    fn default() -> Self {
        Self::known()
    }
}

impl RuleSets {
    /// Rule sets in any order; each is in force until the next one starts.
    pub fn new(mut sets: Vec<RuleSet>) -> Result<Self, RuleSetsError> {
        if sets.is_empty() {
            return Err(RuleSetsError::Empty);
        }
        sets.sort_by_key(|s| s.in_force_from);
        if let Some((a, b)) = sets.windows(2).find_map(|w| match w {
            [a, b] if a.in_force_from == b.in_force_from => Some((a, b)),
            _ => None,
        }) {
            return Err(RuleSetsError::SameStart(a.id, b.id, a.in_force_from));
        }
        Ok(Self(sets))
    }

    /// The rule sets known to this crate (see the module documentation).
    pub fn known() -> Self {
        Self(vec![wording_2019(), wording_2024()])
    }

    /// The rule set in force on `date`.
    pub fn on(&self, date: NaiveDate) -> Result<&RuleSet, NoRuleSet> {
        self.0
            .iter()
            .rev()
            .find(|s| s.in_force_from <= date)
            .ok_or_else(|| {
                let first = self.first();
                NoRuleSet {
                    date,
                    first_id: first.id,
                    first_title: first.title,
                    first_from: first.in_force_from,
                }
            })
    }

    /// The earliest rule set.
    #[expect(
        clippy::indexing_slicing,
        reason = "never empty: `new` refuses an empty list and `known` has two"
    )]
    pub fn first(&self) -> &RuleSet {
        &self.0[0]
    }

    /// The rule sets, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &RuleSet> {
        self.0.iter()
    }

    /// The last day of `set`, if a later set follows.
    pub fn in_force_until(&self, set: &RuleSet) -> Option<NaiveDate> {
        self.0
            .iter()
            .find(|s| s.in_force_from > set.in_force_from)
            .and_then(|s| s.in_force_from.pred_opt())
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

const PRILOHA_6: Source = Source {
    citation: "vyhláška č. 358/2013 Sb., příloha č. 6, položky 6001–6006 (0,80 / 0,50 / 0,30 Kč za MJ bez JPV, 2 / 1,60 / 0,80 Kč s JPV; položky 6003–6006 za MJ „nad 10 000“ a „nad 150 000“), jak je uvádí ČÚZK, „Údaje katastru v elektronické podobě – Vyhláška č. 358/2013 Sb., v platném znění, Příloha 6“; pevné částky 8 000 / 78 000 / 20 000 / 244 000 Kč podle ČÚZK, „Výpočet úplaty za poskytnutí hromadných dat“",
    url: "https://cuzk.cz/Katastr-nemovitosti/Poplatky/Predavani-pocitacovych-souboru-s-udaji-katastru-na.aspx",
};

/// A quotation from ČÚZK's FAQ – Šíření.
const fn faq(citation: &'static str) -> Source {
    Source {
        citation,
        url: "https://cuzk.cz/Katastr-nemovitosti/Poskytovani-udaju-z-KN/Vymenny-format-KN/Sireni/FAQ-Sireni.aspx",
    }
}

const FAQ_FIRST: Source =
    faq("ČÚZK FAQ – Šíření: „Prvotní odběr dat VFK je zpoplatněn 100% základní úplaty.“");
const FAQ_SAME_YEAR: Source = faq(
    "ČÚZK FAQ – Šíření: „Jakákoliv následující aktualizace dat (stejného rozsahu) ve stejném kalendářním roce je zpoplatněna 3% základní úplaty.“",
);
const FAQ_NEW_YEAR: Source = faq(
    "ČÚZK FAQ – Šíření: „První aktualizace v novém kalendářním roce je zpoplatněna 20% základní úplaty.“",
);
const FAQ_CONTINUITY: Source = faq(
    "ČÚZK FAQ – Šíření: „Slevu za aktualizaci dat lze poskytnout za předpokladu, že není přerušena roční kontinuita v odběru dat.“",
);
const FAQ_MINIMUMS: Source = faq(
    "ČÚZK FAQ – Šíření: „Minimální základní úplata je stanovena na 500 Kč, minimální cena aktualizace je 100 Kč.“",
);
const FAQ_ONE_YEAR_BACK: Source = faq(
    "ČÚZK FAQ – Šíření: „Bude například v březnu možné pořádat o šíření dat VFK s platností k 1. lednu? Ano, maximálně však rok zpět.“",
);
const FAQ_PER_MONTH: Source = faq(
    "ČÚZK FAQ – Šíření: „Počet měrných jednotek (dále jen MJ) změnových dat je odvozen od počtu MJ ve stavovém exportu. Změnová data se fakturují po jednotlivých měsících v nich obsažených.“",
);
const FAQ_JPV: Source = faq(
    "ČÚZK FAQ – Šíření: „Cenové údaje jsou poskytovány výhradně společně s položkami 6002, 6004 a 6006 údajů SPI s JPV … SPI s JPV se rozumí výdej dat VFK obsahující skupinu Jiné právní vztahy nebo Řízení nebo obsahující obě skupiny současně.“",
);

/// From 2019-01-01: vyhláška 358/2013 Sb. as amended by 256/2018 Sb.
fn wording_2019() -> RuleSet {
    let from = date(2019, 1, 1);
    let rule = |value, source| Rule {
        value,
        in_force_from: from,
        source,
        note: None,
    };
    RuleSet {
        id: "358/2013+256/2018",
        title: "vyhláška č. 358/2013 Sb., ve znění vyhlášek č. 354/2015 Sb. a č. 256/2018 Sb.",
        in_force_from: from,
        enacted_by: Source {
            citation: "vyhláška č. 256/2018 Sb. ze dne 2. listopadu 2018, účinnost od 1. 1. 2019",
            url: "https://ceskezakony.cz/en/zakon/256-2018",
        },
        note: "The first rule set known; the wording before 1 January 2019 is not modelled. The percentages, minimums, one-year-back limit, monthly billing of change data and the JPV definition are ČÚZK's FAQ – Šíření reading of this wording (the FAQ describes the regime \"po novele vyhlášky\": data as of 1 January 2019 requested in January 2019 are the first purchase of 2019, those requested in December 2018 the last update under the previous wording); the notes of příloha 6 themselves could not be read.",
        tariff: Rule {
            value: Tariff::priloha_6(),
            in_force_from: from,
            source: PRILOHA_6,
            note: Some(
                "2019-01-01 is the earliest date established for these rates; ČÚZK's description of the earlier regime shows the same rates, but not the period it applied to",
            ),
        },
        first_purchase_percent: rule(Decimal::from(100), FAQ_FIRST),
        update_same_year_percent: rule(Decimal::from(3), FAQ_SAME_YEAR),
        first_update_new_year_percent: rule(Decimal::from(20), FAQ_NEW_YEAR),
        continuity_required: Rule {
            value: true,
            in_force_from: from,
            source: FAQ_CONTINUITY,
            note: Some(
                "what breaks \"roční kontinuita\" is not defined; see ContinuityRule for the policies",
            ),
        },
        minimum_base_fee_czk: rule(Decimal::from(500), FAQ_MINIMUMS),
        minimum_update_czk: rule(Decimal::from(100), FAQ_MINIMUMS),
        data_back_limit_months: Rule {
            value: 12,
            in_force_from: from,
            source: FAQ_ONE_YEAR_BACK,
            note: None,
        },
        change_data_per_month: Rule {
            value: true,
            in_force_from: from,
            source: FAQ_PER_MONTH,
            note: None,
        },
        jpv: Rule {
            value: JpvRule {
                items: [6002, 6004, 6006],
                groups: JPV_GROUPS,
            },
            in_force_from: from,
            source: FAQ_JPV,
            note: None,
        },
    }
}

/// From 2024-07-01: the wording after 50/2024 Sb.; příloha 6 as before, as far as known.
fn wording_2024() -> RuleSet {
    RuleSet {
        id: "358/2013+50/2024",
        title: "vyhláška č. 358/2013 Sb., ve znění vyhlášek č. 354/2015 Sb., č. 256/2018 Sb. a č. 50/2024 Sb.",
        in_force_from: date(2024, 7, 1),
        enacted_by: Source {
            citation: "vyhláška č. 50/2024 Sb. ze dne 19. února 2024, účinnost od 1. 7. 2024 (vkládá §11a Šíření údajů katastru získaných dálkovým přístupem)",
            url: "https://ceskezakony.cz/en/zakon/50-2024",
        },
        note: "No change to příloha 6 is known: ČÚZK's annex page \"v platném znění\" and its 2024 answer under zákon 106/1999 Sb. price by the same rates. Only point 1 of Čl. I of 50/2024 Sb. could be read.",
        ..wording_2019()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn selection_by_date() {
        let sets = RuleSets::known();
        assert_eq!(sets.on(d(2019, 1, 1)).unwrap().id, "358/2013+256/2018");
        assert_eq!(sets.on(d(2024, 6, 30)).unwrap().id, "358/2013+256/2018");
        assert_eq!(sets.on(d(2024, 7, 1)).unwrap().id, "358/2013+50/2024");
        assert_eq!(sets.on(d(2031, 1, 1)).unwrap().id, "358/2013+50/2024");
        let err = sets.on(d(2018, 12, 31)).unwrap_err();
        assert_eq!(err.first_from, d(2019, 1, 1));
        assert_eq!(sets.in_force_until(sets.first()), Some(d(2024, 6, 30)));
    }

    #[test]
    fn one_year_back() {
        let rules = RuleSets::known().on(d(2020, 3, 15)).unwrap().clone();
        assert_eq!(rules.earliest_data_date(d(2020, 3, 15)), d(2019, 3, 15));
        assert_eq!(rules.earliest_data_date(d(2020, 2, 29)), d(2019, 2, 28));
    }

    #[test]
    fn sets_must_not_start_on_the_same_day() {
        assert_eq!(RuleSets::new(Vec::new()), Err(RuleSetsError::Empty));
        assert!(matches!(
            RuleSets::new(vec![wording_2019(), wording_2019()]),
            Err(RuleSetsError::SameStart(..))
        ));
        let sets = RuleSets::new(vec![wording_2024(), wording_2019()]).unwrap();
        assert_eq!(sets.first().id, "358/2013+256/2018");
    }
}

//! The fee engine against the worked examples of ČÚZK and the rules of the FAQ.

use chrono::NaiveDate;
use cuzk_vfk::fees::quote::{parse_order_spec, read_history};
use cuzk_vfk::fees::{
    ContinuityRule, FeeEngine, Order, OrderKind, PercentageBase, PricingRule, QuoteError,
    RoundingPolicy, RuleSet, RuleSets, Tariff, UpdateMinimumScope,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The rule set in force on 1 July 2024 (the latest known).
fn rules() -> RuleSet {
    RuleSets::known().on(d(2024, 7, 1)).unwrap().clone()
}

fn base(mj: u64, jpv: bool) -> Decimal {
    Tariff::default().base_fee(mj, jpv).amount_czk
}

fn state(ordered_on: NaiveDate, as_of: NaiveDate, mj: u64) -> Order {
    Order {
        customer: "ACME".into(),
        scope: "jama".into(),
        ordered_on,
        kind: OrderKind::State { as_of },
        mj: Some(mj),
        jpv: Some(false),
        source_line: None,
    }
}

fn change(ordered_on: NaiveDate, from: NaiveDate, to: NaiveDate, mj: u64) -> Order {
    Order {
        kind: OrderKind::Change { from, to },
        ..state(ordered_on, from, mj)
    }
}

// --- příloha 6 and ČÚZK "Výpočet úplaty za poskytnutí hromadných dat" ---
// https://www.cuzk.cz/Katastr-nemovitosti/Poplatky/Vypocet-uplaty-za-poskytnuti-hromadnych-dat.aspx
// gives the closed form "0,50 Kč x počet MJ + 8 000 Kč", "0,30 Kč x počet MJ + 78 000 Kč",
// "1,60 Kč x počet MJ + 20 000 Kč", "0,80 Kč x počet MJ + 244 000 Kč": the fixed amounts are
// the marginal sums at 10 000 and 150 000 MJ.

#[test]
fn calculation_page_fixed_amounts() {
    assert_eq!(base(10_000, false), dec!(8000));
    assert_eq!(base(150_000, false), dec!(78000));
    assert_eq!(base(10_000, true), dec!(20000));
    assert_eq!(base(150_000, true), dec!(244000));
    // Our own examples of the closed form (not ČÚZK figures).
    assert_eq!(base(50_000, true), dec!(84000));
    assert_eq!(base(695, true), dec!(1390));
    assert_eq!(base(200_000, true), dec!(284000));
    assert_eq!(base(50_000, false), dec!(0.50) * dec!(40000) + dec!(8000));
    assert_eq!(base(200_000, false), dec!(0.30) * dec!(50000) + dec!(78000));
    assert_eq!(base(695, false), dec!(556));
}

#[test]
fn band_edges() {
    for (mj, without, with) in [
        (10_000, dec!(8000), dec!(20000)),
        (10_001, dec!(8000.50), dec!(20001.60)),
        (150_000, dec!(78000), dec!(244000)),
        (150_001, dec!(78000.30), dec!(244000.80)),
    ] {
        assert_eq!(base(mj, false), without, "{mj} without JPV");
        assert_eq!(base(mj, true), with, "{mj} with JPV");
    }
    let items: Vec<u16> = Tariff::default()
        .base_fee(150_001, true)
        .bands
        .iter()
        .map(|b| b.band.item)
        .collect();
    assert_eq!(items, [6002, 6004, 6006]);
    let items: Vec<u16> = Tariff::default()
        .base_fee(10_000, false)
        .bands
        .iter()
        .map(|b| b.band.item)
        .collect();
    assert_eq!(items, [6001]);
    let bands = Tariff::default().base_fee(10_001, false).bands;
    assert_eq!((bands[1].band.item, bands[1].mj), (6003, 1));
}

// --- minimums (FAQ: 500 Kč base, 100 Kč update) ---

#[test]
fn minimum_base_fee() {
    let e = FeeEngine::default();
    let one = e.charge(
        &rules(),
        PricingRule::FirstPurchase,
        1,
        false,
        String::new(),
        None,
    );
    assert_eq!(
        (one.computed_czk, one.amount_czk, one.minimum_applied_czk),
        (dec!(0.80), dec!(500), Some(dec!(500)))
    );
    let exact = e.charge(
        &rules(),
        PricingRule::FirstPurchase,
        625,
        false,
        String::new(),
        None,
    );
    assert_eq!(
        (exact.amount_czk, exact.minimum_applied_czk),
        (dec!(500), None)
    );
    let below = e.charge(
        &rules(),
        PricingRule::FirstPurchase,
        624,
        false,
        String::new(),
        None,
    );
    assert_eq!(
        (below.computed_czk, below.amount_czk),
        (dec!(499.20), dec!(500))
    );
    let with_jpv = e.charge(
        &rules(),
        PricingRule::FirstPurchase,
        250,
        true,
        String::new(),
        None,
    );
    assert_eq!(
        (with_jpv.amount_czk, with_jpv.minimum_applied_czk),
        (dec!(500), None)
    );
}

#[test]
fn minimum_update() {
    let e = FeeEngine::default();
    // 4 000 MJ: base 3 200 Kč, 3 % = 96 Kč → 100 Kč
    let low = e.charge(
        &rules(),
        PricingRule::UpdateSameYear,
        4000,
        false,
        String::new(),
        None,
    );
    assert_eq!(
        (low.computed_czk, low.amount_czk, low.minimum_applied_czk),
        (dec!(96), dec!(100), Some(dec!(100)))
    );
    // 5 000 MJ: base 4 000 Kč, 3 % = 120 Kč
    let high = e.charge(
        &rules(),
        PricingRule::UpdateSameYear,
        5000,
        false,
        String::new(),
        None,
    );
    assert_eq!(
        (high.amount_czk, high.minimum_applied_czk),
        (dec!(120), None)
    );
    // 20 % of a 500 Kč base is exactly the minimum
    let year = e.charge(
        &rules(),
        PricingRule::FirstUpdateInNewYear,
        625,
        false,
        String::new(),
        None,
    );
    assert_eq!(
        (year.amount_czk, year.minimum_applied_czk),
        (dec!(100), None)
    );
    let year_low = e.charge(
        &rules(),
        PricingRule::FirstUpdateInNewYear,
        624,
        false,
        String::new(),
        None,
    );
    assert_eq!(
        (year_low.computed_czk, year_low.amount_czk),
        (dec!(99.84), dec!(100))
    );
}

// --- the FAQ's worked example ---

#[test]
fn faq_first_purchase_then_two_months_of_change_data() {
    let e = FeeEngine::default();
    let first = state(d(2019, 4, 1), d(2019, 4, 1), 1000);
    let q = e.quote(&[], &first).unwrap();
    assert_eq!(q.lines.len(), 1);
    assert_eq!(q.lines[0].rule, PricingRule::FirstPurchase);
    assert_eq!(q.total_czk, base(1000, false)); // 100 % of the base fee for 1 000 MJ = 800 Kč

    let next = change(d(2019, 6, 1), d(2019, 4, 1), d(2019, 6, 1), 1100);
    let q = e.quote(std::slice::from_ref(&first), &next).unwrap();
    assert_eq!(q.mj, 1100);
    assert_eq!(q.lines.len(), 2, "two months: April and May");
    for line in &q.lines {
        assert_eq!(line.rule, PricingRule::UpdateSameYear);
        assert_eq!(line.percentage, dec!(3));
        assert_eq!(line.computed_czk, dec!(0.03) * base(1100, false));
    }
    // 3 % of 880 Kč = 26,40 Kč → 26 Kč per month; the FAQ's 100 Kč minimum raises each month.
    assert_eq!(q.total_czk, dec!(200));

    // The same example with a scope large enough that the minimum does not bite:
    // the total is exactly 2 × 3 % of the base fee for the MJ at the end date.
    let first = state(d(2019, 4, 1), d(2019, 4, 1), 100_000);
    let next = change(d(2019, 6, 1), d(2019, 4, 1), d(2019, 6, 1), 110_000);
    let q = e.quote(&[first], &next).unwrap();
    assert_eq!(q.total_czk, dec!(2) * dec!(0.03) * base(110_000, false));
    assert_eq!(q.total_czk, dec!(3480));
}

#[test]
fn per_order_update_minimum() {
    let e = FeeEngine {
        update_minimum: UpdateMinimumScope::PerOrder,
        ..FeeEngine::default()
    };
    let first = state(d(2019, 4, 1), d(2019, 4, 1), 1000);
    let next = change(d(2019, 6, 1), d(2019, 4, 1), d(2019, 6, 1), 1100);
    let q = e.quote(&[first], &next).unwrap();
    // 3 % of 880 Kč = 26,40 Kč per month, 26 Kč in whole crowns
    assert_eq!(
        q.lines.iter().map(|l| l.amount_czk).sum::<Decimal>(),
        dec!(52)
    );
    assert_eq!(q.order_minimum_adjustment_czk, Some(dec!(48)));
    assert_eq!(q.total_czk, dec!(100));
}

// --- calendar years and continuity ---

#[test]
fn year_boundaries() {
    let e = FeeEngine::default();
    let first = state(d(2019, 12, 20), d(2019, 12, 1), 20_000);
    let price = |order: &Order, history: &[Order]| e.quote(history, order).unwrap();

    let dec31 = price(
        &state(d(2019, 12, 31), d(2019, 12, 31), 20_000),
        std::slice::from_ref(&first),
    );
    assert_eq!(dec31.lines[0].rule, PricingRule::UpdateSameYear);
    let jan1 = state(d(2020, 1, 1), d(2020, 1, 1), 20_000);
    let q = price(&jan1, std::slice::from_ref(&first));
    assert_eq!(q.lines[0].rule, PricingRule::FirstUpdateInNewYear);
    assert_eq!(q.total_czk, dec!(0.20) * base(20_000, false));
    let later = price(
        &state(d(2020, 11, 30), d(2020, 11, 1), 20_000),
        &[first.clone(), jan1.clone()],
    );
    assert_eq!(later.lines[0].rule, PricingRule::UpdateSameYear);

    // a whole calendar year without purchase: continuity broken, 100 % again
    let q = price(
        &state(d(2021, 1, 4), d(2021, 1, 1), 20_000),
        std::slice::from_ref(&first),
    );
    assert_eq!(q.lines[0].rule, PricingRule::ContinuityBroken);
    assert_eq!(q.total_czk, base(20_000, false));
    // the last day of the next year still keeps continuity
    let q = price(
        &state(d(2020, 12, 31), d(2020, 12, 1), 20_000),
        std::slice::from_ref(&first),
    );
    assert_eq!(q.lines[0].rule, PricingRule::FirstUpdateInNewYear);
}

#[test]
fn change_data_across_the_year_boundary() {
    let e = FeeEngine::default();
    let first = state(d(2019, 11, 5), d(2019, 11, 1), 20_000);
    let q = e
        .quote(
            &[first],
            &change(d(2020, 1, 10), d(2019, 11, 1), d(2020, 1, 1), 20_000),
        )
        .unwrap();
    let rules: Vec<_> = q
        .lines
        .iter()
        .map(|l| (l.month.clone().unwrap(), l.rule))
        .collect();
    assert_eq!(
        rules,
        [
            ("2019-11".to_owned(), PricingRule::FirstUpdateInNewYear),
            ("2019-12".to_owned(), PricingRule::UpdateSameYear)
        ]
    );
    assert_eq!(q.total_czk, dec!(0.23) * base(20_000, false));
}

#[test]
fn twelve_month_continuity_rule() {
    let e = FeeEngine {
        continuity: ContinuityRule::TwelveMonths,
        ..FeeEngine::default()
    };
    let first = state(d(2019, 5, 1), d(2019, 5, 1), 20_000);
    let ok = e
        .quote(
            std::slice::from_ref(&first),
            &state(d(2020, 5, 1), d(2020, 5, 1), 20_000),
        )
        .unwrap();
    assert_eq!(ok.lines[0].rule, PricingRule::FirstUpdateInNewYear);
    let broken = e
        .quote(&[first], &state(d(2020, 5, 2), d(2020, 5, 1), 20_000))
        .unwrap();
    assert_eq!(broken.lines[0].rule, PricingRule::ContinuityBroken);
}

#[test]
fn faq_data_as_of_1_january_2019() {
    // FAQ: data k 1.1.2019 requested in January 2019 count as the first purchase of 2019.
    let e = FeeEngine::default();
    let y2018 = state(d(2018, 6, 4), d(2018, 6, 1), 20_000);
    let q = e
        .quote(
            std::slice::from_ref(&y2018),
            &state(d(2019, 1, 15), d(2019, 1, 1), 20_000),
        )
        .unwrap();
    assert_eq!(q.lines[0].rule, PricingRule::FirstUpdateInNewYear);
    // Requested in December 2018 they are the last update of 2018 under the old regime.
    let err = e
        .quote(&[y2018], &state(d(2018, 12, 10), d(2019, 1, 1), 20_000))
        .unwrap_err();
    assert!(matches!(err, QuoteError::NoRuleSet { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "order of ACME/jama on 2018-12-10: no fee rules are known for 2018-12-10: the earliest known rule set, vyhláška č. 358/2013 Sb., ve znění vyhlášek č. 354/2015 Sb. a č. 256/2018 Sb. (358/2013+256/2018), is in force from 2019-01-01; orders placed before that day cannot be priced"
    );
}

// --- dated rule sets ---

#[test]
fn quote_uses_the_rule_set_in_force_on_the_order_date() {
    let e = FeeEngine::default();
    let price = |ordered_on| {
        e.quote(&[], &state(ordered_on, ordered_on, 20_000))
            .unwrap()
    };
    let q = price(d(2019, 1, 1));
    assert_eq!(q.rule_set.id, "358/2013+256/2018");
    assert_eq!(q.rule_set.in_force_from, d(2019, 1, 1));
    assert_eq!(price(d(2024, 6, 30)).rule_set.id, "358/2013+256/2018");
    let q = price(d(2024, 7, 1));
    assert_eq!(q.rule_set.id, "358/2013+50/2024");
    assert_eq!(
        q.rule_set.title,
        "vyhláška č. 358/2013 Sb., ve znění vyhlášek č. 354/2015 Sb., č. 256/2018 Sb. a č. 50/2024 Sb."
    );
    // Příloha 6 did not change with 50/2024 Sb. as far as known: same price.
    assert_eq!(q.total_czk, price(d(2024, 6, 30)).total_czk);
    assert!(matches!(
        e.quote(&[], &state(d(2018, 12, 31), d(2018, 12, 31), 20_000)),
        Err(QuoteError::NoRuleSet { .. })
    ));
}

#[test]
fn every_rule_carries_its_source_and_date() {
    for set in RuleSets::known().iter() {
        assert!(set.in_force_from >= d(2019, 1, 1), "{}", set.id);
        assert!(set.enacted_by.url.starts_with("https://"), "{}", set.id);
        let entries = set.entries();
        assert_eq!(entries.len(), 11);
        for rule in entries {
            assert!(
                rule.in_force_from <= set.in_force_from,
                "{}: {}",
                set.id,
                rule.name
            );
            assert!(
                rule.source.url.starts_with("https://cuzk.cz/"),
                "{}",
                rule.source.citation
            );
            assert!(!rule.source.citation.is_empty());
        }
    }
}

#[test]
fn orders_before_the_first_rule_set_still_count_for_continuity() {
    // FAQ – Šíření: "Novelou vyhlášky nárok na uplatnění slevy nezaniká."
    let e = FeeEngine::default();
    let old = state(d(2018, 3, 5), d(2018, 3, 1), 20_000);
    let q = e
        .quote(
            std::slice::from_ref(&old),
            &state(d(2019, 2, 4), d(2019, 2, 1), 20_000),
        )
        .unwrap();
    assert_eq!(q.lines[0].rule, PricingRule::FirstUpdateInNewYear);
    assert_eq!(q.total_czk, dec!(2600));
}

// --- errors ---

#[test]
fn more_than_one_year_back() {
    let e = FeeEngine::default();
    // FAQ: in March, data as of 1 January may be ordered ("maximálně však rok zpět")
    assert!(
        e.quote(&[], &state(d(2020, 3, 10), d(2020, 1, 1), 100))
            .is_ok()
    );
    assert!(
        e.quote(&[], &state(d(2020, 3, 10), d(2019, 3, 10), 100))
            .is_ok()
    );
    let err = e
        .quote(&[], &state(d(2020, 3, 10), d(2019, 3, 9), 100))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "order of ACME/jama on 2020-03-10: data from 2019-03-09 are more than one year back (earliest allowed 2019-03-10); ČÚZK FAQ – Šíření: „maximálně však rok zpět“"
    );
}

#[test]
fn dates_out_of_order() {
    let e = FeeEngine::default();
    let a = state(d(2019, 6, 1), d(2019, 6, 1), 100);
    let err = e
        .quote(
            std::slice::from_ref(&a),
            &state(d(2019, 5, 1), d(2019, 5, 1), 100),
        )
        .unwrap_err();
    assert!(matches!(err, QuoteError::DatesOutOfOrder { .. }), "{err}");
    let b = state(d(2019, 5, 1), d(2019, 5, 1), 100);
    let err = e
        .quote(&[a, b], &state(d(2019, 7, 1), d(2019, 7, 1), 100))
        .unwrap_err();
    assert!(matches!(err, QuoteError::DatesOutOfOrder { .. }), "{err}");
    let err = e
        .quote(
            &[],
            &change(d(2019, 7, 1), d(2019, 6, 1), d(2019, 6, 1), 100),
        )
        .unwrap_err();
    assert!(matches!(err, QuoteError::InvalidPeriod { .. }), "{err}");
}

#[test]
fn unknown_scope() {
    let e = FeeEngine::default();
    let history = [state(d(2019, 4, 1), d(2019, 4, 1), 1000)];
    let mut other = change(d(2019, 6, 1), d(2019, 4, 1), d(2019, 6, 1), 1100);
    other.scope = "brno".into();
    let err = e.quote(&history, &other).unwrap_err();
    assert!(matches!(err, QuoteError::UnknownScope { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("unknown scope \"brno\" of customer \"ACME\""),
        "{err}"
    );
    let mut no_mj = state(d(2019, 6, 1), d(2019, 6, 1), 0);
    no_mj.mj = None;
    no_mj.customer = "NEW".into();
    assert!(matches!(
        e.quote(&history, &no_mj),
        Err(QuoteError::UnknownScope { .. })
    ));
    // MJ default to the scope's last order
    no_mj.customer = "ACME".into();
    assert_eq!(e.quote(&history, &no_mj).unwrap().mj, 1000);
}

#[test]
fn change_data_gap_and_jpv_change() {
    let e = FeeEngine::default();
    let history = [state(d(2019, 4, 1), d(2019, 4, 1), 1000)];
    let err = e
        .quote(
            &history,
            &change(d(2019, 8, 1), d(2019, 5, 1), d(2019, 7, 1), 1000),
        )
        .unwrap_err();
    assert!(matches!(err, QuoteError::ChangeDataGap { .. }), "{err}");
    let mut with_jpv = state(d(2019, 6, 1), d(2019, 6, 1), 1000);
    with_jpv.jpv = Some(true);
    assert!(matches!(
        e.quote(&history, &with_jpv),
        Err(QuoteError::JpvChanged { .. })
    ));
}

#[test]
fn pseudonym_expiry_notice() {
    let e = FeeEngine::default();
    let history = [
        state(d(2019, 4, 2), d(2019, 4, 1), 1000),
        change(d(2020, 2, 20), d(2019, 4, 1), d(2020, 2, 1), 1000),
        change(d(2021, 1, 20), d(2020, 2, 1), d(2021, 1, 1), 1000),
        change(d(2021, 12, 20), d(2021, 1, 1), d(2021, 12, 1), 1000),
    ];
    let early = e
        .quote(
            &history,
            &change(d(2022, 3, 10), d(2021, 12, 1), d(2022, 3, 1), 1000),
        )
        .unwrap();
    assert!(early.notices.is_empty(), "{:?}", early.notices);
    let late = e
        .quote(
            &history,
            &change(d(2022, 5, 10), d(2021, 12, 1), d(2022, 5, 1), 1000),
        )
        .unwrap();
    assert_eq!(late.lines.len(), 5);
    assert!(
        late.notices[0].contains("expire after 3 years (2022-04-01)"),
        "{:?}",
        late.notices
    );
}

// --- history files and order specifications ---

#[test]
fn history_csv_and_order_spec() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/vfk/history_faq.csv");
    let history = read_history(std::fs::File::open(&path).unwrap(), "history_faq.csv").unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].jpv, Some(true));
    let order = parse_order_spec(
        "customer=ACME, scope=jama, ordered_on=1.6.2019, kind=změnová, valid_from=2019-04-01, valid_to=2019-06-01, mj=1 100",
    )
    .unwrap();
    let q = FeeEngine::default().quote(&history, &order).unwrap();
    assert_eq!((q.history_orders, q.lines.len(), q.jpv), (1, 2, false));

    let err = parse_order_spec(
        "customer=A,scope=b,ordered_on=2019-13-01,kind=state,valid_from=2019-01-01",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("ordered_on: \"2019-13-01\" is not a date"),
        "{err}"
    );
    let err = read_history("customer,scope,colour\nA,b,red\n".as_bytes(), "h.csv").unwrap_err();
    assert_eq!(err.to_string(), "h.csv: line 1: unknown column \"colour\"");
    let err = read_history(
        "customer,scope,ordered_on,kind,valid_from\nA,b,2019-01-01,foo,2019-01-01\n".as_bytes(),
        "h.csv",
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("h.csv: line 2: kind \"foo\""),
        "{err}"
    );
}

// --- rounding ---

/// ČÚZK's answer under zákon 106/1999 Sb. (2024), "Nákup dat z informačního systému
/// katastru nemovitostí":
/// https://cuzk.gov.cz/Urady/Cesky-urad-zememericky-a-katastralni/Casto-hledane-informace/Poskytovani-informaci-106-1999-Sb/Zverejneni-obsahu-informaci-poskytnutych-na-za-(1)/2024/Nakup-dat-z-informacniho-systemu-katastru-nemovito.aspx
/// "Počet MJ v datech z okresu Brno-město je 443 772 … s JPV – celková cena za prvotní
/// odběr je 479 018 Kč, bez JPV – celková cena za prvotní odběr je 166 132 Kč."
#[test]
fn cuzk_2024_information_act_answer_brno_mesto() {
    let e = FeeEngine::default();
    let with = e.charge(
        &rules(),
        PricingRule::FirstPurchase,
        443_772,
        true,
        String::new(),
        None,
    );
    assert_eq!(with.computed_czk, dec!(479017.60));
    assert_eq!(with.amount_czk, dec!(479018));
    let without = e.charge(
        &rules(),
        PricingRule::FirstPurchase,
        443_772,
        false,
        String::new(),
        None,
    );
    assert_eq!(without.computed_czk, dec!(166131.60));
    assert_eq!(without.amount_czk, dec!(166132));
    // The same through a quote: a first purchase of state data ordered in 2024.
    let mut order = state(d(2024, 5, 6), d(2024, 4, 30), 443_772);
    order.jpv = Some(true);
    assert_eq!(e.quote(&[], &order).unwrap().total_czk, dec!(479018));
    // Rounded to the haléř instead, the quote differs from ČÚZK's by 40 haléřů.
    let haler = FeeEngine {
        rounding: RoundingPolicy::HALER_HALF_UP,
        ..FeeEngine::default()
    };
    assert_eq!(haler.quote(&[], &order).unwrap().total_czk, dec!(479017.60));
}

#[test]
fn whole_crowns_half_up_per_line_minimum_after_rounding() {
    let e = FeeEngine::default();
    let update = |e: &FeeEngine, mj, jpv| {
        e.charge(
            &rules(),
            PricingRule::UpdateSameYear,
            mj,
            jpv,
            String::new(),
            None,
        )
    };
    // 10 003 MJ without JPV: base 8 001,50 Kč; 3 % = 240,045 Kč → 240 Kč
    let line = update(&e, 10_003, false);
    assert_eq!(
        (line.computed_czk, line.amount_czk),
        (dec!(240.045), dec!(240))
    );
    // 1 675 MJ with JPV: base 3 350 Kč; 3 % = 100,50 Kč, exactly half → 101 Kč
    let half = update(&e, 1675, true);
    assert_eq!(
        (half.computed_czk, half.amount_czk, half.minimum_applied_czk),
        (dec!(100.50), dec!(101), None)
    );
    // 1 666 MJ with JPV: base 3 332 Kč; 3 % = 99,96 Kč → 100 Kč after rounding, so the
    // minimum (compared with the rounded amount) does not apply.
    let at_minimum = update(&e, 1666, true);
    assert_eq!(
        (at_minimum.amount_czk, at_minimum.minimum_applied_czk),
        (dec!(100), None)
    );
    // 1 665 MJ with JPV: 3 % of 3 330 Kč = 99,90 Kč → 100 Kč, again no minimum needed;
    // 1 650 MJ: 3 % of 3 300 Kč = 99 Kč → raised to the 100 Kč minimum.
    assert_eq!(update(&e, 1665, true).minimum_applied_czk, None);
    let below = update(&e, 1650, true);
    assert_eq!(
        (
            below.rounded_czk,
            below.amount_czk,
            below.minimum_applied_czk
        ),
        (dec!(99), dec!(100), Some(dec!(100)))
    );
    // First purchase in the second band: 10 001 MJ without JPV = 8 000,50 Kč → 8 001 Kč
    let first = e.charge(
        &rules(),
        PricingRule::FirstPurchase,
        10_001,
        false,
        String::new(),
        None,
    );
    assert_eq!(first.amount_czk, dec!(8001));

    // 3 % of the exact base fee (default) or of the base fee as charged: 10 033 MJ without
    // JPV, base 8 016,50 Kč → 8 017 Kč.
    let exact = update(&e, 10_033, false);
    assert_eq!(
        (exact.computed_czk, exact.amount_czk),
        (dec!(240.495), dec!(240))
    );
    let of_rounded = FeeEngine {
        percentage_base: PercentageBase::RoundedBaseFee,
        ..FeeEngine::default()
    };
    let line = update(&of_rounded, 10_033, false);
    assert_eq!(
        (line.computed_czk, line.amount_czk),
        (dec!(240.51), dec!(241))
    );

    // The other policies stay available.
    let policy = |name: &str| FeeEngine {
        rounding: name.parse().unwrap(),
        ..FeeEngine::default()
    };
    assert_eq!(
        update(&policy("haler-half-up"), 10_003, false).amount_czk,
        dec!(240.05)
    );
    assert_eq!(
        update(&policy("haler-half-even"), 10_003, false).amount_czk,
        dec!(240.04)
    );
    assert_eq!(
        update(&policy("koruna-half-even"), 1675, true).amount_czk,
        dec!(100)
    );
    assert_eq!(
        update(&policy("koruna-up"), 10_003, false).amount_czk,
        dec!(241)
    );
}

// --- properties ---

fn any_policy() -> impl Strategy<Value = RoundingPolicy> {
    proptest::sample::select(RoundingPolicy::NAMES).prop_map(|n| n.parse().unwrap())
}

proptest! {
    #[test]
    fn base_fee_never_falls_as_mj_grow(a in 0u64..2_000_000, extra in 0u64..500_000, jpv: bool) {
        prop_assert!(base(a, jpv) <= base(a + extra, jpv));
        prop_assert!(base(a, false) <= base(a, true));
    }

    #[test]
    fn update_never_costs_more_than_a_first_purchase(mj in 0u64..5_000_000, jpv: bool, rounding in any_policy()) {
        let e = FeeEngine { rounding, ..FeeEngine::default() };
        let first = e.charge(&rules(),PricingRule::FirstPurchase, mj, jpv, String::new(), None).amount_czk;
        for rule in [PricingRule::UpdateSameYear, PricingRule::FirstUpdateInNewYear] {
            let update = e.charge(&rules(), rule, mj, jpv, String::new(), None).amount_czk;
            prop_assert!(update <= first, "{rule:?}: {update} > {first}");
            prop_assert!(update >= dec!(100));
        }
        prop_assert!(first >= dec!(500));
    }

    #[test]
    fn base_fee_matches_the_closed_form(mj in 0u64..5_000_000) {
        let m = Decimal::from(mj);
        let closed = if mj <= 10_000 { dec!(0.80) * m }
            else if mj <= 150_000 { dec!(0.50) * (m - dec!(10000)) + dec!(8000) }
            else { dec!(0.30) * (m - dec!(150000)) + dec!(78000) };
        prop_assert_eq!(base(mj, false), closed);
        let closed = if mj <= 10_000 { dec!(2.00) * m }
            else if mj <= 150_000 { dec!(1.60) * (m - dec!(10000)) + dec!(20000) }
            else { dec!(0.80) * (m - dec!(150000)) + dec!(244000) };
        prop_assert_eq!(base(mj, true), closed);
    }

    #[test]
    fn the_rule_set_in_force_is_the_latest_started(days in 0i64..20_000) {
        let sets = RuleSets::known();
        let day = d(2014, 1, 1) + chrono::Days::new(days as u64);
        match sets.on(day) {
            Ok(set) => {
                prop_assert!(set.in_force_from <= day);
                prop_assert!(sets.in_force_until(set).is_none_or(|until| day <= until));
            }
            Err(err) => prop_assert!(day < err.first_from),
        }
    }

    #[test]
    fn default_quotes_are_whole_crowns(mj in 0u64..5_000_000, jpv: bool) {
        let e = FeeEngine::default();
        for rule in [PricingRule::FirstPurchase, PricingRule::UpdateSameYear, PricingRule::FirstUpdateInNewYear] {
            let line = e.charge(&rules(), rule, mj, jpv, String::new(), None);
            prop_assert_eq!(line.amount_czk.fract(), Decimal::ZERO);
            prop_assert!((line.amount_czk - line.computed_czk).abs() <= dec!(0.5) || line.minimum_applied_czk.is_some());
        }
    }

    #[test]
    fn change_data_cost_one_update_per_month(months in 1u32..12, mj in 1u64..400_000) {
        let e = FeeEngine::default();
        let first = state(d(2019, 1, 2), d(2019, 1, 1), mj);
        let to = d(2019, 1, 1).checked_add_months(chrono::Months::new(months)).unwrap();
        let q = e.quote(std::slice::from_ref(&first), &change(to, d(2019, 1, 1), to, mj)).unwrap();
        prop_assert_eq!(q.lines.len() as u32, months);
        let one = e.charge(&rules(),PricingRule::UpdateSameYear, mj, false, String::new(), None).amount_czk;
        prop_assert_eq!(q.total_czk, one * Decimal::from(months));
    }
}

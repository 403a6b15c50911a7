//! The base fee (základní úplata) of vyhláška 358/2013 Sb., příloha 6, items 6001–6006.

use rust_decimal::Decimal;
use serde::Serialize;

/// One marginal price band of příloha 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Band {
    /// Item number of příloha 6 (6001–6006).
    pub item: u16,
    /// MJ above this count fall into the band (exclusive lower bound).
    pub above_mj: u64,
    /// Inclusive upper bound; `None` = no upper bound.
    pub up_to_mj: Option<u64>,
    /// Price per MJ in Kč.
    pub rate_czk: Decimal,
}

impl Band {
    /// How many of `mj` units fall into this band.
    pub fn units_of(&self, mj: u64) -> u64 {
        let top = self.up_to_mj.map_or(mj, |u| mj.min(u));
        top.saturating_sub(self.above_mj)
    }
}

/// The part of a base fee that one band contributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BandCharge {
    /// The band.
    pub band: Band,
    /// MJ charged in the band.
    pub mj: u64,
    /// `mj × rate`, exact.
    pub amount_czk: Decimal,
}

/// The base fee for a number of MJ, with its band breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseFee {
    /// Number of MJ.
    pub mj: u64,
    /// Whether the data are SPI with JPV.
    pub jpv: bool,
    /// Bands that charge at least one MJ (at least the first band).
    pub bands: Vec<BandCharge>,
    /// The sum of the bands, exact (before any minimum or percentage).
    pub amount_czk: Decimal,
}

/// The marginal bands of příloha 6, items 6001–6006 (without and with JPV).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tariff {
    /// Bands for SPI without JPV (items 6001, 6003, 6005).
    pub without_jpv: [Band; 3],
    /// Bands for SPI with JPV (items 6002, 6004, 6006).
    pub with_jpv: [Band; 3],
}

impl Default for Tariff {
    fn default() -> Self {
        Self::priloha_6()
    }
}

/// Upper MJ bound of the first band: items 6001/6002 "s počtem MJ do 10 000 včetně".
pub const FIRST_BAND_MAX_MJ: u64 = 10_000;
/// Upper MJ bound of the second band: items 6003/6004 "od 10 000 do 150 000 včetně".
pub const SECOND_BAND_MAX_MJ: u64 = 150_000;

impl Tariff {
    /// The bands of příloha 6 (the rule sets in [`super::rule_set`] date them).
    ///
    /// Rates: items 6001 0,80 Kč, 6002 2,00 Kč, 6003 0,50 Kč, 6004 1,60 Kč,
    /// 6005 0,30 Kč, 6006 0,80 Kč per MJ. Items 6003–6006 charge only the MJ
    /// *over* 10 000 and 150 000 ("MJ nad 10 000"), so the bands are marginal;
    /// ČÚZK's page "Výpočet úplaty za poskytnutí hromadných dat" gives the same
    /// closed form (e.g. 0,50 × MJ over 10 000 + 8 000 Kč).
    pub fn priloha_6() -> Self {
        let band = |item, above_mj, up_to_mj, cents| Band {
            item,
            above_mj,
            up_to_mj,
            rate_czk: Decimal::new(cents, 2),
        };
        Self {
            without_jpv: [
                band(6001, 0, Some(FIRST_BAND_MAX_MJ), 80),
                band(6003, FIRST_BAND_MAX_MJ, Some(SECOND_BAND_MAX_MJ), 50),
                band(6005, SECOND_BAND_MAX_MJ, None, 30),
            ],
            with_jpv: [
                band(6002, 0, Some(FIRST_BAND_MAX_MJ), 200),
                band(6004, FIRST_BAND_MAX_MJ, Some(SECOND_BAND_MAX_MJ), 160),
                band(6006, SECOND_BAND_MAX_MJ, None, 80),
            ],
        }
    }

    /// The bands for SPI with or without JPV.
    pub fn bands(&self, jpv: bool) -> &[Band; 3] {
        if jpv {
            &self.with_jpv
        } else {
            &self.without_jpv
        }
    }

    /// The base fee (before minimums and percentages): the marginal sum over the bands.
    pub fn base_fee(&self, mj: u64, jpv: bool) -> BaseFee {
        let mut bands = Vec::new();
        let mut amount = Decimal::ZERO;
        for (i, band) in self.bands(jpv).iter().enumerate() {
            let units = band.units_of(mj);
            if units == 0 && i > 0 {
                continue;
            }
            let part = band.rate_czk * Decimal::from(units);
            amount += part;
            bands.push(BandCharge {
                band: *band,
                mj: units,
                amount_czk: part,
            });
        }
        BaseFee {
            mj,
            jpv,
            bands,
            amount_czk: amount,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms_of_the_calculation_page() {
        let t = Tariff::default();
        // 8 000 = 10 000 × 0,80; 78 000 = 8 000 + 140 000 × 0,50
        assert_eq!(t.base_fee(10_000, false).amount_czk, Decimal::from(8_000));
        assert_eq!(t.base_fee(150_000, false).amount_czk, Decimal::from(78_000));
        assert_eq!(t.base_fee(10_000, true).amount_czk, Decimal::from(20_000));
        assert_eq!(t.base_fee(150_000, true).amount_czk, Decimal::from(244_000));
        assert_eq!(t.base_fee(0, true).bands.len(), 1);
    }
}

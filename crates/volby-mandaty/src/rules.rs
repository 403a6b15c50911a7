//! Which rules apply to an election: the type of election and the law in force in its year.

use crate::candidates::PreferenceRule;
use crate::chamber::ChamberRules;
use crate::error::{Error, Result};

/// The type of election.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElectionType {
    /// Chamber of Deputies (`ps`), zákon 247/1995 Sb.
    Chamber,
    /// Regional councils (`kz`), zákon 130/2000 Sb.
    Regional,
    /// Municipal councils (`kv`), zákon 491/2001 Sb.
    Municipal,
    /// European Parliament (`ep`), zákon 62/2003 Sb.
    European,
    /// Senate (`senat`), zákon 247/1995 Sb.
    Senate,
}

impl ElectionType {
    /// From ČSÚ's short code: `ps`, `kz`, `kv`, `ep`, `senat`.
    pub fn from_code(code: &str) -> Result<Self> {
        Ok(match code {
            "ps" => Self::Chamber,
            "kz" => Self::Regional,
            "kv" => Self::Municipal,
            "ep" => Self::European,
            "senat" | "se" => Self::Senate,
            other => {
                return Err(Error::Unsupported(format!(
                    "election type `{other}` (ps, kz, kv, ep or senat)"
                )));
            }
        })
    }

    /// ČSÚ's short code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Chamber => "ps",
            Self::Regional => "kz",
            Self::Municipal => "kv",
            Self::European => "ep",
            Self::Senate => "senat",
        }
    }
}

/// The rules of one election type as in force in one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSet {
    /// Election type.
    pub election: ElectionType,
    /// Election year.
    pub year: u16,
    /// Chamber wording (Chamber only).
    pub chamber: Option<ChamberRules>,
    /// How preferential votes reorder a list (list elections).
    pub preference: Option<PreferenceRule>,
}

impl RuleSet {
    /// The rules for `election` in `year`.
    ///
    /// * Chamber: 2002–2020 the wording of zákon 37/2002 Sb. ([`ChamberRules::Dhondt2002`]),
    ///   from 2021 that of zákon 189/2021 Sb. ([`ChamberRules::Quota2021`]). Preferential
    ///   votes: 10 % of the list's regional votes until 2005, 7 % 2006–2009, 5 % from 2010
    ///   (the 2010 threshold reproduces ČSÚ's 2010 elected candidates 70/70; 7 % and 10 % are
    ///   consistent with the 2006 and 2002 data, their wording was not available to us). The
    ///   1996 and 1998 elections used the 1995 wording (Hagenbach-Bischoff quotas and
    ///   national lists) and are not implemented.
    /// * Regional councils: from 2000; preferential votes 10 % until 2008, 5 % from 2012
    ///   (both checked on ČSÚ's data by the reference notes).
    /// * Municipal councils: from 2002 (zákon 491/2001 Sb.).
    /// * European Parliament: from 2004.
    /// * Senate: from 1996.
    pub fn new(election: ElectionType, year: u16) -> Result<Self> {
        let share = |percent| Some(PreferenceRule::ShareOfListVotes { percent });
        let (chamber, preference) = match election {
            ElectionType::Chamber => match year {
                0..=2001 => {
                    return Err(Error::Unsupported(format!(
                        "Chamber elections of {year}: the 1995 wording (two scrutinies with \
                         Hagenbach-Bischoff quotas) is not implemented"
                    )));
                }
                2002..=2005 => (Some(ChamberRules::Dhondt2002), share(10)),
                2006..=2009 => (Some(ChamberRules::Dhondt2002), share(7)),
                2010..=2020 => (Some(ChamberRules::Dhondt2002), share(5)),
                _ => (Some(ChamberRules::Quota2021), share(5)),
            },
            ElectionType::Regional => match year {
                0..=1999 => {
                    return Err(Error::Unsupported(format!(
                        "regional councils in {year} (first elected in 2000)"
                    )));
                }
                2000..=2008 => (None, share(10)),
                _ => (None, share(5)),
            },
            ElectionType::Municipal => match year {
                0..=2001 => {
                    return Err(Error::Unsupported(format!(
                        "municipal councils in {year} (zákon 491/2001 Sb. applies from 2002)"
                    )));
                }
                _ => (
                    None,
                    Some(PreferenceRule::AboveListAverage { percent: 110 }),
                ),
            },
            ElectionType::European => match year {
                0..=2003 => {
                    return Err(Error::Unsupported(format!(
                        "European Parliament in {year} (first elected in 2004)"
                    )));
                }
                _ => (None, share(5)),
            },
            ElectionType::Senate => match year {
                0..=1995 => {
                    return Err(Error::Unsupported(format!(
                        "Senate in {year} (first elected in 1996)"
                    )));
                }
                _ => (None, None),
            },
        };
        Ok(Self {
            election,
            year,
            chamber,
            preference,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_pick_the_wording() {
        let r = RuleSet::new(ElectionType::Chamber, 2017).unwrap();
        assert_eq!(r.chamber, Some(ChamberRules::Dhondt2002));
        let r = RuleSet::new(ElectionType::Chamber, 2021).unwrap();
        assert_eq!(r.chamber, Some(ChamberRules::Quota2021));
        assert!(RuleSet::new(ElectionType::Chamber, 1998).is_err());
        assert_eq!(
            RuleSet::new(ElectionType::Regional, 2008)
                .unwrap()
                .preference,
            Some(PreferenceRule::ShareOfListVotes { percent: 10 })
        );
        assert!(ElectionType::from_code("xx").is_err());
        assert_eq!(ElectionType::from_code("kv").unwrap().code(), "kv");
    }
}

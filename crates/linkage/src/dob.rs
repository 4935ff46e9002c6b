//! How near two dates of birth are. Recording errors in dates are usually one mistyped digit,
//! the day and month swapped (US order), or the year off by one; anything else is a different date.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The relation between two dates of birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DobMatch {
    Exact,
    /// Same year; the day of one is the month of the other and the other way round.
    DayMonthSwapped,
    /// The dates written `YYYYMMDD` differ in one digit.
    OneDigit,
    /// Same day and month, years one apart.
    YearOffByOne,
    Different,
    /// One or both missing.
    Unknown,
}

impl DobMatch {
    /// Near but not exact: a likely recording error.
    pub fn is_near(self) -> bool {
        matches!(
            self,
            DobMatch::DayMonthSwapped | DobMatch::OneDigit | DobMatch::YearOffByOne
        )
    }
}

/// Compares two dates of birth.
pub fn compare(a: Option<NaiveDate>, b: Option<NaiveDate>) -> DobMatch {
    let (Some(a), Some(b)) = (a, b) else {
        return DobMatch::Unknown;
    };
    if a == b {
        return DobMatch::Exact;
    }
    if a.year() == b.year() && a.day() == b.month() && a.month() == b.day() {
        return DobMatch::DayMonthSwapped;
    }
    let (x, y) = (digits(a), digits(b));
    if x.iter().zip(y.iter()).filter(|(p, q)| p != q).count() == 1 {
        return DobMatch::OneDigit;
    }
    if a.month() == b.month() && a.day() == b.day() && (a.year() - b.year()).abs() == 1 {
        return DobMatch::YearOffByOne;
    }
    DobMatch::Different
}

/// The date as the eight digits of `YYYYMMDD` (years before 0 or after 9999 do not occur as dates
/// of birth; they compare by their low digits).
fn digits(date: NaiveDate) -> [u8; 8] {
    let value = (date.year().rem_euclid(10_000) as u32) * 10_000 + date.month() * 100 + date.day();
    let mut out = [0u8; 8];
    let mut rest = value;
    for slot in out.iter_mut().rev() {
        *slot = (rest % 10) as u8;
        rest /= 10;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn nearness_kinds() {
        assert_eq!(compare(d(1990, 4, 12), d(1990, 4, 12)), DobMatch::Exact);
        assert_eq!(
            compare(d(1990, 4, 12), d(1990, 12, 4)),
            DobMatch::DayMonthSwapped
        );
        assert_eq!(compare(d(1990, 4, 12), d(1990, 4, 13)), DobMatch::OneDigit);
        assert_eq!(compare(d(1990, 4, 12), d(1980, 4, 12)), DobMatch::OneDigit);
        assert_eq!(
            compare(d(1990, 4, 12), d(1989, 4, 12)),
            DobMatch::YearOffByOne
        );
        assert_eq!(compare(d(1990, 4, 12), d(1975, 9, 30)), DobMatch::Different);
        assert_eq!(compare(None, d(1975, 9, 30)), DobMatch::Unknown);
    }

    #[test]
    fn nearness_is_symmetric() {
        let dates = [
            d(1990, 4, 12),
            d(1990, 12, 4),
            d(1989, 4, 12),
            d(1990, 4, 13),
            d(2001, 1, 1),
            None,
        ];
        for a in dates {
            for b in dates {
                assert_eq!(compare(a, b), compare(b, a));
            }
        }
    }
}

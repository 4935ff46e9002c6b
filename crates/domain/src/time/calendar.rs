//! Working days in England and Wales: Monday to Friday, not a bank holiday. Bank holidays are data
//! (one-off days and substitute days included), bundled and replaceable at run time.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use super::bank_holidays_data::ENGLAND_AND_WALES;

/// One bank holiday.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BankHoliday {
    pub date: NaiveDate,
    pub title: String,
}

/// A bank holiday list that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("no `england-and-wales` division with an `events` list")]
    NoDivision,
    #[error("event {index}: field `date`: `{value}` is not a date (YYYY-MM-DD)")]
    BadDate { index: usize, value: String },
}

/// The working-day calendar: which days are bank holidays, and fast working-day arithmetic.
#[derive(Debug, Clone)]
pub struct Calendar {
    holidays: Vec<BankHoliday>,
    table: WorkingDayTable,
}

impl Calendar {
    /// The bundled England and Wales bank holidays (2015 to 2027 at the time of writing).
    pub fn england_and_wales() -> Self {
        let holidays = ENGLAND_AND_WALES
            .iter()
            .filter_map(|&(year, month, day, title)| {
                NaiveDate::from_ymd_opt(year, month, day).map(|date| BankHoliday {
                    date,
                    title: title.to_owned(),
                })
            })
            .collect();
        Self::from_holidays(holidays)
    }

    /// A calendar with exactly these bank holidays.
    pub fn from_holidays(mut holidays: Vec<BankHoliday>) -> Self {
        holidays.sort();
        holidays.dedup_by(|a, b| a.date == b.date);
        let table = WorkingDayTable::build(&holidays);
        Calendar { holidays, table }
    }

    /// This calendar with a newer list laid over it: for every year the newer list covers, its days
    /// replace this calendar's; other years are kept. This is how a list from GOV.UK, which covers
    /// only recent years, extends the bundled one without losing older years.
    pub fn merged_with(&self, newer: Vec<BankHoliday>) -> Self {
        let newer_years: std::collections::BTreeSet<i32> =
            newer.iter().map(|holiday| holiday.date.year()).collect();
        let mut holidays: Vec<BankHoliday> = self
            .holidays
            .iter()
            .filter(|holiday| !newer_years.contains(&holiday.date.year()))
            .cloned()
            .collect();
        holidays.extend(newer);
        Self::from_holidays(holidays)
    }

    /// Reads the England and Wales division of the GOV.UK bank holidays JSON. Accepts the whole
    /// document (`{"england-and-wales": {"events": [...]}, ...}`) or the division object alone.
    pub fn parse_govuk_json(text: &str) -> Result<Vec<BankHoliday>, CalendarError> {
        #[derive(Deserialize)]
        struct Division {
            events: Vec<GovUkEvent>,
        }
        #[derive(Deserialize)]
        struct GovUkEvent {
            title: String,
            date: String,
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|error| CalendarError::Json(error.to_string()))?;
        let division = value.get("england-and-wales").unwrap_or(&value);
        let division: Division =
            serde_json::from_value(division.clone()).map_err(|_| CalendarError::NoDivision)?;
        division
            .events
            .into_iter()
            .enumerate()
            .map(|(index, event)| {
                let date = NaiveDate::parse_from_str(&event.date, "%Y-%m-%d").map_err(|_| {
                    CalendarError::BadDate {
                        index,
                        value: event.date.clone(),
                    }
                })?;
                Ok(BankHoliday {
                    date,
                    title: event.title,
                })
            })
            .collect()
    }

    /// Every bank holiday, in date order.
    pub fn holidays(&self) -> &[BankHoliday] {
        &self.holidays
    }

    /// The first and last years the list has any bank holiday in.
    pub fn covered_years(&self) -> Option<(i32, i32)> {
        Some((
            self.holidays.first()?.date.year(),
            self.holidays.last()?.date.year(),
        ))
    }

    /// True for an England and Wales bank holiday in this list.
    pub fn is_bank_holiday(&self, date: NaiveDate) -> bool {
        self.holidays
            .binary_search_by(|holiday| holiday.date.cmp(&date))
            .is_ok()
    }

    /// True for Monday to Friday when not a bank holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !is_weekend(date) && !self.is_bank_holiday(date)
    }

    /// The `n`th working day after `date` (`date` itself is never counted). With `n = 0`, `date`.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return date;
        }
        if let Some(found) = self
            .table
            .add(date.num_days_from_ce(), n)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
        {
            return found;
        }
        self.add_working_days_by_walking(date, n)
    }

    /// As [`Calendar::add_working_days`], on day numbers (`NaiveDate::num_days_from_ce`). This is
    /// the form the rules use, as it needs no date conversions within the table's range.
    #[inline]
    pub fn add_working_days_to_day(&self, day: i32, n: u32) -> i32 {
        if n == 0 {
            return day;
        }
        if let Some(found) = self.table.add(day, n) {
            return found;
        }
        NaiveDate::from_num_days_from_ce_opt(day)
            .map(|date| self.add_working_days_by_walking(date, n).num_days_from_ce())
            .unwrap_or(day)
    }

    fn add_working_days_by_walking(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        let mut remaining = n;
        while remaining > 0 {
            let Some(next) = day.succ_opt() else {
                return NaiveDate::MAX;
            };
            day = next;
            if self.is_working_day(day) {
                remaining -= 1;
            }
        }
        day
    }

    /// Bank holidays grouped by year, for display.
    pub fn by_year(&self) -> BTreeMap<i32, Vec<&BankHoliday>> {
        let mut years: BTreeMap<i32, Vec<&BankHoliday>> = BTreeMap::new();
        for holiday in &self.holidays {
            years.entry(holiday.date.year()).or_default().push(holiday);
        }
        years
    }
}

impl Default for Calendar {
    fn default() -> Self {
        Self::england_and_wales()
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Precomputed working days from 2000 to 2100, so that "N working days after" is two array reads.
/// Rules compute several such deadlines for every case, so this is on the hot path.
#[derive(Debug, Clone)]
struct WorkingDayTable {
    first_day: i32,
    /// `working_up_to[i]`: how many working days lie in `[first_day, first_day + i]`.
    working_up_to: Vec<u32>,
    /// Every working day in the range, as a day number, in order.
    working_days: Vec<i32>,
}

const TABLE_FIRST: (i32, u32, u32) = (2000, 1, 1);
const TABLE_LAST: (i32, u32, u32) = (2100, 12, 31);

impl WorkingDayTable {
    fn build(holidays: &[BankHoliday]) -> Self {
        let first = ymd(TABLE_FIRST);
        let last = ymd(TABLE_LAST);
        let first_day = first.num_days_from_ce();
        let span = (last.num_days_from_ce() - first_day + 1) as usize;
        let mut working_up_to = Vec::with_capacity(span);
        let mut working_days = Vec::with_capacity(span * 5 / 7 + 1);
        let mut holiday_iter = holidays.iter().map(|h| h.date).peekable();
        let mut count = 0u32;
        for (offset, date) in first.iter_days().take(span).enumerate() {
            while holiday_iter.peek().is_some_and(|h| *h < date) {
                holiday_iter.next();
            }
            let holiday = holiday_iter.peek() == Some(&date);
            if !is_weekend(date) && !holiday {
                count += 1;
                working_days.push(first_day + offset as i32);
            }
            working_up_to.push(count);
        }
        WorkingDayTable {
            first_day,
            working_up_to,
            working_days,
        }
    }

    #[inline]
    fn add(&self, day: i32, n: u32) -> Option<i32> {
        let offset = usize::try_from(day - self.first_day).ok()?;
        let before = *self.working_up_to.get(offset)? as usize;
        self.working_days.get(before + n as usize - 1).copied()
    }
}

fn ymd((year, month, day): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests;

//! Deadlines as the rules state them: within N working days, N calendar days, N hours of an event,
//! or a period of N months beginning with a date.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::Calendar;
use super::london::{end_of_local_day_number, local_day_number};

/// A time allowed for an act, counted from an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timescale {
    /// Due by the end (23:59:59 local) of the Nth working day after the local date of the event.
    WorkingDays(u32),
    /// Due by the end of the local date of the event plus N days.
    CalendarDays(u32),
    /// Due exactly N hours after the event.
    Hours(u32),
}

impl Timescale {
    /// The deadline for an act required within this timescale of the instant `from`.
    pub fn deadline_after<Tz: chrono::TimeZone>(
        self,
        from: &DateTime<Tz>,
        calendar: &Calendar,
    ) -> DateTime<Utc> {
        // Day numbers rather than dates: rules compute several deadlines for every case.
        match self {
            Timescale::WorkingDays(days) => end_of_local_day_number(
                calendar.add_working_days_to_day(local_day_number(from), days),
            ),
            Timescale::CalendarDays(days) => end_of_local_day_number(
                local_day_number(from).saturating_add(i32::try_from(days).unwrap_or(i32::MAX)),
            ),
            Timescale::Hours(hours) => from.with_timezone(&Utc) + Duration::hours(i64::from(hours)),
        }
    }
}

/// The last day of "a period of `months` months beginning with `start`": the day before the date
/// `months` months after `start`, or, where that date does not exist (30 February), the last day of
/// that month.
pub fn months_period_last_day(start: NaiveDate, months: u32) -> NaiveDate {
    let month_index = i64::from(start.month0()) + i64::from(months);
    let year = i64::from(start.year()) + month_index.div_euclid(12);
    let month = month_index.rem_euclid(12) as u32 + 1;
    let Ok(year) = i32::try_from(year) else {
        return NaiveDate::MAX;
    };
    match NaiveDate::from_ymd_opt(year, month, start.day()) {
        Some(same_day) => same_day.pred_opt().unwrap_or(same_day),
        None => last_day_of_month(year, month),
    }
}

fn last_day_of_month(year: i32, month: u32) -> NaiveDate {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|first| first.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test date")
    }

    #[test]
    fn three_months_beginning_with_15_january_end_on_14_april() {
        assert_eq!(
            months_period_last_day(date(2026, 1, 15), 3),
            date(2026, 4, 14)
        );
    }

    #[test]
    fn a_missing_day_ends_the_period_on_the_last_day_of_the_month() {
        // 30 November + 3 months would be 30 February.
        assert_eq!(
            months_period_last_day(date(2025, 11, 30), 3),
            date(2026, 2, 28)
        );
        assert_eq!(
            months_period_last_day(date(2023, 11, 30), 3),
            date(2024, 2, 29)
        );
        // 29 February 2024 exists, so the period ends the day before.
        assert_eq!(
            months_period_last_day(date(2023, 11, 29), 3),
            date(2024, 2, 28)
        );
        // 31 March + 6 months would be 31 September.
        assert_eq!(
            months_period_last_day(date(2026, 3, 31), 6),
            date(2026, 9, 30)
        );
    }

    #[test]
    fn periods_cross_the_year_end() {
        assert_eq!(
            months_period_last_day(date(2026, 11, 1), 3),
            date(2027, 1, 31)
        );
        assert_eq!(
            months_period_last_day(date(2026, 12, 31), 12),
            date(2027, 12, 30)
        );
    }
}

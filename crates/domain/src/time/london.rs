//! Europe/London: which calendar date an instant falls on, and when a local day ends.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Europe::London;

/// The Europe/London calendar date on which `at` falls.
#[inline]
pub fn local_date<Tz: TimeZone>(at: &DateTime<Tz>) -> NaiveDate {
    let seconds = at.timestamp();
    match bst_bounds(at.naive_utc().date().year()) {
        Some(bst) => {
            let offset = if seconds >= bst.starts && seconds < bst.ends {
                3600
            } else {
                0
            };
            date_of_day(((seconds + offset).div_euclid(DAY)) as i32)
        }
        None => at.with_timezone(&London).date_naive(),
    }
}

/// The years for which the fast path below applies: British Summer Time has started at 01:00 UTC
/// on the last Sunday of March and ended at 01:00 UTC on the last Sunday of October since 1996
/// (Summer Time Order 2002 and the EU directive before it). Outside them, the IANA database
/// (chrono-tz) answers. Rules evaluate several dates per case, so this is on the hot path; a test
/// checks it against chrono-tz for every day of the range.
const FIRST_FAST_YEAR: i32 = 1996;
const LAST_FAST_YEAR: i32 = 2099;
const DAY: i64 = 86_400;
/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const UNIX_EPOCH_DAY: i32 = 719_163;

/// When BST starts and ends in one year, in seconds since 1970 (UTC), and the local dates (days
/// since 1970) of the first day of the year, the day it starts and the day it ends.
#[derive(Debug, Clone, Copy)]
struct BstBounds {
    starts: i64,
    ends: i64,
    year_start_day: i64,
    starts_day: i64,
    ends_day: i64,
}

/// BST bounds for every fast year, computed at compile time.
const BST_TABLE: [BstBounds; (LAST_FAST_YEAR - FIRST_FAST_YEAR + 1) as usize] = bst_table();

#[inline]
fn bst_bounds(year: i32) -> Option<BstBounds> {
    let index = usize::try_from(year.checked_sub(FIRST_FAST_YEAR)?).ok()?;
    BST_TABLE.get(index).copied()
}

const fn bst_table() -> [BstBounds; (LAST_FAST_YEAR - FIRST_FAST_YEAR + 1) as usize] {
    let empty = BstBounds {
        starts: 0,
        ends: 0,
        year_start_day: 0,
        starts_day: 0,
        ends_day: 0,
    };
    let mut table = [empty; (LAST_FAST_YEAR - FIRST_FAST_YEAR + 1) as usize];
    let mut index = 0;
    while index < table.len() {
        let year = FIRST_FAST_YEAR as i64 + index as i64;
        let (starts_day, ends_day) = (last_sunday(year, 3), last_sunday(year, 10));
        table[index] = BstBounds {
            starts: starts_day * DAY + 3600,
            ends: ends_day * DAY + 3600,
            year_start_day: days_from_civil(year, 1, 1),
            starts_day,
            ends_day,
        };
        index += 1;
    }
    table
}

/// Days since 1970-01-01 of the last Sunday of a 31-day month.
const fn last_sunday(year: i64, month: i64) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
    last - (last + 4).rem_euclid(7)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn date_of_day(days_since_epoch: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days_since_epoch + UNIX_EPOCH_DAY)
        .unwrap_or(NaiveDate::MIN)
}

/// The local date of `at` as a day number (`NaiveDate::num_days_from_ce`).
#[inline]
pub fn local_day_number<Tz: TimeZone>(at: &DateTime<Tz>) -> i32 {
    let seconds = at.timestamp();
    match bst_bounds(at.naive_utc().date().year()) {
        Some(bst) => {
            let offset = if seconds >= bst.starts && seconds < bst.ends {
                3600
            } else {
                0
            };
            (seconds + offset).div_euclid(DAY) as i32 + UNIX_EPOCH_DAY
        }
        None => local_date(at).num_days_from_ce(),
    }
}

/// The end of the local day with this day number (`NaiveDate::num_days_from_ce`).
#[inline]
pub fn end_of_local_day_number(day: i32) -> DateTime<Utc> {
    let since_epoch = i64::from(day - UNIX_EPOCH_DAY);
    let first = BST_TABLE[0].year_start_day;
    let estimate = ((since_epoch - first) * 400).div_euclid(146_097);
    if let Ok(mut index) = usize::try_from(estimate) {
        // The estimate is at most one year out either way.
        if index < BST_TABLE.len() && since_epoch < BST_TABLE[index].year_start_day && index > 0 {
            index -= 1;
        }
        if index + 1 < BST_TABLE.len() && since_epoch >= BST_TABLE[index + 1].year_start_day {
            index += 1;
        }
        if let Some(bst) = BST_TABLE
            .get(index)
            .filter(|b| since_epoch >= b.year_start_day)
        {
            let summer = since_epoch >= bst.starts_day && since_epoch < bst.ends_day;
            let offset = if summer { 3600 } else { 0 };
            let last_year = index + 1 == BST_TABLE.len();
            if !last_year || since_epoch < bst.year_start_day + 365 {
                if let Some(end) = DateTime::from_timestamp(since_epoch * DAY + DAY - 1 - offset, 0)
                {
                    return end;
                }
            }
        }
    }
    end_of_local_day(NaiveDate::from_num_days_from_ce_opt(day).unwrap_or(NaiveDate::MIN))
}

/// The instant `at` as Europe/London wall time, with the offset in force then (`+00:00` or `+01:00`).
pub fn in_london<Tz: TimeZone>(at: &DateTime<Tz>) -> DateTime<FixedOffset> {
    let local = at.with_timezone(&London);
    local.with_timezone(&local.offset().fix())
}

/// The end of the local day `date`: 23:59:59 Europe/London, as an instant.
pub fn end_of_local_day(date: NaiveDate) -> DateTime<Utc> {
    let last_second = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN);
    let wall = date.and_time(last_second);
    if let Some(bst) = bst_bounds(date.year()) {
        // BST is in force at 23:59:59 local from the day it starts to the day before it ends.
        let day = i64::from(date.num_days_from_ce() - UNIX_EPOCH_DAY);
        let summer = day >= bst.starts.div_euclid(DAY) && day < bst.ends.div_euclid(DAY);
        let offset = if summer { 3600 } else { 0 };
        if let Some(end) = DateTime::from_timestamp(day * DAY + DAY - 1 - offset, 0) {
            return end;
        }
    }
    // Clocks in the United Kingdom change at 01:00 and 02:00, so 23:59:59 always exists exactly once;
    // the fallback only guards against a future change to the rules.
    London
        .from_local_datetime(&wall)
        .earliest()
        .map(|local| local.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&wall))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_fast_path_agrees_with_the_tz_database_on_every_day() {
        let first = NaiveDate::from_ymd_opt(FIRST_FAST_YEAR, 1, 1).expect("date");
        let last = NaiveDate::from_ymd_opt(LAST_FAST_YEAR, 12, 31).expect("date");
        for day in first.iter_days().take_while(|day| *day <= last) {
            let wall = day.and_hms_opt(23, 59, 59).expect("time");
            let expected = London
                .from_local_datetime(&wall)
                .single()
                .expect("unambiguous")
                .with_timezone(&Utc);
            assert_eq!(end_of_local_day(day), expected, "{day}");
        }
    }

    #[test]
    fn day_numbers_agree_with_dates_on_every_day() {
        let first = NaiveDate::from_ymd_opt(1990, 1, 1).expect("date");
        let last = NaiveDate::from_ymd_opt(2105, 12, 31).expect("date");
        for day in first.iter_days().take_while(|day| *day <= last) {
            assert_eq!(
                end_of_local_day_number(day.num_days_from_ce()),
                end_of_local_day(day),
                "{day}"
            );
        }
    }

    proptest! {
        #[test]
        fn day_numbers_agree_with_local_dates(secs in 600_000_000i64..4_200_000_000i64) {
            let at = Utc.timestamp_opt(secs, 0).single().expect("instant");
            prop_assert_eq!(local_day_number(&at), local_date(&at).num_days_from_ce());
        }

        #[test]
        fn local_dates_agree_with_the_tz_database(secs in 820_454_400i64..4_102_444_800i64) {
            let at = Utc.timestamp_opt(secs, 0).single().expect("instant");
            prop_assert_eq!(local_date(&at), at.with_timezone(&London).date_naive());
        }

        #[test]
        fn local_dates_agree_around_clock_changes(year in 1996i32..2100, october in any::<bool>(), minutes in -180i64..180) {
            let sunday = last_sunday(i64::from(year), if october { 10 } else { 3 });
            let change = DateTime::from_timestamp(sunday * DAY + 3600, 0).expect("instant");
            let at = change + chrono::Duration::minutes(minutes);
            prop_assert_eq!(local_date(&at), at.with_timezone(&London).date_naive());
        }
    }

    fn instant(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).expect("test timestamp")
    }

    #[test]
    fn local_date_follows_bst() {
        // 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
        assert_eq!(
            local_date(&instant("2026-06-30T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 7, 1).expect("date")
        );
        // In winter London is on UTC.
        assert_eq!(
            local_date(&instant("2026-01-30T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 1, 30).expect("date")
        );
    }

    #[test]
    fn end_of_day_carries_the_offset_in_force() {
        let summer = end_of_local_day(NaiveDate::from_ymd_opt(2026, 7, 1).expect("date"));
        assert_eq!(in_london(&summer).to_rfc3339(), "2026-07-01T23:59:59+01:00");
        let winter = end_of_local_day(NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"));
        assert_eq!(in_london(&winter).to_rfc3339(), "2026-12-01T23:59:59+00:00");
        // The day the clocks go forward (29 March 2026) ends in BST.
        let change = end_of_local_day(NaiveDate::from_ymd_opt(2026, 3, 29).expect("date"));
        assert_eq!(in_london(&change).to_rfc3339(), "2026-03-29T23:59:59+01:00");
        // The day they go back (25 October 2026) ends in GMT.
        let back = end_of_local_day(NaiveDate::from_ymd_opt(2026, 10, 25).expect("date"));
        assert_eq!(in_london(&back).to_rfc3339(), "2026-10-25T23:59:59+00:00");
    }
}

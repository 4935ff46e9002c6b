//! Europe/London: which calendar date an instant falls on, and when a local day ends.

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::Europe::London;

/// The Europe/London calendar date on which `at` falls.
pub fn local_date<Tz: TimeZone>(at: &DateTime<Tz>) -> NaiveDate {
    let utc = at.naive_utc();
    match bst_bounds(utc.date().year()) {
        Some((starts, ends)) => {
            let offset = if utc >= starts && utc < ends { 3600 } else { 0 };
            (utc + chrono::Duration::seconds(offset)).date()
        }
        None => at.with_timezone(&London).date_naive(),
    }
}

/// The years for which the fast path below applies: British Summer Time has started at 01:00 UTC
/// on the last Sunday of March and ended at 01:00 UTC on the last Sunday of October since 1996
/// (Summer Time Order 2002 and the EU directive before it). Outside them, the IANA database
/// (chrono-tz) answers. Rules evaluate several dates per case, so this is on the hot path; a test
/// checks it against chrono-tz for every day of the range.
const FAST_YEARS: std::ops::RangeInclusive<i32> = 1996..=2099;

/// When BST starts and ends in `year`, as UTC wall times, for years in [`FAST_YEARS`].
fn bst_bounds(year: i32) -> Option<(NaiveDateTime, NaiveDateTime)> {
    if !FAST_YEARS.contains(&year) {
        return None;
    }
    let one_am = NaiveTime::from_hms_opt(1, 0, 0)?;
    Some((
        last_sunday(year, 3)?.and_time(one_am),
        last_sunday(year, 10)?.and_time(one_am),
    ))
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let last = NaiveDate::from_ymd_opt(year, month, 31)?;
    Some(last - chrono::Duration::days(i64::from(last.weekday().num_days_from_sunday())))
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
    if let Some((starts, ends)) = bst_bounds(date.year()) {
        // BST is in force at 23:59:59 local from the day it starts to the day before it ends.
        let summer = date >= starts.date() && date < ends.date();
        let offset = if summer { 3600 } else { 0 };
        return Utc.from_utc_datetime(&(wall - chrono::Duration::seconds(offset)));
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
        let first = NaiveDate::from_ymd_opt(*FAST_YEARS.start(), 1, 1).expect("date");
        let last = NaiveDate::from_ymd_opt(*FAST_YEARS.end(), 12, 31).expect("date");
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

    proptest! {
        #[test]
        fn local_dates_agree_with_the_tz_database(secs in 820_454_400i64..4_102_444_800i64) {
            let at = Utc.timestamp_opt(secs, 0).single().expect("instant");
            prop_assert_eq!(local_date(&at), at.with_timezone(&London).date_naive());
        }

        #[test]
        fn local_dates_agree_around_clock_changes(year in 1996i32..2100, october in any::<bool>(), minutes in -180i64..180) {
            let change = last_sunday(year, if october { 10 } else { 3 }).expect("date").and_hms_opt(1, 0, 0).expect("time");
            let at = Utc.from_utc_datetime(&(change + chrono::Duration::minutes(minutes)));
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

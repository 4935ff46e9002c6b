//! Europe/London: which calendar date an instant falls on, and when a local day ends.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Europe::London;

/// The Europe/London calendar date on which `at` falls.
pub fn local_date<Tz: TimeZone>(at: &DateTime<Tz>) -> NaiveDate {
    at.with_timezone(&London).date_naive()
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

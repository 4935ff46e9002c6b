use super::*;
use crate::time::{Timescale, end_of_local_day, in_london, local_date};
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test date")
}

fn calendar() -> Calendar {
    Calendar::england_and_wales()
}

/// The slow, obviously correct definition the table must agree with.
fn add_working_days_by_walking(calendar: &Calendar, from: NaiveDate, n: u32) -> NaiveDate {
    let mut day = from;
    let mut left = n;
    while left > 0 {
        day = day.succ_opt().expect("in range");
        if calendar.is_working_day(day) {
            left -= 1;
        }
    }
    day
}

#[test]
fn bundled_list_covers_2015_to_2027() {
    assert_eq!(calendar().covered_years(), Some((2015, 2027)));
    for year in 2015..=2027 {
        let count = calendar().by_year().get(&year).map_or(0, Vec::len);
        assert!(
            (8..=10).contains(&count),
            "{year} has {count} bank holidays"
        );
    }
}

#[test]
fn one_off_and_substitute_days_are_bank_holidays() {
    let cal = calendar();
    for day in [
        date(2022, 6, 3),   // Platinum Jubilee
        date(2022, 9, 19),  // State funeral
        date(2023, 5, 8),   // Coronation
        date(2026, 12, 28), // Boxing Day substitute
        date(2027, 12, 27), // Christmas Day substitute
        date(2027, 12, 28), // Boxing Day substitute
    ] {
        assert!(cal.is_bank_holiday(day), "{day}");
        assert!(!cal.is_working_day(day), "{day}");
    }
    // 26 December 2026 is a Saturday: a weekend, not a listed bank holiday.
    assert!(!cal.is_bank_holiday(date(2026, 12, 26)));
}

#[test]
fn friday_plus_one_working_day_is_monday_or_tuesday_after_a_bank_holiday() {
    let cal = calendar();
    assert_eq!(cal.add_working_days(date(2026, 3, 6), 1), date(2026, 3, 9));
    // Friday 22 May 2026; Monday 25 May is the spring bank holiday.
    assert_eq!(
        cal.add_working_days(date(2026, 5, 22), 1),
        date(2026, 5, 26)
    );
    // Christmas 2026: Thursday 24 December + 1 is Tuesday 29 December.
    assert_eq!(
        cal.add_working_days(date(2026, 12, 24), 1),
        date(2026, 12, 29)
    );
    // Easter 2026: Thursday 2 April + 1 skips Good Friday, the weekend and Easter Monday.
    assert_eq!(cal.add_working_days(date(2026, 4, 2), 1), date(2026, 4, 7));
    // A Saturday + 1 is the Monday.
    assert_eq!(cal.add_working_days(date(2026, 3, 7), 1), date(2026, 3, 9));
}

#[test]
fn govuk_json_replaces_the_years_it_covers() {
    let json = r#"{"england-and-wales": {"division": "england-and-wales", "events": [
        {"title": "New Year's Day", "date": "2028-01-03", "notes": "Substitute day", "bunting": true},
        {"title": "Invented holiday", "date": "2027-07-01", "notes": "", "bunting": true}
    ]}, "scotland": {"division": "scotland", "events": []}}"#;
    let newer = Calendar::parse_govuk_json(json).expect("valid list");
    let merged = calendar().merged_with(newer);
    assert!(merged.is_bank_holiday(date(2028, 1, 3)));
    assert!(merged.is_bank_holiday(date(2027, 7, 1)));
    // 2027 is replaced as a whole by the newer list; 2026 is kept.
    assert!(!merged.is_bank_holiday(date(2027, 12, 27)));
    assert!(merged.is_bank_holiday(date(2026, 12, 28)));
}

#[test]
fn govuk_json_errors_name_the_problem() {
    assert!(matches!(
        Calendar::parse_govuk_json("{"),
        Err(CalendarError::Json(_))
    ));
    assert_eq!(
        Calendar::parse_govuk_json(r#"{"scotland": {"events": []}}"#),
        Err(CalendarError::NoDivision)
    );
    assert_eq!(
        Calendar::parse_govuk_json(r#"{"events": [{"title": "x", "date": "2028-13-01"}]}"#),
        Err(CalendarError::BadDate {
            index: 0,
            value: "2028-13-01".into()
        })
    );
}

#[test]
fn working_day_deadline_ends_at_local_midnight_with_the_offset_in_force() {
    let cal = calendar();
    let friday = Utc
        .with_ymd_and_hms(2026, 3, 6, 10, 0, 0)
        .single()
        .expect("instant");
    let due = Timescale::WorkingDays(1).deadline_after(&friday, &cal);
    assert_eq!(in_london(&due).to_rfc3339(), "2026-03-09T23:59:59+00:00");
    // Reported late on Friday 27 March 2026 (GMT); due by the end of Monday 30 March (BST).
    let before_change = Utc
        .with_ymd_and_hms(2026, 3, 27, 23, 30, 0)
        .single()
        .expect("instant");
    let due = Timescale::WorkingDays(1).deadline_after(&before_change, &cal);
    assert_eq!(in_london(&due).to_rfc3339(), "2026-03-30T23:59:59+01:00");
}

#[test]
fn an_event_just_after_midnight_bst_counts_from_the_local_date() {
    let cal = calendar();
    // 23:30 UTC on Thursday 2 July 2026 is 00:30 on Friday 3 July in London.
    let at = Utc
        .with_ymd_and_hms(2026, 7, 2, 23, 30, 0)
        .single()
        .expect("instant");
    assert_eq!(local_date(&at), date(2026, 7, 3));
    let due = Timescale::WorkingDays(1).deadline_after(&at, &cal);
    assert_eq!(in_london(&due).to_rfc3339(), "2026-07-06T23:59:59+01:00");
}

#[test]
fn hours_are_exact_and_calendar_days_end_at_local_midnight() {
    let cal = calendar();
    let at = Utc
        .with_ymd_and_hms(2026, 3, 28, 12, 0, 0)
        .single()
        .expect("instant");
    // 24 hours across the clock change is 24 real hours, not a wall-clock day.
    let due = Timescale::Hours(24).deadline_after(&at, &cal);
    assert_eq!(due, at + Duration::hours(24));
    assert_eq!(in_london(&due).to_rfc3339(), "2026-03-29T13:00:00+01:00");
    let due = Timescale::CalendarDays(7).deadline_after(&at, &cal);
    assert_eq!(in_london(&due).to_rfc3339(), "2026-04-04T23:59:59+01:00");
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (date(2014, 1, 1).num_days_from_ce()..=date(2029, 12, 31).num_days_from_ce())
        .prop_map(|n| NaiveDate::from_num_days_from_ce_opt(n).expect("in range"))
}

fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    (1_400_000_000i64..1_900_000_000i64)
        .prop_map(|secs| Utc.timestamp_opt(secs, 0).single().expect("instant"))
}

proptest! {
    #[test]
    fn a_working_day_deadline_is_never_a_weekend_or_bank_holiday(from in any_date(), n in 1u32..40) {
        let cal = calendar();
        let due = cal.add_working_days(from, n);
        prop_assert!(cal.is_working_day(due), "{from} + {n} = {due}");
        prop_assert!(due > from);
    }

    #[test]
    fn the_table_agrees_with_walking_the_calendar(from in any_date(), n in 0u32..60) {
        let cal = calendar();
        prop_assert_eq!(cal.add_working_days(from, n), add_working_days_by_walking(&cal, from, n));
    }

    #[test]
    fn more_working_days_never_move_a_deadline_earlier(from in any_instant(), n in 0u32..30, extra in 0u32..10) {
        let cal = calendar();
        let shorter = Timescale::WorkingDays(n).deadline_after(&from, &cal);
        let longer = Timescale::WorkingDays(n + extra).deadline_after(&from, &cal);
        prop_assert!(longer >= shorter);
        let shorter = Timescale::CalendarDays(n).deadline_after(&from, &cal);
        let longer = Timescale::CalendarDays(n + extra).deadline_after(&from, &cal);
        prop_assert!(longer >= shorter);
    }

    #[test]
    fn a_later_event_never_has_an_earlier_deadline(from in any_instant(), gap in 0i64..2_000_000, n in 0u32..15) {
        let cal = calendar();
        let later = from + Duration::seconds(gap);
        for scale in [Timescale::WorkingDays(n), Timescale::CalendarDays(n), Timescale::Hours(n)] {
            prop_assert!(scale.deadline_after(&later, &cal) >= scale.deadline_after(&from, &cal));
        }
    }

    #[test]
    fn a_day_ends_at_235959_local_in_gmt_or_bst(day in any_date()) {
        let end = in_london(&end_of_local_day(day));
        prop_assert_eq!(end.date_naive(), day);
        prop_assert_eq!(end.time(), chrono::NaiveTime::from_hms_opt(23, 59, 59).expect("time"));
        let offset = end.offset().local_minus_utc();
        prop_assert!(offset == 0 || offset == 3600);
        // BST runs from the last Sunday of March to the last Sunday of October.
        let month = day.month();
        if (5..=9).contains(&month) { prop_assert_eq!(offset, 3600); }
        if month <= 2 || month >= 11 { prop_assert_eq!(offset, 0); }
    }

    #[test]
    fn the_deadline_is_after_the_event(from in any_instant(), n in 0u32..20) {
        let cal = calendar();
        for scale in [Timescale::WorkingDays(n), Timescale::CalendarDays(n), Timescale::Hours(n)] {
            prop_assert!(scale.deadline_after(&from, &cal) >= from);
        }
    }
}

//! Reading the dates and instants of stored facts quickly.
//!
//! A national report reads hundreds of thousands of facts rows, each with a report date, a latest
//! event and a trigger date and deadline per finding: some 25 dates a case. chrono's general
//! parser took a tenth of a national report's time. Facts are written by chrono's own serializer,
//! so almost every value has one of two fixed shapes (`2026-09-19`, `2026-09-20T11:43:05Z`); those
//! are read field by field here, and anything else (fractions of a second, offsets, leap seconds)
//! goes to chrono's parser, so what is accepted and what it means do not change.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Deserializer;
use serde::de::{Error, Visitor};

/// Digits `text[range]` as a number, if they are all ASCII digits.
fn digits(text: &[u8], from: usize, to: usize) -> Option<u32> {
    text.get(from..to)?.iter().try_fold(0u32, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// `YYYY-MM-DD` at the start of `b`.
fn date_prefix(b: &[u8]) -> Option<NaiveDate> {
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let year = i32::try_from(digits(b, 0, 4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(b, 5, 7)?, digits(b, 8, 10)?)
}

/// A calendar date, as chrono's `NaiveDate` reads it.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() == 10
        && let Some(date) = date_prefix(b)
    {
        return Some(date);
    }
    text.parse().ok()
}

/// An instant, as chrono's `DateTime<Utc>` reads it.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() == 20 && b[10] == b'T' && b[13] == b':' && b[16] == b':' && b[19] == b'Z' {
        let time =
            NaiveTime::from_hms_opt(digits(b, 11, 13)?, digits(b, 14, 16)?, digits(b, 17, 19)?);
        if let (Some(date), Some(time)) = (date_prefix(b), time) {
            return Some(date.and_time(time).and_utc());
        }
    }
    text.parse().ok()
}

struct DateVisitor;

impl Visitor<'_> for DateVisitor {
    type Value = NaiveDate;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a date (YYYY-MM-DD)")
    }
    fn visit_str<E: Error>(self, text: &str) -> Result<NaiveDate, E> {
        parse_date(text).ok_or_else(|| E::custom(format!("not a date: {text:?}")))
    }
}

struct InstantVisitor;

impl Visitor<'_> for InstantVisitor {
    type Value = DateTime<Utc>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an RFC 3339 instant")
    }
    fn visit_str<E: Error>(self, text: &str) -> Result<DateTime<Utc>, E> {
        parse_instant(text).ok_or_else(|| E::custom(format!("not an instant: {text:?}")))
    }
}

struct OptionalInstantVisitor;

impl<'de> Visitor<'de> for OptionalInstantVisitor {
    type Value = Option<DateTime<Utc>>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an RFC 3339 instant or null")
    }
    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(InstantVisitor).map(Some)
    }
}

pub fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    deserializer.deserialize_str(DateVisitor)
}

pub fn instant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    deserializer.deserialize_str(InstantVisitor)
}

pub fn optional_instant<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    deserializer.deserialize_option(OptionalInstantVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    proptest! {
        /// Whatever chrono writes, the fast reader reads back as chrono does.
        #[test]
        fn reads_what_chrono_writes(seconds in -5_000_000_000i64..5_000_000_000i64, nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000]) {
            let instant = Utc.timestamp_opt(seconds, nanos).single().expect("in range");
            let written = serde_json::to_string(&instant).expect("json");
            let text: String = serde_json::from_str(&written).expect("string");
            prop_assert_eq!(parse_instant(&text), Some(instant));
            prop_assert_eq!(parse_instant(&text), text.parse::<DateTime<Utc>>().ok());
            let date = instant.date_naive();
            let written = serde_json::to_string(&date).expect("json");
            let text: String = serde_json::from_str(&written).expect("string");
            prop_assert_eq!(parse_date(&text), Some(date));
        }

        /// On any text at all, the fast reader agrees with chrono's.
        #[test]
        fn agrees_with_chrono_on_any_text(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|\\.[0-9]{1,9}Z|[+-][0-9]{2}:[0-9]{2}))?") {
            prop_assert_eq!(parse_date(&text), text.parse::<NaiveDate>().ok());
            prop_assert_eq!(parse_instant(&text), text.parse::<DateTime<Utc>>().ok());
        }
    }

    #[test]
    fn the_slow_shapes_still_read() {
        let offset = parse_instant("2026-03-29T01:30:00+01:00").expect("offset");
        assert_eq!(offset, Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap());
        let fraction = parse_instant("2026-03-29T01:30:00.250Z").expect("fraction");
        assert_eq!(
            fraction - Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap(),
            Duration::milliseconds(250)
        );
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(
            parse_instant("2026-02-28T24:00:00Z"),
            "2026-02-28T24:00:00Z".parse().ok()
        );
        assert_eq!(parse_instant("not a time"), None);
    }
}

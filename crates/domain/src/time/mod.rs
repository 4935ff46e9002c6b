//! Time arithmetic as the law counts it: Europe/London calendar dates, working days (Monday to
//! Friday, not an England and Wales bank holiday), calendar days, hours, and periods of months.
//! See `ARCHITECTURE.md` (time arithmetic) for the exact definitions and their sources.

#[rustfmt::skip]
mod bank_holidays_data;
pub mod calendar;
pub mod london;
pub mod timescale;

pub use calendar::{BankHoliday, Calendar, CalendarError};
pub use london::{end_of_local_day, in_london, local_date};
pub use timescale::{Timescale, months_period_last_day};

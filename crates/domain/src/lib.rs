//! rasso's domain core: the case interchange format, the case projection, time arithmetic with
//! England and Wales bank holidays, and the rule engine with the national rule set.
//!
//! The core is pure: no I/O, no async, no clock. The current time is always passed in as `now`, so
//! every rule can be tested at any instant. Once a case has been accepted (parsed and validated at
//! an edge), evaluating rules over it cannot fail.

pub mod case;
pub mod interchange;
pub mod offences;
pub mod rules;
pub mod time;

pub use case::Case;
pub use interchange::{CaseKey, Event, EventData, Kind, PersonKey, Record, Timestamp};
pub use rules::{Finding, RuleIndex, RuleSet, Status};

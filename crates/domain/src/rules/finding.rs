//! Findings: what a rule says about one instance in one case.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::interchange::{Kind, PersonKey, Timestamp};

/// Where a rule instance stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The required act happened at or before the deadline.
    Met,
    /// The required act happened after the deadline.
    MetLate,
    /// Not yet done; the deadline is still ahead.
    Due,
    /// Not yet done; the deadline has passed.
    Overdue,
    /// An act was done without a safeguard that had to come first, or the record is inconsistent.
    Breached,
    /// Something to consider; no deadline.
    Advice,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 6] = [
        Status::Met,
        Status::MetLate,
        Status::Due,
        Status::Overdue,
        Status::Breached,
        Status::Advice,
    ];

    /// The status as written in findings: `met`, `met_late`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::MetLate => "met_late",
            Status::Due => "due",
            Status::Overdue => "overdue",
            Status::Breached => "breached",
            Status::Advice => "advice",
        }
    }

    /// True for findings that still ask for attention: due, overdue, breached and advice.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Met | Status::MetLate)
    }

    /// Lower is more urgent: overdue, then breached, then due, then advice, then the closed ones.
    pub fn urgency(self) -> u8 {
        match self {
            Status::Overdue => 0,
            Status::Breached => 1,
            Status::Due => 2,
            Status::Advice => 3,
            Status::MetLate => 4,
            Status::Met => 5,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's position in its rule set. National rules come first, in catalogue order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleIndex(pub u16);

/// One finding for one rule instance. The case it belongs to is held by the caller; the rule's id
/// and guidance page are looked up in the rule set by `rule`. This keeps findings free of
/// allocation, which matters when a national report evaluates millions of cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleIndex,
    /// The position of the rule set version that judged it (`RuleSet::version`): the version in
    /// force at the trigger.
    pub version: u8,
    /// The victim for `VC-` rules; otherwise the person named on the triggering event, if any.
    pub person: Option<PersonKey>,
    /// The kind of the event that started the instance.
    pub trigger: Kind,
    pub trigger_at: Timestamp,
    pub status: Status,
    /// The deadline, where the rule has one.
    pub due_by: Option<DateTime<Utc>>,
    /// When the completing event happened, where there is one.
    pub done_at: Option<Timestamp>,
}

/// Status of an act required by `due`: done (the earliest completing event), or not yet.
pub(crate) fn deadline_status(
    done: Option<&Timestamp>,
    due: &DateTime<Utc>,
    now: &DateTime<Utc>,
) -> Status {
    match done {
        Some(at) if at <= due => Status::Met,
        Some(_) => Status::MetLate,
        None if now <= due => Status::Due,
        None => Status::Overdue,
    }
}

//! View rows: a case's findings, people, timeline and decisions, and its caseload row, as pages and
//! the API show them, with the text helpers they share (UK local times, statuses in words). Plain
//! data made from domain values; the read model ([`crate::state`]) holds them, and the views render
//! them (`templates`).

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use domain::interchange::Role as PersonRole;
use domain::rules::FindingView;
use domain::{Case, EventData, Status};
use serde::Serialize;

/// A finding as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    #[serde(flatten)]
    pub view: FindingView,
    pub title: String,
    /// The deadline in UK local time, for people.
    pub due_local: Option<String>,
    pub guidance_title: Option<String>,
    #[serde(skip)]
    pub status: Status,
    #[serde(skip)]
    pub due: Option<DateTime<Utc>>,
}

impl FindingRow {
    pub fn status_label(&self) -> &'static str {
        status_label(self.status)
    }
    pub fn status_class(&self) -> &'static str {
        self.status.as_str()
    }
    /// The GOV.UK tag colour of the status (breached red, overdue orange, ...).
    pub fn tag_class(&self) -> &'static str {
        crate::rows::tag_class(self.status)
    }
    /// What triggered the finding, in words.
    pub fn trigger_text(&self) -> &'static str {
        domain::interchange::Kind::from_name(&self.view.trigger)
            .map_or("", |kind| crate::kinds::spec(kind).title)
    }
    pub fn person_text(&self) -> &str {
        self.view.person.as_deref().unwrap_or("")
    }
    pub fn due_text(&self) -> &str {
        self.due_local.as_deref().unwrap_or("")
    }
}

pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Met => "Met",
        Status::MetLate => "Met late",
        Status::Due => "Due",
        Status::Overdue => "Overdue",
        Status::Breached => "Breached",
        Status::Advice => "Advice",
    }
}

/// A date in UK local time for people: `6 March 2026`.
pub fn local_date(at: &DateTime<Utc>) -> String {
    domain::time::in_london(at).format("%-d %B %Y").to_string()
}

/// A time in UK local time for people: `6 March 2026 10:00`.
pub fn local_time(at: &DateTime<Utc>) -> String {
    domain::time::in_london(at)
        .format("%-d %B %Y %H:%M")
        .to_string()
}

/// One case in a caseload.
#[derive(Debug, Clone, Serialize)]
pub struct CaseloadRow {
    pub force: String,
    pub reference: String,
    pub officer: Option<String>,
    pub open_findings: usize,
    pub overdue: usize,
    pub breached: usize,
    /// The most urgent open finding.
    pub most_urgent: Option<String>,
    pub most_urgent_status: Option<Status>,
    pub next_due_local: Option<String>,
    /// The rules of its open findings (for the caseload's filter by rule).
    #[serde(skip)]
    pub open_rules: Vec<String>,
    /// The people's keys (for the search by person key).
    #[serde(skip)]
    pub people: Vec<String>,
    /// The next deadline of a due or overdue finding (for sorting by deadline).
    #[serde(skip)]
    pub next_due: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub(crate) sort_key: (u8, Option<DateTime<Utc>>),
    /// The row as the caseload page shows it, rendered on first use (see `page_cache`).
    #[serde(skip)]
    pub(crate) html: OnceLock<String>,
}

impl CaseloadRow {
    pub fn urgent_text(&self) -> &str {
        self.most_urgent.as_deref().unwrap_or("None")
    }
    pub fn urgent_class(&self) -> &'static str {
        self.most_urgent_status.map_or("met", |s| s.as_str())
    }
    pub fn urgent_label(&self) -> &'static str {
        self.most_urgent_status.map_or("", status_label)
    }
    pub fn due_text(&self) -> &str {
        self.next_due_local.as_deref().unwrap_or("")
    }
    pub fn officer_text(&self) -> &str {
        self.officer.as_deref().unwrap_or("")
    }
}

/// Per officer: open cases and overdue findings.
#[derive(Debug, Clone, Serialize)]
pub struct OfficerLoad {
    pub officer: String,
    pub open_cases: usize,
    pub overdue: usize,
}

/// One person on a case (identity sealed unless unsealed for this view).
#[derive(Debug, Clone, Serialize)]
pub struct PersonRow {
    pub key: String,
    pub role: String,
    pub age_at_offence: Option<u32>,
    pub enhanced_rights: bool,
    /// The unsealed name, when the viewer may see it.
    pub name: Option<String>,
}

impl PersonRow {
    pub fn name_text(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
    pub fn is_victim(&self) -> bool {
        self.role == "victim"
    }
    pub fn age_text(&self) -> String {
        self.age_at_offence
            .map(|a| a.to_string())
            .unwrap_or_default()
    }
}

/// A person's role as the format writes it.
pub fn role_name(role: PersonRole) -> &'static str {
    match role {
        PersonRole::Victim => "victim",
        PersonRole::Suspect => "suspect",
        PersonRole::Witness => "witness",
    }
}

/// The people of a case, identity sealed.
pub fn people(case: &Case) -> Vec<PersonRow> {
    let mut rows: Vec<PersonRow> = Vec::new();
    for event in case.events() {
        if let EventData::PersonAdded(added) = &event.data {
            let role = role_name(added.role);
            let row = PersonRow {
                key: added.person.to_string(),
                role: role.to_owned(),
                age_at_offence: added.age_at_offence,
                enhanced_rights: added.enhanced_rights.unwrap_or(role == "victim"),
                name: None,
            };
            match rows.iter_mut().find(|r| r.key == row.key) {
                Some(existing) => *existing = row,
                None => rows.push(row),
            }
        }
    }
    rows
}

/// A name for people from an unsealed identity.
pub fn display_name(identity: &domain::interchange::Identity) -> String {
    let parts: Vec<&str> = [
        identity.given_name.as_deref(),
        identity.family_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "(no name recorded)".to_owned()
    } else {
        parts.join(" ")
    }
}

/// One entry of the whole-story timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineRow {
    pub at: String,
    pub at_local: String,
    pub kind: String,
    pub label: String,
    pub person: Option<String>,
    /// Details in words (never identity: `person_added` shows the key and role only).
    pub detail: String,
}

impl TimelineRow {
    pub fn person_text(&self) -> &str {
        self.person.as_deref().unwrap_or("")
    }
}

/// An entry of the decision log.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRow {
    pub at_local: String,
    pub topic: String,
    pub decision: String,
    pub rationale: String,
    pub officer: String,
}

/// The GOV.UK tag colour of a status: breached is the strongest (red), overdue orange, due
/// yellow, advice blue, met green, met late grey.
pub fn tag_class(status: Status) -> &'static str {
    match status {
        Status::Breached => "govuk-tag--red",
        Status::Overdue => "govuk-tag--orange",
        Status::Due => "govuk-tag--yellow",
        Status::Advice => "govuk-tag--blue",
        Status::MetLate => "govuk-tag--grey",
        Status::Met => "govuk-tag--green",
    }
}

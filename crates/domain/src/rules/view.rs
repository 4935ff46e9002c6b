//! Findings as the interchange document writes them: self-describing, with the case, the rule id,
//! the guidance page and times as RFC 3339 (deadlines with the Europe/London offset in force).

use serde::{Deserialize, Serialize};

use crate::interchange::{CaseKey, format_timestamp};
use crate::time::in_london;

use super::{Finding, RuleSet, Status};

/// One finding in the form `rasso check --format json` prints and the API returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingView {
    pub case: String,
    pub force: String,
    pub rule: String,
    pub person: Option<String>,
    pub trigger: String,
    pub trigger_at: String,
    pub status: Status,
    pub due_by: Option<String>,
    pub done_at: Option<String>,
    pub guidance: String,
    /// The rule set version that judged the finding (the one in force at the trigger).
    #[serde(default)]
    pub rule_set: String,
    /// Where the deadline comes from: `law`, `victims_code`, `national_guidance`,
    /// `rasso_default` or `force`; absent without a deadline.
    #[serde(default)]
    pub deadline_source: Option<String>,
}

impl FindingView {
    /// The finding of `case`, described with `rules` (the rule set that produced it).
    pub fn new(rules: &RuleSet, case: &CaseKey, finding: &Finding) -> Self {
        let rule = rules.rule(finding.rule);
        FindingView {
            case: case.reference.to_string(),
            force: case.force.to_string(),
            rule: rule.id.to_string(),
            person: finding.person.as_ref().map(ToString::to_string),
            trigger: finding.trigger.as_str().to_owned(),
            trigger_at: format_timestamp(&finding.trigger_at),
            status: finding.status,
            due_by: finding
                .due_by
                .map(|due| in_london(&due).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)),
            done_at: finding.done_at.as_ref().map(format_timestamp),
            guidance: rule.guidance.clone(),
            rule_set: rules.version(finding.version).config().id.clone(),
            deadline_source: rules
                .deadline_source(finding)
                .map(|source| source.as_str().to_owned()),
        }
    }
}

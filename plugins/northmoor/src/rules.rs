//! `NM-SUP-24H`: a supervisor reviews every new report within 24 hours of it.

use chrono::Duration;
use plugin_sdk::{CaseSnapshot, EventExt, FindingStatus, PluginFinding};

/// The rule's id.
pub const SUP_24H: &str = "NM-SUP-24H";

/// The findings of Northmoor's rules for one case: one `NM-SUP-24H` finding per case with a
/// report, counted from the first `report_received`, completed by the first `supervisor_review` at
/// or after it, due exactly 24 hours after the report.
pub fn evaluate(case: &CaseSnapshot) -> Vec<PluginFinding> {
    let Some(now) = case.now() else {
        return Vec::new();
    };
    let Some((report, reported_at)) = case
        .events_of("report_received")
        .find_map(|event| event.at().map(|at| (event, at)))
    else {
        return Vec::new();
    };
    let due = reported_at + Duration::hours(24);
    let done = case
        .events_of("supervisor_review")
        .filter_map(EventExt::at)
        .filter(|at| *at >= reported_at)
        .min();
    vec![PluginFinding {
        rule: SUP_24H.into(),
        person: None,
        trigger: "report_received".into(),
        trigger_at: report.text("at").unwrap_or_default().to_owned(),
        status: FindingStatus::for_deadline(done, due, now),
        due_by: Some(due.to_rfc3339()),
        done_at: done.map(|at| at.to_rfc3339()),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn case(events: serde_json::Value, now: &str) -> CaseSnapshot {
        let events = events
            .as_array()
            .expect("array")
            .iter()
            .map(|event| event.as_object().expect("object").clone())
            .collect();
        CaseSnapshot {
            case: "NM-2026-000001".into(),
            force: "northmoor".into(),
            now: now.into(),
            events,
        }
    }

    #[test]
    fn a_review_within_24_hours_is_met_and_a_missing_one_goes_overdue() {
        let report = json!({"kind": "report_received", "at": "2026-03-02T09:00:00Z"});
        let review = json!({"kind": "supervisor_review", "at": "2026-03-03T08:00:00Z"});
        let met = evaluate(&case(json!([report, review]), "2026-03-10T00:00:00Z"));
        assert_eq!(met.len(), 1);
        assert_eq!(met[0].status, FindingStatus::Met);
        assert_eq!(met[0].due_by.as_deref(), Some("2026-03-03T09:00:00+00:00"));
        let due = evaluate(&case(json!([report]), "2026-03-02T20:00:00Z"));
        assert_eq!(due[0].status, FindingStatus::Due);
        let overdue = evaluate(&case(json!([report]), "2026-03-03T09:00:01Z"));
        assert_eq!(overdue[0].status, FindingStatus::Overdue);
        let late = json!({"kind": "supervisor_review", "at": "2026-03-04T08:00:00Z"});
        let met_late = evaluate(&case(json!([report, late]), "2026-03-10T00:00:00Z"));
        assert_eq!(met_late[0].status, FindingStatus::MetLate);
        assert!(evaluate(&case(json!([review]), "2026-03-10T00:00:00Z")).is_empty());
    }
}

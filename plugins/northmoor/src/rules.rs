//! `NM-SUP-24H`: a supervisor reviews every new report within 24 hours of it.

use chrono::Duration;
use plugin_sdk::{Case, Finding, FindingStatus, Findings, Kind};

/// The rule's id.
pub const SUP_24H: &str = "NM-SUP-24H";

/// The event kinds Northmoor's rules read: the registration's (and `plugin.toml`'s) `reads`. The
/// host sends no other events, and (with no `reads_fields`) none of their fields: the rule sees
/// when reports and reviews happened, nothing else of a case.
pub const READS: [Kind; 2] = [Kind::ReportReceived, Kind::SupervisorReview];

/// The findings of Northmoor's rules for one case: one `NM-SUP-24H` finding per case with a
/// report, counted from the first `report_received`, completed by the first `supervisor_review` at
/// or after it (events come in time order, so the first found is the earliest), due exactly 24
/// hours after the report.
pub fn evaluate(case: &Case<'_>, findings: &mut Findings<'_>) {
    let Some(report) = case.first_of(Kind::ReportReceived) else {
        return;
    };
    let reported_at = report.at();
    let due = reported_at + Duration::hours(24);
    let done = case
        .events_of(Kind::SupervisorReview)
        .map(|review| review.at())
        .find(|at| *at >= reported_at);
    findings.push(Finding {
        rule: SUP_24H,
        person: None,
        trigger: Kind::ReportReceived,
        trigger_at: reported_at,
        status: FindingStatus::for_deadline(done, due, case.now()),
        due_by: Some(due),
        done_at: done,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_sdk::Plugin as _;
    use plugin_sdk::testing::{Cases, FindingRecord};
    use serde_json::{Value, json};

    fn found(events: Value, now: &str) -> Vec<FindingRecord> {
        let registration = crate::Northmoor.registration();
        let mut cases = Cases::new(&registration).expect("reads are kinds");
        cases
            .case("NM-2026-000001", "northmoor", now, &events)
            .expect("valid case");
        cases.findings(|case, findings| {
            evaluate(case, findings);
            Ok(())
        })
    }

    fn time(text: &str) -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::parse_from_rfc3339(text).expect("time")
    }

    #[test]
    fn a_review_within_24_hours_is_met_and_a_missing_one_goes_overdue() {
        let report = json!({"kind": "report_received", "at": "2026-03-02T09:00:00Z"});
        let review = json!({"kind": "supervisor_review", "at": "2026-03-03T08:00:00Z"});
        let met = found(json!([report, review]), "2026-03-10T00:00:00Z");
        assert_eq!(met.len(), 1);
        assert_eq!(met[0].status, FindingStatus::Met);
        assert_eq!(met[0].due_by, Some(time("2026-03-03T09:00:00+00:00")));
        assert_eq!(met[0].done_at, Some(time("2026-03-03T08:00:00Z")));
        let due = found(json!([report]), "2026-03-02T20:00:00Z");
        assert_eq!(due[0].status, FindingStatus::Due);
        let overdue = found(json!([report]), "2026-03-03T09:00:01Z");
        assert_eq!(overdue[0].status, FindingStatus::Overdue);
        let late = json!({"kind": "supervisor_review", "at": "2026-03-04T08:00:00Z"});
        let met_late = found(json!([report, late]), "2026-03-10T00:00:00Z");
        assert_eq!(met_late[0].status, FindingStatus::MetLate);
        assert!(found(json!([review]), "2026-03-10T00:00:00Z").is_empty());
    }

    #[test]
    fn reviews_before_the_report_or_after_now_do_not_count() {
        let early = json!({"kind": "supervisor_review", "at": "2026-03-01T08:00:00Z"});
        let report = json!({"kind": "report_received", "at": "2026-03-02T10:00:00+01:00"});
        let later = json!({"kind": "supervisor_review", "at": "2026-03-02T12:00:00Z"});
        let found = found(json!([early, report, later]), "2026-03-02T11:00:00Z");
        assert_eq!(found[0].status, FindingStatus::Due);
        assert_eq!(found[0].trigger_at, time("2026-03-02T10:00:00+01:00"));
        assert_eq!(found[0].due_by, Some(time("2026-03-03T09:00:00Z")));
    }
}

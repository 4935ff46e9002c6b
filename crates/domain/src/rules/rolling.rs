//! The completed instances of the rolling rules, for reports.
//!
//! `SUP-REVIEW`, `RUI-REVIEW` and `VC-UPDATE` repeat: a supervisor review is due within a period of
//! the last one, an update within the agreed number of days of the last. Their findings (the interchange
//! contract, `docs/rules.md`) are one per rule and case or victim, for the *next* instance only:
//! that is what an officer needs to act on. A report of how often reviews and updates were on time
//! also needs the instances already done, or a rolling rule would count only what is still open
//! and show no instance met however well the case was run. This module replays the case: each
//! completed instance is the one the rule would have shown just before the completing event, with
//! the same deadline, judged met or met late by that event. Like the rules, the replay stops at the
//! end of the investigation (the first `case_closed` or `decision_not_to_investigate`): an act
//! after it completes no instance, so the report counts exactly what the findings show
//! (`docs/rules.md`, "What stops a rolling rule").

use chrono::{DateTime, Utc};

use crate::case::Case;
use crate::interchange::{Event, EventData, Kind, OfficerRole};
use crate::time::Timescale;

use super::context::CaseContext;
use super::{Finding, RuleIndex, RuleSet, Scratch, Status};

impl RuleSet {
    /// Appends to `out` one finding (`met` or `met_late`) for every completed instance of the
    /// rolling national rules (`SUP-REVIEW`, `RUI-REVIEW`, `VC-UPDATE`) of `case` at `now`. The open instance of
    /// each is not among them: [`RuleSet::evaluate_into`] gives it. Each instance is judged by
    /// the version in force when it began, with that version's timescales.
    pub fn completed_rolling_into(
        &self,
        case: &Case,
        now: DateTime<Utc>,
        scratch: &mut Scratch,
        out: &mut Vec<Finding>,
    ) {
        let context = CaseContext::new(
            case,
            now,
            self.versions[0].config(),
            &self.calendar,
            scratch,
        );
        if let Some(rule) = self.find("SUP-REVIEW") {
            self.completed_reviews(&context, rule, out);
        }
        if let Some(rule) = self.find("VC-UPDATE") {
            self.completed_updates(&context, rule, out);
        }
        if let Some(rule) = self.find("RUI-REVIEW") {
            self.completed_rui_reviews(&context, rule, out);
        }
    }

    /// Reviews of each suspect's release under investigation while it lasts (until the suspect is
    /// charged, released with no further action, bailed or released again, or the investigation
    /// ends): each within `rui_review` of the release or the review before (as `RUI-REVIEW`
    /// computes the next one).
    fn completed_rui_reviews(
        &self,
        context: &CaseContext<'_>,
        rule: RuleIndex,
        out: &mut Vec<Finding>,
    ) {
        let ended = context.investigation_ended().map(|event| event.at);
        for release in context.of_kind(Kind::SuspectReleasedRui) {
            let Some(person) = release.person() else {
                continue;
            };
            let resolved =
                super::national::rui_resolution(context, release, person).map(|event| event.at);
            let ends = match (resolved, ended) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let mut base = release;
            for review in context
                .of_kind(Kind::SupervisorReview)
                .filter(|review| review.at > release.at)
                .take_while(|review| ends.is_none_or(|ends| review.at <= ends))
            {
                let version = self.version_at(&base.at);
                let timescale = self.version(version).config().rui_review;
                self.push_completed(rule, version, Some(person), base, timescale, review, out);
                base = review;
            }
        }
    }

    /// Reviews from the first allocation of an officer in case until the investigation ends (closure
    /// or a decision not to investigate): the first
    /// is due within `first_supervisor_review` of the allocation, each later one within
    /// `supervisor_review` of the review before it (as `SUP-REVIEW` computes the next one).
    fn completed_reviews(
        &self,
        context: &CaseContext<'_>,
        rule: RuleIndex,
        out: &mut Vec<Finding>,
    ) {
        let Some(allocated) = context.of_kind(Kind::OfficerAllocated).find(
            |event| matches!(&event.data, EventData::OfficerAllocated(a) if a.role == OfficerRole::Oic),
        ) else {
            return;
        };
        let ended = context.investigation_ended().map(|event| event.at);
        let mut base = allocated;
        for review in context
            .of_kind(Kind::SupervisorReview)
            .filter(|review| review.at >= allocated.at)
            .take_while(|review| ended.is_none_or(|ended| review.at <= ended))
        {
            let version = self.version_at(&base.at);
            let config = self.version(version).config();
            let timescale = if std::ptr::eq(base, allocated) {
                config.first_supervisor_review
            } else {
                config.supervisor_review
            };
            self.push_completed(rule, version, None, base, timescale, review, out);
            base = review;
        }
    }

    /// Each update a victim was given after an agreement on how often: due `every_days` after the
    /// later of the latest agreement and the update before (as `VC-UPDATE` computes the next one),
    /// until the investigation ends.
    fn completed_updates(
        &self,
        context: &CaseContext<'_>,
        rule: RuleIndex,
        out: &mut Vec<Finding>,
    ) {
        let ended = context.investigation_ended();
        for victim in context.victims() {
            let mut agreements = context
                .of_kind_for(Kind::UpdateCadenceAgreed, &victim.key)
                .peekable();
            let mut agreement: Option<&Event> = None;
            let mut last_told: Option<&Event> = None;
            for told in context
                .of_kind_for(Kind::VictimInformed, &victim.key)
                .take_while(super::national::by_end(ended))
            {
                // The agreement in force is the latest one at or before this update.
                while let Some(next) = agreements.next_if(|next| next.at <= told.at) {
                    agreement = Some(next);
                }
                let cadence = agreement.and_then(|agreed| match &agreed.data {
                    EventData::UpdateCadenceAgreed(cadence) => Some((agreed, cadence.every_days)),
                    _ => None,
                });
                // An update at the very instant of the agreement completes nothing.
                if let Some((agreed, every_days)) =
                    cadence.filter(|(agreed, _)| told.at > agreed.at)
                {
                    // The instance starts at the later of the agreement and the last update.
                    let base = match last_told {
                        Some(previous) if previous.at > agreed.at => previous,
                        _ => agreed,
                    };
                    let version = self.version_at(&base.at);
                    let timescale = Timescale::CalendarDays(every_days);
                    let key = Some(&victim.key);
                    self.push_completed(rule, version, key, base, timescale, told, out);
                }
                last_told = Some(told);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_completed(
        &self,
        rule: RuleIndex,
        version: u8,
        person: Option<&crate::interchange::PersonKey>,
        base: &Event,
        timescale: Timescale,
        done: &Event,
        out: &mut Vec<Finding>,
    ) {
        let due = timescale.deadline_after(&base.at, &self.calendar);
        let status = if done.at <= due {
            Status::Met
        } else {
            Status::MetLate
        };
        out.push(Finding {
            rule,
            version,
            person: person.cloned(),
            trigger: base.kind(),
            trigger_at: base.at,
            status,
            due_by: Some(due),
            done_at: Some(done.at),
        });
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::{
        ENDS, base, case, end, ev, instant, released, review, reviewed_once, told, updates_agreed,
        with,
    };
    use crate::rules::{RuleSet, Scratch, Status};

    /// Statuses and deadlines (as local dates) of the completed instances of `rule`.
    fn completed(lines: &[String], now: &str, rule: &str) -> Vec<(Status, String)> {
        let rules = RuleSet::national();
        let mut out = Vec::new();
        rules.completed_rolling_into(
            &case(lines),
            instant(now),
            &mut Scratch::default(),
            &mut out,
        );
        let index = rules.find(rule).expect("rule");
        out.iter()
            .filter(|finding| finding.rule == index)
            .map(|finding| {
                let due = finding.due_by.expect("deadline");
                (finding.status, crate::time::local_date(&due).to_string())
            })
            .collect()
    }

    /// Statuses and deadlines (as local dates) of the open findings of `rule`, as a report takes
    /// them alongside the replay.
    fn open(lines: &[String], now: &str, rule: &str) -> Vec<(Status, String)> {
        let rules = RuleSet::national();
        let index = rules.find(rule).expect("rule");
        rules
            .evaluate(&case(lines), instant(now))
            .iter()
            .filter(|finding| finding.rule == index)
            .map(|finding| {
                let due = finding.due_by.expect("deadline");
                (finding.status, crate::time::local_date(&due).to_string())
            })
            .collect()
    }

    fn at(status: Status, date: &str) -> (Status, String) {
        (status, date.to_owned())
    }

    /// Updates agreed 10 March every 14 days; told 20 March (met: due 24 March), so the next is
    /// due 3 April. Without an end, an update on 6 April completes it late and the next is due 20
    /// April. When the investigation ends on 5 April, the missed update stays overdue and the 6
    /// April one (telling the victim of the end) is not replayed: each instance is counted once,
    /// as the live finding shows it.
    #[test]
    fn victim_updates_after_the_end_are_not_replayed() {
        let with_end = |kind: Option<&str>| {
            let mut lines = updates_agreed();
            lines.push(told("2026-03-20T09:00:00Z", "update"));
            lines.extend(kind.map(|kind| end(kind, "2026-04-05T10:00:00+01:00")));
            lines.push(told("2026-04-06T09:00:00+01:00", "outcome"));
            lines
        };
        let now = "2026-04-10T00:00:00+01:00";
        let running = with_end(None);
        assert_eq!(
            completed(&running, now, "VC-UPDATE"),
            vec![
                at(Status::Met, "2026-03-24"),
                at(Status::MetLate, "2026-04-03")
            ]
        );
        assert_eq!(
            open(&running, now, "VC-UPDATE"),
            vec![at(Status::Due, "2026-04-20")]
        );
        for kind in ENDS {
            let ended = with_end(Some(kind));
            assert_eq!(
                completed(&ended, now, "VC-UPDATE"),
                vec![at(Status::Met, "2026-03-24")],
                "{kind}"
            );
            assert_eq!(
                open(&ended, now, "VC-UPDATE"),
                vec![at(Status::Overdue, "2026-04-03")],
                "{kind}"
            );
        }
    }

    /// Reviewed 12 March (met: due 13 March), next due 9 April; the investigation ends on 15
    /// April and a review on 16 April completes nothing. A release under investigation on 7
    /// March reviewed 1 June (met: due 5 June) has its next review due 30 August, after an end on
    /// 10 June: nothing open, and the review on 15 September is not replayed.
    #[test]
    fn reviews_after_the_end_are_not_replayed() {
        for kind in ENDS {
            let supervised = with(
                reviewed_once(),
                &[
                    end(kind, "2026-04-15T10:00:00+01:00"),
                    review("2026-04-16T10:00:00+01:00"),
                ],
            );
            let now = "2026-07-01T00:00:00Z";
            assert_eq!(
                completed(&supervised, now, "SUP-REVIEW"),
                vec![at(Status::Met, "2026-03-13")],
                "{kind}"
            );
            assert_eq!(
                open(&supervised, now, "SUP-REVIEW"),
                vec![at(Status::Overdue, "2026-04-09")],
                "{kind}"
            );
            let rui = with(
                released(),
                &[
                    review("2026-06-01T10:00:00+01:00"),
                    end(kind, "2026-06-10T10:00:00+01:00"),
                    review("2026-09-15T10:00:00+01:00"),
                ],
            );
            let now = "2026-12-01T00:00:00Z";
            assert_eq!(
                completed(&rui, now, "RUI-REVIEW"),
                vec![at(Status::Met, "2026-06-05")],
                "{kind}"
            );
            assert!(open(&rui, now, "RUI-REVIEW").is_empty(), "{kind}");
        }
    }

    /// Reported 6 March 2026; officer in case 6 March (first review due 13 March). Reviews on 12
    /// March (met), 14 April (28 days from 12 March: due 9 April, late), 10 May (due 12 May, met);
    /// closed 20 May, so a review on 1 June completes nothing.
    #[test]
    fn supervisor_reviews_are_replayed_with_their_deadlines() {
        let review = |at: &str| ev(at, "supervisor_review", json!({"officer": "9001"}));
        let lines = with(
            base(),
            &[
                ev(
                    "2026-03-06T12:00:00Z",
                    "officer_allocated",
                    json!({"officer": "4471", "role": "oic"}),
                ),
                review("2026-03-12T10:00:00Z"),
                review("2026-04-14T10:00:00+01:00"),
                review("2026-05-10T10:00:00+01:00"),
                ev(
                    "2026-05-20T10:00:00+01:00",
                    "case_closed",
                    json!({"outcome": 16, "suspect_identified": true, "victim_supports": false}),
                ),
                review("2026-06-01T10:00:00+01:00"),
            ],
        );
        assert_eq!(
            completed(&lines, "2026-07-01T00:00:00Z", "SUP-REVIEW"),
            vec![
                (Status::Met, "2026-03-13".to_owned()),
                (Status::MetLate, "2026-04-09".to_owned()),
                (Status::Met, "2026-05-12".to_owned()),
            ]
        );
        // Before the second review only the first is complete; the open one is not repeated here.
        assert_eq!(
            completed(&lines, "2026-04-01T00:00:00Z", "SUP-REVIEW"),
            vec![(Status::Met, "2026-03-13".to_owned())]
        );
    }

    /// Agreed on 10 March every 14 days (due 24 March): updates 20 March (met), 7 April (14 days
    /// from 20 March: due 3 April, late); agreed again on 8 April every 7 days, which restarts the
    /// clock (due 15 April): updates 16 April (late), 22 April (due 23 April, met).
    #[test]
    fn victim_updates_are_replayed_under_the_agreement_in_force() {
        let agreed = |at: &str, days: u32| {
            ev(
                at,
                "update_cadence_agreed",
                json!({"person": "V1", "every_days": days, "channel": "phone"}),
            )
        };
        let told = |at: &str| {
            ev(
                at,
                "victim_informed",
                json!({"person": "V1", "about": "update"}),
            )
        };
        let lines = with(
            base(),
            &[
                agreed("2026-03-10T09:00:00Z", 14),
                told("2026-03-20T09:00:00Z"),
                told("2026-04-07T09:00:00+01:00"),
                agreed("2026-04-08T09:00:00+01:00", 7),
                told("2026-04-16T09:00:00+01:00"),
                told("2026-04-22T09:00:00+01:00"),
            ],
        );
        assert_eq!(
            completed(&lines, "2026-07-01T00:00:00Z", "VC-UPDATE"),
            vec![
                (Status::Met, "2026-03-24".to_owned()),
                (Status::MetLate, "2026-04-03".to_owned()),
                (Status::MetLate, "2026-04-15".to_owned()),
                (Status::Met, "2026-04-23".to_owned()),
            ]
        );
    }

    /// Released under investigation on 10 March (reviews every 90 days: due 8 June); reviewed 1
    /// June (met), then 15 September (90 days from 1 June: due 30 August, late); charged on 1
    /// October, so a review on 2 November completes nothing for that release.
    #[test]
    fn rui_reviews_are_replayed_until_the_release_is_resolved() {
        let review = |at: &str| ev(at, "supervisor_review", json!({"officer": "9001"}));
        let lines = with(
            base(),
            &[
                ev(
                    "2026-03-10T10:00:00Z",
                    "suspect_released_rui",
                    json!({"person": "S1"}),
                ),
                review("2026-06-01T10:00:00+01:00"),
                review("2026-09-15T10:00:00+01:00"),
                ev(
                    "2026-10-01T10:00:00+01:00",
                    "suspect_charged",
                    json!({"person": "S1", "offences": ["SOA2003-s1"]}),
                ),
                review("2026-11-02T10:00:00Z"),
            ],
        );
        assert_eq!(
            completed(&lines, "2026-12-01T00:00:00Z", "RUI-REVIEW"),
            vec![
                (Status::Met, "2026-06-08".to_owned()),
                (Status::MetLate, "2026-08-30".to_owned()),
            ]
        );
    }
}

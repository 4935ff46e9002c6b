//! The case as a story: each event in a plain sentence, the summary at the top of the case page,
//! the "what needs doing" list made from the open findings, and the decisions recorded anywhere.

use chrono::{DateTime, Utc};
use domain::interchange::Event;
use domain::{Case, EventData, Status};

use crate::kinds::{code_label, offence_name};
use crate::rows::{DecisionRow, FindingRow, TimelineRow, local_time, role_name, tag_class};

fn yes_no(value: Option<bool>, yes: &str, no: &str) -> String {
    match value {
        Some(true) => format!(" {yes}"),
        Some(false) => format!(" {no}"),
        None => String::new(),
    }
}

fn when_text(value: bool, text: &str) -> String {
    if value {
        format!(" {text}")
    } else {
        String::new()
    }
}

/// Offence codes in words: "rape (SOA2003-s1)".
pub fn offences_text(codes: &[domain::interchange::OffenceCode]) -> String {
    codes
        .iter()
        .map(|code| match offence_name(code) {
            Some(name) => format!("{} ({code})", name.to_lowercase()),
            None => code.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

fn code(codes: &str, value: &impl serde::Serialize) -> String {
    let value = serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    code_label(codes, &value).to_lowercase()
}

/// What happened, in one plain sentence (never identity: a person is named by key and role).
pub fn sentence(event: &Event) -> String {
    use EventData as E;
    let text = match &event.data {
        E::ReportReceived(r) => {
            let mut text = "The offence was reported".to_owned();
            if let Some(channel) = &r.channel {
                text.push_str(&format!(" by {}", code("Channel", channel)));
            }
            if !r.offences.is_empty() {
                text.push_str(&format!(": {}", offences_text(&r.offences)));
            }
            if let Some(from) = &r.offence_from {
                text.push_str(&format!(
                    ". It happened from {}",
                    local_time(&from.with_timezone(&Utc))
                ));
                if let Some(to) = &r.offence_to {
                    text.push_str(&format!(" to {}", local_time(&to.with_timezone(&Utc))));
                }
            }
            if let Some(location) = &r.location
                && !location.country.eq_ignore_ascii_case("GB")
            {
                text.push_str(&format!(
                    ". It happened outside the UK ({})",
                    location.country
                ));
            } else if let Some(nation) = r.location.as_ref().and_then(|l| l.nation) {
                text.push_str(&format!(". It happened in {}", code("UkNation", &nation)));
            }
            if !r.penetration.is_empty() {
                text.push_str(". Forensic windows apply");
            }
            text
        }
        E::CrimeRecorded(c) if c.offences.is_empty() => "The crime was recorded".to_owned(),
        E::CrimeRecorded(c) => format!("The crime was recorded as {}", offences_text(&c.offences)),
        E::PersonAdded(p) => {
            let mut text = format!(
                "{} was added to the case as {}",
                p.person,
                role_name(p.role)
            );
            if let Some(age) = p.age_at_offence {
                text.push_str(&format!(", aged {age} at the time of the offence"));
            }
            text
        }
        E::OfficerAllocated(o) => format!(
            "Officer {} was allocated as {}",
            o.officer,
            code("OfficerRole", &o.role)
        ),
        E::SupervisorReview(r) if r.note.is_empty() => {
            format!("Supervisor {} reviewed the investigation", r.officer)
        }
        E::SupervisorReview(r) => format!(
            "Supervisor {} reviewed the investigation: {}",
            r.officer, r.note
        ),
        E::NeedsAssessment(n) => format!("{}'s needs were assessed", n.person),
        E::WrittenConfirmationSent(w) => {
            format!(
                "Written confirmation of the report was sent to {}",
                w.person
            )
        }
        E::SupportReferral(s) if s.declined => {
            format!("{} declined a referral to support services", s.person)
        }
        E::SupportReferral(s) => format!(
            "{} was referred to {}",
            s.person,
            s.service.as_deref().unwrap_or("support services")
        ),
        E::IsvaOffered(i) => format!(
            "{} was offered an ISVA{}",
            i.person,
            yes_no(i.accepted, "and accepted", "and declined")
        ),
        E::UpdateCadenceAgreed(u) => format!(
            "{} agreed to be updated every {} days{}",
            u.person,
            u.every_days,
            u.channel
                .as_ref()
                .map(|c| format!(" by {c}"))
                .unwrap_or_default()
        ),
        E::VictimInformed(v) => format!(
            "{} was told about {}{}",
            v.person,
            code("InformedAbout", &v.about),
            if v.reason_given == Some(true) {
                ", with a reason for the delay"
            } else {
                ""
            }
        ),
        E::SuspectArrested(s) => format!("{} was arrested", s.person),
        E::SuspectInterviewed(s) => format!(
            "{} was interviewed{}",
            s.person,
            when_text(s.under_caution, "under caution")
        ),
        E::SuspectBailed(b) => format!(
            "{} was released on bail{}{}",
            b.person,
            if b.conditions {
                " with conditions"
            } else {
                " without conditions"
            },
            if b.victim_views_sought {
                "; the victim's views were sought"
            } else if !b.views_not_practicable.is_empty() {
                "; seeking the victim's views was not practicable"
            } else {
                ""
            }
        ),
        E::BailExtended(b) => format!(
            "{}'s bail was extended to {} by {}",
            b.person,
            b.until.format("%-d %B %Y"),
            code("BailAuthority", &b.authorised_by)
        ),
        E::BailVaried(b) => format!(
            "{}'s bail conditions were {}",
            b.person,
            if b.conditions_cancelled {
                "cancelled"
            } else {
                "changed"
            }
        ),
        E::BailEnded(b) => format!("{}'s bail ended", b.person),
        E::SuspectReleasedRui(s) => format!("{} was released under investigation", s.person),
        E::SuspectReleasedNfa(s) => format!("{} was released with no further action", s.person),
        E::DecisionNotToInvestigate(d) => {
            format!("It was decided not to investigate: {}", d.reason)
        }
        E::VictimInterviewed(v) => format!(
            "{} was interviewed{}{}",
            v.person,
            v.mode
                .map(|m| format!(" ({})", code("InterviewMode", &m)))
                .unwrap_or_default(),
            when_text(
                v.gender_preference_asked,
                "after being asked which gender of interviewer they prefer"
            )
        ),
        E::StatementTaken(s) => format!(
            "A{} statement was taken from {}{}",
            if s.evidential { "n evidential" } else { "" },
            s.person,
            when_text(s.vps_offered, "and a Victim Personal Statement offered")
        ),
        E::ForensicExamOffered(f) => format!(
            "{} was offered a forensic medical examination{}",
            f.person,
            yes_no(f.accepted, "and accepted", "and declined")
        ),
        E::DeviceExtraction(d) => format!(
            "Data was extracted from {}'s device{}",
            d.person,
            if d.notice_given && d.agreement_recorded && d.rationale.is_complete() {
                ", with notice, agreement and reasons recorded"
            } else {
                ", without every safeguard recorded"
            }
        ),
        E::ThirdPartyRequest(t) => format!(
            "Material about {} was requested from {}",
            t.person,
            if t.holder.is_empty() {
                "a third party"
            } else {
                t.holder.as_str()
            }
        ),
        E::ChargingDecision(c) => format!(
            "{} decided {} for {}{}",
            c.by.map_or("A charging decision was made: ".to_owned(), |b| {
                sentence_case(&code("ChargingBody", &b))
            }),
            c.decision
                .map_or("on charge".to_owned(), |d| code("ChargingOutcome", &d)),
            c.person,
            c.test
                .map(|t| format!(" ({})", code("CodeTest", &t)))
                .unwrap_or_default()
        ),
        E::SuspectCharged(s) if s.offences.is_empty() => format!("{} was charged", s.person),
        E::SuspectCharged(s) => format!(
            "{} was charged with {}",
            s.person,
            offences_text(&s.offences)
        ),
        E::VrrRequested(v) => format!("{} asked for a review of the decision", v.person),
        E::VrrAcknowledged(v) => format!("{}'s request for a review was acknowledged", v.person),
        E::VrrDecided(v) => format!("{}'s request for a review was decided", v.person),
        E::JurisdictionAssessed(j) => format!(
            "Jurisdiction was assessed{}",
            j.decision
                .map(|d| format!(": {}", code("JurisdictionDecision", &d)))
                .unwrap_or_default()
        ),
        E::CaseClosed(c) => format!(
            "The case was closed with outcome {}{}",
            c.outcome,
            crate::kinds::OUTCOMES
                .get((c.outcome as usize).wrapping_sub(1))
                .map(|name| format!(": {}", name.to_lowercase()))
                .unwrap_or_default()
        ),
        E::InformationNoticeGiven(n) => format!(
            "{} was given written notice of a request for their information",
            n.person
        ),
        E::EarlyAdvice(_) => "A prosecutor's early advice was sought".to_owned(),
        E::InterviewPlanned(p) => format!(
            "{}'s interview was planned{}",
            p.person,
            when_text(p.intermediary_considered, "and an intermediary considered")
        ),
        E::SpecialMeasuresApplied(s) if s.opted_out => {
            format!("{} chose not to have special measures", s.person)
        }
        E::SpecialMeasuresApplied(s) => format!("Special measures were applied for {}", s.person),
        E::VictimWithdrawal(v) => format!(
            "{} {}",
            v.person,
            if v.retraction {
                "retracted the account"
            } else {
                "withdrew support for the investigation"
            }
        ),
        E::PropertyTaken(p) => format!(
            "{} was taken from {}",
            if p.device {
                "A phone or other device"
            } else {
                "Property"
            },
            p.person
        ),
        E::PropertyReturned(p) => format!("Property was returned to {}", p.person),
        E::PropertyRetained(p) => format!("{}'s property was kept: {}", p.person, p.reason),
        E::DecisionRecorded(d) => format!(
            "Decision on {} by {}: {}",
            crate::kinds::code_label("Topic", &d.topic).to_lowercase(),
            d.officer,
            d.decision
        ),
        E::Note(n) => format!("Note: {}", n.text),
    };
    let mut text = text.trim_end().to_owned();
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

/// A decision recorded anywhere in the case, for the decision log: (topic, decision, rationale,
/// by whom). Decision log entries, and the decisions other records carry (charge, not to
/// investigate, closure, review, bail extension, property kept, jurisdiction, right to review).
pub fn decision_of(event: &Event) -> Option<(String, String, String, String)> {
    use EventData as E;
    let plain = |topic: &str| {
        (
            topic.to_owned(),
            sentence(event),
            String::new(),
            String::new(),
        )
    };
    Some(match &event.data {
        E::DecisionRecorded(d) => (
            code_label("Topic", &d.topic),
            d.decision.clone(),
            d.rationale.clone(),
            d.officer.to_string(),
        ),
        E::SupervisorReview(r) => (
            "Supervisor review".to_owned(),
            sentence(event),
            String::new(),
            r.officer.to_string(),
        ),
        E::DecisionNotToInvestigate(d) => (
            "Not to investigate".to_owned(),
            "The report will not be investigated.".to_owned(),
            d.reason.clone(),
            String::new(),
        ),
        E::ChargingDecision(_) => plain("Charging"),
        E::BailExtended(_) => plain("Bail"),
        E::CaseClosed(_) => plain("Outcome"),
        E::PropertyRetained(_) => plain("Property"),
        E::JurisdictionAssessed(j) => (
            "Jurisdiction".to_owned(),
            sentence(event),
            j.basis.clone(),
            String::new(),
        ),
        E::VrrDecided(_) => plain("Right to review"),
        _ => return None,
    })
}

/// One task of "what needs doing".
#[derive(Debug, Clone)]
pub struct Task {
    pub rule: String,
    pub title: String,
    pub person: String,
    pub status: Status,
    /// "Overdue by 3 days", "Due by 6 March 2026 10:00", "Breached", "To consider".
    pub when: String,
    pub guidance: String,
    pub guidance_title: String,
    /// What started it and when, in words: "Suspect arrested, 15 November 2026 10:52".
    pub after: String,
    /// Where to record what clears it, and what that is.
    pub action: Option<(String, String)>,
}

impl Task {
    pub fn status_class(&self) -> &'static str {
        self.status.as_str()
    }
    pub fn status_label(&self) -> &'static str {
        crate::rows::status_label(self.status)
    }
    pub fn tag_class(&self) -> &'static str {
        tag_class(self.status)
    }
}

/// "1 day", "3 days", "less than a day".
pub fn days_text(days: i64) -> String {
    match days {
        i64::MIN..=0 => "less than a day".to_owned(),
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
}

/// The open findings as tasks, most urgent first (the findings are already in that order).
/// Once the investigation has `ended`, an open finding of a rule that stops there was missed
/// before the end: nothing recorded now clears it, so its task offers no record page and says so.
pub fn tasks(path: &str, findings: &[FindingRow], now: DateTime<Utc>, ended: bool) -> Vec<Task> {
    findings
        .iter()
        .filter(|f| f.status.is_open())
        .map(|f| {
            let missed = ended
                && domain::rules::STOPPED_AT_INVESTIGATION_END.contains(&f.view.rule.as_str());
            let when = match (f.status, f.due) {
                (_, Some(_)) if missed => format!(
                    "Missed: it was due by {}, before the investigation ended, and nothing \
                     recorded now can clear it",
                    f.due_text()
                ),
                (Status::Overdue, Some(due)) => {
                    format!("Overdue by {}", days_text((now - due).num_days()))
                }
                (Status::Due, Some(_)) => format!("Due by {}", f.due_text()),
                (Status::Breached, _) => {
                    "Breached: a safeguard was missing when it was done".to_owned()
                }
                (Status::Advice, _) => "To consider".to_owned(),
                _ => String::new(),
            };
            let action = crate::kinds::task_action(&f.view.rule)
                .filter(|_| !missed)
                .map(|(kind, title)| {
                    let mut href = format!("/cases/{path}/record/{}", kind.as_str());
                    if let Some(person) = &f.view.person {
                        href.push_str(&format!("?person={person}"));
                    }
                    (href, title.to_owned())
                });
            let when_triggered = chrono::DateTime::parse_from_rfc3339(&f.view.trigger_at)
                .map(|at| local_time(&at.with_timezone(&Utc)))
                .unwrap_or_default();
            Task {
                after: format!("{}, {when_triggered}", f.trigger_text()),
                rule: f.view.rule.clone(),
                title: f.title.clone(),
                person: f.person_text().to_owned(),
                status: f.status,
                when,
                guidance: f.view.guidance.clone(),
                guidance_title: f.guidance_title.clone().unwrap_or_default(),
                action,
            }
        })
        .collect()
}

/// The case summary's rows: (label, value).
pub fn summary(
    case: &Case,
    findings: &[FindingRow],
    officer_name: &str,
    closed: bool,
) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let report = case.events().iter().find_map(|e| match &e.data {
        EventData::ReportReceived(r) => Some((e, r)),
        _ => None,
    });
    let recorded = case.events().iter().rev().find_map(|e| match &e.data {
        EventData::CrimeRecorded(c) if !c.offences.is_empty() => Some(c.offences.clone()),
        _ => None,
    });
    let offences = recorded.or_else(|| report.map(|(_, r)| r.offences.clone()));
    rows.push((
        "Offence".to_owned(),
        match offences {
            Some(codes) if !codes.is_empty() => sentence_case(&offences_text(&codes)),
            _ => "Not recorded".to_owned(),
        },
    ));
    rows.push((
        "Reported on".to_owned(),
        report.map_or("Not recorded".to_owned(), |(e, _)| {
            crate::rows::local_date(&e.at.with_timezone(&Utc))
        }),
    ));
    let people = crate::rows::people(case);
    let victims: Vec<String> = people
        .iter()
        .filter(|p| p.role == "victim")
        .map(|p| p.key.clone())
        .collect();
    rows.push((
        "Victims".to_owned(),
        if victims.is_empty() {
            "None added yet".to_owned()
        } else {
            victims.join(", ")
        },
    ));
    let suspects: Vec<String> = people
        .iter()
        .filter(|p| p.role == "suspect")
        .map(|p| format!("{}: {}", p.key, suspect_status(case, &p.key)))
        .collect();
    rows.push((
        "Suspect".to_owned(),
        if suspects.is_empty() {
            "No suspect added".to_owned()
        } else {
            suspects.join("; ")
        },
    ));
    let ends: Vec<String> = findings
        .iter()
        .filter(|f| matches!(f.status, Status::Due | Status::Overdue))
        .filter_map(|f| match f.view.rule.as_str() {
            "BAIL-PERIOD" => Some(format!("{}: bail ends {}", f.person_text(), f.due_text())),
            "RUI-REVIEW" => Some(format!(
                "{}: released under investigation, next review by {}",
                f.person_text(),
                f.due_text()
            )),
            _ => None,
        })
        .collect();
    if !ends.is_empty() {
        rows.push((
            "Bail or release under investigation".to_owned(),
            ends.join("; "),
        ));
    }
    rows.push(("Officer in case".to_owned(), officer_name.to_owned()));
    rows.push((
        "Status".to_owned(),
        if closed { "Closed" } else { "Open" }.to_owned(),
    ));
    rows
}

/// Where a suspect stands, from the latest event about them.
fn suspect_status(case: &Case, key: &str) -> String {
    use EventData as E;
    let mut status = "not arrested".to_owned();
    for event in case.events() {
        if event.person().map(|p| p.as_str()) != Some(key) {
            continue;
        }
        status = match &event.data {
            E::SuspectArrested(_) => "arrested".to_owned(),
            E::SuspectInterviewed(_) => "interviewed".to_owned(),
            E::SuspectBailed(_) => "on pre-charge bail".to_owned(),
            E::BailExtended(b) => format!("on bail, extended to {}", b.until.format("%-d %B %Y")),
            E::BailEnded(_) => "bail ended".to_owned(),
            E::SuspectReleasedRui(_) => "released under investigation".to_owned(),
            E::SuspectReleasedNfa(_) => "released with no further action".to_owned(),
            E::ChargingDecision(c) => match c.decision {
                Some(decision) => {
                    format!("charging decision: {}", code("ChargingOutcome", &decision))
                }
                None => continue,
            },
            E::SuspectCharged(_) => "charged".to_owned(),
            _ => continue,
        };
    }
    status
}

/// Every event of the case in order, in words.
pub fn timeline(case: &Case) -> Vec<TimelineRow> {
    case.events()
        .iter()
        .map(|event| {
            let detail = crate::story::sentence(event);
            let at = event.at.with_timezone(&Utc);
            TimelineRow {
                at: domain::interchange::format_timestamp(&event.at),
                at_local: local_time(&at),
                kind: event.kind().as_str().to_owned(),
                label: crate::kinds::spec(event.kind()).title.to_owned(),
                person: event.person().map(ToString::to_string),
                detail,
            }
        })
        .collect()
}

/// The decision log: every decision recorded anywhere in the case (decision log entries, and the
/// decisions charging, review, bail, closure and other records carry), in order. Never edited:
/// corrections are new entries.
pub fn decisions(case: &Case) -> Vec<DecisionRow> {
    case.events()
        .iter()
        .filter_map(|event| {
            let (topic, decision, rationale, officer) = crate::story::decision_of(event)?;
            Some(DecisionRow {
                at_local: local_time(&event.at.with_timezone(&Utc)),
                topic,
                decision,
                rationale,
                officer,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_as_a_sentence_without_field_names() {
        let line = |kind: &str, fields: &str| {
            format!(
                r#"{{"case":"C","force":"f","at":"2026-03-02T10:00:00Z","kind":"{kind}"{fields}}}"#
            )
        };
        let record = domain::interchange::parse_record(&line(
            "bail_extended",
            r#","person":"S1","until":"2026-06-01","authorised_by":"assistant_chief_constable","designated_case":true"#,
        ))
        .expect("valid");
        let text = sentence(&record.event);
        assert!(text.contains("1 June 2026"), "{text}");
        assert!(text.contains("assistant chief constable"), "{text}");
        assert!(
            !text.contains("authorised_by") && !text.contains('_'),
            "{text}"
        );
        let report = domain::interchange::parse_record(&line(
            "report_received",
            r#","channel":"101","offences":["SOA2003-s1"],"offence_from":"2026-03-01T23:30:00Z""#,
        ))
        .expect("valid");
        let text = sentence(&report.event);
        assert!(text.contains("rape (SOA2003-s1)"), "{text}");
        assert!(!text.contains("2026-03-01T"), "no raw instant: {text}");
        assert!(text.contains("1 March 2026 23:30"), "UK local time: {text}");
    }

    #[test]
    fn overdue_is_counted_in_days() {
        assert_eq!(days_text(0), "less than a day");
        assert_eq!(days_text(1), "1 day");
        assert_eq!(days_text(12), "12 days");
    }
}

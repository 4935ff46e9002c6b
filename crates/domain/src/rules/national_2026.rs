//! The rules `national-2026-01` checks differently from `national-2021-04`, and the rules it adds.
//! Each function names its source; `docs/rules.md` has the table and the differential.

use crate::interchange::{
    BailAuthority, ChargingBody, ChargingOutcome, CodeTest, Event, EventData, InformedAbout, Kind,
    PersonKey, Role, ThirdPartyRequest, ThresholdCondition,
};
use crate::time::{Timescale, end_of_local_day, local_date, months_period_last_day};

use super::CaseContext;
use super::finding::Status;
use super::national::{Emitter, ends_bail, first_told, inform_timescale, per_victim_first_event};

// ---- Victims' Code: keeping the victim informed ------------------------------------------------

/// What the victim must be told about (Victims' Code 2020, right 6): as `national-2021-04`, and
/// also when bail conditions are cancelled.
fn inform_trigger(event: &Event) -> Option<InformedAbout> {
    match &event.data {
        EventData::SuspectArrested(_) => Some(InformedAbout::Arrest),
        EventData::SuspectInterviewed(interview) if interview.under_caution => {
            Some(InformedAbout::Interview)
        }
        EventData::SuspectReleasedNfa(_) => Some(InformedAbout::ReleasedNfa),
        EventData::SuspectBailed(_) => Some(InformedAbout::Bailed),
        EventData::SuspectReleasedRui(_) => Some(InformedAbout::Rui),
        EventData::BailVaried(varied) if varied.conditions_cancelled => {
            Some(InformedAbout::BailConditionsCancelled)
        }
        EventData::BailVaried(_) => Some(InformedAbout::BailVaried),
        EventData::SuspectCharged(_) => Some(InformedAbout::Charged),
        _ => None,
    }
}

pub(super) fn victim_informed_of_suspect(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for trigger in context.events {
        let Some(about) = inform_trigger(trigger) else {
            continue;
        };
        for victim in context.victims() {
            let due =
                inform_timescale(context, victim).deadline_after(&trigger.at, context.calendar);
            // Telling the victim of a variation covers a variation that cancelled the conditions.
            let done = first_told(context, victim, about, trigger).or_else(|| {
                (about == InformedAbout::BailConditionsCancelled)
                    .then(|| first_told(context, victim, InformedAbout::BailVaried, trigger))
                    .flatten()
            });
            out.timed(context, Some(&victim.key), trigger, due, done);
        }
    }
}

/// Victims of sexual violence may choose the gender of their interviewer: asked at every
/// interview, not only the first (the preference can change).
pub(super) fn interviewer_gender(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for interview in context.of_kind(Kind::VictimInterviewed) {
        let EventData::VictimInterviewed(interviewed) = &interview.data else {
            continue;
        };
        if context.role_of(&interviewed.person) != Some(Role::Victim) {
            continue;
        }
        out.safeguard(
            Some(&interviewed.person),
            interview,
            interviewed.gender_preference_asked,
        );
    }
}

/// Victims' Right to Review (police and CPS schemes): told of the right when told of a decision
/// not to charge, within the Code's limits for telling of a release without charge.
pub(super) fn told_of_right_to_review(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for decision in context.events {
        if !is_decision_not_to_charge(context, decision) {
            continue;
        }
        let Some(suspect) = decision.person() else {
            continue;
        };
        // The schemes apply where the suspect was interviewed under caution.
        let interviewed = context
            .of_kind_for(Kind::SuspectInterviewed, suspect)
            .take_while(|interview| interview.at <= decision.at)
            .any(|interview| {
                matches!(&interview.data, EventData::SuspectInterviewed(i) if i.under_caution)
            });
        if !interviewed {
            continue;
        }
        for victim in context.victims() {
            // Not where the victim withdrew before the decision (outside both schemes).
            let withdrew = context
                .of_kind_for(Kind::VictimWithdrawal, &victim.key)
                .any(|withdrawal| withdrawal.at <= decision.at);
            if withdrew {
                continue;
            }
            let due =
                inform_timescale(context, victim).deadline_after(&decision.at, context.calendar);
            let done = first_told(context, victim, InformedAbout::Vrr, decision);
            out.timed(context, Some(&victim.key), decision, due, done);
        }
    }
}

/// A decision not to charge: a charging decision of no further action, or a release with no
/// further action not already recorded as such a decision.
fn is_decision_not_to_charge(context: &CaseContext<'_>, event: &Event) -> bool {
    let nfa_decision = |candidate: &Event| matches!(&candidate.data, EventData::ChargingDecision(d) if d.decision == Some(ChargingOutcome::NoFurtherAction));
    match &event.data {
        EventData::ChargingDecision(_) => nfa_decision(event),
        EventData::SuspectReleasedNfa(released) => !context
            .of_kind_for(Kind::ChargingDecision, &released.person)
            .take_while(|decision| decision.at <= event.at)
            .any(nfa_decision),
        _ => false,
    }
}

// ---- Bail ------------------------------------------------------------------------------------

/// One period of pre-charge bail for one suspect.
struct Episode<'a> {
    person: &'a PersonKey,
    bailed: &'a Event,
    start: chrono::NaiveDate,
    deadline: chrono::DateTime<chrono::Utc>,
    last_extension: Option<BailAuthority>,
    breached: bool,
    ended: Option<&'a Event>,
}

/// PACE ss47ZB-47ZG as amended by PCSC 2022 sch 4: each extension in its statutory order. An
/// inspector extends the 3-month period to 6 months (s47ZD); a superintendent extends only a
/// period an inspector extended, to 9 months (s47ZDA); a commander or assistant chief constable
/// extends only after a superintendent, in a case the DPP designated, to 12 months (s47ZE); a
/// court extends only after s47ZDA or s47ZE (s47ZF) or its own earlier extension (s47ZG).
pub(super) fn bail_period(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let periods = context.config.bail;
    let mut episodes: Vec<Episode<'_>> = Vec::new();
    for event in context.events {
        let Some(person) = event.person() else {
            continue;
        };
        let open = episodes
            .iter_mut()
            .find(|episode| episode.person == person && episode.ended.is_none());
        match (&event.data, open) {
            (EventData::SuspectBailed(_), None) => {
                let arrested = context
                    .of_kind_for(Kind::SuspectArrested, person)
                    .take_while(|arrest| arrest.at <= event.at)
                    .last()
                    .unwrap_or(event);
                let start = local_date(&arrested.at)
                    .succ_opt()
                    .unwrap_or(chrono::NaiveDate::MAX);
                let last_day = months_period_last_day(start, periods.standard_months);
                episodes.push(Episode {
                    person,
                    bailed: event,
                    start,
                    deadline: end_of_local_day(last_day),
                    last_extension: None,
                    breached: false,
                    ended: None,
                });
            }
            (EventData::BailExtended(extension), Some(episode)) => {
                if event.at > episode.deadline {
                    continue;
                }
                use BailAuthority::{AssistantChiefConstable, Court, Inspector, Superintendent};
                let (in_order, limit) = match extension.authorised_by {
                    Inspector => (
                        episode.last_extension.is_none(),
                        Some(periods.inspector_months),
                    ),
                    Superintendent => (
                        episode.last_extension == Some(Inspector),
                        Some(periods.superintendent_months),
                    ),
                    AssistantChiefConstable => (
                        episode.last_extension == Some(Superintendent) && extension.designated_case,
                        Some(periods.designated_months),
                    ),
                    Court => (
                        matches!(
                            episode.last_extension,
                            Some(Superintendent | AssistantChiefConstable | Court)
                        ),
                        None,
                    ),
                };
                let beyond = limit.is_some_and(|months| {
                    extension.until > months_period_last_day(episode.start, months)
                });
                if !in_order || beyond {
                    episode.breached = true;
                }
                episode.last_extension = Some(extension.authorised_by);
                episode.deadline = end_of_local_day(extension.until);
            }
            (_, Some(episode)) if ends_bail(event) => episode.ended = Some(event),
            _ => {}
        }
    }
    for episode in episodes {
        if episode.breached {
            out.push(
                Some(episode.person),
                episode.bailed,
                Status::Breached,
                None,
                None,
            );
        } else {
            out.timed(
                context,
                Some(episode.person),
                episode.bailed,
                episode.deadline,
                episode.ended,
            );
        }
    }
}

/// The alleged victim's views sought on conditions, where practicable (PCSC 2022 sch 4 part 3): met
/// when sought, or when the record says why it was not practicable.
pub(super) fn bail_views(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for event in context.events {
        let met = match &event.data {
            EventData::SuspectBailed(bail) if bail.conditions => {
                bail.victim_views_sought || !bail.views_not_practicable.trim().is_empty()
            }
            EventData::BailVaried(varied) => {
                varied.victim_views_sought || !varied.views_not_practicable.trim().is_empty()
            }
            _ => continue,
        };
        out.safeguard(event.person(), event, met);
    }
}

// ---- Digital devices -------------------------------------------------------------------------

/// PCSC 2022 ss37-39: the written notice and no undue pressure (s39), the agreement and the
/// person's written confirmation recorded with a copy given to them, the four reasons (s37 and the
/// code of practice), and for a child or an adult without capacity who agreed (s38).
pub(super) fn digital_safeguards(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for event in context.of_kind(Kind::DeviceExtraction) {
        let EventData::DeviceExtraction(extraction) = &event.data else {
            continue;
        };
        let Some(person) = context.person(&extraction.person) else {
            continue;
        };
        if !matches!(person.role, Role::Victim | Role::Witness) {
            continue;
        }
        let needs_representative = person.is_child() || extraction.lacks_capacity;
        let safeguarded = extraction.notice_given
            && extraction.agreement_recorded
            && extraction.no_undue_pressure
            && extraction.confirmation_recorded
            && extraction.copy_given
            && extraction.rationale.is_complete()
            && (!needs_representative || extraction.agreed_by.is_some());
        out.safeguard(Some(&extraction.person), event, safeguarded);
    }
}

// ---- Victim information requests (PCSC 2022 ss44A-44B) -----------------------------------------

fn filled(text: &str) -> bool {
    !text.trim().is_empty()
}

/// Every third-party request, with its payload.
fn requests<'a>(
    context: &CaseContext<'a>,
) -> impl Iterator<Item = (&'a Event, &'a ThirdPartyRequest)> + use<'a> {
    context
        .of_kind(Kind::ThirdPartyRequest)
        .filter_map(|event| match &event.data {
            EventData::ThirdPartyRequest(request) => Some((event, request.as_ref())),
            _ => None,
        })
}

/// s44A(3)(b): relevant to a reasonable line of enquiry, with what is expected to be found.
pub(super) fn third_party_line_of_enquiry(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for (event, request) in requests(context) {
        let met = filled(&request.expected) && filled(&request.line_of_enquiry);
        out.safeguard(Some(&request.person), event, met);
    }
}

/// s44A(3)(c): necessary and proportionate.
pub(super) fn third_party_necessity(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for (event, request) in requests(context) {
        out.safeguard(Some(&request.person), event, filled(&request.necessity));
    }
}

/// The request is about a victim: Chapter 3A applies.
fn about_victim(context: &CaseContext<'_>, request: &ThirdPartyRequest) -> bool {
    context.role_of(&request.person) == Some(Role::Victim)
}

/// s44A(3)(a): reason to believe the holder has the information.
pub(super) fn third_party_held(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for (event, request) in requests(context).filter(|(_, r)| about_victim(context, r)) {
        out.safeguard(Some(&request.person), event, filled(&request.held_because));
    }
}

/// s44A(4)-(5): counselling information only when likely to have substantial probative value.
pub(super) fn third_party_counselling(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for (event, request) in requests(context).filter(|(_, r)| about_victim(context, r)) {
        if request.counselling {
            out.safeguard(
                Some(&request.person),
                event,
                filled(&request.probative_value),
            );
        }
    }
}

/// s44B: written notice to the victim saying what is sought, why and how it will be dealt with, on
/// or before the date of the request (after it only where that was not reasonably practicable:
/// `met_late`); none where s44B(5) applies and the reason is recorded.
pub(super) fn third_party_notice(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for (event, request) in requests(context).filter(|(_, r)| about_victim(context, r)) {
        if filled(&request.notice_withheld_reason) {
            out.push(
                Some(&request.person),
                event,
                Status::Met,
                None,
                Some(event.at),
            );
            continue;
        }
        let due = Timescale::CalendarDays(0).deadline_after(&event.at, context.calendar);
        let holder = request.holder.trim();
        let notice = context
            .of_kind_for(Kind::InformationNoticeGiven, &request.person)
            .find(|notice| {
                matches!(&notice.data, EventData::InformationNoticeGiven(n)
                    if n.is_complete()
                        && (n.holder.trim().is_empty() || n.holder.trim().eq_ignore_ascii_case(holder)))
            });
        out.timed(context, Some(&request.person), event, due, notice);
    }
}

// ---- Charging --------------------------------------------------------------------------------

/// Why the CPS must decide this charge, if it must: an indictable-only offence, or a Sexual
/// Offences Act offence by or against a person under 18 (DPP's Guidance on Charging, 6th edition,
/// annex 1).
fn cps_must_decide(
    context: &CaseContext<'_>,
    person: &PersonKey,
    offences: &[crate::interchange::OffenceCode],
) -> bool {
    let indictable_only = offences.iter().any(|offence| {
        context
            .config
            .cps_only_offences
            .iter()
            .any(|only| only == offence.as_str())
    });
    let sexual = offences.iter().any(|offence| is_sexual_offence(offence));
    let child = context.person(person).is_some_and(|p| p.is_child())
        || context.victims().any(|victim| victim.is_child());
    indictable_only || (sexual && child)
}

fn is_sexual_offence(offence: &str) -> bool {
    offence.starts_with("SOA2003-") || offence.starts_with("SOA1956-")
}

/// CPS decides where it must; a police charge of any other sexual offence is advice (the police
/// may charge an either-way offence only with an anticipated guilty plea suitable for sentence in
/// the magistrates' court, which rasso cannot see).
pub(super) fn charged_by_cps(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for event in context.of_kind(Kind::ChargingDecision) {
        let EventData::ChargingDecision(decision) = &event.data else {
            continue;
        };
        if decision.decision != Some(ChargingOutcome::Charge) {
            continue;
        }
        let by_cps = decision.by == Some(ChargingBody::Cps);
        if cps_must_decide(context, &decision.person, &decision.offences) {
            out.safeguard(Some(&decision.person), event, by_cps);
        } else if !by_cps && decision.offences.iter().any(|o| is_sexual_offence(o)) {
            out.push(Some(&decision.person), event, Status::Advice, None, None);
        }
    }
}

/// Early advice from a prosecutor (DG6 chapter 7; the 2021 police-CPS commitment to early advice
/// in RASSO cases): advice until recorded before a CPS decision on a case the CPS must decide.
pub(super) fn early_advice(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for event in context.of_kind(Kind::ChargingDecision) {
        let EventData::ChargingDecision(decision) = &event.data else {
            continue;
        };
        if decision.by != Some(ChargingBody::Cps)
            || !cps_must_decide(context, &decision.person, &decision.offences)
        {
            continue;
        }
        let advice = context
            .of_kind(Kind::EarlyAdvice)
            .take_while(|advice| advice.at <= event.at)
            .next();
        match advice {
            Some(advice) => out.push(
                Some(&decision.person),
                event,
                Status::Met,
                None,
                Some(advice.at),
            ),
            None => out.push(Some(&decision.person), event, Status::Advice, None, None),
        }
    }
}

/// Code for Crown Prosecutors, section 5: the four conditions, both parts of the evidential
/// consideration (reasonable suspicion; further evidence giving a realistic prospect of
/// conviction) and the public interest.
const THRESHOLD_IN_FULL: [ThresholdCondition; 7] = [
    ThresholdCondition::InsufficientNow,
    ThresholdCondition::FurtherEvidenceExpected,
    ThresholdCondition::Seriousness,
    ThresholdCondition::BailGrounds,
    ThresholdCondition::ReasonableSuspicion,
    ThresholdCondition::RealisticProspect,
    ThresholdCondition::PublicInterest,
];

pub(super) fn threshold_conditions(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for event in context.of_kind(Kind::ChargingDecision) {
        let EventData::ChargingDecision(decision) = &event.data else {
            continue;
        };
        if decision.test != Some(CodeTest::Threshold) {
            continue;
        }
        let all = THRESHOLD_IN_FULL
            .iter()
            .all(|condition| decision.threshold_conditions.contains(condition));
        out.safeguard(Some(&decision.person), event, all);
    }
}

// ---- Offences abroad -------------------------------------------------------------------------

/// Outside England and Wales: another country, or Scotland or Northern Ireland (separate
/// jurisdictions; SOA 2003 s72 covers acts outside the United Kingdom, and acts in Scotland or
/// Northern Ireland are for their own courts).
pub(super) fn jurisdiction_abroad(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let assessed = context.of_kind(Kind::JurisdictionAssessed).next();
    for event in context.of_kind(Kind::ReportReceived) {
        let EventData::ReportReceived(report) = &event.data else {
            continue;
        };
        let outside = report.location.as_ref().is_some_and(|location| {
            !location.country.eq_ignore_ascii_case("GB")
                || location
                    .nation
                    .is_some_and(|nation| !nation.is_england_and_wales())
        });
        if !outside {
            continue;
        }
        match assessed {
            Some(done) => out.push(None, event, Status::Met, None, Some(done.at)),
            None => out.push(None, event, Status::Advice, None, None),
        }
    }
}

// ---- The victim's evidence -------------------------------------------------------------------

/// The first interview of each victim was planned (Achieving Best Evidence): met by an
/// `interview_planned` at or before it, else breached.
pub(super) fn interview_planned(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    per_victim_first_event(context, Kind::VictimInterviewed, |victim, interview| {
        let plan = context
            .of_kind_for(Kind::InterviewPlanned, victim)
            .take_while(|plan| plan.at <= interview.at)
            .next();
        emit_met_or_breached(out, victim, interview, plan);
    });
}

/// An intermediary (YJCEA 1999 s29) considered in the plan before the first interview.
pub(super) fn intermediary_considered(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    per_victim_first_event(context, Kind::VictimInterviewed, |victim, interview| {
        let plan = context
            .of_kind_for(Kind::InterviewPlanned, victim)
            .take_while(|plan| plan.at <= interview.at)
            .find(|plan| {
                matches!(&plan.data, EventData::InterviewPlanned(p) if p.intermediary_considered)
            });
        emit_met_or_breached(out, victim, interview, plan);
    });
}

fn emit_met_or_breached(
    out: &mut Emitter<'_>,
    victim: &PersonKey,
    trigger: &Event,
    done: Option<&Event>,
) {
    match done {
        Some(done) => out.push(Some(victim), trigger, Status::Met, None, Some(done.at)),
        None => out.push(Some(victim), trigger, Status::Breached, None, None),
    }
}

/// Once a suspect is charged, special measures applied for for each victim (complainants of sexual
/// offences are eligible unless they opt out, YJCEA 1999 s17(4); ss27-28), or the opt-out recorded:
/// advice until then.
pub(super) fn special_measures(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let Some(charged) = context.of_kind(Kind::SuspectCharged).next() else {
        return;
    };
    for victim in context.victims() {
        match context
            .of_kind_for(Kind::SpecialMeasuresApplied, &victim.key)
            .next()
        {
            Some(applied) => out.push(
                Some(&victim.key),
                charged,
                Status::Met,
                None,
                Some(applied.at),
            ),
            None => out.push(Some(&victim.key), charged, Status::Advice, None, None),
        }
    }
}

/// Interviews kept to a minimum: each interview of a victim after the first says why it was
/// needed (met), or is advice.
pub(super) fn further_interviews(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for victim in context.victims() {
        for interview in context
            .of_kind_for(Kind::VictimInterviewed, &victim.key)
            .skip(1)
        {
            let EventData::VictimInterviewed(interviewed) = &interview.data else {
                continue;
            };
            if filled(&interviewed.further_interview_reason) {
                out.push(
                    Some(&victim.key),
                    interview,
                    Status::Met,
                    None,
                    Some(interview.at),
                );
            } else {
                out.push(Some(&victim.key), interview, Status::Advice, None, None);
            }
        }
    }
}

/// Outcome 16 (victim does not support action) only with the withdrawal or retraction recorded and
/// a supervisor's review after it, before the closure.
pub(super) fn withdrawal_reviewed(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for closure in context.of_kind(Kind::CaseClosed) {
        if !matches!(&closure.data, EventData::CaseClosed(c) if c.outcome == 16) {
            continue;
        }
        let withdrawal = context
            .of_kind(Kind::VictimWithdrawal)
            .take_while(|withdrawal| withdrawal.at <= closure.at)
            .last();
        let review = withdrawal.and_then(|withdrawal| {
            context
                .of_kind(Kind::SupervisorReview)
                .take_while(|review| review.at <= closure.at)
                .find(|review| review.at >= withdrawal.at)
        });
        match review {
            Some(review) => out.push(None, closure, Status::Met, None, Some(review.at)),
            None => out.push(None, closure, Status::Breached, None, None),
        }
    }
}

// ---- The victim's property (Victims' Code right 10) ---------------------------------------------

/// A device taken from a victim: returned, or the reason for keeping it recorded, within the rasso
/// default (`property_return`).
pub(super) fn property_returned(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let Some(timescale) = context.config.property_return else {
        return;
    };
    for taken in context.of_kind(Kind::PropertyTaken) {
        let EventData::PropertyTaken(property) = &taken.data else {
            continue;
        };
        if !property.device || context.role_of(&property.person) != Some(Role::Victim) {
            continue;
        }
        let item = property.item.trim();
        let same_item = |other: &str| {
            let other = other.trim();
            item.is_empty() || other.is_empty() || other.eq_ignore_ascii_case(item)
        };
        // The earliest return, or retention with a reason, of the item at or after it was taken.
        let returned = context
            .of_kind_for(Kind::PropertyReturned, &property.person)
            .find(|event| {
                event.at >= taken.at
                    && matches!(&event.data, EventData::PropertyReturned(r) if same_item(&r.item))
            });
        let retained = context
            .of_kind_for(Kind::PropertyRetained, &property.person)
            .find(|event| {
                event.at >= taken.at
                    && matches!(&event.data, EventData::PropertyRetained(k) if same_item(&k.item) && filled(&k.reason))
            });
        let done = match (returned, retained) {
            (Some(a), Some(b)) => Some(if b.at < a.at { b } else { a }),
            (a, b) => a.or(b),
        };
        let due = timescale.deadline_after(&taken.at, context.calendar);
        out.timed(context, Some(&property.person), taken, due, done);
    }
}

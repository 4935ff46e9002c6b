//! The national rule catalogue, and the rules as `national-2021-04` checks them: one function per
//! rule, in catalogue order. `national-2026-01` reuses the functions whose law did not change and
//! has its own in `national_2026`. Instances, completions, deadlines and statuses follow
//! `docs/rules.md`, which gives the sources.

use chrono::{DateTime, Utc};

use crate::interchange::{
    BailAuthority, ChargingBody, ChargingOutcome, CodeTest, Contact, Event, EventData,
    InformedAbout, Kind, OfficerRole, PersonKey, Role, ThresholdCondition, Timestamp,
};
use crate::time::{Timescale, end_of_local_day, local_date, months_period_last_day};

use super::finding::{Finding, RuleIndex, Status, deadline_status};
use super::{CaseContext, Person};

/// A national rule: its stable id and what it checks. Which versions of the rule set have it, and
/// how each checks it, is in the `editions` module of the rules.
#[derive(Debug)]
pub struct NationalRule {
    pub id: &'static str,
    pub title: &'static str,
}

/// Every national rule of every version, in a fixed order: a rule's position is its
/// [`RuleIndex`], which stored report facts rely on, so rules are only ever appended.
pub static NATIONAL_RULES: &[NationalRule] = &[
    rule("REC-24H", "Crime recorded within 24 hours of the report"),
    rule(
        "VC-CONFIRM",
        "Written confirmation of the report sent to the victim",
    ),
    rule("VC-NEEDS", "Victim's needs assessed"),
    rule(
        "VC-REFERRAL",
        "Victim referred to support services (or declined)",
    ),
    rule("ISVA-OFFER", "ISVA offered to the victim"),
    rule(
        "VC-INFORM",
        "Victim told of arrest, interview, release, bail and charge",
    ),
    rule(
        "VC-NO-INVESTIGATE",
        "Victim told of a decision not to investigate",
    ),
    rule("VC-UPDATE", "Victim updated as often as agreed"),
    rule(
        "VC-VPS",
        "Victim Personal Statement offered with the evidential statement",
    ),
    rule(
        "VC-GENDER",
        "Victim asked their preferred interviewer gender",
    ),
    rule("VRR-ACK", "Right to Review request acknowledged"),
    rule("VRR-DECIDE", "Right to Review request decided"),
    rule(
        "BAIL-PERIOD",
        "Pre-charge bail within the applicable period",
    ),
    rule("BAIL-VIEWS", "Victim's views sought on bail conditions"),
    rule(
        "RUI-REVIEW",
        "Released under investigation reviewed by a supervisor",
    ),
    rule("SUP-REVIEW", "Investigation reviewed by a supervisor"),
    rule(
        "DIG-SAFEGUARDS",
        "Device extraction safeguards for a victim or witness",
    ),
    rule("TPM-RATIONALE", "Third-party material request justified"),
    rule(
        "FOR-WINDOW",
        "Forensic examination offered while the window is open",
    ),
    rule(
        "CHG-CPS",
        "Charging decided by the CPS where only the CPS may decide",
    ),
    rule(
        "CHG-THRESHOLD",
        "Threshold Test decision meets every condition",
    ),
    rule("OUT-VALID", "Outcome consistent with the record"),
    rule(
        "JUR-ABROAD",
        "Jurisdiction assessed for an offence outside England and Wales",
    ),
    // Added by `national-2026-01`.
    rule(
        "TPM-HELD",
        "Victim information request: reason to believe the holder has it",
    ),
    rule(
        "TPM-NECESSITY",
        "Victim information request: necessary and proportionate",
    ),
    rule(
        "TPM-COUNSELLING",
        "Counselling records requested only for substantial probative value",
    ),
    rule(
        "TPM-NOTICE",
        "Victim given written notice of an information request",
    ),
    rule(
        "CHG-EARLY-ADVICE",
        "Early advice from a prosecutor recorded before a CPS charging decision",
    ),
    rule("EVD-ABE-PLAN", "Victim's interview planned"),
    rule(
        "EVD-INTERMEDIARY",
        "Intermediary considered before the victim's interview",
    ),
    rule(
        "EVD-SPECIAL-MEASURES",
        "Special measures applied for once a suspect is charged",
    ),
    rule(
        "EVD-INTERVIEWS",
        "Further interviews of the victim kept to those needed",
    ),
    rule(
        "EVD-WITHDRAWAL",
        "Victim withdrawal recorded and reviewed before outcome 16",
    ),
    rule(
        "PROP-RETURN",
        "Device taken from the victim returned, or why kept recorded",
    ),
    rule(
        "VRR-INFORM",
        "Victim told of the right to review a decision not to charge",
    ),
];

const fn rule(id: &'static str, title: &'static str) -> NationalRule {
    NationalRule { id, title }
}

/// How one rule of one version is checked.
pub(super) type CheckFn = fn(&CaseContext<'_>, &mut Emitter<'_>);

/// Appends findings of one rule run for one or more consecutive versions that check it alike.
/// Each finding goes to the version whose period holds its trigger; a finding whose trigger is in
/// none of `periods` is dropped (`filter`: false when every event of the case is in them, so that
/// nothing needs checking).
pub(super) struct Emitter<'o> {
    pub(super) rule: RuleIndex,
    /// The position of the version of `periods[0]`.
    pub(super) version: u8,
    pub(super) periods: &'o [super::Window],
    pub(super) filter: bool,
    /// The kinds the rule declares as its triggers (`editions.rs`).
    pub(super) triggers: &'static [Kind],
    pub(super) out: &'o mut Vec<Finding>,
}

impl Emitter<'_> {
    pub(super) fn push(
        &mut self,
        person: Option<&PersonKey>,
        trigger: &Event,
        status: Status,
        due_by: Option<DateTime<Utc>>,
        done_at: Option<Timestamp>,
    ) {
        // Cases without any declared trigger are never run: a finding of another kind would be
        // lost there, so every finding's trigger must be declared.
        debug_assert!(
            self.triggers.contains(&trigger.kind()),
            "a finding triggered by {} is not declared in editions.rs",
            trigger.kind()
        );
        let version = match self.periods {
            [only] if !self.filter || only.contains(&trigger.at) => self.version,
            [_] => return,
            periods => match periods.iter().position(|p| p.contains(&trigger.at)) {
                Some(offset) => self.version + offset as u8,
                None => return,
            },
        };
        self.out.push(Finding {
            rule: self.rule,
            version,
            person: person.cloned(),
            trigger: trigger.kind(),
            trigger_at: trigger.at,
            status,
            due_by,
            done_at,
        });
    }

    /// An instance with a deadline, completed by `done` (the earliest completing event) or not yet.
    pub(super) fn timed(
        &mut self,
        context: &CaseContext<'_>,
        person: Option<&PersonKey>,
        trigger: &Event,
        due: DateTime<Utc>,
        done: Option<&Event>,
    ) {
        let done_at = done.map(|event| event.at);
        let status = deadline_status(done_at.as_ref(), &due, &context.now);
        self.push(person, trigger, status, Some(due), done_at);
    }

    /// The open instance of a rule that stops when the investigation ends (`ended`, from
    /// [`CaseContext::investigation_ended`]), with nothing done since its base. It is judged as it
    /// stood at the end: one not yet due then no longer applies and is dropped; one already missed
    /// stays overdue with its deadline, so that ending an investigation never hides a missed act.
    /// Without an end it is an ordinary open instance.
    pub(super) fn open_until_ended(
        &mut self,
        context: &CaseContext<'_>,
        person: Option<&PersonKey>,
        trigger: &Event,
        due: DateTime<Utc>,
        ended: Option<&Event>,
    ) {
        // At exactly the deadline an act is still due (`docs/rules.md`, decision 9): not missed.
        if ended.is_some_and(|end| due >= end.at) {
            return;
        }
        self.timed(context, person, trigger, due, None);
    }

    /// An instance that is met by the triggering record itself, or breached.
    pub(super) fn safeguard(&mut self, person: Option<&PersonKey>, trigger: &Event, met: bool) {
        if met {
            self.push(person, trigger, Status::Met, None, Some(trigger.at));
        } else {
            self.push(person, trigger, Status::Breached, None, None);
        }
    }
}

// ---- Recording -------------------------------------------------------------------------------

pub(super) fn crime_recorded(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let Some(report) = context.first_report() else {
        return;
    };
    let due = context
        .config
        .crime_recording
        .deadline_after(&report.at, context.calendar);
    let done = context.of_kind(Kind::CrimeRecorded).next();
    out.timed(context, None, report, due, done);
}

// ---- Victims' Code: acts counted from the report -----------------------------------------------

/// One finding per victim for an act due within `timescale` of the first report.
pub(super) fn per_victim_from_report(
    context: &CaseContext<'_>,
    out: &mut Emitter<'_>,
    timescale: Timescale,
    completed_by: Kind,
) {
    let Some(report) = context.first_report() else {
        return;
    };
    let due = timescale.deadline_after(&report.at, context.calendar);
    for victim in context.victims() {
        let done = context.of_kind_for(completed_by, &victim.key).next();
        out.timed(context, Some(&victim.key), report, due, done);
    }
}

/// Calls `each` with every victim's first event of `kind`.
pub(super) fn per_victim_first_event<'a>(
    context: &CaseContext<'a>,
    kind: Kind,
    mut each: impl FnMut(&'a PersonKey, &'a Event),
) {
    for victim in context.victims() {
        if let Some(first) = context.of_kind_for(kind, &victim.key).next() {
            each(&victim.key, first);
        }
    }
}

pub(super) fn written_confirmation(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let timescale = context.config.written_confirmation;
    per_victim_from_report(context, out, timescale, Kind::WrittenConfirmationSent);
}

pub(super) fn needs_assessment(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let timescale = context.config.needs_assessment;
    per_victim_from_report(context, out, timescale, Kind::NeedsAssessment);
}

pub(super) fn support_referral(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    // A referral the victim declined still completes the instance: the offer is the duty.
    let timescale = context.config.support_referral;
    per_victim_from_report(context, out, timescale, Kind::SupportReferral);
}

pub(super) fn isva_offer(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let timescale = context.config.isva_offer;
    per_victim_from_report(context, out, timescale, Kind::IsvaOffered);
}

// ---- Victims' Code: keeping the victim informed ------------------------------------------------

/// What the victim must be told about, for events that oblige the police to tell them.
fn inform_trigger(event: &Event) -> Option<InformedAbout> {
    match &event.data {
        EventData::SuspectArrested(_) => Some(InformedAbout::Arrest),
        EventData::SuspectInterviewed(interview) if interview.under_caution => {
            Some(InformedAbout::Interview)
        }
        EventData::SuspectReleasedNfa(_) => Some(InformedAbout::ReleasedNfa),
        EventData::SuspectBailed(_) => Some(InformedAbout::Bailed),
        EventData::SuspectReleasedRui(_) => Some(InformedAbout::Rui),
        EventData::BailVaried(_) => Some(InformedAbout::BailVaried),
        EventData::SuspectCharged(_) => Some(InformedAbout::Charged),
        EventData::DecisionNotToInvestigate(_) => Some(InformedAbout::NotInvestigated),
        _ => None,
    }
}

pub(super) fn inform_timescale(context: &CaseContext<'_>, victim: &Person) -> Timescale {
    if victim.enhanced_rights {
        context.config.inform_enhanced
    } else {
        context.config.inform_standard
    }
}

/// The first `victim_informed` for `victim` about `about` at or after `trigger`.
pub(super) fn first_told<'a>(
    context: &CaseContext<'a>,
    victim: &Person,
    about: InformedAbout,
    trigger: &Event,
) -> Option<&'a Event> {
    context
        .of_kind_for(Kind::VictimInformed, &victim.key)
        .find(|event| {
            event.at >= trigger.at
                && matches!(&event.data, EventData::VictimInformed(told) if told.about == about)
        })
}

fn inform_victims(context: &CaseContext<'_>, out: &mut Emitter<'_>, not_investigated: bool) {
    for trigger in context.events {
        let Some(about) = inform_trigger(trigger) else {
            continue;
        };
        if (about == InformedAbout::NotInvestigated) != not_investigated {
            continue;
        }
        for victim in context.victims() {
            let due =
                inform_timescale(context, victim).deadline_after(&trigger.at, context.calendar);
            let done = first_told(context, victim, about, trigger);
            out.timed(context, Some(&victim.key), trigger, due, done);
        }
    }
}

pub(super) fn victim_informed_of_suspect(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    inform_victims(context, out, false);
}

pub(super) fn victim_informed_not_investigated(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    inform_victims(context, out, true);
}

/// True for an event at or before the end of the investigation (or when it has not ended): what a
/// rule that stops at the end still counts.
pub(super) fn by_end(ended: Option<&Event>) -> impl Fn(&&Event) -> bool + Copy + '_ {
    move |event| ended.is_none_or(|end| event.at <= end.at)
}

pub(super) fn victim_updates(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    // Updates on the investigation stop when it ends (closure or a decision not to investigate):
    // the agreement and updates up to then decide the last instance.
    let ended = context.investigation_ended();
    for victim in context.victims() {
        let Some(agreement) = context
            .of_kind_for(Kind::UpdateCadenceAgreed, &victim.key)
            .rfind(by_end(ended))
        else {
            continue;
        };
        let EventData::UpdateCadenceAgreed(cadence) = &agreement.data else {
            continue;
        };
        // The next update is due `every_days` after the later of the agreement and the last time
        // the victim was told anything. By construction it has not happened yet: one finding, for
        // the next update only, due or overdue.
        let last_told = context
            .of_kind_for(Kind::VictimInformed, &victim.key)
            .rfind(by_end(ended))
            .map(|event| event.at);
        let base = match last_told {
            Some(told) if told > agreement.at => told,
            _ => agreement.at,
        };
        let due =
            Timescale::CalendarDays(cadence.every_days).deadline_after(&base, context.calendar);
        out.open_until_ended(context, Some(&victim.key), agreement, due, ended);
    }
}

pub(super) fn victim_personal_statement(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let statements = || context.of_kind(Kind::StatementTaken);
    for statement in statements() {
        let EventData::StatementTaken(taken) = &statement.data else {
            continue;
        };
        if !taken.evidential || context.role_of(&taken.person) != Some(Role::Victim) {
            continue;
        }
        // Offered on this statement, or on an earlier one from the same victim.
        let offered = statements().take_while(|earlier| earlier.at <= statement.at).find(
            |earlier| matches!(&earlier.data, EventData::StatementTaken(s) if s.person == taken.person && s.vps_offered),
        );
        match offered {
            Some(offer) => out.push(
                Some(&taken.person),
                statement,
                Status::Met,
                None,
                Some(offer.at),
            ),
            None => out.push(Some(&taken.person), statement, Status::Breached, None, None),
        }
    }
}

pub(super) fn interviewer_gender(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for victim in context.victims() {
        let Some(interview) = context
            .of_kind_for(Kind::VictimInterviewed, &victim.key)
            .next()
        else {
            continue;
        };
        let asked =
            matches!(&interview.data, EventData::VictimInterviewed(i) if i.gender_preference_asked);
        out.safeguard(Some(&victim.key), interview, asked);
    }
}

// ---- Victims' Right to Review ----------------------------------------------------------------

fn vrr_response(
    context: &CaseContext<'_>,
    out: &mut Emitter<'_>,
    timescale: Timescale,
    completed_by: Kind,
) {
    for request in context.of_kind(Kind::VrrRequested) {
        let Some(person) = request.person() else {
            continue;
        };
        let due = timescale.deadline_after(&request.at, context.calendar);
        let done = context
            .of_kind_for(completed_by, person)
            .find(|event| event.at >= request.at);
        out.timed(context, Some(person), request, due, done);
    }
}

pub(super) fn vrr_acknowledged(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    vrr_response(
        context,
        out,
        context.config.vrr_acknowledge,
        Kind::VrrAcknowledged,
    );
}

pub(super) fn vrr_decided(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    vrr_response(context, out, context.config.vrr_decide, Kind::VrrDecided);
}

// ---- Suspect: bail and released under investigation ------------------------------------------

/// One period of pre-charge bail for one suspect.
struct BailEpisode<'a> {
    person: &'a PersonKey,
    bailed: &'a Event,
    start: chrono::NaiveDate,
    deadline: DateTime<Utc>,
    beyond_authority: bool,
    ended: Option<&'a Event>,
}

pub(super) fn ends_bail(event: &Event) -> bool {
    matches!(
        event.kind(),
        Kind::BailEnded
            | Kind::SuspectCharged
            | Kind::SuspectReleasedNfa
            | Kind::SuspectReleasedRui
    )
}

pub(super) fn bail_period(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let periods = context.config.bail;
    let mut episodes: Vec<BailEpisode<'_>> = Vec::new();
    for event in context.events {
        let Some(person) = event.person() else {
            continue;
        };
        let open = episodes
            .iter_mut()
            .find(|episode| episode.person == person && episode.ended.is_none());
        match (&event.data, open) {
            (EventData::SuspectBailed(_), None) => {
                // The bail start date is the day after the latest arrest before the bail, or after
                // the bail itself when no arrest is recorded.
                let arrested = context
                    .of_kind_for(Kind::SuspectArrested, person)
                    .take_while(|arrest| arrest.at <= event.at)
                    .last()
                    .unwrap_or(event);
                let start = local_date(&arrested.at)
                    .succ_opt()
                    .unwrap_or(chrono::NaiveDate::MAX);
                let last_day = months_period_last_day(start, periods.standard_months);
                episodes.push(BailEpisode {
                    person,
                    bailed: event,
                    start,
                    deadline: end_of_local_day(last_day),
                    beyond_authority: false,
                    ended: None,
                });
            }
            (EventData::BailExtended(extension), Some(episode)) => {
                // Only an extension made before the period runs out keeps the suspect on bail.
                if event.at > episode.deadline {
                    continue;
                }
                let limit = match extension.authorised_by {
                    BailAuthority::Inspector => Some(periods.inspector_months),
                    BailAuthority::Superintendent => Some(periods.superintendent_months),
                    // Not a value this version knew; read with its statutory limit (PACE s47ZE).
                    BailAuthority::AssistantChiefConstable => Some(periods.designated_months),
                    BailAuthority::Court => None,
                };
                if let Some(months) = limit {
                    if extension.until > months_period_last_day(episode.start, months) {
                        episode.beyond_authority = true;
                    }
                }
                episode.deadline = end_of_local_day(extension.until);
            }
            (_, Some(episode)) if ends_bail(event) => episode.ended = Some(event),
            _ => {}
        }
    }
    for episode in episodes {
        if episode.beyond_authority {
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

pub(super) fn bail_views(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for event in context.events {
        let sought = match &event.data {
            EventData::SuspectBailed(bail) if bail.conditions => bail.victim_views_sought,
            EventData::BailVaried(varied) => varied.victim_views_sought,
            _ => continue,
        };
        out.safeguard(event.person(), event, sought);
    }
}

/// What ended a release under investigation for `person`: the first later charge, release with no
/// further action, bail or new release of that person.
pub(super) fn rui_resolution<'a>(
    context: &CaseContext<'a>,
    release: &Event,
    person: &PersonKey,
) -> Option<&'a Event> {
    context.events.iter().find(|later| {
        later.at >= release.at
            && !std::ptr::eq(*later, release)
            && later.person() == Some(person)
            && matches!(
                later.kind(),
                Kind::SuspectCharged
                    | Kind::SuspectReleasedNfa
                    | Kind::SuspectBailed
                    | Kind::SuspectReleasedRui
            )
    })
}

pub(super) fn rui_review(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    // Reviews stop when the investigation ends (closure or a decision not to investigate); what
    // happened after the end changes nothing.
    let ended = context.investigation_ended();
    for release in context.of_kind(Kind::SuspectReleasedRui) {
        let Some(person) = release.person() else {
            continue;
        };
        if rui_resolution(context, release, person).is_some_and(|resolved| by_end(ended)(&resolved))
        {
            continue;
        }
        // A rolling review: the next one is due after the release or the last review since.
        let last_review = context
            .of_kind(Kind::SupervisorReview)
            .filter(by_end(ended))
            .rfind(|review| review.at > release.at);
        let base = last_review.unwrap_or(release);
        let due = context
            .config
            .rui_review
            .deadline_after(&base.at, context.calendar);
        out.open_until_ended(context, Some(person), release, due, ended);
    }
}

// ---- Supervision -----------------------------------------------------------------------------

pub(super) fn supervisor_review(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    // Reviews of the investigation stop when it ends (closure or a decision not to investigate).
    let ended = context.investigation_ended();
    let Some(allocated) = context.of_kind(Kind::OfficerAllocated).find(
        |event| matches!(&event.data, EventData::OfficerAllocated(a) if a.role == OfficerRole::Oic),
    ) else {
        return;
    };
    let last_review = context
        .of_kind(Kind::SupervisorReview)
        .filter(by_end(ended))
        .rfind(|review| review.at >= allocated.at);
    let due = match last_review {
        None => context
            .config
            .first_supervisor_review
            .deadline_after(&allocated.at, context.calendar),
        Some(review) => context
            .config
            .supervisor_review
            .deadline_after(&review.at, context.calendar),
    };
    out.open_until_ended(context, None, allocated, due, ended);
}

// ---- Evidence: digital devices, third-party material, forensic windows ------------------------

pub(super) fn digital_safeguards(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for event in context.of_kind(Kind::DeviceExtraction) {
        let EventData::DeviceExtraction(extraction) = &event.data else {
            continue;
        };
        if !matches!(
            context.role_of(&extraction.person),
            Some(Role::Victim | Role::Witness)
        ) {
            continue;
        }
        let safeguarded = extraction.notice_given
            && extraction.agreement_recorded
            && extraction.rationale.is_complete();
        out.safeguard(Some(&extraction.person), event, safeguarded);
    }
}

pub(super) fn third_party_rationale(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for event in context.of_kind(Kind::ThirdPartyRequest) {
        let EventData::ThirdPartyRequest(request) = &event.data else {
            continue;
        };
        out.safeguard(Some(&request.person), event, request.is_justified());
    }
}

fn window_for(context: &CaseContext<'_>, contact: Contact) -> Timescale {
    let windows = context.config.forensic_windows;
    match contact {
        Contact::Oral => windows.oral,
        Contact::Skin => windows.skin,
        Contact::Anal => windows.anal,
        Contact::Vaginal => windows.vaginal,
    }
}

pub(super) fn forensic_window(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let open_report = context.of_kind(Kind::ReportReceived).find_map(|event| {
        let EventData::ReportReceived(report) = &event.data else {
            return None;
        };
        // Without a time for the offence no window can be computed; the rule does not apply.
        let offence_at = report.offence_to.or(report.offence_from)?;
        let closes = report
            .penetration
            .iter()
            .map(|contact| {
                window_for(context, *contact).deadline_after(&offence_at, context.calendar)
            })
            .max()?;
        (event.at <= closes).then_some((event, closes))
    });
    let Some((report, closes)) = open_report else {
        return;
    };
    // The window is for evidence for an investigation: when the investigation ends (closure or a
    // decision not to investigate) before an offer, a window still open no longer applies and
    // one already missed stays overdue; an offer after the end completes nothing.
    let ended = context.investigation_ended();
    let done = context
        .of_kind(Kind::ForensicExamOffered)
        .filter(by_end(ended))
        .find(|offer| {
            offer
                .person()
                .is_some_and(|person| context.role_of(person) == Some(Role::Victim))
        });
    match done {
        Some(done) => out.timed(context, None, report, closes, Some(done)),
        None => out.open_until_ended(context, None, report, closes, ended),
    }
}

// ---- Charging and outcomes -------------------------------------------------------------------

pub(super) fn charged_by_cps(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for event in context.of_kind(Kind::ChargingDecision) {
        let EventData::ChargingDecision(decision) = &event.data else {
            continue;
        };
        let cps_only = decision.offences.iter().any(|offence| {
            context
                .config
                .cps_only_offences
                .iter()
                .any(|only| only == offence.as_str())
        });
        if decision.decision != Some(ChargingOutcome::Charge) || !cps_only {
            continue;
        }
        out.safeguard(
            Some(&decision.person),
            event,
            decision.by == Some(ChargingBody::Cps),
        );
    }
}

const ALL_THRESHOLD_CONDITIONS: [ThresholdCondition; 4] = [
    ThresholdCondition::InsufficientNow,
    ThresholdCondition::FurtherEvidenceExpected,
    ThresholdCondition::Seriousness,
    ThresholdCondition::BailGrounds,
];

pub(super) fn threshold_conditions(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for event in context.of_kind(Kind::ChargingDecision) {
        let EventData::ChargingDecision(decision) = &event.data else {
            continue;
        };
        if decision.test != Some(CodeTest::Threshold) {
            continue;
        }
        let all = ALL_THRESHOLD_CONDITIONS
            .iter()
            .all(|condition| decision.threshold_conditions.contains(condition));
        out.safeguard(Some(&decision.person), event, all);
    }
}

/// Whether a Home Office outcome type fits what the closure records about the suspect and victim.
pub fn outcome_is_consistent(
    outcome: u32,
    suspect_identified: Option<bool>,
    victim_supports: Option<bool>,
) -> bool {
    let needs_suspect = match outcome {
        14 | 18 => Some(false),
        15 | 16 => Some(true),
        _ => None,
    };
    let needs_support = match outcome {
        14 | 16 => Some(false),
        15 => Some(true),
        _ => None,
    };
    (1..=22).contains(&outcome)
        && needs_suspect.is_none_or(|needed| suspect_identified == Some(needed))
        && needs_support.is_none_or(|needed| victim_supports == Some(needed))
}

pub(super) fn outcome_valid(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    for event in context.of_kind(Kind::CaseClosed) {
        let EventData::CaseClosed(closed) = &event.data else {
            continue;
        };
        let consistent = outcome_is_consistent(
            closed.outcome,
            closed.suspect_identified,
            closed.victim_supports,
        );
        out.safeguard(None, event, consistent);
    }
}

// ---- Offences abroad -------------------------------------------------------------------------

pub(super) fn jurisdiction_abroad(context: &CaseContext<'_>, out: &mut Emitter<'_>) {
    let assessed = context.of_kind(Kind::JurisdictionAssessed).next();
    for event in context.of_kind(Kind::ReportReceived) {
        let EventData::ReportReceived(report) = &event.data else {
            continue;
        };
        let abroad = report
            .location
            .as_ref()
            .is_some_and(|location| !location.country.eq_ignore_ascii_case("GB"));
        if !abroad {
            continue;
        }
        match assessed {
            Some(done) => out.push(None, event, Status::Met, None, Some(done.at)),
            None => out.push(None, event, Status::Advice, None, None),
        }
    }
}

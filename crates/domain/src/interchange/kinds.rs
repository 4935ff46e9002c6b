//! The event kinds of the case interchange format (version 1) and their fields.
//!
//! Each kind's fields are a plain serde struct. Fields the format marks optional, and booleans that
//! record whether a safeguard was applied, default when absent: an unrecorded safeguard counts as not
//! applied, which is what the rules need. Fields without which an event means nothing (the person it
//! is about, a victim-informed `about`, a closure's `outcome`) are required.

use chrono::NaiveDate;
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::Timestamp;

/// A person's short key within a case: `"V1"`, `"S1"`, `"W1"`. Stored inline, never allocated.
pub type PersonKey = CompactString;

/// An offence code such as `SOA2003-s1`; plugins may register codes of their own.
pub type OffenceCode = CompactString;

/// How a report reached the police.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[serde(rename = "999")]
    Emergency999,
    #[serde(rename = "101")]
    NonEmergency101,
    Online,
    InPerson,
    ThirdParty,
    Sarc,
}

/// Where the offence happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// ISO 3166 alpha-2 country code; `GB` is the United Kingdom.
    pub country: CompactString,
    /// Which of the United Kingdom's nations, for `GB`: Scotland and Northern Ireland are
    /// jurisdictions of their own. Absent means "not recorded".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nation: Option<UkNation>,
}

/// A nation of the United Kingdom. England and Wales form one jurisdiction; Scotland and Northern
/// Ireland are separate ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UkNation {
    England,
    Wales,
    Scotland,
    NorthernIreland,
}

impl UkNation {
    /// True for England and Wales, the jurisdiction rasso serves.
    pub fn is_england_and_wales(self) -> bool {
        matches!(self, UkNation::England | UkNation::Wales)
    }
}

/// A contact type that starts a forensic window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contact {
    Oral,
    Vaginal,
    Anal,
    Skin,
}

/// A person's role in the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Victim,
    Suspect,
    Witness,
}

/// An officer's role on the case team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficerRole {
    /// Officer in case.
    Oic,
    Supervisor,
}

/// What a victim was told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InformedAbout {
    Arrest,
    Interview,
    ReleasedNfa,
    Bailed,
    Rui,
    BailVaried,
    Charged,
    NotInvestigated,
    Update,
    Outcome,
    Vrr,
    /// Bail conditions were cancelled (`bail_varied` with `conditions_cancelled`).
    BailConditionsCancelled,
}

/// Who authorised a bail extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BailAuthority {
    /// PACE s47ZD: an inspector or above, to 6 months.
    Inspector,
    /// PACE s47ZDA: a superintendent or above, to 9 months, after an s47ZD extension.
    Superintendent,
    /// PACE s47ZE: a commander or assistant chief constable or above, to 12 months, in a case the
    /// DPP designated as exceptionally complex, after an s47ZDA extension.
    AssistantChiefConstable,
    /// PACE ss47ZF-47ZG: a magistrates' court.
    Court,
}

/// How a victim was interviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterviewMode {
    /// Achieving Best Evidence video-recorded interview.
    Abe,
    /// Visually recorded interview.
    Vri,
    Statement,
}

/// Who made a charging decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargingBody {
    Cps,
    Police,
}

/// What a charging decision decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargingOutcome {
    Charge,
    NoFurtherAction,
    FurtherEvidence,
}

/// Which test of the Code for Crown Prosecutors a decision applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeTest {
    FullCode,
    Threshold,
}

/// The four conditions of the Threshold Test, all of which must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdCondition {
    InsufficientNow,
    FurtherEvidenceExpected,
    Seriousness,
    BailGrounds,
    /// At least a reasonable suspicion that the suspect committed the offence.
    ReasonableSuspicion,
    /// The further evidence expected will give a realistic prospect of conviction.
    RealisticProspect,
    /// Charging is in the public interest.
    PublicInterest,
}

/// Who gave agreement to a device extraction (PCSC 2022 s38 for a child or an adult without
/// capacity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreedBy {
    /// The device user themself.
    User,
    /// A parent or guardian.
    ParentOrGuardian,
    /// A representative of the relevant authority or voluntary organisation caring for them.
    CareAuthority,
    /// Another responsible adult.
    ResponsibleAdult,
}

/// What a written notice of a victim information request says (PCSC 2022 s44B(2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeContent {
    /// What information is sought.
    InformationSought,
    /// Why it is sought.
    Reason,
    /// How it will be dealt with once obtained.
    Handling,
}

/// A special measure (Youth Justice and Criminal Evidence Act 1999 ss23-30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecialMeasure {
    Screens,
    LiveLink,
    EvidenceInPrivate,
    RemovalOfWigsAndGowns,
    /// s27: a video-recorded interview as evidence in chief.
    VideoRecordedInterview,
    /// s28: pre-recorded cross-examination.
    PreRecordedCrossExamination,
    /// s29: examination through an intermediary.
    Intermediary,
    /// s30: aids to communication.
    AidsToCommunication,
}

/// Where jurisdiction over an offence abroad was found to lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JurisdictionDecision {
    EnglandWales,
    Foreign,
}

/// Identity details of a person: sealed at rest, never logged. `Debug` prints nothing of them.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Identity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pnc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Identity fields this version does not know, kept as they came.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Identity must never reach a log or an error message, even by accident.
        f.write_str("Identity(<sealed>)")
    }
}

/// The reasons recorded for extracting data from a victim's or witness's device.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExtractionRationale {
    #[serde(default)]
    pub relevance: String,
    #[serde(default)]
    pub necessity: String,
    #[serde(default)]
    pub proportionality: String,
    #[serde(default)]
    pub less_intrusive: String,
}

impl ExtractionRationale {
    /// True when every one of the four reasons has been written down.
    pub fn is_complete(&self) -> bool {
        [
            &self.relevance,
            &self.necessity,
            &self.proportionality,
            &self.less_intrusive,
        ]
        .iter()
        .all(|reason| !reason.trim().is_empty())
    }
}

macro_rules! person_only_kind {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            pub person: PersonKey,
        }
    };
}

/// `report_received`: the first account of the offence reaching the police.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReportReceived {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub offences: Vec<OffenceCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offence_from: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offence_to: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub penetration: Vec<Contact>,
}

/// `crime_recorded`: the crime recorded under the National Crime Recording Standard.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CrimeRecorded {
    #[serde(default)]
    pub offences: Vec<OffenceCode>,
}

/// `person_added`: a victim, suspect or witness joins the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonAdded {
    pub person: PersonKey,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_at_offence: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enhanced_rights: Option<bool>,
}

/// `officer_allocated`: an officer joins the case team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerAllocated {
    #[serde(default)]
    pub officer: CompactString,
    pub role: OfficerRole,
}

/// `supervisor_review`: a supervisor reviewed the investigation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SupervisorReview {
    #[serde(default)]
    pub officer: CompactString,
    #[serde(default)]
    pub note: String,
}

person_only_kind!(
    /// `needs_assessment`: the victim's needs were assessed.
    NeedsAssessment
);
person_only_kind!(
    /// `written_confirmation_sent`: written confirmation of the report went to the victim.
    WrittenConfirmationSent
);

/// `support_referral`: the victim was referred to a support service, or declined it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportReferral {
    pub person: PersonKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<CompactString>,
    #[serde(default)]
    pub declined: bool,
}

/// `isva_offered`: an independent sexual violence adviser was offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsvaOffered {
    pub person: PersonKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<bool>,
}

/// `update_cadence_agreed`: how often the victim wants updates, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateCadenceAgreed {
    pub person: PersonKey,
    pub every_days: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<CompactString>,
}

/// `victim_informed`: the victim was told something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VictimInformed {
    pub person: PersonKey,
    pub about: InformedAbout,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_given: Option<bool>,
}

person_only_kind!(
    /// `suspect_arrested`.
    SuspectArrested
);

/// `suspect_interviewed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspectInterviewed {
    pub person: PersonKey,
    #[serde(default)]
    pub under_caution: bool,
}

/// `suspect_bailed`: released on pre-charge bail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspectBailed {
    pub person: PersonKey,
    #[serde(default)]
    pub conditions: bool,
    #[serde(default)]
    pub victim_views_sought: bool,
    /// Why seeking the alleged victim's views was not practicable, where it was not.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub views_not_practicable: String,
}

/// `bail_extended`: the bail period was extended to a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BailExtended {
    pub person: PersonKey,
    pub until: NaiveDate,
    pub authorised_by: BailAuthority,
    /// The DPP designated the case as exceptionally complex (PACE s47ZE).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub designated_case: bool,
}

/// `bail_varied`: bail conditions changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BailVaried {
    pub person: PersonKey,
    #[serde(default)]
    pub victim_views_sought: bool,
    /// The variation cancelled the bail conditions.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub conditions_cancelled: bool,
    /// Why seeking the alleged victim's views was not practicable, where it was not.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub views_not_practicable: String,
}

person_only_kind!(
    /// `bail_ended`.
    BailEnded
);
person_only_kind!(
    /// `suspect_released_rui`: released under investigation.
    SuspectReleasedRui
);
person_only_kind!(
    /// `suspect_released_nfa`: released with no further action.
    SuspectReleasedNfa
);

/// `decision_not_to_investigate`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DecisionNotToInvestigate {
    #[serde(default)]
    pub reason: String,
}

/// `victim_interviewed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VictimInterviewed {
    pub person: PersonKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<InterviewMode>,
    #[serde(default)]
    pub gender_preference_asked: bool,
    /// For an interview after the first: why it was needed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub further_interview_reason: String,
}

/// `statement_taken`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementTaken {
    pub person: PersonKey,
    #[serde(default)]
    pub evidential: bool,
    #[serde(default)]
    pub vps_offered: bool,
}

/// `forensic_exam_offered`: a forensic medical examination (at a SARC) was offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForensicExamOffered {
    pub person: PersonKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sarc: Option<String>,
}

/// `device_extraction`: data extracted from a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceExtraction {
    pub person: PersonKey,
    #[serde(default)]
    pub notice_given: bool,
    #[serde(default)]
    pub agreement_recorded: bool,
    #[serde(default)]
    pub rationale: ExtractionRationale,
    /// Recorded that no undue pressure was placed on the person (PCSC 2022 s39(2)).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_undue_pressure: bool,
    /// The person's written confirmation of their agreement is recorded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub confirmation_recorded: bool,
    /// A copy of the notice and confirmation was given to the person.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub copy_given: bool,
    /// The device user is an adult without capacity to agree (PCSC 2022 s38).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lacks_capacity: bool,
    /// Who gave the agreement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreed_by: Option<AgreedBy>,
}

/// `third_party_request`: a request for material held by a third party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThirdPartyRequest {
    pub person: PersonKey,
    #[serde(default)]
    pub holder: String,
    #[serde(default)]
    pub expected: String,
    #[serde(default)]
    pub line_of_enquiry: String,
    #[serde(default)]
    pub necessity: String,
    #[serde(default)]
    pub victim_informed: bool,
    /// Why the holder is believed to hold the information (PCSC 2022 s44A(3)(a)).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub held_because: String,
    /// The holder provides counselling services: the stricter test of s44A(4) applies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub counselling: bool,
    /// Why the information is likely to have substantial probative value (s44A(4)).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub probative_value: String,
    /// Why no notice is given to the victim, where s44B(5) applies.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notice_withheld_reason: String,
}

impl ThirdPartyRequest {
    /// True when the request records what is expected, why it is a reasonable line of enquiry and
    /// why it is necessary, and the victim was told.
    pub fn is_justified(&self) -> bool {
        !self.expected.trim().is_empty()
            && !self.line_of_enquiry.trim().is_empty()
            && !self.necessity.trim().is_empty()
            && self.victim_informed
    }
}

/// `charging_decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargingDecision {
    pub person: PersonKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<ChargingBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<ChargingOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<CodeTest>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threshold_conditions: Vec<ThresholdCondition>,
    #[serde(default)]
    pub offences: Vec<OffenceCode>,
}

/// `information_notice_given`: written notice to the victim of a victim information request
/// (PCSC 2022 s44B).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InformationNoticeGiven {
    /// The victim the notice went to (or to whose representative, s44B(4)).
    pub person: PersonKey,
    /// The holder the request goes to; blank matches any request for the victim.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub holder: String,
    /// What the notice says.
    #[serde(default)]
    pub content: Vec<NoticeContent>,
}

impl InformationNoticeGiven {
    /// True when the notice says what, why and how (s44B(2)).
    pub fn is_complete(&self) -> bool {
        [
            NoticeContent::InformationSought,
            NoticeContent::Reason,
            NoticeContent::Handling,
        ]
        .iter()
        .all(|needed| self.content.contains(needed))
    }
}

/// `early_advice`: a prosecutor's early advice sought or given (DPP's Guidance on Charging).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EarlyAdvice {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
}

/// `interview_planned`: a victim's interview planned (Achieving Best Evidence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterviewPlanned {
    pub person: PersonKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<InterviewMode>,
    /// Whether an intermediary (YJCEA 1999 s29) was considered.
    #[serde(default)]
    pub intermediary_considered: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intermediary_needed: Option<bool>,
}

/// `special_measures_applied`: special measures applied for, or the victim's wish to opt out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialMeasuresApplied {
    pub person: PersonKey,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<SpecialMeasure>,
    /// The victim does not wish to be eligible (YJCEA 1999 s17(4)).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opted_out: bool,
}

/// `victim_withdrawal`: the victim withdrew support, or retracted the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VictimWithdrawal {
    pub person: PersonKey,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retraction: bool,
}

/// `property_taken`: property taken from a person (right 10 for a victim's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyTaken {
    pub person: PersonKey,
    /// The force's reference for the item; blank matches any return or retention for the person.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub item: String,
    /// The item is a phone or other electronic device.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub device: bool,
}

/// `property_returned`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyReturned {
    pub person: PersonKey,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub item: String,
}

/// `property_retained`: property kept, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyRetained {
    pub person: PersonKey,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub item: String,
    #[serde(default)]
    pub reason: String,
}

/// `suspect_charged`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuspectCharged {
    pub person: PersonKey,
    #[serde(default)]
    pub offences: Vec<OffenceCode>,
}

person_only_kind!(
    /// `vrr_requested`: the victim asked for a review under the Victims' Right to Review scheme.
    VrrRequested
);
person_only_kind!(
    /// `vrr_acknowledged`.
    VrrAcknowledged
);
person_only_kind!(
    /// `vrr_decided`.
    VrrDecided
);

/// `jurisdiction_assessed`: for an offence abroad, whether England and Wales has jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JurisdictionAssessed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<JurisdictionDecision>,
    #[serde(default)]
    pub basis: String,
}

/// `case_closed` with a Home Office outcome type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseClosed {
    /// Home Office outcome type; 1 to 22 are valid, anything else is flagged by `OUT-VALID`.
    pub outcome: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspect_identified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub victim_supports: Option<bool>,
}

/// `decision_recorded`: an entry in the case's decision log.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DecisionRecorded {
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub rationale: String,
    #[serde(default)]
    pub officer: CompactString,
}

/// `note`: free text on the whole-story timeline.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Note {
    #[serde(default)]
    pub text: String,
}

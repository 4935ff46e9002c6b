//! Which national rules each version of the rule set has, how each is checked, and where each
//! deadline comes from. A version is one [`Law`]; its rules are rows of a table naming a rule of
//! the catalogue ([`super::NATIONAL_RULES`]) by id.

use serde::{Deserialize, Serialize};

use crate::interchange::Kind;

use super::config::Law;
use super::national::{self as v2021, CheckFn};
use super::national_2026 as v2026;

/// Where a rule's deadline comes from, as findings and `rasso rules` say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineSource {
    /// An Act or statutory instrument sets it.
    Law,
    /// The Victims' Code sets it.
    VictimsCode,
    /// A national standard or scheme that is not law: the Home Office Crime Recording Rules, the
    /// police Victims' Right to Review scheme, forensic guidance.
    NationalGuidance,
    /// Neither law nor the Code sets it: rasso's default, which a force plugin may shorten.
    RassoDefault,
    /// A force policy (a plugin) set it, or the rule is a force's own.
    Force,
}

impl DeadlineSource {
    /// As findings write it: `law`, `victims_code`, `national_guidance`, `rasso_default`, `force`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineSource::Law => "law",
            DeadlineSource::VictimsCode => "victims_code",
            DeadlineSource::NationalGuidance => "national_guidance",
            DeadlineSource::RassoDefault => "rasso_default",
            DeadlineSource::Force => "force",
        }
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            DeadlineSource::Law => "law",
            DeadlineSource::VictimsCode => "Victims' Code",
            DeadlineSource::NationalGuidance => "national guidance (not law)",
            DeadlineSource::RassoDefault => "rasso default (not law; a force may set its own)",
            DeadlineSource::Force => "force policy",
        }
    }
}

/// One rule of one version.
#[derive(Debug)]
pub(super) struct Row {
    pub id: &'static str,
    pub check: CheckFn,
    /// Where the deadline comes from; `None` for rules without one (safeguards, advice).
    pub source: Option<DeadlineSource>,
    /// The configuration the rule reads (`RuleSetConfig` field names, `forensic_windows.oral`
    /// for a part of one): a timescale a force tightened makes the deadline the force's, and two
    /// versions whose row has the same check and equal values here check the rule alike.
    pub timescales: &'static [&'static str],
    /// The kinds of event that can trigger its findings: a case with none of them is skipped
    /// (checked in debug builds, on every finding, by the emitter).
    pub triggers: &'static [Kind],
}

const fn row(
    id: &'static str,
    check: CheckFn,
    source: Option<DeadlineSource>,
    timescales: &'static [&'static str],
) -> Row {
    Row {
        id,
        check,
        source,
        timescales,
        triggers: triggers_of(id),
    }
}

/// The kinds that trigger each rule's findings (the "instance" column of `docs/rules.md`).
const fn triggers_of(id: &str) -> &'static [Kind] {
    use Kind::*;
    const SUSPECT: &[Kind] = &[
        SuspectArrested,
        SuspectInterviewed,
        SuspectReleasedNfa,
        SuspectBailed,
        SuspectReleasedRui,
        BailVaried,
        SuspectCharged,
    ];
    match id.as_bytes() {
        b"REC-24H" | b"VC-CONFIRM" | b"VC-NEEDS" | b"VC-REFERRAL" | b"ISVA-OFFER"
        | b"FOR-WINDOW" | b"JUR-ABROAD" => &[ReportReceived],
        b"VC-INFORM" => SUSPECT,
        b"VC-NO-INVESTIGATE" => &[DecisionNotToInvestigate],
        b"VC-UPDATE" => &[UpdateCadenceAgreed],
        b"VC-VPS" => &[StatementTaken],
        b"VC-GENDER" | b"EVD-ABE-PLAN" | b"EVD-INTERMEDIARY" | b"EVD-INTERVIEWS" => {
            &[VictimInterviewed]
        }
        b"VRR-ACK" | b"VRR-DECIDE" => &[VrrRequested],
        b"VRR-INFORM" => &[ChargingDecision, SuspectReleasedNfa],
        b"BAIL-PERIOD" => &[SuspectBailed],
        b"BAIL-VIEWS" => &[SuspectBailed, BailVaried],
        b"RUI-REVIEW" => &[SuspectReleasedRui],
        b"SUP-REVIEW" => &[OfficerAllocated],
        b"DIG-SAFEGUARDS" => &[DeviceExtraction],
        b"TPM-RATIONALE" | b"TPM-HELD" | b"TPM-NECESSITY" | b"TPM-COUNSELLING" | b"TPM-NOTICE" => {
            &[ThirdPartyRequest]
        }
        b"CHG-CPS" | b"CHG-THRESHOLD" | b"CHG-EARLY-ADVICE" => &[ChargingDecision],
        b"OUT-VALID" | b"EVD-WITHDRAWAL" => &[CaseClosed],
        b"EVD-SPECIAL-MEASURES" => &[SuspectCharged],
        b"PROP-RETURN" => &[PropertyTaken],
        // An unknown id could be triggered by anything: never skipped.
        _ => Kind::ALL,
    }
}

use DeadlineSource::{Law as L, NationalGuidance as G, RassoDefault as D, VictimsCode as C};

const INFORM: &[&str] = &["inform_enhanced", "inform_standard"];
const NONE: &[&str] = &[];
const FORENSIC: &[&str] = &[
    "forensic_windows.oral",
    "forensic_windows.skin",
    "forensic_windows.anal",
    "forensic_windows.vaginal",
];
const SUPERVISION: &[&str] = &["first_supervisor_review", "supervisor_review"];
const BAIL: &[&str] = &["bail"];
const CPS: &[&str] = &["cps_only_offences"];

/// `national-2021-04`, exactly as it was published (labels aside): findings judged under it keep
/// their meaning.
static NATIONAL_2021_04: &[Row] = &[
    row(
        "REC-24H",
        v2021::crime_recorded,
        Some(G),
        &["crime_recording"],
    ),
    row(
        "VC-CONFIRM",
        v2021::written_confirmation,
        Some(D),
        &["written_confirmation"],
    ),
    row(
        "VC-NEEDS",
        v2021::needs_assessment,
        Some(D),
        &["needs_assessment"],
    ),
    row(
        "VC-REFERRAL",
        v2021::support_referral,
        Some(C),
        &["support_referral"],
    ),
    row("ISVA-OFFER", v2021::isva_offer, Some(D), &["isva_offer"]),
    row(
        "VC-INFORM",
        v2021::victim_informed_of_suspect,
        Some(C),
        INFORM,
    ),
    row(
        "VC-NO-INVESTIGATE",
        v2021::victim_informed_not_investigated,
        Some(C),
        INFORM,
    ),
    row("VC-UPDATE", v2021::victim_updates, Some(C), NONE),
    row("VC-VPS", v2021::victim_personal_statement, None, NONE),
    row("VC-GENDER", v2021::interviewer_gender, None, NONE),
    row(
        "VRR-ACK",
        v2021::vrr_acknowledged,
        Some(G),
        &["vrr_acknowledge"],
    ),
    row("VRR-DECIDE", v2021::vrr_decided, Some(G), &["vrr_decide"]),
    row("BAIL-PERIOD", v2021::bail_period, Some(L), BAIL),
    row("BAIL-VIEWS", v2021::bail_views, None, NONE),
    row("RUI-REVIEW", v2021::rui_review, Some(D), &["rui_review"]),
    row("SUP-REVIEW", v2021::supervisor_review, Some(D), SUPERVISION),
    row("DIG-SAFEGUARDS", v2021::digital_safeguards, None, NONE),
    row("TPM-RATIONALE", v2021::third_party_rationale, None, NONE),
    row("FOR-WINDOW", v2021::forensic_window, Some(G), FORENSIC),
    row("CHG-CPS", v2021::charged_by_cps, None, CPS),
    row("CHG-THRESHOLD", v2021::threshold_conditions, None, NONE),
    row("OUT-VALID", v2021::outcome_valid, None, NONE),
    row("JUR-ABROAD", v2021::jurisdiction_abroad, None, NONE),
];

/// `national-2026-01`: in force from 12 January 2026.
static NATIONAL_2026_01: &[Row] = &[
    row(
        "REC-24H",
        v2021::crime_recorded,
        Some(G),
        &["crime_recording"],
    ),
    row(
        "VC-CONFIRM",
        v2021::written_confirmation,
        Some(D),
        &["written_confirmation"],
    ),
    row(
        "VC-NEEDS",
        v2021::needs_assessment,
        Some(D),
        &["needs_assessment"],
    ),
    row(
        "VC-REFERRAL",
        v2021::support_referral,
        Some(C),
        &["support_referral"],
    ),
    row("ISVA-OFFER", v2021::isva_offer, Some(D), &["isva_offer"]),
    row(
        "VC-INFORM",
        v2026::victim_informed_of_suspect,
        Some(C),
        INFORM,
    ),
    row(
        "VC-NO-INVESTIGATE",
        v2021::victim_informed_not_investigated,
        Some(C),
        INFORM,
    ),
    row("VC-UPDATE", v2021::victim_updates, Some(C), NONE),
    row("VC-VPS", v2021::victim_personal_statement, None, NONE),
    row("VC-GENDER", v2026::interviewer_gender, None, NONE),
    row(
        "VRR-ACK",
        v2021::vrr_acknowledged,
        Some(G),
        &["vrr_acknowledge"],
    ),
    row("VRR-DECIDE", v2021::vrr_decided, Some(G), &["vrr_decide"]),
    row("BAIL-PERIOD", v2026::bail_period, Some(L), BAIL),
    row("BAIL-VIEWS", v2026::bail_views, None, NONE),
    row("RUI-REVIEW", v2021::rui_review, Some(D), &["rui_review"]),
    row("SUP-REVIEW", v2021::supervisor_review, Some(D), SUPERVISION),
    row("DIG-SAFEGUARDS", v2026::digital_safeguards, None, NONE),
    row(
        "TPM-RATIONALE",
        v2026::third_party_line_of_enquiry,
        None,
        NONE,
    ),
    row("FOR-WINDOW", v2021::forensic_window, Some(G), FORENSIC),
    row("CHG-CPS", v2026::charged_by_cps, None, CPS),
    row("CHG-THRESHOLD", v2026::threshold_conditions, None, NONE),
    row("OUT-VALID", v2021::outcome_valid, None, NONE),
    row("JUR-ABROAD", v2026::jurisdiction_abroad, None, NONE),
    row("TPM-HELD", v2026::third_party_held, None, NONE),
    row("TPM-NECESSITY", v2026::third_party_necessity, None, NONE),
    row(
        "TPM-COUNSELLING",
        v2026::third_party_counselling,
        None,
        NONE,
    ),
    row("TPM-NOTICE", v2026::third_party_notice, Some(L), NONE),
    row("CHG-EARLY-ADVICE", v2026::early_advice, None, CPS),
    row("EVD-ABE-PLAN", v2026::interview_planned, None, NONE),
    row(
        "EVD-INTERMEDIARY",
        v2026::intermediary_considered,
        None,
        NONE,
    ),
    row("EVD-SPECIAL-MEASURES", v2026::special_measures, None, NONE),
    row("EVD-INTERVIEWS", v2026::further_interviews, None, NONE),
    row("EVD-WITHDRAWAL", v2026::withdrawal_reviewed, None, NONE),
    row(
        "PROP-RETURN",
        v2026::property_returned,
        Some(D),
        &["property_return"],
    ),
    row(
        "VRR-INFORM",
        v2026::told_of_right_to_review,
        Some(C),
        INFORM,
    ),
];

/// The rules of a version, in the order they run.
pub(super) fn rows(law: Law) -> &'static [Row] {
    match law {
        Law::National2021_04 => NATIONAL_2021_04,
        Law::National2026_01 => NATIONAL_2026_01,
    }
}

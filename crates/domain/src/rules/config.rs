//! The configuration of a rule set: every timescale, window and cadence the rules use, and the
//! guidance page each rule links to. The law is data here: a new Victims' Code is a new
//! configuration with a new id, not a code change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::Timescale;

/// Timescales and policy defaults of one version of a rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetConfig {
    /// The rule set's version, e.g. `national-2021-04`.
    pub id: String,
    /// `REC-24H`: crime recorded after the report (NCRS: 24 hours).
    pub crime_recording: Timescale,
    /// `VC-CONFIRM`: written confirmation of the report (national default; the code says "without
    /// unjustified delay").
    pub written_confirmation: Timescale,
    /// `VC-NEEDS`: needs assessment after the report.
    pub needs_assessment: Timescale,
    /// `VC-REFERRAL`: referral to support services after the report.
    pub support_referral: Timescale,
    /// `ISVA-OFFER`: an ISVA offered after the report (policy default).
    pub isva_offer: Timescale,
    /// `VC-INFORM`, `VC-NO-INVESTIGATE`: telling an enhanced-rights victim.
    pub inform_enhanced: Timescale,
    /// `VC-INFORM`, `VC-NO-INVESTIGATE`: telling a standard-rights victim.
    pub inform_standard: Timescale,
    /// `VRR-ACK`: acknowledging a Victims' Right to Review request.
    pub vrr_acknowledge: Timescale,
    /// `VRR-DECIDE`: deciding a Victims' Right to Review request.
    pub vrr_decide: Timescale,
    /// `BAIL-PERIOD`: pre-charge bail periods, in months beginning with the bail start date.
    pub bail: BailPeriods,
    /// `RUI-REVIEW`: supervisor review of a suspect released under investigation (policy default).
    pub rui_review: Timescale,
    /// `SUP-REVIEW`: first supervisor review after allocation (policy default).
    pub first_supervisor_review: Timescale,
    /// `SUP-REVIEW`: each later supervisor review after the last (policy default).
    pub supervisor_review: Timescale,
    /// `FOR-WINDOW`: forensic windows by contact type, counted exactly from the offence.
    pub forensic_windows: ForensicWindows,
    /// The guidance page each rule id links to.
    pub guidance: BTreeMap<String, String>,
}

/// Pre-charge bail periods (PACE s47ZB and s47ZDA as amended from 28 October 2022), in months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BailPeriods {
    /// The applicable bail period without extension.
    pub standard_months: u32,
    /// The furthest an inspector may extend it.
    pub inspector_months: u32,
    /// The furthest a superintendent may extend it.
    pub superintendent_months: u32,
}

/// How long after the offence each kind of forensic evidence may be recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForensicWindows {
    pub oral: Timescale,
    pub skin: Timescale,
    pub anal: Timescale,
    pub vaginal: Timescale,
}

impl RuleSetConfig {
    /// The national rule set `national-2021-04`: the Victims' Code 2020 (in force 1 April 2021),
    /// PACE bail as amended by the Police, Crime, Sentencing and Courts Act 2022, and national policy
    /// defaults. Sources for every figure are in `domain.md`-derived docs (`docs/rules.md`).
    pub fn national_2021_04() -> Self {
        RuleSetConfig {
            id: "national-2021-04".to_owned(),
            crime_recording: Timescale::Hours(24),
            written_confirmation: Timescale::WorkingDays(5),
            needs_assessment: Timescale::WorkingDays(2),
            support_referral: Timescale::WorkingDays(2),
            isva_offer: Timescale::WorkingDays(2),
            inform_enhanced: Timescale::WorkingDays(1),
            inform_standard: Timescale::WorkingDays(5),
            vrr_acknowledge: Timescale::WorkingDays(10),
            vrr_decide: Timescale::WorkingDays(30),
            bail: BailPeriods {
                standard_months: 3,
                inspector_months: 6,
                superintendent_months: 9,
            },
            rui_review: Timescale::CalendarDays(90),
            first_supervisor_review: Timescale::CalendarDays(7),
            supervisor_review: Timescale::CalendarDays(28),
            forensic_windows: ForensicWindows {
                oral: Timescale::Hours(2 * 24),
                skin: Timescale::Hours(2 * 24),
                anal: Timescale::Hours(3 * 24),
                vaginal: Timescale::Hours(7 * 24),
            },
            guidance: NATIONAL_GUIDANCE
                .iter()
                .map(|(rule, page)| ((*rule).to_owned(), (*page).to_owned()))
                .collect(),
        }
    }

    /// The timescales a force policy may tighten, by name.
    pub fn timescales_mut(&mut self) -> Vec<(&'static str, &mut Timescale)> {
        vec![
            ("crime_recording", &mut self.crime_recording),
            ("written_confirmation", &mut self.written_confirmation),
            ("needs_assessment", &mut self.needs_assessment),
            ("support_referral", &mut self.support_referral),
            ("isva_offer", &mut self.isva_offer),
            ("inform_enhanced", &mut self.inform_enhanced),
            ("inform_standard", &mut self.inform_standard),
            ("vrr_acknowledge", &mut self.vrr_acknowledge),
            ("vrr_decide", &mut self.vrr_decide),
            ("rui_review", &mut self.rui_review),
            ("first_supervisor_review", &mut self.first_supervisor_review),
            ("supervisor_review", &mut self.supervisor_review),
            ("forensic_windows.oral", &mut self.forensic_windows.oral),
            ("forensic_windows.skin", &mut self.forensic_windows.skin),
            ("forensic_windows.anal", &mut self.forensic_windows.anal),
            (
                "forensic_windows.vaginal",
                &mut self.forensic_windows.vaginal,
            ),
        ]
    }
}

/// The guidance page for each national rule. Pages live in `content/`; `cargo xtask check-content`
/// fails when one is missing.
pub const NATIONAL_GUIDANCE: &[(&str, &str)] = &[
    ("REC-24H", "recording/crime-recording"),
    ("VC-CONFIRM", "victims-code/right-3"),
    ("VC-NEEDS", "victims-code/right-4-needs"),
    ("VC-REFERRAL", "victims-code/right-4"),
    ("ISVA-OFFER", "support/isva"),
    ("VC-INFORM", "victims-code/right-6"),
    ("VC-NO-INVESTIGATE", "victims-code/right-6-not-investigated"),
    ("VC-UPDATE", "victims-code/right-6-updates"),
    ("VC-VPS", "victims-code/right-7"),
    ("VC-GENDER", "victims-code/interviewer-gender"),
    ("VRR-ACK", "victims-code/right-to-review"),
    ("VRR-DECIDE", "victims-code/right-to-review"),
    ("BAIL-PERIOD", "suspect/pre-charge-bail"),
    ("BAIL-VIEWS", "suspect/bail-conditions"),
    ("RUI-REVIEW", "suspect/released-under-investigation"),
    ("SUP-REVIEW", "supervision/reviews"),
    ("DIG-SAFEGUARDS", "evidence/digital-devices"),
    ("TPM-RATIONALE", "evidence/third-party-material"),
    ("FOR-WINDOW", "evidence/forensic-windows"),
    ("CHG-CPS", "charging/who-charges"),
    ("CHG-THRESHOLD", "charging/threshold-test"),
    ("OUT-VALID", "outcomes/outcome-codes"),
    ("JUR-ABROAD", "offences-abroad/actions"),
];

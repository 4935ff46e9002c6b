//! The configuration of a rule set: every timescale, window and cadence the rules use, and the
//! guidance page each rule links to. The law is data here: a new Victims' Code is a new
//! configuration with a new id, not a code change.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::time::Timescale;

/// Which law a configuration's rules follow: the rules' code differs between them where the law
/// does (`docs/rules.md`, "The two rule sets").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Law {
    /// The Victims' Code 2020, PACE bail as amended in 2022, the 2021 reading of the rest.
    #[serde(rename = "national-2021-04")]
    National2021_04,
    /// From 12 January 2026: PCSC 2022 ss44A-44B (victim information requests) and the
    /// corrections and additions of issue 19.
    #[serde(rename = "national-2026-01")]
    National2026_01,
}

/// Timescales and policy defaults of one version of a rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetConfig {
    /// The rule set's version, e.g. `national-2021-04`.
    pub id: String,
    /// Which rules, and which reading of them, this version applies.
    pub law: Law,
    /// The first day (Europe/London) this version applies to: a finding is judged by the version
    /// in force on the local date of the event that triggered it.
    pub in_force_from: NaiveDate,
    /// `CHG-CPS`: offence codes only the CPS may decide to charge (indictable-only offences).
    pub cps_only_offences: Vec<String>,
    /// `PROP-RETURN`: a device taken from a victim returned, or the reason for keeping it
    /// recorded (rasso default; absent in versions without the rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_return: Option<Timescale>,
    /// Timescales a force policy has tightened (`RuleSet::tighten`): findings of rules using them
    /// say the deadline is the force's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tightened: Vec<String>,
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
    /// The furthest a commander or assistant chief constable may extend it in a case the DPP
    /// designated as exceptionally complex (PACE s47ZE).
    pub designated_months: u32,
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
            law: Law::National2021_04,
            in_force_from: NaiveDate::from_ymd_opt(2021, 4, 1).unwrap_or(NaiveDate::MIN),
            cps_only_offences: vec!["SOA2003-s1".to_owned(), "SOA2003-s2".to_owned()],
            property_return: None,
            tightened: Vec::new(),
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
                designated_months: 12,
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

    /// The national rule set `national-2026-01`, in force from 12 January 2026 (PCSC 2022 ss44A-44B,
    /// inserted by the Victims and Prisoners Act 2024 s28, commenced by SI 2025/1168). Timescales
    /// are those of `national-2021-04`, plus the rasso default for returning a victim's device.
    pub fn national_2026_01() -> Self {
        let earlier = Self::national_2021_04();
        RuleSetConfig {
            id: "national-2026-01".to_owned(),
            law: Law::National2026_01,
            in_force_from: NaiveDate::from_ymd_opt(2026, 1, 12).unwrap_or(NaiveDate::MIN),
            // Indictable-only offences of the Sexual Offences Acts rasso's offence codes name
            // (SOA 2003 schedule of modes of trial; SOA 1956 rape). Either-way sexual offences by or
            // against a child are reserved to the CPS by the rule itself.
            cps_only_offences: [
                "SOA2003-s1",
                "SOA2003-s2",
                "SOA2003-s5",
                "SOA2003-s6",
                "SOA1956-s1",
            ]
            .map(str::to_owned)
            .to_vec(),
            // End-to-End Rape Review (June 2021): the aim that no victim is left without a phone for
            // more than 24 hours. A government ambition, not law: a rasso default.
            property_return: Some(Timescale::Hours(24)),
            ..earlier
        }
    }

    /// The timescales a force policy may tighten, by name.
    pub fn timescales_mut(&mut self) -> Vec<(&'static str, &mut Timescale)> {
        let mut timescales = vec![
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
        ];
        if let Some(property_return) = &mut self.property_return {
            timescales.push(("property_return", property_return));
        }
        timescales
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
    ("TPM-HELD", "evidence/third-party-material"),
    ("TPM-NECESSITY", "evidence/third-party-material"),
    ("TPM-COUNSELLING", "evidence/third-party-material"),
    ("TPM-NOTICE", "evidence/third-party-material"),
    ("CHG-EARLY-ADVICE", "charging/who-charges"),
    ("EVD-ABE-PLAN", "evidence/victim-evidence"),
    ("EVD-INTERMEDIARY", "evidence/victim-evidence"),
    ("EVD-SPECIAL-MEASURES", "evidence/special-measures"),
    ("EVD-INTERVIEWS", "evidence/victim-evidence"),
    ("EVD-WITHDRAWAL", "evidence/victim-withdrawal"),
    ("PROP-RETURN", "victims-code/right-10-property"),
    ("VRR-INFORM", "victims-code/right-to-review"),
];

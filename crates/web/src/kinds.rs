//! What each kind of event asks for and who records it: one description per kind ([`spec`]), made
//! against the kind's field list (the domain's, read from serde:
//! [`domain::interchange::Kind::fields`]), so that every field a kind has is either offered by its
//! form or filled by the server, which a test checks for every kind. Coded fields are choices by
//! name; their values are read from the domain's own enums
//! ([`domain::interchange::variant_names`]), so a value added to the format is offered at once
//! (with its code as a label until it gets words here). The forms themselves are made from these
//! descriptions in `record`.

use domain::interchange::{self as ix, Kind, variant_names};

use crate::access::Recorders;

/// Which people a person field offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum People {
    Victims,
    Suspects,
    Anyone,
}

/// How a field is asked for.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    /// A person of the case, by key.
    Person(People),
    /// A checkbox: ticked is `true`, left empty is `false`.
    Check,
    /// Yes, no, or not recorded (an optional boolean).
    YesNo,
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// One coded value, by name (the codes of one of the domain's enums).
    Code(Codes),
    /// Any number of coded values (checkboxes), sent as a list.
    ManyCodes(Codes),
    /// Offence codes: the common ones as checkboxes, others typed.
    Offences,
    /// A whole number within bounds.
    Number(u32, u32),
    /// A Home Office outcome, by name.
    Outcome,
    /// A date (no time).
    Date,
    /// A UK local date and time, optional (an offence's time).
    DateTime,
    /// An officer's identifier as their force records it.
    Officer,
    /// A country, by name.
    Country,
}

/// A set of coded values: the enum's name (for labels) and its values as the format writes them.
#[derive(Debug, Clone, Copy)]
pub struct Codes {
    pub name: &'static str,
    pub values: fn() -> &'static [&'static str],
}

macro_rules! codes {
    ($ty:ident) => {{
        fn values() -> &'static [&'static str] {
            variant_names::<ix::$ty>()
        }
        Codes {
            name: stringify!($ty),
            values,
        }
    }};
}

fn topics() -> &'static [&'static str] {
    TOPICS
}

/// Free-text topics of the decision log offered as choices.
const TOPICS: &[&str] = &[
    "investigation_strategy",
    "digital_strategy",
    "forensic_strategy",
    "suspect_management",
    "bail",
    "victim_care",
    "disclosure",
    "charging",
    "no_further_action",
    "other",
];

/// One field of a form.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The field's name in the format; `a.b` for a field of an object field `a`.
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub input: Input,
    pub required: bool,
}

const fn f(name: &'static str, label: &'static str, input: Input) -> Field {
    Field {
        name,
        label,
        hint: "",
        input,
        required: false,
    }
}

const fn req(name: &'static str, label: &'static str, input: Input) -> Field {
    Field {
        name,
        label,
        hint: "",
        input,
        required: true,
    }
}

const fn hint(mut field: Field, hint: &'static str) -> Field {
    field.hint = hint;
    field
}

/// A kind's form: its title (what happened, in words), the group it is listed in, and its fields.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub kind: Kind,
    pub title: &'static str,
    pub group: Group,
    pub fields: &'static [Field],
    /// Fields of the kind the form does not ask for, and why (filled by the server).
    pub filled: &'static [&'static str],
}

/// Where a kind is listed on the "record what happened" page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Report,
    Victim,
    Suspect,
    Evidence,
    Charging,
    Record,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::Report,
        Group::Victim,
        Group::Suspect,
        Group::Evidence,
        Group::Charging,
        Group::Record,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Group::Report => "The report and the case team",
            Group::Victim => "Victim care and keeping the victim informed",
            Group::Suspect => "The suspect: arrest, interview, bail and release",
            Group::Evidence => "Evidence: statements, interviews, devices and records",
            Group::Charging => "Charging, review and outcome",
            Group::Record => "Decisions and notes",
        }
    }
}

const VICTIM: Input = Input::Person(People::Victims);
const SUSPECT: Input = Input::Person(People::Suspects);
const ANYONE: Input = Input::Person(People::Anyone);

const REPORT_FIELDS: &[Field] = &[
    f(
        "channel",
        "How the report reached the police",
        Input::Code(codes!(Channel)),
    ),
    f("offences", "Offences reported", Input::Offences),
    hint(
        f(
            "offence_from",
            "When the offence began (if known)",
            Input::DateTime,
        ),
        "UK time. Leave blank if not known.",
    ),
    hint(
        f(
            "offence_to",
            "When the offence ended (if known)",
            Input::DateTime,
        ),
        "UK time. Leave blank if it was a single moment or is not known.",
    ),
    f(
        "location.country",
        "Country where it happened",
        Input::Country,
    ),
    hint(
        f(
            "location.nation",
            "Nation of the United Kingdom",
            Input::Code(codes!(UkNation)),
        ),
        "Only for the United Kingdom: Scotland and Northern Ireland are separate jurisdictions.",
    ),
    hint(
        f(
            "penetration",
            "Contact reported",
            Input::ManyCodes(codes!(Contact)),
        ),
        "This sets the windows for a forensic medical examination.",
    ),
];

/// The form of every kind. Every kind is named, so a new kind cannot be added to the format
/// without deciding how it is recorded.
pub fn spec(kind: Kind) -> Spec {
    use Group as G;
    use Kind::*;
    let (title, group, fields, filled): (&str, Group, &'static [Field], &'static [&str]) =
        match kind {
            ReportReceived => ("A report of the offence", G::Report, REPORT_FIELDS, &[]),
            CrimeRecorded => (
                "Crime recorded",
                G::Report,
                const { &[f("offences", "Offences recorded", Input::Offences)] },
                &[],
            ),
            PersonAdded => (
                "A person added to the case",
                G::Report,
                const {
                    &[
                        req("role", "Their part in the case", Input::Code(codes!(Role))),
                        f("identity.given_name", "Given name", Input::Text),
                        f("identity.family_name", "Family name", Input::Text),
                        hint(
                            f("identity.date_of_birth", "Date of birth", Input::Date),
                            "The name and date of birth are sealed: stored encrypted and shown only to the case team, one person at a time.",
                        ),
                        f(
                            "age_at_offence",
                            "Age at the time of the offence",
                            Input::Number(0, 120),
                        ),
                        hint(
                            f(
                                "enhanced_rights",
                                "Enhanced rights under the Victims' Code",
                                Input::YesNo,
                            ),
                            "Victims of sexual offences have enhanced rights unless you record no.",
                        ),
                    ]
                },
                // The key (V1, S1, W1) is given by the server from the role.
                &["person"],
            ),
            OfficerAllocated => (
                "An officer allocated to the case",
                G::Report,
                const {
                    &[
                        hint(
                            req("officer", "Officer", Input::Officer),
                            "Their collar or staff number, as your force records it.",
                        ),
                        req(
                            "role",
                            "Their role on the case",
                            Input::Code(codes!(OfficerRole)),
                        ),
                    ]
                },
                &[],
            ),
            SupervisorReview => (
                "Supervisor review",
                G::Charging,
                const {
                    &[req(
                        "note",
                        "What the review found and directed",
                        Input::LongText,
                    )]
                },
                &["officer"],
            ),
            NeedsAssessment => (
                "Victim's needs assessed",
                G::Victim,
                const { &[req("person", "Victim", VICTIM)] },
                &[],
            ),
            WrittenConfirmationSent => (
                "Written confirmation of the report sent to the victim",
                G::Victim,
                const { &[req("person", "Victim", VICTIM)] },
                &[],
            ),
            SupportReferral => (
                "Victim referred to support services",
                G::Victim,
                const {
                    &[
                        req("person", "Victim", VICTIM),
                        f("service", "Service referred to", Input::Text),
                        f("declined", "The victim declined the referral", Input::Check),
                    ]
                },
                &[],
            ),
            IsvaOffered => (
                "ISVA offered",
                G::Victim,
                const {
                    &[
                        req("person", "Victim", VICTIM),
                        f("accepted", "Did the victim accept?", Input::YesNo),
                    ]
                },
                &[],
            ),
            UpdateCadenceAgreed => (
                "How often the victim wants updates",
                G::Victim,
                const {
                    &[
                        req("person", "Victim", VICTIM),
                        hint(
                            req("every_days", "Update every (days)", Input::Number(1, 365)),
                            "For example 28 for every four weeks.",
                        ),
                        hint(
                            f("channel", "How", Input::Text),
                            "For example phone, email or through their ISVA.",
                        ),
                    ]
                },
                &[],
            ),
            VictimInformed => (
                "Victim informed",
                G::Victim,
                const {
                    &[
                        req("person", "Victim", VICTIM),
                        req(
                            "about",
                            "What the victim was told about",
                            Input::Code(codes!(InformedAbout)),
                        ),
                        f(
                            "reason_given",
                            "Was a reason given (for an update that was late)?",
                            Input::YesNo,
                        ),
                    ]
                },
                &[],
            ),
            SuspectArrested => (
                "Suspect arrested",
                G::Suspect,
                const { &[req("person", "Suspect", SUSPECT)] },
                &[],
            ),
            SuspectInterviewed => (
                "Suspect interviewed",
                G::Suspect,
                const {
                    &[
                        req("person", "Suspect", SUSPECT),
                        f("under_caution", "Interviewed under caution", Input::Check),
                    ]
                },
                &[],
            ),
            SuspectBailed => (
                "Suspect released on pre-charge bail",
                G::Suspect,
                const {
                    &[
                        req("person", "Suspect", SUSPECT),
                        f("conditions", "Bail has conditions", Input::Check),
                        f(
                            "victim_views_sought",
                            "The victim's views on the conditions were sought",
                            Input::Check,
                        ),
                        f(
                            "views_not_practicable",
                            "If the victim's views were not sought: why it was not practicable",
                            Input::LongText,
                        ),
                    ]
                },
                &[],
            ),
            BailExtended => (
                "Bail extended",
                G::Suspect,
                const {
                    &[
                        req("person", "Suspect", SUSPECT),
                        req("until", "Extended until", Input::Date),
                        req(
                            "authorised_by",
                            "Authorised by",
                            Input::Code(codes!(BailAuthority)),
                        ),
                        f(
                            "designated_case",
                            "The DPP designated the case as exceptionally complex (PACE s47ZE)",
                            Input::Check,
                        ),
                    ]
                },
                &[],
            ),
            BailVaried => (
                "Bail conditions changed",
                G::Suspect,
                const {
                    &[
                        req("person", "Suspect", SUSPECT),
                        f(
                            "victim_views_sought",
                            "The victim's views were sought",
                            Input::Check,
                        ),
                        f(
                            "conditions_cancelled",
                            "The conditions were cancelled",
                            Input::Check,
                        ),
                        f(
                            "views_not_practicable",
                            "If the victim's views were not sought: why it was not practicable",
                            Input::LongText,
                        ),
                    ]
                },
                &[],
            ),
            BailEnded => (
                "Bail ended",
                G::Suspect,
                const { &[req("person", "Suspect", SUSPECT)] },
                &[],
            ),
            SuspectReleasedRui => (
                "Suspect released under investigation",
                G::Suspect,
                const { &[req("person", "Suspect", SUSPECT)] },
                &[],
            ),
            SuspectReleasedNfa => (
                "Suspect released with no further action",
                G::Suspect,
                const { &[req("person", "Suspect", SUSPECT)] },
                &[],
            ),
            DecisionNotToInvestigate => (
                "Decision not to investigate",
                G::Charging,
                const { &[req("reason", "Why", Input::LongText)] },
                &[],
            ),
            VictimInterviewed => (
                "Victim interviewed",
                G::Evidence,
                const {
                    &[
                        req("person", "Victim", VICTIM),
                        f("mode", "How", Input::Code(codes!(InterviewMode))),
                        f(
                            "gender_preference_asked",
                            "The victim was asked which gender of interviewer they prefer",
                            Input::Check,
                        ),
                        f(
                            "further_interview_reason",
                            "If this is not the first interview: why it was needed",
                            Input::LongText,
                        ),
                    ]
                },
                &[],
            ),
            StatementTaken => (
                "Statement taken",
                G::Evidence,
                const {
                    &[
                        req("person", "From", ANYONE),
                        f("evidential", "Evidential statement", Input::Check),
                        f(
                            "vps_offered",
                            "Victim Personal Statement offered",
                            Input::Check,
                        ),
                    ]
                },
                &[],
            ),
            ForensicExamOffered => (
                "Forensic medical examination offered",
                G::Victim,
                const {
                    &[
                        req("person", "Victim", VICTIM),
                        f("accepted", "Did the victim accept?", Input::YesNo),
                        f("sarc", "Sexual assault referral centre (SARC)", Input::Text),
                    ]
                },
                &[],
            ),
            DeviceExtraction => (
                "Data extracted from a device",
                G::Evidence,
                const {
                    &[
                        req("person", "Whose device", ANYONE),
                        f(
                            "notice_given",
                            "Written notice given (what is sought, why, how it will be handled, the right to refuse)",
                            Input::Check,
                        ),
                        f(
                            "agreement_recorded",
                            "Voluntary agreement recorded",
                            Input::Check,
                        ),
                        f(
                            "rationale.relevance",
                            "Why the device is believed to hold relevant information",
                            Input::LongText,
                        ),
                        f(
                            "rationale.necessity",
                            "Why extraction is necessary",
                            Input::LongText,
                        ),
                        f(
                            "rationale.proportionality",
                            "Why it is proportionate",
                            Input::LongText,
                        ),
                        f(
                            "rationale.less_intrusive",
                            "Why no less intrusive means will do",
                            Input::LongText,
                        ),
                        f(
                            "no_undue_pressure",
                            "Recorded that no undue pressure was put on them",
                            Input::Check,
                        ),
                        f(
                            "confirmation_recorded",
                            "Their written confirmation of agreement is recorded",
                            Input::Check,
                        ),
                        f(
                            "copy_given",
                            "A copy of the notice and confirmation was given to them",
                            Input::Check,
                        ),
                        f(
                            "lacks_capacity",
                            "They are an adult without capacity to agree",
                            Input::Check,
                        ),
                        hint(
                            f("agreed_by", "Who agreed", Input::Code(codes!(AgreedBy))),
                            "For a child or an adult without capacity, who gave the agreement.",
                        ),
                    ]
                },
                &[],
            ),
            ThirdPartyRequest => (
                "Request for material held by a third party",
                G::Evidence,
                const {
                    &[
                        req("person", "About", ANYONE),
                        req("holder", "Who holds the material", Input::Text),
                        f("expected", "What you expect to find", Input::LongText),
                        f(
                            "line_of_enquiry",
                            "Why it is a reasonable line of enquiry",
                            Input::LongText,
                        ),
                        f(
                            "necessity",
                            "Why it is necessary and proportionate",
                            Input::LongText,
                        ),
                        f(
                            "victim_informed",
                            "The victim has been told about the request",
                            Input::Check,
                        ),
                        f(
                            "held_because",
                            "Why you believe the holder has it",
                            Input::LongText,
                        ),
                        f(
                            "counselling",
                            "The holder provides counselling",
                            Input::Check,
                        ),
                        f(
                            "probative_value",
                            "For counselling records: why they are likely to have substantial probative value",
                            Input::LongText,
                        ),
                        f(
                            "notice_withheld_reason",
                            "If no notice is given to the victim: why",
                            Input::LongText,
                        ),
                    ]
                },
                &[],
            ),
            ChargingDecision => (
                "Charging decision",
                G::Charging,
                const {
                    &[
                        req("person", "Suspect", SUSPECT),
                        f("by", "Decided by", Input::Code(codes!(ChargingBody))),
                        f("decision", "Decision", Input::Code(codes!(ChargingOutcome))),
                        f("test", "Test applied", Input::Code(codes!(CodeTest))),
                        f(
                            "threshold_conditions",
                            "Threshold Test conditions met",
                            Input::ManyCodes(codes!(ThresholdCondition)),
                        ),
                        f("offences", "Offences", Input::Offences),
                    ]
                },
                &[],
            ),
            SuspectCharged => (
                "Suspect charged",
                G::Charging,
                const {
                    &[
                        req("person", "Suspect", SUSPECT),
                        f("offences", "Offences charged", Input::Offences),
                    ]
                },
                &[],
            ),
            VrrRequested => (
                "Victim asked for a review (Victims' Right to Review)",
                G::Charging,
                const { &[req("person", "Victim", VICTIM)] },
                &[],
            ),
            VrrAcknowledged => (
                "Right to Review request acknowledged",
                G::Charging,
                const { &[req("person", "Victim", VICTIM)] },
                &[],
            ),
            VrrDecided => (
                "Right to Review request decided",
                G::Charging,
                const { &[req("person", "Victim", VICTIM)] },
                &[],
            ),
            JurisdictionAssessed => (
                "Jurisdiction assessed for an offence abroad",
                G::Report,
                const {
                    &[
                        f(
                            "decision",
                            "Where jurisdiction lies",
                            Input::Code(codes!(JurisdictionDecision)),
                        ),
                        f("basis", "On what basis", Input::LongText),
                    ]
                },
                &[],
            ),
            CaseClosed => (
                "Case closed with an outcome",
                G::Charging,
                const {
                    &[
                        req("outcome", "Home Office outcome", Input::Outcome),
                        f(
                            "suspect_identified",
                            "Was a suspect identified?",
                            Input::YesNo,
                        ),
                        f(
                            "victim_supports",
                            "Does the victim support further action?",
                            Input::YesNo,
                        ),
                    ]
                },
                &[],
            ),
            InformationNoticeGiven => (
                "Written notice to the victim of a request for their information",
                G::Evidence,
                const {
                    &[
                        req("person", "Victim", VICTIM),
                        hint(
                            f("holder", "Who the request goes to", Input::Text),
                            "As on the request. Leave blank if the notice covers every request.",
                        ),
                        f(
                            "content",
                            "What the notice says",
                            Input::ManyCodes(codes!(NoticeContent)),
                        ),
                    ]
                },
                &[],
            ),
            EarlyAdvice => (
                "Early advice from a prosecutor",
                G::Charging,
                const { &[f("summary", "The advice sought or given", Input::LongText)] },
                &[],
            ),
            InterviewPlanned => (
                "Victim's interview planned",
                G::Evidence,
                const {
                    &[
                        req("person", "Victim", VICTIM),
                        f("mode", "How", Input::Code(codes!(InterviewMode))),
                        f(
                            "intermediary_considered",
                            "An intermediary was considered",
                            Input::Check,
                        ),
                        f(
                            "intermediary_needed",
                            "Is an intermediary needed?",
                            Input::YesNo,
                        ),
                    ]
                },
                &[],
            ),
            SpecialMeasuresApplied => (
                "Special measures applied for",
                G::Evidence,
                const {
                    &[
                        req("person", "Victim", VICTIM),
                        f(
                            "measures",
                            "Measures",
                            Input::ManyCodes(codes!(SpecialMeasure)),
                        ),
                        f(
                            "opted_out",
                            "The victim does not wish to have special measures",
                            Input::Check,
                        ),
                    ]
                },
                &[],
            ),
            VictimWithdrawal => (
                "Victim withdrew support",
                G::Victim,
                const {
                    &[
                        req("person", "Victim", VICTIM),
                        f(
                            "retraction",
                            "The victim retracted the account",
                            Input::Check,
                        ),
                    ]
                },
                &[],
            ),
            PropertyTaken => (
                "Property taken",
                G::Evidence,
                const {
                    &[
                        req("person", "From", ANYONE),
                        f("item", "Item reference", Input::Text),
                        f(
                            "device",
                            "It is a phone or other electronic device",
                            Input::Check,
                        ),
                    ]
                },
                &[],
            ),
            PropertyReturned => (
                "Property returned",
                G::Evidence,
                const {
                    &[
                        req("person", "To", ANYONE),
                        hint(
                            f("item", "Item reference", Input::Text),
                            "As when it was taken. Leave blank to cover everything taken from them.",
                        ),
                    ]
                },
                &[],
            ),
            PropertyRetained => (
                "Property kept",
                G::Evidence,
                const {
                    &[
                        req("person", "Whose", ANYONE),
                        f("item", "Item reference", Input::Text),
                        req("reason", "Why it is kept", Input::LongText),
                    ]
                },
                &[],
            ),
            DecisionRecorded => (
                "Decision log entry",
                G::Record,
                const {
                    &[
                        req(
                            "topic",
                            "Topic",
                            Input::Code(Codes {
                                name: "Topic",
                                values: topics,
                            }),
                        ),
                        req("decision", "Decision", Input::LongText),
                        req("rationale", "Rationale", Input::LongText),
                    ]
                },
                &["officer"],
            ),
            Note => (
                "Note on the timeline",
                G::Record,
                const { &[req("text", "Note", Input::LongText)] },
                &[],
            ),
        };
    Spec {
        kind,
        title,
        group,
        fields,
        filled,
    }
}

/// Countries offered by name (ISO 3166 alpha-2). Offences abroad are rare in these cases; the
/// list holds the United Kingdom and the countries most often named, and "another country".
pub const COUNTRIES: &[(&str, &str)] = &[
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("FR", "France"),
    ("ES", "Spain"),
    ("PT", "Portugal"),
    ("IT", "Italy"),
    ("GR", "Greece"),
    ("CY", "Cyprus"),
    ("NL", "Netherlands"),
    ("BE", "Belgium"),
    ("DE", "Germany"),
    ("PL", "Poland"),
    ("RO", "Romania"),
    ("TR", "Turkey"),
    ("US", "United States"),
    ("ZZ", "Another country"),
];

/// Offence codes offered as checkboxes (others can be typed).
pub const COMMON_OFFENCES: &[(&str, &str)] = &[
    ("SOA2003-s1", "Rape"),
    ("SOA2003-s2", "Assault by penetration"),
    ("SOA2003-s3", "Sexual assault"),
    ("SOA2003-s4", "Causing sexual activity without consent"),
    ("SOA2003-s5", "Rape of a child under 13"),
    ("SOA2003-s6", "Assault of a child under 13 by penetration"),
    ("SOA2003-s7", "Sexual assault of a child under 13"),
    ("SOA2003-s9", "Sexual activity with a child"),
];

/// An offence code in words, where rasso knows it.
pub fn offence_name(code: &str) -> Option<&'static str> {
    COMMON_OFFENCES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, name)| *name)
}

/// The Home Office outcome types, 1 to 22, in words (rasso's short wording of the counting
/// rules' outcome framework).
pub const OUTCOMES: [&str; 22] = [
    "Charged or summonsed",
    "Youth caution or youth conditional caution",
    "Adult caution or conditional caution",
    "Taken into consideration",
    "The offender has died",
    "Penalty notice for disorder",
    "Cannabis or khat warning",
    "Community resolution",
    "Prosecution not in the public interest (CPS)",
    "Formal action not in the public interest (police)",
    "Prosecution prevented: suspect under the age of criminal responsibility",
    "Prosecution prevented: suspect too ill",
    "Prosecution prevented: victim or key witness dead or too ill",
    "Evidential difficulties: suspect not identified, victim does not support action",
    "Evidential difficulties: suspect identified, victim supports action",
    "Evidential difficulties: suspect identified, victim does not support action",
    "Prosecution time limit expired",
    "Investigation complete: no suspect identified",
    "Filed by the National Fraud Intelligence Bureau",
    "Action undertaken by another body or agency",
    "Further investigation not in the public interest (police)",
    "Diversionary, educational or intervention activity",
];

/// A coded value in words. Values without words here (a value added to the format since) are
/// shown as their code made readable.
pub fn code_label(codes: &str, value: &str) -> String {
    match words(codes, value) {
        Some(words) => words.to_owned(),
        None => kind_label(value),
    }
}

/// The words for a coded value, where rasso has them.
fn words(codes: &str, value: &str) -> Option<&'static str> {
    Some(match (codes, value) {
        ("Channel", "999") => "999 emergency call",
        ("Channel", "101") => "101 non-emergency call",
        ("Channel", "online") => "Online",
        ("Channel", "in_person") => "In person",
        ("Channel", "third_party") => "Through a third party",
        ("Channel", "sarc") => "Through a sexual assault referral centre",
        ("UkNation", "england") => "England",
        ("UkNation", "wales") => "Wales",
        ("UkNation", "scotland") => "Scotland",
        ("UkNation", "northern_ireland") => "Northern Ireland",
        ("Contact", "oral") => "Oral",
        ("Contact", "vaginal") => "Vaginal",
        ("Contact", "anal") => "Anal",
        ("Contact", "skin") => "Skin (other contact)",
        ("Role", "victim") => "Victim",
        ("Role", "suspect") => "Suspect",
        ("Role", "witness") => "Witness",
        ("OfficerRole", "oic") => "Officer in case",
        ("OfficerRole", "supervisor") => "Supervisor",
        ("InformedAbout", "arrest") => "The arrest",
        ("InformedAbout", "interview") => "The interview under caution",
        ("InformedAbout", "released_nfa") => "Release with no further action",
        ("InformedAbout", "bailed") => "Bail",
        ("InformedAbout", "rui") => "Release under investigation",
        ("InformedAbout", "bail_varied") => "Bail conditions changed",
        ("InformedAbout", "charged") => "The charge",
        ("InformedAbout", "not_investigated") => "The decision not to investigate",
        ("InformedAbout", "update") => "An update on the investigation",
        ("InformedAbout", "outcome") => "The outcome",
        ("InformedAbout", "vrr") => "The right to ask for a review",
        ("InformedAbout", "bail_conditions_cancelled") => "Bail conditions cancelled",
        ("BailAuthority", "inspector") => "An inspector, to 6 months (PACE s47ZD)",
        ("BailAuthority", "superintendent") => {
            "A superintendent, to 9 months, after an inspector (s47ZDA)"
        }
        ("BailAuthority", "assistant_chief_constable") => {
            "A commander or assistant chief constable, to 12 months, in a designated case (s47ZE)"
        }
        ("BailAuthority", "court") => "A magistrates' court (s47ZF, s47ZG)",
        ("InterviewMode", "abe") => "Achieving Best Evidence (video-recorded)",
        ("InterviewMode", "vri") => "Visually recorded interview",
        ("InterviewMode", "statement") => "Written statement",
        ("ChargingBody", "cps") => "Crown Prosecution Service",
        ("ChargingBody", "police") => "Police",
        ("ChargingOutcome", "charge") => "Charge",
        ("ChargingOutcome", "no_further_action") => "No further action",
        ("ChargingOutcome", "further_evidence") => "Further evidence needed",
        ("CodeTest", "full_code") => "Full Code Test",
        ("CodeTest", "threshold") => "Threshold Test",
        ("ThresholdCondition", "insufficient_now") => "The evidence is not yet sufficient",
        ("ThresholdCondition", "further_evidence_expected") => {
            "Further evidence is expected within a reasonable time"
        }
        ("ThresholdCondition", "seriousness") => "The seriousness justifies a decision now",
        ("ThresholdCondition", "bail_grounds") => "There are grounds to object to bail",
        ("ThresholdCondition", "reasonable_suspicion") => {
            "Reasonable suspicion that the suspect committed the offence"
        }
        ("ThresholdCondition", "realistic_prospect") => {
            "The further evidence will give a realistic prospect of conviction"
        }
        ("ThresholdCondition", "public_interest") => "Charging is in the public interest",
        ("AgreedBy", "user") => "The device's user",
        ("AgreedBy", "parent_or_guardian") => "A parent or guardian",
        ("AgreedBy", "care_authority") => "The authority or organisation caring for them",
        ("AgreedBy", "responsible_adult") => "Another responsible adult",
        ("NoticeContent", "information_sought") => "What information is sought",
        ("NoticeContent", "reason") => "Why it is sought",
        ("NoticeContent", "handling") => "How it will be dealt with",
        ("SpecialMeasure", "screens") => "Screens",
        ("SpecialMeasure", "live_link") => "Live link",
        ("SpecialMeasure", "evidence_in_private") => "Evidence given in private",
        ("SpecialMeasure", "removal_of_wigs_and_gowns") => "Removal of wigs and gowns",
        ("SpecialMeasure", "video_recorded_interview") => {
            "Video-recorded interview as evidence in chief"
        }
        ("SpecialMeasure", "pre_recorded_cross_examination") => "Pre-recorded cross-examination",
        ("SpecialMeasure", "intermediary") => "Examination through an intermediary",
        ("SpecialMeasure", "aids_to_communication") => "Aids to communication",
        ("Topic", "investigation_strategy") => "Investigation strategy",
        ("Topic", "digital_strategy") => "Digital strategy",
        ("Topic", "forensic_strategy") => "Forensic strategy",
        ("Topic", "suspect_management") => "Managing the suspect",
        ("Topic", "bail") => "Bail",
        ("Topic", "victim_care") => "Victim care",
        ("Topic", "disclosure") => "Disclosure",
        ("Topic", "charging") => "Charging",
        ("Topic", "no_further_action") => "No further action",
        ("Topic", "other") => "Something else",
        ("JurisdictionDecision", "england_wales") => "England and Wales has jurisdiction",
        ("JurisdictionDecision", "foreign") => "Another country's jurisdiction",
        _ => return None,
    })
}

/// The kinds `role` may record (with `is_oic`), grouped for the "record what happened" page.
pub fn recordable(role: crate::access::Role, is_oic: bool) -> Vec<(Group, Vec<Spec>)> {
    Group::ALL
        .iter()
        .map(|group| {
            let specs = Kind::ALL
                .iter()
                .map(|kind| spec(*kind))
                .filter(|s| s.group == *group)
                .filter(|s| crate::access::may_record(role, s.kind, is_oic).is_ok())
                .collect::<Vec<_>>();
            (*group, specs)
        })
        .filter(|(_, specs)| !specs.is_empty())
        .collect()
}

/// Who records a kind, in words (for the form's page).
pub fn who_records(kind: Kind) -> &'static str {
    let who: Recorders = crate::access::recorders(kind);
    who.describe()
}

/// The kinds whose recording completes (or meets) a finding of `rule`: what the task list
/// links to. The first is the usual one.
pub fn completing_kinds(rule: &str) -> &'static [Kind] {
    use Kind::*;
    match rule {
        "REC-24H" => &[CrimeRecorded],
        "VC-CONFIRM" => &[WrittenConfirmationSent],
        "VC-NEEDS" => &[NeedsAssessment],
        "VC-REFERRAL" => &[SupportReferral],
        "ISVA-OFFER" => &[IsvaOffered],
        "VC-INFORM" | "VC-NO-INVESTIGATE" | "VC-UPDATE" | "VRR-INFORM" => &[VictimInformed],
        "VC-VPS" => &[StatementTaken],
        "VC-GENDER" | "EVD-INTERVIEWS" => &[VictimInterviewed],
        "VRR-ACK" => &[VrrAcknowledged],
        "VRR-DECIDE" => &[VrrDecided],
        "BAIL-PERIOD" => &[BailEnded, BailExtended, SuspectReleasedRui, SuspectCharged],
        "BAIL-VIEWS" => &[BailVaried],
        "RUI-REVIEW" | "SUP-REVIEW" => &[SupervisorReview],
        "DIG-SAFEGUARDS" => &[DeviceExtraction],
        "TPM-RATIONALE" | "TPM-HELD" | "TPM-NECESSITY" | "TPM-COUNSELLING" => &[ThirdPartyRequest],
        "TPM-NOTICE" => &[InformationNoticeGiven],
        "FOR-WINDOW" => &[ForensicExamOffered],
        "CHG-CPS" | "CHG-THRESHOLD" => &[ChargingDecision],
        "CHG-EARLY-ADVICE" => &[EarlyAdvice],
        "OUT-VALID" => &[CaseClosed],
        "JUR-ABROAD" => &[JurisdictionAssessed],
        "EVD-ABE-PLAN" | "EVD-INTERMEDIARY" => &[InterviewPlanned],
        "EVD-SPECIAL-MEASURES" => &[SpecialMeasuresApplied],
        "EVD-WITHDRAWAL" => &[SupervisorReview, VictimWithdrawal],
        "PROP-RETURN" => &[PropertyReturned, PropertyRetained],
        _ => &[],
    }
}

/// What to record to clear a finding, in words: "Record: Victim informed".
pub fn task_action(rule: &str) -> Option<(Kind, &'static str)> {
    completing_kinds(rule)
        .first()
        .map(|kind| (*kind, spec(*kind).title))
}

/// `suspect_arrested` -> `Suspect arrested`.
pub fn kind_label(kind: &str) -> String {
    let text = kind.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

impl Input {
    pub fn is_offences(self) -> bool {
        matches!(self, Input::Offences)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of every kind is either asked for by its form or filled by the server: the
    /// forms cannot drift from the format.
    #[test]
    fn every_kind_has_a_form_for_every_field() {
        for kind in Kind::ALL {
            let spec = spec(*kind);
            let mut offered: Vec<&str> = spec
                .fields
                .iter()
                .map(|f| f.name.split('.').next().unwrap_or(f.name))
                .chain(spec.filled.iter().copied())
                .collect();
            offered.sort_unstable();
            offered.dedup();
            let mut known: Vec<&str> = kind.fields().to_vec();
            known.sort_unstable();
            assert_eq!(offered, known, "the form of {kind}");
        }
    }

    #[test]
    fn coded_values_come_from_the_format_and_have_words() {
        let authority = variant_names::<ix::BailAuthority>();
        assert!(authority.contains(&"assistant_chief_constable"));
        for kind in Kind::ALL {
            for field in spec(*kind).fields {
                if let Input::Code(codes) | Input::ManyCodes(codes) = field.input {
                    let values = (codes.values)();
                    assert!(!values.is_empty(), "{kind} {}: no values", field.name);
                    for value in values {
                        assert!(
                            words(codes.name, value).is_some(),
                            "{kind} {}: `{value}` has no words",
                            field.name
                        );
                    }
                }
            }
        }
    }
}

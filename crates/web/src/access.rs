//! The one access-control point. Every handler names the [`Action`] it performs and, for case
//! routes, the viewer's [`Relation`] to the case; [`decide`] says whether it may go ahead and with
//! which audit purpose. Nothing else in the crate decides who may see what.

use std::fmt;
use std::str::FromStr;

use storage::Purpose;

/// The roles of the design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    FirstResponder,
    Investigator,
    Supervisor,
    Leader,
    Analyst,
    Partner,
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 7] = [
        Role::FirstResponder,
        Role::Investigator,
        Role::Supervisor,
        Role::Leader,
        Role::Analyst,
        Role::Partner,
        Role::Admin,
    ];

    /// As stored on the user and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::FirstResponder => "first_responder",
            Role::Investigator => "investigator",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::Analyst => "analyst",
            Role::Partner => "partner",
            Role::Admin => "admin",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Role::FirstResponder => "First responder",
            Role::Investigator => "Investigator",
            Role::Supervisor => "Supervisor",
            Role::Leader => "Leader",
            Role::Analyst => "Analyst",
            Role::Partner => "Partner",
            Role::Admin => "Administrator",
        }
    }

    /// Roles that may be held nationally (a user with no force who crosses force boundaries where
    /// the role allows): leaders and analysts with a national remit, and administrators. Roles
    /// that work cases, and partners, always belong to one force.
    pub fn may_be_national(self) -> bool {
        matches!(self, Role::Leader | Role::Analyst | Role::Admin)
    }

    /// Police personnel (officers and staff) may read restricted guidance; partners may not.
    pub fn is_police(self) -> bool {
        !matches!(self, Role::Partner)
    }

    /// The guidance reader for this role (admins read as police staff without a role filter).
    pub fn guidance_viewer(self) -> guidance::Viewer {
        match guidance::Role::from_name(self.as_str()) {
            Some(role) => guidance::Viewer::new(role),
            None => guidance::Viewer::new(guidance::Role::Analyst),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("unknown role `{text}` (one of {})", names.join(", "))
            })
    }
}

/// What a request does. Each route maps to exactly one action (see [`crate::routes::ROUTES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The start page after sign-in (welcome, introductory toolkits).
    Home,
    /// My caseload: the cases I am allocated to.
    Caseload,
    /// The supervisor view: team cases, overdue findings, reviews due, caseload per officer.
    TeamView,
    /// Read a case: timeline, people (identity sealed), findings, decision log.
    CaseRead,
    /// Record an event on a case.
    CaseWrite,
    /// Unseal a victim's identity with a reason (outside the case team).
    CaseUnseal,
    /// Who accessed a case, when and why.
    CaseAudit,
    /// Ask for break-glass access to a case outside one's team, with a reason.
    BreakGlass,
    /// Browse, search and read guidance.
    Guidance,
    /// The leaders' performance report.
    Report,
    /// Share a case with a partner, or revoke a share (the case team).
    CaseShare,
    /// The cases shared with me (partners).
    SharedList,
    /// The restricted view of a case shared with me (partners): only what was shared.
    SharedRead,
    /// See a case's repeat-suspect links (suggested, confirmed, rejected).
    LinkRead,
    /// Confirm or reject a repeat-suspect link of a case.
    LinkDecide,
    /// Open a new case of one's own force (the creator is allocated to it).
    CaseCreate,
    /// Manage users: list, add, disable, change force (administrators).
    UserAdmin,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 17] = [
        Action::Home,
        Action::Caseload,
        Action::TeamView,
        Action::CaseRead,
        Action::CaseWrite,
        Action::CaseUnseal,
        Action::CaseAudit,
        Action::BreakGlass,
        Action::Guidance,
        Action::Report,
        Action::CaseShare,
        Action::SharedList,
        Action::SharedRead,
        Action::LinkRead,
        Action::LinkDecide,
        Action::CaseCreate,
        Action::UserAdmin,
    ];

    /// Whether the action concerns one case (and so depends on the viewer's relation to it).
    pub fn is_case_action(self) -> bool {
        matches!(
            self,
            Action::CaseRead
                | Action::CaseWrite
                | Action::CaseUnseal
                | Action::CaseAudit
                | Action::CaseShare
                | Action::SharedRead
                | Action::LinkRead
                | Action::LinkDecide
        )
    }
}

/// The viewer's relation to a case. A case of another force has no relation at all for a user
/// of one force (it does not exist for them, see [`crate::ops::cases::relation`]) unless a
/// break-glass grant made through a confirmed cross-force link reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// Allocated to the case (officer in case or supervisor) and of the case's force.
    Member,
    /// Of the case's force (or national) but not allocated, and no break-glass access in this
    /// session.
    Outsider,
    /// Not allocated, but has declared break-glass access to this case in this session.
    BreakGlass,
    /// A partner with whom the case is shared (a share in force).
    SharedWith,
    /// The action does not concern a case.
    NotApplicable,
}

/// The answer of the access-control point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead; audit with this purpose.
    Allow(Purpose),
    /// Answer as if the case (or page) did not exist.
    NotFound,
    /// The viewer can see the thing but may not do this to it.
    Forbidden,
}

impl Decision {
    /// The HTTP status the decision maps to when it refuses (200 when it allows).
    pub fn status(self) -> u16 {
        match self {
            Decision::Allow(_) => 200,
            Decision::NotFound => 404,
            Decision::Forbidden => 403,
        }
    }
}

/// Roles that work cases (may be allocated to one).
fn works_cases(role: Role) -> bool {
    matches!(
        role,
        Role::FirstResponder | Role::Investigator | Role::Supervisor
    )
}

/// Roles that may declare break-glass access to a case outside their team.
pub fn may_break_glass(role: Role) -> bool {
    matches!(
        role,
        Role::FirstResponder | Role::Investigator | Role::Supervisor | Role::Leader
    )
}

/// Whether [`decide`] allows the action: for what a page offers or reads ahead; a route acts on
/// the decision itself.
pub fn allows(role: Role, action: Action, relation: Relation) -> bool {
    matches!(decide(role, action, relation), Decision::Allow(_))
}

/// THE access-control decision. Every route goes through here.
pub fn decide(role: Role, action: Action, relation: Relation) -> Decision {
    use Decision::{Allow, Forbidden};
    let purpose_for_member = if role == Role::Supervisor {
        Purpose::Supervision
    } else {
        Purpose::Investigation
    };
    match action {
        Action::Home | Action::Guidance => Allow(Purpose::Administration),
        // Whoever works cases opens one (a report taken, a case handed over); they are
        // allocated to it, so it is within their force and on their caseload.
        Action::Caseload | Action::CaseCreate => {
            if works_cases(role) {
                Allow(purpose_for_member)
            } else {
                Forbidden
            }
        }
        // Administrators manage users (no case data): of their force, or every force for a
        // national administrator (the pages scope the list).
        Action::UserAdmin => match role {
            Role::Admin => Allow(Purpose::Administration),
            _ => Forbidden,
        },
        Action::TeamView => match role {
            Role::Supervisor | Role::Leader => Allow(Purpose::Supervision),
            _ => Forbidden,
        },
        Action::Report => match role {
            Role::Supervisor | Role::Leader | Role::Analyst => Allow(Purpose::Reporting),
            _ => Forbidden,
        },
        Action::BreakGlass => {
            if may_break_glass(role) {
                Allow(Purpose::BreakGlass)
            } else {
                Forbidden
            }
        }
        // Partners see their own list of shared cases; nobody else has one.
        Action::SharedList => match role {
            Role::Partner => Allow(Purpose::Disclosure),
            _ => Forbidden,
        },
        Action::CaseRead
        | Action::CaseWrite
        | Action::CaseUnseal
        | Action::CaseAudit
        | Action::CaseShare
        | Action::SharedRead => case_decision(role, action, relation, purpose_for_member),
        Action::LinkRead | Action::LinkDecide => {
            link_decision(role, action, relation, purpose_for_member)
        }
    }
}

/// Repeat-suspect links of a case. The case team sees them; investigators and supervisors of the
/// team decide them; analysts review links across forces (what they see of each case is only
/// what the link shows: the force, the officer to contact, the score and the reasons); a
/// break-glass reader may see them but not decide.
fn link_decision(role: Role, action: Action, relation: Relation, member: Purpose) -> Decision {
    use Decision::{Allow, Forbidden, NotFound};
    match relation {
        Relation::NotApplicable => NotFound,
        _ if role == Role::Analyst => Allow(Purpose::Investigation),
        Relation::Member if works_cases(role) => match action {
            Action::LinkDecide if role == Role::FirstResponder => Forbidden,
            _ => Allow(member),
        },
        Relation::BreakGlass if may_break_glass(role) => match action {
            Action::LinkRead => Allow(Purpose::BreakGlass),
            _ => Forbidden,
        },
        _ => NotFound,
    }
}

fn case_decision(role: Role, action: Action, relation: Relation, member: Purpose) -> Decision {
    use Decision::{Allow, Forbidden, NotFound};
    match relation {
        Relation::NotApplicable => NotFound,
        // A partner sees only the restricted view of what was shared, and nothing else of the
        // case exists for them.
        Relation::SharedWith => match (role, action) {
            (Role::Partner, Action::SharedRead) => Allow(Purpose::Disclosure),
            _ => NotFound,
        },
        // The restricted view is for partners only; the case team has the case page.
        _ if action == Action::SharedRead => NotFound,
        Relation::Member if works_cases(role) => match action {
            Action::CaseRead | Action::CaseWrite | Action::CaseUnseal => Allow(member),
            Action::CaseAudit if role == Role::Supervisor => Allow(Purpose::Supervision),
            // Sharing with a partner is a disclosure decided by the case team.
            Action::CaseShare => Allow(Purpose::Disclosure),
            _ => Forbidden,
        },
        // Leaders see the audit of any case (they answer for the force's use of data); they reach a
        // case's content only through break-glass.
        Relation::Member | Relation::Outsider if role == Role::Leader => match action {
            Action::CaseAudit => Allow(Purpose::Supervision),
            _ => NotFound,
        },
        Relation::BreakGlass if may_break_glass(role) => match action {
            Action::CaseRead | Action::CaseUnseal => Allow(Purpose::BreakGlass),
            Action::CaseAudit if role == Role::Leader => Allow(Purpose::Supervision),
            _ => Forbidden,
        },
        _ => NotFound,
    }
}

/// Who may record an event of a kind: the rights table of docs/web.md ("Rights by event kind").
/// Recording needs [`Action::CaseWrite`] first (a member of the case team); this says which of
/// the case team may record what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorders {
    /// First responders, investigators and supervisors of the case team: first account, victim
    /// care and the whole-story record, which whoever is with the victim must be able to note.
    CaseTeam,
    /// Investigators and supervisors: the investigation's own acts (suspect, evidence,
    /// disclosure, charging), which a first responder does not make.
    Investigators,
    /// Supervisors only: decisions that national guidance gives to a supervisor (allocating the
    /// case team, reviewing the investigation, deciding not to investigate, closing the case
    /// with an outcome, deciding a victim's right to review).
    Supervisors,
}

impl Recorders {
    /// Whether `role` is among them.
    pub fn include(self, role: Role) -> bool {
        match self {
            Recorders::CaseTeam => works_cases(role),
            Recorders::Investigators => matches!(role, Role::Investigator | Role::Supervisor),
            Recorders::Supervisors => role == Role::Supervisor,
        }
    }

    /// In words, for error messages and the rights table.
    pub fn describe(self) -> &'static str {
        match self {
            Recorders::CaseTeam => {
                "first responders, investigators and supervisors of the case team"
            }
            Recorders::Investigators => "investigators and supervisors of the case team",
            Recorders::Supervisors => "supervisors of the case team",
        }
    }
}

/// Who may record each kind. Every kind is named, so a new kind cannot be added to the
/// interchange format without deciding who may record it.
pub fn recorders(kind: domain::interchange::Kind) -> Recorders {
    use domain::interchange::Kind::*;
    match kind {
        ReportReceived
        | CrimeRecorded
        | PersonAdded
        | NeedsAssessment
        | WrittenConfirmationSent
        | SupportReferral
        | IsvaOffered
        | UpdateCadenceAgreed
        | VictimInformed
        | SuspectArrested
        | StatementTaken
        | ForensicExamOffered
        | PropertyTaken
        | PropertyReturned
        | DecisionRecorded
        | Note => Recorders::CaseTeam,
        SuspectInterviewed
        | SuspectBailed
        | BailExtended
        | BailVaried
        | BailEnded
        | SuspectReleasedRui
        | SuspectReleasedNfa
        | VictimInterviewed
        | InterviewPlanned
        | SpecialMeasuresApplied
        | VictimWithdrawal
        | DeviceExtraction
        | ThirdPartyRequest
        | InformationNoticeGiven
        | PropertyRetained
        | EarlyAdvice
        | ChargingDecision
        | SuspectCharged
        | VrrRequested
        | VrrAcknowledged
        | JurisdictionAssessed => Recorders::Investigators,
        OfficerAllocated
        | SupervisorReview
        | DecisionNotToInvestigate
        | VrrDecided
        | CaseClosed => Recorders::Supervisors,
    }
}

/// Why recording an event of a kind was refused (see [`may_record`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRefusal {
    pub message: String,
}

/// Whether `role`, a member of the case team, may record an event of `kind` on a case; `is_oic`
/// says whether the viewer is the case's officer in case. A supervisor never reviews their own
/// investigation: `supervisor_review` by the officer in case is refused.
pub fn may_record(
    role: Role,
    kind: domain::interchange::Kind,
    is_oic: bool,
) -> Result<(), RecordRefusal> {
    let who = recorders(kind);
    if !who.include(role) {
        return Err(RecordRefusal {
            message: format!(
                "A {} cannot record {}: it is recorded by {}.",
                role.label().to_lowercase(),
                kind.as_str(),
                who.describe()
            ),
        });
    }
    if kind == domain::interchange::Kind::SupervisorReview && is_oic {
        return Err(RecordRefusal {
            message:
                "You are the officer in case: a supervisor review must be by another supervisor."
                    .to_owned(),
        });
    }
    Ok(())
}

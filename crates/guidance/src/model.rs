//! The content model: pages, signposts, roles, stages and who may see what.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Who a page is written for. The first five are police personnel (analysts are police staff);
/// `partner` (an ISVA, a CPS colleague) is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    FirstResponder,
    Investigator,
    Supervisor,
    Leader,
    Analyst,
    Partner,
}

impl Role {
    /// Every role, in the order of the content format's documentation.
    pub const ALL: [Role; 6] = [
        Role::FirstResponder,
        Role::Investigator,
        Role::Supervisor,
        Role::Leader,
        Role::Analyst,
        Role::Partner,
    ];

    /// The role's name in front matter and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::FirstResponder => "first_responder",
            Role::Investigator => "investigator",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::Analyst => "analyst",
            Role::Partner => "partner",
        }
    }

    /// The role with this name; `None` for anything else (including `admin`).
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// Whether people in this role are police personnel, who may read restricted pages.
    pub fn is_police(self) -> bool {
        !matches!(self, Role::Partner)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a case is in its life; pages and signposts say which stages they apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Report,
    FirstResponse,
    Investigation,
    Suspect,
    Charging,
    Court,
    Closure,
}

impl Stage {
    /// Every stage, in case order.
    pub const ALL: [Stage; 7] = [
        Stage::Report,
        Stage::FirstResponse,
        Stage::Investigation,
        Stage::Suspect,
        Stage::Charging,
        Stage::Court,
        Stage::Closure,
    ];

    /// The stage's name in front matter and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Report => "report",
            Stage::FirstResponse => "first_response",
            Stage::Investigation => "investigation",
            Stage::Suspect => "suspect",
            Stage::Charging => "charging",
            Stage::Court => "court",
            Stage::Closure => "closure",
        }
    }

    /// The stage with this name.
    pub fn from_name(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|stage| stage.as_str() == name)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is reading. Restricted pages are shown only to police personnel; a reader with no role, a
/// partner, or a role this crate does not know (for example a server's `admin`) is not police.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Viewer {
    role: Option<Role>,
}

impl Viewer {
    /// A reader in a known role.
    pub fn new(role: Role) -> Self {
        Viewer { role: Some(role) }
    }

    /// A reader with no role: sees public pages only.
    pub fn public() -> Self {
        Viewer { role: None }
    }

    /// A reader by role name; unknown names are treated as not police.
    pub fn from_role_name(name: &str) -> Self {
        Viewer {
            role: Role::from_name(name),
        }
    }

    /// The reader's role, where it is one this crate knows.
    pub fn role(self) -> Option<Role> {
        self.role
    }

    /// Whether the reader is police personnel.
    pub fn is_police(self) -> bool {
        self.role.is_some_and(Role::is_police)
    }

    /// Whether the reader may see this page.
    pub fn may_read(self, page: &Page) -> bool {
        !page.restricted || self.is_police()
    }
}

/// A public source a page cites, by its position in the page's list (`[1]` is the first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title: String,
    pub url: String,
}

/// Where a page or signpost came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// Shipped with rasso (`content/`).
    National,
    /// Added by a force (a plugin's content folder), named by that folder.
    Local { source: String },
}

impl Origin {
    pub fn is_local(&self) -> bool {
        matches!(self, Origin::Local { .. })
    }
}

/// One page of guidance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    /// Stable id, a path such as `victims-code/right-6`; the file is `pages/<id>.md`.
    pub id: String,
    pub title: String,
    /// One or two sentences shown in search results.
    pub summary: String,
    pub roles: Vec<Role>,
    pub stages: Vec<Stage>,
    /// Police personnel only.
    pub restricted: bool,
    /// Rule ids this page explains.
    pub rules: Vec<String>,
    /// Extra search terms (abbreviations, form numbers, other names).
    pub keywords: Vec<String>,
    pub sources: Vec<Source>,
    pub version: u32,
    /// When the page was last checked against its sources.
    pub reviewed: NaiveDate,
    /// Markdown body, citing sources as `[1]`, `[2]`; other pages linked as `[text](page:ID)`.
    pub body: String,
    pub origin: Origin,
    /// The file it was read from, for messages.
    pub file: String,
    /// Where fields and the body sit in the file, for messages.
    #[serde(skip)]
    pub(crate) lines: Lines,
}

/// Line numbers (1-based) of a page's front matter fields, and how many lines precede its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lines {
    pub(crate) fields: std::collections::BTreeMap<String, usize>,
    pub(crate) before_body: usize,
}

impl Lines {
    pub(crate) fn field(&self, name: &str) -> Option<usize> {
        self.fields.get(name).copied()
    }
}

impl Page {
    /// Whether a force added this page.
    pub fn is_local(&self) -> bool {
        self.origin.is_local()
    }
}

/// A link to a national or local resource, shown when its conditions hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signpost {
    pub id: String,
    pub title: String,
    pub url: String,
    pub summary: String,
    /// Who it is for.
    pub audience: Vec<Role>,
    /// A telephone number or hours, for local contacts (SARC, ISVA service).
    pub contact: Option<String>,
    pub when: When,
    pub origin: Origin,
    pub file: String,
    /// The line of its `id`, for messages.
    #[serde(skip)]
    pub(crate) line: Option<usize>,
}

/// When a signpost applies; any one condition that holds is enough.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Always, wherever the case is.
    #[serde(default)]
    pub always: bool,
    /// At these stages.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// When a finding of one of these rules is open.
    #[serde(default)]
    pub rules: Vec<String>,
    /// When the offence happened outside the United Kingdom.
    #[serde(default)]
    pub abroad: bool,
}

impl When {
    /// Whether any condition was given.
    pub fn is_empty(&self) -> bool {
        !self.always && self.stages.is_empty() && self.rules.is_empty() && !self.abroad
    }
}

//! Who is acting and why: every store method that reads or changes case data takes an [`Access`],
//! and the audit record it leaves names the actor, the purpose and, where given, the reason and the
//! recipient.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why case data is being processed. Recorded on every audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Investigating the case (the case team).
    Investigation,
    /// Supervising the investigation.
    Supervision,
    /// Performance and compliance reporting.
    Reporting,
    /// Bringing records in from another system or file.
    Import,
    /// Writing records out (to another force system, an archive).
    Export,
    /// Disclosure to someone outside the case team (CPS, ISVA, court).
    Disclosure,
    /// Break-glass access by someone outside the case team, with a reason.
    BreakGlass,
    /// Running the system: keys, backups, users, audit checks.
    Administration,
    /// Retention review and erasure.
    Retention,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: [Purpose; 9] = [
        Purpose::Investigation,
        Purpose::Supervision,
        Purpose::Reporting,
        Purpose::Import,
        Purpose::Export,
        Purpose::Disclosure,
        Purpose::BreakGlass,
        Purpose::Administration,
        Purpose::Retention,
    ];

    /// The purpose as written in audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Investigation => "investigation",
            Purpose::Supervision => "supervision",
            Purpose::Reporting => "reporting",
            Purpose::Import => "import",
            Purpose::Export => "export",
            Purpose::Disclosure => "disclosure",
            Purpose::BreakGlass => "break_glass",
            Purpose::Administration => "administration",
            Purpose::Retention => "retention",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Purpose {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.replace('-', "_");
        Purpose::ALL
            .into_iter()
            .find(|purpose| purpose.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Purpose::ALL.iter().map(|p| p.as_str()).collect();
                format!("unknown purpose `{text}` (one of {})", names.join(", "))
            })
    }
}

/// The DPA 2018 s62 categories of processing that are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Collection,
    Alteration,
    Consultation,
    Disclosure,
    Combination,
    Erasure,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 6] = [
        Category::Collection,
        Category::Alteration,
        Category::Consultation,
        Category::Disclosure,
        Category::Combination,
        Category::Erasure,
    ];

    /// The category as written in audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Collection => "collection",
            Category::Alteration => "alteration",
            Category::Consultation => "consultation",
            Category::Disclosure => "disclosure",
            Category::Combination => "combination",
            Category::Erasure => "erasure",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|category| category.as_str() == text)
            .ok_or_else(|| format!("unknown audit category `{text}`"))
    }
}

/// Who is acting, for what purpose, and (where the access is out of the ordinary) why and for whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The user or system acting, e.g. `user:4471` or `cli:alice`.
    pub actor: String,
    pub purpose: Purpose,
    /// A reason in the actor's words, asked for wherever access is out of the ordinary.
    pub reason: Option<String>,
    /// For disclosures: who receives the data.
    pub recipient: Option<String>,
}

impl Access {
    /// An access by `actor` for `purpose`, without a reason or recipient.
    pub fn new(actor: impl Into<String>, purpose: Purpose) -> Self {
        Access {
            actor: actor.into(),
            purpose,
            reason: None,
            recipient: None,
        }
    }

    /// The same access with a reason.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The same access with a recipient (for disclosures).
    pub fn with_recipient(mut self, recipient: impl Into<String>) -> Self {
        self.recipient = Some(recipient.into());
        self
    }
}

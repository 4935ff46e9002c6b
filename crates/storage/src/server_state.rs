//! What the web server keeps in the store rather than in its own memory, so that it survives a
//! restart and several server processes behind one address agree: sign-in failures (lockout), a
//! user's first sign-in, break-glass declarations, and cases shared with partners. Also the
//! answer of [`crate::CaseStore::read_case_if_changed`].
//!
//! The SQL lives in `sqlite.rs` and `postgres.rs` (one block each, "Web server state"); the
//! conformance checks in `conformance` (feature `harness`: "Web server state").

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use domain::CaseKey;
use serde::Serialize;

use serde_json::json;

use crate::access::{Access, Category};
use crate::audit::{AuditEntry, case_object};
use crate::model::StoredCase;

/// What [`crate::CaseStore::read_case_if_changed`] found.
#[derive(Debug, Clone)]
pub enum CaseRead {
    /// No such case.
    Missing,
    /// The case is still at the version the caller holds (append-only: same version, same
    /// events).
    Unchanged { version: u64 },
    /// The case has moved on (or the caller held none): here it is.
    Read(StoredCase),
}

impl CaseRead {
    /// The case read by a caller that held no version (`known = None`): never `Unchanged`.
    pub(crate) fn into_stored(self) -> crate::error::StoreResult<Option<StoredCase>> {
        match self {
            CaseRead::Missing => Ok(None),
            CaseRead::Read(stored) => Ok(Some(stored)),
            CaseRead::Unchanged { version } => Err(crate::error::StoreError::Corrupt(format!(
                "the store answered unchanged (version {version}) to a read that held no version"
            ))),
        }
    }
}

/// One break-glass declaration: someone outside the case team opened the case, in a session, with
/// a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakGlassDeclaration {
    pub force: String,
    pub reference: String,
    /// The SHA-256 of the declaring session's token (the grant lasts for that session).
    pub session: String,
    pub actor: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// What of a case can be shared with a partner. The case reference is always shared (it names
/// the case); the timeline, notes, people (victim identity included), suspect details and the
/// decision log never are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SharedItem {
    /// Whether the case is open or closed.
    Status,
    /// The officer in case, as the partner's point of contact.
    OfficerInCase,
    /// The Victims' Code findings on keeping the victim informed (right 6), with their status.
    VictimInformed,
    /// When the next updates to the victim are due.
    UpdatesDue,
}

impl SharedItem {
    /// Every item.
    pub const ALL: [SharedItem; 4] = [
        SharedItem::Status,
        SharedItem::OfficerInCase,
        SharedItem::VictimInformed,
        SharedItem::UpdatesDue,
    ];

    /// As stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            SharedItem::Status => "status",
            SharedItem::OfficerInCase => "officer_in_case",
            SharedItem::VictimInformed => "victim_informed",
            SharedItem::UpdatesDue => "updates_due",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            SharedItem::Status => "Case status (open or closed)",
            SharedItem::OfficerInCase => "Officer in case, to contact",
            SharedItem::VictimInformed => "Victims' Code: keeping the victim informed",
            SharedItem::UpdatesDue => "Upcoming victim update due dates",
        }
    }

    /// Items from their stored, comma-separated form.
    pub fn parse_list(text: &str) -> Result<Vec<SharedItem>, String> {
        let mut items: Vec<SharedItem> = text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        items.sort();
        items.dedup();
        Ok(items)
    }

    /// Items in their stored, comma-separated form.
    pub fn join(items: &[SharedItem]) -> String {
        items
            .iter()
            .map(|item| item.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl fmt::Display for SharedItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SharedItem {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        SharedItem::ALL
            .into_iter()
            .find(|item| item.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = SharedItem::ALL.iter().map(|i| i.as_str()).collect();
                format!("unknown shared item `{text}` (one of {})", names.join(", "))
            })
    }
}

/// A case to share with a partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShare {
    pub case: CaseKey,
    /// The partner's username.
    pub partner: String,
    /// At least one item.
    pub items: Vec<SharedItem>,
    /// Why, in the sharer's words.
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// A case shared with a partner, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseShare {
    pub id: i64,
    pub force: String,
    pub reference: String,
    pub partner: String,
    /// The actor who shared it (`user:NAME`).
    pub shared_by: String,
    pub items: Vec<SharedItem>,
    pub reason: String,
    pub at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl CaseShare {
    /// The case shared.
    pub fn key(&self) -> CaseKey {
        CaseKey {
            force: self.force.as_str().into(),
            reference: self.reference.as_str().into(),
        }
    }

    /// Whether the share is in force (not revoked).
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// Whether this item is shared.
    pub fn shares(&self, item: SharedItem) -> bool {
        self.items.contains(&item)
    }
}

/// The audit entry of a share: a disclosure of the case to the partner, with the sharer's reason.
pub(crate) fn share_entry(
    access: &Access,
    share: &NewShare,
    id: i64,
    items: &[SharedItem],
) -> AuditEntry {
    let disclosure = Access {
        reason: Some(share.reason.trim().to_owned()),
        recipient: Some(format!("user:{}", share.partner)),
        ..access.clone()
    };
    AuditEntry::new(
        &disclosure,
        Category::Disclosure,
        case_object(&share.case.force, &share.case.reference),
    )
    .with_detail(json!({"share": id, "items": SharedItem::join(items)}))
}

/// The audit entry of revoking a share.
pub(crate) fn revoke_entry(access: &Access, share: &CaseShare) -> AuditEntry {
    AuditEntry::new(access, Category::Alteration, share_object(share.id)).with_detail(json!({
        "case": format!("{}/{}", share.force, share.reference),
        "partner": share.partner,
        "revoked": true,
    }))
}

/// The audit object of a share.
pub(crate) fn share_object(id: i64) -> String {
    format!("share:{id}")
}

/// Checks a new share before anything is written (what and where, never a value of the case).
/// Whether a share's recipient may receive it: `disabled` of the user named, only when they are a
/// partner of the case's force (a share never crosses a force boundary).
pub(crate) const SHARE_PARTNER_SQL: &str =
    "SELECT disabled FROM users WHERE username = $1 AND role = 'partner' AND force = $2";

pub(crate) fn check_new_share(share: &NewShare) -> Result<(), String> {
    if share.items.is_empty() {
        return Err("a share must name at least one item".into());
    }
    if share.partner.trim().is_empty() {
        return Err("a share must name the partner".into());
    }
    if share.reason.trim().chars().count() < 10 {
        return Err("a share needs a reason of at least 10 characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_through_their_stored_form() {
        let items = vec![SharedItem::UpdatesDue, SharedItem::Status];
        let text = SharedItem::join(&items);
        assert_eq!(text, "updates_due,status");
        assert_eq!(
            SharedItem::parse_list(&text),
            Ok(vec![SharedItem::Status, SharedItem::UpdatesDue])
        );
        assert!(SharedItem::parse_list("status,timeline").is_err_and(|e| e.contains("`timeline`")));
    }
}

//! A case's audit records, for the case team's supervisors and auditors.

use storage::{Access, AuditEntry, Category};

use crate::error::AppError;
use crate::state::AppState;

/// The audit records of a case, newest first (after recording this consultation of them, with
/// `access`, which allowed [`crate::access::Action::CaseAudit`]).
pub async fn case_audit_rows(
    state: &AppState,
    access: &Access,
    key: &domain::CaseKey,
) -> Result<Vec<AuditRow>, AppError> {
    let object = format!("case:{}/{}", key.force, key.reference);
    let identity_prefix = format!("identity:{}/{}/", key.force, key.reference);
    state
        .store
        .record_audit(AuditEntry::new(
            access,
            Category::Consultation,
            format!("audit:{object}"),
        ))
        .await?;
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = state.store.audit_records(after, 2_000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for record in &page {
            if record.object == object || record.object.starts_with(&identity_prefix) {
                let at = chrono::DateTime::parse_from_rfc3339(&record.at)
                    .map(|t| crate::rows::local_time(&t.with_timezone(&chrono::Utc)))
                    .unwrap_or_else(|_| record.at.clone());
                rows.push(AuditRow {
                    seq: record.seq,
                    at_local: at,
                    actor: record.actor.clone(),
                    category: record.category.clone(),
                    object: record.object.clone(),
                    purpose: record.purpose.clone(),
                    reason: record.reason.clone().unwrap_or_default(),
                });
            }
        }
    }
    rows.reverse();
    Ok(rows)
}

/// One audit record as the case audit page shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at_local: String,
    pub actor: String,
    pub category: String,
    pub object: String,
    pub purpose: String,
    pub reason: String,
}

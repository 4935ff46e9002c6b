//! Cases through the access-control point: case keys from addresses, the viewer's relation to a
//! case, authorising an action, reading a case (audited), and the open-case lists and caseloads
//! served from the read model.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::{CaseKey, Status};
use storage::{Access, CaseFilter, CaseList, CaseRead, CaseStatus, ForceChanges};

use crate::access::{Action, Decision, Relation, decide};
use crate::error::AppError;
use crate::rows::{CaseloadRow, OfficerLoad};
use crate::state::{
    AppState, CachedCase, Caseload, FINDINGS_REUSE_SECS, Findings, HeldCaseload, HeldList,
};
use crate::viewer::Viewer;

/// Parses a case key from the URL path parts, refusing anything odd (400 naming the part).
pub fn case_key(force: &str, reference: &str) -> Result<CaseKey, AppError> {
    if force.is_empty()
        || force.len() > 64
        || !force
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(AppError::invalid(
            "force",
            "The force code must be lowercase letters, digits and hyphens.",
        ));
    }
    if reference.is_empty()
        || reference.len() > 64
        || !reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'/')
    {
        return Err(AppError::invalid(
            "case",
            "The case reference must be letters, digits and hyphens.",
        ));
    }
    Ok(CaseKey {
        force: force.into(),
        reference: reference.into(),
    })
}

/// The viewer's relation to a case: membership from the cached case; break-glass from the
/// store's declarations for this session (with the reason declared); a case the server has never
/// seen is looked up in the store first.
///
/// Force boundaries come first: a case of a force the viewer does not belong to is, for them, a
/// case that does not exist (`None`), and is not even looked up, unless this session holds a
/// break-glass grant for it (which is only given through a confirmed cross-force link, see
/// [`crate::ops::break_glass::declare_break_glass`]). National viewers reach every force, as
/// outsiders.
pub async fn relation(
    state: &AppState,
    viewer: &Viewer,
    key: &CaseKey,
) -> Result<Option<(Relation, Arc<CachedCase>, Option<String>)>, AppError> {
    // A partner's only relation to a case is a share in force, from their own force; a case not
    // shared with them is, for them, a case that does not exist (so it is not even looked up).
    if viewer.role == crate::access::Role::Partner {
        if !viewer.is_of_force(&key.force)
            || crate::ops::sharing::shares_of(state, viewer, key)
                .await?
                .is_empty()
        {
            return Ok(None);
        }
        return Ok(lookup(state, viewer, key)
            .await?
            .map(|cached| (Relation::SharedWith, cached, None)));
    }
    if !viewer.reaches_force(&key.force) {
        return match state.store.break_glass_grant(&viewer.session, key).await? {
            Some(reason) => Ok(lookup(state, viewer, key)
                .await?
                .map(|cached| (Relation::BreakGlass, cached, Some(reason)))),
            None => Ok(None),
        };
    }
    let Some(cached) = lookup(state, viewer, key).await? else {
        return Ok(None);
    };
    if cached.is_member(viewer) {
        return Ok(Some((Relation::Member, cached, None)));
    }
    if let Some(reason) = state.store.break_glass_grant(&viewer.session, key).await? {
        return Ok(Some((Relation::BreakGlass, cached, Some(reason))));
    }
    Ok(Some((Relation::Outsider, cached, None)))
}

/// The case as the server holds it, read from the store (audited as an access check) when it
/// has never seen it; `None` when there is no such case.
async fn lookup(
    state: &AppState,
    viewer: &Viewer,
    key: &CaseKey,
) -> Result<Option<Arc<CachedCase>>, AppError> {
    if let Some(cached) = state.cached(key) {
        return Ok(Some(cached));
    }
    let access = Access::new(viewer.actor(), storage::Purpose::Administration)
        .with_reason("access check for a case not yet in the server's read model");
    Ok(state
        .store
        .read_case(&access, key)
        .await?
        .map(|stored| state.remember(stored.case, stored.version)))
}

/// Asks the access-control point about `action` on a case; returns the access to audit with,
/// the relation and the cached case. Anything refused is a 404 or 403; a case that does not
/// exist is a 404 like any case the viewer may not see.
pub async fn authorise_case(
    state: &AppState,
    viewer: &Viewer,
    key: &CaseKey,
    action: Action,
) -> Result<(Access, Relation, Arc<CachedCase>), AppError> {
    let Some((relation, cached, reason)) = relation(state, viewer, key).await? else {
        return Err(AppError::not_found());
    };
    match decide(viewer.role, action, relation) {
        Decision::Allow(purpose) => {
            let mut access = Access::new(viewer.actor(), purpose);
            if let Some(reason) = reason {
                access = access.with_reason(reason);
            }
            Ok((access, relation, cached))
        }
        Decision::NotFound => Err(AppError::not_found()),
        Decision::Forbidden => Err(AppError::forbidden()),
    }
}

/// Asks the access-control point about an action that concerns no single case.
pub fn authorise(viewer: &Viewer, action: Action) -> Result<Access, AppError> {
    match decide(viewer.role, action, Relation::NotApplicable) {
        Decision::Allow(purpose) => Ok(Access::new(viewer.actor(), purpose)),
        Decision::NotFound => Err(AppError::not_found()),
        Decision::Forbidden => Err(AppError::forbidden()),
    }
}

/// Reads a case through the store (audited there, before anything is returned) and refreshes the
/// cache. When the server already holds the store's current version, the store answers
/// "unchanged" and the held copy (the same events: the record is append-only) is used, which
/// spares reading and parsing every event again.
pub async fn read(
    state: &AppState,
    access: &Access,
    key: &CaseKey,
) -> Result<Arc<CachedCase>, AppError> {
    let held = state.cached(key);
    let known = held.as_ref().map(|cached| cached.version);
    let found = state.store.read_case_if_changed(access, key, known).await?;
    resolve(state, held, found)
}

/// [`read`] with the case's shares, read by the store together with it (the case page shows
/// both): one read of the store instead of two.
pub async fn read_with_shares(
    state: &AppState,
    access: &Access,
    key: &CaseKey,
) -> Result<(Arc<CachedCase>, Vec<storage::CaseShare>), AppError> {
    let held = state.cached(key);
    let known = held.as_ref().map(|cached| cached.version);
    let (found, shares) = state
        .store
        .read_case_and_shares_if_changed(access, key, known)
        .await?;
    Ok((resolve(state, held, found)?, shares))
}

/// The case a conditional read answered with: the one read, or the one held when the store
/// says it is unchanged.
fn resolve(
    state: &AppState,
    held: Option<Arc<CachedCase>>,
    found: CaseRead,
) -> Result<Arc<CachedCase>, AppError> {
    match found {
        CaseRead::Read(stored) => Ok(state.remember(stored.case, stored.version)),
        CaseRead::Unchanged { version } => match held {
            Some(cached) if cached.version == version => Ok(cached),
            _ => Err(AppError::internal(
                "read",
                &"the store answered unchanged for a version the server does not hold",
            )),
        },
        CaseRead::Missing => Err(AppError::not_found()),
    }
}

/// The open cases of the viewer's force that pass `keep`, checked against the store's projection
/// (one audited list), each with its findings at `now`, most urgent first.
pub async fn caseload(
    state: &AppState,
    access: &Access,
    force: Option<&str>,
    keep: &(dyn Fn(&CachedCase) -> bool + Sync),
) -> Result<Vec<(Arc<CachedCase>, Arc<Findings>)>, AppError> {
    let open = open_cases(state, access, &open_in(force), None).await?;
    let now = state.now();
    Ok(open
        .iter()
        .filter(|cached| keep(cached))
        .map(|cached| (Arc::clone(cached), cached.findings_at(state, now)))
        .collect())
}

/// The filter for the open cases of `force` (of every force when `None`).
fn open_in(force: Option<&str>) -> CaseFilter {
    CaseFilter {
        force: force.map(str::to_owned),
        status: Some(CaseStatus::Open),
        ..CaseFilter::default()
    }
}

/// At most this many officers' caseloads are held; past it the held ones are all dropped (and
/// worked out again on their next view).
const HELD_CASELOADS: usize = 10_000;

/// The viewer's caseload at `now`: the open cases of their force (one audited list, on every
/// view) that they are on the team of, most urgent first. Empty for a viewer of no force.
///
/// Working the rows out again on every view (picking the officer's cases from the force's list,
/// each case's findings, sorting them) was a fifth of a caseload view's cost under load, and the
/// answer can only change when the list does (a new counter: a new held list) or when one of its
/// cases' findings could change with time. So it is reused, per officer, while the list is the
/// same one and `now` is before the earliest instant at which any of its cases' findings could
/// change.
///
/// `changes`: the counter of a force, read with the viewer's session
/// ([`crate::extract::CaseloadViewer`]); used when it is the viewer's force.
pub async fn my_caseload(
    state: &AppState,
    access: &Access,
    viewer: &Viewer,
    now: DateTime<Utc>,
    changes: Option<&ForceChanges>,
) -> Result<Arc<Caseload>, AppError> {
    // Caseloads are per force: officer identifiers mean something only within one.
    let storage::UserScope::Force(force) = viewer.scope() else {
        return Ok(Arc::new(Caseload::new(Vec::new())));
    };
    let username = viewer.user.username.as_str();
    let counter = changes
        .filter(|changes| changes.force == force)
        .map(|changes| changes.changes);
    let list = open_cases(state, access, &open_in(Some(force)), counter).await?;
    let held = crate::state::lock(&state.caseloads).get(username).cloned();
    // The held caseload's weak reference keeps its list's allocation, so a list at the same
    // address is that list.
    if let Some(held) = held
        && std::ptr::eq(held.list.as_ptr(), Arc::as_ptr(&list))
        && held.at <= now
        && now < held.valid_until
    {
        return Ok(held.caseload);
    }
    let mut valid_until = now + chrono::Duration::seconds(FINDINGS_REUSE_SECS);
    let mine: Vec<(Arc<CachedCase>, Arc<Findings>)> = list
        .iter()
        .filter(|cached| cached.has_member(force, viewer.officer_id()))
        .map(|cached| {
            let (findings, until) = cached.findings_until(state, now);
            valid_until = valid_until.min(until);
            (Arc::clone(cached), findings)
        })
        .collect();
    let caseload = Arc::new(Caseload::new(caseload_rows(&mine)));
    let mut held = crate::state::lock(&state.caseloads);
    if held.len() >= HELD_CASELOADS {
        held.clear();
    }
    held.insert(
        username.to_owned(),
        HeldCaseload {
            list: Arc::downgrade(&list),
            at: now,
            valid_until,
            caseload: Arc::clone(&caseload),
        },
    );
    Ok(caseload)
}

/// The cases `filter` lists (one audited list), each as the server holds it at the listed
/// version. The list last listed for the same filter is reused while the force's change counter
/// stands still: a caseload then costs the store one counter read and its audit record, not a
/// read of every open case of the force. Reusing the held cases with it is sound because a case's
/// every change moves the counter in the same transaction, and a version's events never change.
/// `counter`: the filter's counter when the caller has read it already.
async fn open_cases(
    state: &AppState,
    access: &Access,
    filter: &CaseFilter,
    counter: Option<u64>,
) -> Result<Arc<Vec<Arc<CachedCase>>>, AppError> {
    let held = crate::state::lock(&state.case_lists).get(filter).cloned();
    let known = held.as_ref().map(|held| held.changes);
    let listed = match counter {
        Some(changes) => {
            state
                .store
                .list_cases_if_changed_at(access, filter, known, changes)
                .await?
        }
        None => {
            state
                .store
                .list_cases_if_changed(access, filter, known)
                .await?
        }
    };
    match listed {
        CaseList::Unchanged { changes } => match held {
            Some(held) if held.changes == changes => Ok(held.cases),
            _ => Err(AppError::internal(
                "list",
                &"the store answered unchanged for a counter the server does not hold",
            )),
        },
        CaseList::Listed { changes, cases } => {
            let mut resolved = Vec::with_capacity(cases.len());
            for summary in &cases {
                let key = summary.key();
                resolved.push(match state.cached(&key) {
                    Some(cached) if cached.version == summary.version => cached,
                    _ => read(state, access, &key).await?,
                });
            }
            let resolved = Arc::new(resolved);
            crate::state::lock(&state.case_lists).insert(
                filter.clone(),
                HeldList {
                    changes,
                    cases: Arc::clone(&resolved),
                },
            );
            Ok(resolved)
        }
    }
}

/// Caseload rows, most urgent case first.
pub fn caseload_rows(cases: &[(Arc<CachedCase>, Arc<Findings>)]) -> Vec<Arc<CaseloadRow>> {
    let mut rows: Vec<Arc<CaseloadRow>> = cases
        .iter()
        .map(|(cached, findings)| findings.caseload_row(cached))
        .collect();
    rows.sort_by(|a, b| {
        a.sort_key
            .0
            .cmp(&b.sort_key.0)
            .then_with(|| match (a.sort_key.1, b.sort_key.1) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.reference.cmp(&b.reference))
    });
    rows
}

pub fn officer_loads(cases: &[(Arc<CachedCase>, Arc<Findings>)]) -> Vec<OfficerLoad> {
    let mut by: BTreeMap<String, OfficerLoad> = BTreeMap::new();
    for (cached, findings) in cases {
        let officer = cached.officer_in_case().unwrap_or("unallocated").to_owned();
        let entry = by.entry(officer.clone()).or_insert(OfficerLoad {
            officer,
            open_cases: 0,
            overdue: 0,
        });
        entry.open_cases += 1;
        entry.overdue += findings
            .iter()
            .filter(|f| f.status == Status::Overdue)
            .count();
    }
    by.into_values().collect()
}

//! Demo data for `rasso serve --demo`: synthetic cases (entirely invented) allocated to demo users
//! of every role. Never for real deployments: every demo user has the same published password.

use chrono::{Duration, Utc};
use domain::interchange::OfficerRole;
use domain::{Case, EventData, Record};
use storage::{Access, Append, ExpectedVersion, NewEvent, Purpose, Store, User};

use crate::access::Role;

/// The password of every demo user (printed when the demo starts).
pub const DEMO_PASSWORD: &str = "demo-password-not-for-real-use";

/// The demo users: username, display name, role.
pub const DEMO_USERS: &[(&str, &str, Role)] = &[
    ("responder", "Priya Responder (demo)", Role::FirstResponder),
    (
        "investigator",
        "Sam Investigator (demo)",
        Role::Investigator,
    ),
    (
        "investigator2",
        "Alex Investigator (demo)",
        Role::Investigator,
    ),
    ("supervisor", "Jo Supervisor (demo)", Role::Supervisor),
    ("supervisor2", "Kit Supervisor (demo)", Role::Supervisor),
    ("leader", "Morgan Leader (demo)", Role::Leader),
    ("analyst", "Robin Analyst (demo)", Role::Analyst),
    ("partner", "Lee Partner, ISVA (demo)", Role::Partner),
    ("admin", "Casey Admin (demo)", Role::Admin),
];

/// The force demo cases belong to.
pub fn demo_force() -> String {
    synthetic::force_codes(1)
        .into_iter()
        .next()
        .unwrap_or_else(|| "exampleshire".to_owned())
}

/// Who the demo allocates case `index` to: (officer in case, supervisor). One case in five goes to
/// officers who are not demo users, so that every demo user has cases outside their team.
pub fn allocation(index: usize) -> (Option<&'static str>, Option<&'static str>) {
    match index % 5 {
        0 | 1 => (Some("investigator"), Some("supervisor")),
        2 => (Some("investigator2"), Some("supervisor")),
        3 => (Some("responder"), Some("supervisor2")),
        _ => (None, None),
    }
}

/// Generates `count` cases reported over the 18 months to now, allocated per [`allocation`].
pub fn demo_cases(seed: u64, count: usize) -> Vec<Case> {
    let mut settings = synthetic::Settings::new(seed, 1);
    let now = Utc::now();
    settings.until = now - Duration::hours(2);
    settings.from = now - Duration::days(540);
    synthetic::cases(&settings, count)
        .enumerate()
        .map(|(index, case)| {
            let (oic, supervisor) = allocation(index);
            let events = case
                .events()
                .iter()
                .cloned()
                .map(|mut event| {
                    if let EventData::OfficerAllocated(allocated) = &mut event.data {
                        let name = match allocated.role {
                            OfficerRole::Oic => oic,
                            OfficerRole::Supervisor => supervisor,
                        };
                        if let Some(name) = name {
                            allocated.officer = name.into();
                        }
                    }
                    event
                })
                .collect();
            Case::new(case.key.clone(), events)
        })
        .collect()
}

/// Adds the demo users (if missing) and the demo cases (if the store has none). Returns the
/// number of cases added.
pub async fn seed(store: &dyn Store, count: usize) -> anyhow::Result<usize> {
    let access = Access::new("system:demo", Purpose::Administration)
        .with_reason("rasso serve --demo: synthetic data");
    let force = demo_force();
    let hash = crate::secrets::hash_password(DEMO_PASSWORD)?;
    for (username, display, role) in DEMO_USERS {
        if store.user(username).await?.is_none() {
            store
                .add_user(
                    &access,
                    &User {
                        username: (*username).to_owned(),
                        display_name: (*display).to_owned(),
                        role: role.as_str().to_owned(),
                        force: Some(force.clone()),
                        national: false,
                        officer_id: (*username).to_owned(),
                        password_hash: hash.clone(),
                        disabled: false,
                        created_at: Utc::now(),
                    },
                )
                .await?;
        }
    }
    let existing = store
        .list_cases(
            &access,
            &storage::CaseFilter {
                limit: Some(1),
                ..storage::CaseFilter::default()
            },
        )
        .await?;
    if !existing.is_empty() {
        return Ok(0);
    }
    let cases = demo_cases(2026, count);
    let added = cases.len();
    let import = Access::new("system:demo", Purpose::Import)
        .with_reason("rasso serve --demo: synthetic data");
    for chunk in cases.chunks(50) {
        let batch = chunk
            .iter()
            .map(|case| Append {
                case: case.key.clone(),
                expected: ExpectedVersion::NoCase,
                events: case
                    .events()
                    .iter()
                    .map(|event| {
                        NewEvent::from_record(Record {
                            case: case.key.clone(),
                            event: event.clone(),
                        })
                    })
                    .collect(),
            })
            .collect();
        store.append(&import, batch).await?;
    }
    Ok(added)
}

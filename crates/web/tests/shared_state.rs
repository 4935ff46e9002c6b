//! State kept in the store rather than in one server's memory (lockout, first sign-in,
//! break-glass) holds across server processes over one store; and sharing cases with partners.

mod common;

use reqwest::Method;
use storage::{Access, Append, ExpectedVersion, NewEvent, Purpose};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockout_counts_across_server_processes() {
    let first = common::start().await;
    let second = common::another_process(&first).await;
    // Failures split between two processes still add up to a lockout.
    for server in [&first, &second, &first, &second, &first] {
        let wrong = server.sign_in_response("inv", "wrong password").await;
        assert_eq!(wrong.status(), 401);
    }
    for server in [&first, &second] {
        let locked = server.sign_in_response("inv", common::PASSWORD).await;
        assert_eq!(locked.status(), 401, "locked in every process");
    }
    // And a restarted process (fresh memory) still knows.
    let restarted = common::another_process(&first).await;
    let locked = restarted.sign_in_response("inv", common::PASSWORD).await;
    assert_eq!(locked.status(), 401, "locked after a restart");
    // Someone else is not affected.
    let _ = restarted.sign_in("sup").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sign_in_is_offered_the_toolkits_once_whichever_process() {
    let first = common::start().await;
    let session = first.sign_in("inv").await;
    let home = first.get(&session, "/").await.text().await.expect("home");
    assert!(home.contains("This is your first sign-in"));
    // The same session through another process is still the first sign-in.
    let second = common::another_process(&first).await;
    let home = second.get(&session, "/").await.text().await.expect("home");
    assert!(home.contains("This is your first sign-in"));
    // A later sign-in, through a restarted process, is not.
    let restarted = common::another_process(&first).await;
    let later = restarted.sign_in("inv").await;
    let home = restarted.get(&later, "/").await.text().await.expect("home");
    assert!(!home.contains("This is your first sign-in"));
    assert!(home.contains("Introductory toolkits"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_glass_holds_across_processes_and_is_shown_to_the_supervisor() {
    let first = common::start().await;
    // TS-4: `inv` is the officer in case and `sup` supervises; `fr` is outside the team.
    append_case(&first, "TS-4", &[("inv", "oic"), ("sup", "supervisor")]).await;
    let second = common::another_process(&first).await;
    let responder = first.sign_in("fr").await;
    assert_eq!(
        second
            .get(&responder, "/cases/testshire/TS-4")
            .await
            .status(),
        404
    );
    let declared = first
        .post_form(
            &responder,
            "/break-glass",
            &[
                ("force", "testshire"),
                ("case", "TS-4"),
                ("reason", "checking a linked safeguarding report"),
            ],
        )
        .await;
    assert_eq!(declared.status(), 303);
    // The grant is in the store: the other process honours it for that session.
    let page = second.get(&responder, "/cases/testshire/TS-4").await;
    assert_eq!(page.status(), 200);
    // The supervisor, on a restarted process, sees who broke glass and why.
    let restarted = common::another_process(&first).await;
    let supervisor = restarted.sign_in("sup").await;
    let page = restarted
        .get(&supervisor, "/cases/testshire/TS-4")
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("Break-glass access to this case"));
    assert!(page.contains("user:fr") && page.contains("checking a linked safeguarding report"));
    // The officer in case is not the supervisor: no list for them.
    let officer = restarted.sign_in("inv").await;
    let page = restarted
        .get(&officer, "/cases/testshire/TS-4")
        .await
        .text()
        .await
        .expect("page");
    assert!(!page.contains("Break-glass access to this case"));
    // Sign-out ends the grant with the session.
    let out = first.post_form(&responder, "/sign-out", &[]).await;
    assert_eq!(out.status(), 303);
    let again = first.sign_in("fr").await;
    assert_eq!(
        first.get(&again, "/cases/testshire/TS-4").await.status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_sees_only_what_is_shared_and_nothing_after_revocation() {
    let server = common::start().await;
    let partner = server.sign_in("par").await;
    let list = server.get(&partner, "/shared").await;
    assert_eq!(list.status(), 200);
    let list = list.text().await.expect("list");
    assert!(list.contains("/shared/testshire/TS-1") && !list.contains("TS-2"));

    let before = server.audit_count().await;
    let view = server.get(&partner, "/shared/testshire/TS-1").await;
    assert_eq!(view.status(), 200);
    let view = view.text().await.expect("view");
    assert!(view.contains("Keeping the victim informed"));
    assert!(view.contains("victim consents to ISVA support"));
    for never in [
        "Zelphinia",
        "Quorrable",
        "The whole story",
        "Suspect arrested",
        "S1",
        "Decision log",
    ] {
        assert!(!view.contains(never), "the partner view shows {never}");
    }
    // The read is audited as a disclosure to the partner.
    let records = server.store.audit_records(0, 100_000).await.expect("audit");
    assert_eq!(records.len(), before + 1, "one audit record for the view");
    let last = records.last().expect("record");
    assert_eq!(last.object, "case:testshire/TS-1");
    assert_eq!(last.purpose, "disclosure");
    assert_eq!(last.recipient.as_deref(), Some("user:par"));
    assert_eq!(last.actor, "user:par");

    // The API equivalent carries the same, and nothing else.
    let api = server
        .api(&partner, Method::GET, "/api/shared/testshire/TS-1", None)
        .await;
    assert_eq!(api.status(), 200);
    let json: serde_json::Value = api.json().await.expect("json");
    assert_eq!(json["reference"], "TS-1");
    assert_eq!(json["status"], "open");
    assert!(json.get("timeline").is_none() && json.get("people").is_none());
    let text = json.to_string();
    assert!(!text.contains("Zelphinia") && !text.contains("\"S1\""));

    // Everything else of the case stays 404 for the partner.
    for path in [
        "/cases/testshire/TS-1",
        "/cases/testshire/TS-1/audit",
        "/cases/testshire/TS-1/people/V1/identity",
        "/shared/testshire/TS-2",
    ] {
        assert_eq!(server.get(&partner, path).await.status(), 404, "{path}");
    }

    // The case team sees the shares and revokes them; then the case is gone for the partner.
    let investigator = server.sign_in("inv").await;
    let page = server
        .get(&investigator, "/cases/testshire/TS-1")
        .await
        .text()
        .await
        .expect("case page");
    assert!(
        page.contains("Shared with partners") && page.contains("victim consents to ISVA support")
    );
    for id in [common::KEPT_SHARE, common::SPARE_SHARE] {
        let revoked = server
            .post_form(
                &investigator,
                &format!("/cases/testshire/TS-1/shares/{id}/revoke"),
                &[],
            )
            .await;
        assert_eq!(revoked.status(), 303);
    }
    assert_eq!(
        server
            .get(&partner, "/shared/testshire/TS-1")
            .await
            .status(),
        404
    );
    let list = server
        .get(&partner, "/shared")
        .await
        .text()
        .await
        .expect("list");
    assert!(!list.contains("/shared/testshire/TS-1"));
    let records = server.store.audit_records(0, 100_000).await.expect("audit");
    assert!(
        records
            .iter()
            .any(|r| r.object == format!("share:{}", common::KEPT_SHARE)
                && r.category == "alteration"
                && r.actor == "user:inv")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharing_names_the_field_at_fault_and_records_a_disclosure() {
    let server = common::start().await;
    let investigator = server.sign_in("inv").await;
    for (fields, field) in [
        (
            vec![
                ("partner", "sup"),
                ("items", "status"),
                ("reason", "support for the victim"),
            ],
            "partner",
        ),
        (
            vec![("partner", "par"), ("reason", "support for the victim")],
            "items",
        ),
        (
            vec![
                ("partner", "par"),
                ("items", "timeline"),
                ("reason", "support for the victim"),
            ],
            "items",
        ),
        (
            vec![("partner", "par"), ("items", "status"), ("reason", "short")],
            "reason",
        ),
    ] {
        let refused = server
            .post_form(&investigator, "/cases/testshire/TS-1/shares", &fields)
            .await;
        assert_eq!(refused.status(), 400, "{fields:?}");
        let body = refused.text().await.expect("body");
        assert!(
            body.contains(&format!("field: {field}")),
            "{fields:?}: {body}"
        );
    }
    let api = server
        .api(
            &investigator,
            Method::POST,
            "/api/cases/testshire/TS-1/shares",
            Some(serde_json::json!({"partner": "par", "items": ["officer_in_case"], "reason": "contact details for the ISVA"})),
        )
        .await;
    assert_eq!(api.status(), 201);
    let share: serde_json::Value = api.json().await.expect("json");
    assert_eq!(share["items"], serde_json::json!(["officer_in_case"]));
    let records = server.store.audit_records(0, 100_000).await.expect("audit");
    let last = records.last().expect("record");
    assert_eq!(last.category, "disclosure");
    assert_eq!(last.recipient.as_deref(), Some("user:par"));
    assert_eq!(last.reason.as_deref(), Some("contact details for the ISVA"));
    // Not on a case outside the team.
    let outside = server
        .post_form(
            &investigator,
            "/cases/testshire/TS-2/shares",
            &[
                ("partner", "par"),
                ("items", "status"),
                ("reason", "support for the victim"),
            ],
        )
        .await;
    assert_eq!(outside.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn htmx_is_served_from_this_origin_as_vendored() {
    let server = common::start().await;
    let response = server
        .client
        .get(server.url("/static/vendor/htmx.min.js"))
        .send()
        .await
        .expect("htmx");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/javascript")
    );
    let body = response.bytes().await.expect("body");
    use sha2::Digest as _;
    let digest = hex::encode(sha2::Sha256::digest(&body));
    let readme = include_str!("../static/vendor/README.md");
    assert!(
        readme.contains(&digest),
        "the served htmx ({digest}) is the one recorded in static/vendor/README.md"
    );
}

/// GOV.UK Frontend is served as `browser/vendor-govuk.mjs` vendored it (SHA-256 in SOURCE.md),
/// with its licence beside it, and without the GDS Transport font.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govuk_frontend_is_served_as_vendored_without_the_gov_uk_font() {
    let server = common::start().await;
    let source = include_str!("../static/vendor/govuk/SOURCE.md");
    assert!(include_str!("../static/vendor/govuk/LICENCE.md").contains("MIT"));
    for (path, kind) in [
        ("/static/vendor/govuk/govuk-frontend.min.css", "text/css"),
        (
            "/static/vendor/govuk/govuk-frontend.min.js",
            "text/javascript",
        ),
    ] {
        let response = server
            .client
            .get(server.url(path))
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .expect("type")
                .starts_with(kind)
        );
        let body = response.bytes().await.expect("body");
        use sha2::Digest as _;
        let digest = hex::encode(sha2::Sha256::digest(&body));
        assert!(
            source.contains(&digest),
            "{path} ({digest}) is the one in SOURCE.md"
        );
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("GDS Transport") && !text.contains("@font-face"),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caseload_filter_works_without_javascript() {
    let server = common::start().await;
    let investigator = server.sign_in("inv").await;
    let all = server.get(&investigator, "/caseload?show=all").await;
    assert_eq!(all.status(), 200);
    assert!(all.text().await.expect("body").contains("TS-1"));
    let overdue = server.get(&investigator, "/caseload?show=overdue").await;
    assert_eq!(overdue.status(), 200);
    let body = overdue.text().await.expect("body");
    // The same cases as the API's caseload with an overdue finding, and only those.
    let api: serde_json::Value = server
        .api(&investigator, Method::GET, "/api/caseload", None)
        .await
        .json()
        .await
        .expect("json");
    let cases = api["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    for case in cases {
        let link = format!(
            "/cases/testshire/{}\"",
            case["reference"].as_str().expect("reference")
        );
        let has_overdue = case["overdue"].as_u64().expect("overdue") > 0;
        assert_eq!(
            body.contains(&link),
            has_overdue,
            "{link} in the overdue-only list"
        );
    }
    let bad = server.get(&investigator, "/caseload?show=everything").await;
    assert_eq!(bad.status(), 400);
}

/// The caseload reuses its list of open cases while the force's change counter stands still, so a
/// case created or changed by another writer of the store (another server process, `rasso
/// import`) must still show on the next view, and every view is audited whether reused or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caseload_shows_cases_another_writer_adds_and_audits_every_view() {
    let server = common::start().await;
    let investigator = server.sign_in("inv").await;
    let first = server.get(&investigator, "/caseload").await;
    assert_eq!(first.status(), 200);
    assert!(!first.text().await.expect("body").contains("TS-77"));
    let audited = server.audit_count().await;
    let again = server.get(&investigator, "/caseload").await;
    assert_eq!(again.status(), 200);
    assert!(
        server.audit_count().await > audited,
        "a reused list is audited too"
    );
    append_case(&server, "TS-77", &[("inv", "oic")]).await;
    let after = server.get(&investigator, "/caseload").await;
    assert_eq!(after.status(), 200);
    assert!(
        after.text().await.expect("body").contains("TS-77"),
        "the new case is in the caseload at once"
    );
}

/// An officer's caseload is worked out once and reused while nothing can change it: the same list
/// of cases (the force's change counter has not moved) and no finding of theirs that time alone
/// could change. A deadline passing, or an earlier `now`, works it out again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_caseload_is_reused_only_until_time_could_change_a_finding() {
    use std::sync::Arc;
    let server = common::start().await;
    let state = &server.state;
    let access = Access::new("inv", Purpose::Investigation);
    let viewer = web::auth::Viewer {
        user: server
            .store
            .user("inv")
            .await
            .expect("user")
            .expect("inv")
            .into(),
        role: web::access::Role::Investigator,
        session: String::new(),
        csrf: String::new(),
        idle_seconds: 900,
    };
    let caseload_at = |now| web::ops::cases::my_caseload(state, &access, &viewer, now, None);
    let late = |caseload: &web::state::Caseload| -> usize {
        caseload
            .rows
            .iter()
            .map(|row| row.overdue + row.breached)
            .sum()
    };
    let t0 = chrono::Utc::now();
    let first = caseload_at(t0).await.expect("caseload");
    assert!(!first.rows.is_empty(), "inv has cases");
    let again = caseload_at(t0 + chrono::Duration::seconds(1))
        .await
        .expect("caseload");
    assert!(
        Arc::ptr_eq(&first, &again),
        "reused while nothing can change"
    );

    let next_deadline = first
        .rows
        .iter()
        .filter_map(|row| {
            state.cached(&domain::CaseKey {
                force: row.force.as_str().into(),
                reference: row.reference.as_str().into(),
            })
        })
        .flat_map(|cached| {
            let findings = cached.findings_at(state, t0);
            findings
                .iter()
                .filter(|f| f.status == domain::Status::Due)
                .filter_map(|f| f.due)
                .collect::<Vec<_>>()
        })
        .min()
        .expect("a finding of inv's is due");
    let after = caseload_at(next_deadline + chrono::Duration::seconds(1))
        .await
        .expect("caseload");
    assert!(!Arc::ptr_eq(&first, &after), "worked out again");
    assert!(
        late(&after) > late(&first),
        "the deadline that passed shows: {} then {}",
        late(&first),
        late(&after)
    );
    let earlier = caseload_at(t0).await.expect("caseload");
    assert!(
        !Arc::ptr_eq(&after, &earlier),
        "an earlier now is worked out afresh"
    );
    assert_eq!(late(&earlier), late(&first));
}

/// Signing out ends the session at once (across server processes: `cli/tests/postgres_servers.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session_at_once() {
    let server = common::start().await;
    let investigator = server.sign_in("inv").await;
    assert_eq!(server.get(&investigator, "/caseload").await.status(), 200);
    let signed_out = server
        .api(&investigator, Method::DELETE, "/api/session", None)
        .await;
    assert!(signed_out.status().is_success(), "{}", signed_out.status());
    let after = server
        .api(&investigator, Method::GET, "/api/caseload", None)
        .await;
    assert_eq!(after.status(), 401);
}

/// Stores case `reference` with its team straight through the store, as another writer (another
/// server process, `rasso import`) would.
async fn append_case(server: &common::Server, reference: &str, team: &[(&str, &str)]) {
    append_lines(server, reference, &common::case_lines(reference, team)).await;
}

/// Stores case `reference` of the test force from its interchange lines, straight through the
/// store.
async fn append_lines(server: &common::Server, reference: &str, lines: &[String]) {
    let events = lines
        .iter()
        .map(|line| NewEvent::from_line(line, 0).expect("line"))
        .collect();
    server
        .store
        .append(
            &Access::new("test", Purpose::Import),
            vec![Append {
                case: domain::CaseKey {
                    force: common::FORCE.into(),
                    reference: reference.into(),
                },
                expected: ExpectedVersion::NoCase,
                events,
            }],
        )
        .await
        .expect("append");
}

/// After the investigation ends, a supervisor review missed before the end stays on the case page
/// as missed, with no record page to clear it (nothing recorded now can), while a case still
/// under investigation offers the record page for the same rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_missed_before_closure_is_shown_as_missed_not_as_a_task() {
    let server = common::start().await;
    let now = chrono::Utc::now();
    let at = |days: i64| {
        (now - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let line = |days: i64, kind: &str, fields: &str| {
        format!(
            r#"{{"case":"TS-88","force":"{}","at":"{}","kind":"{kind}"{fields}}}"#,
            common::FORCE,
            at(days)
        )
    };
    // Allocated 40 days ago, no supervisor review (the first was due after 7 days), closed
    // yesterday.
    let lines = [
        line(
            40,
            "report_received",
            r#","channel":"101","offences":["SOA2003-s1"],"location":{"country":"GB"}"#,
        ),
        line(40, "officer_allocated", r#","officer":"inv","role":"oic""#),
        line(1, "case_closed", r#","outcome":18"#),
    ];
    append_lines(&server, "TS-88", &lines).await;
    let investigator = server.sign_in("inv").await;
    let page = server
        .get(&investigator, "/cases/testshire/TS-88")
        .await
        .text()
        .await
        .expect("body");
    let task = page
        .split("data-rule=\"SUP-REVIEW\"")
        .nth(1)
        .and_then(|rest| rest.split("</li>").next())
        .expect("the missed review is listed");
    assert!(task.contains("Missed: it was due by"), "{task}");
    assert!(!task.contains("/record/"), "no record page: {task}");
    // The same rule on a case still under investigation (TS-1: allocated two days ago, its first
    // review not yet due) is a task with its record page.
    let open = server
        .get(&investigator, "/cases/testshire/TS-1")
        .await
        .text()
        .await
        .expect("body");
    let task = open
        .split("data-rule=\"SUP-REVIEW\"")
        .nth(1)
        .and_then(|rest| rest.split("</li>").next())
        .expect("the review is a task");
    assert!(task.contains("/record/supervisor_review"), "{task}");
    assert!(!task.contains("Missed"), "{task}");
}

//! Trust over HTTP (issue 17): force boundaries on every path that is not a plain case route
//! (break-glass, caseloads, team views, reports, partner shares, repeat-suspect links), rights by
//! event kind, the officer on a recorded event, values no user can mean, sign-in throttling per
//! client address, and connection time limits.

mod common;

use common::{FORCE, OTHER_FORCE};
use reqwest::Method;
use serde_json::json;

async fn audit_details(server: &common::Server) -> Vec<storage::AuditRecord> {
    server
        .store
        .audit_records(0, 100_000)
        .await
        .expect("audit records")
}

/// Declares break-glass through the API; returns the status.
async fn break_glass(
    server: &common::Server,
    session: &common::Session,
    force: &str,
    case: &str,
    reason: &str,
) -> u16 {
    server
        .api(
            session,
            Method::POST,
            "/api/break-glass",
            Some(json!({"force": force, "case": case, "reason": reason})),
        )
        .await
        .status()
        .as_u16()
}

/// Confirms or rejects link `id` of TS-1 through the API; returns the status.
async fn decide_link(
    server: &common::Server,
    session: &common::Session,
    id: i64,
    decision: &str,
    reason: &str,
) -> u16 {
    server
        .api(
            session,
            Method::POST,
            &format!("/api/cases/{FORCE}/TS-1/links/{id}"),
            Some(json!({"decision": decision, "reason": reason})),
        )
        .await
        .status()
        .as_u16()
}

/// The links of a testshire case as the API shows them to `session`.
async fn links_of(
    server: &common::Server,
    session: &common::Session,
    case: &str,
) -> Vec<serde_json::Value> {
    let body: serde_json::Value = server
        .api(
            session,
            Method::GET,
            &format!("/api/cases/{FORCE}/{case}/links"),
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    body["links"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_glass_stays_inside_the_force_and_every_refusal_is_audited() {
    let server = common::start().await;
    // A testshire leader and investigator cannot break glass into otherford's case...
    for username in ["lead", "inv"] {
        let session = server.sign_in(username).await;
        let before = server.audit_count().await;
        let refused = break_glass(
            &server,
            &session,
            OTHER_FORCE,
            "OF-1",
            "curious about the other force",
        )
        .await;
        assert_eq!(refused, 404, "{username}");
        // ...and the attempt is audited, with the reason they gave.
        let records = audit_details(&server).await;
        let attempt = records
            .iter()
            .skip(before)
            .find(|r| {
                r.object == format!("case:{OTHER_FORCE}/OF-1")
                    && r.detail["break_glass"] == "refused"
            })
            .expect("the refused attempt is audited");
        assert_eq!(attempt.actor, format!("user:{username}"));
        assert_eq!(attempt.purpose, "break_glass");
        assert_eq!(
            attempt.reason.as_deref(),
            Some("curious about the other force")
        );
        // The case stays out of reach.
        let page = server
            .get(&session, &format!("/cases/{OTHER_FORCE}/OF-1"))
            .await;
        assert_eq!(page.status().as_u16(), 404);
    }
    // Within their own force it works as before.
    let lead = server.sign_in("lead").await;
    let allowed = break_glass(
        &server,
        &lead,
        FORCE,
        "TS-2",
        "review of a complaint about the case",
    )
    .await;
    assert_eq!(allowed, 204);
    // A national leader may break glass into any force's case (audited as a break-glass read).
    let national = server.sign_in("nat-lead").await;
    let crossed = break_glass(
        &server,
        &national,
        OTHER_FORCE,
        "OF-1",
        "national review of force practice",
    )
    .await;
    assert_eq!(crossed, 204);
    let read = server
        .api(
            &national,
            Method::GET,
            &format!("/api/cases/{OTHER_FORCE}/OF-1"),
            None,
        )
        .await;
    assert_eq!(read.status().as_u16(), 200);
    let body: serde_json::Value = read.json().await.expect("json");
    assert_eq!(body["break_glass"], true);
    // An account without a force is refused, and audited too.
    let nobody = server.sign_in("noforce-inv").await;
    let refused = break_glass(
        &server,
        &nobody,
        FORCE,
        "TS-2",
        "an account with no force at all",
    )
    .await;
    assert_eq!(refused, 404);
    assert!(
        audit_details(&server)
            .await
            .iter()
            .any(|r| r.actor == "user:noforce-inv" && r.detail["break_glass"] == "refused")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_cross_force_link_is_the_only_way_across_for_a_force_user() {
    let server = common::start().await;
    let inv = server.sign_in("inv").await;
    // TS-1 (testshire, inv's case) and OF-1 (otherford) have the same invented suspect, so the
    // store suggests a link between them. A suggestion about another force's suspect is not
    // shown to a force user...
    let links = links_of(&server, &inv, "TS-1").await;
    assert!(
        links.iter().all(|l| l["other_force"] == FORCE),
        "no otherford link shown while it is a suggestion: {links:?}"
    );
    // ...is not enough to break glass...
    let reason = "linked suspect enquiry";
    assert_eq!(
        break_glass(&server, &inv, OTHER_FORCE, "OF-1", reason).await,
        404
    );
    // ...and a force user cannot decide it: a national analyst reviews links across forces.
    let analyst = server.sign_in("nat-ana").await;
    let cross = links_of(&server, &analyst, "TS-1")
        .await
        .into_iter()
        .find(|l| l["other_force"] == OTHER_FORCE)
        .expect("the national analyst sees the cross-force suggestion");
    let id = cross["id"].as_i64().expect("id");
    assert_eq!(
        decide_link(&server, &inv, id, "confirm", "same custody photograph").await,
        404,
        "a suggestion the force user cannot see cannot be decided by them"
    );
    assert_eq!(
        decide_link(&server, &analyst, id, "confirm", "same custody photograph").await,
        200
    );
    // Once confirmed (a recorded cross-force link) the investigator of TS-1 sees it, may not
    // decide it again, and may break glass into OF-1 with a reason (audited).
    let shown = links_of(&server, &inv, "TS-1")
        .await
        .into_iter()
        .find(|l| l["id"] == id)
        .expect("the confirmed cross-force link is shown");
    assert_eq!(shown["other_force"], OTHER_FORCE);
    assert!(shown["other_case"].is_null(), "{shown}");
    assert_eq!(
        decide_link(&server, &inv, id, "reject", "changing my mind").await,
        403
    );
    assert_eq!(
        break_glass(&server, &inv, OTHER_FORCE, "OF-1", reason).await,
        204
    );
    let read = server
        .get(&inv, &format!("/cases/{OTHER_FORCE}/OF-1"))
        .await;
    assert_eq!(read.status().as_u16(), 200);
    // A testshire user who is not on TS-1's team has no such link to follow.
    let sup_session = server.sign_in("ana").await;
    let other = break_glass(
        &server,
        &sup_session,
        OTHER_FORCE,
        "OF-1",
        "linked suspect enquiry",
    )
    .await;
    assert_eq!(other, 403, "analysts never break glass");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_reports_and_shares_stay_inside_the_force() {
    let server = common::start().await;
    // OF-1's team names officers `inv` and `sup`: otherford's, not testshire's.
    let inv = server.sign_in("inv").await;
    let caseload = server
        .get(&inv, "/caseload")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        caseload.contains("TS-1") && !caseload.contains("OF-1"),
        "{caseload}"
    );
    let sup = server.sign_in("sup").await;
    let team = server.get(&sup, "/team").await.text().await.expect("page");
    assert!(team.contains("TS-1") && !team.contains("OF-1"));
    let lead = server.sign_in("lead").await;
    let team = server.get(&lead, "/team").await.text().await.expect("page");
    assert!(
        team.contains("TS-2") && !team.contains("OF-1"),
        "a leader sees their own force"
    );
    // otherford's own officers do reach OF-1 (and only OF-1).
    let of_inv = server.sign_in("of-inv").await;
    let caseload = server
        .get(&of_inv, "/caseload")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        caseload.contains("OF-1") && !caseload.contains("TS-1"),
        "{caseload}"
    );
    let page = server
        .get(&of_inv, &format!("/cases/{OTHER_FORCE}/OF-1"))
        .await;
    assert_eq!(page.status().as_u16(), 200);
    // Reports: a force leader's report counts their force's cases only; a national leader's
    // every force's.
    let cases_in = |report: &serde_json::Value| report["cases"].as_u64().unwrap_or(0);
    let report = |session: common::Session| {
        let server = &server;
        async move {
            let response = server
                .api(&session, Method::GET, "/api/reports/leaders", None)
                .await;
            assert_eq!(response.status().as_u16(), 200);
            response.json::<serde_json::Value>().await.expect("json")
        }
    };
    let force_report = report(lead.clone()).await;
    let national_report = report(server.sign_in("nat-lead").await).await;
    let otherford_report = report(server.sign_in("of-lead").await).await;
    assert_eq!(
        cases_in(&force_report) + cases_in(&otherford_report),
        cases_in(&national_report),
        "force: {force_report}\nnational: {national_report}"
    );
    assert!(cases_in(&otherford_report) >= 1 && cases_in(&force_report) >= 3);
    // An account without a force gets no caseload, team or report: it is not national.
    let nobody = server.sign_in("noforce-inv").await;
    let refused = server
        .api(&nobody, Method::GET, "/api/caseload", None)
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(body["code"], "no_force");
    // A case is never shared with a partner of another force.
    let share = server
        .api(
            &inv,
            Method::POST,
            &format!("/api/cases/{FORCE}/TS-1/shares"),
            Some(json!({"partner": "of-par", "items": ["status"], "reason": "ISVA support for the victim"})),
        )
        .await;
    assert_eq!(share.status().as_u16(), 400);
    let of_par = server.sign_in("of-par").await;
    let shared = server
        .api(&of_par, Method::GET, "/api/shared", None)
        .await
        .text()
        .await
        .expect("body");
    assert!(!shared.contains("TS-1"), "{shared}");
}

/// The version of case `case` as `session` reads it through the API.
async fn case_version(server: &common::Server, session: &common::Session, case: &str) -> u64 {
    let response = server
        .api(
            session,
            Method::GET,
            &format!("/api/cases/{FORCE}/{case}"),
            None,
        )
        .await;
    let body: serde_json::Value = response.json().await.expect("json");
    body["version"].as_u64().expect("version")
}

/// Posts an event through the API as `session`; returns the status and body.
async fn record(
    server: &common::Server,
    session: &common::Session,
    case: &str,
    query: &str,
    event: serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = server
        .api(
            session,
            Method::POST,
            &format!("/api/cases/{FORCE}/{case}/events{query}"),
            Some(event),
        )
        .await;
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// A field the kind does not have is refused when recorded on the web, naming it, and nothing is
/// stored: a forged `officer` on a kind that records none would otherwise be kept and exported as
/// if it said who acted, and a misspelt field's value would be dropped without a word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_the_kind_does_not_have_is_refused() {
    let server = common::start().await;
    let inv = server.sign_in("inv").await;
    let before = case_version(&server, &inv, "TS-1").await;
    for (event, field) in [
        (
            json!({"kind": "needs_assessment", "person": "V1", "officer": "sup"}),
            "officer",
        ),
        (
            json!({"kind": "needs_assessment", "persn": "V1", "person": "V1"}),
            "persn",
        ),
        (
            json!({"kind": "needs_assessment", "person": "V1", "Recorded By": "sup"}),
            "kind",
        ),
    ] {
        let (status, body) = record(&server, &inv, "TS-1", "?confirm=true", event.clone()).await;
        assert_eq!(status, 400, "{event}: {body}");
        assert_eq!(body["field"], field, "{event}: {body}");
    }
    assert_eq!(
        case_version(&server, &inv, "TS-1").await,
        before,
        "nothing stored"
    );
    let (status, body) = record(
        &server,
        &inv,
        "TS-1",
        "?confirm=true",
        json!({"kind": "needs_assessment", "person": "V1"}),
    )
    .await;
    assert_eq!(status, 201, "the kind's own fields are recorded: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rights_depend_on_the_role_and_the_kind_of_act() {
    let server = common::start().await;
    let fr = server.sign_in("fr").await;
    let inv = server.sign_in("inv").await;
    let sup = server.sign_in("sup").await;
    let close = json!({"kind": "case_closed", "outcome": 18, "suspect_identified": false});
    // A first responder cannot close a case, decide on charge or review it; nor can an
    // investigator close it or allocate officers (that would grant access to others).
    for (session, event) in [
        (&fr, close.clone()),
        (&inv, close.clone()),
        (
            &fr,
            json!({"kind": "charging_decision", "person": "S1", "by": "police", "decision": "no_further_action", "test": "full_code"}),
        ),
        (
            &fr,
            json!({"kind": "supervisor_review", "note": "looked at it"}),
        ),
        (
            &inv,
            json!({"kind": "supervisor_review", "note": "looked at it"}),
        ),
        (
            &inv,
            json!({"kind": "officer_allocated", "officer": "ana", "role": "oic"}),
        ),
    ] {
        let (status, body) = record(&server, session, "TS-1", "?confirm=true", event.clone()).await;
        assert_eq!(status, 403, "{event}: {body}");
    }
    // Whoever is with the victim adds people (identity sealed by the store as it writes).
    let (status, body) = record(
        &server,
        &fr,
        "TS-1",
        "?confirm=true",
        json!({"kind": "person_added", "person": "W9", "role": "witness", "identity": {"given_name": "Thessaly"}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(
        !body.to_string().contains("Thessaly"),
        "identity sealed in the answer"
    );
    // The first responder records what first responders do.
    let (status, _) = record(
        &server,
        &fr,
        "TS-1",
        "",
        json!({"kind": "needs_assessment", "person": "V1"}),
    )
    .await;
    assert_eq!(status, 201);
    // `officer_allocated` by an investigator granted nothing: the analyst still cannot read TS-2.
    let (status, _) = record(
        &server,
        &inv,
        "TS-2",
        "",
        json!({"kind": "officer_allocated", "officer": "inv", "role": "oic"}),
    )
    .await;
    assert_eq!(status, 404, "inv is not on TS-2's team at all");
    // The supervisor reviews; the officer on the review is the signed-in supervisor, and a
    // different officer sent in the body is refused, never recorded.
    let (status, body) = record(
        &server,
        &sup,
        "TS-1",
        "",
        json!({"kind": "supervisor_review", "note": "plan agreed", "officer": "someone-else"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "officer");
    let (status, body) = record(
        &server,
        &sup,
        "TS-1",
        "",
        json!({"kind": "supervisor_review", "note": "plan agreed"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let reviews: Vec<&serde_json::Value> = body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|row| row["kind"] == "supervisor_review")
        .collect();
    assert!(
        reviews.iter().any(|row| row.to_string().contains("sup")),
        "{reviews:?}"
    );
    // A supervisor who is the case's officer in case cannot review their own investigation.
    let (status, _) = record(
        &server,
        &sup,
        "TS-1",
        "",
        json!({"kind": "officer_allocated", "officer": "sup", "role": "oic"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = record(
        &server,
        &sup,
        "TS-1",
        "",
        json!({"kind": "supervisor_review", "note": "my own case"}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    // Decision log entries name the signed-in officer too.
    let (status, body) = record(
        &server,
        &inv,
        "TS-1",
        "",
        json!({"kind": "decision_recorded", "topic": "bail", "decision": "no bail", "rationale": "suspect on remand", "officer": "sup"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // The form path: a first responder's closure shows the case page with the refusal.
    let form = server
        .post_form(
            &fr,
            &format!("/cases/{FORCE}/TS-1/events"),
            &[
                ("kind", "case_closed"),
                ("outcome", "18"),
                ("suspect_identified", "no"),
            ],
        )
        .await;
    assert_eq!(form.status().as_u16(), 403);
    let html = form.text().await.expect("page");
    assert!(html.contains("supervisors of the case team"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_no_user_can_mean_are_refused_even_when_confirmed() {
    let server = common::start().await;
    let sup = server.sign_in("sup").await;
    // An outcome outside the Home Office list is refused, not "recorded anyway".
    for outcome in [0, 23, 99] {
        let (status, body) = record(
            &server,
            &sup,
            "TS-1",
            "?confirm=true",
            json!({"kind": "case_closed", "outcome": outcome, "suspect_identified": true}),
        )
        .await;
        assert_eq!(status, 400, "outcome {outcome}: {body}");
        assert_eq!(body["field"], "outcome");
    }
    // A time before the offence's report (the fixture has no offence time) is refused...
    let (status, body) = record(
        &server,
        &sup,
        "TS-1",
        "?confirm=true",
        json!({"kind": "note", "text": "backdated", "at": "2001-01-01T10:00:00Z"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "at");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("before the offence"),
        "{body}"
    );
    // ...and so is one in the future.
    let future = (chrono::Utc::now() + chrono::Duration::days(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, body) = record(
        &server,
        &sup,
        "TS-1",
        "?confirm=true",
        json!({"kind": "note", "text": "next week", "at": future}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "at");
    // An event id names one event: the same request again (no time given) is a retry, stored
    // once; the same id for something else is refused, not silently dropped.
    let once = json!({"kind": "note", "text": "called the ISVA service", "id": "retry-1"});
    let (status, body) = record(&server, &sup, "TS-1", "", once.clone()).await;
    assert_eq!(status, 201, "{body}");
    let version = body["version"].clone();
    let (status, body) = record(&server, &sup, "TS-1", "", once).await;
    assert_eq!(status, 201, "a retry is answered like the first: {body}");
    assert_eq!(body["version"], version, "and stores nothing more");
    let (status, body) = record(
        &server,
        &sup,
        "TS-1",
        "",
        json!({"kind": "note", "text": "something else entirely", "id": "retry-1"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "event_id_reused");
    assert_eq!(body["field"], "id");
    // Nothing of that was stored.
    let case: serde_json::Value = server
        .api(&sup, Method::GET, &format!("/api/cases/{FORCE}/TS-1"), None)
        .await
        .json()
        .await
        .expect("json");
    let text = case["timeline"].to_string();
    assert!(!text.contains("backdated") && !text.contains("next week"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_throttled_per_client_address_across_accounts() {
    let server = common::start().await;
    // 30 wrong passwords from one address, spread over many usernames (never 5 for one)...
    for attempt in 0..web::auth::ADDRESS_LOCKOUT_FAILURES {
        let username = format!("guess{}", attempt % 10);
        let response = server.sign_in_response(&username, "not-the-password").await;
        assert_eq!(response.status().as_u16(), 401);
    }
    // ...lock sign-in from that address, even with a correct password of an untouched account.
    let response = server.sign_in_response("inv", common::PASSWORD).await;
    assert_eq!(response.status().as_u16(), 401, "the address is locked out");
    // Another address is not affected (the store counts per address, so a second client's
    // failures start from nothing): checked at the level of the counter.
    let window = chrono::Utc::now() - chrono::Duration::minutes(15);
    assert_eq!(
        server
            .store
            .sign_in_failures("address:127.0.0.1", window)
            .await
            .expect("count"),
        web::auth::ADDRESS_LOCKOUT_FAILURES as u64
    );
    assert_eq!(
        server
            .store
            .sign_in_failures("address:10.0.0.9", window)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_stall_are_closed() {
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let router = axum::Router::new().route(
        "/",
        axum::routing::post(|body: axum::body::Bytes| async move { format!("{}", body.len()) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let limits = web::server::Limits {
        header: Duration::from_millis(300),
        body_idle: Duration::from_millis(300),
    };
    tokio::spawn(web::server::serve_router(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    let closed_within = |mut stream: tokio::net::TcpStream, limit: Duration| async move {
        let mut buffer = Vec::new();
        tokio::time::timeout(limit, stream.read_to_end(&mut buffer))
            .await
            .map(|_| String::from_utf8_lossy(&buffer).into_owned())
    };
    // A client that connects and says nothing.
    let silent = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    assert!(
        closed_within(silent, Duration::from_secs(3)).await.is_ok(),
        "a silent connection is closed"
    );
    // A client that sends half a header and stops.
    let mut slow = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    assert!(closed_within(slow, Duration::from_secs(3)).await.is_ok());
    // A client whose body stalls half-way gets no answer of success, and is cut off.
    let mut stalled = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")
        .await
        .expect("write");
    let answer = closed_within(stalled, Duration::from_secs(3))
        .await
        .expect("closed");
    assert!(!answer.contains("200 OK"), "{answer}");
    // A keep-alive connection left idle after a request is closed too.
    let mut idle = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    idle.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
        .await
        .expect("write");
    let answer = closed_within(idle, Duration::from_secs(3))
        .await
        .expect("closed after idling");
    assert!(
        answer.contains("200 OK") && answer.ends_with('2'),
        "{answer}"
    );
}

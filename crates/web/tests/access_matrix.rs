//! The access-control matrix: every role x every route x member of the case or not, over HTTP,
//! against a table written out here by hand; then the force boundary: every testshire user on a
//! case of another force whose team has their very officer identifiers, and national users and
//! an account without a force. A route added to `web::routes::ROUTES` without a row here fails
//! the test.

mod common;

use common::{NATIONAL_USERS, Server, Session, USERS};
use reqwest::Method;

/// Codes for the roles in the order fr, inv, sup, lead, ana, par, adm.
struct Row {
    method: &'static str,
    path: &'static str,
    /// On TS-1 (every test user is allocated to it).
    member: [u16; 7],
    /// On TS-2 (no test user is allocated to it).
    outsider: [u16; 7],
    /// On TS-1, for the users of `NATIONAL_USERS`: a national leader, analyst and administrator
    /// (of no force, crossing force boundaries where the role allows), and an investigator
    /// account made without a force (which is not national and reaches no case data).
    national: [u16; 4],
}

const fn row(
    method: &'static str,
    path: &'static str,
    member: [u16; 7],
    outsider: [u16; 7],
    national: [u16; 4],
) -> Row {
    Row {
        method,
        path,
        member,
        outsider,
        national,
    }
}

impl Row {
    /// For a testshire user on OF-1, otherford's case allocated to officers with their very
    /// identifiers: a route about a case of another force answers 404 to every user of one force
    /// (the case does not exist for them); any other route answers as it does on their own case.
    fn other_force(&self, index: usize) -> u16 {
        if self.path.contains("{case}") {
            404
        } else {
            self.member[index]
        }
    }
}

//                  fr   inv  sup  lead ana  par  adm
const ALL_200: [u16; 7] = [200, 200, 200, 200, 200, 200, 200];
const NONE_404: [u16; 7] = [404, 404, 404, 404, 404, 404, 404];
//                   nat-lead nat-ana nat-adm noforce-inv
const ALL4_200: [u16; 4] = [200, 200, 200, 200];
const NONE4_404: [u16; 4] = [404, 404, 404, 404];

const TABLE: &[Row] = &[
    row("GET", "/", ALL_200, ALL_200, ALL4_200),
    row(
        "GET",
        "/caseload",
        [200, 200, 200, 403, 403, 403, 403],
        [200, 200, 200, 403, 403, 403, 403],
        [403, 403, 403, 403],
    ),
    row(
        "GET",
        "/team",
        [403, 403, 200, 200, 403, 403, 403],
        [403, 403, 200, 200, 403, 403, 403],
        [200, 403, 403, 403],
    ),
    row(
        "GET",
        "/cases/{force}/{case}",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    // Opening a case: for those who work cases, in their own force (an account of no force,
    // national or not, opens none).
    row(
        "GET",
        "/cases/new",
        [200, 200, 200, 403, 403, 403, 403],
        [200, 200, 200, 403, 403, 403, 403],
        [403, 403, 403, 403],
    ),
    row(
        "POST",
        "/cases/new",
        [303, 303, 303, 403, 403, 403, 403],
        [303, 303, 303, 403, 403, 403, 403],
        [403, 403, 403, 403],
    ),
    row(
        "GET",
        "/cases/{force}/{case}/record",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "GET",
        "/cases/{force}/{case}/record/{kind}",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "POST",
        "/cases/{force}/{case}/record/{kind}",
        [303, 303, 303, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "POST",
        "/cases/{force}/{case}/events",
        [303, 303, 303, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "GET",
        "/cases/{force}/{case}/people/{person}/identity",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "POST",
        "/cases/{force}/{case}/people/{person}/identity",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "GET",
        "/cases/{force}/{case}/audit",
        [403, 403, 200, 200, 404, 404, 404],
        [404, 404, 404, 200, 404, 404, 404],
        [200, 404, 404, 404],
    ),
    row(
        "GET",
        "/cases/{force}/{case}/links",
        [200, 200, 200, 404, 200, 404, 404],
        [404, 404, 404, 404, 200, 404, 404],
        [404, 200, 404, 404],
    ),
    row(
        "POST",
        "/cases/{force}/{case}/links/{link}",
        [403, 303, 303, 404, 303, 404, 404],
        [404, 404, 404, 404, 303, 404, 404],
        [404, 303, 404, 404],
    ),
    // Users: administrators (of their force; a national administrator every force).
    row(
        "GET",
        "/admin/users",
        [403, 403, 403, 403, 403, 403, 200],
        [403, 403, 403, 403, 403, 403, 200],
        [403, 403, 200, 403],
    ),
    row(
        "POST",
        "/admin/users",
        [403, 403, 403, 403, 403, 403, 303],
        [403, 403, 403, 403, 403, 403, 303],
        [403, 403, 303, 403],
    ),
    row(
        "POST",
        "/admin/users/{username}/disabled",
        [403, 403, 403, 403, 403, 403, 303],
        [403, 403, 403, 403, 403, 403, 303],
        [403, 403, 303, 403],
    ),
    row(
        "POST",
        "/admin/users/{username}/force",
        [403, 403, 403, 403, 403, 403, 303],
        [403, 403, 403, 403, 403, 403, 303],
        [403, 403, 303, 403],
    ),
    row(
        "POST",
        "/admin/users/{username}/role",
        [403, 403, 403, 403, 403, 403, 303],
        [403, 403, 403, 403, 403, 403, 303],
        [403, 403, 303, 403],
    ),
    row(
        "GET",
        "/break-glass",
        [200, 200, 200, 200, 403, 403, 403],
        [200, 200, 200, 200, 403, 403, 403],
        [200, 403, 403, 200],
    ),
    row(
        "POST",
        "/break-glass",
        [303, 303, 303, 303, 403, 403, 403],
        [303, 303, 303, 303, 403, 403, 403],
        [303, 403, 403, 404],
    ),
    row("GET", "/guidance", ALL_200, ALL_200, ALL4_200),
    row("GET", "/guidance/{*id}", ALL_200, ALL_200, ALL4_200),
    row(
        "GET",
        "/reports/leaders",
        [403, 403, 200, 200, 200, 403, 403],
        [403, 403, 200, 200, 200, 403, 403],
        [200, 200, 403, 403],
    ),
    row(
        "GET",
        "/api/caseload",
        [200, 200, 200, 403, 403, 403, 403],
        [200, 200, 200, 403, 403, 403, 403],
        [403, 403, 403, 403],
    ),
    row(
        "GET",
        "/api/team",
        [403, 403, 200, 200, 403, 403, 403],
        [403, 403, 200, 200, 403, 403, 403],
        [200, 403, 403, 403],
    ),
    row(
        "GET",
        "/api/cases/{force}/{case}",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "POST",
        "/api/cases/{force}/{case}/events",
        [201, 201, 201, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "POST",
        "/api/cases/{force}/{case}/people/{person}/identity",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "GET",
        "/api/cases/{force}/{case}/audit",
        [403, 403, 200, 200, 404, 404, 404],
        [404, 404, 404, 200, 404, 404, 404],
        [200, 404, 404, 404],
    ),
    row(
        "GET",
        "/api/cases/{force}/{case}/links",
        [200, 200, 200, 404, 200, 404, 404],
        [404, 404, 404, 404, 200, 404, 404],
        [404, 200, 404, 404],
    ),
    row(
        "POST",
        "/api/cases/{force}/{case}/links/{link}",
        [403, 200, 200, 404, 200, 404, 404],
        [404, 404, 404, 404, 200, 404, 404],
        [404, 200, 404, 404],
    ),
    row(
        "POST",
        "/api/break-glass",
        [204, 204, 204, 204, 403, 403, 403],
        [204, 204, 204, 204, 403, 403, 403],
        [204, 403, 403, 404],
    ),
    row("GET", "/api/guidance", ALL_200, ALL_200, ALL4_200),
    row("GET", "/api/guidance/{*id}", ALL_200, ALL_200, ALL4_200),
    row(
        "GET",
        "/api/reports/leaders",
        [403, 403, 200, 200, 200, 403, 403],
        [403, 403, 200, 200, 200, 403, 403],
        [200, 200, 403, 403],
    ),
    // Sharing with partners. TS-1 is shared with the partner `par`, TS-2 with nobody: for the
    // partner, the "member" column means "the case is shared with them".
    row(
        "POST",
        "/cases/{force}/{case}/shares",
        [303, 303, 303, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "POST",
        "/cases/{force}/{case}/shares/{id}/revoke",
        [303, 303, 303, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "GET",
        "/shared",
        [403, 403, 403, 403, 403, 200, 403],
        [403, 403, 403, 403, 403, 200, 403],
        [403, 403, 403, 403],
    ),
    row(
        "GET",
        "/shared/{force}/{case}",
        [404, 404, 404, 404, 404, 200, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "POST",
        "/api/cases/{force}/{case}/shares",
        [201, 201, 201, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "DELETE",
        "/api/cases/{force}/{case}/shares/{id}",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
        NONE4_404,
    ),
    row(
        "GET",
        "/api/shared",
        [403, 403, 403, 403, 403, 200, 403],
        [403, 403, 403, 403, 403, 200, 403],
        [403, 403, 403, 403],
    ),
    row(
        "GET",
        "/api/shared/{force}/{case}",
        [404, 404, 404, 404, 404, 200, 404],
        NONE_404,
        NONE4_404,
    ),
];

/// Routes with no case data or no role decision, tested elsewhere (sign-in, sign-out, public).
const ELSEWHERE: &[(&str, &str)] = &[
    ("GET", "/static/app.css"),
    ("GET", "/static/vendor/htmx.min.js"),
    ("GET", "/static/app.js"),
    ("GET", "/static/vendor/govuk/govuk-frontend.min.css"),
    ("GET", "/static/vendor/govuk/govuk-frontend.min.js"),
    ("GET", "/signed-out"),
    ("GET", "/favicon.ico"),
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("POST", "/sign-out"),
    ("GET", "/api/openapi.json"),
    ("POST", "/api/session"),
    ("DELETE", "/api/session"),
];

#[test]
fn every_route_has_a_row() {
    for route in web::routes::ROUTES {
        let covered = TABLE
            .iter()
            .any(|r| r.method == route.method && r.path == route.path)
            || ELSEWHERE.contains(&(route.method, route.path));
        assert!(
            covered,
            "route {} {} has no row in the access matrix",
            route.method, route.path
        );
    }
    assert_eq!(TABLE.len() + ELSEWHERE.len(), web::routes::ROUTES.len());
}

async fn call(server: &Server, session: &Session, row: &Row, case: &str) -> u16 {
    let force = if case.starts_with("OF-") {
        common::OTHER_FORCE
    } else {
        common::FORCE
    };
    let path = row
        .path
        .replace("{force}", force)
        .replace("{case}", case)
        .replace("{person}", "V1")
        // Revoking always names the spare share of TS-1, so the kept one still grants the partner.
        .replace("{id}", &common::SPARE_SHARE.to_string())
        // Link 1 joins the suspects of TS-1 and TS-2 (the fixture's suspects are one person).
        .replace("{link}", "1")
        .replace("{*id}", "nom/introduction")
        .replace("{kind}", "note")
        // The analyst, enabled again (a no-op) or kept in their force: no row after it needs
        // their session.
        .replace("{username}", "ana");
    let api = path.starts_with("/api/");
    let response = match (row.method, api) {
        ("GET", false) => server.get(session, &path).await,
        ("GET", true) => server.api(session, Method::GET, &path, None).await,
        ("POST", false) if path == "/cases/new" => {
            // A new reference every time: each call opens a case of its own.
            static OPENED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = OPENED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let reference = format!("MX-{n}-{}", session.token.get(..8).unwrap_or("x"));
            server.post_form(session, &path, &[("reference", reference.as_str()), ("when-date", "2026-11-02"), ("when-time", "10:00")]).await
        }
        ("POST", false) if path == "/admin/users" => {
            static ADDED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = ADDED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let username = format!("mx-user-{n}-{}", session.token.get(..6).unwrap_or("x"));
            server.post_form(session, &path, &[("username", username.as_str()), ("name", "Matrix User"), ("role", "investigator"), ("force", common::FORCE), ("password", "a long enough password")]).await
        }
        ("POST", false) if path.ends_with("/disabled") => {
            server.post_form(session, &path, &[("disabled", "no")]).await
        }
        ("POST", false) if path.ends_with("/role") => {
            server.post_form(session, &path, &[("role", "analyst")]).await
        }
        ("POST", false) if path.ends_with("/force") => {
            server.post_form(session, &path, &[("force", common::FORCE)]).await
        }
        ("POST", false) if path.ends_with("/record/note") => {
            server.post_form(session, &path, &[("text", "matrix test"), ("when-date", ""), ("when-time", "")]).await
        }
        ("POST", false) if path.ends_with("/events") => {
            server.post_form(session, &path, &[("kind", "note"), ("text", "matrix test")]).await
        }
        ("POST", true) if path.ends_with("/events") => {
            server.api(session, Method::POST, &path, Some(serde_json::json!({"kind": "note", "text": "matrix test"}))).await
        }
        ("POST", false) if path.ends_with("/links/1") => {
            server.post_form(session, &path, &[("decision", "confirm"), ("reason", "matrix test decision")]).await
        }
        ("POST", true) if path.ends_with("/links/1") => {
            server.api(session, Method::POST, &path, Some(serde_json::json!({"decision": "confirm", "reason": "matrix test decision"}))).await
        }
        ("POST", false) if path.ends_with("/identity") => {
            server.post_form(session, &path, &[("reason", "matrix test of unsealing")]).await
        }
        ("POST", true) if path.ends_with("/identity") => {
            server.api(session, Method::POST, &path, Some(serde_json::json!({"reason": "matrix test of unsealing"}))).await
        }
        ("POST", false) if path.ends_with("/shares") => {
            server.post_form(session, &path, &[("partner", "par"), ("items", "status"), ("reason", "matrix test of sharing")]).await
        }
        ("POST", false) if path.ends_with("/revoke") => server.post_form(session, &path, &[]).await,
        ("POST", true) if path.ends_with("/shares") => {
            server.api(session, Method::POST, &path, Some(serde_json::json!({"partner": "par", "items": ["status"], "reason": "matrix test of sharing"}))).await
        }
        ("DELETE", true) => server.api(session, Method::DELETE, &path, None).await,
        // Break-glass always names TS-3, so that the grant does not change the other rows.
        ("POST", false) => {
            server.post_form(session, &path, &[("force", common::FORCE), ("case", "TS-3"), ("reason", "matrix test break glass")]).await
        }
        ("POST", true) => {
            server.api(session, Method::POST, &path, Some(serde_json::json!({"force": common::FORCE, "case": "TS-3", "reason": "matrix test break glass"}))).await
        }
        other => panic!("no call for {other:?}"),
    };
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_every_route_member_or_not() {
    let server = common::start().await;
    let mut failures = Vec::new();
    for (index, (username, role)) in USERS.iter().enumerate() {
        let session = server.sign_in(username).await;
        for row in TABLE {
            for (case, expected) in [("TS-1", row.member[index]), ("TS-2", row.outsider[index])] {
                let got = call(&server, &session, row, case).await;
                if got != expected {
                    failures.push(format!(
                        "{role} {} {} on {case}: expected {expected}, got {got}",
                        row.method, row.path
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "access matrix mismatches:\n{}",
        failures.join("\n")
    );
}

/// The force boundary: every testshire user on OF-1, otherford's case allocated to otherford
/// officers whose identifiers are the testshire users' own (officer `inv` of otherford is not
/// officer `inv` of testshire); and national users, and an account made without a force, on
/// TS-1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_boundaries_hold_on_every_route() {
    let server = common::start().await;
    let mut failures = Vec::new();
    for (index, (username, role)) in USERS.iter().enumerate() {
        let session = server.sign_in(username).await;
        for row in TABLE {
            let expected = row.other_force(index);
            let got = call(&server, &session, row, "OF-1").await;
            if got != expected {
                failures.push(format!(
                    "testshire {role} {} {} on otherford's OF-1: expected {expected}, got {got}",
                    row.method, row.path
                ));
            }
        }
    }
    for (index, (username, role, national)) in NATIONAL_USERS.iter().enumerate() {
        let session = server.sign_in(username).await;
        for row in TABLE {
            let expected = row.national[index];
            let got = call(&server, &session, row, "TS-1").await;
            if got != expected {
                failures.push(format!(
                    "{} {role} {} {} on TS-1: expected {expected}, got {got}",
                    if *national { "national" } else { "no-force" },
                    row.method,
                    row.path
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "force boundary mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_signed_in_gets_nothing() {
    let server = common::start().await;
    let anonymous = Session {
        cookie: String::new(),
        csrf: String::new(),
        token: "0".repeat(64),
    };
    for row in TABLE {
        let got = call(&server, &anonymous, row, "TS-1").await;
        // Pages send the browser to the sign-in page; the API answers 401.
        let expected = if row.path.starts_with("/api/") {
            401
        } else {
            303
        };
        assert_eq!(
            got, expected,
            "{} {} without a session",
            row.method, row.path
        );
    }
}

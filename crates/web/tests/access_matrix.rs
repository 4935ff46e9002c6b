//! The access-control matrix: every role x every route x member of the case or not, over HTTP,
//! against a table written out here by hand. A route added to `web::routes::ROUTES` without a row
//! here fails the test.

mod common;

use common::{Server, Session, USERS};
use reqwest::Method;

/// Codes for the roles in the order fr, inv, sup, lead, ana, par, adm.
struct Row {
    method: &'static str,
    path: &'static str,
    /// On TS-1 (every test user is allocated to it).
    member: [u16; 7],
    /// On TS-2 (no test user is allocated to it).
    outsider: [u16; 7],
}

const fn row(
    method: &'static str,
    path: &'static str,
    member: [u16; 7],
    outsider: [u16; 7],
) -> Row {
    Row {
        method,
        path,
        member,
        outsider,
    }
}

//                  fr   inv  sup  lead ana  par  adm
const ALL_200: [u16; 7] = [200, 200, 200, 200, 200, 200, 200];
const NONE_404: [u16; 7] = [404, 404, 404, 404, 404, 404, 404];

const TABLE: &[Row] = &[
    row("GET", "/", ALL_200, ALL_200),
    row(
        "GET",
        "/caseload",
        [200, 200, 200, 403, 403, 403, 403],
        [200, 200, 200, 403, 403, 403, 403],
    ),
    row(
        "GET",
        "/team",
        [403, 403, 200, 200, 403, 403, 403],
        [403, 403, 200, 200, 403, 403, 403],
    ),
    row(
        "GET",
        "/cases/{force}/{case}",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
    ),
    row(
        "POST",
        "/cases/{force}/{case}/events",
        [303, 303, 303, 404, 404, 404, 404],
        NONE_404,
    ),
    row(
        "GET",
        "/cases/{force}/{case}/people/{person}/identity",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
    ),
    row(
        "POST",
        "/cases/{force}/{case}/people/{person}/identity",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
    ),
    row(
        "GET",
        "/cases/{force}/{case}/audit",
        [403, 403, 200, 200, 404, 404, 404],
        [404, 404, 404, 200, 404, 404, 404],
    ),
    row(
        "GET",
        "/cases/{force}/{case}/links",
        [200, 200, 200, 404, 200, 404, 404],
        [404, 404, 404, 404, 200, 404, 404],
    ),
    row(
        "POST",
        "/cases/{force}/{case}/links/{link}",
        [403, 303, 303, 404, 303, 404, 404],
        [404, 404, 404, 404, 303, 404, 404],
    ),
    row(
        "GET",
        "/break-glass",
        [200, 200, 200, 200, 403, 403, 403],
        [200, 200, 200, 200, 403, 403, 403],
    ),
    row(
        "POST",
        "/break-glass",
        [303, 303, 303, 303, 403, 403, 403],
        [303, 303, 303, 303, 403, 403, 403],
    ),
    row("GET", "/guidance", ALL_200, ALL_200),
    row("GET", "/guidance/{*id}", ALL_200, ALL_200),
    row(
        "GET",
        "/reports/leaders",
        [403, 403, 200, 200, 200, 403, 403],
        [403, 403, 200, 200, 200, 403, 403],
    ),
    row(
        "GET",
        "/api/caseload",
        [200, 200, 200, 403, 403, 403, 403],
        [200, 200, 200, 403, 403, 403, 403],
    ),
    row(
        "GET",
        "/api/team",
        [403, 403, 200, 200, 403, 403, 403],
        [403, 403, 200, 200, 403, 403, 403],
    ),
    row(
        "GET",
        "/api/cases/{force}/{case}",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
    ),
    row(
        "POST",
        "/api/cases/{force}/{case}/events",
        [201, 201, 201, 404, 404, 404, 404],
        NONE_404,
    ),
    row(
        "POST",
        "/api/cases/{force}/{case}/people/{person}/identity",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
    ),
    row(
        "GET",
        "/api/cases/{force}/{case}/audit",
        [403, 403, 200, 200, 404, 404, 404],
        [404, 404, 404, 200, 404, 404, 404],
    ),
    row(
        "GET",
        "/api/cases/{force}/{case}/links",
        [200, 200, 200, 404, 200, 404, 404],
        [404, 404, 404, 404, 200, 404, 404],
    ),
    row(
        "POST",
        "/api/cases/{force}/{case}/links/{link}",
        [403, 200, 200, 404, 200, 404, 404],
        [404, 404, 404, 404, 200, 404, 404],
    ),
    row(
        "POST",
        "/api/break-glass",
        [204, 204, 204, 204, 403, 403, 403],
        [204, 204, 204, 204, 403, 403, 403],
    ),
    row("GET", "/api/guidance", ALL_200, ALL_200),
    row("GET", "/api/guidance/{*id}", ALL_200, ALL_200),
    row(
        "GET",
        "/api/reports/leaders",
        [403, 403, 200, 200, 200, 403, 403],
        [403, 403, 200, 200, 200, 403, 403],
    ),
    // Sharing with partners. TS-1 is shared with the partner `par`, TS-2 with nobody: for the
    // partner, the "member" column means "the case is shared with them".
    row(
        "POST",
        "/cases/{force}/{case}/shares",
        [303, 303, 303, 404, 404, 404, 404],
        NONE_404,
    ),
    row(
        "POST",
        "/cases/{force}/{case}/shares/{id}/revoke",
        [303, 303, 303, 404, 404, 404, 404],
        NONE_404,
    ),
    row(
        "GET",
        "/shared",
        [403, 403, 403, 403, 403, 200, 403],
        [403, 403, 403, 403, 403, 200, 403],
    ),
    row(
        "GET",
        "/shared/{force}/{case}",
        [404, 404, 404, 404, 404, 200, 404],
        NONE_404,
    ),
    row(
        "POST",
        "/api/cases/{force}/{case}/shares",
        [201, 201, 201, 404, 404, 404, 404],
        NONE_404,
    ),
    row(
        "DELETE",
        "/api/cases/{force}/{case}/shares/{id}",
        [200, 200, 200, 404, 404, 404, 404],
        NONE_404,
    ),
    row(
        "GET",
        "/api/shared",
        [403, 403, 403, 403, 403, 200, 403],
        [403, 403, 403, 403, 403, 200, 403],
    ),
    row(
        "GET",
        "/api/shared/{force}/{case}",
        [404, 404, 404, 404, 404, 200, 404],
        NONE_404,
    ),
];

/// Routes with no case data or no role decision, tested elsewhere (sign-in, sign-out, public).
const ELSEWHERE: &[(&str, &str)] = &[
    ("GET", "/static/app.css"),
    ("GET", "/static/vendor/htmx.min.js"),
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
    let path = row
        .path
        .replace("{force}", common::FORCE)
        .replace("{case}", case)
        .replace("{person}", "V1")
        // Revoking always names the spare share of TS-1, so the kept one still grants the partner.
        .replace("{id}", &common::SPARE_SHARE.to_string())
        // Link 1 joins the suspects of TS-1 and TS-2 (the fixture's suspects are one person).
        .replace("{link}", "1")
        .replace("{*id}", "nom/introduction");
    let api = path.starts_with("/api/");
    let response = match (row.method, api) {
        ("GET", false) => server.get(session, &path).await,
        ("GET", true) => server.api(session, Method::GET, &path, None).await,
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

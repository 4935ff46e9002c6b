//! End-to-end HTTP behaviour: sessions, CSRF, lockout, headers, audit, recording events, the breach
//! warning, break-glass, sealed identity, API errors and the OpenAPI document.

mod common;

use reqwest::Method;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_cookie_headers_and_sign_out() {
    let server = common::start().await;
    let response = server.sign_in_response("inv", common::PASSWORD).await;
    assert_eq!(response.status(), 303);
    let set_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__Host-rasso-session="))
        .expect("session cookie")
        .to_owned();
    for part in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(
            set_cookie.contains(part),
            "cookie lacks {part}: {set_cookie}"
        );
    }
    assert!(!set_cookie.contains("Domain"));

    let session = server.sign_in("inv").await;
    let page = server.get(&session, "/caseload").await;
    assert_eq!(page.status(), 200);
    let headers = page.headers();
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "no HSTS over plain HTTP"
    );
    let body = page.text().await.expect("body");
    assert!(
        body.contains("TS-1") && !body.contains("TS-2"),
        "caseload shows my cases only"
    );
    assert_eq!(
        body.matches("<script").count(),
        body.matches("<script src=\"/static/vendor/htmx.min.js\" defer></script>")
            .count()
            + body
                .matches("<script type=\"module\" src=\"/static/app.js\"></script>")
                .count(),
        "no script but the vendored htmx and rasso's module, and nothing inline"
    );

    // Sign-out needs the CSRF token, and ends the session server-side.
    let refused = server
        .post_form(
            &common::Session {
                csrf: "wrong".into(),
                ..session.clone()
            },
            "/sign-out",
            &[],
        )
        .await;
    assert_eq!(refused.status(), 403);
    let out = server.post_form(&session, "/sign-out", &[]).await;
    assert_eq!(out.status(), 303);
    let after = server.get(&session, "/caseload").await;
    assert_eq!(after.status(), 303, "the old cookie no longer works");
    let api = server
        .api(&session, Method::GET, "/api/caseload", None)
        .await;
    assert_eq!(api.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockout_and_no_user_enumeration() {
    let server = common::start().await;
    let unknown = server.sign_in_response("nobody", "whatever-password").await;
    assert_eq!(unknown.status(), 401);
    let unknown_body = unknown.text().await.expect("body");
    let wrong = server.sign_in_response("inv", "wrong password").await;
    assert_eq!(wrong.status(), 401);
    let wrong_body = wrong.text().await.expect("body");
    let message = "Enter a correct username and password.";
    assert!(unknown_body.contains(message) && wrong_body.contains(message));
    for _ in 0..4 {
        let _ = server.sign_in_response("inv", "wrong password").await;
    }
    let locked = server.sign_in_response("inv", common::PASSWORD).await;
    assert_eq!(
        locked.status(),
        401,
        "locked after 5 failures, even with the right password"
    );
    assert!(locked.text().await.expect("body").contains(message));
    // Another user is not affected.
    let _ = server.sign_in("sup").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_form_needs_its_csrf_cookie() {
    let server = common::start().await;
    let response = server
        .client
        .post(server.url("/sign-in"))
        .form(&[
            ("csrf", "abc"),
            ("username", "inv"),
            ("password", common::PASSWORD),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_audit_record_per_case_request_and_identity_stays_out_of_pages() {
    let server = common::start().await;
    let session = server.sign_in("inv").await;
    let before = server.audit_count().await;
    let page = server.get(&session, "/cases/testshire/TS-1").await;
    assert_eq!(page.status(), 200);
    let body = page.text().await.expect("body");
    assert_eq!(
        server.audit_count().await,
        before + 1,
        "a case page writes one audit record"
    );
    assert!(
        !body.contains("Zelphinia"),
        "identity is sealed on the case page"
    );
    let before = server.audit_count().await;
    let caseload = server.get(&session, "/caseload").await;
    assert_eq!(caseload.status(), 200);
    assert_eq!(
        server.audit_count().await,
        before + 1,
        "a caseload writes one audit record"
    );
    let before = server.audit_count().await;
    let api = server
        .api(&session, Method::GET, "/api/cases/testshire/TS-1", None)
        .await;
    assert_eq!(api.status(), 200);
    let json = api.text().await.expect("json");
    assert!(!json.contains("Zelphinia"));
    assert_eq!(server.audit_count().await, before + 1);
    // The case team unseals (audited) ...
    let identity = server
        .get(&session, "/cases/testshire/TS-1/people/V1/identity")
        .await;
    assert!(
        identity
            .text()
            .await
            .expect("body")
            .contains("Zelphinia Quorrable")
    );
    let records = server.store.audit_records(0, 100_000).await.expect("audit");
    assert!(
        records
            .iter()
            .any(|r| r.object == "identity:testshire/TS-1/V1" && r.actor == "user:inv")
    );
    assert!(records.iter().all(|r| {
        !serde_json::to_string(r)
            .expect("json")
            .contains("Zelphinia")
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn victim_informed_turns_the_finding_met() {
    let server = common::start().await;
    let session = server.sign_in("inv").await;
    let body = server
        .get(&session, "/cases/testshire/TS-1")
        .await
        .text()
        .await
        .expect("body");
    assert!(body.contains("data-rule=\"VC-INFORM\" data-trigger=\"suspect_arrested\" data-person=\"V1\" data-status=\"due\""));
    let response = server
        .post_form(
            &session,
            "/cases/testshire/TS-1/events",
            &[
                ("kind", "victim_informed"),
                ("person", "V1"),
                ("about", "arrest"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let body = server
        .get(&session, "/cases/testshire/TS-1?recorded=1")
        .await
        .text()
        .await
        .expect("body");
    assert!(body.contains("data-rule=\"VC-INFORM\" data-trigger=\"suspect_arrested\" data-person=\"V1\" data-status=\"met\""));
    assert!(body.contains("Victim informed"), "on the timeline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breach_is_announced_before_anything_is_recorded() {
    let server = common::start().await;
    let session = server.sign_in("inv").await;
    let before = server
        .store
        .list_cases(
            &storage::Access::new("test", storage::Purpose::Administration),
            &storage::CaseFilter::default(),
        )
        .await
        .expect("list");
    let version = |list: &[storage::CaseSummary]| {
        list.iter()
            .find(|c| c.reference == "TS-1")
            .map(|c| c.version)
    };
    let v0 = version(&before);
    let warned = server
        .post_form(
            &session,
            "/cases/testshire/TS-1/events",
            &[("kind", "device_extraction"), ("person", "V1")],
        )
        .await;
    assert_eq!(warned.status(), 200);
    let body = warned.text().await.expect("body");
    assert!(
        body.contains("Recording this would create a breach") && body.contains("DIG-SAFEGUARDS")
    );
    let after = server
        .store
        .list_cases(
            &storage::Access::new("test", storage::Purpose::Administration),
            &storage::CaseFilter::default(),
        )
        .await
        .expect("list");
    assert_eq!(version(&after), v0, "nothing recorded yet");
    let confirmed = server
        .post_form(
            &session,
            "/cases/testshire/TS-1/events",
            &[
                ("kind", "device_extraction"),
                ("person", "V1"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(confirmed.status(), 303);
    // The API says 409 would_breach, then records with confirm=true.
    let api = server
        .api(&session, Method::POST, "/api/cases/testshire/TS-1/events", Some(serde_json::json!({"kind": "third_party_request", "person": "V1", "holder": "GP surgery"})))
        .await;
    assert_eq!(api.status(), 409);
    let json: serde_json::Value = api.json().await.expect("json");
    assert_eq!(json["code"], "would_breach");
    assert_eq!(json["findings"][0]["rule"], "TPM-RATIONALE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_400_naming_the_field() {
    let server = common::start().await;
    let session = server.sign_in("inv").await;
    let cases: [(serde_json::Value, &str); 5] = [
        (
            serde_json::json!({"kind": "victim_informed", "person": "V1", "about": "bogus"}),
            "about",
        ),
        (
            serde_json::json!({"kind": "victim_informed", "person": "V1"}),
            "about",
        ),
        (
            serde_json::json!({"kind": "victim_informed", "person": "V9", "about": "arrest"}),
            "person",
        ),
        (serde_json::json!({"kind": "no_such_kind"}), "kind"),
        (
            serde_json::json!({"kind": "note", "text": "x", "at": "yesterday"}),
            "at",
        ),
    ];
    for (body, field) in cases {
        let response = server
            .api(
                &session,
                Method::POST,
                "/api/cases/testshire/TS-1/events",
                Some(body.clone()),
            )
            .await;
        assert_eq!(response.status(), 400, "{body}");
        let json: serde_json::Value = response.json().await.expect("json");
        assert_eq!(json["field"], field, "{body}: {json}");
        assert_eq!(json["code"], "invalid_input");
    }
    let response = server
        .client
        .post(server.url("/api/cases/testshire/TS-1/events"))
        .bearer_auth(&session.token)
        .body("not json")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 400);
    let json: serde_json::Value = response.json().await.expect("json");
    assert_eq!(json["code"], "bad_request");
    let response = server
        .api(
            &session,
            Method::POST,
            "/api/cases/testshire/TS-1/events?confirm=maybe",
            Some(serde_json::json!({"kind": "note", "text": "x"})),
        )
        .await;
    assert_eq!(response.status(), 400);
    let response = server
        .api(&session, Method::GET, "/api/cases/Bad%20Force/TS-1", None)
        .await;
    assert_eq!(response.status(), 400);
    let json: serde_json::Value = response.json().await.expect("json");
    assert_eq!(json["field"], "force");
    // A form with a missing field shows the problem on the case page.
    let page = server
        .post_form(
            &session,
            "/cases/testshire/TS-1/events",
            &[("kind", "victim_informed"), ("person", "V1")],
        )
        .await;
    assert_eq!(page.status(), 400);
    assert!(page.text().await.expect("body").contains("field: about"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_glass_is_audited_and_shown_to_the_supervisor() {
    let server = common::start().await;
    // Analysts may not break glass at all.
    let analyst = server.sign_in("ana").await;
    let refused = server
        .post_form(
            &analyst,
            "/break-glass",
            &[
                ("force", "testshire"),
                ("case", "TS-2"),
                ("reason", "I would like to look"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 403);

    let inv = server.sign_in("inv").await;
    assert_eq!(
        server.get(&inv, "/cases/testshire/TS-2").await.status(),
        404
    );
    let short = server
        .post_form(
            &inv,
            "/break-glass",
            &[
                ("force", "testshire"),
                ("case", "TS-2"),
                ("reason", "short"),
            ],
        )
        .await;
    assert_eq!(short.status(), 400);
    let missing = server
        .post_form(
            &inv,
            "/break-glass",
            &[
                ("force", "testshire"),
                ("case", "TS-99"),
                ("reason", "urgent safeguarding enquiry"),
            ],
        )
        .await;
    assert_eq!(missing.status(), 404);
    let granted = server
        .post_form(
            &inv,
            "/break-glass",
            &[
                ("force", "testshire"),
                ("case", "TS-2"),
                ("reason", "urgent safeguarding enquiry"),
            ],
        )
        .await;
    assert_eq!(granted.status(), 303);
    let page = server.get(&inv, "/cases/testshire/TS-2").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("body")
            .contains("break-glass access")
    );
    // No writing through break-glass; unsealing needs its own reason.
    let write = server
        .post_form(
            &inv,
            "/cases/testshire/TS-2/events",
            &[("kind", "note"), ("text", "x")],
        )
        .await;
    assert_eq!(write.status(), 403);
    let ask = server
        .get(&inv, "/cases/testshire/TS-2/people/V1/identity")
        .await;
    assert!(!ask.text().await.expect("body").contains("Zelphinia"));
    let unsealed = server
        .post_form(
            &inv,
            "/cases/testshire/TS-2/people/V1/identity",
            &[("reason", "identity needed to check a linked report")],
        )
        .await;
    assert!(unsealed.text().await.expect("body").contains("Zelphinia"));
    let records = server.store.audit_records(0, 100_000).await.expect("audit");
    assert!(records.iter().any(|r| r.purpose == "break_glass"
        && r.reason.as_deref() == Some("urgent safeguarding enquiry")
        && r.object == "case:testshire/TS-2"));
    assert!(
        records
            .iter()
            .any(|r| r.object == "identity:testshire/TS-2/V1"
                && r.reason.as_deref() == Some("identity needed to check a linked report"))
    );

    // On TS-1 (where `sup` supervises), a break-glass declaration by the leader shows to `sup`.
    let leader = server.sign_in("lead").await;
    let granted = server
        .post_form(
            &leader,
            "/break-glass",
            &[
                ("force", "testshire"),
                ("case", "TS-1"),
                ("reason", "complaint review by the force lead"),
            ],
        )
        .await;
    assert_eq!(granted.status(), 303);
    let sup = server.sign_in("sup").await;
    let page = server
        .get(&sup, "/cases/testshire/TS-1")
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains("complaint review by the force lead") && page.contains("user:lead"));
    let audit = server
        .get(&sup, "/cases/testshire/TS-1/audit")
        .await
        .text()
        .await
        .expect("body");
    assert!(audit.contains("break_glass"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partners_never_see_restricted_guidance() {
    let server = common::start().await;
    let partner = server.sign_in("par").await;
    let police = server.sign_in("inv").await;
    let restricted: Vec<String> = server
        .state
        .library
        .all_pages()
        .filter(|p| p.restricted)
        .map(|p| p.id.clone())
        .collect();
    assert!(!restricted.is_empty(), "the content has restricted pages");
    for id in &restricted {
        assert_eq!(
            server
                .get(&partner, &format!("/guidance/{id}"))
                .await
                .status(),
            404,
            "{id}"
        );
        assert_eq!(
            server
                .get(&police, &format!("/guidance/{id}"))
                .await
                .status(),
            200,
            "{id}"
        );
    }
    let list = server
        .api(&partner, Method::GET, "/api/guidance", None)
        .await
        .text()
        .await
        .expect("json");
    for id in &restricted {
        assert!(
            !list.contains(&format!("\"{id}\"")),
            "{id} listed for a partner"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_describes_every_api_route_and_the_report_page_works() {
    let server = common::start().await;
    let doc: serde_json::Value = server
        .client
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    for route in web::routes::ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/api/"))
    {
        let path = route.path.replace("{*id}", "{id}");
        let method = route.method.to_lowercase();
        assert!(
            doc["paths"][&path][&method].is_object(),
            "{} {} missing from the OpenAPI document",
            route.method,
            route.path
        );
    }
    let leader = server.sign_in("lead").await;
    let report = server.get(&leader, "/reports/leaders").await;
    assert_eq!(report.status(), 200);
    let csp = report.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    // The report sits inside the site's layout, styled by its stylesheet: nothing inline.
    assert!(!csp.contains("'sha256-") && !csp.contains("unsafe-inline"));
    let page = report.text().await.expect("report");
    assert!(page.contains("class=\"rasso-report\"") && page.contains("govuk-service-navigation"));
    assert!(page.contains("Compliance by rule") && !page.contains("<style>"));
    let csv = server.get(&leader, "/reports/leaders?format=csv").await;
    assert_eq!(csv.status(), 200);
    // A wrong date is shown beside its field and in the error summary, what was typed kept, and
    // no report is built.
    let bad = server
        .get(&leader, "/reports/leaders?from=31/2/2026&to=2026-03-31")
        .await;
    assert_eq!(bad.status(), 400);
    let page = bad.text().await.expect("page");
    assert!(page.contains("href=\"#f-from\"") && page.contains("id=\"f-from-error\""));
    assert!(page.contains("value=\"31/2/2026\"") && page.contains("value=\"2026-03-31\""));
    assert!(!page.contains("rasso-report"));
    let backwards = server
        .get(&leader, "/reports/leaders?from=1/4/2026&to=2026-03-01")
        .await;
    assert_eq!(backwards.status(), 400);
    assert!(
        backwards
            .text()
            .await
            .expect("page")
            .contains("before the end date")
    );
    // The API keeps answering errors as JSON naming the field.
    let api = server
        .get(&leader, "/reports/leaders?from=tomorrow&format=json")
        .await;
    assert_eq!(api.status(), 400);
    let team = server.sign_in("sup").await;
    let body = server.get(&team, "/team").await.text().await.expect("body");
    assert!(body.contains("Caseload per officer") && body.contains("TS-1"));
}

//! The daily work over HTTP: opening a case (the creator allocated, within their force), adding a
//! person (identity sealed), record pages (errors beside the field with the values kept, times in
//! the future or before the report refused, the officer named is the signed-in user, rights by
//! kind), the case page as a story, the protective marking, signed-out and error pages.

mod common;

use chrono::{Duration, Utc};
use reqwest::Method;

fn local(at: chrono::DateTime<Utc>) -> (String, String) {
    web::record::local_parts(&at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_investigator_opens_a_case_and_adds_people() {
    let server = common::start().await;
    let inv = server.sign_in("inv").await;
    let form = server.get(&inv, "/cases/new").await;
    assert_eq!(form.status(), 200);
    // Viewed before the case opens, the caseload is held; the view after must see the force's
    // counter move (it is read with the session) and list again.
    let held = server
        .get(&inv, "/caseload")
        .await
        .text()
        .await
        .expect("body");
    assert!(!held.contains("/cases/testshire/NEW-1"));
    // Reported a fortnight ago: whatever the day of the week (and bank holidays), the victim's
    // two-working-day rights are past due by now. Three days was not enough on a Sunday.
    let reported = Utc::now() - Duration::days(14);
    let (date, time) = local(reported);
    // Errors are beside their fields, with the values kept.
    let refused = server
        .post_form(
            &inv,
            "/cases/new",
            &[
                ("reference", "bad ref!"),
                ("when-date", &date),
                ("when-time", &time),
                ("offences", "SOA2003-s1"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    let body = refused.text().await.expect("body");
    assert!(
        body.contains("href=\"#f-reference\""),
        "summary links to the field"
    );
    assert!(
        body.contains("id=\"f-reference-error\""),
        "error beside the field"
    );
    assert!(body.contains("value=\"bad ref!\""), "value kept");
    let (future_date, future_time) = local(Utc::now() + Duration::days(2));
    let refused = server
        .post_form(
            &inv,
            "/cases/new",
            &[
                ("reference", "NEW-1"),
                ("when-date", &future_date),
                ("when-time", &future_time),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .expect("body")
            .contains("id=\"f-when-error\"")
    );
    let opened = server
        .post_form(
            &inv,
            "/cases/new",
            &[
                ("reference", "NEW-1"),
                ("when-date", &date),
                ("when-time", &time),
                ("offences", "SOA2003-s1"),
                ("channel", "101"),
            ],
        )
        .await;
    assert_eq!(opened.status(), 303);
    assert_eq!(
        opened.headers()["location"],
        "/cases/testshire/NEW-1?created=1"
    );
    // The creator is its officer in case: it is theirs to read, and on their caseload.
    let case: serde_json::Value = server
        .api(&inv, Method::GET, "/api/cases/testshire/NEW-1", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(case["officer_in_case"], "inv");
    let caseload = server
        .get(&inv, "/caseload")
        .await
        .text()
        .await
        .expect("body");
    assert!(caseload.contains("/cases/testshire/NEW-1"));
    // Another investigator of the force does not see it; the reference cannot be taken twice.
    let again = server
        .post_form(
            &inv,
            "/cases/new",
            &[
                ("reference", "NEW-1"),
                ("when-date", &date),
                ("when-time", &time),
            ],
        )
        .await;
    assert_eq!(again.status(), 400);
    // People: the victim's key is given by the server; the name is sealed.
    let (date, time) = local(reported + Duration::hours(1));
    let added = server
        .post_form(
            &inv,
            "/cases/testshire/NEW-1/record/person_added",
            &[
                ("when-date", &date),
                ("when-time", &time),
                ("role", "victim"),
                ("identity.given_name", "Perpetua"),
                ("identity.family_name", "Wrenfield"),
                ("age_at_offence", "24"),
            ],
        )
        .await;
    // A victim added a fortnight ago (an hour after the report) makes the victim's rights overdue
    // now: the page says so, keeps the values, and records on a second yes.
    assert_eq!(added.status(), 200);
    let warned = added.text().await.expect("body");
    assert!(warned.contains("id=\"breach-warning\"") && warned.contains("value=\"Perpetua\""));
    let added = server
        .post_form(
            &inv,
            "/cases/testshire/NEW-1/record/person_added",
            &[
                ("when-date", &date),
                ("when-time", &time),
                ("role", "victim"),
                ("identity.given_name", "Perpetua"),
                ("identity.family_name", "Wrenfield"),
                ("age_at_offence", "24"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(
        added.status(),
        303,
        "{}",
        added.text().await.unwrap_or_default()
    );
    let page = server
        .get(&inv, "/cases/testshire/NEW-1")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("V1") && !page.contains("Perpetua"),
        "sealed on the case page"
    );
    let name = server
        .get(&inv, "/cases/testshire/NEW-1/people/V1/identity")
        .await
        .text()
        .await
        .expect("unseal");
    assert!(
        name.contains("Perpetua Wrenfield"),
        "unsealed for the team, audited"
    );
    // A first responder may add a person; an analyst reaches nothing.
    let ana = server.sign_in("ana").await;
    assert_eq!(server.get(&ana, "/cases/new").await.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_pages_check_time_rights_and_the_officer() {
    let server = common::start().await;
    let fr = server.sign_in("fr").await;
    let sup = server.sign_in("sup").await;
    // A first responder is not offered, and cannot open, a supervisor's form.
    let index = server
        .get(&fr, "/cases/testshire/TS-1/record")
        .await
        .text()
        .await
        .expect("index");
    assert!(index.contains("/record/needs_assessment") && !index.contains("/record/case_closed"));
    assert_eq!(
        server
            .get(&fr, "/cases/testshire/TS-1/record/case_closed")
            .await
            .status(),
        403
    );
    // Before the report is refused, beside the "when" question, values kept.
    let (date, time) = local(Utc::now() - Duration::days(30));
    let refused = server
        .post_form(
            &fr,
            "/cases/testshire/TS-1/record/support_referral",
            &[
                ("when-date", &date),
                ("when-time", &time),
                ("person", "V1"),
                ("service", "Helpline kept"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    let body = refused.text().await.expect("body");
    assert!(
        body.contains("id=\"f-when-error\"") && body.contains("before the offence or its report")
    );
    assert!(body.contains("value=\"Helpline kept\""));
    // The reviewer is the signed-in supervisor, whatever the form says.
    let reviewed = server
        .post_form(
            &sup,
            "/cases/testshire/TS-1/record/supervisor_review",
            &[("note", "plan agreed"), ("officer", "someone-else")],
        )
        .await;
    assert_eq!(reviewed.status(), 303);
    let case: serde_json::Value = server
        .api(&sup, Method::GET, "/api/cases/testshire/TS-1", None)
        .await
        .json()
        .await
        .expect("json");
    let reviews: Vec<&serde_json::Value> = case["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .filter(|d| d["topic"] == "Supervisor review")
        .collect();
    assert_eq!(reviews.len(), 1, "a review is a decision in the log");
    assert_eq!(reviews[0]["officer"], "sup");
    // The team page names officers, and says how its counts differ from the report's.
    let team = server.get(&sup, "/team").await.text().await.expect("team");
    assert!(team.contains("Test adm (adm)") && team.contains("id=\"team-scope\""));
    // A coded value outside the list is refused beside its field.
    let refused = server
        .post_form(
            &sup,
            "/cases/testshire/TS-1/record/bail_extended",
            &[
                ("person", "S1"),
                ("until", "2027-01-01"),
                ("authorised_by", "chief_superintendent_of_tea"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .expect("body")
            .contains("id=\"f-authorised-by-error\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_page_reads_as_a_story_with_the_marking() {
    let server = common::start().await;
    let inv = server.sign_in("inv").await;
    let page = server
        .get(&inv, "/cases/testshire/TS-1")
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("OFFICIAL-SENSITIVE"), "protective marking");
    assert!(
        page.contains("<meta name=\"rasso-idle\" content=\"900\">")
            && page.contains("id=\"idle-warning\""),
        "the idle-timeout warning knows the server's timeout"
    );
    assert!(page.contains("id=\"case-summary\""));
    assert!(page.contains("Rape (SOA2003-s1)"), "offence in words");
    assert!(
        page.contains("Test adm (adm)"),
        "officer in case by name (the latest allocated)"
    );
    assert!(page.contains("S1: arrested"), "suspect status");
    // What needs doing: the open VC-INFORM links to the victim-informed form for V1.
    let tasks = page.split("id=\"task-list\"").nth(1).expect("task list");
    assert!(tasks.contains("data-rule=\"VC-INFORM\""));
    assert!(tasks.contains("/cases/testshire/TS-1/record/victim_informed?person=V1"));
    // The story: plain sentences, UK dates, no field names or UTC instants in the text.
    let story = page.split("id=\"timeline\"").nth(1).expect("timeline");
    let story = story.split("</ol>").next().expect("list");
    assert!(story.contains("S1 was arrested."));
    let text_only: String = story
        .split('<')
        .filter_map(|part| part.split_once('>').map(|(_, text)| text))
        .collect();
    assert!(!text_only.contains("offences:") && !text_only.contains("officer_allocated"));
    let instant = |w: &str| {
        let b = w.as_bytes();
        b.len() >= 11 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T'
    };
    assert!(
        !text_only.split_whitespace().any(instant),
        "no RFC 3339 instant in the story's text: {text_only}"
    );
    // Every page carries the marking: the leaders' report and the sign-in page too.
    let lead = server.sign_in("lead").await;
    let report = server
        .get(&lead, "/reports/leaders")
        .await
        .text()
        .await
        .expect("report");
    assert!(report.contains("OFFICIAL-SENSITIVE"));
    let sign_in = server
        .client
        .get(server.url("/sign-in"))
        .send()
        .await
        .expect("get");
    assert!(
        sign_in
            .text()
            .await
            .expect("body")
            .contains("OFFICIAL-SENSITIVE")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_sessions_and_dead_ends_keep_people_oriented() {
    let server = common::start().await;
    let gone = common::Session {
        cookie: format!("{}={}", web::auth::SESSION_COOKIE, "0".repeat(64)),
        csrf: String::new(),
        token: "0".repeat(64),
    };
    let page = server.get(&gone, "/caseload").await;
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/signed-out");
    // htmx is told where to go instead of being given a page to swap in.
    let htmx = server
        .client
        .get(server.url("/caseload"))
        .header("cookie", &gone.cookie)
        .header("hx-request", "true")
        .send()
        .await
        .expect("get");
    assert_eq!(htmx.status(), 401);
    assert_eq!(htmx.headers()["hx-redirect"], "/signed-out");
    let signed_out = server
        .client
        .get(server.url("/signed-out"))
        .send()
        .await
        .expect("get");
    assert!(
        signed_out
            .text()
            .await
            .expect("body")
            .contains("You have been signed out")
    );
    // Error pages keep the navigation; a case of the force outside the team offers break-glass,
    // a case that does not exist does not, and neither does a role that may not break glass.
    let fr = server.sign_in("fr").await;
    let outside = server.get(&fr, "/cases/testshire/TS-2").await;
    assert_eq!(outside.status(), 404);
    let body = outside.text().await.expect("body");
    assert!(
        body.contains("aria-label=\"Menu\"")
            && body.contains("/break-glass?force=testshire&amp;case=TS-2")
    );
    assert!(
        !body.contains("Zelphinia") && !body.contains("9001"),
        "nothing else of the case"
    );
    let missing = server
        .get(&fr, "/cases/testshire/TS-404")
        .await
        .text()
        .await
        .expect("body");
    assert!(missing.contains("aria-label=\"Menu\"") && !missing.contains("break-glass-offer"));
    let other_force = server
        .get(&fr, "/cases/otherford/OF-1")
        .await
        .text()
        .await
        .expect("body");
    assert!(
        !other_force.contains("break-glass-offer"),
        "another force's case does not exist"
    );
    let ana = server.sign_in("ana").await;
    let analyst = server
        .get(&ana, "/cases/testshire/TS-2")
        .await
        .text()
        .await
        .expect("body");
    assert!(!analyst.contains("break-glass-offer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_manage_the_users_of_their_force() {
    let server = common::start().await;
    let adm = server.sign_in("adm").await;
    let page = server
        .get(&adm, "/admin/users")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("data-user=\"inv\"") && !page.contains("data-user=\"of-inv\""),
        "own force only"
    );
    // A force administrator cannot add a user to another force by sending a force the form
    // does not offer: refused, naming the field, and nobody is added.
    let forged = server
        .post_form(
            &adm,
            "/admin/users",
            &[
                ("username", "elsewhere"),
                ("name", "Else Where"),
                ("role", "investigator"),
                ("force", "otherforce"),
                ("password", common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status(), 400);
    let body = forged.text().await.expect("body");
    assert!(
        body.contains("id=\"user-force-error\""),
        "error beside the field"
    );
    assert!(body.contains("your own force"), "{body}");
    assert!(
        server
            .store
            .user("elsewhere")
            .await
            .expect("read")
            .is_none(),
        "nobody added"
    );
    // Add: errors beside the fields, values kept, never the password.
    let refused = server
        .post_form(
            &adm,
            "/admin/users",
            &[
                ("username", "newbie"),
                ("name", ""),
                ("role", "investigator"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    let body = refused.text().await.expect("body");
    assert!(body.contains("id=\"user-password-error\"") && body.contains("value=\"newbie\""));
    assert!(!body.contains("value=\"short\""));
    let added = server
        .post_form(
            &adm,
            "/admin/users",
            &[
                ("username", "newbie"),
                ("name", "New Bie"),
                ("role", "investigator"),
                ("officer_id", "7001"),
                ("password", common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(added.status(), 303);
    let newbie = server.sign_in("newbie").await;
    assert_eq!(server.get(&newbie, "/caseload").await.status(), 200);
    // Disabling ends the user's session at once.
    let disabled = server
        .post_form(&adm, "/admin/users/newbie/disabled", &[("disabled", "yes")])
        .await;
    assert_eq!(disabled.status(), 303);
    let after = server.get(&newbie, "/caseload").await;
    assert_eq!(after.status(), 303);
    assert_eq!(after.headers()["location"], "/signed-out");
    // Another force's user is not this administrator's to touch.
    let other = server
        .post_form(&adm, "/admin/users/of-inv/disabled", &[("disabled", "yes")])
        .await;
    assert_eq!(other.status(), 404);
    // A national administrator moves a user to another force; their session ends.
    let nat = server.sign_in("nat-adm").await;
    let ana = server.sign_in("ana").await;
    let moved = server
        .post_form(&nat, "/admin/users/ana/force", &[("force", "otherford")])
        .await;
    assert_eq!(moved.status(), 303);
    let after = server.get(&ana, "/").await;
    assert_eq!(after.headers()["location"], "/signed-out", "session ended");
    // Officer identifiers are unique within a force: otherford already has an officer `inv`.
    let taken = server
        .post_form(&nat, "/admin/users/inv/force", &[("force", "otherford")])
        .await;
    assert_eq!(taken.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_change_roles_and_see_recent_sign_ins() {
    let server = common::start().await;
    let adm = server.sign_in("adm").await;
    // A wrong password for a known account and one for an unknown name.
    for username in ["inv", "no-such-user"] {
        let refused = server
            .client
            .post(format!("{}/api/session", server.base))
            .json(&serde_json::json!({"username": username, "password": "wrong password!"}))
            .send()
            .await
            .expect("sign-in");
        assert_eq!(refused.status(), 401);
    }
    let inv = server.sign_in("inv").await;
    let page = server
        .get(&adm, "/admin/users")
        .await
        .text()
        .await
        .expect("page");
    let history = page
        .split("id=\"sign-in-history\"")
        .nth(1)
        .expect("a sign-in history table")
        .split("</table>")
        .next()
        .unwrap_or_default();
    assert!(
        history.contains("data-sign-in=\"inv\"") && history.contains("Refused"),
        "{history}"
    );
    assert!(history.contains("Signed in"));
    assert!(
        !history.contains("no-such-user"),
        "attempts at unknown names are not kept"
    );
    assert!(
        !history.contains("data-sign-in=\"of-inv\""),
        "another force's users are not listed"
    );
    // A role change ends the user's session; the new role shows.
    let changed = server
        .post_form(&adm, "/admin/users/inv/role", &[("role", "supervisor")])
        .await;
    assert_eq!(changed.status(), 303);
    let after = server.get(&inv, "/caseload").await;
    assert_eq!(after.headers()["location"], "/signed-out", "session ended");
    let page = server
        .get(&adm, "/admin/users?done=role")
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("role was changed"));
    // Not an unknown role, not their own role, not another force's user.
    let unknown = server
        .post_form(&adm, "/admin/users/inv/role", &[("role", "chief")])
        .await;
    assert_eq!(unknown.status(), 400);
    let own = server
        .post_form(&adm, "/admin/users/adm/role", &[("role", "leader")])
        .await;
    assert_eq!(own.status(), 400);
    let other = server
        .post_form(&adm, "/admin/users/of-inv/role", &[("role", "leader")])
        .await;
    assert_eq!(other.status(), 404);
    // A national user keeps a role that may be national.
    let nat = server.sign_in("nat-adm").await;
    let national = server
        .post_form(
            &nat,
            "/admin/users/nat-ana/role",
            &[("role", "investigator")],
        )
        .await;
    assert_eq!(national.status(), 400);
    let still = server.state.store.user("nat-ana").await.expect("user");
    assert_eq!(still.map(|u| u.role).as_deref(), Some("analyst"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_posted_after_the_session_ended_keeps_its_draft() {
    let server = common::start().await;
    let gone = common::Session {
        cookie: format!("{}={}", web::auth::SESSION_COOKIE, "0".repeat(64)),
        csrf: "stale".into(),
        token: "0".repeat(64),
    };
    let before = server.audit_count().await;
    let response = server
        .post_form(
            &gone,
            "/cases/testshire/TS-1/record/note",
            &[
                ("when-date", "2026-12-01"),
                ("when-time", "10:00"),
                ("text", "the draft to keep"),
            ],
        )
        .await;
    assert_eq!(response.status(), 401);
    let body = response.text().await.expect("body");
    assert!(body.contains("You have been signed out") && body.contains("the draft to keep"));
    assert!(!body.contains("stale"), "not the CSRF token");
    assert_eq!(server.audit_count().await, before, "nothing read or stored");
    // Without any session (never signed in), the sign-in page, and nothing echoed.
    let anonymous = common::Session {
        cookie: String::new(),
        csrf: String::new(),
        token: String::new(),
    };
    let response = server
        .post_form(
            &anonymous,
            "/cases/testshire/TS-1/record/note",
            &[("text", "x")],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/sign-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caseload_searches_filters_sorts_and_pages() {
    let server = common::start().await;
    let inv = server.sign_in("inv").await;
    // Two more cases of inv's, opened through the page.
    let (date, time) = local(Utc::now() - Duration::days(1));
    for reference in ["ZZ-9", "AA-1"] {
        let opened = server
            .post_form(
                &inv,
                "/cases/new",
                &[
                    ("reference", reference),
                    ("when-date", &date),
                    ("when-time", &time),
                ],
            )
            .await;
        assert_eq!(opened.status(), 303);
    }
    let rows = |body: &str| -> Vec<String> {
        body.split("<a class=\"govuk-link\" href=\"/cases/testshire/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(str::to_owned))
            .collect()
    };
    let all = server
        .get(&inv, "/caseload")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(rows(&all).len(), 3, "{:?}", rows(&all));
    // By reference, or by a person's key (only TS-1 has people).
    let found = server
        .get(&inv, "/caseload?q=zz")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(rows(&found), ["ZZ-9"]);
    let found = server
        .get(&inv, "/caseload?q=V1")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(rows(&found), ["TS-1"]);
    // By rule: only TS-1 has a suspect arrested, so only it waits on VC-INFORM.
    let found = server
        .get(&inv, "/caseload?rule=VC-INFORM")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(rows(&found), ["TS-1"]);
    assert!(found.contains("<option value=\"VC-INFORM\" selected>"));
    // The unfiltered page (rendered once per caseload and reused) chooses no rule and still
    // lists every case after the filtered views.
    let again = server
        .get(&inv, "/caseload")
        .await
        .text()
        .await
        .expect("body");
    assert!(again.contains("<option value=\"VC-INFORM\">"));
    assert_eq!(rows(&again), rows(&all));
    // By reference order.
    let sorted = server
        .get(&inv, "/caseload?sort=reference")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(rows(&sorted), ["AA-1", "TS-1", "ZZ-9"]);
    // A page past the end is empty; bad values are refused naming the field.
    let empty = server
        .get(&inv, "/caseload?page=2")
        .await
        .text()
        .await
        .expect("body");
    assert!(rows(&empty).is_empty());
    for (query, field) in [
        ("page=0", "page"),
        ("sort=height", "sort"),
        ("show=some", "show"),
        ("rule=<x>", "rule"),
    ] {
        let response = server.get(&inv, &format!("/caseload?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        assert!(
            response.text().await.expect("body").contains(field),
            "{query}"
        );
    }
}

/// The team page's caseload per officer counts what the leaders' report counts for officers, when
/// the report's range holds every case: open cases with an officer in case, and their overdue
/// findings (the page says the report's scope is otherwise different).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_counts_match_the_report_over_every_case() {
    let server = common::start().await;
    let lead = server.sign_in("lead").await;
    let team = server.get(&lead, "/team").await.text().await.expect("team");
    assert!(
        team.contains("id=\"team-scope\""),
        "the page says how its scope differs"
    );
    // (open cases, overdue findings) summed over the officers of the team page's table.
    let mut page = (0u64, 0u64);
    for row in team.split("<td data-label=\"Officer\"").skip(1) {
        let officer = row
            .split('>')
            .nth(1)
            .and_then(|rest| rest.split('<').next());
        if officer == Some("unallocated") {
            continue;
        }
        let numbers: Vec<u64> = row
            .split("govuk-table__cell--numeric\">")
            .skip(1)
            .take(2)
            .filter_map(|cell| cell.split('<').next()?.trim().parse().ok())
            .collect();
        assert_eq!(numbers.len(), 2, "two counts in the row: {row}");
        page.0 += numbers[0];
        page.1 += numbers[1];
    }
    let today = chrono::Utc::now().date_naive();
    let report = server
        .get(
            &lead,
            &format!("/reports/leaders?from=2000-01-01&to={today}&format=json"),
        )
        .await;
    assert_eq!(report.status(), 200);
    let report: serde_json::Value = report.json().await.expect("json");
    let officers = report["officers"].as_array().expect("officers");
    let sum = |field: &str| {
        officers
            .iter()
            .map(|o| o[field].as_u64().expect("count"))
            .sum::<u64>()
    };
    assert!(page.0 > 0, "the fixture has allocated open cases");
    assert_eq!(page, (sum("open_cases"), sum("overdue_findings")));
}

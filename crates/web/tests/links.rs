//! Repeat-suspect links over HTTP: what a viewer sees of the other case, decisions with a
//! reason, and the audit of both cases.

mod common;

use common::FORCE;
use reqwest::Method;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_show_only_what_the_viewer_may_see_and_decisions_are_audited_on_both_cases() {
    let server = common::start().await;
    let inv = server.sign_in("inv").await;
    let path = format!("/cases/{FORCE}/TS-1/links");
    let page = server.get(&inv, &path).await.text().await.expect("page");
    // The fixture's suspects are one invented person: TS-1 links to TS-2 and TS-3, which this
    // investigator may not read: the page says a link exists and whom to contact, nothing more.
    assert!(page.contains("not visible to you"), "{page}");
    assert!(!page.contains("TS-2") && !page.contains("TS-3"), "{page}");
    assert!(page.contains("officer 9001") && page.contains("officer 9003"));
    assert!(page.contains("same date of birth"));
    assert!(!page.contains("Corwen"), "identity never shows");
    assert!(
        page.contains("href=\"/guidance/suspect/repeat-suspects\""),
        "the links are shown with the suspect-focused guidance: {page}"
    );

    let missing = server
        .post_form(&inv, &format!("{path}/1"), &[("decision", "confirm")])
        .await;
    assert_eq!(missing.status().as_u16(), 400);
    let done = server
        .post_form(
            &inv,
            &format!("{path}/1"),
            &[("decision", "confirm"), ("reason", "custody records agree")],
        )
        .await;
    assert_eq!(done.status().as_u16(), 303);

    let api = server
        .api(&inv, Method::GET, &format!("/api{path}"), None)
        .await;
    assert_eq!(api.status().as_u16(), 200);
    let body: serde_json::Value = api.json().await.expect("json");
    let links = body["links"].as_array().expect("links");
    assert_eq!(links.len(), 2);
    let first = links.iter().find(|l| l["id"] == 1).expect("link 1");
    assert_eq!(first["status"], "confirmed");
    assert_eq!(first["rationale"], "custody records agree");
    assert!(first["other_case"].is_null() && first["other_person"].is_null());
    assert_eq!(first["contact"], "9001");
    assert_eq!(body["can_decide"], true);

    // A link of another case cannot be decided through this one.
    let elsewhere = server
        .api(
            &inv,
            Method::POST,
            &format!("/api{path}/3"),
            Some(serde_json::json!({"decision": "reject", "reason": "not this case's link"})),
        )
        .await;
    assert_eq!(elsewhere.status().as_u16(), 404);

    let records = server
        .store
        .audit_records(0, u64::MAX)
        .await
        .expect("audit");
    let decisions: Vec<_> = records
        .iter()
        .filter(|r| r.category == "alteration" && r.detail["link"] == 1)
        .collect();
    let objects: Vec<&str> = decisions.iter().map(|r| r.object.as_str()).collect();
    assert!(objects.contains(&"case:testshire/TS-1"), "{objects:?}");
    assert!(objects.contains(&"case:testshire/TS-2"), "{objects:?}");
    assert!(decisions.iter().all(|r| r.actor == "user:inv"));
}

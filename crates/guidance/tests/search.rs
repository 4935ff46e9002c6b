//! Search over the shipped content: the obvious queries a new officer types find the right page,
//! restricted pages never reach partners, and odd input never becomes an error from SQL.

use guidance::{Role, SearchError, SearchIndex, SearchQuery, Stage, Viewer};

/// Query -> the page a new officer expects first.
pub const QUERY_TABLE: &[(&str, &str)] = &[
    ("bail conditions", "suspect/bail-conditions"),
    ("extend bail", "suspect/pre-charge-bail"),
    ("bail extension superintendent", "suspect/pre-charge-bail"),
    ("RUI", "suspect/released-under-investigation"),
    (
        "released under investigation",
        "suspect/released-under-investigation",
    ),
    ("ISVA", "support/isva"),
    ("SARC", "support/sarc"),
    ("forensic window", "evidence/forensic-windows"),
    ("VPS", "victims-code/right-7"),
    ("victim personal statement", "victims-code/right-7"),
    ("right to review", "victims-code/right-to-review"),
    ("VRR", "victims-code/right-to-review"),
    ("threshold test", "charging/threshold-test"),
    ("who charges rape", "charging/who-charges"),
    ("MG6C", "disclosure/disclosure"),
    ("unused material", "disclosure/disclosure"),
    ("phone download", "evidence/digital-devices"),
    ("medical records", "evidence/third-party-material"),
    ("counselling notes", "evidence/third-party-material"),
    ("outcome 16", "outcomes/outcome-codes"),
    ("raped on holiday abroad", "offences-abroad/actions"),
    ("ABE interview", "evidence/special-measures"),
    ("special measures", "evidence/special-measures"),
    ("crime recording", "recording/crime-recording"),
    ("crime reference number", "victims-code/right-3"),
    ("needs assessment", "victims-code/right-4-needs"),
    ("supervisor review", "supervision/reviews"),
    ("vicarious trauma", "wellbeing/officer-wellbeing"),
    ("twelve rights", "victims-code/overview"),
    ("what is consent", "nom/scope-and-terminology"),
    ("procedural justice", "victims/engagement"),
    ("national operating model", "nom/introduction"),
    ("data protection logging", "information/law-and-audit"),
    ("investigation plan", "investigation/plan"),
    ("repeat suspect", "suspect/repeat-suspects"),
    ("first response", "first-response/first-response"),
    ("female officer", "victims-code/interviewer-gender"),
    ("tell victim about arrest", "victims-code/right-6"),
    (
        "how often to update the victim",
        "victims-code/right-6-updates",
    ),
    ("CPS file", "charging/case-building"),
    ("\"pre-charge bail\"", "suspect/pre-charge-bail"),
    ("threshol*", "charging/threshold-test"),
];

async fn index() -> SearchIndex {
    let (library, _) = guidance::national().expect("national content is valid");
    SearchIndex::build(&library).await.expect("index builds")
}

#[tokio::test]
async fn obvious_queries_find_the_right_page_first() {
    let index = index().await;
    let mut wrong = Vec::new();
    for (query, expected) in QUERY_TABLE {
        let hits = index
            .search(&SearchQuery::new(*query, Viewer::new(Role::Investigator)))
            .await
            .expect("search runs");
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).take(3).collect();
        if ids.first() != Some(expected) {
            wrong.push(format!("{query:?}: expected {expected}, got {ids:?}"));
        }
    }
    assert!(QUERY_TABLE.len() >= 20);
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn restricted_pages_are_invisible_to_partners() {
    let index = index().await;
    for query in [
        "investigation plan",
        "repeat suspects",
        "whole story",
        "suspect",
        "lines of enquiry",
    ] {
        for viewer in [
            Viewer::new(Role::Partner),
            Viewer::public(),
            Viewer::from_role_name("admin"),
        ] {
            let hits = index
                .search(&SearchQuery::new(query, viewer).limit(100))
                .await
                .expect("search runs");
            assert!(hits.iter().all(|h| !h.restricted), "{query}: {hits:?}");
            assert!(hits.iter().all(|h| h.id != "investigation/plan"));
        }
    }
    let police = index
        .search(&SearchQuery::new(
            "investigation plan",
            Viewer::new(Role::Analyst),
        ))
        .await
        .expect("search runs");
    assert_eq!(
        police.first().map(|h| h.id.as_str()),
        Some("investigation/plan")
    );
    assert!(police[0].restricted);
}

#[tokio::test]
async fn filters_by_role_and_stage() {
    let index = index().await;
    let viewer = Viewer::new(Role::Investigator);
    let hits = index
        .search(
            &SearchQuery::new("bail", viewer)
                .role(Role::Investigator)
                .limit(50),
        )
        .await
        .expect("search runs");
    let first = hits.first().map(|h| h.id.as_str());
    assert!(
        matches!(
            first,
            Some("suspect/bail-conditions" | "suspect/pre-charge-bail")
        ),
        "{first:?}"
    );
    let (library, _) = guidance::national().expect("valid");
    for hit in &hits {
        let page = library.page(&hit.id, viewer).expect("hit exists");
        assert!(page.roles.contains(&Role::Investigator), "{}", hit.id);
    }
    let charging = index
        .search(
            &SearchQuery::new("victim", viewer)
                .stage(Stage::Charging)
                .limit(50),
        )
        .await
        .expect("search runs");
    assert!(!charging.is_empty());
    for hit in &charging {
        let page = library.page(&hit.id, viewer).expect("hit exists");
        assert!(page.stages.contains(&Stage::Charging), "{}", hit.id);
    }
    let partner_only = index
        .search(
            &SearchQuery::new("bail", viewer)
                .role(Role::Partner)
                .limit(50),
        )
        .await
        .expect("search runs");
    assert!(
        partner_only
            .iter()
            .all(|h| h.id != "suspect/pre-charge-bail")
    );
}

#[tokio::test]
async fn odd_input_is_searched_literally_or_refused_clearly() {
    let index = index().await;
    let viewer = Viewer::new(Role::Investigator);
    for query in [
        "\"bail",
        "bail\"",
        "bail AND OR NOT",
        "NEAR(bail, 3)",
        "'; DROP TABLE page; --",
        "title:bail",
        "bail^2 {x} (y)",
        "*bail",
        "ünïcödé bail",
    ] {
        let result = index.search(&SearchQuery::new(query, viewer)).await;
        assert!(result.is_ok(), "{query:?}: {result:?}");
    }
    let empty = index
        .search(&SearchQuery::new("  \"\" -- * ", viewer))
        .await;
    assert!(matches!(empty, Err(SearchError::Empty)), "{empty:?}");
    let hits = index
        .search(&SearchQuery::new("\"bail conditions", viewer))
        .await
        .expect("an unclosed quote is a phrase to the end");
    assert_eq!(
        hits.first().map(|h| h.id.as_str()),
        Some("suspect/bail-conditions")
    );
}

#[tokio::test]
async fn hits_carry_a_snippet_with_the_match_marked() {
    let index = index().await;
    let hits = index
        .search(&SearchQuery::new(
            "superintendent",
            Viewer::new(Role::Supervisor),
        ))
        .await
        .expect("search runs");
    let first = hits.first().expect("a hit");
    assert_eq!(first.id, "suspect/pre-charge-bail");
    assert!(
        first.snippet.to_lowercase().contains("[superintendent]"),
        "{}",
        first.snippet
    );
}

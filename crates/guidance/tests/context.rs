//! In context: the pages for a case's stage and its open findings, and the signposts that apply.

use chrono::{TimeZone, Utc};
use domain::Case;
use domain::interchange::parse_record;
use guidance::{CaseFacts, Role, Stage, Viewer, stage_of};

fn case(lines: &[&str]) -> Case {
    let records = lines
        .iter()
        .map(|l| parse_record(l).expect("valid interchange line"));
    Case::group(records).into_iter().next().expect("one case")
}

const ABROAD_CASE: &[&str] = &[
    r#"{"case":"EX-1","force":"exampleshire","at":"2026-03-02T09:15:00Z","kind":"report_received","channel":"101","offences":["SOA2003-s1"],"offence_from":"2026-02-20T23:00:00Z","location":{"country":"ES"}}"#,
    r#"{"case":"EX-1","force":"exampleshire","at":"2026-03-02T09:20:00Z","kind":"person_added","person":"V1","role":"victim"}"#,
    r#"{"case":"EX-1","force":"exampleshire","at":"2026-03-02T10:00:00Z","kind":"crime_recorded","offences":["SOA2003-s1"]}"#,
    r#"{"case":"EX-1","force":"exampleshire","at":"2026-03-03T10:00:00Z","kind":"person_added","person":"S1","role":"suspect"}"#,
    r#"{"case":"EX-1","force":"exampleshire","at":"2026-03-04T10:00:00Z","kind":"suspect_arrested","person":"S1"}"#,
];

#[test]
fn a_case_abroad_gets_its_stage_pages_finding_pages_and_the_abroad_signpost() {
    let case = case(ABROAD_CASE);
    assert_eq!(stage_of(&case), Stage::Suspect);
    let rules = domain::rules::RuleSet::national();
    let now = Utc
        .with_ymd_and_hms(2026, 3, 20, 12, 0, 0)
        .single()
        .expect("time");
    let findings = rules.evaluate(&case, now);
    let facts = CaseFacts::of_case(&case, &findings, &rules);
    assert_eq!(facts.country.as_deref(), Some("ES"));
    assert!(facts.abroad());
    assert!(
        facts.open_rules.contains(&"JUR-ABROAD".to_owned()),
        "{facts:?}"
    );
    assert!(
        facts.open_rules.contains(&"VC-INFORM".to_owned()),
        "{facts:?}"
    );

    let (library, _) = guidance::national().expect("valid");
    let context = library.in_context(&facts, Viewer::new(Role::Investigator));
    let finding_pages: Vec<(&str, &str)> = context
        .finding_pages
        .iter()
        .map(|(rule, page)| (rule.as_str(), page.id.as_str()))
        .collect();
    assert!(finding_pages.contains(&("JUR-ABROAD", "offences-abroad/actions")));
    assert!(finding_pages.contains(&("VC-INFORM", "victims-code/right-6")));
    assert!(
        context
            .stage_pages
            .iter()
            .all(|p| p.stages.contains(&Stage::Suspect))
    );
    assert!(
        context
            .stage_pages
            .iter()
            .any(|p| p.id == "suspect/pre-charge-bail")
    );
    let signposts: Vec<&str> = context.signposts.iter().map(|s| s.id.as_str()).collect();
    assert!(
        signposts.contains(&"offences-abroad-actions"),
        "{signposts:?}"
    );
    assert!(signposts.contains(&"pre-charge-bail-law"), "{signposts:?}");
}

#[test]
fn a_case_at_home_does_not_get_the_abroad_signpost() {
    let facts = CaseFacts {
        stage: Some(Stage::FirstResponse),
        open_rules: vec!["FOR-WINDOW".to_owned()],
        country: Some("GB".to_owned()),
    };
    let (library, _) = guidance::national().expect("valid");
    let context = library.in_context(&facts, Viewer::new(Role::FirstResponder));
    let signposts: Vec<&str> = context.signposts.iter().map(|s| s.id.as_str()).collect();
    assert!(
        !signposts.contains(&"offences-abroad-actions"),
        "{signposts:?}"
    );
    assert!(
        signposts.contains(&"fflm-forensic-specimens"),
        "{signposts:?}"
    );
    assert_eq!(
        context.finding_pages.first().map(|(_, p)| p.id.as_str()),
        Some("evidence/forensic-windows")
    );
    assert!(
        context
            .stage_pages
            .iter()
            .all(|p| p.roles.contains(&Role::FirstResponder))
    );
}

#[test]
fn partners_get_no_restricted_pages_in_context() {
    let facts = CaseFacts {
        stage: Some(Stage::Investigation),
        open_rules: vec!["SUP-REVIEW".to_owned(), "TPM-RATIONALE".to_owned()],
        country: None,
    };
    let (library, _) = guidance::national().expect("valid");
    let police = library.in_context(&facts, Viewer::new(Role::Supervisor));
    assert!(police.stage_pages.iter().any(|p| p.restricted));
    let partner = library.in_context(&facts, Viewer::new(Role::Partner));
    assert!(partner.stage_pages.iter().all(|p| !p.restricted));
    assert!(partner.finding_pages.iter().all(|(_, p)| !p.restricted));
    assert!(
        partner
            .signposts
            .iter()
            .all(|s| s.audience.contains(&Role::Partner))
    );
}

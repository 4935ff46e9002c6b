//! The shipped content: it loads cleanly and covers every national rule.

use guidance::{Loader, Role, Viewer};

#[test]
fn national_content_loads_without_errors() {
    let (library, report) = Loader::new().add_embedded().load();
    assert!(!report.has_errors(), "content errors:\n{report}");
    assert!(library.len() >= 30, "only {} pages", library.len());
    assert!(library.all_signposts().len() >= 5);
}

#[test]
fn every_national_rule_has_its_page_listing_it() {
    let (library, _) = guidance::national().expect("national content is valid");
    for (rule, page) in domain::rules::NATIONAL_GUIDANCE {
        let page = library
            .page(page, Viewer::new(Role::Investigator))
            .unwrap_or_else(|| panic!("no page {page} for {rule}"));
        assert!(
            page.rules.iter().any(|r| r == rule),
            "{} does not list {rule}",
            page.id
        );
    }
    for rule in domain::rules::RuleSet::national().rules() {
        assert!(
            library
                .page_for_rule(&rule.id, Viewer::new(Role::Supervisor))
                .is_some(),
            "rule {} has no page",
            rule.id
        );
    }
}

#[test]
fn the_three_first_read_toolkits_exist() {
    let (library, _) = guidance::national().expect("valid");
    let police = Viewer::new(Role::Investigator);
    for id in [
        "nom/introduction",
        "nom/scope-and-terminology",
        "nom/whole-story",
    ] {
        assert!(library.page(id, police).is_some(), "missing {id}");
    }
}

#[test]
fn restricted_pages_exist_and_are_hidden_from_partners_and_unknown_roles() {
    let (library, _) = guidance::national().expect("valid");
    let restricted: Vec<_> = library
        .all_pages()
        .filter(|p| p.restricted)
        .map(|p| p.id.clone())
        .collect();
    assert!(restricted.contains(&"investigation/plan".to_owned()));
    for id in &restricted {
        assert!(library.page(id, Viewer::new(Role::Investigator)).is_some());
        assert!(library.page(id, Viewer::new(Role::Analyst)).is_some());
        assert!(library.page(id, Viewer::new(Role::Partner)).is_none());
        assert!(library.page(id, Viewer::from_role_name("admin")).is_none());
        assert!(library.page(id, Viewer::public()).is_none());
    }
    assert!(
        library
            .pages(Viewer::new(Role::Partner))
            .all(|p| !p.restricted)
    );
}

#[test]
fn every_page_renders_for_a_terminal() {
    let (library, _) = guidance::national().expect("valid");
    for page in library.all_pages() {
        let text = guidance::render::to_terminal(page, 80);
        assert!(text.starts_with(&page.title));
        assert!(text.contains("Sources"));
        for line in text.lines() {
            // URLs may be longer than the width; prose is wrapped.
            if !line.contains("://") {
                assert!(
                    line.chars().count() <= 80,
                    "{}: line too long: {line}",
                    page.id
                );
            }
        }
    }
}

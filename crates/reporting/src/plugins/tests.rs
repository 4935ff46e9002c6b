//! Force plugins' rules in facts and reports, with a stand-in for a loaded plugin.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::interchange::Kind;
use domain::rules::{Finding, Origin, RuleIndex, RuleInfo};
use domain::time::Timescale;
use domain::{Case, RuleSet, Status};

use super::*;
use crate::facts::{CaseFacts, basis, basis_with_plugins};
use crate::{ReportBuilder, Scope};

/// A plugin with one rule, "a note within 7 days of the report", which can stop serving.
#[derive(Debug)]
struct Notes {
    rules: RuleSet,
    rule: RuleIndex,
    serving: AtomicBool,
    /// Stop serving after this many cases (to fail during a report), or never.
    stop_after: Option<usize>,
    seen: AtomicUsize,
}

impl Notes {
    fn new(policy: bool) -> Notes {
        let mut rules = RuleSet::national();
        if policy {
            rules
                .tighten(&[("supervisor_review".into(), Timescale::CalendarDays(14))])
                .expect("shorter");
        }
        let rule = rules
            .register(RuleInfo {
                id: "FX-NOTE-7D".into(),
                title: "A note within 7 days".into(),
                guidance: "rules/fx".into(),
                origin: Origin::Plugin("notes".into()),
            })
            .expect("registers");
        Notes {
            rules,
            rule,
            serving: AtomicBool::new(true),
            stop_after: None,
            seen: AtomicUsize::new(0),
        }
    }

    fn finding(&self, case: &Case, now: DateTime<Utc>) -> Option<Finding> {
        let visible = || case.events().iter().take_while(|event| event.at <= now);
        let report = visible().find(|event| event.kind() == Kind::ReportReceived)?;
        let due = report.at + Duration::days(7);
        let done = visible()
            .find(|event| event.kind() == Kind::Note && event.at >= report.at)
            .map(|event| event.at);
        let status = match done {
            Some(at) if at <= due => Status::Met,
            Some(_) => Status::MetLate,
            None if now <= due => Status::Due,
            None => Status::Overdue,
        };
        Some(Finding {
            rule: self.rule,
            person: None,
            trigger: Kind::ReportReceived,
            trigger_at: report.at,
            version: self.rules.version_at(&report.at),
            status,
            due_by: Some(due.with_timezone(&Utc)),
            done_at: done,
        })
    }
}

impl PluginRules for Notes {
    fn rules(&self) -> &RuleSet {
        &self.rules
    }

    fn included(&self) -> Vec<IncludedPlugin> {
        if !self.serving.load(Ordering::SeqCst) {
            return Vec::new();
        }
        vec![IncludedPlugin {
            name: "notes".into(),
            version: "1.0.0".into(),
            signature: "ab12".into(),
            rules: vec!["FX-NOTE-7D".into()],
            policy: Vec::new(),
        }]
    }

    fn findings_batch(&self, cases: &[&Case], now: DateTime<Utc>, out: &mut Vec<(usize, Finding)>) {
        for (position, case) in cases.iter().enumerate() {
            let seen = self.seen.fetch_add(1, Ordering::SeqCst);
            if self.stop_after.is_some_and(|limit| seen >= limit) {
                self.serving.store(false, Ordering::SeqCst);
            }
            if !self.serving.load(Ordering::SeqCst) {
                return;
            }
            if let Some(finding) = self.finding(case, now) {
                out.push((position, finding));
            }
        }
    }
}

fn generated() -> (synthetic::Settings, Vec<Case>) {
    let settings = synthetic::Settings::new(29, 2);
    let cases = synthetic::cases(&settings, 600).collect();
    (settings, cases)
}

fn scope(now: DateTime<Utc>, rules: &RuleSet) -> Scope {
    Scope {
        force: None,
        from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2030, 12, 31).expect("date"),
        as_of: now,
        rule_set: rules.config().id.clone(),
        shared: false,
    }
}

#[test]
fn the_basis_names_each_plugin_and_is_the_rule_sets_without_plugins() {
    let rules = RuleSet::national();
    let plugin = Notes::new(false).included().remove(0);
    assert_eq!(basis_with_plugins(&rules, &[]), basis(&rules));
    let with = basis_with_plugins(&rules, std::slice::from_ref(&plugin));
    assert!(
        with.starts_with(&basis(&rules)) && with != basis(&rules),
        "{with}"
    );
    let changed = |change: fn(&mut IncludedPlugin)| {
        let mut other = plugin.clone();
        change(&mut other);
        basis_with_plugins(&rules, &[other])
    };
    for (what, other) in [
        ("name", changed(|p| p.name = "other".into())),
        ("version", changed(|p| p.version = "1.0.1".into())),
        ("signature", changed(|p| p.signature = "cd34".into())),
        ("rules", changed(|p| p.rules.push("FX-MORE".into()))),
        ("policy", changed(|p| p.policy.push("isva_offer".into()))),
    ] {
        assert_ne!(other, with, "a plugin's {what} is part of the basis");
    }
}

/// Plugin findings in facts hold at later instants as national ones do (the plugin's rule reads
/// `now` only as due against overdue), so a report from facts with the plugin equals full
/// evaluation with it; and the report counts and names the plugin's rule.
#[test]
fn reports_with_plugins_from_facts_equal_full_evaluation_and_name_them() {
    let (settings, cases) = generated();
    let plugin = Notes::new(true);
    let rules = RulesInForce::Plugins(&plugin);
    let facts: Vec<Option<CaseFacts>> = cases
        .iter()
        .map(|case| CaseFacts::of(case, rules))
        .collect();
    assert!(
        facts.iter().flatten().any(|facts| facts
            .findings
            .iter()
            .any(|finding| finding.rule == "FX-NOTE-7D")),
        "facts carry the plugin's findings"
    );
    for now in [
        settings.until - Duration::days(30),
        settings.until,
        settings.until + Duration::days(10),
    ] {
        let mut full = ReportBuilder::new(rules, scope(now, plugin.rules()));
        let mut from_facts = ReportBuilder::new(rules, scope(now, plugin.rules()));
        for (case, facts) in cases.iter().zip(&facts) {
            full.add(case);
            match facts {
                Some(facts) if facts.holds_at(now) => {
                    from_facts.add_facts(facts);
                }
                _ => {
                    from_facts.add(case);
                }
            }
        }
        let (full, from_facts) = (full.finish(), from_facts.finish());
        assert_eq!(full, from_facts, "at {now}");
        let rule = full.rule("FX-NOTE-7D").expect("counted");
        assert!(rule.instances > 100, "{rule:?}");
        assert_eq!(full.plugins, plugin.included());
        assert!(full.plugins_disabled.is_empty());
        let json = full.to_json();
        assert_eq!(json["plugins"][0]["name"], "notes");
        assert_eq!(json["plugins"][0]["signature"], "ab12");
        let csv = full.to_csv();
        assert!(csv.contains("plugins,notes,version,1.0.0"), "{csv}");
        assert!(csv.contains("plugins,notes,rule,FX-NOTE-7D"), "{csv}");
        let html = full.to_html();
        assert!(
            html.contains(
                "Includes the rules of force plugins: notes 1.0.0 (signature <code>ab12</code>; rules FX-NOTE-7D)"
            ),
            "{html}"
        );
    }
    // A national report names no plugin (and its JSON has no `plugins`).
    let national = RuleSet::national();
    let mut builder = ReportBuilder::new(&national, scope(settings.until, &national));
    for case in &cases {
        builder.add(case);
    }
    let report = builder.finish();
    assert!(report.plugins.is_empty() && report.rule("FX-NOTE-7D").is_none());
    assert!(report.to_json().get("plugins").is_none());
}

#[test]
fn a_plugin_disabled_during_a_report_is_named_as_such() {
    let (settings, cases) = generated();
    let mut plugin = Notes::new(false);
    plugin.stop_after = Some(100);
    let mut builder = ReportBuilder::new(
        RulesInForce::Plugins(&plugin),
        scope(settings.until, plugin.rules()),
    );
    for case in &cases {
        builder.add(case);
    }
    let report = builder.finish();
    assert_eq!(report.plugins.len(), 1, "included when the report began");
    assert_eq!(report.plugins_disabled, ["notes"]);
    assert!(
        report
            .to_html()
            .contains("Disabled while this report was built")
    );
    assert!(
        report
            .to_csv()
            .contains("plugins,notes,disabled_during_report,true")
    );
}

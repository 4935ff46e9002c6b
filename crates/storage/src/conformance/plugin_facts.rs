//! Conformance of report facts with force plugins' rules: facts written by a store with plugins
//! attached carry the plugins' findings under a basis naming each plugin (name, version,
//! signature), reports from them equal full evaluation with the same plugins and name them; a
//! report without the plugins, or with a changed plugin, does not read them; and facts written
//! without the plugins (or after a plugin was disabled) mark the store's facts stale.

use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::interchange::Kind;
use domain::rules::{Finding, Origin, RuleIndex, RuleInfo};
use domain::{Case, RuleSet, Status};
use reporting::{IncludedPlugin, PluginRules, RulesInForce, Scope};

use super::{facts_report, full_report};
use super::{officer, sample_appends};
use crate::access::{Access, Purpose};
use crate::error::StoreResult;
use crate::model::ExpectedVersion;
use crate::store::*;

/// The rule of [`TestPlugin`].
pub const TEST_PLUGIN_RULE: &str = "FX-NOTE-7D";

/// A stand-in for a loaded force plugin (the store sees plugins only through
/// [`PluginRules`]): one rule, `FX-NOTE-7D`, "a note within 7 days of the first report", for cases
/// of every force. Its version can be changed and it can be disabled, as a real plugin can be
/// upgraded or fail while running.
#[derive(Debug)]
pub struct TestPlugin {
    rules: RuleSet,
    rule: RuleIndex,
    /// The version it says it has, and whether it is serving.
    state: Mutex<(String, bool)>,
}

impl TestPlugin {
    /// The plugin at version `0.1.0`, serving.
    pub fn new() -> TestPlugin {
        let mut rules = RuleSet::national();
        let rule = rules.register(RuleInfo {
            id: TEST_PLUGIN_RULE.into(),
            title: "A note within 7 days of the report (test plugin)".into(),
            guidance: "rules/test".into(),
            origin: Origin::Plugin("test-plugin".into()),
        });
        TestPlugin {
            rule: rule.unwrap_or(RuleIndex(0)),
            rules,
            state: Mutex::new(("0.1.0".into(), true)),
        }
    }

    /// Says it is now at `version`.
    pub fn set_version(&self, version: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.0 = version.to_owned();
        }
    }

    /// Stops serving, as a plugin disabled after a panic does.
    pub fn disable(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.1 = false;
        }
    }

    fn state(&self) -> (String, bool) {
        self.state
            .lock()
            .map(|state| state.clone())
            .unwrap_or_default()
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

impl Default for TestPlugin {
    fn default() -> Self {
        TestPlugin::new()
    }
}

impl PluginRules for TestPlugin {
    fn rules(&self) -> &RuleSet {
        &self.rules
    }

    fn included(&self) -> Vec<IncludedPlugin> {
        let (version, serving) = self.state();
        if !serving {
            return Vec::new();
        }
        vec![IncludedPlugin {
            name: "test-plugin".into(),
            version,
            signature: "5e1f".into(),
            rules: vec![TEST_PLUGIN_RULE.into()],
            policy: Vec::new(),
        }]
    }

    fn findings_batch(&self, cases: &[&Case], now: DateTime<Utc>, out: &mut Vec<(usize, Finding)>) {
        if !self.state().1 {
            return;
        }
        for (position, case) in cases.iter().enumerate() {
            if let Some(finding) = self.finding(case, now) {
                out.push((position, finding));
            }
        }
    }
}

fn instant(text: &str) -> DateTime<Utc> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(at) => at.with_timezone(&Utc),
        Err(error) => panic!("bad instant {text}: {error}"),
    }
}

fn scope(as_of: &str, rules: RulesInForce<'_>) -> Scope {
    Scope {
        force: None,
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default(),
        as_of: instant(as_of),
        rule_set: rules.rule_set().config().id.clone(),
        shared: false,
    }
}

/// `store` must be empty, with `plugin` attached (`attach_plugin_rules`) when it was opened.
pub async fn plugin_report_facts<S: Store>(store: &S, plugin: &TestPlugin) -> StoreResult<()> {
    store
        .append(&officer(), sample_appends(ExpectedVersion::NoCase))
        .await?;
    let access = Access::new("report:test", Purpose::Reporting);
    let with = RulesInForce::Plugins(plugin);
    let national = RuleSet::national();
    for as_of in [
        "2026-03-03T12:00:00Z",
        "2026-03-06T00:00:00Z",
        "2026-06-01T00:00:00Z",
    ] {
        let expected = full_report(store, &access, with, scope(as_of, with)).await?;
        let Some(report) = facts_report(store, &access, with, scope(as_of, with)).await? else {
            panic!("facts taken with the plugin serve a report with it");
        };
        assert_eq!(report, expected, "report with the plugin at {as_of}");
        let rule = report.rule(TEST_PLUGIN_RULE);
        assert!(
            rule.as_ref().is_some_and(|rule| rule.instances == 3),
            "the plugin's rule is counted: {rule:?}"
        );
        assert_eq!(report.plugins, plugin.included(), "the report names it");
    }
    // Without the plugin, the facts are not used (and the figures have no plugin rule).
    let at = "2026-06-01T00:00:00Z";
    let without = scope(at, (&national).into());
    assert_eq!(
        facts_report(store, &access, &national, without.clone()).await?,
        None
    );
    let report = full_report(store, &access, &national, without).await?;
    assert!(report.rule(TEST_PLUGIN_RULE).is_none() && report.plugins.is_empty());
    // Another version of the plugin: another basis, so facts are stale as after a rule set change.
    plugin.set_version("0.2.0");
    let changed = facts_report(store, &access, with, scope(at, with)).await?;
    assert_eq!(changed, None, "a changed plugin");
    let admin = Access::new("admin:test", Purpose::Administration);
    assert_eq!(store.rebuild_report_facts(&admin).await?, 3);
    let Some(report) = facts_report(store, &access, with, scope(at, with)).await? else {
        panic!("rebuilt with version 0.2.0, the facts serve a report with it");
    };
    assert_eq!(report.plugins[0].version, "0.2.0");
    // The plugin fails while the store runs: what it writes from then on lacks the plugin's
    // findings, so the facts are marked stale for reports with the plugin and without it.
    plugin.disable();
    store
        .append(
            &officer(),
            vec![crate::model::Append {
                case: super::key("exampleshire", "EX-2"),
                expected: ExpectedVersion::Any,
                events: vec![super::note("exampleshire", "EX-2", "ex2-9", "later")],
            }],
        )
        .await?;
    let serving_again = TestPlugin::new();
    serving_again.set_version("0.2.0");
    let again = RulesInForce::Plugins(&serving_again);
    let stale = facts_report(store, &access, again, scope(at, again)).await?;
    assert_eq!(stale, None, "stale after the failure");
    let stale = facts_report(store, &access, &national, scope(at, (&national).into())).await?;
    assert_eq!(stale, None, "stale for every basis");
    Ok(())
}

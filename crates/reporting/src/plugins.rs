//! Force plugins' rules in reports and report facts.
//!
//! A report (and the facts a store keeps for it) evaluates the rules in force: a rule set, and,
//! where a force has them, its plugins' rules ([`PluginRules`], implemented by
//! `plugin_host::PluginHost`; this crate never loads a plugin). Each plugin is named exactly by
//! [`IncludedPlugin`]: its name, version and signature. Those enter the facts' basis
//! ([`crate::facts::basis_with_plugins`]), so facts taken with another plugin, another version or
//! another build are not used, and a report lists them, so a reader knows whose rules it counts.

use chrono::{DateTime, Utc};
use domain::rules::{Finding, Scratch};
use domain::{Case, RuleSet};
use serde::Serialize;

/// A force plugin whose rules a report includes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncludedPlugin {
    /// The plugin's name (`northmoor`).
    pub name: String,
    /// The version its manifest gives.
    pub version: String,
    /// What names this exact build: its signature (hex), or `unsigned:` and the SHA-256 of its
    /// folder's digest when it was loaded unsigned (development).
    pub signature: String,
    /// The ids of the rules it adds (`NM-SUP-24H`), in registration order.
    pub rules: Vec<String>,
    /// The national timescales its policy tightens (`supervisor_review`).
    pub policy: Vec<String>,
}

/// Rules evaluated outside a rule set: the rules of the force plugins a host has loaded.
pub trait PluginRules: Send + Sync + std::fmt::Debug {
    /// The rule set in force: the national rules with the plugins' rules registered and their
    /// policies applied. Findings index into it.
    fn rules(&self) -> &RuleSet;

    /// The plugins whose rules are in force now, in configuration order. A plugin disabled while
    /// running (a panic, a time-out, a malformed answer) is no longer among them.
    fn included(&self) -> Vec<IncludedPlugin>;

    /// The plugins' findings (only theirs) for many cases at `now`, appended to `out` with the
    /// position of their case in `cases`.
    fn findings_batch(&self, cases: &[&Case], now: DateTime<Utc>, out: &mut Vec<(usize, Finding)>);
}

/// The rules a report or a case's facts evaluate: a rule set alone, or the rules of force plugins
/// with the rule set they make.
#[derive(Debug, Clone, Copy)]
pub enum RulesInForce<'r> {
    /// A rule set: the national rules, perhaps with another calendar.
    Set(&'r RuleSet),
    /// Force plugins' rules (and the rule set they make).
    Plugins(&'r dyn PluginRules),
}

impl<'r> From<&'r RuleSet> for RulesInForce<'r> {
    fn from(rules: &'r RuleSet) -> Self {
        RulesInForce::Set(rules)
    }
}

impl<'r> RulesInForce<'r> {
    /// The rules in force with these plugins, when there are any.
    pub fn new(rules: &'r RuleSet, plugins: Option<&'r dyn PluginRules>) -> Self {
        match plugins {
            Some(plugins) => RulesInForce::Plugins(plugins),
            None => RulesInForce::Set(rules),
        }
    }

    /// The rule set findings index into.
    pub fn rule_set(&self) -> &'r RuleSet {
        match self {
            RulesInForce::Set(rules) => rules,
            RulesInForce::Plugins(plugins) => plugins.rules(),
        }
    }

    /// The plugins whose rules are included; empty for a rule set alone.
    pub fn included(&self) -> Vec<IncludedPlugin> {
        match self {
            RulesInForce::Set(_) => Vec::new(),
            RulesInForce::Plugins(plugins) => plugins.included(),
        }
    }

    /// The plugins, when there are any.
    pub fn plugins(&self) -> Option<&'r dyn PluginRules> {
        match self {
            RulesInForce::Set(_) => None,
            RulesInForce::Plugins(plugins) => Some(*plugins),
        }
    }

    /// Every finding for `case` at `now` (the rule set's, then the plugins'), appended to `out`.
    pub fn evaluate_into(
        &self,
        case: &Case,
        now: DateTime<Utc>,
        scratch: &mut Scratch,
        out: &mut Vec<Finding>,
    ) {
        self.rule_set().evaluate_into(case, now, scratch, out);
        if let RulesInForce::Plugins(plugins) = self {
            let mut found = Vec::new();
            plugins.findings_batch(&[case], now, &mut found);
            out.extend(found.into_iter().map(|(_, finding)| finding));
        }
    }

    /// The basis of facts taken with these rules ([`crate::facts::basis_with_plugins`]).
    pub fn basis(&self) -> String {
        crate::facts::basis_with_plugins(self.rule_set(), &self.included())
    }
}

#[cfg(test)]
mod tests;

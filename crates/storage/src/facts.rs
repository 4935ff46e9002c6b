//! Report facts kept by the store (shared by both backends): one row per case, rewritten in every
//! append transaction, read by reports with the date range filtered in SQL. How a report uses
//! them (facts or full evaluation, which rules) is decided above the store, by
//! `reports::build_report`. See
//! `reporting::facts` for why facts taken at a case's latest event hold at any later instant, and
//! `docs/storage.md` ("Report facts") for the table, the basis and the rebuild.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, DurationRound, NaiveDate, TimeDelta, Utc};
use domain::{Case, RuleSet};
use reporting::{CaseFacts, PluginRules, ReportInput, RulesInForce, Scope};

use crate::audit::format_time;
use crate::error::StoreResult;

/// What a report asks of the facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactsQuery {
    /// One force, or every force.
    pub force: Option<String>,
    /// Cases first reported on or after this UK local date...
    pub from: NaiveDate,
    /// ...and on or before this one.
    pub to: NaiveDate,
    /// The report's instant.
    pub as_of: DateTime<Utc>,
    /// The basis (`reporting::facts::basis_with_plugins`) of the report's rules: facts taken
    /// under another are not used.
    pub basis: String,
}

impl FactsQuery {
    /// The query for a report over `scope` with `rules` (a rule set, or force plugins' rules).
    pub fn for_scope<'r>(scope: &Scope, rules: impl Into<RulesInForce<'r>>) -> FactsQuery {
        FactsQuery {
            force: scope.force.clone(),
            from: scope.from,
            to: scope.to,
            as_of: scope.as_of,
            basis: rules.into().basis(),
        }
    }

    /// The report's instant as stored times are written, rounded down (so that a stored time, which
    /// is rounded up, at or before it is at or before the instant itself).
    pub(crate) fn as_of_text(&self) -> String {
        format_time(self.as_of)
    }
}

/// Receives report inputs one at a time (bounded memory).
pub type FactsSink<'a> = dyn FnMut(ReportInput) -> StoreResult<()> + Send + 'a;

/// The stored row of one case's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FactsRow {
    pub(crate) force: String,
    pub(crate) reported_on: String,
    pub(crate) last_event_at: String,
    /// `reporting::facts::binary`.
    pub(crate) facts: Vec<u8>,
}

impl FactsRow {
    /// The row for `case` under the store's rules; `None` for a case without events.
    pub(crate) fn of<'r>(case: &Case, rules: impl Into<RulesInForce<'r>>) -> Option<FactsRow> {
        let facts = CaseFacts::of(case, rules)?;
        Some(FactsRow {
            force: facts.force.clone(),
            reported_on: facts.reported_on.to_string(),
            last_event_at: format_time(round_up_to_micros(facts.last_event_at)),
            facts: facts.to_bytes(),
        })
    }
}

/// The force plugins whose rules a store's report facts include (none unless a caller attaches
/// them: `FactsStore::attach_plugin_rules`), and the basis of
/// the facts the store writes. Kept apart from the store's rule set so that facts are the only
/// thing plugins change in a store.
#[derive(Debug, Default)]
pub struct FactsPlugins {
    plugins: Option<Arc<dyn PluginRules>>,
    /// The basis of the rule set alone (the store's, or the plugins'), worked out once: it is a
    /// hash of the whole configuration.
    rules_basis: OnceLock<String>,
}

impl FactsPlugins {
    /// Facts from now on include these plugins' findings, under their rule set.
    pub(crate) fn attach(&mut self, plugins: Arc<dyn PluginRules>) {
        self.plugins = Some(plugins);
        self.rules_basis = OnceLock::new();
    }

    /// The rules facts are taken with: the plugins' when attached, else the store's `rules`.
    pub(crate) fn rules<'r>(&'r self, rules: &'r RuleSet) -> RulesInForce<'r> {
        RulesInForce::new(rules, self.plugins.as_deref())
    }

    /// The basis of the facts written now. It changes when an attached plugin is disabled while
    /// running (its findings then stop), so it is worked out for every write; only the rule set's
    /// part is kept.
    pub(crate) fn basis(&self, rules: &RuleSet) -> String {
        let rules = self.rules(rules);
        let base = self
            .rules_basis
            .get_or_init(|| reporting::facts::basis(rules.rule_set()));
        reporting::facts::plugins_basis(base, &rules.included())
    }
}

/// Marks the store's facts stale (`$2`) unless they are recorded under `$1` or already stale: run
/// in the transaction that writes a case's facts under basis `$1`. Facts written under another
/// basis than the recorded one (a process with other plugins, or none, or one whose plugin was
/// disabled) would otherwise be read as if they were of the recorded basis; stale facts are not
/// read until `rasso report rebuild-facts` records a basis again.
pub(crate) const MARK_STALE: &str = "UPDATE report_facts_state SET basis = $2 \
     WHERE id = 1 AND basis <> $1 AND basis NOT LIKE 'stale:%'";

/// The basis recorded by [`MARK_STALE`]: never a basis of any rules (those start with a rule set
/// id).
pub(crate) fn stale_basis(written_under: &str) -> String {
    format!("stale: facts were also written under {written_under}")
}

/// Records `$1` as the basis of an empty store's facts (`$2` the time): a store without cases has
/// complete facts under any basis. Run when plugins are attached to a store.
pub(crate) const MARK_EMPTY_STORE_AS: &str = "INSERT INTO report_facts_state (id, basis, built_at) \
     SELECT 1, $1, $2 WHERE NOT EXISTS (SELECT 1 FROM cases) \
     ON CONFLICT (id) DO UPDATE SET basis = excluded.basis, built_at = excluded.built_at";

/// Stored times have microseconds; the latest event is rounded up so that "stored time at or before
/// the report's instant" never admits a case whose latest event is a few nanoseconds later.
fn round_up_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    let micro = TimeDelta::microseconds(1);
    match at.duration_trunc(micro) {
        Ok(down) if down == at => at,
        Ok(down) => down + micro,
        Err(_) => at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_event_rounds_up_to_the_microsecond() {
        let exact = DateTime::parse_from_rfc3339("2025-03-01T10:00:00.000001Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(round_up_to_micros(exact), exact);
        let between = DateTime::parse_from_rfc3339("2025-03-01T10:00:00.000001500Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(
            format_time(round_up_to_micros(between)),
            "2025-03-01T10:00:00.000002Z"
        );
    }
}

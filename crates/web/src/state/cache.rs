//! The case read model: each case as the server last read it (by version), its findings as last
//! evaluated and until when they hold, and caseloads as last worked out. What is rendered from them
//! once is kept with them and filled by the views (`page_cache`).

use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use domain::interchange::OfficerRole;
use domain::rules::FindingView;
use domain::{Case, EventData, Finding, Status};

use super::AppState;
use crate::rows::{CaseloadRow, FindingRow, TimelineRow, local_time, people};
use crate::story::{decisions, timeline};
use crate::viewer::Viewer;

/// A case as the server last read it.
#[derive(Debug)]
pub struct CachedCase {
    pub case: Case,
    pub version: u64,
    /// Officers allocated to the case (officer in case and supervisors), in order.
    pub team: Vec<(String, OfficerRole)>,
    pub closed: bool,
    /// The findings last evaluated, and until when they hold (see [`CachedCase::findings_at`]).
    evaluated: Mutex<Option<Evaluated>>,
    /// The whole-story timeline in words (fixed for a version), made on first use.
    timeline: OnceLock<Arc<Vec<TimelineRow>>>,
    /// The parts of the API's case object that are fixed for a version, serialized on first use.
    fixed_json: OnceLock<Arc<FixedJson>>,
    /// The case page's timeline panel (fixed for a version), rendered on first use.
    pub(crate) timeline_html: OnceLock<Arc<String>>,
    /// The case page's people panel and decision log (fixed for a version), rendered on first use.
    pub(crate) people_html: OnceLock<Arc<String>>,
    pub(crate) decisions_html: OnceLock<Arc<String>>,
}

/// The people, timeline and decision log of one version of a case, as JSON (see
/// [`CachedCase::fixed_json`]).
#[derive(Debug)]
pub struct FixedJson {
    pub people: Box<serde_json::value::RawValue>,
    pub timeline: Box<serde_json::value::RawValue>,
    pub decisions: Box<serde_json::value::RawValue>,
}

#[derive(Debug)]
struct Evaluated {
    pub(crate) at: DateTime<Utc>,
    pub(crate) valid_until: DateTime<Utc>,
    findings: Arc<Findings>,
}

/// A case's findings as evaluated at one instant, most urgent first, with what is made from them
/// on first use and reused while the evaluation holds (see [`CachedCase::findings_at`]): their
/// JSON for the API, and the case's caseload row with its HTML.
#[derive(Debug)]
pub struct Findings {
    pub(crate) rows: Vec<FindingRow>,
    json: OnceLock<Box<serde_json::value::RawValue>>,
    caseload_row: OnceLock<Arc<CaseloadRow>>,
    pub(crate) rows_html: OnceLock<Arc<String>>,
    /// The case page's summary and "what needs doing", for a reader and for a viewer who may
    /// record (whose tasks link to the record pages).
    pub(crate) story_html: [OnceLock<Arc<String>>; 2],
}

impl std::ops::Deref for Findings {
    type Target = [FindingRow];
    fn deref(&self) -> &[FindingRow] {
        &self.rows
    }
}

impl Findings {
    fn new(rows: Vec<FindingRow>) -> Self {
        Findings {
            rows,
            json: OnceLock::new(),
            caseload_row: OnceLock::new(),
            rows_html: OnceLock::new(),
            story_html: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// The findings as a JSON array, serialized once per evaluation.
    pub fn json(&self) -> Result<&serde_json::value::RawValue, serde_json::Error> {
        if let Some(json) = self.json.get() {
            return Ok(json);
        }
        let json = serde_json::value::RawValue::from_string(serde_json::to_string(&self.rows)?)?;
        Ok(self.json.get_or_init(|| json))
    }

    /// `case`'s row in a caseload (these must be `case`'s findings), made once per evaluation.
    pub fn caseload_row(&self, case: &CachedCase) -> Arc<CaseloadRow> {
        Arc::clone(
            self.caseload_row
                .get_or_init(|| Arc::new(caseload_row(case, &self.rows))),
        )
    }
}

/// Findings evaluated once are reused for at most this long (seconds), even if no deadline
/// falls in between: a bound on how stale a page can be if a rule ever changed status with
/// time in a way the reuse below does not foresee.
pub const FINDINGS_REUSE_SECS: i64 = 30;

impl CachedCase {
    pub fn new(case: Case, version: u64) -> Self {
        let mut team: Vec<(String, OfficerRole)> = Vec::new();
        let mut closed = false;
        for event in case.events() {
            match &event.data {
                EventData::OfficerAllocated(allocated) => {
                    let entry = (allocated.officer.to_string(), allocated.role);
                    if !team.contains(&entry) {
                        team.push(entry);
                    }
                }
                EventData::CaseClosed(_) => closed = true,
                _ => {}
            }
        }
        CachedCase {
            case,
            version,
            team,
            closed,
            evaluated: Mutex::new(None),
            timeline: OnceLock::new(),
            fixed_json: OnceLock::new(),
            timeline_html: OnceLock::new(),
            people_html: OnceLock::new(),
            decisions_html: OnceLock::new(),
        }
    }

    /// The whole-story timeline of this version, in words (made once per version).
    pub fn timeline(&self) -> Arc<Vec<TimelineRow>> {
        Arc::clone(self.timeline.get_or_init(|| Arc::new(timeline(&self.case))))
    }

    /// `FORCE/REFERENCE`, as the case's paths have it.
    pub fn path(&self) -> String {
        format!("{}/{}", self.case.key.force, self.case.key.reference)
    }

    /// The people, timeline and decision log of this version as JSON, serialized once per
    /// version: they depend on the events alone, and serializing them on every API read was
    /// most of its cost.
    pub fn fixed_json(&self) -> Result<Arc<FixedJson>, serde_json::Error> {
        if let Some(fixed) = self.fixed_json.get() {
            return Ok(Arc::clone(fixed));
        }
        let raw = |value: String| serde_json::value::RawValue::from_string(value);
        let fixed = Arc::new(FixedJson {
            people: raw(serde_json::to_string(&people(&self.case))?)?,
            timeline: raw(serde_json::to_string(self.timeline().as_ref())?)?,
            decisions: raw(serde_json::to_string(&decisions(&self.case))?)?,
        });
        Ok(Arc::clone(self.fixed_json.get_or_init(|| fixed)))
    }

    /// The findings of this version of the case at `now`, most urgent first.
    ///
    /// Evaluating the rules and formatting the rows on every page view is most of a caseload's
    /// cost, and the answer rarely changes: the case's events are fixed for this version, and time
    /// passing alone only turns a `due` finding `overdue` when its deadline passes (the domain's
    /// invariant 3) or brings a future-dated event into effect. So rows evaluated at `t` are reused
    /// until the earliest such instant after `t` (capped at [`FINDINGS_REUSE_SECS`]); any `now`
    /// earlier than `t` evaluates afresh.
    pub fn findings_at(&self, state: &AppState, now: DateTime<Utc>) -> Arc<Findings> {
        self.findings_until(state, now).0
    }

    /// [`CachedCase::findings_at`], with the instant until which those findings stand (time
    /// alone changes nothing in them before it).
    pub fn findings_until(
        &self,
        state: &AppState,
        now: DateTime<Utc>,
    ) -> (Arc<Findings>, DateTime<Utc>) {
        let mut evaluated = self
            .evaluated
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(held) = evaluated.as_ref()
            && held.at <= now
            && now < held.valid_until
        {
            return (Arc::clone(&held.findings), held.valid_until);
        }
        let rows = findings(state, &self.case, now);
        let valid_until = self.next_change_after(now, &rows);
        let findings = Arc::new(Findings::new(rows));
        *evaluated = Some(Evaluated {
            at: now,
            valid_until,
            findings: Arc::clone(&findings),
        });
        (findings, valid_until)
    }

    /// The earliest instant after `now` at which the findings could change with time alone.
    fn next_change_after(&self, now: DateTime<Utc>, rows: &[FindingRow]) -> DateTime<Utc> {
        let cap = now + chrono::Duration::seconds(FINDINGS_REUSE_SECS);
        let deadlines = rows
            .iter()
            .filter(|row| row.status == Status::Due)
            .filter_map(|row| row.due);
        let future_events = self
            .case
            .events()
            .iter()
            .map(|event| event.at.with_timezone(&Utc))
            .filter(|at| *at > now);
        deadlines
            .chain(future_events)
            .filter(|at| *at > now)
            .fold(cap, std::cmp::min)
    }

    /// Whether officer `officer_id` of `force` is on the case team. Officer identifiers mean
    /// something only within their force: officer 4521 of another force is someone else, even
    /// when this case's team names a 4521.
    pub fn has_member(&self, force: &str, officer_id: &str) -> bool {
        self.case.key.force == force && self.team.iter().any(|(officer, _)| officer == officer_id)
    }

    /// Whether the viewer is on the case team (of the case's force, and allocated).
    pub fn is_member(&self, viewer: &Viewer) -> bool {
        match viewer.scope() {
            storage::UserScope::Force(force) => self.has_member(force, viewer.officer_id()),
            _ => false,
        }
    }

    /// Whether the viewer is allocated to the case as a supervisor.
    pub fn is_supervised_by(&self, viewer: &Viewer) -> bool {
        self.is_member(viewer) && self.supervisors().any(|s| s == viewer.officer_id())
    }

    /// Whether the viewer is the case's current officer in case.
    pub fn is_officer_in_case(&self, viewer: &Viewer) -> bool {
        self.is_member(viewer) && self.officer_in_case() == Some(viewer.officer_id())
    }

    /// The current officer in case (the latest allocated).
    pub fn officer_in_case(&self) -> Option<&str> {
        self.team
            .iter()
            .rev()
            .find(|(_, role)| *role == OfficerRole::Oic)
            .map(|(o, _)| o.as_str())
    }

    /// Supervisors allocated.
    pub fn supervisors(&self) -> impl Iterator<Item = &str> {
        self.team
            .iter()
            .filter(|(_, role)| *role == OfficerRole::Supervisor)
            .map(|(o, _)| o.as_str())
    }
}

/// Findings of a case at `now`, most urgent first (overdue, breached, due by deadline, advice,
/// then the met ones).
pub fn findings(state: &AppState, case: &Case, now: DateTime<Utc>) -> Vec<FindingRow> {
    let mut found = state.rules.evaluate(case, now);
    sort_findings(&mut found);
    found
        .iter()
        .map(|finding| row(state, case, finding))
        .collect()
}

fn sort_findings(found: &mut [Finding]) {
    found.sort_by(|a, b| {
        a.status
            .urgency()
            .cmp(&b.status.urgency())
            .then(a.due_by.cmp(&b.due_by))
    });
}

fn row(state: &AppState, case: &Case, finding: &Finding) -> FindingRow {
    let view = FindingView::new(&state.rules, &case.key, finding);
    let info = state.rules.rule(finding.rule);
    let guidance_title = state.guidance_titles.get(&view.guidance).cloned();
    FindingRow {
        title: info.title.to_string(),
        due_local: finding.due_by.as_ref().map(local_time),
        guidance_title,
        status: finding.status,
        due: finding.due_by,
        view,
    }
}

/// A case's caseload row from its findings (most urgent first).
fn caseload_row(cached: &CachedCase, findings: &[FindingRow]) -> CaseloadRow {
    let open: Vec<&FindingRow> = findings.iter().filter(|f| f.status.is_open()).collect();
    let first = open.first();
    CaseloadRow {
        force: cached.case.key.force.to_string(),
        reference: cached.case.key.reference.to_string(),
        officer: cached.officer_in_case().map(str::to_owned),
        open_findings: open.len(),
        overdue: open.iter().filter(|f| f.status == Status::Overdue).count(),
        breached: open.iter().filter(|f| f.status == Status::Breached).count(),
        most_urgent: first.map(|f| f.title.clone()),
        most_urgent_status: first.map(|f| f.status),
        // The row's own text of its deadline, formatted once per evaluation.
        next_due_local: open
            .iter()
            .filter(|f| matches!(f.status, Status::Due | Status::Overdue))
            .filter(|f| f.due.is_some())
            .min_by_key(|f| f.due)
            .and_then(|f| f.due_local.clone()),
        next_due: open
            .iter()
            .filter(|f| matches!(f.status, Status::Due | Status::Overdue))
            .filter_map(|f| f.due)
            .min(),
        open_rules: {
            let mut rules: Vec<String> = open.iter().map(|f| f.view.rule.clone()).collect();
            rules.sort();
            rules.dedup();
            rules
        },
        people: people(&cached.case).into_iter().map(|p| p.key).collect(),
        sort_key: first.map_or((9, None), |f| (f.status.urgency(), f.due)),
        html: OnceLock::new(),
    }
}

/// An officer's caseload as it stands: their cases' rows, most urgent first, with the counts of
/// open and overdue findings, and what is made from them on first use and reused while the
/// caseload is held (see `ops::cases::my_caseload`).
#[derive(Debug)]
pub struct Caseload {
    pub rows: Vec<Arc<CaseloadRow>>,
    pub open_findings: usize,
    pub overdue: usize,
    /// The rules of the caseload's open findings, (id, title) in order, for its filter by rule.
    pub(crate) rule_choices: OnceLock<Arc<Vec<(String, String)>>>,
    /// The caseload page's rule choices and results as most views ask for them (no search, no
    /// filter, most urgent first, page 1), rendered once (see `page_cache`).
    pub(crate) default_rule_options_html: OnceLock<Arc<String>>,
    pub(crate) default_results_html: OnceLock<Arc<String>>,
}

impl Caseload {
    /// The caseload of `rows` (most urgent first).
    pub fn new(rows: Vec<Arc<CaseloadRow>>) -> Self {
        Caseload {
            open_findings: rows.iter().map(|r| r.open_findings).sum(),
            overdue: rows.iter().map(|r| r.overdue).sum(),
            rows,
            rule_choices: OnceLock::new(),
            default_rule_options_html: OnceLock::new(),
            default_results_html: OnceLock::new(),
        }
    }
}

/// A caseload as last worked out for an officer: from which held list, and for how long it
/// stands.
#[derive(Debug, Clone)]
pub struct HeldCaseload {
    /// Weak, so that a held caseload does not keep an old list (and its cases' old versions)
    /// alive; it still keeps the list's allocation, so no later list can take its address.
    pub(crate) list: std::sync::Weak<Vec<Arc<CachedCase>>>,
    pub(crate) at: DateTime<Utc>,
    pub(crate) valid_until: DateTime<Utc>,
    pub(crate) caseload: Arc<Caseload>,
}

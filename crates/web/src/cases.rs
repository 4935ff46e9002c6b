//! Case operations shared by pages and the API: the case team, findings, the whole-story timeline,
//! caseloads, and reading a case through the access-control point.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use domain::interchange::{OfficerRole, Role as PersonRole};
use domain::rules::FindingView;
use domain::{Case, CaseKey, EventData, Finding, Status};
use serde::Serialize;
use storage::{Access, CaseFilter, CaseList, CaseRead, CaseStatus};

use crate::access::{Action, Decision, Relation, decide};
use crate::auth::Viewer;
use crate::error::AppError;
use crate::state::{AppState, HeldList};

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
    timeline_html: OnceLock<Arc<String>>,
    /// The case page's people panel and decision log (fixed for a version), rendered on first use.
    people_html: OnceLock<Arc<String>>,
    decisions_html: OnceLock<Arc<String>>,
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
    at: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    findings: Arc<Findings>,
}

/// The value of `cell`, rendering it first if this is the first use.
fn rendered_once(
    cell: &OnceLock<Arc<String>>,
    render: impl FnOnce() -> Result<String, askama::Error>,
) -> Result<Arc<String>, askama::Error> {
    if let Some(html) = cell.get() {
        return Ok(Arc::clone(html));
    }
    let html = Arc::new(render()?);
    Ok(Arc::clone(cell.get_or_init(|| html)))
}

/// A case's findings as evaluated at one instant, most urgent first, with what is made from them
/// on first use and reused while the evaluation holds (see [`CachedCase::findings_at`]): their
/// JSON for the API, and the case's caseload row with its HTML.
#[derive(Debug)]
pub struct Findings {
    rows: Vec<FindingRow>,
    json: OnceLock<Box<serde_json::value::RawValue>>,
    caseload_row: OnceLock<Arc<CaseloadRow>>,
    rows_html: OnceLock<Arc<String>>,
    /// The case page's summary and "what needs doing", for a reader and for a viewer who may
    /// record (whose tasks link to the record pages).
    story_html: [OnceLock<Arc<String>>; 2],
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

    /// The case page's summary and "what needs doing" for a viewer who may record (`can_write`)
    /// or not, rendered by `render` once per evaluation: they change only with the case's
    /// version, its findings and the day ("overdue by N days"), and an evaluation is reused for
    /// at most [`FINDINGS_REUSE_SECS`].
    pub fn story_html(
        &self,
        can_write: bool,
        render: impl FnOnce() -> Result<String, askama::Error>,
    ) -> Result<Arc<String>, askama::Error> {
        rendered_once(&self.story_html[usize::from(can_write)], render)
    }

    /// The rows of the case page's findings table, rendered once per evaluation.
    pub fn rows_html(&self) -> Result<Arc<String>, askama::Error> {
        rendered_once(&self.rows_html, || {
            askama::Template::render(&crate::templates::FindingsRows {
                findings: &self.rows,
            })
        })
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
const FINDINGS_REUSE_SECS: i64 = 30;

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

    /// The case page's timeline panel for this version, rendered once per version (escaping the
    /// whole story's text on every page view was a large part of a case page's cost).
    pub fn timeline_html(&self) -> Result<Arc<String>, askama::Error> {
        rendered_once(&self.timeline_html, || {
            askama::Template::render(&crate::templates::TimelinePanel {
                timeline: &self.timeline(),
            })
        })
    }

    /// The case page's people panel for this version, rendered once per version.
    pub fn people_html(&self) -> Result<Arc<String>, askama::Error> {
        rendered_once(&self.people_html, || {
            askama::Template::render(&crate::templates::PeoplePanel {
                path: &self.path(),
                people: &people(&self.case),
            })
        })
    }

    /// The case page's decision log for this version, rendered once per version.
    pub fn decisions_html(&self) -> Result<Arc<String>, askama::Error> {
        rendered_once(&self.decisions_html, || {
            askama::Template::render(&crate::templates::DecisionsPanel {
                decisions: &decisions(&self.case),
            })
        })
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

/// Parses a case key from the URL path parts, refusing anything odd (400 naming the part).
pub fn case_key(force: &str, reference: &str) -> Result<CaseKey, AppError> {
    if force.is_empty()
        || force.len() > 64
        || !force
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(AppError::invalid(
            "force",
            "The force code must be lowercase letters, digits and hyphens.",
        ));
    }
    if reference.is_empty()
        || reference.len() > 64
        || !reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'/')
    {
        return Err(AppError::invalid(
            "case",
            "The case reference must be letters, digits and hyphens.",
        ));
    }
    Ok(CaseKey {
        force: force.into(),
        reference: reference.into(),
    })
}

/// The viewer's relation to a case: membership from the cached case; break-glass from the
/// store's declarations for this session (with the reason declared); a case the server has never
/// seen is looked up in the store first.
///
/// Force boundaries come first: a case of a force the viewer does not belong to is, for them, a
/// case that does not exist (`None`), and is not even looked up, unless this session holds a
/// break-glass grant for it (which is only given through a confirmed cross-force link, see
/// [`crate::pages::declare_break_glass`]). National viewers reach every force, as outsiders.
pub async fn relation(
    state: &AppState,
    viewer: &Viewer,
    key: &CaseKey,
) -> Result<Option<(Relation, Arc<CachedCase>, Option<String>)>, AppError> {
    // A partner's only relation to a case is a share in force, from their own force; a case not
    // shared with them is, for them, a case that does not exist (so it is not even looked up).
    if viewer.role == crate::access::Role::Partner {
        if !viewer.is_of_force(&key.force)
            || crate::sharing::shares_of(state, viewer, key)
                .await?
                .is_empty()
        {
            return Ok(None);
        }
        return Ok(lookup(state, viewer, key)
            .await?
            .map(|cached| (Relation::SharedWith, cached, None)));
    }
    if !viewer.reaches_force(&key.force) {
        return match state.store.break_glass_grant(&viewer.session, key).await? {
            Some(reason) => Ok(lookup(state, viewer, key)
                .await?
                .map(|cached| (Relation::BreakGlass, cached, Some(reason)))),
            None => Ok(None),
        };
    }
    let Some(cached) = lookup(state, viewer, key).await? else {
        return Ok(None);
    };
    if cached.is_member(viewer) {
        return Ok(Some((Relation::Member, cached, None)));
    }
    if let Some(reason) = state.store.break_glass_grant(&viewer.session, key).await? {
        return Ok(Some((Relation::BreakGlass, cached, Some(reason))));
    }
    Ok(Some((Relation::Outsider, cached, None)))
}

/// The case as the server holds it, read from the store (audited as an access check) when it
/// has never seen it; `None` when there is no such case.
async fn lookup(
    state: &AppState,
    viewer: &Viewer,
    key: &CaseKey,
) -> Result<Option<Arc<CachedCase>>, AppError> {
    if let Some(cached) = state.cached(key) {
        return Ok(Some(cached));
    }
    let access = Access::new(viewer.actor(), storage::Purpose::Administration)
        .with_reason("access check for a case not yet in the server's read model");
    Ok(state
        .store
        .read_case(&access, key)
        .await?
        .map(|stored| state.remember(stored.case, stored.version)))
}

/// Asks the access-control point about `action` on a case; returns the access to audit with,
/// the relation and the cached case. Anything refused is a 404 or 403; a case that does not
/// exist is a 404 like any case the viewer may not see.
pub async fn authorise_case(
    state: &AppState,
    viewer: &Viewer,
    key: &CaseKey,
    action: Action,
) -> Result<(Access, Relation, Arc<CachedCase>), AppError> {
    let Some((relation, cached, reason)) = relation(state, viewer, key).await? else {
        return Err(AppError::not_found());
    };
    match decide(viewer.role, action, relation) {
        Decision::Allow(purpose) => {
            let mut access = Access::new(viewer.actor(), purpose);
            if let Some(reason) = reason {
                access = access.with_reason(reason);
            }
            Ok((access, relation, cached))
        }
        Decision::NotFound => Err(AppError::not_found()),
        Decision::Forbidden => Err(AppError::forbidden()),
    }
}

/// Asks the access-control point about an action that concerns no single case.
pub fn authorise(viewer: &Viewer, action: Action) -> Result<Access, AppError> {
    match decide(viewer.role, action, Relation::NotApplicable) {
        Decision::Allow(purpose) => Ok(Access::new(viewer.actor(), purpose)),
        Decision::NotFound => Err(AppError::not_found()),
        Decision::Forbidden => Err(AppError::forbidden()),
    }
}

/// Reads a case through the store (audited there, before anything is returned) and refreshes the
/// cache. When the server already holds the store's current version, the store answers
/// "unchanged" and the held copy (the same events: the record is append-only) is used, which
/// spares reading and parsing every event again.
pub async fn read(
    state: &AppState,
    access: &Access,
    key: &CaseKey,
) -> Result<Arc<CachedCase>, AppError> {
    let held = state.cached(key);
    let known = held.as_ref().map(|cached| cached.version);
    match state.store.read_case_if_changed(access, key, known).await? {
        CaseRead::Read(stored) => Ok(state.remember(stored.case, stored.version)),
        CaseRead::Unchanged { version } => match held {
            Some(cached) if cached.version == version => Ok(cached),
            _ => Err(AppError::internal(
                "read",
                &"the store answered unchanged for a version the server does not hold",
            )),
        },
        CaseRead::Missing => Err(AppError::not_found()),
    }
}

/// A finding as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    #[serde(flatten)]
    pub view: FindingView,
    pub title: String,
    /// The deadline in UK local time, for people.
    pub due_local: Option<String>,
    pub guidance_title: Option<String>,
    #[serde(skip)]
    pub status: Status,
    #[serde(skip)]
    pub due: Option<DateTime<Utc>>,
}

impl FindingRow {
    pub fn status_label(&self) -> &'static str {
        status_label(self.status)
    }
    pub fn status_class(&self) -> &'static str {
        self.status.as_str()
    }
    /// The GOV.UK tag colour of the status (breached red, overdue orange, ...).
    pub fn tag_class(&self) -> &'static str {
        crate::story::tag_class(self.status)
    }
    /// What triggered the finding, in words.
    pub fn trigger_text(&self) -> &'static str {
        domain::interchange::Kind::from_name(&self.view.trigger)
            .map_or("", |kind| crate::record::spec(kind).title)
    }
    pub fn person_text(&self) -> &str {
        self.view.person.as_deref().unwrap_or("")
    }
    pub fn due_text(&self) -> &str {
        self.due_local.as_deref().unwrap_or("")
    }
}

pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Met => "Met",
        Status::MetLate => "Met late",
        Status::Due => "Due",
        Status::Overdue => "Overdue",
        Status::Breached => "Breached",
        Status::Advice => "Advice",
    }
}

/// A date in UK local time for people: `6 March 2026`.
pub fn local_date(at: &DateTime<Utc>) -> String {
    domain::time::in_london(at).format("%-d %B %Y").to_string()
}

/// A time in UK local time for people: `6 March 2026 10:00`.
pub fn local_time(at: &DateTime<Utc>) -> String {
    domain::time::in_london(at)
        .format("%-d %B %Y %H:%M")
        .to_string()
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

/// One case in a caseload.
#[derive(Debug, Clone, Serialize)]
pub struct CaseloadRow {
    pub force: String,
    pub reference: String,
    pub officer: Option<String>,
    pub open_findings: usize,
    pub overdue: usize,
    pub breached: usize,
    /// The most urgent open finding.
    pub most_urgent: Option<String>,
    pub most_urgent_status: Option<Status>,
    pub next_due_local: Option<String>,
    /// The rules of its open findings (for the caseload's filter by rule).
    #[serde(skip)]
    pub open_rules: Vec<String>,
    /// The people's keys (for the search by person key).
    #[serde(skip)]
    pub people: Vec<String>,
    /// The next deadline of a due or overdue finding (for sorting by deadline).
    #[serde(skip)]
    pub next_due: Option<DateTime<Utc>>,
    #[serde(skip)]
    sort_key: (u8, Option<DateTime<Utc>>),
    /// The row as the caseload page shows it, rendered on first use.
    #[serde(skip)]
    html: OnceLock<String>,
}

impl CaseloadRow {
    pub fn urgent_text(&self) -> &str {
        self.most_urgent.as_deref().unwrap_or("None")
    }
    pub fn urgent_class(&self) -> &'static str {
        self.most_urgent_status.map_or("met", |s| s.as_str())
    }
    pub fn urgent_label(&self) -> &'static str {
        self.most_urgent_status.map_or("", status_label)
    }
    pub fn due_text(&self) -> &str {
        self.next_due_local.as_deref().unwrap_or("")
    }
    pub fn officer_text(&self) -> &str {
        self.officer.as_deref().unwrap_or("")
    }

    /// The caseload page's table row for this case, rendered once (the row is fixed for one
    /// evaluation of the case's findings, and escaping every row's text on every view was a large
    /// part of a caseload's cost).
    pub fn html(&self) -> &str {
        self.html.get_or_init(|| {
            askama::Template::render(&crate::templates::CaseloadRowHtml { row: self })
                .unwrap_or_else(|error| {
                    tracing::error!(%error, "cannot render a caseload row");
                    String::new()
                })
        })
    }
}

/// The open cases of the viewer's force that pass `keep`, checked against the store's projection
/// (one audited list), each with its findings at `now`, most urgent first.
pub async fn caseload(
    state: &AppState,
    access: &Access,
    force: Option<&str>,
    keep: &(dyn Fn(&CachedCase) -> bool + Sync),
) -> Result<Vec<(Arc<CachedCase>, Arc<Findings>)>, AppError> {
    let open = open_cases(state, access, &open_in(force)).await?;
    let now = state.now();
    Ok(open
        .iter()
        .filter(|cached| keep(cached))
        .map(|cached| (Arc::clone(cached), cached.findings_at(state, now)))
        .collect())
}

/// The filter for the open cases of `force` (of every force when `None`).
fn open_in(force: Option<&str>) -> CaseFilter {
    CaseFilter {
        force: force.map(str::to_owned),
        status: Some(CaseStatus::Open),
        ..CaseFilter::default()
    }
}

/// An officer's caseload as it stands: their cases' rows, most urgent first, with the counts of
/// open and overdue findings.
#[derive(Debug)]
pub struct Caseload {
    pub rows: Vec<Arc<CaseloadRow>>,
    pub open_findings: usize,
    pub overdue: usize,
}

/// A caseload as last worked out for an officer: from which held list, and for how long it
/// stands.
#[derive(Debug, Clone)]
pub struct HeldCaseload {
    /// Weak, so that a held caseload does not keep an old list (and its cases' old versions)
    /// alive; it still keeps the list's allocation, so no later list can take its address.
    list: std::sync::Weak<Vec<Arc<CachedCase>>>,
    at: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    caseload: Arc<Caseload>,
}

/// At most this many officers' caseloads are held; past it the held ones are all dropped (and
/// worked out again on their next view).
const HELD_CASELOADS: usize = 10_000;

/// The viewer's caseload at `now`: the open cases of their force (one audited list, on every
/// view) that they are on the team of, most urgent first. Empty for a viewer of no force.
///
/// Working the rows out again on every view (picking the officer's cases from the force's list,
/// each case's findings, sorting them) was a fifth of a caseload view's cost under load, and the
/// answer can only change when the list does (a new counter: a new held list) or when one of its
/// cases' findings could change with time. So it is reused, per officer, while the list is the
/// same one and `now` is before the earliest instant at which any of its cases' findings could
/// change.
pub async fn my_caseload(
    state: &AppState,
    access: &Access,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<Arc<Caseload>, AppError> {
    // Caseloads are per force: officer identifiers mean something only within one.
    let storage::UserScope::Force(force) = viewer.scope() else {
        return Ok(Arc::new(Caseload {
            rows: Vec::new(),
            open_findings: 0,
            overdue: 0,
        }));
    };
    let username = viewer.user.username.as_str();
    let list = open_cases(state, access, &open_in(Some(force))).await?;
    let held = crate::state::lock(&state.caseloads).get(username).cloned();
    // The held caseload's weak reference keeps its list's allocation, so a list at the same
    // address is that list.
    if let Some(held) = held
        && std::ptr::eq(held.list.as_ptr(), Arc::as_ptr(&list))
        && held.at <= now
        && now < held.valid_until
    {
        return Ok(held.caseload);
    }
    let mut valid_until = now + chrono::Duration::seconds(FINDINGS_REUSE_SECS);
    let mine: Vec<(Arc<CachedCase>, Arc<Findings>)> = list
        .iter()
        .filter(|cached| cached.has_member(force, viewer.officer_id()))
        .map(|cached| {
            let (findings, until) = cached.findings_until(state, now);
            valid_until = valid_until.min(until);
            (Arc::clone(cached), findings)
        })
        .collect();
    let rows = caseload_rows(&mine);
    let caseload = Arc::new(Caseload {
        open_findings: rows.iter().map(|r| r.open_findings).sum(),
        overdue: rows.iter().map(|r| r.overdue).sum(),
        rows,
    });
    let mut held = crate::state::lock(&state.caseloads);
    if held.len() >= HELD_CASELOADS {
        held.clear();
    }
    held.insert(
        username.to_owned(),
        HeldCaseload {
            list: Arc::downgrade(&list),
            at: now,
            valid_until,
            caseload: Arc::clone(&caseload),
        },
    );
    Ok(caseload)
}

/// The cases `filter` lists (one audited list), each as the server holds it at the listed
/// version. The list last listed for the same filter is reused while the force's change counter
/// stands still: a caseload then costs the store one counter read and its audit record, not a
/// read of every open case of the force. Reusing the held cases with it is sound because a case's
/// every change moves the counter in the same transaction, and a version's events never change.
async fn open_cases(
    state: &AppState,
    access: &Access,
    filter: &CaseFilter,
) -> Result<Arc<Vec<Arc<CachedCase>>>, AppError> {
    let list_key = serde_json::to_string(filter).unwrap_or_default();
    let held = crate::state::lock(&state.case_lists)
        .get(&list_key)
        .cloned();
    let known = held.as_ref().map(|held| held.changes);
    match state
        .store
        .list_cases_if_changed(access, filter, known)
        .await?
    {
        CaseList::Unchanged { changes } => match held {
            Some(held) if held.changes == changes => Ok(held.cases),
            _ => Err(AppError::internal(
                "list",
                &"the store answered unchanged for a counter the server does not hold",
            )),
        },
        CaseList::Listed { changes, cases } => {
            let mut resolved = Vec::with_capacity(cases.len());
            for summary in &cases {
                let key = summary.key();
                resolved.push(match state.cached(&key) {
                    Some(cached) if cached.version == summary.version => cached,
                    _ => read(state, access, &key).await?,
                });
            }
            let resolved = Arc::new(resolved);
            crate::state::lock(&state.case_lists).insert(
                list_key,
                HeldList {
                    changes,
                    cases: Arc::clone(&resolved),
                },
            );
            Ok(resolved)
        }
    }
}

/// Caseload rows, most urgent case first.
pub fn caseload_rows(cases: &[(Arc<CachedCase>, Arc<Findings>)]) -> Vec<Arc<CaseloadRow>> {
    let mut rows: Vec<Arc<CaseloadRow>> = cases
        .iter()
        .map(|(cached, findings)| findings.caseload_row(cached))
        .collect();
    rows.sort_by(|a, b| {
        a.sort_key
            .0
            .cmp(&b.sort_key.0)
            .then_with(|| match (a.sort_key.1, b.sort_key.1) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.reference.cmp(&b.reference))
    });
    rows
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

/// Per officer: open cases and overdue findings.
#[derive(Debug, Clone, Serialize)]
pub struct OfficerLoad {
    pub officer: String,
    pub open_cases: usize,
    pub overdue: usize,
}

pub fn officer_loads(cases: &[(Arc<CachedCase>, Arc<Findings>)]) -> Vec<OfficerLoad> {
    let mut by: BTreeMap<String, OfficerLoad> = BTreeMap::new();
    for (cached, findings) in cases {
        let officer = cached.officer_in_case().unwrap_or("unallocated").to_owned();
        let entry = by.entry(officer.clone()).or_insert(OfficerLoad {
            officer,
            open_cases: 0,
            overdue: 0,
        });
        entry.open_cases += 1;
        entry.overdue += findings
            .iter()
            .filter(|f| f.status == Status::Overdue)
            .count();
    }
    by.into_values().collect()
}

/// One person on a case (identity sealed unless unsealed for this view).
#[derive(Debug, Clone, Serialize)]
pub struct PersonRow {
    pub key: String,
    pub role: String,
    pub age_at_offence: Option<u32>,
    pub enhanced_rights: bool,
    /// The unsealed name, when the viewer may see it.
    pub name: Option<String>,
}

impl PersonRow {
    pub fn name_text(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
    pub fn is_victim(&self) -> bool {
        self.role == "victim"
    }
    pub fn age_text(&self) -> String {
        self.age_at_offence
            .map(|a| a.to_string())
            .unwrap_or_default()
    }
}

/// A person's role as the format writes it.
pub fn role_name(role: PersonRole) -> &'static str {
    match role {
        PersonRole::Victim => "victim",
        PersonRole::Suspect => "suspect",
        PersonRole::Witness => "witness",
    }
}

/// The people of a case, identity sealed.
pub fn people(case: &Case) -> Vec<PersonRow> {
    let mut rows: Vec<PersonRow> = Vec::new();
    for event in case.events() {
        if let EventData::PersonAdded(added) = &event.data {
            let role = role_name(added.role);
            let row = PersonRow {
                key: added.person.to_string(),
                role: role.to_owned(),
                age_at_offence: added.age_at_offence,
                enhanced_rights: added.enhanced_rights.unwrap_or(role == "victim"),
                name: None,
            };
            match rows.iter_mut().find(|r| r.key == row.key) {
                Some(existing) => *existing = row,
                None => rows.push(row),
            }
        }
    }
    rows
}

/// A name for people from an unsealed identity.
pub fn display_name(identity: &domain::interchange::Identity) -> String {
    let parts: Vec<&str> = [
        identity.given_name.as_deref(),
        identity.family_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "(no name recorded)".to_owned()
    } else {
        parts.join(" ")
    }
}

/// One entry of the whole-story timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineRow {
    pub at: String,
    pub at_local: String,
    pub kind: String,
    pub label: String,
    pub person: Option<String>,
    /// Details in words (never identity: `person_added` shows the key and role only).
    pub detail: String,
}

impl TimelineRow {
    pub fn person_text(&self) -> &str {
        self.person.as_deref().unwrap_or("")
    }
}

/// Every event of the case in order, in words.
pub fn timeline(case: &Case) -> Vec<TimelineRow> {
    case.events()
        .iter()
        .map(|event| {
            let detail = crate::story::sentence(event);
            let at = event.at.with_timezone(&Utc);
            TimelineRow {
                at: domain::interchange::format_timestamp(&event.at),
                at_local: local_time(&at),
                kind: event.kind().as_str().to_owned(),
                label: crate::record::spec(event.kind()).title.to_owned(),
                person: event.person().map(ToString::to_string),
                detail,
            }
        })
        .collect()
}

/// `suspect_arrested` -> `Suspect arrested`.
pub fn kind_label(kind: &str) -> String {
    let text = kind.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// An entry of the decision log.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRow {
    pub at_local: String,
    pub topic: String,
    pub decision: String,
    pub rationale: String,
    pub officer: String,
}

/// The decision log: every decision recorded anywhere in the case (decision log entries, and the
/// decisions charging, review, bail, closure and other records carry), in order. Never edited:
/// corrections are new entries.
pub fn decisions(case: &Case) -> Vec<DecisionRow> {
    case.events()
        .iter()
        .filter_map(|event| {
            let (topic, decision, rationale, officer) = crate::story::decision_of(event)?;
            Some(DecisionRow {
                at_local: local_time(&event.at.with_timezone(&Utc)),
                topic,
                decision,
                rationale,
                officer,
            })
        })
        .collect()
}

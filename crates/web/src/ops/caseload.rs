//! An officer's caseload (with its search, filters, order and pages) and a supervisor's team.

use std::sync::Arc;

use domain::Status;
use serde::Deserialize;
use storage::ForceChanges;

use super::cases::authorise;
use crate::access::Action;
use crate::error::AppError;
use crate::rows::FindingRow;
use crate::state::{AppState, CachedCase, Caseload};
use crate::viewer::Viewer;

#[derive(Debug, Deserialize, Default)]
pub struct CaseloadQuery {
    /// `all` (the default), `overdue`, `breached` or `due`.
    #[serde(default)]
    pub show: Option<String>,
    /// A case reference (or part of one) or a person's key.
    #[serde(default)]
    pub q: Option<String>,
    /// Only cases with an open finding of this rule.
    #[serde(default)]
    pub rule: Option<String>,
    /// `urgency` (the default), `reference`, `deadline` or `open`.
    #[serde(default)]
    pub sort: Option<String>,
    /// The page of results, from 1.
    #[serde(default)]
    pub page: Option<String>,
}

/// Rows per caseload page.
pub const CASELOAD_PAGE: usize = 50;

/// What the caseload's filter chose, checked.
#[derive(Debug, Clone, Default)]
pub struct CaseloadFilter {
    pub show: &'static str,
    pub q: String,
    pub rule: String,
    pub sort: &'static str,
    pub page: usize,
}

impl CaseloadQuery {
    pub fn filter(&self) -> Result<CaseloadFilter, AppError> {
        let show = match self.show.as_deref().unwrap_or("") {
            "" | "all" => "all",
            "overdue" => "overdue",
            "breached" => "breached",
            "due" => "due",
            _ => {
                return Err(AppError::invalid(
                    "show",
                    "Choose which cases to show from the list.",
                ));
            }
        };
        let sort = match self.sort.as_deref().unwrap_or("") {
            "" | "urgency" => "urgency",
            "reference" => "reference",
            "deadline" => "deadline",
            "open" => "open",
            _ => return Err(AppError::invalid("sort", "Choose an order from the list.")),
        };
        let page = match self.page.as_deref().unwrap_or("") {
            "" => 1,
            text => text
                .parse::<usize>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| AppError::invalid("page", "A page is a whole number from 1."))?,
        };
        let rule = self.rule.clone().unwrap_or_default();
        if !rule
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(AppError::invalid("rule", "Choose a rule from the list."));
        }
        Ok(CaseloadFilter {
            show,
            q: self.q.clone().unwrap_or_default().trim().to_owned(),
            rule,
            sort,
            page,
        })
    }
}

impl CaseloadFilter {
    /// Whether this is what the caseload shows unasked: every case, most urgent first, page 1.
    pub fn is_default(&self) -> bool {
        self.show == "all"
            && self.q.is_empty()
            && self.rule.is_empty()
            && self.sort == "urgency"
            && self.page == 1
    }
}

/// Applies the caseload's search, filters and order; returns the page asked for and how many
/// rows matched.
pub fn filter_caseload(
    rows: &[Arc<crate::rows::CaseloadRow>],
    filter: &CaseloadFilter,
) -> (Vec<Arc<crate::rows::CaseloadRow>>, usize) {
    let q = filter.q.to_lowercase();
    let mut kept: Vec<Arc<crate::rows::CaseloadRow>> = rows
        .iter()
        .filter(|row| match filter.show {
            "overdue" => row.overdue > 0,
            "breached" => row.breached > 0,
            "due" => row.open_findings > row.overdue + row.breached,
            _ => true,
        })
        .filter(|row| {
            q.is_empty()
                || row.reference.to_lowercase().contains(&q)
                || row.people.iter().any(|p| p.to_lowercase() == q)
        })
        .filter(|row| filter.rule.is_empty() || row.open_rules.contains(&filter.rule))
        .cloned()
        .collect();
    match filter.sort {
        "reference" => kept.sort_by(|a, b| a.reference.cmp(&b.reference)),
        "deadline" => kept.sort_by_key(|row| (row.next_due.is_none(), row.next_due)),
        "open" => kept.sort_by_key(|row| std::cmp::Reverse(row.open_findings)),
        _ => {}
    }
    let total = kept.len();
    let start = (filter.page - 1) * CASELOAD_PAGE;
    let page = kept.into_iter().skip(start).take(CASELOAD_PAGE).collect();
    (page, total)
}

/// The viewer's caseload: cases they are allocated to, most urgent first. `changes`: the
/// counter of the viewer's force, when it was read with their session.
pub async fn caseload_data(
    state: &AppState,
    viewer: &Viewer,
    changes: Option<&ForceChanges>,
) -> Result<Arc<Caseload>, AppError> {
    let access = authorise(viewer, Action::Caseload)?;
    viewer.force_filter()?;
    super::cases::my_caseload(state, &access, viewer, state.now(), changes).await
}

/// The rules of `caseload`'s open findings, (id, title) by id, worked out once per caseload.
pub fn rule_choices(state: &AppState, caseload: &Caseload) -> Arc<Vec<(String, String)>> {
    Arc::clone(caseload.rule_choices.get_or_init(|| {
        let ids: std::collections::BTreeSet<&str> = caseload
            .rows
            .iter()
            .flat_map(|row| row.open_rules.iter().map(String::as_str))
            .collect();
        let choices = ids
            .into_iter()
            .map(|id| {
                let title = state
                    .rules
                    .find(id)
                    .map_or(id, |index| state.rules.rule(index).title.as_ref());
                (id.to_owned(), title.to_owned())
            })
            .collect();
        Arc::new(choices)
    }))
}

/// What the supervisor view shows.
#[derive(Debug)]
pub struct TeamData {
    pub rows: Vec<Arc<crate::rows::CaseloadRow>>,
    pub loads: Vec<crate::rows::OfficerLoad>,
    pub overdue: Vec<FindingRow>,
    pub reviews: Vec<FindingRow>,
}

/// The team: cases a supervisor is allocated to supervise (leaders: the whole force).
pub async fn team_data(state: &AppState, viewer: &Viewer) -> Result<TeamData, AppError> {
    let access = authorise(viewer, Action::TeamView)?;
    // A leader sees their whole force (a national leader every force); a supervisor the cases of
    // their force they supervise.
    let force = viewer.force_filter()?;
    let leader = viewer.role == crate::access::Role::Leader;
    let keep = |c: &CachedCase| leader || c.is_supervised_by(viewer);
    let loaded = super::cases::caseload(state, &access, force, &keep).await?;
    let rows = super::cases::caseload_rows(&loaded);
    // By officer name (within the case's force: identifiers are the force's own).
    let mut loads = super::cases::officer_loads(&loaded);
    for load in &mut loads {
        if let Some((cached, _)) = loaded
            .iter()
            .find(|(c, _)| c.officer_in_case() == Some(load.officer.as_str()))
        {
            load.officer = state.officer_name(&cached.case.key.force, &load.officer);
        }
    }
    loads.sort_by(|a, b| a.officer.cmp(&b.officer));
    let mut overdue = Vec::new();
    let mut reviews = Vec::new();
    for (_, findings) in &loaded {
        for f in findings.iter() {
            if f.status == Status::Overdue {
                overdue.push(f.clone());
            }
            if (f.view.rule == "SUP-REVIEW" || f.view.rule == "RUI-REVIEW")
                && matches!(f.status, Status::Due | Status::Overdue)
            {
                reviews.push(f.clone());
            }
        }
    }
    overdue.sort_by_key(|f| f.due);
    reviews.sort_by_key(|f| f.due);
    Ok(TeamData {
        rows,
        loads,
        overdue,
        reviews,
    })
}

//! Pages rendered once and kept with what they are made from: a caseload row, a case's findings
//! table and story (per evaluation of its findings), and its timeline, people and decisions (per
//! version). The caches live in the read model ([`crate::state`], [`crate::rows`]); how they are
//! filled is the views' business, so the methods that fill them are here.

use std::sync::{Arc, OnceLock};

use crate::rows::{CaseloadRow, people};
use crate::state::{CachedCase, Caseload, Findings};
use crate::story::decisions;

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

impl CaseloadRow {
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

impl Caseload {
    /// The caseload page's rule choices as most views ask for them (none chosen), rendered by
    /// `render` once per caseload: they change only with the caseload.
    pub fn default_rule_options_html(
        &self,
        render: impl FnOnce() -> Result<String, askama::Error>,
    ) -> Result<Arc<String>, askama::Error> {
        rendered_once(&self.default_rule_options_html, render)
    }

    /// The caseload page's results as most views ask for them (no search or filter, most urgent
    /// first, page 1), rendered by `render` once per caseload: a caseload is reused only while
    /// none of its rows can change (`ops::cases::my_caseload`), and its rows' order and the
    /// counts are fixed with it.
    pub fn default_results_html(
        &self,
        render: impl FnOnce() -> Result<String, askama::Error>,
    ) -> Result<Arc<String>, askama::Error> {
        rendered_once(&self.default_results_html, render)
    }
}

impl Findings {
    /// The case page's summary and "what needs doing" for a viewer who may record (`can_write`)
    /// or not, rendered by `render` once per evaluation: they change only with the case's
    /// version, its findings and the day ("overdue by N days"), and an evaluation is reused for
    /// at most 30 seconds (`state::cache`).
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
}

impl CachedCase {
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
}

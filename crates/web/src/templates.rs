//! Page templates (askama, `crates/web/templates/`). Every page extends `base.html`.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use crate::error::AppError;

use crate::access::{Action, Relation, allows};
use crate::ops::audit::AuditRow;
use crate::ops::guidance::PageLink;
use crate::rows::{CaseloadRow, DecisionRow, FindingRow, OfficerLoad, PersonRow, TimelineRow};
use crate::viewer::Viewer;

/// The header's navigation for a viewer.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub signed_in: bool,
    pub username: String,
    pub role_label: String,
    pub csrf: String,
    pub caseload: bool,
    pub team: bool,
    pub report: bool,
    pub break_glass: bool,
    pub shared: bool,
    /// The viewer administers users.
    pub admin: bool,
    /// The page's place in the navigation (its link's address), shown as the current page.
    pub current: &'static str,
    /// The session's idle timeout, for the warning before it ends.
    pub idle_seconds: i64,
}

impl Nav {
    pub fn for_viewer(viewer: &Viewer) -> Self {
        let allowed = |action| allows(viewer.role, action, Relation::NotApplicable);
        Nav {
            signed_in: true,
            username: viewer.user.display_name.clone(),
            role_label: viewer.role.label().to_owned(),
            csrf: viewer.csrf.clone(),
            caseload: allowed(Action::Caseload),
            team: allowed(Action::TeamView),
            report: allowed(Action::Report),
            break_glass: allowed(Action::BreakGlass),
            shared: allowed(Action::SharedList),
            admin: viewer.role == crate::access::Role::Admin,
            current: "",
            idle_seconds: viewer.idle_seconds,
        }
    }

    /// The same navigation, with `current` (a link's address) as the current page.
    pub fn at(mut self, current: &'static str) -> Self {
        self.current = current;
        self
    }

    /// The navigation's links: (address, label, `page` for the current page or empty).
    pub fn links(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let mut links = Vec::new();
        let mut add = |show: bool, href: &'static str, label: &'static str| {
            if show {
                let current = if self.current == href { "page" } else { "" };
                links.push((href, label, current));
            }
        };
        add(self.caseload, "/caseload", "My caseload");
        add(self.team, "/team", "Team");
        add(self.shared, "/shared", "Shared with me");
        add(true, "/guidance", "Guidance");
        add(self.report, "/reports/leaders", "Report");
        add(self.break_glass, "/break-glass", "Break glass");
        add(self.admin, "/admin/users", "Users");
        links
    }
}

/// The whole-story timeline panel of a case page (rendered once per case version).
#[derive(Debug, Template)]
#[template(path = "timeline_panel.html")]
pub struct TimelinePanel<'a> {
    pub timeline: &'a [TimelineRow],
}

#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub nav: Nav,
    /// On a case that exists outside the viewer's team, where their role may break glass: the
    /// case's force and reference, to offer it (nothing else about the case is said).
    pub break_glass: Option<(String, String)>,
    pub title: &'a str,
    pub message: &'a str,
    pub field: Option<&'a str>,
}

/// The page a request goes to once its session has ended.
#[derive(Debug, Template)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage {
    pub nav: Nav,
    /// What a form posted after the session ended held (label, value): not saved, shown back.
    pub draft: Vec<(String, String)>,
}

#[derive(Debug, Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub nav: Nav,
    pub pre_csrf: String,
    pub error: Option<String>,
    pub username: String,
}

#[derive(Debug, Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub nav: Nav,
    pub first_sign_in: bool,
    pub toolkits: Vec<PageLink>,
}

/// One case's row of the caseload table (rendered once per evaluation of its findings, see
/// [`CaseloadRow::html`]).
#[derive(Debug, Template)]
#[template(path = "caseload_row.html")]
pub struct CaseloadRowHtml<'a> {
    pub row: &'a CaseloadRow,
}

#[derive(Debug, Template)]
#[template(path = "caseload.html")]
pub struct CaseloadPage {
    pub nav: Nav,
    pub filter: crate::ops::caseload::CaseloadFilter,
    /// The `<option>`s of the filter by rule ([`CaseloadRuleOptions`]).
    pub rule_options: std::sync::Arc<String>,
    /// The search's results ([`CaseloadResults`]).
    pub results: std::sync::Arc<String>,
}

/// The choices of the caseload's filter by rule: the rules of its open findings, (id, title).
#[derive(Debug, Template)]
#[template(path = "caseload_rule_options.html")]
pub struct CaseloadRuleOptions<'a> {
    pub rules: &'a [(String, String)],
    /// The rule chosen, or empty.
    pub selected: &'a str,
}

/// The caseload's results: counts, one page of rows and the links to the other pages.
#[derive(Debug, Template)]
#[template(path = "caseload_results.html")]
pub struct CaseloadResults<'a> {
    pub filter: &'a crate::ops::caseload::CaseloadFilter,
    /// Only cases with an overdue finding are listed.
    pub overdue_only: bool,
    pub rows: &'a [std::sync::Arc<CaseloadRow>],
    pub open_findings: usize,
    pub overdue: usize,
    /// How many cases the search and filters kept, over how many pages.
    pub matched: usize,
    pub pages: usize,
}

/// See [`CaseloadResults::shown_text`]: `on_page` rows of page `page` of `pages`.
fn shown_text(matched: usize, page: usize, on_page: usize, pages: usize) -> String {
    if pages <= 1 {
        return format!("{matched} of your open cases shown");
    }
    if on_page == 0 {
        return format!("{matched} of your open cases match, none on this page");
    }
    let first = page.saturating_sub(1) * crate::ops::caseload::CASELOAD_PAGE + 1;
    let last = (first + on_page).saturating_sub(1);
    format!("{matched} of your open cases match, {first} to {last} shown")
}

impl CaseloadResults<'_> {
    /// How many cases matched and, over several pages, which of them this page shows.
    pub fn shown_text(&self) -> String {
        shown_text(self.matched, self.filter.page, self.rows.len(), self.pages)
    }

    /// Every page of the results: (number, address, `page` for the current one or empty).
    pub fn page_links(&self) -> Vec<(usize, String, &'static str)> {
        (1..=self.pages)
            .map(|page| {
                let current = if page == self.filter.page { "page" } else { "" };
                (page, self.page_link(page), current)
            })
            .collect()
    }

    /// The address of the previous page, if any.
    pub fn previous_link(&self) -> Option<String> {
        (self.filter.page > 1).then(|| self.page_link(self.filter.page - 1))
    }

    /// The address of the next page, if any.
    pub fn next_link(&self) -> Option<String> {
        (self.filter.page < self.pages).then(|| self.page_link(self.filter.page + 1))
    }

    /// The address of another page of the same results.
    pub fn page_link(&self, page: usize) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("show", self.filter.show);
        if !self.filter.q.is_empty() {
            query.append_pair("q", &self.filter.q);
        }
        if !self.filter.rule.is_empty() {
            query.append_pair("rule", &self.filter.rule);
        }
        query.append_pair("sort", self.filter.sort);
        query.append_pair("page", &page.to_string());
        format!("/caseload?{}", query.finish())
    }
}

/// A person choice in a form.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The rows of a case page's findings table (rendered once per evaluation of the findings).
#[derive(Debug, Template)]
#[template(path = "case_findings.html")]
pub struct FindingsRows<'a> {
    pub findings: &'a [FindingRow],
}

/// A case page's people panel (rendered once per case version).
#[derive(Debug, Template)]
#[template(path = "case_people.html")]
pub struct PeoplePanel<'a> {
    pub path: &'a str,
    pub people: &'a [PersonRow],
}

/// A case page's decision log (rendered once per case version).
#[derive(Debug, Template)]
#[template(path = "case_decisions.html")]
pub struct DecisionsPanel<'a> {
    pub decisions: &'a [DecisionRow],
}

/// A case page's summary and "what needs doing" (rendered once per evaluation of the findings).
#[derive(Debug, Template)]
#[template(path = "case_story.html")]
pub struct CaseStory<'a> {
    pub path: &'a str,
    pub summary: &'a [(String, String)],
    pub tasks: &'a [crate::story::Task],
    pub can_write: bool,
}

#[derive(Debug, Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub nav: Nav,
    pub force: String,
    pub reference: String,
    pub path: String,
    pub closed: bool,
    pub open_count: usize,
    /// The findings table's rows, rendered once per evaluation of the findings.
    pub findings_html: std::sync::Arc<String>,
    /// The panels fixed for a case version, rendered once per version.
    pub people_html: std::sync::Arc<String>,
    pub timeline_html: std::sync::Arc<String>,
    pub decisions_html: std::sync::Arc<String>,
    /// The summary at the top and "what needs doing", rendered once per evaluation of the
    /// findings (see `Findings::story_html`).
    pub story_html: std::sync::Arc<String>,
    /// The title of what was just recorded (`?recorded=KIND`), for the banner.
    pub recorded_title: String,
    /// The case was just opened.
    pub created: bool,
    pub can_write: bool,
    pub can_audit: bool,
    pub break_glass: bool,
    pub break_glass_log: Vec<(String, String, String)>,
    /// Where the warnings are about a proposed event: the fields to send again with `confirm`.
    pub warnings: Vec<FindingRow>,
    pub pending: Vec<(String, String)>,
    pub error: Option<(String, Option<String>)>,
    pub recorded: bool,
    /// The viewer may share the case with a partner (and revoke shares).
    pub can_share: bool,
    /// Shares of the case, revoked ones included (for the case team).
    pub shares: Vec<crate::ops::sharing::ShareRow>,
    /// What can be shared: (value, label).
    pub share_items: Vec<(String, String)>,
}

impl CasePage {
    pub fn error_message(&self) -> &str {
        self.error.as_ref().map_or("", |(m, _)| m.as_str())
    }
    pub fn error_field(&self) -> &str {
        self.error
            .as_ref()
            .and_then(|(_, f)| f.as_deref())
            .unwrap_or("")
    }
}

#[derive(Debug, Template)]
#[template(path = "team.html")]
pub struct TeamPage {
    pub nav: Nav,
    pub rows: Vec<std::sync::Arc<CaseloadRow>>,
    pub loads: Vec<OfficerLoad>,
    pub overdue: Vec<FindingRow>,
    pub reviews: Vec<FindingRow>,
    /// Officers' names by (force, identifier), for the rows.
    pub names: std::collections::HashMap<(String, String), String>,
}

impl TeamPage {
    /// The officer in case of a row, by name where known.
    pub fn officer_of(&self, row: &CaseloadRow) -> String {
        match &row.officer {
            Some(officer) => self
                .names
                .get(&(row.force.clone(), officer.clone()))
                .map_or_else(
                    || format!("Officer {officer}"),
                    |name| format!("{name} ({officer})"),
                ),
            None => "Not allocated".to_owned(),
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "guidance_index.html")]
pub struct GuidanceIndexPage {
    pub nav: Nav,
    pub query: String,
    pub role: String,
    pub stage: String,
    pub roles: Vec<Choice>,
    pub stages: Vec<Choice>,
    pub searched: bool,
    pub results: Vec<PageLink>,
    pub error: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "guidance_page.html")]
pub struct GuidancePage {
    pub nav: Nav,
    pub id: String,
    pub title: String,
    pub summary: String,
    pub restricted: bool,
    pub body_html: String,
    pub sources: Vec<(String, String)>,
    pub reviewed: String,
}

#[derive(Debug, Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub nav: Nav,
    pub force: String,
    pub reference: String,
    pub path: String,
    pub rows: Vec<AuditRow>,
}

#[derive(Debug, Template)]
#[template(path = "break_glass.html")]
pub struct BreakGlassPage {
    pub nav: Nav,
    pub force: String,
    pub reference: String,
    pub error: Option<(String, String)>,
}

impl BreakGlassPage {
    pub fn error_message(&self) -> &str {
        self.error.as_ref().map_or("", |(m, _)| m.as_str())
    }
    pub fn error_field(&self) -> &str {
        self.error.as_ref().map_or("", |(_, f)| f.as_str())
    }
}

#[derive(Debug, Template)]
#[template(path = "unseal.html")]
pub struct UnsealPage {
    pub nav: Nav,
    pub path: String,
    pub reference: String,
    pub person: String,
    pub name: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Template)]
#[template(path = "shared_list.html")]
pub struct SharedListPage {
    pub nav: Nav,
    pub rows: Vec<crate::ops::sharing::SharedRow>,
}

#[derive(Debug, Template)]
#[template(path = "shared_case.html")]
pub struct SharedCasePage {
    pub nav: Nav,
    pub view: crate::ops::sharing::SharedView,
}

/// The leaders' report: the date range form (with its errors, values kept) and the report itself,
/// inside the site's layout.
#[derive(Debug, Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub nav: Nav,
    /// "your force" or "every force".
    pub scope: &'static str,
    /// The dates as entered (or the defaults), kept when refused.
    pub from: String,
    pub to: String,
    /// Messages by field name (`from`, `to`).
    pub from_error: String,
    pub to_error: String,
    /// (field id, message) for the error summary.
    pub errors: Vec<(String, String)>,
    /// The report's content (`reporting::Report::to_html_fragment`), when the range is valid.
    pub report_html: Option<String>,
}

impl ReportPage {
    /// (id, name, label, value, error) of each date field.
    pub fn fields(&self) -> [(&str, &str, &str, &str, &str); 2] {
        [
            (
                "f-from",
                "from",
                "Reported on or after",
                &self.from,
                &self.from_error,
            ),
            (
                "f-to",
                "to",
                "Reported on or before",
                &self.to,
                &self.to_error,
            ),
        ]
    }
}

/// An error as an HTML page (the error type is below the views; how it looks is theirs).
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            nav: Nav::default(),
            break_glass: None,
            title: match self.status.as_u16() {
                400 => "There is a problem",
                401 => "Sign in",
                403 => "You cannot do this",
                404 => "Page not found",
                409 => "The case has changed",
                _ => "Sorry, there is a problem with the service",
            },
            message: &self.message,
            field: self.field.as_deref(),
        };
        let body = askama::Template::render(&page).unwrap_or_else(|_| self.message.clone());
        let status = self.status;
        let mut response = (status, Html(body)).into_response();
        // Kept with the response so that the error page can be made again with the viewer's
        // navigation (see `pages::error_pages`).
        response.extensions_mut().insert(self);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::shown_text;

    #[test]
    fn the_caseload_says_which_of_the_matching_cases_a_page_shows() {
        assert_eq!(shown_text(12, 1, 12, 1), "12 of your open cases shown");
        assert_eq!(
            shown_text(61, 1, 50, 2),
            "61 of your open cases match, 1 to 50 shown"
        );
        assert_eq!(
            shown_text(61, 2, 11, 2),
            "61 of your open cases match, 51 to 61 shown"
        );
        assert_eq!(
            shown_text(61, 5, 0, 2),
            "61 of your open cases match, none on this page"
        );
    }
}

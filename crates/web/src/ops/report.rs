//! The leaders' report over the viewer's force (or every force, for a national viewer).

use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;
use storage::{Access, Purpose};

use super::cases::authorise;
use crate::access::Action;
use crate::error::AppError;
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Debug, Deserialize, Default)]
pub struct ReportQuery {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
}

/// A date as a person enters it: `2026-03-01` (what a date field sends) or `1/3/2026`.
fn parse_uk_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .ok()
}

/// The report's date range from the query, or a message for each field that is wrong, by field
/// name (`from`, `to`). Empty fields take the defaults: the year to today.
pub fn report_range(
    query: &ReportQuery,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), Vec<(&'static str, String)>> {
    let year_ago = today
        .with_year(today.year() - 1)
        .unwrap_or(today - Duration::days(365));
    let mut errors = Vec::new();
    let mut date = |value: Option<&str>, field: &'static str, what: &str, default: NaiveDate| {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Some(default),
            Some(text) => match parse_uk_date(text) {
                // No case can have been reported after today; an end date after it is fine.
                Some(date) if field == "from" && date > today => {
                    errors.push((
                        field,
                        format!("The {what} date must be today or in the past."),
                    ));
                    None
                }
                Some(date) => Some(date),
                None => {
                    errors.push((
                        field,
                        format!("Enter the {what} date as a real date, for example 1/3/2026."),
                    ));
                    None
                }
            },
        }
    };
    let from = date(query.from.as_deref(), "from", "start", year_ago);
    let to = date(query.to.as_deref(), "to", "end", today);
    match (from, to) {
        (Some(from), Some(to)) if from > to => Err(vec![(
            "from",
            "The start date must be the same as or before the end date.".to_owned(),
        )]),
        (Some(from), Some(to)) if errors.is_empty() => Ok((from, to)),
        _ => Err(errors),
    }
}

/// Builds the report over the viewer's force (one audited combination of its cases).
pub async fn build_report(
    state: &AppState,
    viewer: &Viewer,
    query: &ReportQuery,
) -> Result<reporting::Report, AppError> {
    let access: Access = authorise(viewer, Action::Report)?;
    let now = state.now();
    let today = domain::time::in_london(&now).date_naive();
    let (from, to) = report_range(query, today).map_err(|errors| match errors.first() {
        Some((field, message)) => AppError::invalid(*field, message.clone()),
        None => AppError::invalid("from", "The dates are not valid."),
    })?;
    let scope = reporting::Scope {
        // The viewer's own force; every force only for a national viewer.
        force: viewer.force_filter()?.map(str::to_owned),
        from,
        to,
        as_of: now,
        rule_set: state.rules.label(),
        shared: false,
    };
    let access = Access {
        purpose: Purpose::Reporting,
        ..access
    };
    // From the stored report facts (one row per case in range) when they match the server's rule
    // set; otherwise every case is read and evaluated.
    let (report, _path) =
        reports::build_report(state.store.as_ref(), &access, &state.rules, scope).await?;
    Ok(report)
}

//! The repeat-suspect figure. It does not come from the case events but from the store's
//! confirmed suspect links (`storage::Store::repeat_suspects`), so the caller adds it to a
//! finished [`Report`]; a report without it renders exactly as before.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use crate::html::escape;
use crate::{Report, shown};

/// Repeat suspects of the report's force (or of all forces), as the store holds them when the
/// report is made (not limited to the report's date range: a link is found whenever the second
/// report arrives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RepeatSuspects {
    /// Suspects (a person of a case) with at least one confirmed link to another case.
    pub linked_suspects: u64,
    /// Confirmed links.
    pub confirmed_links: u64,
    /// Suggested links not yet reviewed.
    pub suggested_links: u64,
}

fn count(n: u64, shared: bool) -> Value {
    let text = shown(n, shared);
    if text == n.to_string() {
        json!(n)
    } else {
        json!(text)
    }
}

/// The figure as JSON (small numbers suppressed in shared reports).
pub(crate) fn json(figure: &RepeatSuspects, shared: bool) -> Value {
    json!({
        "linked_suspects": count(figure.linked_suspects, shared),
        "confirmed_links": count(figure.confirmed_links, shared),
        "suggested_links": count(figure.suggested_links, shared),
    })
}

/// The HTML section, when the report has the figure.
pub(crate) fn html(html: &mut String, report: &Report) {
    let Some(figure) = &report.repeat_suspects else {
        return;
    };
    let shared = report.scope.shared;
    html.push_str("<h2>Repeat suspects</h2>\n<p>Suspects confirmed by a reviewer as the same person as a suspect of another case, at the time of this report.</p>\n<table>\n");
    for (label, n) in [
        ("Suspects linked to another case", figure.linked_suspects),
        ("Confirmed links", figure.confirmed_links),
        ("Suggested links awaiting review", figure.suggested_links),
    ] {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            escape(label),
            shown(n, shared)
        );
    }
    html.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_numbers_are_suppressed_when_shared() {
        let figure = RepeatSuspects {
            linked_suspects: 3,
            confirmed_links: 12,
            suggested_links: 0,
        };
        let shared = json(&figure, true);
        assert_eq!(shared["linked_suspects"], "<5");
        assert_eq!(shared["confirmed_links"], 12);
        assert_eq!(shared["suggested_links"], 0);
        assert_eq!(json(&figure, false)["linked_suspects"], 3);
    }
}

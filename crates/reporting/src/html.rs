//! A self-contained, printable HTML report with hand-written SVG charts: no scripts, no external
//! resources, so it can be emailed or printed as it is.

use std::fmt::Write as _;

use crate::{Ageing, Percentiles, Report, shown};

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

const STYLE: &str = "body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;margin:2em auto;max-width:60em;line-height:1.4}\
h1{font-size:2em;margin-bottom:.2em}h2{font-size:1.4em;margin-top:1.6em;border-bottom:2px solid #b1b4b6}\
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border-bottom:1px solid #b1b4b6;padding:.3em .8em .3em 0;text-align:left}\
td.n,th.n{text-align:right}.meta{color:#505a5f}.note{background:#f3f2f1;padding:.6em 1em;border-left:5px solid #1d70b8}\
svg text{font-family:Arial,Helvetica,sans-serif;font-size:12px;fill:#0b0c0c}svg{max-width:100%;height:auto}\
@media print{body{margin:0;max-width:none}h2{break-after:avoid}svg,table{break-inside:avoid}}";

pub(crate) fn page(report: &Report) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<title>RASSO performance report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    );
    html.push_str(&fragment(report));
    html.push_str("</main>\n</body>\n</html>\n");
    html
}

/// The report's content without the document around it, for a page that has its own layout and
/// stylesheet (the web server's). Classes: `rasso-report`, `meta`, `note`, `n` (numbers).
pub(crate) fn fragment(report: &Report) -> String {
    let shared = report.scope.shared;
    let scope = match &report.scope.force {
        Some(force) => format!("Force: {}", escape(force)),
        None => "All forces".to_owned(),
    };
    let as_of = domain::time::in_london(&report.scope.as_of);
    let mut html = String::from("<div class=\"rasso-report\">\n");
    let _ = write!(
        html,
        "<h1>RASSO performance and compliance</h1>\n<p class=\"meta\">{scope}. Cases reported {} to {}. Figures as at {} (UK time; rule set {}).</p>\n",
        uk_date(report.scope.from),
        uk_date(report.scope.to),
        as_of.format("%-d %B %Y %H:%M"),
        escape(&report.scope.rule_set)
    );
    plugins(&mut html, report);
    if shared {
        html.push_str("<p class=\"note\">Prepared for sharing outside the force: counts from 1 to 4 are shown as &lt;5, and officer-level figures are left out.</p>\n");
    }
    summary(&mut html, report);
    html.push_str("<h2>Reports by month</h2>\n");
    html.push_str(&trend_chart(
        &report
            .reports_by_month
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect::<Vec<_>>(),
        shared,
    ));
    outcomes(&mut html, report);
    compliance(&mut html, report);
    ageing(
        &mut html,
        "Suspects on pre-charge bail, by time on bail",
        &report.bail_ageing,
        shared,
    );
    ageing(
        &mut html,
        "Suspects released under investigation, by time since release",
        &report.rui_ageing,
        shared,
    );
    officers(&mut html, report);
    crate::repeat::html(&mut html, report);
    offences(&mut html, report);
    html.push_str("</div>\n");
    html
}

/// A date as people in the UK write it: `1 March 2026`.
fn uk_date(date: chrono::NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// `2026-03` as `Mar 2026`; anything else as it is.
fn month_label(month: &str) -> String {
    chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_or_else(
        |_| month.to_owned(),
        |first| first.format("%b %Y").to_string(),
    )
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn days(p: &Percentiles, shared: bool) -> [String; 3] {
    let withheld = shared && p.count < 5;
    let show = |d: Option<u32>| {
        if withheld {
            "–".to_owned()
        } else {
            d.map_or_else(|| "–".to_owned(), |d| d.to_string())
        }
    };
    [shown(p.count, shared), show(p.median), show(p.p90)]
}

fn summary(html: &mut String, report: &Report) {
    let shared = report.scope.shared;
    let rate = |value: Option<f64>, denominator: u64| {
        if shared && denominator < 5 {
            "–".to_owned()
        } else {
            percent(value)
        }
    };
    let _ = write!(
        html,
        "<h2>Summary</h2>\n<table>\n<tr><th>Cases reported</th><td class=\"n\">{}</td></tr>\n<tr><th>Charged or summonsed</th><td class=\"n\">{}</td></tr>\n<tr><th>Charge or summons rate</th><td class=\"n\">{}</td></tr>\n<tr><th>Closed: victim does not support action (outcomes 14 and 16), share of outcomes</th><td class=\"n\">{}</td></tr>\n</table>\n",
        shown(report.cases, shared),
        shown(report.charged, shared),
        rate(report.charge_rate(), report.cases),
        rate(report.victim_does_not_support_share(), report.closed()),
    );
    html.push_str("<table>\n<tr><th>Days from report</th><th class=\"n\">cases</th><th class=\"n\">median</th><th class=\"n\">90th percentile</th></tr>\n");
    for (label, p) in [
        ("to charge", &report.days_to_charge),
        ("to outcome", &report.days_to_outcome),
        ("to the victim's first update", &report.days_to_first_update),
    ] {
        let [count, median, p90] = days(p, shared);
        let _ = writeln!(
            html,
            "<tr><td data-label=\"Days from report\">{label}</td><td class=\"n\" data-label=\"cases\">{count}</td><td class=\"n\" data-label=\"median\">{median}</td><td class=\"n\" data-label=\"90th percentile\">{p90}</td></tr>"
        );
    }
    html.push_str("</table>\n");
}

fn outcome_label(outcome: usize) -> String {
    match outcome {
        0 => "Open (no outcome yet)".to_owned(),
        1 => "1 Charged or summonsed".to_owned(),
        14 => {
            "14 Evidential difficulties, suspect not identified, victim does not support".to_owned()
        }
        15 => "15 Evidential difficulties, suspect identified, victim supports".to_owned(),
        16 => "16 Evidential difficulties, suspect identified, victim does not support".to_owned(),
        18 => "18 Investigation complete, no suspect identified".to_owned(),
        21 => "21 Further investigation not in the public interest (police)".to_owned(),
        other => format!("Outcome type {other}"),
    }
}

fn outcomes(html: &mut String, report: &Report) {
    html.push_str("<h2>Outcomes</h2>\n");
    let bars: Vec<(String, u64)> = report
        .outcomes
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(outcome, n)| (outcome_label(outcome), *n))
        .collect();
    html.push_str(&bar_chart(&bars, report.scope.shared, |n| {
        shown(n, report.scope.shared)
    }));
}

/// The force plugins whose rules the report includes, each by name, version and signature.
fn plugins(html: &mut String, report: &Report) {
    if report.plugins.is_empty() {
        return;
    }
    html.push_str("<p class=\"meta\">Includes the rules of force plugins: ");
    let named: Vec<String> = report
        .plugins
        .iter()
        .map(|plugin| {
            let mut text = format!(
                "{} {} (signature <code>{}</code>; rules {}",
                escape(&plugin.name),
                escape(&plugin.version),
                escape(&short(&plugin.signature)),
                escape(&plugin.rules.join(", "))
            );
            if !plugin.policy.is_empty() {
                let _ = write!(text, "; policy {}", escape(&plugin.policy.join(", ")));
            }
            text.push(')');
            text
        })
        .collect();
    html.push_str(&named.join("; "));
    html.push_str(".</p>\n");
    if !report.plugins_disabled.is_empty() {
        let _ = writeln!(
            html,
            "<p class=\"note\">Disabled while this report was built, so their rules' figures are incomplete: {}.</p>",
            escape(&report.plugins_disabled.join(", "))
        );
    }
}

/// The first 16 characters of a signature: enough to tell builds apart on a page.
fn short(signature: &str) -> String {
    let mut text: String = signature.chars().take(16).collect();
    if text.len() < signature.len() {
        text.push('…');
    }
    text
}

fn compliance(html: &mut String, report: &Report) {
    let shared = report.scope.shared;
    html.push_str("<h2>Compliance by rule</h2>\n<p>Met on time as a share of instances decided (met, met late, overdue or breached).</p>\n");
    let rates: Vec<(String, u64)> = report
        .compliance
        .iter()
        .filter(|rule| rule.instances > 0)
        .map(|rule| {
            (
                format!("{} ({}, {})", rule.title, rule.rule, rule.rule_set),
                rule.on_time_rate()
                    .map_or(0, |r| (r * 1000.0).round() as u64),
            )
        })
        .collect();
    html.push_str(&bar_chart(&rates, false, |per_mille| {
        format!("{:.1}%", per_mille as f64 / 10.0)
    }));
    html.push_str("<table>\n<tr><th>Rule</th><th>Rule set</th><th class=\"n\">instances</th><th class=\"n\">met</th><th class=\"n\">met late</th><th class=\"n\">due</th><th class=\"n\">overdue</th><th class=\"n\">breached</th><th class=\"n\">advice</th><th class=\"n\">on time</th></tr>\n");
    for rule in &report.compliance {
        let decided = rule.met + rule.met_late + rule.overdue + rule.breached;
        let on_time = if shared && decided < 5 {
            "–".to_owned()
        } else {
            percent(rule.on_time_rate())
        };
        let _ = writeln!(
            html,
            "<tr><td data-label=\"Rule\">{} ({})</td><td data-label=\"Rule set\">{}</td><td class=\"n\" data-label=\"instances\">{}</td><td class=\"n\" data-label=\"met\">{}</td><td class=\"n\" data-label=\"met late\">{}</td><td class=\"n\" data-label=\"due\">{}</td><td class=\"n\" data-label=\"overdue\">{}</td><td class=\"n\" data-label=\"breached\">{}</td><td class=\"n\" data-label=\"advice\">{}</td><td class=\"n\" data-label=\"on time\">{on_time}</td></tr>",
            escape(&rule.title),
            escape(&rule.rule),
            escape(&rule.rule_set),
            shown(rule.instances, shared),
            shown(rule.met, shared),
            shown(rule.met_late, shared),
            shown(rule.due, shared),
            shown(rule.overdue, shared),
            shown(rule.breached, shared),
            shown(rule.advice, shared),
        );
    }
    html.push_str("</table>\n");
}

fn ageing(html: &mut String, title: &str, ageing: &Ageing, shared: bool) {
    let _ = writeln!(html, "<h2>{title}</h2>");
    let bars: Vec<(String, u64)> = Ageing::LABELS
        .iter()
        .zip(ageing.buckets)
        .map(|(l, n)| ((*l).to_owned(), n))
        .collect();
    html.push_str(&bar_chart(&bars, shared, |n| shown(n, shared)));
}

fn officers(html: &mut String, report: &Report) {
    if report.officers.is_empty() {
        return;
    }
    html.push_str("<h2>Caseload by officer in case</h2>\n<table>\n<tr><th>Officer</th><th class=\"n\">open cases</th><th class=\"n\">overdue findings</th></tr>\n");
    for officer in &report.officers {
        let _ = writeln!(
            html,
            "<tr><td data-label=\"Officer\">{}</td><td class=\"n\" data-label=\"open cases\">{}</td><td class=\"n\" data-label=\"overdue findings\">{}</td></tr>",
            escape(&officer.officer),
            officer.open_cases,
            officer.overdue_findings
        );
    }
    html.push_str("</table>\n");
}

fn offences(html: &mut String, report: &Report) {
    let shared = report.scope.shared;
    html.push_str("<h2>Reports and recorded crimes by offence</h2>\n<table>\n<tr><th>Offence</th><th class=\"n\">reports</th><th class=\"n\">recorded</th></tr>\n");
    let mut codes: Vec<&String> = report
        .reports_by_offence
        .keys()
        .chain(report.recorded_by_offence.keys())
        .collect();
    codes.sort();
    codes.dedup();
    for code in codes {
        let reports = report.reports_by_offence.get(code).copied().unwrap_or(0);
        let recorded = report.recorded_by_offence.get(code).copied().unwrap_or(0);
        let _ = writeln!(
            html,
            "<tr><td data-label=\"Offence\">{}</td><td class=\"n\" data-label=\"reports\">{}</td><td class=\"n\" data-label=\"recorded\">{}</td></tr>",
            escape(&domain::offences::describe(code)),
            shown(reports, shared),
            shown(recorded, shared)
        );
    }
    html.push_str("</table>\n");
}

/// Horizontal bars, one per row, labelled with `label(value)`. Suppressed values (1 to 4 in a shared
/// report) are drawn with no length, so the chart cannot reveal them.
fn bar_chart(bars: &[(String, u64)], suppress: bool, label: impl Fn(u64) -> String) -> String {
    if bars.is_empty() {
        return "<p>None.</p>\n".to_owned();
    }
    let drawn = |value: u64| {
        if suppress && (1..5).contains(&value) {
            0
        } else {
            value
        }
    };
    let max = bars
        .iter()
        .map(|(_, v)| drawn(*v))
        .max()
        .unwrap_or(0)
        .max(1);
    // Labels are never cut: a long one wraps onto more lines and its row grows to hold them.
    let (label_width, bar_width, line) = (330.0, 320.0, 15.0);
    let rows: Vec<(Vec<String>, u64)> = bars
        .iter()
        .map(|(name, value)| (wrap(name, LABEL_CHARS), *value))
        .collect();
    let row_height = |lines: usize| (line * lines as f64 + 7.0).max(22.0);
    let height: f64 = rows
        .iter()
        .map(|(lines, _)| row_height(lines.len()))
        .sum::<f64>()
        + 10.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"bar chart\" width=\"720\" height=\"{height}\" viewBox=\"0 0 720 {height}\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    let mut y = 5.0;
    for (lines, value) in &rows {
        let width = bar_width * drawn(*value) as f64 / max as f64;
        let _ = write!(
            svg,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">",
            label_width - 8.0,
            y + 14.0
        );
        for (index, text) in lines.iter().enumerate() {
            let dy = if index == 0 { 0.0 } else { line };
            let _ = write!(
                svg,
                "<tspan x=\"{:.0}\" dy=\"{dy:.0}\">{}</tspan>",
                label_width - 8.0,
                escape(text)
            );
        }
        let _ = writeln!(
            svg,
            "</text><rect x=\"{label_width:.0}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"16\" fill=\"#1d70b8\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_width + width + 6.0,
            y + 14.0,
            escape(&label(*value)),
        );
        y += row_height(lines.len());
    }
    svg.push_str("</svg>\n");
    svg
}

/// How many characters of a bar's label fit on one line beside the bars.
const LABEL_CHARS: usize = 50;

/// `text` in lines of at most `width` characters, broken between words (a word longer than a line
/// is broken inside).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            lines.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if !current.is_empty() && needed > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// A line over time. In a shared report, points with suppressed values are drawn at zero.
fn trend_chart(points: &[(&str, u64)], shared: bool) -> String {
    if points.is_empty() {
        return "<p>None.</p>\n".to_owned();
    }
    let value = |v: u64| if shared && (1..5).contains(&v) { 0 } else { v };
    let max = points
        .iter()
        .map(|(_, v)| value(*v))
        .max()
        .unwrap_or(0)
        .max(1);
    let (width, height, left, bottom) = (720.0, 220.0, 50.0, 40.0);
    let step = if points.len() > 1 {
        (width - left - 20.0) / (points.len() - 1) as f64
    } else {
        0.0
    };
    let y_of = |v: u64| 10.0 + (height - bottom - 10.0) * (1.0 - value(v) as f64 / max as f64);
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", left + step * i as f64, y_of(*v)))
        .collect();
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"reports by month\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">\n<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#b1b4b6\"/>\n<text x=\"{:.0}\" y=\"20\" text-anchor=\"end\">{max}</text><text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">0</text>\n<polyline fill=\"none\" stroke=\"#1d70b8\" stroke-width=\"2\" points=\"{}\"/>\n",
        height - bottom,
        width - 10.0,
        height - bottom,
        left - 6.0,
        left - 6.0,
        height - bottom,
        path.join(" ")
    );
    let label_every = points.len().div_ceil(12).max(1);
    for (i, (month, _)) in points
        .iter()
        .enumerate()
        .filter(|(i, _)| i % label_every == 0)
    {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            left + step * i as f64,
            height - bottom + 18.0,
            escape(&month_label(month))
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_wrap_between_words_and_are_never_cut() {
        let title = "Abuse of a position of trust: sexual activity with a child (SOA2003-s16)";
        let lines = wrap(title, 30);
        assert!(
            lines.iter().all(|line| line.chars().count() <= 30),
            "{lines:?}"
        );
        assert_eq!(lines.join(" "), title);
        assert_eq!(wrap("short", 30), ["short"]);
        assert_eq!(wrap("", 30), [""]);
        // A word longer than a line is broken inside, keeping every character.
        assert_eq!(wrap("abcdefgh ij", 3), ["abc", "def", "gh", "ij"]);
    }

    #[test]
    fn months_are_named_in_words() {
        assert_eq!(month_label("2026-03"), "Mar 2026");
        assert_eq!(month_label("nonsense"), "nonsense");
        assert_eq!(
            uk_date(chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")),
            "1 March 2026"
        );
    }
}

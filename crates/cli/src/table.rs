//! Findings as a table for people: open findings only, most urgent first, times in UK local time.

use std::io::Write;

use anyhow::Result;
use chrono::DateTime;
use domain::Status;
use domain::rules::FindingView;

/// Writes the open findings, most urgent first, and a summary line.
pub fn write(out: &mut impl Write, findings: &[FindingView], cases: usize) -> Result<()> {
    let mut open: Vec<&FindingView> = findings.iter().filter(|f| f.status.is_open()).collect();
    // Deadlines are compared as instants: their text carries different offsets in GMT and BST.
    let instant = |text: &Option<String>| {
        text.as_deref()
            .and_then(|due| DateTime::parse_from_rfc3339(due).ok())
    };
    open.sort_by(|a, b| {
        (
            a.status.urgency(),
            instant(&a.due_by),
            &a.case,
            &a.rule,
            &a.person,
        )
            .cmp(&(
                b.status.urgency(),
                instant(&b.due_by),
                &b.case,
                &b.rule,
                &b.person,
            ))
    });
    if open.is_empty() {
        writeln!(
            out,
            "No open findings in {cases} {}.",
            plural(cases, "case", "cases")
        )?;
        return Ok(());
    }
    let rows: Vec<[String; 6]> = open.iter().map(|finding| row(finding)).collect();
    let header = [
        "STATUS",
        "DUE BY (UK TIME)",
        "CASE",
        "RULE",
        "PERSON",
        "TRIGGER",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    write_row(out, &header.map(str::to_owned), &widths)?;
    for row in &rows {
        write_row(out, row, &widths)?;
    }
    writeln!(out)?;
    if open.iter().any(|finding| is_rasso_default(finding)) {
        writeln!(
            out,
            "* rasso default: a deadline neither the law nor the Victims' Code sets (a force may set its own)."
        )?;
    }
    writeln!(out, "{}", summary(&open, cases))?;
    Ok(())
}

fn is_rasso_default(finding: &FindingView) -> bool {
    finding.deadline_source.as_deref() == Some("rasso_default")
}

fn row(finding: &FindingView) -> [String; 6] {
    [
        finding.status.as_str().to_owned(),
        finding.due_by.as_deref().map_or_else(
            || "-".to_owned(),
            |due| {
                // A deadline neither the law nor the Victims' Code sets is marked (footnote below).
                let mark = if is_rasso_default(finding) { "*" } else { "" };
                format!("{}{mark}", local_time(due))
            },
        ),
        finding.case.clone(),
        finding.rule.clone(),
        finding.person.clone().unwrap_or_else(|| "-".to_owned()),
        format!("{} {}", finding.trigger, local_time(&finding.trigger_at)),
    ]
}

fn write_row(out: &mut impl Write, cells: &[String; 6], widths: &[usize; 6]) -> Result<()> {
    let mut line = String::new();
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if index + 1 == cells.len() {
            line.push_str(cell);
        } else {
            line.push_str(&format!("{cell:<width$}  "));
        }
    }
    writeln!(out, "{}", line.trim_end())?;
    Ok(())
}

/// `Mon 09 Mar 2026 23:59 GMT`: UK local time with the zone people know it by.
fn local_time(rfc3339: &str) -> String {
    let Ok(instant) = DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    let local = domain::time::in_london(&instant);
    let zone = if local.offset().local_minus_utc() == 0 {
        "GMT"
    } else {
        "BST"
    };
    format!("{} {zone}", local.format("%a %d %b %Y %H:%M"))
}

fn summary(open: &[&FindingView], cases: usize) -> String {
    let count = |status: Status| open.iter().filter(|f| f.status == status).count();
    let parts: Vec<String> = [
        Status::Overdue,
        Status::Breached,
        Status::Due,
        Status::Advice,
    ]
    .into_iter()
    .filter(|status| count(*status) > 0)
    .map(|status| format!("{} {}", count(status), status.as_str()))
    .collect();
    let mut affected: Vec<&str> = open.iter().map(|f| f.case.as_str()).collect();
    affected.sort_unstable();
    affected.dedup();
    format!(
        "{} open {} ({}) in {} of {cases} {}.",
        open.len(),
        plural(open.len(), "finding", "findings"),
        parts.join(", "),
        affected.len(),
        plural(cases, "case", "cases"),
    )
}

fn plural<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

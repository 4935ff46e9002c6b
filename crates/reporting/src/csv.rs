//! JSON and CSV renderings. Both apply small-number suppression to shared reports.

use serde_json::{Map, Value, json};

use crate::{Ageing, Percentiles, Report, ratio, shown};

/// A count as JSON: a number, or `"<5"` in a shared report.
fn count(n: u64, shared: bool) -> Value {
    let text = shown(n, shared);
    if text == n.to_string() {
        json!(n)
    } else {
        json!(text)
    }
}

/// A share as JSON; in a shared report, shares of fewer than five are withheld (`null`).
fn share(numerator: u64, denominator: u64, shared: bool) -> Value {
    if shared && denominator < 5 {
        return Value::Null;
    }
    ratio(numerator, denominator).map_or(Value::Null, |r| json!((r * 10_000.0).round() / 10_000.0))
}

fn counts(map: &std::collections::BTreeMap<String, u64>, shared: bool) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), count(*v, shared)))
            .collect(),
    )
}

fn percentiles(p: &Percentiles, shared: bool) -> Value {
    let withheld = shared && p.count < 5;
    json!({
        "count": count(p.count, shared),
        "median_days": if withheld { Value::Null } else { json!(p.median) },
        "p90_days": if withheld { Value::Null } else { json!(p.p90) },
    })
}

fn ageing(a: &Ageing, shared: bool) -> Value {
    Value::Object(
        Ageing::LABELS
            .iter()
            .zip(a.buckets)
            .map(|(label, n)| ((*label).to_owned(), count(n, shared)))
            .collect(),
    )
}

pub(crate) fn json(report: &Report) -> Value {
    let shared = report.scope.shared;
    let outcomes: Map<String, Value> = report
        .outcomes
        .iter()
        .enumerate()
        .map(|(outcome, n)| {
            (
                if outcome == 0 {
                    "open".to_owned()
                } else {
                    outcome.to_string()
                },
                count(*n, shared),
            )
        })
        .collect();
    let compliance: Vec<Value> = report
        .compliance
        .iter()
        .map(|rule| {
            json!({
                "rule": rule.rule, "rule_set": rule.rule_set, "title": rule.title,
                "instances": count(rule.instances, shared), "met": count(rule.met, shared),
                "met_late": count(rule.met_late, shared), "due": count(rule.due, shared),
                "overdue": count(rule.overdue, shared), "breached": count(rule.breached, shared),
                "advice": count(rule.advice, shared),
                "on_time_rate": share(rule.met, rule.met + rule.met_late + rule.overdue + rule.breached, shared),
            })
        })
        .collect();
    let not_supporting = report.outcomes[14] + report.outcomes[16];
    let mut value = json!({
        "scope": report.scope,
        "cases": count(report.cases, shared),
        "reports_by_offence": counts(&report.reports_by_offence, shared),
        "recorded_by_offence": counts(&report.recorded_by_offence, shared),
        "reports_by_month": counts(&report.reports_by_month, shared),
        "outcomes": outcomes,
        "other_outcomes": count(report.other_outcomes, shared),
        "charged": count(report.charged, shared),
        "charge_rate": share(report.charged, report.cases, shared),
        "victim_does_not_support_share": share(not_supporting, report.closed(), shared),
        "days_to_charge": percentiles(&report.days_to_charge, shared),
        "days_to_outcome": percentiles(&report.days_to_outcome, shared),
        "days_to_first_update": percentiles(&report.days_to_first_update, shared),
        "compliance": compliance,
        "officers": report.officers,
        "bail_ageing": ageing(&report.bail_ageing, shared),
        "rui_ageing": ageing(&report.rui_ageing, shared),
    });
    if let (false, Some(object)) = (report.plugins.is_empty(), value.as_object_mut()) {
        object.insert("plugins".into(), json!(report.plugins));
        if !report.plugins_disabled.is_empty() {
            object.insert("plugins_disabled".into(), json!(report.plugins_disabled));
        }
    }
    if let (Some(figure), Some(object)) = (&report.repeat_suspects, value.as_object_mut()) {
        object.insert(
            "repeat_suspects".into(),
            crate::repeat::json(figure, shared),
        );
    }
    value
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// A text cell that a spreadsheet will not run: text starting with `=`, `+`, `-` or `@` (or a
/// tab or carriage return) is read as a formula by spreadsheet programs, so such a cell gets a
/// leading `'`, which they show as text. Officer identifiers and offence codes come from force
/// records, so they are not trusted to be harmless (OWASP, "CSV Injection").
fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A value cell: numbers as they are (a negative number is a number, not a formula), text
/// neutralised like any other text.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text_cell(text),
        other => other.to_string(),
    }
}

pub(crate) fn csv(report: &Report) -> String {
    let data = json(report);
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut push = |section: &str, key: &str, measure: &str, value: &Value| {
        rows.push([
            text_cell(section),
            text_cell(key),
            text_cell(measure),
            cell(value),
        ]);
    };
    for key in ["cases", "charged", "other_outcomes"] {
        push("summary", key, "count", &data[key]);
    }
    push("summary", "charge_rate", "share", &data["charge_rate"]);
    push(
        "summary",
        "victim_does_not_support_share",
        "share",
        &data["victim_does_not_support_share"],
    );
    for plugin in &report.plugins {
        push("plugins", &plugin.name, "version", &json!(plugin.version));
        push(
            "plugins",
            &plugin.name,
            "signature",
            &json!(plugin.signature),
        );
        for rule in &plugin.rules {
            push("plugins", &plugin.name, "rule", &json!(rule));
        }
        for timescale in &plugin.policy {
            push("plugins", &plugin.name, "policy", &json!(timescale));
        }
        if report.plugins_disabled.contains(&plugin.name) {
            push(
                "plugins",
                &plugin.name,
                "disabled_during_report",
                &json!(true),
            );
        }
    }
    if let Some(map) = data["repeat_suspects"].as_object() {
        for (key, value) in map {
            push("repeat_suspects", key, "count", value);
        }
    }
    for section in [
        "reports_by_offence",
        "recorded_by_offence",
        "reports_by_month",
        "outcomes",
        "bail_ageing",
        "rui_ageing",
    ] {
        if let Some(map) = data[section].as_object() {
            for (key, value) in map {
                push(section, key, "count", value);
            }
        }
    }
    for section in ["days_to_charge", "days_to_outcome", "days_to_first_update"] {
        for measure in ["count", "median_days", "p90_days"] {
            push(
                section,
                measure,
                if measure == "count" { "count" } else { "days" },
                &data[section][measure],
            );
        }
    }
    for rule in data["compliance"].as_array().into_iter().flatten() {
        // A rule is named with the version that judged it: `national-2026-01/VC-INFORM`.
        let id = format!(
            "{}/{}",
            rule["rule_set"].as_str().unwrap_or_default(),
            rule["rule"].as_str().unwrap_or_default()
        );
        let id = id.as_str();
        for measure in [
            "instances",
            "met",
            "met_late",
            "due",
            "overdue",
            "breached",
            "advice",
            "on_time_rate",
        ] {
            push("compliance", id, measure, &rule[measure]);
        }
    }
    for officer in &report.officers {
        push(
            "officers",
            &officer.officer,
            "open_cases",
            &json!(officer.open_cases),
        );
        push(
            "officers",
            &officer.officer,
            "overdue_findings",
            &json!(officer.overdue_findings),
        );
    }
    let mut out = String::from("section,key,measure,value\n");
    for row in rows {
        let line: Vec<String> = row.iter().map(|field| quote(field)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

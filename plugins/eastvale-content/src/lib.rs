//! The Eastvale Constabulary plugin: an example of a force plugin that is mostly content. Eastvale
//! is an invented force, and so are its services, names, addresses and numbers.
//!
//! - **content**: local SARC and ISVA pathway pages in `content/` (Markdown with front matter).
//!   Content needs no code: a plugin with only pages would have no library at all.
//! - **export**: `eastvale-partnership-csv`, the quarterly figures the (invented) Eastvale
//!   partnership board asks for: counts of findings by rule and status. It carries no case
//!   reference and no personal data, because it leaves the force.

use std::collections::BTreeMap;

use plugin_sdk::{Capability, ExportFormat, Exported, PluginError, Registration, declare_plugin};
use serde_json::Value;

/// The export format name.
pub const PARTNERSHIP_CSV: &str = "eastvale-partnership-csv";

/// The plugin. It keeps no state.
#[derive(Debug, Default)]
pub struct Eastvale;

impl plugin_sdk::Plugin for Eastvale {
    fn init(_config: &Value) -> Result<Self, PluginError> {
        Ok(Eastvale)
    }

    fn registration(&self) -> Registration {
        Registration {
            name: "eastvale-content".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: vec![Capability::Export],
            export_formats: vec![ExportFormat {
                name: PARTNERSHIP_CSV.into(),
                media_type: "text/csv; charset=utf-8".into(),
            }],
            ..Registration::default()
        }
    }

    fn export(&self, format: &str, report: &Value) -> Result<Exported, PluginError> {
        if format != PARTNERSHIP_CSV {
            return Err(PluginError::unsupported(format_args!(
                "export format `{format}`"
            )));
        }
        Ok(Exported {
            media_type: "text/csv; charset=utf-8".into(),
            bytes: partnership_csv(report)?.into_bytes(),
        })
    }
}

/// `rule,status,count` for every rule and status, sorted by rule then status: from a `rasso report`
/// (its `compliance` table), or from a list of `findings` (each as `rasso check --format json`
/// writes it).
pub fn partnership_csv(report: &Value) -> Result<String, PluginError> {
    if let Some(rules) = report.get("compliance").and_then(Value::as_array) {
        return Ok(from_compliance(rules));
    }
    let findings = report
        .get("findings")
        .and_then(Value::as_array)
        .ok_or_else(|| PluginError::invalid("report: `findings` must be a list of findings"))?;
    let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (position, finding) in findings.iter().enumerate() {
        let field = |name: &str| {
            finding
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    PluginError::invalid(format!(
                        "report: finding {}: `{name}` missing",
                        position + 1
                    ))
                })
        };
        *counts
            .entry((field("rule")?, field("status")?))
            .or_default() += 1;
    }
    let mut csv = String::from("rule,status,count\n");
    for ((rule, status), count) in counts {
        csv.push_str(&format!("{rule},{status},{count}\n"));
    }
    Ok(csv)
}

const STATUSES: [&str; 6] = ["met", "met_late", "due", "overdue", "breached", "advice"];

/// The same table from a report's compliance figures. Counts a shared report suppressed (`"<5"`)
/// stay suppressed.
fn from_compliance(rules: &[Value]) -> String {
    let mut rows: Vec<(String, &str, String)> = Vec::new();
    for rule in rules {
        let id = rule.get("rule").and_then(Value::as_str).unwrap_or_default();
        for status in STATUSES {
            let count = match rule.get(status) {
                Some(Value::Number(n)) if n.as_u64() != Some(0) => n.to_string(),
                Some(Value::String(text)) => text.clone(),
                _ => continue,
            };
            rows.push((id.to_owned(), status, count));
        }
    }
    rows.sort();
    let mut csv = String::from("rule,status,count\n");
    for (rule, status, count) in rows {
        csv.push_str(&format!("{rule},{status},{count}\n"));
    }
    csv
}

declare_plugin!(Eastvale);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_partnership_csv_counts_findings_by_rule_and_status() {
        let report = json!({"findings": [
            {"case": "EV-1", "rule": "VC-NEEDS", "status": "met"},
            {"case": "EV-2", "rule": "VC-NEEDS", "status": "met"},
            {"case": "EV-2", "rule": "ISVA-OFFER", "status": "overdue"},
        ]});
        let csv = partnership_csv(&report).expect("valid");
        assert_eq!(
            csv,
            "rule,status,count\nISVA-OFFER,overdue,1\nVC-NEEDS,met,2\n"
        );
        assert!(!csv.contains("EV-"), "no case references leave the force");
        assert!(partnership_csv(&json!({})).is_err());
    }

    #[test]
    fn the_partnership_csv_reads_a_report_compliance_table() {
        let report = json!({"compliance": [
            {"rule": "VC-NEEDS", "met": 7, "met_late": 0, "due": "<5", "overdue": 0, "breached": 0, "advice": 0},
            {"rule": "ISVA-OFFER", "met": 0, "met_late": 2, "due": 0, "overdue": 0, "breached": 0, "advice": 0},
        ]});
        assert_eq!(
            partnership_csv(&report).expect("valid"),
            "rule,status,count\nISVA-OFFER,met_late,2\nVC-NEEDS,due,<5\nVC-NEEDS,met,7\n"
        );
    }
}

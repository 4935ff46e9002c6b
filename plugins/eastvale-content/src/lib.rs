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

/// `rule,status,count` for every rule and status among the report's `findings` (each a finding as
/// `rasso check --format json` writes it), sorted by rule then status.
pub fn partnership_csv(report: &Value) -> Result<String, PluginError> {
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
}

//! The Northmoor Police plugin: an example of a force plugin for rasso. Northmoor is an invented
//! force; every name here is made up.
//!
//! - **rules**: a local rule, `NM-SUP-24H` (a supervisor reviews every new report within 24 hours),
//!   and a policy that tightens national supervision: first review within 3 days of allocation
//!   (national 7), then every 14 days (national 28).
//! - **validate**: Northmoor case references are `NM-YYYY-NNNNNN`.
//! - **import**: CSV exports of Northmoor's records system, "Moorlog", become interchange events.
//!
//! Everything here is ordinary safe Rust: [`plugin_sdk::declare_plugin!`] does the rest (ABI 2:
//! the host hands the rules many cases per call, only events of the kinds in `reads`).

pub mod moorlog;
pub mod reference;
pub mod rules;

use plugin_sdk::{
    Capability, Case, FieldError, Findings, PluginError, PolicyOverride, Registration, RuleSpec,
    Timescale, declare_plugin,
};
use serde_json::{Map, Value};

/// The force code of Northmoor's cases.
pub const FORCE: &str = "northmoor";
/// The import format name `rasso import --format` takes.
pub const MOORLOG_CSV: &str = "northmoor-moorlog-csv";

/// The plugin. It keeps no state.
#[derive(Debug, Default)]
pub struct Northmoor;

impl plugin_sdk::Plugin for Northmoor {
    fn init(_config: &Value) -> Result<Self, PluginError> {
        plugin_sdk::log(plugin_sdk::Level::Info, "northmoor plugin ready");
        Ok(Northmoor)
    }

    fn registration(&self) -> Registration {
        Registration {
            name: "northmoor".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: vec![Capability::Rules, Capability::Validate, Capability::Import],
            rules: vec![RuleSpec {
                id: rules::SUP_24H.into(),
                title: "A supervisor reviews every new report within 24 hours (Northmoor)".into(),
                guidance: "northmoor/supervisor-review-24h".into(),
            }],
            policy: vec![
                PolicyOverride {
                    timescale: "first_supervisor_review".into(),
                    value: Timescale::CalendarDays(3),
                },
                PolicyOverride {
                    timescale: "supervisor_review".into(),
                    value: Timescale::CalendarDays(14),
                },
            ],
            import_formats: vec![MOORLOG_CSV.into()],
            export_formats: Vec::new(),
            reads: rules::READS
                .iter()
                .map(|kind| kind.as_str().into())
                .collect(),
            // Its rule reads when events happened, none of their fields.
            reads_fields: Vec::new(),
        }
    }

    fn rules(&self, case: &Case<'_>, findings: &mut Findings<'_>) -> Result<(), PluginError> {
        rules::evaluate(case, findings);
        Ok(())
    }

    fn validate(&self, event: &Map<String, Value>) -> Result<Vec<FieldError>, PluginError> {
        Ok(reference::validate(event))
    }

    fn import(&self, format: &str, data: &[u8]) -> Result<Vec<Map<String, Value>>, PluginError> {
        if format != MOORLOG_CSV {
            return Err(PluginError::unsupported(format_args!(
                "import format `{format}`"
            )));
        }
        moorlog::import(data).map_err(PluginError::invalid)
    }
}

declare_plugin!(Northmoor);

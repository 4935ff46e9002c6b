//! One module per `rasso` subcommand.

pub mod audit;
pub mod backup;
pub mod check;
pub mod report;
pub mod export;
pub mod import;
pub mod keys;
pub mod guidance;
pub mod plugin;
pub mod rules;

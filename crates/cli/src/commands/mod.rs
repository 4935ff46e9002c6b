//! One module per `rasso` subcommand.

pub mod audit;
pub mod backup;
pub mod check;
pub mod copy;
pub mod export;
pub mod guidance;
pub mod import;
pub mod keys;
pub mod link;
pub mod migrate;
pub mod plugin;
pub mod report;
pub mod rules;
pub mod serve;
pub mod user;

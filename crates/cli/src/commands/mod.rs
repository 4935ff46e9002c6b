//! One module per `rasso` subcommand.

pub mod check;
pub mod report;
pub mod rules;

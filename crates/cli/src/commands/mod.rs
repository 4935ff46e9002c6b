//! One module per `rasso` subcommand.

pub mod check;
pub mod plugin;
pub mod rules;

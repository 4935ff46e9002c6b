//! One module per `rasso` subcommand.

pub mod check;
pub mod guidance;
pub mod rules;

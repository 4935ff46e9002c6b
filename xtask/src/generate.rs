//! `cargo xtask gen`: synthetic cases in the interchange format.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use domain::Record;

#[derive(Debug, Args)]
pub struct GenArgs {
    /// How many cases.
    #[arg(long, default_value_t = 1000)]
    cases: usize,
    /// The random seed: the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many (invented) forces to spread the cases over.
    #[arg(long, default_value_t = 3)]
    forces: usize,
    /// Where to write; standard output when omitted.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(args: GenArgs) -> Result<()> {
    let settings = synthetic::Settings::new(args.seed, args.forces);
    let sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    let mut events = 0usize;
    for case in synthetic::cases(&settings, args.cases) {
        for event in case.events() {
            let record = Record {
                case: case.key.clone(),
                event: event.clone(),
            };
            writeln!(out, "{}", record.to_line())?;
            events += 1;
        }
    }
    out.flush().context("cannot write the generated cases")?;
    if let Some(path) = &args.out {
        eprintln!(
            "wrote {} cases, {events} events to {}",
            args.cases,
            path.display()
        );
    }
    Ok(())
}

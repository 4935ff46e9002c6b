//! Test helper for the crash-safety campaign (`storage::crash`): appends events to a store in
//! DIR forever, printing each event id once its append has returned (acknowledged). The
//! campaign kills it with SIGKILL at random moments.
//!
//! Usage: storage-crash-writer DIR RUN

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use storage::prelude::*;
use storage::{Access, Append, ExpectedVersion, NewEvent, Purpose};

fn event(line: serde_json::Value) -> Result<NewEvent, String> {
    NewEvent::from_line(&line.to_string(), 0).map_err(|e| e.to_string())
}

async fn write_forever(dir: PathBuf, run: u64) -> Result<(), String> {
    let store = storage::crash::open_store(&dir)
        .await
        .map_err(|e| e.to_string())?;
    let access = Access::new("test:crash-writer", Purpose::Import);
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        let reference = format!("CR-{run}-{}", i / 8);
        let id = format!("r{run}-e{i}");
        let at = format!("2026-03-{:02}T10:{:02}:00Z", 1 + (i % 8), i % 60);
        let mut events = Vec::new();
        if i % 8 == 0 {
            events.push(event(serde_json::json!({
                "case": reference, "force": "crashshire", "at": at, "kind": "report_received",
                "id": format!("{id}-report"), "channel": "101", "offences": ["SOA2003-s1"],
                "location": {"country": "GB"}
            }))?);
            events.push(event(serde_json::json!({
                "case": reference, "force": "crashshire", "at": at, "kind": "person_added",
                "id": id, "person": "V1", "role": "victim",
                "identity": {"given_name": "Crashtest", "family_name": format!("Person{run}")}
            }))?);
        } else {
            events.push(event(serde_json::json!({
                "case": reference, "force": "crashshire", "at": at, "kind": "note", "id": id,
                "text": format!("note {i}")
            }))?);
        }
        store
            .append(
                &access,
                vec![Append {
                    case: events[0].case().clone(),
                    expected: ExpectedVersion::Any,
                    events,
                }],
            )
            .await
            .map_err(|e| e.to_string())?;
        writeln!(out, "{id}").map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(run)) = (args.next(), args.next()) else {
        eprintln!("usage: storage-crash-writer DIR RUN");
        return ExitCode::FAILURE;
    };
    let Ok(run) = run.parse::<u64>() else {
        eprintln!("RUN must be a number");
        return ExitCode::FAILURE;
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start a runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(write_forever(PathBuf::from(dir), run)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("crash writer: {error}");
            ExitCode::FAILURE
        }
    }
}

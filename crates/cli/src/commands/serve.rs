//! `rasso serve`: the web UI and JSON API.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;

use crate::data::{DataArgs, runtime};

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address to listen on.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8080",
        env = "RASSO_LISTEN"
    )]
    listen: SocketAddr,
    /// Fill the database with synthetic cases and demo users for every role (once), and print
    /// the demo sign-ins.
    #[arg(long)]
    demo: bool,
    /// How many synthetic cases `--demo` adds to an empty database.
    #[arg(long, value_name = "N", default_value_t = 250)]
    demo_cases: usize,
    /// A TLS-terminating proxy is in front: send Strict-Transport-Security.
    #[arg(long, env = "RASSO_BEHIND_TLS")]
    behind_tls: bool,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    runtime()?.block_on(async move {
        let opened = args.data.open(true).await?;
        let store: Arc<dyn storage::Store> = opened.store.into_shared();
        if args.demo {
            let added = web::demo::seed(store.as_ref(), args.demo_cases)
                .await
                .context("cannot add the demo data")?;
            if added > 0 {
                eprintln!("Added {added} synthetic cases and demo users.");
            }
        }
        let config = web::Config {
            behind_tls: args.behind_tls,
            ..web::Config::default()
        };
        let state = web::AppState::new(store, config).await?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener.local_addr()?;
        println!("rasso is running at http://{address}/ (press Ctrl-C to stop)");
        if args.demo {
            println!();
            println!(
                "Demo sign-ins (synthetic data only), every one with the password `{}`:",
                web::demo::DEMO_PASSWORD
            );
            for (username, display, role) in web::demo::DEMO_USERS {
                println!("  {username:<14} {:<16} {display}", role.as_str());
            }
        }
        web::serve(listener, state)
            .await
            .context("the server stopped")?;
        Ok(ExitCode::SUCCESS)
    })
}

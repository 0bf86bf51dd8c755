//! The `ferrocket` command line: one binary for the servers, the client tools and the
//! benchmarks. Exit codes: 0 ok, 1 runtime error, 2 usage error (clap's default).

pub mod cluster_admin;
pub mod namesrv;
pub mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// ferrocket: a RocketMQ-model message queue.
#[derive(Debug, Parser)]
#[command(name = "ferrocket", version, about, propagate_version = true)]
pub struct Cli {
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `ferrocket_server=debug`.
    #[arg(long, global = true, env = "FERROCKET_LOG", default_value = "info")]
    pub log: String,
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Name server and broker in one process, answering both on one port.
    Standalone(server::ServerArgs),
    /// A broker of a cluster, configured by a TOML file.
    Broker(server::ServerArgs),
    /// A name server of a cluster.
    Namesrv(namesrv::NamesrvArgs),
    /// Administration: clusters, routes, broker status, topics on a whole cluster.
    Admin(cluster_admin::AdminArgs),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli.command));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Standalone(args) => server::run(args, server::Mode::Standalone).await,
        Command::Broker(args) => server::run(args, server::Mode::Broker).await,
        Command::Namesrv(args) => namesrv::run(args).await,
        Command::Admin(args) => cluster_admin::run(args).await,
    }
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

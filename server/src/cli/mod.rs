//! The `ferrocket` command line: one binary for the servers, the client tools and the
//! benchmarks. Exit codes: 0 ok, 1 runtime error, 2 usage error (clap's default).
//!
//! Results go to stdout (human lines and tables, or `--json` where offered); logs and errors go
//! to stderr. Client commands log at `warn` unless `--log`/`FERROCKET_LOG` says otherwise, so
//! their stderr carries only what needs attention.

pub mod admin;
pub mod bench;
pub mod client;
pub mod cluster_admin;
pub mod consume;
pub mod group;
pub mod group_view;
pub mod message;
pub mod namesrv;
pub mod output;
pub mod produce;
pub mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// ferrocket: a RocketMQ-model message queue.
#[derive(Debug, Parser)]
#[command(name = "ferrocket", version, about, propagate_version = true)]
pub struct Cli {
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `ferrocket_server=debug`
    /// [default: `info` for the servers, `warn` for the client commands].
    #[arg(long, global = true, env = "FERROCKET_LOG")]
    pub log: Option<String>,
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
    /// Send messages: stdin lines, one message each, or `--count N --size BYTES` generated.
    Produce(produce::ProduceArgs),
    /// Read messages of a topic as a consumer group and print them.
    Consume(consume::ConsumeArgs),
    /// Administration: topics, consumer groups, messages (mqadmin's updateTopic, topicList,
    /// deleteTopic work too), clusters, routes and broker status.
    Admin(admin::AdminArgs),
    /// Benchmarks: produce, consume, the machine baseline and the full report.
    Bench(bench::BenchArgs),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_log = match cli.command {
        Command::Standalone(_) | Command::Broker(_) | Command::Namesrv(_) => "info",
        // `consume` holds the listener call of the first message past `--max` through the
        // shutdown on purpose (so it is not committed); the drain's warning about it is noise.
        Command::Consume(_) => "warn,ferrocket::client::push_consumer::consume=error",
        _ => "warn",
    };
    init_tracing(cli.log.as_deref().unwrap_or(default_log));
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
        Command::Produce(args) => produce::run(args).await,
        Command::Consume(args) => consume::run(args).await,
        Command::Admin(args) => admin::run(args).await,
        Command::Bench(args) => bench::run(args).await,
    }
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

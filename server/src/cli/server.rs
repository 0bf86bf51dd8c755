//! `ferrocket standalone` and `ferrocket broker`: load the layered config, start the broker,
//! run until Ctrl-C or SIGTERM, then shut down cleanly (flush, checkpoint, save offsets).

use std::path::PathBuf;

use clap::Args;

use crate::broker::Broker;
use crate::config::{BrokerConfig, Override};

/// Flags shared by the server commands. Each overrides the same key of the config file and of
/// the `FERROCKET_*` environment.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// TOML config file.
    #[arg(short = 'c', long, env = "FERROCKET_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on (key `listen`).
    #[arg(long)]
    pub listen: Option<String>,
    /// Data folder (key `data_dir`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// ASYNC_FLUSH or SYNC_FLUSH (key `flush_disk_type`).
    #[arg(long)]
    pub flush_disk_type: Option<String>,
    /// Any other key: `--set key=value`, repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print the effective config as TOML and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// Which server command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Embedded name server and broker.
    Standalone,
    /// A cluster broker.
    Broker,
}

/// Runs a server command until it is asked to stop.
pub async fn run(args: ServerArgs, mode: Mode) -> Result<(), String> {
    if mode == Mode::Broker && args.config.is_none() {
        return Err("`ferrocket broker` needs a config file: -c broker.toml".into());
    }
    let flags = overrides(&args)?;
    let config = BrokerConfig::load(args.config.as_deref(), std::env::vars(), &flags)
        .map_err(|e| e.to_string())?;
    if args.print_config {
        print!("{}", config.to_toml());
        return Ok(());
    }
    let handle = Broker::start(config).await.map_err(|e| e.to_string())?;
    println!("ferrocket listening on {}", handle.local_addr());
    wait_for_stop_signal().await;
    tracing::info!("stopping");
    handle.shutdown().await.map_err(|e| e.to_string())
}

fn overrides(args: &ServerArgs) -> Result<Vec<Override>, String> {
    let mut out = Vec::new();
    if let Some(listen) = &args.listen {
        out.push(("listen".to_owned(), listen.clone()));
    }
    if let Some(dir) = &args.data_dir {
        out.push(("data_dir".to_owned(), dir.display().to_string()));
    }
    if let Some(flush) = &args.flush_disk_type {
        out.push(("flush_disk_type".to_owned(), flush.to_ascii_uppercase()));
    }
    for pair in &args.set {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("--set needs KEY=VALUE, got `{pair}`"))?;
        out.push((key.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(out)
}

async fn wait_for_stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(term) => term,
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only Ctrl-C stops the server");
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

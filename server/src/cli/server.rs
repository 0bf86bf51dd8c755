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
    let config = BrokerConfig::load_with_defaults(
        mode_defaults(mode),
        args.config.as_deref(),
        env_with_namesrv_addr(std::env::vars()),
        &flags,
    )
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

/// What a command changes in the built-in defaults: a cluster broker listens on RocketMQ's
/// broker port and hosts no name server.
fn mode_defaults(mode: Mode) -> &'static [Override] {
    static BROKER: std::sync::LazyLock<Vec<Override>> = std::sync::LazyLock::new(|| {
        vec![
            ("listen".to_owned(), "0.0.0.0:10911".to_owned()),
            ("embedded_namesrv".to_owned(), "false".to_owned()),
        ]
    });
    match mode {
        Mode::Standalone => &[],
        Mode::Broker => &BROKER,
    }
}

/// The environment, with RocketMQ's `NAMESRV_ADDR` read as `FERROCKET_NAMESRV_ADDRS` (which
/// wins when both are set).
fn env_with_namesrv_addr(env: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = env.into_iter().collect();
    let ours = vars.iter().any(|(k, _)| k == "FERROCKET_NAMESRV_ADDRS");
    let rocketmq = vars.iter().find(|(k, _)| k == "NAMESRV_ADDR").cloned();
    if let (false, Some((_, value))) = (ours, rocketmq) {
        vars.push(("FERROCKET_NAMESRV_ADDRS".to_owned(), value));
    }
    vars
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

/// Waits for Ctrl-C or SIGTERM.
pub async fn wait_for_stop_signal() {
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

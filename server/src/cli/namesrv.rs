//! `ferrocket namesrv`: a name server (RocketMQ's `mqnamesrv`). It runs until Ctrl-C or
//! SIGTERM; it keeps nothing on disk (brokers register again with a restarted name server).

use std::net::SocketAddr;

use clap::Args;
use ferrocket::limits::{BROKER_EXPIRY_MS_DEFAULT, NAMESRV_SCAN_INTERVAL_MS_DEFAULT};

use crate::cli::server::wait_for_stop_signal;
use crate::namesrv::{NameServer, NameServerConfig};

/// Flags of `ferrocket namesrv`.
#[derive(Debug, Args)]
pub struct NamesrvArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:9876")]
    pub listen: SocketAddr,
    /// Forget a broker whose last registration is older than this, in milliseconds.
    #[arg(long, default_value_t = BROKER_EXPIRY_MS_DEFAULT)]
    pub broker_expiry_ms: u64,
    /// How often to look for silent brokers, in milliseconds.
    #[arg(long, default_value_t = NAMESRV_SCAN_INTERVAL_MS_DEFAULT)]
    pub scan_interval_ms: u64,
}

/// Runs a name server until it is asked to stop.
pub async fn run(args: NamesrvArgs) -> Result<(), String> {
    let config = NameServerConfig {
        listen: args.listen,
        broker_expiry_ms: args.broker_expiry_ms,
        scan_interval_ms: args.scan_interval_ms,
        ..NameServerConfig::default()
    };
    let handle = NameServer::start(config).await.map_err(|e| e.to_string())?;
    println!("ferrocket name server listening on {}", handle.local_addr());
    wait_for_stop_signal().await;
    tracing::info!("stopping");
    handle.shutdown().await;
    Ok(())
}

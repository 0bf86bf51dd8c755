//! The name server (RocketMQ's NameServer): brokers register their address, role and topics
//! with every name server; clients ask any one of them for routes. Name servers share nothing
//! and persist nothing: a restarted name server learns everything again from the brokers' next
//! registrations.
//!
//! `NameServer::start` binds the listener and spawns two owned tasks: the accept loop (which
//! owns every connection task) and the expiry scan (every `scan_interval_ms`, forgetting
//! brokers silent for `broker_expiry_ms`). A connection that closes takes the brokers it
//! registered with it at once. A standalone broker hosts the same `RouteTable` and handlers on
//! its own port (`broker::cluster`).

pub mod config;
mod connection;
pub mod handlers;
pub mod routes;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

pub use config::NameServerConfig;
pub use routes::{Registrar, RouteTable};

/// Why a name server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NameServerError {
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The config is inconsistent.
    #[error("config: {0}")]
    Config(String),
}

/// The name-server entry point.
#[derive(Debug)]
pub struct NameServer;

impl NameServer {
    /// Binds `config.listen` and starts serving.
    pub async fn start(config: NameServerConfig) -> Result<NameServerHandle, NameServerError> {
        config.validate().map_err(NameServerError::Config)?;
        let bind_error = |source| NameServerError::Bind {
            addr: config.listen,
            source,
        };
        let listener = TcpListener::bind(config.listen).await.map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        let table = Arc::new(RouteTable::new(Duration::from_millis(
            config.broker_expiry_ms,
        )));
        let (shutdown, _) = watch::channel(false);
        let scan_every = Duration::from_millis(config.scan_interval_ms);
        let scanner = spawn_expiry(table.clone(), scan_every, shutdown.subscribe());
        let config = Arc::new(config);
        let accept = tokio::spawn(accept_loop(
            table.clone(),
            config,
            listener,
            shutdown.subscribe(),
        ));
        tracing::info!(listen = %local_addr, "name server started");
        Ok(NameServerHandle {
            local_addr,
            table,
            shutdown,
            accept,
            scanner,
        })
    }
}

/// A running name server.
#[derive(Debug)]
pub struct NameServerHandle {
    local_addr: SocketAddr,
    table: Arc<RouteTable>,
    shutdown: watch::Sender<bool>,
    accept: JoinHandle<()>,
    scanner: JoinHandle<()>,
}

impl NameServerHandle {
    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The route tables.
    pub fn routes(&self) -> &Arc<RouteTable> {
        &self.table
    }

    /// Stops accepting, closes every connection and stops the expiry scan.
    pub async fn shutdown(self) {
        self.shutdown.send_replace(true);
        let _ = self.accept.await;
        let _ = self.scanner.await;
        tracing::info!(listen = %self.local_addr, "name server stopped");
    }
}

/// Spawns the expiry scan of `table`: every `every`, brokers silent for the table's expiry are
/// forgotten. Ends when `shutdown` changes.
pub fn spawn_expiry(
    table: Arc<RouteTable>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => return,
            }
            let expired = table.expire(Instant::now());
            if !expired.is_empty() {
                tracing::warn!(
                    ?expired,
                    "brokers expired: no registration within the expiry"
                );
            }
        }
    })
}

async fn accept_loop(
    table: Arc<RouteTable>,
    config: Arc<NameServerConfig>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "connection limit reached; closing");
            continue;
        };
        let (table, config, shutdown) = (table.clone(), config.clone(), shutdown.clone());
        connections.spawn(async move {
            connection::serve(table, config, stream, peer, shutdown).await;
            drop(slot);
        });
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

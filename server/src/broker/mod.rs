//! The broker: accepts connections, serves requests against the store, keeps topics, consumer
//! offsets and client heartbeats.
//!
//! `Broker::start` binds the listener, opens (and recovers) the store, and spawns its owned
//! tasks: the accept loop (which owns every connection task), the housekeeping loop (offset
//! persistence, client expiry) and the cluster tasks of its role (`cluster`: registrations,
//! a hosted name server's expiry scan, a slave's replication). `BrokerHandle::shutdown` stops accepting,
//! lets in-flight requests finish, saves offsets and topics and shuts the store down cleanly.

pub mod channel;
pub mod clients;
pub mod cluster;
pub mod connection;
pub mod filter;
pub mod groups;
pub mod handlers;
pub mod locks;
pub mod names;
pub mod offsets;
pub mod registrar;
pub mod reply;
pub mod scheduler;
pub mod subscription_groups;
pub mod topics;
pub mod transaction;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::broker::clients::ClientRegistry;
use crate::broker::cluster::{ClusterState, ClusterTasks};
use crate::broker::groups::GroupNotifier;
use crate::broker::locks::LockManager;
use crate::broker::offsets::ConsumerOffsets;
use crate::broker::scheduler::Scheduler;
use crate::broker::subscription_groups::SubscriptionGroupManager;
use crate::broker::topics::TopicManager;
use crate::broker::transaction::TransactionService;
use crate::config::{BrokerConfig, BrokerRole};
use crate::store::{Storage, Store, StoreError};

/// Why a broker could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The store failed to open or close.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A config file under the data folder could not be read or written.
    #[error("broker metadata: {0}")]
    Metadata(String),
    /// The config is inconsistent.
    #[error("config: {0}")]
    Config(String),
}

/// Everything a request handler can reach.
#[derive(Debug)]
pub struct BrokerState {
    /// The effective config.
    pub config: BrokerConfig,
    /// The address clients use to reach this broker.
    pub advertised: SocketAddr,
    /// The message store.
    pub store: Arc<Store>,
    /// Topic configs.
    pub topics: TopicManager,
    /// Consumer groups' configs.
    pub subscription_groups: SubscriptionGroupManager,
    /// Committed consumer offsets.
    pub offsets: ConsumerOffsets,
    /// Clients known from heartbeats.
    pub clients: ClientRegistry,
    /// Hosted name server, registrations and replication.
    pub cluster: ClusterState,
    /// Half messages and their check-backs.
    pub transactions: TransactionService,
    /// Queued consumer-group membership notices.
    pub notifier: GroupNotifier,
    /// Orderly consumers' queue locks.
    pub locks: LockManager,
    /// The delivery scheduler of delayed messages.
    pub scheduler: Scheduler,
    shutdown: watch::Sender<bool>,
}

impl BrokerState {
    /// A receiver that changes when the broker starts shutting down. One taken after the
    /// shutdown began reports it at once: `changed()` only sees values sent after a receiver
    /// subscribed, so a task first polled after the signal, or a connection accepted at the
    /// last moment, would otherwise never see it (or wait for its idle timeout) and hold the
    /// shutdown up.
    pub fn shutdown_rx(&self) -> watch::Receiver<bool> {
        let mut rx = self.shutdown.subscribe();
        if *rx.borrow() {
            rx.mark_changed();
        }
        rx
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    fn frame_read_timeout(&self) -> Duration {
        Duration::from_millis(self.config.frame_read_timeout_ms)
    }

    fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.config.idle_timeout_ms)
    }
}

/// The broker entry point.
#[derive(Debug)]
pub struct Broker;

impl Broker {
    /// Starts a broker with the memory-mapped store backend.
    pub async fn start(config: BrokerConfig) -> Result<BrokerHandle, BrokerError> {
        Broker::start_inner(config, None).await
    }

    /// Starts a broker whose store uses `storage` (fault-injection tests).
    pub async fn start_with_storage(
        config: BrokerConfig,
        storage: Arc<dyn Storage>,
    ) -> Result<BrokerHandle, BrokerError> {
        Broker::start_inner(config, Some(storage)).await
    }

    async fn start_inner(
        mut config: BrokerConfig,
        storage: Option<Arc<dyn Storage>>,
    ) -> Result<BrokerHandle, BrokerError> {
        config
            .validate()
            .map_err(|e| BrokerError::Config(e.to_string()))?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| BrokerError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| BrokerError::Bind {
            addr: config.listen,
            source,
        })?;
        config.listen = local_addr;
        let advertised = config.advertised();
        let state = Arc::new(open_state(config, advertised, storage).await?);
        tracing::info!(
            listen = %local_addr, %advertised, data_dir = %state.config.data_dir.display(),
            broker = %state.config.broker_name, "broker started"
        );
        let accept = tokio::spawn(accept_loop(state.clone(), listener));
        let housekeeping = tokio::spawn(housekeeping_loop(state.clone()));
        let cluster = ClusterTasks::start(&state);
        let transactions = tokio::spawn(transaction::run(state.clone()));
        Ok(BrokerHandle {
            local_addr,
            state,
            accept,
            housekeeping,
            cluster,
            transactions,
        })
    }
}

async fn open_state(
    config: BrokerConfig,
    advertised: SocketAddr,
    storage: Option<Arc<dyn Storage>>,
) -> Result<BrokerState, BrokerError> {
    let store_config = config.store_config(advertised);
    let store = tokio::task::spawn_blocking(move || match storage {
        Some(storage) => Store::open_with(store_config, storage),
        None => Store::open(store_config),
    })
    .await
    .map_err(|e| BrokerError::Metadata(format!("store open task failed: {e}")))??;
    let config_dir: PathBuf = config.data_dir.join("config");
    std::fs::create_dir_all(&config_dir)
        .map_err(|e| BrokerError::Metadata(format!("{}: {e}", config_dir.display())))?;
    let topics = TopicManager::load(
        config_dir.clone(),
        config.auto_create_topic,
        config.auto_create_queue_count,
    )
    .map_err(BrokerError::Metadata)?;
    let subscription_groups =
        SubscriptionGroupManager::load(config_dir.clone(), config.auto_create_subscription_group)
            .map_err(BrokerError::Metadata)?;
    let transactions =
        TransactionService::open(&config_dir, &config).map_err(BrokerError::Metadata)?;
    let progress = config_dir.join("timer_progress");
    let offsets = ConsumerOffsets::load(config_dir).map_err(BrokerError::Metadata)?;
    // A slave delivers no timers and runs no check-backs: its master does, and the records
    // they append reach the slave through replication.
    let scheduler = if config.role == BrokerRole::Slave {
        Scheduler::idle()
    } else {
        Scheduler::start(store.clone(), progress).map_err(BrokerError::Metadata)?
    };
    let locks = LockManager::new(Duration::from_millis(config.rebalance_lock_max_live_ms));
    let (shutdown, _) = watch::channel(false);
    Ok(BrokerState {
        cluster: ClusterState::new(&config),
        config,
        advertised,
        store,
        topics,
        subscription_groups,
        offsets,
        clients: ClientRegistry::default(),
        transactions,
        notifier: GroupNotifier::default(),
        locks,
        scheduler,
        shutdown,
    })
}

/// A running broker.
#[derive(Debug)]
pub struct BrokerHandle {
    local_addr: SocketAddr,
    state: Arc<BrokerState>,
    accept: JoinHandle<()>,
    housekeeping: JoinHandle<()>,
    cluster: ClusterTasks,
    transactions: JoinHandle<()>,
}

impl BrokerHandle {
    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The broker's shared state (store, topics, offsets).
    pub fn state(&self) -> &Arc<BrokerState> {
        &self.state
    }

    /// Stops accepting, lets in-flight requests finish, saves metadata and closes the store.
    pub async fn shutdown(self) -> Result<(), BrokerError> {
        self.state.shutdown.send_replace(true);
        let _ = self.accept.await;
        let _ = self.housekeeping.await;
        self.cluster.join().await;
        let _ = self.transactions.await;
        self.state.transactions.sync();
        if let Err(e) = self.state.offsets.persist() {
            tracing::error!(error = %e, "cannot save consumer offsets at shutdown");
        }
        let state = self.state.clone();
        let _ = tokio::task::spawn_blocking(move || state.scheduler.stop()).await;
        let store = self.state.store.clone();
        tokio::task::spawn_blocking(move || store.shutdown())
            .await
            .map_err(|e| BrokerError::Metadata(format!("store shutdown task failed: {e}")))??;
        tracing::info!(listen = %self.local_addr, "broker stopped");
        Ok(())
    }

    /// Stops the broker as a crash would: tasks are aborted and the store is abandoned without
    /// a final flush, checkpoint or removal of the abort marker.
    pub async fn kill(self) {
        // First, so no cluster task sees the shutdown signal and unregisters cleanly.
        self.cluster.abort().await;
        self.state.shutdown.send_replace(true);
        self.accept.abort();
        self.housekeeping.abort();
        self.transactions.abort();
        let _ = self.accept.await;
        let _ = self.housekeeping.await;
        let _ = self.transactions.await;
        let state = self.state.clone();
        let _ = tokio::task::spawn_blocking(move || state.scheduler.kill()).await;
        self.state.store.abandon();
    }
}

async fn accept_loop(state: Arc<BrokerState>, listener: TcpListener) {
    let slots = Arc::new(Semaphore::new(state.config.max_connections));
    let mut shutdown = state.shutdown_rx();
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
            tracing::warn!(%peer, max = state.config.max_connections, "connection limit reached; closing");
            drop(stream);
            continue;
        };
        let state = state.clone();
        connections.spawn(async move {
            connection::serve(state, stream, peer).await;
            drop(slot);
        });
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn housekeeping_loop(state: Arc<BrokerState>) {
    let mut notifier = tokio::spawn(groups::notify_loop(state.clone(), state.shutdown_rx()));
    housekeeping_ticks(&state).await;
    // The notifier stops on the same shutdown signal; `kill` aborts this task and so drops it.
    if tokio::time::timeout(Duration::from_secs(2), &mut notifier)
        .await
        .is_err()
    {
        notifier.abort();
    }
}

async fn housekeeping_ticks(state: &Arc<BrokerState>) {
    let mut shutdown = state.shutdown_rx();
    let period = Duration::from_millis(state.config.offset_flush_interval_ms.max(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = state.offsets.persist() {
            tracing::error!(error = %e, "cannot save consumer offsets");
        }
        let expired = state.clients.expire();
        state.notifier.changed(expired);
        state.transactions.sync();
    }
}

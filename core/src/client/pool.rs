//! `ConnectionPool`: one live connection per address, opened on first use and reopened on
//! demand once it died. Shared by the producer and consumers of one client instance.
//!
//! Each address has its own async slot, so a slow connect to one broker never delays calls to
//! another; the table itself is a std `Mutex` held only to find the slot.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::client::connection::{ConnectOptions, Connection};
use crate::client::error::ClientError;
use crate::client::shutdown::lock;

type Slot = Arc<tokio::sync::Mutex<Option<Arc<Connection>>>>;

/// Connections by `host:port`.
#[derive(Debug)]
pub struct ConnectionPool {
    options: ConnectOptions,
    slots: Mutex<HashMap<String, Slot>>,
    closed: std::sync::atomic::AtomicBool,
    /// The local address of the most recent connection (for ids and born hosts).
    local_addr: Mutex<Option<SocketAddr>>,
}

impl ConnectionPool {
    /// An empty pool opening connections with `options`.
    pub fn new(options: ConnectOptions) -> ConnectionPool {
        ConnectionPool {
            options,
            slots: Mutex::new(HashMap::new()),
            closed: std::sync::atomic::AtomicBool::new(false),
            local_addr: Mutex::new(None),
        }
    }

    /// The options connections are opened with.
    pub fn options(&self) -> &ConnectOptions {
        &self.options
    }

    /// A live connection to `addr`, connecting (again) when there is none.
    pub async fn get(&self, addr: &str) -> Result<Arc<Connection>, ClientError> {
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            return Err(ClientError::ShutDown);
        }
        let slot = lock(&self.slots)
            .entry(addr.to_owned())
            .or_default()
            .clone();
        let mut guard = slot.lock().await;
        if let Some(conn) = guard.as_ref()
            && conn.is_alive()
        {
            return Ok(conn.clone());
        }
        if let Some(old) = guard.take() {
            old.close().await;
        }
        let conn = Connection::connect(addr, self.options.clone()).await?;
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            conn.close().await;
            return Err(ClientError::ShutDown);
        }
        *lock(&self.local_addr) = Some(conn.local_addr());
        tracing::debug!(addr, local = %conn.local_addr(), "connected");
        *guard = Some(conn.clone());
        Ok(conn)
    }

    /// The live connection to `addr`, if one is open (never connects).
    pub fn existing(&self, addr: &str) -> Option<Arc<Connection>> {
        let slot = lock(&self.slots).get(addr)?.clone();
        let guard = slot.try_lock().ok()?;
        guard.as_ref().filter(|c| c.is_alive()).cloned()
    }

    /// The local address of the most recently opened connection, if any.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        *lock(&self.local_addr)
    }

    /// Starts closing every connection without waiting (for `Drop`): later `get`s fail with
    /// `ShutDown`, and each socket closes once its tasks see the signal. A connection that is
    /// being opened at this moment is closed by its `get`.
    pub fn signal_close_all(&self) {
        self.closed
            .store(true, std::sync::atomic::Ordering::Release);
        for (_, slot) in lock(&self.slots).iter() {
            if let Ok(guard) = slot.try_lock()
                && let Some(conn) = guard.as_ref()
            {
                conn.signal_close();
            }
        }
    }

    /// Closes every connection; later `get`s fail with `ShutDown`.
    pub async fn close_all(&self) {
        self.closed
            .store(true, std::sync::atomic::Ordering::Release);
        let slots: Vec<Slot> = lock(&self.slots).drain().map(|(_, s)| s).collect();
        for slot in slots {
            if let Some(conn) = slot.lock().await.take() {
                conn.close().await;
            }
        }
    }
}

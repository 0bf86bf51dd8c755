//! Clients known from their heartbeats: id, address, producer groups and consumer groups with
//! subscriptions. A client silent for `CLIENT_EXPIRY_MS` is forgotten.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrocket::protocol::{ConsumerData, HeartbeatRequest};

use crate::broker::channel::ClientChannel;

/// A client silent this long is dropped (RocketMQ's `channelExpiredTimeout`).
pub const CLIENT_EXPIRY_MS: u64 = 120_000;

/// What the broker knows of one client.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// Address of its connection.
    pub addr: SocketAddr,
    /// Its connection, for calling it back.
    pub channel: Arc<ClientChannel>,
    /// Its producer groups.
    pub producer_groups: Vec<String>,
    /// Its consumer groups.
    pub consumer_groups: Vec<ConsumerData>,
    /// When it last sent a heartbeat.
    pub last_seen: Instant,
}

/// The client registry.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    clients: Mutex<HashMap<String, ClientInfo>>,
}

impl ClientRegistry {
    /// Records a heartbeat received on `channel`'s connection.
    pub fn heartbeat(&self, channel: &Arc<ClientChannel>, request: HeartbeatRequest) {
        let info = ClientInfo {
            addr: channel.peer(),
            channel: channel.clone(),
            producer_groups: request.producer_groups,
            consumer_groups: request.consumer_groups,
            last_seen: Instant::now(),
        };
        self.lock().insert(request.client_id, info);
    }

    /// Forgets the clients whose connection closed.
    pub fn connection_closed(&self, channel: &Arc<ClientChannel>) {
        self.lock().retain(|_, c| !Arc::ptr_eq(&c.channel, channel));
    }

    /// Forgets clients silent for longer than `CLIENT_EXPIRY_MS`.
    pub fn expire(&self) {
        let expiry = Duration::from_millis(CLIENT_EXPIRY_MS);
        self.lock().retain(|_, c| c.last_seen.elapsed() < expiry);
    }

    /// Ids of the clients in a consumer group, sorted.
    pub fn consumers_of(&self, group: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .lock()
            .iter()
            .filter(|(_, c)| c.consumer_groups.iter().any(|g| g.group == group))
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// The connections of the live clients of a producer group, by client id.
    pub fn producer_channels(&self, group: &str) -> Vec<Arc<ClientChannel>> {
        let clients = self.lock();
        let mut found: Vec<(&String, &ClientInfo)> = clients
            .iter()
            .filter(|(_, c)| !c.channel.is_closed() && c.producer_groups.iter().any(|g| g == group))
            .collect();
        found.sort_by_key(|(id, _)| *id);
        found.into_iter().map(|(_, c)| c.channel.clone()).collect()
    }

    /// The subscriptions of every live consumer group to `topic`, by group.
    pub fn subscriptions_to(
        &self,
        topic: &str,
    ) -> Vec<(String, ferrocket::protocol::Subscription)> {
        let mut out: Vec<(String, ferrocket::protocol::Subscription)> = self
            .lock()
            .values()
            .flat_map(|c| c.consumer_groups.iter())
            .flat_map(|g| {
                g.subscriptions
                    .iter()
                    .filter(|s| s.topic == topic)
                    .map(|s| (g.group.clone(), s.clone()))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }

    /// Number of known clients.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no client is known.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ClientInfo>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }
}

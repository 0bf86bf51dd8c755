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
    /// Records a heartbeat received on `channel`'s connection; returns the consumer groups
    /// whose membership (or a member's subscriptions) changed.
    pub fn heartbeat(
        &self,
        channel: &Arc<ClientChannel>,
        request: HeartbeatRequest,
    ) -> Vec<String> {
        let info = ClientInfo {
            addr: channel.peer(),
            channel: channel.clone(),
            producer_groups: request.producer_groups,
            consumer_groups: request.consumer_groups,
            last_seen: Instant::now(),
        };
        let mut clients = self.lock();
        let old = clients.get(&request.client_id);
        let mut changed: Vec<String> = info
            .consumer_groups
            .iter()
            .filter(|g| {
                old.is_none_or(|o| {
                    !Arc::ptr_eq(&o.channel, channel) || !o.consumer_groups.contains(g)
                })
            })
            .map(|g| g.group.clone())
            .collect();
        if let Some(old) = old {
            let left = old.consumer_groups.iter().map(|g| &g.group);
            changed.extend(
                left.filter(|g| !info.consumer_groups.iter().any(|n| &n.group == *g))
                    .cloned(),
            );
        }
        clients.insert(request.client_id, info);
        changed
    }

    /// Forgets the clients whose connection closed; returns their consumer groups.
    pub fn connection_closed(&self, channel: &Arc<ClientChannel>) -> Vec<String> {
        self.remove_where(|c| Arc::ptr_eq(&c.channel, channel))
    }

    /// Forgets clients silent for longer than `CLIENT_EXPIRY_MS`; returns their consumer
    /// groups.
    pub fn expire(&self) -> Vec<String> {
        let expiry = Duration::from_millis(CLIENT_EXPIRY_MS);
        self.remove_where(|c| c.last_seen.elapsed() >= expiry)
    }

    /// Takes `producer_group` and `consumer_group` ("" = none) off a client's record; returns
    /// the consumer group when the client was in it.
    pub fn unregister(
        &self,
        client_id: &str,
        producer_group: &str,
        consumer_group: &str,
    ) -> Vec<String> {
        let mut clients = self.lock();
        let Some(info) = clients.get_mut(client_id) else {
            return Vec::new();
        };
        info.producer_groups.retain(|g| g != producer_group);
        let before = info.consumer_groups.len();
        info.consumer_groups.retain(|g| g.group != consumer_group);
        let left = info.consumer_groups.len() != before;
        if info.producer_groups.is_empty() && info.consumer_groups.is_empty() {
            clients.remove(client_id);
        }
        if left {
            vec![consumer_group.to_owned()]
        } else {
            Vec::new()
        }
    }

    /// The connections of a consumer group's members.
    pub fn channels_of(&self, group: &str) -> Vec<Arc<ClientChannel>> {
        self.lock()
            .values()
            .filter(|c| c.consumer_groups.iter().any(|g| g.group == group))
            .map(|c| c.channel.clone())
            .collect()
    }

    /// The consumer data a member announced for `group` (any member; they agree in a
    /// well-behaved group).
    pub fn consumer_data(&self, group: &str) -> Option<ConsumerData> {
        self.lock()
            .values()
            .flat_map(|c| c.consumer_groups.iter())
            .find(|g| g.group == group)
            .cloned()
    }

    fn remove_where(&self, gone: impl Fn(&ClientInfo) -> bool) -> Vec<String> {
        let mut groups = Vec::new();
        self.lock().retain(|_, c| {
            if gone(c) {
                groups.extend(c.consumer_groups.iter().map(|g| g.group.clone()));
                false
            } else {
                true
            }
        });
        groups.sort();
        groups.dedup();
        groups
    }

    /// The members of a consumer group with their address and what they announced for it,
    /// sorted by client id.
    pub fn members_of(&self, group: &str) -> Vec<(String, SocketAddr, ConsumerData)> {
        let mut members: Vec<(String, SocketAddr, ConsumerData)> = self
            .lock()
            .iter()
            .filter_map(|(id, c)| {
                let data = c.consumer_groups.iter().find(|g| g.group == group)?;
                Some((id.clone(), c.addr, data.clone()))
            })
            .collect();
        members.sort_by(|a, b| a.0.cmp(&b.0));
        members
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

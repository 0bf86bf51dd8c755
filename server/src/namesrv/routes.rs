//! The name server's route tables (RocketMQ's `RouteInfoManager`): topics → queue data per
//! broker name, broker names → cluster and addresses by broker id, and the live table of
//! registered addresses with their last registration and the connection they came on.
//!
//! Rules (see `spec/protocol.md` §5.15–5.19):
//! - a topic's queue data for a broker name come from its master's registrations, or from a
//!   slave's while the name has no master registered;
//! - an address registered again under the same name and id refreshes its entry; a new address
//!   for an id replaces the old one;
//! - removing the last address of a broker name removes the name and its queue data; removing
//!   only the master keeps the queue data, so consumers can read the slaves;
//! - an address is removed by `UnregisterBroker`, when the connection it registered on closes,
//!   or when its last registration is older than the expiry.
//!
//! At most `ROUTE_BROKER_COUNT_MAX` addresses are registered at once (what one cluster listing
//! carries). One std `Mutex` guards all tables; it is never held across an `.await`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ferrocket::limits::ROUTE_BROKER_COUNT_MAX;
use ferrocket::protocol::{
    BrokerData, BrokerLiveInfo, BrokerRole, ClusterInfo, PERM_READ, PERM_WRITE, QueueData,
    RegisterBrokerRequest, RegisterBrokerResponse, TopicRoute, UnregisterBrokerRequest,
};

/// Who registered an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registrar {
    /// A remote broker, on this connection (identified by its peer address): the address is
    /// forgotten when the connection closes.
    Connection(SocketAddr),
    /// The broker hosting this table (standalone mode), registering in-process.
    Local,
}

/// What the name server knows of one broker name.
#[derive(Debug, Clone)]
struct BrokerEntry {
    cluster: String,
    /// Address by broker id; id 0 is the master.
    addrs: BTreeMap<u64, String>,
    /// Queues of topics auto-created there; 0 when it does not auto-create.
    auto_create_queue_count: u16,
}

/// One registered address.
#[derive(Debug, Clone)]
struct LiveBroker {
    cluster: String,
    broker_name: String,
    broker_id: u64,
    ha_addr: String,
    role: BrokerRole,
    last_register: Instant,
    registrar: Registrar,
}

#[derive(Debug, Default)]
struct Tables {
    /// Topic → broker name → queue data.
    topics: BTreeMap<String, BTreeMap<String, QueueData>>,
    /// Broker name → entry.
    brokers: BTreeMap<String, BrokerEntry>,
    /// Address → live entry.
    live: BTreeMap<String, LiveBroker>,
}

/// The route tables of one name server; see the module doc.
#[derive(Debug)]
pub struct RouteTable {
    tables: Mutex<Tables>,
    expiry: Duration,
}

impl RouteTable {
    /// Empty tables forgetting addresses silent for `expiry`.
    pub fn new(expiry: Duration) -> RouteTable {
        RouteTable {
            tables: Mutex::new(Tables::default()),
            expiry,
        }
    }

    /// Records a registration; the answer names the master of the broker's set.
    pub fn register(
        &self,
        req: &RegisterBrokerRequest,
        registrar: Registrar,
        now: Instant,
    ) -> Result<RegisterBrokerResponse, String> {
        check_registration(req)?;
        let mut t = self.lock();
        if !t.live.contains_key(&req.broker_addr) && t.live.len() >= ROUTE_BROKER_COUNT_MAX {
            return Err(format!(
                "this name server already knows {ROUTE_BROKER_COUNT_MAX} broker addresses, the \
                 most a cluster listing can carry"
            ));
        }
        let moved = t
            .live
            .get(&req.broker_addr)
            .is_some_and(|l| l.broker_name != req.broker_name || l.broker_id != req.broker_id);
        if moved {
            t.remove_addr(&req.broker_addr);
        }
        let entry = t
            .brokers
            .entry(req.broker_name.clone())
            .or_insert_with(|| BrokerEntry {
                cluster: req.cluster.clone(),
                addrs: BTreeMap::new(),
                auto_create_queue_count: 0,
            });
        entry.cluster.clone_from(&req.cluster);
        let replaced = entry.addrs.insert(req.broker_id, req.broker_addr.clone());
        let owns_topics = req.broker_id == 0 || !entry.addrs.contains_key(&0);
        if owns_topics {
            entry.auto_create_queue_count = req.auto_create_queue_count;
        }
        if let Some(old) = replaced.filter(|old| *old != req.broker_addr) {
            t.live.remove(&old);
        }
        if owns_topics {
            t.set_topics(req);
        }
        t.live.insert(
            req.broker_addr.clone(),
            LiveBroker {
                cluster: req.cluster.clone(),
                broker_name: req.broker_name.clone(),
                broker_id: req.broker_id,
                ha_addr: req.ha_addr.clone(),
                role: req.role,
                last_register: now,
                registrar,
            },
        );
        t.invariants();
        Ok(t.master_of(&req.broker_name))
    }

    /// Forgets a broker that shut down cleanly; unknown brokers are ignored.
    pub fn unregister(&self, req: &UnregisterBrokerRequest) {
        let mut t = self.lock();
        let matches = t
            .live
            .get(&req.broker_addr)
            .is_some_and(|l| l.broker_name == req.broker_name && l.broker_id == req.broker_id);
        if matches {
            t.remove_addr(&req.broker_addr);
            tracing::info!(addr = %req.broker_addr, broker = %req.broker_name, "broker unregistered");
        }
        t.invariants();
    }

    /// Forgets every address registered on the connection from `peer`.
    pub fn connection_closed(&self, peer: SocketAddr) -> Vec<String> {
        self.remove_where(|l| l.registrar == Registrar::Connection(peer))
    }

    /// Forgets every address whose last registration is older than the expiry at `now`.
    pub fn expire(&self, now: Instant) -> Vec<String> {
        let expiry = self.expiry;
        self.remove_where(|l| now.saturating_duration_since(l.last_register) > expiry)
    }

    fn remove_where(&self, doomed: impl Fn(&LiveBroker) -> bool) -> Vec<String> {
        let mut t = self.lock();
        let addrs: Vec<String> = t
            .live
            .iter()
            .filter(|(_, l)| doomed(l))
            .map(|(a, _)| a.clone())
            .collect();
        for addr in &addrs {
            t.remove_addr(addr);
        }
        t.invariants();
        addrs
    }

    /// The route of `topic`, or `None` when no broker serves it (see `QueryRoute`).
    pub fn route(&self, topic: &str, allow_auto_create: bool) -> Option<TopicRoute> {
        let t = self.lock();
        let queues: Vec<QueueData> = match t.topics.get(topic) {
            Some(by_broker) => by_broker.values().cloned().collect(),
            None if allow_auto_create => t.auto_create_queues(),
            None => Vec::new(),
        };
        if queues.is_empty() {
            return None;
        }
        let brokers = queues
            .iter()
            .filter_map(|q| {
                let entry = t.brokers.get(&q.broker_name)?;
                Some(BrokerData {
                    cluster: entry.cluster.clone(),
                    broker_name: q.broker_name.clone(),
                    addrs: entry.addrs.iter().map(|(id, a)| (*id, a.clone())).collect(),
                })
            })
            .collect();
        Some(TopicRoute { queues, brokers })
    }

    /// Every registered address of `cluster` (every cluster when empty), sorted.
    pub fn cluster_info(&self, cluster: &str, now: Instant) -> ClusterInfo {
        let t = self.lock();
        let mut brokers: Vec<BrokerLiveInfo> = t
            .live
            .iter()
            .filter(|(_, l)| cluster.is_empty() || l.cluster == cluster)
            .map(|(addr, l)| BrokerLiveInfo {
                cluster: l.cluster.clone(),
                broker_name: l.broker_name.clone(),
                broker_id: l.broker_id,
                addr: addr.clone(),
                ha_addr: l.ha_addr.clone(),
                role: l.role,
                last_register_age_ms: age_ms(now, l.last_register),
            })
            .collect();
        brokers.sort_by(|a, b| {
            (&a.cluster, &a.broker_name, a.broker_id).cmp(&(
                &b.cluster,
                &b.broker_name,
                b.broker_id,
            ))
        });
        ClusterInfo { brokers }
    }

    /// Number of registered addresses.
    pub fn live_count(&self) -> usize {
        self.lock().live.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Tables {
    /// Makes the topics of `req` the topics of its broker name.
    fn set_topics(&mut self, req: &RegisterBrokerRequest) {
        let name = &req.broker_name;
        let listed: BTreeSet<&str> = req.topics.iter().map(|c| c.topic.as_str()).collect();
        self.topics.retain(|topic, by_broker| {
            if !listed.contains(topic.as_str()) {
                by_broker.remove(name);
            }
            !by_broker.is_empty()
        });
        for config in &req.topics {
            let queue = QueueData {
                broker_name: name.clone(),
                read_queue_count: config.read_queue_count,
                write_queue_count: config.write_queue_count,
                perm: config.perm,
            };
            self.topics
                .entry(config.topic.clone())
                .or_default()
                .insert(name.clone(), queue);
        }
    }

    /// Removes one address; the broker name (and its queue data) goes with its last address.
    fn remove_addr(&mut self, addr: &str) {
        let Some(live) = self.live.remove(addr) else {
            return;
        };
        let name = &live.broker_name;
        let Some(entry) = self.brokers.get_mut(name) else {
            return;
        };
        if entry.addrs.get(&live.broker_id).map(String::as_str) == Some(addr) {
            entry.addrs.remove(&live.broker_id);
        }
        if live.broker_id == 0 {
            entry.auto_create_queue_count = 0;
        }
        if entry.addrs.is_empty() {
            self.brokers.remove(name);
            self.topics.retain(|_, by_broker| {
                by_broker.remove(name);
                !by_broker.is_empty()
            });
        }
        tracing::info!(%addr, broker = %name, id = live.broker_id, "broker removed from routes");
    }

    /// The queues an unknown topic gets from brokers that auto-create topics.
    fn auto_create_queues(&self) -> Vec<QueueData> {
        self.brokers
            .iter()
            .filter(|(_, e)| e.auto_create_queue_count > 0 && e.addrs.contains_key(&0))
            .map(|(name, e)| QueueData {
                broker_name: name.clone(),
                read_queue_count: e.auto_create_queue_count,
                write_queue_count: e.auto_create_queue_count,
                perm: PERM_READ | PERM_WRITE,
            })
            .collect()
    }

    fn master_of(&self, broker_name: &str) -> RegisterBrokerResponse {
        let master = self
            .brokers
            .get(broker_name)
            .and_then(|e| e.addrs.get(&0))
            .cloned();
        match master {
            Some(addr) => RegisterBrokerResponse {
                master_ha_addr: self
                    .live
                    .get(&addr)
                    .map_or_else(|| addr.clone(), |l| l.ha_addr.clone()),
                master_addr: addr,
            },
            None => RegisterBrokerResponse::default(),
        }
    }

    /// Every live address is its broker entry's address for its id; every broker name has an
    /// address; every topic's broker names exist. Checked after every change in debug builds
    /// (it walks every table).
    fn invariants(&self) {
        if !cfg!(debug_assertions) {
            return;
        }
        for (addr, live) in &self.live {
            let entry = self.brokers.get(&live.broker_name);
            assert!(
                entry.and_then(|e| e.addrs.get(&live.broker_id)) == Some(addr),
                "live address {addr} is not in its broker entry"
            );
        }
        for (name, entry) in &self.brokers {
            assert!(!entry.addrs.is_empty(), "broker {name} has no address");
        }
        for by_broker in self.topics.values() {
            assert!(by_broker.keys().all(|n| self.brokers.contains_key(n)));
        }
    }
}

/// Checks the names and that the role agrees with the id.
fn check_registration(req: &RegisterBrokerRequest) -> Result<(), String> {
    if req.cluster.is_empty() || req.broker_name.is_empty() || req.broker_addr.is_empty() {
        return Err("cluster, broker name and broker address must not be empty".into());
    }
    let is_slave = req.role == BrokerRole::Slave;
    if is_slave == (req.broker_id == 0) {
        return Err(format!(
            "broker id {} does not fit role {}: id 0 is the master, slaves have ids > 0",
            req.broker_id,
            req.role.name()
        ));
    }
    Ok(())
}

fn age_ms(now: Instant, then: Instant) -> u64 {
    u64::try_from(now.saturating_duration_since(then).as_millis()).unwrap_or(u64::MAX)
}

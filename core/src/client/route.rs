//! Routes: the name-server list, `QueryRoute` with failover, the per-topic route cache and the
//! queue lists derived from a route.
//!
//! A route lists, per broker name, its queue counts and permission, and the addresses of its
//! master (id 0) and slaves. Producers write to `write_queues` (brokers with `PERM_WRITE` and a
//! master, sorted by broker name then queue id); consumers read `read_queues` (`PERM_READ`, any
//! address known: a broker whose master is gone is read from a slave). Cached routes are refreshed every `route_refresh_interval` by the client
//! instance's background task, and at once when a call reports a routing error.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::client::config::ROUTE_FORCED_REFRESH_MIN_INTERVAL_MS;
use crate::client::error::ClientError;
use crate::client::pool::ConnectionPool;
use crate::client::shutdown::lock;
use crate::protocol::{PERM_READ, PERM_WRITE, QueryRouteRequest, Status, TopicRoute};

/// The name servers, in the order they are tried (RocketMQ's `namesrvAddr`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameServers(Vec<String>);

impl NameServers {
    /// Parses `"a:9876;b:9876"` (RocketMQ's form); blanks around entries are ignored.
    pub fn parse(list: &str) -> Result<NameServers, ClientError> {
        NameServers::from_vec(list.split(';').map(str::to_owned).collect())
    }

    /// Builds the list from separate `host:port` strings.
    pub fn from_vec(addrs: Vec<String>) -> Result<NameServers, ClientError> {
        let mut out = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let addr = addr.trim();
            if addr.is_empty() {
                continue;
            }
            let port_ok = addr
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(ClientError::InvalidArgument(format!(
                    "name server address `{addr}` is not host:port"
                )));
            }
            out.push(addr.to_owned());
        }
        if out.is_empty() {
            return Err(ClientError::InvalidArgument(
                "the name server list is empty".into(),
            ));
        }
        Ok(NameServers(out))
    }

    /// The addresses.
    pub fn addrs(&self) -> &[String] {
        &self.0
    }

    /// Whether no name server is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for NameServers {
    type Err = ClientError;

    fn from_str(s: &str) -> Result<NameServers, ClientError> {
        NameServers::parse(s)
    }
}

impl fmt::Display for NameServers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(";"))
    }
}

/// One queue of a topic on one broker.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageQueue {
    /// Topic.
    pub topic: String,
    /// Broker name (master/slave set) holding the queue.
    pub broker_name: String,
    /// Queue id on that broker.
    pub queue_id: u32,
}

impl MessageQueue {
    /// A queue reference.
    pub fn new(topic: impl Into<String>, broker_name: impl Into<String>, queue_id: u32) -> Self {
        MessageQueue {
            topic: topic.into(),
            broker_name: broker_name.into(),
            queue_id,
        }
    }
}

impl fmt::Display for MessageQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}#{}", self.topic, self.broker_name, self.queue_id)
    }
}

/// A topic's route with the lists derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRouteInfo {
    /// The topic.
    pub topic: String,
    /// The route as the name server sent it.
    pub route: TopicRoute,
    /// Queues producers write, sorted by broker name then queue id.
    pub write_queues: Vec<MessageQueue>,
    /// Queues consumers read, sorted by broker name then queue id.
    pub read_queues: Vec<MessageQueue>,
    /// Master address per broker name.
    pub masters: BTreeMap<String, String>,
    /// Every address (master and slaves) by broker id, per broker name.
    pub addrs: BTreeMap<String, BTreeMap<u64, String>>,
}

impl TopicRouteInfo {
    /// Derives the queue lists and master addresses of `route`.
    pub fn new(topic: &str, route: TopicRoute) -> TopicRouteInfo {
        let masters: BTreeMap<String, String> = route
            .brokers
            .iter()
            .filter_map(|b| {
                let master = b.addrs.iter().find(|(id, _)| *id == 0)?;
                Some((b.broker_name.clone(), master.1.clone()))
            })
            .collect();
        let addrs: BTreeMap<String, BTreeMap<u64, String>> = route
            .brokers
            .iter()
            .filter(|b| !b.addrs.is_empty())
            .map(|b| (b.broker_name.clone(), b.addrs.iter().cloned().collect()))
            .collect();
        let queues = |perm: u8, count: fn(&crate::protocol::QueueData) -> u16| {
            // Writes need the master; reads take any address of the broker set.
            let known = |name: &String| {
                if perm == PERM_WRITE {
                    masters.contains_key(name)
                } else {
                    addrs.contains_key(name)
                }
            };
            let mut out: Vec<MessageQueue> = route
                .queues
                .iter()
                .filter(|q| q.perm & perm != 0 && known(&q.broker_name))
                .flat_map(|q| {
                    (0..u32::from(count(q))).map(|id| MessageQueue::new(topic, &q.broker_name, id))
                })
                .collect();
            out.sort();
            out.dedup();
            out
        };
        let write_queues = queues(PERM_WRITE, |q| q.write_queue_count);
        let read_queues = queues(PERM_READ, |q| q.read_queue_count);
        TopicRouteInfo {
            topic: topic.to_owned(),
            route,
            write_queues,
            read_queues,
            masters,
            addrs,
        }
    }

    /// The master address of `broker_name`.
    pub fn master_addr(&self, broker_name: &str) -> Option<&str> {
        self.masters.get(broker_name).map(String::as_str)
    }

    /// Where to read `broker_name` from (RocketMQ's `findBrokerAddressInSubscribe`): broker
    /// `wanted` if the route lists it, else the master, else the slave with the lowest id.
    pub fn read_addr(&self, broker_name: &str, wanted: u64) -> Option<(u64, &str)> {
        let addrs = self.addrs.get(broker_name)?;
        addrs
            .get_key_value(&wanted)
            .or_else(|| addrs.get_key_value(&0))
            .or_else(|| addrs.iter().next())
            .map(|(id, addr)| (*id, addr.as_str()))
    }

    /// The slave of `broker_name` with the lowest id, if any.
    pub fn first_slave(&self, broker_name: &str) -> Option<(u64, &str)> {
        let addrs = self.addrs.get(broker_name)?;
        addrs
            .range(1..)
            .next()
            .map(|(id, addr)| (*id, addr.as_str()))
    }
}

/// Asks the name servers in turn, starting at `first`, for `topic`'s route. Connection errors,
/// timeouts and `TOPIC_NOT_EXIST` (or an empty route) move on to the next server: name servers
/// share nothing, and one that just restarted knows no broker until they register again. When
/// a server answered and none had a route, the result is `NoRoute` naming the servers asked.
/// Returns the route and the index of the server that answered.
pub async fn query_route(
    pool: &ConnectionPool,
    name_servers: &NameServers,
    topic: &str,
    allow_auto_create: bool,
    timeout: Duration,
    first: usize,
) -> Result<(TopicRoute, usize), ClientError> {
    let addrs = name_servers.addrs();
    let request = QueryRouteRequest {
        topic: topic.to_owned(),
        allow_auto_create,
    };
    let mut asked = Vec::new();
    let mut last_error = None;
    let mut not_found = false;
    for i in 0..addrs.len() {
        let index = (first + i) % addrs.len();
        let addr = &addrs[index];
        asked.push(addr.clone());
        let result = match pool.get(addr).await {
            Ok(conn) => conn.call(&request, timeout).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(route) if route.queues.is_empty() => not_found = true,
            Ok(route) => return Ok((route, index)),
            Err(e) if e.status() == Some(Status::TopicNotExist) => not_found = true,
            Err(e @ ClientError::ShutDown) => return Err(e),
            Err(e) => {
                tracing::warn!(name_server = %addr, topic, error = %e, "route query failed");
                last_error = Some(e);
            }
        }
    }
    match last_error {
        Some(e) if !not_found => Err(e),
        _ => Err(no_route(topic, asked)),
    }
}

fn no_route(topic: &str, name_servers: Vec<String>) -> ClientError {
    ClientError::NoRoute {
        topic: topic.to_owned(),
        name_servers,
    }
}

#[derive(Debug)]
struct Entry {
    info: Arc<TopicRouteInfo>,
    /// A producer's `auto_create_queue_count` when it may create the topic by sending.
    auto_create: Option<u16>,
    refreshed_at: Instant,
}

/// The routes of the topics a client uses, shared by its producers and consumers.
#[derive(Debug)]
pub(crate) struct RouteCache {
    pool: Arc<ConnectionPool>,
    name_servers: NameServers,
    timeout: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    /// Index of the name server that answered last; asked first next time.
    preferred: AtomicUsize,
    /// Serializes queries so a burst of calls for an unknown topic asks once.
    query_lock: tokio::sync::Mutex<()>,
}

impl RouteCache {
    pub(crate) fn new(
        pool: Arc<ConnectionPool>,
        name_servers: NameServers,
        timeout: Duration,
    ) -> Self {
        RouteCache {
            pool,
            name_servers,
            timeout,
            entries: Mutex::new(HashMap::new()),
            preferred: AtomicUsize::new(0),
            query_lock: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn name_servers(&self) -> &NameServers {
        &self.name_servers
    }

    pub(crate) fn cached(&self, topic: &str) -> Option<Arc<TopicRouteInfo>> {
        lock(&self.entries).get(topic).map(|e| e.info.clone())
    }

    /// The cached route of `topic`, fetched first if there is none.
    pub(crate) async fn get(
        &self,
        topic: &str,
        auto_create: Option<u16>,
    ) -> Result<Arc<TopicRouteInfo>, ClientError> {
        if let Some(info) = self.cached(topic) {
            return Ok(info);
        }
        let _query = self.query_lock.lock().await;
        if let Some(info) = self.cached(topic) {
            return Ok(info);
        }
        self.fetch(topic, auto_create).await
    }

    /// Fetches `topic`'s route now (after a routing error), unless it was fetched within
    /// `ROUTE_FORCED_REFRESH_MIN_INTERVAL_MS`.
    pub(crate) async fn refresh(
        &self,
        topic: &str,
        auto_create: Option<u16>,
    ) -> Result<Arc<TopicRouteInfo>, ClientError> {
        let _query = self.query_lock.lock().await;
        let fresh = Duration::from_millis(ROUTE_FORCED_REFRESH_MIN_INTERVAL_MS);
        if let Some(entry) = lock(&self.entries).get(topic)
            && entry.refreshed_at.elapsed() < fresh
        {
            return Ok(entry.info.clone());
        }
        self.fetch(topic, auto_create).await
    }

    /// Fetches `topic`'s route now, even if it was fetched a moment ago (a cached route that
    /// cannot serve the call at all, such as one taken while its only master restarted).
    pub(crate) async fn refetch(
        &self,
        topic: &str,
        auto_create: Option<u16>,
    ) -> Result<Arc<TopicRouteInfo>, ClientError> {
        let _query = self.query_lock.lock().await;
        self.fetch(topic, auto_create).await
    }

    /// The topic's route from the name servers. For a producer that may create the topic
    /// (`auto_create`: its queue count) and a topic no broker holds yet, the route of the
    /// brokers that auto-create topics, with at most that many queues each (RocketMQ's
    /// default-topic route capped at the producer's `defaultTopicQueueNums`), so the sends
    /// go only to queues the new topic will have.
    async fn query(
        &self,
        topic: &str,
        auto_create: Option<u16>,
    ) -> Result<(TopicRoute, usize), ClientError> {
        let first = self.preferred.load(Ordering::Relaxed);
        let (pool, servers, timeout) = (&self.pool, &self.name_servers, self.timeout);
        let existing = query_route(pool, servers, topic, false, timeout, first).await;
        match (existing, auto_create) {
            (Err(ClientError::NoRoute { .. }), Some(queues)) => {
                let (mut route, index) =
                    query_route(pool, servers, topic, true, timeout, first).await?;
                for q in &mut route.queues {
                    q.read_queue_count = q.read_queue_count.min(queues);
                    q.write_queue_count = q.write_queue_count.min(queues);
                }
                Ok((route, index))
            }
            (result, _) => result,
        }
    }

    async fn fetch(
        &self,
        topic: &str,
        auto_create: Option<u16>,
    ) -> Result<Arc<TopicRouteInfo>, ClientError> {
        let (route, index) = self.query(topic, auto_create).await?;
        self.preferred.store(index, Ordering::Relaxed);
        let info = Arc::new(TopicRouteInfo::new(topic, route));
        let mut entries = lock(&self.entries);
        let entry = entries.entry(topic.to_owned()).or_insert_with(|| Entry {
            info: info.clone(),
            auto_create,
            refreshed_at: Instant::now(),
        });
        if *entry.info != *info {
            tracing::info!(topic, "route changed");
        }
        entry.info = info.clone();
        entry.auto_create = entry.auto_create.or(auto_create);
        entry.refreshed_at = Instant::now();
        Ok(info)
    }

    /// Refreshes every cached route; a failure keeps the old route (and is logged).
    pub(crate) async fn refresh_all(&self) {
        let topics: Vec<(String, Option<u16>)> = lock(&self.entries)
            .iter()
            .map(|(t, e)| (t.clone(), e.auto_create))
            .collect();
        for (topic, auto_create) in topics {
            let _query = self.query_lock.lock().await;
            if let Err(e) = self.fetch(&topic, auto_create).await {
                tracing::warn!(topic, error = %e, "route refresh failed; keeping the old route");
            }
        }
    }

    /// The master address of every broker in a cached route.
    pub(crate) fn broker_addrs(&self) -> BTreeSet<String> {
        lock(&self.entries)
            .values()
            .flat_map(|e| e.info.masters.values().cloned())
            .collect()
    }

    /// Every address (masters and slaves) of every broker in a cached route.
    pub(crate) fn all_broker_addrs(&self) -> BTreeSet<String> {
        lock(&self.entries)
            .values()
            .flat_map(|e| e.info.addrs.values().flat_map(|a| a.values().cloned()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{BrokerData, QueueData};

    fn route() -> TopicRoute {
        let queue = |name: &str, r, w, perm| QueueData {
            broker_name: name.into(),
            read_queue_count: r,
            write_queue_count: w,
            perm,
        };
        let broker = |name: &str, addrs: Vec<(u64, &str)>| BrokerData {
            cluster: "c".into(),
            broker_name: name.into(),
            addrs: addrs
                .into_iter()
                .map(|(id, a)| (id, a.to_owned()))
                .collect(),
        };
        TopicRoute {
            queues: vec![
                queue("b", 2, 2, PERM_READ | PERM_WRITE),
                queue("a", 3, 1, PERM_READ | PERM_WRITE),
                queue("ro", 1, 1, PERM_READ),
                queue("noaddr", 1, 1, PERM_READ | PERM_WRITE),
                queue("slaveonly", 1, 1, PERM_READ | PERM_WRITE),
            ],
            brokers: vec![
                broker("a", vec![(0, "a:1"), (1, "a:2")]),
                broker("b", vec![(0, "b:1")]),
                broker("ro", vec![(0, "ro:1")]),
                broker("slaveonly", vec![(1, "s:1")]),
            ],
        }
    }

    /// Write queues: writable brokers with a master, sorted by broker then queue id; read
    /// queues: readable brokers with any address, a master-less one read from its slave.
    #[test]
    fn write_and_read_queue_lists() {
        let info = TopicRouteInfo::new("t", route());
        let w: Vec<String> = info.write_queues.iter().map(|q| q.to_string()).collect();
        assert_eq!(w, ["t@a#0", "t@b#0", "t@b#1"]);
        let r: Vec<String> = info.read_queues.iter().map(|q| q.to_string()).collect();
        assert_eq!(
            r,
            [
                "t@a#0",
                "t@a#1",
                "t@a#2",
                "t@b#0",
                "t@b#1",
                "t@ro#0",
                "t@slaveonly#0"
            ]
        );
        assert_eq!(info.master_addr("a"), Some("a:1"));
        assert_eq!(info.master_addr("slaveonly"), None);
        assert_eq!(info.read_addr("a", 0), Some((0, "a:1")));
        assert_eq!(info.read_addr("a", 1), Some((1, "a:2")));
        assert_eq!(
            info.read_addr("b", 1),
            Some((0, "b:1")),
            "no slave: the master"
        );
        assert_eq!(
            info.read_addr("slaveonly", 0),
            Some((1, "s:1")),
            "no master: a slave"
        );
        assert_eq!(info.read_addr("noaddr", 0), None);
        assert_eq!(info.first_slave("a"), Some((1, "a:2")));
        assert_eq!(info.first_slave("b"), None);
    }

    /// Name servers parse from RocketMQ's `;` form and from a list; bad entries are refused.
    #[test]
    fn name_server_parsing() {
        let ns = NameServers::parse("a:9876; b:9876;").unwrap();
        assert_eq!(ns.addrs(), ["a:9876", "b:9876"]);
        assert_eq!(ns.to_string(), "a:9876;b:9876");
        let ns = NameServers::from_vec(vec!["127.0.0.1:1".into()]).unwrap();
        assert_eq!(ns.addrs().len(), 1);
        assert!(NameServers::parse("").is_err());
        assert!(NameServers::parse("nohost").is_err());
        assert!(NameServers::parse("a:notaport").is_err());
    }
}

//! `ClientInstance`: what the producers and consumers of one client share — the connection
//! pool, the route cache, the client id, the registered groups — and the two background tasks
//! that keep them fresh (route refresh and heartbeats). A consumer's choice of master or slave
//! per queue (`read_targets`, used through the methods in `replica`) lives here too, so the
//! pull and the push consumer share it.
//!
//! The background tasks hold a `Weak` reference, so dropping the last owner stops them even
//! without `shutdown()`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use crate::client::config::ClientConfig;
use crate::client::connection::{ConnectOptions, Connection, RequestHandler};
use crate::client::error::ClientError;
use crate::client::msg_id::client_id;
use crate::client::pool::ConnectionPool;
use crate::client::replica::{ReadTargets, is_unreachable};
use crate::client::route::{MessageQueue, RouteCache, TopicRouteInfo};
use crate::client::shutdown::{Tasks, lock};
use crate::protocol::{
    ConsumerData, GetConsumerListRequest, HeartbeatRequest, UnregisterClientRequest,
};

#[derive(Debug, Default)]
struct Groups {
    producers: BTreeSet<String>,
    consumers: BTreeMap<String, ConsumerData>,
}

/// The shared core of one client instance.
#[derive(Debug)]
pub(crate) struct ClientInstance {
    pub(crate) config: ClientConfig,
    pub(crate) pool: Arc<ConnectionPool>,
    pub(crate) routes: RouteCache,
    /// Which broker of each master/slave set a consumer reads from (`replica`).
    pub(crate) read_targets: ReadTargets,
    client_id: OnceLock<String>,
    groups: Mutex<Groups>,
    tasks: Tasks,
}

impl ClientInstance {
    pub(crate) fn new(
        config: ClientConfig,
        handler: Option<RequestHandler>,
    ) -> Arc<ClientInstance> {
        let options = ConnectOptions {
            connect_timeout: config.connect_timeout,
            request_timeout: config.request_timeout,
            handler,
        };
        let pool = Arc::new(ConnectionPool::new(options));
        let routes = RouteCache::new(
            pool.clone(),
            config.name_servers.clone(),
            config.request_timeout,
        );
        Arc::new(ClientInstance {
            config,
            pool,
            routes,
            read_targets: ReadTargets::default(),
            client_id: OnceLock::new(),
            groups: Mutex::new(Groups::default()),
            tasks: Tasks::new(),
        })
    }

    /// Starts the route-refresh and heartbeat tasks.
    pub(crate) fn start(self: &Arc<Self>) {
        let refresh_every = self.config.route_refresh_interval;
        self.spawn_periodic(refresh_every, |instance| async move {
            instance.routes.refresh_all().await;
        });
        let heartbeat_every = self.config.heartbeat_interval;
        self.spawn_periodic(heartbeat_every, |instance| async move {
            instance.heartbeat_all().await;
        });
    }

    fn spawn_periodic<F, Fut>(self: &Arc<Self>, every: Duration, mut tick: F)
    where
        F: FnMut(Arc<ClientInstance>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let weak: Weak<ClientInstance> = Arc::downgrade(self);
        let mut signal = self.tasks.signal();
        self.tasks.spawn(async move {
            while signal.sleep(every).await {
                let Some(instance) = weak.upgrade() else {
                    return;
                };
                tokio::select! {
                    () = tick(instance) => {}
                    () = signal.wait() => return,
                }
            }
        });
    }

    /// Stops the background tasks and closes every connection.
    pub(crate) async fn shutdown(&self) {
        self.tasks.shutdown().await;
        self.pool.close_all().await;
    }

    /// Signals the background tasks to stop and the connections to close, without waiting
    /// (for `Drop`: a dropped client leaves its brokers at once, as a killed process would,
    /// even while one of its listeners is still running).
    pub(crate) fn signal_shutdown(&self) {
        self.tasks.signal_shutdown();
        self.pool.signal_close_all();
    }

    /// The local IP the client reaches its peers from (loopback before any connection).
    pub(crate) fn local_ip(&self) -> IpAddr {
        self.pool
            .local_addr()
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |a| a.ip())
    }

    /// `{local ip}@{pid}#{random}`, fixed at first use.
    pub(crate) fn client_id(&self) -> &str {
        self.client_id.get_or_init(|| client_id(self.local_ip()))
    }

    pub(crate) fn register_producer(&self, group: &str) {
        lock(&self.groups).producers.insert(group.to_owned());
    }

    pub(crate) fn unregister_producer(&self, group: &str) {
        lock(&self.groups).producers.remove(group);
    }

    /// Registers (or updates) a consumer group's heartbeat data.
    pub(crate) fn set_consumer(&self, data: ConsumerData) {
        lock(&self.groups)
            .consumers
            .insert(data.group.clone(), data);
    }

    pub(crate) fn remove_consumer(&self, group: &str) {
        lock(&self.groups).consumers.remove(group);
    }

    pub(crate) fn heartbeat_request(&self) -> Option<HeartbeatRequest> {
        let groups = lock(&self.groups);
        if groups.producers.is_empty() && groups.consumers.is_empty() {
            return None;
        }
        Some(HeartbeatRequest {
            client_id: self.client_id().to_owned(),
            producer_groups: groups.producers.iter().cloned().collect(),
            consumer_groups: groups.consumers.values().cloned().collect(),
        })
    }

    /// Heartbeats every broker of every cached route (a consumer's slaves too, as RocketMQ
    /// does, so a slave knows the group while its master is down); failures are logged.
    pub(crate) async fn heartbeat_all(&self) {
        let Some(request) = self.heartbeat_request() else {
            return;
        };
        let addrs = if request.consumer_groups.is_empty() {
            self.routes.broker_addrs()
        } else {
            self.routes.all_broker_addrs()
        };
        for addr in addrs {
            if let Err(e) = self.heartbeat(&addr, &request).await {
                tracing::warn!(broker = %addr, error = %e, "heartbeat failed");
            }
        }
    }

    pub(crate) async fn heartbeat(
        &self,
        addr: &str,
        request: &HeartbeatRequest,
    ) -> Result<(), ClientError> {
        let conn = self.pool.get(addr).await?;
        conn.call(request, self.config.request_timeout).await?;
        Ok(())
    }

    /// A connection to the master of `mq`'s broker (from the cached route).
    pub(crate) async fn master_conn(
        &self,
        mq: &MessageQueue,
    ) -> Result<Arc<Connection>, ClientError> {
        let route = self.routes.get(&mq.topic, None).await?;
        let Some(addr) = route.master_addr(&mq.broker_name) else {
            return Err(ClientError::NoRoute {
                topic: mq.topic.clone(),
                name_servers: self.routes.name_servers().addrs().to_vec(),
            });
        };
        self.pool.get(addr).await
    }

    /// The sorted member list of consumer `group`, from the first broker of `route` that can
    /// be reached: the masters in broker-name order, then the slaves (which know the group from
    /// its heartbeats), so a group still rebalances while a master is down.
    pub(crate) async fn consumer_ids(
        &self,
        group: &str,
        route: &TopicRouteInfo,
    ) -> Result<Vec<String>, ClientError> {
        let slaves = route
            .addrs
            .values()
            .flat_map(|a| a.range(1..).map(|(_, addr)| addr));
        let addrs: Vec<String> = route.masters.values().chain(slaves).cloned().collect();
        let request = GetConsumerListRequest {
            consumer_group: group.to_owned(),
        };
        let mut last_error = None;
        for addr in &addrs {
            let answer = match self.pool.get(addr).await {
                Ok(conn) => conn.call(&request, self.config.request_timeout).await,
                Err(e) => Err(e),
            };
            match answer {
                Ok(list) => {
                    let mut ids = list.client_ids;
                    ids.sort();
                    return Ok(ids);
                }
                Err(e) if is_unreachable(&e) => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| ClientError::NoRoute {
            topic: route.topic.clone(),
            name_servers: self.routes.name_servers().addrs().to_vec(),
        }))
    }

    /// Tells every broker that this client leaves consumer `group`, so the other members
    /// rebalance at once; failures are logged (a broker also notices the closed connection).
    pub(crate) async fn unregister_consumer(&self, group: &str) {
        let request = UnregisterClientRequest {
            client_id: self.client_id().to_owned(),
            producer_group: String::new(),
            consumer_group: group.to_owned(),
        };
        for addr in self.routes.all_broker_addrs() {
            let result = match self.pool.get(&addr).await {
                Ok(conn) => conn
                    .call(&request, self.config.request_timeout)
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                tracing::warn!(broker = %addr, error = %e, "unregister failed; the broker will notice the closed connection");
            }
        }
    }
}

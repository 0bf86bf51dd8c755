//! An in-process cluster: N name servers and broker groups of a master and (optionally) a
//! slave, every node on `127.0.0.1:0` with its own temporary data folder, registering with
//! every name server at short intervals so tests see changes quickly.
//!
//! Every wait polls a condition with a deadline (`wait_until`), never a fixed sleep.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferrocket::client::ClientConfig;
use ferrocket::protocol::{BrokerRole as WireRole, TopicConfig, TopicRoute};
use ferrocket::{Admin, ClientError};
use ferrocket_server::config::{BrokerConfig, BrokerRole};
use ferrocket_server::namesrv::{NameServer, NameServerConfig, NameServerHandle};

use crate::TestBroker;

/// Cluster name of every test cluster.
pub const CLUSTER: &str = "TestCluster";
/// How long `wait_until` waits by default.
pub const WAIT: Duration = Duration::from_secs(20);

/// Polls `condition` every 20 ms until it holds; panics naming `what` after `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !condition().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An in-process name server that can be stopped and started again on the same address.
#[derive(Debug)]
pub struct TestNameServer {
    handle: Option<NameServerHandle>,
    config: NameServerConfig,
}

impl TestNameServer {
    /// Starts a name server on `127.0.0.1:0` forgetting brokers silent for `broker_expiry_ms`.
    pub async fn start(broker_expiry_ms: u64) -> TestNameServer {
        crate::init_test_logging();
        let mut config = NameServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            broker_expiry_ms,
            scan_interval_ms: (broker_expiry_ms / 10).clamp(10, 5000),
            ..NameServerConfig::default()
        };
        let handle = NameServer::start(config.clone())
            .await
            .expect("name server starts");
        config.listen = handle.local_addr();
        TestNameServer {
            handle: Some(handle),
            config,
        }
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.config.listen
    }

    /// The running name server.
    pub fn handle(&self) -> &NameServerHandle {
        self.handle.as_ref().expect("name server is running")
    }

    /// Stops it (every connection closes); it forgets everything.
    pub async fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await;
        }
    }

    /// Starts it again, empty, on the same address.
    pub async fn start_again(&mut self) {
        assert!(self.handle.is_none(), "the name server is running");
        let handle = NameServer::start(self.config.clone())
            .await
            .expect("name server starts again");
        self.handle = Some(handle);
    }
}

/// One broker name: its master and, optionally, its slave.
#[derive(Debug)]
pub struct BrokerGroup {
    /// The broker name.
    pub name: String,
    /// Broker id 0.
    pub master: TestBroker,
    /// Broker id 1.
    pub slave: Option<TestBroker>,
}

impl BrokerGroup {
    /// The slave, which this group must have.
    pub fn slave(&self) -> &TestBroker {
        self.slave.as_ref().expect("the group has a slave")
    }

    /// The slave, mutably.
    pub fn slave_mut(&mut self) -> &mut TestBroker {
        self.slave.as_mut().expect("the group has a slave")
    }
}

/// How to build a cluster.
pub struct ClusterOptions {
    /// Name servers.
    pub name_servers: usize,
    /// Broker groups (`broker-a`, `broker-b`, …).
    pub groups: usize,
    /// Whether each group has a slave.
    pub slaves: bool,
    /// Role of the masters.
    pub master_role: BrokerRole,
    /// The name servers' broker expiry.
    pub broker_expiry_ms: u64,
    /// Applied to every broker config last (masters and slaves alike).
    pub tweak: Box<dyn Fn(&mut BrokerConfig) + Send + Sync>,
}

impl std::fmt::Debug for ClusterOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterOptions")
            .field("name_servers", &self.name_servers)
            .field("groups", &self.groups)
            .field("slaves", &self.slaves)
            .field("master_role", &self.master_role)
            .finish_non_exhaustive()
    }
}

impl Default for ClusterOptions {
    /// Two name servers, two SYNC_MASTER groups with slaves, a 2 s broker expiry.
    fn default() -> ClusterOptions {
        ClusterOptions {
            name_servers: 2,
            groups: 2,
            slaves: true,
            master_role: BrokerRole::SyncMaster,
            broker_expiry_ms: 2000,
            tweak: Box::new(|_| {}),
        }
    }
}

/// A running cluster.
#[derive(Debug)]
pub struct TestCluster {
    /// The name servers.
    pub name_servers: Vec<TestNameServer>,
    /// The broker groups.
    pub groups: Vec<BrokerGroup>,
}

/// The cluster settings of a test broker: short registration, sync and fetch periods.
pub fn cluster_config(
    config: &mut BrokerConfig,
    namesrv: &str,
    name: &str,
    id: u64,
    role: BrokerRole,
) {
    config.cluster_name = CLUSTER.into();
    config.broker_name = name.into();
    config.broker_id = id;
    config.role = role;
    config.namesrv_addrs = namesrv.into();
    config.embedded_namesrv = false;
    config.register_interval_ms = 300;
    config.slave_sync_interval_ms = 300;
    config.replica_fetch_wait_ms = 1000;
}

impl TestCluster {
    /// Starts the name servers, then every group's master and slave, and waits until every
    /// broker is registered and every slave copies from its master.
    pub async fn start(options: ClusterOptions) -> TestCluster {
        let mut name_servers = Vec::new();
        for _ in 0..options.name_servers {
            name_servers.push(TestNameServer::start(options.broker_expiry_ms).await);
        }
        let list = namesrv_list(&name_servers);
        let mut groups = Vec::new();
        for i in 0..options.groups {
            let name = format!("broker-{}", (b'a' + i as u8) as char);
            let master = TestBroker::start_with(|c| {
                cluster_config(c, &list, &name, 0, options.master_role);
                (options.tweak)(c);
            })
            .await;
            let slave = if options.slaves {
                Some(
                    TestBroker::start_with(|c| {
                        cluster_config(c, &list, &name, 1, BrokerRole::Slave);
                        (options.tweak)(c);
                    })
                    .await,
                )
            } else {
                None
            };
            groups.push(BrokerGroup {
                name,
                master,
                slave,
            });
        }
        let cluster = TestCluster {
            name_servers,
            groups,
        };
        cluster.wait_registered().await;
        cluster
    }

    /// `host:port;host:port` of the name servers.
    pub fn namesrv_list(&self) -> String {
        namesrv_list(&self.name_servers)
    }

    /// A client config for this cluster's name servers, refreshing routes every 200 ms.
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig {
            name_servers: self.namesrv_list().parse().expect("name server list"),
            route_refresh_interval: Duration::from_millis(200),
            ..ClientConfig::default()
        }
    }

    /// An admin client for this cluster.
    pub fn admin(&self) -> Admin {
        Admin::new(self.client_config())
    }

    /// Waits until every running name server lists every running broker, and every slave
    /// reports copying from its master.
    pub async fn wait_registered(&self) {
        let expected: Vec<(String, u64)> = self
            .groups
            .iter()
            .flat_map(|g| {
                let slave = g.slave.as_ref().filter(|s| s.is_running());
                let master = Some(&g.master).filter(|m| m.is_running());
                master
                    .map(|_| (g.name.clone(), 0))
                    .into_iter()
                    .chain(slave.map(|_| (g.name.clone(), 1)))
            })
            .collect();
        for ns in self.name_servers.iter().filter(|n| n.handle.is_some()) {
            let routes = ns.handle().routes().clone();
            wait_until("every broker is registered", WAIT, || {
                let info = routes.cluster_info(CLUSTER, Instant::now());
                let mut got: Vec<(String, u64)> = info
                    .brokers
                    .iter()
                    .map(|b| (b.broker_name.clone(), b.broker_id))
                    .collect();
                got.sort();
                let ok = got == expected;
                async move { ok }
            })
            .await;
        }
        for group in &self.groups {
            let (Some(slave), true) = (&group.slave, group.master.is_running()) else {
                continue;
            };
            if !slave.is_running() {
                continue;
            }
            let state = slave.handle().state().clone();
            wait_until("the slave copies from its master", WAIT, || {
                let copying = !state.cluster.copying_from().is_empty();
                async move { copying }
            })
            .await;
        }
    }

    /// Creates `topic` with `queues` queues on every master, and waits until every name server
    /// routes it to every group.
    pub async fn create_topic(&self, topic: &str, queues: u16) {
        let admin = self.admin();
        let outcomes = admin
            .create_topic_on_cluster(CLUSTER, TopicConfig::new(topic, queues))
            .await
            .expect("cluster known");
        for (addr, outcome) in outcomes {
            outcome.unwrap_or_else(|e| panic!("create {topic} on {addr}: {e}"));
        }
        let groups = self.groups.len();
        self.wait_route(topic, |r| r.queues.len() == groups).await;
        admin.close().await;
    }

    /// Waits until every running name server's route of `topic` satisfies `holds`.
    pub async fn wait_route(&self, topic: &str, holds: impl Fn(&TopicRoute) -> bool) {
        for ns in self.name_servers.iter().filter(|n| n.handle.is_some()) {
            let routes = ns.handle().routes().clone();
            wait_until(
                &format!("the route of {topic} is as expected"),
                WAIT,
                || {
                    let ok = routes.route(topic, false).is_some_and(|r| holds(&r));
                    async move { ok }
                },
            )
            .await;
        }
    }

    /// Waits until group `i`'s slave has everything its master wrote.
    pub async fn wait_replicated(&self, i: usize) {
        let group = &self.groups[i];
        let master = group.master.handle().state().store.clone();
        let slave = group.slave().handle().state().store.clone();
        wait_until("the slave caught up", WAIT, || {
            let done = slave.commit_log_max_offset() == master.commit_log_max_offset();
            async move { done }
        })
        .await;
    }

    /// Shuts every node down cleanly.
    pub async fn shutdown(self) {
        for group in self.groups {
            if let Some(mut slave) = group.slave {
                slave.stop().await;
            }
            let mut master = group.master;
            master.stop().await;
        }
        for mut ns in self.name_servers {
            ns.stop().await;
        }
    }
}

fn namesrv_list(name_servers: &[TestNameServer]) -> String {
    name_servers
        .iter()
        .map(|n| n.addr().to_string())
        .collect::<Vec<_>>()
        .join(";")
}

/// The wire role of a config role.
pub fn wire_role(role: BrokerRole) -> WireRole {
    ferrocket_server::broker::cluster::wire_role(role)
}

/// Whether `e` is the failure of a broker or name server that is down.
pub fn is_unreachable(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Connection { .. } | ClientError::Timeout { .. }
    )
}

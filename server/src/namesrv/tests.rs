//! Tests of the name server's route tables (`routes`): master and slave routes, auto-creation
//! routes, unregistration, expiry, replacement of addresses, validation and the table bound.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferrocket::limits::ROUTE_BROKER_COUNT_MAX;
use ferrocket::protocol::{
    BrokerRole, RegisterBrokerRequest, TopicConfig, TopicRoute, UnregisterBrokerRequest,
};

use crate::namesrv::routes::{Registrar, RouteTable};

fn reg(name: &str, id: u64, addr: &str, topics: &[&str]) -> RegisterBrokerRequest {
    RegisterBrokerRequest {
        cluster: "c".into(),
        broker_name: name.into(),
        broker_id: id,
        broker_addr: addr.into(),
        ha_addr: addr.into(),
        role: if id == 0 {
            BrokerRole::SyncMaster
        } else {
            BrokerRole::Slave
        },
        auto_create_queue_count: if id == 0 { 4 } else { 0 },
        topics: topics.iter().map(|t| TopicConfig::new(*t, 2)).collect(),
    }
}

fn conn(port: u16) -> Registrar {
    Registrar::Connection(SocketAddr::from(([127, 0, 0, 1], port)))
}

fn addrs(route: &TopicRoute, name: &str) -> Vec<(u64, String)> {
    let broker = route.brokers.iter().find(|b| b.broker_name == name);
    broker.map(|b| b.addrs.clone()).unwrap_or_default()
}

/// A route lists every broker name holding the topic with all its addresses; a slave learns
/// its master; losing the master keeps the queues readable on the slave; losing both drops
/// the broker name.
#[test]
fn master_and_slave_routes() {
    let table = RouteTable::new(Duration::from_secs(120));
    let now = Instant::now();
    let none = table
        .register(&reg("a", 1, "a:2", &["t"]), conn(2), now)
        .unwrap();
    assert_eq!(none.master_addr, "", "no master yet");
    let master = table
        .register(&reg("a", 0, "a:1", &["t"]), conn(1), now)
        .unwrap();
    assert_eq!(master.master_addr, "a:1");
    table
        .register(&reg("b", 0, "b:1", &["t", "u"]), conn(3), now)
        .unwrap();
    let route = table.route("t", false).unwrap();
    assert_eq!(route.queues.len(), 2);
    assert_eq!(addrs(&route, "a"), [(0, "a:1".into()), (1, "a:2".into())]);
    assert_eq!(
        table.connection_closed(SocketAddr::from(([127, 0, 0, 1], 1))),
        ["a:1"]
    );
    let route = table.route("t", false).unwrap();
    assert_eq!(
        addrs(&route, "a"),
        [(1, "a:2".into())],
        "slave keeps the queues"
    );
    table.connection_closed(SocketAddr::from(([127, 0, 0, 1], 2)));
    let route = table.route("t", false).unwrap();
    assert_eq!(route.queues.len(), 1);
    assert_eq!(route.queues[0].broker_name, "b");
    assert!(table.route("nope", false).is_none());
}

/// Unknown topics route to masters that auto-create, only when asked; a master's
/// registration replaces its topic list; unregister and expiry forget addresses.
#[test]
fn auto_create_topics_unregister_and_expiry() {
    let table = RouteTable::new(Duration::from_millis(100));
    let t0 = Instant::now();
    table
        .register(&reg("a", 0, "a:1", &["t", "old"]), conn(1), t0)
        .unwrap();
    table
        .register(&reg("b", 1, "b:2", &["t"]), Registrar::Local, t0)
        .unwrap();
    let auto = table.route("fresh", true).unwrap();
    assert_eq!(auto.queues.len(), 1, "only the master auto-creates");
    assert_eq!(auto.queues[0].write_queue_count, 4);
    assert!(table.route("fresh", false).is_none());
    table
        .register(&reg("a", 0, "a:1", &["t"]), conn(1), t0)
        .unwrap();
    assert!(table.route("old", false).is_none(), "deleted topic dropped");
    table.unregister(&UnregisterBrokerRequest {
        cluster: "c".into(),
        broker_name: "a".into(),
        broker_id: 0,
        broker_addr: "a:1".into(),
    });
    assert_eq!(table.live_count(), 1);
    assert!(table.expire(t0 + Duration::from_millis(50)).is_empty());
    assert_eq!(table.expire(t0 + Duration::from_millis(150)), ["b:2"]);
    assert!(table.route("t", true).is_none());
}

/// A new address for an id replaces the old one, an address re-registered under another
/// name moves, the cluster listing is sorted, and a role that contradicts the id is refused.
#[test]
fn replacement_listing_and_validation() {
    let table = RouteTable::new(Duration::from_secs(120));
    let now = Instant::now();
    table
        .register(&reg("a", 0, "a:1", &["t"]), conn(1), now)
        .unwrap();
    table
        .register(&reg("a", 0, "a:9", &["t"]), conn(9), now)
        .unwrap();
    assert_eq!(
        addrs(&table.route("t", false).unwrap(), "a"),
        [(0, "a:9".into())]
    );
    table
        .register(&reg("b", 1, "a:9", &["t"]), conn(9), now)
        .unwrap();
    let info = table.cluster_info("", now);
    let names: Vec<(&str, u64)> = info
        .brokers
        .iter()
        .map(|b| (b.broker_name.as_str(), b.broker_id))
        .collect();
    assert_eq!(names, [("b", 1)]);
    assert!(table.cluster_info("other", now).brokers.is_empty());
    let mut bad = reg("a", 0, "a:1", &[]);
    bad.role = BrokerRole::Slave;
    assert!(table.register(&bad, conn(1), now).is_err());
    let mut bad = reg("a", 2, "a:1", &[]);
    bad.role = BrokerRole::AsyncMaster;
    assert!(table.register(&bad, conn(1), now).is_err());
}

/// At most `ROUTE_BROKER_COUNT_MAX` addresses are registered; a known one may register
/// again when the table is full.
#[test]
fn the_table_is_bounded() {
    let table = RouteTable::new(Duration::from_secs(120));
    let now = Instant::now();
    for i in 0..ROUTE_BROKER_COUNT_MAX {
        let r = reg(&format!("b{i}"), 0, &format!("h:{i}"), &["t"]);
        table.register(&r, conn(1), now).unwrap();
    }
    let extra = reg("extra", 0, "h:x", &["t"]);
    assert!(table.register(&extra, conn(1), now).is_err());
    table
        .register(&reg("b0", 0, "h:0", &["t"]), conn(1), now)
        .unwrap();
    assert_eq!(table.live_count(), ROUTE_BROKER_COUNT_MAX);
}

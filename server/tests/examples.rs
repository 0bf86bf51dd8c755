//! The example configs of `examples/cluster/` load as they are and describe two broker names,
//! each with a master and a slave, registering with the same two name servers.

use std::path::Path;

use ferrocket_server::config::{BrokerConfig, BrokerRole};

/// Every file of `examples/cluster/` is a valid broker config, and together they make a
/// two-master/two-slave cluster on distinct ports and data folders.
#[test]
fn example_cluster_configs_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/cluster");
    let mut configs = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("examples/cluster exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let config = BrokerConfig::load(Some(&path), Vec::new(), &[])
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            configs.push(config);
        }
    }
    let mut groups: Vec<(String, u64, BrokerRole)> = configs
        .iter()
        .map(|c| (c.broker_name.clone(), c.broker_id, c.role))
        .collect();
    groups.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    assert_eq!(
        groups,
        [
            ("broker-a".into(), 0, BrokerRole::SyncMaster),
            ("broker-a".into(), 1, BrokerRole::Slave),
            ("broker-b".into(), 0, BrokerRole::SyncMaster),
            ("broker-b".into(), 1, BrokerRole::Slave),
        ]
    );
    let mut ports: Vec<u16> = configs.iter().map(|c| c.listen.port()).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 4, "distinct ports");
    let mut dirs: Vec<_> = configs.iter().map(|c| c.data_dir.clone()).collect();
    dirs.sort();
    dirs.dedup();
    assert_eq!(dirs.len(), 4, "distinct data folders");
    for c in &configs {
        assert_eq!(c.name_servers().len(), 2);
    }
}

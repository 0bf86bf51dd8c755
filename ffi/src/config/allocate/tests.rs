//! Tests of the allocation keys: parsing, companion keys, and what the strategies allocate.

use super::*;

fn set(s: &mut AllocateSettings, key: &str, value: &str) -> Result<bool, FfiError> {
    s.set(&Value { key, value })
}

fn queue_list(n: u32, brokers: &[&str]) -> Vec<MessageQueue> {
    let mut v: Vec<MessageQueue> = brokers
        .iter()
        .flat_map(|b| (0..n).map(move |id| MessageQueue::new("t", *b, id)))
        .collect();
    v.sort();
    v
}

/// Every strategy name parses (RocketMQ spellings too); bad values name what is expected and
/// change nothing; an unset strategy leaves the builder's default.
#[test]
fn strategies_parse_and_bad_values_are_named() {
    let mut s = AllocateSettings::default();
    assert!(s.strategy().unwrap().is_none());
    for (value, name) in [
        ("AVG", "AVG"),
        ("averagely_by_circle", "AVG_BY_CIRCLE"),
        ("Consistent_Hash", "CONSISTENT_HASH"),
    ] {
        assert!(set(&mut s, "allocate_strategy", value).unwrap());
        assert_eq!(s.strategy().unwrap().unwrap().name(), name);
    }
    let before = s.clone();
    for (key, value, expected) in [
        ("allocate_strategy", "random", "machine_room_nearby"),
        ("allocate_virtual_nodes", "0", "at least 1"),
        ("allocate_virtual_nodes", "-3", "at least 1"),
        ("allocate_queues", "t#1", "topic@broker#queue_id"),
        ("allocate_queues", "t@b#x", "topic@broker#queue_id"),
        ("allocate_queues", " , ", "topic@broker#queue_id"),
        ("allocate_machine_room_inner", "config", "consistent_hash"),
        ("broker_machine_rooms", "room1", "room=name"),
        ("broker_machine_rooms", "room1=;room2=b", "room=name"),
        ("consumer_machine_rooms", "r=a;r=b", "room=name"),
    ] {
        let e = set(&mut s, key, value).unwrap_err();
        assert!(e.message.contains(key), "{}", e.message);
        assert!(e.message.contains(expected), "{key}={value}: {}", e.message);
    }
    assert_eq!(s, before, "failed sets change nothing");
    assert!(
        !set(&mut s, "allocate", "avg").unwrap(),
        "not an allocation key"
    );
}

/// `config` needs `allocate_queues` and hands out exactly the listed queues that exist.
#[test]
fn config_strategy_hands_out_the_listed_queues() {
    let mut s = AllocateSettings::default();
    set(&mut s, "allocate_strategy", "config").unwrap();
    let e = s.strategy().expect_err("needs allocate_queues");
    assert!(e.message.contains("allocate_queues"), "{}", e.message);
    set(
        &mut s,
        "allocate_queues",
        "t@b-0#1, t@b-1#0,other@b-0#0,t@b-0#9",
    )
    .unwrap();
    let strategy = s.strategy().unwrap().unwrap();
    assert_eq!(strategy.name(), "CONFIG");
    let mine = strategy.allocate("g", "me", &queue_list(4, &["b-0", "b-1"]), &["me".into()]);
    assert_eq!(
        mine,
        [
            MessageQueue::new("t", "b-0", 1),
            MessageQueue::new("t", "b-1", 0)
        ],
        "other topics and missing queues are left out"
    );
}

/// `machine_room_nearby` needs both tables; members take their own room's queues, and rooms
/// with no member are shared by everyone.
#[test]
fn machine_room_nearby_uses_the_tables() {
    let mut s = AllocateSettings::default();
    set(&mut s, "allocate_strategy", "machine_room_nearby").unwrap();
    let e = s.strategy().expect_err("needs tables");
    assert!(e.message.contains("broker_machine_rooms"), "{}", e.message);
    set(
        &mut s,
        "broker_machine_rooms",
        "east=b-0; west=b-1 ;south=b-2",
    )
    .unwrap();
    let e = s.strategy().expect_err("needs the consumer table");
    assert!(
        e.message.contains("consumer_machine_rooms"),
        "{}",
        e.message
    );
    set(
        &mut s,
        "consumer_machine_rooms",
        "east=10.0.1.,10.0.2.;west=10.1.",
    )
    .unwrap();
    set(&mut s, "allocate_machine_room_inner", "avg_by_circle").unwrap();
    let strategy = s.strategy().unwrap().unwrap();
    assert_eq!(strategy.name(), "MACHINE_ROOM_NEARBY");
    let mq_all = queue_list(2, &["b-0", "b-1", "b-2"]);
    let east = "10.0.2.7@1#a".to_owned();
    let west = "10.1.0.9@2#b".to_owned();
    let cids = vec![east.clone(), west.clone()];
    let brokers = |cid: &str| -> Vec<String> {
        let mut v: Vec<String> = strategy
            .allocate("g", cid, &mq_all, &cids)
            .iter()
            .map(|q| format!("{}#{}", q.broker_name, q.queue_id))
            .collect();
        v.sort();
        v
    };
    assert_eq!(brokers(&east), ["b-0#0", "b-0#1", "b-2#0"]);
    assert_eq!(brokers(&west), ["b-1#0", "b-1#1", "b-2#1"]);
}

/// `allocate_virtual_nodes` reaches the consistent hash: with 200 points per member the
/// allocation differs from the default ring of 10.
#[test]
fn virtual_nodes_reach_the_hash_ring() {
    let mq_all = queue_list(16, &["b-0"]);
    let cids: Vec<String> = (0..4).map(|i| format!("10.0.0.{i}@1#x")).collect();
    let mut s = AllocateSettings::default();
    set(&mut s, "allocate_strategy", "consistent_hash").unwrap();
    let default = s.strategy().unwrap().unwrap();
    set(&mut s, "allocate_virtual_nodes", "200").unwrap();
    let dense = s.strategy().unwrap().unwrap();
    let differs = cids.iter().any(|c| {
        default.allocate("g", c, &mq_all, &cids) != dense.allocate("g", c, &mq_all, &cids)
    });
    assert!(differs, "virtual nodes change the ring");
}

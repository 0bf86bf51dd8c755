//! Tests of config keys: parsing, error texts, and what reaches the Rust builders.

use super::*;

/// Unknown keys and unparsable values are refused with errors naming the key and value.
#[test]
fn bad_keys_and_values_are_named() {
    let mut s = Settings::default();
    let e = s.set("send_timout_ms", "10").unwrap_err();
    assert!(
        e.message.contains("unknown config key `send_timout_ms`"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("send_timeout_ms"),
        "lists the known keys"
    );
    let e = s.set("retries", "many").unwrap_err();
    assert_eq!(
        e.message,
        "config key `retries`: `many` is not a whole number in range"
    );
    let e = s.set("latency_fault_tolerance", "maybe").unwrap_err();
    assert!(e.message.contains("true or false"), "{}", e.message);
    let e = s.set("client_threads", "0").unwrap_err();
    assert!(e.message.contains("1..=64"), "{}", e.message);
    let e = s.set("consume_from", "middle").unwrap_err();
    assert!(e.message.contains("first_offset"), "{}", e.message);
    assert_eq!(s, Settings::default(), "failed sets change nothing");
}

/// Every listed key is accepted with a sensible value, and RocketMQ spellings work.
#[test]
fn every_listed_key_is_accepted() {
    let mut s = Settings::default();
    for (key, _) in CONFIG_KEYS {
        let value = match *key {
            "group" => "g1",
            "namesrv" => "127.0.0.1:9876",
            "latency_fault_tolerance" | "auto_commit" => "false",
            "consume_from" => "CONSUME_FROM_FIRST_OFFSET",
            _ => "3",
        };
        s.set(key, value).unwrap_or_else(|e| panic!("{key}: {e}"));
    }
    assert_eq!(s.consume_from, Some(ConsumeFromSetting::FirstOffset));
    assert_eq!(s.group(None).unwrap(), "g1");
    assert_eq!(s.group(Some("g2")).unwrap(), "g2");
}

/// consume_from=timestamp needs consume_timestamp_ms; builder range rules apply at build.
#[test]
fn builders_get_the_settings() {
    let mut s = Settings::default();
    s.set("consume_from", "timestamp").unwrap();
    let e = s.pull_consumer("g".into(), "127.0.0.1:9876").unwrap_err();
    assert!(e.message.contains("consume_timestamp_ms"), "{}", e.message);
    s.set("consume_timestamp_ms", "1700000000000").unwrap();
    s.set("pull_batch_size", "0").unwrap();
    let b = s.pull_consumer("g".into(), "127.0.0.1:9876").unwrap();
    let e = b.build().unwrap_err();
    assert!(e.to_string().contains("pull batch size"), "{e}");
    s.set("send_timeout_ms", "0").unwrap();
    let e = s
        .producer("g".into(), "127.0.0.1:9876")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("send timeout"), "{e}");
}

/// Every push consumer key is accepted with a sensible value; bad choices name the choices;
/// unknown-key errors list the push keys too.
#[test]
fn push_keys_are_accepted_and_checked() {
    let mut s = Settings::default();
    for (key, _) in PUSH_CONFIG_KEYS {
        let value = match *key {
            "message_model" => "BROADCASTING",
            "broadcast_offset_dir" => "/tmp/offsets",
            _ => "3",
        };
        s.set(key, value).unwrap_or_else(|e| panic!("{key}: {e}"));
    }
    let e = s.set("message_model", "cluster").unwrap_err();
    assert!(
        e.message.contains("clustering or broadcasting"),
        "{}",
        e.message
    );
    let e = s.set("consume_thread", "4").unwrap_err();
    assert!(e.message.contains("consume_thread_min"), "{}", e.message);
    s.push_consumer("g".into(), "127.0.0.1:9876")
        .expect("builder")
        .listener(noop_listener())
        .build()
        .expect("every push key in range builds");
}

/// Push consumer range rules are the builder's, reported when the consumer is built.
#[test]
fn push_builder_gets_the_settings() {
    let mut s = Settings::default();
    s.set("consume_thread_min", "0").unwrap();
    let e = s
        .push_consumer("g".into(), "127.0.0.1:9876")
        .expect("builder")
        .listener(noop_listener())
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("consume threads"), "{e}");
    let mut s = Settings::default();
    s.set("consume_batch_max", "5000").unwrap();
    let e = s
        .push_consumer("g".into(), "127.0.0.1:9876")
        .expect("builder")
        .listener(noop_listener())
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("consume batch max"), "{e}");
}

/// The producer's compression threshold and timer maximum reach the builder; bad values are
/// refused naming the key, `off` turns compression off.
#[test]
fn producer_compression_and_timer_keys() {
    let mut s = Settings::default();
    s.set("compress_body_over", "100").unwrap();
    s.set("timer_max_delay_ms", "2000").unwrap();
    let built = format!("{:?}", s.producer("g".into(), "127.0.0.1:9876"));
    assert!(built.contains("compress_over: 100,"), "{built}");
    assert!(built.contains("timer_max_delay: 2s"), "{built}");
    s.set("compress_body_over", "OFF").unwrap();
    let built = format!("{:?}", s.producer("g".into(), "127.0.0.1:9876"));
    assert!(
        built.contains(&format!("compress_over: {},", usize::MAX)),
        "{built}"
    );
    for (key, value, expected) in [
        ("compress_body_over", "-1", "a byte count or `off`"),
        ("compress_body_over", "4k", "a byte count or `off`"),
        ("timer_max_delay_ms", "0", "at least 1"),
        ("timer_max_delay_ms", "soon", "at least 1"),
    ] {
        let e = s.set(key, value).unwrap_err();
        assert_eq!(e.status, ferrocket_status_t::FERROCKET_ERR_INVALID_ARGUMENT);
        assert!(
            e.message.contains(key) && e.message.contains(expected),
            "{key}={value}: {}",
            e.message
        );
    }
}

/// The allocation keys are config keys of both consumers: a strategy missing its companion
/// key is refused when the consumer is built; a complete one builds.
#[test]
fn allocation_keys_reach_both_consumers() {
    let mut s = Settings::default();
    s.set("allocate_strategy", "config").unwrap();
    let e = s.pull_consumer("g".into(), "127.0.0.1:9876").unwrap_err();
    assert!(e.message.contains("allocate_queues"), "{}", e.message);
    let e = s.push_consumer("g".into(), "127.0.0.1:9876").unwrap_err();
    assert!(e.message.contains("allocate_queues"), "{}", e.message);
    s.set("allocate_queues", "t@broker-a#0").unwrap();
    s.pull_consumer("g".into(), "127.0.0.1:9876")
        .expect("builder")
        .build()
        .expect("pull consumer with config allocation");
    s.push_consumer("g".into(), "127.0.0.1:9876")
        .expect("builder")
        .listener(noop_listener())
        .build()
        .expect("push consumer with config allocation");
    let e = s.set("allocate_strategy", "nearby").unwrap_err();
    assert!(e.message.contains("machine_room_nearby"), "{}", e.message);
}

/// `ferrocket_config_set`'s documentation in the committed header names every key.
#[test]
fn header_documents_every_key() {
    let header = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../include/ferrocket.h"
    ))
    .expect("read include/ferrocket.h");
    for (key, _) in CONFIG_KEYS
        .iter()
        .chain(PUSH_CONFIG_KEYS)
        .chain(ALLOCATE_CONFIG_KEYS)
    {
        assert!(
            header.contains(&format!("`{key}`")),
            "{key} is not documented"
        );
    }
}

fn noop_listener() -> ferrocket::client::push_consumer::MessageListener {
    use ferrocket::client::push_consumer::{
        ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, MessageListener,
    };
    MessageListener::concurrently(
        |_: &[ferrocket::MessageExt], _: &mut ConsumeConcurrentlyContext| {
            ConsumeConcurrentlyStatus::ConsumeSuccess
        },
    )
}

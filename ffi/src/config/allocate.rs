//! The consumers' queue allocation keys: every strategy the Rust client offers, as strings.
//!
//! `allocate_strategy` picks one; `config` takes its queues from `allocate_queues`
//! (`topic@broker#queue_id`, the way the Rust client prints a `MessageQueue`), and
//! `machine_room_nearby` places brokers and consumers in rooms with two static tables
//! (`broker_machine_rooms`: exact broker names; `consumer_machine_rooms`: client-id prefixes,
//! and a client id starts with the consumer's IP address), dividing each room's queues with
//! `allocate_machine_room_inner`. A table instead of a resolver callback keeps the C shape to
//! config strings: every member of a group must resolve rooms the same way, which a shared
//! table does by construction. Combinations that need a companion key are refused when the
//! consumer is created.

use std::sync::Arc;

use ferrocket::client::MessageQueue;
use ferrocket::client::allocate::{
    AllocateAveragely, AllocateAveragelyByCircle, AllocateByConfig, AllocateConsistentHash,
    AllocateMachineRoomNearby, AllocateStrategy, MachineRoomResolver,
};

use super::value::Value;
use crate::error::FfiError;

/// The allocation keys (pull and push consumers), with what they set.
pub const ALLOCATE_CONFIG_KEYS: &[(&str, &str)] = &[
    (
        "allocate_strategy",
        "consumers: averagely (default), averagely_by_circle, consistent_hash, config or \
         machine_room_nearby",
    ),
    (
        "allocate_virtual_nodes",
        "consumers: points per member of consistent_hash (>= 1, default 10)",
    ),
    (
        "allocate_queues",
        "consumers: the queues of allocate_strategy=config, `topic@broker#queue_id` separated \
         by commas",
    ),
    (
        "allocate_machine_room_inner",
        "consumers: strategy within a room for machine_room_nearby (averagely, \
         averagely_by_circle or consistent_hash; default averagely)",
    ),
    (
        "broker_machine_rooms",
        "consumers: rooms of brokers for machine_room_nearby, `room=broker,broker;room=broker`",
    ),
    (
        "consumer_machine_rooms",
        "consumers: rooms of consumers for machine_room_nearby, `room=prefix,prefix;...` \
         matched against the start of the client id (`ip@pid#...`)",
    ),
];

/// `allocate_strategy` and `allocate_machine_room_inner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Averagely,
    AveragelyByCircle,
    ConsistentHash,
    Config,
    MachineRoomNearby,
}

/// Rooms and their members: `room=a,b;room=c`.
type RoomTable = Vec<(String, Vec<String>)>;

/// The allocation settings that were set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllocateSettings {
    strategy: Option<Choice>,
    virtual_nodes: Option<usize>,
    queues: Option<Vec<MessageQueue>>,
    inner: Option<Choice>,
    broker_rooms: Option<RoomTable>,
    consumer_rooms: Option<RoomTable>,
}

impl AllocateSettings {
    /// Sets an allocation key; `Ok(false)` when `v.key` is not one.
    pub(crate) fn set(&mut self, v: &Value<'_>) -> Result<bool, FfiError> {
        match v.key {
            "allocate_strategy" => self.strategy = Some(choice(v)?),
            "allocate_virtual_nodes" => self.virtual_nodes = Some(v.positive()?),
            "allocate_queues" => self.queues = Some(queues(v)?),
            "allocate_machine_room_inner" => match choice(v)? {
                Choice::Config | Choice::MachineRoomNearby => {
                    return Err(v.bad("averagely, averagely_by_circle or consistent_hash"));
                }
                inner => self.inner = Some(inner),
            },
            "broker_machine_rooms" => self.broker_rooms = Some(rooms(v)?),
            "consumer_machine_rooms" => self.consumer_rooms = Some(rooms(v)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The strategy to give the builder: `None` when `allocate_strategy` was not set (the
    /// builder's default stays); an error when a strategy lacks its companion key.
    pub(crate) fn strategy(&self) -> Result<Option<Arc<dyn AllocateStrategy>>, FfiError> {
        let Some(choice) = self.strategy else {
            return Ok(None);
        };
        Ok(Some(match choice {
            Choice::Config => {
                let queues = self.queues.clone().ok_or_else(|| {
                    FfiError::invalid(
                        "config key `allocate_strategy` is `config` but `allocate_queues` is \
                         not set",
                    )
                })?;
                Arc::new(ConfiguredQueues(AllocateByConfig { queues }))
            }
            Choice::MachineRoomNearby => {
                let missing = |key: &str| {
                    FfiError::invalid(format!(
                        "config key `allocate_strategy` is `machine_room_nearby` but `{key}` \
                         is not set"
                    ))
                };
                let brokers = self
                    .broker_rooms
                    .clone()
                    .ok_or_else(|| missing("broker_machine_rooms"))?;
                let consumers = self
                    .consumer_rooms
                    .clone()
                    .ok_or_else(|| missing("consumer_machine_rooms"))?;
                Arc::new(AllocateMachineRoomNearby {
                    inner: self.simple(self.inner.unwrap_or(Choice::Averagely)),
                    resolver: Arc::new(Rooms { brokers, consumers }),
                })
            }
            simple => self.simple(simple),
        }))
    }

    /// The strategies that need no companion key.
    fn simple(&self, choice: Choice) -> Arc<dyn AllocateStrategy> {
        match choice {
            Choice::AveragelyByCircle => Arc::new(AllocateAveragelyByCircle),
            Choice::ConsistentHash => {
                let mut hash = AllocateConsistentHash::default();
                if let Some(n) = self.virtual_nodes {
                    hash.virtual_nodes = n;
                }
                Arc::new(hash)
            }
            Choice::Averagely | Choice::Config | Choice::MachineRoomNearby => {
                Arc::new(AllocateAveragely)
            }
        }
    }
}

/// `AllocateByConfig`, keeping only the configured queues of the topic being rebalanced (a
/// consumer subscribed to two topics rebalances each with its own queue list).
#[derive(Debug)]
struct ConfiguredQueues(AllocateByConfig);

impl AllocateStrategy for ConfiguredQueues {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn allocate(
        &self,
        group: &str,
        cid: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Vec<MessageQueue> {
        let mut mine = self.0.allocate(group, cid, mq_all, cid_all);
        mine.retain(|mq| mq_all.contains(mq));
        mine
    }
}

/// The machine rooms of `broker_machine_rooms` and `consumer_machine_rooms`; anything not
/// listed is in the room named `""`.
#[derive(Debug)]
struct Rooms {
    brokers: RoomTable,
    consumers: RoomTable,
}

impl MachineRoomResolver for Rooms {
    fn broker_deploy_in(&self, mq: &MessageQueue) -> String {
        self.brokers
            .iter()
            .find(|(_, names)| names.contains(&mq.broker_name))
            .map_or_else(String::new, |(room, _)| room.clone())
    }

    fn consumer_deploy_in(&self, client_id: &str) -> String {
        self.consumers
            .iter()
            .find(|(_, prefixes)| prefixes.iter().any(|p| client_id.starts_with(p.as_str())))
            .map_or_else(String::new, |(room, _)| room.clone())
    }
}

/// A strategy name (any case; RocketMQ's short names `AVG`, `AVG_BY_CIRCLE`,
/// `CONSISTENT_HASH`, `CONFIG`, `MACHINE_ROOM_NEARBY` too).
fn choice(v: &Value<'_>) -> Result<Choice, FfiError> {
    match v.value.trim().to_ascii_lowercase().as_str() {
        "averagely" | "avg" => Ok(Choice::Averagely),
        "averagely_by_circle" | "avg_by_circle" => Ok(Choice::AveragelyByCircle),
        "consistent_hash" => Ok(Choice::ConsistentHash),
        "config" => Ok(Choice::Config),
        "machine_room_nearby" => Ok(Choice::MachineRoomNearby),
        _ => Err(
            v.bad("averagely, averagely_by_circle, consistent_hash, config or machine_room_nearby")
        ),
    }
}

/// `topic@broker#queue_id,...` (at least one).
fn queues(v: &Value<'_>) -> Result<Vec<MessageQueue>, FfiError> {
    let bad = || v.bad("a comma-separated list of `topic@broker#queue_id`");
    let mut out = Vec::new();
    for entry in v.value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (topic, rest) = entry.split_once('@').ok_or_else(bad)?;
        let (broker, id) = rest.rsplit_once('#').ok_or_else(bad)?;
        let id: u32 = id.trim().parse().map_err(|_| bad())?;
        let (topic, broker) = (topic.trim(), broker.trim());
        if topic.is_empty() || broker.is_empty() {
            return Err(bad());
        }
        out.push(MessageQueue::new(topic, broker, id));
    }
    if out.is_empty() {
        return Err(bad());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `room=member,member;room=member` (at least one room, each with a member).
fn rooms(v: &Value<'_>) -> Result<RoomTable, FfiError> {
    let bad = || v.bad("`room=name,name;room=name`");
    let mut out: RoomTable = Vec::new();
    for entry in v.value.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let (room, members) = entry.split_once('=').ok_or_else(bad)?;
        let members: Vec<String> = members
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect();
        let room = room.trim();
        if room.is_empty() || members.is_empty() || out.iter().any(|(r, _)| r == room) {
            return Err(bad());
        }
        out.push((room.to_owned(), members));
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

//! Reading from slaves: which broker of the set a consumer should pull a queue from next
//! (`suggest_broker_id` of the pull response, RocketMQ's `suggestWhichBrokerId`), and a
//! slave's rule of never moving a consumer past what it has copied.

use std::sync::OnceLock;

use ferrocket::protocol::SubscriptionGroupConfig;
use ferrocket::protocol::record::{OFF_COMMIT_LOG_OFFSET, RECORD_FIXED_LEN, read_u64};

use crate::broker::BrokerState;
use crate::broker::names;
use crate::config::BrokerRole;
use crate::store::{ReadResult, ReadStatus};

/// Memory assumed when `/proc/meminfo` cannot be read.
const MEMORY_FALLBACK_BYTES: u64 = 8 << 30;

/// The broker id the consumer should pull this queue from next (RocketMQ's
/// `suggestWhichBrokerId`): without `slave_read_enable` the master (0); with it, the group's
/// `which_broker_when_consume_slowly` (default 1, the first slave) when the read ended more
/// than the in-memory threshold behind the commit-log head, else the group's `broker_id`
/// (default 0, the master). Masters and slaves answer alike, so a slave keeps a slow consumer
/// until it caught up and then sends it back.
pub fn suggest_broker_id(
    state: &BrokerState,
    group: &SubscriptionGroupConfig,
    result: &ReadResult,
) -> u64 {
    if !state.config.slave_read_enable {
        return 0;
    }
    let read_end = result
        .records
        .last()
        .filter(|_| result.status == ReadStatus::Found)
        .filter(|r| r.len() >= RECORD_FIXED_LEN)
        .map(|r| read_u64(r, OFF_COMMIT_LOG_OFFSET) + r.len() as u64);
    let far_behind = read_end.is_some_and(|end| {
        state.store.commit_log_max_offset().saturating_sub(end) > in_memory_max_bytes(state)
    });
    if far_behind {
        group.which_broker_when_consume_slowly
    } else {
        group.broker_id
    }
}

/// On a slave, an offset past the queue's end is not corrected: the slave may simply not have
/// copied it yet, so it answers "nothing new" at the offset asked (and may hold the pull).
pub fn hold_position_on_slave(state: &BrokerState, offset: u64, result: &mut ReadResult) {
    let beyond = result.status == ReadStatus::OffsetMoved && offset > result.max_offset;
    if state.config.role == BrokerRole::Slave && beyond {
        result.status = ReadStatus::NoNewMessage;
        result.next_offset = offset;
    }
}

/// How far behind the head a read may end before it counts as far behind.
fn in_memory_max_bytes(state: &BrokerState) -> u64 {
    if let Some(bytes) = state.config.access_message_in_memory_max_bytes {
        return bytes;
    }
    let ratio = u64::from(state.config.access_message_in_memory_max_ratio);
    total_memory_bytes() / 100 * ratio
}

/// The machine's memory, from `/proc/meminfo` (read once).
fn total_memory_bytes() -> u64 {
    static TOTAL: OnceLock<u64> = OnceLock::new();
    *TOTAL.get_or_init(|| {
        let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        text.lines()
            .find_map(|line| {
                let kib = line.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?;
                kib.trim().parse::<u64>().ok()
            })
            .map_or(MEMORY_FALLBACK_BYTES, |kib| kib * 1024)
    })
}

/// Whether a slave serves a queue whose topic it has not copied yet: the records are already
/// here (the commit log outruns the periodic topic copy), so a consumer falling back to the
/// slave is not refused in between.
pub fn copied_queue_unsynced(state: &BrokerState, topic: &str, queue_id: u32) -> bool {
    state.config.role == BrokerRole::Slave
        && state.topics.get(topic).is_none()
        && names::check_topic(topic).is_ok()
        && state.store.max_offset(topic, queue_id) > 0
}

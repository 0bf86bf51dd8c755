//! Reading from slaves: which broker of the set a consumer should pull a queue from next
//! (`suggest_broker_id` of the pull response, RocketMQ's `suggestWhichBrokerId`), and a
//! slave's rule of never moving a consumer past what it has copied.

use std::sync::OnceLock;

use ferrocket::protocol::record::{OFF_COMMIT_LOG_OFFSET, read_u64};

use crate::broker::BrokerState;
use crate::broker::names;
use crate::config::BrokerRole;
use crate::store::{ReadResult, ReadStatus};

/// Memory assumed when `/proc/meminfo` cannot be read.
const MEMORY_FALLBACK_BYTES: u64 = 8 << 30;

/// The broker id the consumer should pull this queue from next: with `slave_read_enable`, a
/// master sends a consumer whose read ended more than the in-memory threshold behind the
/// commit-log head to slave 1, and a slave keeps it until it has caught up; otherwise the
/// master (0).
pub fn suggest_broker_id(state: &BrokerState, result: &ReadResult) -> u64 {
    if !state.config.slave_read_enable || result.status != ReadStatus::Found {
        return 0;
    }
    let Some(last) = result.records.last() else {
        return 0;
    };
    let read_end = read_u64(last, OFF_COMMIT_LOG_OFFSET) + last.len() as u64;
    let behind = state.store.commit_log_max_offset().saturating_sub(read_end);
    let far_behind = behind > in_memory_max_bytes(state);
    match (state.config.role, far_behind) {
        (BrokerRole::Slave, true) => state.config.broker_id,
        (BrokerRole::Slave, false) => 0,
        (_, true) => 1,
        (_, false) => 0,
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

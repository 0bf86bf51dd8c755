//! The numeric accessors of a received message: queue position, timestamps, flags and the
//! record's bookkeeping. Each reads one field; a NULL message gives 0 and sets the last error.

use super::{ferrocket_message_ext_t, field};

/// The queue id the message is stored in. Threads: any. Blocks: never. NULL `msg` gives 0.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_queue_id(
    msg: *const ferrocket_message_ext_t,
) -> u32 {
    // SAFETY: the header contract, forwarded.
    unsafe { field("ferrocket_message_ext_queue_id", msg, 0, |m| m.ext.queue_id) }
}

/// The logical offset in its queue. Threads: any. Blocks: never. NULL `msg` gives 0.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_queue_offset(
    msg: *const ferrocket_message_ext_t,
) -> u64 {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_queue_offset", msg, 0, |m| {
            m.ext.queue_offset
        })
    }
}

/// The physical offset in the broker's commit log. Threads: any. Blocks: never. NULL gives 0.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_commit_log_offset(
    msg: *const ferrocket_message_ext_t,
) -> u64 {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_commit_log_offset", msg, 0, |m| {
            m.ext.commit_log_offset
        })
    }
}

/// How many times the message was handed back for redelivery. Threads: any. Blocks: never.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_reconsume_times(
    msg: *const ferrocket_message_ext_t,
) -> u32 {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_reconsume_times", msg, 0, |m| {
            m.ext.reconsume_times
        })
    }
}

/// When the producer created the message, in ms since the Unix epoch. Threads: any.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_born_timestamp_ms(
    msg: *const ferrocket_message_ext_t,
) -> u64 {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_born_timestamp_ms", msg, 0, |m| {
            m.ext.born_timestamp_ms
        })
    }
}

/// When the broker stored the message, in ms since the Unix epoch. Threads: any.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_store_timestamp_ms(
    msg: *const ferrocket_message_ext_t,
) -> u64 {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_store_timestamp_ms", msg, 0, |m| {
            m.ext.store_timestamp_ms
        })
    }
}

/// The absolute delivery time the producer asked for (ms since the epoch), 0 if none.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_deliver_at_ms(
    msg: *const ferrocket_message_ext_t,
) -> u64 {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_deliver_at_ms", msg, 0, |m| {
            m.ext.message.deliver_at_ms.unwrap_or(0)
        })
    }
}

/// The delay level the producer set (0 = none).
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_delay_level(
    msg: *const ferrocket_message_ext_t,
) -> u8 {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_delay_level", msg, 0, |m| {
            m.ext.message.delay_level
        })
    }
}

/// The opaque user flag the producer set.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_flag(msg: *const ferrocket_message_ext_t) -> u32 {
    // SAFETY: the header contract, forwarded.
    unsafe { field("ferrocket_message_ext_flag", msg, 0, |m| m.ext.message.flag) }
}

/// The record's system flags (compression, transaction type).
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_sys_flag(
    msg: *const ferrocket_message_ext_t,
) -> u32 {
    // SAFETY: the header contract, forwarded.
    unsafe { field("ferrocket_message_ext_sys_flag", msg, 0, |m| m.ext.sys_flag) }
}

/// Bytes of the stored record.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_store_size(
    msg: *const ferrocket_message_ext_t,
) -> u32 {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_store_size", msg, 0, |m| {
            m.ext.store_size
        })
    }
}

/// Commit-log offset of the prepared (half) message, for transactional messages.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_prepared_transaction_offset(
    msg: *const ferrocket_message_ext_t,
) -> u64 {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field(
            "ferrocket_message_ext_prepared_transaction_offset",
            msg,
            0,
            |m| m.ext.prepared_transaction_offset,
        )
    }
}

/// CRC32 of the record's variable part (topic, tags, keys, properties, body).
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_payload_crc(
    msg: *const ferrocket_message_ext_t,
) -> u32 {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_payload_crc", msg, 0, |m| {
            m.ext.payload_crc
        })
    }
}

//! `ferrocket_send_result_t` and `ferrocket_send_status_t`: where a sent message went, in a
//! plain struct the caller allocates (fixed-size strings, nothing to free).

use std::ffi::c_char;

use ferrocket::limits::BROKER_NAME_LEN_MAX;
use ferrocket::{SendBatchResult, SendResult, SendStatus};

use crate::args::copy_to_array;

/// Bytes of a message id string: 32 hex characters and the NUL.
pub const FERROCKET_MSG_ID_LEN: usize = 33;
/// Bytes of an offset message id string: up to 56 hex characters (IPv6 store host) and the NUL.
pub const FERROCKET_OFFSET_MSG_ID_LEN: usize = 57;
/// Bytes of a broker name: up to 127 characters and the NUL.
pub const FERROCKET_BROKER_NAME_LEN: usize = 128;

const _: () = assert!(FERROCKET_BROKER_NAME_LEN == BROKER_NAME_LEN_MAX + 1);

/// How durably a sent message was stored (RocketMQ's `SendStatus`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ferrocket_send_status_t {
    /// Stored as asked.
    FERROCKET_SEND_OK = 0,
    /// Stored, but the SYNC_FLUSH disk flush did not finish in time.
    FERROCKET_SEND_FLUSH_DISK_TIMEOUT = 1,
    /// Stored on the master, but the slave did not confirm in time.
    FERROCKET_SEND_FLUSH_SLAVE_TIMEOUT = 2,
    /// Stored on the master, but no slave is connected or it is too far behind.
    FERROCKET_SEND_SLAVE_NOT_AVAILABLE = 3,
}

/// Where a sent message went. The caller allocates it (on the stack is fine); the library
/// fills every field; nothing in it needs freeing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ferrocket_send_result_t {
    /// How durably it was stored.
    pub status: ferrocket_send_status_t,
    /// The producer-generated unique id (RocketMQ's `msgId`), 32 hex characters.
    pub msg_id: [c_char; FERROCKET_MSG_ID_LEN],
    /// The broker-side id (RocketMQ's `offsetMsgId`); for a batch, set on the first message
    /// only (empty on the others).
    pub offset_msg_id: [c_char; FERROCKET_OFFSET_MSG_ID_LEN],
    /// The broker name holding the queue (for `ferrocket_message_queue_t`).
    pub broker_name: [c_char; FERROCKET_BROKER_NAME_LEN],
    /// The queue id.
    pub queue_id: u32,
    /// The message's offset in that queue.
    pub queue_offset: u64,
}

fn status_to_c(status: SendStatus) -> ferrocket_send_status_t {
    use ferrocket_send_status_t::*;
    match status {
        SendStatus::SendOk => FERROCKET_SEND_OK,
        SendStatus::FlushDiskTimeout => FERROCKET_SEND_FLUSH_DISK_TIMEOUT,
        SendStatus::FlushSlaveTimeout => FERROCKET_SEND_FLUSH_SLAVE_TIMEOUT,
        SendStatus::SlaveNotAvailable => FERROCKET_SEND_SLAVE_NOT_AVAILABLE,
    }
}

fn empty(status: SendStatus) -> ferrocket_send_result_t {
    ferrocket_send_result_t {
        status: status_to_c(status),
        msg_id: [0; FERROCKET_MSG_ID_LEN],
        offset_msg_id: [0; FERROCKET_OFFSET_MSG_ID_LEN],
        broker_name: [0; FERROCKET_BROKER_NAME_LEN],
        queue_id: 0,
        queue_offset: 0,
    }
}

/// The C form of one send's result.
pub fn send_result_to_c(r: &SendResult) -> ferrocket_send_result_t {
    let mut out = empty(r.status);
    copy_to_array(&mut out.msg_id, &r.msg_id.to_string());
    copy_to_array(&mut out.offset_msg_id, &r.offset_msg_id);
    copy_to_array(&mut out.broker_name, &r.queue.broker_name);
    out.queue_id = r.queue.queue_id;
    out.queue_offset = r.queue_offset;
    out
}

/// The C form of a batch's result: one entry per message, message `i` at `queue_offset + i`.
pub fn batch_result_to_c(r: &SendBatchResult) -> Vec<ferrocket_send_result_t> {
    (0u64..)
        .zip(&r.msg_ids)
        .map(|(i, id)| {
            let mut out = empty(r.status);
            copy_to_array(&mut out.msg_id, &id.to_string());
            if i == 0 {
                copy_to_array(&mut out.offset_msg_id, &r.offset_msg_id);
            }
            copy_to_array(&mut out.broker_name, &r.queue.broker_name);
            out.queue_id = r.queue.queue_id;
            out.queue_offset = r.queue_offset + i;
            out
        })
        .collect()
}

//! Tests of the client against small in-test fake servers built only from the codec.

use crate::message::{Message, MessageExt, MessageId, unspecified_addr};

/// A `MessageExt` wrapping `msg` at queue offset `offset`, for unit tests.
pub(crate) fn ext_of(message: Message, queue_offset: u64) -> MessageExt {
    MessageExt {
        message,
        msg_id: MessageId::default(),
        queue_id: 0,
        queue_offset,
        commit_log_offset: 0,
        store_size: 100,
        sys_flag: 0,
        born_timestamp_ms: 0,
        store_timestamp_ms: 0,
        born_host: unspecified_addr(),
        store_host: unspecified_addr(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        payload_crc: 0,
    }
}

mod connection_tests;
mod consumer_tests;
mod fake;
mod fault_tests;
mod producer_tests;
mod replica_tests;

//! `ferrocket_message_queue_t`: one queue of a topic on one broker, as C passes it in (borrowed
//! strings) and as the library hands it out (library-owned strings, freed with
//! `ferrocket_message_queue_array_destroy`).

use std::ffi::{CString, c_char};

use ferrocket::client::MessageQueue;

use crate::args::{str_arg, to_cstring};
use crate::error::{FfiError, guard};

/// One queue: topic, broker name and queue id (RocketMQ's `MessageQueue`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ferrocket_message_queue_t {
    /// The topic.
    pub topic: *const c_char,
    /// The broker name (master/slave set) holding the queue, as in a send result.
    pub broker_name: *const c_char,
    /// The queue id on that broker.
    pub queue_id: u32,
}

/// Reads a queue passed by C.
///
/// # Safety
/// `mq.topic` and `mq.broker_name` are NULL or NUL-terminated strings.
pub unsafe fn queue_from_c(mq: &ferrocket_message_queue_t) -> Result<MessageQueue, FfiError> {
    // SAFETY: forwarded from this function's contract.
    let (topic, broker) = unsafe {
        (
            str_arg(mq.topic, "queue topic")?,
            str_arg(mq.broker_name, "queue broker_name")?,
        )
    };
    Ok(MessageQueue::new(topic, broker, mq.queue_id))
}

/// Reads an array of `count` queues passed by C.
///
/// # Safety
/// `queues` is NULL or points to `count` queues whose strings are NULL or NUL-terminated.
pub unsafe fn queues_from_c(
    queues: *const ferrocket_message_queue_t,
    count: usize,
) -> Result<Vec<MessageQueue>, FfiError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if queues.is_null() {
        return Err(FfiError::invalid(format!(
            "queues is NULL but count is {count}"
        )));
    }
    // SAFETY: not NULL, `count` queues by this function's contract.
    let slice = unsafe { std::slice::from_raw_parts(queues, count) };
    // SAFETY: each queue's strings are NULL or NUL-terminated by this function's contract.
    slice.iter().map(|q| unsafe { queue_from_c(q) }).collect()
}

/// Hands queues to C as an array whose strings the library owns: NULL and 0 when empty.
pub fn queues_to_c(queues: &[MessageQueue]) -> (*mut ferrocket_message_queue_t, usize) {
    if queues.is_empty() {
        return (std::ptr::null_mut(), 0);
    }
    let array: Box<[ferrocket_message_queue_t]> = queues
        .iter()
        .map(|q| ferrocket_message_queue_t {
            topic: to_cstring(&q.topic).into_raw(),
            broker_name: to_cstring(&q.broker_name).into_raw(),
            queue_id: q.queue_id,
        })
        .collect();
    let count = array.len();
    (Box::into_raw(array).cast(), count)
}

/// Frees an array of queues returned by the library (for example by
/// `ferrocket_pull_consumer_assignment`), strings included. NULL is a no-op.
///
/// Threads: any thread, not while another reads the array. Blocks: never.
///
/// # Safety
/// `queues` is NULL or an array the library returned with this `count`, not yet destroyed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_queue_array_destroy(
    queues: *mut ferrocket_message_queue_t,
    count: usize,
) {
    let _ = guard("ferrocket_message_queue_array_destroy", || {
        if queues.is_null() {
            return Ok(());
        }
        let slice = std::ptr::slice_from_raw_parts_mut(queues, count);
        // SAFETY: the header contract: the boxed slice `queues_to_c` made, with its length.
        let array = unsafe { Box::from_raw(slice) };
        for q in array.iter() {
            // SAFETY: both strings came from `CString::into_raw` in `queues_to_c`.
            unsafe {
                drop(CString::from_raw(q.topic.cast_mut()));
                drop(CString::from_raw(q.broker_name.cast_mut()));
            }
        }
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Queues round-trip through the C form, and the C form is freed whole.
    #[test]
    fn queues_roundtrip() {
        let queues = vec![MessageQueue::new("T", "broker-a", 3)];
        let (array, count) = queues_to_c(&queues);
        // SAFETY: `array` holds `count` queues with live strings until destroyed.
        let back = unsafe { queues_from_c(array, count) }.expect("read back");
        assert_eq!(back, queues);
        // SAFETY: the array and count queues_to_c returned.
        unsafe { ferrocket_message_queue_array_destroy(array, count) };
        // SAFETY: NULL with a count is refused, never read.
        let e = unsafe { queues_from_c(std::ptr::null(), 2) }.unwrap_err();
        assert!(e.message.contains("queues is NULL"));
    }
}

//! The push consumer's C listeners: the statuses they return, the contexts they get, and the
//! adapters that implement the Rust client's sync listener traits by calling them.
//!
//! The Rust consumer calls a sync listener on its consume threads; an adapter lends the batch
//! to C as an array of `ferrocket_message_ext_t` (built for the call, freed after it), runs the
//! callback under the handle's `CallbackGate` and `callback_scope`, copies back what the
//! context lets C change, and reads the returned integer: a number that is no status counts as
//! "not consumed" (reconsume later, or suspend), so a bug never loses a message.

use std::ffi::{CString, c_void};
use std::sync::Arc;
use std::time::Duration;

use ferrocket::MessageExt;
use ferrocket::client::MessageQueue;
use ferrocket::client::push_consumer::{
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus, MessageListener, MessageListenerConcurrently, MessageListenerOrderly,
};

use crate::args::to_cstring;
use crate::gate::CallbackGate;
use crate::message_ext::ferrocket_message_ext_t;
use crate::queue::ferrocket_message_queue_t;
use crate::runtime::{UserData, callback_scope};

/// What a concurrent listener returns (as an `int32_t`) for its batch.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ferrocket_consume_status_t {
    /// Consumed: the committed offset may move past these messages.
    FERROCKET_CONSUME_SUCCESS = 0,
    /// Not consumed: redeliver later (clustering: through the group's retry topic, with a
    /// growing delay and `reconsume_times` + 1, up to `max_reconsume_times`, then the
    /// dead-letter queue; broadcasting: logged, not redelivered).
    FERROCKET_RECONSUME_LATER = 1,
}

/// What an orderly listener returns (as an `int32_t`) for its batch.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ferrocket_consume_orderly_status_t {
    /// Consumed: the queue moves on.
    FERROCKET_CONSUME_ORDERLY_SUCCESS = 0,
    /// Not consumed: the queue pauses for `suspend_current_queue_time_ms`, then the same
    /// messages come again (their `reconsume_times` + 1), before any later message.
    FERROCKET_SUSPEND_CURRENT_QUEUE_A_MOMENT = 1,
}

/// The context of a concurrent listener call.
#[repr(C)]
#[derive(Debug)]
pub struct ferrocket_consume_concurrently_context_t {
    /// The queue the batch came from; its strings are borrowed for the call only.
    pub queue: ferrocket_message_queue_t,
    /// In/out: the delay level of the retry if the batch is not consumed: 0 (the default) lets
    /// the broker choose (3 + reconsume times), > 0 is that level, < 0 sends the batch
    /// straight to the dead-letter queue.
    pub delay_level_when_next_consume: i32,
}

/// The context of an orderly listener call.
#[repr(C)]
#[derive(Debug)]
pub struct ferrocket_consume_orderly_context_t {
    /// The queue the batch came from; its strings are borrowed for the call only.
    pub queue: ferrocket_message_queue_t,
    /// In/out: how long the queue pauses after `FERROCKET_SUSPEND_CURRENT_QUEUE_A_MOMENT`
    /// (starts at the `suspend_current_queue_time_ms` setting).
    pub suspend_current_queue_time_ms: u64,
}

/// A concurrent listener: consumes `count` messages (`consume_batch_max`, default 1) of one
/// queue and returns a `ferrocket_consume_status_t` value. It runs on the consumer's consume
/// threads (`ferrocket-consume-<n>`, `consume_thread_min` of them, default 20), several at
/// once, so it must be thread-safe. `msgs`, the messages and `ctx` are lent for the call only:
/// copy what you keep, never destroy them. Any other return value counts as
/// `FERROCKET_RECONSUME_LATER` (and is logged). It may call blocking ferrocket functions,
/// except this consumer's `_shutdown`; it must not throw (C++).
pub type ferrocket_listener_concurrently_t = Option<
    unsafe extern "C" fn(
        msgs: *const *const ferrocket_message_ext_t,
        count: usize,
        ctx: *mut ferrocket_consume_concurrently_context_t,
        user_data: *mut c_void,
    ) -> i32,
>;

/// An orderly listener: consumes `count` messages of one queue, in queue order, and returns a
/// `ferrocket_consume_orderly_status_t` value. Calls for one queue are serialised (never two
/// at once, each batch after the previous one of that queue was settled); calls for different
/// queues run at once on the consume threads (`ferrocket-consume-<n>`). In clustering mode a
/// queue is consumed only while this member holds its broker lock. Lending rules, other return
/// values (counted as `FERROCKET_SUSPEND_CURRENT_QUEUE_A_MOMENT`) and blocking calls are as
/// for `ferrocket_listener_concurrently_t`.
pub type ferrocket_listener_orderly_t = Option<
    unsafe extern "C" fn(
        msgs: *const *const ferrocket_message_ext_t,
        count: usize,
        ctx: *mut ferrocket_consume_orderly_context_t,
        user_data: *mut c_void,
    ) -> i32,
>;

type ConcurrentlyFn = unsafe extern "C" fn(
    *const *const ferrocket_message_ext_t,
    usize,
    *mut ferrocket_consume_concurrently_context_t,
    *mut c_void,
) -> i32;

type OrderlyFn = unsafe extern "C" fn(
    *const *const ferrocket_message_ext_t,
    usize,
    *mut ferrocket_consume_orderly_context_t,
    *mut c_void,
) -> i32;

/// The listener C registered, not yet bound to a consumer.
#[derive(Debug, Clone, Copy)]
pub enum CListener {
    /// `ferrocket_push_consumer_set_listener_concurrently`.
    Concurrently(ConcurrentlyFn, UserData),
    /// `ferrocket_push_consumer_set_listener_orderly`.
    Orderly(OrderlyFn, UserData),
}

impl CListener {
    /// The Rust listener that calls this C listener on behalf of handle `owner`.
    pub fn bind(self, owner: usize, gate: Arc<CallbackGate>) -> MessageListener {
        match self {
            CListener::Concurrently(callback, user) => {
                MessageListener::concurrently(Concurrently(Bound {
                    callback,
                    user,
                    owner,
                    gate,
                }))
            }
            CListener::Orderly(callback, user) => MessageListener::orderly(Orderly(Bound {
                callback,
                user,
                owner,
                gate,
            })),
        }
    }
}

/// A C callback bound to its handle.
struct Bound<F> {
    callback: F,
    user: UserData,
    owner: usize,
    gate: Arc<CallbackGate>,
}

struct Concurrently(Bound<ConcurrentlyFn>);
struct Orderly(Bound<OrderlyFn>);

/// A batch lent to C: the wrappers and the array of pointers to them.
struct Lent {
    _msgs: Vec<ferrocket_message_ext_t>,
    ptrs: Vec<*const ferrocket_message_ext_t>,
}

impl Lent {
    fn new(msgs: &[MessageExt]) -> Lent {
        let msgs: Vec<ferrocket_message_ext_t> = msgs
            .iter()
            .map(|m| ferrocket_message_ext_t::new(m.clone()))
            .collect();
        let ptrs = msgs.iter().map(std::ptr::from_ref).collect();
        Lent { _msgs: msgs, ptrs }
    }
}

/// A queue lent to C: its strings and the struct pointing at them.
struct LentQueue {
    topic: CString,
    broker_name: CString,
    queue_id: u32,
}

impl LentQueue {
    fn new(mq: &MessageQueue) -> LentQueue {
        LentQueue {
            topic: to_cstring(&mq.topic),
            broker_name: to_cstring(&mq.broker_name),
            queue_id: mq.queue_id,
        }
    }

    fn c(&self) -> ferrocket_message_queue_t {
        ferrocket_message_queue_t {
            topic: self.topic.as_ptr(),
            broker_name: self.broker_name.as_ptr(),
            queue_id: self.queue_id,
        }
    }
}

impl MessageListenerConcurrently for Concurrently {
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        ctx: &mut ConsumeConcurrentlyContext,
    ) -> ConsumeConcurrentlyStatus {
        let b = &self.0;
        let Some(_pass) = b.gate.enter() else {
            return ConsumeConcurrentlyStatus::ReconsumeLater;
        };
        let (lent, queue) = (Lent::new(msgs), LentQueue::new(&ctx.queue));
        let mut c_ctx = ferrocket_consume_concurrently_context_t {
            queue: queue.c(),
            delay_level_when_next_consume: ctx.delay_level_when_next_consume,
        };
        let code = callback_scope(b.owner, || {
            // SAFETY: the caller registered a valid callback and vouches for its user data;
            // the array, the messages and the context outlive the call.
            unsafe {
                (b.callback)(
                    lent.ptrs.as_ptr(),
                    lent.ptrs.len(),
                    &mut c_ctx,
                    b.user.ptr(),
                )
            }
        });
        ctx.delay_level_when_next_consume = c_ctx.delay_level_when_next_consume;
        concurrently_status(code)
    }
}

impl MessageListenerOrderly for Orderly {
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        ctx: &mut ConsumeOrderlyContext,
    ) -> ConsumeOrderlyStatus {
        let b = &self.0;
        let Some(_pass) = b.gate.enter() else {
            return ConsumeOrderlyStatus::SuspendCurrentQueueAMoment;
        };
        let (lent, queue) = (Lent::new(msgs), LentQueue::new(&ctx.queue));
        let suspend_ms = u64::try_from(ctx.suspend_current_queue_time.as_millis());
        let mut c_ctx = ferrocket_consume_orderly_context_t {
            queue: queue.c(),
            suspend_current_queue_time_ms: suspend_ms.unwrap_or(u64::MAX),
        };
        let code = callback_scope(b.owner, || {
            // SAFETY: as for the concurrent listener.
            unsafe {
                (b.callback)(
                    lent.ptrs.as_ptr(),
                    lent.ptrs.len(),
                    &mut c_ctx,
                    b.user.ptr(),
                )
            }
        });
        ctx.suspend_current_queue_time = Duration::from_millis(c_ctx.suspend_current_queue_time_ms);
        orderly_status(code)
    }
}

/// Reads a concurrent listener's return value; anything but SUCCESS means "not consumed".
pub fn concurrently_status(code: i32) -> ConsumeConcurrentlyStatus {
    use ferrocket_consume_status_t::*;
    match code {
        c if c == FERROCKET_CONSUME_SUCCESS as i32 => ConsumeConcurrentlyStatus::ConsumeSuccess,
        c if c == FERROCKET_RECONSUME_LATER as i32 => ConsumeConcurrentlyStatus::ReconsumeLater,
        other => {
            tracing::error!(
                returned = other,
                "the C listener returned no ferrocket_consume_status_t; the batch will be \
                 consumed again"
            );
            ConsumeConcurrentlyStatus::ReconsumeLater
        }
    }
}

/// Reads an orderly listener's return value; anything but SUCCESS means "suspend".
pub fn orderly_status(code: i32) -> ConsumeOrderlyStatus {
    use ferrocket_consume_orderly_status_t::*;
    match code {
        c if c == FERROCKET_CONSUME_ORDERLY_SUCCESS as i32 => ConsumeOrderlyStatus::Success,
        c if c == FERROCKET_SUSPEND_CURRENT_QUEUE_A_MOMENT as i32 => {
            ConsumeOrderlyStatus::SuspendCurrentQueueAMoment
        }
        other => {
            tracing::error!(
                returned = other,
                "the C listener returned no ferrocket_consume_orderly_status_t; the queue is \
                 suspended and the batch consumed again"
            );
            ConsumeOrderlyStatus::SuspendCurrentQueueAMoment
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Return values are validated: only the listed numbers mean what they say, and any other
    /// number means "not consumed" (never "consumed").
    #[test]
    fn return_values_are_validated() {
        assert_eq!(
            concurrently_status(0),
            ConsumeConcurrentlyStatus::ConsumeSuccess
        );
        assert_eq!(
            concurrently_status(1),
            ConsumeConcurrentlyStatus::ReconsumeLater
        );
        assert_eq!(orderly_status(0), ConsumeOrderlyStatus::Success);
        for bad in [-1, 2, 99, i32::MIN, i32::MAX] {
            assert_eq!(
                concurrently_status(bad),
                ConsumeConcurrentlyStatus::ReconsumeLater
            );
            assert_eq!(
                orderly_status(bad),
                ConsumeOrderlyStatus::SuspendCurrentQueueAMoment
            );
        }
    }

    unsafe extern "C" fn count_and_succeed(
        msgs: *const *const ferrocket_message_ext_t,
        count: usize,
        ctx: *mut ferrocket_consume_concurrently_context_t,
        user_data: *mut c_void,
    ) -> i32 {
        // SAFETY: the adapter passes `count` live messages, a live context and our counter.
        unsafe {
            let seen = &*user_data.cast::<std::sync::atomic::AtomicUsize>();
            let body_len = crate::message_ext::ferrocket_message_ext_body_len(*msgs);
            seen.fetch_add(count * 1000 + body_len, std::sync::atomic::Ordering::SeqCst);
            (*ctx).delay_level_when_next_consume = 5;
        }
        0
    }

    /// The adapter lends the batch and context, copies the context back, and stops calling C
    /// once the gate is closed.
    #[test]
    fn adapter_lends_and_respects_the_gate() {
        let seen = std::sync::atomic::AtomicUsize::new(0);
        let gate = Arc::new(CallbackGate::default());
        let user = UserData(std::ptr::from_ref(&seen).cast_mut().cast());
        let listener = CListener::Concurrently(count_and_succeed, user).bind(1, gate.clone());
        let MessageListener::Concurrently(l) = listener else {
            panic!("a concurrent listener");
        };
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/vectors/record.json");
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("golden")).expect("json");
        let hex = doc["hex"].as_str().expect("hex");
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit"))
            .collect();
        let msg = ferrocket::protocol::record::decode_record(&bytes::Bytes::from(bytes))
            .expect("golden record");
        let want = 1000 + msg.body().len();
        let mut ctx = ConsumeConcurrentlyContext {
            queue: MessageQueue::new("T", "broker-a", 0),
            delay_level_when_next_consume: 0,
        };
        let status = l.consume_message(std::slice::from_ref(&msg), &mut ctx);
        assert_eq!(status, ConsumeConcurrentlyStatus::ConsumeSuccess);
        assert_eq!(ctx.delay_level_when_next_consume, 5);
        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), want);
        gate.close_and_wait();
        let status = l.consume_message(&[msg], &mut ctx);
        assert_eq!(status, ConsumeConcurrentlyStatus::ReconsumeLater);
        assert_eq!(
            seen.load(std::sync::atomic::Ordering::SeqCst),
            want,
            "not called"
        );
    }
}

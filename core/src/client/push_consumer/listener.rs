//! What the application gives a push consumer: a subscription `Selector` and one listener,
//! concurrent or orderly, sync (called on the consumer's own consume threads, so SDK bindings
//! can call into Python, Node or C from a plain thread) or async (a boxed future run on the
//! client's runtime, at most `consume_threads` at once).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use crate::client::subscription::Selector;

use crate::client::route::MessageQueue;
use crate::message::MessageExt;

/// What a concurrent listener says about a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeConcurrentlyStatus {
    /// Consumed; the offset may move past these messages.
    ConsumeSuccess,
    /// Not consumed: redeliver later (clustering: through the retry topic; broadcasting: the
    /// failure is logged and counted, the message is not redelivered).
    ReconsumeLater,
}

/// What an orderly listener says about a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeOrderlyStatus {
    /// Consumed; the queue moves on.
    Success,
    /// Not consumed: the queue pauses for the suspend time, then the same messages come again.
    SuspendCurrentQueueAMoment,
}

/// The context of a concurrent listener call.
#[derive(Debug, Clone)]
pub struct ConsumeConcurrentlyContext {
    /// The queue the batch came from.
    pub queue: MessageQueue,
    /// Delay level of the retry when the batch fails: 0 = the broker decides (3 + reconsume
    /// times), > 0 = this level, < 0 = straight to the dead-letter queue.
    pub delay_level_when_next_consume: i32,
}

/// The context of an orderly listener call.
#[derive(Debug, Clone)]
pub struct ConsumeOrderlyContext {
    /// The queue the batch came from.
    pub queue: MessageQueue,
    /// How long the queue pauses after `SuspendCurrentQueueAMoment`.
    pub suspend_current_queue_time: Duration,
}

/// A boxed future, for async listeners.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A listener called with batches of messages from any queue, on several consume threads.
pub trait MessageListenerConcurrently: Send + Sync + 'static {
    /// Consumes a batch (`consume_batch_max` messages at most, default 1).
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        ctx: &mut ConsumeConcurrentlyContext,
    ) -> ConsumeConcurrentlyStatus;
}

/// A listener called with the messages of one queue in queue order, never from two threads for
/// one queue at once.
pub trait MessageListenerOrderly: Send + Sync + 'static {
    /// Consumes a batch of one queue.
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        ctx: &mut ConsumeOrderlyContext,
    ) -> ConsumeOrderlyStatus;
}

/// The async form of `MessageListenerConcurrently`.
pub trait AsyncMessageListenerConcurrently: Send + Sync + 'static {
    /// Consumes a batch; the returned future runs on the client's runtime.
    fn consume_message(
        &self,
        msgs: Vec<MessageExt>,
        ctx: ConsumeConcurrentlyContext,
    ) -> BoxFuture<ConsumeConcurrentlyStatus>;
}

/// The async form of `MessageListenerOrderly`.
pub trait AsyncMessageListenerOrderly: Send + Sync + 'static {
    /// Consumes a batch of one queue; the returned future runs on the client's runtime.
    fn consume_message(
        &self,
        msgs: Vec<MessageExt>,
        ctx: ConsumeOrderlyContext,
    ) -> BoxFuture<ConsumeOrderlyStatus>;
}

impl<F> MessageListenerConcurrently for F
where
    F: Fn(&[MessageExt], &mut ConsumeConcurrentlyContext) -> ConsumeConcurrentlyStatus
        + Send
        + Sync
        + 'static,
{
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        ctx: &mut ConsumeConcurrentlyContext,
    ) -> ConsumeConcurrentlyStatus {
        self(msgs, ctx)
    }
}

impl<F> MessageListenerOrderly for F
where
    F: Fn(&[MessageExt], &mut ConsumeOrderlyContext) -> ConsumeOrderlyStatus
        + Send
        + Sync
        + 'static,
{
    fn consume_message(
        &self,
        msgs: &[MessageExt],
        ctx: &mut ConsumeOrderlyContext,
    ) -> ConsumeOrderlyStatus {
        self(msgs, ctx)
    }
}

/// The one listener of a push consumer.
#[derive(Clone)]
pub enum MessageListener {
    /// Sync, concurrent.
    Concurrently(Arc<dyn MessageListenerConcurrently>),
    /// Sync, orderly.
    Orderly(Arc<dyn MessageListenerOrderly>),
    /// Async, concurrent.
    AsyncConcurrently(Arc<dyn AsyncMessageListenerConcurrently>),
    /// Async, orderly.
    AsyncOrderly(Arc<dyn AsyncMessageListenerOrderly>),
}

impl MessageListener {
    /// A sync concurrent listener (a closure works).
    pub fn concurrently(listener: impl MessageListenerConcurrently) -> MessageListener {
        MessageListener::Concurrently(Arc::new(listener))
    }

    /// A sync orderly listener (a closure works).
    pub fn orderly(listener: impl MessageListenerOrderly) -> MessageListener {
        MessageListener::Orderly(Arc::new(listener))
    }

    /// An async concurrent listener.
    pub fn async_concurrently(listener: impl AsyncMessageListenerConcurrently) -> MessageListener {
        MessageListener::AsyncConcurrently(Arc::new(listener))
    }

    /// An async orderly listener.
    pub fn async_orderly(listener: impl AsyncMessageListenerOrderly) -> MessageListener {
        MessageListener::AsyncOrderly(Arc::new(listener))
    }

    /// Whether messages of one queue go to the listener one batch at a time, in order.
    pub fn is_orderly(&self) -> bool {
        matches!(
            self,
            MessageListener::Orderly(_) | MessageListener::AsyncOrderly(_)
        )
    }

    /// Whether the listener runs on the consume threads (sync) or the runtime (async).
    pub fn is_sync(&self) -> bool {
        matches!(
            self,
            MessageListener::Concurrently(_) | MessageListener::Orderly(_)
        )
    }
}

impl fmt::Debug for MessageListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            MessageListener::Concurrently(_) => "Concurrently",
            MessageListener::Orderly(_) => "Orderly",
            MessageListener::AsyncConcurrently(_) => "AsyncConcurrently",
            MessageListener::AsyncOrderly(_) => "AsyncOrderly",
        };
        f.write_str(kind)
    }
}

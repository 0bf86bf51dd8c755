//! The JavaScript listener of a push consumer, seen by the client as an async listener.
//!
//! Threading: the client's async consume workers (`consumeThreads` of them) call
//! `ListenerSlot::call`, which queues the batch on a thread-safe function; Node runs the
//! listener on its JavaScript thread with the messages converted there, and the listener's
//! return value (a `ConsumeResult`, or a Promise of one) goes back to the worker through a
//! oneshot channel, the Promise awaited on the client's runtime. A worker waits for its call to
//! settle before it takes the next job, so at most `consumeThreads` listener calls are in
//! flight and the client's per-queue flow control (`pullThresholdForQueue`,
//! `pullThresholdSizeForQueue`) bounds what is buffered behind them. An orderly queue is handed
//! to one worker at a time, so its next batch waits for the previous call's Promise.
//!
//! Anything but `Success` (a throw, a rejection, `undefined`, an unknown string) is treated as
//! reconsume-later (orderly: suspend), like RocketMQ treats a `null` status.
//!
//! Lifetime: `setListener` keeps only a reference to the function, which does not keep Node's
//! event loop alive. `start()` makes the thread-safe function (which does, as a running
//! consumer should) and `shutdown()` releases it after the client drained, so the process can
//! exit by itself.

use std::sync::{Arc, Mutex, PoisonError};

use ferrocket::client::push_consumer::{
    AsyncMessageListenerConcurrently, AsyncMessageListenerOrderly, BoxFuture,
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus,
};
use ferrocket::message::MessageExt as CoreMessageExt;
use napi::Env;
use napi::bindgen_prelude::{Either, FunctionRef, Promise};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::message::{MessageExt, to_js_messages};

/// What a listener returns (RocketMQ's consume statuses, one enum for both kinds).
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeResult {
    /// Consumed: the offset moves past the messages.
    #[napi(value = "SUCCESS")]
    Success,
    /// Concurrent listeners: send the messages back for a later retry.
    #[napi(value = "RECONSUME_LATER")]
    ReconsumeLater,
    /// Orderly listeners: retry this batch in place after `suspendCurrentQueueTimeMs`.
    #[napi(value = "SUSPEND")]
    Suspend,
}

/// What the JavaScript listener function returns.
pub(crate) type ListenerReturn = Either<Promise<ConsumeResult>, ConsumeResult>;

/// The listener's thread-safe function: called with client messages, converted on the
/// JavaScript thread, its return value read back; not callee-handled, not weak.
type ListenerTsfn = ThreadsafeFunction<
    Vec<CoreMessageExt>,
    ListenerReturn,
    Vec<MessageExt>,
    napi::Status,
    false,
    false,
    0,
>;

/// The listener function of one consumer, and its thread-safe function while started.
#[derive(Default)]
pub(crate) struct ListenerSlot {
    function: Mutex<Option<FunctionRef<Vec<MessageExt>, ListenerReturn>>>,
    tsfn: Mutex<Option<Arc<ListenerTsfn>>>,
}

impl ListenerSlot {
    /// Keeps `function` for `activate` (and uses it at once when already active).
    pub(crate) fn set(
        &self,
        env: &Env,
        function: FunctionRef<Vec<MessageExt>, ListenerReturn>,
    ) -> napi::Result<()> {
        *lock(&self.function) = Some(function);
        if lock(&self.tsfn).is_some() {
            self.build(env)?;
        }
        Ok(())
    }

    /// Whether a listener function was set.
    pub(crate) fn has_function(&self) -> bool {
        lock(&self.function).is_some()
    }

    /// Makes the thread-safe function unless there is one; true when it made one.
    pub(crate) fn activate(&self, env: &Env) -> napi::Result<bool> {
        if lock(&self.tsfn).is_some() {
            return Ok(false);
        }
        self.build(env)?;
        Ok(true)
    }

    fn build(&self, env: &Env) -> napi::Result<()> {
        let function = lock(&self.function);
        let Some(function) = function.as_ref() else {
            return Err(napi::Error::from_reason("no listener function"));
        };
        let tsfn = function
            .borrow_back(env)?
            .build_threadsafe_function::<Vec<CoreMessageExt>>()
            .callee_handled::<false>()
            .build_callback(|ctx| Ok(to_js_messages(ctx.value)))?;
        *lock(&self.tsfn) = Some(Arc::new(tsfn));
        Ok(())
    }

    /// Drops the thread-safe function (calls queued by then still run), so it no longer keeps
    /// the event loop alive.
    pub(crate) fn release(&self) {
        lock(&self.tsfn).take();
    }

    /// Calls the listener; `None` when it threw, rejected, returned something else than a
    /// `ConsumeResult`, or the consumer is not started.
    async fn call(&self, msgs: Vec<CoreMessageExt>) -> Option<ConsumeResult> {
        let tsfn = lock(&self.tsfn).clone()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let status = tsfn.call_with_return_value(
            msgs,
            ThreadsafeFunctionCallMode::NonBlocking,
            move |returned, _env| {
                let _ = tx.send(returned);
                Ok(())
            },
        );
        drop(tsfn);
        if status != napi::Status::Ok {
            return None;
        }
        match rx.await.ok()?.ok()? {
            Either::A(pending) => pending.await.ok(),
            Either::B(result) => Some(result),
        }
    }
}

impl std::fmt::Debug for ListenerSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerSlot")
            .field("has_function", &self.has_function())
            .field("active", &lock(&self.tsfn).is_some())
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The client's view of a concurrent JavaScript listener.
pub(crate) struct Concurrently(pub(crate) Arc<ListenerSlot>);

impl AsyncMessageListenerConcurrently for Concurrently {
    fn consume_message(
        &self,
        msgs: Vec<CoreMessageExt>,
        _ctx: ConsumeConcurrentlyContext,
    ) -> BoxFuture<ConsumeConcurrentlyStatus> {
        let slot = self.0.clone();
        Box::pin(async move {
            match slot.call(msgs).await {
                Some(ConsumeResult::Success) => ConsumeConcurrentlyStatus::ConsumeSuccess,
                _ => ConsumeConcurrentlyStatus::ReconsumeLater,
            }
        })
    }
}

/// The client's view of an orderly JavaScript listener.
pub(crate) struct Orderly(pub(crate) Arc<ListenerSlot>);

impl AsyncMessageListenerOrderly for Orderly {
    fn consume_message(
        &self,
        msgs: Vec<CoreMessageExt>,
        _ctx: ConsumeOrderlyContext,
    ) -> BoxFuture<ConsumeOrderlyStatus> {
        let slot = self.0.clone();
        Box::pin(async move {
            match slot.call(msgs).await {
                Some(ConsumeResult::Success) => ConsumeOrderlyStatus::Success,
                _ => ConsumeOrderlyStatus::SuspendCurrentQueueAMoment,
            }
        })
    }
}

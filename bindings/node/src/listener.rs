//! The JavaScript listener of a push consumer, seen by the client as an async listener.
//!
//! Threading: the client's async consume workers (`consumeThreads` of them) call
//! `ListenerSlot::call`, which queues the batch and, when the queue was empty, queues one hop
//! on a thread-safe function. On the JavaScript thread the hop takes every batch queued by
//! then, converts the messages, and a small JavaScript dispatcher calls the listener once per
//! batch in queue order, so one hop serves many calls (at one message per call the hop, not
//! the listener, was the cost). A listener that returns a `ConsumeResult` synchronously is
//! answered from the hop's return value without any Promise; a returned Promise (any
//! thenable) reports through a native `settle(id, ok)` when it settles. Each outcome goes back
//! to its worker through a oneshot channel. A worker waits for its call to settle before it
//! takes the next job, so at most `consumeThreads` listener calls are in flight and the
//! client's per-queue flow control (`pullThresholdForQueue`, `pullThresholdSizeForQueue`)
//! bounds what is buffered behind them. An orderly queue is handed to one worker at a time,
//! so its next batch waits for the previous call's Promise.
//!
//! Anything but `Success` (a throw, a rejection, `undefined`, an unknown string) is treated as
//! reconsume-later (orderly: suspend), like RocketMQ treats a `null` status.
//!
//! Lifetime: `setListener` keeps only a reference to the function, which does not keep Node's
//! event loop alive. `start()` makes the thread-safe function (which does, as a running
//! consumer should) and `shutdown()` releases it after the client drained, so the process can
//! exit by itself.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ferrocket::client::push_consumer::{
    AsyncMessageListenerConcurrently, AsyncMessageListenerOrderly, BoxFuture,
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, ConsumeOrderlyContext,
    ConsumeOrderlyStatus,
};
use ferrocket::message::MessageExt as CoreMessageExt;
use napi::Env;
use napi::bindgen_prelude::{Either, FnArgs, Function, FunctionRef, Promise};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use tokio::sync::oneshot;

use crate::message::MessageExt;
use crate::packed::{BUILD_SOURCE, PackedArgs as DispatchArgs, Packer};

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

/// The dispatcher made for a listener: called on the JavaScript thread with the ids, message
/// counts and packed messages (see `packed`) of every call queued since the last hop, it builds
/// the message objects and calls the listener once per call (in queue order), answering one
/// code per call: 1 success, 0 anything else (a throw too), 2 a thenable, whose outcome it
/// reports later through `settle(id, ok)`. A listener that returns synchronously so costs no
/// Promise at all.
fn dispatcher_source() -> String {
    format!(
        r"(function makeDispatcher(listener, settle) {{
  {BUILD_SOURCE}
  return function dispatch(ids, counts, small, big, bodies, shared, strs) {{
    const codes = new Array(ids.length)
    const at = [0, 0, 0, 0]
    for (let i = 0; i < ids.length; i++) {{
      const msgs = unpack(counts[i], small, big, bodies, shared, strs, at)
      let r
      try {{
        r = listener(msgs)
        if (r !== null && typeof r === 'object' && typeof r.then === 'function') {{
          const id = ids[i]
          r.then((v) => settle(id, v === 'SUCCESS'), () => settle(id, false))
          codes[i] = 2
        }} else {{
          codes[i] = r === 'SUCCESS' ? 1 : 0
        }}
      }} catch {{
        codes[i] = 0
      }}
    }}
    return codes
  }}
}})"
    )
}

/// `makeDispatcher(listener, settle)`.
type MakeDispatcher<'env> = Function<
    'env,
    FnArgs<(
        Function<'env, Vec<MessageExt>, ListenerReturn>,
        Function<'env, FnArgs<(u32, bool)>, ()>,
    )>,
    Function<'env, DispatchArgs, Vec<u32>>,
>;

/// The dispatcher's thread-safe function: called with nothing (the calls wait in
/// `Calls::queue`), it drains the queue on the JavaScript thread; not callee-handled, not
/// weak.
type ListenerTsfn = ThreadsafeFunction<(), Vec<u32>, DispatchArgs, napi::Status, false, false, 0>;

/// Listener calls between the consume workers and the JavaScript thread.
#[derive(Default)]
struct Calls {
    /// Calls not yet handed to JavaScript; a hop is queued whenever this turns non-empty.
    queue: Mutex<Vec<(u32, Vec<CoreMessageExt>)>>,
    /// The ids the hop running now handed over (only touched on the JavaScript thread).
    dispatched: Mutex<Vec<u32>>,
    /// Where each call's outcome goes.
    waiting: Mutex<HashMap<u32, oneshot::Sender<bool>>>,
    next_id: AtomicU32,
}

impl Calls {
    /// Reports the outcome of call `id` to its worker.
    fn settle(&self, id: u32, ok: bool) {
        if let Some(tx) = lock(&self.waiting).remove(&id) {
            let _ = tx.send(ok);
        }
    }

    /// Takes the queued calls for a hop, remembering their ids for `answered`.
    fn drain(&self) -> DispatchArgs {
        let queued = std::mem::take(&mut *lock(&self.queue));
        let mut packer = Packer::default();
        for (id, msgs) in queued {
            packer.push_call(id, msgs);
        }
        let (args, ids) = packer.finish();
        *lock(&self.dispatched) = ids;
        args
    }

    /// Applies the dispatcher's codes (see `dispatcher_source`); a failed hop fails them all.
    fn answered(&self, codes: napi::Result<Vec<u32>>) {
        let ids = std::mem::take(&mut *lock(&self.dispatched));
        let codes = codes.unwrap_or_default();
        for (i, id) in ids.into_iter().enumerate() {
            match codes.get(i) {
                Some(2) => {}
                Some(1) => self.settle(id, true),
                _ => self.settle(id, false),
            }
        }
    }
}

/// The listener function of one consumer, and its thread-safe function while started.
#[derive(Default)]
pub(crate) struct ListenerSlot {
    function: Mutex<Option<FunctionRef<Vec<MessageExt>, ListenerReturn>>>,
    tsfn: Mutex<Option<Arc<ListenerTsfn>>>,
    calls: Arc<Calls>,
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
        let calls = self.calls.clone();
        let settle =
            env.create_function_from_closure::<FnArgs<(u32, bool)>, (), _>("settle", move |ctx| {
                calls.settle(ctx.get::<u32>(0)?, ctx.get::<bool>(1)?);
                Ok(())
            })?;
        let make: MakeDispatcher<'_> = env.run_script(dispatcher_source())?;
        let dispatch = make.call((function.borrow_back(env)?, settle).into())?;
        let calls = self.calls.clone();
        let tsfn = dispatch
            .build_threadsafe_function::<()>()
            .callee_handled::<false>()
            .build_callback(move |_ctx| Ok(calls.drain()))?;
        *lock(&self.tsfn) = Some(Arc::new(tsfn));
        Ok(())
    }

    /// Drops the thread-safe function (calls queued by then still run), so it no longer keeps
    /// the event loop alive.
    pub(crate) fn release(&self) {
        lock(&self.tsfn).take();
    }

    /// Calls the listener: queues the call, and queues a hop to the JavaScript thread unless
    /// one is already queued (it will take this call too). False when the listener threw,
    /// rejected, returned something else than `Success`, or the consumer is not started.
    async fn call(&self, msgs: Vec<CoreMessageExt>) -> bool {
        let Some(tsfn) = lock(&self.tsfn).clone() else {
            return false;
        };
        let (tx, rx) = oneshot::channel();
        let id = self.calls.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.calls.waiting).insert(id, tx);
        let first = {
            let mut queue = lock(&self.calls.queue);
            queue.push((id, msgs));
            queue.len() == 1
        };
        if first {
            let calls = self.calls.clone();
            let status = tsfn.call_with_return_value(
                (),
                ThreadsafeFunctionCallMode::NonBlocking,
                move |codes, _env| {
                    calls.answered(codes);
                    Ok(())
                },
            );
            if status != napi::Status::Ok {
                // No hop will take the queue: fail what it holds.
                for (id, _) in std::mem::take(&mut *lock(&self.calls.queue)) {
                    self.calls.settle(id, false);
                }
            }
        }
        drop(tsfn);
        rx.await.unwrap_or(false)
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
            if slot.call(msgs).await {
                ConsumeConcurrentlyStatus::ConsumeSuccess
            } else {
                ConsumeConcurrentlyStatus::ReconsumeLater
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
            if slot.call(msgs).await {
                ConsumeOrderlyStatus::Success
            } else {
                ConsumeOrderlyStatus::SuspendCurrentQueueAMoment
            }
        })
    }
}

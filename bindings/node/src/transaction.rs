//! `TransactionProducer`: transactional messages with a JavaScript `execute` per send and a
//! `check` function for the broker's check-backs.
//!
//! The client's `TransactionListener` is sync: it runs `execute` on a runtime worker inside
//! `block_in_place` and `check` on a blocking thread. Both call JavaScript through a
//! thread-safe function and block that client thread (never the JavaScript thread, which only
//! awaits Promises) until the function's value, or the Promise it returned, settles; the
//! Promise is awaited on the client's runtime. A throw, a rejection or anything but a
//! `TransactionState` counts as `Unknown` (RocketMQ: the broker checks back later). A check
//! that has not settled after `CHECK_TIMEOUT` counts as `Unknown` too, so one stuck check does
//! not stop the others.
//!
//! The `execute` thread-safe function lives for one send; the `check` one from `start()` to
//! `shutdown()`, so a started transaction producer keeps the process alive until shut down.

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ferrocket::message::{Message as CoreMessage, MessageExt as CoreMessageExt};
use ferrocket::{
    LocalTransactionState, TransactionListener, TransactionSendResult as CoreTxResult,
};
use napi::Env;
use napi::bindgen_prelude::{BigInt, Either, Function, FunctionRef, Object, Promise, PromiseRaw};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use tokio::sync::oneshot;

use crate::error::{invalid, promise, to_js};
use crate::message::{MessageExt, SentMessage, from_js, sent_to_js, to_js_message};
use crate::options::producer_builder;
use crate::producer::SendStatus;

/// How long a check-back waits for the `check` function before answering `Unknown`.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// How a local transaction ended (RocketMQ's `LocalTransactionState`).
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionState {
    /// Deliver the message.
    #[napi(value = "COMMIT")]
    Commit,
    /// Discard the message.
    #[napi(value = "ROLLBACK")]
    Rollback,
    /// Not known yet: the broker calls `check` later.
    #[napi(value = "UNKNOWN")]
    Unknown,
}

impl From<LocalTransactionState> for TransactionState {
    fn from(state: LocalTransactionState) -> TransactionState {
        match state {
            LocalTransactionState::Commit => TransactionState::Commit,
            LocalTransactionState::Rollback => TransactionState::Rollback,
            LocalTransactionState::Unknown => TransactionState::Unknown,
        }
    }
}

/// What `execute` and `check` return.
type StateReturn = Either<Promise<TransactionState>, TransactionState>;
type CheckTsfn =
    ThreadsafeFunction<CoreMessageExt, StateReturn, MessageExt, napi::Status, false, false, 0>;
type ExecuteTsfn =
    ThreadsafeFunction<CoreMessage, StateReturn, SentMessage, napi::Status, false, false, 0>;

/// The `check` function, and its thread-safe function while started.
struct CheckSlot {
    function: FunctionRef<MessageExt, StateReturn>,
    tsfn: Mutex<Option<Arc<CheckTsfn>>>,
}

impl std::fmt::Debug for CheckSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let active = self.tsfn().is_some();
        f.debug_struct("CheckSlot")
            .field("active", &active)
            .finish()
    }
}

impl CheckSlot {
    fn tsfn(&self) -> std::sync::MutexGuard<'_, Option<Arc<CheckTsfn>>> {
        self.tsfn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The `execute` function of one send, handed to the client as the transaction's argument.
struct ExecuteArg(ExecuteTsfn);

/// The client's view of the JavaScript functions.
struct JsTransactionListener {
    check: Arc<CheckSlot>,
}

impl TransactionListener for JsTransactionListener {
    fn execute_local_transaction(
        &self,
        msg: &CoreMessage,
        arg: &(dyn Any + Send + Sync),
    ) -> LocalTransactionState {
        let Some(ExecuteArg(execute)) = arg.downcast_ref::<ExecuteArg>() else {
            return LocalTransactionState::Unknown;
        };
        let (tx, rx) = oneshot::channel();
        let status = execute.call_with_return_value(
            msg.clone(),
            ThreadsafeFunctionCallMode::NonBlocking,
            move |returned, _env| {
                let _ = tx.send(returned);
                Ok(())
            },
        );
        wait_for_state(status, rx, None)
    }

    fn check_local_transaction(&self, msg: &CoreMessageExt) -> LocalTransactionState {
        let Some(check) = self.check.tsfn().clone() else {
            return LocalTransactionState::Unknown;
        };
        let (tx, rx) = oneshot::channel();
        let status = check.call_with_return_value(
            msg.clone(),
            ThreadsafeFunctionCallMode::NonBlocking,
            move |returned, _env| {
                let _ = tx.send(returned);
                Ok(())
            },
        );
        drop(check);
        wait_for_state(status, rx, Some(CHECK_TIMEOUT))
    }
}

/// Blocks this client thread until the JavaScript call's state is known (`Unknown` for
/// anything but a `TransactionState`, or after `timeout`).
fn wait_for_state(
    status: napi::Status,
    rx: oneshot::Receiver<napi::Result<StateReturn>>,
    timeout: Option<Duration>,
) -> LocalTransactionState {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return LocalTransactionState::Unknown;
    };
    if status != napi::Status::Ok {
        return LocalTransactionState::Unknown;
    }
    let settled = async move {
        match rx.await.ok()?.ok()? {
            Either::A(pending) => pending.await.ok(),
            Either::B(state) => Some(state),
        }
    };
    let state = runtime.block_on(async move {
        match timeout {
            Some(limit) => tokio::time::timeout(limit, settled).await.ok().flatten(),
            None => settled.await,
        }
    });
    match state {
        Some(TransactionState::Commit) => LocalTransactionState::Commit,
        Some(TransactionState::Rollback) => LocalTransactionState::Rollback,
        _ => LocalTransactionState::Unknown,
    }
}

/// What a transactional send did: where the half message went and how `execute` ended.
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct TransactionSendResult {
    /// How durably the half message was stored.
    #[napi(ts_type = "`${SendStatus}`")]
    pub status: SendStatus,
    /// The message's unique id.
    pub msg_id: String,
    /// The broker's id of the half message.
    pub offset_msg_id: String,
    /// The topic.
    pub topic: String,
    /// The broker holding the queue.
    pub broker_name: String,
    /// The queue.
    pub queue_id: u32,
    /// The half message's offset in its queue.
    pub queue_offset: BigInt,
    /// What `execute` answered (`ROLLBACK` without calling it when the half message was not
    /// stored as `SEND_OK`; `UNKNOWN` when it threw or rejected).
    #[napi(ts_type = "`${TransactionState}`")]
    pub local_state: TransactionState,
}

impl From<CoreTxResult> for TransactionSendResult {
    fn from(r: CoreTxResult) -> TransactionSendResult {
        let send = crate::producer::SendResult::from(r.send);
        TransactionSendResult {
            status: send.status,
            msg_id: send.msg_id,
            offset_msg_id: send.offset_msg_id,
            topic: send.topic,
            broker_name: send.broker_name,
            queue_id: send.queue_id,
            queue_offset: send.queue_offset,
            local_state: r.local_state.into(),
        }
    }
}

/// A producer of transactional messages (RocketMQ's `TransactionMQProducer`).
#[napi]
#[derive(Debug)]
pub struct TransactionProducer {
    inner: Arc<ferrocket::TransactionProducer>,
    check: Arc<CheckSlot>,
}

#[napi]
impl TransactionProducer {
    /// A transactional producer: `options` are a producer's plus `check`, which the broker's
    /// check-backs call for transactions left `UNKNOWN`.
    #[napi(
        constructor,
        ts_args_type = "options: ProducerOptions & { check: (message: MessageExt) => TransactionState | `${TransactionState}` | Promise<TransactionState | `${TransactionState}`> }"
    )]
    pub fn new(env: &Env, options: Object) -> napi::Result<TransactionProducer> {
        let Some(function) = options
            .get::<FunctionRef<MessageExt, StateReturn>>("check")
            .map_err(|e| crate::error::invalid_from(env, "check", &e))?
        else {
            return Err(invalid(env, "transaction producer options need `check`"));
        };
        let builder = producer_builder(env, &options, &["check"])?;
        let check = Arc::new(CheckSlot {
            function,
            tsfn: Mutex::new(None),
        });
        let listener = Arc::new(JsTransactionListener {
            check: check.clone(),
        });
        let inner =
            ferrocket::TransactionProducer::new(builder, listener).map_err(|e| to_js(env, &e))?;
        Ok(TransactionProducer {
            inner: Arc::new(inner),
            check,
        })
    }

    /// Starts the producer and the answering of check-backs.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn start<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let made = self.check.tsfn().is_none();
        if made {
            let tsfn = self
                .check
                .function
                .borrow_back(env)?
                .build_threadsafe_function::<CoreMessageExt>()
                .callee_handled::<false>()
                .build_callback(|ctx| Ok(to_js_message(ctx.value)))?;
            *self.check.tsfn() = Some(Arc::new(tsfn));
        }
        let (inner, check) = (self.inner.clone(), self.check.clone());
        promise(env, async move {
            let started = inner.start().await;
            if started.is_err() && made {
                check.tsfn().take();
            }
            started
        })
    }

    /// Stops answering check-backs and shuts the producer down.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let (inner, check) = (self.inner.clone(), self.check.clone());
        promise(env, async move {
            inner.shutdown().await;
            check.tsfn().take();
            Ok(())
        })
    }

    /// Stores `message` as a half message, runs `execute(message)` and tells the broker its
    /// answer: `COMMIT` delivers the message, `ROLLBACK` discards it, `UNKNOWN` leaves it to
    /// `check`.
    #[napi(
        ts_args_type = "message: Message, execute: (message: SentMessage) => TransactionState | `${TransactionState}` | Promise<TransactionState | `${TransactionState}`>",
        ts_return_type = "Promise<TransactionSendResult>"
    )]
    pub fn send_in_transaction<'env>(
        &self,
        env: &'env Env,
        message: Object,
        execute: Function<SentMessage, StateReturn>,
    ) -> napi::Result<PromiseRaw<'env, TransactionSendResult>> {
        let msg = from_js(env, &message)?;
        let tsfn = execute
            .build_threadsafe_function::<CoreMessage>()
            .callee_handled::<false>()
            .build_callback(|ctx| Ok(sent_to_js(ctx.value)))?;
        let arg = ExecuteArg(tsfn);
        let inner = self.inner.clone();
        promise(env, async move {
            let sent = inner.send_message_in_transaction(msg, &arg).await?;
            drop(arg);
            Ok(TransactionSendResult::from(sent))
        })
    }
}

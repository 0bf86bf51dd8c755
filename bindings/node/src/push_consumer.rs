//! `PushConsumer`: the client's push consumer with a JavaScript listener (see `listener` for
//! the threading), and the subscription expression shared with `PullConsumer`.

use std::sync::Arc;

use ferrocket::Selector;
use ferrocket::client::push_consumer::MessageListener;
use napi::Env;
use napi::bindgen_prelude::{Either, Function, Object, PromiseRaw};
use napi_derive::napi;

use crate::error::{invalid, promise, to_js};
use crate::listener::{Concurrently, ListenerReturn, ListenerSlot, Orderly};
use crate::message::MessageExt;
use crate::options::push_builder;

/// A SQL92 subscription: a condition over the message's properties and `TAGS`.
#[napi(object, object_to_js = false)]
#[derive(Debug)]
pub struct SqlExpression {
    /// The condition, e.g. `a > 5 AND region IN ('eu', 'us')`.
    pub sql: String,
}

/// The selector of a subscription: a tag expression (`*` when omitted) or `{ sql }`.
pub(crate) fn selector(expression: Option<Either<String, SqlExpression>>) -> Selector {
    match expression {
        None => Selector::all(),
        Some(Either::A(tags)) => Selector::Tag(tags),
        Some(Either::B(sql)) => Selector::Sql(sql.sql),
    }
}

/// What a push consumer holds pulled and not yet consumed, over every queue it owns (what
/// the flow-control limits bound).
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct Buffered {
    /// Messages.
    pub messages: u32,
    /// Bytes of their stored records.
    pub bytes: f64,
}

/// A push consumer (RocketMQ's `DefaultMQPushConsumer`): the client pulls, and calls the
/// listener on the JavaScript thread.
#[napi]
#[derive(Debug)]
pub struct PushConsumer {
    inner: Arc<ferrocket::PushConsumer>,
    slot: Arc<ListenerSlot>,
}

#[napi]
impl PushConsumer {
    /// A push consumer with `options` (`group` is required); subscribe, set the listener,
    /// then `start()`.
    #[napi(constructor, ts_args_type = "options: PushConsumerOptions")]
    pub fn new(env: &Env, options: Object) -> napi::Result<PushConsumer> {
        let (builder, orderly) = push_builder(env, &options)?;
        let slot = Arc::new(ListenerSlot::default());
        let listener = if orderly {
            MessageListener::async_orderly(Orderly(slot.clone()))
        } else {
            MessageListener::async_concurrently(Concurrently(slot.clone()))
        };
        let consumer = builder
            .listener(listener)
            .build()
            .map_err(|e| to_js(env, &e))?;
        Ok(PushConsumer {
            inner: Arc::new(consumer),
            slot,
        })
    }

    /// The consumer group.
    #[napi(getter)]
    pub fn group(&self) -> String {
        self.inner.group().to_owned()
    }

    /// This member's client id, as the group's member list shows it.
    #[napi(getter)]
    pub fn client_id(&self) -> String {
        self.inner.client_id()
    }

    /// Messages pulled and not yet consumed (at most `pullThresholdForQueue` per queue plus
    /// one pull, and about `pullThresholdSizeForQueue` bytes per queue).
    #[napi]
    pub fn buffered(&self) -> Buffered {
        let (messages, bytes) = self.inner.buffered();
        // Bytes of buffered records stay far below 2^53, exact in a JavaScript number.
        #[allow(clippy::cast_precision_loss)]
        let bytes = bytes as f64;
        Buffered {
            messages: u32::try_from(messages).unwrap_or(u32::MAX),
            bytes,
        }
    }

    /// Subscribes to `topic` with a tag expression (`*`, `TagA || TagB`) or `{ sql }`; when
    /// running, the consumer rebalances at once.
    #[napi(ts_args_type = "topic: string, expression?: string | SqlExpression")]
    pub fn subscribe(
        &self,
        env: &Env,
        topic: String,
        expression: Option<Either<String, SqlExpression>>,
    ) -> napi::Result<()> {
        self.inner
            .subscribe(&topic, selector(expression))
            .map_err(|e| to_js(env, &e))
    }

    /// Sets the listener: called with a batch of messages (one by default), it returns or
    /// resolves to `ConsumeResult.Success`; anything else, a throw or a rejection means
    /// reconsume-later (orderly: suspend the queue and retry).
    #[napi(
        ts_args_type = "listener: (messages: MessageExt[]) => ConsumeResult | `${ConsumeResult}` | Promise<ConsumeResult | `${ConsumeResult}`>"
    )]
    pub fn set_listener(
        &self,
        env: &Env,
        listener: Function<Vec<MessageExt>, ListenerReturn>,
    ) -> napi::Result<()> {
        let function = listener.create_ref()?;
        self.slot.set(env, function)
    }

    /// Joins the group and starts consuming.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn start<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        if !self.slot.has_function() {
            return Err(invalid(
                env,
                "no listener: call setListener(async (messages) => ...) before start()",
            ));
        }
        let made = self.slot.activate(env)?;
        let (inner, slot) = (self.inner.clone(), self.slot.clone());
        promise(env, async move {
            let started = inner.start().await;
            if started.is_err() && made {
                slot.release();
            }
            started
        })
    }

    /// Stops pulling, waits for listener calls in flight, commits offsets and leaves the
    /// group; afterwards nothing of this consumer keeps the process alive.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let (inner, slot) = (self.inner.clone(), self.slot.clone());
        promise(env, async move {
            inner.shutdown().await;
            slot.release();
            Ok(())
        })
    }
}

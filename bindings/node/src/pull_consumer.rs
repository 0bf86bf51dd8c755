//! `PullConsumer`: the client's pull consumer (RocketMQ's lite pull consumer) with `poll`,
//! `commit`, `seek`, and `for await (const msg of consumer)`.
//!
//! The async iterator hands out one message per `next()` (it polls with a maximum of one), so
//! `commit()` covers exactly the messages the loop has seen; it ends when the consumer is shut
//! down.

use std::sync::Arc;
use std::time::Duration;

use ferrocket::ClientError;
use ferrocket::client::MessageQueue as CoreQueue;
use ferrocket::limits::POLL_BATCH_COUNT_MAX;
use napi::Env;
use napi::bindgen_prelude::{BigInt, Either, Object, PromiseRaw};
use napi_derive::napi;

use crate::error::{promise, to_js};
use crate::message::{MessageExt, MessageQueue, to_js_message, to_js_messages, u64_of};
use crate::options::pull_consumer;
use crate::push_consumer::{SqlExpression, selector};

/// How long one iterator step waits before it polls again (it never resolves empty).
const ITERATOR_POLL_MS: u64 = 60_000;

/// A pull consumer: the application polls messages and commits offsets.
#[napi]
#[derive(Debug)]
pub struct PullConsumer {
    inner: Arc<ferrocket::PullConsumer>,
}

fn queues(list: Vec<MessageQueue>) -> Vec<CoreQueue> {
    list.into_iter().map(CoreQueue::from).collect()
}

#[napi]
impl PullConsumer {
    /// A pull consumer with `options` (`group` is required); `subscribe` or `assign`, then
    /// `start()`.
    #[napi(constructor, ts_args_type = "options: PullConsumerOptions")]
    pub fn new(env: &Env, options: Object) -> napi::Result<PullConsumer> {
        Ok(PullConsumer {
            inner: Arc::new(pull_consumer(env, &options)?),
        })
    }

    /// The consumer group.
    #[napi(getter)]
    pub fn group(&self) -> String {
        self.inner.group().to_owned()
    }

    /// Subscribes to `topic` (tag expression, `*` when omitted, or `{ sql }`) and joins the
    /// group: this member reads its share of the topic's queues. A SQL92 condition the broker
    /// cannot parse is refused here.
    #[napi(
        ts_args_type = "topic: string, expression?: string | SqlExpression",
        ts_return_type = "Promise<void>"
    )]
    pub fn subscribe<'env>(
        &self,
        env: &'env Env,
        topic: String,
        expression: Option<Either<String, SqlExpression>>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        let selector = selector(expression);
        promise(env, async move { inner.subscribe(&topic, selector).await })
    }

    /// Reads exactly `queues` (no group membership); replaces an earlier assignment.
    #[napi]
    pub fn assign(&self, env: &Env, queues_to_read: Vec<MessageQueue>) -> napi::Result<()> {
        self.inner
            .assign(queues(queues_to_read))
            .map_err(|e| to_js(env, &e))
    }

    /// The queues read now.
    #[napi]
    pub fn assignment(&self) -> Vec<MessageQueue> {
        self.inner
            .assignment()
            .into_iter()
            .map(MessageQueue::from)
            .collect()
    }

    /// Starts fetching.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn start<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.start().await })
    }

    /// Stops fetching, commits (with `autoCommit`) and closes connections; a pending `poll`
    /// rejects with `SHUT_DOWN` and a `for await` loop ends.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move {
            inner.shutdown().await;
            Ok(())
        })
    }

    /// Up to `maxMessages` (default and maximum 1024) fetched messages, waiting up to
    /// `timeoutMs` (default `pollTimeoutMs`) for some; an empty array when none came.
    #[napi(ts_return_type = "Promise<MessageExt[]>")]
    pub fn poll<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        max_messages: Option<u32>,
    ) -> napi::Result<PromiseRaw<'env, Vec<MessageExt>>> {
        let inner = self.inner.clone();
        let max = max_messages.map_or(POLL_BATCH_COUNT_MAX, |m| m as usize);
        promise(env, async move {
            let msgs = match timeout_ms {
                Some(ms) => {
                    let timeout = Duration::from_millis(u64::from(ms));
                    inner.poll_up_to(timeout, max).await?
                }
                None if max >= POLL_BATCH_COUNT_MAX => inner.poll().await?,
                None => inner.poll_up_to(Duration::from_secs(5), max).await?,
            };
            Ok(to_js_messages(msgs))
        })
    }

    /// Commits, per queue, the offset after the last message `poll` returned.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn commit<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move { inner.commit().await })
    }

    /// The group's committed offset of `queue` on the broker, `null` when it has none.
    #[napi(ts_return_type = "Promise<bigint | null>")]
    pub fn committed<'env>(
        &self,
        env: &'env Env,
        queue: MessageQueue,
    ) -> napi::Result<PromiseRaw<'env, Option<BigInt>>> {
        let inner = self.inner.clone();
        promise(env, async move {
            let offset = inner.committed(&CoreQueue::from(queue)).await?;
            Ok(offset.map(BigInt::from))
        })
    }

    /// Continues `queue` at `offset`, dropping what was fetched beyond it; the next commit
    /// sends `offset`.
    #[napi(ts_args_type = "queue: MessageQueue, offset: bigint | number")]
    pub fn seek(
        &self,
        env: &Env,
        queue: MessageQueue,
        offset: Either<f64, BigInt>,
    ) -> napi::Result<()> {
        let offset = u64_of(env, offset, "offset")?;
        self.inner
            .seek(&CoreQueue::from(queue), offset)
            .map_err(|e| to_js(env, &e))
    }

    /// Continues `queue` at its oldest stored message.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn seek_to_beginning<'env>(
        &self,
        env: &'env Env,
        queue: MessageQueue,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move {
            inner.seek_to_beginning(&CoreQueue::from(queue)).await
        })
    }

    /// Continues `queue` at its end (only messages stored from now on).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn seek_to_end<'env>(
        &self,
        env: &'env Env,
        queue: MessageQueue,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let inner = self.inner.clone();
        promise(env, async move {
            inner.seek_to_end(&CoreQueue::from(queue)).await
        })
    }

    /// Stops fetching and returning `queues` until `resume`.
    #[napi]
    pub fn pause(&self, env: &Env, paused: Vec<MessageQueue>) -> napi::Result<()> {
        self.inner
            .pause(&queues(paused))
            .map_err(|e| to_js(env, &e))
    }

    /// Resumes `queues` paused by `pause`.
    #[napi]
    pub fn resume(&self, env: &Env, resumed: Vec<MessageQueue>) -> napi::Result<()> {
        self.inner
            .resume(&queues(resumed))
            .map_err(|e| to_js(env, &e))
    }

    /// `for await (const msg of consumer)`: one message per step, until `shutdown()`.
    #[napi(well_known_symbol = "asyncIterator")]
    pub fn messages(&self) -> MessageIterator {
        MessageIterator {
            inner: self.inner.clone(),
        }
    }
}

/// One step of a `for await` loop over a `PullConsumer`.
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct IteratorStep {
    /// True once the consumer is shut down.
    pub done: bool,
    /// The next message.
    pub value: Option<MessageExt>,
}

/// The async iterator of a `PullConsumer`.
#[napi]
#[derive(Debug)]
pub struct MessageIterator {
    inner: Arc<ferrocket::PullConsumer>,
}

#[napi]
impl MessageIterator {
    /// The next message; done once the consumer is shut down.
    #[napi(ts_return_type = "Promise<IteratorResult<MessageExt, undefined>>")]
    pub fn next<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, IteratorStep>> {
        let inner = self.inner.clone();
        promise(env, async move {
            let timeout = Duration::from_millis(ITERATOR_POLL_MS);
            loop {
                match inner.poll_up_to(timeout, 1).await {
                    Ok(mut msgs) => {
                        if let Some(msg) = msgs.pop() {
                            let value = Some(to_js_message(msg));
                            return Ok(IteratorStep { done: false, value });
                        }
                    }
                    Err(ClientError::ShutDown) => {
                        return Ok(IteratorStep {
                            done: true,
                            value: None,
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
        })
    }

    /// Ends the loop (`break`); the consumer keeps running.
    #[napi(
        js_name = "return",
        ts_return_type = "Promise<IteratorResult<MessageExt, undefined>>"
    )]
    pub fn finish<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, IteratorStep>> {
        promise(env, async move {
            Ok(IteratorStep {
                done: true,
                value: None,
            })
        })
    }
}

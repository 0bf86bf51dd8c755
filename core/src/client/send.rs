//! The send kernel shared by every producer send mode: route lookup, queue choice, the
//! connection, encoding the record once, the call, retries within the time budget, and the
//! latency fault table.
//!
//! Retry rules (RocketMQ's `sendDefaultImpl`): a retriable failure (connection error, timeout,
//! retriable broker status) is retried on another broker when one exists, up to `retries`
//! times; `SYSTEM_BUSY` is retried after a short doubling backoff without using up a retry; a
//! routing error (`TOPIC_NOT_EXIST`, `NO_PERMISSION`, `SERVICE_NOT_AVAILABLE`) or a broker that
//! cannot be reached refreshes the route at once. Every attempt, backoff and route lookup fits in the send timeout; when the
//! budget runs out the last failure is returned (or `Timeout` if there was none).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::client::config::{SYSTEM_BUSY_BACKOFF_MS_MAX, SYSTEM_BUSY_BACKOFF_MS_MIN};
use crate::client::connection::{Connection, Reply};
use crate::client::error::ClientError;
use crate::client::fault::LatencyFaultTolerance;
use crate::client::instance::ClientInstance;
use crate::client::msg_id::MessageIdGenerator;
use crate::client::route::{MessageQueue, TopicRouteInfo};
use crate::client::selector::select_queue;
use crate::protocol::{DecodeError, SendBatchRequest, SendMessageRequest, SendResponse, Status};

/// Encoded records ready to send: one record, or a batch of records back to back.
#[derive(Debug, Clone)]
pub(crate) enum Payload {
    One(Bytes),
    Batch { records: Bytes, count: u32 },
}

/// Encodes the payload once the local address (the born host) is known.
pub(crate) type Encoder<'a> = dyn Fn(SocketAddr) -> Result<Payload, ClientError> + Send + Sync + 'a;

/// What a successful (or stored-but-less-durable) send reports.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) status: Status,
    pub(crate) response: SendResponse,
    pub(crate) queue: MessageQueue,
}

/// Producer state shared by the handle and its async-send tasks.
#[derive(Debug)]
pub(crate) struct ProducerCore {
    pub(crate) group: String,
    pub(crate) instance: Arc<ClientInstance>,
    pub(crate) send_timeout: Duration,
    pub(crate) retries: u32,
    pub(crate) faults: LatencyFaultTolerance,
    pub(crate) round_robin: AtomicUsize,
    pub(crate) auto_create_queue_count: u16,
    pub(crate) ids: OnceLock<MessageIdGenerator>,
    /// Single-send bodies of at least this many bytes are compressed.
    pub(crate) compress_over: usize,
    /// Longest delay a message's delivery time may ask for, in milliseconds.
    pub(crate) timer_max_delay_ms: u64,
}

impl ProducerCore {
    /// The id generator, created at first use from the local address.
    pub(crate) fn ids(&self) -> &MessageIdGenerator {
        self.ids
            .get_or_init(|| MessageIdGenerator::new(self.instance.local_ip()))
    }

    /// The topic's route with at least one write queue, within `deadline`.
    pub(crate) async fn route(
        &self,
        topic: &str,
        refresh: bool,
        deadline: Instant,
    ) -> Result<Arc<TopicRouteInfo>, ClientError> {
        let start = Instant::now();
        let routes = &self.instance.routes;
        let lookup = async {
            let info = if refresh {
                routes
                    .refresh(topic, Some(self.auto_create_queue_count))
                    .await?
            } else {
                routes
                    .get(topic, Some(self.auto_create_queue_count))
                    .await?
            };
            // A cached route with no master (taken while one restarted): ask again first.
            if info.write_queues.is_empty() && !refresh {
                return routes
                    .refetch(topic, Some(self.auto_create_queue_count))
                    .await;
            }
            Ok(info)
        };
        let left = deadline.saturating_duration_since(start);
        let info = match tokio::time::timeout(left, lookup).await {
            Ok(info) => info?,
            Err(_) => return Err(timeout("send", start)),
        };
        if info.write_queues.is_empty() {
            return Err(self.no_route(topic));
        }
        Ok(info)
    }

    /// Checks a message's delivery time against `timer_max_delay_ms`.
    pub(crate) fn check_deliver_time(
        &self,
        msg: &crate::message::Message,
    ) -> Result<(), ClientError> {
        let now = crate::client::msg_id::now_ms();
        crate::client::validate::validate_deliver_time(msg, self.timer_max_delay_ms, now)
    }

    pub(crate) fn no_route(&self, topic: &str) -> ClientError {
        ClientError::NoRoute {
            topic: topic.to_owned(),
            name_servers: self.instance.routes.name_servers().addrs().to_vec(),
        }
    }

    /// Sends with queue selection and retries (sync, async and batch sends).
    pub(crate) async fn send_with_retries(
        &self,
        topic: &str,
        wait: bool,
        encode: &Encoder<'_>,
    ) -> Result<Outcome, ClientError> {
        let start = Instant::now();
        let deadline = start + self.send_timeout;
        let mut route = self.route(topic, false, deadline).await?;
        let mut payload = None;
        let mut avoid: Option<String> = None;
        let (mut retries_used, mut busy) = (0u32, 0u32);
        loop {
            let now = Instant::now();
            let rr = self.round_robin.fetch_add(1, Ordering::Relaxed);
            let queues = &route.write_queues;
            let Some(mq) = select_queue(queues, rr, avoid.as_deref(), &self.faults, now) else {
                return Err(self.no_route(topic));
            };
            let mq = mq.clone();
            let left = deadline.saturating_duration_since(now);
            let err = match self
                .attempt(&route, &mq, wait, &mut payload, encode, left)
                .await
            {
                Ok(outcome) => return Ok(outcome),
                Err(e) => e,
            };
            if !err.is_retriable() {
                return Err(err);
            }
            tracing::debug!(queue = %mq, error = %err, "send attempt failed");
            if err.status() == Some(Status::SystemBusy) {
                busy += 1;
                backoff(busy, deadline).await;
            } else {
                retries_used += 1;
                if retries_used > self.retries {
                    return Err(err);
                }
            }
            avoid = Some(mq.broker_name);
            if Instant::now() >= deadline {
                return Err(err);
            }
            // A broker that cannot be reached may be gone from the name servers already (they
            // drop a broker whose connection closed): refresh, as after a routing error.
            let unreachable = matches!(err, ClientError::Connection { .. });
            if (err.is_routing_error() || unreachable)
                && let Ok(fresh) = self.route(topic, true, deadline).await
            {
                route = fresh;
            }
        }
    }

    /// Sends to one queue, never moving to another (orderly and explicit-queue sends);
    /// `SYSTEM_BUSY` is retried on the same queue within the time budget.
    pub(crate) async fn send_to_queue(
        &self,
        mq: &MessageQueue,
        wait: bool,
        encode: &Encoder<'_>,
        deadline: Instant,
    ) -> Result<Outcome, ClientError> {
        let route = self.route(&mq.topic, false, deadline).await?;
        let mut payload = None;
        let mut busy = 0u32;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let err = match self
                .attempt(&route, mq, wait, &mut payload, encode, left)
                .await
            {
                Ok(outcome) => return Ok(outcome),
                Err(e) => e,
            };
            if err.is_routing_error() {
                let _ = self.route(&mq.topic, true, deadline).await;
            }
            if err.status() != Some(Status::SystemBusy) {
                return Err(err);
            }
            busy += 1;
            backoff(busy, deadline).await;
            if Instant::now() >= deadline {
                return Err(err);
            }
        }
    }

    /// One attempt: connection, encoding (first time only), call, fault-table update.
    async fn attempt(
        &self,
        route: &TopicRouteInfo,
        mq: &MessageQueue,
        wait: bool,
        payload: &mut Option<Payload>,
        encode: &Encoder<'_>,
        left: Duration,
    ) -> Result<Outcome, ClientError> {
        let start = Instant::now();
        let Some(addr) = route.master_addr(&mq.broker_name) else {
            return Err(self.no_route(&mq.topic));
        };
        let conn = match tokio::time::timeout(left, self.instance.pool.get(addr)).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(self.charge(mq, start, e)),
            Err(_) => return Err(self.charge(mq, start, timeout("send", start))),
        };
        if payload.is_none() {
            *payload = Some(encode(conn.local_addr())?);
        }
        let Some(payload) = payload.as_ref() else {
            return Err(ClientError::InvalidArgument("nothing to send".into()));
        };
        let left = left.saturating_sub(start.elapsed());
        let reply = self.call(&conn, mq, wait, payload, left).await;
        let reply = match reply {
            Ok(reply) => reply,
            Err(e) => return Err(self.charge(mq, start, e)),
        };
        let outcome = outcome(reply, mq, conn.addr());
        // A broker that refused this message (MESSAGE_ILLEGAL…) is not unhealthy.
        let failed = outcome.as_ref().is_err_and(ClientError::is_retriable);
        self.faults
            .update(&mq.broker_name, start.elapsed(), failed, Instant::now());
        outcome
    }

    fn charge(&self, mq: &MessageQueue, start: Instant, e: ClientError) -> ClientError {
        self.faults
            .update(&mq.broker_name, start.elapsed(), true, Instant::now());
        e
    }

    async fn call(
        &self,
        conn: &Connection,
        mq: &MessageQueue,
        wait: bool,
        payload: &Payload,
        left: Duration,
    ) -> Result<Reply<SendResponse>, ClientError> {
        match payload {
            Payload::One(record) => {
                let request = self.one_request(mq, wait, record.clone());
                conn.call_with_status(&request, left).await
            }
            Payload::Batch { records, count } => {
                let request = SendBatchRequest {
                    producer_group: self.group.clone(),
                    topic: mq.topic.clone(),
                    queue_id: mq.queue_id,
                    wait_store_msg_ok: wait,
                    auto_create_queue_count: self.auto_create_queue_count,
                    record_count: *count,
                    records: records.clone(),
                };
                conn.call_with_status(&request, left).await
            }
        }
    }

    pub(crate) fn one_request(
        &self,
        mq: &MessageQueue,
        wait: bool,
        record: Bytes,
    ) -> SendMessageRequest {
        SendMessageRequest {
            producer_group: self.group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            wait_store_msg_ok: wait,
            auto_create_queue_count: self.auto_create_queue_count,
            record,
        }
    }
}

/// Maps a send response: `OK` and the three stored-less-durably statuses are results, every
/// other status is a `Broker` error.
fn outcome(
    reply: Reply<SendResponse>,
    mq: &MessageQueue,
    addr: &str,
) -> Result<Outcome, ClientError> {
    let stored = matches!(
        reply.status,
        Status::Ok
            | Status::FlushDiskTimeout
            | Status::FlushSlaveTimeout
            | Status::SlaveNotAvailable
    );
    match (stored, reply.body) {
        (true, Some(response)) => Ok(Outcome {
            status: reply.status,
            queue: MessageQueue::new(&mq.topic, &mq.broker_name, response.queue_id),
            response,
        }),
        (true, None) => Err(ClientError::Decode(DecodeError::Truncated {
            field: "send response",
        })),
        (false, _) => Err(ClientError::Broker {
            status: reply.status,
            message: reply.message,
            addr: addr.to_owned(),
        }),
    }
}

/// Sleeps before retrying a `SYSTEM_BUSY` send: 10, 20, 40… up to 200 ms, never past
/// `deadline`.
async fn backoff(busy_count: u32, deadline: Instant) {
    let exp = busy_count.saturating_sub(1).min(16);
    let ms = SYSTEM_BUSY_BACKOFF_MS_MIN
        .saturating_mul(1 << exp)
        .min(SYSTEM_BUSY_BACKOFF_MS_MAX);
    let left = deadline.saturating_duration_since(Instant::now());
    tokio::time::sleep(Duration::from_millis(ms).min(left)).await;
}

fn timeout(op: &'static str, start: Instant) -> ClientError {
    ClientError::Timeout {
        op,
        elapsed: start.elapsed(),
    }
}

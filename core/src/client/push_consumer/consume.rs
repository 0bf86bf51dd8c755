//! The consume service: a bounded job queue (`CONSUME_JOB_QUEUE_LEN`) served by
//! `consume_threads` plain threads (sync listeners) or as many runtime tasks (async listeners).
//!
//! Concurrent jobs are batches of up to `consume_batch_max` messages of one queue; a batch that
//! succeeds leaves its process queue (moving the commit offset), one that fails is sent back
//! to the broker for retry (clustering; a failed send-back is consumed again locally after
//! `send_back_retry_delay`) or logged and counted (broadcasting). Orderly jobs are turns of one
//! queue: a worker claims the queue, consumes its messages batch by batch in offset order, and
//! on `SuspendCurrentQueueAMoment` puts the batch back and pauses the queue; at max reconsume
//! times the batch goes to the dead-letter queue.

mod orderly;

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::PushCore;
use super::listener::{ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, MessageListener};
use super::process_queue::ProcessQueue;
use crate::client::error::ClientError;
use crate::client::route::MessageQueue;
use crate::client::shutdown::lock;
use crate::limits::CONSUME_JOB_QUEUE_LEN;
use crate::message::MessageExt;
use crate::protocol::ConsumerSendBackRequest;

/// Work for a consume worker.
#[derive(Debug)]
pub(crate) enum Job {
    /// A batch of one queue for a concurrent listener.
    Concurrent {
        pq: Arc<ProcessQueue>,
        msgs: Vec<MessageExt>,
    },
    /// A turn of one queue for an orderly listener.
    Orderly { pq: Arc<ProcessQueue> },
}

type SharedReceiver = Arc<tokio::sync::Mutex<mpsc::Receiver<Job>>>;

/// The job queue and its workers; see the module doc.
#[derive(Debug)]
pub(crate) struct ConsumeService {
    threads: usize,
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    threads_running: Mutex<Vec<std::thread::JoinHandle<()>>>,
    tasks_running: Mutex<Option<JoinSet<()>>>,
}

impl ConsumeService {
    pub(crate) fn new(threads: usize) -> ConsumeService {
        ConsumeService {
            threads,
            tx: Mutex::new(None),
            threads_running: Mutex::new(Vec::new()),
            tasks_running: Mutex::new(None),
        }
    }

    /// Starts the workers (threads for sync listeners, tasks for async ones).
    pub(crate) fn start(&self, core: &Arc<PushCore>) -> Result<(), ClientError> {
        let (tx, rx) = mpsc::channel(CONSUME_JOB_QUEUE_LEN);
        let rx: SharedReceiver = Arc::new(tokio::sync::Mutex::new(rx));
        *lock(&self.tx) = Some(tx);
        if core.listener.is_sync() {
            let handle = tokio::runtime::Handle::current();
            let mut threads = lock(&self.threads_running);
            for i in 0..self.threads {
                let (core, rx, handle) = (core.clone(), rx.clone(), handle.clone());
                let thread = std::thread::Builder::new()
                    .name(format!("ferrocket-consume-{i}"))
                    .spawn(move || {
                        let _runtime = handle.enter();
                        loop {
                            // A statement of its own: the receiver's lock is released before
                            // the job runs (in a `while let` it would be held through the
                            // body, and the threads would consume one at a time).
                            let job = rx.blocking_lock().blocking_recv();
                            let Some(job) = job else { break };
                            core.run_sync(job);
                        }
                    })
                    .map_err(|e| {
                        ClientError::InvalidArgument(format!("cannot start a consume thread: {e}"))
                    })?;
                threads.push(thread);
            }
        } else {
            let mut set = JoinSet::new();
            for _ in 0..self.threads {
                let (core, rx) = (core.clone(), rx.clone());
                set.spawn(async move {
                    loop {
                        let job = rx.lock().await.recv().await;
                        let Some(job) = job else { return };
                        core.run_async(job).await;
                    }
                });
            }
            *lock(&self.tasks_running) = Some(set);
        }
        Ok(())
    }

    /// Queues a job, waiting for room; false once the service stopped.
    pub(crate) async fn submit(&self, job: Job) -> bool {
        let tx = lock(&self.tx).clone();
        match tx {
            Some(tx) => tx.send(job).await.is_ok(),
            None => false,
        }
    }

    /// The jobs for messages just added to `pq`.
    pub(crate) fn jobs_for(
        &self,
        core: &PushCore,
        pq: &Arc<ProcessQueue>,
        msgs: Vec<MessageExt>,
    ) -> Vec<Job> {
        if msgs.is_empty() {
            return Vec::new();
        }
        if core.listener.is_orderly() {
            return vec![Job::Orderly { pq: pq.clone() }];
        }
        let mut jobs = Vec::new();
        let mut msgs = msgs.into_iter().peekable();
        while msgs.peek().is_some() {
            let batch: Vec<MessageExt> =
                msgs.by_ref().take(core.options.consume_batch_max).collect();
            jobs.push(Job::Concurrent {
                pq: pq.clone(),
                msgs: batch,
            });
        }
        jobs
    }

    /// Closes the job queue so the workers exit once it is empty.
    pub(crate) fn signal_stop(&self) {
        lock(&self.tx).take();
    }

    /// Closes the job queue and waits up to `timeout` for the workers to finish what it held.
    pub(crate) async fn drain(&self, timeout: Duration) {
        self.signal_stop();
        let threads: Vec<std::thread::JoinHandle<()>> =
            std::mem::take(&mut *lock(&self.threads_running));
        let tasks = lock(&self.tasks_running).take();
        let wait = async {
            for thread in threads {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            if let Some(mut set) = tasks {
                while set.join_next().await.is_some() {}
            }
        };
        if tokio::time::timeout(timeout, wait).await.is_err() {
            tracing::warn!(
                ?timeout,
                "consume workers still busy at shutdown; their messages will be redelivered"
            );
        }
    }
}

impl PushCore {
    fn context(&self, mq: &MessageQueue) -> ConsumeConcurrentlyContext {
        ConsumeConcurrentlyContext {
            queue: mq.clone(),
            delay_level_when_next_consume: 0,
        }
    }

    /// Runs a job on a consume thread.
    fn run_sync(self: &Arc<Self>, job: Job) {
        match (job, &self.listener) {
            (Job::Concurrent { pq, msgs }, MessageListener::Concurrently(l)) => {
                if pq.is_dropped() {
                    return;
                }
                let mut ctx = self.context(&pq.mq);
                let started = Instant::now();
                let status = std::panic::catch_unwind(AssertUnwindSafe(|| l.consume_message(&msgs, &mut ctx)))
                    .unwrap_or_else(|_| {
                        tracing::error!(queue = %pq.mq, "listener panicked; the batch will be redelivered");
                        ConsumeConcurrentlyStatus::ReconsumeLater
                    });
                self.check_duration(&pq, started);
                self.after_concurrent(&pq, msgs, status, ctx.delay_level_when_next_consume);
            }
            (Job::Orderly { pq }, MessageListener::Orderly(l)) => self.run_orderly_sync(&pq, l),
            (job, listener) => tracing::error!(?job, ?listener, "job does not fit the listener"),
        }
    }

    /// Runs a job on an async worker.
    async fn run_async(self: &Arc<Self>, job: Job) {
        match (job, self.listener.clone()) {
            (Job::Concurrent { pq, msgs }, MessageListener::AsyncConcurrently(l)) => {
                if pq.is_dropped() {
                    return;
                }
                let ctx = self.context(&pq.mq);
                let level = ctx.delay_level_when_next_consume;
                let started = Instant::now();
                let call = l.consume_message(msgs.clone(), ctx);
                let status = tokio::spawn(call).await.unwrap_or_else(|_| {
                    tracing::error!(queue = %pq.mq, "listener failed; the batch will be redelivered");
                    ConsumeConcurrentlyStatus::ReconsumeLater
                });
                self.check_duration(&pq, started);
                self.after_concurrent(&pq, msgs, status, level);
            }
            (Job::Orderly { pq }, MessageListener::AsyncOrderly(l)) => {
                self.run_orderly_async(&pq, &l).await
            }
            (job, listener) => tracing::error!(?job, ?listener, "job does not fit the listener"),
        }
    }

    fn check_duration(&self, pq: &ProcessQueue, started: Instant) {
        let took = started.elapsed();
        if took > self.options.consume_timeout {
            tracing::warn!(queue = %pq.mq, ?took, "listener call took longer than consume_timeout");
        }
    }

    /// Settles a concurrent batch; see the module doc.
    fn after_concurrent(
        self: &Arc<Self>,
        pq: &Arc<ProcessQueue>,
        msgs: Vec<MessageExt>,
        status: ConsumeConcurrentlyStatus,
        delay_level: i32,
    ) {
        if pq.is_dropped() {
            return;
        }
        let offsets: Vec<u64> = msgs.iter().map(|m| m.queue_offset).collect();
        if status == ConsumeConcurrentlyStatus::ConsumeSuccess {
            self.record_offset(pq, pq.remove(&offsets));
            return;
        }
        if !self.is_clustering() {
            for m in &msgs {
                tracing::warn!(queue = %pq.mq, msg_id = %m.msg_id, "broadcast message failed; not redelivered");
            }
            self.broadcast_failures
                .fetch_add(msgs.len() as u64, Ordering::Relaxed);
            self.record_offset(pq, pq.remove(&offsets));
            return;
        }
        let core = self.clone();
        let pq = pq.clone();
        let mut signal = self.tasks.signal();
        self.tasks.spawn(async move {
            let failed = core.send_back_all(&pq, msgs, delay_level).await;
            if failed.is_empty() || !signal.sleep(core.options.send_back_retry_delay).await {
                return;
            }
            for mut m in failed {
                m.reconsume_times = m.reconsume_times.saturating_add(1);
                let job = Job::Concurrent {
                    pq: pq.clone(),
                    msgs: vec![m],
                };
                if !core.consume.submit(job).await {
                    return;
                }
            }
        });
    }

    /// Sends `msgs` back; the ones that made it leave the queue. Returns the others.
    pub(crate) async fn send_back_all(
        &self,
        pq: &ProcessQueue,
        msgs: Vec<MessageExt>,
        delay_level: i32,
    ) -> Vec<MessageExt> {
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for m in msgs {
            match self.send_back(&pq.mq, &m, delay_level).await {
                Ok(()) => done.push(m.queue_offset),
                Err(e) => {
                    tracing::warn!(queue = %pq.mq, msg_id = %m.msg_id, error = %e, "send-back failed; consuming again locally later");
                    failed.push(m);
                }
            }
        }
        if !done.is_empty() {
            self.record_offset(pq, pq.remove(&done));
        }
        failed
    }

    /// `ConsumerSendBack` of one message to the broker that stored it.
    pub(crate) async fn send_back(
        &self,
        mq: &MessageQueue,
        msg: &MessageExt,
        delay_level: i32,
    ) -> Result<(), ClientError> {
        let conn = self.instance.master_conn(mq).await?;
        let request = ConsumerSendBackRequest {
            consumer_group: self.group.clone(),
            commit_log_offset: msg.commit_log_offset,
            msg_id: msg.msg_id,
            delay_level,
            // Not set by the application: the broker applies the group's `retry_max_times`.
            max_reconsume_times: self
                .options
                .max_reconsume_times
                .unwrap_or(crate::limits::MAX_RECONSUME_TIMES_UNSET),
        };
        conn.call(&request, self.instance.config.request_timeout)
            .await?;
        Ok(())
    }

    /// Queues another turn of an orderly queue after `delay`.
    pub(crate) fn resubmit_later(self: &Arc<Self>, pq: &Arc<ProcessQueue>, delay: Duration) {
        let core = self.clone();
        let pq = pq.clone();
        let mut signal = self.tasks.signal();
        self.tasks.spawn(async move {
            if signal.sleep(delay).await && !pq.is_dropped() {
                core.consume.submit(Job::Orderly { pq }).await;
            }
        });
    }
}

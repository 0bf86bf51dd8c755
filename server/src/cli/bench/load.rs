//! The send load generator behind `bench produce` and `bench report`: `concurrency` sender
//! tasks share one budget (a message count or a deadline) and send generated messages in one
//! of three modes, recording one latency per request.
//!
//! - sync: each task awaits `send` (or `send_batch` with `batch > 1`) before the next;
//! - async: each task calls `send_async`; the latency runs from the call to the callback, and
//!   the run ends when every callback has fired;
//! - oneway: each task calls `send_oneway` (latency = the time to hand the request to the
//!   connection; nothing is acknowledged, so lost messages are not seen).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::ValueEnum;
use ferrocket::{ClientError, Message, Producer};
use tokio::sync::Notify;

use crate::cli::bench::stats::{Latency, LatencySummary, Progress, mib_per_sec, per_sec};

/// How messages are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SendMode {
    /// Await each send's result.
    Sync,
    /// `send_async` with a callback.
    Async,
    /// Fire and forget.
    Oneway,
}

impl SendMode {
    /// The mode's name.
    pub fn name(self) -> &'static str {
        match self {
            SendMode::Sync => "sync",
            SendMode::Async => "async",
            SendMode::Oneway => "oneway",
        }
    }
}

/// What to send.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// Topic.
    pub topic: String,
    /// Body bytes per message.
    pub size: usize,
    /// Messages in all, unless `duration` is set.
    pub count: u64,
    /// Send for this long instead of a count.
    pub duration: Option<Duration>,
    /// Sender tasks.
    pub concurrency: usize,
    /// Messages per request (sync mode only).
    pub batch: usize,
    /// Send mode.
    pub mode: SendMode,
}

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// Messages acknowledged (sync, async) or handed over (oneway).
    pub sent: u64,
    /// Messages whose send failed.
    pub errors: u64,
    /// The first failure, for the error message.
    pub first_error: Option<String>,
    /// From the first send to the last result.
    pub elapsed: Duration,
    /// Per-request latency.
    pub latency: LatencySummary,
    /// Body bytes per message.
    pub size: usize,
}

impl LoadResult {
    /// Messages per second.
    pub fn msgs_per_sec(&self) -> f64 {
        per_sec(self.sent, self.elapsed)
    }

    /// Body MiB per second.
    pub fn mib_per_sec(&self) -> f64 {
        mib_per_sec(self.sent * self.size as u64, self.elapsed)
    }

    /// Body MB (10^6) per second, comparable with `dd`.
    pub fn mb_per_sec(&self) -> f64 {
        self.mib_per_sec() * 1.048_576
    }
}

/// The shared budget: how many messages may still be sent, or until when.
#[derive(Debug)]
struct Budget {
    left: AtomicU64,
    until: Option<Instant>,
}

impl Budget {
    /// Claims up to `n` messages; 0 means stop.
    fn claim(&self, n: u64) -> u64 {
        if let Some(until) = self.until {
            return if Instant::now() < until { n } else { 0 };
        }
        let mut granted = 0;
        let _ = self
            .left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                granted = left.min(n);
                Some(left - granted)
            });
        granted
    }
}

/// What one sender task saw.
#[derive(Debug, Default)]
struct Tally {
    latency: Latency,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn failed(&mut self, n: u64, e: &ClientError) {
        self.errors += n;
        self.first_error.get_or_insert_with(|| e.to_string());
    }

    fn absorb(&mut self, other: Tally) {
        self.latency.merge(&other.latency);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// Everything the sender tasks share.
#[derive(Debug)]
struct Shared {
    producer: Arc<Producer>,
    spec: LoadSpec,
    body: Bytes,
    budget: Budget,
    /// Messages acknowledged so far (drives the progress line).
    done: Arc<AtomicU64>,
    /// Async sends submitted and finished (ok or not).
    submitted: AtomicU64,
    finished: AtomicU64,
    finished_notify: Notify,
    async_tally: Mutex<Tally>,
}

/// Runs the load and returns its measurements; `label` names the progress line.
pub async fn run_load(producer: Arc<Producer>, spec: &LoadSpec, label: &str) -> LoadResult {
    let shared = Arc::new(Shared {
        producer,
        body: crate::cli::client::generated_body(spec.size),
        budget: Budget {
            left: AtomicU64::new(spec.count),
            until: spec.duration.map(|d| Instant::now() + d),
        },
        spec: spec.clone(),
        done: Arc::new(AtomicU64::new(0)),
        submitted: AtomicU64::new(0),
        finished: AtomicU64::new(0),
        finished_notify: Notify::new(),
        async_tally: Mutex::new(Tally::default()),
    });
    let progress = Progress::start(label, shared.done.clone());
    let started = Instant::now();
    let workers: Vec<_> = (0..spec.concurrency.max(1))
        .map(|_| tokio::spawn(sender(shared.clone())))
        .collect();
    let mut tally = Tally::default();
    for worker in workers {
        match worker.await {
            Ok(t) => tally.absorb(t),
            Err(e) => tally.first_error = Some(format!("a sender task failed: {e}")),
        }
    }
    if spec.mode == SendMode::Async {
        wait_for_callbacks(&shared).await;
        let callbacks = std::mem::take(&mut *lock(&shared.async_tally));
        tally.absorb(callbacks);
    }
    let elapsed = started.elapsed();
    progress.finish().await;
    LoadResult {
        sent: shared.done.load(Ordering::Acquire),
        errors: tally.errors,
        first_error: tally.first_error,
        elapsed,
        latency: tally.latency.summary(),
        size: spec.size,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn wait_for_callbacks(shared: &Shared) {
    loop {
        let notified = shared.finished_notify.notified();
        if shared.finished.load(Ordering::Acquire) >= shared.submitted.load(Ordering::Acquire) {
            return;
        }
        notified.await;
    }
}

/// One sender task.
async fn sender(shared: Arc<Shared>) -> Tally {
    let mut tally = Tally::default();
    let spec = &shared.spec;
    let batch = if spec.mode == SendMode::Sync {
        spec.batch.max(1) as u64
    } else {
        1
    };
    loop {
        let n = shared.budget.claim(batch);
        if n == 0 {
            return tally;
        }
        let msgs: Vec<Message> = (0..n)
            .map(|_| Message::new(spec.topic.clone(), shared.body.clone()))
            .collect();
        match spec.mode {
            SendMode::Sync => send_sync(&shared, msgs, &mut tally).await,
            SendMode::Oneway => send_oneway(&shared, msgs, &mut tally).await,
            SendMode::Async => send_async(&shared, msgs, &mut tally).await,
        }
    }
}

async fn send_sync(shared: &Shared, mut msgs: Vec<Message>, tally: &mut Tally) {
    let n = msgs.len() as u64;
    let t = Instant::now();
    let result = if msgs.len() > 1 {
        shared.producer.send_batch(msgs).await.map(|_| ())
    } else {
        match msgs.pop() {
            Some(msg) => shared.producer.send(msg).await.map(|_| ()),
            None => Ok(()),
        }
    };
    tally.latency.record(t.elapsed());
    match result {
        Ok(()) => {
            shared.done.fetch_add(n, Ordering::AcqRel);
        }
        Err(e) => tally.failed(n, &e),
    }
}

async fn send_oneway(shared: &Shared, msgs: Vec<Message>, tally: &mut Tally) {
    for msg in msgs {
        let t = Instant::now();
        let result = shared.producer.send_oneway(msg).await;
        tally.latency.record(t.elapsed());
        match result {
            Ok(()) => {
                shared.done.fetch_add(1, Ordering::AcqRel);
            }
            Err(e) => tally.failed(1, &e),
        }
    }
}

async fn send_async(shared: &Arc<Shared>, msgs: Vec<Message>, tally: &mut Tally) {
    for msg in msgs {
        let t = Instant::now();
        shared.submitted.fetch_add(1, Ordering::AcqRel);
        let on_done = shared.clone();
        let submitted = shared
            .producer
            .send_async(msg, move |result| {
                {
                    let mut tally = lock(&on_done.async_tally);
                    tally.latency.record(t.elapsed());
                    match result {
                        Ok(_) => {
                            on_done.done.fetch_add(1, Ordering::AcqRel);
                        }
                        Err(e) => tally.failed(1, &e),
                    }
                }
                on_done.finished.fetch_add(1, Ordering::AcqRel);
                on_done.finished_notify.notify_one();
            })
            .await;
        if let Err(e) = submitted {
            shared.submitted.fetch_sub(1, Ordering::AcqRel);
            tally.failed(1, &e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count budget hands out exactly its messages across claims; a deadline one stops.
    #[test]
    fn budget_claims() {
        let budget = Budget {
            left: AtomicU64::new(70),
            until: None,
        };
        assert_eq!(budget.claim(32), 32);
        assert_eq!(budget.claim(32), 32);
        assert_eq!(budget.claim(32), 6);
        assert_eq!(budget.claim(32), 0);
        let past = Budget {
            left: AtomicU64::new(0),
            until: Some(Instant::now()),
        };
        assert_eq!(past.claim(1), 0);
    }
}

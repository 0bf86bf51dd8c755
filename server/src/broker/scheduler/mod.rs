//! The delivery scheduler: ONE mechanism for delay levels and delivery times.
//!
//! The store indexes every delayed record in the timer queue (`store::TIMER_TOPIC`) with its
//! absolute delivery time (`store/timer.rs`). This thread reads new timer entries into a
//! min-heap keyed by delivery time (so a tick touches only what is due, never every pending
//! timer), and every `TICK` stores a copy of each due record in its real topic and queue with
//! the delay cleared (RocketMQ's way: the consumer sees a new offset, the same message id).
//!
//! Progress (`progress.rs`) is one triple, saved every `SAVE_INTERVAL` after a store flush:
//! every timer with index below `enqueued` and due before `delivered_before_ms` was delivered,
//! and none below `scan_from` is pending. A restart reloads the pending timers from
//! `scan_from`: those below `enqueued` due at or after `delivered_before_ms`, and every one from
//! `enqueued` on. A crash can redeliver what was delivered after the last save (at least once),
//! never lose a timer. `spec/storage.md` §Timers documents the files.

mod levels;
mod progress;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrocket::protocol::record::{clear_delay, parse_record};

use crate::store::{AppendBatch, Store, StoreError, TimerEntry};

pub use levels::{MESSAGE_DELAY_LEVEL_DEFAULT, TIMER_MAX_DELAY_MS_DEFAULT, parse_delay_levels};
pub use progress::Progress;

/// How often the scheduler looks for due timers.
const TICK: Duration = Duration::from_millis(100);
/// How often progress is saved (after a store flush) while it changes.
const SAVE_INTERVAL: Duration = Duration::from_secs(1);
/// Timer entries read per batch.
const READ_CHUNK: u64 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Run,
    Stop,
    Crash,
}

#[derive(Debug)]
struct Control {
    mode: Mutex<Mode>,
    wake: Condvar,
}

/// Counters for tests and operators.
#[derive(Debug, Default)]
pub struct SchedulerStats {
    /// Timers waiting.
    pub pending: AtomicU64,
    /// Copies stored since start.
    pub delivered: AtomicU64,
}

/// The running scheduler thread; see the module doc.
#[derive(Debug)]
pub struct Scheduler {
    control: Arc<Control>,
    thread: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<SchedulerStats>,
}

impl Scheduler {
    /// Loads the progress in `progress_path`, reloads pending timers and starts the thread.
    pub fn start(store: Arc<Store>, progress_path: PathBuf) -> Result<Scheduler, String> {
        let stats = Arc::new(SchedulerStats::default());
        let engine = Engine::open(store, progress_path, stats.clone())?;
        let control = Arc::new(Control {
            mode: Mutex::new(Mode::Run),
            wake: Condvar::new(),
        });
        let thread_control = control.clone();
        let thread = std::thread::Builder::new()
            .name("ferrocket-scheduler".into())
            .spawn(move || run(engine, &thread_control))
            .map_err(|e| format!("cannot start the scheduler thread: {e}"))?;
        Ok(Scheduler {
            control,
            thread: Mutex::new(Some(thread)),
            stats,
        })
    }

    /// A scheduler that delivers nothing: a slave's. Its master delivers the due timers, and
    /// the copies reach the slave through replication like every other record.
    pub fn idle() -> Scheduler {
        Scheduler {
            control: Arc::new(Control {
                mode: Mutex::new(Mode::Stop),
                wake: Condvar::new(),
            }),
            thread: Mutex::new(None),
            stats: Arc::new(SchedulerStats::default()),
        }
    }

    /// The scheduler's counters.
    pub fn stats(&self) -> &SchedulerStats {
        &self.stats
    }

    /// Stops the thread after a last save. Idempotent.
    pub fn stop(&self) {
        self.finish(Mode::Stop);
    }

    /// Stops the thread as a crash would: no last save.
    pub fn kill(&self) {
        self.finish(Mode::Crash);
    }

    fn finish(&self, mode: Mode) {
        {
            let mut current = self.control.mode.lock().unwrap_or_else(|e| e.into_inner());
            if *current == Mode::Run {
                *current = mode;
            }
        }
        self.control.wake.notify_all();
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the scheduler thread panicked");
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.finish(Mode::Crash);
    }
}

fn run(mut engine: Engine, control: &Control) {
    let mut last_save = Instant::now();
    loop {
        engine.tick();
        let mode = {
            let guard = control.mode.lock().unwrap_or_else(|e| e.into_inner());
            let (guard, _) = control
                .wake
                .wait_timeout_while(guard, TICK, |m| *m == Mode::Run)
                .unwrap_or_else(|e| e.into_inner());
            *guard
        };
        match mode {
            Mode::Crash => return,
            Mode::Stop => {
                engine.tick();
                engine.save();
                return;
            }
            Mode::Run if last_save.elapsed() >= SAVE_INTERVAL => {
                engine.save();
                last_save = Instant::now();
            }
            Mode::Run => {}
        }
    }
}

/// What became of one due timer.
enum Delivery {
    Done,
    /// The store cannot take it now; try again next tick.
    Retry,
    /// It can never be delivered (its record is gone); dropped with an error log.
    Dropped,
}

struct Engine {
    store: Arc<Store>,
    path: PathBuf,
    progress: Progress,
    saved: Option<Progress>,
    /// (deliver_at_ms, timer index), earliest first.
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    pending: BTreeMap<u64, TimerEntry>,
    stats: Arc<SchedulerStats>,
}

impl Engine {
    fn open(
        store: Arc<Store>,
        path: PathBuf,
        stats: Arc<SchedulerStats>,
    ) -> Result<Engine, String> {
        let saved = Progress::load(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let min = store.timer_min_offset();
        let progress = saved.unwrap_or(Progress {
            delivered_before_ms: 0,
            scan_from: min,
            enqueued: min,
        });
        let mut engine = Engine {
            store,
            path,
            progress,
            saved,
            heap: BinaryHeap::new(),
            pending: BTreeMap::new(),
            stats,
        };
        let mut at = progress.scan_from.max(min);
        while at < progress.enqueued {
            let (entries, next) = engine
                .store
                .timer_entries(at, READ_CHUNK.min(progress.enqueued - at))
                .map_err(|e| format!("cannot read the timer queue: {e}"))?;
            for entry in entries {
                if entry.deliver_at_ms >= progress.delivered_before_ms {
                    engine.insert(entry);
                }
            }
            if next == at {
                break;
            }
            at = next;
        }
        tracing::info!(
            pending = engine.pending.len(),
            ?progress,
            "delivery scheduler started"
        );
        Ok(engine)
    }

    fn insert(&mut self, entry: TimerEntry) {
        self.heap
            .push(Reverse((entry.deliver_at_ms, entry.timer_offset)));
        self.pending.insert(entry.timer_offset, entry);
    }

    /// Reads new timer entries, then delivers every due one.
    fn tick(&mut self) {
        let mut changed = self.read_new() > 0;
        let now = now_ms();
        while let Some(&Reverse((at, index))) = self.heap.peek() {
            if at > now {
                break;
            }
            let Some(entry) = self.pending.get(&index).copied() else {
                self.heap.pop();
                continue;
            };
            changed = true;
            match self.deliver(&entry) {
                Delivery::Retry => break,
                Delivery::Done => {
                    self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                }
                Delivery::Dropped => {}
            }
            self.heap.pop();
            self.pending.remove(&index);
        }
        self.stats
            .pending
            .store(self.pending.len() as u64, Ordering::Relaxed);
        if !changed {
            // Nothing read or delivered: the saved progress is still exact.
            return;
        }
        let earliest = self.heap.peek().map(|Reverse((at, _))| *at);
        self.progress.delivered_before_ms = earliest.map_or(now + 1, |at| at.min(now + 1));
        self.progress.scan_from = self
            .pending
            .keys()
            .next()
            .copied()
            .unwrap_or(self.progress.enqueued);
    }

    /// Reads the timer entries added since the last call; returns how many.
    fn read_new(&mut self) -> usize {
        let mut read = 0;
        loop {
            let from = self.progress.enqueued;
            match self.store.timer_entries(from, READ_CHUNK) {
                Ok((entries, next)) => {
                    read += entries.len();
                    for entry in entries {
                        self.insert(entry);
                    }
                    self.progress.enqueued = next;
                    if next - from < READ_CHUNK {
                        return read;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the timer queue");
                    return read;
                }
            }
        }
    }

    fn deliver(&self, entry: &TimerEntry) -> Delivery {
        let Some(bytes) = self.store.read_record(entry.commit_log_offset) else {
            tracing::error!(?entry, "delayed record is gone (expired?); timer dropped");
            return Delivery::Dropped;
        };
        let Ok(view) = parse_record(&bytes) else {
            return Delivery::Dropped;
        };
        let topic = view.topic.to_owned();
        let queue_id = view.queue_id();
        let mut copy = bytes.to_vec();
        clear_delay(&mut copy);
        let batch = AppendBatch {
            topic: &topic,
            queue_id,
            records: &copy,
            record_count: 1,
            wait_store_msg_ok: false,
        };
        match self.store.append_begin(batch) {
            Ok(pending) => {
                drop(pending);
                Delivery::Done
            }
            Err(StoreError::Busy | StoreError::Full { .. }) => Delivery::Retry,
            Err(StoreError::ShuttingDown) => Delivery::Retry,
            Err(e) => {
                tracing::error!(error = %e, topic, "cannot deliver a delayed record; timer dropped");
                Delivery::Dropped
            }
        }
    }

    /// Flushes the store (so delivered copies are durable), then saves the progress.
    fn save(&mut self) {
        if self.saved == Some(self.progress) {
            return;
        }
        if let Err(e) = self.store.flush() {
            tracing::warn!(error = %e, "store flush before saving timer progress failed");
            return;
        }
        match self.progress.save(&self.path) {
            Ok(()) => self.saved = Some(self.progress),
            Err(e) => tracing::error!(error = %e, "cannot save timer progress"),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

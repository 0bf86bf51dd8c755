//! `Store`: the handle the broker holds as `Arc<Store>`, the shared state its threads use
//! (`Inner`), opening, and the two ways to stop: a clean `shutdown` and a crash-like `abandon`.
//!
//! Threads: `ferrocket-store-flush` (commit-log flushes and group commits) and
//! `ferrocket-store-service` (consume-queue flush, checkpoint, catch-up dispatch, retention).
//! Both are owned by the `Store`, stopped and joined by `shutdown`, `abandon` or `Drop`.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use crate::store::atomic_file::{create_dir_all_durable, create_marker, remove_durable};
use crate::store::checkpoint::Checkpoint;
use crate::store::commit_log::CommitLog;
use crate::store::config::{FlushMode, StoreConfig};
use crate::store::error::StoreError;
use crate::store::flush::FlushControl;
use crate::store::index::Index;
use crate::store::mmap::MmapStorage;
use crate::store::queues::QueueTable;
use crate::store::segment::Storage;
use crate::store::service::Stopper;
use crate::store::{RecoveryReport, lock, recovery};

/// The message store of one broker; see the module documentation of `store`.
pub struct Store {
    inner: Arc<Inner>,
    report: RecoveryReport,
    threads: Mutex<Vec<JoinHandle<()>>>,
    dir_lock: Mutex<Option<File>>,
    life: Mutex<Life>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    Open,
    ShutDown,
    Abandoned,
}

/// The files and directories of a data directory.
#[derive(Debug, Clone)]
pub(crate) struct Paths {
    pub(crate) data_dir: PathBuf,
    pub(crate) commit_log: PathBuf,
    pub(crate) consume_queue: PathBuf,
    pub(crate) checkpoint: PathBuf,
    pub(crate) index: PathBuf,
    pub(crate) abort: PathBuf,
    pub(crate) lock: PathBuf,
}

impl Paths {
    fn new(data_dir: &Path) -> Paths {
        Paths {
            data_dir: data_dir.to_path_buf(),
            commit_log: data_dir.join("commitlog"),
            consume_queue: data_dir.join("consumequeue"),
            checkpoint: data_dir.join("checkpoint"),
            index: data_dir.join("index"),
            abort: data_dir.join("abort"),
            lock: data_dir.join("lock"),
        }
    }
}

/// State guarded by the write lock.
#[derive(Debug)]
pub(crate) struct WriteState {
    /// Set by `shutdown` and `abandon`: no more appends.
    pub(crate) closed: bool,
    /// Store timestamp of the last append; timestamps never go backwards.
    pub(crate) last_store_timestamp_ms: u64,
}

/// State guarded by the dispatch lock.
#[derive(Debug)]
pub(crate) struct DispatchState {
    /// Every record below this commit-log offset has its consume-queue entry.
    pub(crate) offset: u64,
    /// Set by `abandon`: nothing is dispatched any more (no writes after a simulated crash).
    pub(crate) halted: bool,
}

/// Everything the store's threads share.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: StoreConfig,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) paths: Paths,
    pub(crate) commit_log: CommitLog,
    pub(crate) queues: QueueTable,
    /// The key and id index.
    pub(crate) index: Index,
    pub(crate) write: Mutex<WriteState>,
    pub(crate) dispatch: Mutex<DispatchState>,
    /// Mirror of `DispatchState::offset` for lock-free readers.
    pub(crate) dispatched: AtomicU64,
    pub(crate) flush_control: FlushControl,
    /// A failed flush, reported by the next append.
    pub(crate) flush_error: Mutex<Option<io::Error>>,
    /// Appends in progress.
    pub(crate) pending: AtomicUsize,
    /// Appends are refused (usage at or over the refuse threshold).
    pub(crate) refusing: AtomicBool,
    /// The last computed disk usage, as `f64` bits.
    pub(crate) usage_bits: AtomicU64,
    /// The last checkpoint written; the lock orders checkpoint writes.
    pub(crate) checkpoint_lock: Mutex<Option<Checkpoint>>,
    /// Orders retention rounds.
    pub(crate) retention_lock: Mutex<()>,
    /// Stops the service thread.
    pub(crate) stopper: Stopper,
    /// Woken after every append, for replication fetches waiting for new data.
    pub(crate) appended: Arc<tokio::sync::Notify>,
}

impl Inner {
    /// The store's parts after recovery, with dispatch at `dispatched`.
    pub(crate) fn new(
        config: StoreConfig,
        storage: Arc<dyn Storage>,
        paths: Paths,
        commit_log: CommitLog,
        (queues, index): (QueueTable, Index),
        dispatched: u64,
    ) -> Inner {
        Inner {
            config,
            storage,
            paths,
            commit_log,
            queues,
            index,
            write: Mutex::new(WriteState {
                closed: false,
                last_store_timestamp_ms: 0,
            }),
            dispatch: Mutex::new(DispatchState {
                offset: dispatched,
                halted: false,
            }),
            dispatched: AtomicU64::new(dispatched),
            flush_control: FlushControl::default(),
            flush_error: Mutex::new(None),
            pending: AtomicUsize::new(0),
            refusing: AtomicBool::new(false),
            usage_bits: AtomicU64::new(0f64.to_bits()),
            checkpoint_lock: Mutex::new(None),
            retention_lock: Mutex::new(()),
            stopper: Stopper::default(),
            appended: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// How far consumers may see: the written end (ASYNC) or the flushed end (SYNC).
    pub(crate) fn visible_limit(&self) -> u64 {
        match self.config.flush_mode {
            FlushMode::Async => self.commit_log.written(),
            FlushMode::Sync => self.commit_log.flushed(),
        }
    }

    /// Every record below this offset has its consume-queue entry.
    pub(crate) fn dispatched(&self) -> u64 {
        self.dispatched.load(Ordering::Acquire)
    }

    fn close_writes(&self) {
        lock(&self.write).closed = true;
    }

    fn halt_dispatch(&self) {
        lock(&self.dispatch).halted = true;
    }
}

impl Store {
    /// Opens (and recovers) the store in `config.data_dir` with the mmap backend.
    pub fn open(config: StoreConfig) -> Result<Arc<Store>, StoreError> {
        Store::open_with(config, Arc::new(MmapStorage::new()))
    }

    /// Opens (and recovers) the store with the given backend. Takes the directory lock,
    /// creates the abort marker, recovers (see `spec/storage.md`) and starts the threads.
    pub fn open_with(
        config: StoreConfig,
        storage: Arc<dyn Storage>,
    ) -> Result<Arc<Store>, StoreError> {
        config.validate()?;
        let paths = Paths::new(&config.data_dir);
        create_dir_all_durable(&paths.data_dir)
            .map_err(|e| StoreError::io(format!("create {}", paths.data_dir.display()), e))?;
        let dir_lock = take_dir_lock(&paths)?;
        let clean_shutdown = !paths.abort.exists();
        create_marker(&paths.abort)
            .map_err(|e| StoreError::io(format!("create {}", paths.abort.display()), e))?;
        let (inner, report) = recovery::recover(config, storage, paths, clean_shutdown)?;
        let store = Arc::new(Store {
            inner: Arc::new(inner),
            report,
            threads: Mutex::new(Vec::new()),
            dir_lock: Mutex::new(Some(dir_lock)),
            life: Mutex::new(Life::Open),
        });
        if let Err(e) = store.spawn_threads() {
            store.abandon();
            return Err(StoreError::io("start the store threads", e));
        }
        tracing::info!(data_dir = %store.inner.paths.data_dir.display(), report = ?store.report, "store open");
        Ok(store)
    }

    /// What recovery found when the store was opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.report
    }

    /// Offset of the oldest byte still in the commit log.
    pub fn commit_log_min_offset(&self) -> u64 {
        self.inner.commit_log.min_offset()
    }

    /// End of the written commit-log data.
    pub fn commit_log_max_offset(&self) -> u64 {
        self.inner.commit_log.written()
    }

    /// End of the durable commit-log data.
    pub fn flushed_offset(&self) -> u64 {
        self.inner.commit_log.flushed()
    }

    /// Flushes the commit log and every consume queue and writes the checkpoint.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.check_open()?;
        self.inner.full_checkpoint()
    }

    /// `ShuttingDown` once `shutdown` or `abandon` was called: after them nothing may touch
    /// the disk (an abandoned store stands for a crashed process).
    pub(crate) fn check_open(&self) -> Result<(), StoreError> {
        match *lock(&self.life) {
            Life::Open => Ok(()),
            Life::ShutDown | Life::Abandoned => Err(StoreError::ShuttingDown),
        }
    }

    /// Stops the store cleanly: refuses new appends, stops the threads, flushes everything,
    /// writes the checkpoint, removes the abort marker and releases the directory lock.
    /// Idempotent (a later call, or a call after `abandon`, returns `Ok`). On error the abort
    /// marker stays, so the next `open` recovers as after a crash.
    pub fn shutdown(&self) -> Result<(), StoreError> {
        let mut life = lock(&self.life);
        if *life != Life::Open {
            return Ok(());
        }
        *life = Life::ShutDown;
        self.inner.close_writes();
        self.stop_threads();
        let result = self.inner.full_checkpoint().and_then(|()| {
            self.inner.commit_log.drop_spare()?;
            remove_durable(&self.inner.paths.abort)
                .map_err(|e| StoreError::io("remove the abort marker", e))
        });
        self.inner.flush_control.close();
        self.inner.halt_dispatch();
        lock(&self.dir_lock).take();
        match &result {
            Ok(()) => {
                tracing::info!(data_dir = %self.inner.paths.data_dir.display(), "store shut down")
            }
            Err(e) => tracing::error!(error = %e, "store shutdown failed; the next open recovers"),
        }
        result
    }

    /// Stops the store as a crash would: no more appends, dispatches or flushes, threads
    /// joined, waiting appends answered `Timeout`, abort marker left in place, directory lock
    /// released. Tests use it to simulate a process kill (and, with `SimStorage::crash`, a
    /// power loss). Idempotent.
    pub fn abandon(&self) {
        let mut life = lock(&self.life);
        if *life != Life::Open {
            return;
        }
        *life = Life::Abandoned;
        self.inner.close_writes();
        self.inner.halt_dispatch();
        self.stop_threads();
        self.inner.flush_control.close();
        lock(&self.dir_lock).take();
    }

    pub(crate) fn inner_arc(&self) -> Arc<Inner> {
        self.inner.clone()
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    fn spawn_threads(&self) -> io::Result<()> {
        let mut threads = lock(&self.threads);
        let inner = self.inner.clone();
        threads.push(
            thread::Builder::new()
                .name("ferrocket-store-flush".into())
                .spawn(move || inner.run_flusher())?,
        );
        let inner = self.inner.clone();
        threads.push(
            thread::Builder::new()
                .name("ferrocket-store-service".into())
                .spawn(move || inner.run_service())?,
        );
        Ok(())
    }

    fn stop_threads(&self) {
        self.inner.flush_control.stop_flusher();
        self.inner.stopper.stop();
        let threads: Vec<JoinHandle<()>> = lock(&self.threads).drain(..).collect();
        for handle in threads {
            if handle.join().is_err() {
                tracing::error!("a store thread panicked");
            }
        }
    }
}

impl Drop for Store {
    /// A store dropped without `shutdown` is abandoned: its threads stop without a final
    /// flush, and the next `open` recovers as after a crash.
    fn drop(&mut self) {
        if *lock(&self.life) == Life::Open {
            tracing::warn!(data_dir = %self.inner.paths.data_dir.display(),
                "store dropped without shutdown; abandoning it");
            self.abandon();
        }
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.inner.paths.data_dir)
            .field("life", &*lock(&self.life))
            .field("commit_log_max_offset", &self.commit_log_max_offset())
            .finish_non_exhaustive()
    }
}

/// Takes the exclusive lock of the data directory (`{data_dir}/lock`).
#[allow(clippy::incompatible_msrv)] // `File::try_lock` is std since 1.89: the workspace MSRV must follow
fn take_dir_lock(paths: &Paths) -> Result<File, StoreError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&paths.lock)
        .map_err(|e| StoreError::io(format!("open {}", paths.lock.display()), e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked(paths.data_dir.clone())),
        Err(TryLockError::Error(e)) => {
            Err(StoreError::io(format!("lock {}", paths.lock.display()), e))
        }
    }
}

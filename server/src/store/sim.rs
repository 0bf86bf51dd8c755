//! `SimStorage`: an in-memory, fault-injecting backend that models a power loss.
//!
//! Every file has its *current* bytes (what the store reads and writes, like the page cache)
//! and its *durable* bytes (what is on the platter), which change only when `flush` covers
//! them. `crash` makes every file equal to its durable bytes, optionally keeping a random
//! prefix of the first unflushed page to model a torn write. File creation and removal are
//! durable at once (directory entries are assumed durable, as `MmapStorage` fsyncs them).
//! Flushes can be delayed (`set_flush_delay`), made to fail (`fail_next_flushes`) and counted
//! (`flush_count`). A crashed store must be stopped with `Store::abandon` before `crash`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;

use crate::store::segment::{DiskUsage, Segment, Storage, check_range};

/// Page size used to pick the torn page in `crash`.
const PAGE_LEN: usize = 4096;
/// Capacity reported by `disk_usage` unless `set_capacity` changed it (1 TiB).
const CAPACITY_DEFAULT: u64 = 1 << 40;

/// In-memory files with separate current and durable bytes; see the module doc.
#[derive(Debug)]
pub struct SimStorage {
    files: Mutex<BTreeMap<PathBuf, Arc<SimFile>>>,
    settings: Arc<SimSettings>,
}

#[derive(Debug, Default)]
struct SimSettings {
    flush_delay_us: AtomicU64,
    failing_flushes: Mutex<Option<(PathBuf, u64)>>,
    capacity: AtomicU64,
    flushes: Mutex<BTreeMap<PathBuf, u64>>,
}

struct SimFile {
    path: PathBuf,
    bytes: Mutex<SimBytes>,
}

struct SimBytes {
    current: Vec<u8>,
    durable: Vec<u8>,
}

/// A handle on one simulated file.
#[derive(Debug)]
struct SimSegment {
    file: Arc<SimFile>,
    settings: Arc<SimSettings>,
    len: u64,
}

impl SimStorage {
    /// An empty simulated disk.
    pub fn new() -> SimStorage {
        let settings = SimSettings::default();
        settings.capacity.store(CAPACITY_DEFAULT, Ordering::Relaxed);
        SimStorage {
            files: Mutex::new(BTreeMap::new()),
            settings: Arc::new(settings),
        }
    }

    /// Makes every later `flush` take `delay` before it completes (a slow disk).
    pub fn set_flush_delay(&self, delay: Duration) {
        let us = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.settings.flush_delay_us.store(us, Ordering::SeqCst);
    }

    /// Makes the next `count` flushes of files under `prefix` fail with an I/O error (and
    /// persist nothing).
    pub fn fail_next_flushes(&self, prefix: &Path, count: u64) {
        *lock(&self.settings.failing_flushes) = Some((prefix.to_path_buf(), count));
    }

    /// Sets the total bytes `disk_usage` reports.
    pub fn set_capacity(&self, bytes: u64) {
        self.settings.capacity.store(bytes, Ordering::SeqCst);
    }

    /// Successful flushes of files under `prefix` so far.
    pub fn flush_count(&self, prefix: &Path) -> u64 {
        let flushes = lock(&self.settings.flushes);
        flushes
            .iter()
            .filter(|(path, _)| path.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    /// The current bytes of a file, if it exists.
    pub fn file_bytes(&self, path: &Path) -> Option<Vec<u8>> {
        let file = lock(&self.files).get(path).cloned()?;
        let bytes = lock(&file.bytes);
        Some(bytes.current.clone())
    }

    /// Overwrites bytes of a file in both its current and durable state (disk corruption).
    pub fn corrupt(&self, path: &Path, offset: u64, data: &[u8]) -> io::Result<()> {
        let file = lock(&self.files)
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        let mut bytes = lock(&file.bytes);
        let at = check_range(bytes.current.len() as u64, offset, data.len())?;
        bytes.current[at..at + data.len()].copy_from_slice(data);
        bytes.durable[at..at + data.len()].copy_from_slice(data);
        Ok(())
    }

    /// Models a power loss: every file becomes its durable bytes. With `tear_last_page`, a
    /// random-length prefix (chosen from `seed`) of each file's first unflushed page survives.
    pub fn crash(&self, tear_last_page: bool, seed: u64) {
        let files = lock(&self.files);
        let mut rng = seed ^ 0x9E37_79B9_7F4A_7C15;
        for file in files.values() {
            let mut bytes = lock(&file.bytes);
            let SimBytes { current, durable } = &mut *bytes;
            if tear_last_page {
                let first_dirty = current.iter().zip(durable.iter()).position(|(c, d)| c != d);
                if let Some(first) = first_dirty {
                    let page = first - first % PAGE_LEN;
                    let page_end = (page + PAGE_LEN).min(current.len());
                    let keep = usize::try_from(next_random(&mut rng) % PAGE_LEN as u64)
                        .unwrap_or(0)
                        .min(page_end - page);
                    durable[page..page + keep].copy_from_slice(&current[page..page + keep]);
                }
            }
            current.copy_from_slice(durable);
        }
    }
}

impl Default for SimStorage {
    fn default() -> SimStorage {
        SimStorage::new()
    }
}

impl Storage for SimStorage {
    fn create_segment(&self, path: &Path, len: u64) -> io::Result<Arc<dyn Segment>> {
        let size = usize::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file too large"))?;
        if size == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty segment"));
        }
        let mut files = lock(&self.files);
        if files.contains_key(path) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        let file = Arc::new(SimFile {
            path: path.to_path_buf(),
            bytes: Mutex::new(SimBytes {
                current: vec![0; size],
                durable: vec![0; size],
            }),
        });
        files.insert(path.to_path_buf(), file.clone());
        Ok(self.handle(file, len))
    }

    fn open_segment(&self, path: &Path) -> io::Result<Arc<dyn Segment>> {
        let file = lock(&self.files)
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        let len = lock(&file.bytes).current.len() as u64;
        Ok(self.handle(file, len))
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut files = lock(&self.files);
        if files.remove(path).is_some() {
            return Ok(());
        }
        // Directories are implicit: an "empty directory" is a prefix no file has.
        if files.keys().any(|p| p.starts_with(path)) {
            return Err(io::Error::other("directory not empty"));
        }
        Ok(())
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let files = lock(&self.files);
        let mut children = BTreeSet::new();
        for path in files.keys() {
            if let Ok(rest) = path.strip_prefix(dir)
                && let Some(first) = rest.components().next()
            {
                children.insert(dir.join(first));
            }
        }
        Ok(children.into_iter().collect())
    }

    fn disk_usage(&self, _dir: &Path) -> io::Result<DiskUsage> {
        let files = lock(&self.files);
        let used = files
            .values()
            .map(|f| lock(&f.bytes).current.len() as u64)
            .sum();
        Ok(DiskUsage {
            total_bytes: self.settings.capacity.load(Ordering::SeqCst),
            used_bytes: used,
        })
    }
}

impl SimStorage {
    fn handle(&self, file: Arc<SimFile>, len: u64) -> Arc<dyn Segment> {
        Arc::new(SimSegment {
            file,
            settings: self.settings.clone(),
            len,
        })
    }
}

impl Segment for SimSegment {
    fn len(&self) -> u64 {
        self.len
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let at = check_range(self.len, offset, data.len())?;
        lock(&self.file.bytes).current[at..at + data.len()].copy_from_slice(data);
        Ok(())
    }

    fn read_into(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let at = check_range(self.len, offset, buf.len())?;
        buf.copy_from_slice(&lock(&self.file.bytes).current[at..at + buf.len()]);
        Ok(())
    }

    fn slice(self: Arc<Self>, offset: u64, len: usize) -> io::Result<Bytes> {
        let at = check_range(self.len, offset, len)?;
        let bytes = lock(&self.file.bytes);
        Ok(Bytes::copy_from_slice(&bytes.current[at..at + len]))
    }

    fn flush(&self, offset: u64, len: u64) -> io::Result<()> {
        let len = usize::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "flush length"))?;
        let at = check_range(self.len, offset, len)?;
        let delay = self.settings.flush_delay_us.load(Ordering::SeqCst);
        if delay > 0 {
            // Simulated device latency, on the flushing thread (never a test thread).
            std::thread::sleep(Duration::from_micros(delay));
        }
        if self.take_failure() {
            return Err(io::Error::other("simulated flush failure"));
        }
        {
            let mut bytes = lock(&self.file.bytes);
            let SimBytes { current, durable } = &mut *bytes;
            durable[at..at + len].copy_from_slice(&current[at..at + len]);
        }
        *lock(&self.settings.flushes)
            .entry(self.file.path.clone())
            .or_insert(0) += 1;
        Ok(())
    }
}

impl SimSegment {
    /// Consumes one injected failure if this file is under the failing prefix.
    fn take_failure(&self) -> bool {
        let mut failing = lock(&self.settings.failing_flushes);
        match &mut *failing {
            Some((prefix, count)) if *count > 0 && self.file.path.starts_with(&*prefix) => {
                *count -= 1;
                true
            }
            _ => false,
        }
    }
}

impl fmt::Debug for SimFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimFile").field("path", &self.path).finish()
    }
}

/// Locks a mutex of the simulator; a poisoned lock only means a test thread panicked, and the
/// bytes are still consistent (every update is a single copy), so the guard is taken anyway.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// splitmix64: a small deterministic generator, so a failing seed replays exactly.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crash keeps flushed bytes, drops unflushed ones, and tears at most one page.
    #[test]
    fn crash_keeps_only_durable_bytes() {
        let sim = SimStorage::new();
        let path = Path::new("/sim/a/f");
        let seg = sim.create_segment(path, 3 * PAGE_LEN as u64).unwrap();
        seg.write(0, &[7; 100]).unwrap();
        seg.flush(0, 100).unwrap();
        seg.write(100, &[8; 9000]).unwrap();
        sim.crash(true, 42);
        let bytes = sim.file_bytes(path).unwrap();
        assert_eq!(&bytes[..100], &[7; 100]);
        assert!(bytes[100..PAGE_LEN].iter().all(|b| *b == 8 || *b == 0));
        assert!(bytes[PAGE_LEN..].iter().all(|b| *b == 0));
        assert_eq!(sim.flush_count(Path::new("/sim")), 1);
        assert_eq!(
            sim.list(Path::new("/sim")).unwrap(),
            vec![PathBuf::from("/sim/a")]
        );
        sim.fail_next_flushes(Path::new("/sim/a"), 1);
        assert!(seg.flush(0, 10).is_err());
        assert!(seg.flush(0, 10).is_ok());
        sim.remove(path).unwrap();
        assert!(sim.open_segment(path).is_err());
    }
}

//! `MmapStorage`: the production backend, segment files mapped with memmap2's `MmapRaw`.
//!
//! This is the only module of the store with `unsafe` code. The contract that makes it sound:
//!
//! - segment files are only written through our mapping, never truncated, resized or replaced
//!   by anyone while mapped. A SIGBUS from an external truncation is an accepted crash, as is
//!   any outside tampering with the bytes;
//! - the store writes only ranges that no reader has been shown yet (past the published end of
//!   the commit log or of a consume queue), from one writer at a time, and never writes a range
//!   again once it has handed out `Bytes` for it (recovery rewrites the torn tail before any
//!   reader exists);
//! - `Bytes` returned by `slice` own an `Arc` of the segment, so the mapping outlives them
//!   even when the file is deleted by retention (an unlinked file stays mapped).
//!
//! Space is reserved with `posix_fallocate` at creation, so a full disk is an `io::Error` when a
//! segment is created and never a SIGBUS on a later write; `flush` is `msync(MS_SYNC)` of the
//! range; `disk_usage` is `statvfs`.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::Arc;

use bytes::Bytes;
use memmap2::MmapRaw;

use crate::store::atomic_file::{create_dir_all_durable, parent_dir, sync_dir};
use crate::store::segment::{DiskUsage, Segment, Storage, check_range};

/// Segment files mapped into memory; the default backend of `Store::open`.
#[derive(Debug, Default, Clone, Copy)]
pub struct MmapStorage;

impl MmapStorage {
    /// The mmap backend.
    pub fn new() -> MmapStorage {
        MmapStorage
    }
}

/// One mapped segment file.
#[derive(Debug)]
pub struct MmapSegment {
    map: MmapRaw,
    len: u64,
}

impl Storage for MmapStorage {
    fn create_segment(&self, path: &Path, len: u64) -> io::Result<Arc<dyn Segment>> {
        if len == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty segment"));
        }
        let dir = parent_dir(path);
        create_dir_all_durable(dir)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        if let Err(e) = reserve(&file, len).and_then(|()| file.sync_all()) {
            // Leave no half-created file behind, so the next attempt can create it again.
            drop(file);
            let _ = fs::remove_file(path);
            return Err(e);
        }
        sync_dir(dir)?;
        map(&file, len)
    }

    fn open_segment(&self, path: &Path) -> io::Result<Arc<dyn Segment>> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let len = file.metadata()?.len();
        if len == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("segment {} is empty", path.display()),
            ));
        }
        map(&file, len)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        if fs::symlink_metadata(path)?.is_dir() {
            fs::remove_dir(path)?;
        } else {
            fs::remove_file(path)?;
        }
        sync_dir(parent_dir(path))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for entry in entries {
            out.push(entry?.path());
        }
        out.sort();
        Ok(out)
    }

    fn disk_usage(&self, dir: &Path) -> io::Result<DiskUsage> {
        statvfs(dir)
    }
}

impl Segment for MmapSegment {
    fn len(&self) -> u64 {
        self.len
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let at = check_range(self.len, offset, data.len())?;
        let base = self.map.as_ptr() as usize;
        let src = data.as_ptr() as usize;
        let overlaps = src < base + self.map.len() && base < src + data.len();
        if overlaps {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "source of a segment write lies inside the mapping",
            ));
        }
        // SAFETY: `check_range` proved `at + data.len() <= len`, the mapping's length, so the
        // destination is inside the mapping, which lives as long as `self`. The source does not
        // overlap the mapping (checked above). Per the module contract the destination range
        // is not visible to any reader yet and only the store's single writer writes it.
        unsafe {
            ptr::copy_nonoverlapping(data.as_ptr(), self.map.as_mut_ptr().add(at), data.len())
        };
        Ok(())
    }

    fn read_into(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let at = check_range(self.len, offset, buf.len())?;
        // SAFETY: the source range is inside the mapping (`check_range`), which lives as long
        // as `self`; `buf` is an exclusive Rust slice, so it cannot alias the mapping (we never
        // hand out mutable references into it).
        unsafe { ptr::copy_nonoverlapping(self.map.as_ptr().add(at), buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    fn slice(self: Arc<Self>, offset: u64, len: usize) -> io::Result<Bytes> {
        let at = check_range(self.len, offset, len)?;
        Ok(Bytes::from_owner(MappedRange {
            segment: self,
            at,
            len,
        }))
    }

    fn flush(&self, offset: u64, len: u64) -> io::Result<()> {
        let len = usize::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "flush length"))?;
        let at = check_range(self.len, offset, len)?;
        self.map.flush_range(at, len)
    }
}

/// A published range of a mapping, kept alive by the `Arc` of its segment.
struct MappedRange {
    segment: Arc<MmapSegment>,
    at: usize,
    len: usize,
}

impl AsRef<[u8]> for MappedRange {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: the range was bounds-checked when this value was built, the mapping lives as
        // long as the `Arc` held here, and per the module contract a range handed out to
        // readers is never written again while mapped.
        unsafe { std::slice::from_raw_parts(self.segment.map.as_ptr().add(self.at), self.len) }
    }
}

fn map(file: &File, len: u64) -> io::Result<Arc<dyn Segment>> {
    let map = MmapRaw::map_raw(file)?;
    if u64::try_from(map.len()).ok() != Some(len) {
        return Err(io::Error::other(
            "mapping length differs from the file length",
        ));
    }
    Ok(Arc::new(MmapSegment { map, len }))
}

/// Reserves `len` bytes for `file` so later writes through the mapping cannot hit ENOSPC.
fn reserve(file: &File, len: u64) -> io::Result<()> {
    let len = libc::off_t::try_from(len)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "segment too large"))?;
    // SAFETY: plain system call on a descriptor that `file` keeps open for its duration.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// Usage of the file system holding `dir`, as `df` computes it: used / (used + available).
#[allow(clippy::unnecessary_cast)] // the statvfs field types differ between platforms
fn statvfs(dir: &Path) -> io::Result<DiskUsage> {
    let c_path = CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))?;
    let mut out = MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is NUL-terminated and `out` points to writable memory of the right type.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), out.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: statvfs returned 0, so it filled the whole struct.
    let st = unsafe { out.assume_init() };
    let frsize = st.f_frsize as u64;
    let used = (st.f_blocks as u64).saturating_sub(st.f_bfree as u64) * frsize;
    let available = st.f_bavail as u64 * frsize;
    Ok(DiskUsage {
        total_bytes: used + available,
        used_bytes: used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::TempDir;

    /// A created segment is zeroed, bounds-checked, and its slices survive file deletion.
    #[test]
    fn segment_roundtrip_and_bounds() {
        let dir = TempDir::new("mmap-seg");
        let path = dir.path().join("a").join("00000000000000000000");
        let storage = MmapStorage::new();
        let seg = storage.create_segment(&path, 8192).unwrap();
        assert_eq!(seg.len(), 8192);
        assert!(storage.create_segment(&path, 8192).is_err());
        let mut buf = [1u8; 16];
        seg.read_into(100, &mut buf).unwrap();
        assert_eq!(buf, [0u8; 16]);
        seg.write(8180, b"0123456789ab").unwrap();
        assert!(seg.write(8190, b"xyz").is_err());
        assert!(seg.read_into(8190, &mut buf).is_err());
        seg.flush(8000, 192).unwrap();
        let bytes = seg.clone().slice(8180, 12).unwrap();
        storage.remove(&path).unwrap();
        assert_eq!(&bytes[..], b"0123456789ab");
        let reopened = storage.create_segment(&path, 4096).unwrap();
        assert_eq!(reopened.len(), 4096);
        assert_eq!(storage.list(&dir.path().join("a")).unwrap(), vec![path]);
        assert!(
            storage
                .list(&dir.path().join("missing"))
                .unwrap()
                .is_empty()
        );
        let usage = storage.disk_usage(dir.path()).unwrap();
        assert!(usage.total_bytes >= usage.used_bytes && usage.total_bytes > 0);
    }
}

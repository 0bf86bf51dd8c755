//! Durable small-file helpers: `write` (temp file + fsync + rename + fsync of the directory),
//! used for the checkpoint and by the broker for topic configs and consumer offsets, plus the
//! directory fsyncs the rest of the store needs.
//!
//! A reader of a file written with `write` sees either the old or the new content, never a
//! mix, and once `write` returns the new content survives a power loss.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Replaces the file at `path` with `bytes` atomically and durably: writes `{path}.tmp`,
/// fsyncs it, renames it over `path` and fsyncs the directory.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "atomic write to a path without a file name",
        )
    })?;
    let mut tmp_name = name.to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(parent_dir(path))
}

/// Fsyncs a directory so the entries created, renamed or removed in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir` and its missing ancestors, fsyncing each new entry's parent.
pub(crate) fn create_dir_all_durable(dir: &Path) -> io::Result<()> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && !p.is_dir())
        .collect();
    for new_dir in missing.iter().rev() {
        match fs::create_dir(new_dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
        sync_dir(parent_dir(new_dir))?;
    }
    Ok(())
}

/// Creates an empty file (the abort marker) and makes its directory entry durable.
pub(crate) fn create_marker(path: &Path) -> io::Result<()> {
    File::create(path)?.sync_all()?;
    sync_dir(parent_dir(path))
}

/// Removes a file if it exists and makes the removal durable.
pub(crate) fn remove_durable(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => sync_dir(parent_dir(path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::TempDir;

    /// `write` replaces the whole content and leaves no temp file behind.
    #[test]
    fn write_replaces_atomically() {
        let dir = TempDir::new("atomic-write");
        let path = dir.path().join("config").join("offsets.json");
        create_dir_all_durable(path.parent().unwrap()).unwrap();
        write(&path, b"first version, longer").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert!(!path.with_file_name("offsets.json.tmp").exists());
        remove_durable(&path).unwrap();
        remove_durable(&path).unwrap();
        assert!(!path.exists());
    }
}

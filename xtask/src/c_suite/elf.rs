//! Reading the dynamic section of an ELF file (64-bit little-endian, what the suite builds on
//! Linux x86-64 and aarch64) without binutils: the `library_soname` scenario checks that
//! `libferrocket.so` carries its SONAME and that programs linked against it record that name.

/// `DT_NEEDED`: a library the file needs.
pub const DT_NEEDED: u64 = 1;
/// `DT_SONAME`: the shared object's name.
pub const DT_SONAME: u64 = 14;

const SHT_DYNAMIC: u64 = 6;

fn bytes(data: &[u8], at: u64, len: usize) -> Result<&[u8], String> {
    let start = usize::try_from(at).map_err(|_| "offset out of range".to_owned())?;
    data.get(start..start.saturating_add(len))
        .filter(|s| s.len() == len)
        .ok_or_else(|| format!("ELF truncated at offset {at}"))
}

/// The little-endian number of `len` bytes at `at` (ELF's byte order here; the workspace
/// lints keep `from_le_bytes` out of the big-endian protocol code).
fn le_at(data: &[u8], at: u64, len: usize) -> Result<u64, String> {
    let b = bytes(data, at, len)?;
    Ok(b.iter().rev().fold(0, |n, byte| n << 8 | u64::from(*byte)))
}

fn u16_at(data: &[u8], at: u64) -> Result<u64, String> {
    le_at(data, at, 2)
}

fn u32_at(data: &[u8], at: u64) -> Result<u64, String> {
    le_at(data, at, 4)
}

fn u64_at(data: &[u8], at: u64) -> Result<u64, String> {
    le_at(data, at, 8)
}

/// The NUL-terminated string at `at`.
fn c_string(data: &[u8], at: u64) -> Result<String, String> {
    let start = usize::try_from(at).map_err(|_| "offset out of range".to_owned())?;
    let rest = data.get(start..).ok_or("string offset out of range")?;
    let end = rest
        .iter()
        .position(|b| *b == 0)
        .ok_or("unterminated string")?;
    Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// The strings of every dynamic-section entry tagged `tag` (`DT_SONAME`, `DT_NEEDED`…), in
/// order.
pub fn dynamic_strings(data: &[u8], tag: u64) -> Result<Vec<String>, String> {
    if data.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err("not an ELF file".into());
    }
    if data.get(4..6) != Some([2u8, 1].as_slice()) {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let shoff = u64_at(data, 0x28)?;
    let shentsize = u16_at(data, 0x3a)?;
    let shnum = u16_at(data, 0x3c)?;
    let section = |i: u64| shoff + i * shentsize;
    let mut out = Vec::new();
    for i in 0..shnum {
        if u32_at(data, section(i) + 4)? != SHT_DYNAMIC {
            continue;
        }
        let offset = u64_at(data, section(i) + 24)?;
        let size = u64_at(data, section(i) + 32)?;
        let strtab = u32_at(data, section(i) + 40)?;
        if strtab >= shnum {
            return Err("dynamic section links to no string table".into());
        }
        let strings = u64_at(data, section(strtab) + 24)?;
        for entry in 0..size / 16 {
            let d_tag = u64_at(data, offset + entry * 16)?;
            if d_tag == 0 {
                break;
            }
            if d_tag == tag {
                let d_val = u64_at(data, offset + entry * 16 + 8)?;
                out.push(c_string(data, strings + d_val)?);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This test program needs libc, and says so in its dynamic section; garbage is refused.
    #[test]
    fn reads_needed_libraries_of_this_program() {
        let exe = std::fs::read("/proc/self/exe").expect("read /proc/self/exe");
        let needed = dynamic_strings(&exe, DT_NEEDED).expect("parse");
        assert!(
            needed.iter().any(|n| n.starts_with("libc.so")),
            "{needed:?}"
        );
        assert!(dynamic_strings(&exe, DT_SONAME).expect("parse").is_empty());
        assert!(dynamic_strings(b"not an elf file at all", DT_NEEDED).is_err());
        assert!(dynamic_strings(&exe[..100], DT_NEEDED).is_err());
    }
}

//! Body compression: the producer compresses a single message's body of at least
//! `compress_body_over` bytes (`COMPRESS_BODY_OVER_BYTES_DEFAULT`, 4 KiB) with LZ4 when that
//! makes it smaller; the consumer decompresses it before handing the message over.
//!
//! LZ4 (the `lz4_flex` crate) because it is pure Rust (the C, Python and Node SDKs build with
//! no C compression library), decompresses at several GB/s, and is one of RocketMQ's three
//! compression types. The stored body is `[uncompressed_len: u32 BE][LZ4 block]`; the record's
//! `sys_flag` has `SYS_FLAG_COMPRESSED` and the type `COMPRESSION_TYPE_LZ4` (`0x100`) in bits
//! 8..=10. The record's payload CRC covers the compressed bytes as stored. The consumer checks
//! the announced length against `BODY_LEN_MAX` before allocating and decompresses into a buffer
//! of exactly that length, so a "zip bomb" is an error, never a large allocation.

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::BODY_LEN_MAX;
use crate::message::MessageExt;
use crate::protocol::record::{SYS_FLAG_COMPRESSED, SYS_FLAG_COMPRESSION_MASK};

/// Compression type LZ4 in `sys_flag` bits 8..=10 (RocketMQ's `MessageSysFlag.COMPRESSION_LZ4_TYPE`).
pub const COMPRESSION_TYPE_LZ4: u32 = 0x100;

/// Bytes of the uncompressed-length prefix of a compressed body.
const LEN_PREFIX: usize = 4;

/// Why a compressed body could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecompressError {
    /// The body is shorter than its length prefix.
    #[error("compressed body is {0} bytes, shorter than its 4-byte length prefix")]
    Truncated(usize),
    /// The announced length is over `BODY_LEN_MAX`.
    #[error("compressed body announces {len} bytes, over the body limit of {max}")]
    TooLarge {
        /// Announced uncompressed length.
        len: usize,
        /// `BODY_LEN_MAX`.
        max: usize,
    },
    /// The compression type is not one this client knows.
    #[error("unknown compression type {0:#x} in sys_flag")]
    UnknownType(u32),
    /// The LZ4 data is corrupt or does not fill the announced length exactly.
    #[error("compressed body is corrupt: {0}")]
    Corrupt(String),
}

/// The body compressed, with the `sys_flag` bits describing it, when it is at least `over`
/// bytes and compression makes it smaller; `None` otherwise (send it as it is).
pub fn compress_body(body: &[u8], over: usize) -> Option<(Bytes, u32)> {
    if body.len() < over || body.len() > BODY_LEN_MAX {
        return None;
    }
    let len = u32::try_from(body.len()).ok()?;
    let block = lz4_flex::block::compress(body);
    if block.len() + LEN_PREFIX >= body.len() {
        return None;
    }
    let mut out = BytesMut::with_capacity(LEN_PREFIX + block.len());
    out.put_u32(len);
    out.put_slice(&block);
    Some((out.freeze(), SYS_FLAG_COMPRESSED | COMPRESSION_TYPE_LZ4))
}

/// Decompresses a body stored with `sys_flag`; a body without `SYS_FLAG_COMPRESSED` comes
/// back as it is.
pub fn decompress_body(body: &Bytes, sys_flag: u32) -> Result<Bytes, DecompressError> {
    if sys_flag & SYS_FLAG_COMPRESSED == 0 {
        return Ok(body.clone());
    }
    let kind = sys_flag & SYS_FLAG_COMPRESSION_MASK;
    if kind != COMPRESSION_TYPE_LZ4 {
        return Err(DecompressError::UnknownType(kind));
    }
    let Some((prefix, block)) = body.split_first_chunk::<LEN_PREFIX>() else {
        return Err(DecompressError::Truncated(body.len()));
    };
    let len = usize::try_from(u32::from_be_bytes(*prefix)).unwrap_or(usize::MAX);
    if len > BODY_LEN_MAX {
        return Err(DecompressError::TooLarge {
            len,
            max: BODY_LEN_MAX,
        });
    }
    let mut out = vec![0u8; len];
    let written = lz4_flex::block::decompress_into(block, &mut out)
        .map_err(|e| DecompressError::Corrupt(e.to_string()))?;
    if written != len {
        return Err(DecompressError::Corrupt(format!(
            "{written} bytes decompressed, {len} announced"
        )));
    }
    Ok(Bytes::from(out))
}

/// Replaces a received message's compressed body by the original and clears the compression
/// bits of its `sys_flag`, so the application sees the body it was sent.
pub fn decompress_message(msg: &mut MessageExt) -> Result<(), DecompressError> {
    if msg.sys_flag & SYS_FLAG_COMPRESSED == 0 {
        return Ok(());
    }
    msg.message.body = decompress_body(&msg.message.body, msg.sys_flag)?;
    msg.sys_flag &= !(SYS_FLAG_COMPRESSED | SYS_FLAG_COMPRESSION_MASK);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compressible body round-trips; a small or incompressible one is left alone.
    #[test]
    fn roundtrip() {
        let body: Vec<u8> = (0..20_000u32).map(|i| (i % 7) as u8).collect();
        let (packed, flags) = compress_body(&body, 4096).unwrap();
        assert!(packed.len() < body.len() / 4);
        assert_eq!(flags, SYS_FLAG_COMPRESSED | COMPRESSION_TYPE_LZ4);
        assert_eq!(&decompress_body(&packed, flags).unwrap()[..], &body[..]);
        assert!(compress_body(&body[..100], 4096).is_none());
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..8192)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        assert!(compress_body(&noise, 4096).is_none());
    }

    /// A body announcing more than `BODY_LEN_MAX` is refused before anything is allocated;
    /// a short or corrupt one is an error too.
    #[test]
    fn refuses_bombs_and_garbage() {
        let flags = SYS_FLAG_COMPRESSED | COMPRESSION_TYPE_LZ4;
        let mut bomb = BytesMut::new();
        bomb.put_u32(u32::MAX);
        bomb.put_slice(&[0x1f, 0, 1, 0]);
        assert!(matches!(
            decompress_body(&bomb.freeze(), flags),
            Err(DecompressError::TooLarge { .. })
        ));
        assert!(matches!(
            decompress_body(&Bytes::from_static(b"ab"), flags),
            Err(DecompressError::Truncated(2))
        ));
        let lying = Bytes::from_static(&[0, 0, 0, 100, 0x10, b'a']);
        assert!(matches!(
            decompress_body(&lying, flags),
            Err(DecompressError::Corrupt(_))
        ));
        assert!(matches!(
            decompress_body(&Bytes::from_static(b"abcd"), SYS_FLAG_COMPRESSED | 0x300),
            Err(DecompressError::UnknownType(0x300))
        ));
    }
}

//! Field-level readers and writers shared by every body codec.
//!
//! Readers are nom `complete` parsers over an already-cut frame slice, wrapped so that each
//! failure names its field and nom's types never leave this module. Every length and count is
//! checked against its maximum before anything is taken, and lists never preallocate more than
//! the bytes that remain could hold. Writers check the same maximums.

use bytes::{BufMut, BytesMut};
use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{be_u8, be_u16, be_u32, be_u64};

use crate::protocol::error::{DecodeError, EncodeError};

/// Result of a field reader: the rest of the input and the value.
pub type PResult<'a, T> = Result<(&'a [u8], T), DecodeError>;

type NomError<'a> = nom::error::Error<&'a [u8]>;

fn truncated(field: &'static str) -> impl Fn(nom::Err<NomError<'_>>) -> DecodeError {
    move |_| DecodeError::Truncated { field }
}

/// Reads a `u8`.
pub fn u8<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, u8> {
    be_u8::<_, NomError<'_>>(i).map_err(truncated(field))
}

/// Reads a big-endian `u16`.
pub fn u16<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, u16> {
    be_u16::<_, NomError<'_>>(i).map_err(truncated(field))
}

/// Reads a big-endian `u32`.
pub fn u32<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, u32> {
    be_u32::<_, NomError<'_>>(i).map_err(truncated(field))
}

/// Reads a big-endian `u64`.
pub fn u64<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, u64> {
    be_u64::<_, NomError<'_>>(i).map_err(truncated(field))
}

/// Reads a boolean byte; only 0 and 1 are accepted.
pub fn bool<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, bool> {
    let (i, b) = u8(i, field)?;
    match b {
        0 => Ok((i, false)),
        1 => Ok((i, true)),
        _ => Err(DecodeError::InvalidValue {
            field,
            value: u64::from(b),
        }),
    }
}

/// Reads exactly `N` bytes.
pub fn fixed<'a, const N: usize>(i: &'a [u8], field: &'static str) -> PResult<'a, [u8; N]> {
    let (i, raw) = take::<_, _, NomError<'_>>(N)
        .parse(i)
        .map_err(truncated(field))?;
    let mut out = [0u8; N];
    out.copy_from_slice(raw);
    Ok((i, out))
}

/// Reads `len` raw bytes.
pub fn take_bytes<'a>(i: &'a [u8], field: &'static str, len: usize) -> PResult<'a, &'a [u8]> {
    take::<_, _, NomError<'_>>(len)
        .parse(i)
        .map_err(truncated(field))
}

/// Reads a `u16`-length-prefixed UTF-8 string of at most `max` bytes.
pub fn string<'a>(i: &'a [u8], field: &'static str, max: usize) -> PResult<'a, &'a str> {
    let (i, len) = u16(i, field)?;
    let len = usize::from(len);
    if len > max {
        return Err(DecodeError::TooLong { field, len, max });
    }
    let (i, raw) = take_bytes(i, field, len)?;
    let s = std::str::from_utf8(raw).map_err(|_| DecodeError::InvalidUtf8 { field })?;
    Ok((i, s))
}

/// Reads a `u32`-length-prefixed byte array of at most `max` bytes.
pub fn bytes32<'a>(i: &'a [u8], field: &'static str, max: usize) -> PResult<'a, &'a [u8]> {
    let (i, len) = u32(i, field)?;
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if len > max {
        return Err(DecodeError::TooLong { field, len, max });
    }
    take_bytes(i, field, len)
}

/// Most elements a list reader reserves room for before it has parsed them; longer lists grow
/// as their elements arrive, so an announced count never sizes a large allocation up front.
pub const LIST_PREALLOC_MAX: usize = 1024;

/// Reads a `u32` element count followed by that many elements.
///
/// The count is checked against `max` and against the bytes remaining (each element takes at
/// least `elem_len_min` bytes) before anything is allocated, and at most
/// `LIST_PREALLOC_MAX` elements are reserved up front.
pub fn list<'a, T>(
    i: &'a [u8],
    field: &'static str,
    max: usize,
    elem_len_min: usize,
    mut elem: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    assert!(elem_len_min > 0, "every element takes at least one byte");
    let (mut i, count) = u32(i, field)?;
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count > max {
        return Err(DecodeError::TooLong {
            field,
            len: count,
            max,
        });
    }
    if count > i.len() / elem_len_min {
        return Err(DecodeError::Truncated { field });
    }
    let mut out = Vec::with_capacity(count.min(LIST_PREALLOC_MAX));
    for _ in 0..count {
        let (rest, value) = elem(i)?;
        assert!(rest.len() < i.len(), "element parser must make progress");
        out.push(value);
        i = rest;
    }
    Ok((i, out))
}

/// Fails unless every byte was consumed.
pub fn finish(i: &[u8]) -> Result<(), DecodeError> {
    if i.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::TrailingBytes { count: i.len() })
    }
}

/// Writes a `u16`-length-prefixed string, checking `max`.
pub fn put_string(
    out: &mut BytesMut,
    field: &'static str,
    s: &str,
    max: usize,
) -> Result<(), EncodeError> {
    check_len(field, s.len(), max)?;
    out.put_u16(u16::try_from(s.len()).map_err(|_| too_long(field, s.len(), max))?);
    out.put_slice(s.as_bytes());
    Ok(())
}

/// Writes a `u32`-length-prefixed byte array, checking `max`.
pub fn put_bytes32(
    out: &mut BytesMut,
    field: &'static str,
    b: &[u8],
    max: usize,
) -> Result<(), EncodeError> {
    check_len(field, b.len(), max)?;
    out.put_u32(u32::try_from(b.len()).map_err(|_| too_long(field, b.len(), max))?);
    out.put_slice(b);
    Ok(())
}

/// Writes a `u32` count and each element, checking `max`.
pub fn put_list<T>(
    out: &mut BytesMut,
    field: &'static str,
    items: &[T],
    max: usize,
    mut elem: impl FnMut(&mut BytesMut, &T) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    check_len(field, items.len(), max)?;
    out.put_u32(u32::try_from(items.len()).map_err(|_| too_long(field, items.len(), max))?);
    for item in items {
        elem(out, item)?;
    }
    Ok(())
}

/// Fails when `len` is over `max`.
pub fn check_len(field: &'static str, len: usize, max: usize) -> Result<(), EncodeError> {
    if len > max {
        Err(too_long(field, len, max))
    } else {
        Ok(())
    }
}

fn too_long(field: &'static str, len: usize, max: usize) -> EncodeError {
    EncodeError::TooLong { field, len, max }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list count larger than the remaining bytes could hold is refused before allocating.
    #[test]
    fn list_count_bounded_by_remaining_bytes() {
        let input = [0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        let err = list(&input, "items", usize::MAX, 4, |i| u32(i, "item")).unwrap_err();
        assert_eq!(err, DecodeError::Truncated { field: "items" });
    }

    /// A string over its maximum is refused before its bytes are read.
    #[test]
    fn string_over_max_is_refused() {
        let input = [0x00, 0x05, b'a'];
        let err = string(&input, "topic", 4).unwrap_err();
        assert_eq!(
            err,
            DecodeError::TooLong {
                field: "topic",
                len: 5,
                max: 4
            }
        );
    }

    /// Invalid UTF-8 is reported, not replaced.
    #[test]
    fn string_rejects_invalid_utf8() {
        let input = [0x00, 0x02, 0xc3, 0x28];
        assert_eq!(
            string(&input, "topic", 10),
            Err(DecodeError::InvalidUtf8 { field: "topic" })
        );
    }

    /// Only 0 and 1 are booleans.
    #[test]
    fn bool_is_strict() {
        assert_eq!(
            bool(&[2], "flag"),
            Err(DecodeError::InvalidValue {
                field: "flag",
                value: 2
            })
        );
        assert_eq!(bool(&[1], "flag"), Ok((&[][..], true)));
    }
}

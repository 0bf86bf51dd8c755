//! Reading arguments that come from C and writing values back to it.
//!
//! Every pointer is checked for NULL first (a NULL gives `FERROCKET_ERR_INVALID_ARGUMENT`
//! naming the parameter); strings must be UTF-8. What the checks cannot see (a dangling
//! pointer, a string without its NUL, a length larger than the buffer) is the caller's side of
//! the contract written in the header.

use std::ffi::{CStr, CString, c_char, c_void};

use crate::error::FfiError;

/// Reads a required C string argument named `name`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded from this function's contract.
    match unsafe { opt_str_arg(ptr, name) }? {
        Some(s) => Ok(s),
        None => Err(FfiError::invalid(format!("{name} is NULL"))),
    }
}

/// Reads an optional C string argument (NULL gives `None`).
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub unsafe fn opt_str_arg<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, FfiError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: not NULL, and NUL-terminated and alive by this function's contract.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str()
        .map(Some)
        .map_err(|_| FfiError::invalid(format!("{name} is not valid UTF-8")))
}

/// Borrows the object behind a required handle argument.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` created by this library, not used mutably elsewhere
/// for `'a`.
pub unsafe fn ref_arg<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, FfiError> {
    // SAFETY: forwarded from this function's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| FfiError::invalid(format!("{name} is NULL")))
}

/// Borrows mutably the object behind a required handle argument.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` created by this library that no other thread uses
/// for `'a`.
pub unsafe fn mut_arg<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, FfiError> {
    // SAFETY: forwarded from this function's contract.
    unsafe { ptr.as_mut() }.ok_or_else(|| FfiError::invalid(format!("{name} is NULL")))
}

/// Reads a byte buffer argument: `len` bytes at `ptr`; `ptr` may be NULL only when `len` is 0.
///
/// # Safety
/// `ptr` is NULL or points to at least `len` readable bytes that outlive `'a`.
pub unsafe fn bytes_arg<'a>(
    ptr: *const c_void,
    len: usize,
    name: &str,
) -> Result<&'a [u8], FfiError> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(FfiError::invalid(format!(
            "{name} is NULL but its length is {len}"
        )));
    }
    if len > isize::MAX as usize {
        return Err(FfiError::invalid(format!(
            "{name} length {len} is too large"
        )));
    }
    // SAFETY: not NULL, `len` readable bytes by this function's contract, len ≤ isize::MAX.
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// Checks that an out-parameter is not NULL, before any work is done.
pub fn out_arg<T>(ptr: *mut T, name: &str) -> Result<(), FfiError> {
    if ptr.is_null() {
        Err(FfiError::invalid(format!("{name} is NULL")))
    } else {
        Ok(())
    }
}

/// Writes `value` to a checked out-parameter without reading (or dropping) what was there.
///
/// # Safety
/// `ptr` is not NULL and points to writable memory for a `T`.
pub unsafe fn write_out<T>(ptr: *mut T, value: T) {
    // SAFETY: forwarded from this function's contract; `write` never reads the old value, so
    // uninitialised memory or an invalid old enum value is fine.
    unsafe { ptr.write(value) }
}

/// A C string of `text`, cut at its first NUL (C cannot see past one anyway).
pub fn to_cstring(text: &str) -> CString {
    let cut = text.find('\0').map_or(text, |at| &text[..at]);
    CString::new(cut).unwrap_or_default()
}

/// Copies `text` into a fixed C char array, always NUL-terminated, cut if it does not fit.
pub fn copy_to_array(dst: &mut [c_char], text: &str) {
    assert!(!dst.is_empty(), "a C char array holds at least the NUL");
    let bytes = text.as_bytes();
    let n = bytes.len().min(dst.len() - 1);
    for (d, s) in dst.iter_mut().zip(&bytes[..n]) {
        *d = c_char::from_be_bytes([*s]); // one byte: every byte order is the same
    }
    dst[n] = 0;
}

/// Moves `value` to the heap and hands its ownership to C.
pub fn into_raw<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back ownership of an object handed to C by `into_raw`; NULL gives `None`.
///
/// # Safety
/// `ptr` is NULL or came from `into_raw::<T>` and was not taken back before.
pub unsafe fn from_raw<T>(ptr: *mut T) -> Option<Box<T>> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: forwarded from this function's contract.
        Some(unsafe { Box::from_raw(ptr) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NULL arguments are refused with the parameter's name, never dereferenced.
    #[test]
    fn null_arguments_name_the_parameter() {
        // SAFETY: NULL is allowed by the contract.
        let e = unsafe { str_arg(std::ptr::null(), "topic") }.unwrap_err();
        assert_eq!(e.message, "topic is NULL");
        // SAFETY: as above.
        let e = unsafe { ref_arg::<u32>(std::ptr::null(), "producer") }.unwrap_err();
        assert_eq!(e.message, "producer is NULL");
        // SAFETY: as above.
        let e = unsafe { bytes_arg(std::ptr::null(), 3, "body") }.unwrap_err();
        assert!(e.message.contains("body is NULL"), "{}", e.message);
        // SAFETY: a NULL buffer of length 0 is an empty slice.
        let empty = unsafe { bytes_arg(std::ptr::null(), 0, "body") };
        assert_eq!(empty, Ok(&[][..]));
    }

    /// Non-UTF-8 strings are refused; a NUL inside Rust text cuts the C string there.
    #[test]
    fn strings_convert_both_ways() {
        let bad = [0xffu8, 0xfe, 0];
        // SAFETY: `bad` is NUL-terminated.
        let e = unsafe { str_arg(bad.as_ptr().cast(), "tags") }.unwrap_err();
        assert!(e.message.contains("UTF-8"));
        assert_eq!(to_cstring("ab\0cd").as_bytes(), b"ab");
        let mut arr = [1 as c_char; 4];
        copy_to_array(&mut arr, "hello");
        assert_eq!(arr, [b'h' as c_char, b'e' as c_char, b'l' as c_char, 0]);
    }
}

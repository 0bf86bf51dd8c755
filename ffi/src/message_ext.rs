//! `ferrocket_message_ext_t`: a received message (RocketMQ's `MessageExt`) and its accessors,
//! plus `ferrocket_message_ext_decode` for one stored record.
//!
//! Strings are built once, on the first string accessor, and live as long as the message, so
//! every returned `const char *` stays valid until the message is destroyed (or, for a
//! message lent to a callback, until the callback returns). Accessors only read, so several
//! threads may call them on one message at once.

use std::ffi::{CStr, CString, c_char, c_void};
use std::sync::OnceLock;

use bytes::Bytes;
use ferrocket::MessageExt;
use ferrocket::protocol::record::decode_record;

use crate::args::{
    bytes_arg, from_raw, into_raw, out_arg, ref_arg, str_arg, to_cstring, write_out,
};
use crate::error::{FfiError, ferrocket_status_t, guard, guard_or};

/// A received message.
#[derive(Debug)]
pub struct ferrocket_message_ext_t {
    ext: MessageExt,
    strings: OnceLock<ExtStrings>,
}

/// The C strings of a message, built on first use.
#[derive(Debug)]
struct ExtStrings {
    topic: CString,
    tags: CString,
    keys: CString,
    key_list: Vec<CString>,
    msg_id: CString,
    offset_msg_id: CString,
    born_host: CString,
    store_host: CString,
    properties: Vec<(CString, CString)>,
}

impl ferrocket_message_ext_t {
    /// Wraps a received message.
    pub fn new(ext: MessageExt) -> ferrocket_message_ext_t {
        ferrocket_message_ext_t {
            ext,
            strings: OnceLock::new(),
        }
    }

    fn strings(&self) -> &ExtStrings {
        self.strings.get_or_init(|| {
            let e = &self.ext;
            ExtStrings {
                topic: to_cstring(e.topic()),
                tags: to_cstring(e.tags().unwrap_or("")),
                keys: to_cstring(&e.keys().join(" ")),
                key_list: e.keys().iter().map(|k| to_cstring(k)).collect(),
                msg_id: to_cstring(&e.msg_id.to_string()),
                offset_msg_id: to_cstring(&e.offset_msg_id()),
                born_host: to_cstring(&e.born_host.to_string()),
                store_host: to_cstring(&e.store_host.to_string()),
                properties: e
                    .message
                    .properties
                    .iter()
                    .map(|(k, v)| (to_cstring(k), to_cstring(v)))
                    .collect(),
            }
        })
    }
}

/// Hands received messages to C as an array: NULL and 0 when there are none.
pub fn into_c_array(msgs: Vec<MessageExt>) -> (*mut *mut ferrocket_message_ext_t, usize) {
    if msgs.is_empty() {
        return (std::ptr::null_mut(), 0);
    }
    let ptrs: Box<[*mut ferrocket_message_ext_t]> = msgs
        .into_iter()
        .map(|m| into_raw(ferrocket_message_ext_t::new(m)))
        .collect();
    let count = ptrs.len();
    (Box::into_raw(ptrs).cast(), count)
}

/// Reads one field of a message argument; NULL gives `fallback` and sets the last error.
///
/// # Safety
/// `msg` is NULL or a live message.
unsafe fn field<T: Copy>(
    what: &str,
    msg: *const ferrocket_message_ext_t,
    fallback: T,
    read: impl FnOnce(&ferrocket_message_ext_t) -> T,
) -> T {
    guard_or(what, fallback, || {
        // SAFETY: forwarded from this function's contract.
        let msg = unsafe { ref_arg(msg, "msg") }?;
        Ok(read(msg))
    })
}

/// Reads one string of a message argument; NULL gives NULL and sets the last error.
///
/// # Safety
/// `msg` is NULL or a live message.
unsafe fn text(
    what: &str,
    msg: *const ferrocket_message_ext_t,
    read: impl FnOnce(&ExtStrings) -> &CStr,
) -> *const c_char {
    // SAFETY: forwarded from this function's contract.
    unsafe { field(what, msg, std::ptr::null(), |m| read(m.strings()).as_ptr()) }
}

/// The topic. Ownership: borrowed from `msg` (valid while `msg` is). Threads: any thread, also
/// concurrently with other accessors. Blocks: never. NULL `msg` gives NULL.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_topic(
    msg: *const ferrocket_message_ext_t,
) -> *const c_char {
    // SAFETY: the header contract, forwarded.
    unsafe { text("ferrocket_message_ext_topic", msg, |s| &s.topic) }
}

/// The body bytes (`ferrocket_message_ext_body_len` of them; not NUL-terminated). Ownership:
/// borrowed from `msg`. Threads: any. Blocks: never. NULL `msg` gives NULL.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_body(
    msg: *const ferrocket_message_ext_t,
) -> *const u8 {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_body", msg, std::ptr::null(), |m| {
            m.ext.body().as_ptr()
        })
    }
}

/// The body length in bytes. Threads: any. Blocks: never. NULL `msg` gives 0.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_body_len(
    msg: *const ferrocket_message_ext_t,
) -> usize {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_body_len", msg, 0, |m| {
            m.ext.body().len()
        })
    }
}

/// The tag, or `""` when the message has none. Ownership: borrowed from `msg`. Threads: any.
/// Blocks: never. NULL `msg` gives NULL.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_tags(
    msg: *const ferrocket_message_ext_t,
) -> *const c_char {
    // SAFETY: the header contract, forwarded.
    unsafe { text("ferrocket_message_ext_tags", msg, |s| &s.tags) }
}

/// The keys joined by single spaces, or `""`. Ownership: borrowed from `msg`. Threads: any.
/// Blocks: never. NULL `msg` gives NULL.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_keys(
    msg: *const ferrocket_message_ext_t,
) -> *const c_char {
    // SAFETY: the header contract, forwarded.
    unsafe { text("ferrocket_message_ext_keys", msg, |s| &s.keys) }
}

/// The number of keys. Threads: any. Blocks: never. NULL `msg` gives 0.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_key_count(
    msg: *const ferrocket_message_ext_t,
) -> usize {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_key_count", msg, 0, |m| {
            m.ext.keys().len()
        })
    }
}

/// Key number `index` (0-based), or NULL when `index` is out of range. Ownership: borrowed
/// from `msg`. Threads: any. Blocks: never.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_key(
    msg: *const ferrocket_message_ext_t,
    index: usize,
) -> *const c_char {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_key", msg, std::ptr::null(), |m| {
            m.strings()
                .key_list
                .get(index)
                .map_or(std::ptr::null(), |k| k.as_ptr())
        })
    }
}

/// The value of property `key`, or NULL when the message has no such property. Ownership:
/// borrowed from `msg`. Threads: any. Blocks: never.
///
/// # Safety
/// `msg` is NULL or a live received message; `key` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_property(
    msg: *const ferrocket_message_ext_t,
    key: *const c_char,
) -> *const c_char {
    guard_or("ferrocket_message_ext_property", std::ptr::null(), || {
        // SAFETY: the header contract: NULL or a live message / a NUL-terminated string.
        let (msg, key) = unsafe { (ref_arg(msg, "msg")?, str_arg(key, "key")?) };
        let props = &msg.strings().properties;
        Ok(props
            .iter()
            .find(|(k, _)| k.to_bytes() == key.as_bytes())
            .map_or(std::ptr::null(), |(_, v)| v.as_ptr()))
    })
}

/// The number of properties. Threads: any. Blocks: never. NULL `msg` gives 0.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_property_count(
    msg: *const ferrocket_message_ext_t,
) -> usize {
    // SAFETY: the header contract, forwarded.
    unsafe {
        field("ferrocket_message_ext_property_count", msg, 0, |m| {
            m.ext.message.properties.len()
        })
    }
}

/// Property number `index` (0-based, sorted by key): sets `*key` and `*value`.
/// `FERROCKET_ERR_INVALID_ARGUMENT` for a NULL argument or an index out of range.
///
/// Ownership: both strings are borrowed from `msg`. Threads: any. Blocks: never.
///
/// # Safety
/// `msg` is NULL or a live received message; `key` and `value` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_property_at(
    msg: *const ferrocket_message_ext_t,
    index: usize,
    key: *mut *const c_char,
    value: *mut *const c_char,
) -> ferrocket_status_t {
    guard("ferrocket_message_ext_property_at", || {
        // SAFETY: the header contract: NULL or a live message.
        let msg = unsafe { ref_arg(msg, "msg") }?;
        out_arg(key, "key")?;
        out_arg(value, "value")?;
        let props = &msg.strings().properties;
        let (k, v) = props.get(index).ok_or_else(|| {
            FfiError::invalid(format!(
                "property index {index} is not below {}",
                props.len()
            ))
        })?;
        // SAFETY: both checked non-NULL above; writable by the header contract.
        unsafe {
            write_out(key, k.as_ptr());
            write_out(value, v.as_ptr());
        }
        Ok(())
    })
}

/// The producer-generated unique id (RocketMQ's `msgId`): 32 upper-case hex characters.
/// Ownership: borrowed from `msg`. Threads: any. Blocks: never. NULL `msg` gives NULL.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_msg_id(
    msg: *const ferrocket_message_ext_t,
) -> *const c_char {
    // SAFETY: the header contract, forwarded.
    unsafe { text("ferrocket_message_ext_msg_id", msg, |s| &s.msg_id) }
}

/// The broker-side id (RocketMQ's `offsetMsgId`): store host and commit-log offset in hex.
/// Ownership: borrowed from `msg`. Threads: any. Blocks: never. NULL `msg` gives NULL.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_offset_msg_id(
    msg: *const ferrocket_message_ext_t,
) -> *const c_char {
    // SAFETY: the header contract, forwarded.
    unsafe {
        text("ferrocket_message_ext_offset_msg_id", msg, |s| {
            &s.offset_msg_id
        })
    }
}

/// The producer's address as `ip:port` (`[v6]:port` for IPv6). Ownership: borrowed from
/// `msg`. Threads: any. Blocks: never. NULL `msg` gives NULL.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_born_host(
    msg: *const ferrocket_message_ext_t,
) -> *const c_char {
    // SAFETY: the header contract, forwarded.
    unsafe { text("ferrocket_message_ext_born_host", msg, |s| &s.born_host) }
}

/// The storing broker's address as `ip:port` (`[v6]:port` for IPv6). Ownership: borrowed from
/// `msg`. Threads: any. Blocks: never. NULL `msg` gives NULL.
///
/// # Safety
/// `msg` is NULL or a live received message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_store_host(
    msg: *const ferrocket_message_ext_t,
) -> *const c_char {
    // SAFETY: the header contract, forwarded.
    unsafe { text("ferrocket_message_ext_store_host", msg, |s| &s.store_host) }
}

/// Decodes one stored message record (`spec/storage.md`: both CRCs checked) of exactly `len`
/// bytes into `*out`. `FERROCKET_ERR_DECODE` when the bytes are not one valid record.
///
/// Ownership: `bytes` is copied; on success the caller owns `*out` and frees it with
/// `ferrocket_message_ext_destroy`. Threads: any. Blocks: never.
///
/// # Safety
/// `bytes` is NULL or points to `len` bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_decode(
    bytes: *const c_void,
    len: usize,
    out: *mut *mut ferrocket_message_ext_t,
) -> ferrocket_status_t {
    guard("ferrocket_message_ext_decode", || {
        out_arg(out, "out")?;
        // SAFETY: the header contract: NULL or `len` readable bytes.
        let bytes = unsafe { bytes_arg(bytes, len, "bytes") }?;
        let buf = Bytes::copy_from_slice(bytes);
        let ext = decode_record(&buf).map_err(|e| FfiError {
            status: ferrocket_status_t::FERROCKET_ERR_DECODE,
            message: format!("not a message record: {e}"),
        })?;
        if ext.store_size as usize != len {
            return Err(FfiError {
                status: ferrocket_status_t::FERROCKET_ERR_DECODE,
                message: format!("the record is {} bytes, {len} were given", ext.store_size),
            });
        }
        // SAFETY: checked non-NULL above; writable by the header contract.
        unsafe { write_out(out, into_raw(ferrocket_message_ext_t::new(ext))) };
        Ok(())
    })
}

/// Frees a received message the caller owns (one taken out of a poll array, or decoded).
/// NULL is a no-op. Never call it on a message lent to a callback.
///
/// Threads: not while another thread reads `msg`. Blocks: never.
///
/// # Safety
/// `msg` is NULL or an owned message not yet destroyed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_destroy(msg: *mut ferrocket_message_ext_t) {
    let _ = guard("ferrocket_message_ext_destroy", || {
        // SAFETY: the header contract: NULL or an owned message not yet destroyed.
        drop(unsafe { from_raw(msg) });
        Ok(())
    });
}

/// Frees an array returned by `ferrocket_pull_consumer_poll` and every message still in it.
/// To keep a message, copy its pointer and set its slot to NULL first; free it later with
/// `ferrocket_message_ext_destroy`. `msgs` NULL is a no-op.
///
/// Threads: not while another thread reads the messages. Blocks: never.
///
/// # Safety
/// `msgs` is NULL or an array from `ferrocket_pull_consumer_poll` with the `count` it gave,
/// not yet destroyed; each slot is NULL or the message the poll put there.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_ext_array_destroy(
    msgs: *mut *mut ferrocket_message_ext_t,
    count: usize,
) {
    let _ = guard("ferrocket_message_ext_array_destroy", || {
        if msgs.is_null() {
            return Ok(());
        }
        let slice = std::ptr::slice_from_raw_parts_mut(msgs, count);
        // SAFETY: the header contract: the boxed slice `into_c_array` made, with its length.
        let array = unsafe { Box::from_raw(slice) };
        for &msg in array.iter() {
            // SAFETY: each slot is NULL or an owned message put there by the poll.
            drop(unsafe { from_raw(msg) });
        }
        Ok(())
    });
}

pub mod fields;

#[cfg(test)]
mod tests;

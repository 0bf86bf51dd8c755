//! `ferrocket_message_t`: a message to send, built with `ferrocket_message_new` and setters.
//!
//! The body is copied at creation. Sending does not consume the message: it can be sent again
//! and is freed by the caller. Limits (topic name, tag, keys, body size, delay level) are the
//! client's and are reported by the send.

use std::ffi::{c_char, c_void};

use bytes::Bytes;
use ferrocket::Message;

use crate::args::{bytes_arg, from_raw, into_raw, mut_arg, str_arg};
use crate::error::{FfiError, ferrocket_status_t, guard, guard_or};

/// A message to send (topic, body, tags, keys, properties, delay, flags).
#[derive(Debug, Clone)]
pub struct ferrocket_message_t {
    pub(crate) message: Message,
}

/// Creates a message for `topic` with a copy of `len` bytes of `body` (`body` may be NULL when
/// `len` is 0; an empty body is refused at send). Returns NULL when `topic` is NULL or not
/// UTF-8, or `body` is NULL with `len` > 0; `ferrocket_last_error()` says which.
///
/// Ownership: the caller owns the result and frees it with `ferrocket_message_destroy`; the
/// body is copied, so the caller keeps its buffer. Threads: a message is not synchronised; use
/// it from one thread at a time (several threads may send the same message only if none
/// modifies it). Blocks: never.
///
/// # Safety
/// `topic` is NULL or a NUL-terminated string; `body` is NULL or points to `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_new(
    topic: *const c_char,
    body: *const c_void,
    len: usize,
) -> *mut ferrocket_message_t {
    guard_or("ferrocket_message_new", std::ptr::null_mut(), || {
        // SAFETY: the header contract: NULL or a NUL-terminated string.
        let topic = unsafe { str_arg(topic, "topic") }?;
        // SAFETY: the header contract: NULL or `len` readable bytes.
        let body = unsafe { bytes_arg(body, len, "body") }?;
        let message = Message::new(topic, Bytes::copy_from_slice(body));
        Ok(into_raw(ferrocket_message_t { message }))
    })
}

/// Runs a setter on a message argument.
///
/// # Safety
/// `msg` is NULL or a live message used by this thread only.
unsafe fn with_message(
    what: &str,
    msg: *mut ferrocket_message_t,
    set: impl FnOnce(&mut Message) -> Result<(), FfiError>,
) -> ferrocket_status_t {
    guard(what, || {
        // SAFETY: forwarded from this function's contract.
        let msg = unsafe { mut_arg(msg, "msg") }?;
        set(&mut msg.message)
    })
}

/// Sets the message's tag (one tag, used by `TagA || TagB` subscriptions).
///
/// Ownership: the string is copied. Threads: one thread at a time per message. Blocks: never.
///
/// # Safety
/// `msg` is NULL or a live message; `tags` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_set_tags(
    msg: *mut ferrocket_message_t,
    tags: *const c_char,
) -> ferrocket_status_t {
    // SAFETY: the header contract, forwarded.
    unsafe {
        with_message("ferrocket_message_set_tags", msg, |m| {
            m.tags = Some(str_arg(tags, "tags")?.to_owned());
            Ok(())
        })
    }
}

/// Sets the message's keys from a space-separated list (`"order-1 user-42"`), replacing any
/// earlier keys; each key is indexed by the broker for lookup.
///
/// Ownership: the string is copied. Threads: one thread at a time per message. Blocks: never.
///
/// # Safety
/// `msg` is NULL or a live message; `keys` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_set_keys(
    msg: *mut ferrocket_message_t,
    keys: *const c_char,
) -> ferrocket_status_t {
    // SAFETY: the header contract, forwarded.
    unsafe {
        with_message("ferrocket_message_set_keys", msg, |m| {
            let keys = str_arg(keys, "keys")?;
            m.keys = keys.split_whitespace().map(str::to_owned).collect();
            Ok(())
        })
    }
}

/// Sets one user property (also the input of SQL92 filters), replacing its earlier value.
///
/// Ownership: the strings are copied. Threads: one thread at a time per message. Blocks:
/// never.
///
/// # Safety
/// `msg` is NULL or a live message; `key` and `value` are NULL or NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_set_property(
    msg: *mut ferrocket_message_t,
    key: *const c_char,
    value: *const c_char,
) -> ferrocket_status_t {
    // SAFETY: the header contract, forwarded.
    unsafe {
        with_message("ferrocket_message_set_property", msg, |m| {
            let (key, value) = (str_arg(key, "key")?, str_arg(value, "value")?);
            if key.is_empty() {
                return Err(FfiError::invalid("property key is empty"));
            }
            m.properties.insert(key.to_owned(), value.to_owned());
            Ok(())
        })
    }
}

/// Sets RocketMQ's delay level (1..=18 for 1s 5s 10s 30s 1m … 2h; 0 = not delayed). A level
/// outside 0..=255 is refused here; one over 18 is refused by the send.
///
/// Threads: one thread at a time per message. Blocks: never.
///
/// # Safety
/// `msg` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_set_delay_level(
    msg: *mut ferrocket_message_t,
    level: i32,
) -> ferrocket_status_t {
    // SAFETY: the header contract, forwarded.
    unsafe {
        with_message("ferrocket_message_set_delay_level", msg, |m| {
            m.delay_level = u8::try_from(level)
                .map_err(|_| FfiError::invalid(format!("delay level {level} is not 0..=18")))?;
            Ok(())
        })
    }
}

/// Sets an absolute delivery time, in milliseconds since the Unix epoch (0 clears it).
///
/// Threads: one thread at a time per message. Blocks: never.
///
/// # Safety
/// `msg` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_set_delivery_time_ms(
    msg: *mut ferrocket_message_t,
    deliver_at_ms: u64,
) -> ferrocket_status_t {
    // SAFETY: the header contract, forwarded.
    unsafe {
        with_message("ferrocket_message_set_delivery_time_ms", msg, |m| {
            m.deliver_at_ms = (deliver_at_ms != 0).then_some(deliver_at_ms);
            Ok(())
        })
    }
}

/// Sets whether a SYNC_FLUSH broker waits for the disk flush before answering (default true).
///
/// Threads: one thread at a time per message. Blocks: never.
///
/// # Safety
/// `msg` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_set_wait_store_ok(
    msg: *mut ferrocket_message_t,
    wait: bool,
) -> ferrocket_status_t {
    // SAFETY: the header contract, forwarded.
    unsafe {
        with_message("ferrocket_message_set_wait_store_ok", msg, |m| {
            m.wait_store_msg_ok = wait;
            Ok(())
        })
    }
}

/// Sets the opaque user flag, stored and returned as is.
///
/// Threads: one thread at a time per message. Blocks: never.
///
/// # Safety
/// `msg` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_set_flag(
    msg: *mut ferrocket_message_t,
    flag: u32,
) -> ferrocket_status_t {
    // SAFETY: the header contract, forwarded.
    unsafe {
        with_message("ferrocket_message_set_flag", msg, |m| {
            m.flag = flag;
            Ok(())
        })
    }
}

/// Frees a message. NULL is a no-op.
///
/// Threads: not while another thread uses `msg`. Blocks: never.
///
/// # Safety
/// `msg` is NULL or a message from `ferrocket_message_new` not yet destroyed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_message_destroy(msg: *mut ferrocket_message_t) {
    let _ = guard("ferrocket_message_destroy", || {
        // SAFETY: the header contract: NULL or a message not yet destroyed.
        drop(unsafe { from_raw(msg) });
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Setters fill the Rust message; NULL message or strings give INVALID_ARGUMENT.
    #[test]
    fn setters_fill_the_message() {
        // SAFETY: valid strings and body.
        let msg = unsafe { ferrocket_message_new(c"T1".as_ptr(), b"hi".as_ptr().cast(), 2) };
        assert!(!msg.is_null());
        // SAFETY: `msg` is live; the strings are NUL-terminated.
        unsafe {
            use ferrocket_status_t::*;
            assert_eq!(
                ferrocket_message_set_tags(msg, c"TagA".as_ptr()),
                FERROCKET_OK
            );
            assert_eq!(
                ferrocket_message_set_keys(msg, c" k1  k2 ".as_ptr()),
                FERROCKET_OK
            );
            assert_eq!(
                ferrocket_message_set_property(msg, c"a".as_ptr(), c"1".as_ptr()),
                FERROCKET_OK
            );
            assert_eq!(ferrocket_message_set_delay_level(msg, 3), FERROCKET_OK);
            assert_eq!(
                ferrocket_message_set_delay_level(msg, 300),
                FERROCKET_ERR_INVALID_ARGUMENT
            );
            assert_eq!(
                ferrocket_message_set_delivery_time_ms(msg, 99),
                FERROCKET_OK
            );
            assert_eq!(
                ferrocket_message_set_wait_store_ok(msg, false),
                FERROCKET_OK
            );
            assert_eq!(ferrocket_message_set_flag(msg, 7), FERROCKET_OK);
            assert_eq!(
                ferrocket_message_set_tags(msg, std::ptr::null()),
                FERROCKET_ERR_INVALID_ARGUMENT
            );
            assert_eq!(
                ferrocket_message_set_tags(std::ptr::null_mut(), c"x".as_ptr()),
                FERROCKET_ERR_INVALID_ARGUMENT
            );
            let m = &(*msg).message;
            assert_eq!(m.body.as_ref(), b"hi");
            assert_eq!(m.tags.as_deref(), Some("TagA"));
            assert_eq!(m.keys, ["k1", "k2"]);
            assert_eq!(m.properties.get("a").map(String::as_str), Some("1"));
            assert_eq!((m.delay_level, m.deliver_at_ms, m.flag), (3, Some(99), 7));
            assert!(!m.wait_store_msg_ok);
            ferrocket_message_destroy(msg);
            ferrocket_message_destroy(std::ptr::null_mut());
        }
        // SAFETY: a NULL topic is allowed by the contract and refused.
        let none = unsafe { ferrocket_message_new(std::ptr::null(), std::ptr::null(), 0) };
        assert!(none.is_null());
        assert_eq!(crate::error::last_error_text(), "topic is NULL");
    }
}

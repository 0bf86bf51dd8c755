//! `ferrocket_producer_t`: RocketMQ's producer over `ferrocket::Producer` — sync, async,
//! oneway, orderly, to-queue and batch sends.
//!
//! Retries, routing and fault tolerance are the Rust producer's; this file converts arguments,
//! results and errors. Messages are cloned (the body is shared, not copied), so the caller
//! keeps ownership of what it sends.

use std::ffi::{c_char, c_void};

use ferrocket::{ClientError, Producer, SendResult};

use crate::args::{
    from_raw, into_raw, opt_str_arg, out_arg, ref_arg, str_arg, to_cstring, write_out,
};
use crate::config::ferrocket_config_t;
use crate::error::{FfiError, ferrocket_status_t, guard, set_last_error};
use crate::message::ferrocket_message_t;
use crate::queue::{ferrocket_message_queue_t, queue_from_c};
use crate::runtime::{ClientHandle, UserData, callback_scope, client_threads};
use crate::send_result::{batch_result_to_c, ferrocket_send_result_t, send_result_to_c};

/// A producer handle.
#[derive(Debug)]
pub struct ferrocket_producer_t {
    handle: ClientHandle<Producer>,
}

/// Called once with the outcome of `ferrocket_producer_send_async`: `status` is
/// `FERROCKET_OK` and `result` is set, or `result` is NULL and `error` says why (also the last
/// error of the calling thread). `result` and `error` are valid only during the call.
/// It runs on one of the producer's threads (`ferrocket-producer`), never on the caller's; it
/// must not block for long or throw (C++), and must not call `ferrocket_producer_shutdown` on
/// its own producer (that returns `FERROCKET_ERR_ILLEGAL_STATE`).
pub type ferrocket_send_callback_t = Option<
    unsafe extern "C" fn(
        status: ferrocket_status_t,
        result: *const ferrocket_send_result_t,
        error: *const c_char,
        user_data: *mut c_void,
    ),
>;

/// Borrows the producer and message arguments.
///
/// # Safety
/// `producer` and `msg` are NULL or live handles.
unsafe fn args<'a>(
    producer: *const ferrocket_producer_t,
    msg: *const ferrocket_message_t,
) -> Result<(&'a ClientHandle<Producer>, ferrocket::Message), FfiError> {
    // SAFETY: forwarded from this function's contract.
    let (p, m) = unsafe { (ref_arg(producer, "producer")?, ref_arg(msg, "msg")?) };
    Ok((&p.handle, m.message.clone()))
}

/// Fills `*result` from a successful send.
///
/// # Safety
/// `result` is non-NULL and writable.
unsafe fn fill(result: *mut ferrocket_send_result_t, r: &SendResult) {
    // SAFETY: forwarded from this function's contract.
    unsafe { write_out(result, send_result_to_c(r)) }
}

/// Creates a producer (not started). `group` and `namesrv` (`"host:port;host:port"`) may be
/// NULL when `conf` sets the `group` / `namesrv` keys; `conf` may be NULL for defaults.
/// `FERROCKET_ERR_INVALID_ARGUMENT` for a bad group name, an empty name server list or a bad
/// setting (the last error says which).
///
/// Ownership: on success the caller owns `*producer` and frees it with
/// `ferrocket_producer_destroy`; `conf` is copied (the caller still owns and destroys it).
/// Threads: any. Blocks: starts the producer's `client_threads` threads, never the network.
///
/// # Safety
/// `producer` is NULL or writable; `group` and `namesrv` are NULL or NUL-terminated; `conf`
/// is NULL or a live config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_producer_new(
    producer: *mut *mut ferrocket_producer_t,
    group: *const c_char,
    namesrv: *const c_char,
    conf: *const ferrocket_config_t,
) -> ferrocket_status_t {
    guard("ferrocket_producer_new", || {
        out_arg(producer, "producer")?;
        // SAFETY: the header contract: NULL or NUL-terminated strings, NULL or a live config.
        let (group, namesrv, conf) = unsafe {
            (
                opt_str_arg(group, "group")?,
                opt_str_arg(namesrv, "namesrv")?,
                conf.as_ref(),
            )
        };
        let settings = conf.map(|c| c.settings.clone()).unwrap_or_default();
        let built = settings
            .producer(settings.group(group)?, &settings.namesrv(namesrv)?)
            .build()?;
        let threads = client_threads(settings.client_threads());
        let handle = ClientHandle::new(threads, "producer", built)?;
        // SAFETY: checked non-NULL above; writable by the header contract.
        unsafe { write_out(producer, into_raw(ferrocket_producer_t { handle })) };
        Ok(())
    })
}

/// Starts the producer (route refresh and heartbeats). `FERROCKET_ERR_ALREADY_STARTED` if it
/// was started, `FERROCKET_ERR_SHUT_DOWN` after a shutdown.
///
/// Threads: any; every producer function is thread-safe unless it says otherwise. Blocks:
/// briefly (no network round trip).
///
/// # Safety
/// `producer` is NULL or a live producer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_producer_start(
    producer: *mut ferrocket_producer_t,
) -> ferrocket_status_t {
    guard("ferrocket_producer_start", || {
        // SAFETY: the header contract: NULL or a live producer.
        let p = unsafe { ref_arg(producer, "producer") }?;
        Ok(p.handle.run(|p| async move { p.start().await })?)
    })
}

/// Sends `msg` and waits for the broker's answer, retrying on another broker (`retries`)
/// within `send_timeout_ms`. On success fills `*result`. Errors: `FERROCKET_ERR_TIMEOUT`,
/// `_CONNECTION`, `_NO_ROUTE`, `_BROKER`, `_INVALID_ARGUMENT` (a bad message), `_NOT_STARTED`…
///
/// Ownership: `msg` is not consumed (send it again or destroy it); `result` is the caller's.
/// Threads: any; several threads may send at once. Blocks: up to `send_timeout_ms`.
///
/// # Safety
/// `producer` and `msg` are NULL or live handles; `result` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_producer_send(
    producer: *mut ferrocket_producer_t,
    msg: *const ferrocket_message_t,
    result: *mut ferrocket_send_result_t,
) -> ferrocket_status_t {
    guard("ferrocket_producer_send", || {
        // SAFETY: the header contract: NULL or live handles.
        let (handle, message) = unsafe { args(producer, msg) }?;
        out_arg(result, "result")?;
        let sent = handle.run(|p| async move { p.send(message).await })?;
        // SAFETY: checked non-NULL above; writable by the header contract.
        unsafe { fill(result, &sent) };
        Ok(())
    })
}

/// Starts sending `msg` and returns; `callback(status, result, error, user_data)` is called
/// exactly once with the outcome, on a producer thread (see `ferrocket_send_callback_t`), with
/// the same retries and timeout as `ferrocket_producer_send`. A non-OK return means the send
/// was not started and the callback will not be called.
///
/// Ownership: `msg` is not consumed; `user_data` is passed back untouched and must stay valid
/// until the callback has run. Threads: any. Blocks: only while `max_outstanding_async` sends
/// are in flight (back-pressure), until one finishes.
///
/// # Safety
/// `producer` and `msg` are NULL or live handles; `callback` is NULL or a valid function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_producer_send_async(
    producer: *mut ferrocket_producer_t,
    msg: *const ferrocket_message_t,
    callback: ferrocket_send_callback_t,
    user_data: *mut c_void,
) -> ferrocket_status_t {
    guard("ferrocket_producer_send_async", || {
        // SAFETY: the header contract: NULL or live handles.
        let (handle, message) = unsafe { args(producer, msg) }?;
        let callback = callback.ok_or_else(|| FfiError::invalid("callback is NULL"))?;
        let user = UserData(user_data);
        let owner = handle.id();
        let deliver = move |outcome| deliver_async(callback, user, owner, outcome);
        Ok(handle.run(|p| async move { p.send_async(message, deliver).await })?)
    })
}

fn deliver_async(
    callback: unsafe extern "C" fn(
        ferrocket_status_t,
        *const ferrocket_send_result_t,
        *const c_char,
        *mut c_void,
    ),
    user: UserData,
    owner: usize,
    outcome: Result<SendResult, ClientError>,
) {
    callback_scope(owner, || match outcome {
        Ok(sent) => {
            let result = send_result_to_c(&sent);
            // SAFETY: the caller gave a valid callback and vouches for its user data.
            unsafe {
                callback(
                    ferrocket_status_t::FERROCKET_OK,
                    &result,
                    c"".as_ptr(),
                    user.ptr(),
                )
            };
        }
        Err(e) => {
            let e = FfiError::from(e);
            set_last_error(&e.message);
            let text = to_cstring(&e.message);
            // SAFETY: as above; `text` outlives the call.
            unsafe { callback(e.status, std::ptr::null(), text.as_ptr(), user.ptr()) };
        }
    });
}

/// Sends `msg` without waiting for an answer and without retries (RocketMQ's oneway): OK
/// means the request was written, not that it was stored.
///
/// Ownership: `msg` is not consumed. Threads: any. Blocks: until the request is written (a
/// route lookup and connect on first use).
///
/// # Safety
/// `producer` and `msg` are NULL or live handles.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_producer_send_oneway(
    producer: *mut ferrocket_producer_t,
    msg: *const ferrocket_message_t,
) -> ferrocket_status_t {
    guard("ferrocket_producer_send_oneway", || {
        // SAFETY: the header contract: NULL or live handles.
        let (handle, message) = unsafe { args(producer, msg) }?;
        Ok(handle.run(|p| async move { p.send_oneway(message).await })?)
    })
}

/// Sends `msg` to the queue chosen by `sharding_key` (the same key always picks the same queue
/// while the topic's queues do not change), so messages of one key keep their order. Never
/// moved to another queue; fills `*result`.
///
/// Ownership: `msg` and `sharding_key` are not consumed. Threads: any. Blocks: up to
/// `send_timeout_ms`.
///
/// # Safety
/// `producer` and `msg` are NULL or live handles; `sharding_key` is NULL or NUL-terminated;
/// `result` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_producer_send_orderly(
    producer: *mut ferrocket_producer_t,
    msg: *const ferrocket_message_t,
    sharding_key: *const c_char,
    result: *mut ferrocket_send_result_t,
) -> ferrocket_status_t {
    guard("ferrocket_producer_send_orderly", || {
        // SAFETY: the header contract: NULL or live handles, NULL or NUL-terminated key.
        let (handle, message) = unsafe { args(producer, msg) }?;
        // SAFETY: as above.
        let key = unsafe { str_arg(sharding_key, "sharding_key") }?.to_owned();
        out_arg(result, "result")?;
        let sent = handle.run(|p| async move { p.send_orderly(message, &key).await })?;
        // SAFETY: checked non-NULL above; writable by the header contract.
        unsafe { fill(result, &sent) };
        Ok(())
    })
}

/// Sends `msg` to the queue `mq` (RocketMQ's send with a queue selector); `FERROCKET_ERR_INVALID_
/// ARGUMENT` when the message's topic is not the queue's. Fills `*result`.
///
/// Ownership: nothing is consumed. Threads: any. Blocks: up to `send_timeout_ms`.
///
/// # Safety
/// `producer` and `msg` are NULL or live handles; `mq` is NULL or a queue whose strings are
/// NUL-terminated; `result` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_producer_send_to_queue(
    producer: *mut ferrocket_producer_t,
    msg: *const ferrocket_message_t,
    mq: *const ferrocket_message_queue_t,
    result: *mut ferrocket_send_result_t,
) -> ferrocket_status_t {
    guard("ferrocket_producer_send_to_queue", || {
        // SAFETY: the header contract: NULL or live handles and a valid queue.
        let (handle, message) = unsafe { args(producer, msg) }?;
        // SAFETY: as above.
        let queue = unsafe { queue_from_c(ref_arg(mq, "mq")?) }?;
        out_arg(result, "result")?;
        let sent = handle.run(|p| async move { p.send_to_queue(message, &queue).await })?;
        // SAFETY: checked non-NULL above; writable by the header contract.
        unsafe { fill(result, &sent) };
        Ok(())
    })
}

/// Sends `count` messages of one topic as one batch to one queue: all stored, at consecutive
/// offsets in array order, or none. Fills `results[0..count]` (message `i` at
/// `results[0].queue_offset + i`). At most 1024 messages and 8 MiB encoded, no delay.
///
/// Ownership: nothing is consumed; `results` is the caller's array of `count` entries.
/// Threads: any. Blocks: up to `send_timeout_ms`.
///
/// # Safety
/// `producer` is NULL or live; `msgs` is NULL or `count` pointers to live messages; `results`
/// is NULL or `count` writable entries.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_producer_send_batch(
    producer: *mut ferrocket_producer_t,
    msgs: *const *mut ferrocket_message_t,
    count: usize,
    results: *mut ferrocket_send_result_t,
) -> ferrocket_status_t {
    guard("ferrocket_producer_send_batch", || {
        // SAFETY: the header contract: NULL or a live producer.
        let p = unsafe { ref_arg(producer, "producer") }?;
        if msgs.is_null() || count == 0 {
            return Err(FfiError::invalid("msgs is NULL or count is 0"));
        }
        out_arg(results, "results")?;
        // SAFETY: not NULL; `count` message pointers by the header contract.
        let ptrs = unsafe { std::slice::from_raw_parts(msgs, count) };
        let mut batch = Vec::new();
        for (i, m) in ptrs.iter().enumerate() {
            // SAFETY: each pointer is NULL or a live message by the header contract.
            batch.push(
                unsafe { ref_arg(m.cast_const(), &format!("msgs[{i}]")) }?
                    .message
                    .clone(),
            );
        }
        let sent = p.handle.run(|p| async move { p.send_batch(batch).await })?;
        for (i, r) in batch_result_to_c(&sent).into_iter().enumerate().take(count) {
            // SAFETY: not NULL; `count` writable entries by the header contract.
            unsafe { write_out(results.add(i), r) };
        }
        Ok(())
    })
}

/// Waits for outstanding async sends (their callbacks run), stops background tasks and closes
/// connections. Idempotent. `FERROCKET_ERR_ILLEGAL_STATE` inside this producer's own callback.
///
/// Threads: any. Blocks: until in-flight async sends finish (each within `send_timeout_ms`).
///
/// # Safety
/// `producer` is NULL or a live producer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_producer_shutdown(
    producer: *mut ferrocket_producer_t,
) -> ferrocket_status_t {
    guard("ferrocket_producer_shutdown", || {
        // SAFETY: the header contract: NULL or a live producer.
        let p = unsafe { ref_arg(producer, "producer") }?;
        p.handle.shutdown(|p| async move { p.shutdown().await })
    })
}

/// Shuts the producer down (as `ferrocket_producer_shutdown`) if needed and frees it and its
/// threads. NULL is a no-op. Called inside one of this producer's callbacks, the shutdown
/// finishes on another thread after the callback returns.
///
/// Threads: no other thread may use `producer` during or after the call. Blocks: as
/// `ferrocket_producer_shutdown`.
///
/// # Safety
/// `producer` is NULL or a producer from `ferrocket_producer_new` not yet destroyed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_producer_destroy(producer: *mut ferrocket_producer_t) {
    let _ = guard("ferrocket_producer_destroy", || {
        // SAFETY: the header contract: NULL or a producer not yet destroyed.
        if let Some(p) = unsafe { from_raw(producer) } {
            Box::new(p.handle).close(|p| async move { p.shutdown().await });
        }
        Ok(())
    });
}

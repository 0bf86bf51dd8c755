//! `ferrocket_pull_consumer_t`: RocketMQ's lite pull consumer over `ferrocket::PullConsumer` —
//! subscribe or assign, poll with a timeout, commit, seek, pause and resume.
//!
//! Fetching, buffering and offsets are the Rust consumer's; this file converts arguments,
//! messages and errors.

use std::ffi::c_char;
use std::time::Duration;

use ferrocket::{PullConsumer, Selector};

use crate::args::{from_raw, into_raw, opt_str_arg, out_arg, ref_arg, str_arg, write_out};
use crate::config::ferrocket_config_t;
use crate::error::{FfiError, ferrocket_status_t, guard};
use crate::message_ext::{ferrocket_message_ext_t, into_c_array};
use crate::queue::{ferrocket_message_queue_t, queue_from_c, queues_from_c, queues_to_c};
use crate::runtime::{ClientHandle, client_threads};

/// Longest wait of one poll (about 49 days); a larger `timeout_ms` waits this long, so a
/// deadline computed from it never overflows.
pub const FERROCKET_POLL_TIMEOUT_MS_MAX: u64 = u32::MAX as u64;
use FERROCKET_POLL_TIMEOUT_MS_MAX as POLL_TIMEOUT_MS_MAX;

/// A pull consumer handle.
#[derive(Debug)]
pub struct ferrocket_pull_consumer_t {
    handle: ClientHandle<PullConsumer>,
}

/// Borrows the consumer argument.
///
/// # Safety
/// `consumer` is NULL or a live consumer.
unsafe fn handle<'a>(
    consumer: *const ferrocket_pull_consumer_t,
) -> Result<&'a ClientHandle<PullConsumer>, FfiError> {
    // SAFETY: forwarded from this function's contract.
    Ok(&unsafe { ref_arg(consumer, "consumer") }?.handle)
}

/// Creates a pull consumer (not started). `group` and `namesrv` may be NULL when `conf` sets
/// the `group` / `namesrv` keys; `conf` may be NULL for defaults. A new group starts at the end
/// of each queue unless `consume_from` says otherwise.
///
/// Ownership: on success the caller owns `*consumer` and frees it with
/// `ferrocket_pull_consumer_destroy`; `conf` is copied. Threads: any. Blocks: starts the
/// consumer's `client_threads` threads, never the network.
///
/// # Safety
/// `consumer` is NULL or writable; `group` and `namesrv` are NULL or NUL-terminated; `conf` is
/// NULL or a live config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_new(
    consumer: *mut *mut ferrocket_pull_consumer_t,
    group: *const c_char,
    namesrv: *const c_char,
    conf: *const ferrocket_config_t,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_new", || {
        out_arg(consumer, "consumer")?;
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
            .pull_consumer(settings.group(group)?, &settings.namesrv(namesrv)?)?
            .build()?;
        let threads = client_threads(settings.client_threads());
        let handle = ClientHandle::new(threads, "consumer", built)?;
        // SAFETY: checked non-NULL above; writable by the header contract.
        unsafe { write_out(consumer, into_raw(ferrocket_pull_consumer_t { handle })) };
        Ok(())
    })
}

/// Subscribes to `topic` with a tag expression (`"*"` or `"TagA || TagB"`): every read queue
/// of the topic is read (from `_start`, or at once if started). Cannot be mixed with
/// `_assign` on one consumer.
///
/// Threads: any; every pull consumer function is thread-safe. Blocks: when started, for the
/// topic's route (up to `request_timeout_ms`).
///
/// # Safety
/// `consumer` is NULL or live; `topic` and `expression` are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_subscribe(
    consumer: *mut ferrocket_pull_consumer_t,
    topic: *const c_char,
    expression: *const c_char,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_subscribe", || {
        // SAFETY: the header contract: NULL or a live consumer and NUL-terminated strings.
        let (h, topic, expr) = unsafe {
            (
                handle(consumer)?,
                str_arg(topic, "topic")?.to_owned(),
                str_arg(expression, "expression")?.to_owned(),
            )
        };
        Ok(h.run(|c| async move { c.subscribe(&topic, &expr).await })?)
    })
}

/// Subscribes to `topic` with a SQL92 condition over the message's properties and `TAGS`
/// (for example `"a > 5 AND region IN ('eu','us')"`): only matching messages are returned. The
/// topic's brokers check the condition at once and evaluate it on every message; one they
/// cannot parse is refused (`FERROCKET_ERR_BROKER`, the last error naming the position) and
/// not kept. Cannot be mixed with `_assign` on one consumer.
///
/// Threads: any. Blocks: for the topic's route and the brokers' check (network round trips,
/// each up to `request_timeout_ms`).
///
/// # Safety
/// `consumer` is NULL or live; `topic` and `sql` are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_subscribe_sql(
    consumer: *mut ferrocket_pull_consumer_t,
    topic: *const c_char,
    sql: *const c_char,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_subscribe_sql", || {
        // SAFETY: the header contract: NULL or a live consumer and NUL-terminated strings.
        let (h, topic, sql) = unsafe {
            (
                handle(consumer)?,
                str_arg(topic, "topic")?.to_owned(),
                Selector::Sql(str_arg(sql, "sql")?.to_owned()),
            )
        };
        Ok(h.run(|c| async move { c.subscribe(&topic, sql).await })?)
    })
}

/// Reads exactly the `count` queues in `queues` (manual assignment, no group sharing),
/// replacing any earlier assignment. Cannot be mixed with `_subscribe`.
///
/// Ownership: the queues are copied. Threads: any. Blocks: never.
///
/// # Safety
/// `consumer` is NULL or live; `queues` is NULL or `count` queues with NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_assign(
    consumer: *mut ferrocket_pull_consumer_t,
    queues: *const ferrocket_message_queue_t,
    count: usize,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_assign", || {
        // SAFETY: the header contract: NULL or a live consumer, NULL or `count` queues.
        let (h, queues) = unsafe { (handle(consumer)?, queues_from_c(queues, count)?) };
        Ok(h.enter(|c| c.assign(queues))?)
    })
}

/// The queues currently read: sets `*queues` to a new array of `*count` entries (NULL and 0
/// when none).
///
/// Ownership: the caller frees the array with `ferrocket_message_queue_array_destroy`.
/// Threads: any. Blocks: never.
///
/// # Safety
/// `consumer` is NULL or live; `queues` and `count` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_assignment(
    consumer: *mut ferrocket_pull_consumer_t,
    queues: *mut *mut ferrocket_message_queue_t,
    count: *mut usize,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_assignment", || {
        // SAFETY: the header contract: NULL or a live consumer.
        let h = unsafe { handle(consumer) }?;
        out_arg(queues, "queues")?;
        out_arg(count, "count")?;
        let (array, n) = queues_to_c(&h.client().assignment());
        // SAFETY: both checked non-NULL above; writable by the header contract.
        unsafe {
            write_out(queues, array);
            write_out(count, n);
        }
        Ok(())
    })
}

/// Starts fetching the subscribed or assigned queues, heartbeats and auto-commit.
///
/// Threads: any. Blocks: for the subscribed topics' routes and a heartbeat (network round
/// trips, each up to `request_timeout_ms`).
///
/// # Safety
/// `consumer` is NULL or a live consumer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_start(
    consumer: *mut ferrocket_pull_consumer_t,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_start", || {
        // SAFETY: the header contract: NULL or a live consumer.
        let h = unsafe { handle(consumer) }?;
        Ok(h.run(|c| async move { c.start().await })?)
    })
}

/// Takes up to 1024 fetched messages, waiting up to `timeout_ms` for some (0: do not wait; a
/// negative value: the `poll_timeout_ms` setting; at most `FERROCKET_POLL_TIMEOUT_MS_MAX`). Sets `*msgs` to a new array of `*count`
/// messages in queue order (NULL and 0 when none arrived in time: still `FERROCKET_OK`).
///
/// Ownership: the caller owns the array and the messages; free both with
/// `ferrocket_message_ext_array_destroy(msgs, count)` (to keep one message longer, take it out
/// and set its slot to NULL, then free it with `ferrocket_message_ext_destroy`). Threads: any.
/// Blocks: up to the timeout.
///
/// # Safety
/// `consumer` is NULL or live; `msgs` and `count` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_poll(
    consumer: *mut ferrocket_pull_consumer_t,
    timeout_ms: i64,
    msgs: *mut *mut *mut ferrocket_message_ext_t,
    count: *mut usize,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_poll", || {
        // SAFETY: the header contract: NULL or a live consumer.
        let h = unsafe { handle(consumer) }?;
        out_arg(msgs, "msgs")?;
        out_arg(count, "count")?;
        let polled = match u64::try_from(timeout_ms) {
            Ok(ms) => {
                let timeout = Duration::from_millis(ms.min(POLL_TIMEOUT_MS_MAX));
                h.run(move |c| async move { c.poll_timeout(timeout).await })?
            }
            Err(_) => h.run(|c| async move { c.poll().await })?,
        };
        let (array, n) = into_c_array(polled);
        // SAFETY: both checked non-NULL above; writable by the header contract.
        unsafe {
            write_out(msgs, array);
            write_out(count, n);
        }
        Ok(())
    })
}

/// Commits, for every queue read, the offset after the last message `_poll` returned.
///
/// Threads: any. Blocks: one round trip per broker (up to `request_timeout_ms`).
///
/// # Safety
/// `consumer` is NULL or a live consumer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_commit(
    consumer: *mut ferrocket_pull_consumer_t,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_commit", || {
        // SAFETY: the header contract: NULL or a live consumer.
        let h = unsafe { handle(consumer) }?;
        Ok(h.run(|c| async move { c.commit().await })?)
    })
}

/// The group's committed offset of queue `mq` on the broker: sets `*offset`, or -1 when the
/// group has none.
///
/// Threads: any. Blocks: one round trip (up to `request_timeout_ms`).
///
/// # Safety
/// `consumer` is NULL or live; `mq` is NULL or a queue with NUL-terminated strings; `offset`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_committed(
    consumer: *mut ferrocket_pull_consumer_t,
    mq: *const ferrocket_message_queue_t,
    offset: *mut i64,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_committed", || {
        // SAFETY: the header contract: NULL or a live consumer and a valid queue.
        let (h, mq) = unsafe { (handle(consumer)?, queue_from_c(ref_arg(mq, "mq")?)?) };
        out_arg(offset, "offset")?;
        let committed = h.run(|c| async move { c.committed(&mq).await })?;
        let value = committed.map_or(-1, |o| i64::try_from(o).unwrap_or(i64::MAX));
        // SAFETY: checked non-NULL above; writable by the header contract.
        unsafe { write_out(offset, value) };
        Ok(())
    })
}

/// Continues queue `mq` at `offset`, dropping what was fetched but not polled (the next
/// commit sends `offset`). `FERROCKET_ERR_INVALID_ARGUMENT` if `mq` is not read.
///
/// Threads: any. Blocks: never.
///
/// # Safety
/// `consumer` is NULL or live; `mq` is NULL or a queue with NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_seek(
    consumer: *mut ferrocket_pull_consumer_t,
    mq: *const ferrocket_message_queue_t,
    offset: u64,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_seek", || {
        // SAFETY: the header contract: NULL or a live consumer and a valid queue.
        let (h, mq) = unsafe { (handle(consumer)?, queue_from_c(ref_arg(mq, "mq")?)?) };
        Ok(h.enter(|c| c.seek(&mq, offset))?)
    })
}

/// Continues queue `mq` at its lowest stored offset. Threads: any. Blocks: one round trip.
///
/// # Safety
/// `consumer` is NULL or live; `mq` is NULL or a queue with NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_seek_to_beginning(
    consumer: *mut ferrocket_pull_consumer_t,
    mq: *const ferrocket_message_queue_t,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_seek_to_beginning", || {
        // SAFETY: the header contract: NULL or a live consumer and a valid queue.
        let (h, mq) = unsafe { (handle(consumer)?, queue_from_c(ref_arg(mq, "mq")?)?) };
        Ok(h.run(|c| async move { c.seek_to_beginning(&mq).await })?)
    })
}

/// Continues queue `mq` at its end (only messages stored from now on). Threads: any. Blocks:
/// one round trip.
///
/// # Safety
/// `consumer` is NULL or live; `mq` is NULL or a queue with NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_seek_to_end(
    consumer: *mut ferrocket_pull_consumer_t,
    mq: *const ferrocket_message_queue_t,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_seek_to_end", || {
        // SAFETY: the header contract: NULL or a live consumer and a valid queue.
        let (h, mq) = unsafe { (handle(consumer)?, queue_from_c(ref_arg(mq, "mq")?)?) };
        Ok(h.run(|c| async move { c.seek_to_end(&mq).await })?)
    })
}

/// Stops fetching and returning messages of the `count` queues until `_resume`.
/// Threads: any. Blocks: never.
///
/// # Safety
/// `consumer` is NULL or live; `queues` is NULL or `count` queues with NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_pause(
    consumer: *mut ferrocket_pull_consumer_t,
    queues: *const ferrocket_message_queue_t,
    count: usize,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_pause", || {
        // SAFETY: the header contract: NULL or a live consumer, NULL or `count` queues.
        let (h, queues) = unsafe { (handle(consumer)?, queues_from_c(queues, count)?) };
        Ok(h.enter(|c| c.pause(&queues))?)
    })
}

/// Resumes queues paused by `_pause`. Threads: any. Blocks: never.
///
/// # Safety
/// `consumer` is NULL or live; `queues` is NULL or `count` queues with NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_resume(
    consumer: *mut ferrocket_pull_consumer_t,
    queues: *const ferrocket_message_queue_t,
    count: usize,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_resume", || {
        // SAFETY: the header contract: NULL or a live consumer, NULL or `count` queues.
        let (h, queues) = unsafe { (handle(consumer)?, queues_from_c(queues, count)?) };
        Ok(h.enter(|c| c.resume(&queues))?)
    })
}

/// Stops fetching, commits what `_poll` returned (with auto-commit on), stops every task and
/// closes connections. Idempotent; a poll waiting in another thread returns
/// `FERROCKET_ERR_SHUT_DOWN`.
///
/// Threads: any. Blocks: for the final commit (up to `request_timeout_ms`).
///
/// # Safety
/// `consumer` is NULL or a live consumer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_shutdown(
    consumer: *mut ferrocket_pull_consumer_t,
) -> ferrocket_status_t {
    guard("ferrocket_pull_consumer_shutdown", || {
        // SAFETY: the header contract: NULL or a live consumer.
        let h = unsafe { handle(consumer) }?;
        h.shutdown(|c| async move { c.shutdown().await })
    })
}

/// Shuts the consumer down (as `ferrocket_pull_consumer_shutdown`) if needed and frees it and
/// its threads. NULL is a no-op. Messages already polled stay valid (they are owned by the
/// caller).
///
/// Threads: no other thread may use `consumer` during or after the call. Blocks: as
/// `ferrocket_pull_consumer_shutdown`.
///
/// # Safety
/// `consumer` is NULL or a consumer from `ferrocket_pull_consumer_new` not yet destroyed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_pull_consumer_destroy(consumer: *mut ferrocket_pull_consumer_t) {
    let _ = guard("ferrocket_pull_consumer_destroy", || {
        // SAFETY: the header contract: NULL or a consumer not yet destroyed.
        if let Some(c) = unsafe { from_raw(consumer) } {
            Box::new(c.handle).close(|c| async move { c.shutdown().await });
        }
        Ok(())
    });
}

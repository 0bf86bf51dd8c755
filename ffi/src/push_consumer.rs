//! `ferrocket_push_consumer_t`: RocketMQ's push consumer over `ferrocket::PushConsumer` — the
//! consumer pulls, rebalances, retries and commits by itself and calls the application's
//! listener with batches of messages.
//!
//! Membership, rebalance, flow control, retries and offsets are the Rust consumer's; this
//! file converts arguments and errors, `client` holds the handle's state (the consumer is
//! built at `_start`, when the listener is known), and `listener` calls C from the consume
//! threads.

mod client;
mod listener;

use std::ffi::{c_char, c_void};

use ferrocket::Selector;

use crate::args::{from_raw, into_raw, opt_str_arg, out_arg, ref_arg, str_arg, write_out};
use crate::config::ferrocket_config_t;
use crate::error::{FfiError, ferrocket_status_t, guard};
use crate::queue::{ferrocket_message_queue_t, queues_to_c};
use crate::runtime::{ClientHandle, UserData, client_threads};

use client::PushClient;
pub use listener::{
    CListener, ferrocket_consume_concurrently_context_t, ferrocket_consume_orderly_context_t,
    ferrocket_consume_orderly_status_t, ferrocket_consume_status_t,
    ferrocket_listener_concurrently_t, ferrocket_listener_orderly_t,
};

/// A push consumer handle.
#[derive(Debug)]
pub struct ferrocket_push_consumer_t {
    handle: ClientHandle<PushClient>,
}

/// Borrows the consumer argument.
///
/// # Safety
/// `consumer` is NULL or a live consumer.
unsafe fn handle<'a>(
    consumer: *const ferrocket_push_consumer_t,
) -> Result<&'a ClientHandle<PushClient>, FfiError> {
    // SAFETY: forwarded from this function's contract.
    Ok(&unsafe { ref_arg(consumer, "consumer") }?.handle)
}

/// Creates a push consumer (not started) of consumer group `group`. `group` and `namesrv` may
/// be NULL when `conf` sets the `group` / `namesrv` keys; `conf` may be NULL for defaults
/// (clustering, 20 consume threads, 1 message per call, new groups start at the end of each
/// queue, 16 redeliveries before the dead-letter queue). `FERROCKET_ERR_INVALID_ARGUMENT` for a
/// bad group name, name server list or setting (the last error says which).
///
/// Ownership: on success the caller owns `*consumer` and frees it with
/// `ferrocket_push_consumer_destroy`; `conf` is copied. Threads: any. Blocks: starts the
/// consumer's `client_threads` threads, never the network.
///
/// # Safety
/// `consumer` is NULL or writable; `group` and `namesrv` are NULL or NUL-terminated; `conf` is
/// NULL or a live config.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_push_consumer_new(
    consumer: *mut *mut ferrocket_push_consumer_t,
    group: *const c_char,
    namesrv: *const c_char,
    conf: *const ferrocket_config_t,
) -> ferrocket_status_t {
    guard("ferrocket_push_consumer_new", || {
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
        let (group, namesrv) = (settings.group(group)?, settings.namesrv(namesrv)?);
        let threads = client_threads(settings.client_threads());
        let client = PushClient::new(settings, group, namesrv)?;
        let handle = ClientHandle::new(threads, "consumer", client)?;
        // SAFETY: checked non-NULL above; writable by the header contract.
        unsafe { write_out(consumer, into_raw(ferrocket_push_consumer_t { handle })) };
        Ok(())
    })
}

/// Subscribes to `topic` with a tag expression (`"*"` for every message, `"TagA || TagB"`),
/// replacing an earlier subscription of the topic. Before `_start` it is recorded; after, the
/// consumer rebalances at once. `FERROCKET_ERR_INVALID_ARGUMENT` for a bad topic name or an
/// expression naming no tag.
///
/// Ownership: the strings are copied. Threads: any; every push consumer function is
/// thread-safe. Blocks: never.
///
/// # Safety
/// `consumer` is NULL or live; `topic` and `expression` are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_push_consumer_subscribe(
    consumer: *mut ferrocket_push_consumer_t,
    topic: *const c_char,
    expression: *const c_char,
) -> ferrocket_status_t {
    guard("ferrocket_push_consumer_subscribe", || {
        // SAFETY: the header contract: NULL or a live consumer and NUL-terminated strings.
        let (h, topic, expr) = unsafe {
            (
                handle(consumer)?,
                str_arg(topic, "topic")?,
                str_arg(expression, "expression")?,
            )
        };
        h.client().subscribe(topic, Selector::Tag(expr.to_owned()))
    })
}

/// Subscribes to `topic` with a SQL92 condition over the message's properties and `TAGS`
/// (for example `"a > 5 AND region IN ('eu','us')"`), replacing an earlier subscription of
/// the topic. The broker evaluates it (the broker must allow SQL92 filters, the default) and
/// refuses a condition it cannot parse: the refusal is logged, and the topic delivers nothing
/// to this consumer until it subscribes again with a valid condition.
///
/// Ownership: the strings are copied. Threads: any. Blocks: never.
///
/// # Safety
/// `consumer` is NULL or live; `topic` and `sql` are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_push_consumer_subscribe_sql(
    consumer: *mut ferrocket_push_consumer_t,
    topic: *const c_char,
    sql: *const c_char,
) -> ferrocket_status_t {
    guard("ferrocket_push_consumer_subscribe_sql", || {
        // SAFETY: the header contract: NULL or a live consumer and NUL-terminated strings.
        let (h, topic, sql) = unsafe {
            (
                handle(consumer)?,
                str_arg(topic, "topic")?,
                str_arg(sql, "sql")?,
            )
        };
        h.client().subscribe(topic, Selector::Sql(sql.to_owned()))
    })
}

/// Sets the listener to a concurrent one (see `ferrocket_listener_concurrently_t`: which
/// threads call it and what it may do), replacing an earlier listener. Only before `_start`
/// (`FERROCKET_ERR_ILLEGAL_STATE` after); `FERROCKET_ERR_INVALID_ARGUMENT` for a NULL callback.
///
/// Ownership: `user_data` is passed to every call untouched; it must stay valid until
/// `ferrocket_push_consumer_shutdown` or `_destroy` has returned (no call runs after that).
/// Threads: any. Blocks: never.
///
/// # Safety
/// `consumer` is NULL or live; `callback` is NULL or a valid function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_push_consumer_set_listener_concurrently(
    consumer: *mut ferrocket_push_consumer_t,
    callback: ferrocket_listener_concurrently_t,
    user_data: *mut c_void,
) -> ferrocket_status_t {
    guard("ferrocket_push_consumer_set_listener_concurrently", || {
        // SAFETY: the header contract: NULL or a live consumer.
        let h = unsafe { handle(consumer) }?;
        let callback = callback.ok_or_else(|| FfiError::invalid("callback is NULL"))?;
        let listener = CListener::Concurrently(callback, UserData(user_data));
        h.client().set_listener(listener)
    })
}

/// Sets the listener to an orderly one (see `ferrocket_listener_orderly_t`: serialised per
/// queue, in queue order), replacing an earlier listener. Only before `_start`. Without
/// `max_reconsume_times`, an orderly batch is retried in place without limit.
///
/// Ownership: as `ferrocket_push_consumer_set_listener_concurrently`. Threads: any. Blocks:
/// never.
///
/// # Safety
/// `consumer` is NULL or live; `callback` is NULL or a valid function.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_push_consumer_set_listener_orderly(
    consumer: *mut ferrocket_push_consumer_t,
    callback: ferrocket_listener_orderly_t,
    user_data: *mut c_void,
) -> ferrocket_status_t {
    guard("ferrocket_push_consumer_set_listener_orderly", || {
        // SAFETY: the header contract: NULL or a live consumer.
        let h = unsafe { handle(consumer) }?;
        let callback = callback.ok_or_else(|| FfiError::invalid("callback is NULL"))?;
        let listener = CListener::Orderly(callback, UserData(user_data));
        h.client().set_listener(listener)
    })
}

/// Joins the group (heartbeats the brokers of the subscribed topics), takes this member's
/// queues and starts calling the listener. A subscribed topic with no route yet does not fail
/// the start: it is asked for again every 500 ms and consumed once it exists.
/// `FERROCKET_ERR_INVALID_ARGUMENT` without a listener, `_ALREADY_STARTED`, `_SHUT_DOWN`.
///
/// Threads: any. Blocks: for the routes, a heartbeat and the first rebalance (network round
/// trips, each up to `request_timeout_ms`).
///
/// # Safety
/// `consumer` is NULL or a live consumer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_push_consumer_start(
    consumer: *mut ferrocket_push_consumer_t,
) -> ferrocket_status_t {
    guard("ferrocket_push_consumer_start", || {
        // SAFETY: the header contract: NULL or a live consumer.
        let h = unsafe { handle(consumer) }?;
        let owner = h.id();
        h.run(move |c| c.start(owner))
    })
}

/// The queues this member consumes now: sets `*queues` to a new array of `*count` entries
/// (NULL and 0 when none, also before `_start`).
///
/// Ownership: the caller frees the array with `ferrocket_message_queue_array_destroy`.
/// Threads: any. Blocks: never.
///
/// # Safety
/// `consumer` is NULL or live; `queues` and `count` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_push_consumer_assignment(
    consumer: *mut ferrocket_push_consumer_t,
    queues: *mut *mut ferrocket_message_queue_t,
    count: *mut usize,
) -> ferrocket_status_t {
    guard("ferrocket_push_consumer_assignment", || {
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

/// Stops pulling, lets the consume threads finish the messages already handed to them (up to
/// `await_termination_ms`, default 30 s), commits offsets, releases orderly queue locks and
/// leaves the group (the other members rebalance at once); then waits until no listener call
/// is running. When it returns the listener is not running and will not be called again.
/// Idempotent; before `_start` it only marks the consumer shut down.
/// `FERROCKET_ERR_ILLEGAL_STATE` inside this consumer's own listener (it would wait for
/// itself).
///
/// Threads: any. Blocks: until running listener calls return and the final commits are sent.
///
/// # Safety
/// `consumer` is NULL or a live consumer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_push_consumer_shutdown(
    consumer: *mut ferrocket_push_consumer_t,
) -> ferrocket_status_t {
    guard("ferrocket_push_consumer_shutdown", || {
        // SAFETY: the header contract: NULL or a live consumer.
        let h = unsafe { handle(consumer) }?;
        h.shutdown(|c| c.shutdown())
    })
}

/// Shuts the consumer down (as `ferrocket_push_consumer_shutdown`) if needed and frees it and
/// its threads. NULL is a no-op. Called inside this consumer's own listener, the shutdown
/// finishes on another thread after the listener returns.
///
/// Threads: no other thread may use `consumer` during or after the call. Blocks: as
/// `ferrocket_push_consumer_shutdown`.
///
/// # Safety
/// `consumer` is NULL or a consumer from `ferrocket_push_consumer_new` not yet destroyed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_push_consumer_destroy(consumer: *mut ferrocket_push_consumer_t) {
    let _ = guard("ferrocket_push_consumer_destroy", || {
        // SAFETY: the header contract: NULL or a consumer not yet destroyed.
        if let Some(c) = unsafe { from_raw(consumer) } {
            Box::new(c.handle).close(|c| c.shutdown());
        }
        Ok(())
    });
}

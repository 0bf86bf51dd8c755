//! `ferrocket_transaction_producer_t`: RocketMQ's transactional producer over
//! `ferrocket::TransactionProducer` — half message, local transaction (the execute callback),
//! commit or rollback, and the broker's check-backs (the check callback).
//!
//! The protocol, retries and check-back queue are the Rust producer's; this file converts
//! arguments, results and errors, and `listener` calls C.

mod listener;

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use ferrocket::{TransactionProducer, TransactionSendResult};

use crate::args::{from_raw, into_raw, opt_str_arg, out_arg, ref_arg, write_out};
use crate::config::ferrocket_config_t;
use crate::error::{FfiError, ferrocket_status_t, guard};
use crate::gate::CallbackGate;
use crate::message::ferrocket_message_t;
use crate::runtime::{ClientHandle, UserData, client_threads};
use crate::send_result::{ferrocket_send_result_t, send_result_to_c};

pub use listener::{
    CTransactionListener, TxArg, ferrocket_transaction_check_t, ferrocket_transaction_execute_t,
    ferrocket_transaction_state_t,
};

/// A transaction producer handle.
#[derive(Debug)]
pub struct ferrocket_transaction_producer_t {
    handle: ClientHandle<TxClient>,
}

/// The producer and the gate its callbacks pass.
#[derive(Debug)]
pub struct TxClient {
    producer: TransactionProducer,
    gate: Arc<CallbackGate>,
}

impl TxClient {
    async fn shutdown(self: Arc<Self>) {
        self.producer.shutdown().await;
        let gate = self.gate.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || gate.close_and_wait()).await {
            tracing::error!(error = %e, "waiting for the transaction callbacks failed");
        }
    }
}

/// What `ferrocket_transaction_producer_send_in_transaction` did. The caller allocates it;
/// nothing in it needs freeing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ferrocket_transaction_send_result_t {
    /// Where the half message went (its `msg_id` identifies the transaction).
    pub send: ferrocket_send_result_t,
    /// What the execute callback answered (`FERROCKET_TRANSACTION_ROLLBACK` without calling it
    /// when the half message was not stored as `FERROCKET_SEND_OK`).
    pub local_state: ferrocket_transaction_state_t,
}

/// Borrows the producer argument.
///
/// # Safety
/// `producer` is NULL or a live producer.
unsafe fn handle<'a>(
    producer: *const ferrocket_transaction_producer_t,
) -> Result<&'a ClientHandle<TxClient>, FfiError> {
    // SAFETY: forwarded from this function's contract.
    Ok(&unsafe { ref_arg(producer, "producer") }?.handle)
}

/// Creates a transaction producer (not started) of producer group `group`, with its two
/// callbacks (see `ferrocket_transaction_execute_t` and `ferrocket_transaction_check_t`: which
/// thread calls each). `group` and `namesrv` may be NULL when `conf` sets the `group` /
/// `namesrv` keys; `conf` may be NULL for defaults (the producer keys apply).
/// `FERROCKET_ERR_INVALID_ARGUMENT` for a NULL callback, a bad group name, name server list or
/// setting.
///
/// Ownership: on success the caller owns `*producer` and frees it with
/// `ferrocket_transaction_producer_destroy`; `conf` is copied; `user_data` is passed to every
/// callback untouched and must stay valid until `_shutdown` or `_destroy` has returned.
/// Threads: any. Blocks: starts the producer's `client_threads` threads, never the network.
///
/// # Safety
/// `producer` is NULL or writable; `group` and `namesrv` are NULL or NUL-terminated; `conf` is
/// NULL or a live config; `execute` and `check` are NULL or valid functions.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_transaction_producer_new(
    producer: *mut *mut ferrocket_transaction_producer_t,
    group: *const c_char,
    namesrv: *const c_char,
    conf: *const ferrocket_config_t,
    execute: ferrocket_transaction_execute_t,
    check: ferrocket_transaction_check_t,
    user_data: *mut c_void,
) -> ferrocket_status_t {
    guard("ferrocket_transaction_producer_new", || {
        out_arg(producer, "producer")?;
        let execute = execute.ok_or_else(|| FfiError::invalid("execute is NULL"))?;
        let check = check.ok_or_else(|| FfiError::invalid("check is NULL"))?;
        // SAFETY: the header contract: NULL or NUL-terminated strings, NULL or a live config.
        let (group, namesrv, conf) = unsafe {
            (
                opt_str_arg(group, "group")?,
                opt_str_arg(namesrv, "namesrv")?,
                conf.as_ref(),
            )
        };
        let settings = conf.map(|c| c.settings.clone()).unwrap_or_default();
        let builder = settings.producer(settings.group(group)?, &settings.namesrv(namesrv)?);
        let gate = Arc::new(CallbackGate::default());
        let listener = CTransactionListener::new(execute, check, UserData(user_data), gate.clone());
        let owner = listener.owner.clone();
        let producer_built = TransactionProducer::new(builder, Arc::new(listener))?;
        let client = TxClient {
            producer: producer_built,
            gate,
        };
        let threads = client_threads(settings.client_threads());
        let handle = ClientHandle::new(threads, "txproducer", client)?;
        assert!(owner.set(handle.id()).is_ok(), "the owner is set once");
        let made = into_raw(ferrocket_transaction_producer_t { handle });
        // SAFETY: checked non-NULL above; writable by the header contract.
        unsafe { write_out(producer, made) };
        Ok(())
    })
}

/// Starts the producer and its check-back answering. `FERROCKET_ERR_ALREADY_STARTED` if it
/// was started, `FERROCKET_ERR_SHUT_DOWN` after a shutdown.
///
/// Threads: any; every transaction producer function is thread-safe. Blocks: briefly.
///
/// # Safety
/// `producer` is NULL or a live producer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_transaction_producer_start(
    producer: *mut ferrocket_transaction_producer_t,
) -> ferrocket_status_t {
    guard("ferrocket_transaction_producer_start", || {
        // SAFETY: the header contract: NULL or a live producer.
        let h = unsafe { handle(producer) }?;
        Ok(h.run(|c| async move { c.producer.start().await })?)
    })
}

/// Sends `msg` as a half message (kept from consumers), runs the execute callback with `msg`
/// and `arg` on this thread, and tells the broker its answer: commit makes the message
/// visible, rollback discards it, unknown leaves it to the check callback. Fills `*result`.
/// Errors are those of `ferrocket_producer_send` (the half message was not stored; the execute
/// callback did not run), and `FERROCKET_ERR_INVALID_ARGUMENT` for a delayed message.
///
/// Ownership: `msg` is not consumed; `arg` is passed to the execute callback untouched.
/// Threads: any; several threads may send at once. Blocks: up to `send_timeout_ms`, plus the
/// execute callback.
///
/// # Safety
/// `producer` and `msg` are NULL or live handles; `result` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_transaction_producer_send_in_transaction(
    producer: *mut ferrocket_transaction_producer_t,
    msg: *const ferrocket_message_t,
    arg: *mut c_void,
    result: *mut ferrocket_transaction_send_result_t,
) -> ferrocket_status_t {
    guard("ferrocket_transaction_producer_send_in_transaction", || {
        // SAFETY: the header contract: NULL or live handles.
        let (h, m) = unsafe { (handle(producer)?, ref_arg(msg, "msg")?) };
        out_arg(result, "result")?;
        let message = m.message.clone();
        let tx = TxArg { msg, arg };
        let sent =
            h.run(
                move |c| async move { c.producer.send_message_in_transaction(message, &tx).await },
            )?;
        // SAFETY: checked non-NULL above; writable by the header contract.
        unsafe { write_out(result, transaction_result_to_c(&sent)) };
        Ok(())
    })
}

fn transaction_result_to_c(sent: &TransactionSendResult) -> ferrocket_transaction_send_result_t {
    ferrocket_transaction_send_result_t {
        send: send_result_to_c(&sent.send),
        local_state: listener::state_to_c(sent.local_state),
    }
}

/// Stops answering check-backs and shuts the producer down, then waits until no callback is
/// running; none is called after it returns. Idempotent. `FERROCKET_ERR_ILLEGAL_STATE` inside
/// one of this producer's callbacks.
///
/// Threads: any. Blocks: until a running check callback returns.
///
/// # Safety
/// `producer` is NULL or a live producer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_transaction_producer_shutdown(
    producer: *mut ferrocket_transaction_producer_t,
) -> ferrocket_status_t {
    guard("ferrocket_transaction_producer_shutdown", || {
        // SAFETY: the header contract: NULL or a live producer.
        let h = unsafe { handle(producer) }?;
        h.shutdown(|c| c.shutdown())
    })
}

/// Shuts the producer down (as `ferrocket_transaction_producer_shutdown`) if needed and frees
/// it and its threads. NULL is a no-op. Called inside the check callback, the shutdown
/// finishes on another thread after it returns; never call it inside the execute callback
/// (the send that runs it still uses the producer).
///
/// Threads: no other thread may use `producer` during or after the call. Blocks: as
/// `ferrocket_transaction_producer_shutdown`.
///
/// # Safety
/// `producer` is NULL or a producer from `ferrocket_transaction_producer_new` not yet
/// destroyed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_transaction_producer_destroy(
    producer: *mut ferrocket_transaction_producer_t,
) {
    let _ = guard("ferrocket_transaction_producer_destroy", || {
        // SAFETY: the header contract: NULL or a producer not yet destroyed.
        if let Some(p) = unsafe { from_raw(producer) } {
            Box::new(p.handle).close(|c| c.shutdown());
        }
        Ok(())
    });
}

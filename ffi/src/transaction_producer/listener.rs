//! The transaction producer's C callbacks: `ferrocket_transaction_state_t`, the execute and
//! check callback types, and the adapter implementing the Rust `TransactionListener` by
//! calling them under the handle's `CallbackGate` and `callback_scope`.

use std::any::Any;
use std::ffi::c_void;
use std::sync::{Arc, OnceLock};

use ferrocket::{LocalTransactionState, Message, MessageExt, TransactionListener};

use crate::gate::CallbackGate;
use crate::message::ferrocket_message_t;
use crate::message_ext::ferrocket_message_ext_t;
use crate::runtime::{UserData, callback_scope};

/// How a local transaction ended (RocketMQ's `LocalTransactionState`); the execute and check
/// callbacks return one of these values as an `int32_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ferrocket_transaction_state_t {
    /// Make the message visible to consumers.
    FERROCKET_TRANSACTION_COMMIT = 0,
    /// Discard the message.
    FERROCKET_TRANSACTION_ROLLBACK = 1,
    /// Not known yet: the broker asks the check callback later (first after the broker's
    /// `transaction_timeout_ms`, default 6 s, then every `transaction_check_interval_ms`).
    FERROCKET_TRANSACTION_UNKNOWN = 2,
}

/// Runs the local transaction of a half message just stored, and returns a
/// `ferrocket_transaction_state_t` value (any other number counts as
/// `FERROCKET_TRANSACTION_UNKNOWN`, so the broker checks back). `msg` is the message given to
/// `ferrocket_transaction_producer_send_in_transaction` (the very pointer) and `arg` its `arg`.
/// It runs on the thread that called `_send_in_transaction`, inside that call (or on one of
/// the producer's threads when that call was made from inside another ferrocket callback).
/// It must not call `_shutdown` or `_destroy` of its own producer; it must not throw (C++).
pub type ferrocket_transaction_execute_t = Option<
    unsafe extern "C" fn(
        msg: *const ferrocket_message_t,
        arg: *mut c_void,
        user_data: *mut c_void,
    ) -> i32,
>;

/// Says how the local transaction of a half message ended, when the broker asks (it got
/// `FERROCKET_TRANSACTION_UNKNOWN`, or no answer); returns a `ferrocket_transaction_state_t`
/// value (any other number counts as UNKNOWN: the broker asks again, up to its
/// `transaction_check_max`). `msg` is the half message (its msg id, keys and properties
/// identify the transaction), lent for the call only. Any producer of the group may be asked,
/// also about another producer's messages. It runs on one of the producer's threads
/// (`ferrocket-txproducer`), one check at a time; it may call blocking ferrocket functions,
/// except its own producer's `_shutdown`; it must not throw (C++).
pub type ferrocket_transaction_check_t = Option<
    unsafe extern "C" fn(msg: *const ferrocket_message_ext_t, user_data: *mut c_void) -> i32,
>;

type ExecuteFn = unsafe extern "C" fn(*const ferrocket_message_t, *mut c_void, *mut c_void) -> i32;
type CheckFn = unsafe extern "C" fn(*const ferrocket_message_ext_t, *mut c_void) -> i32;

/// What `_send_in_transaction` hands the listener as its `arg`: the caller's message pointer
/// and `arg`, given back to the execute callback untouched.
#[derive(Debug)]
pub struct TxArg {
    /// The message the caller passed.
    pub msg: *const ferrocket_message_t,
    /// The caller's `arg`.
    pub arg: *mut c_void,
}

// SAFETY: the library never dereferences either pointer; it only hands them back to the
// caller's execute callback, which runs while the caller's `_send_in_transaction` (which
// borrows both) is still running.
unsafe impl Send for TxArg {}
// SAFETY: as above: the pointers are only copied.
unsafe impl Sync for TxArg {}

/// The C callbacks as a Rust `TransactionListener`.
#[derive(Debug)]
pub struct CTransactionListener {
    execute: ExecuteFn,
    check: CheckFn,
    user: UserData,
    /// The handle's id, set once the handle exists (before any callback can run).
    pub owner: Arc<OnceLock<usize>>,
    gate: Arc<CallbackGate>,
}

impl CTransactionListener {
    /// Binds the callbacks; `gate` is the handle's.
    pub fn new(
        execute: ExecuteFn,
        check: CheckFn,
        user: UserData,
        gate: Arc<CallbackGate>,
    ) -> CTransactionListener {
        CTransactionListener {
            execute,
            check,
            user,
            owner: Arc::new(OnceLock::new()),
            gate,
        }
    }

    fn owner(&self) -> usize {
        self.owner.get().copied().unwrap_or(0)
    }
}

impl TransactionListener for CTransactionListener {
    fn execute_local_transaction(
        &self,
        _msg: &Message,
        arg: &(dyn Any + Send + Sync),
    ) -> LocalTransactionState {
        let Some(tx) = arg.downcast_ref::<TxArg>() else {
            tracing::error!("a transactional send without its C arguments; left unknown");
            return LocalTransactionState::Unknown;
        };
        let Some(_pass) = self.gate.enter() else {
            return LocalTransactionState::Unknown;
        };
        let code = callback_scope(self.owner(), || {
            // SAFETY: the caller registered a valid callback and vouches for its user data;
            // `tx.msg` is the caller's live message, borrowed by the running send.
            unsafe { (self.execute)(tx.msg, tx.arg, self.user.ptr()) }
        });
        transaction_state(code)
    }

    fn check_local_transaction(&self, msg: &MessageExt) -> LocalTransactionState {
        let Some(_pass) = self.gate.enter() else {
            return LocalTransactionState::Unknown;
        };
        let lent = ferrocket_message_ext_t::new(msg.clone());
        let code = callback_scope(self.owner(), || {
            // SAFETY: as above; `lent` outlives the call.
            unsafe { (self.check)(&lent, self.user.ptr()) }
        });
        transaction_state(code)
    }
}

/// Reads a callback's return value; a number that is no state counts as unknown.
pub fn transaction_state(code: i32) -> LocalTransactionState {
    use ferrocket_transaction_state_t::*;
    match code {
        c if c == FERROCKET_TRANSACTION_COMMIT as i32 => LocalTransactionState::Commit,
        c if c == FERROCKET_TRANSACTION_ROLLBACK as i32 => LocalTransactionState::Rollback,
        c if c == FERROCKET_TRANSACTION_UNKNOWN as i32 => LocalTransactionState::Unknown,
        other => {
            tracing::error!(
                returned = other,
                "a C transaction callback returned no ferrocket_transaction_state_t; the \
                 transaction is left unknown (the broker will check back)"
            );
            LocalTransactionState::Unknown
        }
    }
}

/// The C value of a local transaction state.
pub fn state_to_c(state: LocalTransactionState) -> ferrocket_transaction_state_t {
    use ferrocket_transaction_state_t::*;
    match state {
        LocalTransactionState::Commit => FERROCKET_TRANSACTION_COMMIT,
        LocalTransactionState::Rollback => FERROCKET_TRANSACTION_ROLLBACK,
        LocalTransactionState::Unknown => FERROCKET_TRANSACTION_UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Return values are validated: 0, 1 and 2 mean what they say, anything else is unknown;
    /// and every state has its C value.
    #[test]
    fn states_are_validated() {
        assert_eq!(transaction_state(0), LocalTransactionState::Commit);
        assert_eq!(transaction_state(1), LocalTransactionState::Rollback);
        assert_eq!(transaction_state(2), LocalTransactionState::Unknown);
        for bad in [-1, 3, i32::MAX, i32::MIN] {
            assert_eq!(transaction_state(bad), LocalTransactionState::Unknown);
        }
        for state in [
            LocalTransactionState::Commit,
            LocalTransactionState::Rollback,
            LocalTransactionState::Unknown,
        ] {
            assert_eq!(transaction_state(state_to_c(state) as i32), state);
        }
    }
}

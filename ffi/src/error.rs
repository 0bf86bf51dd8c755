//! Statuses and errors at the C boundary: `ferrocket_status_t`, the one place that maps
//! `ClientError::code()` to it, the thread-local last-error text, and `guard`, which runs every
//! exported body under `catch_unwind` so no panic ever crosses into C.
//!
//! The status numbers 1..=11 are `ClientError`'s stable codes, so the C, Python and Node SDKs
//! agree on them; numbers from 100 up are the C ABI's own (a panic, a call made where it would
//! deadlock, a client code this build does not know).

use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use ferrocket::ClientError;

/// What every fallible `ferrocket_*` function returns. `FERROCKET_OK` is 0; the others name
/// why the call failed, and `ferrocket_last_error()` gives the detail on the calling thread.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ferrocket_status_t {
    /// Success.
    FERROCKET_OK = 0,
    /// The operation did not complete within its time budget (retriable).
    FERROCKET_ERR_TIMEOUT = 1,
    /// A TCP connection could not be made or was lost (retriable; check the address).
    FERROCKET_ERR_CONNECTION = 2,
    /// The broker or name server answered with a failure status (the detail names it).
    FERROCKET_ERR_BROKER = 3,
    /// No broker serves the topic: create it or check the name servers.
    FERROCKET_ERR_NO_ROUTE = 4,
    /// An argument is invalid: NULL, a bad name, an unknown config key, an out-of-range value.
    FERROCKET_ERR_INVALID_ARGUMENT = 5,
    /// Bytes could not be decoded (a peer of another version, or a corrupt record).
    FERROCKET_ERR_DECODE = 6,
    /// A value is over a wire limit.
    FERROCKET_ERR_ENCODE = 7,
    /// The client is shut down; create a new one.
    FERROCKET_ERR_SHUT_DOWN = 8,
    /// The client is not started: call its `_start` first.
    FERROCKET_ERR_NOT_STARTED = 9,
    /// `_start` was called twice.
    FERROCKET_ERR_ALREADY_STARTED = 10,
    /// The peer answered with the wrong kind of response (a peer bug).
    FERROCKET_ERR_UNEXPECTED_RESPONSE = 11,
    /// The library hit an internal bug (a Rust panic, caught at the boundary); the detail says
    /// where. The handle may be unusable: destroy it.
    FERROCKET_ERR_PANIC = 100,
    /// The call is not allowed from where it was made (for example a handle's `_shutdown` from
    /// inside one of that handle's callbacks, which would wait for itself).
    FERROCKET_ERR_ILLEGAL_STATE = 101,
    /// The client failed with an error code this build of the C SDK does not know.
    FERROCKET_ERR_UNKNOWN = 102,
}

use ferrocket_status_t::*;

impl ferrocket_status_t {
    /// Every status, in numeric order, for tables and tests.
    pub(crate) const ALL: [ferrocket_status_t; 15] = [
        FERROCKET_OK,
        FERROCKET_ERR_TIMEOUT,
        FERROCKET_ERR_CONNECTION,
        FERROCKET_ERR_BROKER,
        FERROCKET_ERR_NO_ROUTE,
        FERROCKET_ERR_INVALID_ARGUMENT,
        FERROCKET_ERR_DECODE,
        FERROCKET_ERR_ENCODE,
        FERROCKET_ERR_SHUT_DOWN,
        FERROCKET_ERR_NOT_STARTED,
        FERROCKET_ERR_ALREADY_STARTED,
        FERROCKET_ERR_UNEXPECTED_RESPONSE,
        FERROCKET_ERR_PANIC,
        FERROCKET_ERR_ILLEGAL_STATE,
        FERROCKET_ERR_UNKNOWN,
    ];

    /// The status for a client error code (`ClientError::code`).
    pub fn from_client_code(code: u16) -> ferrocket_status_t {
        match code {
            1 => FERROCKET_ERR_TIMEOUT,
            2 => FERROCKET_ERR_CONNECTION,
            3 => FERROCKET_ERR_BROKER,
            4 => FERROCKET_ERR_NO_ROUTE,
            5 => FERROCKET_ERR_INVALID_ARGUMENT,
            6 => FERROCKET_ERR_DECODE,
            7 => FERROCKET_ERR_ENCODE,
            8 => FERROCKET_ERR_SHUT_DOWN,
            9 => FERROCKET_ERR_NOT_STARTED,
            10 => FERROCKET_ERR_ALREADY_STARTED,
            11 => FERROCKET_ERR_UNEXPECTED_RESPONSE,
            _ => FERROCKET_ERR_UNKNOWN,
        }
    }

    /// The static, NUL-terminated name of the status (`ferrocket_status_str`).
    pub fn name(self) -> &'static std::ffi::CStr {
        match self {
            FERROCKET_OK => c"FERROCKET_OK",
            FERROCKET_ERR_TIMEOUT => c"FERROCKET_ERR_TIMEOUT",
            FERROCKET_ERR_CONNECTION => c"FERROCKET_ERR_CONNECTION",
            FERROCKET_ERR_BROKER => c"FERROCKET_ERR_BROKER",
            FERROCKET_ERR_NO_ROUTE => c"FERROCKET_ERR_NO_ROUTE",
            FERROCKET_ERR_INVALID_ARGUMENT => c"FERROCKET_ERR_INVALID_ARGUMENT",
            FERROCKET_ERR_DECODE => c"FERROCKET_ERR_DECODE",
            FERROCKET_ERR_ENCODE => c"FERROCKET_ERR_ENCODE",
            FERROCKET_ERR_SHUT_DOWN => c"FERROCKET_ERR_SHUT_DOWN",
            FERROCKET_ERR_NOT_STARTED => c"FERROCKET_ERR_NOT_STARTED",
            FERROCKET_ERR_ALREADY_STARTED => c"FERROCKET_ERR_ALREADY_STARTED",
            FERROCKET_ERR_UNEXPECTED_RESPONSE => c"FERROCKET_ERR_UNEXPECTED_RESPONSE",
            FERROCKET_ERR_PANIC => c"FERROCKET_ERR_PANIC",
            FERROCKET_ERR_ILLEGAL_STATE => c"FERROCKET_ERR_ILLEGAL_STATE",
            FERROCKET_ERR_UNKNOWN => c"FERROCKET_ERR_UNKNOWN",
        }
    }

    /// The status whose number is `value`, if there is one (C passes plain integers).
    pub fn from_i32(value: i32) -> Option<ferrocket_status_t> {
        Self::ALL.into_iter().find(|s| *s as i32 == value)
    }
}

/// A failed call: the status C sees and the detail text `ferrocket_last_error` returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FfiError {
    /// The status returned to C.
    pub status: ferrocket_status_t,
    /// What went wrong, naming the argument or key at fault.
    pub message: String,
}

impl FfiError {
    /// An `FERROCKET_ERR_INVALID_ARGUMENT` error.
    pub fn invalid(message: impl Into<String>) -> FfiError {
        FfiError {
            status: FERROCKET_ERR_INVALID_ARGUMENT,
            message: message.into(),
        }
    }

    /// An `FERROCKET_ERR_ILLEGAL_STATE` error.
    pub fn illegal_state(message: impl Into<String>) -> FfiError {
        FfiError {
            status: FERROCKET_ERR_ILLEGAL_STATE,
            message: message.into(),
        }
    }
}

impl From<ClientError> for FfiError {
    fn from(e: ClientError) -> FfiError {
        FfiError {
            status: ferrocket_status_t::from_client_code(e.code()),
            message: e.to_string(),
        }
    }
}

thread_local! {
    /// The detail of the last failed call on this thread.
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `message` as this thread's last error (cut at an interior NUL, if any).
pub fn set_last_error(message: &str) {
    let text = crate::args::to_cstring(message);
    LAST_ERROR.with(|e| *e.borrow_mut() = text);
}

/// This thread's last error, as Rust text (for tests).
pub fn last_error_text() -> String {
    LAST_ERROR.with(|e| e.borrow().to_string_lossy().into_owned())
}

/// Runs an exported body: its error becomes the returned status and this thread's last error,
/// and a panic becomes `FERROCKET_ERR_PANIC` with the panic text, instead of unwinding into C.
pub fn guard(what: &str, body: impl FnOnce() -> Result<(), FfiError>) -> ferrocket_status_t {
    match guard_value(what, body) {
        Ok(()) => FERROCKET_OK,
        Err(e) => e.status,
    }
}

/// Like `guard`, for bodies that return a value; on failure the last error is set and the
/// error (with its status) is returned for the caller to turn into its C return value.
pub fn guard_value<T>(
    what: &str,
    body: impl FnOnce() -> Result<T, FfiError>,
) -> Result<T, FfiError> {
    let outcome = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => Err(FfiError {
            status: FERROCKET_ERR_PANIC,
            message: format!(
                "{what}: internal error (a bug in ferrocket, please report it): {}",
                panic_text(payload.as_ref())
            ),
        }),
    };
    if let Err(e) = &outcome {
        set_last_error(&e.message);
    }
    outcome
}

/// Runs an exported body that returns a value directly (a pointer, a number): a failure or a
/// panic sets the last error and returns `fallback`.
pub fn guard_or<T: Copy>(what: &str, fallback: T, body: impl FnOnce() -> Result<T, FfiError>) -> T {
    guard_value(what, body).unwrap_or(fallback)
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// Returns a static, NUL-terminated name for `status` (for example `"FERROCKET_ERR_TIMEOUT"`),
/// or `"FERROCKET_ERR_UNKNOWN_STATUS"` for a number that is no status.
///
/// Ownership: the string is static; never free it. Threads: any thread. Blocks: never.
#[unsafe(no_mangle)]
pub extern "C" fn ferrocket_status_str(status: i32) -> *const c_char {
    match ferrocket_status_t::from_i32(status) {
        Some(s) => s.name().as_ptr(),
        None => c"FERROCKET_ERR_UNKNOWN_STATUS".as_ptr(),
    }
}

/// Returns the detail message of the last call that failed on the calling thread (empty if
/// none has failed). It names the argument, config key or broker at fault.
///
/// Ownership: the string belongs to the library and stays valid until the next failing
/// `ferrocket_*` call on the same thread; copy it to keep it. Threads: any thread; each thread
/// has its own last error. Blocks: never.
#[unsafe(no_mangle)]
pub extern "C" fn ferrocket_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::time::Duration;

    /// Every client error code maps to the status of the same number; unknown codes to UNKNOWN.
    #[test]
    fn client_codes_map_to_the_same_numbers() {
        for (code, name) in ClientError::CODES {
            let status = ferrocket_status_t::from_client_code(*code);
            assert_eq!(status as i32, i32::from(*code), "{name}");
        }
        assert_eq!(
            ferrocket_status_t::from_client_code(999),
            FERROCKET_ERR_UNKNOWN
        );
        let e = FfiError::from(ClientError::Timeout {
            op: "send",
            elapsed: Duration::from_millis(3),
        });
        assert_eq!(e.status, FERROCKET_ERR_TIMEOUT);
        assert!(e.message.contains("send timed out"), "{}", e.message);
    }

    /// Status names are static, match the variant, and out-of-range numbers are refused.
    #[test]
    fn status_str_names_every_status() {
        for status in ferrocket_status_t::ALL {
            // SAFETY: ferrocket_status_str returns a static NUL-terminated string.
            let name = unsafe { CStr::from_ptr(ferrocket_status_str(status as i32)) };
            assert_eq!(format!("{status:?}"), name.to_str().unwrap());
        }
        for bad in [-1, 12, 99, 103, i32::MAX, i32::MIN] {
            // SAFETY: as above.
            let name = unsafe { CStr::from_ptr(ferrocket_status_str(bad)) };
            assert_eq!(name.to_str().unwrap(), "FERROCKET_ERR_UNKNOWN_STATUS");
        }
    }

    /// A panic inside a guarded body becomes FERROCKET_ERR_PANIC with the panic text as the
    /// last error, instead of unwinding.
    #[test]
    fn panics_become_a_status() {
        let status = guard("ferrocket_test", || panic!("boom {}", 42));
        assert_eq!(status, FERROCKET_ERR_PANIC);
        let text = last_error_text();
        assert!(
            text.contains("ferrocket_test") && text.contains("boom 42"),
            "{text}"
        );
        let fallback = guard_or("ferrocket_test", 7u32, || panic!("again"));
        assert_eq!(fallback, 7);
    }

    /// An error sets the last error; a success leaves it alone.
    #[test]
    fn errors_set_the_last_error() {
        let status = guard("x", || Err(FfiError::invalid("topic is NULL")));
        assert_eq!(status, FERROCKET_ERR_INVALID_ARGUMENT);
        assert_eq!(last_error_text(), "topic is NULL");
        assert_eq!(guard("x", || Ok(())), FERROCKET_OK);
        assert_eq!(last_error_text(), "topic is NULL");
    }
}

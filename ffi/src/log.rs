//! `ferrocket_set_log_callback`: the client's `tracing` events, delivered to a C callback.
//!
//! The library installs nothing by itself (a library never configures logging). The first
//! `ferrocket_set_log_callback` installs a small process-wide `tracing` subscriber that formats
//! each event as `message key=value …` and calls the current callback; later calls only swap
//! the callback and level. Spans are ignored. Events raised inside the callback itself (a
//! ferrocket call made from it) are dropped rather than delivered recursively.

use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

use crate::args::to_cstring;
use crate::error::{FfiError, ferrocket_status_t, guard};
use crate::runtime::UserData;

/// Severity of a log event; a callback registered with level L gets events of level ≤ L.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ferrocket_log_level_t {
    /// Something failed and was not retried.
    FERROCKET_LOG_ERROR = 1,
    /// Something failed and was retried or worked around.
    FERROCKET_LOG_WARN = 2,
    /// Lifecycle: started, shut down, connected.
    FERROCKET_LOG_INFO = 3,
    /// Per-request detail.
    FERROCKET_LOG_DEBUG = 4,
    /// Everything.
    FERROCKET_LOG_TRACE = 5,
}

/// Receives one log event: its level, its source (`target`, a Rust module path) and the
/// formatted message; both strings are valid only during the call. It runs on whichever thread
/// logged (a client thread or a caller's thread inside a ferrocket call), possibly on several
/// threads at once, so it must be thread-safe; it must not block for long.
pub type ferrocket_log_callback_t = Option<
    unsafe extern "C" fn(
        level: ferrocket_log_level_t,
        target: *const c_char,
        message: *const c_char,
        user_data: *mut c_void,
    ),
>;

type LogFn = unsafe extern "C" fn(ferrocket_log_level_t, *const c_char, *const c_char, *mut c_void);

/// The current callback and its user data.
static SINK: RwLock<Option<(LogFn, UserData)>> = RwLock::new(None);
/// The most verbose level delivered (0: none).
static MIN_LEVEL: AtomicI32 = AtomicI32::new(0);
/// Whether the process-wide subscriber was installed (or why it could not be).
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

thread_local! {
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

fn level_of(level: &Level) -> ferrocket_log_level_t {
    use ferrocket_log_level_t::*;
    match *level {
        Level::ERROR => FERROCKET_LOG_ERROR,
        Level::WARN => FERROCKET_LOG_WARN,
        Level::INFO => FERROCKET_LOG_INFO,
        Level::DEBUG => FERROCKET_LOG_DEBUG,
        Level::TRACE => FERROCKET_LOG_TRACE,
    }
}

/// The level whose number is `value`, if any (C passes plain integers).
pub fn level_from_i32(value: i32) -> Option<ferrocket_log_level_t> {
    use ferrocket_log_level_t::*;
    [
        FERROCKET_LOG_ERROR,
        FERROCKET_LOG_WARN,
        FERROCKET_LOG_INFO,
        FERROCKET_LOG_DEBUG,
        FERROCKET_LOG_TRACE,
    ]
    .into_iter()
    .find(|l| *l as i32 == value)
}

/// Formats an event's fields as `message key=value …`.
#[derive(Default)]
struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }
}

/// The process-wide subscriber that forwards events to `SINK`.
struct CallbackSubscriber;

impl Subscriber for CallbackSubscriber {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        level_of(metadata.level()) as i32 <= MIN_LEVEL.load(Ordering::Relaxed)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        if IN_CALLBACK.with(Cell::get) {
            return;
        }
        let sink = *SINK.read().unwrap_or_else(|p| p.into_inner());
        let Some((callback, user)) = sink else {
            return;
        };
        let mut line = Line::default();
        event.record(&mut line);
        let meta = event.metadata();
        let (target, message) = (to_cstring(meta.target()), to_cstring(&line.0));
        IN_CALLBACK.with(|c| c.set(true));
        // SAFETY: the caller registered a valid callback and vouches for its user data; both
        // strings outlive the call.
        unsafe {
            callback(
                level_of(meta.level()),
                target.as_ptr(),
                message.as_ptr(),
                user.ptr(),
            );
        }
        IN_CALLBACK.with(|c| c.set(false));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Routes the library's log events of level `min_level` or more severe (`FERROCKET_LOG_ERROR`
/// = 1 … `FERROCKET_LOG_TRACE` = 5, an integer checked here) to `callback`; a NULL callback
/// stops delivery. Returns `FERROCKET_ERR_INVALID_ARGUMENT` for a level outside 1..=5 and
/// `FERROCKET_ERR_ILLEGAL_STATE` if another `tracing` subscriber already owns the process.
///
/// Ownership: `user_data` is passed back untouched. After a callback is replaced or removed,
/// a call already running on another thread may still finish. Threads: any; process-wide.
/// Blocks: never. Do not call it from inside the log callback.
///
/// # Safety
/// `callback` is NULL or a valid function, thread-safe as described in
/// `ferrocket_log_callback_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ferrocket_set_log_callback(
    min_level: i32,
    callback: ferrocket_log_callback_t,
    user_data: *mut c_void,
) -> ferrocket_status_t {
    guard("ferrocket_set_log_callback", || {
        let level = level_from_i32(min_level).ok_or_else(|| {
            FfiError::invalid(format!(
                "log level {min_level} is not 1 (error) ..= 5 (trace)"
            ))
        })?;
        let installed = INSTALLED.get_or_init(|| {
            tracing::subscriber::set_global_default(CallbackSubscriber)
                .map_err(|e| format!("another tracing subscriber owns this process: {e}"))
        });
        if let Err(e) = installed {
            return Err(FfiError::illegal_state(e.clone()));
        }
        let mut sink = SINK.write().unwrap_or_else(|p| p.into_inner());
        *sink = callback.map(|f| (f, UserData(user_data)));
        let min = if sink.is_some() { level as i32 } else { 0 };
        MIN_LEVEL.store(min, Ordering::Relaxed);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::sync::Mutex;

    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    unsafe extern "C" fn record(
        level: ferrocket_log_level_t,
        target: *const c_char,
        message: *const c_char,
        _user: *mut c_void,
    ) {
        // SAFETY: the library passes NUL-terminated strings valid during the call.
        let (t, m) = unsafe { (CStr::from_ptr(target), CStr::from_ptr(message)) };
        let line = format!("{level:?} {} {}", t.to_string_lossy(), m.to_string_lossy());
        SEEN.lock().unwrap().push(line);
    }

    /// Events at or above the level reach the callback formatted; bad levels are refused;
    /// a NULL callback stops delivery.
    #[test]
    fn events_reach_the_callback() {
        // SAFETY: `record` is a valid, thread-safe callback.
        unsafe {
            assert_eq!(
                ferrocket_set_log_callback(9, Some(record), std::ptr::null_mut()),
                ferrocket_status_t::FERROCKET_ERR_INVALID_ARGUMENT
            );
            assert_eq!(
                ferrocket_set_log_callback(2, Some(record), std::ptr::null_mut()),
                ferrocket_status_t::FERROCKET_OK
            );
        }
        tracing::warn!(group = "g1", "send failed");
        tracing::info!("not delivered at WARN");
        // SAFETY: NULL stops delivery.
        let off = unsafe { ferrocket_set_log_callback(5, None, std::ptr::null_mut()) };
        assert_eq!(off, ferrocket_status_t::FERROCKET_OK);
        tracing::error!("after removal");
        let seen: Vec<String> = SEEN
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("log::tests"))
            .cloned()
            .collect();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].starts_with("FERROCKET_LOG_WARN "), "{seen:?}");
        assert!(seen[0].ends_with("send failed group=\"g1\""), "{seen:?}");
    }
}

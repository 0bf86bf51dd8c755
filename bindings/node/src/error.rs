//! `FerrocketError`: how every failure reaches JavaScript, and the Promise helper that turns a
//! client future into a Promise rejecting with one.
//!
//! The class is plain JavaScript (`class FerrocketError extends Error`, defined once per Node
//! environment when the addon loads, so `instanceof Error` and stack traces work) and is built
//! here from a `ClientError`: `code` is the stable name of `ClientError::code()` in upper snake
//! case (`ErrorCode`), `errno` the number itself, `retriable` `ClientError::is_retriable()`, and
//! `status` the broker's status name for `BROKER` errors. Errors found by the binding itself
//! (an unknown option, a bad enum string) are `INVALID_ARGUMENT`, like the client's own.
//!
//! Rejections carry the error object itself: the helpers build it on the JavaScript thread and
//! hand napi a `napi::Error` that references it, so napi throws or rejects with that object.

use std::future::Future;

use ferrocket::ClientError;
use napi::Env;
use napi::bindgen_prelude::{FunctionRef, PromiseRaw, ToNapiValue, Unknown};
use napi_derive::napi;

/// The source of the `FerrocketError` class, evaluated once per environment.
const ERROR_CLASS_SOURCE: &str = r#"(class FerrocketError extends Error {
  constructor(message, code, errno, retriable, status) {
    super(message)
    this.name = 'FerrocketError'
    this.code = code
    this.errno = errno
    this.retriable = retriable
    if (status) this.status = status
  }
})"#;

/// The constructor arguments: message, code, errno, retriable, status.
type ErrorArgs = napi::bindgen_prelude::FnArgs<(String, &'static str, u32, bool, Option<String>)>;

/// The class, kept as instance data of its environment.
struct ErrorClass(FunctionRef<ErrorArgs, Unknown<'static>>);

/// The stable error codes: `FerrocketError.code`, one per `ClientError::code()`.
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 1: the peer was slow or unreachable; retry or raise the timeout.
    #[napi(value = "TIMEOUT")]
    Timeout,
    /// 2: the TCP connection failed or was lost; check the address.
    #[napi(value = "CONNECTION")]
    Connection,
    /// 3: the broker answered a failure status (`status` names it).
    #[napi(value = "BROKER")]
    Broker,
    /// 4: no broker serves the topic; create it or check the name servers.
    #[napi(value = "NO_ROUTE")]
    NoRoute,
    /// 5: an argument is invalid; the message names it.
    #[napi(value = "INVALID_ARGUMENT")]
    InvalidArgument,
    /// 6: the peer sent bytes this client cannot read.
    #[napi(value = "DECODE")]
    Decode,
    /// 7: a value is over a wire limit.
    #[napi(value = "ENCODE")]
    Encode,
    /// 8: the client was shut down; create a new one.
    #[napi(value = "SHUT_DOWN")]
    ShutDown,
    /// 9: call `start()` first.
    #[napi(value = "NOT_STARTED")]
    NotStarted,
    /// 10: `start()` was called twice.
    #[napi(value = "ALREADY_STARTED")]
    AlreadyStarted,
    /// 11: the peer answered with the wrong kind of frame (a peer bug).
    #[napi(value = "UNEXPECTED_RESPONSE")]
    UnexpectedResponse,
}

/// Every code with its `ClientError::code()` number and its JavaScript string.
pub(crate) const CODES: &[(u16, ErrorCode, &str)] = &[
    (1, ErrorCode::Timeout, "TIMEOUT"),
    (2, ErrorCode::Connection, "CONNECTION"),
    (3, ErrorCode::Broker, "BROKER"),
    (4, ErrorCode::NoRoute, "NO_ROUTE"),
    (5, ErrorCode::InvalidArgument, "INVALID_ARGUMENT"),
    (6, ErrorCode::Decode, "DECODE"),
    (7, ErrorCode::Encode, "ENCODE"),
    (8, ErrorCode::ShutDown, "SHUT_DOWN"),
    (9, ErrorCode::NotStarted, "NOT_STARTED"),
    (10, ErrorCode::AlreadyStarted, "ALREADY_STARTED"),
    (11, ErrorCode::UnexpectedResponse, "UNEXPECTED_RESPONSE"),
];

/// The code string of a `ClientError::code()` number. Every number of `ClientError::CODES` is
/// in `CODES` (a test checks it); an unknown one would read `UNEXPECTED_RESPONSE`.
pub(crate) fn code_name(code: u16) -> &'static str {
    CODES
        .iter()
        .find(|(n, _, _)| *n == code)
        .map_or("UNEXPECTED_RESPONSE", |(_, _, name)| name)
}

/// Defines the class in this environment and exports it as `FerrocketError`.
pub(crate) fn install(env: &Env, exports: &mut napi::bindgen_prelude::Object) -> napi::Result<()> {
    let class: napi::bindgen_prelude::Function<ErrorArgs, Unknown> =
        env.run_script(ERROR_CLASS_SOURCE)?;
    let class_ref = class.create_ref()?;
    exports.set("FerrocketError", class)?;
    env.set_instance_data(ErrorClass(class_ref), (), |_| {})
}

/// A `FerrocketError` for `error`, as a `napi::Error` that napi throws or rejects with as is.
pub(crate) fn to_js(env: &Env, error: &ClientError) -> napi::Error {
    let status = error.status().map(|s| format!("{s:?}"));
    build(
        env,
        error.to_string(),
        error.code(),
        error.is_retriable(),
        status,
    )
}

/// An `INVALID_ARGUMENT` `FerrocketError` with `message`.
pub(crate) fn invalid(env: &Env, message: impl Into<String>) -> napi::Error {
    to_js(env, &ClientError::InvalidArgument(message.into()))
}

/// Turns a napi conversion error (a wrong type in an options object) into `INVALID_ARGUMENT`.
pub(crate) fn invalid_from(env: &Env, context: &str, error: &napi::Error) -> napi::Error {
    invalid(env, format!("{context}: {}", error.reason))
}

fn build(
    env: &Env,
    message: String,
    code: u16,
    retriable: bool,
    status: Option<String>,
) -> napi::Error {
    let made = env
        .get_instance_data::<ErrorClass>()
        .and_then(|class| {
            let class = class.ok_or_else(|| napi::Error::from_reason("FerrocketError missing"))?;
            let ctor = class.0.borrow_back(env)?;
            let args = (
                message.clone(),
                code_name(code),
                u32::from(code),
                retriable,
                status,
            );
            ctor.new_instance(args.into())
        })
        .map(napi::Error::from);
    // Only an environment being torn down fails here; a plain error still says what happened.
    made.unwrap_or_else(|_| napi::Error::from_reason(message))
}

/// Runs `future` on the client runtime and returns a Promise of its value that rejects with a
/// `FerrocketError`.
pub(crate) fn promise<T, F>(env: &Env, future: F) -> napi::Result<PromiseRaw<'_, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = Result<T, ClientError>> + Send + 'static,
{
    env.spawn_future_with_callback(async move { Ok(future.await) }, |env, outcome| {
        outcome.map_err(|e| to_js(env, &e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upper_snake(name: &str) -> String {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }

    /// Every `ClientError` code has its JavaScript code: same number, same order, the
    /// variant's name in upper snake case.
    #[test]
    fn codes_cover_every_client_error() {
        assert_eq!(CODES.len(), ClientError::CODES.len());
        for ((number, _, js), (code, name)) in CODES.iter().zip(ClientError::CODES) {
            assert_eq!(number, code);
            assert_eq!(*js, upper_snake(name));
            assert_eq!(code_name(*code), *js);
        }
    }
}

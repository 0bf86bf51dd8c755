//! The one integration-test binary: every test drives a real broker (in-process, on
//! `127.0.0.1:0`) through the real protocol.

mod async_listener;
mod bad_input;
mod broadcast;
mod delay;
mod group_util;
mod groups;
mod long_poll;
mod orderly;
mod produce_consume;
mod restart;
mod retry;
mod util;

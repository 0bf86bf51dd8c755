//! The one integration-test binary: every test drives a real broker (in-process, on
//! `127.0.0.1:0`) through the real protocol.

mod async_listener;
mod bad_input;
mod broadcast;
mod broker_status;
mod delay;
mod group_util;
mod groups;
mod long_poll;
mod orderly;
mod produce_consume;
mod pull_consumer;
mod restart;
mod retention;
mod retry;
mod tidy;
mod util;

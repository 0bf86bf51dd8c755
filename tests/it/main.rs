//! The one integration-test binary: every test drives a real broker (in-process, on
//! `127.0.0.1:0`) through the real protocol.

mod bad_input;
mod broker_status;
mod compression;
mod delivery_time;
mod filters;
mod long_poll;
mod message_query;
mod produce_consume;
mod pull_consumer;
mod restart;
mod retention;
mod tidy;
mod transactions;
mod util;

//! The one integration-test binary: every test drives a real broker (in-process, on
//! `127.0.0.1:0`) through the real protocol.

mod async_listener;
mod bad_input;
mod broadcast;
mod broker_status;
mod compression;
mod delay;
mod delivery_time;
mod filters;
mod group_admin;
mod group_util;
mod groups;
mod long_poll;
mod message_query;
mod orderly;
mod produce_consume;
mod pull_consumer;
mod restart;
mod retention;
mod retry;
mod subscription_groups;
mod tidy;
mod timers;
mod transactions;
mod util;

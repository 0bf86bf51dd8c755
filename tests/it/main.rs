//! The one integration-test binary: every test drives a real broker (in-process, on
//! `127.0.0.1:0`) through the real protocol.

mod async_listener;
mod auto_create;
mod bad_input;
mod broadcast;
mod broker_status;
mod cluster;
mod cluster_consumers;
mod cluster_groups;
mod compression;
mod delay;
mod delivery_time;
mod filters;
mod group_admin;
mod group_util;
mod groups;
mod long_poll;
mod message_query;
mod namesrv;
mod orderly;
mod produce_consume;
mod pull_consumer;
mod push_limits;
mod replication;
mod restart;
mod retention;
mod retry;
mod send_status;
mod subscription_groups;
mod tidy;
mod timers;
mod transactions;
mod util;

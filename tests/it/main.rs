//! The one integration-test binary: every test drives a real broker (in-process, on
//! `127.0.0.1:0`) through the real protocol.

mod bad_input;
mod cluster;
mod long_poll;
mod namesrv;
mod produce_consume;
mod replication;
mod restart;
mod send_status;
mod util;

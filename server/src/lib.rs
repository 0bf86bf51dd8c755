//! ferrocket's server side: the store, the broker, the name server, replication, the
//! configuration and the `ferrocket` command line.

pub mod broker;
pub mod cli;
pub mod config;
pub mod ha;
pub mod namesrv;
pub mod store;

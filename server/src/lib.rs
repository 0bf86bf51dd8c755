//! ferrocket's server side: the store, the broker, its configuration and the `ferrocket`
//! command line.

pub mod broker;
pub mod cli;
pub mod config;
pub mod store;

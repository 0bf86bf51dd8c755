//! ferrocket's server side: the store, the broker, and the `ferrocket` command line.

pub mod store;

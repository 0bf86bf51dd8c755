//! Master/slave replication (RocketMQ's classic HA): a slave copies its master's commit log
//! byte for byte and builds its own consume queues; a SYNC_MASTER answers a send only once a
//! slave has it.
//!
//! The exchange runs over the framed protocol on the broker's own port (`ReplicaFetch`,
//! `spec/protocol.md` §5.20): the slave keeps one long-polled fetch outstanding, asking from
//! the end of its commit log, which doubles as its acknowledgement. The master serves the raw
//! bytes from its store (`Store::read_commit_log`), the slave validates and appends them
//! (`Store::append_replica`).
//!
//! - `master`: the master's table of slaves and acks, and the SYNC_MASTER send wait.
//! - `slave`: the slave's fetch task.
//! - `sync`: the slave's periodic copy of topic configs and consumer offsets.
//! - `read`: which broker a consumer should pull from (slave reads).

pub mod master;
pub mod read;
pub mod slave;
pub mod sync;

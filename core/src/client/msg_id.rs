//! Producer-side unique message ids (RocketMQ's `UNIQ_KEY`) and the client id.
//!
//! A message id is 16 bytes, shown as 32 hex characters:
//!
//! ```text
//! ip:4  pid:2  process_random:2  seconds:4  counter:4
//! ```
//!
//! `ip` is the IPv4 address the client reaches its brokers from (the last four bytes for an
//! IPv6 address), `pid` the low 16 bits of the process id, `process_random` drawn once per
//! process, `seconds` the Unix time in seconds when the id was made, and `counter` a
//! process-wide counter. Within a process the (seconds, counter) pair never repeats unless four
//! billion ids are made in one second; across processes and restarts the pid, the random part
//! and the clock differ.

use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::message::MessageId;

static COUNTER: AtomicU32 = AtomicU32::new(0);
static PROCESS_RANDOM: OnceLock<u64> = OnceLock::new();

/// 64 random bits for this process (std's randomly keyed hasher, mixed with the clock and pid).
pub fn process_random() -> u64 {
    *PROCESS_RANDOM.get_or_init(fresh_random)
}

/// 64 fresh random bits.
pub fn fresh_random() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(now_nanos());
    hasher.write_u32(std::process::id());
    hasher.finish()
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
    u64::try_from(now_nanos() / 1_000_000).unwrap_or(u64::MAX)
}

fn ip4_bytes(ip: IpAddr) -> [u8; 4] {
    match ip {
        IpAddr::V4(v4) => v4.octets(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets(),
            None => {
                let o = v6.octets();
                [o[12], o[13], o[14], o[15]]
            }
        },
    }
}

/// Makes message ids for one local address; see the module doc for the layout.
#[derive(Debug, Clone)]
pub struct MessageIdGenerator {
    prefix: [u8; 8],
}

impl MessageIdGenerator {
    /// A generator for ids of a client reaching its brokers from `ip`.
    pub fn new(ip: IpAddr) -> MessageIdGenerator {
        let mut prefix = [0u8; 8];
        prefix[..4].copy_from_slice(&ip4_bytes(ip));
        let pid = (std::process::id() & 0xffff) as u16;
        prefix[4..6].copy_from_slice(&pid.to_be_bytes());
        let random = (process_random() & 0xffff) as u16;
        prefix[6..8].copy_from_slice(&random.to_be_bytes());
        MessageIdGenerator { prefix }
    }

    /// The next id.
    pub fn next_id(&self) -> MessageId {
        let seconds = u32::try_from(now_ms() / 1000).unwrap_or(u32::MAX);
        let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&self.prefix);
        id[8..12].copy_from_slice(&seconds.to_be_bytes());
        id[12..].copy_from_slice(&counter.to_be_bytes());
        MessageId(id)
    }
}

/// The client id sent in heartbeats: `{local ip}@{pid}#{random}`, unique per client instance.
pub fn client_id(ip: IpAddr) -> String {
    format!(
        "{ip}@{}#{:x}",
        std::process::id(),
        fresh_random() & 0xffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Ids carry the ip, pid and time in their documented places, and never repeat.
    #[test]
    fn message_id_format_and_uniqueness() {
        let generator = MessageIdGenerator::new("10.1.2.3".parse().unwrap());
        let other = MessageIdGenerator::new("10.1.2.3".parse().unwrap());
        let mut seen = HashSet::new();
        for i in 0..20_000 {
            let id = if i % 2 == 0 {
                generator.next_id()
            } else {
                other.next_id()
            };
            assert!(seen.insert(id), "duplicate id {id}");
            assert_eq!(&id.0[..4], &[10, 1, 2, 3]);
            let pid = (std::process::id() & 0xffff) as u16;
            assert_eq!(id.0[4..6], pid.to_be_bytes());
            let seconds = u32::from_be_bytes([id.0[8], id.0[9], id.0[10], id.0[11]]);
            assert!(u64::from(seconds).abs_diff(now_ms() / 1000) <= 1);
        }
        let text = generator.next_id().to_string();
        assert_eq!(text.len(), 32);
        assert!(text.starts_with("0A010203"));
    }

    /// Ids of an IPv6 client use the address's last four bytes.
    #[test]
    fn ipv6_prefix() {
        let generator = MessageIdGenerator::new("::1".parse().unwrap());
        assert_eq!(&generator.next_id().0[..4], &[0, 0, 0, 1]);
    }

    /// Client ids are `ip@pid#random` and differ between instances.
    #[test]
    fn client_id_format() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let a = client_id(ip);
        assert!(
            a.starts_with(&format!("127.0.0.1@{}#", std::process::id())),
            "{a}"
        );
        assert_ne!(a, client_id(ip));
    }
}

//! Queue selection for sends: round robin over the write queues, preferring brokers the fault
//! table reports available and always skipping the broker that failed last; and the sharding
//! key hash of orderly sends.

use std::time::Instant;

use crate::client::fault::LatencyFaultTolerance;
use crate::client::route::MessageQueue;

/// Picks the queue at or after round-robin position `start`: first one on an available broker
/// other than `avoid`, else one on any broker other than `avoid`, else the one at `start`.
/// Returns `None` only for an empty list.
pub fn select_queue<'a>(
    queues: &'a [MessageQueue],
    start: usize,
    avoid: Option<&str>,
    faults: &LatencyFaultTolerance,
    now: Instant,
) -> Option<&'a MessageQueue> {
    if queues.is_empty() {
        return None;
    }
    let n = queues.len();
    let ring = || (0..n).map(move |i| &queues[(start.wrapping_add(i)) % n]);
    let not_avoided = |q: &&MessageQueue| avoid != Some(q.broker_name.as_str());
    ring()
        .filter(not_avoided)
        .find(|q| faults.is_available(&q.broker_name, now))
        .or_else(|| ring().find(not_avoided))
        .or_else(|| ring().next())
}

/// 64-bit FNV-1a of `key`.
pub fn fnv1a_64(key: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    key.iter().fold(OFFSET_BASIS, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(PRIME)
    })
}

/// Index of the queue an orderly send with `sharding_key` goes to among `queue_count` write
/// queues: FNV-1a of the key modulo the count, stable while the route is.
pub fn orderly_index(sharding_key: &str, queue_count: usize) -> Option<usize> {
    let count = u64::try_from(queue_count).ok().filter(|c| *c > 0)?;
    usize::try_from(fnv1a_64(sharding_key.as_bytes()) % count).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn queues() -> Vec<MessageQueue> {
        let mut out = Vec::new();
        for broker in ["a", "b"] {
            for id in 0..2 {
                out.push(MessageQueue::new("t", broker, id));
            }
        }
        out
    }

    /// Consecutive positions walk every queue in order.
    #[test]
    fn round_robin() {
        let qs = queues();
        let faults = LatencyFaultTolerance::new(true);
        let now = Instant::now();
        let picked: Vec<&MessageQueue> = (0..5)
            .map(|i| select_queue(&qs, i, None, &faults, now).unwrap())
            .collect();
        assert_eq!(picked[..4], [&qs[0], &qs[1], &qs[2], &qs[3]]);
        assert_eq!(picked[4], &qs[0]);
        assert!(select_queue(&[], 0, None, &faults, now).is_none());
    }

    /// A retry skips the last failed broker, even when it is the round-robin choice.
    #[test]
    fn skips_failed_broker() {
        let qs = queues();
        let faults = LatencyFaultTolerance::new(false);
        let now = Instant::now();
        for start in 0..8 {
            let q = select_queue(&qs, start, Some("a"), &faults, now).unwrap();
            assert_eq!(q.broker_name, "b");
        }
        let only_a = &qs[..2];
        let q = select_queue(only_a, 1, Some("a"), &faults, now).unwrap();
        assert_eq!(q, &qs[1], "with no other broker the failed one is used");
    }

    /// Isolated brokers are avoided while another is available, and used when none is.
    #[test]
    fn prefers_available_brokers() {
        let qs = queues();
        let faults = LatencyFaultTolerance::new(true);
        let now = Instant::now();
        faults.update("a", Duration::ZERO, true, now);
        for start in 0..4 {
            assert_eq!(
                select_queue(&qs, start, None, &faults, now)
                    .unwrap()
                    .broker_name,
                "b"
            );
        }
        faults.update("b", Duration::ZERO, true, now);
        assert_eq!(select_queue(&qs, 0, None, &faults, now).unwrap(), &qs[0]);
        assert_eq!(
            select_queue(&qs, 0, Some("a"), &faults, now)
                .unwrap()
                .broker_name,
            "b"
        );
    }

    /// The same key always maps to the same queue; keys spread over queues.
    #[test]
    fn orderly_hash_is_stable() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        let first = orderly_index("order-42", 8).unwrap();
        for _ in 0..10 {
            assert_eq!(orderly_index("order-42", 8), Some(first));
        }
        let used: std::collections::HashSet<usize> = (0..100)
            .map(|i| orderly_index(&format!("k{i}"), 8).unwrap())
            .collect();
        assert!(used.len() > 4);
        assert_eq!(orderly_index("k", 0), None);
    }
}

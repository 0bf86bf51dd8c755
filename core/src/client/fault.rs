//! Latency fault tolerance (RocketMQ 5.3's `MQFaultStrategy`): brokers that answered slowly or
//! failed are avoided for a while.
//!
//! After each send the broker is charged the call's latency, or `ISOLATION_LATENCY_MS` when the
//! call failed. It is then unavailable for `NOT_AVAILABLE_DURATION_MS[i]`, where `i` is the
//! largest index with `latency >= LATENCY_MAX_MS[i]`: a 600 ms answer sidelines a broker for
//! 2 s, a failure for 10 s. The selector prefers available brokers and falls back to any.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::shutdown::lock;

/// Latency thresholds, in milliseconds (RocketMQ 5.3 `latencyMax`).
pub const LATENCY_MAX_MS: [u64; 7] = [50, 100, 550, 1800, 3000, 5000, 15_000];
/// How long a broker is avoided after a call of the matching latency, in milliseconds
/// (RocketMQ 5.3 `notAvailableDuration`).
pub const NOT_AVAILABLE_DURATION_MS: [u64; 7] = [0, 0, 2000, 5000, 6000, 10_000, 30_000];
/// Latency charged for a failed call, in milliseconds: isolates the broker for 10 s.
pub const ISOLATION_LATENCY_MS: u64 = 10_000;

/// How long a broker is avoided after a call that took `latency_ms`.
pub fn not_available_duration_ms(latency_ms: u64) -> u64 {
    LATENCY_MAX_MS
        .iter()
        .zip(NOT_AVAILABLE_DURATION_MS)
        .rev()
        .find(|(max, _)| latency_ms >= **max)
        .map_or(0, |(_, duration)| duration)
}

/// Per-broker availability, keyed by broker name.
#[derive(Debug)]
pub struct LatencyFaultTolerance {
    enabled: bool,
    unavailable_until: Mutex<HashMap<String, Instant>>,
}

impl LatencyFaultTolerance {
    /// A table; when `enabled` is false every broker is always available.
    pub fn new(enabled: bool) -> LatencyFaultTolerance {
        LatencyFaultTolerance {
            enabled,
            unavailable_until: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the table is in use.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Charges `broker` a call that took `latency`, or failed (`isolate`), at time `now`.
    pub fn update(&self, broker: &str, latency: Duration, isolate: bool, now: Instant) {
        if !self.enabled {
            return;
        }
        let latency_ms = if isolate {
            ISOLATION_LATENCY_MS
        } else {
            u64::try_from(latency.as_millis()).unwrap_or(u64::MAX)
        };
        let until = now + Duration::from_millis(not_available_duration_ms(latency_ms));
        let mut table = lock(&self.unavailable_until);
        if until <= now {
            table.remove(broker);
        } else {
            table.insert(broker.to_owned(), until);
        }
    }

    /// Whether `broker` may be chosen at `now`.
    pub fn is_available(&self, broker: &str, now: Instant) -> bool {
        if !self.enabled {
            return true;
        }
        lock(&self.unavailable_until)
            .get(broker)
            .is_none_or(|until| now >= *until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The duration is the one of the largest threshold the latency reaches.
    #[test]
    fn fault_table() {
        assert_eq!(not_available_duration_ms(0), 0);
        assert_eq!(not_available_duration_ms(549), 0);
        assert_eq!(not_available_duration_ms(550), 2000);
        assert_eq!(not_available_duration_ms(1800), 5000);
        assert_eq!(not_available_duration_ms(3000), 6000);
        assert_eq!(not_available_duration_ms(ISOLATION_LATENCY_MS), 10_000);
        assert_eq!(not_available_duration_ms(15_000), 30_000);
        assert_eq!(not_available_duration_ms(u64::MAX), 30_000);
    }

    /// A failed broker is isolated for 10 s, a slow one for its duration, a fast one not at all.
    #[test]
    fn isolation_and_recovery() {
        let table = LatencyFaultTolerance::new(true);
        let now = Instant::now();
        table.update("a", Duration::ZERO, true, now);
        assert!(!table.is_available("a", now + Duration::from_millis(9_999)));
        assert!(table.is_available("a", now + Duration::from_millis(10_000)));
        table.update("b", Duration::from_millis(600), false, now);
        assert!(!table.is_available("b", now + Duration::from_millis(1_999)));
        assert!(table.is_available("b", now + Duration::from_millis(2_000)));
        table.update("b", Duration::from_millis(10), false, now);
        assert!(table.is_available("b", now));
        let off = LatencyFaultTolerance::new(false);
        off.update("a", Duration::ZERO, true, now);
        assert!(off.is_available("a", now));
    }
}

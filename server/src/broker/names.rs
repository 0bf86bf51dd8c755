//! Validation of topic and group names before they reach the store or the file system.
//!
//! RocketMQ's rule (`TopicValidator`): characters `[A-Za-z0-9_%|-]`; user topics at most
//! `TOPIC_USER_LEN_MAX` bytes, system topics (retry, dead-letter, internal) at most
//! `TOPIC_LEN_MAX`; groups at most `GROUP_LEN_MAX`. The character set excludes `/`, `.` and
//! every other path character, so a valid name is always a safe single path component
//! (CVE-2019-17572).

pub use ferrocket::client::validate::check_group;
use ferrocket::client::validate::check_name;
use ferrocket::limits::{TOPIC_LEN_MAX, TOPIC_USER_LEN_MAX};

/// Prefixes of topics the broker owns (retry, dead-letter and internal topics).
pub const SYSTEM_TOPIC_PREFIXES: &[&str] = &[
    "%RETRY%",
    "%DLQ%",
    "rmq_sys_",
    "RMQ_SYS_",
    "SCHEDULE_TOPIC_",
    "TRANS_CHECK_MAX_TIME_TOPIC",
];

/// Whether `topic` is a broker-owned topic.
pub fn is_system_topic(topic: &str) -> bool {
    SYSTEM_TOPIC_PREFIXES.iter().any(|p| topic.starts_with(p))
}

/// Checks a topic name; the error says what is wrong. System topics may be longer.
pub fn check_topic(topic: &str) -> Result<(), String> {
    let max = if is_system_topic(topic) {
        TOPIC_LEN_MAX
    } else {
        TOPIC_USER_LEN_MAX
    };
    check_name("topic", topic, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Path characters, empty and over-long names are refused; RocketMQ's characters pass.
    #[test]
    fn names() {
        assert!(check_topic("Orders_2024-eu|x").is_ok());
        assert!(check_topic("%RETRY%group").is_ok());
        for bad in ["", "a/b", "..", "a.b", "a b", "ü", "a\0b"] {
            assert!(check_topic(bad).is_err(), "{bad:?}");
        }
        assert!(check_topic(&"t".repeat(TOPIC_USER_LEN_MAX + 1)).is_err());
        assert!(check_topic(&format!("%DLQ%{}", "g".repeat(200))).is_ok());
        assert!(check_group(&"g".repeat(ferrocket::limits::GROUP_LEN_MAX + 1)).is_err());
    }
}

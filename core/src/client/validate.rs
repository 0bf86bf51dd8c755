//! Name and message rules, checked by the client before anything is sent and reused by the
//! broker so both sides agree (RocketMQ's `Validators` and `TopicValidator`).
//!
//! Topic: 1..=`TOPIC_USER_LEN_MAX` bytes of `[A-Za-z0-9_%|-]`. Group: 1..=`GROUP_LEN_MAX`
//! bytes of the same characters.

use crate::client::config::DELAY_LEVEL_MAX;
use crate::client::error::ClientError;
use crate::limits::{
    BODY_LEN_MAX, GROUP_LEN_MAX, KEYS_LEN_MAX, PROPERTY_COUNT_MAX, TAGS_LEN_MAX, TOPIC_USER_LEN_MAX,
};
use crate::message::Message;

/// Whether `c` may appear in a topic or group name.
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '%' | '|' | '-')
}

/// Checks a name of `[A-Za-z0-9_%|-]` with at most `max` bytes; `what` names it in the error.
pub fn check_name(what: &str, name: &str, max: usize) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("{what} name is empty"));
    }
    if name.len() > max {
        return Err(format!(
            "{what} name `{}` is {} bytes, over the limit of {max}",
            name.escape_debug(),
            name.len()
        ));
    }
    if let Some(bad) = name.chars().find(|c| !is_name_char(*c)) {
        return Err(format!(
            "{what} name `{}` contains {bad:?}; only [A-Za-z0-9_%|-] are allowed",
            name.escape_debug()
        ));
    }
    Ok(())
}

/// Checks a user topic name: non-empty, ≤ `TOPIC_USER_LEN_MAX` bytes, `[A-Za-z0-9_%|-]`.
pub fn check_topic(topic: &str) -> Result<(), String> {
    check_name("topic", topic, TOPIC_USER_LEN_MAX)
}

/// Checks a producer or consumer group name: non-empty, ≤ `GROUP_LEN_MAX` bytes,
/// `[A-Za-z0-9_%|-]`.
pub fn check_group(group: &str) -> Result<(), String> {
    check_name("group", group, GROUP_LEN_MAX)
}

/// `check_topic` as a `ClientError::InvalidArgument`.
pub fn validate_topic(topic: &str) -> Result<(), ClientError> {
    check_topic(topic).map_err(ClientError::InvalidArgument)
}

/// `check_group` as a `ClientError::InvalidArgument`.
pub fn validate_group(group: &str) -> Result<(), ClientError> {
    check_group(group).map_err(ClientError::InvalidArgument)
}

/// Checks a message before it is encoded: topic name, body non-empty and ≤ `BODY_LEN_MAX`,
/// tag, keys, property count and delay level. Encoding checks the remaining byte limits.
pub fn validate_message(msg: &Message) -> Result<(), ClientError> {
    validate_topic(&msg.topic)?;
    let invalid = |s: String| Err(ClientError::InvalidArgument(s));
    if msg.body.is_empty() {
        return invalid(format!("message body for topic `{}` is empty", msg.topic));
    }
    if msg.body.len() > BODY_LEN_MAX {
        let len = msg.body.len();
        return invalid(format!(
            "message body is {len} bytes, over the limit of {BODY_LEN_MAX}"
        ));
    }
    if let Some(tags) = &msg.tags
        && (tags.is_empty() || tags.len() > TAGS_LEN_MAX || tags.contains("||"))
    {
        return invalid(format!(
            "tag {tags:?} must be 1..={TAGS_LEN_MAX} bytes without `||`"
        ));
    }
    let keys_len: usize = msg.keys.iter().map(|k| k.len() + 1).sum();
    if msg.keys.iter().any(|k| k.is_empty() || k.contains(' ')) || keys_len > KEYS_LEN_MAX + 1 {
        return invalid(format!(
            "keys must be non-empty, without spaces, {KEYS_LEN_MAX} bytes in all"
        ));
    }
    if msg.properties.len() > PROPERTY_COUNT_MAX {
        return invalid(format!(
            "{} properties, over the limit of {PROPERTY_COUNT_MAX}",
            msg.properties.len()
        ));
    }
    if msg.delay_level > DELAY_LEVEL_MAX {
        return invalid(format!(
            "delay level {} is over {DELAY_LEVEL_MAX}",
            msg.delay_level
        ));
    }
    Ok(())
}

/// Checks a message's delivery time: no more than `max_delay_ms` after `now_ms` (a time in
/// the past is delivered at once). The producer checks it with its `timer_max_delay`
/// (`TIMER_MAX_DELAY_MS_DEFAULT`, 3 days, by default); the broker checks again.
pub fn validate_deliver_time(
    msg: &Message,
    max_delay_ms: u64,
    now_ms: u64,
) -> Result<(), ClientError> {
    let Some(at) = msg.deliver_at_ms else {
        return Ok(());
    };
    if at > now_ms.saturating_add(max_delay_ms) {
        return Err(ClientError::InvalidArgument(format!(
            "delivery time {at} ms is {} s ahead, over the maximum delay of {} s",
            (at - now_ms) / 1000,
            max_delay_ms / 1000
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Topic names follow RocketMQ's rule: allowed characters, non-empty, length limit.
    #[test]
    fn topic_rule() {
        assert!(check_topic("Orders_2024-eu%x|y").is_ok());
        assert!(check_topic("").is_err());
        assert!(check_topic("a b").is_err());
        assert!(check_topic("a.b").is_err());
        assert!(check_topic("é").is_err());
        assert!(check_topic(&"a".repeat(TOPIC_USER_LEN_MAX)).is_ok());
        let err = check_topic(&"a".repeat(TOPIC_USER_LEN_MAX + 1)).unwrap_err();
        assert!(err.contains("over the limit"), "{err}");
    }

    /// Group names use the same characters with their own length limit.
    #[test]
    fn group_rule() {
        assert!(check_group("pg-1").is_ok());
        assert!(check_group("").is_err());
        assert!(check_group("g/1").is_err());
        assert!(check_group(&"g".repeat(GROUP_LEN_MAX)).is_ok());
        assert!(check_group(&"g".repeat(GROUP_LEN_MAX + 1)).is_err());
    }

    /// Messages with an empty or oversized body, bad tags or bad keys are refused.
    #[test]
    fn message_rule() {
        assert!(validate_message(&Message::new("t", "x")).is_ok());
        assert!(validate_message(&Message::new("t", "")).is_err());
        assert!(validate_message(&Message::new("bad topic", "x")).is_err());
        let big = vec![0u8; BODY_LEN_MAX + 1];
        let err = validate_message(&Message::new("t", big)).unwrap_err();
        assert_eq!(err.code(), 5);
        assert!(validate_message(&Message::new("t", "x").with_tags("")).is_err());
        assert!(validate_message(&Message::new("t", "x").with_key("a b")).is_err());
        assert!(validate_message(&Message::new("t", "x").with_delay_level(19)).is_err());
    }

    /// A delivery time past the maximum delay is refused with a message naming both; one in
    /// the past or within the maximum is fine.
    #[test]
    fn deliver_time_rule() {
        let day = 24 * 3600 * 1000;
        let now = 1_700_000_000_000;
        let max = crate::limits::TIMER_MAX_DELAY_MS_DEFAULT;
        let at = |ms| Message::new("t", "x").with_deliver_at_ms(ms);
        assert!(validate_deliver_time(&at(now + 3 * day), max, now).is_ok());
        assert!(validate_deliver_time(&at(now - day), max, now).is_ok());
        let err = validate_deliver_time(&at(now + 4 * day), max, now).unwrap_err();
        assert!(
            err.to_string().contains("maximum delay of 259200 s"),
            "{err}"
        );
        let soon = Message::new("t", "x").with_deliver_after(std::time::Duration::from_secs(5));
        assert!(soon.deliver_at_ms.is_some());
    }
}

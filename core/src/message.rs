//! The message model: what a producer sends (`Message`) and what a consumer receives
//! (`MessageExt`), with RocketMQ's field names.
//!
//! These are domain types; their byte layout lives in `protocol::record`, the one record format
//! shared by the producer, the commit log and the consumer.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::str::FromStr;

use bytes::Bytes;

/// A message to send.
///
/// `keys` are indexed for lookup (space-separated on the wire, so a key holds no space);
/// `tags` is one tag used for server-side filtering; `flag` is an opaque user integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Topic the message is sent to.
    pub topic: String,
    /// Opaque payload.
    pub body: Bytes,
    /// One tag, used by tag subscriptions (`TagA || TagB`).
    pub tags: Option<String>,
    /// Business keys, each indexed for query by key.
    pub keys: Vec<String>,
    /// Opaque user integer, stored and returned as is.
    pub flag: u32,
    /// User properties (also the input of SQL92 filters).
    pub properties: BTreeMap<String, String>,
    /// RocketMQ delay level (1..=18); 0 means not delayed.
    pub delay_level: u8,
    /// Absolute delivery time in milliseconds since the Unix epoch, if delayed to a time.
    pub deliver_at_ms: Option<u64>,
    /// When false, a SYNC_FLUSH broker answers without waiting for the flush.
    pub wait_store_msg_ok: bool,
}

impl Message {
    /// A message with the given topic and body and every other field at its default.
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Message {
        Message {
            topic: topic.into(),
            body: body.into(),
            tags: None,
            keys: Vec::new(),
            flag: 0,
            properties: BTreeMap::new(),
            delay_level: 0,
            deliver_at_ms: None,
            wait_store_msg_ok: true,
        }
    }

    /// Sets the tag.
    pub fn with_tags(mut self, tags: impl Into<String>) -> Message {
        self.tags = Some(tags.into());
        self
    }

    /// Adds one key.
    pub fn with_key(mut self, key: impl Into<String>) -> Message {
        self.keys.push(key.into());
        self
    }

    /// Sets one property.
    pub fn with_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Message {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// Sets the user flag.
    pub fn with_flag(mut self, flag: u32) -> Message {
        self.flag = flag;
        self
    }

    /// Sets the RocketMQ delay level (1..=18).
    pub fn with_delay_level(mut self, level: u8) -> Message {
        self.delay_level = level;
        self
    }

    /// Sets an absolute delivery time in milliseconds since the Unix epoch.
    pub fn with_deliver_at_ms(mut self, deliver_at_ms: u64) -> Message {
        self.deliver_at_ms = Some(deliver_at_ms);
        self
    }

    /// Sets the delivery time to `delay` from now (1 s precision on the broker; at most the
    /// producer's `timer_max_delay` ahead, 3 days by default).
    pub fn with_deliver_after(mut self, delay: std::time::Duration) -> Message {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.deliver_at_ms = Some(now.saturating_add(delay_ms).max(1));
        self
    }

    /// Sets whether a SYNC_FLUSH broker waits for the flush before answering.
    pub fn with_wait_store_msg_ok(mut self, wait: bool) -> Message {
        self.wait_store_msg_ok = wait;
        self
    }
}

/// A message as stored and delivered, with the broker's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageExt {
    /// The message as the producer sent it.
    pub message: Message,
    /// The producer-generated unique id (RocketMQ's `UNIQ_KEY`).
    pub msg_id: MessageId,
    /// Queue the message is stored in.
    pub queue_id: u32,
    /// Logical offset in the queue (an index, not bytes).
    pub queue_offset: u64,
    /// Physical offset of the record in the broker's commit log.
    pub commit_log_offset: u64,
    /// Bytes of the stored record.
    pub store_size: u32,
    /// System flags of the record.
    pub sys_flag: u32,
    /// Milliseconds since the epoch when the producer created the message.
    pub born_timestamp_ms: u64,
    /// Milliseconds since the epoch when the broker stored the message.
    pub store_timestamp_ms: u64,
    /// Producer address as seen by the producer.
    pub born_host: SocketAddr,
    /// Address of the broker that stored the message.
    pub store_host: SocketAddr,
    /// How many times the message was handed back for redelivery.
    pub reconsume_times: u32,
    /// Commit-log offset of the prepared (half) message, for transactional messages.
    pub prepared_transaction_offset: u64,
    /// CRC32 of the record's variable part (topic, tags, keys, properties and body).
    pub payload_crc: u32,
}

impl MessageExt {
    /// The topic.
    pub fn topic(&self) -> &str {
        &self.message.topic
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.message.body
    }

    /// The tag, if any.
    pub fn tags(&self) -> Option<&str> {
        self.message.tags.as_deref()
    }

    /// The keys.
    pub fn keys(&self) -> &[String] {
        &self.message.keys
    }

    /// One property.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.message.properties.get(key).map(String::as_str)
    }

    /// The broker-side id: store host and commit-log offset as 32 hex characters (RocketMQ's
    /// `offsetMsgId`), from which the broker can find the record without an index.
    pub fn offset_msg_id(&self) -> String {
        offset_msg_id(self.store_host, self.commit_log_offset)
    }
}

/// Formats RocketMQ's `offsetMsgId` for an IPv4 store host; IPv6 hosts give 56 characters.
pub fn offset_msg_id(store_host: SocketAddr, commit_log_offset: u64) -> String {
    let mut out = String::with_capacity(56);
    match store_host {
        SocketAddr::V4(v4) => push_hex(&mut out, &v4.ip().octets()),
        SocketAddr::V6(v6) => push_hex(&mut out, &v6.ip().octets()),
    }
    push_hex(&mut out, &u32::from(store_host.port()).to_be_bytes());
    push_hex(&mut out, &commit_log_offset.to_be_bytes());
    out
}

/// The address used where no address is known.
pub fn unspecified_addr() -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
}

/// A producer-generated unique message id: 16 bytes, shown as 32 upper-case hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MessageId(pub [u8; 16]);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(32);
        push_hex(&mut s, &self.0);
        f.write_str(&s)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({self})")
    }
}

/// Why a string is not a message id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message id must be 32 hex characters")]
pub struct ParseMessageIdError;

impl FromStr for MessageId {
    type Err = ParseMessageIdError;

    fn from_str(s: &str) -> Result<MessageId, ParseMessageIdError> {
        let raw = s.as_bytes();
        if raw.len() != 32 {
            return Err(ParseMessageIdError);
        }
        let mut out = [0u8; 16];
        for (i, pair) in raw.chunks_exact(2).enumerate() {
            let hi = hex_value(pair[0]).ok_or(ParseMessageIdError)?;
            let lo = hex_value(pair[1]).ok_or(ParseMessageIdError)?;
            out[i] = hi << 4 | lo;
        }
        Ok(MessageId(out))
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message id prints as 32 hex characters and parses back.
    #[test]
    fn message_id_roundtrip() {
        let id = MessageId([0xab; 16]);
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<MessageId>(), Ok(id));
        assert_eq!("xyz".parse::<MessageId>(), Err(ParseMessageIdError));
    }

    /// RocketMQ's offsetMsgId layout: ip(4) + port(4) + offset(8) in hex.
    #[test]
    fn offset_msg_id_layout() {
        let addr: SocketAddr = "10.0.0.1:10911".parse().unwrap();
        assert_eq!(
            offset_msg_id(addr, 0x1234),
            "0A00000100002A9F0000000000001234"
        );
    }
}

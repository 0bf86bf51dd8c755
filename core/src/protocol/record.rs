//! The message record: one byte format from the producer, through the commit log, to the
//! consumer.
//!
//! The producer encodes a record (both CRCs included); the broker validates it, patches only
//! the fixed-offset fields it owns (queue id, queue offset, commit-log offset, store timestamp,
//! store host), recomputes the header CRC and appends the bytes as they are; a pull sends the
//! stored bytes back unchanged. Layout (all integers big-endian; `spec/storage.md` is the
//! contract):
//!
//! ```text
//! off len field                        off len field
//!   0   4 total_size                    64   8 born_timestamp_ms
//!   4   4 magic (RECORD_MAGIC)          72   8 store_timestamp_ms    (broker)
//!   8   4 header_crc                    80   8 deliver_at_ms (0 = none)
//!  12   4 payload_crc                   88   8 prepared_transaction_offset
//!  16  16 msg_id                        96  18 born_host (16-byte IPv6 or v4-mapped, u16 port)
//!  32   4 flag                         114  18 store_host            (broker)
//!  36   4 sys_flag                     132   1 delay_level
//!  40   4 queue_id              (broker) 133 3 reserved, zero
//!  44   4 reconsume_times              136     topic: u16 len + UTF-8
//!  48   8 queue_offset          (broker)       tags: u16 len + UTF-8
//!  56   8 commit_log_offset     (broker)       keys: u16 len + UTF-8, space-separated
//!                                              properties: u16 len + (u16 klen, k, u16 vlen, v)*
//!                                              body: u32 len + bytes
//! ```
//!
//! `header_crc` covers bytes `[0, 8)` and `[12, 136)`; `payload_crc` covers `[136, total_size)`.
//! Properties are sorted by key with no duplicates, so every record has exactly one encoding.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use bytes::{BufMut, Bytes, BytesMut};

use crate::limits::{
    BODY_LEN_MAX, KEYS_LEN_MAX, PROPERTIES_LEN_MAX, PROPERTY_COUNT_MAX, RECORD_LEN_MAX,
    TAGS_LEN_MAX, TOPIC_LEN_MAX,
};
use crate::message::{Message, MessageExt, MessageId};
use crate::protocol::error::{DecodeError, EncodeError};
use crate::protocol::wire;

/// Magic of a message record, format version 1.
pub const RECORD_MAGIC: u32 = 0xF3C0_0001;
/// Magic of the filler written at the end of a commit-log segment the next record does not fit.
pub const BLANK_MAGIC: u32 = 0xF3C0_B1A7;
/// Bytes of the fixed part of a record.
pub const RECORD_FIXED_LEN: usize = 136;
/// Smallest possible record: the fixed part and five empty variable fields.
pub const RECORD_LEN_MIN: usize = RECORD_FIXED_LEN + 2 + 2 + 2 + 2 + 4;

/// Byte offset of `total_size`.
pub const OFF_TOTAL_SIZE: usize = 0;
/// Byte offset of `magic`.
pub const OFF_MAGIC: usize = 4;
/// Byte offset of `header_crc`.
pub const OFF_HEADER_CRC: usize = 8;
/// Byte offset of `payload_crc`.
pub const OFF_PAYLOAD_CRC: usize = 12;
/// Byte offset of `msg_id`.
pub const OFF_MSG_ID: usize = 16;
/// Byte offset of `flag`.
pub const OFF_FLAG: usize = 32;
/// Byte offset of `sys_flag`.
pub const OFF_SYS_FLAG: usize = 36;
/// Byte offset of `queue_id`.
pub const OFF_QUEUE_ID: usize = 40;
/// Byte offset of `reconsume_times`.
pub const OFF_RECONSUME_TIMES: usize = 44;
/// Byte offset of `queue_offset`.
pub const OFF_QUEUE_OFFSET: usize = 48;
/// Byte offset of `commit_log_offset`.
pub const OFF_COMMIT_LOG_OFFSET: usize = 56;
/// Byte offset of `born_timestamp_ms`.
pub const OFF_BORN_TIMESTAMP: usize = 64;
/// Byte offset of `store_timestamp_ms`.
pub const OFF_STORE_TIMESTAMP: usize = 72;
/// Byte offset of `deliver_at_ms`.
pub const OFF_DELIVER_AT: usize = 80;
/// Byte offset of `prepared_transaction_offset`.
pub const OFF_PREPARED_TRANSACTION_OFFSET: usize = 88;
/// Byte offset of `born_host`.
pub const OFF_BORN_HOST: usize = 96;
/// Byte offset of `store_host`.
pub const OFF_STORE_HOST: usize = 114;
/// Byte offset of `delay_level`.
pub const OFF_DELAY_LEVEL: usize = 132;
/// Byte offset of the three reserved bytes.
pub const OFF_RESERVED: usize = 133;
const HOST_LEN: usize = 18;

const _: () = assert!(OFF_STORE_HOST + HOST_LEN == OFF_DELAY_LEVEL);
const _: () = assert!(OFF_RESERVED + 3 == RECORD_FIXED_LEN);
const _: () = assert!(RECORD_LEN_MAX <= u32::MAX as usize);

/// `sys_flag` bit: the body is compressed (the compression type is in bits 8..=10).
pub const SYS_FLAG_COMPRESSED: u32 = 0x1;
/// `sys_flag` mask of the transaction type (RocketMQ's values).
pub const SYS_FLAG_TRANSACTION_MASK: u32 = 0xC;
/// `sys_flag` transaction type: a prepared (half) message.
pub const SYS_FLAG_TRANSACTION_PREPARED: u32 = 0x4;
/// `sys_flag` transaction type: a committed transactional message.
pub const SYS_FLAG_TRANSACTION_COMMIT: u32 = 0x8;
/// `sys_flag` transaction type: a rolled-back transactional message.
pub const SYS_FLAG_TRANSACTION_ROLLBACK: u32 = 0xC;
/// `sys_flag` mask of the compression type.
pub const SYS_FLAG_COMPRESSION_MASK: u32 = 0x700;

/// The producer-side fixed fields of a record that are not part of `Message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordStamp {
    /// Unique id generated by the producer.
    pub msg_id: MessageId,
    /// System flags.
    pub sys_flag: u32,
    /// Queue the producer chose.
    pub queue_id: u32,
    /// Redelivery count (0 for a fresh message).
    pub reconsume_times: u32,
    /// Milliseconds since the epoch at creation.
    pub born_timestamp_ms: u64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// Commit-log offset of the prepared message (transactions), else 0.
    pub prepared_transaction_offset: u64,
}

/// The broker-owned fixed fields written when a record is appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorePatch {
    /// Queue the record is stored in.
    pub queue_id: u32,
    /// Logical offset in that queue.
    pub queue_offset: u64,
    /// Physical offset in the commit log.
    pub commit_log_offset: u64,
    /// Milliseconds since the epoch at append.
    pub store_timestamp_ms: u64,
    /// Address of the storing broker.
    pub store_host: SocketAddr,
}

/// A validated record borrowed from a buffer: both CRCs and every variable field checked.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    /// The whole record.
    pub bytes: &'a [u8],
    /// Topic.
    pub topic: &'a str,
    /// Tag ("" when none).
    pub tags: &'a str,
    /// Space-separated keys ("" when none).
    pub keys: &'a str,
    /// Encoded properties (without their length prefix).
    pub properties: &'a [u8],
    /// Body.
    pub body: &'a [u8],
}

impl RecordView<'_> {
    /// Total bytes of the record.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true: a record has at least its fixed part.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The producer-generated unique id.
    pub fn msg_id(&self) -> MessageId {
        MessageId(read_array(self.bytes, OFF_MSG_ID))
    }

    /// The queue id field.
    pub fn queue_id(&self) -> u32 {
        read_u32(self.bytes, OFF_QUEUE_ID)
    }

    /// The queue offset field.
    pub fn queue_offset(&self) -> u64 {
        read_u64(self.bytes, OFF_QUEUE_OFFSET)
    }

    /// The commit-log offset field.
    pub fn commit_log_offset(&self) -> u64 {
        read_u64(self.bytes, OFF_COMMIT_LOG_OFFSET)
    }

    /// The system flags.
    pub fn sys_flag(&self) -> u32 {
        read_u32(self.bytes, OFF_SYS_FLAG)
    }

    /// The store timestamp field.
    pub fn store_timestamp_ms(&self) -> u64 {
        read_u64(self.bytes, OFF_STORE_TIMESTAMP)
    }

    /// The born timestamp field.
    pub fn born_timestamp_ms(&self) -> u64 {
        read_u64(self.bytes, OFF_BORN_TIMESTAMP)
    }

    /// The delivery time field (0 = none).
    pub fn deliver_at_ms(&self) -> u64 {
        read_u64(self.bytes, OFF_DELIVER_AT)
    }

    /// The delay level field (0 = none).
    pub fn delay_level(&self) -> u8 {
        self.bytes[OFF_DELAY_LEVEL]
    }

    /// The redelivery count.
    pub fn reconsume_times(&self) -> u32 {
        read_u32(self.bytes, OFF_RECONSUME_TIMES)
    }

    /// Iterates over the properties as `(key, value)` pairs.
    pub fn properties(&self) -> impl Iterator<Item = (&str, &str)> {
        PropertyIter {
            rest: self.properties,
        }
    }

    /// Iterates over the keys.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.keys.split(' ').filter(|k| !k.is_empty())
    }
}

/// Encodes `msg` as a record into `out`, returning the record's length.
///
/// Broker-owned fields are written as zero. Limits are checked before anything is written, so a
/// failed encode leaves `out` unchanged.
pub fn encode_record(
    msg: &Message,
    stamp: &RecordStamp,
    out: &mut BytesMut,
) -> Result<usize, EncodeError> {
    let tags = msg.tags.as_deref().unwrap_or("");
    if msg.tags.as_deref() == Some("") {
        return Err(EncodeError::Invalid {
            field: "tags",
            reason: "empty tag; use no tag",
        });
    }
    if msg.topic.is_empty() {
        return Err(EncodeError::Invalid {
            field: "topic",
            reason: "empty",
        });
    }
    if msg.deliver_at_ms == Some(0) {
        return Err(EncodeError::Invalid {
            field: "deliver_at_ms",
            reason: "0 means no delivery time; use None",
        });
    }
    let keys = join_keys(&msg.keys)?;
    let properties_len = properties_encoded_len(&msg.properties)?;
    wire::check_len("topic", msg.topic.len(), TOPIC_LEN_MAX)?;
    wire::check_len("tags", tags.len(), TAGS_LEN_MAX)?;
    wire::check_len("keys", keys.len(), KEYS_LEN_MAX)?;
    wire::check_len("body", msg.body.len(), BODY_LEN_MAX)?;
    let total = RECORD_FIXED_LEN
        + 2
        + msg.topic.len()
        + 2
        + tags.len()
        + 2
        + keys.len()
        + 2
        + properties_len
        + 4
        + msg.body.len();
    wire::check_len("record", total, RECORD_LEN_MAX)?;
    let start = out.len();
    out.reserve(total);
    write_fixed(msg, stamp, total, out);
    wire::put_string(out, "topic", &msg.topic, TOPIC_LEN_MAX)?;
    wire::put_string(out, "tags", tags, TAGS_LEN_MAX)?;
    wire::put_string(out, "keys", &keys, KEYS_LEN_MAX)?;
    write_properties(&msg.properties, properties_len, out);
    wire::put_bytes32(out, "body", &msg.body, BODY_LEN_MAX)?;
    let record = &mut out[start..];
    assert_eq!(record.len(), total);
    let payload_crc = crc32fast::hash(&record[RECORD_FIXED_LEN..]);
    record[OFF_PAYLOAD_CRC..OFF_PAYLOAD_CRC + 4].copy_from_slice(&payload_crc.to_be_bytes());
    seal_header(record);
    Ok(total)
}

fn write_fixed(msg: &Message, stamp: &RecordStamp, total: usize, out: &mut BytesMut) {
    let total = u32::try_from(total).expect("record length checked against RECORD_LEN_MAX");
    out.put_u32(total);
    out.put_u32(RECORD_MAGIC);
    out.put_u32(0); // header_crc, sealed last
    out.put_u32(0); // payload_crc, computed once the payload is written
    out.put_slice(&stamp.msg_id.0);
    out.put_u32(msg.flag);
    out.put_u32(stamp.sys_flag);
    out.put_u32(stamp.queue_id);
    out.put_u32(stamp.reconsume_times);
    out.put_u64(0); // queue_offset
    out.put_u64(0); // commit_log_offset
    out.put_u64(stamp.born_timestamp_ms);
    out.put_u64(0); // store_timestamp_ms
    out.put_u64(msg.deliver_at_ms.unwrap_or(0));
    out.put_u64(stamp.prepared_transaction_offset);
    put_host(out, stamp.born_host);
    put_host(out, crate::message::unspecified_addr());
    out.put_u8(msg.delay_level);
    out.put_slice(&[0, 0, 0]);
}

/// Writes the broker-owned fields into a validated record and recomputes its header CRC.
pub fn patch_record(record: &mut [u8], patch: &StorePatch) {
    assert!(
        record.len() >= RECORD_FIXED_LEN,
        "patching a record shorter than its header"
    );
    record[OFF_QUEUE_ID..OFF_QUEUE_ID + 4].copy_from_slice(&patch.queue_id.to_be_bytes());
    record[OFF_QUEUE_OFFSET..OFF_QUEUE_OFFSET + 8]
        .copy_from_slice(&patch.queue_offset.to_be_bytes());
    record[OFF_COMMIT_LOG_OFFSET..OFF_COMMIT_LOG_OFFSET + 8]
        .copy_from_slice(&patch.commit_log_offset.to_be_bytes());
    record[OFF_STORE_TIMESTAMP..OFF_STORE_TIMESTAMP + 8]
        .copy_from_slice(&patch.store_timestamp_ms.to_be_bytes());
    record[OFF_STORE_HOST..OFF_STORE_HOST + HOST_LEN]
        .copy_from_slice(&host_bytes(patch.store_host));
    seal_header(record);
}

/// Sets the reconsume count of a record and recomputes its header CRC.
pub fn patch_reconsume_times(record: &mut [u8], reconsume_times: u32) {
    assert!(
        record.len() >= RECORD_FIXED_LEN,
        "patching a record shorter than its header"
    );
    record[OFF_RECONSUME_TIMES..OFF_RECONSUME_TIMES + 4]
        .copy_from_slice(&reconsume_times.to_be_bytes());
    seal_header(record);
}

/// Clears a record's delay level and delivery time and recomputes its header CRC: the copy a
/// delivery scheduler stores in the real queue once the delay is over.
pub fn clear_delay(record: &mut [u8]) {
    assert!(
        record.len() >= RECORD_FIXED_LEN,
        "patching a record shorter than its header"
    );
    record[OFF_DELIVER_AT..OFF_DELIVER_AT + 8].fill(0);
    record[OFF_DELAY_LEVEL] = 0;
    seal_header(record);
}

/// Whether a record waits for a delivery scheduler (a delay level or a delivery time is set).
pub fn is_delayed(record: &RecordView<'_>) -> bool {
    record.delay_level() != 0 || record.deliver_at_ms() != 0
}

fn seal_header(record: &mut [u8]) {
    let crc = header_crc(record);
    record[OFF_HEADER_CRC..OFF_HEADER_CRC + 4].copy_from_slice(&crc.to_be_bytes());
}

fn header_crc(record: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&record[..OFF_HEADER_CRC]);
    hasher.update(&record[OFF_PAYLOAD_CRC..RECORD_FIXED_LEN]);
    hasher.finalize()
}

/// The 64-bit tag hash stored in consume-queue entries: FNV-1a of the tag's UTF-8 bytes, and 0
/// for "no tag". Brokers filter on it without reading the commit log; clients re-check the tag
/// string because different tags can share a hash.
pub fn tag_hash(tags: &str) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    if tags.is_empty() {
        return 0;
    }
    let mut hash = OFFSET_BASIS;
    for b in tags.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

/// Reads the `total_size` and `magic` at the front of `buf`, if both are present.
pub fn peek_record_header(buf: &[u8]) -> Option<(u32, u32)> {
    let size = buf.get(OFF_TOTAL_SIZE..OFF_TOTAL_SIZE + 4)?;
    let magic = buf.get(OFF_MAGIC..OFF_MAGIC + 4)?;
    Some((be_u32(size), be_u32(magic)))
}

/// Validates the record at the front of `buf`: size, magic, both CRCs and every variable
/// field. Bytes after the record are ignored.
pub fn parse_record(buf: &[u8]) -> Result<RecordView<'_>, DecodeError> {
    let (size, magic) =
        peek_record_header(buf).ok_or(DecodeError::Truncated { field: "record" })?;
    if magic != RECORD_MAGIC {
        return Err(DecodeError::CorruptRecord("bad magic"));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if size > RECORD_LEN_MAX {
        return Err(DecodeError::TooLong {
            field: "record",
            len: size,
            max: RECORD_LEN_MAX,
        });
    }
    if size < RECORD_LEN_MIN {
        return Err(DecodeError::CorruptRecord("size below the minimum"));
    }
    let bytes = buf
        .get(..size)
        .ok_or(DecodeError::Truncated { field: "record" })?;
    if header_crc(bytes) != read_u32(bytes, OFF_HEADER_CRC) {
        return Err(DecodeError::CorruptRecord("header crc mismatch"));
    }
    if crc32fast::hash(&bytes[RECORD_FIXED_LEN..]) != read_u32(bytes, OFF_PAYLOAD_CRC) {
        return Err(DecodeError::CorruptRecord("payload crc mismatch"));
    }
    if bytes[OFF_RESERVED..RECORD_FIXED_LEN] != [0, 0, 0] {
        return Err(DecodeError::CorruptRecord("reserved bytes are not zero"));
    }
    parse_variable(bytes)
}

fn parse_variable(bytes: &[u8]) -> Result<RecordView<'_>, DecodeError> {
    let i = &bytes[RECORD_FIXED_LEN..];
    let (i, topic) = wire::string(i, "topic", TOPIC_LEN_MAX)?;
    let (i, tags) = wire::string(i, "tags", TAGS_LEN_MAX)?;
    let (i, keys) = wire::string(i, "keys", KEYS_LEN_MAX)?;
    let (i, properties_len) = wire::u16(i, "properties")?;
    let properties_len = usize::from(properties_len);
    if properties_len > PROPERTIES_LEN_MAX {
        let max = PROPERTIES_LEN_MAX;
        return Err(DecodeError::TooLong {
            field: "properties",
            len: properties_len,
            max,
        });
    }
    let (i, properties) = wire::take_bytes(i, "properties", properties_len)?;
    let (i, body) = wire::bytes32(i, "body", BODY_LEN_MAX)?;
    wire::finish(i)?;
    if topic.is_empty() {
        return Err(DecodeError::InvalidValue {
            field: "topic",
            value: 0,
        });
    }
    validate_keys(keys)?;
    validate_properties(properties)?;
    Ok(RecordView {
        bytes,
        topic,
        tags,
        keys,
        properties,
        body,
    })
}

/// Decodes the record at the front of `buf` into a `MessageExt`, sharing the body's bytes.
pub fn decode_record(buf: &Bytes) -> Result<MessageExt, DecodeError> {
    let view = parse_record(buf)?;
    let b = view.bytes;
    let mut properties = BTreeMap::new();
    for (k, v) in view.properties() {
        properties.insert(k.to_owned(), v.to_owned());
    }
    let deliver_at_ms = read_u64(b, OFF_DELIVER_AT);
    let message = Message {
        topic: view.topic.to_owned(),
        body: buf.slice_ref(view.body),
        tags: (!view.tags.is_empty()).then(|| view.tags.to_owned()),
        keys: view.keys().map(str::to_owned).collect(),
        flag: read_u32(b, OFF_FLAG),
        properties,
        delay_level: view.delay_level(),
        deliver_at_ms: (deliver_at_ms != 0).then_some(deliver_at_ms),
        wait_store_msg_ok: true,
    };
    Ok(MessageExt {
        message,
        msg_id: view.msg_id(),
        queue_id: view.queue_id(),
        queue_offset: view.queue_offset(),
        commit_log_offset: view.commit_log_offset(),
        store_size: u32::try_from(b.len()).expect("record length checked"),
        sys_flag: view.sys_flag(),
        born_timestamp_ms: view.born_timestamp_ms(),
        store_timestamp_ms: view.store_timestamp_ms(),
        born_host: read_host(b, OFF_BORN_HOST),
        store_host: read_host(b, OFF_STORE_HOST),
        reconsume_times: view.reconsume_times(),
        prepared_transaction_offset: read_u64(b, OFF_PREPARED_TRANSACTION_OFFSET),
        payload_crc: read_u32(b, OFF_PAYLOAD_CRC),
    })
}

/// Decodes every record of a concatenation of records (a batch or a pull response body).
pub fn decode_records(buf: &Bytes) -> Result<Vec<MessageExt>, DecodeError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let rest = buf.slice(at..);
        let ext = decode_record(&rest)?;
        at += ext.store_size as usize;
        out.push(ext);
    }
    Ok(out)
}

/// Iterates over the validated records of a concatenation of records.
pub fn parse_records(buf: &[u8]) -> impl Iterator<Item = Result<RecordView<'_>, DecodeError>> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match parse_record(rest) {
            Ok(view) => {
                rest = &rest[view.len()..];
                Some(Ok(view))
            }
            Err(e) => {
                rest = &[];
                Some(Err(e))
            }
        }
    })
}

fn join_keys(keys: &[String]) -> Result<String, EncodeError> {
    for key in keys {
        if key.is_empty() || key.contains(' ') {
            return Err(EncodeError::Invalid {
                field: "keys",
                reason: "empty or contains a space",
            });
        }
    }
    Ok(keys.join(" "))
}

fn validate_keys(keys: &str) -> Result<(), DecodeError> {
    if keys.is_empty() {
        return Ok(());
    }
    if keys.split(' ').any(str::is_empty) {
        return Err(DecodeError::InvalidValue {
            field: "keys",
            value: 0,
        });
    }
    Ok(())
}

fn properties_encoded_len(properties: &BTreeMap<String, String>) -> Result<usize, EncodeError> {
    wire::check_len("properties", properties.len(), PROPERTY_COUNT_MAX)?;
    let mut len = 0usize;
    for (k, v) in properties {
        if k.is_empty() {
            return Err(EncodeError::Invalid {
                field: "properties",
                reason: "empty key",
            });
        }
        wire::check_len("property key", k.len(), PROPERTIES_LEN_MAX)?;
        wire::check_len("property value", v.len(), PROPERTIES_LEN_MAX)?;
        len += 4 + k.len() + v.len();
    }
    wire::check_len("properties", len, PROPERTIES_LEN_MAX)?;
    Ok(len)
}

fn write_properties(properties: &BTreeMap<String, String>, len: usize, out: &mut BytesMut) {
    out.put_u16(u16::try_from(len).expect("properties length checked"));
    for (k, v) in properties {
        out.put_u16(u16::try_from(k.len()).expect("key length checked"));
        out.put_slice(k.as_bytes());
        out.put_u16(u16::try_from(v.len()).expect("value length checked"));
        out.put_slice(v.as_bytes());
    }
}

fn validate_properties(mut raw: &[u8]) -> Result<(), DecodeError> {
    let mut count = 0usize;
    let mut previous: Option<&str> = None;
    while !raw.is_empty() {
        let (rest, key) = wire::string(raw, "property key", PROPERTIES_LEN_MAX)?;
        let (rest, _value) = wire::string(rest, "property value", PROPERTIES_LEN_MAX)?;
        count += 1;
        if count > PROPERTY_COUNT_MAX {
            let max = PROPERTY_COUNT_MAX;
            return Err(DecodeError::TooLong {
                field: "properties",
                len: count,
                max,
            });
        }
        if key.is_empty() || previous.is_some_and(|p| p >= key) {
            return Err(DecodeError::InvalidValue {
                field: "property key order",
                value: 0,
            });
        }
        previous = Some(key);
        raw = rest;
    }
    Ok(())
}

struct PropertyIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for PropertyIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        // The bytes were validated by `parse_record`, so a failure here ends the iteration.
        let (rest, key) = wire::string(self.rest, "property key", PROPERTIES_LEN_MAX).ok()?;
        let (rest, value) = wire::string(rest, "property value", PROPERTIES_LEN_MAX).ok()?;
        self.rest = rest;
        Some((key, value))
    }
}

fn put_host(out: &mut BytesMut, addr: SocketAddr) {
    out.put_slice(&host_bytes(addr));
}

fn host_bytes(addr: SocketAddr) -> [u8; HOST_LEN] {
    let ip = match addr.ip() {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    let mut out = [0u8; HOST_LEN];
    out[..16].copy_from_slice(&ip.octets());
    out[16..].copy_from_slice(&addr.port().to_be_bytes());
    out
}

fn read_host(b: &[u8], at: usize) -> SocketAddr {
    let ip = Ipv6Addr::from(read_array::<16>(b, at));
    let port = u16::from_be_bytes(read_array(b, at + 16));
    match ip.to_ipv4_mapped() {
        Some(v4) => SocketAddr::new(IpAddr::V4(v4), port),
        None => SocketAddr::new(IpAddr::V6(ip), port),
    }
}

fn read_array<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[at..at + N]);
    out
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes(read_array(b, 0))
}

/// Reads a big-endian `u32` at `at` of a buffer known to be long enough.
pub fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(read_array(b, at))
}

/// Reads a big-endian `u64` at `at` of a buffer known to be long enough.
pub fn read_u64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(read_array(b, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Message, RecordStamp) {
        let msg = Message::new("orders", Bytes::from_static(b"hello"))
            .with_tags("TagA")
            .with_key("k1")
            .with_key("k2")
            .with_property("region", "eu")
            .with_property("a", "5")
            .with_flag(7)
            .with_delay_level(3);
        let stamp = RecordStamp {
            msg_id: MessageId([1; 16]),
            sys_flag: 0,
            queue_id: 2,
            reconsume_times: 0,
            born_timestamp_ms: 1_700_000_000_000,
            born_host: "127.0.0.1:4000".parse().unwrap(),
            prepared_transaction_offset: 0,
        };
        (msg, stamp)
    }

    /// A record decodes to the message it was encoded from, with the body shared.
    #[test]
    fn roundtrip() {
        let (msg, stamp) = sample();
        let mut out = BytesMut::new();
        let len = encode_record(&msg, &stamp, &mut out).unwrap();
        assert_eq!(len, out.len());
        let ext = decode_record(&out.freeze()).unwrap();
        assert_eq!(ext.message, msg);
        assert_eq!(ext.msg_id, stamp.msg_id);
        assert_eq!(ext.queue_id, 2);
        assert_eq!(ext.born_host, stamp.born_host);
    }

    /// Patching the broker fields keeps the record valid and changes only those fields.
    #[test]
    fn patch_keeps_record_valid() {
        let (msg, stamp) = sample();
        let mut out = BytesMut::new();
        encode_record(&msg, &stamp, &mut out).unwrap();
        let patch = StorePatch {
            queue_id: 3,
            queue_offset: 42,
            commit_log_offset: 4096,
            store_timestamp_ms: 1_700_000_000_500,
            store_host: "[::1]:9876".parse().unwrap(),
        };
        patch_record(&mut out, &patch);
        let ext = decode_record(&out.freeze()).unwrap();
        assert_eq!(ext.queue_id, 3);
        assert_eq!(ext.queue_offset, 42);
        assert_eq!(ext.commit_log_offset, 4096);
        assert_eq!(ext.store_host, patch.store_host);
        assert_eq!(ext.message, msg);
    }

    /// Any single bit flip in a record is caught by one of its CRCs (or a structural check).
    #[test]
    fn every_bit_flip_is_detected() {
        let (msg, stamp) = sample();
        let mut out = BytesMut::new();
        encode_record(&msg, &stamp, &mut out).unwrap();
        let good = out.to_vec();
        for byte in 0..good.len() {
            for bit in 0..8 {
                let mut bad = good.clone();
                bad[byte] ^= 1 << bit;
                assert!(
                    parse_record(&bad).is_err(),
                    "flip at byte {byte} bit {bit} undetected"
                );
            }
        }
    }

    /// Every truncation of a record is an error, never a shorter record.
    #[test]
    fn every_truncation_is_an_error() {
        let (msg, stamp) = sample();
        let mut out = BytesMut::new();
        encode_record(&msg, &stamp, &mut out).unwrap();
        for cut in 0..out.len() {
            assert!(parse_record(&out[..cut]).is_err());
        }
    }

    /// The tag hash is FNV-1a 64 and 0 for no tag (spec/storage.md pins these values).
    #[test]
    fn tag_hash_values() {
        assert_eq!(tag_hash(""), 0);
        assert_eq!(tag_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(tag_hash("TagA"), tag_hash("TagA"));
        assert_ne!(tag_hash("TagA"), tag_hash("TagB"));
    }

    /// The sample record matches `spec/vectors/record.json` byte for byte and field by field.
    #[test]
    fn golden() {
        crate::protocol::testkit::golden("record");
    }

    /// The two stored records of the pull vector decode in order, each to its message, with
    /// both views of a concatenation (`decode_records`, `parse_records`) agreeing.
    #[test]
    fn concatenated_records_decode_in_order() {
        use crate::protocol::testkit::samples;
        let records = samples::stored_records();
        let exts = decode_records(&records).unwrap();
        assert_eq!(exts.len(), 2);
        assert_eq!(exts[0].message, samples::message_one());
        assert_eq!(exts[1].message, samples::message_two());
        assert_eq!((exts[0].queue_offset, exts[1].queue_offset), (42, 43));
        let sizes: Vec<usize> = parse_records(&records).map(|v| v.unwrap().len()).collect();
        assert_eq!(
            sizes,
            [exts[0].store_size as usize, exts[1].store_size as usize]
        );
        let mut cut = records.to_vec();
        cut.pop();
        assert!(decode_records(&Bytes::from(cut)).is_err());
    }

    /// An empty topic and a delivery time of 0 (the wire's "none") cannot be encoded: neither
    /// would decode back to the message it came from.
    #[test]
    fn unrepresentable_fields_are_refused_at_encode() {
        let (msg, stamp) = sample();
        let mut out = BytesMut::new();
        let mut no_topic = msg.clone();
        no_topic.topic.clear();
        assert!(matches!(
            encode_record(&no_topic, &stamp, &mut out),
            Err(EncodeError::Invalid { field: "topic", .. })
        ));
        let at_zero = msg.with_deliver_at_ms(0);
        assert!(matches!(
            encode_record(&at_zero, &stamp, &mut out),
            Err(EncodeError::Invalid {
                field: "deliver_at_ms",
                ..
            })
        ));
        assert!(out.is_empty());
    }

    /// The tag-hash examples of `spec/protocol.md` §9.
    #[test]
    fn tag_hash_spec_examples() {
        assert_eq!(tag_hash("*"), 0xaf63_a74c_8601_927d);
        assert_eq!(tag_hash("TagA"), 0x03aa_2efb_08df_e196);
        assert_eq!(tag_hash("TagB"), 0x03aa_2dfb_08df_dfe3);
        assert_eq!(tag_hash("订单"), 0xb5c5_7670_b5ef_7bc0);
    }

    /// Keys with spaces and empty tags cannot be encoded.
    #[test]
    fn invalid_fields_are_refused_at_encode() {
        let (msg, stamp) = sample();
        let mut out = BytesMut::new();
        let bad_key = msg.clone().with_key("has space");
        assert!(encode_record(&bad_key, &stamp, &mut out).is_err());
        let mut empty_tag = msg;
        empty_tag.tags = Some(String::new());
        assert!(encode_record(&empty_tag, &stamp, &mut out).is_err());
        assert!(out.is_empty());
    }
}

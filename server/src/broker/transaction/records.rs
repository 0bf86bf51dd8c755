//! Re-encoding transactional records: the real message into a half message (topic
//! `RMQ_SYS_TRANS_HALF_TOPIC`, queue 0, the real topic and queue kept in properties), and a
//! half message back into the real message (to commit it, to ask a producer about it, or to
//! park it in `TRANS_CHECK_MAX_TIME_TOPIC`). Everything but the topic, queue, the internal
//! properties and the transaction bits of `sys_flag` is kept, body bytes included (so a
//! compressed body stays compressed).

use bytes::{Bytes, BytesMut};
use ferrocket::message::MessageExt;
use ferrocket::protocol::record::{
    RecordStamp, SYS_FLAG_TRANSACTION_MASK, decode_record, encode_record,
};

/// Topic of half messages: stored, never delivered (RocketMQ's name).
pub const HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// Topic of half messages discarded after the maximum number of checks (RocketMQ's name).
pub const CHECK_MAX_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
/// Property: the real topic of a half message.
pub const PROPERTY_REAL_TOPIC: &str = "REAL_TOPIC";
/// Property: the real queue of a half message.
pub const PROPERTY_REAL_QUEUE_ID: &str = "REAL_QID";
/// Property: the producer group of a half message.
pub const PROPERTY_PRODUCER_GROUP: &str = "PGROUP";

/// A half message's real destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealTarget {
    /// Topic.
    pub topic: String,
    /// Queue.
    pub queue_id: u32,
    /// Producer group.
    pub group: String,
}

/// The half-message record for a producer's record of `topic`/`queue_id`.
pub fn to_half(record: &Bytes, group: &str, queue_id: u32) -> Result<Bytes, String> {
    let ext = decode_record(record).map_err(|e| e.to_string())?;
    let mut msg = ext.message.clone();
    // A transactional message is never delayed (RocketMQ clears the level too): the half
    // message must stay in the half queue, not wait in the timer queue.
    msg.delay_level = 0;
    msg.deliver_at_ms = None;
    let props = &mut msg.properties;
    props.insert(PROPERTY_REAL_TOPIC.into(), msg.topic.clone());
    props.insert(PROPERTY_REAL_QUEUE_ID.into(), queue_id.to_string());
    props.insert(PROPERTY_PRODUCER_GROUP.into(), group.into());
    msg.topic = HALF_TOPIC.into();
    encode(&ext, msg, ext.sys_flag, 0, 0)
}

/// Where a half message really goes, from its properties.
pub fn target(half: &MessageExt) -> Option<RealTarget> {
    Some(RealTarget {
        topic: half.property(PROPERTY_REAL_TOPIC)?.to_owned(),
        queue_id: half.property(PROPERTY_REAL_QUEUE_ID)?.parse().ok()?,
        group: half.property(PROPERTY_PRODUCER_GROUP)?.to_owned(),
    })
}

/// The real message of `half` as a record for `topic`/`queue_id`, with transaction type
/// `tx_type` and `prepared_transaction_offset` set.
pub fn to_real(
    half: &MessageExt,
    topic: &str,
    queue_id: u32,
    tx_type: u32,
    prepared_offset: u64,
) -> Result<Bytes, String> {
    let mut msg = half.message.clone();
    for key in [
        PROPERTY_REAL_TOPIC,
        PROPERTY_REAL_QUEUE_ID,
        PROPERTY_PRODUCER_GROUP,
    ] {
        msg.properties.remove(key);
    }
    msg.topic = topic.into();
    let sys_flag = (half.sys_flag & !SYS_FLAG_TRANSACTION_MASK) | tx_type;
    encode(half, msg, sys_flag, queue_id, prepared_offset)
}

fn encode(
    ext: &MessageExt,
    msg: ferrocket::Message,
    sys_flag: u32,
    queue_id: u32,
    prepared_transaction_offset: u64,
) -> Result<Bytes, String> {
    let stamp = RecordStamp {
        msg_id: ext.msg_id,
        sys_flag,
        queue_id,
        reconsume_times: ext.reconsume_times,
        born_timestamp_ms: ext.born_timestamp_ms,
        born_host: ext.born_host,
        prepared_transaction_offset,
    };
    let mut out = BytesMut::with_capacity(ext.store_size as usize + 64);
    encode_record(&msg, &stamp, &mut out).map_err(|e| e.to_string())?;
    Ok(out.freeze())
}

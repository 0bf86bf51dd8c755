//! Batch sends: the checks made before anything is sent, and encoding every record of the batch
//! back to back into one buffer.
//!
//! A batch is 1..=`BATCH_COUNT_MAX` messages of one topic with one `wait_store_msg_ok` value,
//! no delay level and no delivery time, whose encoded records total at most `BATCH_LEN_MAX`
//! bytes (RocketMQ's `MessageBatch.generateFromList`). Each message gets its own id.

use std::net::SocketAddr;

use bytes::BytesMut;

use super::{prepare_body, stamp};
use crate::client::error::ClientError;
use crate::client::send::Payload;
use crate::client::validate::validate_message;
use crate::limits::{BATCH_COUNT_MAX, BATCH_LEN_MAX};
use crate::message::{Message, MessageId};
use crate::protocol::record::{RECORD_FIXED_LEN, encode_record};

/// Encoded length of `msg`'s record, from the record layout in `protocol::record`.
pub(crate) fn record_len(msg: &Message) -> usize {
    let tags = msg.tags.as_ref().map_or(0, String::len);
    let keys = msg.keys.iter().map(String::len).sum::<usize>() + msg.keys.len().saturating_sub(1);
    let properties: usize = msg
        .properties
        .iter()
        .map(|(k, v)| 4 + k.len() + v.len())
        .sum();
    RECORD_FIXED_LEN
        + (2 + msg.topic.len())
        + (2 + tags)
        + (2 + keys)
        + (2 + properties)
        + (4 + msg.body.len())
}

fn invalid(reason: String) -> ClientError {
    ClientError::InvalidArgument(reason)
}

/// Checks a batch before anything is sent; see the module doc.
pub(crate) fn check_batch(msgs: &[Message]) -> Result<(), ClientError> {
    let Some(first) = msgs.first() else {
        return Err(invalid("batch is empty".into()));
    };
    if msgs.len() > BATCH_COUNT_MAX {
        return Err(invalid(format!(
            "batch of {} messages is over the limit of {BATCH_COUNT_MAX}",
            msgs.len()
        )));
    }
    let mut total = 0usize;
    for msg in msgs {
        validate_message(msg)?;
        if msg.topic != first.topic {
            return Err(invalid(format!(
                "batch mixes topics `{}` and `{}`",
                first.topic, msg.topic
            )));
        }
        if msg.wait_store_msg_ok != first.wait_store_msg_ok {
            return Err(invalid("batch mixes wait_store_msg_ok values".into()));
        }
        if msg.delay_level != 0 || msg.deliver_at_ms.is_some() {
            return Err(invalid("batch messages cannot be delayed".into()));
        }
        total = total.saturating_add(record_len(msg));
    }
    if total > BATCH_LEN_MAX {
        return Err(invalid(format!(
            "batch is {total} encoded bytes, over the limit of {BATCH_LEN_MAX}; split it"
        )));
    }
    Ok(())
}

/// Encodes every message of a checked batch, back to back.
pub(crate) fn encode_batch(
    msgs: &[Message],
    ids: &[MessageId],
    born_host: SocketAddr,
) -> Result<Payload, ClientError> {
    assert_eq!(msgs.len(), ids.len());
    let total: usize = msgs.iter().map(record_len).sum();
    let mut out = BytesMut::with_capacity(total);
    for (msg, id) in msgs.iter().zip(ids) {
        let (prepared, sys_flag) = prepare_body(msg);
        encode_record(&prepared, &stamp(*id, sys_flag, born_host), &mut out)
            .map_err(|e| invalid(format!("batch message is invalid: {e}")))?;
    }
    if out.len() > BATCH_LEN_MAX {
        return Err(invalid(format!(
            "batch is {} encoded bytes, over the limit of {BATCH_LEN_MAX}; split it",
            out.len()
        )));
    }
    let count = u32::try_from(msgs.len()).map_err(|_| invalid("batch too large".into()))?;
    Ok(Payload::Batch {
        records: out.freeze(),
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::BODY_LEN_MAX;
    use crate::message::unspecified_addr;

    /// The size estimate matches the encoder exactly.
    #[test]
    fn record_len_matches_encoder() {
        let msg = Message::new("t", "body")
            .with_tags("TagA")
            .with_key("k1")
            .with_key("k2")
            .with_property("a", "1")
            .with_property("bb", "22");
        let Payload::Batch { records, count } = encode_batch(
            std::slice::from_ref(&msg),
            &[MessageId([1; 16])],
            unspecified_addr(),
        )
        .unwrap() else {
            panic!("not a batch");
        };
        assert_eq!(count, 1);
        assert_eq!(records.len(), record_len(&msg));
    }

    /// Empty, mixed-topic, delayed, over-count and over-size batches are refused.
    #[test]
    fn batch_limits() {
        let m = |t: &str| Message::new(t, "x");
        assert!(check_batch(&[m("a"), m("a")]).is_ok());
        assert!(check_batch(&[]).is_err());
        assert!(check_batch(&[m("a"), m("b")]).is_err());
        assert!(check_batch(&[m("a"), m("a").with_delay_level(1)]).is_err());
        assert!(check_batch(&[m("a"), m("a").with_wait_store_msg_ok(false)]).is_err());
        let many: Vec<Message> = (0..=BATCH_COUNT_MAX).map(|_| m("a")).collect();
        assert!(check_batch(&many).is_err());
        let big = vec![0u8; BODY_LEN_MAX];
        let heavy: Vec<Message> = (0..3).map(|_| Message::new("a", big.clone())).collect();
        let err = check_batch(&heavy).unwrap_err();
        assert!(err.to_string().contains("split"), "{err}");
        assert_eq!(err.code(), 5);
    }
}

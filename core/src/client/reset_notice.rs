//! The broker's `ResetOffset` notice to a consumer (`spec/protocol.md` §5.32): an operator moved
//! the group's offsets, and the consumer must drop what it buffered for those queues and
//! continue from the new offsets, or its next commit would undo the reset.
//!
//! The connection's request handler runs on the connection's read loop and may not block, so
//! it only decodes the notice and queues it (`RESET_NOTICE_QUEUE_LEN`) for the consumer's
//! reset task, which applies it.

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;

use crate::limits::RESET_NOTICE_QUEUE_LEN;
use crate::protocol::{
    ApiKey, Body, FrameKind, RawFrame, ResetOffsetRequest, ResetOffsetResponse, ResponseHead,
    Status, encode_response,
};

/// The queue between the request handler and the consumer's reset task.
pub(crate) fn channel() -> (
    mpsc::Sender<ResetOffsetRequest>,
    mpsc::Receiver<ResetOffsetRequest>,
) {
    mpsc::channel(RESET_NOTICE_QUEUE_LEN)
}

/// Whether `frame` is a `ResetOffset` notice.
pub(crate) fn is_reset(frame: &RawFrame) -> bool {
    frame.header.api_key == ApiKey::ResetOffset.code()
}

/// Queues a `ResetOffset` notice for `group`; answers it when it was sent as a request (the
/// broker sends it oneway).
pub(crate) fn accept(
    frame: &RawFrame,
    group: &str,
    tx: &mpsc::Sender<ResetOffsetRequest>,
) -> Option<Bytes> {
    let notice = match ResetOffsetRequest::decode(&frame.body) {
        Ok(notice) => notice,
        Err(e) => {
            tracing::warn!(error = %e, "undecodable offset-reset notice");
            return None;
        }
    };
    let response = ResetOffsetResponse {
        broker_name: notice.broker_name.clone(),
        offsets: notice.offsets.clone(),
    };
    if notice.consumer_group == group {
        tracing::info!(
            group,
            broker = notice.broker_name,
            queues = notice.offsets.len(),
            "offsets reset by an operator"
        );
        if tx.try_send(notice).is_err() {
            tracing::warn!(
                group,
                "offset-reset notice queue full; the notice is dropped"
            );
        }
    }
    if frame.header.kind != FrameKind::Request {
        return None;
    }
    let head = ResponseHead {
        status: Status::Ok,
        error_message: String::new(),
    };
    let mut out = BytesMut::new();
    encode_response(&frame.header, &head, Some(&response), &mut out).ok()?;
    Some(out.freeze())
}

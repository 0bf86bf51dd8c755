//! The reader and writer tasks of a `Connection`.
//!
//! The reader owns the read half and a `FrameReader`; it completes pending calls and hands
//! peer requests to the handler. The writer owns the write half and drains the bounded
//! outbound queue, gathering small frames into one `write_all`; on close it still writes the
//! frames already queued. Whichever fails first marks the connection dead, which stops the
//! other.

use std::io::ErrorKind;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;

use super::{RequestHandler, Shared};
use crate::client::config::WRITE_COALESCE_BYTES_MAX;
use crate::protocol::{FrameKind, FrameReader, RawFrame, ResponseHead, Status, encode_response};

/// Bytes reserved in the read buffer before each read.
const READ_CHUNK_LEN: usize = 64 * 1024;
/// Longest a closing writer spends writing the frames still queued.
const CLOSE_FLUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

pub(super) async fn read_loop(
    shared: Arc<Shared>,
    mut read: OwnedReadHalf,
    handler: Option<RequestHandler>,
) {
    let mut signal = shared.tasks.signal();
    let mut reader = FrameReader::new();
    let (kind, reason) = loop {
        let buf = reader.buffer_mut();
        buf.reserve(READ_CHUNK_LEN);
        let n = tokio::select! {
            () = signal.wait() => {
                break (ErrorKind::NotConnected, "connection closed by the client".to_owned())
            }
            n = read.read_buf(buf) => n,
        };
        match n {
            Ok(0) => {
                break (
                    ErrorKind::UnexpectedEof,
                    "peer closed the connection".into(),
                );
            }
            Ok(_) => {}
            Err(e) => break (e.kind(), e.to_string()),
        }
        if let Err(reason) = drain_frames(&shared, &mut reader, handler.as_ref()).await {
            break (ErrorKind::InvalidData, reason);
        }
    };
    shared.mark_dead(kind, reason);
}

/// Dispatches every whole frame buffered; an undecodable frame is fatal for the connection.
async fn drain_frames(
    shared: &Shared,
    reader: &mut FrameReader,
    handler: Option<&RequestHandler>,
) -> Result<(), String> {
    loop {
        let frame = match reader.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok(()),
            Err(e) => return Err(format!("undecodable frame from peer: {e}")),
        };
        match frame.header.kind {
            FrameKind::Response => shared.complete(frame),
            FrameKind::Request | FrameKind::Oneway => {
                if let Some(response) = handle_peer_request(shared, frame, handler)
                    && shared.outbound.send(response).await.is_err()
                {
                    return Err("writer stopped".into());
                }
            }
        }
    }
}

/// Runs the handler; a request it does not answer gets `UNSUPPORTED_API`.
fn handle_peer_request(
    shared: &Shared,
    frame: RawFrame,
    handler: Option<&RequestHandler>,
) -> Option<Bytes> {
    let header = frame.header;
    if let Some(response) = handler.and_then(|h| h(frame)) {
        return Some(response);
    }
    if header.kind == FrameKind::Oneway {
        return None;
    }
    tracing::debug!(addr = %shared.addr, api_key = header.api_key, "unhandled request from peer");
    let head = ResponseHead {
        status: Status::UnsupportedApi,
        error_message: format!("the client does not serve api key {}", header.api_key),
    };
    let mut out = BytesMut::new();
    match encode_response(&header, &head, None, &mut out) {
        Ok(()) => Some(out.freeze()),
        Err(e) => {
            tracing::warn!(error = %e, "could not encode UNSUPPORTED_API response");
            None
        }
    }
}

pub(super) async fn write_loop(
    shared: Arc<Shared>,
    mut write: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Bytes>,
) {
    let mut signal = shared.tasks.signal();
    let mut gather = BytesMut::new();
    loop {
        let first = tokio::select! {
            () = signal.wait() => {
                // Frames queued before the close are still written (a oneway send returned OK
                // once its frame was queued), within a bound in case the peer stopped reading.
                if let Ok(first) = rx.try_recv() {
                    let flush = write_batch(&mut write, &mut rx, &mut gather, first);
                    let _ = tokio::time::timeout(CLOSE_FLUSH_TIMEOUT, flush).await;
                }
                break;
            }
            frame = rx.recv() => match frame {
                Some(frame) => frame,
                None => break,
            },
        };
        if let Err(e) = write_batch(&mut write, &mut rx, &mut gather, first).await {
            shared.mark_dead(e.kind(), e.to_string());
            return;
        }
    }
    let _ = write.shutdown().await;
}

/// Writes `first` and every frame already queued behind it, gathering small frames into one
/// buffer and writing large ones directly (no copy).
async fn write_batch(
    write: &mut OwnedWriteHalf,
    rx: &mut mpsc::Receiver<Bytes>,
    gather: &mut BytesMut,
    first: Bytes,
) -> std::io::Result<()> {
    let mut next = Some(first);
    while let Some(frame) = next.take() {
        if gather.len() + frame.len() > WRITE_COALESCE_BYTES_MAX && !gather.is_empty() {
            write.write_all(gather).await?;
            gather.clear();
        }
        if frame.len() >= WRITE_COALESCE_BYTES_MAX {
            write.write_all(&frame).await?;
        } else {
            gather.extend_from_slice(&frame);
        }
        next = rx.try_recv().ok();
    }
    if !gather.is_empty() {
        write.write_all(gather).await?;
        gather.clear();
    }
    Ok(())
}

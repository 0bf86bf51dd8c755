//! One connection to the name server: read a frame, answer it, repeat.
//!
//! Name-server requests are small and answered from memory without waiting, so each
//! connection is one task that answers in order, with no per-request tasks. A peer that starts
//! a frame must finish it within `frame_read_timeout_ms`; a silent connection is closed after
//! `idle_timeout_ms`; writes that do not drain within the frame timeout close the connection.
//! When the connection ends, every broker address registered on it is forgotten.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferrocket::limits::FRAME_LEN_MAX;
use ferrocket::protocol::frame::{FRAME_PREFIX_LEN, FrameKind};
use ferrocket::protocol::{AnyRequest, FrameReader, RawFrame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::broker::connection::decode_error_reply;
use crate::broker::reply::{Outgoing, encode_reply};
use crate::namesrv::config::NameServerConfig;
use crate::namesrv::handlers;
use crate::namesrv::routes::RouteTable;

/// Read buffer growth step.
const READ_CHUNK: usize = 16 * 1024;

/// Serves one accepted connection until it closes, misbehaves or the server stops.
pub(crate) async fn serve(
    table: Arc<RouteTable>,
    config: Arc<NameServerConfig>,
    mut stream: TcpStream,
    peer: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::warn!(%peer, error = %e, "cannot set TCP_NODELAY");
    }
    let mut reader = FrameReader::new();
    let end = loop {
        let frame = match next_frame(&config, &mut stream, &mut reader, &mut shutdown).await {
            Ok(frame) => frame,
            Err(end) => break end,
        };
        let Some(out) = answer(&table, frame, peer) else {
            continue;
        };
        if let Err(e) = write(&config, &mut stream, out).await {
            break format!("write failed: {e}");
        }
    };
    let forgotten = table.connection_closed(peer);
    tracing::debug!(%peer, %end, ?forgotten, "name-server connection closed");
}

/// The encoded answer to a frame; `None` for responses and oneway requests.
fn answer(table: &RouteTable, frame: RawFrame, peer: SocketAddr) -> Option<Outgoing> {
    let header = frame.header;
    if header.kind == FrameKind::Response {
        return None;
    }
    let reply = match AnyRequest::decode(header.api_key, header.api_version, &frame.body) {
        Ok(request) => handlers::dispatch(table, request, peer),
        Err(e) => decode_error_reply(&e),
    };
    if header.kind == FrameKind::Oneway {
        return None;
    }
    match encode_reply(&header, reply) {
        Ok(out) => Some(out),
        Err(e) => {
            tracing::error!(%peer, error = %e, "cannot encode a name-server response");
            None
        }
    }
}

async fn write(
    config: &NameServerConfig,
    stream: &mut TcpStream,
    out: Outgoing,
) -> std::io::Result<()> {
    let limit = Duration::from_millis(config.frame_read_timeout_ms);
    let write = async {
        stream.write_all(&out.head).await?;
        for chunk in &out.tail {
            stream.write_all(chunk).await?;
        }
        Ok(())
    };
    tokio::time::timeout(limit, write)
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
}

async fn next_frame(
    config: &NameServerConfig,
    stream: &mut TcpStream,
    reader: &mut FrameReader,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<RawFrame, String> {
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => return Ok(frame),
            Ok(None) => {}
            Err(e) => return Err(format!("protocol error: {e}")),
        }
        let buffered = reader.buffered_len();
        let limit = Duration::from_millis(if buffered > 0 {
            config.frame_read_timeout_ms
        } else {
            config.idle_timeout_ms
        });
        let buf = reader.buffer_mut();
        let announced = buf
            .first_chunk::<FRAME_PREFIX_LEN>()
            .map(|p| u32::from_be_bytes(*p).min(FRAME_LEN_MAX) as usize + FRAME_PREFIX_LEN);
        buf.reserve(match announced {
            Some(total) if total > buf.len() => (total - buf.len()).min(READ_CHUNK * 64),
            _ => READ_CHUNK,
        });
        let read = tokio::select! {
            read = tokio::time::timeout(limit, stream.read_buf(buf)) => read,
            _ = shutdown.changed() => return Err("name server shutdown".into()),
        };
        match read {
            Err(_) if buffered > 0 => return Err("peer stalled mid-frame".into()),
            Err(_) => return Err("idle timeout".into()),
            Ok(Ok(0)) => return Err("closed by peer".into()),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("read error: {e}")),
        }
    }
}

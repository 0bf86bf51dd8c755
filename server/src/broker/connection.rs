//! One client connection: a read loop that cuts frames and starts handlers, and a write loop
//! that sends their answers.
//!
//! The read loop owns the socket's read half and a `FrameReader`. A peer that starts a frame
//! must finish it within `frame_read_timeout_ms`; a silent connection is closed after
//! `idle_timeout_ms`. An over-limit length prefix, an unknown frame kind or an unparsable
//! header closes the connection (the stream can no longer be trusted); a body that does not
//! decode gets a `MALFORMED_REQUEST` answer naming the field, and the connection goes on.
//!
//! At most `CONNECTION_IN_FLIGHT_MAX` requests run at once per connection; beyond that the
//! read loop stops reading (back-pressure). A parked long-poll pull gives its slot back while
//! it waits. Answers go through a bounded channel to the write loop, which gathers several
//! frames (and pull records straight from the commit log) into one vectored write.

use std::io::IoSlice;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use ferrocket::limits::{
    CONNECTION_IN_FLIGHT_MAX, CONNECTION_OUTBOUND_FRAMES_MAX, FRAME_LEN_MAX,
    PULL_PARKED_PER_CONNECTION_MAX,
};
use ferrocket::protocol::frame::{FRAME_PREFIX_LEN, FrameHeader, FrameKind};
use ferrocket::protocol::{AnyRequest, DecodeError, FrameReader, RawFrame, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::broker::BrokerState;
use crate::broker::channel::ClientChannel;
use crate::broker::handlers;
use crate::broker::handlers::send_batch;
use crate::broker::handlers::send_message::{self, SendStage};
use crate::broker::reply::{Outgoing, Reply, encode_reply};

/// Chunks gathered into one vectored write at most.
const WRITE_GATHER_MAX: usize = 64;
/// Read buffer growth step when no frame is in progress.
const READ_CHUNK: usize = 64 * 1024;
/// Most the read buffer grows by at once for a frame in progress, so a peer that announces a
/// large frame and stalls holds little memory.
const READ_GROWTH_MAX: usize = 1024 * 1024;

/// What a handler knows of the connection it serves.
#[derive(Debug, Clone)]
pub struct ConnContext {
    /// The peer's address.
    pub peer: SocketAddr,
    /// For calling the client back on this connection.
    pub channel: Arc<ClientChannel>,
    /// Slots for parked long-poll pulls.
    pub parked_pulls: Arc<Semaphore>,
    /// Fires when the broker shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// Why the read loop ended.
enum ReadEnd {
    Closed,
    Shutdown,
    Idle,
    Stalled { buffered: usize },
    Io(std::io::Error),
    Protocol(DecodeError),
}

impl std::fmt::Display for ReadEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadEnd::Closed => f.write_str("closed by peer"),
            ReadEnd::Shutdown => f.write_str("broker shutdown"),
            ReadEnd::Idle => f.write_str("idle timeout"),
            ReadEnd::Stalled { buffered } => {
                write!(f, "peer stalled mid-frame with {buffered} bytes buffered")
            }
            ReadEnd::Io(e) => write!(f, "read error: {e}"),
            ReadEnd::Protocol(e) => write!(f, "protocol error: {e}"),
        }
    }
}

/// Serves one accepted connection until it closes or the broker shuts down.
pub async fn serve(state: Arc<BrokerState>, stream: TcpStream, peer: SocketAddr) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::warn!(%peer, error = %e, "cannot set TCP_NODELAY");
    }
    let (read_half, write_half) = stream.into_split();
    let (tx, rx) = mpsc::channel(CONNECTION_OUTBOUND_FRAMES_MAX);
    let writer = tokio::spawn(write_loop(write_half, rx, peer));
    let ctx = ConnContext {
        peer,
        channel: Arc::new(ClientChannel::new(peer, tx.clone())),
        parked_pulls: Arc::new(Semaphore::new(PULL_PARKED_PER_CONNECTION_MAX)),
        shutdown: state.shutdown_rx(),
    };
    let end = read_loop(&state, read_half, &tx, &ctx).await;
    ctx.channel.close();
    let changed = state.clients.connection_closed(&ctx.channel);
    state.notifier.changed(changed);
    if let Some(namesrv) = &state.cluster.namesrv {
        namesrv.connection_closed(peer);
    }
    match &end {
        ReadEnd::Closed | ReadEnd::Shutdown => tracing::debug!(%peer, %end, "connection closed"),
        _ => tracing::info!(%peer, %end, "connection closed"),
    }
    drop(tx);
    if let Err(e) = writer.await {
        tracing::warn!(%peer, error = %e, "connection writer failed");
    }
}

async fn read_loop(
    state: &Arc<BrokerState>,
    mut read_half: OwnedReadHalf,
    tx: &mpsc::Sender<Outgoing>,
    ctx: &ConnContext,
) -> ReadEnd {
    let in_flight = Arc::new(Semaphore::new(CONNECTION_IN_FLIGHT_MAX));
    let mut tasks = JoinSet::new();
    let mut reader = FrameReader::new();
    let mut shutdown = ctx.shutdown.clone();
    let end = loop {
        let frame = match next_frame(state, &mut read_half, &mut reader, &mut shutdown).await {
            Ok(frame) => frame,
            Err(end) => break end,
        };
        // Answers to the broker's own calls need no slot: a handler may be waiting for one.
        if frame.header.kind == FrameKind::Response {
            ctx.channel.complete(frame);
            continue;
        }
        let permit = tokio::select! {
            permit = in_flight.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break ReadEnd::Shutdown,
            },
            _ = shutdown.changed() => break ReadEnd::Shutdown,
        };
        while tasks.try_join_next().is_some() {}
        let job = prepare(state, frame);
        tasks.spawn(run_job(state.clone(), ctx.clone(), job, tx.clone(), permit));
    };
    // The peer is gone (or going): calls to it fail from now on, and whoever watches the
    // channel (a master counting its slaves) sees it at once, not after the handlers below.
    ctx.channel.close();
    // In-flight handlers finish (parked pulls wake on shutdown) before the writer is released.
    while tasks.join_next().await.is_some() {}
    end
}

async fn next_frame(
    state: &BrokerState,
    read_half: &mut OwnedReadHalf,
    reader: &mut FrameReader,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<RawFrame, ReadEnd> {
    loop {
        match reader.next_frame() {
            Ok(Some(frame)) => return Ok(frame),
            Ok(None) => {}
            Err(e) => return Err(ReadEnd::Protocol(e)),
        }
        let buffered = reader.buffered_len();
        let limit = if buffered > 0 {
            state.frame_read_timeout()
        } else {
            state.idle_timeout()
        };
        reserve_for_frame(reader);
        let read = tokio::select! {
            read = tokio::time::timeout(limit, read_half.read_buf(reader.buffer_mut())) => read,
            _ = shutdown.changed() => return Err(ReadEnd::Shutdown),
        };
        match read {
            Err(_) if buffered > 0 => return Err(ReadEnd::Stalled { buffered }),
            Err(_) => return Err(ReadEnd::Idle),
            Ok(Ok(0)) => return Err(ReadEnd::Closed),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(ReadEnd::Io(e)),
        }
    }
}

/// Makes room for the rest of the frame being read (its length is already checked against
/// `FRAME_LEN_MAX`), or for one more read chunk.
fn reserve_for_frame(reader: &mut FrameReader) {
    let buf = reader.buffer_mut();
    let announced = buf
        .first_chunk::<FRAME_PREFIX_LEN>()
        .map(|p| u32::from_be_bytes(*p).min(FRAME_LEN_MAX) as usize + FRAME_PREFIX_LEN);
    let want = match announced {
        Some(total) if total > buf.len() => (total - buf.len()).min(READ_GROWTH_MAX),
        _ => READ_CHUNK,
    };
    buf.reserve(want);
}

/// Work for a request, prepared in arrival order on the read loop.
enum Job {
    /// Answer at once (the body did not decode).
    Reply(FrameHeader, Reply),
    /// Run the kind's handler.
    Request(FrameHeader, AnyRequest),
    /// A send already written to the store, waiting to be answered.
    Send(FrameHeader, SendStage),
}

/// Decodes a request frame and, for sends, writes it to the store right away, so a
/// connection's sends are stored in the order they arrived even though they are answered
/// concurrently.
fn prepare(state: &BrokerState, frame: RawFrame) -> Job {
    let header = frame.header;
    match AnyRequest::decode(header.api_key, header.api_version, &frame.body) {
        Err(e) => Job::Reply(header, decode_error_reply(&e)),
        Ok(AnyRequest::SendMessage(r)) => Job::Send(header, send_message::begin_single(state, &r)),
        Ok(AnyRequest::SendBatch(r)) => Job::Send(header, send_batch::begin(state, &r)),
        Ok(request) => Job::Request(header, request),
    }
}

async fn run_job(
    state: Arc<BrokerState>,
    ctx: ConnContext,
    job: Job,
    tx: mpsc::Sender<Outgoing>,
    permit: OwnedSemaphorePermit,
) {
    let (header, reply) = match job {
        Job::Reply(header, reply) => (header, reply),
        Job::Request(header, request) => (
            header,
            handlers::dispatch(&state, &ctx, request, permit).await,
        ),
        Job::Send(header, stage) => (header, send_message::finish(&state, stage).await),
    };
    if header.kind == FrameKind::Oneway {
        return;
    }
    match encode_reply(&header, reply) {
        Ok(out) => {
            // A closed channel means the connection is going away; the answer has no reader.
            let _ = tx.send(out).await;
        }
        Err(e) => {
            tracing::error!(peer = %ctx.peer, error = %e, "cannot encode a response");
            let fallback =
                Reply::error(Status::SystemError, format!("cannot encode response: {e}"));
            if let Ok(out) = encode_reply(&header, fallback) {
                let _ = tx.send(out).await;
            }
        }
    }
}

/// The answer to a request whose body could not be decoded.
pub fn decode_error_reply(e: &DecodeError) -> Reply {
    match e {
        DecodeError::UnsupportedApi(_) => Reply::error(Status::UnsupportedApi, e.to_string()),
        DecodeError::UnsupportedVersion { .. } => {
            Reply::error(Status::UnsupportedVersion, e.to_string())
        }
        _ => Reply::error(Status::MalformedRequest, format!("malformed request: {e}")),
    }
}

async fn write_loop(
    mut write_half: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Outgoing>,
    peer: SocketAddr,
) {
    let mut chunks: Vec<Bytes> = Vec::new();
    while let Some(first) = rx.recv().await {
        push_outgoing(&mut chunks, first);
        while chunks.len() < WRITE_GATHER_MAX {
            match rx.try_recv() {
                Ok(next) => push_outgoing(&mut chunks, next),
                Err(_) => break,
            }
        }
        if let Err(e) = write_all_vectored(&mut write_half, &mut chunks).await {
            tracing::debug!(%peer, error = %e, "write failed; dropping the connection's answers");
            return;
        }
    }
    let _ = write_half.shutdown().await;
}

fn push_outgoing(chunks: &mut Vec<Bytes>, out: Outgoing) {
    chunks.push(out.head);
    chunks.extend(out.tail.into_iter().filter(|b| !b.is_empty()));
}

/// Writes every chunk, gathering them into vectored writes.
async fn write_all_vectored(
    write_half: &mut OwnedWriteHalf,
    chunks: &mut Vec<Bytes>,
) -> std::io::Result<()> {
    let mut start = 0;
    while start < chunks.len() {
        let slices: Vec<IoSlice<'_>> = chunks[start..]
            .iter()
            .take(WRITE_GATHER_MAX)
            .map(|c| IoSlice::new(c))
            .collect();
        let mut written = write_half.write_vectored(&slices).await?;
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while written > 0 {
            let chunk = &mut chunks[start];
            if written >= chunk.len() {
                written -= chunk.len();
                start += 1;
            } else {
                chunk.advance(written);
                written = 0;
            }
        }
    }
    chunks.clear();
    Ok(())
}

/// Duration from milliseconds.
pub fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

//! Requests from the broker to a connected client (RocketMQ's broker-initiated calls: "a
//! consumer group's membership changed", "what is the state of this transaction?").
//!
//! A `ClientChannel` belongs to one connection. It writes request frames through the
//! connection's outbound queue and matches the client's response frames, which the read loop
//! hands to `complete`, by correlation id. Calls in flight are bounded
//! (`BROKER_CALLS_IN_FLIGHT_MAX`); when the connection closes, every pending call fails.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use ferrocket::protocol::{Body, FrameKind, RawFrame, Request, Status, encode_request};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::broker::reply::Outgoing;

/// Broker-initiated calls one connection may have in flight.
pub const BROKER_CALLS_IN_FLIGHT_MAX: usize = 256;

/// Why a call to a client failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The connection is closed.
    #[error("connection to client {0} is closed")]
    Closed(SocketAddr),
    /// No answer in time.
    #[error("client {peer} did not answer within {timeout:?}")]
    Timeout {
        /// The client.
        peer: SocketAddr,
        /// How long the broker waited.
        timeout: Duration,
    },
    /// The request could not be encoded.
    #[error("cannot encode request: {0}")]
    Encode(#[from] ferrocket::protocol::EncodeError),
    /// The client answered with an error status or an undecodable body.
    #[error("client {peer} answered {status}: {message}")]
    Answer {
        /// The client.
        peer: SocketAddr,
        /// The status it answered.
        status: Status,
        /// Its message.
        message: String,
    },
}

/// The broker's side of one client connection, for calling the client.
#[derive(Debug)]
pub struct ClientChannel {
    peer: SocketAddr,
    /// Taken on close, so the connection's writer sees every sender gone and stops.
    outbound: Mutex<Option<mpsc::Sender<Outgoing>>>,
    pending: Mutex<HashMap<u32, oneshot::Sender<RawFrame>>>,
    next_correlation_id: AtomicU32,
    closed: AtomicBool,
    slots: Semaphore,
}

impl ClientChannel {
    /// A channel writing through `outbound`.
    pub fn new(peer: SocketAddr, outbound: mpsc::Sender<Outgoing>) -> ClientChannel {
        ClientChannel {
            peer,
            outbound: Mutex::new(Some(outbound)),
            pending: Mutex::new(HashMap::new()),
            next_correlation_id: AtomicU32::new(1),
            closed: AtomicBool::new(false),
            slots: Semaphore::new(BROKER_CALLS_IN_FLIGHT_MAX),
        }
    }

    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Whether the connection is closed.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Sends `request` and waits up to `timeout` for a successful answer.
    pub async fn call<R: Request>(
        &self,
        request: &R,
        timeout: Duration,
    ) -> Result<R::Response, ChannelError> {
        let call = async {
            let _slot = self
                .slots
                .acquire()
                .await
                .map_err(|_| ChannelError::Closed(self.peer))?;
            let (id, answer) = self.register()?;
            if let Err(e) = self.write(FrameKind::Request, id, request).await {
                self.lock().remove(&id);
                return Err(e);
            }
            answer.await.map_err(|_| ChannelError::Closed(self.peer))
        };
        let frame =
            tokio::time::timeout(timeout, call)
                .await
                .map_err(|_| ChannelError::Timeout {
                    peer: self.peer,
                    timeout,
                })??;
        self.decode::<R>(frame)
    }

    /// Sends `request` without waiting for an answer.
    pub async fn oneway<R: Request>(&self, request: &R) -> Result<(), ChannelError> {
        if self.is_closed() {
            return Err(ChannelError::Closed(self.peer));
        }
        let id = self.next_correlation_id.fetch_add(1, Ordering::Relaxed);
        self.write(FrameKind::Oneway, id, request).await
    }

    /// Hands a response frame from the client to the call waiting for it.
    pub fn complete(&self, frame: RawFrame) {
        let waiter = self.lock().remove(&frame.header.correlation_id);
        match waiter {
            Some(waiter) => {
                let _ = waiter.send(frame);
            }
            None => tracing::debug!(peer = %self.peer, "response to no pending broker call"),
        }
    }

    /// Fails every pending call; later calls fail at once.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.slots.close();
        self.lock().clear();
        self.outbound
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    fn register(&self) -> Result<(u32, oneshot::Receiver<RawFrame>), ChannelError> {
        if self.is_closed() {
            return Err(ChannelError::Closed(self.peer));
        }
        let id = self.next_correlation_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id, tx);
        Ok((id, rx))
    }

    async fn write<R: Request>(
        &self,
        kind: FrameKind,
        id: u32,
        request: &R,
    ) -> Result<(), ChannelError> {
        let mut out = BytesMut::new();
        encode_request(kind, id, request, &mut out)?;
        let frame = Outgoing {
            head: out.freeze(),
            tail: Vec::new(),
        };
        let outbound = self
            .outbound
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let outbound = outbound.ok_or(ChannelError::Closed(self.peer))?;
        outbound
            .send(frame)
            .await
            .map_err(|_| ChannelError::Closed(self.peer))
    }

    fn decode<R: Request>(&self, frame: RawFrame) -> Result<R::Response, ChannelError> {
        let head = frame.response.ok_or_else(|| ChannelError::Answer {
            peer: self.peer,
            status: Status::MalformedRequest,
            message: "a request frame where a response was expected".into(),
        })?;
        if head.status != Status::Ok {
            return Err(ChannelError::Answer {
                peer: self.peer,
                status: head.status,
                message: head.error_message,
            });
        }
        R::Response::decode(&frame.body).map_err(|e| ChannelError::Answer {
            peer: self.peer,
            status: Status::MalformedRequest,
            message: e.to_string(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, oneshot::Sender<RawFrame>>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

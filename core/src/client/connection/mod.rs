//! `Connection`: one multiplexed TCP connection to a broker or name server.
//!
//! Requests are pipelined: each gets a correlation id and a oneshot slot in the pending table,
//! its encoded frame goes to a bounded queue drained by the writer task (which coalesces
//! several frames per `write_all`), and the reader task cuts frames with `FrameReader` and
//! completes the slot whose id the response echoes. At most `CLIENT_IN_FLIGHT_MAX` calls wait
//! for responses at once. Requests *from* the peer go to an optional `RequestHandler`.
//!
//! When the socket fails, the connection is marked dead, every pending call fails with
//! `ClientError::Connection`, and later calls fail at once; the pool then reconnects.

mod io;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::client::config::{CLIENT_OUTBOUND_FRAMES_MAX, CLIENT_SOFTWARE};
use crate::client::error::ClientError;
use crate::client::shutdown::{Tasks, lock};
use crate::limits::{CLIENT_IN_FLIGHT_MAX, CONNECT_TIMEOUT_MS_DEFAULT, REQUEST_TIMEOUT_MS_DEFAULT};
use crate::protocol::api::supported_versions;
use crate::protocol::{
    ApiKey, ApiVersionRange, ApiVersionsRequest, Body, FrameKind, RawFrame, Request, Status,
    encode_request,
};

/// Handles a request the peer sends to the client (a transaction check, a group-membership
/// notification). It gets the whole frame and returns a whole encoded response frame to write
/// back, or `None`; a `Request` frame left unanswered gets `UNSUPPORTED_API`.
pub type RequestHandler = Arc<dyn Fn(RawFrame) -> Option<Bytes> + Send + Sync>;

/// How to open a connection.
#[derive(Clone)]
pub struct ConnectOptions {
    /// Timeout of the TCP connect and of the `ApiVersions` exchange that follows.
    pub connect_timeout: Duration,
    /// Budget of calls that take no explicit timeout (`oneway`).
    pub request_timeout: Duration,
    /// Handler for requests from the peer.
    pub handler: Option<RequestHandler>,
}

impl Default for ConnectOptions {
    fn default() -> ConnectOptions {
        ConnectOptions {
            connect_timeout: Duration::from_millis(CONNECT_TIMEOUT_MS_DEFAULT),
            request_timeout: Duration::from_millis(REQUEST_TIMEOUT_MS_DEFAULT),
            handler: None,
        }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("handler", &self.handler.as_ref().map(|_| "Fn"))
            .finish()
    }
}

/// A response as received: its status, error message and, when the status carries one, the
/// decoded body (`OK` and the three "stored, less durably than asked" send statuses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<T> {
    /// The status.
    pub status: Status,
    /// The error message (empty on success).
    pub message: String,
    /// The body, when the status carries one.
    pub body: Option<T>,
}

/// State shared by the connection handle and its reader and writer tasks.
struct Shared {
    addr: String,
    pending: Mutex<Pending>,
    outbound: mpsc::Sender<Bytes>,
    in_flight: Semaphore,
    next_id: AtomicU32,
    tasks: Tasks,
}

#[derive(Default)]
struct Pending {
    calls: HashMap<u32, oneshot::Sender<RawFrame>>,
    /// Why the connection died, once it has.
    dead: Option<(std::io::ErrorKind, String)>,
}

impl Shared {
    fn dead_error(&self) -> ClientError {
        let pending = lock(&self.pending);
        let (kind, reason) = pending
            .dead
            .clone()
            .unwrap_or((std::io::ErrorKind::BrokenPipe, "connection closed".into()));
        ClientError::connection(&self.addr, kind, reason)
    }

    /// Marks the connection dead (first reason wins), fails every pending call and stops both
    /// tasks.
    fn mark_dead(&self, kind: std::io::ErrorKind, reason: String) {
        let calls = {
            let mut pending = lock(&self.pending);
            if pending.dead.is_none() {
                tracing::debug!(addr = %self.addr, %reason, "connection dead");
                pending.dead = Some((kind, reason));
            }
            std::mem::take(&mut pending.calls)
        };
        // Dropping the senders wakes every waiter with an error.
        drop(calls);
        self.tasks.signal_shutdown();
    }

    fn complete(&self, frame: RawFrame) {
        let id = frame.header.correlation_id;
        let slot = lock(&self.pending).calls.remove(&id);
        match slot {
            Some(tx) => {
                let _ = tx.send(frame);
            }
            None => tracing::debug!(addr = %self.addr, id, "response to a call no longer waiting"),
        }
    }
}

/// Removes a call's pending slot when the call finishes or is cancelled (timeout).
struct PendingGuard<'a> {
    shared: &'a Shared,
    id: u32,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(&self.shared.pending).calls.remove(&self.id);
    }
}

/// A multiplexed connection; see the module doc. Dropping it closes the socket.
pub struct Connection {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    peer_addr: SocketAddr,
    peer_versions: OnceLock<Vec<ApiVersionRange>>,
    request_timeout: Duration,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("addr", &self.shared.addr)
            .field("local_addr", &self.local_addr)
            .field("alive", &self.is_alive())
            .finish()
    }
}

impl Connection {
    /// Connects to `addr` (`host:port`) with `TCP_NODELAY`, starts the reader and writer tasks
    /// and performs the `ApiVersions` exchange, all within `options.connect_timeout`.
    pub async fn connect(
        addr: &str,
        options: ConnectOptions,
    ) -> Result<Arc<Connection>, ClientError> {
        let start = Instant::now();
        let timeout = options.connect_timeout;
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(io_error(addr, e)),
            Err(_) => return Err(timeout_error("connect", start)),
        };
        stream.set_nodelay(true).map_err(|e| io_error(addr, e))?;
        let local_addr = stream.local_addr().map_err(|e| io_error(addr, e))?;
        let peer_addr = stream.peer_addr().map_err(|e| io_error(addr, e))?;
        let conn = Connection::spawn(addr, stream, local_addr, peer_addr, &options);
        let request = ApiVersionsRequest {
            client_software: CLIENT_SOFTWARE.into(),
            versions: supported_versions(),
        };
        let left = timeout.saturating_sub(start.elapsed());
        match conn.call(&request, left).await {
            Ok(response) => {
                let _ = conn.peer_versions.set(response.versions);
                Ok(conn)
            }
            Err(e) => {
                conn.close().await;
                Err(e)
            }
        }
    }

    fn spawn(
        addr: &str,
        stream: TcpStream,
        local_addr: SocketAddr,
        peer_addr: SocketAddr,
        options: &ConnectOptions,
    ) -> Arc<Connection> {
        let (tx, rx) = mpsc::channel(CLIENT_OUTBOUND_FRAMES_MAX);
        let shared = Arc::new(Shared {
            addr: addr.to_owned(),
            pending: Mutex::new(Pending::default()),
            outbound: tx,
            in_flight: Semaphore::new(CLIENT_IN_FLIGHT_MAX),
            next_id: AtomicU32::new(1),
            tasks: Tasks::new(),
        });
        let (read, write) = stream.into_split();
        let reader = io::read_loop(shared.clone(), read, options.handler.clone());
        let writer = io::write_loop(shared.clone(), write, rx);
        shared.tasks.spawn(reader);
        shared.tasks.spawn(writer);
        Arc::new(Connection {
            shared,
            local_addr,
            peer_addr,
            peer_versions: OnceLock::new(),
            request_timeout: options.request_timeout,
        })
    }

    /// The `host:port` this connection was opened to.
    pub fn addr(&self) -> &str {
        &self.shared.addr
    }

    /// The local socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The peer's socket address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    /// The api keys and versions the peer announced in `ApiVersions`.
    pub fn peer_versions(&self) -> &[ApiVersionRange] {
        self.peer_versions.get().map_or(&[], Vec::as_slice)
    }

    /// Whether the peer announced `key` (at any version).
    pub fn peer_supports(&self, key: ApiKey) -> bool {
        self.peer_versions().iter().any(|r| r.api_key == key.code())
    }

    /// Whether the socket is still usable.
    pub fn is_alive(&self) -> bool {
        lock(&self.shared.pending).dead.is_none()
    }

    /// Sends `request` and waits up to `timeout` for a successful response; any status other
    /// than `OK` becomes `ClientError::Broker`.
    pub async fn call<R: Request>(
        &self,
        request: &R,
        timeout: Duration,
    ) -> Result<R::Response, ClientError> {
        let reply = self.call_with_status(request, timeout).await?;
        match (reply.status, reply.body) {
            (Status::Ok, Some(body)) => Ok(body),
            (status, _) => Err(ClientError::Broker {
                status,
                message: reply.message,
                addr: self.shared.addr.clone(),
            }),
        }
    }

    /// Sends `request` and waits up to `timeout` for its response, returning whatever status
    /// came back (the producer maps `FLUSH_DISK_TIMEOUT` and friends itself).
    pub async fn call_with_status<R: Request>(
        &self,
        request: &R,
        timeout: Duration,
    ) -> Result<Reply<R::Response>, ClientError> {
        let start = Instant::now();
        let frame = match tokio::time::timeout(timeout, self.round_trip(request)).await {
            Ok(frame) => frame?,
            Err(_) => return Err(timeout_error(R::API_KEY.name(), start)),
        };
        self.decode_reply::<R>(frame)
    }

    async fn round_trip<R: Request>(&self, request: &R) -> Result<RawFrame, ClientError> {
        let shared = &*self.shared;
        let _permit = shared
            .in_flight
            .acquire()
            .await
            .map_err(|_| shared.dead_error())?;
        let (tx, rx) = oneshot::channel();
        let (id, _guard) = self.register(tx)?;
        let mut buf = BytesMut::new();
        encode_request(FrameKind::Request, id, request, &mut buf)?;
        if shared.outbound.send(buf.freeze()).await.is_err() {
            return Err(shared.dead_error());
        }
        rx.await.map_err(|_| shared.dead_error())
    }

    fn register(
        &self,
        tx: oneshot::Sender<RawFrame>,
    ) -> Result<(u32, PendingGuard<'_>), ClientError> {
        let shared = &*self.shared;
        let mut pending = lock(&shared.pending);
        if pending.dead.is_some() {
            drop(pending);
            return Err(shared.dead_error());
        }
        // Ids wrap; with at most CLIENT_IN_FLIGHT_MAX pending a free one is always near.
        let mut id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        while pending.calls.contains_key(&id) {
            id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        }
        pending.calls.insert(id, tx);
        Ok((id, PendingGuard { shared, id }))
    }

    fn decode_reply<R: Request>(&self, frame: RawFrame) -> Result<Reply<R::Response>, ClientError> {
        let addr = &self.shared.addr;
        if frame.header.api_key != R::API_KEY.code() {
            return Err(ClientError::UnexpectedResponse {
                addr: addr.clone(),
                expected: R::API_KEY.code(),
                got: frame.header.api_key,
            });
        }
        let Some(head) = frame.response else {
            return Err(ClientError::UnexpectedResponse {
                addr: addr.clone(),
                expected: R::API_KEY.code(),
                got: frame.header.api_key,
            });
        };
        let body = if head.status.carries_body() {
            Some(R::Response::decode(&frame.body)?)
        } else {
            None
        };
        Ok(Reply {
            status: head.status,
            message: head.error_message,
            body,
        })
    }

    /// Sends `request` as a oneway frame (no response), waiting at most the request timeout
    /// for room in the outbound queue.
    pub async fn oneway<R: Request>(&self, request: &R) -> Result<(), ClientError> {
        let shared = &*self.shared;
        if !self.is_alive() {
            return Err(shared.dead_error());
        }
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        let mut buf = BytesMut::new();
        encode_request(FrameKind::Oneway, id, request, &mut buf)?;
        let start = Instant::now();
        match tokio::time::timeout(self.request_timeout, shared.outbound.send(buf.freeze())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(shared.dead_error()),
            Err(_) => Err(timeout_error(R::API_KEY.name(), start)),
        }
    }

    /// Starts closing the socket without waiting: the reader and writer tasks stop (the
    /// writer after the frames already queued) and pending calls fail.
    pub fn signal_close(&self) {
        self.shared.tasks.signal_shutdown();
    }

    /// Closes the socket, fails pending calls and waits for the reader and writer tasks.
    pub async fn close(&self) {
        self.shared.tasks.shutdown().await;
        self.shared.mark_dead(
            std::io::ErrorKind::NotConnected,
            "connection closed by the client".into(),
        );
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.signal_close();
    }
}

fn io_error(addr: &str, e: std::io::Error) -> ClientError {
    ClientError::Connection {
        addr: addr.to_owned(),
        source: e,
    }
}

fn timeout_error(op: &'static str, start: Instant) -> ClientError {
    ClientError::Timeout {
        op,
        elapsed: start.elapsed(),
    }
}

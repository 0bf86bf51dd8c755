//! A small fake broker / name server built only from the codec: it accepts connections on
//! `127.0.0.1:0`, answers `ApiVersions` itself and every other request through a scripted
//! handler, and records every request it decoded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::client::shutdown::Tasks;
use crate::protocol::api::supported_versions;
use crate::protocol::{
    AnyRequest, ApiVersionsResponse, Body, BrokerData, FrameHeader, FrameKind, FrameReader,
    PERM_READ, PERM_WRITE, QueueData, RawFrame, ResponseHead, Status, TopicRoute, encode_response,
};

/// What the fake does with one request.
pub(crate) enum Action {
    /// Write this response frame now.
    Reply(Bytes),
    /// Write this response frame after a pause (other requests are served meanwhile).
    After(Duration, Bytes),
    /// Never answer.
    Silent,
    /// Close the connection.
    Close,
    /// Write this response, then these frames (requests to the client).
    ReplyAndPush(Bytes, Vec<Bytes>),
}

pub(crate) type Script = Arc<dyn Fn(&str, &FrameHeader, &AnyRequest) -> Action + Send + Sync>;

/// A running fake server; stops when dropped.
pub(crate) struct Fake {
    pub(crate) addr: String,
    pub(crate) requests: Arc<Mutex<Vec<AnyRequest>>>,
    /// Responses the client sent to pushed requests.
    pub(crate) responses: Arc<Mutex<Vec<RawFrame>>>,
    tasks: Arc<Tasks>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.tasks.signal_shutdown();
    }
}

impl Fake {
    pub(crate) async fn start(script: Script) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let responses = Arc::new(Mutex::new(Vec::new()));
        let tasks = Arc::new(Tasks::new());
        let (a, t) = (addr.clone(), tasks.clone());
        let seen = Seen {
            requests: requests.clone(),
            responses: responses.clone(),
        };
        tasks.spawn(async move {
            let mut signal = t.signal();
            loop {
                let stream = tokio::select! {
                    accepted = listener.accept() => accepted.unwrap().0,
                    () = signal.wait() => return,
                };
                let conn = serve(stream, a.clone(), script.clone(), seen.clone(), t.signal());
                t.spawn(conn);
            }
        });
        Fake {
            addr,
            requests,
            responses,
            tasks,
        }
    }

    /// The requests of one kind received so far.
    pub(crate) fn count(&self, pick: impl Fn(&AnyRequest) -> bool) -> usize {
        let requests = self.requests.lock().unwrap();
        requests.iter().filter(|r| pick(r)).count()
    }
}

#[derive(Clone)]
struct Seen {
    requests: Arc<Mutex<Vec<AnyRequest>>>,
    responses: Arc<Mutex<Vec<RawFrame>>>,
}

async fn serve(
    stream: TcpStream,
    addr: String,
    script: Script,
    seen: Seen,
    mut signal: crate::client::shutdown::ShutdownSignal,
) {
    let (mut read, mut write) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Bytes>(1024);
    let writer = tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            if write.write_all(&frame).await.is_err() {
                return;
            }
        }
    });
    let mut reader = FrameReader::new();
    'conn: loop {
        let n = tokio::select! {
            n = read.read_buf(reader.buffer_mut()) => n.unwrap_or(0),
            () = signal.wait() => 0,
        };
        if n == 0 {
            break;
        }
        while let Some(frame) = reader.next_frame().unwrap() {
            let h = frame.header;
            if h.kind == FrameKind::Response {
                seen.responses.lock().unwrap().push(frame);
                continue;
            }
            let request = AnyRequest::decode(h.api_key, h.api_version, &frame.body).unwrap();
            let action = match &request {
                AnyRequest::ApiVersions(_) => {
                    let versions = supported_versions();
                    Action::Reply(ok(&h, &ApiVersionsResponse { versions }))
                }
                other => {
                    seen.requests.lock().unwrap().push(other.clone());
                    script(&addr, &h, other)
                }
            };
            if !perform(action, &tx).await {
                break 'conn;
            }
        }
    }
    writer.abort();
}

/// Carries out `action`; false when the connection is to be closed.
async fn perform(action: Action, tx: &mpsc::Sender<Bytes>) -> bool {
    match action {
        Action::Reply(bytes) => {
            let _ = tx.send(bytes).await;
        }
        Action::ReplyAndPush(bytes, pushed) => {
            let _ = tx.send(bytes).await;
            for frame in pushed {
                let _ = tx.send(frame).await;
            }
        }
        Action::After(pause, bytes) => {
            let tx = tx.clone();
            tokio::spawn(async move {
                tokio::time::sleep(pause).await;
                let _ = tx.send(bytes).await;
            });
        }
        Action::Silent => {}
        Action::Close => return false,
    }
    true
}

/// A response frame with status OK and `body`.
pub(crate) fn ok<B: Body>(h: &FrameHeader, body: &B) -> Bytes {
    respond(h, Status::Ok, "", Some(body))
}

/// A response frame with a failure status and no body.
pub(crate) fn fail(h: &FrameHeader, status: Status, message: &str) -> Bytes {
    respond::<crate::protocol::Empty>(h, status, message, None)
}

pub(crate) fn respond<B: Body>(
    h: &FrameHeader,
    status: Status,
    message: &str,
    body: Option<&B>,
) -> Bytes {
    let head = ResponseHead {
        status,
        error_message: message.into(),
    };
    let mut out = BytesMut::new();
    let body = body.map(|b| b as &dyn crate::protocol::BodyEncode);
    encode_response(h, &head, body, &mut out).unwrap();
    out.freeze()
}

/// A route with `queues` read/write queues on each `(broker_name, addr)`.
pub(crate) fn route(brokers: &[(&str, &str)], queues: u16) -> TopicRoute {
    TopicRoute {
        queues: brokers
            .iter()
            .map(|(name, _)| QueueData {
                broker_name: (*name).into(),
                read_queue_count: queues,
                write_queue_count: queues,
                perm: PERM_READ | PERM_WRITE,
            })
            .collect(),
        brokers: brokers
            .iter()
            .map(|(name, addr)| BrokerData {
                cluster: "c".into(),
                broker_name: (*name).into(),
                addrs: vec![(0, (*addr).into())],
            })
            .collect(),
    }
}

/// An address nothing listens on.
pub(crate) async fn dead_addr() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().to_string()
}

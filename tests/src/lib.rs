//! Test harness: in-process brokers on `127.0.0.1:0` with temporary data folders, in-process
//! clusters of name servers and master/slave broker groups (`cluster`), a raw protocol
//! connection for byte-level tests, and small helpers to build records.

pub mod cluster;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferrocket::message::{Message, MessageId, unspecified_addr};
use ferrocket::protocol::record::{RecordStamp, encode_record};
use ferrocket::protocol::{
    Body, FrameKind, FrameReader, RawFrame, Request, ResponseHead, Status, encode_request,
};
use ferrocket_server::broker::{Broker, BrokerHandle};
use ferrocket_server::config::BrokerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A folder under the system temp dir, removed on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A fresh, empty folder whose name starts with `prefix`.
    pub fn new(prefix: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "ferrocket-{prefix}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A broker config for tests: an ephemeral port, small segments and queue files, and short
/// timeouts.
pub fn test_config(data_dir: &Path) -> BrokerConfig {
    BrokerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: data_dir.to_owned(),
        segment_size: 16 * 1024 * 1024,
        consume_queue_entries_per_file: 10_000,
        flush_interval_ms: 100,
        offset_flush_interval_ms: 200,
        index_slot_count: 4096,
        index_entry_count: 16_384,
        ..BrokerConfig::default()
    }
}

/// An in-process broker with its own data folder.
#[derive(Debug)]
pub struct TestBroker {
    handle: Option<BrokerHandle>,
    config: BrokerConfig,
    dir: TempDir,
}

impl TestBroker {
    /// Starts a broker with `test_config`.
    pub async fn start() -> TestBroker {
        TestBroker::start_with(|_| {}).await
    }

    /// Starts a broker with `test_config` changed by `tweak`.
    pub async fn start_with(tweak: impl FnOnce(&mut BrokerConfig)) -> TestBroker {
        init_test_logging();
        let dir = TempDir::new("broker");
        let mut config = test_config(dir.path());
        tweak(&mut config);
        let handle = Broker::start(config.clone()).await.expect("broker starts");
        config.listen = handle.local_addr();
        TestBroker {
            handle: Some(handle),
            config,
            dir,
        }
    }

    /// Starts a broker with `test_config` changed by `tweak`, whose store uses `storage` (a
    /// `SimStorage` for fault injection).
    pub async fn start_with_storage(
        storage: std::sync::Arc<dyn ferrocket_server::store::Storage>,
        tweak: impl FnOnce(&mut BrokerConfig),
    ) -> TestBroker {
        init_test_logging();
        let dir = TempDir::new("broker");
        let mut config = test_config(dir.path());
        tweak(&mut config);
        let handle = Broker::start_with_storage(config.clone(), storage)
            .await
            .expect("broker starts");
        TestBroker {
            handle: Some(handle),
            config,
            dir,
        }
    }

    /// The broker's address (also its name-server address: it is standalone).
    pub fn addr(&self) -> SocketAddr {
        self.handle().local_addr()
    }

    /// The running broker.
    pub fn handle(&self) -> &BrokerHandle {
        self.handle.as_ref().expect("broker is running")
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Shuts the broker down cleanly and starts it again on the same data folder and address.
    pub async fn restart(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await.expect("clean shutdown");
        }
        let handle = Broker::start(self.config.clone())
            .await
            .expect("broker restarts");
        self.handle = Some(handle);
    }

    /// Stops the broker as a crash would (no final flush or checkpoint) and starts it again on
    /// the same data folder.
    pub async fn crash_and_restart(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.kill().await;
        }
        let handle = Broker::start(self.config.clone())
            .await
            .expect("broker recovers");
        self.handle = Some(handle);
    }

    /// Stops the broker as `kill -9` would (no flush, checkpoint or unregistration), leaving
    /// it stopped; `start_again` brings it back.
    pub async fn kill(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.kill().await;
        }
    }

    /// Shuts the broker down cleanly, leaving it stopped; `start_again` brings it back.
    pub async fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await.expect("clean shutdown");
        }
    }

    /// Starts a stopped broker again on its data folder and its last address.
    pub async fn start_again(&mut self) {
        assert!(self.handle.is_none(), "the broker is running");
        let handle = Broker::start(self.config.clone())
            .await
            .expect("broker starts again");
        self.handle = Some(handle);
    }

    /// Whether the broker is running.
    pub fn is_running(&self) -> bool {
        self.handle.is_some()
    }

    /// The broker's config (with its listen address once started).
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// Shuts the broker down cleanly.
    pub async fn shutdown(mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await.expect("clean shutdown");
        }
    }
}

/// Logs to stderr when `FERROCKET_TEST_LOG` holds a filter (e.g. `debug`), for debugging a
/// failing test; silent otherwise.
pub fn init_test_logging() {
    if let Ok(filter) = std::env::var("FERROCKET_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

/// A raw protocol connection for byte-level tests.
#[derive(Debug)]
pub struct RawConn {
    stream: TcpStream,
    reader: FrameReader,
    next_correlation_id: u32,
}

/// How long raw-connection reads wait.
pub const RAW_READ_TIMEOUT: Duration = Duration::from_secs(10);

impl RawConn {
    /// Connects with TCP_NODELAY.
    pub async fn connect(addr: SocketAddr) -> RawConn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        RawConn {
            stream,
            reader: FrameReader::new(),
            next_correlation_id: 1,
        }
    }

    /// Writes raw bytes.
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Sends a request and returns its response head and body, or `None` when the broker
    /// closed the connection instead of answering.
    pub async fn try_call<R: Request>(&mut self, request: &R) -> Option<(ResponseHead, Bytes)> {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        let mut out = BytesMut::new();
        encode_request(FrameKind::Request, correlation_id, request, &mut out).expect("encode");
        self.write(&out).await.ok()?;
        let frame = self.read_frame().await?;
        assert_eq!(frame.header.correlation_id, correlation_id);
        Some((frame.response.expect("a response head"), frame.body))
    }

    /// Sends a request and returns its response head and body.
    pub async fn call<R: Request>(&mut self, request: &R) -> (ResponseHead, Bytes) {
        self.try_call(request).await.expect("a response")
    }

    /// Sends a request and decodes a successful response body.
    pub async fn call_ok<R: Request>(&mut self, request: &R) -> R::Response {
        let (head, body) = self.call(request).await;
        assert_eq!(head.status, Status::Ok, "{}", head.error_message);
        R::Response::decode(&body).expect("decode response")
    }

    /// Reads the next frame, or `None` when the broker closed the connection.
    pub async fn read_frame(&mut self) -> Option<RawFrame> {
        loop {
            if let Some(frame) = self.reader.next_frame().expect("valid frame from broker") {
                return Some(frame);
            }
            let read = tokio::time::timeout(
                RAW_READ_TIMEOUT,
                self.stream.read_buf(self.reader.buffer_mut()),
            )
            .await
            .expect("broker answered or closed in time");
            match read {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Waits until the broker closes the connection; fails if it sends a frame instead.
    pub async fn expect_closed(&mut self) {
        let frame = self.read_frame().await;
        assert!(
            frame.is_none(),
            "expected the broker to close the connection, got {frame:?}"
        );
    }
}

/// Encodes `msg` as a record with a fresh id.
pub fn record(msg: &Message, queue_id: u32) -> Bytes {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&std::process::id().to_be_bytes());
    id[12..].copy_from_slice(&n.to_be_bytes());
    let stamp = RecordStamp {
        msg_id: MessageId(id),
        sys_flag: 0,
        queue_id,
        reconsume_times: 0,
        born_timestamp_ms: now_ms(),
        born_host: unspecified_addr(),
        prepared_transaction_offset: 0,
    };
    let mut out = BytesMut::new();
    encode_record(msg, &stamp, &mut out).expect("encode record");
    out.freeze()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

//! Client settings shared by the producer, the consumers and `Admin`, and the client-only
//! defaults and maximums that are not wire limits (those live in `crate::limits`).

use std::time::Duration;

use crate::client::error::ClientError;
use crate::client::route::NameServers;
use crate::limits::{
    CONNECT_TIMEOUT_MS_DEFAULT, HEARTBEAT_INTERVAL_MS_DEFAULT, REQUEST_TIMEOUT_MS_DEFAULT,
    ROUTE_REFRESH_INTERVAL_MS_DEFAULT,
};
use crate::protocol;

/// Async sends (`Producer::send_async`) one producer keeps outstanding at once; a further call
/// waits for one to finish (back-pressure instead of unbounded spawning).
pub const ASYNC_SEND_OUTSTANDING_MAX_DEFAULT: usize = 10_000;
/// Encoded frames queued for one client connection's writer task; a full queue makes callers
/// wait.
pub const CLIENT_OUTBOUND_FRAMES_MAX: usize = 256;
/// Bytes the writer task gathers from several queued frames into one `write_all`; larger frames
/// are written on their own without a copy.
pub const WRITE_COALESCE_BYTES_MAX: usize = 256 * 1024;
/// First pause before a send answered `SYSTEM_BUSY` is retried, in milliseconds; it doubles per
/// busy answer up to `SYSTEM_BUSY_BACKOFF_MS_MAX`, always within the send timeout.
pub const SYSTEM_BUSY_BACKOFF_MS_MIN: u64 = 10;
/// Longest pause before a send answered `SYSTEM_BUSY` is retried, in milliseconds.
pub const SYSTEM_BUSY_BACKOFF_MS_MAX: u64 = 200;
/// Pause of a pull consumer's fetch task after a failed pull, in milliseconds (RocketMQ's
/// `pullTimeDelayMillsWhenException`).
pub const PULL_ERROR_BACKOFF_MS_DEFAULT: u64 = 1000;
/// Time budget of one `PullConsumer::poll`, in milliseconds (RocketMQ's `pollTimeoutMillis`).
pub const POLL_TIMEOUT_MS_DEFAULT: u64 = 5000;
/// How often a subscribing pull consumer re-reads its topics' queues from the route, in
/// milliseconds.
pub const REASSIGN_INTERVAL_MS_DEFAULT: u64 = 30_000;
/// A forced route refresh (after a routing error) of a topic refreshed less than this long ago
/// reuses the cached route, so a burst of failing sends asks the name server once, in ms.
pub const ROUTE_FORCED_REFRESH_MIN_INTERVAL_MS: u64 = 100;
/// Highest RocketMQ delay level a message may carry (levels 1..=18; 0 = not delayed).
pub const DELAY_LEVEL_MAX: u8 = 18;
/// Client software name sent in `ApiVersions`.
pub const CLIENT_SOFTWARE: &str = concat!("ferrocket-rust/", env!("CARGO_PKG_VERSION"));

/// Settings of one client instance: where the name servers are and the network timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Name servers, asked in turn for routes.
    pub name_servers: NameServers,
    /// Timeout of one TCP connect (and of the `ApiVersions` exchange that follows it).
    pub connect_timeout: Duration,
    /// Time budget of one metadata, offset or admin request.
    pub request_timeout: Duration,
    /// How often cached routes are refreshed from the name servers.
    pub route_refresh_interval: Duration,
    /// How often the client heartbeats every broker it uses.
    pub heartbeat_interval: Duration,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            name_servers: NameServers::default(),
            connect_timeout: Duration::from_millis(CONNECT_TIMEOUT_MS_DEFAULT),
            request_timeout: Duration::from_millis(REQUEST_TIMEOUT_MS_DEFAULT),
            route_refresh_interval: Duration::from_millis(ROUTE_REFRESH_INTERVAL_MS_DEFAULT),
            heartbeat_interval: Duration::from_millis(HEARTBEAT_INTERVAL_MS_DEFAULT),
        }
    }
}

impl ClientConfig {
    /// Checks the settings a client cannot run without.
    pub fn validate(&self) -> Result<(), ClientError> {
        if self.name_servers.is_empty() {
            return Err(ClientError::InvalidArgument(
                "no name server configured: set namesrv(\"host:9876\")".into(),
            ));
        }
        for (name, d) in [
            ("connect timeout", self.connect_timeout),
            ("request timeout", self.request_timeout),
            ("route refresh interval", self.route_refresh_interval),
            ("heartbeat interval", self.heartbeat_interval),
        ] {
            if d.is_zero() {
                return Err(ClientError::InvalidArgument(format!("{name} must be > 0")));
            }
        }
        Ok(())
    }
}

/// Where a consumer group with no committed offset for a queue starts reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsumeFrom {
    /// At the end of the queue: only messages stored from now on (the default).
    #[default]
    LastOffset,
    /// At the oldest message still stored.
    FirstOffset,
    /// At the first message stored at or after this time, in milliseconds since the epoch.
    Timestamp(u64),
}

impl ConsumeFrom {
    /// The wire enum and timestamp announced in heartbeats.
    pub fn to_wire(self) -> (protocol::ConsumeFrom, u64) {
        match self {
            ConsumeFrom::LastOffset => (protocol::ConsumeFrom::LastOffset, 0),
            ConsumeFrom::FirstOffset => (protocol::ConsumeFrom::FirstOffset, 0),
            ConsumeFrom::Timestamp(ms) => (protocol::ConsumeFrom::Timestamp, ms),
        }
    }
}

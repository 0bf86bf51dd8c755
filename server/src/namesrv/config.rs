//! `NameServerConfig`: where a name server listens and how fast it forgets silent brokers.

use std::net::SocketAddr;

use ferrocket::limits::{
    BROKER_EXPIRY_MS_DEFAULT, CONNECTION_IDLE_TIMEOUT_MS_DEFAULT, CONNECTIONS_MAX_DEFAULT,
    FRAME_READ_TIMEOUT_MS_DEFAULT, NAMESRV_SCAN_INTERVAL_MS_DEFAULT,
};

/// Every name-server setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// A broker whose last registration is older than this is forgotten.
    pub broker_expiry_ms: u64,
    /// How often silent brokers are looked for.
    pub scan_interval_ms: u64,
    /// Connections accepted at once.
    pub max_connections: usize,
    /// How long a peer may take to finish a frame it started.
    pub frame_read_timeout_ms: u64,
    /// A connection silent for this long is closed.
    pub idle_timeout_ms: u64,
}

impl Default for NameServerConfig {
    fn default() -> NameServerConfig {
        NameServerConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], 9876)),
            broker_expiry_ms: BROKER_EXPIRY_MS_DEFAULT,
            scan_interval_ms: NAMESRV_SCAN_INTERVAL_MS_DEFAULT,
            max_connections: CONNECTIONS_MAX_DEFAULT,
            frame_read_timeout_ms: FRAME_READ_TIMEOUT_MS_DEFAULT,
            idle_timeout_ms: CONNECTION_IDLE_TIMEOUT_MS_DEFAULT,
        }
    }
}

impl NameServerConfig {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), String> {
        if self.broker_expiry_ms == 0 || self.scan_interval_ms == 0 {
            return Err("broker_expiry_ms and scan_interval_ms must be > 0".into());
        }
        if self.max_connections == 0 {
            return Err("max_connections must be > 0".into());
        }
        if self.frame_read_timeout_ms == 0 || self.idle_timeout_ms == 0 {
            return Err("frame_read_timeout_ms and idle_timeout_ms must be > 0".into());
        }
        Ok(())
    }
}

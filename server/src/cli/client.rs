//! What the client commands share: the `-n/--namesrv` flag, the early name-server check that
//! turns "unreachable" into one clear error, flag parsers and the names printed for statuses
//! and permissions.

use clap::Args;
use ferrocket::client::route::{NameServers, TopicRouteInfo};
use ferrocket::limits::BODY_LEN_MAX;
use ferrocket::protocol::{PERM_READ, PERM_WRITE};
use ferrocket::{Admin, ClientError, SendStatus};

/// The name-server flag of every client command.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// Name servers, `host:port`, several separated by `;` (RocketMQ's NAMESRV_ADDR). For a
    /// standalone server this is its own address.
    #[arg(
        short = 'n',
        long = "namesrv",
        env = "NAMESRV_ADDR",
        default_value = "127.0.0.1:9876",
        value_name = "ADDR[;ADDR]",
        value_parser = parse_namesrv,
        global = true
    )]
    pub namesrv: String,
}

impl ClientArgs {
    /// An admin client on these name servers.
    pub fn admin(&self) -> Result<Admin, String> {
        Admin::with_namesrv(&self.namesrv).map_err(|e| e.to_string())
    }

    /// The first name server (for a standalone server: the broker itself).
    pub fn first_namesrv(&self) -> String {
        self.namesrv
            .split(';')
            .map(str::trim)
            .find(|a| !a.is_empty())
            .unwrap_or(&self.namesrv)
            .to_owned()
    }
}

/// Asks the name servers for `topic`'s route, so that an unreachable name server fails the
/// command at once with a message naming it. A topic that does not exist yet gives `None`
/// (a send creates it).
pub async fn probe_route(
    admin: &Admin,
    namesrv: &str,
    topic: &str,
) -> Result<Option<TopicRouteInfo>, String> {
    match admin.route(topic).await {
        Ok(route) => Ok(Some(route)),
        Err(ClientError::NoRoute { .. }) => Ok(None),
        Err(e @ (ClientError::Connection { .. } | ClientError::Timeout { .. })) => Err(format!(
            "cannot reach the name server {namesrv}: {e} (is `ferrocket standalone` running \
             there? set -n/--namesrv or NAMESRV_ADDR)"
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// The masters the name servers list (every cluster), sorted; empty when they list none or
/// cannot answer (a caller then falls back to the first name server: a standalone server is
/// its own broker).
pub async fn masters(admin: &Admin) -> Vec<String> {
    let Ok(info) = admin.cluster_info("").await else {
        return Vec::new();
    };
    let mut masters: Vec<String> = info
        .brokers
        .into_iter()
        .filter(|b| b.broker_id == 0)
        .map(|b| b.addr)
        .collect();
    masters.sort();
    masters.dedup();
    masters
}

/// Where a command with no topic to route goes without `-b`: a master the name servers list
/// (in a cluster the name servers answer no broker request), else `first_namesrv`.
pub async fn default_broker(admin: &Admin, first_namesrv: &str) -> String {
    masters(admin)
        .await
        .into_iter()
        .next()
        .unwrap_or_else(|| first_namesrv.to_owned())
}

/// Checks a `-n` value the way the client will read it.
fn parse_namesrv(raw: &str) -> Result<String, String> {
    NameServers::parse(raw)
        .map(|_| raw.to_owned())
        .map_err(|e| e.to_string())
}

/// Parses `--property KEY=VALUE`.
pub fn parse_property(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("expected KEY=VALUE, got `{raw}`")),
    }
}

/// Parses a message size in bytes, 0..=`BODY_LEN_MAX`.
pub fn parse_size(raw: &str) -> Result<usize, String> {
    let size: usize = raw
        .parse()
        .map_err(|_| format!("`{raw}` is not a byte count"))?;
    if size > BODY_LEN_MAX {
        return Err(format!(
            "{size} bytes is over the body limit of {BODY_LEN_MAX}"
        ));
    }
    Ok(size)
}

/// RocketMQ's name of a send status.
pub fn status_name(status: SendStatus) -> &'static str {
    match status {
        SendStatus::SendOk => "SEND_OK",
        SendStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
        SendStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
        SendStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
    }
}

/// `rw`, `r`, `w` or `-` for a permission byte.
pub fn perm_name(perm: u8) -> &'static str {
    match (perm & PERM_READ != 0, perm & PERM_WRITE != 0) {
        (true, true) => "rw",
        (true, false) => "r",
        (false, true) => "w",
        (false, false) => "-",
    }
}

/// A body of `size` bytes of printable letters, the same for every message of a run.
pub fn generated_body(size: usize) -> bytes::Bytes {
    (0..size)
        .map(|i| b'a' + u8::try_from(i % 26).unwrap_or(0))
        .collect::<Vec<u8>>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `KEY=VALUE` splits at the first `=`; a missing `=` or key is refused, naming the input.
    #[test]
    fn property_parsing() {
        assert_eq!(
            parse_property("region=eu=west"),
            Ok(("region".into(), "eu=west".into()))
        );
        assert_eq!(
            parse_property("empty="),
            Ok(("empty".into(), String::new()))
        );
        assert!(parse_property("novalue").unwrap_err().contains("`novalue`"));
        assert!(parse_property("=x").is_err());
    }

    /// Permission bytes print as mqadmin's letters.
    #[test]
    fn perm_names() {
        assert_eq!(perm_name(6), "rw");
        assert_eq!(perm_name(4), "r");
        assert_eq!(perm_name(2), "w");
        assert_eq!(perm_name(0), "-");
    }

    /// Sizes above the body limit are refused.
    #[test]
    fn size_limit() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert!(parse_size(&(BODY_LEN_MAX + 1).to_string()).is_err());
        assert!(parse_size("big").is_err());
        assert_eq!(generated_body(3).as_ref(), b"abc");
    }
}

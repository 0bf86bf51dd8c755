//! The `ferrocket standalone` process the C suite runs against: started on `127.0.0.1:0` with
//! a temporary data folder, its address read from its "ferrocket listening on ADDR" line,
//! killed and cleaned up when the suite ends (also on an early return, through `Drop`).
//! Its delay levels and transaction check-back times are short (`SETTINGS`), so the
//! `delay_level`, `reconsume_later` and `transaction_check_back` scenarios take seconds.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::Layout;

/// How long the broker may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The line the server prints once it listens.
const LISTENING: &str = "ferrocket listening on ";
/// Delay of level 1 of the suite's broker, in ms; the C harness reads it from
/// `FERROCKET_DELAY_LEVEL_1_MS` (the `delay_level` scenario checks nothing arrives earlier).
pub const DELAY_LEVEL_1_MS: u64 = 1000;
/// `--set` flags of the suite's broker: 18 delay levels, the first two long enough to see a
/// message held back, the ones retries use (3 + reconsume times) short, so redeliveries come
/// quickly; undecided transactions checked back after 500 ms, then every 500 ms.
const SETTINGS: &[&str] = &[
    "message_delay_level=1s 2s 100ms 100ms 100ms 100ms 100ms 100ms 100ms 100ms 100ms 100ms \
     100ms 100ms 100ms 100ms 100ms 100ms",
    "transaction_timeout_ms=500",
    "transaction_check_interval_ms=500",
];

/// A running standalone broker.
pub struct Broker {
    /// `host:port` it listens on.
    pub addr: String,
    child: Child,
    data_dir: PathBuf,
}

impl Broker {
    /// Starts the broker (with `SETTINGS`) and waits for its address.
    pub fn start(layout: &Layout) -> Result<Broker, String> {
        let data_dir =
            std::env::temp_dir().join(format!("ferrocket-c-suite-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| format!("create {}: {e}", data_dir.display()))?;
        let log = std::fs::File::create(data_dir.join("broker.log"))
            .map_err(|e| format!("create broker.log: {e}"))?;
        let mut child = Command::new(layout.profile_dir.join("ferrocket"))
            .args(["standalone", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir.join("data"))
            .args(SETTINGS.iter().flat_map(|s| ["--set", s]))
            // The server reads `FERROCKET_*` variables as settings and refuses unknown ones.
            .env_remove(super::tools::SKIP_VALGRIND)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start ferrocket standalone: {e}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::sync_channel(1);
        // Reads the address, then keeps draining stdout so the broker never blocks on it; the
        // thread ends when the broker exits and closes the pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix(LISTENING) {
                    let _ = tx.try_send(addr.trim().to_owned());
                }
            }
        });
        let mut broker = Broker {
            addr: String::new(),
            child,
            data_dir,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => broker.addr = addr,
            Err(_) => {
                let log =
                    std::fs::read_to_string(broker.data_dir.join("broker.log")).unwrap_or_default();
                return Err(format!(
                    "the broker printed no address within {START_TIMEOUT:?}:\n{log}"
                ));
            }
        }
        eprintln!("broker listening on {}", broker.addr);
        Ok(broker)
    }

    /// Stops the broker and removes its data folder.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

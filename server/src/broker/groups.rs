//! Consumer-group membership notices: when a group's membership changes (a heartbeat from a new
//! member or with new subscriptions, an `UnregisterClient`, a closed connection, an expiry),
//! every remaining member gets a oneway `NotifyConsumerIdsChanged` so it rebalances at once.
//!
//! Changes are queued on a bounded channel (`NOTIFY_QUEUE_LEN`) and sent by one task owned by
//! the broker's housekeeping loop. A full queue drops the notice with a warning: members still
//! rebalance on their periodic timer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrocket::protocol::NotifyConsumerIdsChangedRequest;
use tokio::sync::{mpsc, watch};

use crate::broker::BrokerState;

/// Group-change notices that may wait to be sent.
const NOTIFY_QUEUE_LEN: usize = 1024;
/// How long one oneway notice may wait for room in a connection's outbound queue.
const NOTIFY_SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// The queue of group-change notices.
#[derive(Debug)]
pub struct GroupNotifier {
    tx: mpsc::Sender<String>,
    rx: Mutex<Option<mpsc::Receiver<String>>>,
}

impl Default for GroupNotifier {
    fn default() -> GroupNotifier {
        let (tx, rx) = mpsc::channel(NOTIFY_QUEUE_LEN);
        GroupNotifier {
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }
}

impl GroupNotifier {
    /// Queues a notice for each group in `groups`.
    pub fn changed(&self, groups: Vec<String>) {
        for group in groups {
            tracing::debug!(group, "consumer group membership changed");
            if self.tx.try_send(group).is_err() {
                tracing::warn!("group-change notice queue full; members rebalance on their timer");
            }
        }
    }

    /// Takes the receiving end (once), for `notify_loop`.
    fn take_receiver(&self) -> Option<mpsc::Receiver<String>> {
        self.rx.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Sends queued notices until the broker shuts down.
pub async fn notify_loop(state: Arc<BrokerState>, mut shutdown: watch::Receiver<bool>) {
    let Some(mut rx) = state.notifier.take_receiver() else {
        return;
    };
    loop {
        let group = tokio::select! {
            group = rx.recv() => group,
            _ = shutdown.changed() => return,
        };
        let Some(group) = group else { return };
        let notice = NotifyConsumerIdsChangedRequest {
            consumer_group: group.clone(),
        };
        for channel in state.clients.channels_of(&group) {
            let sent = tokio::time::timeout(NOTIFY_SEND_TIMEOUT, channel.oneway(&notice)).await;
            if !matches!(sent, Ok(Ok(()))) {
                tracing::debug!(group, peer = %channel.peer(), "membership notice not sent");
            }
        }
    }
}

//! Transactional messages on the broker (RocketMQ's two-phase send).
//!
//! 1. A send whose record has `sys_flag` PREPARED is stored as a *half message*: re-encoded
//!    for `RMQ_SYS_TRANS_HALF_TOPIC` queue 0 (`records::to_half`), a topic no consumer can
//!    read, so no consumer ever sees an undecided message.
//! 2. `EndTransaction` COMMIT appends the real message (real topic and queue, `sys_flag`
//!    COMMIT, `prepared_transaction_offset` = the half's offset), which consumers then see;
//!    ROLLBACK only records the decision; UNKNOWN changes nothing.
//! 3. The check task finds half messages by reading the half queue, and for each one still
//!    pending `transaction_timeout_ms` after it was stored asks a live producer of its group
//!    (the sender if it is still connected, else any other) with `CheckTransactionState`,
//!    then again every `transaction_check_interval_ms`; after `transaction_check_max` checks
//!    the message is copied to `TRANS_CHECK_MAX_TIME_TOPIC` and discarded. Checks with no live
//!    producer to ask do not count.
//!
//! Every decision and every check is appended to the op log (`oplog`), so after a restart the
//! half queue is read again and only undecided messages become pending, with their check
//! counts. A crash between the commit's append and its op-log entry can commit a message twice
//! (at-least-once, as RocketMQ); never zero times.
//!
//! Lock order: the transaction state, then the op log, then the store's locks.

pub mod oplog;
pub mod records;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use ferrocket::message::MessageExt;
use ferrocket::protocol::record::{
    SYS_FLAG_TRANSACTION_COMMIT, SYS_FLAG_TRANSACTION_PREPARED, decode_record,
};
use ferrocket::protocol::{
    CheckTransactionStateRequest, EndTransactionRequest, TopicConfig, TransactionResolution,
};

use crate::broker::BrokerState;
use crate::config::{BrokerConfig, BrokerRole};
use crate::store::{AppendBatch, ReadStatus, now_ms};

use oplog::{Op, OpLog};
use records::{CHECK_MAX_TOPIC, HALF_TOPIC};

/// Half-queue records read per step of a scan.
const SCAN_BATCH: u32 = 256;

/// One undecided half message.
#[derive(Debug, Clone)]
struct Pending {
    group: String,
    born_host: SocketAddr,
    checks: u16,
    next_check_ms: u64,
}

#[derive(Debug, Default)]
struct TxState {
    pending: BTreeMap<u64, Pending>,
    resolved: HashMap<u64, Op>,
    checks: HashMap<u64, u16>,
    /// Half-queue offset the next scan starts at.
    scanned: u64,
}

/// The broker's transaction state and check-back settings.
#[derive(Debug)]
pub struct TransactionService {
    timeout_ms: u64,
    interval_ms: u64,
    check_max: u16,
    state: Mutex<TxState>,
    oplog: Mutex<OpLog>,
}

impl TransactionService {
    /// Opens the op log in `config_dir` and takes the check settings from `config`.
    pub fn open(config_dir: &Path, config: &BrokerConfig) -> Result<TransactionService, String> {
        let path = config_dir.join("transaction_ops");
        let (log, replayed) = OpLog::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(TransactionService {
            timeout_ms: config.transaction_timeout_ms,
            interval_ms: config.transaction_check_interval_ms.max(1),
            check_max: u16::try_from(config.transaction_check_max).unwrap_or(u16::MAX),
            state: Mutex::new(TxState {
                resolved: replayed.resolved,
                checks: replayed.checks,
                ..TxState::default()
            }),
            oplog: Mutex::new(log),
        })
    }

    fn lock(&self) -> MutexGuard<'_, TxState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, op: Op, offset: u64, checks: u16) {
        let mut log = self.oplog.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = log.append(op, offset, checks, now_ms()) {
            tracing::error!(error = %e, offset, ?op, "cannot append to the transaction op log");
        }
    }

    /// Makes the op log durable (called with the broker's periodic saves and at shutdown).
    pub fn sync(&self) {
        let log = self.oplog.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = log.sync() {
            tracing::error!(error = %e, "cannot sync the transaction op log");
        }
    }

    /// Applies an `EndTransaction`; errors are reported to the log only (the request is
    /// usually oneway) and a half message that is not pending is ignored.
    pub async fn end(&self, state: &BrokerState, request: &EndTransactionRequest) {
        let offset = request.commit_log_offset;
        let Some(half) = read_half(state, offset) else {
            tracing::warn!(
                offset,
                "EndTransaction for a commit-log offset holding no half message"
            );
            return;
        };
        if half.msg_id != request.msg_id {
            tracing::warn!(
                offset,
                "EndTransaction whose msg_id differs from the half message"
            );
            return;
        }
        let pending_append = {
            let mut tx = self.lock();
            if tx.resolved.contains_key(&offset) {
                return;
            }
            let op = match request.resolution {
                TransactionResolution::Unknown => return,
                TransactionResolution::Rollback => None,
                TransactionResolution::Commit => match commit(state, &half, offset) {
                    Ok(pending) => Some(pending),
                    Err(e) => {
                        tracing::error!(offset, error = %e, "cannot commit a half message");
                        return;
                    }
                },
            };
            let kind = if op.is_some() {
                Op::Commit
            } else {
                Op::Rollback
            };
            tx.resolved.insert(offset, kind);
            tx.pending.remove(&offset);
            tx.checks.remove(&offset);
            self.record(kind, offset, 0);
            op
        };
        if let Some(pending) = pending_append {
            pending.finish().await;
        }
    }

    /// Reads half messages stored since the last scan and registers the undecided ones.
    fn scan(&self, state: &BrokerState) {
        let now = now_ms();
        let mut tx = self.lock();
        loop {
            let from = tx.scanned;
            let read = state
                .store
                .read(HALF_TOPIC, 0, from, SCAN_BATCH, 8 << 20, &|_| true);
            tx.scanned = read.next_offset;
            for bytes in read.records {
                let Ok(half) = decode_record(&bytes) else {
                    continue;
                };
                let offset = half.commit_log_offset;
                if tx.resolved.contains_key(&offset) || tx.pending.contains_key(&offset) {
                    continue;
                }
                let Some(target) = records::target(&half) else {
                    continue;
                };
                let checks = tx.checks.get(&offset).copied().unwrap_or(0);
                let first = half.store_timestamp_ms.saturating_add(self.timeout_ms);
                let next_check_ms = if checks == 0 {
                    first
                } else {
                    now + self.interval_ms
                };
                let pending = Pending {
                    group: target.group,
                    born_host: half.born_host,
                    checks,
                    next_check_ms,
                };
                tx.pending.insert(offset, pending);
            }
            if read.status == ReadStatus::NoNewMessage || tx.scanned == from {
                return;
            }
        }
    }

    /// One round: scan, then check or discard every half message that is due.
    pub async fn tick(&self, state: &BrokerState) {
        self.scan(state);
        let now = now_ms();
        let due: Vec<(u64, Pending)> = self
            .lock()
            .pending
            .iter()
            .filter(|(_, p)| p.next_check_ms <= now)
            .map(|(o, p)| (*o, p.clone()))
            .collect();
        for (offset, pending) in due {
            if pending.checks >= self.check_max {
                self.discard(state, offset).await;
            } else {
                self.check(state, offset, &pending).await;
            }
        }
    }

    async fn check(&self, state: &BrokerState, offset: u64, pending: &Pending) {
        let channels = state.clients.producer_channels(&pending.group);
        let channel = channels
            .iter()
            .find(|c| c.peer() == pending.born_host)
            .or_else(|| channels.first());
        let next = now_ms() + self.interval_ms;
        let Some(channel) = channel else {
            if let Some(p) = self.lock().pending.get_mut(&offset) {
                p.next_check_ms = next;
            }
            return;
        };
        let Some(half) = read_half(state, offset) else {
            self.lock().pending.remove(&offset);
            return;
        };
        let Some(target) = records::target(&half) else {
            return;
        };
        let record = match records::to_real(
            &half,
            &target.topic,
            target.queue_id,
            SYS_FLAG_TRANSACTION_PREPARED,
            0,
        ) {
            Ok(record) => record,
            Err(e) => {
                tracing::error!(offset, error = %e, "cannot rebuild a half message for its check");
                return;
            }
        };
        let checks = {
            let mut tx = self.lock();
            let Some(p) = tx.pending.get_mut(&offset) else {
                return;
            };
            p.checks += 1;
            p.next_check_ms = next;
            let checks = p.checks;
            tx.checks.insert(offset, checks);
            checks
        };
        self.record(Op::Check, offset, checks);
        let request = CheckTransactionStateRequest {
            broker_addr: state.advertised.to_string(),
            commit_log_offset: offset,
            record,
        };
        tracing::debug!(offset, checks, peer = %channel.peer(), "transaction check-back");
        if let Err(e) = channel.oneway(&request).await {
            tracing::warn!(offset, error = %e, "cannot send a transaction check-back");
        }
    }

    async fn discard(&self, state: &BrokerState, offset: u64) {
        let Some(half) = read_half(state, offset) else {
            self.lock().pending.remove(&offset);
            return;
        };
        let _ = state.topics.create(TopicConfig::new(CHECK_MAX_TOPIC, 1));
        let appended = {
            let mut tx = self.lock();
            if tx.resolved.contains_key(&offset) {
                return;
            }
            let appended = records::to_real(
                &half,
                CHECK_MAX_TOPIC,
                0,
                SYS_FLAG_TRANSACTION_PREPARED,
                offset,
            )
            .and_then(|record| append(state, CHECK_MAX_TOPIC, 0, &record));
            tx.resolved.insert(offset, Op::Discard);
            tx.pending.remove(&offset);
            tx.checks.remove(&offset);
            self.record(Op::Discard, offset, 0);
            appended
        };
        tracing::warn!(offset, msg_id = %half.msg_id, "half message discarded after the maximum checks");
        match appended {
            Ok(pending) => {
                pending.finish().await;
            }
            Err(e) => tracing::error!(offset, error = %e, "cannot copy a discarded half message"),
        }
    }

    /// How often the check task runs: a quarter of the shortest wait, between 10 ms and 1 s.
    pub fn tick_period(&self) -> Duration {
        Duration::from_millis((self.timeout_ms.min(self.interval_ms) / 4).clamp(10, 1000))
    }
}

/// The half message stored at `offset`, if one is.
fn read_half(state: &BrokerState, offset: u64) -> Option<MessageExt> {
    let bytes = state.store.read_record(offset)?;
    let half = decode_record(&bytes).ok()?;
    (half.message.topic == HALF_TOPIC).then_some(half)
}

fn commit(
    state: &BrokerState,
    half: &MessageExt,
    offset: u64,
) -> Result<crate::store::PendingAppend, String> {
    let target = records::target(half).ok_or("the half message has no real topic")?;
    let record = records::to_real(
        half,
        &target.topic,
        target.queue_id,
        SYS_FLAG_TRANSACTION_COMMIT,
        offset,
    )?;
    append(state, &target.topic, target.queue_id, &record)
}

fn append(
    state: &BrokerState,
    topic: &str,
    queue_id: u32,
    record: &Bytes,
) -> Result<crate::store::PendingAppend, String> {
    let batch = AppendBatch {
        topic,
        queue_id,
        records: record,
        record_count: 1,
        wait_store_msg_ok: true,
    };
    state.store.append_begin(batch).map_err(|e| e.to_string())
}

/// The check task: a tick every `tick_period` until the broker shuts down.
pub async fn run(state: Arc<BrokerState>) {
    if state.config.role == BrokerRole::Slave {
        // The master checks its half messages; their outcomes reach a slave by replication.
        return;
    }
    let mut shutdown = state.shutdown_rx();
    let period = state.transactions.tick_period();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = shutdown.changed() => return,
        }
        state.transactions.tick(&state).await;
    }
}

//! Offsets of a push consumer: where an owned queue starts, and commits.
//!
//! CLUSTERING: offsets live on the broker. The table here holds, per queue, the offset to
//! commit (the smallest offset still in flight, from `ProcessQueue`); it is sent with
//! `UpdateConsumerOffset` every `persist_offset_interval`, when a queue is taken away, and at
//! shutdown. Commits go to the queue's master only; while it is down they wait (the queue
//! stays changed and is sent once the master is back). Offset queries go to the master, or to
//! its slave while the master is down (`client::replica`). A new queue starts at the group's committed offset, else by `consume_from`:
//! `FirstOffset` the queue's min offset, `Timestamp(t)` the first message stored at or after
//! `t`, `LastOffset` the first message stored since this consumer started.
//!
//! BROADCASTING: every member keeps its own offsets in `{broadcast_offset_dir}/{group}.offsets`,
//! one `topic broker_name queue_id offset` line per queue, replaced atomically (temp file, fsync,
//! rename), so a restarted member continues where it stopped.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::process_queue::ProcessQueue;
use super::{PushCore, PushOptions};
use crate::client::config::ConsumeFrom;
use crate::client::error::ClientError;
use crate::client::route::MessageQueue;
use crate::client::shutdown::lock;
use crate::protocol::{
    GetMinOffsetRequest, MessageModel, QueryConsumerOffsetRequest, SearchOffsetRequest, Status,
    UpdateConsumerOffsetRequest,
};

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    offset: u64,
    committed: Option<u64>,
}

/// The offset table; see the module doc.
#[derive(Debug)]
pub(crate) struct OffsetStore {
    local_file: Option<PathBuf>,
    table: Mutex<BTreeMap<MessageQueue, Entry>>,
}

impl OffsetStore {
    pub(crate) fn new(group: &str, options: &PushOptions) -> OffsetStore {
        let local_file = (options.message_model == MessageModel::Broadcasting).then(|| {
            options
                .broadcast_offset_dir
                .join(format!("{group}.offsets"))
        });
        OffsetStore {
            local_file,
            table: Mutex::new(BTreeMap::new()),
        }
    }

    /// Broadcasting: reads the local file (a missing file is an empty table).
    pub(crate) fn load(&self) -> Result<(), ClientError> {
        let Some(path) = &self.local_file else {
            return Ok(());
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(ClientError::InvalidArgument(format!(
                    "cannot read offsets file {}: {e}",
                    path.display()
                )));
            }
        };
        let mut table = lock(&self.table);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let parts: Vec<&str> = line.split(' ').collect();
            let parsed = match parts.as_slice() {
                [topic, broker, queue, offset] => queue
                    .parse::<u32>()
                    .ok()
                    .zip(offset.parse::<u64>().ok())
                    .map(|(q, o)| (MessageQueue::new(*topic, *broker, q), o)),
                _ => None,
            };
            let Some((mq, offset)) = parsed else {
                return Err(ClientError::InvalidArgument(format!(
                    "offsets file {} has a bad line `{line}`",
                    path.display()
                )));
            };
            table.insert(
                mq,
                Entry {
                    offset,
                    committed: Some(offset),
                },
            );
        }
        Ok(())
    }

    /// Sets `mq`'s offset from an operator's reset: the next persist commits it even if the
    /// broker already has it.
    pub(crate) fn reset(&self, mq: &MessageQueue, offset: u64) {
        lock(&self.table).insert(
            mq.clone(),
            Entry {
                offset,
                committed: None,
            },
        );
    }

    pub(crate) fn update(&self, mq: &MessageQueue, offset: u64) {
        lock(&self.table).entry(mq.clone()).or_default().offset = offset;
    }

    fn local(&self, mq: &MessageQueue) -> Option<u64> {
        lock(&self.table).get(mq).map(|e| e.offset)
    }

    fn forget(&self, mq: &MessageQueue) {
        if self.local_file.is_none() {
            lock(&self.table).remove(mq);
        }
    }

    /// Queues whose offset changed since their last commit.
    fn changed(&self, queues: &[MessageQueue]) -> Vec<(MessageQueue, u64)> {
        let table = lock(&self.table);
        queues
            .iter()
            .filter_map(|mq| {
                let e = table.get(mq)?;
                (e.committed != Some(e.offset)).then(|| (mq.clone(), e.offset))
            })
            .collect()
    }

    fn mark_committed(&self, mq: &MessageQueue, offset: u64) {
        if let Some(e) = lock(&self.table).get_mut(mq) {
            e.committed = Some(offset);
        }
    }

    fn render(&self) -> String {
        lock(&self.table)
            .iter()
            .map(|(mq, e)| {
                format!(
                    "{} {} {} {}\n",
                    mq.topic, mq.broker_name, mq.queue_id, e.offset
                )
            })
            .collect()
    }
}

/// Replaces `path` with `text`: temp file, fsync, rename.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("offsets.tmp");
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

impl PushCore {
    /// Where fetching of a newly owned queue starts; see the module doc.
    pub(crate) async fn start_offset(&self, mq: &MessageQueue) -> Result<u64, ClientError> {
        if self.is_clustering() {
            if let Some(offset) = self.query_committed(mq).await? {
                return Ok(offset);
            }
        } else if let Some(offset) = self.offsets.local(mq) {
            return Ok(offset);
        }
        let conn = self.instance.query_conn(mq).await?;
        let timeout = self.instance.config.request_timeout;
        let (topic, queue_id) = (mq.topic.clone(), mq.queue_id);
        let offset = match self.options.consume_from {
            // Not the end at assignment time but the first message stored since `start`: a
            // message sent after `start` returned is never skipped because the queue was taken
            // a moment later (a topic created after start is read whole).
            ConsumeFrom::LastOffset => {
                let timestamp_ms = self.started_ms.load(std::sync::atomic::Ordering::Acquire);
                let request = SearchOffsetRequest {
                    topic,
                    queue_id,
                    timestamp_ms,
                };
                conn.call(&request, timeout).await?
            }
            ConsumeFrom::FirstOffset => {
                conn.call(&GetMinOffsetRequest { topic, queue_id }, timeout)
                    .await?
            }
            ConsumeFrom::Timestamp(timestamp_ms) => {
                let request = SearchOffsetRequest {
                    topic,
                    queue_id,
                    timestamp_ms,
                };
                conn.call(&request, timeout).await?
            }
        };
        Ok(offset.offset)
    }

    async fn query_committed(&self, mq: &MessageQueue) -> Result<Option<u64>, ClientError> {
        let conn = self.instance.query_conn(mq).await?;
        let request = QueryConsumerOffsetRequest {
            consumer_group: self.group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
        };
        match conn
            .call(&request, self.instance.config.request_timeout)
            .await
        {
            Ok(response) => Ok(Some(response.offset)),
            Err(e) if e.status() == Some(Status::QueryNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Records the commit offset of `pq` (after messages were consumed).
    pub(crate) fn record_offset(&self, pq: &ProcessQueue, offset: Option<u64>) {
        if let Some(offset) = offset
            && !pq.is_dropped()
        {
            self.offsets.update(&pq.mq, offset);
        }
    }

    /// Commits the offsets of `queues` (broker or local file); failures are logged.
    pub(crate) async fn persist_offsets(&self, queues: &[Arc<ProcessQueue>]) {
        let mqs: Vec<MessageQueue> = queues.iter().map(|pq| pq.mq.clone()).collect();
        if let Some(path) = self.offsets.local_file.clone() {
            let text = self.offsets.render();
            let written = tokio::task::spawn_blocking(move || write_atomically(&path, &text)).await;
            if !matches!(written, Ok(Ok(()))) {
                tracing::warn!(group = %self.group, "cannot save the broadcasting offsets file");
            }
            return;
        }
        for (mq, offset) in self.offsets.changed(&mqs) {
            if let Err(e) = self.commit(&mq, offset).await {
                tracing::warn!(queue = %mq, offset, error = %e, "offset commit failed");
            }
        }
    }

    async fn commit(&self, mq: &MessageQueue, offset: u64) -> Result<(), ClientError> {
        let Some(conn) = self.instance.commit_conn(mq).await? else {
            tracing::debug!(queue = %mq, offset, "master unavailable; the commit waits for it");
            return Ok(());
        };
        let request = UpdateConsumerOffsetRequest {
            consumer_group: self.group.clone(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            offset,
        };
        conn.call(&request, self.instance.config.request_timeout)
            .await?;
        self.offsets.mark_committed(mq, offset);
        Ok(())
    }

    /// Commits a queue that was taken away, then forgets it (clustering).
    pub(crate) async fn persist_and_forget(&self, pq: &Arc<ProcessQueue>) {
        self.persist_offsets(std::slice::from_ref(pq)).await;
        self.offsets.forget(&pq.mq);
    }
}

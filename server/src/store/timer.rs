//! The store's half of delayed delivery: delayed records (a delay level or a delivery time set)
//! are appended to the commit log as sent but indexed in one timer queue,
//! `TIMER_TOPIC`/0, instead of their topic's queue. A timer-queue entry is an ordinary
//! 20-byte consume-queue entry whose tag-hash slot holds the absolute delivery time in
//! milliseconds, so the timer queue is written, flushed, checkpointed and rebuilt by recovery
//! exactly like every other queue. The broker's scheduler (`broker::scheduler`) reads it and
//! stores a copy of each due record, delay cleared, in the real queue.
//!
//! A delayed record keeps its real topic and queue id; its `queue_offset` is its index in the
//! timer queue. `target_queue` is the one place that decides where a record is indexed.

use ferrocket::protocol::record::{RecordView, is_delayed};

use crate::store::consume_queue::Entry;
use crate::store::error::StoreError;
use crate::store::{Store, StoreConfig};

/// The topic of the timer queue (RocketMQ's name for its schedule topic).
pub const TIMER_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
/// The timer queue's only queue id.
pub const TIMER_QUEUE_ID: u32 = 0;

/// One pending timer as indexed in the timer queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerEntry {
    /// Index of the entry in the timer queue.
    pub timer_offset: u64,
    /// Where the delayed record starts in the commit log.
    pub commit_log_offset: u64,
    /// Bytes of the delayed record.
    pub size: u32,
    /// When it is due, in milliseconds since the Unix epoch.
    pub deliver_at_ms: u64,
}

/// The queue a record is indexed in: its own, or the timer queue when it is delayed.
pub(crate) fn target_queue<'a>(view: &RecordView<'a>) -> (&'a str, u32) {
    if is_delayed(view) {
        (TIMER_TOPIC, TIMER_QUEUE_ID)
    } else {
        (view.topic, view.queue_id())
    }
}

/// When a delayed record is due: its delivery time, or its store time plus its level's delay
/// (levels past the last clamp to the last). `None` for a record that is not delayed.
pub(crate) fn deliver_at_ms(view: &RecordView<'_>, config: &StoreConfig) -> Option<u64> {
    let level = view.delay_level();
    if level != 0 {
        let levels = &config.delay_levels_ms;
        let index = usize::from(level).min(levels.len()).saturating_sub(1);
        let delay = levels.get(index).copied().unwrap_or(0);
        return Some(view.store_timestamp_ms().saturating_add(delay));
    }
    let at = view.deliver_at_ms();
    (at != 0).then_some(at)
}

impl Store {
    /// Up to `max` timer-queue entries from index `from`, skipping empty entries; the second
    /// value is the index after the last entry looked at.
    pub fn timer_entries(&self, from: u64, max: u64) -> Result<(Vec<TimerEntry>, u64), StoreError> {
        let Some(queue) = self.inner().queues.get(TIMER_TOPIC, TIMER_QUEUE_ID) else {
            return Ok((Vec::new(), from));
        };
        let (min, end) = queue.bounds();
        let from = from.max(min);
        let count = end.saturating_sub(from).min(max);
        if count == 0 {
            return Ok((Vec::new(), from));
        }
        let entries: Vec<Entry> = queue.entries(from, count)?;
        let mut out = Vec::with_capacity(entries.len());
        for (i, entry) in (from..).zip(&entries) {
            if !entry.is_empty() {
                out.push(TimerEntry {
                    timer_offset: i,
                    commit_log_offset: entry.commit_log_offset,
                    size: entry.size,
                    deliver_at_ms: entry.tag_hash,
                });
            }
        }
        Ok((out, from + entries.len() as u64))
    }

    /// The timer queue's lowest stored index.
    pub fn timer_min_offset(&self) -> u64 {
        self.min_offset(TIMER_TOPIC, TIMER_QUEUE_ID)
    }
}

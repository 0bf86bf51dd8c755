//! The state of one queue assigned to a pull consumer: the fetch position, the bounded buffer
//! of fetched messages, and the consumed and committed offsets.
//!
//! The fetch task appends to the buffer and `poll` takes from it. `generation` changes on every
//! `seek` and on removal, so a pull that was in flight for the old position is dropped (its
//! future is cancelled by the fetch task, and a late result is ignored). Offsets:
//! - `fetch_offset`: the next offset to pull (`None` until the starting offset is resolved);
//! - `consumed`: the offset after the last message `poll` returned (what `commit` sends);
//! - `committed`: the last offset the broker acknowledged for the group.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::{Notify, watch};

use crate::client::route::MessageQueue;
use crate::client::shutdown::lock;
use crate::limits::{CONSUMER_QUEUE_BUFFER_BYTES_MAX, CONSUMER_QUEUE_BUFFER_COUNT_MAX};
use crate::message::MessageExt;

/// What the fetch task should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FetchStep {
    /// The queue was removed: exit.
    Stop,
    /// Paused or buffer full: wait for `wake`.
    Wait,
    /// Find the starting offset, then `set_start` with this generation.
    Resolve { generation: u64 },
    /// Pull from `offset`, then `on_pull` with this generation.
    Pull { offset: u64, generation: u64 },
}

#[derive(Debug, Default)]
struct Inner {
    buffer: VecDeque<MessageExt>,
    buffer_bytes: usize,
    fetch_offset: Option<u64>,
    consumed: Option<u64>,
    committed: Option<u64>,
    paused: bool,
    stopped: bool,
    generation: u64,
}

impl Inner {
    fn is_full(&self) -> bool {
        self.buffer.len() >= CONSUMER_QUEUE_BUFFER_COUNT_MAX
            || self.buffer_bytes >= CONSUMER_QUEUE_BUFFER_BYTES_MAX
    }

    fn invariants(&self) {
        let bytes: usize = self.buffer.iter().map(|m| m.store_size as usize).sum();
        assert_eq!(bytes, self.buffer_bytes, "buffer byte count out of sync");
    }
}

/// One assigned queue; see the module doc.
#[derive(Debug)]
pub(crate) struct QueueState {
    pub(crate) mq: MessageQueue,
    inner: Mutex<Inner>,
    /// Wakes the fetch task (room in the buffer, resume, seek, stop).
    pub(crate) wake: Notify,
    generation: watch::Sender<u64>,
    fetch_task: std::sync::atomic::AtomicBool,
}

impl QueueState {
    /// True for the first caller only: the one that spawns the queue's fetch task.
    pub(crate) fn claim_fetch_task(&self) -> bool {
        !self
            .fetch_task
            .swap(true, std::sync::atomic::Ordering::AcqRel)
    }

    pub(crate) fn new(mq: MessageQueue) -> QueueState {
        QueueState {
            mq,
            inner: Mutex::new(Inner::default()),
            wake: Notify::new(),
            generation: watch::Sender::new(0),
            fetch_task: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A receiver that changes whenever the position is reset or the queue stops.
    pub(crate) fn generation_changes(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    fn bump(&self, inner: &mut Inner) {
        inner.generation += 1;
        self.generation.send_replace(inner.generation);
        self.wake.notify_one();
    }

    pub(crate) fn next_step(&self) -> FetchStep {
        let inner = lock(&self.inner);
        let generation = inner.generation;
        if inner.stopped {
            FetchStep::Stop
        } else if inner.paused || inner.is_full() {
            FetchStep::Wait
        } else {
            match inner.fetch_offset {
                None => FetchStep::Resolve { generation },
                Some(offset) => FetchStep::Pull { offset, generation },
            }
        }
    }

    /// Sets the starting offset found for `generation` (ignored if the position changed).
    pub(crate) fn set_start(&self, generation: u64, offset: u64) {
        let mut inner = lock(&self.inner);
        if inner.generation == generation && inner.fetch_offset.is_none() {
            inner.fetch_offset = Some(offset);
        }
    }

    /// Applies a pull result for `generation`: appends `msgs` and moves the fetch position to
    /// `next_begin_offset`. When nothing was added and nothing is buffered, the consumed offset
    /// moves there too (skipped and filtered messages count as consumed, like RocketMQ's
    /// `correctTagsOffset`); `moved` (OFFSET_MOVED) moves it even backwards. Returns whether
    /// messages were added.
    pub(crate) fn on_pull(
        &self,
        generation: u64,
        next_begin_offset: u64,
        msgs: Vec<MessageExt>,
        moved: bool,
    ) -> bool {
        let mut inner = lock(&self.inner);
        if inner.generation != generation || inner.stopped {
            return false;
        }
        inner.fetch_offset = Some(next_begin_offset);
        let added = !msgs.is_empty();
        if !added && inner.buffer.is_empty() {
            inner.consumed = match inner.consumed {
                Some(c) if !moved => Some(c.max(next_begin_offset)),
                _ => Some(next_begin_offset),
            };
        }
        for msg in msgs {
            inner.buffer_bytes += msg.store_size as usize;
            inner.buffer.push_back(msg);
        }
        if cfg!(debug_assertions) {
            inner.invariants();
        }
        added
    }

    /// Moves up to `max` buffered messages to `out` unless paused; returns how many.
    pub(crate) fn take(&self, max: usize, out: &mut Vec<MessageExt>) -> usize {
        let mut inner = lock(&self.inner);
        if inner.paused || inner.stopped {
            return 0;
        }
        let was_full = inner.is_full();
        let n = max.min(inner.buffer.len());
        for msg in inner.buffer.drain(..n) {
            out.push(msg);
        }
        let taken = &out[out.len() - n..];
        inner.buffer_bytes -= taken.iter().map(|m| m.store_size as usize).sum::<usize>();
        if let Some(last) = taken.last() {
            inner.consumed = Some(last.queue_offset + 1);
        }
        if was_full && !inner.is_full() {
            self.wake.notify_one();
        }
        n
    }

    /// Restarts fetching at `offset`, dropping buffered messages; the next commit sends
    /// `offset`.
    pub(crate) fn seek(&self, offset: u64) {
        let mut inner = lock(&self.inner);
        inner.buffer.clear();
        inner.buffer_bytes = 0;
        inner.fetch_offset = Some(offset);
        inner.consumed = Some(offset);
        self.bump(&mut inner);
    }

    pub(crate) fn set_paused(&self, paused: bool) {
        lock(&self.inner).paused = paused;
        self.wake.notify_one();
    }

    /// Stops the fetch task for good (the queue was unassigned).
    pub(crate) fn stop(&self) {
        let mut inner = lock(&self.inner);
        inner.stopped = true;
        self.bump(&mut inner);
    }

    /// The consumed offset when it differs from the committed one.
    pub(crate) fn commit_candidate(&self) -> Option<u64> {
        let inner = lock(&self.inner);
        inner.consumed.filter(|c| Some(*c) != inner.committed)
    }

    pub(crate) fn mark_committed(&self, offset: u64) {
        lock(&self.inner).committed = Some(offset);
    }

    #[cfg(test)]
    pub(crate) fn buffered(&self) -> usize {
        let inner = lock(&self.inner);
        inner.invariants();
        inner.buffer.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    fn ext(offset: u64) -> MessageExt {
        crate::client::tests::ext_of(Message::new("t", "x"), offset)
    }

    /// The fetch position goes resolve → pull, and a taken batch sets the consumed offset.
    #[test]
    fn fetch_and_take() {
        let q = QueueState::new(MessageQueue::new("t", "b", 0));
        assert_eq!(q.next_step(), FetchStep::Resolve { generation: 0 });
        q.set_start(0, 5);
        assert_eq!(
            q.next_step(),
            FetchStep::Pull {
                offset: 5,
                generation: 0
            }
        );
        assert!(q.on_pull(0, 8, vec![ext(5), ext(6), ext(7)], false));
        let mut out = Vec::new();
        assert_eq!(q.take(2, &mut out), 2);
        assert_eq!(q.commit_candidate(), Some(7));
        q.mark_committed(7);
        assert_eq!(q.commit_candidate(), None);
        assert_eq!(q.buffered(), 1);
        assert_eq!(
            q.next_step(),
            FetchStep::Pull {
                offset: 8,
                generation: 0
            }
        );
    }

    /// A seek drops the buffer and makes the in-flight pull's result stale.
    #[test]
    fn seek_discards_stale_pulls() {
        let q = QueueState::new(MessageQueue::new("t", "b", 0));
        q.set_start(0, 0);
        q.seek(100);
        assert!(
            !q.on_pull(0, 3, vec![ext(0)], false),
            "stale result applied"
        );
        assert_eq!(
            q.next_step(),
            FetchStep::Pull {
                offset: 100,
                generation: 1
            }
        );
        assert_eq!(q.commit_candidate(), Some(100));
    }

    /// A full buffer or a pause stops fetching; stop ends it.
    #[test]
    fn flow_control() {
        let q = QueueState::new(MessageQueue::new("t", "b", 0));
        q.set_start(0, 0);
        let batch: Vec<MessageExt> = (0..CONSUMER_QUEUE_BUFFER_COUNT_MAX as u64)
            .map(ext)
            .collect();
        q.on_pull(0, batch.len() as u64, batch, false);
        assert_eq!(q.next_step(), FetchStep::Wait);
        let mut out = Vec::new();
        q.take(1, &mut out);
        assert!(matches!(q.next_step(), FetchStep::Pull { .. }));
        q.set_paused(true);
        assert_eq!(q.next_step(), FetchStep::Wait);
        assert_eq!(q.take(10, &mut out), 0);
        q.stop();
        assert_eq!(q.next_step(), FetchStep::Stop);
    }

    /// Empty pulls move the consumed offset only while nothing is buffered.
    #[test]
    fn empty_pull_corrects_consumed_offset() {
        let q = QueueState::new(MessageQueue::new("t", "b", 0));
        q.set_start(0, 10);
        q.on_pull(0, 12, Vec::new(), false);
        assert_eq!(q.commit_candidate(), Some(12));
        q.on_pull(0, 13, vec![ext(12)], false);
        q.on_pull(0, 20, Vec::new(), false);
        assert_eq!(
            q.commit_candidate(),
            Some(12),
            "buffered message not yet polled"
        );
        q.on_pull(0, 3, Vec::new(), true);
    }
}

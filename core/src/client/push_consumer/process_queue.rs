//! `ProcessQueue`: one assigned queue of a push consumer (RocketMQ's class of the same name).
//!
//! It holds the messages pulled and not yet consumed, in offset order, which gives the three
//! numbers the consumer needs: the flow-control counts (messages, bytes, offset span), the
//! offset to commit (the smallest offset still in flight, or the next fetch offset when none
//! is: never past a message that is not done), and, for orderly queues, the batch a worker
//! holds (`consuming`), put back on suspend. `claim` makes sure one worker at a time runs an
//! orderly queue; `locked` is the broker lock of an orderly queue in clustering mode.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::client::route::MessageQueue;
use crate::client::shutdown::lock;
use crate::message::MessageExt;

#[derive(Debug, Default)]
struct Inner {
    msgs: BTreeMap<u64, MessageExt>,
    /// Orderly: the batch a worker is consuming.
    consuming: BTreeMap<u64, MessageExt>,
    bytes: usize,
    /// Next offset to pull; `None` until resolved.
    fetch_offset: Option<u64>,
    /// When the broker lock was last granted.
    locked_at: Option<Instant>,
}

impl Inner {
    fn invariants(&self) {
        let bytes: usize = self
            .msgs
            .values()
            .chain(self.consuming.values())
            .map(|m| m.store_size as usize)
            .sum();
        assert_eq!(bytes, self.bytes, "process-queue byte count out of sync");
    }
}

/// One assigned queue; see the module doc.
#[derive(Debug)]
pub(crate) struct ProcessQueue {
    pub(crate) mq: MessageQueue,
    inner: Mutex<Inner>,
    dropped: AtomicBool,
    claimed: AtomicBool,
    /// Wakes the fetch task when messages were consumed (room under the flow limits).
    pub(crate) room: Notify,
}

impl ProcessQueue {
    pub(crate) fn new(mq: MessageQueue) -> ProcessQueue {
        ProcessQueue {
            mq,
            inner: Mutex::new(Inner::default()),
            dropped: AtomicBool::new(false),
            claimed: AtomicBool::new(false),
            room: Notify::new(),
        }
    }

    pub(crate) fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    /// Marks the queue removed: its fetch task stops and late results are ignored.
    pub(crate) fn set_dropped(&self) {
        self.dropped.store(true, Ordering::Release);
        self.room.notify_one();
    }

    pub(crate) fn fetch_offset(&self) -> Option<u64> {
        lock(&self.inner).fetch_offset
    }

    pub(crate) fn set_fetch_offset(&self, offset: u64) {
        lock(&self.inner).fetch_offset = Some(offset);
    }

    /// Adds pulled messages (those at or past the fetch offset) and moves the fetch offset to
    /// `next`; returns how many were added.
    pub(crate) fn put(&self, msgs: Vec<MessageExt>, next: u64) -> usize {
        let mut inner = lock(&self.inner);
        let mut added = 0;
        for msg in msgs {
            let offset = msg.queue_offset;
            let size = msg.store_size as usize;
            if inner.msgs.insert(offset, msg).is_none() {
                inner.bytes += size;
                added += 1;
            }
        }
        inner.fetch_offset = Some(next);
        added
    }

    /// Messages and bytes held (in flight or waiting), and the offset span of the waiting ones.
    pub(crate) fn load(&self) -> (usize, usize, u64) {
        let inner = lock(&self.inner);
        let span = match (inner.msgs.keys().next(), inner.msgs.keys().next_back()) {
            (Some(first), Some(last)) => last - first,
            _ => 0,
        };
        (inner.msgs.len() + inner.consuming.len(), inner.bytes, span)
    }

    /// Removes consumed messages; returns the offset to commit.
    pub(crate) fn remove(&self, offsets: &[u64]) -> Option<u64> {
        let mut inner = lock(&self.inner);
        for offset in offsets {
            if let Some(msg) = inner.msgs.remove(offset) {
                inner.bytes -= msg.store_size as usize;
            }
        }
        if cfg!(debug_assertions) {
            inner.invariants();
        }
        drop(inner);
        self.room.notify_one();
        self.commit_offset()
    }

    /// The smallest offset not consumed yet: the first message held, else the fetch offset.
    pub(crate) fn commit_offset(&self) -> Option<u64> {
        let inner = lock(&self.inner);
        let first = [inner.msgs.keys().next(), inner.consuming.keys().next()]
            .into_iter()
            .flatten()
            .min()
            .copied();
        first.or(inner.fetch_offset)
    }

    /// Orderly: moves up to `max` first messages to the consuming batch and returns copies.
    pub(crate) fn take_orderly(&self, max: usize) -> Vec<MessageExt> {
        let mut inner = lock(&self.inner);
        let mut out = Vec::new();
        while out.len() < max {
            let Some((offset, msg)) = inner.msgs.pop_first() else {
                break;
            };
            out.push(msg.clone());
            inner.consuming.insert(offset, msg);
        }
        out
    }

    /// Orderly: the consuming batch is done; returns the offset to commit.
    pub(crate) fn commit_orderly(&self) -> Option<u64> {
        let mut inner = lock(&self.inner);
        let done = std::mem::take(&mut inner.consuming);
        inner.bytes -= done.values().map(|m| m.store_size as usize).sum::<usize>();
        drop(inner);
        self.room.notify_one();
        self.commit_offset()
    }

    /// Orderly: puts the consuming batch back, each message's `reconsume_times` raised by one.
    pub(crate) fn rollback_orderly(&self) {
        let mut inner = lock(&self.inner);
        let back = std::mem::take(&mut inner.consuming);
        for (offset, mut msg) in back {
            msg.reconsume_times = msg.reconsume_times.saturating_add(1);
            inner.msgs.insert(offset, msg);
        }
    }

    pub(crate) fn has_waiting(&self) -> bool {
        !lock(&self.inner).msgs.is_empty()
    }

    /// Orderly: true for the one worker that may run this queue now.
    pub(crate) fn try_claim(&self) -> bool {
        self.claimed
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub(crate) fn release(&self) {
        self.claimed.store(false, Ordering::Release);
    }

    pub(crate) fn is_claimed(&self) -> bool {
        self.claimed.load(Ordering::Acquire)
    }

    /// Records a granted (or renewed) broker lock, or its loss.
    pub(crate) fn set_locked(&self, locked: bool) {
        lock(&self.inner).locked_at = locked.then(Instant::now);
    }

    /// Whether the broker lock was granted within `max_live`.
    pub(crate) fn lock_valid(&self, max_live: Duration) -> bool {
        lock(&self.inner)
            .locked_at
            .is_some_and(|at| at.elapsed() < max_live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    fn ext(offset: u64) -> MessageExt {
        crate::client::tests::ext_of(Message::new("t", "x"), offset)
    }

    /// The commit offset never passes a message in flight; with none, it is the fetch offset.
    #[test]
    fn commit_offset_is_smallest_in_flight() {
        let pq = ProcessQueue::new(MessageQueue::new("t", "b", 0));
        assert_eq!(pq.commit_offset(), None);
        pq.put(vec![ext(5), ext(6), ext(7)], 8);
        assert_eq!(pq.remove(&[6]), Some(5));
        assert_eq!(pq.remove(&[5]), Some(7));
        assert_eq!(pq.remove(&[7]), Some(8));
        assert_eq!(pq.load().0, 0);
    }

    /// Orderly batches come in offset order; a rollback puts them back with one more reconsume.
    #[test]
    fn orderly_take_commit_rollback() {
        let pq = ProcessQueue::new(MessageQueue::new("t", "b", 0));
        pq.put(vec![ext(2), ext(0), ext(1)], 3);
        let batch = pq.take_orderly(2);
        assert_eq!(
            batch.iter().map(|m| m.queue_offset).collect::<Vec<_>>(),
            vec![0, 1]
        );
        assert_eq!(pq.commit_offset(), Some(0));
        pq.rollback_orderly();
        let again = pq.take_orderly(1);
        assert_eq!(again[0].queue_offset, 0);
        assert_eq!(again[0].reconsume_times, 1);
        assert_eq!(pq.commit_orderly(), Some(1));
        assert!(pq.try_claim());
        assert!(!pq.try_claim());
        pq.release();
        assert!(pq.try_claim());
    }
}

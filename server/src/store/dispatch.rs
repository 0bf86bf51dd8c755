//! Dispatch: building consume-queue entries by walking the commit log in order.
//!
//! One record at a time from `dispatched` to a limit (the written end in ASYNC mode, the
//! flushed end in SYNC mode): validate it, read its topic, queue id, queue offset and tag, and
//! put the entry at index `queue_offset` of its queue. Recovery re-dispatches with `repair`,
//! which also rewrites an existing entry that disagrees with the commit log. After the
//! dispatch lock is released, the `Notify` of every queue that got entries is woken.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use ferrocket::protocol::record::tag_hash;

use crate::store::commit_log::{Item, check_record};
use crate::store::consume_queue::{ConsumeQueue, Entry};
use crate::store::engine::{DispatchState, Inner};
use crate::store::error::StoreError;
use crate::store::timer::{deliver_at_ms, target_queue};
use crate::store::{lock, validate_topic};

impl Inner {
    /// Dispatches the records below `limit`; returns the entries written.
    pub(crate) fn dispatch_to(&self, limit: u64, repair: bool) -> Result<u64, StoreError> {
        let mut woken: Vec<Arc<ConsumeQueue>> = Vec::new();
        let result = {
            let mut state = lock(&self.dispatch);
            let result = self.dispatch_locked(&mut state, limit, repair, &mut woken);
            self.dispatched.store(state.offset, Ordering::Release);
            result
        };
        for queue in woken {
            queue.wake();
        }
        if let Err(e) = &result {
            tracing::error!(error = %e, at = self.dispatched(), "dispatch stopped");
        }
        result
    }

    fn dispatch_locked(
        &self,
        state: &mut DispatchState,
        limit: u64,
        repair: bool,
        woken: &mut Vec<Arc<ConsumeQueue>>,
    ) -> Result<u64, StoreError> {
        let mut written = 0;
        while !state.halted && state.offset < limit {
            let pos = state.offset;
            match self.commit_log.item_at(pos)? {
                Item::Record { size } => {
                    if self.dispatch_record(pos, size, repair, woken)? {
                        written += 1;
                    }
                    state.offset = pos + size;
                }
                Item::Filler { next } | Item::Tail { next } => state.offset = next,
                Item::NoSegment if pos < self.commit_log.min_offset() => {
                    // Only reachable if retention outran dispatch; skip what is gone.
                    state.offset = self.commit_log.min_offset();
                }
                Item::NoSegment => {
                    return Err(StoreError::corrupted(format!(
                        "commit log: no segment holds offset {pos}, below the end {limit}"
                    )));
                }
                Item::Invalid(why) => {
                    return Err(StoreError::corrupted(format!("commit log at {pos}: {why}")));
                }
            }
        }
        Ok(written)
    }

    /// Validates the record at `pos` and writes its entry; true when an entry was written.
    fn dispatch_record(
        &self,
        pos: u64,
        size: u64,
        repair: bool,
        woken: &mut Vec<Arc<ConsumeQueue>>,
    ) -> Result<bool, StoreError> {
        let bytes = self.commit_log.bytes_at(pos, size)?.ok_or_else(|| {
            StoreError::corrupted(format!("commit log: record at {pos} vanished"))
        })?;
        let view = match check_record(&bytes, pos) {
            Ok(view) => view,
            // Appends are validated, so this is corruption after the write (recovery never
            // gets here: it dispatches only what its scan validated). Skipping keeps every
            // other queue flowing; the record's queue gets an empty entry, and reads never
            // serve the bytes.
            Err(why) => {
                tracing::error!(pos, why, "not dispatching a record that fails validation");
                return Ok(false);
            }
        };
        if validate_topic(view.topic).is_err() {
            tracing::warn!(
                pos,
                topic = view.topic,
                "not dispatching a record with an unusable topic"
            );
            return Ok(false);
        }
        let (topic, queue_id) = target_queue(&view);
        let queue = self.queues.get_or_create(topic, queue_id);
        // A timer-queue entry holds the delivery time where other entries hold the tag hash.
        let tag = deliver_at_ms(&view, &self.config).unwrap_or_else(|| tag_hash(view.tags));
        let entry = Entry {
            commit_log_offset: pos,
            size: u32::try_from(size).map_err(|_| StoreError::corrupted("record size"))?,
            tag_hash: tag,
        };
        let written = queue.put(view.queue_offset(), entry, repair)?;
        if pos >= self.index.indexed_end() {
            self.index.add(&view, pos)?;
        }
        if written && queue.mark_notify() {
            woken.push(queue);
        }
        Ok(written)
    }
}

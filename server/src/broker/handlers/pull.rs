//! `Pull`: serve stored records of one queue, parking the request (long polling) until a
//! message arrives or the hold expires when there is nothing yet. The group must be allowed to
//! consume (`subscription_groups::check_pull`).
//!
//! The wake-up comes from the store's per-queue `Notify`, armed *before* each read so a message
//! stored between the read and the wait is never missed. A parked pull gives its in-flight slot
//! back and takes a parking slot instead; with no parking slot left it answers at once.

use std::sync::Arc;
use std::time::Duration;

use ferrocket::limits::LONG_POLL_MS_MAX;
use ferrocket::protocol::record::RecordView;
use ferrocket::protocol::{PullRequest, PullResponse, PullStatus, Status};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use crate::broker::BrokerState;
use crate::broker::connection::ConnContext;
use crate::broker::filter::Filter;
use crate::broker::handlers::{readable_queue, valid_group};
use crate::broker::reply::{PullBody, Reply, ReplyBody};
use crate::broker::subscription_groups::check_pull;
use crate::config::BrokerRole;
use crate::ha::read;
use crate::store::{ReadResult, ReadStatus, RecordFilter};

/// Handles `Pull`.
pub async fn handle(
    state: &Arc<BrokerState>,
    ctx: &ConnContext,
    request: PullRequest,
    permit: OwnedSemaphorePermit,
) -> Reply {
    if let Err(reply) = valid_group(&request.consumer_group) {
        return reply;
    }
    if let Err(reply) = readable_queue(state, &request.topic, request.queue_id)
        && !read::copied_queue_unsynced(state, &request.topic, request.queue_id)
    {
        return reply;
    }
    let group_config = match check_pull(state, &request.consumer_group) {
        Ok(config) => config,
        Err(reply) => return reply,
    };
    let filter = match Filter::parse(request.expression_type, &request.expression) {
        Ok(filter) => filter,
        Err(e) => return Reply::error(Status::SubscriptionParseFailed, e),
    };
    // A slave keeps the offsets it copies from its master; commits go to the master.
    if let Some(offset) = request.commit_offset
        && state.config.role != BrokerRole::Slave
    {
        state.offsets.commit(
            &request.consumer_group,
            &request.topic,
            request.queue_id,
            offset,
        );
    }
    let hold = Duration::from_millis(u64::from(request.suspend_timeout_ms.min(LONG_POLL_MS_MAX)));
    let result = read_with_hold(state, ctx, &request, &filter, hold, permit).await;
    let suggest_broker_id = read::suggest_broker_id(state, &group_config, &result);
    pull_reply(result, suggest_broker_id)
}

async fn read_with_hold(
    state: &BrokerState,
    ctx: &ConnContext,
    request: &PullRequest,
    filter: &Filter,
    hold: Duration,
    permit: OwnedSemaphorePermit,
) -> ReadResult {
    let deadline = Instant::now() + hold;
    let notify = state.store.queue_notify(&request.topic, request.queue_id);
    let mut shutdown = ctx.shutdown.clone();
    let mut permit = Some(permit);
    let mut parking = None;
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let result = read_once(state, request, filter);
        if result.status != ReadStatus::NoNewMessage || Instant::now() >= deadline {
            return result;
        }
        if parking.is_none() {
            match ctx.parked_pulls.clone().try_acquire_owned() {
                Ok(slot) => parking = Some(slot),
                Err(_) => return result,
            }
            permit.take();
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
            _ = shutdown.changed() => return result,
        }
    }
}

fn read_once(state: &BrokerState, request: &PullRequest, filter: &Filter) -> ReadResult {
    let limits = (request.max_messages, request.max_bytes);
    let by_hash = |tag_hash| filter.matches(tag_hash);
    let by_record = |record: &RecordView<'_>| filter.matches_record(record);
    let record_filter: &RecordFilter = if filter.needs_record() {
        &by_record
    } else {
        &|_| true
    };
    let mut result = state.store.read_filtered(
        &request.topic,
        request.queue_id,
        request.queue_offset,
        limits,
        &by_hash,
        record_filter,
    );
    read::hold_position_on_slave(state, request.queue_offset, &mut result);
    result
}

fn pull_reply(result: ReadResult, suggest_broker_id: u64) -> Reply {
    let pull_status = match result.status {
        ReadStatus::Found => PullStatus::Found,
        ReadStatus::NoNewMessage => PullStatus::NoNewMessage,
        ReadStatus::NoMatchedMessage => PullStatus::NoMatchedMessage,
        ReadStatus::OffsetMoved => PullStatus::OffsetMoved,
    };
    let head = PullResponse {
        pull_status,
        next_begin_offset: result.next_offset,
        min_offset: result.min_offset,
        max_offset: result.max_offset,
        suggest_broker_id,
        records: bytes::Bytes::new(),
    };
    Reply {
        status: Status::Ok,
        message: String::new(),
        body: ReplyBody::Pull(Box::new(PullBody {
            head,
            records: result.records,
            records_len: result.records_len,
        })),
    }
}

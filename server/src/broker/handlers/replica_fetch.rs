//! `ReplicaFetch`: a slave copying this master's commit log. The request's offset is the
//! slave's acknowledgement (recorded first, so SYNC_MASTER sends waiting for it wake); the
//! answer is the raw bytes from there, sent straight from the mapped segments, held up to
//! `max_wait_ms` when there is nothing new.
//!
//! The wake-up comes from the store's append `Notify`, armed before each read so an append
//! between the read and the wait is never missed. A held fetch gives its in-flight slot back.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferrocket::limits::LONG_POLL_MS_MAX;
use ferrocket::protocol::{ReplicaFetchRequest, ReplicaFetchResponse, Status};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use crate::broker::BrokerState;
use crate::broker::connection::ConnContext;
use crate::broker::reply::{GatheredBody, Reply, ReplyBody};
use crate::config::BrokerRole;
use crate::store::StoreError;

/// Handles `ReplicaFetch`.
pub async fn handle(
    state: &Arc<BrokerState>,
    ctx: &ConnContext,
    request: ReplicaFetchRequest,
    permit: OwnedSemaphorePermit,
) -> Reply {
    if state.config.role == BrokerRole::Slave {
        return Reply::error(
            Status::ServiceNotAvailable,
            "this broker is a slave; slaves copy from the master",
        );
    }
    if request.broker_id == 0 {
        return Reply::error(
            Status::InvalidParameter,
            "broker id 0 is the master's; a slave fetches with its own id (> 0)",
        );
    }
    if request.broker_name != state.config.broker_name {
        return Reply::error(
            Status::InvalidParameter,
            format!(
                "this master is broker `{}`, not `{}`",
                state.config.broker_name, request.broker_name
            ),
        );
    }
    state
        .cluster
        .replicas
        .on_fetch(&request.slave_addr, request.offset, &ctx.channel);
    let start = match start_offset(state, request.offset) {
        Ok(start) => start,
        Err(reply) => return reply,
    };
    drop(permit);
    let hold = Duration::from_millis(u64::from(request.max_wait_ms.min(LONG_POLL_MS_MAX)));
    match read_with_hold(state, ctx, start, request.max_bytes as usize, hold).await {
        Ok(data) => fetch_reply(state, start, data),
        Err(e) => Reply::error(
            Status::SystemError,
            format!("cannot read the commit log: {e}"),
        ),
    }
}

/// Where the data starts: the slave's offset, or this log's first offset for an empty slave.
fn start_offset(state: &BrokerState, offset: u64) -> Result<u64, Reply> {
    let (min, max) = (
        state.store.commit_log_min_offset(),
        state.store.commit_log_max_offset(),
    );
    if offset == 0 && min > 0 {
        return Ok(min);
    }
    if offset > max {
        return Err(Reply::error(
            Status::InvalidParameter,
            format!(
                "the slave's commit log ends at {offset}, past this master's end {max}: it \
                 holds data this master does not; empty the slave's data folder"
            ),
        ));
    }
    if offset < min {
        return Err(Reply::error(
            Status::InvalidParameter,
            format!(
                "the slave's commit log ends at {offset}, before this master's first offset \
                 {min} (retention removed the rest); empty the slave's data folder"
            ),
        ));
    }
    Ok(offset)
}

async fn read_with_hold(
    state: &BrokerState,
    ctx: &ConnContext,
    start: u64,
    max_bytes: usize,
    hold: Duration,
) -> Result<Bytes, StoreError> {
    let deadline = Instant::now() + hold;
    let appended = state.store.appended_notify();
    let mut shutdown = ctx.shutdown.clone();
    loop {
        let notified = appended.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let data = state.store.read_commit_log(start, max_bytes)?;
        if !data.is_empty() || Instant::now() >= deadline {
            return Ok(data);
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
            _ = shutdown.changed() => return Ok(data),
        }
    }
}

fn fetch_reply(state: &BrokerState, start: u64, data: Bytes) -> Reply {
    let response = ReplicaFetchResponse {
        master_min_offset: state.store.commit_log_min_offset(),
        master_max_offset: state.store.commit_log_max_offset(),
        segment_size: state.store.segment_size(),
        data_offset: start,
        data: Bytes::new(),
    };
    let mut head = BytesMut::new();
    if let Err(e) = response.encode_head(data.len(), &mut head) {
        return Reply::error(Status::SystemError, format!("cannot encode the data: {e}"));
    }
    Reply {
        status: Status::Ok,
        message: String::new(),
        body: ReplyBody::Gathered(Box::new(GatheredBody {
            head: head.freeze(),
            tail: vec![data],
        })),
    }
}

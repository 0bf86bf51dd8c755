//! Every maximum and default of ferrocket, in one place.
//!
//! Names put the qualifier last (`FRAME_LEN_MAX`, `SEND_TIMEOUT_MS_DEFAULT`). Each `*_MAX` is
//! enforced when decoding *and* when encoding, so our own clients cannot send what our server
//! rejects, and each one is named in `spec/protocol.md` or `spec/storage.md` (a tidy test checks
//! that). The `const` assertions at the bottom tie related limits together.

// ---------------------------------------------------------------------------------------------
// Frames and connections
// ---------------------------------------------------------------------------------------------

/// Largest frame after the 4-byte length prefix. Costs one receive buffer of this size per
/// connection in the worst case.
pub const FRAME_LEN_MAX: u32 = 16 * 1024 * 1024;
/// Requests one connection may have in flight on the broker before it stops reading from it.
pub const CONNECTION_IN_FLIGHT_MAX: usize = 128;
/// Frames queued for writing on one connection; a full queue back-pressures the handlers.
pub const CONNECTION_OUTBOUND_FRAMES_MAX: usize = 256;
/// Pulls one connection may have parked on the broker (long polling) at once; a pull beyond
/// this is answered at once with "no new message" instead of being parked.
pub const PULL_PARKED_PER_CONNECTION_MAX: usize = 4096;
/// Connections one broker accepts at once; further connections are closed at accept.
pub const CONNECTIONS_MAX_DEFAULT: usize = 4096;
/// How long a peer may take to deliver the rest of a frame it started, in milliseconds.
pub const FRAME_READ_TIMEOUT_MS_DEFAULT: u64 = 30_000;
/// A connection with no complete frame for this long is closed, in milliseconds.
pub const CONNECTION_IDLE_TIMEOUT_MS_DEFAULT: u64 = 120_000;

// ---------------------------------------------------------------------------------------------
// Strings and arrays on the wire
// ---------------------------------------------------------------------------------------------

/// Topic name bytes on the wire (retry and dead-letter topics may use up to this).
pub const TOPIC_LEN_MAX: usize = 255;
/// Topic name bytes a user may choose (RocketMQ's `TOPIC_MAX_LENGTH`).
pub const TOPIC_USER_LEN_MAX: usize = 127;
/// Producer and consumer group name bytes (RocketMQ's `GROUP_MAX_LENGTH`).
pub const GROUP_LEN_MAX: usize = 120;
/// Client id bytes (`ip@instance`).
pub const CLIENT_ID_LEN_MAX: usize = 255;
/// Tag bytes of one message.
pub const TAGS_LEN_MAX: usize = 255;
/// Bytes of the space-separated keys of one message.
pub const KEYS_LEN_MAX: usize = 1024;
/// Encoded bytes of all properties of one message (RocketMQ: 32 KiB).
pub const PROPERTIES_LEN_MAX: usize = 32 * 1024;
/// Properties of one message.
pub const PROPERTY_COUNT_MAX: usize = 128;
/// Body bytes of one message (RocketMQ's `maxMessageSize`).
pub const BODY_LEN_MAX: usize = 4 * 1024 * 1024;
/// Bytes of one encoded message record: the body plus room for the header and metadata.
pub const RECORD_LEN_MAX: usize = BODY_LEN_MAX + 64 * 1024;
/// Messages in one batch send.
pub const BATCH_COUNT_MAX: usize = 1024;
/// Encoded bytes of all records of one batch send.
pub const BATCH_LEN_MAX: usize = 8 * 1024 * 1024;
/// Bytes of the error message a response may carry.
pub const ERROR_MESSAGE_LEN_MAX: usize = 4096;
/// Bytes of a `host:port` address string.
pub const ADDR_LEN_MAX: usize = 255;
/// Bytes of a broker or cluster name.
pub const BROKER_NAME_LEN_MAX: usize = 127;
/// Bytes of a subscription expression (`*`, `TagA || TagB`, or SQL92).
pub const EXPRESSION_LEN_MAX: usize = 4096;
/// Entries of an `ApiVersions` list.
pub const API_VERSIONS_COUNT_MAX: usize = 256;
/// Topics in one `ListTopics` response.
pub const TOPIC_LIST_COUNT_MAX: usize = 65_536;
/// Queues of one topic on one broker.
pub const QUEUE_COUNT_MAX: usize = 1024;
/// Brokers (or queue-data entries) in one route.
pub const ROUTE_BROKER_COUNT_MAX: usize = 1024;
/// Groups of one kind named in one heartbeat.
pub const HEARTBEAT_GROUP_COUNT_MAX: usize = 256;
/// Subscriptions of one consumer group in one heartbeat.
pub const SUBSCRIPTION_COUNT_MAX: usize = 256;
/// Bytes of a client software name in `ApiVersions`.
pub const SOFTWARE_NAME_LEN_MAX: usize = 64;
/// Client ids in one `GetConsumerList` response (members of one consumer group).
pub const CONSUMER_LIST_COUNT_MAX: usize = 4096;
/// Queues in one `LockBatch` or `UnlockBatch` request or response.
pub const LOCK_BATCH_COUNT_MAX: usize = 4096;

// ---------------------------------------------------------------------------------------------
// Pull and long polling
// ---------------------------------------------------------------------------------------------

/// Messages one pull may ask for.
pub const PULL_BATCH_COUNT_MAX: u32 = 1024;
/// Messages one pull asks for by default (RocketMQ's `pullBatchSize`).
pub const PULL_BATCH_COUNT_DEFAULT: u32 = 32;
/// Record bytes one pull response may carry; the first record is always sent whole even when it
/// alone is larger, so progress never stalls on a big message.
pub const PULL_BYTES_MAX: u32 = 8 * 1024 * 1024;
/// Record bytes one pull asks for by default.
pub const PULL_BYTES_DEFAULT: u32 = 1024 * 1024;
/// Longest time a pull may be parked on the broker waiting for a message, in milliseconds.
pub const LONG_POLL_MS_MAX: u32 = 30_000;
/// Long-poll hold asked for by consumers (RocketMQ's `BROKER_SUSPEND_MAX_TIME_MILLIS`).
pub const LONG_POLL_MS_DEFAULT: u32 = 15_000;

// ---------------------------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------------------------

/// Commit-log segment size by default (RocketMQ's `mappedFileSizeCommitLog`).
pub const SEGMENT_SIZE_DEFAULT: u64 = 1024 * 1024 * 1024;
/// Smallest commit-log segment size accepted in a config.
pub const SEGMENT_SIZE_MIN: u64 = 1024 * 1024;
/// Largest commit-log segment size accepted in a config.
pub const SEGMENT_SIZE_MAX: u64 = 16 * 1024 * 1024 * 1024;
/// Consume-queue entries per consume-queue file (RocketMQ: 300,000 × 20 bytes).
pub const CONSUME_QUEUE_ENTRIES_PER_FILE_DEFAULT: u64 = 300_000;
/// Bytes of one consume-queue entry.
pub const CONSUME_QUEUE_ENTRY_LEN: usize = 20;
/// Sends that may wait on the store at once before the broker answers `SYSTEM_BUSY`
/// (RocketMQ's `maxAsyncPutMessageRequests`).
pub const STORE_PENDING_SENDS_MAX_DEFAULT: usize = 5000;
/// Async flush period, in milliseconds.
pub const FLUSH_INTERVAL_MS_DEFAULT: u64 = 500;
/// How long a SYNC_FLUSH send waits for its fdatasync before `FLUSH_DISK_TIMEOUT`, in ms.
pub const SYNC_FLUSH_TIMEOUT_MS_DEFAULT: u64 = 5000;
/// Hours a commit-log segment is kept after its last write (RocketMQ's `fileReservedTime`).
pub const FILE_RESERVED_HOURS_DEFAULT: u64 = 72;
/// Hour of the day (local to UTC) expired files are deleted (RocketMQ's `deleteWhen`).
pub const DELETE_HOUR_DEFAULT: u8 = 4;
/// Disk use (percent) above which expired files are deleted at once.
pub const DISK_USAGE_CLEAN_PERCENT_DEFAULT: u8 = 75;
/// Disk use (percent) above which the oldest files are deleted even if unexpired.
pub const DISK_USAGE_FORCE_CLEAN_PERCENT_DEFAULT: u8 = 85;
/// Disk use (percent) above which writes are refused with `STORE_FULL`.
pub const DISK_USAGE_REFUSE_PERCENT_DEFAULT: u8 = 90;
/// How often the retention service checks disk use and expiry, in milliseconds.
pub const RETENTION_CHECK_INTERVAL_MS_DEFAULT: u64 = 10_000;
/// Consumer offsets are saved to disk this often, in milliseconds.
pub const OFFSET_FLUSH_INTERVAL_MS_DEFAULT: u64 = 5000;

// ---------------------------------------------------------------------------------------------
// Topics and clients
// ---------------------------------------------------------------------------------------------

/// Queues of a topic auto-created by a send (RocketMQ producer `defaultTopicQueueNums`).
pub const AUTO_CREATE_QUEUE_COUNT_DEFAULT: u16 = 4;
/// Queues of a topic created by `admin topic create` without `--queues`.
pub const CREATE_QUEUE_COUNT_DEFAULT: u16 = 8;
/// Total time budget of one send across retries, in milliseconds.
pub const SEND_TIMEOUT_MS_DEFAULT: u64 = 3000;
/// Retries of a failed sync send on another broker.
pub const SEND_RETRIES_DEFAULT: u32 = 2;
/// Time budget of one admin or metadata request, in milliseconds.
pub const REQUEST_TIMEOUT_MS_DEFAULT: u64 = 3000;
/// Connect timeout, in milliseconds.
pub const CONNECT_TIMEOUT_MS_DEFAULT: u64 = 3000;
/// Consumer offsets are committed this often by auto-commit, in milliseconds.
pub const AUTO_COMMIT_INTERVAL_MS_DEFAULT: u64 = 5000;
/// Routes are refreshed from the name server this often, in milliseconds.
pub const ROUTE_REFRESH_INTERVAL_MS_DEFAULT: u64 = 30_000;
/// Clients heartbeat every broker they use this often, in milliseconds.
pub const HEARTBEAT_INTERVAL_MS_DEFAULT: u64 = 30_000;
/// Messages a pull consumer buffers per queue before it stops fetching that queue.
pub const CONSUMER_QUEUE_BUFFER_COUNT_MAX: usize = 1000;
/// Bytes a pull consumer buffers per queue before it stops fetching that queue.
pub const CONSUMER_QUEUE_BUFFER_BYTES_MAX: usize = 100 * 1024 * 1024;
/// Messages returned by one `PullConsumer::poll` at most.
pub const POLL_BATCH_COUNT_MAX: usize = 1024;
/// Pending requests one client connection tracks; a full table makes callers wait.
pub const CLIENT_IN_FLIGHT_MAX: usize = 1024;

// ---------------------------------------------------------------------------------------------
// Name servers and replication
// ---------------------------------------------------------------------------------------------

/// Topic configs one `RegisterBroker` carries (a broker with more cannot register; RocketMQ
/// splits its registration past 800 topics instead).
pub const REGISTER_TOPIC_COUNT_MAX: usize = 32_768;
/// Commit-log bytes one `ReplicaFetch` may ask for; the answer holds at most this plus one
/// whole item (a record or a segment's blank filler), so the slave never gets half a record.
pub const REPLICA_FETCH_BYTES_MAX: u32 = 4 * 1024 * 1024;
/// Commit-log bytes a slave asks for per `ReplicaFetch` by default.
pub const REPLICA_FETCH_BYTES_DEFAULT: u32 = 1024 * 1024;
/// Offsets one `GetConsumerOffsets` page carries (a slave reads the master's table in pages).
pub const CONSUMER_OFFSET_PAGE_COUNT_MAX: usize = 16_384;
/// Brokers register with every name server this often, in milliseconds (RocketMQ's
/// `registerNameServerPeriod`).
pub const REGISTER_INTERVAL_MS_DEFAULT: u64 = 30_000;
/// A name server forgets a broker silent for this long, in milliseconds (RocketMQ's
/// `DEFAULT_BROKER_CHANNEL_EXPIRED_TIME`).
pub const BROKER_EXPIRY_MS_DEFAULT: u64 = 120_000;
/// How often a name server looks for silent brokers, in milliseconds (RocketMQ's
/// `scanNotActiveBrokerInterval`).
pub const NAMESRV_SCAN_INTERVAL_MS_DEFAULT: u64 = 5000;
/// How long a SYNC_MASTER send waits for a slave to confirm before `FLUSH_SLAVE_TIMEOUT`, in
/// milliseconds (RocketMQ's `slaveTimeout`).
pub const SLAVE_TIMEOUT_MS_DEFAULT: u64 = 3000;
/// A slave further behind than this many bytes does not count for SYNC_MASTER sends
/// (`SLAVE_NOT_AVAILABLE`; RocketMQ's `haSlaveFallbehindMax`).
pub const HA_SLAVE_FALL_BEHIND_BYTES_DEFAULT: u64 = 256 * 1024 * 1024;
/// A slave whose last fetch is older than this is no longer counted as connected, in
/// milliseconds (RocketMQ's `haHousekeepingInterval`).
pub const HA_HOUSEKEEPING_MS_DEFAULT: u64 = 20_000;
/// How long a master may hold a slave's fetch when it has nothing new, in milliseconds; the
/// fetch that follows is the slave's heartbeat (RocketMQ's `haSendHeartbeatInterval`).
pub const REPLICA_FETCH_WAIT_MS_DEFAULT: u32 = 5000;
/// How often a slave copies topic configs and consumer offsets from its master, in
/// milliseconds (RocketMQ's `SlaveSynchronize` period).
pub const SLAVE_SYNC_INTERVAL_MS_DEFAULT: u64 = 3000;
/// Share of the machine's memory (percent) a pull may lag the commit-log head by before a
/// master with `slave_read_enable` sends the consumer to a slave (RocketMQ's
/// `accessMessageInMemoryMaxRatio`).
pub const ACCESS_MESSAGE_IN_MEMORY_MAX_RATIO_DEFAULT: u8 = 40;

// ---------------------------------------------------------------------------------------------
// Message features: SQL92 filters, compression, delivery time, index and queries, transactions
// ---------------------------------------------------------------------------------------------

/// Nesting depth of a SQL92 filter expression (parentheses and `NOT`s): the parser and the
/// evaluator recurse once per level, so this bounds their stack whatever the input.
pub const SQL_EXPRESSION_DEPTH_MAX: usize = 64;
/// Bodies of at least this many bytes are compressed by the producer (RocketMQ's
/// `compressMsgBodyOverHowmuch`); single sends only, never batches.
pub const COMPRESS_BODY_OVER_BYTES_DEFAULT: usize = 4 * 1024;
/// How far ahead a delivery time may be by default, in milliseconds (RocketMQ's
/// `timerMaxDelaySec`, 3 days); the producer checks it before sending.
pub const TIMER_MAX_DELAY_MS_DEFAULT: u64 = 3 * 24 * 3600 * 1000;
/// Records one `QueryMessage` answer carries at most.
pub const QUERY_MESSAGE_COUNT_MAX: u32 = 1024;
/// Records a `QueryMessage` by key answers when the request asks for 0 (RocketMQ's
/// `defaultQueryMaxNum`).
pub const QUERY_MESSAGE_COUNT_DEFAULT: u32 = 32;
/// Bytes of the records one `QueryMessage` answer carries (the first record is always whole).
pub const QUERY_MESSAGE_BYTES_MAX: usize = 8 * 1024 * 1024;
/// Bytes of a query key (`--key`, or a unique message id in hex).
pub const QUERY_KEY_LEN_MAX: usize = 1024;
/// Consumer groups one `TrackMessage` answer lists.
pub const TRACK_GROUP_COUNT_MAX: usize = 1024;
/// Hash slots of one index file by default.
pub const INDEX_SLOT_COUNT_DEFAULT: u32 = 1_000_000;
/// Entries of one index file by default (then a new file is started).
pub const INDEX_ENTRY_COUNT_DEFAULT: u32 = 4_000_000;
/// Age of a half message before its first check-back, in ms (RocketMQ's `transactionTimeOut`).
pub const TRANSACTION_TIMEOUT_MS_DEFAULT: u64 = 6000;
/// Period between check-backs of one half message, in ms (`transactionCheckInterval`).
pub const TRANSACTION_CHECK_INTERVAL_MS_DEFAULT: u64 = 30_000;
/// Check-backs of one half message before it is discarded (`transactionCheckMax`).
pub const TRANSACTION_CHECK_MAX_DEFAULT: u32 = 15;
/// Check requests a transaction producer queues before it drops new ones
/// (`checkRequestHoldMax`).
pub const TRANSACTION_CHECK_QUEUE_MAX: usize = 2000;

// ---------------------------------------------------------------------------------------------
// Subscription groups and group administration
// ---------------------------------------------------------------------------------------------

/// Retry queues of a subscription group by default (RocketMQ's `retryQueueNums`).
pub const RETRY_QUEUE_COUNT_DEFAULT: u16 = 1;
/// Most redeliveries a subscription group may allow (`retry_max_times`); RocketMQ's levels
/// make each retry past the 16th wait 2 h, so this is years of retrying.
pub const RETRY_MAX_TIMES_MAX: u32 = 10_000;
/// The broker id a group's consumers should read from when they keep up (RocketMQ's
/// `brokerId`: the master).
pub const GROUP_READ_BROKER_ID_DEFAULT: u64 = 0;
/// The broker id a group's consumers should read from when they fall behind (RocketMQ's
/// `whichBrokerWhenConsumeSlowly`: the first slave).
pub const GROUP_SLOW_READ_BROKER_ID_DEFAULT: u64 = 1;
/// `ConsumerSendBack.max_reconsume_times` meaning "not set by the consumer: use the group's
/// `retry_max_times`".
pub const MAX_RECONSUME_TIMES_UNSET: u32 = u32::MAX;
/// Groups described in one `DescribeGroups` answer.
pub const GROUP_DESCRIBE_COUNT_MAX: usize = 65_536;
/// Queues in the progress of one group in a `DescribeGroups` answer.
pub const GROUP_PROGRESS_QUEUE_COUNT_MAX: usize = 65_536;
/// Queues moved by one `ResetOffset` (request, notice or answer).
pub const RESET_OFFSET_QUEUE_COUNT_MAX: usize = 65_536;
/// Offset-reset notices a consumer queues before it drops new ones (it then continues from
/// the broker's offsets when it next takes the queues).
pub const RESET_NOTICE_QUEUE_LEN: usize = 64;

// ---------------------------------------------------------------------------------------------
// Push consumer defaults (RocketMQ's `DefaultMQPushConsumer`)
// ---------------------------------------------------------------------------------------------

/// Consume threads (and async listener calls at once) of a push consumer.
pub const CONSUME_THREADS_DEFAULT: usize = 20;
/// Messages per listener call.
pub const CONSUME_BATCH_COUNT_DEFAULT: usize = 1;
/// Messages one owned queue may hold unconsumed before its pulls stop.
pub const PULL_THRESHOLD_FOR_QUEUE_DEFAULT: usize = 1000;
/// Bytes one owned queue may hold unconsumed before its pulls stop.
pub const PULL_THRESHOLD_SIZE_FOR_QUEUE_DEFAULT: usize = 100 * 1024 * 1024;
/// Offset span of one queue's unconsumed messages before its pulls stop (concurrent listeners).
pub const CONSUME_CONCURRENTLY_MAX_SPAN_DEFAULT: u64 = 2000;
/// Redeliveries of a concurrently consumed message before it goes to the dead-letter queue.
pub const MAX_RECONSUME_TIMES_DEFAULT: u32 = 16;
/// Pause of an orderly queue after `SuspendCurrentQueueAMoment`.
pub const SUSPEND_CURRENT_QUEUE_TIME_MS_DEFAULT: u64 = 1000;
/// A message consuming longer than this is logged as stuck.
pub const CONSUME_TIMEOUT_MS_DEFAULT: u64 = 15 * 60 * 1000;
/// Period of a consumer's rebalance (it also rebalances at once on a membership notice).
pub const REBALANCE_INTERVAL_MS_DEFAULT: u64 = 20_000;
/// Period of a push consumer's offset commits.
pub const PERSIST_OFFSET_INTERVAL_MS_DEFAULT: u64 = 5_000;
/// Period of an orderly consumer's queue-lock renewals.
pub const LOCK_RENEW_INTERVAL_MS_DEFAULT: u64 = 20_000;
/// An orderly consumer treats a queue lock not renewed for this long as lost.
pub const LOCK_MAX_LIVE_MS_DEFAULT: u64 = 30_000;
/// Pause before a message whose send-back failed is consumed again locally.
pub const SEND_BACK_RETRY_DELAY_MS_DEFAULT: u64 = 5_000;
/// How long `shutdown` waits for messages already handed to the consume threads.
pub const AWAIT_TERMINATION_MS_DEFAULT: u64 = 30_000;
/// Consume jobs (batches, orderly queue turns) waiting for a consume thread.
pub const CONSUME_JOB_QUEUE_LEN: usize = 4096;

// ---------------------------------------------------------------------------------------------
// How the limits relate
// ---------------------------------------------------------------------------------------------

const _: () = assert!(TOPIC_USER_LEN_MAX <= TOPIC_LEN_MAX);
const _: () = assert!(TOPIC_LEN_MAX <= u16::MAX as usize);
const _: () = assert!(KEYS_LEN_MAX <= u16::MAX as usize);
const _: () = assert!(TAGS_LEN_MAX <= u16::MAX as usize);
const _: () = assert!(PROPERTIES_LEN_MAX <= u16::MAX as usize);
const _: () = assert!(ERROR_MESSAGE_LEN_MAX <= u16::MAX as usize);
const _: () = assert!(EXPRESSION_LEN_MAX <= u16::MAX as usize);
const _: () = assert!(QUERY_KEY_LEN_MAX <= u16::MAX as usize);
const _: () = assert!(QUERY_MESSAGE_COUNT_DEFAULT <= QUERY_MESSAGE_COUNT_MAX);
const _: () = assert!(COMPRESS_BODY_OVER_BYTES_DEFAULT <= BODY_LEN_MAX);
// A record holds a maximal body plus maximal metadata.
const _: () = assert!(
    BODY_LEN_MAX + TOPIC_LEN_MAX + TAGS_LEN_MAX + KEYS_LEN_MAX + PROPERTIES_LEN_MAX + 256
        <= RECORD_LEN_MAX
);
// A send of one maximal record, and a maximal batch, fit in a frame with room for the header.
const _: () = assert!(RECORD_LEN_MAX + 4096 <= FRAME_LEN_MAX as usize);
const _: () = assert!(BATCH_LEN_MAX + 4096 <= FRAME_LEN_MAX as usize);
const _: () = assert!(RECORD_LEN_MAX <= BATCH_LEN_MAX);
// A pull response of `PULL_BYTES_MAX`, plus one oversized first record, fits in a frame.
const _: () = assert!(PULL_BYTES_MAX as usize + RECORD_LEN_MAX + 4096 <= FRAME_LEN_MAX as usize);
const _: () = assert!(PULL_BATCH_COUNT_DEFAULT <= PULL_BATCH_COUNT_MAX);
const _: () = assert!(PULL_BYTES_DEFAULT <= PULL_BYTES_MAX);
const _: () = assert!(LONG_POLL_MS_DEFAULT <= LONG_POLL_MS_MAX);
const _: () = assert!(SEGMENT_SIZE_MIN <= SEGMENT_SIZE_DEFAULT);
const _: () = assert!(SEGMENT_SIZE_DEFAULT <= SEGMENT_SIZE_MAX);
const _: () = assert!(
    DISK_USAGE_CLEAN_PERCENT_DEFAULT < DISK_USAGE_FORCE_CLEAN_PERCENT_DEFAULT
        && DISK_USAGE_FORCE_CLEAN_PERCENT_DEFAULT < DISK_USAGE_REFUSE_PERCENT_DEFAULT
        && DISK_USAGE_REFUSE_PERCENT_DEFAULT <= 100
);
const _: () = assert!((AUTO_CREATE_QUEUE_COUNT_DEFAULT as usize) <= QUEUE_COUNT_MAX);
const _: () = assert!((CREATE_QUEUE_COUNT_DEFAULT as usize) <= QUEUE_COUNT_MAX);
const _: () = assert!(QUEUE_COUNT_MAX <= u16::MAX as usize);
const _: () = assert!(REPLICA_FETCH_BYTES_DEFAULT <= REPLICA_FETCH_BYTES_MAX);
// A replica fetch answer (the bytes asked for plus one whole item) fits in a frame.
const _: () =
    assert!(REPLICA_FETCH_BYTES_MAX as usize + RECORD_LEN_MAX + 4096 <= FRAME_LEN_MAX as usize);
// A registration of the most topics, each with a maximal name, fits in a frame.
const _: () =
    assert!(REGISTER_TOPIC_COUNT_MAX * (TOPIC_LEN_MAX + 8) + 4096 <= FRAME_LEN_MAX as usize);
// A page of the most offsets, each with maximal names, fits in a frame.
const _: () = assert!(
    CONSUMER_OFFSET_PAGE_COUNT_MAX * (GROUP_LEN_MAX + TOPIC_LEN_MAX + 16) + 4096
        <= FRAME_LEN_MAX as usize
);
const _: () = assert!(REPLICA_FETCH_WAIT_MS_DEFAULT <= LONG_POLL_MS_MAX);
const _: () = assert!(ACCESS_MESSAGE_IN_MEMORY_MAX_RATIO_DEFAULT <= 100);
const _: () = assert!((RETRY_QUEUE_COUNT_DEFAULT as usize) <= QUEUE_COUNT_MAX);
const _: () = assert!(MAX_RECONSUME_TIMES_DEFAULT <= RETRY_MAX_TIMES_MAX);
const _: () = assert!(RETRY_MAX_TIMES_MAX < MAX_RECONSUME_TIMES_UNSET);

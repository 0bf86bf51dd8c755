//! Peer input never sizes an allocation (STYLE §6): with a counting global allocator, decoding
//! arbitrary and adversarial bytes (huge counts and lengths announced by a few bytes) never
//! makes a single allocation larger than `ALLOC_FACTOR` times the input plus `ALLOC_SLACK`.
//!
//! The allocator is the one place outside the mmap module and `ffi/` that needs `unsafe`:
//! implementing `GlobalAlloc` cannot be done without it. It only forwards to `System` and
//! records the largest request made while the current thread is armed.

#![allow(unsafe_code)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::{BufMut, Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;

use common::{any_request, decode_everything, message, record_stamp};
use ferrocket::limits::{
    API_VERSIONS_COUNT_MAX, BATCH_LEN_MAX, FRAME_LEN_MAX, HEARTBEAT_GROUP_COUNT_MAX,
    QUEUE_COUNT_MAX, RECORD_LEN_MAX, ROUTE_BROKER_COUNT_MAX, SUBSCRIPTION_COUNT_MAX,
    TOPIC_LIST_COUNT_MAX,
};
use ferrocket::protocol::record::{RECORD_MAGIC, encode_record};
use ferrocket::protocol::{AnyRequest, FrameKind, frame};

/// Largest single allocation allowed per input byte. Decoded values are bigger than their
/// wire form (a 2-byte empty string becomes a 24-byte `String`), so a small multiple is fine;
/// what must never happen is an allocation sized by an announced count or length.
const ALLOC_FACTOR: usize = 16;
/// Fixed allowance for small bookkeeping allocations (a B-tree node, an error message).
const ALLOC_SLACK: usize = 4096;

struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);
/// Held while measuring, so parallel tests do not reset each other's `LARGEST`.
static MEASURING: Mutex<()> = Mutex::new(());

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

fn note(size: usize) {
    if ARMED.try_with(Cell::get).unwrap_or(false) {
        LARGEST.fetch_max(size, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds exactly as it does for `System`; `note` only touches an atomic
// and a const-initialised thread-local, neither of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System` through this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: forwarded unchanged; `ptr` came from `System` through this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn measuring() -> MutexGuard<'static, ()> {
    MEASURING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `f` and returns the largest single allocation it made on this thread.
fn largest_allocation(f: impl FnOnce()) -> usize {
    let _guard = measuring();
    LARGEST.store(0, Ordering::Relaxed);
    ARMED.with(|armed| armed.set(true));
    f();
    ARMED.with(|armed| armed.set(false));
    LARGEST.load(Ordering::Relaxed)
}

fn assert_bounded(data: &Bytes, what: &str) {
    let largest = largest_allocation(|| {
        decode_everything(data);
    });
    let bound = data.len() * ALLOC_FACTOR + ALLOC_SLACK;
    assert!(
        largest <= bound,
        "{what}: {largest} bytes allocated at once for {} input bytes (bound {bound})",
        data.len()
    );
}

/// A body that announces `count` elements (after `lead` bytes) and supplies `supplied` zero
/// bytes of them: enough zeros make valid minimal elements, so the list really is built.
fn announced(lead: &[u8], count: u32, supplied: usize) -> Bytes {
    let mut out = BytesMut::from(lead);
    out.put_u32(count);
    out.put_bytes(0, supplied);
    out.freeze()
}

fn adversarial_inputs() -> Vec<(String, Bytes)> {
    let mut inputs = Vec::new();
    let mut add = |what: &str, data: Bytes| inputs.push((what.to_owned(), data));
    for len in [u32::MAX, FRAME_LEN_MAX, FRAME_LEN_MAX + 1, 0x7fff_fffe] {
        add("frame length", announced(&[], len, 9));
    }
    for count in [u32::MAX, 0x7fff_ffff, 1 << 20] {
        add("list count, nothing after", announced(&[], count, 0));
        add("list count, 64 bytes after", announced(&[], count, 64));
        add("string then count", announced(&[0, 0], count, 64));
    }
    let lists = [
        ("api versions", API_VERSIONS_COUNT_MAX, 6),
        ("list topics", TOPIC_LIST_COUNT_MAX, 8),
        ("queues", QUEUE_COUNT_MAX, 28),
        ("route", ROUTE_BROKER_COUNT_MAX, 7),
        ("heartbeat groups", HEARTBEAT_GROUP_COUNT_MAX, 2),
        ("subscriptions", SUBSCRIPTION_COUNT_MAX, 5),
    ];
    for (what, max, elem) in lists {
        let max = u32::try_from(max).unwrap();
        add(what, announced(&[], max, elem));
        add(
            what,
            announced(&[], max, elem * usize::try_from(max).unwrap()),
        );
        add(
            what,
            announced(&[0, 0], max, elem * usize::try_from(max).unwrap()),
        );
        add(what, announced(&[0, 0, 0, 0, 0, 0], max, elem * 4));
    }
    for len in [u32::MAX, RECORD_LEN_MAX as u32, BATCH_LEN_MAX as u32] {
        let mut record = BytesMut::new();
        record.put_u32(len);
        record.put_u32(RECORD_MAGIC);
        record.put_bytes(0, 200);
        add("record size", record.freeze());
    }
    add("strings", Bytes::from(vec![0xff; 4096]));
    inputs
}

/// Adversarial inputs, each a few bytes announcing a huge frame, list, string or record, or a
/// maximal list of minimal elements, allocate at most a small multiple of their own size.
#[test]
fn adversarial_input_allocations_are_bounded() {
    for (what, data) in adversarial_inputs() {
        assert_bounded(&data, &what);
    }
}

/// A decoder that sized its allocation from an announced count would be caught: a `Vec` of
/// the maximal announced size trips the bound (the check itself works).
#[test]
fn the_bound_catches_count_sized_allocations() {
    let data = announced(&[], 1 << 20, 0);
    let largest = largest_allocation(|| {
        let count = u32::from_be_bytes(data[..4].try_into().unwrap());
        let v: Vec<u64> = Vec::with_capacity(count as usize);
        drop(v);
    });
    assert!(largest > data.len() * ALLOC_FACTOR + ALLOC_SLACK);
}

fn request_frame(request: &AnyRequest) -> Bytes {
    let header = frame::FrameHeader {
        kind: FrameKind::Request,
        api_key: request.api_key().code(),
        api_version: 0,
        correlation_id: 1,
    };
    let mut out = BytesMut::new();
    frame::encode_frame(&header, None, 0, &mut out, |out| request.encode(out)).unwrap();
    out.freeze()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes allocate at most a small multiple of their size.
    #[test]
    fn arbitrary_input_allocations_are_bounded(data in vec(any::<u8>(), 0..512)) {
        assert_bounded(&Bytes::from(data), "arbitrary bytes");
    }

    /// Valid frames, whole and as bare bodies, with a count or length field overwritten by a
    /// large value, allocate at most a small multiple of their size.
    #[test]
    fn inflated_frames_allocations_are_bounded(
        request in any_request(),
        at in any::<usize>(),
        big in prop_oneof![Just(u32::MAX), Just(0xffff), 0..u32::MAX],
    ) {
        let frame = request_frame(&request);
        assert_bounded(&frame, "valid frame");
        let mut edited = frame.to_vec();
        let at = at % (edited.len() - 3);
        edited[at..at + 4].copy_from_slice(&big.to_be_bytes());
        let edited = Bytes::from(edited);
        assert_bounded(&edited, "inflated frame");
        assert_bounded(&edited.slice(13.min(edited.len())..), "inflated body");
    }

    /// Valid records, alone and concatenated, allocate at most a small multiple of their size.
    #[test]
    fn record_allocations_are_bounded(msgs in vec((message(), record_stamp()), 1..4)) {
        let mut out = BytesMut::new();
        for (msg, stamp) in &msgs {
            encode_record(msg, stamp, &mut out).unwrap();
        }
        assert_bounded(&out.freeze(), "records");
    }
}

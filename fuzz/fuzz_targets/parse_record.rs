//! Fuzz target: arbitrary bytes as message records (a commit-log tail, a batch, a pull body).
//! `parse_record`, `parse_records`, `decode_record` and `decode_records` must agree and never
//! panic, and a record that validates must re-encode (message, stamp, broker patch) to exactly
//! its bytes. Each input is tried twice: as it is, and with both CRCs recomputed, so mutations
//! reach the structural checks behind the CRCs instead of stopping at a mismatch.

#![no_main]

use bytes::{Bytes, BytesMut};
use ferrocket::protocol::record::{
    OFF_HEADER_CRC, OFF_PAYLOAD_CRC, OFF_TOTAL_SIZE, RECORD_FIXED_LEN, RecordStamp, StorePatch,
    decode_record, decode_records, encode_record, parse_record, parse_records, patch_record,
    read_u32,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check(data);
    if let Some(sealed) = reseal(data) {
        check(&sealed);
    }
});

fn check(data: &[u8]) {
    let bytes = Bytes::copy_from_slice(data);
    let parsed = parse_record(data);
    let decoded = decode_record(&bytes);
    assert_eq!(parsed.is_ok(), decoded.is_ok(), "parse and decode disagree");
    if let Ok(ext) = decoded {
        let stamp = RecordStamp {
            msg_id: ext.msg_id,
            sys_flag: ext.sys_flag,
            queue_id: ext.queue_id,
            reconsume_times: ext.reconsume_times,
            born_timestamp_ms: ext.born_timestamp_ms,
            born_host: ext.born_host,
            prepared_transaction_offset: ext.prepared_transaction_offset,
        };
        let patch = StorePatch {
            queue_id: ext.queue_id,
            queue_offset: ext.queue_offset,
            commit_log_offset: ext.commit_log_offset,
            store_timestamp_ms: ext.store_timestamp_ms,
            store_host: ext.store_host,
        };
        let mut again = BytesMut::new();
        encode_record(&ext.message, &stamp, &mut again).expect("a decoded record re-encodes");
        patch_record(&mut again, &patch);
        assert_eq!(&again[..], &data[..ext.store_size as usize], "record is not canonical");
    }
    let views = parse_records(data).filter(Result::is_ok).count();
    if let Ok(all) = decode_records(&bytes) {
        assert_eq!(all.len(), views, "decode_records and parse_records disagree");
    }
}

/// The input with its payload CRC (over `[136, total_size)`, clamped to the input) and header
/// CRC recomputed, or `None` when it is shorter than the fixed part.
fn reseal(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() < RECORD_FIXED_LEN {
        return None;
    }
    let mut out = data.to_vec();
    let size = usize::try_from(read_u32(&out, OFF_TOTAL_SIZE)).unwrap_or(usize::MAX);
    let end = size.clamp(RECORD_FIXED_LEN, out.len());
    let payload = crc32fast::hash(&out[RECORD_FIXED_LEN..end]);
    out[OFF_PAYLOAD_CRC..OFF_PAYLOAD_CRC + 4].copy_from_slice(&payload.to_be_bytes());
    let mut header = crc32fast::Hasher::new();
    header.update(&out[..OFF_HEADER_CRC]);
    header.update(&out[OFF_PAYLOAD_CRC..RECORD_FIXED_LEN]);
    let header = header.finalize();
    out[OFF_HEADER_CRC..OFF_HEADER_CRC + 4].copy_from_slice(&header.to_be_bytes());
    Some(out)
}

//! Tests of the received-message accessors over the golden record of `spec/vectors/record.json`.

use std::ffi::{CStr, c_char};

use super::fields::*;
use super::*;

fn golden() -> (Vec<u8>, serde_json::Value) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/vectors/record.json");
    let text = std::fs::read_to_string(path).expect("read the golden record");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let hex = doc["hex"].as_str().expect("hex");
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit"))
        .collect();
    (bytes, doc["value"].clone())
}

fn s(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: accessors return NUL-terminated strings that live as long as the message.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("utf-8")
        .to_owned()
}

fn num(v: &serde_json::Value) -> u64 {
    match v {
        serde_json::Value::String(t) => t.parse().expect("number string"),
        other => other.as_u64().expect("number"),
    }
}

/// Every numeric accessor returns the value the JSON lists.
///
/// # Safety
/// `msg` is a live received message.
unsafe fn check_numbers(msg: *const ferrocket_message_ext_t, want: &serde_json::Value) {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        let numbers = [
            ("queue_id", u64::from(ferrocket_message_ext_queue_id(msg))),
            ("queue_offset", ferrocket_message_ext_queue_offset(msg)),
            (
                "commit_log_offset",
                ferrocket_message_ext_commit_log_offset(msg),
            ),
            (
                "reconsume_times",
                u64::from(ferrocket_message_ext_reconsume_times(msg)),
            ),
            (
                "born_timestamp_ms",
                ferrocket_message_ext_born_timestamp_ms(msg),
            ),
            (
                "store_timestamp_ms",
                ferrocket_message_ext_store_timestamp_ms(msg),
            ),
            ("deliver_at_ms", ferrocket_message_ext_deliver_at_ms(msg)),
            (
                "delay_level",
                u64::from(ferrocket_message_ext_delay_level(msg)),
            ),
            ("flag", u64::from(ferrocket_message_ext_flag(msg))),
            ("sys_flag", u64::from(ferrocket_message_ext_sys_flag(msg))),
            (
                "store_size",
                u64::from(ferrocket_message_ext_store_size(msg)),
            ),
            (
                "payload_crc",
                u64::from(ferrocket_message_ext_payload_crc(msg)),
            ),
            (
                "prepared_transaction_offset",
                ferrocket_message_ext_prepared_transaction_offset(msg),
            ),
        ];
        for (name, got) in numbers {
            assert_eq!(got, num(&want[name]), "{name}");
        }
    }
}

/// The golden record decodes, and every accessor returns the value its JSON lists.
#[test]
fn golden_record_through_the_accessors() {
    let (bytes, want) = golden();
    let mut msg = std::ptr::null_mut();
    // SAFETY: `bytes` is a live buffer; `msg` is writable.
    let status =
        unsafe { ferrocket_message_ext_decode(bytes.as_ptr().cast(), bytes.len(), &mut msg) };
    assert_eq!(status, ferrocket_status_t::FERROCKET_OK);
    // SAFETY: `msg` is the live decoded message until destroyed at the end.
    unsafe {
        assert_eq!(s(ferrocket_message_ext_topic(msg)), want["topic"]);
        assert_eq!(s(ferrocket_message_ext_tags(msg)), want["tags"]);
        assert_eq!(s(ferrocket_message_ext_msg_id(msg)), want["msg_id"]);
        assert_eq!(s(ferrocket_message_ext_keys(msg)), "order-1001 user-42");
        assert_eq!(ferrocket_message_ext_key_count(msg), 2);
        assert_eq!(s(ferrocket_message_ext_key(msg, 1)), "user-42");
        assert!(ferrocket_message_ext_key(msg, 2).is_null());
        assert_eq!(
            s(ferrocket_message_ext_property(msg, c"region".as_ptr())),
            "eu-west"
        );
        assert!(ferrocket_message_ext_property(msg, c"nope".as_ptr()).is_null());
        assert_eq!(ferrocket_message_ext_property_count(msg), 2);
        let (mut k, mut v) = (std::ptr::null(), std::ptr::null());
        assert_eq!(
            ferrocket_message_ext_property_at(msg, 0, &mut k, &mut v),
            ferrocket_status_t::FERROCKET_OK
        );
        assert_eq!((s(k), s(v)), ("a".to_owned(), "1".to_owned()));
        assert_eq!(
            ferrocket_message_ext_property_at(msg, 2, &mut k, &mut v),
            ferrocket_status_t::FERROCKET_ERR_INVALID_ARGUMENT
        );
        let body = std::slice::from_raw_parts(
            ferrocket_message_ext_body(msg),
            ferrocket_message_ext_body_len(msg),
        );
        assert_eq!(body, b"hello, ferrocket");
        assert_eq!(s(ferrocket_message_ext_born_host(msg)), want["born_host"]);
        assert_eq!(s(ferrocket_message_ext_store_host(msg)), want["store_host"]);
        check_numbers(msg, &want);
        ferrocket_message_ext_destroy(msg);
    }
}

/// A corrupted or truncated record is a DECODE error, and NULL arguments are refused.
#[test]
fn bad_records_are_decode_errors() {
    let (mut bytes, _) = golden();
    let mut msg = std::ptr::null_mut();
    // SAFETY: live buffers and a writable out-parameter throughout.
    unsafe {
        let short = ferrocket_message_ext_decode(bytes.as_ptr().cast(), 100, &mut msg);
        assert_eq!(short, ferrocket_status_t::FERROCKET_ERR_DECODE);
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let corrupt = ferrocket_message_ext_decode(bytes.as_ptr().cast(), bytes.len(), &mut msg);
        assert_eq!(corrupt, ferrocket_status_t::FERROCKET_ERR_DECODE);
        let null_out =
            ferrocket_message_ext_decode(bytes.as_ptr().cast(), bytes.len(), std::ptr::null_mut());
        assert_eq!(null_out, ferrocket_status_t::FERROCKET_ERR_INVALID_ARGUMENT);
        assert!(msg.is_null());
        assert!(ferrocket_message_ext_topic(std::ptr::null()).is_null());
        assert_eq!(ferrocket_message_ext_queue_offset(std::ptr::null()), 0);
        ferrocket_message_ext_destroy(std::ptr::null_mut());
        ferrocket_message_ext_array_destroy(std::ptr::null_mut(), 3);
    }
}

/// A poll array frees every message still in it; a slot set to NULL was taken by the caller.
#[test]
fn arrays_free_what_they_still_hold() {
    let (bytes, _) = golden();
    let ext = decode_record(&Bytes::from(bytes)).expect("decode");
    let (array, count) = into_c_array(vec![ext.clone(), ext]);
    assert_eq!(count, 2);
    // SAFETY: `array` holds `count` owned messages; slot 1 is taken and freed on its own.
    unsafe {
        let kept = *array.add(1);
        *array.add(1) = std::ptr::null_mut();
        ferrocket_message_ext_array_destroy(array, count);
        assert_eq!(ferrocket_message_ext_queue_offset(kept), 42);
        ferrocket_message_ext_destroy(kept);
    }
    assert_eq!(into_c_array(Vec::new()), (std::ptr::null_mut(), 0));
}

"""Golden vectors (spec/scenarios.md: golden_vectors): spec/vectors/record.json decodes
through MessageExt to the fields its JSON lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ferrocket

VECTORS = Path(__file__).resolve().parents[3] / "spec" / "vectors"


def test_golden_vectors() -> None:
    """Every field of record.json's value matches the MessageExt decoded from its hex."""
    doc = json.loads((VECTORS / "record.json").read_text())
    want = doc["value"]
    m = ferrocket.MessageExt.from_record(bytes.fromhex(doc["hex"]))
    got = {
        "topic": m.topic,
        "tags": m.tags,
        "keys": m.keys,
        "flag": m.flag,
        "properties": m.properties,
        "delay_level": m.delay_level,
        "deliver_at_ms": None if m.deliver_at is None else str(m.deliver_at),
        "body": m.body.hex(),
        "msg_id": m.msg_id,
        "queue_id": m.queue_id,
        "queue_offset": str(m.queue_offset),
        "commit_log_offset": str(m.commit_log_offset),
        "store_size": m.store_size,
        "sys_flag": m.sys_flag,
        "born_timestamp_ms": str(m.born_timestamp),
        "store_timestamp_ms": str(m.store_timestamp),
        "born_host": m.born_host,
        "store_host": m.store_host,
        "reconsume_times": m.reconsume_times,
        "prepared_transaction_offset": str(m.prepared_transaction_offset),
        "payload_crc": m.payload_crc,
    }
    assert got == want


def test_pull_response_records_decode() -> None:
    """The two records carried by pull_response.json decode one by one through MessageExt."""
    doc = json.loads((VECTORS / "pull_response.json").read_text())
    records = bytes.fromhex(doc["value"]["records"])
    first = ferrocket.MessageExt.from_record(records)
    second = ferrocket.MessageExt.from_record(records[first.store_size :])
    assert first.store_size + second.store_size == len(records)
    assert second.queue_offset == first.queue_offset + 1


def test_corrupt_record_raises_protocol_error() -> None:
    """A record with a flipped byte is refused with ProtocolError (code 6), never garbage."""
    raw = bytearray.fromhex(json.loads((VECTORS / "record.json").read_text())["hex"])
    raw[-1] ^= 0xFF
    with pytest.raises(ferrocket.ProtocolError) as raised:
        ferrocket.MessageExt.from_record(bytes(raw))
    assert raised.value.code == 6

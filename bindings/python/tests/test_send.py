"""Send modes (spec/scenarios.md: send_sync, send_async, send_oneway, send_orderly, send_batch)."""

from __future__ import annotations

import concurrent.futures
import re

import pytest

import ferrocket
from ferrocket import Message, Producer, SendStatus

from conftest import Broker, read_back

HEX32 = re.compile(r"^[0-9A-F]{32}$")


def test_send_sync(broker: Broker, producer: ferrocket.Producer) -> None:
    """A sync send returns SEND_OK, a 32-hex msg id, a queue and an offset; the message reads
    back with the same body, tags, keys and properties."""
    msg = Message(
        "send_sync",
        b"hello sync",
        tags="TagA",
        keys=["order-1", "user-7"],
        properties={"region": "eu", "a": "1"},
    )
    result = producer.send(msg)
    assert result.status is SendStatus.SEND_OK
    assert HEX32.match(result.msg_id), result.msg_id
    assert result.msg_ids == [result.msg_id]
    assert result.queue.topic == "send_sync"
    assert result.queue_id == result.queue.queue_id
    assert result.queue_offset >= 0
    [back] = read_back(broker, result.queue, result.queue_offset)
    assert back.msg_id == result.msg_id
    assert back.body == b"hello sync"
    assert back.tags == "TagA"
    assert back.keys == ["order-1", "user-7"]
    assert back.properties["region"] == "eu"
    assert back.get_property("a") == "1"
    assert back.get_property("missing", "dflt") == "dflt"
    assert back.queue_id == result.queue_id
    assert back.queue_offset == result.queue_offset
    assert back.reconsume_times == 0
    assert back.store_timestamp >= back.born_timestamp > 0


def test_send_async(broker: Broker, producer: ferrocket.Producer) -> None:
    """send_async returns a concurrent.futures.Future that delivers what a sync send does,
    for many sends in flight at once."""
    futures = [producer.send_async(Message("send_async", f"m{i}")) for i in range(200)]
    assert all(isinstance(f, concurrent.futures.Future) for f in futures)
    done, not_done = concurrent.futures.wait(futures, timeout=30)
    assert not not_done
    results = [f.result() for f in futures]
    assert all(r.status is SendStatus.SEND_OK for r in results)
    assert len({r.msg_id for r in results}) == 200
    first = results[0]
    [back] = read_back(broker, first.queue, first.queue_offset)
    assert back.body == b"m0"
    assert back.msg_id == first.msg_id


def test_send_async_failure_resolves_future(broker: Broker) -> None:
    """A failing async send resolves its future with the FerrocketError instead of raising."""
    with ferrocket.Producer("pg-async-fail", broker.addr) as p:
        future = p.send_async(Message("bad topic!", b"x"))
        error = future.exception(timeout=10)
    assert isinstance(error, ferrocket.InvalidArgumentError)
    assert "bad topic!" in str(error)


def test_send_oneway(broker: Broker, producer: ferrocket.Producer) -> None:
    """A oneway send returns None; the message is consumed afterwards."""
    producer.send(Message("send_oneway", b"create the topic"))
    producer.send_oneway(Message("send_oneway", b"fire and forget"))
    consumer = ferrocket.PullConsumer("send-oneway-reader", broker.addr, consume_from="first")
    consumer.subscribe("send_oneway")
    with consumer:
        bodies: list[bytes] = []
        for _ in range(20):
            bodies += [m.body for m in consumer.poll(timeout=1.0)]
            if b"fire and forget" in bodies:
                break
    assert b"fire and forget" in bodies


def test_send_orderly(broker: Broker, producer: ferrocket.Producer) -> None:
    """Sends with one sharding key land in one queue at increasing offsets."""
    results = [producer.send_orderly(Message("send_orderly", f"k1-{i}"), "order-42") for i in range(20)]
    assert len({r.queue_id for r in results}) == 1
    offsets = [r.queue_offset for r in results]
    assert offsets == sorted(offsets) and len(set(offsets)) == 20
    others = {producer.send_orderly(Message("send_orderly", b"x"), f"key-{k}").queue_id for k in range(16)}
    assert len(others) > 1, "different keys spread over queues"
    back = read_back(broker, results[0].queue, results[0].queue_offset, count=20)
    assert [m.body for m in back] == [f"k1-{i}".encode() for i in range(20)]


def test_send_batch(broker: Broker, producer: ferrocket.Producer) -> None:
    """A batch lands in one queue at consecutive offsets, in order, each with its own id."""
    msgs = [Message("send_batch", f"b{i}", keys=[f"k{i}"]) for i in range(10)]
    result = producer.send_batch(msgs)
    assert result.status is SendStatus.SEND_OK
    assert len(result.msg_ids) == 10 and len(set(result.msg_ids)) == 10
    assert result.msg_id == ",".join(result.msg_ids)
    back = read_back(broker, result.queue, result.queue_offset, count=10)
    assert [m.body for m in back] == [f"b{i}".encode() for i in range(10)]
    assert [m.queue_offset for m in back] == list(range(result.queue_offset, result.queue_offset + 10))
    assert [m.msg_id for m in back] == result.msg_ids


def test_send_to_queue(broker: Broker, producer: ferrocket.Producer) -> None:
    """send_to_queue stores in exactly the queue given."""
    first = producer.send(Message("send_to_queue", b"route"))
    queue = ferrocket.MessageQueue("send_to_queue", first.queue.broker_name, 3)
    result = producer.send_to_queue(Message("send_to_queue", b"third"), queue)
    assert result.queue == queue
    [back] = read_back(broker, queue, result.queue_offset)
    assert back.body == b"third"


def test_send_async_back_pressure_and_shutdown_drain(broker: Broker) -> None:
    """With max_outstanding_async=4, 300 async sends still all complete (send_async waits for
    a slot), and shutdown returns only once every future is resolved."""
    p = Producer("pg-async-drain", broker.addr, max_outstanding_async=4)
    p.start()
    futures = [p.send_async(Message("send_async_drain", f"d{i}")) for i in range(300)]
    p.shutdown()
    assert all(f.done() for f in futures)
    assert all(f.result().status is SendStatus.SEND_OK for f in futures)
    with pytest.raises(ferrocket.IllegalStateError):
        p.send_async(Message("send_async_drain", b"late"))

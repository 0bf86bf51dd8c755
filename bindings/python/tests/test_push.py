"""Push consumers (spec/scenarios.md: push_concurrent, push_orderly, push_broadcasting,
reconsume_later)."""

from __future__ import annotations

import datetime
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

import ferrocket
from ferrocket import ConsumeResult, Message, PushConsumer

from conftest import PUSH_OPTIONS, Broker, Recorder, read_back, wait_until

MESSAGES = 50_000
BATCH = 1000


def test_push_concurrent(broker: Broker, producer: ferrocket.Producer) -> None:
    """A concurrent listener on 4 consume threads receives each of 50,000 messages exactly
    once (clustering), on more than one thread."""
    topic = "push_concurrent"
    for start in range(0, MESSAGES, BATCH):
        producer.send_batch([Message(topic, str(i)) for i in range(start, start + BATCH)])
    seen: Counter[bytes] = Counter()
    threads: set[int] = set()
    lock = threading.Lock()
    consumer = PushConsumer(
        "push-concurrent", broker.addr, threads=4, consume_from="first", **PUSH_OPTIONS
    )
    consumer.subscribe(topic)

    @consumer.listener
    def on_messages(msgs: list[ferrocket.MessageExt]) -> ConsumeResult:
        with lock:
            seen.update(m.body for m in msgs)
            threads.add(threading.get_native_id())
        return ConsumeResult.SUCCESS

    with consumer:
        assert wait_until(lambda: len(seen) >= MESSAGES, timeout=180), len(seen)
        names = {thread_name(tid) for tid in threads}
    assert len(seen) == MESSAGES
    duplicates = [body for body, n in seen.items() if n > 1]
    assert not duplicates, duplicates[:10]
    assert set(seen) == {str(i).encode() for i in range(MESSAGES)}
    assert 1 < len(threads) <= 4 and threading.get_native_id() not in threads
    assert names <= {"ferrocket-consu", "?"}, names  # the OS name, cut to 15 bytes


def thread_name(native_id: int) -> str:
    """The OS name of a thread of this process (Linux), else "?"."""
    try:
        return Path(f"/proc/self/task/{native_id}/comm").read_text().strip()
    except OSError:
        return "?"


def test_push_orderly(broker: Broker, producer: ferrocket.Producer) -> None:
    """An orderly listener sees each key's messages in send order, never two calls of one
    queue at once."""
    topic, keys, per_key = "push_orderly", [f"key-{k}" for k in range(8)], 50
    producer.send(Message(topic, b"create"))
    recorder = Recorder()
    busy: dict[int, bool] = {}
    overlaps: list[int] = []
    consumer = PushConsumer(
        "push-orderly", broker.addr, orderly=True, threads=4, consume_from="first", **PUSH_OPTIONS
    )
    consumer.subscribe(topic)

    @consumer.listener
    def on_messages(msgs: list[ferrocket.MessageExt]) -> ConsumeResult:
        queue = msgs[0].queue_id
        if busy.get(queue):
            overlaps.append(queue)
        busy[queue] = True
        time.sleep(0.0005)
        recorder.record([m for m in msgs if m.body != b"create"])
        busy[queue] = False
        return ConsumeResult.SUCCESS

    with consumer:
        for i in range(per_key):
            for key in keys:
                producer.send_orderly(Message(topic, f"{key}:{i}", keys=[key]), key)
        assert wait_until(lambda: recorder.count() >= per_key * len(keys), timeout=60)
    assert not overlaps
    for key in keys:
        got = [b.decode() for b in recorder.bodies() if b.decode().startswith(key + ":")]
        assert got == [f"{key}:{i}" for i in range(per_key)], key


def test_push_orderly_suspend(broker: Broker, producer: ferrocket.Producer) -> None:
    """An orderly listener that returns SUSPEND (or raises) gets the same message again, with
    reconsume_times growing, before anything behind it in its queue."""
    topic = "push_orderly_suspend"
    producer.send(Message(topic, b"create"))
    calls: list[tuple[bytes, int]] = []
    consumer = PushConsumer(
        "push-orderly-suspend",
        broker.addr,
        orderly=True,
        consume_from="first",
        consume_batch_max=1,
        suspend_current_queue_time=0.1,
        **PUSH_OPTIONS,
    )
    consumer.subscribe(topic)

    @consumer.listener
    def on_messages(msgs: list[ferrocket.MessageExt]) -> ConsumeResult:
        [m] = msgs
        if m.body == b"create":
            return ConsumeResult.SUCCESS
        calls.append((m.body, m.reconsume_times))
        if m.body == b"s1" and m.reconsume_times < 2:
            return ConsumeResult.SUSPEND
        if m.body == b"s2" and m.reconsume_times < 1:
            raise RuntimeError("orderly listener failure on purpose")
        return ConsumeResult.SUCCESS

    with consumer:
        for body in (b"s0", b"s1", b"s2", b"s3"):
            producer.send_orderly(Message(topic, body), "one-key")
        assert wait_until(lambda: (b"s3", 0) in calls, timeout=30), calls
    assert calls == [(b"s0", 0), (b"s1", 0), (b"s1", 1), (b"s1", 2), (b"s2", 0), (b"s2", 1), (b"s3", 0)]


def test_push_consume_from_timestamp(broker: Broker, producer: ferrocket.Producer) -> None:
    """A new group with consume_from=<datetime> starts at the first message stored at or
    after that time, skipping older ones."""
    topic = "push_consume_from_timestamp"
    old = [producer.send_orderly(Message(topic, f"old{i}"), "k") for i in range(5)]
    [last_old] = read_back(broker, old[-1].queue, old[-1].queue_offset)
    since_ms = last_old.store_timestamp + 1
    # The broker shares this clock: once it has passed `since_ms`, new messages store after it.
    assert wait_until(lambda: time.time() * 1000 > since_ms + 1, timeout=5)
    for i in range(5):
        producer.send_orderly(Message(topic, f"new{i}"), "k")
    recorder = Recorder()
    since = datetime.datetime.fromtimestamp(since_ms / 1000, tz=datetime.timezone.utc)
    consumer = PushConsumer("push-from-timestamp", broker.addr, consume_from=since, **PUSH_OPTIONS)
    consumer.subscribe(topic)
    consumer.listener(recorder.listen)
    with consumer:
        assert wait_until(lambda: recorder.count() >= 5, timeout=30)
        producer.send_orderly(Message(topic, b"after-start"), "k")
        assert wait_until(lambda: b"after-start" in recorder.bodies(), timeout=30)
    assert sorted(recorder.bodies()) == sorted([f"new{i}".encode() for i in range(5)] + [b"after-start"])


def test_push_broadcasting(broker: Broker, producer: ferrocket.Producer, tmp_path: Path) -> None:
    """Two consumers of one group in broadcasting mode each receive every message."""
    topic, count = "push_broadcasting", 40
    producer.send(Message(topic, b"create"))
    recorders = [Recorder(), Recorder()]
    consumers = []
    for i, recorder in enumerate(recorders):
        c = PushConsumer(
            "push-broadcasting",
            broker.addr,
            model="broadcasting",
            consume_from="first",
            broadcast_offset_dir=str(tmp_path / f"member-{i}"),
            **PUSH_OPTIONS,
        )
        c.subscribe(topic)
        c.listener(recorder.listen)
        c.start()
        consumers.append(c)
    try:
        for i in range(count):
            producer.send(Message(topic, f"b{i}"))
        want = {f"b{i}".encode() for i in range(count)}
        assert wait_until(lambda: all(want <= set(r.bodies()) for r in recorders), timeout=30)
    finally:
        for c in consumers:
            c.shutdown()


def test_reconsume_later(broker: Broker, producer: ferrocket.Producer, caplog: pytest.LogCaptureFixture) -> None:
    """A listener that returns RECONSUME_LATER, or raises, gets the message again with a
    growing reconsume_times; a raising listener is logged on the `ferrocket` logger."""
    topic = "reconsume_later"
    producer.send(Message(topic, b"create"))
    attempts: dict[bytes, list[int]] = {b"later": [], b"raise": []}

    consumer = PushConsumer("reconsume-later", broker.addr, consume_from="first", **PUSH_OPTIONS)
    consumer.subscribe(topic)

    @consumer.listener
    def on_messages(msgs: list[ferrocket.MessageExt]) -> ConsumeResult:
        m = msgs[0]
        if m.body not in attempts:
            return ConsumeResult.SUCCESS
        attempts[m.body].append(m.reconsume_times)
        if m.reconsume_times >= 2:
            return ConsumeResult.SUCCESS
        if m.body == b"raise":
            raise RuntimeError("listener failure on purpose")
        return ConsumeResult.RECONSUME_LATER

    with caplog.at_level("ERROR", logger="ferrocket"), consumer:
        producer.send(Message(topic, b"later"))
        producer.send(Message(topic, b"raise"))
        assert wait_until(lambda: all(len(a) >= 3 for a in attempts.values()), timeout=30), attempts
    assert attempts[b"later"][:3] == [0, 1, 2]
    assert attempts[b"raise"][:3] == [0, 1, 2]
    raised = [r for r in caplog.records if r.name == "ferrocket" and r.exc_info]
    assert raised, "the raising listener was logged with its traceback"
    assert "listener failure on purpose" in str(raised[0].exc_info[1] if raised[0].exc_info else "")


def test_listener_returning_none_is_redelivered(broker: Broker, producer: ferrocket.Producer) -> None:
    """A listener returning None (a forgotten return) counts as RECONSUME_LATER."""
    topic = "listener_none"
    producer.send(Message(topic, b"create"))
    seen: list[int] = []
    consumer = PushConsumer("listener-none", broker.addr, consume_from="first", **PUSH_OPTIONS)
    consumer.subscribe(topic)

    def on_messages(msgs: list[ferrocket.MessageExt]) -> ConsumeResult | None:
        if msgs[0].body != b"forgot":
            return ConsumeResult.SUCCESS
        seen.append(msgs[0].reconsume_times)
        return None if len(seen) == 1 else ConsumeResult.SUCCESS

    consumer.listener(on_messages)  # type: ignore[type-var]  # returning None on purpose
    with consumer:
        producer.send(Message(topic, b"forgot"))
        assert wait_until(lambda: len(seen) >= 2, timeout=30)
    assert seen[:2] == [0, 1]


def test_push_shutdown_waits_for_listener_calls(broker: Broker, producer: ferrocket.Producer) -> None:
    """shutdown() returns only after the listener calls under way have returned, and no call
    starts after it."""
    topic = "push_shutdown_joins"
    producer.send_batch([Message(topic, f"m{i}") for i in range(50)])
    lock = threading.Lock()
    running = [0]
    calls = [0]
    consumer = PushConsumer("push-shutdown-joins", broker.addr, threads=4, consume_from="first", **PUSH_OPTIONS)
    consumer.subscribe(topic)

    @consumer.listener
    def slow(msgs: list[ferrocket.MessageExt]) -> ConsumeResult:
        with lock:
            running[0] += 1
            calls[0] += 1
        time.sleep(0.1)
        with lock:
            running[0] -= 1
        return ConsumeResult.SUCCESS

    consumer.start()
    assert wait_until(lambda: running[0] > 0, timeout=30)
    consumer.shutdown()
    with lock:
        assert running[0] == 0, "a listener call was still running after shutdown"
        after = calls[0]
    assert not wait_until(lambda: calls[0] > after, timeout=0.5), "a call started after shutdown"


def test_push_consumer_needs_listener(broker: Broker) -> None:
    """start() without a listener raises InvalidArgumentError saying how to set one."""
    consumer = PushConsumer("no-listener", broker.addr)
    consumer.subscribe("anything")
    with pytest.raises(ferrocket.InvalidArgumentError, match="listener"):
        consumer.start()

"""Message features (spec/scenarios.md: sql92_filter, delay_level)."""

from __future__ import annotations

import time

import ferrocket
from ferrocket import ConsumeResult, Message, PullConsumer, PushConsumer, Sql

from conftest import PUSH_OPTIONS, Broker, Recorder, wait_until


def test_sql92_filter(broker: Broker, producer: ferrocket.Producer) -> None:
    """A SQL92 subscription receives exactly the messages whose properties match."""
    topic = "sql92_filter"
    producer.send(Message(topic, b"create", properties={"a": "0"}))
    recorder = Recorder()
    consumer = PushConsumer("sql92-filter", broker.addr, consume_from="first", **PUSH_OPTIONS)
    consumer.subscribe(topic, Sql("a > 5 AND region IN ('eu', 'us')"))
    consumer.listener(recorder.listen)
    cases = [("7", "eu", True), ("9", "us", True), ("3", "eu", False), ("8", "asia", False)]
    with consumer:
        for i, (a, region, _) in enumerate(cases):
            producer.send(Message(topic, f"m{i}", properties={"a": a, "region": region}))
        producer.send(Message(topic, b"no-properties"))
        want = {f"m{i}".encode() for i, case in enumerate(cases) if case[2]}
        assert wait_until(lambda: want <= set(recorder.bodies()), timeout=20)
        # Everything was sent before the matches arrived; give stragglers one more poll.
        time.sleep(0.3)
    assert sorted(recorder.bodies()) == sorted(want)


def test_sql92_parse_error(broker: Broker, producer: ferrocket.Producer) -> None:
    """A SQL92 condition the broker cannot parse is refused at subscribe with BrokerError."""
    producer.send(Message("sql92_bad", b"create"))
    consumer = PullConsumer("sql92-bad", broker.addr)
    try:
        consumer.subscribe("sql92_bad", Sql("a >"))
    except ferrocket.BrokerError as e:
        assert e.status == "SUBSCRIPTION_PARSE_FAILED" and e.code == 3
    else:
        raise AssertionError("a bad SQL92 condition was accepted")


def test_delay_level(broker: Broker, producer: ferrocket.Producer) -> None:
    """A message with delay level 2 (1 s on the test broker) is not delivered before its
    delay and is delivered after it."""
    topic = "delay_level"
    producer.send(Message(topic, b"create"))
    arrived: dict[bytes, float] = {}
    consumer = PushConsumer("delay-level", broker.addr, consume_from="first", **PUSH_OPTIONS)
    consumer.subscribe(topic)

    @consumer.listener
    def on_messages(msgs: list[ferrocket.MessageExt]) -> ConsumeResult:
        for m in msgs:
            arrived.setdefault(m.body, time.monotonic())
        return ConsumeResult.SUCCESS

    with consumer:
        sent = time.monotonic()
        producer.send(Message(topic, b"delayed", delay_level=2))
        producer.send(Message(topic, b"now"))
        assert wait_until(lambda: b"delayed" in arrived, timeout=20)
    assert arrived[b"now"] - sent < 1.0
    assert arrived[b"delayed"] - sent >= 0.95, "not delivered before its delay"
    assert arrived[b"delayed"] - sent < 6.0, "delivered within seconds of its delay"


def test_deliver_at(broker: Broker, producer: ferrocket.Producer) -> None:
    """A message with a delivery time (ms since the epoch) arrives no earlier than it."""
    topic = "deliver_at"
    producer.send(Message(topic, b"create"))
    arrived: list[float] = []
    consumer = PushConsumer("deliver-at", broker.addr, consume_from="first", **PUSH_OPTIONS)
    consumer.subscribe(topic)

    @consumer.listener
    def on_messages(msgs: list[ferrocket.MessageExt]) -> ConsumeResult:
        arrived.extend(time.time() for m in msgs if m.body == b"timed")
        return ConsumeResult.SUCCESS

    with consumer:
        at = int(time.time() * 1000) + 1500
        msg = Message(topic, b"timed", deliver_at=at)
        assert msg.deliver_at == at
        producer.send(msg)
        assert wait_until(lambda: bool(arrived), timeout=20)
    assert arrived[0] * 1000 >= at - 50

"""Transactions (spec/scenarios.md: transaction_commit, transaction_rollback,
transaction_check_back)."""

from __future__ import annotations

import threading
from typing import Any

import ferrocket
from ferrocket import ConsumeResult, Message, PushConsumer, TransactionProducer, TransactionState

from conftest import PUSH_OPTIONS, Broker, Recorder, wait_until


def consumer_of(broker: Broker, topic: str, recorder: Recorder) -> PushConsumer:
    """A started push consumer of `topic` recording what it gets."""
    consumer = PushConsumer(f"{topic}-cg", broker.addr, consume_from="first", **PUSH_OPTIONS)
    consumer.subscribe(topic)
    consumer.listener(recorder.listen)
    consumer.start()
    return consumer


def never_checked(msg: ferrocket.MessageExt) -> TransactionState:
    raise AssertionError(f"unexpected check-back of {msg.msg_id}")


def test_transaction_commit(broker: Broker, producer: ferrocket.Producer) -> None:
    """A transactional message whose local transaction commits is delivered; execute gets
    the message and the arg."""
    topic = "transaction_commit"
    producer.send(Message(topic, b"create"))
    recorder = Recorder()
    calls: list[tuple[bytes, Any]] = []

    def execute(msg: Message, arg: Any) -> TransactionState:
        calls.append((msg.body, arg))
        return TransactionState.COMMIT

    consumer = consumer_of(broker, topic, recorder)
    try:
        with TransactionProducer("tx-commit", broker.addr, check=never_checked) as tp:
            result = tp.send_in_transaction(Message(topic, b"order-1"), execute=execute, arg={"id": 1})
        assert isinstance(result, ferrocket.SendResult)
        assert result.local_state is TransactionState.COMMIT
        assert result.status is ferrocket.SendStatus.SEND_OK
        assert calls == [(b"order-1", {"id": 1})]
        assert wait_until(lambda: b"order-1" in recorder.bodies(), timeout=20)
        assert [m.msg_id for m in recorder.snapshot() if m.body == b"order-1"] == [result.msg_id]
    finally:
        consumer.shutdown()


def test_transaction_rollback(broker: Broker, producer: ferrocket.Producer) -> None:
    """A transactional message whose local transaction rolls back is never delivered, while
    a later committed one is."""
    topic = "transaction_rollback"
    producer.send(Message(topic, b"create"))
    recorder = Recorder()
    consumer = consumer_of(broker, topic, recorder)
    try:
        with TransactionProducer("tx-rollback", broker.addr, check=never_checked) as tp:
            rolled = tp.send_in_transaction(
                Message(topic, b"rolled-back"), execute=lambda m, a: TransactionState.ROLLBACK
            )
            assert rolled.local_state is TransactionState.ROLLBACK
            tp.send_in_transaction(Message(topic, b"committed"), execute=lambda m, a: TransactionState.COMMIT)
        assert wait_until(lambda: b"committed" in recorder.bodies(), timeout=20)
        # Check-backs run every 500 ms here: a rolled-back message would have shown by now.
        assert not wait_until(lambda: b"rolled-back" in recorder.bodies(), timeout=1.5)
    finally:
        consumer.shutdown()


def test_transaction_check_back(broker: Broker, producer: ferrocket.Producer) -> None:
    """A transaction left UNKNOWN (here: execute raises, which counts as UNKNOWN) is resolved
    by the broker's check-back calling `check`, then delivered."""
    topic = "transaction_check_back"
    producer.send(Message(topic, b"create"))
    recorder = Recorder()
    checked: list[str] = []
    checked_on: set[int] = set()

    def check(msg: ferrocket.MessageExt) -> TransactionState:
        checked.append(msg.msg_id)
        checked_on.add(threading.get_native_id())
        return TransactionState.COMMIT

    def execute(msg: Message, arg: Any) -> TransactionState:
        raise RuntimeError("the local transaction's outcome is not known yet")

    consumer = consumer_of(broker, topic, recorder)
    try:
        with TransactionProducer("tx-check-back", broker.addr, check=check) as tp:
            result = tp.send_in_transaction(Message(topic, b"checked"), execute=execute)
            assert result.local_state is TransactionState.UNKNOWN
            assert wait_until(lambda: result.msg_id in checked, timeout=20)
            assert wait_until(lambda: b"checked" in recorder.bodies(), timeout=20)
        assert threading.get_native_id() not in checked_on
    finally:
        consumer.shutdown()

"""Errors (spec/scenarios.md: error_unreachable_namesrv, error_invalid_arguments) and the
exception tree."""

from __future__ import annotations

import enum
import socket
import time

import pytest

import ferrocket
from ferrocket import Message, Producer, PullConsumer, PushConsumer

from conftest import Broker


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_error_unreachable_namesrv() -> None:
    """Sending with an unreachable name server raises a FerrocketError subclass with a stable
    code within the send timeout, not a hang."""
    namesrv = f"127.0.0.1:{unused_port()}"
    with Producer("unreachable", namesrv, send_timeout=2.0) as p:
        started = time.monotonic()
        with pytest.raises(ferrocket.FerrocketError) as raised:
            p.send(Message("error_unreachable_namesrv", b"x"))
        took = time.monotonic() - started
    assert took < 2.0 + 1.0, took
    e = raised.value
    assert isinstance(e, (ferrocket.ConnectionFailedError, ferrocket.OperationTimeoutError, ferrocket.NoRouteError))
    assert e.code in (1, 2, 4) and e.retriable
    assert namesrv in str(e)


def test_error_unreachable_namesrv_routable_black_hole() -> None:
    """A name server that accepts nothing in time (a listening socket that never answers)
    gives OperationTimeoutError within the send timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        namesrv = "127.0.0.1:%d" % silent.getsockname()[1]
        with Producer("black-hole", namesrv, send_timeout=1.0) as p:
            started = time.monotonic()
            with pytest.raises(ferrocket.FerrocketError) as raised:
                p.send(Message("black_hole", b"x"))
            took = time.monotonic() - started
    assert took < 1.0 + 1.5, took
    assert raised.value.retriable


def test_error_invalid_arguments(broker: Broker) -> None:
    """Invalid arguments (bad topic and group names, unknown options, bad values) raise
    InvalidArgumentError (also a ValueError) naming the problem."""
    with Producer("invalid-args", broker.addr) as p:
        with pytest.raises(ferrocket.InvalidArgumentError, match="topic name `bad topic!`") as raised:
            p.send(Message("bad topic!", b"x"))
        assert raised.value.code == 5 and not raised.value.retriable
        with pytest.raises(ferrocket.InvalidArgumentError, match="body .* empty"):
            p.send(Message("ok_topic", b""))
        with pytest.raises(ferrocket.InvalidArgumentError, match="batch"):
            p.send_batch([Message("a_topic", b"x"), Message("b_topic", b"y")])
    with pytest.raises(ValueError, match="group name"):
        Producer("bad group!", broker.addr)
    with pytest.raises(ferrocket.InvalidArgumentError, match="unknown option `send_timeoutt`"):
        Producer("g", broker.addr, send_timeoutt=1.0)
    with pytest.raises(ferrocket.InvalidArgumentError, match="send_timeout"):
        Producer("g", broker.addr, send_timeout=-1)
    with pytest.raises(ferrocket.InvalidArgumentError, match="host:port"):
        Producer("g", "no-port")
    with pytest.raises(ferrocket.InvalidArgumentError, match="model"):
        PushConsumer("g", broker.addr, model="fanout")
    with pytest.raises(ferrocket.InvalidArgumentError, match="consume_from"):
        PullConsumer("g", broker.addr, consume_from="middle")
    with pytest.raises(ferrocket.InvalidArgumentError, match="unknown option `threads_max`"):
        PushConsumer("g", broker.addr, threads_max=3)
    with pytest.raises(ferrocket.InvalidArgumentError, match="consume threads"):
        PushConsumer("g", broker.addr, threads=0)
    with pytest.raises(ferrocket.InvalidArgumentError, match="pull batch size"):
        PushConsumer("g", broker.addr, pull_batch_size=5000)
    with pytest.raises(ferrocket.InvalidArgumentError, match="body"):
        Message("t", 12345)  # type: ignore[arg-type]


def test_illegal_state() -> None:
    """Calls out of order raise IllegalStateError (also a RuntimeError) with a stable code."""
    p = Producer("illegal-state", "127.0.0.1:9876")
    with pytest.raises(ferrocket.IllegalStateError, match="start") as raised:
        p.send(Message("t", b"x"))
    assert raised.value.code == 9 and isinstance(raised.value, RuntimeError)
    p.start()
    with pytest.raises(ferrocket.IllegalStateError):
        p.start()
    p.shutdown()
    with pytest.raises(ferrocket.IllegalStateError, match="shut down") as after:
        p.send(Message("t", b"x"))
    assert after.value.code == 8


def test_exception_tree() -> None:
    """Every SDK exception derives from FerrocketError and carries code, retriable, status."""
    for cls in (
        ferrocket.OperationTimeoutError,
        ferrocket.ConnectionFailedError,
        ferrocket.BrokerError,
        ferrocket.NoRouteError,
        ferrocket.InvalidArgumentError,
        ferrocket.ProtocolError,
        ferrocket.IllegalStateError,
    ):
        assert issubclass(cls, ferrocket.FerrocketError), cls
    assert issubclass(ferrocket.OperationTimeoutError, TimeoutError)
    assert issubclass(ferrocket.ConnectionFailedError, ConnectionError)
    assert ferrocket.FerrocketError.code == 0
    assert ferrocket.FerrocketError.status is None


def test_enums_have_rocketmq_values() -> None:
    """SendStatus has RocketMQ's four values, ConsumeResult SUCCESS/RECONSUME_LATER/SUSPEND and
    TransactionState COMMIT/ROLLBACK/UNKNOWN, as real enum.Enum classes."""
    assert [s.name for s in ferrocket.SendStatus] == [
        "SEND_OK",
        "FLUSH_DISK_TIMEOUT",
        "FLUSH_SLAVE_TIMEOUT",
        "SLAVE_NOT_AVAILABLE",
    ]
    assert [c.name for c in ferrocket.ConsumeResult] == ["SUCCESS", "RECONSUME_LATER", "SUSPEND"]
    assert [t.name for t in ferrocket.TransactionState] == ["COMMIT", "ROLLBACK", "UNKNOWN"]
    for cls in (ferrocket.SendStatus, ferrocket.ConsumeResult, ferrocket.TransactionState):
        assert issubclass(cls, enum.Enum)

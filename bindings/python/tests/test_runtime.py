"""Threading, signals, exit and logging: the GIL is released while calls wait, Ctrl-C
interrupts a blocking call, the interpreter exits promptly with clients still running, and
Rust-side log records reach `logging.getLogger("ferrocket")`, which has only a NullHandler."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import ferrocket
from ferrocket import Message, PullConsumer

from conftest import Broker, wait_until


def run_python(code: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh interpreter; fails the test if it does not exit in time."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_blocking_calls_release_the_gil(broker: Broker) -> None:
    """Four threads each blocked 1 s in poll() finish together in about 1 s, and the main
    thread keeps running Python meanwhile."""
    consumer = PullConsumer("gil-release", broker.addr)
    consumer.assign([ferrocket.MessageQueue("gil_release_nothing", "broker-a", 0)])
    with consumer:
        threads = [threading.Thread(target=consumer.poll, args=(1.0,)) for _ in range(4)]
        started = time.monotonic()
        for t in threads:
            t.start()
        spins = 0
        while any(t.is_alive() for t in threads):
            spins += 1
        took = time.monotonic() - started
    assert took < 3.0, f"four 1 s polls took {took:.2f} s: they did not run in parallel"
    assert spins > 1000, "the main thread ran Python while the polls waited"


def test_ctrl_c_interrupts_a_blocking_call(broker: Broker) -> None:
    """SIGINT during a 30 s poll raises KeyboardInterrupt within a second or so."""
    result = run_python(
        f"""
        import os, signal, threading, time, ferrocket
        c = ferrocket.PullConsumer("ctrl-c", "{broker.addr}")
        c.assign([ferrocket.MessageQueue("ctrl_c_nothing", "broker-a", 0)])
        c.start()
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        started = time.monotonic()
        try:
            c.poll(timeout=30)
            print("not interrupted")
        except KeyboardInterrupt:
            print("interrupted after %.2f" % (time.monotonic() - started))
        c.shutdown()
        """
    )
    assert result.returncode == 0, result.stderr
    words = result.stdout.split()
    assert words[:2] == ["interrupted", "after"], result.stdout
    assert float(words[2]) < 3.0


def test_exit_with_running_clients_does_not_hang(broker: Broker) -> None:
    """An interpreter that exits with a producer, a push consumer in the middle of listener
    calls, a pull consumer and async sends still running exits cleanly and promptly."""
    result = run_python(
        f"""
        import time, ferrocket
        from ferrocket import ConsumeResult, Message
        p = ferrocket.Producer("exit-producer", "{broker.addr}")
        p.start()
        p.send(Message("exit_test", b"create"))
        c = ferrocket.PushConsumer("exit-consumer", "{broker.addr}", consume_from="first", long_poll=1.0)
        c.subscribe("exit_test")
        calls = []
        @c.listener
        def slow(msgs):
            calls.append(1)
            time.sleep(0.05)
            return ConsumeResult.SUCCESS
        c.start()
        for i in range(50):
            p.send_async(Message("exit_test", b"x%d" % i))
        q = ferrocket.PullConsumer("exit-puller", "{broker.addr}")
        q.subscribe("exit_test")
        q.start()
        deadline = time.monotonic() + 20
        while not calls and time.monotonic() < deadline:
            time.sleep(0.01)
        print("calls", len(calls))
        """,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("calls ") and int(result.stdout.split()[1]) > 0
    assert "panicked" not in result.stderr, result.stderr


def test_import_adds_only_a_null_handler() -> None:
    """Importing ferrocket adds a NullHandler to the `ferrocket` logger and touches no other
    logging configuration."""
    result = run_python(
        """
        import logging
        before = list(logging.getLogger().handlers)
        import ferrocket
        assert logging.getLogger().handlers == before, logging.getLogger().handlers
        handlers = logging.getLogger("ferrocket").handlers
        assert [type(h).__name__ for h in handlers] == ["NullHandler"], handlers
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_rust_log_records_reach_python_logging(broker: Broker, caplog: pytest.LogCaptureFixture) -> None:
    """Rust-side `tracing` events (a producer starting) arrive as records of the `ferrocket`
    logger, with the Rust target attached."""
    with caplog.at_level(logging.INFO, logger="ferrocket"):
        with ferrocket.Producer("log-producer", broker.addr) as p:
            p.send(Message("log_test", b"x"))

        def started() -> bool:
            return any(
                r.name == "ferrocket" and "producer started" in r.getMessage() for r in caplog.records
            )

        assert wait_until(started, timeout=10), [r.getMessage() for r in caplog.records]
    record = next(r for r in caplog.records if "producer started" in r.getMessage())
    assert record.levelno == logging.INFO
    assert getattr(record, "rust_target", "").startswith("ferrocket::client")
    assert "group=log-producer" in record.getMessage()


def test_listener_calls_run_while_the_main_thread_waits(broker: Broker, producer: ferrocket.Producer) -> None:
    """A sync listener runs on a consume thread while the main thread is blocked in a
    client call (no deadlock on the GIL)."""
    topic = "listener_while_waiting"
    producer.send(Message(topic, b"create"))
    got = threading.Event()
    consumer = ferrocket.PushConsumer("listener-while-waiting", broker.addr, consume_from="first")
    consumer.subscribe(topic)

    @consumer.listener
    def on_messages(msgs: list[ferrocket.MessageExt]) -> ferrocket.ConsumeResult:
        got.set()
        return ferrocket.ConsumeResult.SUCCESS

    idle = PullConsumer("listener-while-waiting-idle", broker.addr)
    idle.assign([ferrocket.MessageQueue("listener_while_waiting_none", "broker-a", 0)])
    with consumer, idle:
        producer.send(Message(topic, b"m"))
        assert idle.poll(timeout=1.5) == []  # the main thread waits in Rust meanwhile
        assert got.is_set()


def test_listener_calls_run_in_parallel(broker: Broker, producer: ferrocket.Producer) -> None:
    """A sync listener that waits outside the GIL (time.sleep) runs on several consume
    threads at once: the consume threads hold the GIL only while Python code runs."""
    topic = "listener_parallel"
    producer.send_batch([Message(topic, f"m{i}") for i in range(8)])
    lock = threading.Lock()
    running, most, done = [0], [0], [0]
    consumer = ferrocket.PushConsumer("listener-parallel", broker.addr, threads=4, consume_from="first")
    consumer.subscribe(topic)

    @consumer.listener
    def slow(msgs: list[ferrocket.MessageExt]) -> ferrocket.ConsumeResult:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
            done[0] += len(msgs)
        return ferrocket.ConsumeResult.SUCCESS

    with consumer:
        assert wait_until(lambda: done[0] >= 8, timeout=30)
    assert most[0] >= 2, f"at most {most[0]} listener call(s) ran at once on 4 threads"

"""Fixtures of the Python SDK tests: one real `ferrocket standalone` broker per session.

The broker is the `ferrocket` binary at `$FERROCKET_BIN` (the xtask sets it) or, when that is
unset, the one `cargo build -p ferrocket-server` makes. It listens on 127.0.0.1:0 with a temp
data folder, 16 MiB segments, short delay levels (level 2 is 1 s, the levels retries use are
200 ms) and short transaction check-backs; the fixture reads the `ferrocket listening on ADDR`
line and stops the broker (SIGTERM) at the end of the session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import ferrocket

REPO = Path(__file__).resolve().parents[3]
# Level 1: 100 ms, level 2: 1 s (the delay scenario), levels 3..18: 200 ms (retries use
# level 3 + reconsume_times).
DELAY_LEVELS = "100ms 1s " + " ".join(["200ms"] * 16)
BROKER_SETTINGS = [
    "segment_size=16777216",
    f"message_delay_level={DELAY_LEVELS}",
    "transaction_timeout_ms=500",
    "transaction_check_interval_ms=500",
]
START_TIMEOUT_S = 60.0


def _broker_binary() -> Path:
    given = os.environ.get("FERROCKET_BIN")
    if given:
        return Path(given)
    subprocess.run(["cargo", "build", "-p", "ferrocket-server"], cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "ferrocket"


class Broker:
    """A running `ferrocket standalone`: `addr` is its name-server address."""

    def __init__(self, process: subprocess.Popen[str], addr: str) -> None:
        self.process = process
        self.addr = addr

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    data_dir = tmp_path_factory.mktemp("broker-data")
    args = [str(_broker_binary()), "standalone", "--listen", "127.0.0.1:0"]
    args += ["--data-dir", str(data_dir)]
    for setting in BROKER_SETTINGS:
        args += ["--set", setting]
    # The broker reads FERROCKET_<KEY> variables as config and refuses unknown ones, so
    # FERROCKET_BIN (and any other) must not reach it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FERROCKET_")}
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    found: list[str] = []

    def read_address() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("ferrocket listening on "):
                found.append(line.split()[-1])
                break
        # Keep draining so the broker never blocks on a full pipe.
        for _ in process.stdout:
            pass

    reader = threading.Thread(target=read_address, daemon=True)
    reader.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not found and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if not found:
        process.kill()
        pytest.fail(f"the broker did not start (exit code {process.poll()})")
    started = Broker(process, found[0])
    yield started
    started.stop()


@pytest.fixture
def producer(broker: Broker, request: pytest.FixtureRequest) -> Iterator[ferrocket.Producer]:
    """A started producer whose group is named after the test."""
    group = "pg-" + request.node.name.replace("test_", "")
    with ferrocket.Producer(group, broker.addr) as p:
        yield p


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Polls `condition` every 20 ms until it holds or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class Recorder:
    """What listeners saw, from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[ferrocket.MessageExt] = []
        self.threads: set[str] = set()

    def record(self, msgs: list[ferrocket.MessageExt]) -> None:
        with self.lock:
            self.seen.extend(msgs)
            self.threads.add(threading.current_thread().name)

    def listen(self, msgs: list[ferrocket.MessageExt]) -> ferrocket.ConsumeResult:
        """A listener that records and consumes."""
        self.record(msgs)
        return ferrocket.ConsumeResult.SUCCESS

    def count(self) -> int:
        with self.lock:
            return len(self.seen)

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [m.body for m in self.seen]

    def snapshot(self) -> list[ferrocket.MessageExt]:
        with self.lock:
            return list(self.seen)


# Short periods for push consumers in tests (membership changes come from broker notices).
PUSH_OPTIONS: dict[str, Any] = {
    "persist_offset_interval": 0.1,
    "long_poll": 1.0,
    "pull_error_backoff": 0.1,
    "send_back_retry_delay": 0.2,
    "await_termination": 10.0,
}


def read_back(
    broker: Broker, queue: ferrocket.MessageQueue, offset: int, count: int = 1
) -> list[ferrocket.MessageExt]:
    """Reads `count` messages of `queue` from `offset` with a fresh assigned pull consumer."""
    group = f"reader-{queue.topic}-{queue.queue_id}-{offset}"
    consumer = ferrocket.PullConsumer(group, broker.addr, consume_from="first", long_poll=1.0)
    consumer.assign([queue])
    with consumer:
        consumer.seek(queue, offset)
        got: list[ferrocket.MessageExt] = []
        deadline = time.monotonic() + 20
        while len(got) < count and time.monotonic() < deadline:
            got += consumer.poll(timeout=1.0)
    return got[:count]

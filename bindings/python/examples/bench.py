"""Throughput of the Python SDK next to the Rust client, 1 KiB messages, against one broker.

Starts `ferrocket standalone` (the binary given with --bin, default target/release/ferrocket)
on 127.0.0.1:0 with a temp data folder, then measures, on fresh topics:

- Python `Producer.send` (sync, one thread), `send_async` (futures) and
  `ferrocket.aio.AsyncProducer.send` (asyncio, `--window` sends in flight);
- Rust `ferrocket bench produce` (sync with one sender, async, sync with `--window` senders);
- a Python no-op `PushConsumer` listener (`--threads` consume threads, `--listener-batch`
  messages per call) draining `--count` stored messages, next to a Rust `PushConsumer` with a
  no-op listener on 20 threads and the same batch (the example `push_listener_bench` of
  `tests/`) and the Rust `ferrocket bench consume` (pull consumer), both on the same topic.

Install the SDK as users get it (a release build) first:

    cargo build --release -p ferrocket-server
    cargo build --release -p ferrocket-tests --example push_listener_bench
    pip install ./bindings/python
    python bindings/python/examples/bench.py --count 100000

(`$CARGO_TARGET_DIR`, when set, is where the binaries are looked for.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import ferrocket
from ferrocket import ConsumeResult, Message
from ferrocket.aio import AsyncProducer

BODY = b"\x5a" * 1024
REPO = Path(__file__).resolve().parents[3]
RELEASE = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release"


def start_broker(binary: Path, data_dir: str) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FERROCKET_")}
    args = [str(binary), "standalone", "--listen", "127.0.0.1:0", "--data-dir", data_dir]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("ferrocket listening on "):
            return process, line.split()[-1]
    raise SystemExit("the broker did not start")


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f} msg/s  {count * len(BODY) / seconds / 2**20:>7.1f} MiB/s"


def py_sync(addr: str, count: int) -> float:
    with ferrocket.Producer("bench-py-sync", addr) as p:
        p.send(Message("BenchPySync", BODY))
        started = time.perf_counter()
        for _ in range(count):
            p.send(Message("BenchPySync", BODY))
        return time.perf_counter() - started


def py_async(addr: str, count: int) -> float:
    with ferrocket.Producer("bench-py-async", addr) as p:
        p.send(Message("BenchPyAsync", BODY))
        started = time.perf_counter()
        futures = [p.send_async(Message("BenchPyAsync", BODY)) for _ in range(count)]
        for f in futures:
            f.result()
        return time.perf_counter() - started


def py_asyncio(addr: str, count: int, window: int) -> float:
    async def main() -> float:
        async with AsyncProducer("bench-py-aio", addr) as p:
            await p.send(Message("BenchPyAio", BODY))
            started = time.perf_counter()
            sent = 0
            while sent < count:
                n = min(window, count - sent)
                await asyncio.gather(*(p.send(Message("BenchPyAio", BODY)) for _ in range(n)))
                sent += n
            return time.perf_counter() - started

    return asyncio.run(main())


def py_listener(addr: str, count: int, threads: int, batch: int) -> float:
    topic = "BenchPyListener"
    with ferrocket.Producer("bench-py-fill", addr) as p:
        for _ in range(0, count, 256):
            p.send_batch([Message(topic, BODY) for _ in range(256)])
    received = [0]
    lock = threading.Lock()
    consumer = ferrocket.PushConsumer(
        "bench-py-listener", addr, threads=threads, consume_from="first", consume_batch_max=batch
    )
    consumer.subscribe(topic)

    @consumer.listener
    def noop(msgs: list[ferrocket.MessageExt]) -> ConsumeResult:
        with lock:
            received[0] += len(msgs)
        return ConsumeResult.SUCCESS

    started = time.perf_counter()
    with consumer:
        while received[0] < count:
            time.sleep(0.005)
        took = time.perf_counter() - started
    return took


def rust(binary: Path, addr: str, args: list[str]) -> float:
    out = subprocess.run(
        [str(binary), "bench", *args, "-n", addr, "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out)["msgs_per_sec"])


def rust_listener(example: Path, addr: str, topic: str, count: int, batch: int) -> float:
    args = [str(example), addr, topic, str(count), str(batch)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return float(json.loads(out)["msgs_per_sec"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", type=Path, default=RELEASE / "ferrocket")
    parser.add_argument("--rust-listener", type=Path, default=RELEASE / "examples" / "push_listener_bench")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--sync-count", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--listener-batch", type=int, default=1, help="consume_batch_max")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        broker, addr = start_broker(args.bin, data_dir)
        try:
            print(f"broker {addr}; 1 KiB bodies; ferrocket {ferrocket.__version__}")
            print(f"python send (sync, 1 thread)     {rate(args.sync_count, py_sync(addr, args.sync_count))}")
            print(f"python send_async                {rate(args.count, py_async(addr, args.count))}")
            took = py_asyncio(addr, args.count, args.window)
            print(f"python asyncio ({args.window} in flight)      {rate(args.count, took)}")
            common = ["--size", "1024"]
            r = rust(args.bin, addr, ["produce", "-t", "BenchRsSync", "--count", str(args.sync_count), *common])
            print(f"rust   send (sync, 1 sender)     {r:>10,.0f} msg/s")
            r = rust(args.bin, addr, ["produce", "-t", "BenchRsAsync", "--count", str(args.count), "--mode", "async", *common])
            print(f"rust   send_async                {r:>10,.0f} msg/s")
            r = rust(args.bin, addr, ["produce", "-t", "BenchRsConc", "--count", str(args.count), "--concurrency", str(args.window), *common])
            print(f"rust   send ({args.window} senders)          {r:>10,.0f} msg/s")
            took = py_listener(addr, args.count, args.threads, args.listener_batch)
            label = f"{args.threads} threads, batch {args.listener_batch}"
            print(f"python listener ({label}, no-op) {rate(args.count, took)}")
            r = rust_listener(args.rust_listener, addr, "BenchPyListener", args.count, args.listener_batch)
            print(f"rust   listener (20 threads, batch {args.listener_batch}, no-op) {r:>10,.0f} msg/s")
            r = rust(args.bin, addr, ["consume", "-t", "BenchPyListener"])
            print(f"rust   pull consumer (bench consume) {r:>10,.0f} msg/s")
        finally:
            broker.send_signal(signal.SIGTERM)
            broker.wait(timeout=30)


if __name__ == "__main__":
    main()

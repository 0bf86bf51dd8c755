"""asyncio (spec/scenarios.md: asyncio_producer, asyncio_producer_back_pressure_and_shutdown,
asyncio_push_consumer, asyncio_pull_consumer)."""

from __future__ import annotations

import asyncio
import threading

import pytest

import ferrocket
from ferrocket import ConsumeResult, Message, SendStatus
from ferrocket.aio import AsyncProducer, AsyncPullConsumer, AsyncPushConsumer

from conftest import PUSH_OPTIONS, Broker


def test_asyncio_producer(broker: Broker) -> None:
    """AsyncProducer sends with `await` inside `async with`; many sends run concurrently on
    one event loop; errors are raised by the await."""

    async def main() -> list[ferrocket.SendResult]:
        async with AsyncProducer("aio-producer", broker.addr) as producer:
            first = await producer.send(Message("asyncio_producer", b"first"))
            assert first.status is SendStatus.SEND_OK
            many = await asyncio.gather(
                *(producer.send(Message("asyncio_producer", f"m{i}")) for i in range(100))
            )
            await producer.send_oneway(Message("asyncio_producer", b"oneway"))
            ordered = await producer.send_orderly(Message("asyncio_producer", b"o"), "k")
            batch = await producer.send_batch([Message("asyncio_producer", b"b1"), Message("asyncio_producer", b"b2")])
            assert len(batch.msg_ids) == 2
            with pytest.raises(ferrocket.InvalidArgumentError):
                await producer.send(Message("bad topic!", b"x"))
            return [first, ordered, *many]

    results = asyncio.run(main())
    assert len({r.msg_id for r in results}) == len(results) == 102


def test_asyncio_producer_back_pressure_and_shutdown(broker: Broker) -> None:
    """With max_outstanding_async=4, 300 AsyncProducer sends started at once all resolve (the
    sends beyond 4 wait for a permit in their task, not on the loop); shutdown waits for sends
    started before it; a send before start or after shutdown fails when awaited."""
    topic = "asyncio_producer_back_pressure_and_shutdown"

    async def main() -> tuple[list[ferrocket.SendResult], list[ferrocket.SendResult]]:
        producer = AsyncProducer("aio-pressure", broker.addr, max_outstanding_async=4)
        with pytest.raises(ferrocket.IllegalStateError):
            await producer.send(Message(topic, b"early"))
        await producer.start()
        many = await asyncio.gather(*(producer.send(Message(topic, f"m{i}")) for i in range(300)))
        late = [asyncio.ensure_future(producer.send(Message(topic, f"late{i}"))) for i in range(50)]
        await producer.shutdown()
        assert all(f.done() for f in late), "shutdown returned before every send was resolved"
        with pytest.raises(ferrocket.IllegalStateError):
            await producer.send(Message(topic, b"after"))
        return many, [await f for f in late]

    many, late = asyncio.run(main())
    assert all(r.status is SendStatus.SEND_OK for r in many + late)
    assert len({r.msg_id for r in many + late}) == 350


def test_asyncio_push_consumer(broker: Broker) -> None:
    """AsyncPushConsumer calls an `async def` listener on the event loop that started it;
    RECONSUME_LATER from it redelivers."""

    async def main() -> tuple[list[bytes], set[int], list[int]]:
        seen: list[bytes] = []
        on_threads: set[int] = set()
        retried: list[int] = []
        done = asyncio.Event()
        async with AsyncProducer("aio-push-producer", broker.addr) as producer:
            await producer.send(Message("asyncio_push_consumer", b"create"))
            consumer = AsyncPushConsumer("aio-push", broker.addr, consume_from="first", **PUSH_OPTIONS)
            consumer.subscribe("asyncio_push_consumer")

            @consumer.listener
            async def on_messages(msgs: list[ferrocket.MessageExt]) -> ConsumeResult:
                await asyncio.sleep(0)
                on_threads.add(threading.get_native_id())
                for m in msgs:
                    if m.body == b"retry" and m.reconsume_times == 0:
                        retried.append(m.reconsume_times)
                        return ConsumeResult.RECONSUME_LATER
                    seen.append(m.body)
                if b"retry" in seen and len(seen) >= 11:
                    done.set()
                return ConsumeResult.SUCCESS

            async with consumer:
                for i in range(10):
                    await producer.send(Message("asyncio_push_consumer", f"a{i}"))
                await producer.send(Message("asyncio_push_consumer", b"retry"))
                await asyncio.wait_for(done.wait(), timeout=30)
        return seen, on_threads, retried

    seen, on_threads, retried = asyncio.run(main())
    assert {f"a{i}".encode() for i in range(10)} <= set(seen)
    assert b"retry" in seen and retried == [0]
    assert on_threads == {threading.get_native_id()}, "listener ran on the event loop's thread"


def test_asyncio_pull_consumer(broker: Broker, producer: ferrocket.Producer) -> None:
    """`async for msg in AsyncPullConsumer(...)` yields messages; commit and poll await."""
    topic = "asyncio_pull_consumer"
    queue = producer.send_orderly(Message(topic, b"m0"), "one").queue
    for i in range(1, 5):
        producer.send_orderly(Message(topic, f"m{i}"), "one")

    async def main() -> tuple[list[bytes], int | None]:
        got: list[bytes] = []
        async with AsyncPullConsumer("aio-pull", broker.addr, consume_from="first", auto_commit=False) as consumer:
            consumer.assign([queue])
            async for msg in consumer:
                got.append(msg.body)
                if len(got) == 5:
                    break
            await consumer.commit()
            committed = await consumer.committed(queue)
            assert await consumer.poll(timeout=0.2) == []
        return got, committed

    got, committed = asyncio.run(main())
    assert got == [f"m{i}".encode() for i in range(5)]
    assert committed == 5


def test_asyncio_calls_do_not_block_the_loop(broker: Broker) -> None:
    """While a poll waits for messages the event loop keeps running other tasks."""

    async def main() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        async with AsyncPullConsumer("aio-idle", broker.addr) as consumer:
            task = asyncio.ensure_future(ticker())
            consumer.assign([ferrocket.MessageQueue("aio_idle_nothing", "broker-a", 0)])
            assert await consumer.poll(timeout=0.5) == []
            task.cancel()
        return ticks

    assert asyncio.run(main()) >= 10

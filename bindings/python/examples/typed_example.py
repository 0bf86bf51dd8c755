"""A typed tour of the ferrocket Python SDK; `mypy --strict` checks it in the test suite.

Run it against a broker (`ferrocket standalone`):

    python examples/typed_example.py 127.0.0.1:9876
"""

from __future__ import annotations

import asyncio
import sys
import threading
from concurrent.futures import Future

import ferrocket
from ferrocket import (
    ConsumeResult,
    Message,
    MessageExt,
    Producer,
    PullConsumer,
    PushConsumer,
    SendResult,
    SendStatus,
    Sql,
    TransactionProducer,
    TransactionState,
)
from ferrocket.aio import AsyncProducer, AsyncPullConsumer


def produce(namesrv: str, topic: str) -> SendResult:
    with Producer("typed-producer", namesrv, send_timeout=3.0) as producer:
        result = producer.send(Message(topic, b"hello", tags="TagA", keys=["k1"], properties={"a": "7"}))
        assert result.status is SendStatus.SEND_OK
        pending: Future[SendResult] = producer.send_async(Message(topic, "async body"))
        producer.send_orderly(Message(topic, b"ordered"), sharding_key="order-42")
        producer.send_batch([Message(topic, b"b1"), Message(topic, b"b2")])
        producer.send_oneway(Message(topic, b"oneway"))
        return pending.result(timeout=10)


def consume_push(namesrv: str, topic: str, expected: int) -> list[bytes]:
    bodies: list[bytes] = []
    done = threading.Event()
    consumer = PushConsumer("typed-push", namesrv, threads=4, consume_from="first", long_poll=1.0)
    consumer.subscribe(topic, "*")

    @consumer.listener
    def on_messages(msgs: list[MessageExt]) -> ConsumeResult:
        bodies.extend(m.body for m in msgs)
        if len(bodies) >= expected:
            done.set()
        return ConsumeResult.SUCCESS

    with consumer:
        done.wait(timeout=30)
    return bodies


def consume_pull(namesrv: str, topic: str) -> int | None:
    consumer = PullConsumer("typed-pull", namesrv, consume_from="first", auto_commit=False)
    consumer.subscribe(topic, Sql("a > 5"))
    with consumer:
        for msg in consumer:
            print("pulled", msg.msg_id, msg.body, msg.get_property("a"))
            break
        consumer.commit()
        queues = consumer.assignment()
        return consumer.committed(queues[0]) if queues else None


def transactional(namesrv: str, topic: str) -> TransactionState:
    def check(msg: MessageExt) -> TransactionState:
        return TransactionState.COMMIT

    def execute(msg: Message, arg: object) -> TransactionState:
        return TransactionState.COMMIT if arg == "ok" else TransactionState.ROLLBACK

    with TransactionProducer("typed-tx", namesrv, check=check) as producer:
        result = producer.send_in_transaction(Message(topic, b"tx"), execute=execute, arg="ok")
        return result.local_state


async def with_asyncio(namesrv: str, topic: str) -> list[bytes]:
    async with AsyncProducer("typed-aio", namesrv) as producer:
        sent: SendResult = await producer.send(Message(topic, b"from asyncio"))
        print("async sent", sent.msg_id)
    got: list[bytes] = []
    async with AsyncPullConsumer("typed-aio-pull", namesrv, consume_from="first") as consumer:
        await consumer.subscribe(topic)
        async for msg in consumer:
            got.append(msg.body)
            break
    return got


def main(namesrv: str) -> None:
    topic = "TypedExample"
    try:
        print("async send:", produce(namesrv, topic).msg_id)
        print("pushed:", len(consume_push(namesrv, topic, expected=6)))
        print("committed:", consume_pull(namesrv, topic))
        print("transaction:", transactional(namesrv, topic).name)
        print("asyncio:", asyncio.run(with_asyncio(namesrv, topic)))
    except ferrocket.FerrocketError as e:
        print(f"failed: {e} (code {e.code}, retriable {e.retriable})", file=sys.stderr)
        raise SystemExit(1) from e


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9876")

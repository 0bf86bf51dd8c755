"""asyncio clients: every call returns an awaitable and never blocks the event loop.

::

    from ferrocket import Message, ConsumeResult
    from ferrocket.aio import AsyncProducer, AsyncPushConsumer, AsyncPullConsumer

    async with AsyncProducer("pg", "127.0.0.1:9876") as producer:
        result = await producer.send(Message("Orders", b"hello"))

    consumer = AsyncPushConsumer("cg", "127.0.0.1:9876")
    consumer.subscribe("Orders")

    @consumer.listener
    async def on_messages(msgs):
        return ConsumeResult.SUCCESS

    async with consumer:          # start() / shutdown()
        ...

    async with AsyncPullConsumer("pull-group", "127.0.0.1:9876") as puller:
        await puller.subscribe("Orders")
        async for msg in puller:
            ...

An ``AsyncPushConsumer`` runs its ``async def`` listener on the event loop that awaited
``start()`` (a plain function given to it runs on a worker thread).
"""

from ._native import AsyncProducer, AsyncPullConsumer, AsyncPushConsumer

__all__ = ["AsyncProducer", "AsyncPullConsumer", "AsyncPushConsumer"]

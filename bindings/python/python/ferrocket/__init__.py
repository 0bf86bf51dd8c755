"""ferrocket: the Python SDK of ferrocket, a RocketMQ-model message queue.

Sync clients (every blocking call releases the GIL; Ctrl-C interrupts it)::

    from ferrocket import Message, Producer, PushConsumer, ConsumeResult

    with Producer("orders-producer", "127.0.0.1:9876") as producer:
        result = producer.send(Message("Orders", b"hello", tags="TagA", keys=["order-1"]))

    consumer = PushConsumer("orders-consumer", "127.0.0.1:9876")
    consumer.subscribe("Orders", "TagA || TagB")

    @consumer.listener
    def on_messages(msgs):
        return ConsumeResult.SUCCESS

    consumer.start()

The asyncio twins live in :mod:`ferrocket.aio`. Every error is a
:class:`FerrocketError`. Log records of the client go to
``logging.getLogger("ferrocket")``, which has only a ``NullHandler``: configure logging in
the application to see them.
"""

import atexit as _atexit
import logging as _logging

from . import _native
from ._native import (
    BrokerError,
    ConnectionFailedError,
    ConsumeResult,
    FerrocketError,
    IllegalStateError,
    InvalidArgumentError,
    Message,
    MessageExt,
    MessageQueue,
    NoRouteError,
    OperationTimeoutError,
    Producer,
    ProtocolError,
    PullConsumer,
    PushConsumer,
    SendResult,
    SendStatus,
    Sql,
    TransactionProducer,
    TransactionSendResult,
    TransactionState,
    __version__,
)

__all__ = [
    "BrokerError",
    "ConnectionFailedError",
    "ConsumeResult",
    "FerrocketError",
    "IllegalStateError",
    "InvalidArgumentError",
    "Message",
    "MessageExt",
    "MessageQueue",
    "NoRouteError",
    "OperationTimeoutError",
    "Producer",
    "ProtocolError",
    "PullConsumer",
    "PushConsumer",
    "SendResult",
    "SendStatus",
    "Sql",
    "TransactionProducer",
    "TransactionSendResult",
    "TransactionState",
    "__version__",
]

# A library adds no handler but a NullHandler; the application decides what is shown.
_logging.getLogger("ferrocket").addHandler(_logging.NullHandler())

# At exit, while the interpreter is whole: shut down every started client still alive
# (listener calls finish, consume threads are joined), then stop the log forwarder thread.
_atexit.register(_native._shutdown_all)

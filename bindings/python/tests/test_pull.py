"""Pull consumers (spec/scenarios.md: pull_poll_commit_seek) and their iteration."""

from __future__ import annotations

import time

import ferrocket
from ferrocket import Message, PullConsumer

from conftest import Broker, wait_until


def fill_queue(producer: ferrocket.Producer, topic: str, count: int) -> ferrocket.MessageQueue:
    """Sends `count` messages to one queue of `topic`; returns the queue."""
    results = [producer.send_orderly(Message(topic, f"p{i}"), "one-queue") for i in range(count)]
    assert results[0].queue_offset == 0
    return results[0].queue


def test_pull_poll_commit_seek(broker: Broker, producer: ferrocket.Producer) -> None:
    """A pull consumer polls, commits the offset after what it got, and seeks back to read
    again from an offset; the committed offset is what a new member of the group starts at."""
    topic = "pull_poll_commit_seek"
    queue = fill_queue(producer, topic, 10)
    consumer = PullConsumer("pull-commit-seek", broker.addr, consume_from="first", auto_commit=False)
    consumer.assign([queue])
    with consumer:
        got: list[ferrocket.MessageExt] = []
        while len(got) < 10:
            polled = consumer.poll(timeout=5.0)
            assert polled, "messages arrive within the poll timeout"
            got += polled
        assert [m.body for m in got] == [f"p{i}".encode() for i in range(10)]
        consumer.commit()
        assert consumer.committed(queue) == 10
        consumer.seek(queue, 4)
        again: list[ferrocket.MessageExt] = []
        while len(again) < 6:
            again += consumer.poll(timeout=5.0)
        assert [m.queue_offset for m in again] == list(range(4, 10))
        consumer.seek_to_beginning(queue)
        assert consumer.poll(timeout=5.0)[0].queue_offset == 0
    follower = PullConsumer("pull-commit-seek", broker.addr, auto_commit=False)
    follower.assign([queue])
    with follower:
        producer.send_to_queue(Message(topic, b"p10"), queue)
        [first] = follower.poll(timeout=5.0)[:1]
    assert first.queue_offset == 10, "a new member starts at the committed offset"


def test_pull_iteration_commits_only_what_was_seen(broker: Broker, producer: ferrocket.Producer) -> None:
    """`for msg in consumer` yields messages one by one; a commit inside the loop commits
    exactly the messages the loop has seen, not what the client had fetched ahead."""
    topic = "pull_iteration"
    queue = fill_queue(producer, topic, 20)
    consumer = PullConsumer("pull-iteration", broker.addr, consume_from="first", auto_commit=False)
    consumer.subscribe(topic)
    with consumer:
        seen = []
        for msg in consumer:
            seen.append(msg.body)
            if len(seen) == 5:
                consumer.commit()
                break
        assert seen == [f"p{i}".encode() for i in range(5)]
        assert consumer.committed(queue) == 5
        assert consumer.fetch_message_queues(topic)
        assert queue in consumer.assignment()


def test_pull_iteration_ends_at_shutdown(broker: Broker, producer: ferrocket.Producer) -> None:
    """Iteration stops (StopIteration) once the consumer is shut down."""
    consumer = PullConsumer("pull-iteration-end", broker.addr)
    queue = fill_queue(producer, "pull_iteration_end", 1)
    consumer.assign([queue])
    consumer.start()
    consumer.shutdown()
    assert list(consumer) == []


def test_pull_pause_resume(broker: Broker, producer: ferrocket.Producer) -> None:
    """A paused queue returns nothing until it is resumed."""
    topic = "pull_pause"
    queue = fill_queue(producer, topic, 3)
    consumer = PullConsumer("pull-pause", broker.addr, consume_from="first")
    consumer.assign([queue])
    with consumer:
        consumer.pause([queue])
        assert consumer.poll(timeout=0.5) == []
        consumer.resume([queue])
        got: list[ferrocket.MessageExt] = []
        while len(got) < 3:
            polled = consumer.poll(timeout=5.0)
            assert polled
            got += polled
    assert [m.body for m in got] == [b"p0", b"p1", b"p2"]


def test_pull_consume_from_timestamp(broker: Broker, producer: ferrocket.Producer) -> None:
    """A new group with consume_from=<ms since the epoch> starts at the first message stored
    at or after that time."""
    topic = "pull_consume_from_timestamp"
    queue = fill_queue(producer, topic, 4)
    consumer = PullConsumer("pull-from-timestamp-probe", broker.addr, consume_from="first")
    consumer.assign([queue])
    with consumer:
        consumer.seek(queue, 3)
        [last_old] = consumer.poll(timeout=5.0)[:1]
    since_ms = last_old.store_timestamp + 1
    # The broker shares this clock: once it has passed `since_ms`, new messages store after it.
    assert wait_until(lambda: time.time() * 1000 > since_ms + 1, timeout=5)
    for i in range(3):
        producer.send_to_queue(Message(topic, f"new{i}"), queue)
    consumer = PullConsumer("pull-from-timestamp", broker.addr, consume_from=since_ms, auto_commit=False)
    consumer.assign([queue])
    with consumer:
        got: list[ferrocket.MessageExt] = []
        while len(got) < 3:
            polled = consumer.poll(timeout=5.0)
            assert polled, "messages arrive within the poll timeout"
            got += polled
    assert [m.body for m in got] == [b"new0", b"new1", b"new2"]
    assert got[0].queue_offset == 4

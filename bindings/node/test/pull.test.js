// Pull consumer scenarios: poll, commit and seek (spec/scenarios.md) and the Node-only
// `for await` iteration, against a real broker.
'use strict'

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const ferrocket = require('ferrocket')
const { startBroker, unique, waitFor } = require('./helpers/broker.js')

let broker
let producer

before(async () => {
  broker = await startBroker()
  producer = new ferrocket.Producer({ group: unique('pg'), nameServer: broker.addr })
  await producer.start()
})

after(async () => {
  await producer.shutdown()
  await broker.stop()
})

function pullConsumer(extra = {}) {
  return new ferrocket.PullConsumer({
    group: unique('pull'),
    nameServer: broker.addr,
    consumeFrom: 'firstOffset',
    autoCommit: false,
    longPollMs: 500,
    ...extra,
  })
}

/** Sends `count` messages with one sharding key, so they share one queue; returns it. */
async function sendToOneQueue(topic, count) {
  let queue
  for (let i = 0; i < count; i++) {
    const r = await producer.sendOrderly({ topic, body: `p-${i}` }, 'one-key')
    queue = { topic: r.topic, brokerName: r.brokerName, queueId: r.queueId }
  }
  return queue
}

async function pollUntil(consumer, count) {
  const got = []
  await waitFor(async () => {
    got.push(...(await consumer.poll(200)))
    return got.length >= count
  }, `${count} polled messages`)
  return got
}

test('pull_poll_commit_seek', async () => {
  const topic = unique('pull_poll_commit_seek')
  const queue = await sendToOneQueue(topic, 10)
  const consumer = pullConsumer()
  await consumer.subscribe(topic)
  await consumer.start()
  const first = await pollUntil(consumer, 10)
  assert.deepEqual(first.map((m) => m.body.toString()),
    Array.from({ length: 10 }, (_, i) => `p-${i}`))
  await consumer.commit()
  assert.equal(await consumer.committed(queue), 10n)
  consumer.seek(queue, 3n)
  const again = await pollUntil(consumer, 7)
  assert.equal(again[0].queueOffset, 3n)
  assert.deepEqual(again.map((m) => m.body.toString()),
    Array.from({ length: 7 }, (_, i) => `p-${i + 3}`))
  consumer.seek(queue, 5)
  await consumer.commit()
  assert.equal(await consumer.committed(queue), 5n, 'a commit after seek sends the seek offset')
  await consumer.shutdown()
  // assign() instead of subscribe(): the group's committed offset is where reading starts,
  // and seek moves it like above.
  const assigned = pullConsumer({ group: consumer.group })
  assigned.assign([queue])
  assert.deepEqual(assigned.assignment(), [queue])
  await assigned.start()
  const fromCommitted = await pollUntil(assigned, 5)
  assert.deepEqual(fromCommitted.map((m) => m.body.toString()),
    ['p-5', 'p-6', 'p-7', 'p-8', 'p-9'], 'starts at the committed offset')
  assigned.seek(queue, 8n)
  const tail = await pollUntil(assigned, 2)
  assert.deepEqual(tail.map((m) => m.body.toString()), ['p-8', 'p-9'])
  await assigned.shutdown()
})

test('pull_for_await_iterator', async () => {
  const topic = unique('pull_for_await_iterator')
  const queue = await sendToOneQueue(topic, 8)
  const consumer = pullConsumer()
  await consumer.subscribe(topic)
  await consumer.start()
  const seen = []
  for await (const msg of consumer) {
    seen.push(msg.body.toString())
    if (seen.length === 5) break
  }
  assert.deepEqual(seen, ['p-0', 'p-1', 'p-2', 'p-3', 'p-4'])
  await consumer.commit()
  assert.equal(await consumer.committed(queue), 5n, 'commit covers what the loop saw')
  const rest = []
  const loop = (async () => {
    for await (const msg of consumer) rest.push(msg.body.toString())
  })()
  await producer.sendOrderly({ topic, body: 'p-8' }, 'one-key')
  await waitFor(() => rest.length === 4, 'the loop to read the rest')
  await consumer.shutdown()
  await loop
  assert.deepEqual(rest, ['p-5', 'p-6', 'p-7', 'p-8'], 'the loop goes on in order, ends at shutdown')
})

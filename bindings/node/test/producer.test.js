// Send scenarios of spec/scenarios.md against a real broker: every send mode, each message
// read back by a pull consumer.
'use strict'

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const ferrocket = require('ferrocket')
const { startBroker, unique, readAll } = require('./helpers/broker.js')

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

test('send_sync', async () => {
  const topic = unique('send_sync')
  const result = await producer.send({
    topic,
    body: Buffer.from('hello, ferrocket'),
    tags: 'TagA',
    keys: ['order-1', 'user-7'],
    properties: { region: 'eu', a: '1' },
  })
  assert.equal(result.status, ferrocket.SendStatus.SendOk)
  assert.equal(result.status, 'SEND_OK')
  assert.match(result.msgId, /^[0-9A-F]{32}$/)
  assert.equal(typeof result.queueId, 'number')
  assert.equal(typeof result.queueOffset, 'bigint')
  assert.equal(result.topic, topic)
  const [msg] = await readAll(ferrocket, broker.addr, topic, 1)
  assert.equal(msg.msgId, result.msgId)
  assert.equal(msg.body.toString(), 'hello, ferrocket')
  assert.equal(msg.tags, 'TagA')
  assert.deepEqual(msg.keys, ['order-1', 'user-7'])
  assert.deepEqual(msg.properties, { region: 'eu', a: '1' })
  assert.equal(msg.queueId, result.queueId)
  assert.equal(msg.queueOffset, result.queueOffset)
  assert.equal(msg.reconsumeTimes, 0)
  // waitStoreMsgOk: false asks the broker not to wait for the store's flush: still SEND_OK.
  const noWait = await producer.send({ topic, body: 'no wait', waitStoreMsgOk: false })
  assert.equal(noWait.status, 'SEND_OK')
  const again = await readAll(ferrocket, broker.addr, topic, 2)
  assert.ok(again.some((m) => m.msgId === noWait.msgId && m.body.toString() === 'no wait'))
})

test('send_async', async () => {
  const topic = unique('send_async')
  const count = 50
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) => producer.send({ topic, body: `m-${i}`, keys: `k-${i}` })),
  )
  assert.equal(new Set(results.map((r) => r.msgId)).size, count)
  for (const r of results) assert.equal(r.status, 'SEND_OK')
  const got = await readAll(ferrocket, broker.addr, topic, count)
  const byId = new Map(got.map((m) => [m.msgId, m]))
  results.forEach((r, i) => {
    const msg = byId.get(r.msgId)
    assert.ok(msg, `message ${i} read back`)
    assert.equal(msg.body.toString(), `m-${i}`)
    assert.equal(msg.queueId, r.queueId)
    assert.equal(msg.queueOffset, r.queueOffset)
  })
})

test('send_oneway', async () => {
  const topic = unique('send_oneway')
  await producer.send({ topic, body: 'creates the topic' })
  const returned = await producer.sendOneway({ topic, body: 'fire and forget', tags: 'T1' })
  assert.equal(returned, undefined)
  const got = await readAll(ferrocket, broker.addr, topic, 2)
  const oneway = got.find((m) => m.body.toString() === 'fire and forget')
  assert.ok(oneway, 'the oneway message is consumed')
  assert.equal(oneway.tags, 'T1')
})

test('send_orderly', async () => {
  const topic = unique('send_orderly')
  const byKey = new Map()
  for (let i = 0; i < 30; i++) {
    const key = `order-${i % 3}`
    const r = await producer.sendOrderly({ topic, body: `${key}:${i}` }, key)
    if (!byKey.has(key)) byKey.set(key, [])
    byKey.get(key).push(r)
  }
  for (const [key, results] of byKey) {
    assert.equal(new Set(results.map((r) => r.queueId)).size, 1, `${key} keeps one queue`)
    for (let i = 1; i < results.length; i++) {
      assert.ok(results[i].queueOffset > results[i - 1].queueOffset, `${key} offsets increase`)
    }
  }
})

test('send_batch', async () => {
  const topic = unique('send_batch')
  const messages = Array.from({ length: 16 }, (_, i) => ({ topic, body: `b-${i}`, tags: 'B' }))
  const result = await producer.sendBatch(messages)
  assert.equal(result.status, 'SEND_OK')
  assert.equal(result.msgIds.length, 16)
  const got = await readAll(ferrocket, broker.addr, topic, 16)
  assert.ok(got.every((m) => m.queueId === result.queueId), 'one queue')
  got.sort((a, b) => (a.queueOffset < b.queueOffset ? -1 : 1))
  got.forEach((m, i) => {
    assert.equal(m.queueOffset, result.queueOffset + BigInt(i))
    assert.equal(m.body.toString(), `b-${i}`)
    assert.equal(m.msgId, result.msgIds[i])
  })
})

// Push consumer scenarios of spec/scenarios.md (concurrent, orderly, broadcasting, redelivery,
// SQL92, delay levels) and the Node-only back-pressure scenario, against a real broker.
'use strict'

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const ferrocket = require('ferrocket')
const { ConsumeResult } = ferrocket
const { startBroker, unique, waitFor, fastConsumer, readAll } = require('./helpers/broker.js')

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

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Sends `count` messages `${prefix}${i}` in batches of 256 (one topic, any queues). */
async function sendMany(topic, count, prefix = '') {
  for (let start = 0; start < count; start += 256) {
    const batch = []
    for (let i = start; i < Math.min(count, start + 256); i++) {
      batch.push({ topic, body: `${prefix}${i}` })
    }
    await producer.sendBatch(batch)
  }
}

test('push_concurrent', async () => {
  const topic = unique('push_concurrent')
  const total = 50_000
  await producer.send({ topic, body: 'warm-up' })
  const seen = new Uint8Array(total)
  let distinct = 0
  let duplicates = 0
  let inFlight = 0
  let maxInFlight = 0
  const consumer = new ferrocket.PushConsumer(fastConsumer(broker.addr, { consumeThreads: 8 }))
  consumer.subscribe(topic, '*')
  consumer.setListener(async (msgs) => {
    inFlight += 1
    maxInFlight = Math.max(maxInFlight, inFlight)
    // Now and then wait for the event loop, so other calls start meanwhile.
    if (msgs[0].queueOffset % 64n === 0n) await new Promise((resolve) => setImmediate(resolve))
    for (const m of msgs) {
      const text = m.body.toString()
      if (text === 'warm-up') continue
      const i = Number(text)
      if (seen[i]++ === 0) distinct += 1
      else duplicates += 1
    }
    inFlight -= 1
    return ConsumeResult.Success
  })
  await consumer.start()
  const started = Date.now()
  await sendMany(topic, total)
  await waitFor(() => distinct === total, `${total} distinct messages`, 120_000)
  const seconds = (Date.now() - started) / 1000
  await consumer.shutdown()
  console.log(`push_concurrent: ${total} messages in ${seconds.toFixed(1)} s, ` +
    `${maxInFlight} listener calls in flight at most`)
  assert.equal(duplicates, 0, 'no message twice')
  assert.ok(maxInFlight > 1, 'listener calls overlap')
  assert.ok(maxInFlight <= 8, 'at most consumeThreads calls in flight')
})

test('push_orderly', async () => {
  const topic = unique('push_orderly')
  const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5']
  const perKey = 40
  await producer.send({ topic, body: 'warm-up' })
  const seenByKey = new Map(keys.map((k) => [k, []]))
  const activeByQueue = new Map()
  // One batch answers Suspend and one throws the first time: each is retried in place, before
  // anything after it in its queue.
  const refusals = new Map([['k1:7', 'suspend'], ['k4:20', 'throw']])
  const refused = []
  let overlaps = 0
  let received = 0
  const consumer = new ferrocket.PushConsumer(fastConsumer(broker.addr, {
    orderly: true,
    suspendCurrentQueueTimeMs: 100,
  }))
  consumer.subscribe(topic)
  consumer.setListener(async (msgs) => {
    const q = msgs[0].queueId
    if (activeByQueue.get(q)) overlaps += 1
    activeByQueue.set(q, true)
    await sleep(Math.random() < 0.1 ? 5 : 0)
    const bodies = msgs.map((m) => m.body.toString())
    const refusal = bodies.map((b) => refusals.get(b)).find((r) => r !== undefined)
    if (refusal !== undefined) {
      for (const b of bodies) refusals.delete(b)
      refused.push(refusal)
      activeByQueue.set(q, false)
      if (refusal === 'throw') throw new Error('orderly listener failed')
      return ConsumeResult.Suspend
    }
    for (const body of bodies) {
      const [key, seq] = body.split(':')
      if (!seenByKey.has(key)) continue
      seenByKey.get(key).push(Number(seq))
      received += 1
    }
    activeByQueue.set(q, false)
    return ConsumeResult.Success
  })
  await consumer.start()
  for (let seq = 0; seq < perKey; seq++) {
    await Promise.all(keys.map((k) => producer.sendOrderly({ topic, body: `${k}:${seq}` }, k)))
  }
  await waitFor(() => received >= keys.length * perKey, 'every orderly message')
  await consumer.shutdown()
  assert.equal(overlaps, 0, 'one call at a time per queue')
  assert.deepEqual(refused.sort(), ['suspend', 'throw'], 'both refusals happened')
  for (const [key, seqs] of seenByKey) {
    assert.deepEqual(seqs, Array.from({ length: perKey }, (_, i) => i), `${key} in send order`)
  }
})

test('push_broadcasting', async () => {
  const topic = unique('push_broadcasting')
  await producer.send({ topic, body: 'warm-up' })
  const group = unique('bcast')
  const members = []
  for (let n = 0; n < 2; n++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferrocket-bcast-'))
    const consumer = new ferrocket.PushConsumer(fastConsumer(broker.addr, {
      group,
      model: 'broadcasting',
      consumeFrom: 'lastOffset',
      broadcastOffsetDir: dir,
    }))
    const got = new Set()
    consumer.subscribe(topic)
    consumer.setListener((msgs) => {
      for (const m of msgs) got.add(m.body.toString())
      return 'SUCCESS'
    })
    await consumer.start()
    members.push({ consumer, got, dir })
  }
  const count = 40
  for (let i = 0; i < count; i++) await producer.send({ topic, body: `b-${i}` })
  await waitFor(() => members.every((m) => m.got.size >= count), 'every member gets everything')
  for (const m of members) {
    await m.consumer.shutdown()
    fs.rmSync(m.dir, { recursive: true, force: true })
    for (let i = 0; i < count; i++) assert.ok(m.got.has(`b-${i}`))
  }
})

test('reconsume_later', async () => {
  const topic = unique('reconsume_later')
  await producer.send({ topic, body: 'warm-up' })
  const attempts = new Map()
  const consumer = new ferrocket.PushConsumer(fastConsumer(broker.addr))
  consumer.subscribe(topic)
  consumer.setListener(async (msgs) => {
    const m = msgs[0]
    const name = m.body.toString()
    if (name === 'warm-up') return ConsumeResult.Success
    if (!attempts.has(name)) attempts.set(name, [])
    attempts.get(name).push(m.reconsumeTimes)
    const n = attempts.get(name).length
    if (n === 1) {
      if (name === 'throws') throw new Error('listener failed')
      if (name === 'rejects') return Promise.reject(new Error('listener rejected'))
      return ConsumeResult.ReconsumeLater
    }
    if (n === 2) return undefined
    return ConsumeResult.Success
  })
  await consumer.start()
  for (const name of ['throws', 'rejects', 'later']) await producer.send({ topic, body: name })
  await waitFor(() => [...attempts.values()].filter((a) => a.length >= 3).length === 3,
    'three attempts of each message')
  await consumer.shutdown()
  for (const [name, times] of attempts) {
    assert.deepEqual(times.slice(0, 3), [0, 1, 2], `${name}: growing reconsumeTimes`)
  }
})

test('sql92_filter', async () => {
  const topic = unique('sql92_filter')
  await producer.send({ topic, body: 'warm-up', properties: { a: '0', region: 'none' } })
  const got = []
  const consumer = new ferrocket.PushConsumer(fastConsumer(broker.addr))
  consumer.subscribe(topic, { sql: "a > 5 AND region IN ('eu', 'us')" })
  consumer.setListener((msgs) => {
    got.push(...msgs.map((m) => m.body.toString()))
    return ConsumeResult.Success
  })
  await consumer.start()
  const cases = [
    ['m1', { a: '7', region: 'eu' }, true],
    ['m2', { a: '3', region: 'eu' }, false],
    ['m3', { a: '9', region: 'asia' }, false],
    ['m4', { a: '10', region: 'us' }, true],
    ['m5', { region: 'us' }, false],
    ['m6', { a: '6', region: 'us' }, true],
  ]
  for (const [body, properties] of cases) await producer.send({ topic, body, properties })
  const wanted = cases.filter((c) => c[2]).map((c) => c[0])
  await waitFor(() => wanted.every((w) => got.includes(w)), 'the matching messages')
  await consumer.shutdown()
  assert.deepEqual([...got].sort(), wanted, 'exactly the matching messages')
})

test('delay_level', async () => {
  const topic = unique('delay_level')
  await producer.send({ topic, body: 'warm-up' })
  const arrivals = new Map()
  const consumer = new ferrocket.PushConsumer(fastConsumer(broker.addr))
  consumer.subscribe(topic)
  consumer.setListener((msgs) => {
    for (const m of msgs) arrivals.set(m.body.toString(), { at: Date.now(), level: m.delayLevel })
    return ConsumeResult.Success
  })
  await consumer.start()
  await waitFor(() => arrivals.has('warm-up'), 'the warm-up message')
  const sentAt = Date.now()
  // Level 5 is 500 ms with the test broker's delay levels; deliverAt is a time (ms) instead.
  await producer.send({ topic, body: 'delayed', delayLevel: 5 })
  await producer.send({ topic, body: 'timed', deliverAt: BigInt(sentAt + 700) })
  await producer.send({ topic, body: 'at-once' })
  await waitFor(() => arrivals.has('delayed') && arrivals.has('timed'), 'the delayed messages')
  await consumer.shutdown()
  const waited = arrivals.get('delayed').at - sentAt
  assert.ok(waited >= 450, `delivered after ${waited} ms, not before its 500 ms delay`)
  assert.ok(waited < 10_000, `delivered after ${waited} ms`)
  const timed = arrivals.get('timed').at - sentAt
  assert.ok(timed >= 650, `deliverAt: delivered after ${timed} ms, not before 700 ms`)
  assert.ok(timed < 10_000, `deliverAt: delivered after ${timed} ms`)
  assert.ok(arrivals.get('at-once').at < arrivals.get('delayed').at, 'undelayed one first')
})

test('listener_backpressure', async () => {
  const topic = unique('listener_backpressure')
  await producer.send({ topic, body: 'warm-up' })
  await sendMany(topic, 1000, 'bp-')
  let release
  const gate = new Promise((resolve) => { release = resolve })
  let inFlight = 0
  let maxInFlight = 0
  const got = new Set()
  const consumer = new ferrocket.PushConsumer(fastConsumer(broker.addr, {
    consumeThreads: 3,
    pullThresholdForQueue: 50,
    pullBatchSize: 16,
  }))
  consumer.subscribe(topic)
  consumer.setListener(async (msgs) => {
    inFlight += 1
    maxInFlight = Math.max(maxInFlight, inFlight)
    await gate
    for (const m of msgs) got.add(m.body.toString())
    inFlight -= 1
    return ConsumeResult.Success
  })
  await consumer.start()
  await waitFor(() => maxInFlight === 3 && consumer.buffered().messages >= 50,
    'the listener calls to block and the buffer to fill')
  // Sample the buffer while the listener stays blocked: pulls have stopped at the limits.
  const limit = 4 * (50 + 16)
  for (let i = 0; i < 10; i++) {
    const held = consumer.buffered().messages
    assert.ok(held <= limit, `holding ${held}, within the flow limits (${limit})`)
    await sleep(30)
  }
  assert.equal(maxInFlight, 3, 'listener calls in flight bounded by consumeThreads')
  release()
  await waitFor(() => got.size >= 1001, 'every message after the gate opens')
  await consumer.shutdown()
  assert.ok(maxInFlight <= 3)
})

test('listener_message_fields', async () => {
  // Push messages are built in JavaScript from packed arrays, pull messages by napi: they match.
  const topic = unique('listener_message_fields')
  const sent = [
    { topic, body: 'plain' },
    { topic, body: Buffer.from([0, 1, 2, 255]), tags: 'TagA', keys: ['k1', 'k2'], flag: 7 },
    { topic, body: 'props', keys: 'one', properties: { a: '1', 'é': 'ü', z: '' } },
    { topic, body: 'timed', tags: 'T', deliverAt: BigInt(Date.now() + 200) },
  ]
  for (const msg of sent) await producer.send(msg)
  const pulled = await readAll(ferrocket, broker.addr, topic, sent.length)
  const byId = new Map(pulled.map((m) => [m.msgId, m]))
  for (const batch of [1, 3]) {
    const got = new Map()
    const consumer = new ferrocket.PushConsumer(
      fastConsumer(broker.addr, { consumeMessageBatchMaxSize: batch }))
    consumer.subscribe(topic)
    consumer.setListener((msgs) => {
      for (const m of msgs) got.set(m.msgId, m)
      return ConsumeResult.Success
    })
    await consumer.start()
    await waitFor(() => got.size === sent.length, `${sent.length} messages, ${batch} per call`)
    await consumer.shutdown()
    for (const [id, m] of got) {
      const want = byId.get(id)
      assert.ok(Buffer.isBuffer(m.body), 'body is a Buffer')
      assert.equal(typeof m.queueOffset, 'bigint')
      assert.deepEqual(Object.keys(m), Object.keys(want), 'same keys in the same order')
      assert.deepEqual(Object.keys(m.properties), Object.keys(want.properties))
      assert.deepEqual({ ...m, body: [...m.body] }, { ...want, body: [...want.body] })
      assert.equal(Object.getPrototypeOf(m), Object.prototype, 'a plain object')
    }
  }
})

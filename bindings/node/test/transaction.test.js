// Transaction scenarios of spec/scenarios.md: commit, rollback and check-back, against a real
// broker whose check-backs start after 500 ms.
'use strict'

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const ferrocket = require('ferrocket')
const { TransactionState, ConsumeResult } = ferrocket
const { startBroker, unique, waitFor, fastConsumer } = require('./helpers/broker.js')

let broker
const checked = []
let checkAnswer = TransactionState.Commit
let txProducer
let plain

before(async () => {
  broker = await startBroker({ transaction_timeout_ms: '500', transaction_check_interval_ms: '500' })
  txProducer = new ferrocket.TransactionProducer({
    group: unique('txg'),
    nameServer: broker.addr,
    check: async (msg) => {
      checked.push(msg)
      return checkAnswer
    },
  })
  await txProducer.start()
  plain = new ferrocket.Producer({ group: unique('pg'), nameServer: broker.addr })
  await plain.start()
})

after(async () => {
  await txProducer.shutdown()
  await plain.shutdown()
  await broker.stop()
})

/** A started consumer of `topic` collecting message bodies. */
async function collector(topic) {
  const bodies = []
  const consumer = new ferrocket.PushConsumer(fastConsumer(broker.addr))
  consumer.subscribe(topic)
  consumer.setListener((msgs) => {
    bodies.push(...msgs.map((m) => m.body.toString()))
    return ConsumeResult.Success
  })
  await consumer.start()
  return { bodies, consumer }
}

test('transaction_commit', async () => {
  const topic = unique('transaction_commit')
  await plain.send({ topic, body: 'warm-up' })
  const { bodies, consumer } = await collector(topic)
  let executed
  const result = await txProducer.sendInTransaction({ topic, body: 'committed', keys: 'tx-1' },
    async (msg) => {
      executed = msg
      return TransactionState.Commit
    })
  assert.equal(result.status, 'SEND_OK')
  assert.equal(result.localState, 'COMMIT')
  assert.equal(executed.body.toString(), 'committed')
  assert.deepEqual(executed.keys, ['tx-1'])
  await waitFor(() => bodies.includes('committed'), 'the committed message')
  await consumer.shutdown()
})

test('transaction_rollback', async () => {
  const topic = unique('transaction_rollback')
  await plain.send({ topic, body: 'warm-up' })
  const { bodies, consumer } = await collector(topic)
  checkAnswer = TransactionState.Rollback
  const rolled = await txProducer.sendInTransaction({ topic, body: 'rolled-back' },
    () => 'ROLLBACK')
  assert.equal(rolled.localState, 'ROLLBACK')
  // A later transaction's commit reaches the broker after the rollback (one connection, in
  // order), so once its message is delivered the rolled-back one is settled for good; a
  // check-back for it would be answered ROLLBACK too.
  const sentinel = await txProducer.sendInTransaction({ topic, body: 'sentinel' },
    () => TransactionState.Commit)
  assert.equal(sentinel.localState, 'COMMIT')
  await waitFor(() => bodies.includes('sentinel'), 'the committed sentinel')
  await consumer.shutdown()
  assert.ok(!bodies.includes('rolled-back'), 'a rolled-back message is never delivered')
  checkAnswer = TransactionState.Commit
})

test('transaction_check_back', async () => {
  const topic = unique('transaction_check_back')
  await plain.send({ topic, body: 'warm-up' })
  const { bodies, consumer } = await collector(topic)
  checkAnswer = TransactionState.Commit
  const unknown = await txProducer.sendInTransaction({ topic, body: 'decided-later' },
    async () => TransactionState.Unknown)
  assert.equal(unknown.localState, 'UNKNOWN')
  const thrown = await txProducer.sendInTransaction({ topic, body: 'execute-threw' }, () => {
    throw new Error('local transaction failed')
  })
  assert.equal(thrown.localState, 'UNKNOWN', 'a throwing execute leaves the outcome unknown')
  await waitFor(() => bodies.includes('decided-later') && bodies.includes('execute-threw'),
    'both messages after their check-backs')
  await consumer.shutdown()
  const ids = checked.map((m) => m.msgId)
  assert.ok(ids.includes(unknown.msgId), 'check was called for the unknown transaction')
  assert.ok(ids.includes(thrown.msgId), 'check was called for the failed execute')
  const asked = checked.find((m) => m.msgId === unknown.msgId)
  assert.equal(asked.body.toString(), 'decided-later')
})

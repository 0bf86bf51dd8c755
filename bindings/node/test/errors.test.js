// Error scenarios of spec/scenarios.md: an unreachable name server and invalid arguments give
// `FerrocketError`s with stable codes, never a hang.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const ferrocket = require('ferrocket')
const { FerrocketError, ErrorCode } = ferrocket

/** A local port with nothing listening on it. */
async function closedPort() {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Asserts `fn` throws (or rejects with) a FerrocketError with `code` whose message has `text`. */
async function assertFails(fn, code, text) {
  let error
  try {
    await fn()
  } catch (e) {
    error = e
  }
  assert.ok(error instanceof FerrocketError, `a FerrocketError, got ${error}`)
  assert.ok(error instanceof Error)
  assert.equal(error.name, 'FerrocketError')
  assert.equal(error.code, code)
  assert.equal(error.errno, Object.values(ErrorCode).indexOf(code) + 1)
  if (text) assert.match(error.message, text)
  return error
}

/** Sends once through a producer whose name server is `nameServer`; resolves to the error. */
async function failedSend(nameServer, sendTimeoutMs) {
  const producer = new ferrocket.Producer({ group: 'unreachable', nameServer, sendTimeoutMs })
  await producer.start()
  const started = Date.now()
  let error
  try {
    await producer.send({ topic: 'Nowhere', body: 'x' })
  } catch (e) {
    error = e
  }
  const took = Date.now() - started
  await producer.shutdown()
  assert.ok(error instanceof FerrocketError, `a FerrocketError, got ${error}`)
  assert.equal(error.retriable, true)
  assert.ok(took < sendTimeoutMs + 1000, `rejected after ${took} ms (send timeout ${sendTimeoutMs})`)
  return error
}

test('error_unreachable_namesrv', async () => {
  // Nothing listens: the connection is refused at once.
  const refused = await failedSend(`127.0.0.1:${await closedPort()}`, 1000)
  assert.ok(['CONNECTION', 'NO_ROUTE'].includes(refused.code), refused.code)
  assert.equal(refused.errno, refused.code === 'CONNECTION' ? 2 : 4)
  // A name server that accepts and never answers: the send times out, it does not hang.
  const sockets = []
  const silent = net.createServer((socket) => sockets.push(socket))
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve))
  try {
    const timedOut = await failedSend(`127.0.0.1:${silent.address().port}`, 1000)
    assert.equal(timedOut.code, ErrorCode.Timeout)
    assert.match(timedOut.message, /timed out/)
  } finally {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  }
})

test('error_invalid_arguments', async () => {
  assert.deepEqual(Object.values(ErrorCode), [
    'TIMEOUT', 'CONNECTION', 'BROKER', 'NO_ROUTE', 'INVALID_ARGUMENT', 'DECODE', 'ENCODE',
    'SHUT_DOWN', 'NOT_STARTED', 'ALREADY_STARTED', 'UNEXPECTED_RESPONSE',
  ], 'the stable codes, in ClientError::code() order')
  const invalid = ErrorCode.InvalidArgument
  await assertFails(() => new ferrocket.Producer({ group: 'g', sendTimeout: 5 }), invalid,
    /unknown producer option key `sendTimeout`/)
  await assertFails(() => new ferrocket.Producer({ group: 'bad group!' }), invalid, /bad group!/)
  await assertFails(() => new ferrocket.Producer({}), invalid, /group/)
  await assertFails(() => new ferrocket.Producer({ group: 'g', retryTimes: 'two' }), invalid,
    /retryTimes|retry_times/)
  await assertFails(() => new ferrocket.PushConsumer({ group: 'g', model: 'fanout' }), invalid,
    /model `fanout`/)
  await assertFails(() => new ferrocket.PullConsumer({ group: 'g', consumeFrom: 'start' }),
    invalid, /consumeFrom `start`/)
  const producer = new ferrocket.Producer({ group: 'g', nameServer: '127.0.0.1:1' })
  await assertFails(() => producer.send({ topic: 'T', body: 'x' }), ErrorCode.NotStarted)
  await producer.start()
  await assertFails(() => producer.send({ topic: 'bad topic', body: 'x' }), invalid,
    /bad topic/)
  await assertFails(() => producer.send({ topic: 'T', body: 'x', tag: 'A' }), invalid,
    /unknown message key `tag`/)
  await assertFails(() => producer.send({ topic: 'T', body: 'x', delayLevel: 300 }), invalid,
    /delayLevel/)
  await assertFails(() => producer.sendBatch([]), invalid, /empty/)
  await producer.shutdown()
  await assertFails(() => producer.send({ topic: 'T', body: 'x' }), ErrorCode.ShutDown)
  const consumer = new ferrocket.PushConsumer({ group: 'g', nameServer: '127.0.0.1:1' })
  await assertFails(() => consumer.subscribe('no spaces allowed'), invalid, /no spaces allowed/)
  await assertFails(() => consumer.start(), invalid, /setListener/)
})

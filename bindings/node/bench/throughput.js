// Node producer and push-listener throughput with 1 KiB messages, next to the Rust client's
// figures against the same broker in the same run (`cargo xtask bench-node` builds everything
// in release and runs this from a scratch project that installed the package).
//
// Environment: FERROCKET_BIN (the `ferrocket` binary), FERROCKET_PUSH_BENCH (the
// `push_listener_bench` example), BENCH_COUNT (messages per figure, default 100000),
// BENCH_CONCURRENCY (sends in flight for the second producer figure, default 16).
'use strict'

const { spawnSync } = require('node:child_process')
const ferrocket = require('ferrocket')
const { startBroker, waitFor } = require('../test/helpers/broker.js')

const COUNT = Number(process.env.BENCH_COUNT || 100_000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 16)
const BODY = Buffer.alloc(1024, 0x5a)

function rust(args) {
  const run = spawnSync(args[0], args.slice(1), { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`${args.join(' ')} failed:\n${run.stderr}`)
  return JSON.parse(run.stdout.trim().split('\n').pop())
}

function rustProducer(addr, topic, concurrency) {
  const out = rust([process.env.FERROCKET_BIN, 'bench', 'produce', '-n', addr, '-t', topic,
    '--size', '1024', '--count', String(COUNT), '--concurrency', String(concurrency), '--json'])
  return out.msgs_per_sec
}

async function nodeProducer(addr, topic, concurrency) {
  const producer = new ferrocket.Producer({ group: `bench_pg_${concurrency}`, nameServer: addr })
  await producer.start()
  await producer.send({ topic, body: BODY })
  let next = 1
  const started = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < COUNT) {
      next += 1
      await producer.send({ topic, body: BODY })
    }
  }))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  await producer.shutdown()
  return (COUNT - 1) / seconds
}

function rustListener(addr, topic, batch) {
  const args = [process.env.FERROCKET_PUSH_BENCH, addr, topic, String(COUNT), String(batch)]
  return rust(args).msgs_per_sec
}

async function nodeListener(addr, topic, batch) {
  let seen = 0
  const consumer = new ferrocket.PushConsumer({
    group: `bench_node_${process.pid}_${batch}`,
    nameServer: addr,
    consumeFrom: 'firstOffset',
    consumeMessageBatchMaxSize: batch,
  })
  consumer.subscribe(topic)
  consumer.setListener((msgs) => {
    seen += msgs.length
    return ferrocket.ConsumeResult.Success
  })
  const started = process.hrtime.bigint()
  await consumer.start()
  await waitFor(() => seen >= COUNT, `${COUNT} messages`, 300_000)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  await consumer.shutdown()
  return COUNT / seconds
}

async function main() {
  const broker = await startBroker({ segment_size: String(1 << 30) })
  const rows = []
  try {
    for (const c of [1, CONCURRENCY]) {
      const r = rustProducer(broker.addr, `BenchRust${c}`, c)
      const n = await nodeProducer(broker.addr, `BenchNode${c}`, c)
      rows.push([`producer send, ${c} in flight`, r, n])
    }
    const backlog = `BenchNode${CONCURRENCY}`
    for (const batch of [1, 32]) {
      const r = rustListener(broker.addr, backlog, batch)
      const n = await nodeListener(broker.addr, backlog, batch)
      rows.push([`push listener, no-op, ${batch} per call`, r, n])
    }
  } finally {
    await broker.stop()
  }
  console.log(`\n1 KiB messages, ${COUNT} per figure, one broker (msgs/s)`)
  console.log(`${'figure'.padEnd(36)}${'Rust client'.padStart(14)}${'Node SDK'.padStart(14)}${'Node/Rust'.padStart(11)}`)
  for (const [name, r, n] of rows) {
    const ratio = `${Math.round((100 * n) / r)} %`
    console.log(`${name.padEnd(36)}${Math.round(r).toString().padStart(14)}${Math.round(n).toString().padStart(14)}${ratio.padStart(11)}`)
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})

// Test harness: starts a real `ferrocket standalone` broker on 127.0.0.1:0 with a temporary
// data folder, and small helpers the scenario tests share (unique names, waiting for a
// condition with a deadline, a producer and consumers pointed at the broker).
//
// The broker binary is $FERROCKET_BIN (the xtask sets it); without it, it is built with cargo
// from the repository this package lives in ($FERROCKET_REPO, or two folders up).
'use strict'

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')

/** Short delay levels, so delay and retry scenarios take milliseconds, not minutes. */
const DELAY_LEVELS = '100ms 200ms 300ms 400ms 500ms 600ms 700ms 800ms 900ms 1s 1s 1s 1s 1s 1s 1s 1s 1s'

/** The repository root (for the broker's sources and spec/vectors). */
function repoRoot() {
  if (process.env.FERROCKET_REPO) return process.env.FERROCKET_REPO
  return path.resolve(__dirname, '..', '..', '..', '..')
}

function brokerBinary() {
  if (process.env.FERROCKET_BIN) return process.env.FERROCKET_BIN
  const root = repoRoot()
  const built = spawnSync('cargo', ['build', '--bin', 'ferrocket', '--message-format=short'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (built.status !== 0) throw new Error('cargo build --bin ferrocket failed')
  const target = process.env.CARGO_TARGET_DIR || path.join(root, 'target')
  return path.join(target, 'debug', 'ferrocket')
}

/**
 * Starts a broker; resolves to `{ addr, stop() }` once it prints its listening address.
 * `settings` are extra `--set key=value` pairs.
 */
async function startBroker(settings = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferrocket-node-'))
  const sets = {
    segment_size: '16777216',
    message_delay_level: DELAY_LEVELS,
    index_slot_count: '4096',
    index_entry_count: '65536',
    consume_queue_entries_per_file: '100000',
    ...settings,
  }
  const log = process.env.FERROCKET_BROKER_LOG || 'warn'
  const args = ['standalone', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--log', log]
  for (const [key, value] of Object.entries(sets)) args.push('--set', `${key}=${value}`)
  // The broker reads every FERROCKET_* variable as a setting and refuses unknown ones, so the
  // suite's own (FERROCKET_BIN, FERROCKET_REPO, FERROCKET_NODE_PROFILE…) are left out.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('FERROCKET_')))
  const child = spawn(brokerBinary(), args, { stdio: ['ignore', 'pipe', 'inherit'], env })
  const lines = readline.createInterface({ input: child.stdout })
  const addr = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('broker did not start within 30 s')), 30_000)
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)))
    lines.on('line', (line) => {
      const m = /^ferrocket listening on (\S+)$/.exec(line)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
  })
  return {
    addr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

let counter = 0
/** A name unique to this process: `<prefix>_<pid>_<n>` (topic and group names). */
function unique(prefix) {
  counter += 1
  return `${prefix}_${process.pid}_${counter}`
}

/** Resolves once `condition()` is truthy; rejects with `what` after `timeoutMs`. */
async function waitFor(condition, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Push consumer options that react fast (short rebalance, pull hold and offset periods). */
function fastConsumer(addr, extra = {}) {
  return {
    group: unique('cg'),
    nameServer: addr,
    consumeFrom: 'firstOffset',
    rebalanceIntervalMs: 1000,
    persistOffsetIntervalMs: 500,
    longPollMs: 1000,
    ...extra,
  }
}

/**
 * Reads `count` messages of `topic` from the beginning with a pull consumer, in the order they
 * came (resolves with them; rejects after `timeoutMs`).
 */
async function readAll(ferrocket, addr, topic, count, timeoutMs = 20_000) {
  const consumer = new ferrocket.PullConsumer({
    group: unique('reader'),
    nameServer: addr,
    consumeFrom: 'firstOffset',
    longPollMs: 500,
  })
  await consumer.subscribe(topic)
  await consumer.start()
  const got = []
  try {
    await waitFor(async () => {
      got.push(...(await consumer.poll(200)))
      return got.length >= count
    }, `${count} messages of ${topic}`, timeoutMs)
  } finally {
    await consumer.shutdown()
  }
  return got
}

module.exports = { startBroker, unique, waitFor, fastConsumer, readAll, repoRoot, DELAY_LEVELS }

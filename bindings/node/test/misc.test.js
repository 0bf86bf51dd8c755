// Node-only scenarios (spec/scenarios.md) and the shared `golden_vectors`: module formats,
// the TypeScript types, exiting after shutdown, the committed generated files, and decoding
// the golden record.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const ferrocket = require('ferrocket')
const { startBroker, unique, repoRoot } = require('./helpers/broker.js')

/** The folder of the installed package (a link resolves to the repository's folder). */
const packageDir = path.dirname(fs.realpathSync(require.resolve('ferrocket/package.json')))

test('golden_vectors', () => {
  const file = path.join(repoRoot(), 'spec', 'vectors', 'record.json')
  const vector = JSON.parse(fs.readFileSync(file, 'utf8'))
  const msg = ferrocket.MessageExt.fromRecord(Buffer.from(vector.hex, 'hex'))
  const v = vector.value
  assert.equal(msg.body.toString('hex'), v.body)
  assert.equal(msg.bornHost, v.born_host)
  assert.equal(msg.bornTimestamp, BigInt(v.born_timestamp_ms))
  assert.equal(msg.commitLogOffset, BigInt(v.commit_log_offset))
  assert.equal(msg.delayLevel, v.delay_level)
  assert.equal(msg.deliverAt, BigInt(v.deliver_at_ms))
  assert.equal(msg.flag, v.flag)
  assert.deepEqual(msg.keys, v.keys)
  assert.equal(msg.msgId, v.msg_id)
  assert.equal(msg.payloadCrc, v.payload_crc)
  assert.equal(msg.preparedTransactionOffset, BigInt(v.prepared_transaction_offset))
  assert.deepEqual(msg.properties, v.properties)
  assert.equal(msg.queueId, v.queue_id)
  assert.equal(msg.queueOffset, BigInt(v.queue_offset))
  assert.equal(msg.reconsumeTimes, v.reconsume_times)
  assert.equal(msg.storeHost, v.store_host)
  assert.equal(msg.storeSize, v.store_size)
  assert.equal(msg.storeTimestamp, BigInt(v.store_timestamp_ms))
  assert.equal(msg.sysFlag, v.sys_flag)
  assert.equal(msg.tags, v.tags)
  assert.equal(msg.topic, v.topic)
  const broken = Buffer.from(vector.hex, 'hex')
  broken[broken.length - 1] ^= 0xff
  assert.throws(() => ferrocket.MessageExt.fromRecord(broken),
    (e) => e instanceof ferrocket.FerrocketError && e.code === 'INVALID_ARGUMENT')
})

test('esm_and_commonjs_import', async () => {
  const cjs = require('ferrocket')
  const esm = await import('ferrocket')
  assert.equal(typeof cjs.Producer, 'function')
  for (const [name, value] of Object.entries(cjs)) {
    if (name.startsWith('__') || value === undefined) continue
    assert.equal(esm[name], value, `ESM exports ${name}`)
  }
  assert.equal(esm.default, cjs, 'the default export is the CommonJS module')
  assert.equal(esm.FerrocketError, cjs.FerrocketError)
  const script = "import { Producer, FerrocketError } from 'ferrocket'; " +
    "if (typeof Producer !== 'function' || typeof FerrocketError !== 'function') process.exit(3)"
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: process.cwd(),
    encoding: 'utf8',
  })
  assert.equal(run.status, 0, run.stderr)
})

test('typescript_example_checks', () => {
  let tsc
  for (const from of [process.cwd(), packageDir]) {
    try {
      tsc = require.resolve('typescript/bin/tsc', { paths: [from] })
      break
    } catch {
      // Not installed there; try the next place.
    }
  }
  assert.ok(tsc, 'typescript is installed (npm install typescript @types/node)')
  const example = path.join(__dirname, 'typescript', 'example.ts')
  const args = [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--types', 'node', '--skipLibCheck', 'false', example]
  const run = spawnSync(process.execPath, args, { cwd: process.cwd(), encoding: 'utf8' })
  assert.equal(run.status, 0, `tsc failed:\n${run.stdout}${run.stderr}`)
})

test('shutdown_exits_process', async () => {
  const broker = await startBroker()
  try {
    const child = spawn(process.execPath,
      [path.join(__dirname, 'fixtures', 'shutdown_child.js'), broker.addr, unique('exit')],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] })
    let shutDownAt = null
    child.stdout.on('data', (chunk) => {
      if (shutDownAt === null && chunk.toString().includes('shut down')) shutDownAt = Date.now()
    })
    const code = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error('the child did not exit within 60 s'))
      }, 60_000)
      child.on('exit', (c) => {
        clearTimeout(timer)
        resolve(c)
      })
    })
    const exitedAt = Date.now()
    assert.equal(code, 0)
    assert.ok(shutDownAt !== null, 'the child shut its clients down')
    const took = exitedAt - shutDownAt
    assert.ok(took < 2000, `exited ${took} ms after shutdown`)
  } finally {
    await broker.stop()
  }
})

test('generated_files_fresh', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ferrocket-napi-'))
  try {
    const run = spawnSync(process.execPath,
      [path.join(packageDir, 'scripts', 'build.js'), '--output-dir', out],
      { cwd: packageDir, encoding: 'utf8' })
    assert.equal(run.status, 0, `napi build failed:\n${run.stdout}${run.stderr}`)
    for (const file of ['index.js', 'index.d.ts']) {
      const fresh = fs.readFileSync(path.join(out, file), 'utf8')
      const committed = fs.readFileSync(path.join(packageDir, file), 'utf8')
      assert.ok(fresh === committed,
        `stale: regenerate ${file} with \`npm run build\` in bindings/node and commit it`)
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true })
  }
})

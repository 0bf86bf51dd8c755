// A typed example of the whole API; `typescript_example_checks` runs `tsc --noEmit --strict`
// on it against the installed package's index.d.ts (it is never run).
import {
  ConsumeResult,
  ErrorCode,
  FerrocketError,
  MessageExt,
  Producer,
  PullConsumer,
  PushConsumer,
  SendResult,
  SendStatus,
  TransactionProducer,
  TransactionState,
} from 'ferrocket'

export async function example(nameServer: string): Promise<bigint> {
  const producer = new Producer({ group: 'pg', nameServer, sendTimeoutMs: 3000 })
  await producer.start()
  const sent: SendResult = await producer.send({
    topic: 'Orders',
    body: Buffer.from('hello'),
    tags: 'TagA',
    keys: ['order-1'],
    properties: { region: 'eu' },
    delayLevel: 3,
  })
  if (sent.status !== SendStatus.SendOk && sent.status !== 'FLUSH_DISK_TIMEOUT') {
    throw new Error(sent.status)
  }
  const offset: bigint = sent.queueOffset
  await producer.sendOneway({ topic: 'Orders', body: 'x', deliverAt: Date.now() + 1000 })
  await producer.sendOrderly({ topic: 'Orders', body: 'y' }, 'order-1')
  const batch = await producer.sendBatch([{ topic: 'Orders', body: 'a' }, { topic: 'Orders', body: 'b' }])
  const ids: string[] = batch.msgIds

  const push = new PushConsumer({ group: 'cg', nameServer, orderly: false, model: 'clustering' })
  push.subscribe('Orders', 'TagA || TagB')
  push.subscribe('Audit', { sql: "region = 'eu'" })
  push.setListener(async (msgs: MessageExt[]) => {
    for (const m of msgs) {
      const body: Buffer = m.body
      const at: bigint = m.queueOffset
      void body, at, m.reconsumeTimes
    }
    return msgs.length > 0 ? ConsumeResult.Success : 'RECONSUME_LATER'
  })
  await push.start()
  await push.shutdown()

  const pull = new PullConsumer({ group: 'pull', nameServer, consumeFrom: 'firstOffset' })
  await pull.subscribe('Orders')
  await pull.start()
  for await (const msg of pull) {
    pull.seek(sent, msg.queueOffset)
    break
  }
  const polled: MessageExt[] = await pull.poll(100)
  await pull.commit()
  const committed: bigint | null = await pull.committed(pull.assignment()[0])
  await pull.shutdown()

  const tx = new TransactionProducer({
    group: 'txg',
    nameServer,
    check: async (msg: MessageExt) => (msg.keys.length > 0 ? TransactionState.Commit : 'UNKNOWN'),
  })
  await tx.start()
  const result = await tx.sendInTransaction({ topic: 'Orders', body: 'z' }, async () => TransactionState.Commit)
  const state: `${TransactionState}` = result.localState
  await tx.shutdown()

  try {
    await producer.send({ topic: 'bad topic', body: '' })
  } catch (e) {
    if (e instanceof FerrocketError && (e.code === ErrorCode.InvalidArgument || e.code === 'TIMEOUT')) {
      const retriable: boolean = e.retriable
      void retriable
    }
  }
  await producer.shutdown()
  void ids, polled, committed, state
  return offset
}

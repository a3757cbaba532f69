// PartitionReader when the log moves under it: a position below the log start (records deleted
// by retention or DeleteRecords while reading) is answered OFFSET_OUT_OF_RANGE with no offsets
// (-1, as Kafka answers), and the reader asks ListOffsets where to go on, as a consumer
// resetting its position does, and tells the person. (Before, it looped on offset 0 for good: hence
// the timeout.)
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { targetFrom } from '../src/args.ts'
import { topicMetadata, withAdmin } from '../src/kafka.ts'
import { PartitionReader } from '../src/partition-reader.ts'
import { type TestBroker, testBroker } from './support/cli.ts'

let kafka: TestBroker
before(async () => {
  kafka = await testBroker({ trimmed: 1 })
})
after(async () => {
  await kafka?.close()
})

test('a position below the log start resumes at the log start, with a note', {
  timeout: 60_000,
}, async () => {
  const { Producer } = await import('@platformatic/kafka')
  const producer = new Producer({ clientId: 'reader-test', bootstrapBrokers: [kafka.broker.bootstrap] })
  try {
    await producer.send({
      messages: Array.from({ length: 6 }, (_, i) => ({
        topic: 'trimmed',
        partition: 0,
        value: Buffer.from(`r${i}`),
      })),
    })
  } finally {
    await producer.close()
  }
  await kafka.admin.deleteRecords({
    topics: [{ name: 'trimmed', partitions: [{ partition: 0, offset: 4n }] }],
  })
  const target = targetFrom({ brokers: kafka.broker.bootstrap })
  const topic = await withAdmin(target, (admin) => topicMetadata(admin, 'trimmed'))
  const values: string[] = []
  const notes: string[] = []
  await new PartitionReader({
    target,
    topic,
    start: new Map([[0, 1n]]),
    exitAtEnd: true,
    onRecord: (r) => {
      values.push(`${r.offset}:${r.value?.toString()}`)
    },
    onNote: (text) => notes.push(text),
  }).run()
  assert.deepEqual(values, ['4:r4', '5:r5'])
  assert.deepEqual(notes, ['Offset 1 of partition 0 is no longer in the log; continuing from offset 4.'])
})

// Reads a partition from offset 0 to its high watermark with @platformatic/kafka's
// Consumer.fetch (no consumer group): used by tests to check what other clients produced.
import assert from 'node:assert/strict'
import { Consumer } from '@platformatic/kafka'
import type { ReadRecord } from './records.ts'

/** Every record of one partition (via the leader `node`) from `from` on, in offset order. */
export async function fetchPartition(
  consumer: Consumer,
  topicId: string,
  node: number,
  partition: number,
  expectedCount?: number,
  from = 0n,
): Promise<ReadRecord[]> {
  const out: ReadRecord[] = []
  let offset = from
  const deadline = Date.now() + 20_000
  for (;;) {
    const response = await consumer.fetch({
      node,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 4 * 1024 * 1024,
      topics: [
        {
          topicId,
          partitions: [
            {
              partition,
              fetchOffset: offset,
              partitionMaxBytes: 1024 * 1024,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        },
      ],
    })
    assert.equal(response.errorCode, 0)
    const part = response.responses[0].partitions[0]
    assert.equal(part.errorCode, 0, `partition ${partition} fetch error`)
    assert.equal(part.preferredReadReplica, -1)
    assert.equal(part.lastStableOffset, part.highWatermark)
    for (const batch of part.records ?? []) {
      for (const record of batch.records) {
        const at = batch.firstOffset + BigInt(record.offsetDelta)
        if (at < offset) continue // a batch can start before the offset asked for
        out.push({
          partition,
          offset: Number(at),
          key: record.key,
          value: record.value,
          headers: record.headers.map(([k, v]) => ({ key: k!.toString('utf8'), value: v })),
          timestamp: Number(batch.firstTimestamp + record.timestampDelta),
        })
        offset = at + 1n
      }
    }
    if (offset >= part.highWatermark) {
      if (expectedCount !== undefined) {
        assert.equal(Number(part.highWatermark), expectedCount, `high watermark of partition ${partition}`)
      }
      return out
    }
    if (Date.now() > deadline)
      throw new Error(`partition ${partition}: stuck at offset ${offset} of ${part.highWatermark}`)
  }
}

/** Every record of every partition of `topic`, partition by partition. */
export async function fetchTopic(bootstrap: string, topic: string): Promise<ReadRecord[]> {
  const consumer = new Consumer({
    clientId: 'runnel-test-reader',
    bootstrapBrokers: [bootstrap],
    groupId: 'unused-no-group-api',
    retries: 2,
    retryDelay: 100,
    timeout: 10_000,
  })
  try {
    const metadata = await consumer.metadata({ topics: [topic], forceUpdate: true })
    const t = metadata.topics.get(topic)
    if (!t) throw new Error(`no topic ${topic}`)
    const out: ReadRecord[] = []
    for (let p = 0; p < t.partitionsCount; p++) {
      for (const r of await fetchPartition(consumer, t.id, t.partitions[p].leader, p)) out.push(r)
    }
    return out
  } finally {
    await consumer.close()
  }
}

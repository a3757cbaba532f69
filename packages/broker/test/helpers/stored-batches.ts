// What the broker stores, seen from the wire: every batch of a topic, fetched raw (Fetch v11
// by name) and looked at without decoding records — to check, e.g., that a client really
// sent each codec it was asked to use.
import {
  batchAttributes,
  batchBaseOffset,
  batchLastOffsetDelta,
  compressionOf,
  iterateBatches,
} from '@runnel/protocol'
import { WireClient } from './wire-client.ts'

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** The compression codecs of the batches stored in `topic` (partitions 0..partitions-1). */
export async function storedCodecs(port: number, topic: string, partitions: number): Promise<Set<string>> {
  const codecs = new Set<string>()
  const c = await WireClient.connect(port)
  try {
    for (let partition = 0; partition < partitions; partition++) {
      let offset = 0n
      for (let round = 0; round < 10_000; round++) {
        const response = await c.request(1, 11, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 8 * 1024 * 1024,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic,
              partitions: [
                {
                  partition,
                  currentLeaderEpoch: -1,
                  fetchOffset: offset,
                  logStartOffset: -1n,
                  partitionMaxBytes: 4 * 1024 * 1024,
                },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        })
        const part = response.responses[0].partitions[0]
        if (part.errorCode !== 0)
          throw new Error(`fetch ${topic}/${partition} at ${offset}: error ${part.errorCode}`)
        const records = part.records as Buffer | null
        if (!records || records.length === 0) break
        for (const { pos } of iterateBatches(records)) {
          codecs.add(CODEC_NAMES[compressionOf(batchAttributes(records, pos))] ?? 'unknown')
          offset = batchBaseOffset(records, pos) + BigInt(batchLastOffsetDelta(records, pos)) + 1n
        }
        if (offset >= part.highWatermark) break
      }
    }
  } finally {
    c.close()
  }
  return codecs
}

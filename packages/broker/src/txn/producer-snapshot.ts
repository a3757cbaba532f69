// Producer state snapshots on disk: `<dataDir>/__producer_state/<topicId>-<partition>-<offset>.snapshot`,
// beside the storage's directories, never inside them. `offset` (20 digits, like segment names)
// is the log end offset the state describes: at start the state is the newest snapshot at or
// below the log end offset, plus a replay of the batch headers after it (producer-states.ts).
// Topics are named by id, so a topic deleted and created again never inherits its predecessor's
// producers.
//
// The body is JSON (small: a few hundred bytes per producer and per aborted transaction),
// written to a temporary file, fsynced and renamed into place, so a crash leaves the old
// snapshot or the new one, never half of one.
//
//   { "version": 1, "offset": N,
//     "producers": [[producerId, epoch, coordinatorEpoch, lastTimestamp, currentTxnFirstOffset,
//                    [[firstSeq, lastSeq, lastOffset, offsetDelta, timestamp], ...]], ...],
//     "aborted":   [[producerId, firstOffset, lastOffset, lastStableOffset], ...] }
import type { AbortedTxn, BatchMetadata, ProducerEntry, ProducerStateSnapshot } from './producer-state.ts'

export const PRODUCER_STATE_DIR = '__producer_state'
export const PRODUCER_IDS_FILE = 'producer-ids.json'
const SNAPSHOT_VERSION = 1
const NAME = /^([0-9a-fA-F-]{36})-(0|[1-9][0-9]{0,9})-([0-9]{20})\.snapshot$/

export interface SnapshotName {
  readonly topicId: string
  readonly partition: number
  readonly offset: number
}

export const partitionKey = (topicId: string, partition: number): string => `${topicId}-${partition}`

export function snapshotFileName(topicId: string, partition: number, offset: number): string {
  return `${partitionKey(topicId, partition)}-${String(offset).padStart(20, '0')}.snapshot`
}

/** Parses a snapshot file name; undefined for any other file. */
export function parseSnapshotFileName(name: string): SnapshotName | undefined {
  const m = NAME.exec(name)
  if (!m) return undefined
  return { topicId: m[1].toLowerCase(), partition: Number(m[2]), offset: Number(m[3]) }
}

export function encodeSnapshot(offset: number, snapshot: ProducerStateSnapshot): string {
  return JSON.stringify({
    version: SNAPSHOT_VERSION,
    offset,
    producers: snapshot.producers.map((p) => [
      String(p.producerId),
      p.producerEpoch,
      p.coordinatorEpoch,
      p.lastTimestamp,
      p.currentTxnFirstOffset,
      p.batches.map((b) => [b.firstSeq, b.lastSeq, b.lastOffset, b.offsetDelta, b.timestamp]),
    ]),
    aborted: snapshot.aborted.map((a) => [
      String(a.producerId),
      a.firstOffset,
      a.lastOffset,
      a.lastStableOffset,
    ]),
  })
}

/** Throws on anything that is not a snapshot this code wrote (the caller falls back to an older one). */
export function decodeSnapshot(text: string): { offset: number; snapshot: ProducerStateSnapshot } {
  const raw = JSON.parse(text) as {
    version: number
    offset: number
    producers: [string, number, number, number, number, number[][]][]
    aborted: [string, number, number, number][]
  }
  if (raw.version !== SNAPSHOT_VERSION) throw new Error(`unknown producer snapshot version ${raw.version}`)
  if (!Number.isSafeInteger(raw.offset) || raw.offset < 0) throw new Error('bad snapshot offset')
  const producers: ProducerEntry[] = raw.producers.map(
    ([pid, epoch, coordinatorEpoch, lastTimestamp, txn, batches]) => ({
      producerId: BigInt(pid),
      producerEpoch: epoch,
      coordinatorEpoch,
      lastTimestamp,
      currentTxnFirstOffset: txn,
      batches: batches.map(
        ([firstSeq, lastSeq, lastOffset, offsetDelta, timestamp]): BatchMetadata => ({
          firstSeq,
          lastSeq,
          lastOffset,
          offsetDelta,
          timestamp,
        }),
      ),
    }),
  )
  const aborted: AbortedTxn[] = raw.aborted.map(([pid, firstOffset, lastOffset, lastStableOffset]) => ({
    producerId: BigInt(pid),
    firstOffset,
    lastOffset,
    lastStableOffset,
  }))
  return { offset: raw.offset, snapshot: { producers, aborted } }
}

// Real keyed record batches for compaction tests (the opaque payloads of make-batch.ts cannot be
// compacted: the cleaner decodes keys), and a reader that lists what a log holds, record by record.
import assert from 'node:assert/strict'
import { type BuildBatchOptions, buildBatch, readBatch } from '@runnel/protocol'
import type { PartitionLog } from '../../src/storage/api.ts'

export interface KeyedRecord {
  /** null: a record without a key. */
  readonly key: string | null
  /** null: a tombstone. */
  readonly value: string | null
  readonly timestamp?: number
}

/** One batch of `records` (offsets 0..n-1 until the log assigns them). */
export function keyedBatch(
  records: readonly KeyedRecord[],
  options: Omit<BuildBatchOptions, 'records'> = {},
  timestamp = 1_700_000_000_000,
): Buffer {
  return buildBatch({
    ...options,
    records: records.map((r) => ({
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      timestamp: r.timestamp ?? timestamp,
    })),
  })
}

export interface StoredRecord {
  readonly offset: number
  readonly key: string | null
  readonly value: string | null
  readonly timestamp: number
}

export interface StoredBatch {
  readonly baseOffset: number
  readonly lastOffset: number
  readonly bytes: Buffer
  readonly records: StoredRecord[]
}

/** Every batch from logStartOffset to the log end, decoded. */
export function readStored(log: PartitionLog, from = log.logStartOffset): StoredBatch[] {
  const out: StoredBatch[] = []
  let offset = from
  while (offset < log.logEndOffset) {
    const r = log.read(offset, 1 << 20, { minOneBatch: true })
    assert.equal(r.kind, 'ok', `read(${offset}): ${r.kind}`)
    if (r.kind !== 'ok') break
    assert.ok(r.batches.length > 0, `no progress at ${offset}`)
    for (const bytes of r.batches) {
      const batch = readBatch(bytes, 0)
      assert.ok(batch.lastOffset >= offset, 'a read returned a batch wholly before the fetch offset')
      const records = [...batch.records()].map((rec) => ({
        offset: rec.offset,
        key: rec.key === null ? null : rec.key.toString(),
        value: rec.value === null ? null : rec.value.toString(),
        timestamp: rec.timestamp,
      }))
      out.push({ baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, bytes, records })
      offset = batch.lastOffset + 1
    }
  }
  return out
}

export const storedRecords = (log: PartitionLog): StoredRecord[] => readStored(log).flatMap((b) => b.records)

/** key -> the value of its last record (a tombstone reads as null) over `records`. */
export function latestByKey(records: readonly StoredRecord[]): Map<string, string | null> {
  const latest = new Map<string, string | null>()
  for (const r of records) if (r.key !== null) latest.set(r.key, r.value)
  return latest
}

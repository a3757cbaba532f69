// What log compaction keeps, batch by batch: Kafka's rules (Cleaner.cleanInto, Cleaner.
// shouldRetainRecord, MemoryRecords.filterTo), shared by the disk and memory logs so both give
// byte-identical results.
//
//   - A record is kept when it holds the latest offset of its key in the offset map, and is either
//     a value or a tombstone (null value) whose batch's delete horizon has not passed. A record
//     with a null key is dropped: compaction has nothing to keep it by (Kafka counts it invalid).
//   - The first time a kept batch holds a tombstone, it is rewritten with the delete-horizon
//     attribute bit set and baseTimestamp = now + delete.retention.ms (record timestamps stay the
//     same: their deltas are rewritten against the new base). A later cleaning after the horizon
//     drops the tombstone.
//   - A batch whose records all stay is written back byte for byte. One that loses some is rebuilt
//     with the same codec, base offset, last offset delta, producer id, epoch, base sequence and
//     partition leader epoch: offsets never move, and the last sequence of the batch survives.
//   - A batch that loses every record disappears, except (kept as a 61-byte header with no
//     records, as Kafka's RETAIN_EMPTY) the last data batch of a producer id in the round, so the
//     producer's sequence and epoch survive, and the last batch of a source segment: the cleaner
//     writes it only when that segment ends the cleaned one, so a cleaned segment still ends where
//     the next one starts (recovery relies on that; Kafka keeps the last batch of a round).
//   - Control batches (transaction markers) are kept as they are. Transactional data whose
//     transaction was aborted is dropped; data of a transaction whose marker is not in the round
//     yet is kept whole and stays out of the offset map (it may still be aborted).
import {
  Attributes,
  buildBatch,
  type CompressionType,
  CorruptRecordError,
  type KafkaRecord,
  Offsets,
  type RecordBatch,
  type RecordInput,
  readBatch,
  readControlRecord,
  TimestampType,
  writeBatchCrc,
} from '@runnel/protocol'
import type { OffsetMap } from './offset-map.ts'

/**
 * Facts about producers and transactions, gathered from every batch of a cleaning round (in
 * offset order) before anything is rewritten. Owned by one cleaning round.
 */
export class RoundFacts {
  /** producerId -> last offset of its last data batch in the round. */
  private readonly lastDataBatch = new Map<bigint, number>()
  /** producerId -> base offsets of its transactional batches not yet decided by a marker. */
  private readonly open = new Map<bigint, number[]>()
  /** Base offsets of transactional data batches whose transaction was aborted. */
  private readonly aborted = new Set<number>()
  /** Base offsets of transactional data batches with no marker in the round. */
  private readonly undecided = new Set<number>()
  private finished = false

  /** Feeds one batch, in offset order. */
  observe(batch: RecordBatch): void {
    const producerId = batch.producerId
    if (batch.isControl) {
      if (producerId < 0n) return
      const marker = controlType(batch)
      if (marker === 'ABORT') for (const base of this.open.get(producerId) ?? []) this.aborted.add(base)
      if (marker === 'ABORT' || marker === 'COMMIT') this.open.delete(producerId)
      return
    }
    if (producerId >= 0n) this.lastDataBatch.set(producerId, batch.lastOffset)
    if (batch.isTransactional && producerId >= 0n) {
      const pending = this.open.get(producerId)
      if (pending === undefined) this.open.set(producerId, [batch.baseOffset])
      else pending.push(batch.baseOffset)
    }
  }

  /** Ends the scan: transactions still open are undecided. */
  finish(): void {
    if (this.finished) return
    this.finished = true
    for (const bases of this.open.values()) for (const base of bases) this.undecided.add(base)
    this.open.clear()
  }

  isAborted(batch: RecordBatch): boolean {
    return batch.isTransactional && this.aborted.has(batch.baseOffset)
  }

  isUndecided(batch: RecordBatch): boolean {
    return batch.isTransactional && this.undecided.has(batch.baseOffset)
  }

  /** Whether this is the producer's last data batch in the round (it carries its last sequence). */
  isLastOfProducer(batch: RecordBatch): boolean {
    return batch.producerId >= 0n && this.lastDataBatch.get(batch.producerId) === batch.lastOffset
  }
}

function controlType(batch: RecordBatch): string {
  try {
    for (const record of batch.records()) return readControlRecord(record).type
  } catch (error) {
    if (!(error instanceof CorruptRecordError)) throw error
  }
  return 'UNKNOWN'
}

/**
 * Adds the keys of one batch of the dirty section to the map. Control batches, aborted
 * transactional data and undecided transactional data add nothing. Returns the records read, or
 * -1 when the batch does not decode (it is then kept as it is, and cannot shadow anything).
 */
export function addBatchToMap(map: OffsetMap, bytes: Buffer, facts: RoundFacts): number {
  const batch = readBatch(bytes, 0)
  if (batch.isControl || facts.isAborted(batch) || facts.isUndecided(batch)) return 0
  let n = 0
  try {
    for (const record of batch.records()) {
      n++
      if (record.key !== null) map.put(record.key, record.offset)
    }
  } catch (error) {
    if (!(error instanceof CorruptRecordError)) throw error
    return -1
  }
  return n
}

export interface FilterContext {
  readonly map: OffsetMap
  readonly facts: RoundFacts
  /** The cleaner's clock: tombstones whose horizon is at or before it go. */
  readonly now: number
  readonly deleteRetentionMs: number
  /** The next offset of the source segment: the batch ending there is kept at least as a header. */
  readonly segmentEnd: number
}

export interface FilterOutcome {
  /** What to write (the input itself when unchanged), or undefined when the batch goes. */
  readonly bytes: Buffer | undefined
  readonly recordsRead: number
  readonly recordsKept: number
  /** The delete horizon of a kept batch that still holds tombstones (when to clean again). */
  readonly tombstoneHorizon: number | undefined
  /** The batch did not decode and was kept as it is. */
  readonly corrupt: boolean
  /**
   * `bytes` is an empty header kept only because the batch ends its source segment: needed only
   * if the cleaned segment ends there too.
   */
  readonly onlyForSegmentEnd: boolean
}

const unchanged = (bytes: Buffer, corrupt: boolean): FilterOutcome => ({
  bytes,
  recordsRead: 0,
  recordsKept: 0,
  tombstoneHorizon: undefined,
  corrupt,
  onlyForSegmentEnd: false,
})

/** Applies the rules in the header to one stored batch (`bytes` is exactly one whole batch). */
export function filterBatch(bytes: Buffer, ctx: FilterContext): FilterOutcome {
  const batch = readBatch(bytes, 0)
  if (batch.isControl || ctx.facts.isUndecided(batch)) return unchanged(bytes, false)
  const dropAll = ctx.facts.isAborted(batch)
  const horizon = batch.hasDeleteHorizon ? batch.baseTimestamp : undefined
  const keepTombstones = horizon === undefined || ctx.now < horizon
  const kept: KafkaRecord[] = []
  let read = 0
  let tombstones = 0
  try {
    for (const record of batch.records()) {
      read++
      if (dropAll || record.key === null) continue
      if (ctx.map.get(record.key) > record.offset) continue // a later record has this key
      if (record.value === null) {
        if (!keepTombstones) continue
        tombstones++
      }
      kept.push(record)
    }
  } catch (error) {
    if (!(error instanceof CorruptRecordError)) throw error
    return unchanged(bytes, true)
  }

  if (kept.length === 0) {
    const forProducer = ctx.facts.isLastOfProducer(batch)
    const forSegmentEnd = batch.lastOffset + 1 === ctx.segmentEnd
    return {
      bytes: forProducer || forSegmentEnd ? emptyBatch(batch) : undefined,
      recordsRead: read,
      recordsKept: 0,
      tombstoneHorizon: undefined,
      corrupt: false,
      onlyForSegmentEnd: forSegmentEnd && !forProducer,
    }
  }
  const needsHorizon = tombstones > 0 && horizon === undefined
  if (kept.length === read && !needsHorizon) {
    return {
      bytes,
      recordsRead: read,
      recordsKept: read,
      tombstoneHorizon: tombstones > 0 ? horizon : undefined,
      corrupt: false,
      onlyForSegmentEnd: false,
    }
  }
  const newHorizon = needsHorizon ? ctx.now + ctx.deleteRetentionMs : horizon
  return {
    bytes: rebuild(batch, kept, newHorizon),
    recordsRead: read,
    recordsKept: kept.length,
    tombstoneHorizon: tombstones > 0 ? newHorizon : undefined,
    corrupt: false,
    onlyForSegmentEnd: false,
  }
}

/** The batch again with only `kept`, its offsets, producer fields and codec unchanged. */
function rebuild(batch: RecordBatch, kept: readonly KafkaRecord[], horizon: number | undefined): Buffer {
  const records: RecordInput[] = kept.map((r) => ({
    key: r.key,
    value: r.value,
    headers: r.headers,
    timestamp: r.timestamp,
    offsetDelta: r.offset - batch.baseOffset,
  }))
  const out = buildBatch({
    records,
    compression: batch.compression as CompressionType,
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    transactional: batch.isTransactional,
    timestampType: batch.timestampType,
    logAppendTime: batch.maxTimestamp,
    // With the delete-horizon bit, baseTimestamp holds the horizon and record deltas count from it.
    baseTimestamp: horizon,
    lastOffsetDelta: batch.lastOffsetDelta,
  })
  if (horizon !== undefined) {
    out.writeInt16BE(out.readInt16BE(Offsets.attributes) | Attributes.deleteHorizon, Offsets.attributes)
    writeBatchCrc(out, 0)
  }
  return out
}

/**
 * Kafka's empty batch header: no records, the original offsets, producer fields and max
 * timestamp, no base timestamp.
 */
function emptyBatch(batch: RecordBatch): Buffer {
  const out = buildBatch({
    records: [],
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    transactional: batch.isTransactional,
    timestampType: batch.timestampType,
    logAppendTime: batch.maxTimestamp,
    lastOffsetDelta: batch.lastOffsetDelta,
  })
  if (batch.timestampType === TimestampType.createTime) {
    out.writeBigInt64BE(BigInt(batch.maxTimestamp), Offsets.maxTimestamp)
    writeBatchCrc(out, 0)
  }
  return out
}

// The reference model of a partition log's read path, and the random inputs the property tests of
// read-path.property.test.ts feed to it and to the real logs. The model is the rule of ReadOptions
// written as plainly as possible over a list of stored batches: no segments, no indexes, no cache.
import { crc32c } from '@node-rs/crc32'
import { Attributes, BATCH_HEADER_SIZE, CompressionType } from '@runnel/protocol'
import fc from 'fast-check'
import { seededRandom } from './random.ts'

/** A batch as the log stores it: offsets assigned, bytes as a read returns them. */
export interface ModelBatch {
  readonly baseOffset: number
  readonly lastOffset: number
  readonly bytes: Buffer
}

export interface ReadQuery {
  readonly fetchOffset: number
  readonly maxBytes: number
  readonly minOne: boolean
  readonly upTo: number
}

/**
 * Whole batches from the first whose last offset is >= fetchOffset; stops before a batch whose last
 * offset is at or past upTo, and before one that takes the total past maxBytes unless it is the
 * first and minOne is set.
 */
export function modelRead(batches: readonly ModelBatch[], q: ReadQuery): Buffer[] {
  const out: Buffer[] = []
  let total = 0
  for (const b of batches) {
    if (b.lastOffset < q.fetchOffset) continue
    if (b.lastOffset >= q.upTo) break
    if (total + b.bytes.length > q.maxBytes && !(q.minOne && out.length === 0)) break
    out.push(b.bytes)
    total += b.bytes.length
  }
  return out
}

/** What kind of producer wrote a batch; storage keeps every kind byte for byte. */
export const BatchKind = {
  plain: 'plain',
  compressed: 'compressed',
  idempotent: 'idempotent',
  transactional: 'transactional',
  control: 'control',
} as const
export type BatchKind = (typeof BatchKind)[keyof typeof BatchKind]

export interface BatchSpec {
  readonly kind: BatchKind
  /** Whole size in bytes, >= 61 (a bare header). */
  readonly size: number
  /** Records the header claims: lastOffsetDelta = records - 1. */
  readonly records: number
  readonly seed: number
}

const T0 = 1_700_000_000_000

/**
 * An opaque v2 batch of exactly `spec.size` bytes with a valid header and CRC: storage never
 * decodes records on the read path, so the payload is filler (seeded, so batches differ).
 */
export function opaqueBatch(spec: BatchSpec, producerId = 1000n, sequence = 0): Buffer {
  const buf = Buffer.alloc(spec.size)
  const records = spec.records
  let attributes = 0
  let pid = -1n
  let epoch = -1
  let baseSequence = -1
  switch (spec.kind) {
    case BatchKind.compressed:
      attributes = [CompressionType.gzip, CompressionType.snappy, CompressionType.lz4, CompressionType.zstd][
        spec.seed & 3
      ]
      break
    case BatchKind.idempotent:
      pid = producerId
      epoch = 0
      baseSequence = sequence
      break
    case BatchKind.transactional:
      attributes = Attributes.transactional
      pid = producerId
      epoch = 0
      baseSequence = sequence
      break
    case BatchKind.control:
      attributes = Attributes.transactional | Attributes.control
      pid = producerId
      epoch = 0
      break
  }
  buf.writeInt32BE(spec.size - 12, 8)
  buf.writeInt32BE(-1, 12)
  buf.writeInt8(2, 16)
  buf.writeInt16BE(attributes, 21)
  buf.writeInt32BE(records - 1, 23)
  buf.writeBigInt64BE(BigInt(T0 + spec.seed), 27)
  buf.writeBigInt64BE(BigInt(T0 + spec.seed), 35)
  buf.writeBigInt64BE(pid, 43)
  buf.writeInt16BE(epoch, 51)
  buf.writeInt32BE(baseSequence, 53)
  buf.writeInt32BE(records, 57)
  for (let i = BATCH_HEADER_SIZE; i < spec.size; i++) buf[i] = (spec.seed * 131 + i * 7) & 0xff
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17)
  return buf
}

/** The stored form of `batch` at `baseOffset`, leader epoch 0 (what the log writes in place). */
export function storedForm(batch: Buffer, baseOffset: number): Buffer {
  const copy = Buffer.from(batch)
  copy.writeBigInt64BE(BigInt(baseOffset), 0)
  copy.writeInt32BE(0, 12)
  return copy
}

const MiB = 1024 * 1024

/**
 * Batch sizes the way producers make them: mostly small (a bare 61-byte header up to a few KiB),
 * some of tens of KiB, and now and then one of several MiB.
 */
export const batchSize = (maxLarge: number) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: BATCH_HEADER_SIZE, max: 600 }) },
    { weight: 5, arbitrary: fc.integer({ min: 601, max: 16 * 1024 }) },
    { weight: 2, arbitrary: fc.integer({ min: 16 * 1024, max: 256 * 1024 }) },
    { weight: 1, arbitrary: fc.integer({ min: 256 * 1024, max: maxLarge }) },
  )

export const batchSpec = (maxLarge: number): fc.Arbitrary<BatchSpec> =>
  fc
    .record({
      kind: fc.constantFrom(...Object.values(BatchKind)),
      size: batchSize(maxLarge),
      records: fc.oneof(
        { weight: 4, arbitrary: fc.constant(1) },
        { weight: 3, arbitrary: fc.integer({ min: 2, max: 500 }) },
        { weight: 1, arbitrary: fc.integer({ min: 501, max: 100_000 }) },
      ),
      seed: fc.integer({ min: 0, max: 0xffff }),
    })
    .map((s) => (s.kind === BatchKind.control ? { ...s, records: 1 } : s))

/** Appends: each one to many batches sent in one produce request. */
export const appendsOf = (maxLarge: number, maxAppends: number) =>
  fc.array(
    fc.array(batchSpec(maxLarge), { minLength: 1, maxLength: 6 }).map((specs) => ({ specs })),
    { minLength: 1, maxLength: maxAppends, size: 'max' },
  )

/** Log settings that put segment boundaries, index entries and the tail cache everywhere. */
export const logShape = fc.record({
  segmentBytes: fc.oneof(
    fc.integer({ min: 1024, max: 64 * 1024 }),
    fc.integer({ min: 64 * 1024, max: 2 * MiB }),
    fc.integer({ min: 2 * MiB, max: 16 * MiB }),
  ),
  indexIntervalBytes: fc.oneof(fc.constant(4096), fc.integer({ min: 1, max: 64 * 1024 })),
  tailCachePartitionBytes: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 256 * 1024 }),
    fc.constant(4 * MiB),
  ),
})

/** A seed for the reads done against a log: the queries are drawn from it once the log is known. */
export const readSeed = fc.integer({ min: 1, max: 0x7fffffff })

/**
 * Reads aimed where read paths break: fetch offsets at, inside and between batches; maxBytes at
 * batch ends plus or minus a header's worth (a read window ending inside a header), 1 MiB (a
 * librdkafka default), tiny, and random; upTo at the end or anywhere after the fetch offset.
 */
export function queriesFor(
  batches: readonly ModelBatch[],
  logStartOffset: number,
  logEndOffset: number,
  seed: number,
  count: number,
): ReadQuery[] {
  const rnd = seededRandom(seed)
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1))
  const out: ReadQuery[] = []
  const live = batches.filter((b) => b.lastOffset >= logStartOffset)
  for (let i = 0; i < count; i++) {
    let fetchOffset: number
    const pick = rnd()
    if (live.length === 0 || pick < 0.15) fetchOffset = int(logStartOffset, logEndOffset)
    else {
      const b = live[int(0, live.length - 1)]
      fetchOffset = pick < 0.6 ? b.baseOffset : int(b.baseOffset, b.lastOffset)
      fetchOffset = Math.max(fetchOffset, logStartOffset)
    }
    const from = live.findIndex((b) => b.lastOffset >= fetchOffset)
    let maxBytes: number
    const m = rnd()
    if (m < 0.45 && from >= 0) {
      // The end of a run of batches, nudged by up to a header's worth either way.
      const upto = int(from, Math.min(live.length - 1, from + int(0, 400)))
      let sum = 0
      for (let k = from; k <= upto; k++) sum += live[k].bytes.length
      maxBytes = Math.max(0, sum + int(-BATCH_HEADER_SIZE - 8, BATCH_HEADER_SIZE + 8))
    } else if (m < 0.6) maxBytes = MiB
    else if (m < 0.7) maxBytes = int(0, 200)
    else maxBytes = int(0, 8 * MiB)
    const upTo = rnd() < 0.75 ? logEndOffset : int(fetchOffset, logEndOffset)
    out.push({ fetchOffset, maxBytes, minOne: rnd() < 0.6, upTo })
  }
  return out
}

/** How many runs and which seed: fixed in `npm test`, chosen by the long run's script. */
export function propertySettings(defaultRuns: number): { numRuns: number; seed: number } {
  const runs = Number(process.env.RUNNEL_PROPERTY_RUNS ?? defaultRuns)
  const seed = Number(process.env.RUNNEL_PROPERTY_SEED ?? 0x5eed_1e55)
  return { numRuns: runs, seed }
}

// Time index of one segment, Kafka's `.timeindex` layout: entries of
//   timestamp: int64       (the segment's largest batch maxTimestamp so far)
//   relativeOffset: int32  (base offset of the first batch that reached it - segment base)
// big-endian, 12 bytes each. Timestamps strictly increase: an entry is added only when the
// running maximum grew. So for an entry (T, O) every batch before O has maxTimestamp < T, and a
// search for the first batch with maxTimestamp >= t can start at the last entry with T <= t.

export const TIME_INDEX_ENTRY_SIZE = 12
/** Kafka's RecordBatch.NO_TIMESTAMP. */
export const NO_TIMESTAMP = -1

export interface TimestampOffset {
  readonly timestamp: number
  readonly offset: number
}

export class TimeIndex {
  readonly baseOffset: number
  // Owned by the segment that holds this index; mutated only from its synchronous append path.
  private timestamps: Float64Array
  private relOffsets: Int32Array
  private count = 0

  constructor(baseOffset: number, capacity = 16) {
    this.baseOffset = baseOffset
    this.timestamps = new Float64Array(capacity)
    this.relOffsets = new Int32Array(capacity)
  }

  get entries(): number {
    return this.count
  }

  get sizeInBytes(): number {
    return this.count * TIME_INDEX_ENTRY_SIZE
  }

  entry(i: number): TimestampOffset {
    return { timestamp: this.timestamps[i], offset: this.baseOffset + this.relOffsets[i] }
  }

  lastEntry(): TimestampOffset | undefined {
    return this.count === 0 ? undefined : this.entry(this.count - 1)
  }

  /** Adds (timestamp, offset) when timestamp is larger than the last entry's; returns the bytes to write. */
  maybeAppend(timestamp: number, offset: number): Buffer | undefined {
    // An empty index behaves as if its last entry were (-1 = no timestamp, base offset), like Kafka's.
    const last = this.count > 0 ? this.timestamps[this.count - 1] : NO_TIMESTAMP
    if (timestamp <= last) return undefined
    if (this.count === this.timestamps.length) this.grow()
    const rel = offset - this.baseOffset
    this.timestamps[this.count] = timestamp
    this.relOffsets[this.count] = rel
    this.count++
    const bytes = Buffer.allocUnsafe(TIME_INDEX_ENTRY_SIZE)
    bytes.writeBigInt64BE(BigInt(timestamp), 0)
    bytes.writeInt32BE(rel, 8)
    return bytes
  }

  /** The last entry with timestamp <= `timestamp`, or undefined. */
  lookup(timestamp: number): TimestampOffset | undefined {
    let lo = 0
    let hi = this.count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.timestamps[mid] <= timestamp) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found < 0 ? undefined : this.entry(found)
  }

  toBytes(): Buffer {
    const buf = Buffer.allocUnsafe(this.sizeInBytes)
    for (let i = 0; i < this.count; i++) {
      buf.writeBigInt64BE(BigInt(this.timestamps[i]), i * 12)
      buf.writeInt32BE(this.relOffsets[i], i * 12 + 8)
    }
    return buf
  }

  /** Decodes a `.timeindex` file, or says why it is inconsistent (the caller checks the last offset). */
  static fromBytes(baseOffset: number, bytes: Buffer): TimeIndex | string {
    if (bytes.length % TIME_INDEX_ENTRY_SIZE !== 0) return `size ${bytes.length} is not a multiple of 12`
    const n = bytes.length / TIME_INDEX_ENTRY_SIZE
    const index = new TimeIndex(baseOffset, Math.max(16, n))
    let prevTs = NO_TIMESTAMP
    let prevRel = -1
    for (let i = 0; i < n; i++) {
      const ts = Number(bytes.readBigInt64BE(i * 12))
      const rel = bytes.readInt32BE(i * 12 + 8)
      if (ts <= prevTs || rel < prevRel) return `entry ${i} is not increasing`
      if (rel < 0) return `entry ${i} has a negative relative offset`
      index.timestamps[i] = ts
      index.relOffsets[i] = rel
      prevTs = ts
      prevRel = rel
    }
    index.count = n
    return index
  }

  private grow(): void {
    const cap = this.timestamps.length * 2
    const t = new Float64Array(cap)
    const r = new Int32Array(cap)
    t.set(this.timestamps)
    r.set(this.relOffsets)
    this.timestamps = t
    this.relOffsets = r
  }
}

// Sparse offset index of one segment, Kafka's `.index` layout: entries of
//   relativeOffset: int32 (batch base offset - segment base offset)
//   position: int32       (byte position of that batch in the .log file)
// big-endian, 8 bytes each, strictly increasing in both fields. An entry is added every
// `index.interval.bytes` of log (see segment-indexer.ts). A lookup gives the position of the
// last indexed batch at or before an offset; the reader scans batch headers forward from there.
// The entries live in memory (a segment's index is at most segment.index.bytes); the file is
// appended to by the segment and read back whole when the segment is opened.

export const OFFSET_INDEX_ENTRY_SIZE = 8

export interface OffsetPosition {
  readonly offset: number
  readonly position: number
}

export class OffsetIndex {
  readonly baseOffset: number
  // Owned by the segment that holds this index; mutated only from its synchronous append path.
  private relOffsets: Int32Array
  private positions: Int32Array
  private count = 0

  constructor(baseOffset: number, capacity = 16) {
    this.baseOffset = baseOffset
    this.relOffsets = new Int32Array(capacity)
    this.positions = new Int32Array(capacity)
  }

  get entries(): number {
    return this.count
  }

  get sizeInBytes(): number {
    return this.count * OFFSET_INDEX_ENTRY_SIZE
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.relOffsets[i], position: this.positions[i] }
  }

  lastEntry(): OffsetPosition | undefined {
    return this.count === 0 ? undefined : this.entry(this.count - 1)
  }

  /** Adds an entry and returns its 8 bytes, for the caller to write to the file. */
  append(offset: number, position: number): Buffer {
    if (this.count === this.relOffsets.length) this.grow()
    const rel = offset - this.baseOffset
    this.relOffsets[this.count] = rel
    this.positions[this.count] = position
    this.count++
    const bytes = Buffer.allocUnsafe(OFFSET_INDEX_ENTRY_SIZE)
    bytes.writeInt32BE(rel, 0)
    bytes.writeInt32BE(position, 4)
    return bytes
  }

  /** The last entry whose offset is <= `offset`; the segment start when there is none. */
  lookup(offset: number): OffsetPosition {
    const rel = offset - this.baseOffset
    let lo = 0
    let hi = this.count - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.relOffsets[mid] <= rel) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(found)
  }

  toBytes(): Buffer {
    const buf = Buffer.allocUnsafe(this.sizeInBytes)
    for (let i = 0; i < this.count; i++) {
      buf.writeInt32BE(this.relOffsets[i], i * 8)
      buf.writeInt32BE(this.positions[i], i * 8 + 4)
    }
    return buf
  }

  /** Decodes a `.index` file, or says why it is not a consistent index for a log of `logSize` bytes. */
  static fromBytes(baseOffset: number, bytes: Buffer, logSize: number): OffsetIndex | string {
    if (bytes.length % OFFSET_INDEX_ENTRY_SIZE !== 0) return `size ${bytes.length} is not a multiple of 8`
    const n = bytes.length / OFFSET_INDEX_ENTRY_SIZE
    const index = new OffsetIndex(baseOffset, Math.max(16, n))
    let prevRel = -1
    let prevPos = -1
    for (let i = 0; i < n; i++) {
      const rel = bytes.readInt32BE(i * 8)
      const pos = bytes.readInt32BE(i * 8 + 4)
      if (rel <= prevRel || pos <= prevPos) return `entry ${i} is not increasing`
      if (pos >= logSize) return `entry ${i} points at ${pos}, past the log's ${logSize} bytes`
      index.relOffsets[i] = rel
      index.positions[i] = pos
      prevRel = rel
      prevPos = pos
    }
    index.count = n
    return index
  }

  private grow(): void {
    const cap = this.relOffsets.length * 2
    const r = new Int32Array(cap)
    const p = new Int32Array(cap)
    r.set(this.relOffsets)
    p.set(this.positions)
    this.relOffsets = r
    this.positions = p
  }
}

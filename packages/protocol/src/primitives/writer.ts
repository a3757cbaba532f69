const CHUNK = 16 * 1024
/**
 * Most frames are small (a produce acknowledgement is ~60 bytes): the first chunk comes from
 * Node's shared buffer pool (allocations under 4 KiB), later ones are CHUNK-sized.
 */
const FIRST_CHUNK = 512
/** Byte fields at least this large are kept by reference rather than copied. */
const BY_REFERENCE = 1024

const HEX_VALUE: Record<string, number> = {}
for (let i = 0; i < 16; i++) {
  HEX_VALUE[i.toString(16)] = i
  HEX_VALUE[i.toString(16).toUpperCase()] = i
}

/**
 * Writes Kafka's primitive types, big-endian, into a list of chunks. Small values are copied
 * into the current chunk; large byte fields (record batches) are kept by reference, so a
 * response made of stored batches reaches the socket (writev) without being concatenated.
 * Chainable, the mirror of Reader.
 */
export class Writer {
  private chunks: Buffer[] = []
  private buf: Buffer
  private start = 0
  private pos = 0
  /** Bytes written so far, chunks and current buffer together. */
  length = 0

  constructor(initial = FIRST_CHUNK) {
    this.buf = Buffer.allocUnsafe(initial)
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    this.seal()
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, n))
    this.start = 0
    this.pos = 0
  }

  /** Moves what the current buffer holds into the chunk list. */
  private seal(): void {
    if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos))
    this.start = this.pos
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0)
  }
  int8(v: number): this {
    this.ensure(1)
    this.buf.writeInt8(v, this.pos)
    this.pos += 1
    this.length += 1
    return this
  }
  int16(v: number): this {
    this.ensure(2)
    this.buf.writeInt16BE(v, this.pos)
    this.pos += 2
    this.length += 2
    return this
  }
  uint16(v: number): this {
    this.ensure(2)
    this.buf.writeUInt16BE(v, this.pos)
    this.pos += 2
    this.length += 2
    return this
  }
  int32(v: number): this {
    this.ensure(4)
    this.buf.writeInt32BE(v, this.pos)
    this.pos += 4
    this.length += 4
    return this
  }
  uint32(v: number): this {
    this.ensure(4)
    this.buf.writeUInt32BE(v, this.pos)
    this.pos += 4
    this.length += 4
    return this
  }
  int64(v: bigint): this {
    this.ensure(8)
    this.buf.writeBigInt64BE(v, this.pos)
    this.pos += 8
    this.length += 8
    return this
  }
  float64(v: number): this {
    this.ensure(8)
    this.buf.writeDoubleBE(v, this.pos)
    this.pos += 8
    this.length += 8
    return this
  }

  uvarint(v: number): this {
    this.ensure(5)
    let n = v >>> 0
    const b = this.buf
    let p = this.pos
    while (n >= 0x80) {
      b[p++] = (n & 0x7f) | 0x80
      n >>>= 7
    }
    b[p++] = n
    this.length += p - this.pos
    this.pos = p
    return this
  }

  raw(bytes: Uint8Array): this {
    const n = bytes.length
    if (n >= BY_REFERENCE) {
      this.seal()
      this.chunks.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, n))
    } else {
      this.ensure(n)
      this.buf.set(bytes, this.pos)
      this.pos += n
    }
    this.length += n
    return this
  }

  private utf8(s: string, byteLength: number): void {
    this.ensure(byteLength)
    this.buf.write(s, this.pos, byteLength, 'utf8')
    this.pos += byteLength
    this.length += byteLength
  }

  nullableString(s: string | null | undefined): this {
    if (s == null) return this.int16(-1)
    const n = Buffer.byteLength(s)
    this.int16(n)
    this.utf8(s, n)
    return this
  }
  compactNullableString(s: string | null | undefined): this {
    if (s == null) return this.uvarint(0)
    const n = Buffer.byteLength(s)
    this.uvarint(n + 1)
    this.utf8(s, n)
    return this
  }
  nullableBytes(b: Uint8Array | null | undefined): this {
    if (b == null) return this.int32(-1)
    return this.int32(b.length).raw(b)
  }
  compactNullableBytes(b: Uint8Array | null | undefined): this {
    if (b == null) return this.uvarint(0)
    return this.uvarint(b.length + 1).raw(b)
  }

  /** A UUID in its 8-4-4-4-12 hex form. */
  uuid(s: string): this {
    this.ensure(16)
    let j = 0
    for (let i = 0; i < s.length && j < 16; i++) {
      const c = s[i]
      if (c === '-') continue
      this.buf[this.pos + j++] = (HEX_VALUE[c] << 4) | HEX_VALUE[s[++i]]
    }
    if (j !== 16) throw new TypeError(`not a UUID: ${s}`)
    this.pos += 16
    this.length += 16
    return this
  }

  /** Reserves 4 bytes for an int32 written later (a size prefix) and returns how to fill it. */
  reserveInt32(): (v: number) => void {
    this.ensure(4)
    const buf = this.buf
    const at = this.pos
    this.pos += 4
    this.length += 4
    return (v) => buf.writeInt32BE(v, at)
  }

  /** The written bytes as chunks, in order; the Writer must not be used afterwards. */
  chunksOut(): Buffer[] {
    this.seal()
    return this.chunks
  }

  /** The written bytes as one Buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.chunksOut()
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.length)
  }
}

import { ProtocolError } from '../errors.ts'

const UUID_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * Reads Kafka's primitive types from a Buffer, big-endian, front to back. Byte fields are
 * returned as slices of the input (no copies). Every read checks bounds and throws
 * ProtocolError('RUNNEL_PROTOCOL_TRUNCATED') past the end, so a truncated or lying frame can
 * never read outside its own bytes.
 */
export class Reader {
  readonly buf: Buffer
  pos: number
  readonly end: number

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }

  get remaining(): number {
    return this.end - this.pos
  }

  private need(n: number): number {
    const at = this.pos
    if (n < 0 || at + n > this.end) {
      throw new ProtocolError(
        'RUNNEL_PROTOCOL_TRUNCATED',
        `needed ${n} bytes at ${at}, have ${this.end - at}`,
      )
    }
    this.pos = at + n
    return at
  }

  bool(): boolean {
    return this.buf[this.need(1)] !== 0
  }
  int8(): number {
    return this.buf.readInt8(this.need(1))
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2))
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2))
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4))
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4))
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8))
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8))
  }

  /** Unsigned LEB128 varint, as flexible versions use for lengths and tags (at most 5 bytes). */
  uvarint(): number {
    let result = 0
    let shift = 0
    for (let i = 0; i < 5; i++) {
      const b = this.buf[this.need(1)]
      result |= (b & 0x7f) << shift
      if ((b & 0x80) === 0) return result >>> 0
      shift += 7
    }
    throw new ProtocolError('RUNNEL_PROTOCOL_MALFORMED', 'unsigned varint longer than 5 bytes')
  }

  /** Raw bytes as a slice of the input. */
  raw(n: number): Buffer {
    const at = this.need(n)
    return this.buf.subarray(at, at + n)
  }

  /** int16 length, -1 = null. */
  nullableString(): string | null {
    const n = this.int16()
    if (n < 0) return null
    const at = this.need(n)
    return this.buf.toString('utf8', at, at + n)
  }
  /** uvarint length + 1, 0 = null. */
  compactNullableString(): string | null {
    const n = this.uvarint() - 1
    if (n < 0) return null
    const at = this.need(n)
    return this.buf.toString('utf8', at, at + n)
  }
  /** int32 length, -1 = null. */
  nullableBytes(): Buffer | null {
    const n = this.int32()
    return n < 0 ? null : this.raw(n)
  }
  compactNullableBytes(): Buffer | null {
    const n = this.uvarint() - 1
    return n < 0 ? null : this.raw(n)
  }

  uuid(): string {
    const at = this.need(16)
    const b = this.buf
    let s = ''
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-'
      s += UUID_HEX[b[at + i]]
    }
    return s
  }

  /** Array length: int32 (-1 = null) or, compact, uvarint length + 1 (0 = null). */
  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32()
    // Each element takes at least one byte: a larger count is a lie, caught before allocating.
    if (n > this.remaining) {
      throw new ProtocolError(
        'RUNNEL_PROTOCOL_MALFORMED',
        `array of ${n} elements in ${this.remaining} bytes`,
      )
    }
    return n
  }
}

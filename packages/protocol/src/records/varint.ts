import { CorruptRecordError } from './corrupt-record-error.ts'

// The record format's own integers: signed zig-zag varints, Protocol Buffers style, low
// 7-bit group first; at most 5 bytes for a varint (int32) and 10 for a varlong (int64).
// Not the unsigned varints of flexible messages (primitives/reader.ts has those).
//
// Varlongs are JS numbers here: exact up to 2^52 in magnitude, which holds every timestamp
// delta and offset a real log has. Larger values are read approximately, never wrongly sized.

const INT32_MIN = -0x80000000
const INT32_MAX = 0x7fffffff

export const zigzagEncode32 = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0
export const zigzagDecode32 = (z: number): number => (z >>> 1) ^ -(z & 1)

export function sizeOfVarint(n: number): number {
  const z = ((n << 1) ^ (n >> 31)) >>> 0
  if (z < 0x80) return 1
  if (z < 0x4000) return 2
  if (z < 0x200000) return 3
  if (z < 0x10000000) return 4
  return 5
}

/** Writes `n` (an int32) at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80
    z >>>= 7
  }
  buf[pos++] = z
  return pos
}

// Inside the int32 range the 64-bit zig-zag value equals the 32-bit one, so the int32 code
// (bit operations, no floating point) serves the common case.

export function sizeOfVarlong(n: number): number {
  if (n >= INT32_MIN && n <= INT32_MAX) return sizeOfVarint(n)
  let z = n >= 0 ? n * 2 : -n * 2 - 1
  let size = 1
  while (z >= 0x80) {
    z = Math.floor(z / 0x80)
    size++
  }
  return size
}

/** Writes `n` (an integer, exact up to 2^52) at `pos`; returns the position after it. */
export function writeVarlong(buf: Buffer, pos: number, n: number): number {
  if (n >= INT32_MIN && n <= INT32_MAX) return writeVarint(buf, pos, n)
  let z = n >= 0 ? n * 2 : -n * 2 - 1
  while (z >= 0x80) {
    buf[pos++] = (z % 0x80) | 0x80
    z = Math.floor(z / 0x80)
  }
  buf[pos++] = z
  return pos
}

/** A read position; readers advance `pos`. The record iterator passes itself. */
export interface Cursor {
  buf: Buffer
  pos: number
}

/** Reads a varint at `cursor.pos`, never past `end`. Throws CorruptRecordError. */
export function readVarint(cursor: Cursor, end: number): number {
  const buf = cursor.buf
  let pos = cursor.pos
  let z = 0
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) throw new CorruptRecordError('varint runs past the end of its record')
    const b = buf[pos++]
    // At shift 28 the bits beyond 32 fall off, as in Kafka's ByteUtils.readVarint.
    z |= (b & 0x7f) << shift
    if (b < 0x80) {
      cursor.pos = pos
      return (z >>> 1) ^ -(z & 1)
    }
  }
  throw new CorruptRecordError('varint is longer than 5 bytes')
}

/** Reads a varlong at `cursor.pos`, never past `end`. Throws CorruptRecordError. */
export function readVarlong(cursor: Cursor, end: number): number {
  const buf = cursor.buf
  let pos = cursor.pos
  let z = 0
  let multiplier = 1
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new CorruptRecordError('varlong runs past the end of its record')
    const b = buf[pos++]
    z += (b & 0x7f) * multiplier
    if (b < 0x80) {
      cursor.pos = pos
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2
    }
    multiplier *= 0x80
  }
  throw new CorruptRecordError('varlong is longer than 10 bytes')
}

// Confluent's wire format for record keys and values: a magic byte 0, the schema id as a 4-byte
// big-endian integer, then the payload. Protobuf payloads start with the message indexes: the
// path to the message inside its file, as a zigzag-varint count and zigzag-varint indexes, with
// the common first message ([0]) written as the single byte 0.

import { RegistryError } from '../errors.ts'

export const MAGIC_BYTE = 0
export const HEADER_SIZE = 5

export function encodeWireFormat(
  schemaId: number,
  payload: Uint8Array,
  messageIndexes?: readonly number[],
): Buffer {
  const header = Buffer.alloc(HEADER_SIZE)
  header.writeUInt8(MAGIC_BYTE, 0)
  header.writeInt32BE(schemaId, 1)
  const parts: Uint8Array[] = [header]
  if (messageIndexes !== undefined) parts.push(encodeMessageIndexes(messageIndexes))
  parts.push(payload)
  return Buffer.concat(parts)
}

export interface WireRecord {
  schemaId: number
  /** Everything after the header (for Protobuf: message indexes, then the message). */
  payload: Buffer
}

export function decodeWireFormat(bytes: Uint8Array): WireRecord {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buffer.length < HEADER_SIZE) {
    throw new RegistryError(
      'SERDES_MALFORMED_PAYLOAD',
      `The record is ${buffer.length} bytes long; the Confluent wire format needs at least ${HEADER_SIZE} ` +
        '(magic byte 0 and a 4-byte schema id)',
    )
  }
  const magic = buffer.readUInt8(0)
  if (magic !== MAGIC_BYTE) {
    const start = JSON.stringify(buffer.subarray(0, 16).toString('latin1'))
    throw new RegistryError(
      'SERDES_BAD_MAGIC_BYTE',
      `Unknown magic byte 0x${magic.toString(16).padStart(2, '0')}: the record is not in the Confluent wire ` +
        `format (it starts with ${start})`,
    )
  }
  return { schemaId: buffer.readInt32BE(1), payload: buffer.subarray(HEADER_SIZE) }
}

function writeZigZagVarint(value: number, out: number[]): void {
  let zigzag = (value << 1) ^ (value >> 31)
  zigzag >>>= 0
  while (zigzag > 0x7f) {
    out.push((zigzag & 0x7f) | 0x80)
    zigzag >>>= 7
  }
  out.push(zigzag)
}

export function encodeMessageIndexes(indexes: readonly number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0])
  const out: number[] = []
  writeZigZagVarint(indexes.length, out)
  for (const index of indexes) writeZigZagVarint(index, out)
  return Buffer.from(out)
}

function readZigZagVarint(buffer: Buffer, offset: number): { value: number; offset: number } {
  let result = 0
  let shift = 0
  let position = offset
  for (;;) {
    if (position >= buffer.length) throw new RangeError('message indexes run past the end of the record')
    const byte = buffer[position++]
    result |= (byte & 0x7f) << shift
    if ((byte & 0x80) === 0) break
    shift += 7
    if (shift > 28) throw new RangeError('a message index is longer than 5 bytes')
  }
  const value = (result >>> 1) ^ -(result & 1)
  return { value, offset: position }
}

/** Reads the message indexes at the start of a Protobuf payload. */
export function decodeMessageIndexes(payload: Buffer): { indexes: number[]; message: Buffer } {
  const count = readZigZagVarint(payload, 0)
  if (count.value === 0) return { indexes: [0], message: payload.subarray(count.offset) }
  if (count.value < 0 || count.value > 100) {
    throw new RangeError(`the message index count ${count.value} is not plausible`)
  }
  const indexes: number[] = []
  let offset = count.offset
  for (let i = 0; i < count.value; i++) {
    const index = readZigZagVarint(payload, offset)
    if (index.value < 0) throw new RangeError(`message index ${index.value} is negative`)
    indexes.push(index.value)
    offset = index.offset
  }
  return { indexes, message: payload.subarray(offset) }
}

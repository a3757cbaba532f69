import { compressSync, uncompressSync } from 'snappy'
import { CorruptRecordError } from '../records/corrupt-record-error.ts'

// Kafka's snappy comes in two shapes, and a reader must take both:
// - the Java client writes snappy-java's framing (SnappyOutputStream): the 16-byte header
//   below, then blocks of [int32 BE compressed length][raw snappy], each block holding at
//   most 32 KiB of input;
// - librdkafka and kafkajs (kafkajs-snappy) write one plain raw-snappy block.
// All three readers (Java, librdkafka, kafkajs, kafka-python too) detect the framing by the
// magic and fall back to raw snappy. We write the Java shape, which every reader accepts.
//
//   magic: 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00   version: int32 = 1   compatible: int32 = 1

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_SIZE = 16
const XERIAL_VERSION = 1
const XERIAL_COMPATIBLE_VERSION = 1
/** snappy-java's default block size (SnappyOutputStream.DEFAULT_BLOCK_SIZE). */
const XERIAL_BLOCK_SIZE = 32 * 1024
/**
 * Raw snappy cannot expand by more than 64 output bytes per 3 input bytes (its longest copy
 * element), so a block claiming more than this ratio is lying; checked before the decoder
 * allocates what the block claims.
 */
const MAX_SNAPPY_RATIO = 22

export function compressSnappy(data: Buffer): Buffer {
  const blocks: Buffer[] = []
  let total = XERIAL_HEADER_SIZE
  // An empty input still gets one (empty) block: librdkafka only recognises the framing when
  // there is more than the header, and would otherwise try the 16 bytes as raw snappy.
  let offset = 0
  do {
    const block = compressSync(data.subarray(offset, offset + XERIAL_BLOCK_SIZE)) as Buffer
    blocks.push(block)
    total += 4 + block.length
    offset += XERIAL_BLOCK_SIZE
  } while (offset < data.length)

  const out = Buffer.allocUnsafe(total)
  XERIAL_MAGIC.copy(out, 0)
  out.writeInt32BE(XERIAL_VERSION, 8)
  out.writeInt32BE(XERIAL_COMPATIBLE_VERSION, 12)
  let pos = XERIAL_HEADER_SIZE
  for (const block of blocks) {
    out.writeInt32BE(block.length, pos)
    block.copy(out, pos + 4)
    pos += 4 + block.length
  }
  return out
}

export function decompressSnappy(data: Buffer, maxBytes: number): Buffer {
  return isXerialFramed(data, 0) ? decompressXerial(data, maxBytes) : decompressRawBlock(data, maxBytes)
}

function isXerialFramed(data: Buffer, pos: number): boolean {
  return data.length - pos >= XERIAL_HEADER_SIZE && data.compare(XERIAL_MAGIC, 0, 8, pos, pos + 8) === 0
}

/** The uncompressed length a raw snappy block declares in its preamble (unsigned varint). */
function rawSnappyLength(data: Buffer, start: number, end: number): number {
  let value = 0
  let multiplier = 1
  for (let pos = start; pos < end && pos < start + 5; pos++) {
    const b = data[pos]
    value += (b & 0x7f) * multiplier
    if (b < 0x80) {
      if (value > 0xffffffff) break
      if (value > (end - pos - 1) * MAX_SNAPPY_RATIO) {
        throw new CorruptRecordError(`snappy block of ${end - start} bytes claims ${value} bytes`)
      }
      return value
    }
    multiplier *= 128
  }
  throw new CorruptRecordError('snappy block has no valid length preamble')
}

function decompressRawBlock(block: Buffer, maxBytes: number): Buffer {
  const length = rawSnappyLength(block, 0, block.length)
  if (length > maxBytes)
    throw new CorruptRecordError(`snappy payload decompresses to more than ${maxBytes} bytes`)
  return uncompressSync(block, { asBuffer: true }) as Buffer
}

/**
 * Walks the framing, calling `block(start, end)` for each raw-snappy block. snappy-java also
 * reads a stream that is several framed streams concatenated (a header where a block length
 * is expected, unambiguous since 0x82 would make the length negative), so we do too.
 */
function forEachXerialBlock(data: Buffer, block: (start: number, end: number) => void): void {
  let pos = XERIAL_HEADER_SIZE
  while (pos < data.length) {
    if (isXerialFramed(data, pos)) {
      pos += XERIAL_HEADER_SIZE
      continue
    }
    if (data.length - pos < 4) throw new CorruptRecordError('snappy framing ends inside a block length')
    const length = data.readInt32BE(pos)
    pos += 4
    if (length < 0 || length > data.length - pos) {
      throw new CorruptRecordError(
        `snappy framing has a block of ${length} bytes with ${data.length - pos} left`,
      )
    }
    // An empty block holds nothing; skipping it is what snappy-java does too.
    if (length > 0) block(pos, pos + length)
    pos += length
  }
}

function decompressXerial(data: Buffer, maxBytes: number): Buffer {
  // First pass: the declared sizes, so the output is allocated once and bounded up front.
  let total = 0
  forEachXerialBlock(data, (start, end) => {
    total += rawSnappyLength(data, start, end)
    if (total > maxBytes)
      throw new CorruptRecordError(`snappy payload decompresses to more than ${maxBytes} bytes`)
  })
  const out = Buffer.allocUnsafe(total)
  let written = 0
  forEachXerialBlock(data, (start, end) => {
    const declared = rawSnappyLength(data, start, end)
    const part = uncompressSync(data.subarray(start, end), { asBuffer: true }) as Buffer
    if (part.length !== declared) {
      throw new CorruptRecordError(`snappy block declared ${declared} bytes, decoded ${part.length}`)
    }
    part.copy(out, written)
    written += declared
  })
  return out
}

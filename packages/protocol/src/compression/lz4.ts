import { compressFrameSync, decompressFrameSync } from 'lz4-napi'
import { CorruptRecordError } from '../records/corrupt-record-error.ts'

// Kafka batches of magic v2 use the standard LZ4 frame format (KIP-57 fixed the header
// checksum Kafka used to get wrong for magic 0). The Java client writes independent 64 KiB
// blocks without content size or checksums and rejects dependent (linked) blocks; librdkafka
// writes independent blocks; kafka-python writes independent blocks with the content size.
//
// lz4-napi writes independent blocks, no content size, no checksums: what all three read.
// Its decoder is strict about block contents and the header checksum, but it reads a
// frame cut short before or inside its header as an empty frame. So the frame's structure
// is walked here first (header, every block length, the end mark), and only a frame that is
// whole reaches the native decoder.
//
//   magic: uint32 LE 0x184D2204
//   FLG: version(2 bits, = 01) blockIndependence blockChecksum contentSize contentChecksum
//        reserved dictId
//   BD: reserved blockMaxSize(3 bits: 4 = 64 KiB .. 7 = 4 MiB) reserved(4 bits)
//   [contentSize: uint64 LE] [dictId: uint32 LE] headerChecksum: uint8
//   blocks: size uint32 LE (high bit = stored uncompressed), data, [blockChecksum: uint32]
//   endMark: uint32 = 0, [contentChecksum: uint32]

const LZ4_FRAME_MAGIC = 0x184d2204
const BLOCK_MAX_SIZES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024]

export function compressLz4(data: Buffer): Buffer {
  return compressFrameSync(data)
}

export function decompressLz4(data: Buffer, maxBytes: number): Buffer {
  const { contentSize, maxContentSize } = checkFrameStructure(data)
  if (contentSize > maxBytes)
    throw new CorruptRecordError(`lz4 frame declares ${contentSize} bytes, over ${maxBytes}`)
  if (contentSize > maxContentSize) {
    throw new CorruptRecordError(
      `lz4 frame declares ${contentSize} bytes, its blocks hold at most ${maxContentSize}`,
    )
  }
  const out = decompressFrameSync(data)
  if (out.length > maxBytes)
    throw new CorruptRecordError(`lz4 payload decompresses to more than ${maxBytes} bytes`)
  if (contentSize >= 0 && out.length !== contentSize) {
    throw new CorruptRecordError(`lz4 frame declares ${contentSize} bytes, decoded ${out.length}`)
  }
  return out
}

interface FrameStructure {
  /** As declared in the header, or -1 when the header does not say. */
  contentSize: number
  /** What the blocks can hold at most: stored blocks exactly, compressed ones the block maximum. */
  maxContentSize: number
}

/** Throws unless `data` is exactly one whole frame. */
function checkFrameStructure(data: Buffer): FrameStructure {
  const end = data.length
  if (end < 7) throw new CorruptRecordError(`lz4 frame of ${end} bytes is shorter than its header`)
  if (data.readUInt32LE(0) !== LZ4_FRAME_MAGIC)
    throw new CorruptRecordError('lz4 frame has a bad magic number')
  const flg = data[4]
  const bd = data[5]
  if (flg >> 6 !== 1) throw new CorruptRecordError(`lz4 frame version ${flg >> 6} is not 1`)
  const blockMaxSize = BLOCK_MAX_SIZES[(bd >> 4) & 7]
  if (blockMaxSize === 0)
    throw new CorruptRecordError(`lz4 frame has an invalid block size id ${(bd >> 4) & 7}`)
  const hasBlockChecksums = (flg & 0x10) !== 0
  const hasContentSize = (flg & 0x08) !== 0
  const hasContentChecksum = (flg & 0x04) !== 0
  const hasDictId = (flg & 0x01) !== 0

  let pos = 6
  let contentSize = -1
  if (hasContentSize) {
    if (end - pos < 8) throw new CorruptRecordError('lz4 frame ends inside its content size')
    const high = data.readUInt32LE(pos + 4)
    // 2^53 and above cannot be held exactly, and is far beyond any batch anyway.
    contentSize = high >= 0x200000 ? Number.MAX_SAFE_INTEGER : high * 0x100000000 + data.readUInt32LE(pos)
    pos += 8
  }
  if (hasDictId) pos += 4
  pos += 1 // header checksum, verified by the native decoder
  let maxContentSize = 0
  for (;;) {
    if (end - pos < 4) throw new CorruptRecordError('lz4 frame ends before its end mark')
    const word = data.readUInt32LE(pos)
    pos += 4
    if (word === 0) break
    const blockSize = word & 0x7fffffff
    if (blockSize > blockMaxSize) {
      throw new CorruptRecordError(`lz4 block of ${blockSize} bytes exceeds the frame's ${blockMaxSize}`)
    }
    maxContentSize += word & 0x80000000 ? blockSize : blockMaxSize
    pos += blockSize + (hasBlockChecksums ? 4 : 0)
    if (pos > end) throw new CorruptRecordError('lz4 frame ends inside a block')
  }
  if (hasContentChecksum) pos += 4
  if (pos !== end) {
    throw new CorruptRecordError(
      pos > end ? 'lz4 frame ends inside its checksum' : 'lz4 frame has trailing bytes',
    )
  }
  return { contentSize, maxContentSize }
}

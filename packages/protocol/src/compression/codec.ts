import { CompressionType } from '../records/batch-header.ts'
import { CorruptRecordError } from '../records/corrupt-record-error.ts'
import { compressGzip, decompressGzip } from './gzip.ts'
import { compressLz4, decompressLz4 } from './lz4.ts'
import { compressSnappy, decompressSnappy } from './snappy.ts'
import { compressZstd, decompressZstd } from './zstd.ts'

/**
 * The most a payload may decompress to unless told otherwise. A batch is decompressed whole
 * (no streaming), so a small hostile payload must not be able to demand unbounded memory;
 * librdkafka bounds the same thing with receive.message.max.bytes (100 MB by default).
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024

export interface DecompressOptions {
  /** Fail with CorruptRecordError rather than produce more than this many bytes. */
  maxDecompressedBytes?: number
}

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

export function compressionName(type: number): string {
  return CODEC_NAMES[type] ?? `unknown (${type})`
}

/** Compresses the records section of a batch. `none` returns `data` itself. */
export function compress(type: CompressionType, data: Buffer): Buffer {
  switch (type) {
    case CompressionType.none:
      return data
    case CompressionType.gzip:
      return compressGzip(data)
    case CompressionType.snappy:
      return compressSnappy(data)
    case CompressionType.lz4:
      return compressLz4(data)
    case CompressionType.zstd:
      return compressZstd(data)
    default:
      throw new RangeError(`unknown compression type ${type}`)
  }
}

/**
 * Decompresses the records section of a batch. `type` is the attributes' codec bits as read
 * (0..7), so an unknown codec is reported like any other corrupt payload. Every failure,
 * whatever the codec library threw, surfaces as CorruptRecordError (the library's error as
 * its `cause`).
 */
export function decompress(type: number, data: Buffer, options: DecompressOptions = {}): Buffer {
  const maxBytes = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES
  try {
    switch (type) {
      case CompressionType.none:
        return data
      case CompressionType.gzip:
        return decompressGzip(data, maxBytes)
      case CompressionType.snappy:
        return decompressSnappy(data, maxBytes)
      case CompressionType.lz4:
        return decompressLz4(data, maxBytes)
      case CompressionType.zstd:
        return decompressZstd(data, maxBytes)
      default:
        throw new CorruptRecordError(`unsupported compression type ${type}`)
    }
  } catch (err) {
    if (err instanceof CorruptRecordError) throw err
    throw new CorruptRecordError(
      `${compressionName(type)} payload does not decompress: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
}

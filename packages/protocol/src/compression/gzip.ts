import { constants as bufferConstants } from 'node:buffer'
import { gunzipSync, gzipSync } from 'node:zlib'
import { CorruptRecordError } from '../records/corrupt-record-error.ts'

// Kafka's gzip is a plain gzip stream (java.util.zip.GZIPOutputStream), so zlib reads and
// writes it as is. Level 6 is zlib's default and what the Java client uses.

export function compressGzip(data: Buffer): Buffer {
  return gzipSync(data)
}

export function decompressGzip(data: Buffer, maxBytes: number): Buffer {
  // zlib answers an empty input with an empty output; no gzip writer produces zero bytes.
  if (data.length === 0) throw new CorruptRecordError('gzip payload is empty')
  try {
    return gunzipSync(data, { maxOutputLength: Math.max(1, Math.min(maxBytes, bufferConstants.MAX_LENGTH)) })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new CorruptRecordError(`gzip payload decompresses to more than ${maxBytes} bytes`, { cause: err })
    }
    throw new CorruptRecordError(`gzip payload does not decompress: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

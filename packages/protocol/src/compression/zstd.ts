import { compress as zstdCompress } from 'zstd-napi'
import binding from 'zstd-napi/binding.js'
import { CorruptRecordError } from '../records/corrupt-record-error.ts'

// Kafka's zstd is a standard zstd frame. The Java client and zstd-napi's one-shot compressor
// write the content size in the frame header; librdkafka linked against a shared libzstd
// streams without it. zstd-napi's own decompress() falls back to streaming then, but returns
// whatever it got from a truncated frame without complaint and trusts a declared content
// size when allocating. So decompression drives the native stream here, the way librdkafka
// does: bounded output, and an error for truncation, garbage or a stalled stream.

const MIN_OUTPUT_CHUNK = 64 * 1024

/** One decompression context, reused: this is all synchronous, so never shared concurrently. */
let dctx: InstanceType<typeof binding.DCtx> | undefined

export function compressZstd(data: Buffer): Buffer {
  return zstdCompress(data)
}

export function decompressZstd(data: Buffer, maxBytes: number): Buffer {
  if (data.length === 0) throw new CorruptRecordError('zstd payload is empty')
  // Only the first frame's size is known here; more frames grow the output below.
  const declared = binding.getFrameContentSize(data)
  if (declared !== null && declared > maxBytes) {
    throw new CorruptRecordError(`zstd frame declares ${declared} bytes, over ${maxBytes}`)
  }
  dctx ??= new binding.DCtx()
  // Also clears whatever state a previous corrupt payload left behind.
  dctx.reset(binding.ResetDirective.sessionOnly)

  let out = Buffer.allocUnsafe(
    Math.min(maxBytes, Math.max(1, declared ?? Math.max(MIN_OUTPUT_CHUNK, data.length * 4))),
  )
  let inPos = 0
  let outPos = 0
  for (;;) {
    const [hint, produced, consumed] = dctx.decompressStream(out.subarray(outPos), data.subarray(inPos))
    inPos += consumed
    outPos += produced
    // 0 = a frame just ended; with input left, the next frame follows.
    if (hint === 0 && inPos === data.length) break
    if (outPos === out.length) {
      if (out.length >= maxBytes)
        throw new CorruptRecordError(`zstd payload decompresses to more than ${maxBytes} bytes`)
      const grown = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(out.length * 2, MIN_OUTPUT_CHUNK)))
      out.copy(grown, 0, 0, outPos)
      out = grown
    } else if (inPos === data.length) {
      throw new CorruptRecordError(`zstd payload is truncated (${hint} more bytes expected)`)
    } else if (produced === 0 && consumed === 0) {
      throw new CorruptRecordError(`zstd stream makes no progress at input byte ${inPos}`)
    }
  }
  return outPos === out.length ? out : out.subarray(0, outPos)
}

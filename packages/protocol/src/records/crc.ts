import { crc32c } from '@node-rs/crc32'
import { BATCH_HEADER_SIZE, CRC_START, LOG_OVERHEAD, Offsets } from './batch-header.ts'

// A batch's CRC-32C covers bytes [21, end): attributes to the last record. baseOffset,
// batchLength, partitionLeaderEpoch and magic lie outside it, which is why the broker can
// rewrite the first and the third without recomputing anything.

/** Size of the batch at `pos` if it lies whole inside `buf`, else -1. */
function wholeBatchSize(buf: Buffer, pos: number): number {
  if (!Number.isInteger(pos) || pos < 0 || buf.length - pos < BATCH_HEADER_SIZE) return -1
  const size = buf.readInt32BE(pos + Offsets.batchLength) + LOG_OVERHEAD
  return size >= BATCH_HEADER_SIZE && size <= buf.length - pos ? size : -1
}

/** CRC-32C of the batch at `pos` as it should be stored in its crc field. */
export function computeBatchCrc(buf: Buffer, pos = 0): number {
  const size = wholeBatchSize(buf, pos)
  if (size < 0) throw new RangeError(`no whole record batch at ${pos} in ${buf.length} bytes`)
  return crc32c(buf.subarray(pos + CRC_START, pos + size))
}

/** Whether the batch at `pos` is whole and its crc field matches its bytes. Never throws. */
export function batchCrcIsValid(buf: Buffer, pos = 0): boolean {
  const size = wholeBatchSize(buf, pos)
  if (size < 0) return false
  return crc32c(buf.subarray(pos + CRC_START, pos + size)) === buf.readUInt32BE(pos + Offsets.crc)
}

/** Recomputes and stores the crc field, after a change to bytes the CRC covers. */
export function writeBatchCrc(buf: Buffer, pos = 0): void {
  buf.writeUInt32BE(computeBatchCrc(buf, pos), pos + Offsets.crc)
}

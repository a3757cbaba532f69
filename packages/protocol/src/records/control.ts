import { Attributes } from './batch-header.ts'
import { encodeBatch } from './build-batch.ts'
import { CorruptRecordError } from './corrupt-record-error.ts'

// Control records sit alone in a batch with the control bit set (and, for transaction
// markers, the transactional bit). Their key and value are fixed big-endian structs:
//   key:   version: int16 (0), type: int16
//   value (ABORT and COMMIT, Kafka's EndTransactionMarker): version: int16 (0),
//          coordinatorEpoch: int32
// Types 2..6 belong to KRaft's own log; readers report any type they do not know as UNKNOWN.

export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const
export type ControlRecordTypeName = keyof typeof ControlRecordType | 'UNKNOWN'

const TYPE_NAMES = Object.keys(ControlRecordType) as (keyof typeof ControlRecordType)[]
const CONTROL_KEY_VERSION = 0
const END_TXN_MARKER_VERSION = 0

export interface ControlRecord {
  type: ControlRecordTypeName
  /** The key's version. */
  version: number
  /** Present for ABORT and COMMIT markers. */
  coordinatorEpoch?: number
}

export interface ControlBatchOptions {
  type: 'ABORT' | 'COMMIT'
  producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
  timestamp: number
  baseOffset?: number
  partitionLeaderEpoch?: number
}

/** One transaction marker in its own batch, as the transaction coordinator has it written. */
export function buildControlBatch(options: ControlBatchOptions): Buffer {
  const key = Buffer.allocUnsafe(4)
  key.writeInt16BE(CONTROL_KEY_VERSION, 0)
  key.writeInt16BE(ControlRecordType[options.type], 2)
  const value = Buffer.allocUnsafe(6)
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0)
  value.writeInt32BE(options.coordinatorEpoch, 2)
  return encodeBatch(
    {
      records: [{ key, value, timestamp: options.timestamp }],
      baseOffset: options.baseOffset ?? 0,
      partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
      producerId: options.producerId,
      producerEpoch: options.producerEpoch,
      transactional: true,
    },
    Attributes.control,
  )
}

/** Decodes a record read from a control batch. Throws CorruptRecordError on a short key or marker. */
export function readControlRecord(record: { key: Buffer | null; value: Buffer | null }): ControlRecord {
  const key = record.key
  if (key === null || key.length < 4)
    throw new CorruptRecordError('control record key is shorter than 4 bytes')
  const version = key.readInt16BE(0)
  if (version < 0) throw new CorruptRecordError(`control record key has version ${version}`)
  const type: ControlRecordTypeName = TYPE_NAMES[key.readInt16BE(2)] ?? 'UNKNOWN'
  if (type !== 'ABORT' && type !== 'COMMIT') return { type, version }
  // A newer marker version may append fields; the first two keep their places.
  const value = record.value
  if (value === null || value.length < 6) {
    throw new CorruptRecordError(`${type} marker value is shorter than 6 bytes`)
  }
  return { type, version, coordinatorEpoch: value.readInt32BE(2) }
}

// Public surface of record batches v2 (no I/O): reading, validating, building, control
// records, CRC-32C and the record format's varints.
export * from './batch-header.ts'
export {
  type BuildBatchOptions,
  buildBatch,
  type RecordHeaderInput,
  type RecordInput,
} from './build-batch.ts'
export {
  buildControlBatch,
  type ControlBatchOptions,
  type ControlRecord,
  ControlRecordType,
  type ControlRecordTypeName,
  readControlRecord,
} from './control.ts'
export { CorruptRecordError } from './corrupt-record-error.ts'
export { batchCrcIsValid, computeBatchCrc, writeBatchCrc } from './crc.ts'
export { type BatchLocation, iterateBatches } from './iterate-batches.ts'
export { stampLogAppendTime } from './log-append-time.ts'
export { type ReadBatchOptions, RecordBatch, readBatch } from './read-batch.ts'
export type { KafkaRecord, RecordHeader } from './record.ts'
export type { RecordIterator } from './record-iterator.ts'
export {
  BatchValidationCode,
  type ValidateBatchOptions,
  validateBatch,
} from './validate-batch.ts'
export {
  type Cursor,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
  zigzagDecode32,
  zigzagEncode32,
} from './varint.ts'

// The Kafka error code and message a storage failure answers with, for every handler that reads
// or writes a partition log (storage/errors.ts says which failure is which):
//   - the log is offline, closed, or the disk is full: KAFKA_STORAGE_ERROR (56), which clients retry;
//   - corrupt bytes met by this request: CORRUPT_MESSAGE (2);
//   - a defect met by this request (already logged with its stack): UNKNOWN_SERVER_ERROR (-1).
import { ErrorCode } from '@runnel/protocol'
import { type RequestFailure, StorageErrorCode, type StorageFailure } from '../storage/index.ts'

export function storageFailureCode(
  failure: StorageFailure | RequestFailure,
): [code: number, message: string] {
  if (failure.kind === 'storageError') return [ErrorCode.KAFKA_STORAGE_ERROR, failure.error.message]
  if (failure.error.code === StorageErrorCode.corruptData)
    return [ErrorCode.CORRUPT_MESSAGE, `The stored log is corrupt here: ${failure.error.message}`]
  return [ErrorCode.UNKNOWN_SERVER_ERROR, `The broker failed this request: ${failure.error.message}`]
}

/** Whether a result is one of the storage failures. */
export const isStorageFailure = (result: {
  readonly kind: string
}): result is StorageFailure | RequestFailure =>
  result.kind === 'storageError' || result.kind === 'requestFailed'

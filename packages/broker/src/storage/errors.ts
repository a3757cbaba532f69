// Errors thrown by the storage layer. Kafka error codes are data in responses, so storage
// reports expected outcomes (out of range, too large, offline log) as discriminated results;
// it throws only for caller bugs (a malformed batch handed to append, a bad config value) and
// for I/O failures on the async paths (flush, close), where a rejected promise is the result.
//
// What a failure does depends on what failed, never on where it was met:
//   - a file-system call failed (`io`, thrown by the guarded file system of file-system.ts): a full
//     disk or an exhausted process limit (ENOSPC, EDQUOT, EMFILE, ENFILE, ENOMEM, EAGAIN) fails the
//     one operation, which is undone, and the log serves on; any other errno (EIO, EROFS, ...), a
//     short read of bytes a file must hold, and every failed fsync take the log offline until restart;
//   - bytes on disk that are not what the log wrote (`corruptData`) fail the request that met them
//     (Kafka: CORRUPT_MESSAGE) and leave the log serving;
//   - anything else is a defect (`internal`): it fails that one request (Kafka: UNKNOWN_SERVER_ERROR),
//     is logged with its stack, and leaves the log serving.

import { RunnelError } from '@runnel/errors'

export const StorageErrorCode = {
  /** append() was given bytes that are not whole v2 batches: a bug in the caller's validation. */
  invalidBatch: 'RUNNEL_STORAGE_INVALID_BATCH',
  /** A LogConfig value is out of range. */
  invalidConfig: 'RUNNEL_STORAGE_INVALID_CONFIG',
  /** A topic name or partition number cannot name a directory. */
  invalidPartitionName: 'RUNNEL_STORAGE_INVALID_PARTITION_NAME',
  /** An I/O call failed; the log is offline until restart (Kafka: KAFKA_STORAGE_ERROR). */
  logOffline: 'RUNNEL_STORAGE_LOG_OFFLINE',
  /** The log or store was closed (or its topic deleted). */
  closed: 'RUNNEL_STORAGE_CLOSED',
  /** A persisted file (checkpoint, catalog) cannot be parsed. */
  corruptFile: 'RUNNEL_STORAGE_CORRUPT_FILE',
  /** A file-system call failed (its errno is in `errno`), or a file held fewer bytes than it must. */
  io: 'RUNNEL_STORAGE_IO_ERROR',
  /** A segment's bytes are not batches where the log wrote batches: that request fails (CORRUPT_MESSAGE). */
  corruptData: 'RUNNEL_STORAGE_CORRUPT_DATA',
  /** A defect met while serving one request: that request fails (UNKNOWN_SERVER_ERROR), the log serves on. */
  internal: 'RUNNEL_STORAGE_INTERNAL_ERROR',
} as const
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode]

export class StorageError extends RunnelError {
  declare readonly code: StorageErrorCode
  /** For `io`: the errno name of the failed call (ENOSPC, EIO, ...), or 'short read'. */
  readonly errno: string | undefined

  constructor(
    code: StorageErrorCode,
    message: string,
    options: { cause?: unknown; retriable?: boolean; errno?: string } = {},
  ) {
    super(code, message, options)
    this.name = 'StorageError'
    this.errno = options.errno
  }
}

/**
 * errnos that say a resource ran out, not that the device failed: the call did nothing lasting
 * (a write that failed part way is cut back by its caller), so the operation can fail alone and be
 * tried again once space or descriptors are free.
 */
const EXHAUSTED = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'ENOMEM', 'EAGAIN'])

export const isIoFailure = (error: unknown): error is StorageError =>
  error instanceof StorageError && error.code === StorageErrorCode.io

/** An I/O failure from an exhausted resource (a full disk, too many open files). */
export const isResourceExhausted = (error: unknown): boolean =>
  isIoFailure(error) && exhaustedErrno(error.errno)

export const exhaustedErrno = (errno: string | undefined): boolean =>
  errno !== undefined && EXHAUSTED.has(errno)

/** Corrupt bytes met by a read: the request fails, nothing else. */
export const corruptData = (message: string): StorageError =>
  new StorageError(StorageErrorCode.corruptData, message)

/** A file holds fewer bytes than the log knows it wrote there: the device or the file was damaged. */
export const shortRead = (path: string, position: number, wanted: number, got: number): StorageError =>
  new StorageError(
    StorageErrorCode.io,
    `short read of ${path}: ${got} of ${wanted} bytes at ${position}, which the log wrote`,
    { errno: 'short read' },
  )

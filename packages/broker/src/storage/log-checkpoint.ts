// The per-partition checkpoint file `log-offsets.checkpoint`: logStartOffset (moved by retention
// and DeleteRecords; must survive restarts), the recovery point (every segment below it is
// sealed and fsynced, so recovery after a crash only scans from there) and the log cleaner's first
// dirty offset (Kafka's cleaner-offset-checkpoint; optional, a file without it reads as 0). Kafka keeps both in
// per-directory files shared by all partitions; one small file per partition keeps a partition
// self-contained (deleting its directory deletes its state). Replaced atomically; concurrent saves
// share one write (group commit), and a save resolves once a write that started after it is durable.
import { join } from 'node:path'
import { StorageError, StorageErrorCode } from './errors.ts'
import { readWholeFile, writeFileAtomic } from './file-helpers.ts'
import { CHECKPOINT_FILE } from './file-names.ts'
import type { FileSystem } from './file-system.ts'
import { GroupCommit } from './group-commit.ts'

export interface LogCheckpointState {
  readonly logStartOffset: number
  readonly recoveryPoint: number
  /** Where the log cleaner stopped: everything below is compacted. */
  readonly firstDirtyOffset: number
}

const VERSION = 1

export function readLogCheckpoint(fs: FileSystem, dir: string): LogCheckpointState | undefined {
  const path = join(dir, CHECKPOINT_FILE)
  const bytes = readWholeFile(fs, path)
  if (bytes === undefined) return undefined
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>
    const { version, logStartOffset, recoveryPoint } = parsed
    const firstDirtyOffset = parsed.firstDirtyOffset ?? 0
    if (
      version === VERSION &&
      Number.isSafeInteger(logStartOffset) &&
      Number.isSafeInteger(recoveryPoint) &&
      Number.isSafeInteger(firstDirtyOffset) &&
      (logStartOffset as number) >= 0 &&
      (recoveryPoint as number) >= 0 &&
      (firstDirtyOffset as number) >= 0
    ) {
      return {
        logStartOffset: logStartOffset as number,
        recoveryPoint: recoveryPoint as number,
        firstDirtyOffset: firstDirtyOffset as number,
      }
    }
  } catch {
    // fall through
  }
  throw new StorageError(StorageErrorCode.corruptFile, `cannot parse ${path}`)
}

export class LogCheckpointFile {
  private readonly fs: FileSystem
  private readonly path: string
  private readonly current: () => LogCheckpointState
  private readonly writer: GroupCommit
  // Owned by this file: what the last completed write put on disk.
  private written: LogCheckpointState | undefined

  /** `current` is read when a write starts, so one write covers every change made before it. */
  constructor(fs: FileSystem, dir: string, current: () => LogCheckpointState, initial?: LogCheckpointState) {
    this.fs = fs
    this.path = join(dir, CHECKPOINT_FILE)
    this.current = current
    this.written = initial
    this.writer = new GroupCommit(() => this.write())
  }

  /** Persists the current state (no-op when unchanged since the last write). */
  save(): Promise<void> {
    const now = this.current()
    if (
      this.written !== undefined &&
      this.written.logStartOffset === now.logStartOffset &&
      this.written.recoveryPoint === now.recoveryPoint &&
      this.written.firstDirtyOffset === now.firstDirtyOffset &&
      this.writer.idle
    ) {
      return Promise.resolve()
    }
    this.writer.markDirty()
    return this.writer.request()
  }

  /** What the last completed write put on disk (or what was read at open). */
  get durable(): LogCheckpointState | undefined {
    return this.written
  }

  settled(): Promise<void> {
    return this.writer.settled()
  }

  private async write(): Promise<void> {
    const state = this.current()
    const body = JSON.stringify({ version: VERSION, ...state })
    await writeFileAtomic(this.fs, this.path, Buffer.from(body + '\n', 'utf8'))
    this.written = state
  }
}

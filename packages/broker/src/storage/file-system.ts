// The file-system seam: every disk operation the storage layer performs goes through this
// interface, so tests can substitute a FaultyFileSystem that crashes at a chosen operation,
// tears the write in progress and models power loss. Writes, reads and metadata calls are
// synchronous (an append returns once the OS has the bytes, as acks=1 needs); only the calls
// that wait for the device (fsync, directory sync, recursive removal) are asynchronous, so a
// group commit never blocks the event loop.
import * as fs from 'node:fs'
import * as fsp from 'node:fs/promises'
import { exhaustedErrno, StorageError, StorageErrorCode } from './errors.ts'

export const OpenFlags = {
  /** Existing file, read only. */
  read: 'r',
  /** Existing file, read and write. */
  readWrite: 'r+',
  /** New file (fails if it exists), read and write. */
  createNew: 'wx+',
  /** Create or truncate, read and write. */
  createOrTruncate: 'w+',
} as const
export type OpenFlags = (typeof OpenFlags)[keyof typeof OpenFlags]

export interface FileStat {
  readonly size: number
  readonly mtimeMs: number
  readonly isDirectory: boolean
}

export interface FileSystem {
  open(path: string, flags: OpenFlags): number
  close(fd: number): void
  /** Positioned read; returns the bytes read (fewer only at end of file). */
  read(fd: number, into: Uint8Array, offset: number, length: number, position: number): number
  /** Positioned write of all of `data` (loops over short writes). */
  write(fd: number, data: Uint8Array, position: number): void
  /** Current size of an open file. */
  size(fd: number): number
  truncate(fd: number, length: number): void
  /** Makes the file's data durable (fdatasync is not enough for a growing file: size is metadata). */
  fsync(fd: number): Promise<void>
  /** Makes directory entries (created, renamed, removed files) durable. */
  syncDir(path: string): Promise<void>
  /** mkdir -p */
  mkdir(path: string): void
  readdir(path: string): string[]
  stat(path: string): FileStat | undefined
  /** Atomic replace of `to` (POSIX rename). */
  rename(from: string, to: string): void
  unlink(path: string): void
  /** rm -rf, off the event loop. */
  removeTree(path: string): Promise<void>
}

/** The real file system: thin wrappers over node:fs. */
export const nodeFileSystem: FileSystem = {
  open: (path, flags) => fs.openSync(path, flags),
  close: (fd) => fs.closeSync(fd),
  read: (fd, into, offset, length, position) => {
    let done = 0
    while (done < length) {
      const n = fs.readSync(fd, into, offset + done, length - done, position + done)
      if (n === 0) break
      done += n
    }
    return done
  },
  write: (fd, data, position) => {
    let done = 0
    while (done < data.length) {
      done += fs.writeSync(fd, data, done, data.length - done, position + done)
    }
  },
  size: (fd) => fs.fstatSync(fd).size,
  truncate: (fd, length) => fs.ftruncateSync(fd, length),
  fsync: (fd) =>
    new Promise<void>((resolve, reject) => {
      fs.fsync(fd, (err) => (err ? reject(err) : resolve()))
    }),
  syncDir: async (path) => {
    const handle = await fsp.open(path, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  },
  mkdir: (path) => {
    fs.mkdirSync(path, { recursive: true })
  },
  readdir: (path) => fs.readdirSync(path),
  stat: (path) => {
    const st = fs.statSync(path, { throwIfNoEntry: false })
    return st === undefined
      ? undefined
      : { size: st.size, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory() }
  },
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (path) => fs.unlinkSync(path),
  removeTree: (path) => fsp.rm(path, { recursive: true, force: true }),
}

const GUARDED = Symbol('guarded')

/** What a failed file-system call is: its errno when it has one (a Node SystemError does). */
function errnoOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'EIO'
}

function ioError(error: unknown, call: string, what: string): StorageError {
  if (error instanceof StorageError) return error
  const errno = errnoOf(error)
  const message = error instanceof Error ? error.message : String(error)
  return new StorageError(StorageErrorCode.io, `${call}(${what}) failed: ${message}`, {
    cause: error,
    errno,
    retriable: exhaustedErrno(errno),
  })
}

/**
 * `fs` with every failure turned into StorageError(io) carrying the errno: storage tells an I/O
 * failure from a defect by what threw, at this one seam (errors.ts says what each one does). The
 * disk log store wraps whatever file system it is given in this.
 */
export function guardedFileSystem(fs: FileSystem): FileSystem {
  if ((fs as { [GUARDED]?: true })[GUARDED]) return fs
  // Errors name the file, not the descriptor.
  const paths = new Map<number, string>()
  const name = (target: unknown) =>
    typeof target === 'number' ? (paths.get(target) ?? `descriptor ${target}`) : String(target)
  const guard =
    <A extends unknown[], R>(call: string, f: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return f(...args)
      } catch (error) {
        throw ioError(error, call, name(args[0]))
      }
    }
  const guardAsync =
    <A extends unknown[]>(call: string, f: (...args: A) => Promise<void>) =>
    (...args: A): Promise<void> => {
      let pending: Promise<void>
      try {
        pending = f(...args)
      } catch (error) {
        return Promise.reject(ioError(error, call, name(args[0])))
      }
      return pending.catch((error: unknown) => {
        throw ioError(error, call, name(args[0]))
      })
    }
  const guarded: FileSystem & { [GUARDED]: true } = {
    [GUARDED]: true,
    open: guard('open', (path, flags) => {
      const fd = fs.open(path, flags)
      paths.set(fd, path)
      return fd
    }),
    close: guard('close', (fd) => {
      fs.close(fd)
      paths.delete(fd)
    }),
    read: guard('read', (fd, into, offset, length, position) => fs.read(fd, into, offset, length, position)),
    write: guard('write', (fd, data, position) => fs.write(fd, data, position)),
    size: guard('size', (fd) => fs.size(fd)),
    truncate: guard('truncate', (fd, length) => fs.truncate(fd, length)),
    fsync: guardAsync('fsync', (fd: number) => fs.fsync(fd)),
    syncDir: guardAsync('syncDir', (path: string) => fs.syncDir(path)),
    mkdir: guard('mkdir', (path) => fs.mkdir(path)),
    readdir: guard('readdir', (path) => fs.readdir(path)),
    stat: guard('stat', (path) => fs.stat(path)),
    rename: guard('rename', (from, to) => fs.rename(from, to)),
    unlink: guard('unlink', (path) => fs.unlink(path)),
    removeTree: guardAsync('removeTree', (path: string) => fs.removeTree(path)),
  }
  return guarded
}

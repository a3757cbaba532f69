// A FileSystem for crash tests: it passes every call to an inner file system (normally the real
// one, on a temp directory) and can
//   - crash at the n-th mutating operation (open-to-create, write, truncate, fsync, syncDir,
//     rename, unlink, mkdir, removeTree): a write writes a random prefix of its data (a torn
//     write) and then throws CrashError; any other call throws without doing anything. From
//     then on every call throws CrashError: the process is dead.
//   - model power loss afterwards (simulatePowerLoss): bytes written but not covered by a
//     completed fsync are cut at a random point (and may come back as zeros), files and
//     directories created since their parent directory was last synced may vanish, and renames
//     not yet covered by a directory sync may be undone (the old target comes back).
// Simplifications, on the pessimistic side where it matters: an fsync still running at the crash
// counts as not done; unlink and truncate are durable at once (the storage layer never relies on
// either for durability).
import { dirname } from 'node:path'
import type { FileStat, FileSystem, OpenFlags } from './file-system.ts'

export class CrashError extends Error {
  override readonly name = 'CrashError'
  readonly code = 'RUNNEL_TEST_CRASH'
}

export interface FaultyFileSystemOptions {
  /** Crash at this mutating operation (1-based). Undefined: never crash on its own (call crash()). */
  readonly crashAtOperation?: number
  /** Uniform [0, 1) source; pass a seeded one for reproducible runs. */
  readonly random?: () => number
}

interface FileState {
  path: string
  /** Highest byte written + 1. */
  size: number
  /** Bytes covered by a completed fsync. */
  durableSize: number
  /** Directory-entry sequence number while the entry is not yet covered by a syncDir of its parent. */
  unsyncedEntry: number | undefined
}

interface PendingRename {
  from: string
  to: string
  seq: number
  /** Content and state of the file `to` replaced, if any. */
  previous: { bytes: Buffer; state: FileState } | undefined
}

export class FaultyFileSystem implements FileSystem {
  private readonly inner: FileSystem
  private readonly random: () => number
  private crashAt: number | undefined
  /** Mutating operations performed so far. */
  operations = 0
  crashed = false
  private seq = 0
  private readonly files = new Map<string, FileState>()
  private readonly fds = new Map<number, FileState>()
  private readonly newDirs = new Map<string, number>()
  private renames: PendingRename[] = []

  constructor(inner: FileSystem, options: FaultyFileSystemOptions = {}) {
    this.inner = inner
    this.random = options.random ?? Math.random
    this.crashAt = options.crashAtOperation
  }

  /** Crash now: every later call throws. */
  crash(): void {
    this.crashed = true
  }

  private alive(): void {
    if (this.crashed) throw new CrashError('the process crashed')
  }

  /** Counts a mutating operation; true when this one is the crash point. */
  private step(): boolean {
    this.alive()
    this.operations++
    if (this.crashAt !== undefined && this.operations >= this.crashAt) {
      this.crashed = true
      return true
    }
    return false
  }

  /** A descriptor this file system did not open (or already closed) is a bug in the caller. */
  private known(fd: number): FileState {
    const state = this.fds.get(fd)
    if (state === undefined) throw new Error(`EBADF: descriptor ${fd} is not open`)
    return state
  }

  private stateOf(path: string, fd?: number): FileState {
    let state = this.files.get(path)
    if (state === undefined) {
      const size = fd !== undefined ? this.inner.size(fd) : (this.inner.stat(path)?.size ?? 0)
      state = { path, size, durableSize: size, unsyncedEntry: undefined }
      this.files.set(path, state)
    }
    return state
  }

  open(path: string, flags: OpenFlags): number {
    const creates = flags === 'wx+' || flags === 'w+'
    if (!creates) {
      this.alive()
      const fd = this.inner.open(path, flags)
      this.fds.set(fd, this.stateOf(path, fd))
      return fd
    }
    if (this.step()) throw new CrashError('crash at open')
    const existed = this.inner.stat(path) !== undefined
    const fd = this.inner.open(path, flags)
    const state = this.stateOf(path, fd)
    state.size = 0
    state.durableSize = 0
    if (!existed) state.unsyncedEntry = ++this.seq
    this.fds.set(fd, state)
    return fd
  }

  close(fd: number): void {
    this.alive()
    this.known(fd)
    this.fds.delete(fd)
    this.inner.close(fd)
  }

  read(fd: number, into: Uint8Array, offset: number, length: number, position: number): number {
    this.alive()
    this.known(fd)
    return this.inner.read(fd, into, offset, length, position)
  }

  write(fd: number, data: Uint8Array, position: number): void {
    this.alive()
    const state = this.known(fd)
    if (this.step()) {
      const torn = Math.floor(this.random() * data.length)
      if (torn > 0) {
        this.inner.write(fd, data.subarray(0, torn), position)
        state.size = Math.max(state.size, position + torn)
      }
      throw new CrashError(`torn write: ${torn} of ${data.length} bytes`)
    }
    this.inner.write(fd, data, position)
    state.size = Math.max(state.size, position + data.length)
  }

  size(fd: number): number {
    this.alive()
    this.known(fd)
    return this.inner.size(fd)
  }

  truncate(fd: number, length: number): void {
    this.alive()
    const state = this.known(fd)
    if (this.step()) throw new CrashError('crash at truncate')
    this.inner.truncate(fd, length)
    state.size = length
    state.durableSize = Math.min(state.durableSize, length)
  }

  async fsync(fd: number): Promise<void> {
    this.alive()
    const state = this.known(fd)
    if (this.step()) throw new CrashError('crash at fsync')
    const covered = state.size
    await this.inner.fsync(fd)
    if (this.crashed) throw new CrashError('crashed while fsync was running')
    if (covered > state.durableSize) state.durableSize = covered
  }

  async syncDir(path: string): Promise<void> {
    if (this.step()) throw new CrashError('crash at syncDir')
    const upTo = this.seq
    await this.inner.syncDir(path)
    if (this.crashed) throw new CrashError('crashed while syncDir was running')
    for (const state of this.files.values()) {
      if (state.unsyncedEntry !== undefined && state.unsyncedEntry <= upTo && dirname(state.path) === path)
        state.unsyncedEntry = undefined
    }
    for (const [dir, seq] of this.newDirs) if (seq <= upTo && dirname(dir) === path) this.newDirs.delete(dir)
    this.renames = this.renames.filter((r) => !(r.seq <= upTo && dirname(r.to) === path))
  }

  mkdir(path: string): void {
    if (this.inner.stat(path) !== undefined) {
      this.alive()
      return
    }
    if (this.step()) throw new CrashError('crash at mkdir')
    // Record every level mkdir -p creates.
    const created: string[] = []
    for (let p = path; this.inner.stat(p) === undefined && dirname(p) !== p; p = dirname(p)) created.push(p)
    this.inner.mkdir(path)
    for (const p of created) this.newDirs.set(p, ++this.seq)
  }

  readdir(path: string): string[] {
    this.alive()
    return this.inner.readdir(path)
  }

  stat(path: string): FileStat | undefined {
    this.alive()
    return this.inner.stat(path)
  }

  rename(from: string, to: string): void {
    if (this.step()) throw new CrashError('crash at rename')
    let previous: PendingRename['previous']
    const target = this.inner.stat(to)
    if (target !== undefined && !target.isDirectory) {
      const bytes = readAll(this.inner, to)
      previous = { bytes, state: { ...this.stateOf(to), path: to } }
    }
    this.inner.rename(from, to)
    this.files.delete(to)
    this.movePaths(from, to)
    this.renames.push({ from, to, seq: ++this.seq, previous })
  }

  unlink(path: string): void {
    if (this.step()) throw new CrashError('crash at unlink')
    this.inner.unlink(path)
    this.files.delete(path)
  }

  async removeTree(path: string): Promise<void> {
    if (this.step()) throw new CrashError('crash at removeTree')
    for (const p of [...this.files.keys()]) if (p === path || p.startsWith(path + '/')) this.files.delete(p)
    await this.inner.removeTree(path)
  }

  private movePaths(from: string, to: string): void {
    for (const [p, state] of [...this.files]) {
      if (p === from || p.startsWith(from + '/')) {
        this.files.delete(p)
        state.path = to + p.slice(from.length)
        this.files.set(state.path, state)
      }
    }
    for (const [dir, seq] of [...this.newDirs]) {
      if (dir === from || dir.startsWith(from + '/')) {
        this.newDirs.delete(dir)
        this.newDirs.set(to + dir.slice(from.length), seq)
      }
    }
  }

  /**
   * After a crash: what the disk might hold once power comes back (see the header). Works on the
   * inner file system directly. Call releaseDescriptors() too before reopening.
   */
  async simulatePowerLoss(): Promise<void> {
    this.crashed = true
    // 1. Renames not covered by a directory sync: undone or kept, at random, newest first.
    for (const r of [...this.renames].reverse()) {
      if (this.inner.stat(r.to) === undefined) continue
      if (this.random() < 0.5) {
        this.inner.rename(r.to, r.from)
        this.movePaths(r.to, r.from)
        if (r.previous !== undefined) {
          writeAll(this.inner, r.to, r.previous.bytes)
          this.files.set(r.to, {
            ...r.previous.state,
            size: r.previous.bytes.length,
            durableSize: r.previous.bytes.length,
          })
        }
      } else {
        const state = this.files.get(r.to)
        if (state !== undefined) state.unsyncedEntry = undefined
      }
    }
    this.renames = []
    // 2. Entries created since their directory's last sync may vanish.
    for (const state of [...this.files.values()]) {
      if (
        state.unsyncedEntry !== undefined &&
        this.random() < 0.5 &&
        this.inner.stat(state.path) !== undefined
      ) {
        this.inner.unlink(state.path)
        this.files.delete(state.path)
      }
    }
    for (const dir of [...this.newDirs.keys()].sort((a, b) => a.length - b.length)) {
      if (this.inner.stat(dir) !== undefined && this.random() < 0.5) {
        await this.inner.removeTree(dir)
        for (const p of [...this.files.keys()]) if (p.startsWith(dir + '/')) this.files.delete(p)
      }
    }
    this.newDirs.clear()
    // 3. Unsynced bytes: cut at a random point, and sometimes a run of them reads back as zeros.
    for (const state of this.files.values()) {
      const st = this.inner.stat(state.path)
      if (st === undefined || st.isDirectory) continue
      const size = Math.min(state.size, st.size)
      if (size <= state.durableSize) continue
      const keep = state.durableSize + Math.floor(this.random() * (size - state.durableSize + 1))
      const fd = this.inner.open(state.path, 'r+')
      try {
        this.inner.truncate(fd, keep)
        if (keep > state.durableSize && this.random() < 0.3) {
          const from = state.durableSize + Math.floor(this.random() * (keep - state.durableSize))
          this.inner.write(fd, Buffer.alloc(keep - from), from)
        }
      } finally {
        this.inner.close(fd)
      }
      state.size = keep
    }
  }

  /** Closes every descriptor the dead process left open (on the inner file system). */
  releaseDescriptors(): void {
    for (const fd of this.fds.keys()) {
      try {
        this.inner.close(fd)
      } catch {
        // already closed
      }
    }
    this.fds.clear()
  }
}

function readAll(fs: FileSystem, path: string): Buffer {
  const fd = fs.open(path, 'r')
  try {
    const size = fs.size(fd)
    const buf = Buffer.alloc(size)
    fs.read(fd, buf, 0, size, 0)
    return buf
  } finally {
    fs.close(fd)
  }
}

function writeAll(fs: FileSystem, path: string, bytes: Buffer): void {
  const fd = fs.open(path, 'w+')
  try {
    fs.write(fd, bytes, 0)
  } finally {
    fs.close(fd)
  }
}

// A FileSystem that counts calls (and can hold fsyncs until released), for tests that assert
// what touches the disk: hot fetches, group commit.
import type { FileSystem } from '../../src/storage/file-system.ts'

export interface Counts {
  reads: number
  writes: number
  fsyncs: number
  syncDirs: number
  /** `writes` at the moment each fsync started. */
  writesAtFsync: number[]
}

export function countingFileSystem(inner: FileSystem): {
  fs: FileSystem
  counts: Counts
  reset(): void
  /** While held, fsyncs wait for release(). */
  hold(): void
  release(): void
} {
  const counts: Counts = { reads: 0, writes: 0, fsyncs: 0, syncDirs: 0, writesAtFsync: [] }
  let held: (() => void)[] | undefined
  const gate = () => (held === undefined ? Promise.resolve() : new Promise<void>((r) => held?.push(r)))
  const fs: FileSystem = {
    ...inner,
    read: (fd, into, offset, length, position) => {
      counts.reads++
      return inner.read(fd, into, offset, length, position)
    },
    write: (fd, data, position) => {
      counts.writes++
      inner.write(fd, data, position)
    },
    fsync: async (fd) => {
      counts.fsyncs++
      counts.writesAtFsync.push(counts.writes)
      await gate()
      await inner.fsync(fd)
    },
    syncDir: async (path) => {
      counts.syncDirs++
      await gate()
      await inner.syncDir(path)
    },
  }
  return {
    fs,
    counts,
    reset: () => {
      counts.reads = 0
      counts.writes = 0
      counts.fsyncs = 0
      counts.syncDirs = 0
      counts.writesAtFsync = []
    },
    hold: () => {
      held ??= []
    },
    release: () => {
      const waiting = held ?? []
      held = undefined
      for (const r of waiting) r()
    },
  }
}

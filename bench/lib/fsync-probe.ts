// What one fsync costs on the file system that holds the broker's data: a transaction waits
// for several in a row, so this bounds how many a producer can commit per second. Appends 4 KiB
// and fsyncs, as the broker's segments do, in a scratch directory next to the data directory.
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { spread } from './stats.ts'

export interface FsyncProbe {
  fsyncs: number
  medianMs: number
  minMs: number
  maxMs: number
}

/** `count` appends of 4 KiB, each followed by fsync, in a scratch directory under `parent`. */
export function probeFsync(parent: string, count = 50): FsyncProbe {
  const dir = mkdtempSync(join(parent, 'runnel-bench-fsync-'))
  const fd = openSync(join(dir, 'probe'), 'a')
  const block = Buffer.alloc(4096, 'f')
  const ms: number[] = []
  try {
    for (let i = 0; i < count; i++) {
      writeSync(fd, block)
      const t0 = performance.now()
      fsyncSync(fd)
      ms.push(performance.now() - t0)
    }
  } finally {
    closeSync(fd)
    rmSync(dir, { recursive: true, force: true })
  }
  const s = spread(ms)
  const round = (n: number) => Number(n.toFixed(2))
  return { fsyncs: count, medianMs: round(s.median), minMs: round(s.min), maxMs: round(s.max) }
}

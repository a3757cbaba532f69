// Temporary data directories for disk tests, removed afterwards.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * `memoryBacked` puts the directory on tmpfs (/dev/shm) when the machine has one: crash tests
 * create and delete thousands of small files and model durability themselves, so they need the
 * real file system's behaviour but not its journal.
 */
export function tempDir(options: { memoryBacked?: boolean } = {}): { path: string; remove(): void } {
  let base = tmpdir()
  if (options.memoryBacked && statSync('/dev/shm', { throwIfNoEntry: false })?.isDirectory())
    base = '/dev/shm'
  const path = mkdtempSync(join(base, 'runnel-storage-'))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { CrashError, FaultyFileSystem } from '../../src/storage/faulty-file-system.ts'
import { nodeFileSystem, OpenFlags } from '../../src/storage/file-system.ts'
import { tempDir } from './temp-dir.ts'

const constant = (v: number) => () => v

describe('faulty file system', () => {
  it('tears the write at the crash point and refuses everything afterwards', () => {
    const dir = tempDir()
    try {
      const fs = new FaultyFileSystem(nodeFileSystem, { crashAtOperation: 3, random: constant(0.5) })
      const fd = fs.open(join(dir.path, 'f'), OpenFlags.createNew) // op 1
      fs.write(fd, Buffer.alloc(10, 1), 0) // op 2
      assert.throws(() => fs.write(fd, Buffer.alloc(10, 2), 10), CrashError) // op 3: 5 of 10 bytes land
      assert.equal(fs.crashed, true)
      assert.throws(() => fs.read(fd, Buffer.alloc(1), 0, 1, 0), CrashError)
      assert.throws(() => fs.stat(dir.path), CrashError)
      fs.releaseDescriptors()
      assert.deepEqual(
        readFileSync(join(dir.path, 'f')),
        Buffer.concat([Buffer.alloc(10, 1), Buffer.alloc(5, 2)]),
      )
    } finally {
      dir.remove()
    }
  })

  it('on power loss keeps fsynced bytes and may cut the rest', async () => {
    const dir = tempDir()
    try {
      const path = join(dir.path, 'f')
      writeFileSync(path, 'existing-') // present before: counts as durable
      const fs = new FaultyFileSystem(nodeFileSystem, { random: constant(0) })
      const fd = fs.open(path, OpenFlags.readWrite)
      fs.write(fd, Buffer.from('synced'), 9)
      await fs.fsync(fd)
      fs.write(fd, Buffer.from('-lost'), 15)
      await fs.simulatePowerLoss()
      fs.releaseDescriptors()
      assert.equal(readFileSync(path, 'utf8'), 'existing-synced')
    } finally {
      dir.remove()
    }
  })

  it('on power loss may drop new files and undo renames not covered by a directory sync', async () => {
    const dir = tempDir()
    try {
      writeFileSync(join(dir.path, 'target'), 'old')
      const lossy = new FaultyFileSystem(nodeFileSystem, { random: constant(0) }) // 0: every loss happens
      const fd = lossy.open(join(dir.path, 'tmp'), OpenFlags.createNew)
      lossy.write(fd, Buffer.from('new'), 0)
      await lossy.fsync(fd)
      lossy.close(fd)
      lossy.rename(join(dir.path, 'tmp'), join(dir.path, 'target'))
      const fd2 = lossy.open(join(dir.path, 'fresh'), OpenFlags.createNew)
      lossy.close(fd2)
      await lossy.simulatePowerLoss()
      assert.equal(readFileSync(join(dir.path, 'target'), 'utf8'), 'old', 'rename undone')
      assert.equal(existsSync(join(dir.path, 'fresh')), false, 'unsynced new entry gone')

      const safe = new FaultyFileSystem(nodeFileSystem, { random: constant(0) })
      const fd3 = safe.open(join(dir.path, 'tmp2'), OpenFlags.createNew)
      safe.write(fd3, Buffer.from('newer'), 0)
      await safe.fsync(fd3)
      safe.close(fd3)
      safe.rename(join(dir.path, 'tmp2'), join(dir.path, 'target'))
      await safe.syncDir(dir.path)
      await safe.simulatePowerLoss()
      assert.equal(readFileSync(join(dir.path, 'target'), 'utf8'), 'newer', 'a synced rename stays')
    } finally {
      dir.remove()
    }
  })
})

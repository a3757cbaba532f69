import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { openDiskTopicCatalog } from '../../src/storage/disk-topic-catalog.ts'
import { FaultyFileSystem } from '../../src/storage/faulty-file-system.ts'
import { CLUSTER_DIR, TOPICS_FILE } from '../../src/storage/file-names.ts'
import { nodeFileSystem } from '../../src/storage/file-system.ts'
import { MemoryTopicCatalog, type TopicCatalog } from '../../src/storage/topic-catalog.ts'
import { seededRandom } from './random.ts'
import { tempDir } from './temp-dir.ts'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function catalogConformance(name: string, make: () => { catalog: TopicCatalog; cleanup(): void }) {
  describe(`topic catalog: ${name}`, () => {
    it('creates topics with a stable UUID v4 id', async () => {
      const { catalog, cleanup } = make()
      try {
        const r = await catalog.create({ name: 'orders', partitions: 3, configs: { 'retention.ms': '1000' } })
        assert.equal(r.kind, 'created')
        if (r.kind !== 'created') return
        assert.match(r.topic.topicId, UUID_V4)
        assert.deepEqual(r.topic, {
          name: 'orders',
          topicId: r.topic.topicId,
          partitions: 3,
          configs: { 'retention.ms': '1000' },
        })
        assert.equal(catalog.get('orders'), r.topic)
        assert.equal(catalog.getById(r.topic.topicId.toUpperCase()), r.topic)
        const again = await catalog.create({ name: 'orders', partitions: 5 })
        assert.deepEqual(again, { kind: 'exists', topic: r.topic })
        const other = await catalog.create({ name: 'payments', partitions: 1 })
        assert.ok(other.kind === 'created' && other.topic.topicId !== r.topic.topicId)
        assert.deepEqual(
          catalog
            .list()
            .map((t) => t.name)
            .sort(),
          ['orders', 'payments'],
        )
      } finally {
        cleanup()
      }
    })

    it('refuses bad names and partition counts', async () => {
      const { catalog, cleanup } = make()
      try {
        for (const bad of ['', '.', '..', 'a/b', 'x'.repeat(250), 'ünïcode']) {
          assert.equal((await catalog.create({ name: bad, partitions: 1 })).kind, 'invalidName', bad)
        }
        assert.equal((await catalog.create({ name: 'ok', partitions: 0 })).kind, 'invalidPartitions')
        assert.equal((await catalog.create({ name: 'ok', partitions: 1.5 })).kind, 'invalidPartitions')
        assert.equal(catalog.list().length, 0)
      } finally {
        cleanup()
      }
    })

    it('grows partitions, replaces configs, deletes', async () => {
      const { catalog, cleanup } = make()
      try {
        await catalog.create({ name: 't', partitions: 2 })
        assert.equal((await catalog.setPartitionCount('t', 2)).kind, 'invalidPartitions')
        assert.equal((await catalog.setPartitionCount('t', 1)).kind, 'invalidPartitions')
        const grown = await catalog.setPartitionCount('t', 4)
        assert.ok(grown.kind === 'updated' && grown.topic.partitions === 4)
        const configured = await catalog.setConfigs('t', { 'cleanup.policy': 'compact' })
        assert.ok(configured.kind === 'updated')
        assert.deepEqual(catalog.get('t')?.configs, { 'cleanup.policy': 'compact' })
        assert.equal((await catalog.setConfigs('nope', {})).kind, 'unknownTopic')
        assert.equal((await catalog.setPartitionCount('nope', 3)).kind, 'unknownTopic')
        const id = catalog.get('t')?.topicId
        assert.equal((await catalog.delete('t'))?.name, 't')
        assert.equal(await catalog.delete('t'), undefined)
        assert.equal(catalog.get('t'), undefined)
        assert.equal(catalog.getById(id ?? ''), undefined)
      } finally {
        cleanup()
      }
    })
  })
}

catalogConformance('memory', () => ({ catalog: new MemoryTopicCatalog(), cleanup: () => {} }))
catalogConformance('disk', () => {
  const dir = tempDir()
  return { catalog: openDiskTopicCatalog(dir.path), cleanup: () => dir.remove() }
})

describe('topic catalog on disk', () => {
  it('persists every change and reloads it', async () => {
    const dir = tempDir()
    try {
      const catalog = openDiskTopicCatalog(dir.path)
      const [a, b] = await Promise.all([
        catalog.create({ name: 'a', partitions: 1 }),
        catalog.create({ name: 'b', partitions: 2, configs: { 'segment.bytes': '4096' } }),
      ])
      await catalog.setPartitionCount('a', 3)
      await catalog.delete('b')
      await catalog.create({ name: 'c', partitions: 1 })
      const reloaded = openDiskTopicCatalog(dir.path)
      assert.deepEqual(reloaded.list(), catalog.list())
      assert.ok(a.kind === 'created' && reloaded.get('a')?.topicId === a.topic.topicId)
      assert.equal(reloaded.get('a')?.partitions, 3)
      assert.equal(reloaded.get('b'), undefined)
      assert.ok(b.kind === 'created')
      const file = JSON.parse(readFileSync(join(dir.path, CLUSTER_DIR, TOPICS_FILE), 'utf8'))
      assert.equal(file.version, 1)
      assert.deepEqual(
        file.topics.map((t: { name: string }) => t.name),
        ['a', 'c'],
      )
    } finally {
      dir.remove()
    }
  })

  it('holds the old or the new catalog after a power loss during a write, never a mix', async () => {
    for (let crashAt = 1; crashAt <= 6; crashAt++) {
      for (const seed of [1, 2, 3]) {
        const dir = tempDir({ memoryBacked: true })
        try {
          const first = openDiskTopicCatalog(dir.path)
          await first.create({ name: 'kept', partitions: 1 })
          const before = first.list()
          const fs = new FaultyFileSystem(nodeFileSystem, {
            crashAtOperation: crashAt,
            random: seededRandom(seed),
          })
          const catalog = openDiskTopicCatalog(dir.path, fs)
          let resolved = false
          try {
            await catalog.create({ name: 'new', partitions: 2 })
            resolved = true
          } catch {}
          const after = catalog.list()
          await fs.simulatePowerLoss()
          fs.releaseDescriptors()
          const reloaded = openDiskTopicCatalog(dir.path).list()
          if (resolved) assert.deepEqual(reloaded, after, `crash at ${crashAt}: a resolved create is durable`)
          else
            assert.ok(
              [before, after].some((s) => JSON.stringify(s) === JSON.stringify(reloaded)),
              `crash at ${crashAt}`,
            )
          if (crashAt === 6) assert.equal(resolved, true, 'five operations write the catalog')
        } finally {
          dir.remove()
        }
      }
    }
  })
})

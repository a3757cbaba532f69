// A full disk, for real: the broker (a child process) keeps its data on a small ext4 file system
// (a loop-mounted image this test makes; it needs root, which CI has), a producer writes acks=all
// until the disk is full, then the test frees space (it filled most of the disk with a ballast
// file first) and writes on. What must hold, and does:
//   - while the disk is full, produce requests answer KAFKA_STORAGE_ERROR (retriable) and the
//     broker stays up, every partition online;
//   - once space is freed the broker serves again WITHOUT a restart: a full disk fails only the
//     appends it hits, each undone (storage/errors.ts), so there is nothing to recover;
//   - every acknowledged record is there, at its acknowledged offset, offsets contiguous, no
//     failed append left a trace; and all of it again after a clean restart.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { buildBatch, ErrorCode } from '@runnel/protocol'
import { BrokerProcess, freePort, makeTempDir, removeDir } from '../helpers/broker.ts'
import { fetchTopic } from '../helpers/platformatic-fetch.ts'
import { WireClient } from '../helpers/wire-client.ts'

const TOPIC = 'full-disk'
const PARTITIONS = 2
const RECORDS_PER_BATCH = 64
const VALUE_BYTES = 1024
const IMAGE_MB = 96
/** Room left for the broker once the ballast is written. */
const ROOM_MB = 24

interface Acked {
  partition: number
  baseOffset: number
  batch: number
}

/** Mounts a fresh ext4 image; undefined (with the reason) when this machine cannot. */
function mountExt4(base: string): { mountPoint: string; unmount(): void } | string {
  if (process.getuid?.() !== 0) return 'needs root to mount a loop ext4 image'
  const image = join(base, 'disk.img')
  const mountPoint = join(base, 'mnt')
  mkdirSync(mountPoint)
  try {
    execFileSync('truncate', ['-s', `${IMAGE_MB}M`, image])
    execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', image])
    execFileSync('mount', ['-o', 'loop', image, mountPoint])
  } catch (err) {
    return `cannot mount an ext4 image here: ${(err as Error).message.split('\n')[0]}`
  }
  return {
    mountPoint,
    unmount: () => execFileSync('umount', [mountPoint]),
  }
}

const recordValue = (batch: number, i: number) => Buffer.from(`b${batch}-r${i}-`.padEnd(VALUE_BYTES, 'x'))

async function produceBatch(client: WireClient, partition: number, batch: number): Promise<[number, number]> {
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
    key: Buffer.from(`k${i}`),
    value: recordValue(batch, i),
  }))
  const r = await client.request(0, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 10_000,
    topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: buildBatch({ records }) }] }],
  })
  const p = r.responses[0].partitionResponses[0]
  return [p.errorCode as number, Number(p.baseOffset)]
}

function checkLog(read: Awaited<ReturnType<typeof fetchTopic>>, acked: readonly Acked[], when: string) {
  const byPartition = new Map<number, typeof read>()
  for (const r of read) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r])
  const problems: string[] = []
  for (const [p, records] of byPartition) {
    records.forEach((r, i) => {
      if (r.offset !== i) problems.push(`partition ${p}: offset ${r.offset} at position ${i}`)
    })
  }
  for (const a of acked) {
    const records = byPartition.get(a.partition) ?? []
    for (let i = 0; i < RECORDS_PER_BATCH; i++) {
      const r = records[a.baseOffset + i]
      if (!r?.value?.equals(recordValue(a.batch, i))) {
        problems.push(
          `batch ${a.batch} record ${i} acknowledged at ${a.partition}/${a.baseOffset + i} is not there`,
        )
        break
      }
    }
  }
  const total = read.length
  const expected = acked.length * RECORDS_PER_BATCH
  if (total !== expected)
    problems.push(`${total} records in the log, ${expected} acknowledged: failed appends left a trace`)
  assert.deepEqual(problems.slice(0, 10), [], `${when}: ${problems.length} problems`)
}

describe('a full disk', { timeout: 240_000 }, () => {
  let base: string
  let mount: ReturnType<typeof mountExt4>
  let broker: BrokerProcess | undefined

  before(async () => {
    base = await makeTempDir('full-disk')
    mount = mountExt4(base)
  })
  after(async () => {
    await broker?.kill9()
    if (typeof mount !== 'string') mount.unmount()
    await removeDir(base)
  })

  it('fails appends with KAFKA_STORAGE_ERROR, loses nothing acknowledged, and serves again once space is freed, without a restart', async (t) => {
    if (typeof mount === 'string') {
      t.skip(mount)
      return
    }
    const { mountPoint } = mount
    const dataDir = join(mountPoint, 'data')
    const ballast = join(mountPoint, 'ballast')
    const free = () => {
      const s = statfsSync(mountPoint)
      return s.bavail * s.bsize
    }
    writeFileSync(ballast, Buffer.alloc(Math.max(0, free() - ROOM_MB * 1024 * 1024)))
    const port = await freePort()
    broker = await BrokerProcess.start({ port, dataDir })
    const client = await WireClient.connect(port)
    try {
      const created = await client.request(19, 4, {
        topics: [
          {
            name: TOPIC,
            numPartitions: PARTITIONS,
            replicationFactor: 1,
            assignments: [],
            configs: [{ name: 'segment.bytes', value: String(2 * 1024 * 1024) }],
          },
        ],
        timeoutMs: 5000,
        validateOnly: false,
      })
      assert.equal(created.topics[0].errorCode, ErrorCode.NONE)

      // 1. Write until the disk is full, and on for a while: every partition hits it.
      const acked: Acked[] = []
      const refusals = new Map<number, number>()
      let batch = 0
      let failedInARow = 0
      while (failedInARow < 40 && batch < 2000) {
        const partition = batch % PARTITIONS
        const [code, baseOffset] = await produceBatch(client, partition, batch)
        if (code === ErrorCode.NONE) {
          acked.push({ partition, baseOffset, batch })
          failedInARow = 0
        } else {
          refusals.set(code, (refusals.get(code) ?? 0) + 1)
          failedInARow++
        }
        batch++
      }
      t.diagnostic(
        `full after ${acked.length} acknowledged batches; refusals ${JSON.stringify([...refusals])}`,
      )
      assert.ok(failedInARow >= 40, 'the disk filled up')
      assert.deepEqual(
        [...refusals.keys()],
        [ErrorCode.KAFKA_STORAGE_ERROR],
        'a full disk answers KAFKA_STORAGE_ERROR',
      )
      assert.ok(
        acked.length * RECORDS_PER_BATCH * VALUE_BYTES > 10 * 1024 * 1024,
        'megabytes were written first',
      )
      assert.equal(
        await Promise.race([broker.child.exited.then(() => 'exited'), Promise.resolve('up')]),
        'up',
      )
      const metadata = await client.request(3, 12, {
        topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      })
      assert.deepEqual(
        metadata.topics[0].partitions.map((p) => p.offlineReplicas),
        [[], []],
        'no partition went offline',
      )

      // 2. Free space: the same connection, the same broker process, appends succeed again.
      unlinkSync(ballast)
      for (let i = 0; i < 20; i++, batch++) {
        const partition = batch % PARTITIONS
        const [code, baseOffset] = await produceBatch(client, partition, batch)
        assert.equal(code, ErrorCode.NONE, `append ${i} after space was freed`)
        acked.push({ partition, baseOffset, batch })
      }

      // 3. Everything acknowledged is there, and nothing else; then again after a clean restart.
      checkLog(await fetchTopic(broker.bootstrap, TOPIC), acked, 'after space was freed')
      client.close()
      assert.equal(await broker.terminate(), 0)
      broker = await BrokerProcess.start({ port, dataDir })
      checkLog(await fetchTopic(broker.bootstrap, TOPIC), acked, 'after a clean restart')
      assert.equal(await broker.terminate(), 0)
      broker = undefined
    } finally {
      client.close()
      rmSync(ballast, { force: true })
    }
  })
})

// DescribeCluster (60), DescribeTopicPartitions (75) and DescribeLogDirs (35): what Kafka 4
// clients ask a broker about itself, its topics' partitions (paged) and its log directory.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ErrorCode } from '@runnel/protocol'
import { brokerInternals } from '../../src/broker.ts'
import {
  type AdminTestBroker,
  createTopic,
  rawRequest,
  startAdminBroker,
  withPlatformaticAdmin,
} from './admin-helpers.ts'

describe('DescribeCluster, DescribeTopicPartitions, DescribeLogDirs', () => {
  let broker: AdminTestBroker

  before(async () => {
    broker = await startAdminBroker({ autoCreateTopics: false })
    await createTopic(broker, 'alpha', 3)
    await createTopic(broker, 'beta', 5)
    await createTopic(broker, 'gamma', 1)
  })
  after(async () => {
    await broker?.dispose()
  })

  it('DescribeCluster names this broker, the cluster and itself as controller; controller endpoints are refused', async () => {
    for (const version of [0, 1, 2]) {
      const r = await rawRequest(broker.bootstrap, 60, version, {
        includeClusterAuthorizedOperations: true,
        endpointType: 1,
        includeFencedBrokers: true,
      })
      assert.equal(r.errorCode, ErrorCode.NONE, `v${version}`)
      assert.equal(r.clusterId, broker.clusterId)
      assert.equal(r.controllerId, 1)
      assert.deepEqual(
        r.brokers.map((b) => [b.brokerId, b.host, b.port]),
        [[1, '127.0.0.1', broker.port]],
      )
      assert.ok(r.clusterAuthorizedOperations > 0)
    }
    const controllers = await rawRequest(broker.bootstrap, 60, 1, {
      includeClusterAuthorizedOperations: false,
      endpointType: 2,
    })
    assert.equal(controllers.errorCode, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE)
    assert.deepEqual(controllers.brokers, [])
  })

  it('DescribeTopicPartitions lists every topic by name, pages by partition limit and answers unknown names', async () => {
    const page = (
      cursor: { topicName: string; partitionIndex: number } | null,
      limit: number,
      topics: string[] = [],
    ) =>
      rawRequest(broker.bootstrap, 75, 0, {
        topics: topics.map((name) => ({ name })),
        responsePartitionLimit: limit,
        cursor,
      })
    // Every topic, 4 partitions a page: alpha 0-2 + beta 0, beta 1-4, gamma 0.
    const seen: string[] = []
    let cursor: { topicName: string; partitionIndex: number } | null = null
    let pages = 0
    do {
      const r = await page(cursor, 4)
      for (const t of r.topics) {
        assert.equal(t.errorCode, ErrorCode.NONE)
        for (const p of t.partitions) {
          assert.deepEqual([p.leaderId, p.replicaNodes, p.isrNodes, p.offlineReplicas], [1, [1], [1], []])
          seen.push(`${t.name}-${p.partitionIndex}`)
        }
      }
      cursor = r.nextCursor
      pages++
    } while (cursor !== null && pages < 10)
    assert.deepEqual(seen, [
      'alpha-0',
      'alpha-1',
      'alpha-2',
      'beta-0',
      'beta-1',
      'beta-2',
      'beta-3',
      'beta-4',
      'gamma-0',
    ])
    assert.equal(pages, 3)

    const named = await page(null, 100, ['gamma', 'nope', 'alpha'])
    assert.deepEqual(
      named.topics.map((t) => [t.name, t.errorCode, t.partitions.length]),
      [
        ['alpha', ErrorCode.NONE, 3],
        ['gamma', ErrorCode.NONE, 1],
        ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
      ],
    )
    const bad = await page({ topicName: 'beta', partitionIndex: 0 }, 10, ['alpha'])
    assert.deepEqual(
      bad.topics.map((t) => t.errorCode),
      [ErrorCode.INVALID_REQUEST],
      'the cursor topic must be one of those asked',
    )
  })

  it('DescribeLogDirs reports the data directory, each partition’s size and the disk’s bytes', async () => {
    const r = await rawRequest(broker.bootstrap, 35, 4, {
      topics: [{ topic: 'beta', partitions: [0, 4, 9] }],
    })
    assert.equal(r.results.length, 1)
    const [dir] = r.results
    assert.equal(dir.errorCode, ErrorCode.NONE)
    assert.equal(dir.logDir, brokerInternals(broker).config.dataDir)
    assert.deepEqual(
      dir.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
      [['beta', [0, 4]]],
      'a partition that does not exist is left out',
    )
    assert.ok((dir.totalBytes ?? -1n) > 0n && (dir.usableBytes ?? -1n) > 0n)
    const described = await withPlatformaticAdmin(broker.bootstrap, (admin) =>
      admin.describeLogDirs({ topics: [{ name: 'alpha', partitions: [0, 1, 2] }] }),
    )
    const text = JSON.stringify(described, (_, v) => (typeof v === 'bigint' ? String(v) : v))
    assert.ok(text.includes('"alpha"') && text.includes(brokerInternals(broker).config.dataDir!), text)
  })
})

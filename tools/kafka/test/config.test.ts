// What the nodes are told, without starting any: replication follows the cluster's size, the
// quorum is every node's controller listener, and formatting names the initial voters.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatArguments, kafkaUuid, type NodeLayout, serverProperties } from '../src/config.ts'

const layout = (count: number): NodeLayout[] =>
  Array.from({ length: count }, (_, i) => ({
    nodeId: i + 1,
    brokerPort: 9000 + i,
    controllerPort: 9100 + i,
    dir: `/tmp/k/node-${i + 1}`,
    directoryId: `dir${i + 1}`,
  }))

function parse(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s).slice(0, 2)),
  )
}

describe('serverProperties', () => {
  it('gives 3 nodes 3 replicas with 2 in sync, and a quorum of all three controllers', () => {
    const cluster = layout(3)
    const props = parse(serverProperties(cluster[1], cluster))
    assert.equal(props['node.id'], '2')
    assert.equal(props['process.roles'], 'broker,controller')
    assert.equal(props['controller.quorum.bootstrap.servers'], '127.0.0.1:9100,127.0.0.1:9101,127.0.0.1:9102')
    assert.equal(props.listeners, 'PLAINTEXT://127.0.0.1:9001,CONTROLLER://127.0.0.1:9101')
    assert.equal(props['log.dirs'], '/tmp/k/node-2/data')
    for (const key of [
      'default.replication.factor',
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
    ]) {
      assert.equal(props[key], '3', key)
    }
    assert.equal(props['min.insync.replicas'], '2')
    assert.equal(props['transaction.state.log.min.isr'], '2')
    assert.equal(props['group.initial.rebalance.delay.ms'], '0')
    assert.equal(props['auto.create.topics.enable'], undefined, "Kafka's default (true)")
  })

  it('gives 1 node 1 replica, and lets overrides win', () => {
    const [node] = layout(1)
    const props = parse(serverProperties(node, [node], { 'num.partitions': 4, 'min.insync.replicas': 1 }))
    assert.equal(props['default.replication.factor'], '1')
    assert.equal(props['min.insync.replicas'], '1')
    assert.equal(props['transaction.state.log.min.isr'], '1')
    assert.equal(props['num.partitions'], '4')
  })
})

describe('formatArguments', () => {
  it('formats 1 node as a standalone quorum', () => {
    const [node] = layout(1)
    assert.deepEqual(formatArguments(node, [node], 'CID'), [
      'format',
      '--cluster-id',
      'CID',
      '--config',
      '/tmp/k/node-1/server.properties',
      '--standalone',
    ])
  })

  it('formats every node of 3 with the same initial controllers, id@host:port:directoryId', () => {
    const cluster = layout(3)
    const expected = '1@127.0.0.1:9100:dir1,2@127.0.0.1:9101:dir2,3@127.0.0.1:9102:dir3'
    for (const node of cluster) {
      const args = formatArguments(node, cluster, 'CID')
      assert.deepEqual(args.slice(-2), ['--initial-controllers', expected])
    }
  })
})

describe('kafkaUuid', () => {
  it('is 22 URL-safe base64 characters that do not start with a dash', () => {
    for (let i = 0; i < 200; i++) assert.match(kafkaUuid(), /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
  })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeAssignment, stateName } from '../src/groups.ts'

function assignment(topics: [string, number[]][], version = 0): Buffer {
  const parts: Buffer[] = [Buffer.from([0, version])]
  const count = Buffer.alloc(4)
  count.writeInt32BE(topics.length)
  parts.push(count)
  for (const [topic, partitions] of topics) {
    const name = Buffer.from(topic)
    const len = Buffer.alloc(2)
    len.writeInt16BE(name.length)
    const n = Buffer.alloc(4)
    n.writeInt32BE(partitions.length)
    parts.push(
      len,
      name,
      n,
      ...partitions.map((p) => {
        const b = Buffer.alloc(4)
        b.writeInt32BE(p)
        return b
      }),
    )
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff])) // null user data
  return Buffer.concat(parts)
}

test('a consumer protocol assignment decodes to topics and sorted partitions', () => {
  assert.deepEqual(
    decodeAssignment(
      assignment(
        [
          ['orders', [2, 0]],
          ['payments', [1]],
        ],
        3,
      ),
    ),
    [
      { topic: 'orders', partitions: [0, 2] },
      { topic: 'payments', partitions: [1] },
    ],
  )
})

test('an empty or truncated assignment (a rebalance in progress) is no assignment, not an error', () => {
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)), [])
  assert.deepEqual(decodeAssignment(assignment([['orders', [0, 1]]]).subarray(0, 12)), [])
  assert.deepEqual(decodeAssignment(null), [])
})

test('group states read as Kafka prints them', () => {
  assert.equal(stateName('PREPARING_REBALANCE'), 'PreparingRebalance')
  assert.equal(stateName('COMPLETINGREBALANCE'), 'CompletingRebalance')
  assert.equal(stateName('Stable'), 'Stable')
  assert.equal(stateName('EMPTY'), 'Empty')
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CliError } from '../src/errors.ts'
import { type PartitionPosition, parseDateTime, planReset } from '../src/reset-plan.ts'

const p0: PartitionPosition = {
  topic: 't',
  partition: 0,
  current: 50n,
  logStartOffset: 10n,
  logEndOffset: 100n,
}
const p1: PartitionPosition = {
  topic: 't',
  partition: 1,
  current: null,
  logStartOffset: 0n,
  logEndOffset: 7n,
}

const targets = (to: Parameters<typeof planReset>[1], ps = [p0, p1]) => planReset(ps, to).map((r) => r.target)

test('earliest and latest are the log start and end', () => {
  assert.deepEqual(targets({ kind: 'earliest' }), [10n, 0n])
  assert.deepEqual(targets({ kind: 'latest' }), [100n, 7n])
})

test('an offset is clamped into the log, as kafka-consumer-groups does', () => {
  assert.deepEqual(targets({ kind: 'offset', offset: 5n }), [10n, 5n])
  assert.deepEqual(targets({ kind: 'offset', offset: 500n }), [100n, 7n])
})

test('shift-by moves from the committed offset, clamped; without one it is refused', () => {
  assert.deepEqual(targets({ kind: 'shift', by: -45n }, [p0]), [10n])
  assert.deepEqual(targets({ kind: 'shift', by: 20n }, [p0]), [70n])
  assert.throws(
    () => planReset([p0, p1], { kind: 'shift', by: 1n }),
    (err: unknown) => {
      assert.ok(err instanceof CliError)
      assert.equal(err.code, 'RUNNEL_CLI_OFFSET')
      assert.match(err.message, /^Partition 1 of "t" has no committed offset to shift/)
      return true
    },
  )
})

test('datetime takes the offset ListOffsets found, or the end when no record is that recent', () => {
  const at = (offsetForTime: bigint) => ({ ...p0, offsetForTime })
  assert.deepEqual(targets({ kind: 'datetime', timestamp: 1n }, [at(42n), at(-1n)]), [42n, 100n])
})

test('the plan keeps the current offset beside the new one', () => {
  assert.deepEqual(planReset([p1], { kind: 'latest' }), [
    { topic: 't', partition: 1, current: null, target: 7n },
  ])
})

test('ISO 8601 times with a zone are exact; without one they are local time; nonsense is refused', () => {
  assert.equal(parseDateTime('2024-05-01T12:00:00Z'), BigInt(Date.UTC(2024, 4, 1, 12)))
  assert.equal(parseDateTime('2024-05-01T12:00:00.250Z'), BigInt(Date.UTC(2024, 4, 1, 12, 0, 0, 250)))
  assert.equal(parseDateTime('2024-05-01T14:00:00+02:00'), BigInt(Date.UTC(2024, 4, 1, 12)))
  assert.equal(parseDateTime('2024-05-01T07:30-0430'), BigInt(Date.UTC(2024, 4, 1, 12)))
  assert.equal(parseDateTime('2024-05-01T12:00'), BigInt(new Date(2024, 4, 1, 12).getTime()))
  assert.equal(parseDateTime('2024-05-01'), BigInt(new Date(2024, 4, 1).getTime()))
  for (const bad of ['yesterday', '2024-02-30T00:00:00Z', '2024-05-01T25:00:00Z', '1714564800000', '']) {
    assert.equal(parseDateTime(bad), undefined, bad)
  }
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppendNotifier } from '../../src/cluster/append-notifier.ts'

describe('append notifier', () => {
  const a = AppendNotifier.key('t', 0)
  const b = AppendNotifier.key('t', 1)

  it('wakes a waiter on an append to any of its partitions, and forgets it', async () => {
    const notifier = new AppendNotifier()
    const woken = notifier.wait([a, b], 10_000)
    assert.equal(notifier.waitedOn, 2)
    notifier.notify('t', 2) // not one of its partitions
    notifier.notify('t', 1)
    assert.equal(await woken, true)
    assert.equal(notifier.waitedOn, 0)
  })

  it('answers false after its timeout, and false at once when its signal aborts', async () => {
    const notifier = new AppendNotifier()
    const started = performance.now()
    assert.equal(await notifier.wait([a], 30), false)
    assert.ok(performance.now() - started >= 25)
    const controller = new AbortController()
    const parked = notifier.wait([a], 10_000, controller.signal)
    controller.abort()
    assert.equal(await parked, false)
    assert.equal(notifier.waitedOn, 0)
    assert.equal(await notifier.wait([a], 10_000, controller.signal), false, 'already aborted')
  })

  it('wakes every waiter at shutdown', async () => {
    const notifier = new AppendNotifier()
    const waits = [notifier.wait([a], 10_000), notifier.wait([a, b], 10_000), notifier.wait([b], 10_000)]
    notifier.wakeAll()
    assert.deepEqual(await Promise.all(waits), [true, true, true])
    assert.equal(notifier.waitedOn, 0)
  })
})

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import type { RunningRegistry } from '../../../src/start-registry.ts'
import { supportsGroups } from '../../support/broker.ts'
import { http, registryOn, type SuiteKafka, snapshot } from '../../support/registries.ts'

// Two registry instances against one Kafka agree: one leads, the other forwards its writes, and
// both answer the same; when the leader goes, the other takes over.
export function twoInstances(kafka: SuiteKafka) {
  let groupSkip: string | undefined

  before(async () => {
    await kafka.start()
    groupSkip = (await supportsGroups(kafka.bootstrap))
      ? undefined
      : 'the broker has no group coordinator yet'
  })
  after(async () => {
    await kafka.stop()
  })

  it('serve the same answers, whichever one is written to', async (t) => {
    if (groupSkip) return t.skip(groupSkip)
    const a = await registryOn(kafka)
    const b = await registryOn(kafka)
    const running: RunningRegistry[] = [a, b]
    try {
      // The second join rebalances the group: the first instance steps down until the new
      // generation's assignment says who leads, so agreement is awaited, not assumed.
      const leaders = await agreedLeaders(running, 30_000)
      assert.equal(leaders.length, 1, 'exactly one leader')
      assert.equal(a.leadership.leaderUrl, leaders[0].url)
      assert.equal(b.leadership.leaderUrl, leaders[0].url)
      const follower = running.find((registry) => !registry.leadership.isLeader)!
      const leader = leaders[0]

      const viaFollower = await http(follower.url, 'POST', '/subjects/a/versions', { schema: '"string"' })
      const viaLeader = await http(leader.url, 'POST', '/subjects/b/versions', { schema: '"int"' })
      const same = await http(follower.url, 'POST', '/subjects/c/versions', { schema: '"string"' })
      assert.deepEqual([viaFollower.body, viaLeader.body, same.body], [{ id: 1 }, { id: 2 }, { id: 1 }])
      await http(follower.url, 'PUT', '/config/a', { compatibility: 'NONE' })
      await http(follower.url, 'DELETE', '/subjects/b')
      const refused = await http(follower.url, 'POST', '/subjects/c/versions', { schema: '"boolean"' })
      assert.deepEqual([refused.status, (refused.body as { error_code: number }).error_code], [409, 409])

      await follower.store.sync()
      await leader.store.sync()
      assert.deepEqual(await snapshot(follower.url), await snapshot(leader.url))

      await leader.close()
      const deadline = Date.now() + 30_000
      while (!follower.leadership.isLeader && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100))
      assert.equal(follower.leadership.isLeader, true, 'the other instance took over')
      assert.deepEqual(
        (await http(follower.url, 'POST', '/subjects/d/versions', { schema: '"long"' })).body,
        { id: 3 },
      )
    } finally {
      for (const registry of running) await registry.close()
    }
  })
}

/** The instances that lead once all agree on one leader URL, or as they stand at the deadline. */
async function agreedLeaders(running: RunningRegistry[], timeoutMs: number): Promise<RunningRegistry[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const leaders = running.filter((registry) => registry.leadership.isLeader)
    const agreed =
      leaders.length === 1 && running.every((registry) => registry.leadership.leaderUrl === leaders[0].url)
    if (agreed || Date.now() > deadline) return leaders
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

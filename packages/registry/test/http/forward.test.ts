import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { after, describe, it } from 'node:test'
import { followerOf, type Leadership, singleNode } from '../../src/election/leadership.ts'
import { buildRegistryApp } from '../../src/http/app.ts'
import { FORWARDED_HEADER } from '../../src/http/forward.ts'
import { RegistryService } from '../../src/service/registry-service.ts'
import { createMemoryStore, type MemoryLog } from '../../src/store/memory-store.ts'

// Two registry instances over real HTTP on 127.0.0.1, sharing one in-memory log as two instances
// share one topic: the follower forwards writes to the leader.
async function instance(log: MemoryLog | undefined, leadership: Leadership, leaderWaitMs = 1_000) {
  const store = createMemoryStore(log)
  await store.start()
  const app = buildRegistryApp({
    service: new RegistryService(store),
    leadership,
    sync: () => store.sync(),
    leaderWaitMs,
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  await leadership.start(url)
  return { store, app, url }
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', ...headers },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as { error_code: number; message: string } }
}

describe('forwarding writes to the leader', { timeout: 30_000 }, () => {
  const apps: { app: { close(): Promise<unknown> } }[] = []
  after(async () => {
    for (const { app } of apps) await app.close()
  })

  it('registers through a follower, and the follower reads its write at once', async () => {
    const leader = await instance(undefined, singleNode())
    apps.push(leader)
    const follower = await instance(leader.store.memoryLog, followerOf(leader.url))
    apps.push(follower)
    const answer = await post(`${follower.url}/subjects/orders/versions`, { schema: '"string"' })
    assert.deepEqual(answer, { status: 200, body: { id: 1 } })
    const read = await fetch(`${follower.url}/subjects/orders/versions/1`)
    assert.deepEqual(await read.json(), { subject: 'orders', version: 1, id: 1, schema: '"string"' })
    // The leader's refusals come back unchanged.
    const refused = await post(`${follower.url}/subjects/orders/versions`, { schema: '"boolean"' })
    assert.equal(refused.status, 409)
    assert.equal(refused.body.error_code, 409)
    assert.match(refused.body.message, /TYPE_MISMATCH/)
    const config = await fetch(`${follower.url}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ compatibility: 'NONE' }),
    })
    assert.deepEqual(await config.json(), { compatibility: 'NONE' })
    assert.equal(leader.store.state.config(null), 'NONE')
  })

  it('does not forward a forwarded request again', async () => {
    const follower = await instance(undefined, followerOf('http://127.0.0.1:9'))
    apps.push(follower)
    const answer = await post(
      `${follower.url}/subjects/a/versions`,
      { schema: '"string"' },
      { [FORWARDED_HEADER]: '1' },
    )
    assert.equal(answer.status, 500)
    assert.equal(answer.body.error_code, 50004)
    assert.match(answer.body.message, /received a forwarded write but is not the leader/)
  })

  it('answers 50003 when the leader cannot be reached, and 50004 when none is known', async () => {
    // A port that was just free: nothing listens there.
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const deadUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 9}`
    const follower = await instance(undefined, followerOf(deadUrl))
    apps.push(follower)
    const unreachable = await post(`${follower.url}/subjects/a/versions`, { schema: '"string"' })
    assert.equal(unreachable.status, 500)
    assert.equal(unreachable.body.error_code, 50003)
    assert.match(
      unreachable.body.message,
      new RegExp(`^Error while forwarding the request to the leader at ${deadUrl}`),
    )

    const leaderless: Leadership = {
      isLeader: false,
      leaderUrl: undefined,
      start: async () => {},
      waitForLeader: async () => {},
      close: async () => {},
    }
    const orphan = await instance(undefined, leaderless, 50)
    apps.push(orphan)
    const unknown = await post(`${orphan.url}/subjects/a/versions`, { schema: '"string"' })
    assert.deepEqual(unknown, {
      status: 500,
      body: { error_code: 50004, message: 'No leader is known after 50 ms; retry the request' },
    })
    // Reads need no leader.
    assert.equal((await fetch(`${orphan.url}/subjects`)).status, 200)
  })
})

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRegistryError } from '../src/errors.ts'
import { startRegistry } from '../src/start-registry.ts'
import { createMemoryStore } from '../src/store/memory-store.ts'

describe('startRegistry', { timeout: 60_000 }, () => {
  it('needs brokers or a store', async () => {
    await assert.rejects(
      startRegistry({ port: 0 }),
      (error: unknown) =>
        isRegistryError(error, 'STORE_CONFIGURATION') &&
        error.message ===
          'startRegistry needs `brokers` (a Kafka bootstrap list) or a `store` (createMemoryStore() for development)',
    )
  })

  it('serves on 127.0.0.1 with a port of its own, advertises a URL and closes once', async () => {
    const registry = await startRegistry({
      store: createMemoryStore(),
      port: 0,
      advertisedUrl: 'http://registry.test:8081',
    })
    assert.equal(registry.host, '127.0.0.1')
    assert.ok(registry.port > 0)
    assert.equal(registry.url, 'http://registry.test:8081')
    assert.equal(registry.leadership.isLeader, true)
    assert.equal((await fetch(`http://127.0.0.1:${registry.port}/subjects`)).status, 200)
    await Promise.all([registry.close(), registry.close()])
    await assert.rejects(fetch(`http://127.0.0.1:${registry.port}/subjects`))
  })

  it('says which Kafka it cannot reach', async () => {
    await assert.rejects(startRegistry({ brokers: '127.0.0.1:1', port: 0 }), (error: unknown) => {
      assert.ok(isRegistryError(error, 'STORE_ERROR'))
      assert.match(error.message, /^Cannot read the _schemas topic from Kafka at 127.0.0.1:1: .*ECONNREFUSED/)
      return true
    })
  })
})

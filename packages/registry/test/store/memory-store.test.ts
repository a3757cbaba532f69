import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createMemoryStore, type MemoryStore } from '../../src/store/memory-store.ts'
import { storeConformance } from './store-conformance.ts'

describe('MemoryStore', () => {
  storeConformance({
    async create() {
      return createMemoryStore()
    },
    async reopen(store) {
      return createMemoryStore((store as MemoryStore).memoryLog)
    },
  })

  it('keeps the encoded records it was given and written', async () => {
    const store = createMemoryStore()
    await store.append([{ key: { keytype: 'MODE', subject: null }, value: { mode: 'READONLY' } }])
    assert.equal(store.log.length, 1)
    assert.equal(store.log[0].key.toString(), '{"keytype":"MODE","subject":null,"magic":0}')
    const copy = createMemoryStore(store.log)
    await copy.start()
    assert.equal(copy.state.mode(null), 'READONLY')
  })

  it('refuses appends once closed', async () => {
    const store = createMemoryStore()
    await store.close()
    await assert.rejects(
      store.append([{ key: { keytype: 'NOOP' }, value: null }]),
      /the memory store is closed/,
    )
  })
})

// One suite every SchemaStore must pass: appends are read back into the state before they
// resolve, in order, and a store reopened on the same log rebuilds the same state.

import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { StoreRecord } from '../../src/store/records.ts'
import type { SchemaStore } from '../../src/store/schema-store.ts'

export interface StoreFactory {
  /** A store on a fresh, empty log. */
  create(): Promise<SchemaStore>
  /** A second store on the log `store` writes to (a restart, or another instance). */
  reopen(store: SchemaStore): Promise<SchemaStore>
}

function schema(subject: string, version: number, id: number): StoreRecord {
  return {
    key: { keytype: 'SCHEMA', subject, version },
    value: {
      subject,
      version,
      id,
      schemaType: 'AVRO',
      references: [],
      schema: `"v${version}"`,
      deleted: false,
    },
  }
}

export function storeConformance(factory: StoreFactory, options: { skip?: string | false } = {}): void {
  const skip = options.skip || undefined

  it('starts empty and applies an append before resolving it', { skip }, async () => {
    const store = await factory.create()
    try {
      await store.start()
      assert.deepEqual(store.state.subjects(), [])
      await store.append([schema('orders', 1, 1)])
      assert.equal(store.state.version('orders', 1)?.id, 1)
    } finally {
      await store.close()
    }
  })

  it('applies the records of one append in order', { skip }, async () => {
    const store = await factory.create()
    try {
      await store.start()
      await store.append([
        schema('a', 1, 1),
        { key: { keytype: 'CONFIG', subject: 'a' }, value: { compatibilityLevel: 'FULL' } },
        { key: { keytype: 'CONFIG', subject: 'a' }, value: { compatibilityLevel: 'NONE' } },
        { key: { keytype: 'SCHEMA', subject: 'a', version: 1 }, value: null },
        { key: { keytype: 'NOOP' }, value: null },
      ])
      assert.equal(store.state.config('a'), 'NONE')
      assert.equal(store.state.version('a', 1), undefined)
      assert.equal(store.state.maxId, 1)
    } finally {
      await store.close()
    }
  })

  it('rebuilds the same state when reopened on the same log', { skip }, async () => {
    const first = await factory.create()
    await first.start()
    await first.append([schema('a', 1, 1), schema('a', 2, 2), schema('b', 1, 2)])
    await first.append([
      { key: { keytype: 'DELETE_SUBJECT', subject: 'a' }, value: { subject: 'a', version: 1 } },
    ])
    const second = await factory.reopen(first)
    try {
      await second.start()
      assert.deepEqual(second.state.subjects(), ['a', 'b'])
      assert.deepEqual(
        second.state.versions('a').map((entry) => [entry.version, entry.id, entry.deleted]),
        [
          [1, 1, true],
          [2, 2, false],
        ],
      )
      assert.equal(second.state.maxId, 2)
    } finally {
      await second.close()
      await first.close()
    }
  })

  it('sees, after sync, what another store on the same log appended', { skip }, async () => {
    const writer = await factory.create()
    await writer.start()
    const reader = await factory.reopen(writer)
    try {
      await reader.start()
      await writer.append([schema('late', 1, 9)])
      await reader.sync()
      assert.equal(reader.state.version('late', 1)?.id, 9)
    } finally {
      await reader.close()
      await writer.close()
    }
  })
}

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { isRegistryError, type RegistryErrorName } from '../../src/errors.ts'
import { Serdes } from '../../src/serdes/serdes.ts'
import { decodeWireFormat, encodeWireFormat } from '../../src/serdes/wire-format.ts'
import { type RunningRegistry, startRegistry } from '../../src/start-registry.ts'
import { createMemoryStore } from '../../src/store/memory-store.ts'
import { orderV1 } from '../support/schemas.ts'

function failsWith(kind: RegistryErrorName, message: RegExp) {
  return (error: unknown) => {
    assert.ok(isRegistryError(error, kind), `expected ${kind}, got ${error}`)
    assert.match(error.message, message)
    return true
  }
}

describe('Serdes', { timeout: 30_000 }, () => {
  let registry: RunningRegistry
  let serdes: Serdes
  const ids: Record<string, number> = {}

  before(async () => {
    registry = await startRegistry({ store: createMemoryStore(), port: 0 })
    serdes = new Serdes({ registry: registry.url })
    const register = async (subject: string, body: object) =>
      (await registry.service.register(subject, body as { schema: string })).id
    ids.avro = await register('orders-value', { schema: orderV1 })
    ids.json = await register('items-value', {
      schemaType: 'JSON',
      schema: JSON.stringify({
        type: 'object',
        properties: { sku: { type: 'string' }, qty: { type: 'integer' } },
        required: ['sku'],
      }),
    })
    ids.money = await register('money', {
      schemaType: 'PROTOBUF',
      schema: 'syntax = "proto3";\npackage shop;\nmessage Money { int64 cents = 1; string currency = 2; }',
    })
    ids.proto = await register('payments-value', {
      schemaType: 'PROTOBUF',
      schema:
        'syntax = "proto3";\npackage shop;\nimport "money.proto";\nmessage Payment { string order = 1; Money amount = 2; Status status = 3; }\n' +
        'enum Status { PENDING = 0; DONE = 1; }\nmessage Refund { string reason = 1; message Line { int32 n = 1; } }',
      references: [{ name: 'money.proto', subject: 'money', version: 1 }],
    })
  })
  after(async () => {
    await registry?.close()
  })

  it('round-trips Avro by id and by subject', async () => {
    const bytes = await serdes.serialize({ subject: 'orders-value' }, { id: 'o1', amount: 12.5 })
    assert.deepEqual([...bytes.subarray(0, 5)], [0, 0, 0, 0, ids.avro])
    const record = await serdes.deserialize(bytes)
    assert.deepEqual({ ...(record.value as object) }, { id: 'o1', amount: 12.5 })
    assert.deepEqual([record.schemaId, record.schemaType], [ids.avro, 'AVRO'])
  })

  it('reads Avro into a reader schema by schema resolution', async () => {
    const bytes = await serdes.serialize(ids.avro, { id: 'o2', amount: 3 })
    const reader = {
      type: 'record',
      name: 'Order',
      namespace: 'shop',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'currency', type: 'string', default: 'EUR' },
      ],
    }
    const record = await serdes.deserialize(bytes, { readerSchema: reader })
    assert.deepEqual({ ...(record.value as object) }, { id: 'o2', currency: 'EUR' })
  })

  it('says which field of an Avro value does not match', async () => {
    await assert.rejects(
      serdes.serialize(ids.avro, { id: 'o3', amount: 'lots' }),
      failsWith(
        'SERDES_RECORD_MISMATCH',
        /^The value does not match Avro schema \d+ \(shop.Order\): 'amount' should be double, got "lots"$/,
      ),
    )
  })

  it('round-trips JSON and validates both ways', async () => {
    const bytes = await serdes.serialize(ids.json, { sku: 'A-1', qty: 2 })
    assert.equal(bytes.subarray(5).toString(), '{"sku":"A-1","qty":2}')
    assert.deepEqual((await serdes.deserialize(bytes)).value, { sku: 'A-1', qty: 2 })
    await assert.rejects(
      serdes.serialize(ids.json, { qty: 'x' }),
      failsWith(
        'SERDES_RECORD_MISMATCH',
        /does not match JSON schema \d+: \/ must have required property 'sku'; \/qty must be integer/,
      ),
    )
    const bad = encodeWireFormat(ids.json, Buffer.from('{"qty": 1}'))
    await assert.rejects(
      serdes.deserialize(bad),
      failsWith('SERDES_RECORD_MISMATCH', /The record does not match/),
    )
    assert.deepEqual((await serdes.deserialize(bad, { validate: false })).value, { qty: 1 })
    await assert.rejects(
      serdes.deserialize(encodeWireFormat(ids.json, Buffer.from('{nope'))),
      failsWith('SERDES_MALFORMED_PAYLOAD', /is not JSON/),
    )
  })

  it('round-trips Protobuf with message indexes and imported types', async () => {
    const bytes = await serdes.serialize(ids.proto, {
      order: 'o1',
      amount: { cents: 150, currency: 'EUR' },
      status: 'DONE',
    })
    assert.equal(decodeWireFormat(bytes).payload[0], 0, 'the first message is written as index [0]')
    const record = await serdes.deserialize(bytes)
    assert.deepEqual(record.value, { order: 'o1', amount: { cents: '150', currency: 'EUR' }, status: 'DONE' })
    assert.equal(record.messageName, 'shop.Payment')
    const nested = await serdes.serialize(ids.proto, { n: 4 }, { messageName: 'Refund.Line' })
    assert.deepEqual([...decodeWireFormat(nested).payload.subarray(0, 3)], [4, 2, 0])
    assert.deepEqual(await serdes.deserialize(nested), {
      value: { n: 4 },
      schemaId: ids.proto,
      schemaType: 'PROTOBUF',
      messageName: 'shop.Refund.Line',
    })
  })

  it('reads Protobuf records written without message indexes as the first message', async () => {
    const loaded = await serdes.schema(ids.proto)
    assert.equal(loaded.schema.schemaType, 'PROTOBUF')
    const withIndexes = await serdes.serialize(ids.proto, { order: 'o9' })
    const withoutIndexes = encodeWireFormat(ids.proto, decodeWireFormat(withIndexes).payload.subarray(1))
    assert.equal(((await serdes.deserialize(withoutIndexes)).value as { order: string }).order, 'o9')
  })

  it('names the Protobuf problem: unknown message, wrong field type', async () => {
    await assert.rejects(
      serdes.serialize(ids.proto, {}, { messageName: 'Nope' }),
      failsWith(
        'SERDES_UNKNOWN_MESSAGE',
        /has no message 'Nope'; it declares shop.Payment, shop.Refund, shop.Refund.Line/,
      ),
    )
    await assert.rejects(
      serdes.serialize(ids.proto, { order: 5 }),
      failsWith(
        'SERDES_RECORD_MISMATCH',
        /does not match Protobuf message shop.Payment of schema \d+: order: a string expected, got 5$/,
      ),
    )
  })

  it('says when a schema id is unknown, and does not cache the failure', async () => {
    await assert.rejects(
      serdes.deserialize(encodeWireFormat(77, Buffer.from([1]))),
      failsWith(
        'SERDES_UNKNOWN_SCHEMA_ID',
        new RegExp(`^Schema id 77 is unknown to the registry at ${registry.url}$`),
      ),
    )
    await assert.rejects(serdes.schema(77), failsWith('SERDES_UNKNOWN_SCHEMA_ID', /77/))
  })

  it('asks the registry once per id, and caches latest for a while', async () => {
    let requests = 0
    const counting = new Serdes({ registry: registry.url, latestCacheMs: 60_000 })
    const original = counting.client.schemaById.bind(counting.client)
    counting.client.schemaById = async (id) => {
      requests++
      return original(id)
    }
    await Promise.all([1, 2, 3].map(() => counting.serialize(ids.avro, { id: 'x', amount: 1 })))
    assert.equal(requests, 1)
    const first = await counting.resolveId({ subject: 'orders-value' })
    await registry.service.register('orders-value', {
      schema: JSON.stringify({
        ...JSON.parse(orderV1),
        fields: [...JSON.parse(orderV1).fields, { name: 'n', type: 'int', default: 0 }],
      }),
    })
    assert.equal(await counting.resolveId({ subject: 'orders-value' }), first)
    assert.notEqual(
      await new Serdes({ registry: registry.url }).resolveId({ subject: 'orders-value' }),
      first,
    )
  })
})

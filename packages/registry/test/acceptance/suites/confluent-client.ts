import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { Serdes } from '../../../src/serdes/serdes.ts'
import { decodeWireFormat } from '../../../src/serdes/wire-format.ts'
import type { RunningRegistry } from '../../../src/start-registry.ts'

// @kafkajs/confluent-schema-registry (3.6, the Node 20 line) registers, encodes and decodes
// through our registry, and its bytes and ours are read by each other.
export function interoperability(
  start: () => Promise<RunningRegistry>,
  stop: () => Promise<void> = async () => {},
) {
  let registry: RunningRegistry
  let client: SchemaRegistry
  let serdes: Serdes

  before(async () => {
    registry = await start()
    client = new SchemaRegistry({ host: registry.url })
    serdes = new Serdes({ registry: registry.url })
  })
  after(async () => {
    await registry?.close()
    await stop()
  })

  it('Avro: same bytes both ways', async () => {
    const schema = JSON.stringify({
      type: 'record',
      name: 'Order',
      namespace: 'shop',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'amount', type: 'double' },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    })
    const { id } = await client.register({ type: SchemaType.AVRO, schema }, { subject: 'orders-value' })
    assert.equal(await client.getLatestSchemaId('orders-value'), id)
    assert.equal(await client.getRegistryIdBySchema('orders-value', { type: SchemaType.AVRO, schema }), id)
    const order = { id: 'o1', amount: 12.5, note: 'gift' }
    const theirs = await client.encode(id, order)
    const ours = await serdes.serialize({ subject: 'orders-value' }, order)
    assert.deepEqual(ours, theirs)
    assert.deepEqual({ ...((await serdes.deserialize(theirs)).value as object) }, order)
    assert.deepEqual({ ...(await client.decode(ours)) }, order)
  })

  it('JSON Schema: same bytes both ways', async () => {
    const schema = JSON.stringify({
      type: 'object',
      properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } },
      required: ['sku', 'qty'],
    })
    const { id } = await client.register({ type: SchemaType.JSON, schema }, { subject: 'items-value' })
    const item = { sku: 'A-1', qty: 3 }
    const theirs = await client.encode(id, item)
    const ours = await serdes.serialize(id, item)
    assert.deepEqual(ours, theirs)
    assert.deepEqual((await serdes.deserialize(theirs)).value, item)
    assert.deepEqual(await client.decode(ours), item)
    await assert.rejects(serdes.serialize(id, { sku: 'A-1', qty: 0 }), /\/qty must be >= 1/)
  })

  it('Protobuf: each reads the other', async () => {
    // That client's Protobuf support needs a file without a package and one-word field names.
    const schema =
      'syntax = "proto3";\nmessage Payment {\n  string order = 1;\n  int64 cents = 2;\n  bool captured = 3;\n}\n'
    const { id } = await client.register({ type: SchemaType.PROTOBUF, schema }, { subject: 'payments-value' })
    const payment = { order: 'o1', cents: 1250, captured: true }
    const theirs = await client.encode(id, payment)
    const ours = await serdes.serialize(id, payment)
    // Ours carries Confluent's message index [0] (one zero byte); theirs carries none.
    assert.deepEqual(
      decodeWireFormat(ours).payload,
      Buffer.concat([Buffer.from([0]), decodeWireFormat(theirs).payload]),
    )
    assert.deepEqual((await serdes.deserialize(theirs)).value, { order: 'o1', cents: '1250', captured: true })
    const decoded = (await client.decode(ours)) as {
      order: string
      cents: { toString(): string }
      captured: boolean
    }
    assert.deepEqual([decoded.order, decoded.cents.toString(), decoded.captured], ['o1', '1250', true])
  })

  it('registers an Avro schema with references', async () => {
    const money = JSON.stringify({
      type: 'record',
      name: 'Money',
      namespace: 'shop',
      fields: [{ name: 'cents', type: 'long' }],
    })
    const moneyId = (await client.register({ type: SchemaType.AVRO, schema: money }, { subject: 'money' })).id
    const invoice = JSON.stringify({
      type: 'record',
      name: 'Invoice',
      namespace: 'shop',
      fields: [{ name: 'total', type: 'shop.Money' }],
    })
    const { id } = await client.register(
      {
        type: SchemaType.AVRO,
        schema: invoice,
        references: [{ name: 'shop.Money', subject: 'money', version: 1 }],
      },
      { subject: 'invoices-value' },
    )
    assert.notEqual(id, moneyId)
    const theirs = await client.encode(id, { total: { cents: 500 } })
    assert.equal(
      Number(((await serdes.deserialize(theirs)).value as { total: { cents: number } }).total.cents),
      500,
    )
    assert.equal(
      Number(
        (
          (await client.decode(await serdes.serialize(id, { total: { cents: 7 } }))) as {
            total: { cents: number }
          }
        ).total.cents,
      ),
      7,
    )
  })
}

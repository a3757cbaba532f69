import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { http, registryOn, type SuiteKafka, snapshot } from '../../support/registries.ts'

// The registry keeps nothing of its own: stopping it (and restarting the broker of its own, if
// it has one) loses nothing, and every subject, version and id comes back as it was, read back
// from the topic.
export function persistence(kafka: SuiteKafka) {
  before(async () => {
    await kafka.start()
  })
  after(async () => {
    await kafka.stop()
  })

  it('keeps every subject, version, id, config and deletion', async () => {
    let registry = await registryOn(kafka)
    const url = () => registry.url
    const post = (subject: string, body: unknown) =>
      http(url(), 'POST', `/subjects/${subject}/versions`, body)
    await post('orders-value', {
      schema: '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}',
    })
    await post('orders-value', {
      schema:
        '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"n","type":"int","default":0}]}',
    })
    await post('money', {
      schemaType: 'PROTOBUF',
      schema: 'syntax = "proto3";\nmessage Money { int64 cents = 1; }',
    })
    await post('payments-value', {
      schemaType: 'PROTOBUF',
      schema: 'syntax = "proto3";\nimport "money.proto";\nmessage Payment { Money amount = 1; }',
      references: [{ name: 'money.proto', subject: 'money', version: 1 }],
    })
    await post('items-value', {
      schemaType: 'JSON',
      schema: '{"type":"object","properties":{"sku":{"type":"string"}}}',
    })
    await post('old', { schema: '"string"' })
    await http(url(), 'DELETE', '/subjects/old')
    await http(url(), 'PUT', '/config/items-value', { compatibility: 'FULL' })
    await http(url(), 'PUT', '/config', { compatibility: 'FORWARD' })
    const before = await snapshot(url())

    await registry.close()
    await kafka.restart()
    registry = await registryOn(kafka)
    try {
      assert.deepEqual(await snapshot(url()), before)
      // The same schema keeps its id; a new one gets the next id.
      assert.deepEqual((await post('again', { schema: '"string"' })).body, { id: 6 })
      assert.deepEqual((await post('brand-new', { schema: '"boolean"' })).body, { id: 7 })
      assert.deepEqual((await http(url(), 'GET', '/subjects/orders-value/versions')).body, [1, 2])
    } finally {
      await registry.close()
    }
  })
}

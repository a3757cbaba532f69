import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { Consumer } from '@platformatic/kafka'
import type { RunningRegistry } from '../../../src/start-registry.ts'
import { http, registryOn, type SuiteKafka, snapshot } from '../../support/registries.ts'

// Bad input against the registry on Kafka: Confluent's status and error code with a readable
// message, nothing written to the topic, nothing stored changed.
export function badInput(kafka: SuiteKafka) {
  let registry: RunningRegistry
  let consumer: Consumer
  const topic = kafka.topic ?? '_schemas'

  before(async () => {
    await kafka.start()
    registry = await registryOn(kafka)
    consumer = new Consumer({
      clientId: 'test',
      groupId: 'test',
      bootstrapBrokers: kafka.bootstrap.split(','),
    })
    await http(registry.url, 'POST', '/subjects/orders/versions', {
      schema: '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}',
    })
    await http(registry.url, 'POST', '/subjects/gone/versions', { schema: '"string"' })
    await http(registry.url, 'DELETE', '/subjects/gone')
  })
  after(async () => {
    await consumer?.close()
    await registry?.close()
    await kafka.stop()
  })

  const endOffset = async () => (await consumer.listOffsets({ topics: [topic] })).get(topic)?.[0]

  const cases: [string, string, string, unknown, number, number, RegExp][] = [
    [
      'a malformed JSON body',
      'POST',
      '/subjects/orders/versions',
      '{"schema":',
      400,
      400,
      /^Malformed JSON body/,
    ],
    [
      'an invalid Avro schema',
      'POST',
      '/subjects/orders/versions',
      { schema: '{"type":"record","name":"X","fields":[{"name":"a"}]}' },
      422,
      42201,
      /^Invalid schema: not a valid Avro schema/,
    ],
    [
      'an invalid JSON schema',
      'POST',
      '/subjects/j/versions',
      { schemaType: 'JSON', schema: '{"type": 12}' },
      422,
      42201,
      /^Invalid schema: not a valid JSON schema/,
    ],
    [
      'an invalid Protobuf schema',
      'POST',
      '/subjects/p/versions',
      { schemaType: 'PROTOBUF', schema: 'message {' },
      422,
      42201,
      /^Invalid schema: the Protobuf schema is not valid Protobuf/,
    ],
    [
      'an unknown subject',
      'GET',
      '/subjects/unknown/versions/latest',
      undefined,
      404,
      40401,
      /^Subject 'unknown' not found.$/,
    ],
    [
      'an unknown version',
      'GET',
      '/subjects/orders/versions/5',
      undefined,
      404,
      40402,
      /^Version 5 not found.$/,
    ],
    [
      'a deleted subject',
      'GET',
      '/subjects/gone/versions/1',
      undefined,
      404,
      40401,
      /^Subject 'gone' not found.$/,
    ],
    [
      'a deleted subject deleted again',
      'DELETE',
      '/subjects/gone',
      undefined,
      404,
      40404,
      /was soft deleted/,
    ],
  ]

  for (const [what, method, path, body, status, errorCode, message] of cases) {
    it(`answers ${what} with ${status} / ${errorCode} and writes nothing`, async () => {
      const offset = await endOffset()
      const before = await snapshot(registry.url)
      const answer = await http(registry.url, method, path, body)
      const error = answer.body as { error_code: number; message: string }
      assert.deepEqual([answer.status, error.error_code], [status, errorCode], JSON.stringify(answer.body))
      assert.match(error.message, message)
      assert.equal(await endOffset(), offset)
      assert.deepEqual(await snapshot(registry.url), before)
    })
  }
}

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testApp } from '../support/app.ts'
import { orderV1 } from '../support/schemas.ts'

describe('REST API content types', () => {
  it('reads bodies sent as its own type, as application/json and as octet-stream', async () => {
    const { call } = testApp()
    for (const [subject, type] of [
      ['a', 'application/vnd.schemaregistry.v1+json'],
      ['b', 'application/vnd.schemaregistry+json'],
      ['c', 'application/json'],
      ['d', 'application/octet-stream'],
    ]) {
      const answer = await call(
        'POST',
        `/subjects/${subject}/versions`,
        { schema: '"string"' },
        { 'content-type': type },
      )
      assert.deepEqual([answer.status, answer.body], [200, { id: 1 }], type)
    }
  })

  it('answers in its own type unless the client asks for application/json', async () => {
    const { call } = testApp()
    assert.equal(
      (await call('GET', '/subjects')).contentType,
      'application/vnd.schemaregistry.v1+json; charset=utf-8',
    )
    assert.equal(
      (await call('GET', '/subjects', undefined, { accept: 'application/json' })).contentType,
      'application/json; charset=utf-8',
    )
    assert.equal(
      (await call('GET', '/nope', undefined, { accept: 'application/json' })).contentType,
      'application/vnd.schemaregistry.v1+json; charset=utf-8',
    )
  })

  it('answers the root and the schema types', async () => {
    const { call } = testApp()
    assert.deepEqual((await call('GET', '/')).body, {})
    assert.deepEqual((await call('GET', '/schemas/types')).body, ['JSON', 'PROTOBUF', 'AVRO'])
  })
})

describe('REST API subjects and versions', () => {
  it('registers, lists and reads versions in Confluent shapes', async () => {
    const { call } = testApp()
    assert.deepEqual((await call('POST', '/subjects/orders-value/versions', { schema: orderV1 })).body, {
      id: 1,
    })
    assert.deepEqual((await call('GET', '/subjects')).body, ['orders-value'])
    assert.deepEqual((await call('GET', '/subjects/orders-value/versions')).body, [1])
    const version = await call('GET', '/subjects/orders-value/versions/latest')
    assert.equal(
      version.text,
      JSON.stringify({
        subject: 'orders-value',
        version: 1,
        id: 1,
        schema: JSON.stringify(JSON.parse(orderV1)),
      }),
    )
    assert.equal(
      (await call('GET', '/subjects/orders-value/versions/1/schema')).text,
      JSON.stringify(JSON.parse(orderV1)),
    )
    assert.deepEqual((await call('GET', '/subjects/orders-value/versions/-1')).body, version.body)
  })

  it('writes schemaType and references for the other formats', async () => {
    const { call } = testApp()
    const base = 'syntax = "proto3";\nmessage Money { int64 cents = 1; }'
    await call('POST', '/subjects/money/versions', { schema: base, schemaType: 'PROTOBUF' })
    const order = 'syntax = "proto3";\nimport "money.proto";\nmessage Order { Money total = 1; }'
    const references = [{ name: 'money.proto', subject: 'money', version: 1 }]
    assert.deepEqual(
      (await call('POST', '/subjects/order/versions', { schema: order, schemaType: 'PROTOBUF', references }))
        .body,
      {
        id: 2,
      },
    )
    assert.deepEqual((await call('GET', '/subjects/order/versions/1')).body, {
      subject: 'order',
      version: 1,
      id: 2,
      schemaType: 'PROTOBUF',
      references,
      schema: order,
    })
    assert.deepEqual((await call('GET', '/schemas/ids/2')).body, {
      schemaType: 'PROTOBUF',
      references,
      schema: order,
    })
    assert.deepEqual((await call('GET', '/subjects/money/versions/1/referencedby')).body, [2])
  })

  it('looks a schema up under a subject', async () => {
    const { call } = testApp()
    await call('POST', '/subjects/orders/versions', { schema: orderV1 })
    const found = await call('POST', '/subjects/orders', { schema: orderV1 })
    assert.deepEqual(found.body, {
      subject: 'orders',
      version: 1,
      id: 1,
      schema: JSON.stringify(JSON.parse(orderV1)),
    })
    const missing = await call('POST', '/subjects/orders', { schema: '"int"' })
    assert.deepEqual(
      [missing.status, missing.body],
      [404, { error_code: 40403, message: 'Schema not found' }],
    )
  })

  it('soft and hard deletes subjects and versions, with deleted=true to see them', async () => {
    const { call } = testApp()
    await call('POST', '/subjects/s/versions', { schema: '"string"' })
    await call('POST', '/subjects/s/versions', { schema: '["string","null"]' })
    assert.deepEqual((await call('DELETE', '/subjects/s/versions/2')).body, 2)
    assert.deepEqual((await call('GET', '/subjects/s/versions')).body, [1])
    assert.deepEqual((await call('GET', '/subjects/s/versions?deleted=true')).body, [1, 2])
    assert.deepEqual((await call('GET', '/subjects/s/versions?deletedOnly=true')).body, [2])
    assert.deepEqual((await call('DELETE', '/subjects/s/versions/2?permanent=true')).body, 2)
    assert.deepEqual((await call('DELETE', '/subjects/s')).body, [1])
    assert.deepEqual((await call('GET', '/subjects')).body, [])
    assert.deepEqual((await call('GET', '/subjects?deleted=true')).body, ['s'])
    assert.equal((await call('GET', '/subjects/s/versions/1?deleted=true')).status, 200)
    assert.deepEqual((await call('DELETE', '/subjects/s?permanent=true')).body, [1])
    assert.deepEqual((await call('GET', '/subjects?deleted=true')).body, [])
  })

  it('decodes subjects with reserved characters from the path', async () => {
    const { call } = testApp()
    await call('POST', '/subjects/shop%2Forders%20v2/versions', { schema: '"string"' })
    assert.deepEqual((await call('GET', '/subjects')).body, ['shop/orders v2'])
    assert.equal((await call('GET', '/subjects/shop%2Forders%20v2/versions/1')).status, 200)
  })
})

describe('REST API schemas by id', () => {
  it('serves a schema, its text, its subjects and versions', async () => {
    const { call } = testApp()
    await call('POST', '/subjects/a/versions', { schema: '"string"' })
    await call('POST', '/subjects/b/versions', { schema: '"string"' })
    assert.deepEqual((await call('GET', '/schemas/ids/1')).body, { schema: '"string"' })
    assert.deepEqual((await call('GET', '/schemas/ids/1?fetchMaxId=true')).body, {
      schema: '"string"',
      maxId: 1,
    })
    assert.equal((await call('GET', '/schemas/ids/1/schema')).text, '"string"')
    assert.deepEqual((await call('GET', '/schemas/ids/1/subjects')).body, ['a', 'b'])
    assert.deepEqual((await call('GET', '/schemas/ids/1/versions')).body, [
      { subject: 'a', version: 1 },
      { subject: 'b', version: 1 },
    ])
    await call('DELETE', '/subjects/a')
    assert.deepEqual((await call('GET', '/schemas/ids/1/subjects')).body, ['b'])
    assert.deepEqual((await call('GET', '/schemas/ids/1/subjects?deleted=true')).body, ['a', 'b'])
    assert.deepEqual((await call('GET', '/schemas?latestOnly=true')).body, [
      { subject: 'b', version: 1, id: 1, schema: '"string"' },
    ])
  })
})

describe('REST API config and mode', () => {
  it('reads and sets levels globally and per subject, as Confluent answers them', async () => {
    const { call } = testApp()
    assert.deepEqual((await call('GET', '/config')).body, { compatibilityLevel: 'BACKWARD' })
    assert.deepEqual((await call('PUT', '/config', { compatibility: 'FULL' })).body, {
      compatibility: 'FULL',
    })
    assert.deepEqual((await call('GET', '/config')).body, { compatibilityLevel: 'FULL' })
    const missing = await call('GET', '/config/orders')
    assert.deepEqual(
      [missing.status, missing.body],
      [
        404,
        {
          error_code: 40408,
          message: "Subject 'orders' does not have subject-level compatibility configured",
        },
      ],
    )
    assert.deepEqual((await call('GET', '/config/orders?defaultToGlobal=true')).body, {
      compatibilityLevel: 'FULL',
    })
    assert.deepEqual((await call('PUT', '/config/orders', { compatibility: 'none' })).body, {
      compatibility: 'NONE',
    })
    assert.deepEqual((await call('GET', '/config/orders')).body, { compatibilityLevel: 'NONE' })
    assert.deepEqual((await call('DELETE', '/config/orders')).body, { compatibilityLevel: 'NONE' })
    assert.deepEqual((await call('DELETE', '/config')).body, { compatibilityLevel: 'FULL' })
    assert.deepEqual((await call('GET', '/config')).body, { compatibilityLevel: 'BACKWARD' })
  })

  it('reads and sets modes', async () => {
    const { call } = testApp()
    assert.deepEqual((await call('GET', '/mode')).body, { mode: 'READWRITE' })
    assert.deepEqual((await call('PUT', '/mode/orders', { mode: 'READONLY' })).body, { mode: 'READONLY' })
    const refused = await call('POST', '/subjects/orders/versions', { schema: '"string"' })
    assert.deepEqual(
      [refused.status, refused.body],
      [422, { error_code: 42205, message: "Subject 'orders' is in read-only mode" }],
    )
    assert.deepEqual((await call('DELETE', '/mode/orders')).body, { mode: 'READONLY' })
    const unset = await call('GET', '/mode/orders')
    assert.deepEqual([unset.status, (unset.body as { error_code: number }).error_code], [404, 40409])
    assert.deepEqual((await call('GET', '/mode/orders?defaultToGlobal=true')).body, { mode: 'READWRITE' })
  })
})

describe('REST API compatibility checks', () => {
  const v2NoDefault = JSON.stringify({
    type: 'record',
    name: 'Order',
    namespace: 'shop',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'amount', type: 'double' },
      { name: 'currency', type: 'string' },
    ],
  })

  it('answers is_compatible, with the reasons when verbose', async () => {
    const { call } = testApp()
    await call('POST', '/subjects/orders/versions', { schema: orderV1 })
    assert.deepEqual(
      (await call('POST', '/compatibility/subjects/orders/versions/latest', { schema: v2NoDefault })).body,
      {
        is_compatible: false,
      },
    )
    const verbose = await call('POST', '/compatibility/subjects/orders/versions/1?verbose=true', {
      schema: v2NoDefault,
    })
    const body = verbose.body as { is_compatible: boolean; messages: string[] }
    assert.equal(body.is_compatible, false)
    assert.equal(
      body.messages[0],
      "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'currency' at path '/fields/2' in the new schema has no default value and is missing in the old schema', additionalInfo:'currency'}",
    )
    assert.deepEqual(body.messages.slice(1, 2), ['{oldSchemaVersion: 1}'])
    assert.deepEqual(
      (await call('POST', '/compatibility/subjects/orders/versions?verbose=true', { schema: orderV1 })).body,
      {
        is_compatible: true,
        messages: [],
      },
    )
  })

  it('checks a new subject as compatible, but a named version must exist', async () => {
    const { call } = testApp()
    assert.deepEqual((await call('POST', '/compatibility/subjects/new/versions', { schema: orderV1 })).body, {
      is_compatible: true,
    })
    const missing = await call('POST', '/compatibility/subjects/new/versions/latest', { schema: orderV1 })
    assert.deepEqual([missing.status, (missing.body as { error_code: number }).error_code], [404, 40401])
    await call('POST', '/subjects/new/versions', { schema: orderV1 })
    const noVersion = await call('POST', '/compatibility/subjects/new/versions/9', { schema: orderV1 })
    assert.deepEqual(
      [noVersion.status, noVersion.body],
      [404, { error_code: 40402, message: 'Version 9 not found.' }],
    )
  })
})

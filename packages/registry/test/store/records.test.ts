import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeRecord, encodeKey, encodeRecord } from '../../src/store/records.ts'

describe('records of the _schemas topic', () => {
  it('writes keys byte for byte as Confluent does', () => {
    assert.equal(
      encodeKey({ keytype: 'SCHEMA', subject: 'orders-value', version: 2 }).toString(),
      '{"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}',
    )
    assert.equal(
      encodeKey({ keytype: 'CONFIG', subject: null }).toString(),
      '{"keytype":"CONFIG","subject":null,"magic":0}',
    )
    assert.equal(
      encodeKey({ keytype: 'MODE', subject: 's' }).toString(),
      '{"keytype":"MODE","subject":"s","magic":0}',
    )
    assert.equal(
      encodeKey({ keytype: 'DELETE_SUBJECT', subject: 's' }).toString(),
      '{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}',
    )
    assert.equal(encodeKey({ keytype: 'NOOP' }).toString(), '{"keytype":"NOOP","magic":0}')
  })

  it('leaves out schemaType for Avro and empty references, as Confluent does', () => {
    const encoded = encodeRecord({
      key: { keytype: 'SCHEMA', subject: 's', version: 1 },
      value: {
        subject: 's',
        version: 1,
        id: 7,
        schemaType: 'AVRO',
        references: [],
        schema: '"int"',
        deleted: false,
      },
    })
    assert.equal(
      encoded.value?.toString(),
      '{"subject":"s","version":1,"id":7,"schema":"\\"int\\"","deleted":false}',
    )
    const proto = encodeRecord({
      key: { keytype: 'SCHEMA', subject: 'p', version: 1 },
      value: {
        subject: 'p',
        version: 1,
        id: 8,
        schemaType: 'PROTOBUF',
        references: [{ name: 'a.proto', subject: 'a', version: 1 }],
        schema: 'syntax = "proto3";',
        deleted: false,
      },
    })
    assert.deepEqual(JSON.parse(proto.value?.toString() ?? ''), {
      subject: 'p',
      version: 1,
      id: 8,
      schemaType: 'PROTOBUF',
      references: [{ name: 'a.proto', subject: 'a', version: 1 }],
      schema: 'syntax = "proto3";',
      deleted: false,
    })
  })

  it('reads what it writes, tombstones included', () => {
    const records = [
      { key: { keytype: 'CONFIG' as const, subject: 'x' }, value: { compatibilityLevel: 'FULL' as const } },
      {
        key: { keytype: 'CONFIG' as const, subject: null },
        value: { compatibilityLevel: 'NONE' as const, normalize: true },
      },
      { key: { keytype: 'CONFIG' as const, subject: 'y' }, value: { normalize: false } },
      { key: { keytype: 'MODE' as const, subject: null }, value: { mode: 'READONLY' as const } },
      { key: { keytype: 'DELETE_SUBJECT' as const, subject: 'x' }, value: { subject: 'x', version: 3 } },
      { key: { keytype: 'SCHEMA' as const, subject: 'x', version: 3 }, value: null },
      { key: { keytype: 'NOOP' as const }, value: null },
    ]
    for (const record of records) {
      const encoded = encodeRecord(record)
      assert.deepEqual(decodeRecord(encoded.key, encoded.value), record)
    }
  })

  it('reads records written by Confluent, with fields it does not know', () => {
    const decoded = decodeRecord(
      Buffer.from('{"keytype":"SCHEMA","subject":"t","version":1,"magic":1}'),
      Buffer.from(
        '{"subject":"t","version":1,"id":3,"schema":"\\"string\\"","deleted":false,"metadata":null,"ts":1}',
      ),
    )
    assert.deepEqual(decoded?.value, {
      subject: 't',
      version: 1,
      id: 3,
      schemaType: 'AVRO',
      references: [],
      schema: '"string"',
      deleted: false,
    })
    const config = decodeRecord(
      Buffer.from('{"keytype":"CONFIG","magic":0}'),
      Buffer.from('{"compatibilityLevel":"backward_transitive","alias":null}'),
    )
    assert.deepEqual(config, {
      key: { keytype: 'CONFIG', subject: null },
      value: { compatibilityLevel: 'BACKWARD_TRANSITIVE' },
    })
    // Confluent writes a PUT of `{"normalize": true}` alone as a config without a level.
    const normalizeOnly = decodeRecord(
      Buffer.from('{"keytype":"CONFIG","subject":"s","magic":0}'),
      Buffer.from('{"normalize":true,"validateFields":false}'),
    )
    assert.deepEqual(normalizeOnly, { key: { keytype: 'CONFIG', subject: 's' }, value: { normalize: true } })
  })

  it('skips records it does not understand', () => {
    assert.equal(
      decodeRecord(Buffer.from('{"keytype":"CONTEXT","context":".a","magic":0}'), Buffer.from('{}')),
      undefined,
    )
    assert.equal(decodeRecord(Buffer.from('not json'), Buffer.from('{}')), undefined)
    assert.equal(decodeRecord(null, Buffer.from('{}')), undefined)
    assert.equal(
      decodeRecord(
        Buffer.from('{"keytype":"SCHEMA","subject":"t","version":1,"magic":1}'),
        Buffer.from('{"id":"x"}'),
      ),
      undefined,
    )
  })
})

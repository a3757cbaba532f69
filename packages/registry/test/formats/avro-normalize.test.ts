import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { avroFormat } from '../../src/formats/avro.ts'
import type { ResolvedReference } from '../../src/schema-types.ts'

function normalized(schema: unknown, references: ResolvedReference[] = []): string {
  const text = typeof schema === 'string' ? schema : JSON.stringify(schema)
  return avroFormat.normalize(avroFormat.parse(text, references))
}

describe('Avro normalization', () => {
  it('writes attributes in Java order, other properties sorted, and field attributes in field order', () => {
    const schema = {
      fields: [{ zprop: 'z', type: { type: 'string' }, aprop: 'a', name: 'id', doc: 'the id' }],
      'connect.version': 2,
      name: 'Order',
      'connect.name': 'shop.Order',
      type: 'record',
      namespace: 'shop',
    }
    assert.equal(
      normalized(schema),
      '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string","doc":"the id",' +
        '"aprop":"a","zprop":"z"}],"connect.name":"shop.Order","connect.version":2}',
    )
  })

  it('resolves names: a dotted name and a namespace attribute are the same, nested names are short', () => {
    const dotted = {
      type: 'record',
      name: 'shop.Order',
      fields: [
        {
          name: 'buyer',
          type: { type: 'record', name: 'shop.Customer', fields: [{ name: 'n', type: 'string' }] },
        },
        { name: 'seller', type: 'shop.Customer' },
        { name: 'kind', type: { type: 'enum', name: 'Kind', namespace: 'other', symbols: ['A'] } },
        { name: 'again', type: 'other.Kind' },
      ],
    }
    const withNamespaces = {
      type: 'record',
      name: 'Order',
      namespace: 'shop',
      fields: [
        {
          name: 'buyer',
          type: {
            type: 'record',
            name: 'Customer',
            namespace: 'shop',
            fields: [{ name: 'n', type: 'string' }],
          },
        },
        { name: 'seller', type: 'Customer' },
        { name: 'kind', type: { type: 'enum', name: 'other.Kind', symbols: ['A'] } },
        { name: 'again', type: 'other.Kind' },
      ],
    }
    const expected =
      '{"type":"record","name":"Order","namespace":"shop","fields":[' +
      '{"name":"buyer","type":{"type":"record","name":"Customer","fields":[{"name":"n","type":"string"}]}},' +
      '{"name":"seller","type":"Customer"},' +
      '{"name":"kind","type":{"type":"enum","name":"Kind","namespace":"other","symbols":["A"]}},' +
      '{"name":"again","type":"other.Kind"}]}'
    assert.equal(normalized(dotted), expected)
    assert.equal(normalized(withNamespaces), expected)
  })

  it('sorts aliases, keeps logicalType first, drops what Java drops, sorts keys inside values', () => {
    const schema = {
      type: 'record',
      name: 'Payment',
      namespace: 'pay',
      doc: '',
      aliases: ['pay.Zeta', 'Alpha', 'old.Payment', 'Alpha'],
      fields: [
        {
          name: 'amount',
          type: { type: 'bytes', scale: 2, 'x-unit': 'EUR', precision: 9, logicalType: 'decimal' },
        },
        { name: 'at', type: 'long', order: 'ascending', aliases: ['when', 'time'] },
        { name: 'rank', type: 'int', order: 'descending' },
        { name: 'meta', type: { type: 'map', values: 'string' }, default: { z: '1', a: '2' } },
        {
          name: 'state',
          type: { type: 'enum', name: 'State', symbols: ['NEW', 'PAID'], default: 'NEW', doc: '' },
        },
      ],
    }
    assert.equal(
      normalized(schema),
      '{"type":"record","name":"Payment","namespace":"pay","fields":[' +
        '{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2,"x-unit":"EUR"}},' +
        '{"name":"at","type":"long","aliases":["time","when"]},' +
        '{"name":"rank","type":"int","order":"descending"},' +
        '{"name":"meta","type":{"type":"map","values":"string"},"default":{"a":"2","z":"1"}},' +
        '{"name":"state","type":{"type":"enum","name":"State","symbols":["NEW","PAID"],"default":"NEW"}}],' +
        '"aliases":["old.Payment","Alpha","Zeta"]}',
    )
  })

  it('writes names from references relative to the namespace, and is its own normalized form', () => {
    const address = JSON.stringify({ type: 'record', name: 'Address', namespace: 'shop', fields: [] })
    const references: ResolvedReference[] = [
      {
        name: 'shop.Address',
        subject: 'address',
        version: 1,
        schemaType: 'AVRO',
        schema: address,
        references: [],
      },
    ]
    const text = normalized(
      {
        type: 'record',
        name: 'Customer',
        namespace: 'shop',
        fields: [{ name: 'home', type: 'shop.Address' }],
      },
      references,
    )
    assert.equal(
      text,
      '{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"home","type":"Address"}]}',
    )
    assert.equal(normalized(text, references), text)
  })
})

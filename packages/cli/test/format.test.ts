import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bytesJson, type ConsumedRecord, compileFormat, recordJson } from '../src/format.ts'
import { UsageError } from '../src/usage-error.ts'

const record: ConsumedRecord = {
  topic: 'orders',
  partition: 2,
  offset: 41n,
  timestamp: 1714564800000n,
  key: Buffer.from('k1'),
  value: Buffer.from('hello'),
  headers: [
    [Buffer.from('ce_type'), Buffer.from('OrderPlaced')],
    [Buffer.from('trace'), null],
  ],
}

test('every placeholder of --format renders its field, with escapes and %%', () => {
  const render = compileFormat('%t|%p|%o|%k|%v|%h|%T|%d|%K|%S|100%%\\t.\\n')
  assert.equal(
    render(record).toString(),
    'orders|2|41|k1|hello|ce_type=OrderPlaced,trace=|1714564800000|2024-05-01T12:00:00.000Z|2|5|100%\t.\n',
  )
})

test('a null key or value prints nothing and has length -1; no headers print nothing', () => {
  const render = compileFormat('[%k][%v][%h] %K %S')
  assert.equal(render({ ...record, key: null, value: null, headers: [] }).toString(), '[][][] -1 -1')
})

test('--format writes keys and values byte for byte', () => {
  const value = Buffer.from([0xff, 0x00, 0xfe])
  assert.deepEqual(compileFormat('%v')({ ...record, value }), value)
})

test('an unknown placeholder is a usage error naming it and the valid ones', () => {
  assert.throws(
    () => compileFormat('%v %x'),
    (err: unknown) => {
      assert.ok(err instanceof UsageError)
      assert.match(err.message, /unknown placeholder "%x"; use %t %p %o %k %v %h %T %d %K %S/)
      return true
    },
  )
  assert.throws(() => compileFormat('trailing %'), UsageError)
})

test('JSON lines hold strings for UTF-8 bytes and base64 for the rest', () => {
  assert.deepEqual(JSON.parse(recordJson(record)), {
    topic: 'orders',
    partition: 2,
    offset: 41,
    timestamp: 1714564800000,
    key: 'k1',
    value: 'hello',
    headers: [
      { key: 'ce_type', value: 'OrderPlaced' },
      { key: 'trace', value: null },
    ],
  })
  assert.deepEqual(bytesJson(Buffer.from([0xff, 0xfe])), { base64: '//4=' })
  assert.equal(bytesJson(null), null)
})

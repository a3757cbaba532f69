import assert from 'node:assert/strict'
import { test } from 'node:test'
import { keyValues, table } from '../src/table.ts'

test('a table pads columns by two spaces under an upper-case header, with no trailing spaces', () => {
  assert.equal(
    table(
      ['name', 'partitions', 'note'],
      [
        ['orders', 3, null],
        ['payments-events', 12n, 'x'],
      ],
    ),
    'NAME             PARTITIONS  NOTE\norders           3           -\npayments-events  12          x\n',
  )
})

test('key/value lines align their values', () => {
  assert.equal(
    keyValues([
      ['name', 'orders'],
      ['partitions', 3],
    ]),
    'NAME        orders\nPARTITIONS  3\n',
  )
})

// Deterministic record sets for the batch tests: every shape a record can take (null and
// empty keys and values, headers with null values, non-ASCII header keys, timestamps before
// the first record's).
import type { RecordInput } from '../../src/records/build-batch.ts'

export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 0x100000000
  }
}

const WORDS = ['order', 'payment', 'inventory', 'shipped', 'customer', 'id', 'ключ', '😀', 'amount']

export function sampleRecords(count: number, seed = 1, baseTimestamp = 1_700_000_000_000): RecordInput[] {
  const rand = prng(seed)
  const text = (n: number) =>
    Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ')
  const records: RecordInput[] = []
  for (let i = 0; i < count; i++) {
    const shape = i % 7
    records.push({
      key: shape === 1 ? null : shape === 2 ? Buffer.alloc(0) : Buffer.from(`key-${i % 50}`),
      value:
        shape === 3 ? null : shape === 4 ? Buffer.alloc(0) : Buffer.from(text(1 + Math.floor(rand() * 40))),
      headers:
        shape === 5
          ? [
              { key: 'ce_type', value: Buffer.from('order.placed') },
              { key: 'trace-ключ', value: null },
              { key: '', value: Buffer.alloc(0) },
            ]
          : shape === 6
            ? [{ key: 'h', value: Buffer.from([i & 0xff]) }]
            : [],
      // Mostly rising, sometimes earlier than the first record (a negative delta).
      timestamp: baseTimestamp + Math.floor(rand() * 10_000) - (i % 11 === 10 ? 20_000 : 0),
    })
  }
  return records
}

// Deterministic test records and exact comparison of what a client read back with what was
// produced. A record set is generated from a seed, so a failure reproduces.

export interface TestHeader {
  key: string
  value: Buffer | null
}

export interface TestRecord {
  /** Index in the produced sequence. */
  index: number
  partition: number
  key: Buffer | null
  value: Buffer | null
  headers: TestHeader[]
  timestamp: number
}

/** A record as a client read it back. */
export interface ReadRecord {
  partition: number
  offset: number
  key: Buffer | null
  value: Buffer | null
  headers: TestHeader[]
  timestamp: number
}

export interface RecordSetOptions {
  count: number
  partitions: number
  seed: number
  /** Timestamp of record 0; later records step forward ~2 ms with some jitter (never sorted). */
  baseTimestamp: number
  /** Header values may be null (kafkajs cannot send them). */
  nullHeaderValues?: boolean
  /** Only printable ASCII without `:`, tab or newline (for kcat's line format). */
  text?: boolean
  /** Empty but non-null keys and values (kcat -Z cannot tell them from null). */
  emptyNotNull?: boolean
}

/** mulberry32: small, fast, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const HEADER_KEYS = ['ce_id', 'ce_type', 'traceparent', 'x-dup', 'schéma', 'k']

export function generateRecords(options: RecordSetOptions): TestRecord[] {
  const rnd = seededRandom(options.seed)
  const int = (n: number) => Math.floor(rnd() * n)
  const text = (n: number) => {
    let s = ''
    for (let i = 0; i < n; i++) s += ALNUM[int(ALNUM.length)]
    return s
  }
  const bytes = (n: number) => {
    if (options.text) return Buffer.from(text(n))
    const b = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) b[i] = int(256)
    return b
  }
  const valueLength = () => {
    const r = rnd()
    if (r < 0.02) return 2_000 + int(18_000) // a few large values
    if (r < 0.3) return int(16)
    return 16 + int(300)
  }
  const records: TestRecord[] = []
  let ts = options.baseTimestamp
  for (let index = 0; index < options.count; index++) {
    ts += int(4) // 0..3 ms later: equal timestamps happen too
    const jitter = rnd() < 0.05 ? -int(20) : 0 // some records are older than their predecessors
    const k = rnd()
    const key =
      k < 0.08
        ? null
        : k < 0.1 && options.emptyNotNull
          ? Buffer.alloc(0)
          : Buffer.from(`key-${int(500)}-${text(int(12))}`)
    const v = rnd()
    const value = v < 0.08 ? null : v < 0.1 && options.emptyNotNull ? Buffer.alloc(0) : bytes(valueLength())
    const headers: TestHeader[] = []
    const headerCount = int(4)
    for (let h = 0; h < headerCount; h++) {
      const hv = rnd()
      headers.push({
        key: HEADER_KEYS[int(HEADER_KEYS.length)],
        value:
          options.nullHeaderValues && hv < 0.1
            ? null
            : Buffer.from(options.text ? text(1 + int(20)) : bytes(int(40))),
      })
    }
    records.push({ index, partition: int(options.partitions), key, value, headers, timestamp: ts + jitter })
  }
  return records
}

/** The records of each partition in produce order. */
export function byPartition<T extends { partition: number }>(
  records: readonly T[],
  partitions: number,
): T[][] {
  const out: T[][] = Array.from({ length: partitions }, () => [])
  for (const r of records) out[r.partition].push(r)
  return out
}

/** Splits records into consecutive chunks, one codec per chunk, cycling through `codecs`. */
export function chunksByCodec<T>(records: readonly T[], codecs: readonly string[], chunkSize: number) {
  const out: { codec: string; records: T[] }[] = []
  for (let i = 0, c = 0; i < records.length; i += chunkSize, c++) {
    out.push({ codec: codecs[c % codecs.length], records: records.slice(i, i + chunkSize) })
  }
  return out
}

/**
 * The first offset in `records` (one partition, in offset order) whose timestamp is at or
 * after `target` — what ListOffsets answers for a timestamp — or undefined when none is.
 */
export function expectedOffsetForTimestamp(
  records: readonly { timestamp: number }[],
  target: number,
): { offset: number; timestamp: number } | undefined {
  for (let i = 0; i < records.length; i++) {
    if (records[i].timestamp >= target) return { offset: i, timestamp: records[i].timestamp }
  }
  return undefined
}

/** Timestamps worth looking up in one partition: before all, exact hits, between, after all. */
export function lookupTargets(records: readonly { timestamp: number }[], seed: number): number[] {
  if (records.length === 0) return [0]
  const rnd = seededRandom(seed)
  const min = Math.min(...records.map((r) => r.timestamp))
  const max = Math.max(...records.map((r) => r.timestamp))
  const targets = [min - 1000, min, max, max + 1]
  for (let i = 0; i < 6; i++) {
    const r = records[Math.floor(rnd() * records.length)]
    targets.push(r.timestamp, r.timestamp + 1)
  }
  return targets
}

const show = (b: Buffer | null) =>
  b === null
    ? 'null'
    : b.length > 40
      ? `<${b.length} bytes ${b.subarray(0, 16).toString('hex')}…>`
      : JSON.stringify(b.toString('latin1'))

function describeHeaders(h: readonly TestHeader[]): string {
  return `[${h.map((x) => `${x.key}=${show(x.value)}`).join(', ')}]`
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b
  return a.equals(b)
}

export interface CompareOptions {
  /** Timestamps are checked only when set (kcat cannot choose them). */
  timestamps?: boolean
}

/**
 * Compares one partition read back against what was produced to it, exactly: offsets
 * 0..n-1 in order, keys, values, headers (order and duplicates included) and timestamps.
 * Returns the mismatches, at most `limit` of them, as readable lines.
 */
export function comparePartition(
  partition: number,
  expected: readonly TestRecord[],
  actual: readonly ReadRecord[],
  options: CompareOptions = { timestamps: true },
  limit = 10,
): string[] {
  const problems: string[] = []
  if (actual.length !== expected.length) {
    problems.push(`partition ${partition}: read ${actual.length} records, produced ${expected.length}`)
  }
  const n = Math.min(actual.length, expected.length)
  for (let i = 0; i < n && problems.length < limit; i++) {
    const e = expected[i]
    const a = actual[i]
    const at = `partition ${partition} record ${i} (produced #${e.index})`
    if (a.partition !== partition) problems.push(`${at}: came back from partition ${a.partition}`)
    if (a.offset !== i) problems.push(`${at}: offset ${a.offset}, expected ${i}`)
    if (!sameBytes(a.key, e.key)) problems.push(`${at}: key ${show(a.key)}, expected ${show(e.key)}`)
    if (!sameBytes(a.value, e.value))
      problems.push(`${at}: value ${show(a.value)}, expected ${show(e.value)}`)
    const headersEqual =
      a.headers.length === e.headers.length &&
      a.headers.every((h, j) => h.key === e.headers[j].key && sameBytes(h.value, e.headers[j].value))
    if (!headersEqual) {
      problems.push(`${at}: headers ${describeHeaders(a.headers)}, expected ${describeHeaders(e.headers)}`)
    }
    if (options.timestamps && a.timestamp !== e.timestamp) {
      problems.push(`${at}: timestamp ${a.timestamp}, expected ${e.timestamp}`)
    }
  }
  return problems
}

/** comparePartition over every partition; throws one error listing the first mismatches. */
export function assertSameRecords(
  expected: readonly TestRecord[],
  actual: readonly ReadRecord[],
  partitions: number,
  options: CompareOptions = { timestamps: true },
): void {
  const want = byPartition(expected, partitions)
  const got = byPartition(actual, partitions)
  const problems: string[] = []
  for (let p = 0; p < partitions; p++) problems.push(...comparePartition(p, want[p], got[p], options))
  if (problems.length > 0) {
    throw new Error(`records read back differ from those produced:\n  ${problems.slice(0, 30).join('\n  ')}`)
  }
}

/** JSON-friendly form used to hand records to and from the Python helper. */
export interface WireRecord {
  p: number
  o?: number
  k: string | null
  v: string | null
  h: [string, string | null][]
  ts: number
}

const b64 = (b: Buffer | null) => (b === null ? null : b.toString('base64'))
const unb64 = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64'))

export function toWire(r: TestRecord): WireRecord {
  return {
    p: r.partition,
    k: b64(r.key),
    v: b64(r.value),
    h: r.headers.map((h) => [h.key, b64(h.value)]),
    ts: r.timestamp,
  }
}

export function fromWire(w: WireRecord): ReadRecord {
  return {
    partition: w.p,
    offset: w.o ?? -1,
    key: unb64(w.k),
    value: unb64(w.v),
    headers: w.h.map(([key, value]) => ({ key, value: unb64(value) })),
    timestamp: w.ts,
  }
}

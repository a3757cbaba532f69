// How `runnel consume` prints a record: a kcat-style --format string, or one JSON object per
// line. Keys and values are written byte for byte in --format output; JSON holds them as
// UTF-8 strings, or as {"base64": "..."} when the bytes are not valid UTF-8.
import { UsageError } from './usage-error.ts'

export interface ConsumedRecord {
  topic: string
  partition: number
  offset: bigint
  timestamp: bigint
  key: Buffer | null
  value: Buffer | null
  headers: [Buffer | null, Buffer | null][]
}

/** The placeholders of --format, as kcat names them (plus %d). */
export const PLACEHOLDERS = {
  t: 'topic',
  p: 'partition',
  o: 'offset',
  k: 'key (nothing when null)',
  v: 'value (nothing when null)',
  h: 'headers as k=v,k2=v2 (nothing when none)',
  T: 'timestamp, milliseconds since the epoch',
  d: 'timestamp as an ISO 8601 date',
  K: 'key length in bytes (-1 when null)',
  S: 'value length in bytes (-1 when null)',
} as const

export const DEFAULT_FORMAT = '%v\\n'

const EMPTY = Buffer.alloc(0)

type Piece = Buffer | ((r: ConsumedRecord) => Buffer)

function str(s: string): Buffer {
  return Buffer.from(s, 'utf8')
}

function headersText(r: ConsumedRecord): Buffer {
  if (r.headers.length === 0) return EMPTY
  const parts: Buffer[] = []
  r.headers.forEach(([k, v], i) => {
    if (i > 0) parts.push(str(','))
    parts.push(k ?? EMPTY, str('='), v ?? EMPTY)
  })
  return Buffer.concat(parts)
}

const FIELDS: Record<keyof typeof PLACEHOLDERS, (r: ConsumedRecord) => Buffer> = {
  t: (r) => str(r.topic),
  p: (r) => str(String(r.partition)),
  o: (r) => str(String(r.offset)),
  k: (r) => r.key ?? EMPTY,
  v: (r) => r.value ?? EMPTY,
  h: headersText,
  T: (r) => str(String(r.timestamp)),
  d: (r) => str(isoDate(r.timestamp)),
  K: (r) => str(String(r.key === null ? -1 : r.key.length)),
  S: (r) => str(String(r.value === null ? -1 : r.value.length)),
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\' }

/** Compiles a --format string once; the result renders a record as bytes. */
export function compileFormat(format: string): (r: ConsumedRecord) => Buffer {
  const pieces: Piece[] = []
  let literal = ''
  const flush = () => {
    if (literal !== '') pieces.push(str(literal))
    literal = ''
  }
  for (let i = 0; i < format.length; i++) {
    const c = format[i]
    const next = format[i + 1]
    if (c === '%') {
      if (next === '%') {
        literal += '%'
      } else if (next !== undefined && next in FIELDS) {
        flush()
        pieces.push(FIELDS[next as keyof typeof FIELDS])
      } else {
        const list = Object.keys(PLACEHOLDERS)
          .map((p) => `%${p}`)
          .join(' ')
        throw new UsageError(
          `--format has an unknown placeholder "%${next ?? ''}"; use ${list}, or %% for a percent sign`,
        )
      }
      i++
    } else if (c === '\\' && next !== undefined && next in ESCAPES) {
      literal += ESCAPES[next]
      i++
    } else {
      literal += c
    }
  }
  flush()
  return (r) => Buffer.concat(pieces.map((p) => (Buffer.isBuffer(p) ? p : p(r))))
}

function isoDate(ms: bigint): string {
  const n = Number(ms)
  const d = new Date(n)
  return Number.isFinite(d.getTime()) ? d.toISOString() : String(ms)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Bytes as JSON: a string when they are valid UTF-8, else `{ "base64": "..." }`. */
export function bytesJson(b: Buffer | null): string | null | { base64: string } {
  if (b === null) return null
  try {
    return utf8.decode(b)
  } catch {
    return { base64: b.toString('base64') }
  }
}

/** One record as a single line of JSON (offsets and timestamps as numbers). */
export function recordJson(r: ConsumedRecord): string {
  return JSON.stringify({
    topic: r.topic,
    partition: r.partition,
    offset: Number(r.offset),
    timestamp: Number(r.timestamp),
    key: bytesJson(r.key),
    value: bytesJson(r.value),
    headers: r.headers.map(([k, v]) => ({ key: bytesJson(k), value: bytesJson(v) })),
  })
}

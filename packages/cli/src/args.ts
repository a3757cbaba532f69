// Strict flag parsing on top of node:util parseArgs, with errors a person can act on.
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { UsageError } from './usage-error.ts'

export type Options = NonNullable<ParseArgsConfig['options']>

export function parse<const O extends Options>(args: string[], options: O, allowPositionals = false) {
  try {
    const parsed = parseArgs({ args, options, allowPositionals, strict: true, allowNegative: true })
    return { values: parsed.values, positionals: parsed.positionals as string[] }
  } catch (err) {
    const text = (err as Error).message
    // parseArgs' own wording spans lines; a person gets one.
    const ambiguous = /^Option '(.+?)' argument is ambiguous\..*use '(--[^=]+)=/s.exec(text)
    if (ambiguous) {
      throw new UsageError(
        `${ambiguous[1]} needs a value; a value starting with "-" is written ${ambiguous[2]}=-…`,
      )
    }
    const message = text.replace(/\. To specify a positional argument.*$/s, '').replace(/\s*\n\s*/g, ' ')
    throw new UsageError(`${message}. See --help.`)
  }
}

/** Parses a whole number within [min, max] or throws a UsageError naming the flag. */
export function intFlag(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!/^-?\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`)
  }
  return n
}

/** Parses a whole number that fits a Kafka int64 (offsets, shifts), or throws a UsageError. */
export function int64Flag(
  name: string,
  value: string | undefined,
  allowNegative: boolean,
): bigint | undefined {
  if (value === undefined) return undefined
  const ok = allowNegative ? /^[-+]?\d{1,19}$/.test(value) : /^\+?\d{1,19}$/.test(value)
  const n = ok ? BigInt(value) : -1n
  if (!ok || n > 0x7fffffffffffffffn || n < -0x7fffffffffffffffn) {
    const what = allowNegative ? 'a whole number (negative to go back)' : 'a whole number, 0 or more'
    throw new UsageError(`--${name} must be ${what}, got "${value}"`)
  }
  return n
}

/** Splits repeatable `key=value` flags; the value may contain `=`, the key may not be empty. */
export function keyValueFlags(name: string, entries: string[] | undefined): [string, string][] {
  return (entries ?? []).map((entry) => {
    const eq = entry.indexOf('=')
    if (eq <= 0) throw new UsageError(`--${name} takes key=value, got "${entry}"`)
    return [entry.slice(0, eq), entry.slice(eq + 1)]
  })
}

/** Flags every Kafka verb accepts. */
export const commonOptions = {
  brokers: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options

export const COMMON_HELP = `Common options:
  --brokers <host:port,...>  bootstrap brokers (default: $KAFKA_BROKERS, else localhost:9092)
  --timeout <ms>             how long to wait to connect and for each answer (default 10000)
  --json                     print JSON for scripts instead of tables
  -h, --help                 show this help`

/** Where to connect and how patiently: from --brokers, then KAFKA_BROKERS, then localhost:9092. */
export interface Target {
  brokers: { host: string; port: number }[]
  timeoutMs: number
}

/** `host:port, host:port` for messages, with IPv6 hosts in brackets. */
export function describeBrokers(target: Target): string {
  return target.brokers
    .map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`)
    .join(', ')
}

export function targetFrom(values: { brokers?: string | boolean; timeout?: string | boolean }): Target {
  const raw = (values.brokers as string | undefined) ?? process.env.KAFKA_BROKERS ?? 'localhost:9092'
  const source = values.brokers === undefined && process.env.KAFKA_BROKERS ? 'KAFKA_BROKERS' : '--brokers'
  const brokers = raw
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '')
  const bad = () => new UsageError(`${source} takes host:port[,host:port...], got "${raw}"`)
  if (brokers.length === 0) throw bad()
  const parsed = brokers.map((broker) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+)(?::(\d{1,5}))?$/.exec(broker)
    const port = m?.[2] === undefined ? 9092 : Number(m[2])
    if (!m || port < 1 || port > 65535) throw bad()
    return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port }
  })
  const timeoutMs = intFlag('timeout', values.timeout as string | undefined, 100, 3_600_000) ?? 10_000
  return { brokers: parsed, timeoutMs }
}

/** The single positional a verb needs, or a UsageError saying what is missing. */
export function onePositional(positionals: string[], what: string, usage: string): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}. Usage: ${usage}`)
  if (positionals.length > 1) {
    throw new UsageError(
      `expected one ${what}, got ${positionals.length}: ${positionals.join(' ')}. Usage: ${usage}`,
    )
  }
  return positionals[0]
}

// Kafka's rule for topic names (org.apache.kafka.common.internals.Topic.validate).
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/

/** Refuses a topic name no Kafka would accept, before anything is sent. */
export function topicName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.length > 249 || !LEGAL_TOPIC.test(name)) {
    const why =
      name === ''
        ? 'it is empty'
        : name === '.' || name === '..'
          ? 'it cannot be "." or ".."'
          : name.length > 249
            ? `it is ${name.length} characters long, the limit is 249`
            : "use only ASCII letters, digits, '.', '_' and '-'"
    throw new UsageError(`topic name "${name}" is invalid: ${why}`)
  }
  return name
}

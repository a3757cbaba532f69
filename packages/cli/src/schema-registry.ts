// What every `runnel schema` verb shares: where the registry is (--registry, then
// SCHEMA_REGISTRY_URL, then http://localhost:8081), reading a local schema file, and turning what
// the registry client threw into one sentence. The registry's own `error_code` stays in the
// sentence, so a person can look it up in Confluent's documentation or ours.
import { readFile } from 'node:fs/promises'
import type * as Registry from '@runnel/registry/client'
import type {
  RegistryClient,
  RegistryError,
  SchemaInput,
  SchemaReference,
  SchemaType,
} from '@runnel/registry/client'
import { intFlag, type Options } from './args.ts'
import { CliError, CliErrorCode } from './errors.ts'
import { networkReason } from './network-reasons.ts'
import { UsageError } from './usage-error.ts'

export const DEFAULT_REGISTRY_URL = 'http://localhost:8081'

let registry: typeof Registry | undefined

/**
 * The registry package, loaded on first use: its index brings the Kafka client and the HTTP
 * server along (most of a second), so `--help` and usage errors answer without it.
 */
async function registryPackage(): Promise<typeof Registry> {
  registry ??= await import('@runnel/registry/client')
  return registry
}

/** By name rather than instanceof, so nothing has to be loaded to ask. */
function isRegistryError(err: unknown): err is RegistryError {
  return (
    err instanceof Error && err.name === 'RegistryError' && typeof (err as RegistryError).kind === 'string'
  )
}

/** Flags every `schema` verb accepts. */
export const registryOptions = {
  registry: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options

export const REGISTRY_HELP = `  --registry <url>  the schema registry (default: $SCHEMA_REGISTRY_URL, else ${DEFAULT_REGISTRY_URL})
  --timeout <ms>    how long to wait for each answer (default 10000)
  --json            print JSON for scripts instead of tables
  -h, --help        show this help`

export interface RegistryTarget {
  /** Without credentials: this is the URL error sentences print. */
  url: string
  timeoutMs: number
  headers: Record<string, string>
}

export function registryTargetFrom(values: {
  registry?: string | boolean
  timeout?: string | boolean
}): RegistryTarget {
  const fromEnv = values.registry === undefined && Boolean(process.env.SCHEMA_REGISTRY_URL)
  const raw = fromEnv
    ? (process.env.SCHEMA_REGISTRY_URL as string)
    : ((values.registry as string | undefined) ?? DEFAULT_REGISTRY_URL)
  let url: URL | undefined
  try {
    url = new URL(raw)
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    const source = fromEnv ? 'SCHEMA_REGISTRY_URL' : '--registry'
    // Whatever stands before an `@` may be a password: not for a terminal or a CI log.
    const shown = raw.replace(/\/\/[^/@]*@/, '//…@')
    throw new UsageError(`${source} takes an http:// or https:// URL, got "${shown}"`)
  }
  const timeoutMs = intFlag('timeout', values.timeout as string | undefined, 100, 3_600_000) ?? 10_000
  // fetch refuses URLs with credentials; `https://user:secret@host` is how registry URLs carry
  // them (Confluent's clients read it the same way), so they become HTTP basic auth.
  const headers: Record<string, string> = {}
  if (url.username || url.password) {
    const userInfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
    headers.authorization = `Basic ${Buffer.from(userInfo).toString('base64')}`
    url.username = ''
    url.password = ''
  }
  return { url: url.href.replace(/\/+$/, ''), timeoutMs, headers }
}

export async function clientFor(target: RegistryTarget): Promise<RegistryClient> {
  const { RegistryClient } = await registryPackage()
  return new RegistryClient({ url: target.url, timeoutMs: target.timeoutMs, headers: target.headers })
}

/** `latest` or a version number, as the REST API takes them. */
export type VersionArg = number | 'latest'

/** Parses --version: 1 to 2^31-1 or `latest` (plus the extra words a verb allows, like `all`). */
export function versionFlag(value: string | undefined): VersionArg | undefined
export function versionFlag<const W extends string>(
  value: string | undefined,
  ...extra: W[]
): VersionArg | W | undefined
export function versionFlag(value: string | undefined, ...extra: string[]): VersionArg | string | undefined {
  if (value === undefined) return undefined
  if (value === 'latest') return 'latest'
  if (extra.includes(value)) return value
  if (/^\d{1,10}$/.test(value) && Number(value) >= 1 && Number(value) <= 2 ** 31 - 1) return Number(value)
  const words = ['latest', ...extra].map((w) => `"${w}"`)
  const choices = `${['a version number from 1 to 2147483647', ...words.slice(0, -1)].join(', ')} or ${words.at(-1)}`
  throw new UsageError(`--version must be ${choices}, got "${value}"`)
}

const TYPES: Record<string, SchemaType> = { AVRO: 'AVRO', JSON: 'JSON', PROTOBUF: 'PROTOBUF' }

/** --type, or the type the file's extension names; a usage error when neither says. */
export async function schemaTypeFor(file: string, type: string | undefined): Promise<SchemaType> {
  if (type !== undefined) {
    const known = TYPES[type.toUpperCase()]
    if (!known) throw new UsageError(`--type must be AVRO, JSON or PROTOBUF, got "${type}"`)
    return known
  }
  const byExtension = (await registryPackage()).schemaTypeOfFile(file)
  if (!byExtension) {
    throw new UsageError(
      `cannot tell the schema type of "${file}" from its extension (.avsc, .json, .proto); give --type AVRO, JSON or PROTOBUF`,
    )
  }
  return byExtension
}

/**
 * Parses `--reference name=subject:version`. The name is what the schema calls the other one
 * (an Avro full name, a JSON Schema `$ref`, a Protobuf import path) and may itself contain `=`
 * (a URL's query), so the split is at the last `=`; the version is after the last `:`.
 */
export function referenceFlag(entry: string): { name: string; subject: string; version: VersionArg } {
  const eq = entry.lastIndexOf('=')
  const colon = entry.lastIndexOf(':')
  const version = colon > eq ? entry.slice(colon + 1) : ''
  const parsed = /^\d{1,10}$/.test(version) ? Number(version) : version === 'latest' ? 'latest' : undefined
  if (eq <= 0 || colon <= eq + 1 || parsed === undefined || parsed === 0 || Number(parsed) > 2 ** 31 - 1) {
    throw new UsageError(
      `--reference takes name=subject:version (version a number or latest), got "${entry}"`,
    )
  }
  return { name: entry.slice(0, eq), subject: entry.slice(eq + 1, colon), version: parsed }
}

const FILE_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
}

/** The schema text of a local file, with its type and references. */
export async function readSchema(
  file: string,
  schemaType: SchemaType,
  references: SchemaReference[],
): Promise<SchemaInput> {
  let schema: string
  try {
    schema = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    const why = FILE_REASONS[code] ?? ((err as Error).message || code)
    throw new CliError(CliErrorCode.RUNNEL_CLI_SCHEMA_FILE, `cannot read schema file "${file}": ${why}`, {
      cause: err,
    })
  }
  return { schema, schemaType, references }
}

/** What a verb was doing, for the sentence. */
export interface RegistryContext {
  subject?: string
  version?: VersionArg
  id?: number
  file?: string
}

/** The innermost cause that says something: fetch wraps the socket's error in "fetch failed". */
function fetchFailureReason(err: unknown): string | 'timeout' {
  let cause: unknown = err
  for (let depth = 0; depth < 5 && cause; depth++) {
    const e = cause as { name?: string; code?: string; message?: string; cause?: unknown }
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout'
    const reason = networkReason(e.code)
    if (reason !== undefined) return reason
    // fetch refuses the ports browsers block (1, 22, 25, 6000, ...) before connecting.
    if (e.message === 'bad port') return 'fetch refuses to connect to that port'
    if (!e.cause) return e.code ?? e.message ?? String(cause)
    cause = e.cause
  }
  return String(cause)
}

function trimPeriod(text: string): string {
  return text.trim().replace(/\.+$/, '')
}

function versionWords(ctx: RegistryContext): string {
  return ctx.version === 'latest' ? 'the latest version' : `version ${ctx.version}`
}

/** One sentence for what the registry answered (or did not), with its error_code. */
function registrySentence(err: RegistryError, target: RegistryTarget, ctx: RegistryContext): string {
  const s = ctx.subject === undefined ? '' : `"${ctx.subject}"`
  const code = ` (${err.errorCode})`
  switch (err.errorCode) {
    case 40401:
      if (s) return `subject ${s} not found${code}`
      break
    case 40402:
      if (s && ctx.version !== undefined) return `${versionWords(ctx)} of subject ${s} not found${code}`
      break
    case 40403:
      if (ctx.id !== undefined) return `schema id ${ctx.id} not found${code}`
      break
    case 40404:
      if (s) return `subject ${s} is already soft-deleted; add --permanent to delete it for good${code}`
      break
    case 40405:
      if (s) {
        return `subject ${s} must be soft-deleted before it can be deleted permanently: run \`runnel schema delete ${ctx.subject}\` first, then again with --permanent${code}`
      }
      break
    case 40406:
      if (s && ctx.version !== undefined)
        return `${versionWords(ctx)} of subject ${s} is already soft-deleted; add --permanent to delete it for good${code}`
      break
    case 40407:
      if (s && ctx.version !== undefined) {
        return `${versionWords(ctx)} of subject ${s} must be soft-deleted before it can be deleted permanently: run \`runnel schema delete ${ctx.subject} --version ${ctx.version}\` first, then again with --permanent${code}`
      }
      break
    case 42201:
      if (ctx.file !== undefined) {
        return `invalid schema in "${ctx.file}": ${trimPeriod(err.message.replace(/^Invalid schema:\s*/i, ''))}${code}`
      }
      break
  }
  if (err.kind === 'CLIENT_HTTP_ERROR') {
    // Not a registry's {error_code, message}: a proxy's page, another server on that port.
    // An HTML error page says nothing in one line; plain text (a proxy's reason) might.
    const body = err.message.trimStart().startsWith('<')
      ? ''
      : trimPeriod(err.message.split('\n')[0]).slice(0, 120)
    const what = err.status ? `HTTP ${err.status}` : 'something that is not JSON'
    return `${target.url} answered ${what}${body ? ` (${body})` : ''}: is it a schema registry?`
  }
  return `${trimPeriod(err.message.split('\n')[0])}${code}`
}

/** Turns whatever the registry client threw into a CliError with one sentence. */
export function explainRegistry(err: unknown, target: RegistryTarget, ctx: RegistryContext = {}): unknown {
  if (!isRegistryError(err)) return err
  if (err.kind === 'CLIENT_UNREACHABLE') {
    const reason = fetchFailureReason(err.cause)
    const sentence =
      reason === 'timeout'
        ? `no answer from the schema registry at ${target.url} within ${target.timeoutMs} ms`
        : `cannot reach the schema registry at ${target.url} (${reason})`
    return new CliError(CliErrorCode.RUNNEL_CLI_REGISTRY_UNREACHABLE, sentence, { cause: err })
  }
  return new CliError(CliErrorCode.RUNNEL_CLI_REGISTRY_ERROR, registrySentence(err, target, ctx), {
    cause: err,
  })
}

/** True when the registry answered with this error_code. */
export function answered(err: unknown, errorCode: number): boolean {
  return isRegistryError(err) && err.status > 0 && err.errorCode === errorCode
}

/** Runs `fn` at most `limit` at a time, keeping the order of `items`. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

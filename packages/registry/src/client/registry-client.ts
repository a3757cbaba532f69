// A small typed client for the registry's REST API (ours or Confluent's): what the serdes use to
// fetch schemas, and what `runnel schema list|get|register|check|delete` is made of. Errors
// carry the server's status and error_code.

import type { CompatibilityLevel, Mode } from '../compatibility/levels.ts'
import { RegistryError, type RegistryErrorName, RegistryErrors } from '../errors.ts'
import { errorMessage } from '../formats/format.ts'
import type {
  SchemaInput,
  SchemaReference,
  SchemaType,
  StoredSchema,
  SubjectVersion,
} from '../schema-types.ts'
import type { ConfigUpdate, RegistryConfig } from '../service/registry-service.ts'

export interface RegistryClientOptions {
  /** The registry's base URL, e.g. `http://localhost:8081`. */
  url: string
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number
  /** Extra headers on every request (authorization, ...). */
  headers?: Record<string, string>
}

export interface CompatibilityAnswer {
  compatible: boolean
  /** Confluent's reasons (present when the check ran verbose, which the client asks for). */
  messages: string[]
}

type Query = Record<string, string | number | boolean | undefined>

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

// error_code -> our error kind, for the codes the REST API answers with.
const KIND_BY_ERROR_CODE = new Map<number, RegistryErrorName>(
  (Object.entries(RegistryErrors) as [RegistryErrorName, (typeof RegistryErrors)[RegistryErrorName]][])
    .filter(([, definition]) => definition.status > 0)
    .map(([kind, definition]) => [definition.errorCode, kind]),
)

interface VersionBody {
  subject: string
  version: number
  id: number
  schemaType?: SchemaType
  references?: SchemaReference[]
  schema: string
  deleted?: boolean
}

function toSubjectVersion(body: VersionBody): SubjectVersion {
  return {
    subject: body.subject,
    version: body.version,
    id: body.id,
    schemaType: body.schemaType ?? 'AVRO',
    references: body.references ?? [],
    schema: body.schema,
    deleted: body.deleted === true,
  }
}

function schemaBody(input: SchemaInput & { id?: number; version?: number }): Record<string, unknown> {
  const body: Record<string, unknown> = { schema: input.schema }
  if (input.schemaType !== undefined && input.schemaType !== 'AVRO') body.schemaType = input.schemaType
  if (input.references !== undefined && input.references.length > 0) body.references = input.references
  if (input.id !== undefined) body.id = input.id
  if (input.version !== undefined) body.version = input.version
  return body
}

export class RegistryClient {
  readonly url: string
  readonly #timeoutMs: number
  readonly #headers: Record<string, string>

  constructor(options: RegistryClientOptions | string) {
    const resolved = typeof options === 'string' ? { url: options } : options
    this.url = resolved.url.replace(/\/+$/, '')
    this.#timeoutMs = resolved.timeoutMs ?? 10_000
    this.#headers = resolved.headers ?? {}
  }

  async #request<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; text?: boolean } = {},
  ) {
    const url = new URL(this.url + path)
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== false) url.searchParams.set(name, String(value))
    }
    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: `${CONTENT_TYPE}, application/json`,
          ...(options.body === undefined ? {} : { 'content-type': CONTENT_TYPE }),
          ...this.#headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
    } catch (error) {
      throw new RegistryError(
        'CLIENT_UNREACHABLE',
        `Cannot reach the schema registry at ${this.url}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      )
    }
    const text = await response.text()
    if (!response.ok) {
      let errorCode = response.status
      let message = text || response.statusText
      try {
        const body = JSON.parse(text) as { error_code?: unknown; message?: unknown }
        if (typeof body.error_code === 'number') errorCode = body.error_code
        if (typeof body.message === 'string') message = body.message
      } catch {
        // Not a registry error body (a proxy's page, say): keep the raw text.
      }
      const kind = KIND_BY_ERROR_CODE.get(errorCode) ?? 'CLIENT_HTTP_ERROR'
      throw new RegistryError(kind, message, { status: response.status, errorCode })
    }
    if (options.text) return text as T
    try {
      return JSON.parse(text) as T
    } catch (error) {
      throw new RegistryError(
        'CLIENT_HTTP_ERROR',
        `The registry at ${this.url} answered ${method} ${path} with non-JSON: ${text.slice(0, 200)}`,
        {
          cause: error,
          status: response.status,
        },
      )
    }
  }

  #subject(subject: string): string {
    return `/subjects/${encodeURIComponent(subject)}`
  }

  schemaTypes(): Promise<SchemaType[]> {
    return this.#request('GET', '/schemas/types')
  }

  subjects(options: { deleted?: boolean; prefix?: string } = {}): Promise<string[]> {
    return this.#request('GET', '/subjects', {
      query: { deleted: options.deleted, subjectPrefix: options.prefix },
    })
  }

  versions(subject: string, options: { deleted?: boolean } = {}): Promise<number[]> {
    return this.#request('GET', `${this.#subject(subject)}/versions`, { query: { deleted: options.deleted } })
  }

  async version(subject: string, version: number | 'latest' = 'latest', options: { deleted?: boolean } = {}) {
    const body = await this.#request<VersionBody>('GET', `${this.#subject(subject)}/versions/${version}`, {
      query: { deleted: options.deleted },
    })
    return toSubjectVersion(body)
  }

  /** Registers `input`; `normalize` asks the registry to normalize it first (`?normalize=true`). */
  register(
    subject: string,
    input: SchemaInput & { id?: number; version?: number },
    options: { normalize?: boolean } = {},
  ): Promise<{ id: number }> {
    return this.#request('POST', `${this.#subject(subject)}/versions`, {
      body: schemaBody(input),
      query: { normalize: options.normalize },
    })
  }

  async lookup(
    subject: string,
    input: SchemaInput,
    options: { deleted?: boolean; normalize?: boolean } = {},
  ): Promise<SubjectVersion> {
    const body = await this.#request<VersionBody>('POST', this.#subject(subject), {
      body: schemaBody(input),
      query: { deleted: options.deleted, normalize: options.normalize },
    })
    return toSubjectVersion(body)
  }

  /** Checks `input` against the subject (all versions its level names, or one version). */
  async checkCompatibility(
    subject: string,
    input: SchemaInput,
    options: { version?: number | 'latest'; normalize?: boolean } = {},
  ): Promise<CompatibilityAnswer> {
    const path = `/compatibility${this.#subject(subject)}/versions${options.version === undefined ? '' : `/${options.version}`}`
    const body = await this.#request<{ is_compatible: boolean; messages?: string[] }>('POST', path, {
      body: schemaBody(input),
      query: { verbose: true, normalize: options.normalize },
    })
    return { compatible: body.is_compatible, messages: body.messages ?? [] }
  }

  deleteSubject(subject: string, options: { permanent?: boolean } = {}): Promise<number[]> {
    return this.#request('DELETE', this.#subject(subject), { query: { permanent: options.permanent } })
  }

  deleteVersion(
    subject: string,
    version: number | 'latest',
    options: { permanent?: boolean } = {},
  ): Promise<number> {
    return this.#request('DELETE', `${this.#subject(subject)}/versions/${version}`, {
      query: { permanent: options.permanent },
    })
  }

  referencedBy(subject: string, version: number | 'latest'): Promise<number[]> {
    return this.#request('GET', `${this.#subject(subject)}/versions/${version}/referencedby`)
  }

  async schemaById(id: number): Promise<StoredSchema> {
    const body = await this.#request<{
      schema: string
      schemaType?: SchemaType
      references?: SchemaReference[]
    }>('GET', `/schemas/ids/${id}`)
    return {
      id,
      schema: body.schema,
      schemaType: body.schemaType ?? 'AVRO',
      references: body.references ?? [],
    }
  }

  subjectsForId(id: number, options: { deleted?: boolean } = {}): Promise<string[]> {
    return this.#request('GET', `/schemas/ids/${id}/subjects`, { query: { deleted: options.deleted } })
  }

  versionsForId(
    id: number,
    options: { deleted?: boolean } = {},
  ): Promise<{ subject: string; version: number }[]> {
    return this.#request('GET', `/schemas/ids/${id}/versions`, { query: { deleted: options.deleted } })
  }

  async getConfig(
    subject?: string,
    options: { defaultToGlobal?: boolean } = {},
  ): Promise<CompatibilityLevel> {
    const path = subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}`
    const body = await this.#request<{ compatibilityLevel: CompatibilityLevel }>('GET', path, {
      query: { defaultToGlobal: options.defaultToGlobal },
    })
    return body.compatibilityLevel
  }

  /** The whole config: the level, and `normalize` when it is set. */
  describeConfig(subject?: string, options: { defaultToGlobal?: boolean } = {}): Promise<RegistryConfig> {
    const path = subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}`
    return this.#request('GET', path, { query: { defaultToGlobal: options.defaultToGlobal } })
  }

  /** Changes the level, `normalize`, or both; the rest of the config stays. Answers the config. */
  updateConfig(update: ConfigUpdate, subject?: string): Promise<ConfigUpdate> {
    const path = subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}`
    return this.#request('PUT', path, { body: update })
  }

  async setConfig(level: CompatibilityLevel, subject?: string): Promise<CompatibilityLevel> {
    const path = subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}`
    const body = await this.#request<{ compatibility: CompatibilityLevel }>('PUT', path, {
      body: { compatibility: level },
    })
    return body.compatibility
  }

  async deleteConfig(subject?: string): Promise<CompatibilityLevel> {
    const path = subject === undefined ? '/config' : `/config/${encodeURIComponent(subject)}`
    const body = await this.#request<{ compatibilityLevel: CompatibilityLevel }>('DELETE', path)
    return body.compatibilityLevel
  }

  async getMode(subject?: string, options: { defaultToGlobal?: boolean } = {}): Promise<Mode> {
    const path = subject === undefined ? '/mode' : `/mode/${encodeURIComponent(subject)}`
    const body = await this.#request<{ mode: Mode }>('GET', path, {
      query: { defaultToGlobal: options.defaultToGlobal },
    })
    return body.mode
  }

  async setMode(mode: Mode, subject?: string, options: { force?: boolean } = {}): Promise<Mode> {
    const path = subject === undefined ? '/mode' : `/mode/${encodeURIComponent(subject)}`
    const body = await this.#request<{ mode: Mode }>('PUT', path, {
      body: { mode },
      query: { force: options.force },
    })
    return body.mode
  }

  async deleteMode(subject: string): Promise<Mode> {
    const body = await this.#request<{ mode: Mode }>('DELETE', `/mode/${encodeURIComponent(subject)}`)
    return body.mode
  }
}

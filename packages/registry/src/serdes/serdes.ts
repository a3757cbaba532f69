// Serializing and deserializing record keys and values in Confluent's wire format, with schemas
// fetched from a registry and cached: a schema id never changes its schema, so schemas are kept
// for good; a subject's "latest" is trusted for `latestCacheMs`.

import { RegistryClient } from '../client/registry-client.ts'
import { errors, isRegistryError, RegistryError } from '../errors.ts'
import type {
  ResolvedReference,
  SchemaReference,
  SchemaType,
  StoredSchema,
  SubjectVersion,
} from '../schema-types.ts'
import type { Codec, DecodeOptions, EncodeOptions } from './codec.ts'
import { formatAndCodec } from './formats.ts'
import { decodeWireFormat, encodeWireFormat } from './wire-format.ts'

export interface SerdesOptions {
  /** The registry: a client, or its URL. */
  registry: RegistryClient | string
  /** How long a subject's latest version is trusted before asking again. Default 30 s. */
  latestCacheMs?: number
}

/** Which schema to write with: an id, or a subject's version (default: latest). */
export type SchemaTarget = number | { id: number } | { subject: string; version?: number | 'latest' }

export interface DeserializedRecord<T = unknown> {
  value: T
  schemaId: number
  schemaType: SchemaType
  /** Protobuf: the full name of the message read. */
  messageName?: string
}

export interface LoadedSchema {
  id: number
  schema: StoredSchema
  codec: Codec
}

export class Serdes {
  readonly client: RegistryClient
  readonly #latestCacheMs: number
  // Caches owned by this instance. Entries are promises so concurrent misses share one request.
  readonly #byId = new Map<number, Promise<LoadedSchema>>()
  readonly #versions = new Map<string, Promise<SubjectVersion>>()
  readonly #latest = new Map<string, { expires: number; id: Promise<number> }>()

  constructor(options: SerdesOptions) {
    this.client =
      typeof options.registry === 'string' ? new RegistryClient(options.registry) : options.registry
    this.#latestCacheMs = options.latestCacheMs ?? 30_000
  }

  /** Encodes `value` with the target schema into the wire format. */
  async serialize(target: SchemaTarget, value: unknown, options: EncodeOptions = {}): Promise<Buffer> {
    const id = await this.resolveId(target)
    const loaded = await this.schema(id)
    return Buffer.concat([encodeWireFormat(id, new Uint8Array(0)), loaded.codec.encode(value, options)])
  }

  /** Decodes a record in the wire format with the schema its header names. */
  async deserialize<T = unknown>(
    bytes: Uint8Array,
    options: DecodeOptions = {},
  ): Promise<DeserializedRecord<T>> {
    const { schemaId, payload } = decodeWireFormat(bytes)
    const loaded = await this.schema(schemaId)
    const decoded = loaded.codec.decode(payload, options)
    const record: DeserializedRecord<T> = {
      value: decoded.value as T,
      schemaId,
      schemaType: loaded.schema.schemaType,
    }
    if (decoded.messageName !== undefined) record.messageName = decoded.messageName
    return record
  }

  async resolveId(target: SchemaTarget): Promise<number> {
    if (typeof target === 'number') return target
    if ('id' in target) return target.id
    const version = target.version ?? 'latest'
    if (version !== 'latest') return (await this.#version(target.subject, version)).id
    const now = Date.now()
    const cached = this.#latest.get(target.subject)
    if (cached !== undefined && cached.expires > now) return cached.id
    const id = this.client.version(target.subject, 'latest').then((entry) => entry.id)
    this.#latest.set(target.subject, { expires: now + this.#latestCacheMs, id })
    id.catch(() => this.#latest.delete(target.subject))
    return id
  }

  /** The schema behind an id, parsed and ready to encode and decode (cached). */
  schema(id: number): Promise<LoadedSchema> {
    let loading = this.#byId.get(id)
    if (loading === undefined) {
      loading = this.#load(id)
      this.#byId.set(id, loading)
      loading.catch(() => this.#byId.delete(id))
    }
    return loading
  }

  async #load(id: number): Promise<LoadedSchema> {
    let schema: StoredSchema
    try {
      schema = await this.client.schemaById(id)
    } catch (error) {
      if (isRegistryError(error, 'SCHEMA_NOT_FOUND')) {
        throw new RegistryError(
          'SERDES_UNKNOWN_SCHEMA_ID',
          `Schema id ${id} is unknown to the registry at ${this.client.url}`,
          { cause: error },
        )
      }
      throw error
    }
    const [references, { format, codec }] = await Promise.all([
      this.#resolve(schema.references, []),
      formatAndCodec(schema.schemaType),
    ])
    const parsed = format.parse(schema.schema, references)
    return { id, schema, codec: codec({ schemaId: id, parsed }) }
  }

  #version(subject: string, version: number): Promise<SubjectVersion> {
    const key = `${subject}\u0000${version}`
    let loading = this.#versions.get(key)
    if (loading === undefined) {
      loading = this.client.version(subject, version, { deleted: true })
      this.#versions.set(key, loading)
      loading.catch(() => this.#versions.delete(key))
    }
    return loading
  }

  async #resolve(
    references: readonly SchemaReference[],
    path: readonly string[],
  ): Promise<ResolvedReference[]> {
    const resolved: ResolvedReference[] = []
    for (const reference of references) {
      const key = `${reference.subject}/${reference.version}`
      if (path.includes(key)) throw errors.invalidSchema(`references form a cycle at ${key}`)
      const target = await this.#version(reference.subject, reference.version)
      resolved.push({
        ...reference,
        schemaType: target.schemaType,
        schema: target.schema,
        references: await this.#resolve(target.references, [...path, key]),
      })
    }
    return resolved
  }
}

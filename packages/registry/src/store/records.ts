// The records of the `_schemas` topic, keyed as Confluent's registry keys them so the topic is
// recognisable (and readable) by either: JSON keys with a `keytype` and a `magic`, JSON values,
// and a null value (a tombstone) to delete what a key holds. Key bytes must be deterministic:
// compaction keeps the last record per key, byte for byte.

import type { CompatibilityLevel, Mode } from '../compatibility/levels.ts'
import { parseCompatibilityLevel, parseMode } from '../compatibility/levels.ts'
import { isSchemaType, type SchemaReference, type SchemaType } from '../schema-types.ts'

export const KeyTypes = {
  SCHEMA: 'SCHEMA',
  CONFIG: 'CONFIG',
  MODE: 'MODE',
  DELETE_SUBJECT: 'DELETE_SUBJECT',
  CLEAR_SUBJECT: 'CLEAR_SUBJECT',
  NOOP: 'NOOP',
} as const

export interface SchemaKey {
  keytype: 'SCHEMA'
  subject: string
  version: number
}

export interface SchemaValue {
  subject: string
  version: number
  id: number
  schemaType: SchemaType
  references: SchemaReference[]
  schema: string
  deleted: boolean
}

/**
 * A compatibility config, global or a subject's, as Confluent stores it: either part may be
 * missing (a PUT may set only `normalize`), and what is missing is inherited from the global one.
 */
export interface ConfigValue {
  compatibilityLevel?: CompatibilityLevel
  /** Whether schemas are normalized before they are registered, looked up or checked. */
  normalize?: boolean
}

/** One record of the log, decoded. A `null` value is a tombstone. */
export type StoreRecord =
  | { key: SchemaKey; value: SchemaValue | null }
  | {
      key: { keytype: 'CONFIG'; subject: string | null }
      value: ConfigValue | null
    }
  | { key: { keytype: 'MODE'; subject: string | null }; value: { mode: Mode } | null }
  | {
      key: { keytype: 'DELETE_SUBJECT'; subject: string }
      value: { subject: string; version: number } | null
    }
  | { key: { keytype: 'CLEAR_SUBJECT'; subject: string }; value: { subject: string } | null }
  | { key: { keytype: 'NOOP' }; value: null }

export interface EncodedRecord {
  key: Buffer
  value: Buffer | null
}

export function encodeKey(key: StoreRecord['key']): Buffer {
  // Field order is Confluent's: keytype, then the key's fields, then magic.
  switch (key.keytype) {
    case 'SCHEMA':
      return Buffer.from(
        JSON.stringify({ keytype: 'SCHEMA', subject: key.subject, version: key.version, magic: 1 }),
      )
    case 'NOOP':
      return Buffer.from(JSON.stringify({ keytype: 'NOOP', magic: 0 }))
    default:
      return Buffer.from(JSON.stringify({ keytype: key.keytype, subject: key.subject, magic: 0 }))
  }
}

export function encodeRecord(record: StoreRecord): EncodedRecord {
  const key = encodeKey(record.key)
  if (record.value === null) return { key, value: null }
  if (record.key.keytype === 'SCHEMA') {
    const value = record.value as SchemaValue
    // Confluent leaves out schemaType for Avro and references when there are none.
    const json: Record<string, unknown> = { subject: value.subject, version: value.version, id: value.id }
    if (value.schemaType !== 'AVRO') json.schemaType = value.schemaType
    if (value.references.length > 0) json.references = value.references
    json.schema = value.schema
    json.deleted = value.deleted
    return { key, value: Buffer.from(JSON.stringify(json)) }
  }
  return { key, value: Buffer.from(JSON.stringify(record.value)) }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function subjectOf(key: Record<string, unknown>): string | null | undefined {
  if (key.subject === null || key.subject === undefined) return null
  return typeof key.subject === 'string' ? key.subject : undefined
}

function references(value: unknown): SchemaReference[] {
  if (!Array.isArray(value)) return []
  return value.filter(
    (reference): reference is SchemaReference =>
      isObject(reference) &&
      typeof reference.name === 'string' &&
      typeof reference.subject === 'string' &&
      typeof reference.version === 'number',
  )
}

/**
 * Decodes one record of the topic. Records this registry does not understand (other key types,
 * malformed JSON) decode to undefined and are skipped, as Confluent's reader skips them.
 */
export function decodeRecord(keyBytes: Buffer | null, valueBytes: Buffer | null): StoreRecord | undefined {
  if (keyBytes === null) return undefined
  const key = parseJson(keyBytes)
  if (!isObject(key) || typeof key.keytype !== 'string') return undefined
  const value = valueBytes === null ? null : parseJson(valueBytes)
  if (valueBytes !== null && value === undefined) return undefined
  switch (key.keytype) {
    case 'NOOP':
      return { key: { keytype: 'NOOP' }, value: null }
    case 'SCHEMA': {
      if (typeof key.subject !== 'string' || typeof key.version !== 'number') return undefined
      const schemaKey: SchemaKey = { keytype: 'SCHEMA', subject: key.subject, version: key.version }
      if (value === null) return { key: schemaKey, value: null }
      if (!isObject(value) || typeof value.id !== 'number' || typeof value.schema !== 'string')
        return undefined
      const schemaType =
        value.schemaType === undefined || value.schemaType === null ? 'AVRO' : value.schemaType
      if (!isSchemaType(schemaType)) return undefined
      return {
        key: schemaKey,
        value: {
          subject: key.subject,
          version: key.version,
          id: value.id,
          schemaType,
          references: references(value.references),
          schema: value.schema,
          deleted: value.deleted === true,
        },
      }
    }
    case 'CONFIG': {
      const subject = subjectOf(key)
      if (subject === undefined) return undefined
      if (value === null) return { key: { keytype: 'CONFIG', subject }, value: null }
      if (!isObject(value)) return undefined
      // Confluent's config values carry more (aliases, rule sets...): only these two are read.
      const config: ConfigValue = {}
      if (value.compatibilityLevel !== undefined && value.compatibilityLevel !== null) {
        const level = parseCompatibilityLevel(value.compatibilityLevel)
        if (level === undefined) return undefined
        config.compatibilityLevel = level
      }
      if (typeof value.normalize === 'boolean') config.normalize = value.normalize
      return { key: { keytype: 'CONFIG', subject }, value: config }
    }
    case 'MODE': {
      const subject = subjectOf(key)
      if (subject === undefined) return undefined
      if (value === null) return { key: { keytype: 'MODE', subject }, value: null }
      const mode = isObject(value) ? parseMode(value.mode) : undefined
      return mode === undefined ? undefined : { key: { keytype: 'MODE', subject }, value: { mode } }
    }
    case 'DELETE_SUBJECT': {
      if (typeof key.subject !== 'string') return undefined
      if (value === null) return { key: { keytype: 'DELETE_SUBJECT', subject: key.subject }, value: null }
      if (!isObject(value) || typeof value.version !== 'number') return undefined
      return {
        key: { keytype: 'DELETE_SUBJECT', subject: key.subject },
        value: { subject: key.subject, version: value.version },
      }
    }
    case 'CLEAR_SUBJECT': {
      if (typeof key.subject !== 'string') return undefined
      const clear = { keytype: 'CLEAR_SUBJECT' as const, subject: key.subject }
      return { key: clear, value: value === null ? null : { subject: key.subject } }
    }
    default:
      return undefined
  }
}

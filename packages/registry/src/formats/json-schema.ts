// JSON Schema: validity is ajv's verdict (the draft is taken from `$schema`: 2020-12, 2019-09,
// or draft-07, which also reads draft-06 and draft-04 documents); references are documents
// another subject holds, reachable from `$ref` by the reference's name or by their own `$id`.

import { createRequire } from 'node:module'
import { Ajv, type AnySchema, type AnySchemaObject, type ValidateFunction } from 'ajv'
import { Ajv2019 } from 'ajv/dist/2019.js'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { errors } from '../errors.ts'
import type { ResolvedReference } from '../schema-types.ts'
import {
  type CompatibilityRoles,
  errorMessage,
  flattenReferences,
  type Incompatibility,
  type ParsedSchema,
  type SchemaFormat,
} from './format.ts'
import { checkJsonSchemaCompatibility } from './json-compatibility.ts'
import { writeJson } from './json-text.ts'

export type JsonSchemaNode = boolean | { [keyword: string]: unknown }

export interface ParsedJsonSchema extends ParsedSchema {
  readonly schemaType: 'JSON'
  readonly root: JsonSchemaNode
  /** Referenced documents by the names `$ref` may use: the reference name and the document's `$id`. */
  readonly documents: ReadonlyMap<string, JsonSchemaNode>
  /** Compiled validator, for the serdes. */
  readonly validate: ValidateFunction
}

// ajv-formats is CommonJS; depending on the loader its default export is the plugin or holds it.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv
const require = createRequire(import.meta.url)
const draft06MetaSchema = require('ajv/dist/refs/json-schema-draft-06.json') as AnySchemaObject

function isSchemaObject(value: unknown): value is { [keyword: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function createAjv(root: unknown): Ajv {
  // Unknown keywords and formats (Confluent's "connect.type", vendor extensions) are allowed, quietly.
  const options = { strict: false, allErrors: true, validateFormats: true, logger: false as const }
  const draft = isSchemaObject(root) && typeof root.$schema === 'string' ? root.$schema : ''
  let ajv: Ajv
  if (draft.includes('2020-12')) ajv = new Ajv2020(options) as unknown as Ajv
  else if (draft.includes('2019-09')) ajv = new Ajv2019(options) as unknown as Ajv
  else {
    ajv = new Ajv(options)
    ajv.addMetaSchema(draft06MetaSchema)
  }
  addFormats(ajv)
  return ajv
}

// ajv knows no draft-04 or draft-03 meta-schema; such documents are checked under draft-07 rules,
// which read them the same way apart from the boolean exclusiveMinimum/Maximum of draft-04.
function withoutOldDraftMarker(node: JsonSchemaNode): JsonSchemaNode {
  if (!isSchemaObject(node) || typeof node.$schema !== 'string') return node
  if (!/draft-0[34]/.test(node.$schema)) return node
  const { $schema: _ignored, ...rest } = node
  return rest
}

function parseJsonText(text: string, what: string): JsonSchemaNode {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw errors.invalidSchema(`${what} is not valid JSON: ${errorMessage(error)}`, error)
  }
  if (typeof value !== 'boolean' && !isSchemaObject(value)) {
    throw errors.invalidSchema(`${what} must be a JSON object or a boolean, got ${JSON.stringify(value)}`)
  }
  return value
}

export function parseJsonSchema(text: string, references: readonly ResolvedReference[]): ParsedJsonSchema {
  const root = parseJsonText(text, 'the JSON schema')
  const ajv = createAjv(root)
  const documents = new Map<string, JsonSchemaNode>()
  for (const reference of flattenReferences(references)) {
    const document = parseJsonText(reference.schema, `referenced schema '${reference.name}'`)
    const id = isSchemaObject(document) && typeof document.$id === 'string' ? document.$id : undefined
    documents.set(reference.name, document)
    if (id !== undefined) documents.set(id, document)
    try {
      const forAjv = withoutOldDraftMarker(document)
      // A document with its own $id is registered under it by ajv; add the reference name only
      // when it differs, or ajv refuses the duplicate key.
      if (id === undefined || id === reference.name) ajv.addSchema(forAjv as AnySchema, reference.name)
      else {
        ajv.addSchema(forAjv as AnySchema)
        ajv.addSchema({ $ref: id }, reference.name)
      }
    } catch (error) {
      throw errors.invalidSchema(
        `referenced schema '${reference.name}' (subject '${reference.subject}' version ${reference.version}) ` +
          `is not a valid JSON schema: ${errorMessage(error)}`,
        error,
      )
    }
  }
  let validate: ValidateFunction
  try {
    validate = ajv.compile(withoutOldDraftMarker(root) as AnySchema)
  } catch (error) {
    throw errors.invalidSchema(`not a valid JSON schema: ${errorMessage(error)}`, error)
  }
  // Confluent keeps JSON schemas as compact JSON with the author's key order.
  const canonical = JSON.stringify(root)
  return { schemaType: 'JSON', canonical, fingerprint: canonical, root, documents, validate }
}

export const jsonSchemaFormat: SchemaFormat<ParsedJsonSchema> = {
  schemaType: 'JSON',
  parse: parseJsonSchema,
  // Confluent's normalized JSON Schema: the same document with every object's keys sorted.
  normalize: (parsed) => writeJson(parsed.root),
  checkCompatibility(reader: ParsedJsonSchema, writer: ParsedJsonSchema, roles: CompatibilityRoles) {
    return checkJsonSchemaCompatibility(writer, reader, roles)
  },
  // Confluent writes JSON Schema reasons with double quotes: {errorType:"X", description:"..."}
  formatIncompatibility(incompatibility: Incompatibility): string {
    return `{errorType:"${incompatibility.errorType}", description:"${incompatibility.description}"}`
  },
}

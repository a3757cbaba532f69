// Reading request bodies and query strings: what the client sent, checked, or a Confluent error
// saying what is wrong with it.

import { errors, RegistryError } from '../errors.ts'
import { isSchemaType, type SchemaReference } from '../schema-types.ts'
import type { RegisterRequest } from '../service/registry-service.ts'

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function unprocessable(message: string): RegistryError {
  return new RegistryError('UNPROCESSABLE_ENTITY', message)
}

export function requireObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) throw unprocessable('The request needs a JSON object body')
  if (!isObject(body))
    throw unprocessable(`The request body must be a JSON object, got ${JSON.stringify(body)}`)
  return body
}

function references(value: unknown): SchemaReference[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value))
    throw unprocessable("Field 'references' must be an array of {name, subject, version}")
  return value.map((reference, index) => {
    if (
      !isObject(reference) ||
      typeof reference.name !== 'string' ||
      typeof reference.subject !== 'string' ||
      !Number.isInteger(reference.version)
    ) {
      throw unprocessable(
        `Reference ${index} must be an object with a string 'name', a string 'subject' and an integer 'version', ` +
          `got ${JSON.stringify(reference)}`,
      )
    }
    return { name: reference.name, subject: reference.subject, version: reference.version as number }
  })
}

function optionalInteger(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (!Number.isInteger(value))
    throw unprocessable(`Field '${field}' must be an integer, got ${JSON.stringify(value)}`)
  return value as number
}

/** The body of register, lookup and compatibility requests. */
export function readSchemaBody(body: unknown): RegisterRequest {
  const object = requireObject(body)
  const schema = object.schema
  if (schema === undefined || schema === null || schema === '') throw errors.invalidSchema('Empty schema')
  if (typeof schema !== 'string') {
    throw unprocessable(
      `Field 'schema' must be a string holding the schema text, got ${JSON.stringify(schema)}`,
    )
  }
  const schemaType = object.schemaType ?? 'AVRO'
  if (!isSchemaType(schemaType)) {
    throw errors.invalidSchema(
      `unknown schema type ${JSON.stringify(schemaType)}; expected AVRO, JSON or PROTOBUF`,
    )
  }
  return {
    schema,
    schemaType,
    references: references(object.references),
    id: optionalInteger(object, 'id'),
    version: optionalInteger(object, 'version'),
  }
}

/** A boolean query parameter, as JAX-RS reads one: "true" in any case is true. */
export function flag(query: unknown, name: string): boolean {
  const value = isObject(query) ? query[name] : undefined
  return typeof value === 'string' && value.toLowerCase() === 'true'
}

export function text(query: unknown, name: string): string | undefined {
  const value = isObject(query) ? query[name] : undefined
  return typeof value === 'string' ? value : undefined
}

export function integer(query: unknown, name: string): number | undefined {
  const value = text(query, name)
  if (value === undefined || value === '') return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed))
    throw unprocessable(`Query parameter '${name}' must be an integer, got '${value}'`)
  return parsed
}

/** A schema id from the path. */
export function schemaId(raw: string): number {
  const id = Number(raw)
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(id)) throw errors.schemaNotFound()
  return id
}

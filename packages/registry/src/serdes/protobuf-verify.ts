// Checks a plain object against a Protobuf message type before encoding, naming the first field
// that does not fit. protobufjs's own verify() refuses enum names and its fromObject() quietly
// converts wrong types (5 becomes "5"); this accepts what fromObject reads correctly and
// refuses the rest.

import protobuf from 'protobufjs'

const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32'])
const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'])

function isLong(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'low' in value && 'high' in value
}

function scalarProblem(type: string, value: unknown): string | undefined {
  if (INT32.has(type)) return Number.isInteger(value) ? undefined : 'an integer expected'
  if (INT64.has(type)) {
    const ok =
      Number.isInteger(value) ||
      typeof value === 'bigint' ||
      isLong(value) ||
      (typeof value === 'string' && /^-?\d+$/.test(value))
    return ok ? undefined : 'a 64-bit integer expected (number, bigint, Long or decimal string)'
  }
  switch (type) {
    case 'double':
    case 'float':
      return typeof value === 'number' ? undefined : 'a number expected'
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'a boolean expected'
    case 'string':
      return typeof value === 'string' ? undefined : 'a string expected'
    case 'bytes':
      return value instanceof Uint8Array || typeof value === 'string'
        ? undefined
        : 'bytes expected (Uint8Array or base64 string)'
    default:
      return undefined
  }
}

function valueProblem(field: protobuf.Field, value: unknown, path: string): string | undefined {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Enum) {
    if (typeof value === 'number' && Number.isInteger(value)) return undefined
    if (typeof value === 'string' && value in resolved.values) return undefined
    return `${path}: one of ${Object.keys(resolved.values).join(', ')} (or its number) expected, got ${JSON.stringify(value)}`
  }
  if (resolved instanceof protobuf.Type) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return `${path}: an object expected`
    return verifyProtobufValue(resolved, value, path)
  }
  const problem = scalarProblem(field.type, value)
  return problem === undefined ? undefined : `${path}: ${problem}, got ${JSON.stringify(value)}`
}

/** The first problem of `value` against `type`, or undefined when it can be encoded as it is. */
export function verifyProtobufValue(type: protobuf.Type, value: unknown, path = ''): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `${path || 'the value'}: an object expected`
  if (value instanceof protobuf.Message) return undefined
  const object = value as Record<string, unknown>
  for (const field of type.fieldsArray) {
    const entry = object[field.name]
    if (entry === undefined || entry === null) continue
    const fieldPath = path === '' ? field.name : `${path}.${field.name}`
    if (field instanceof protobuf.MapField) {
      if (typeof entry !== 'object' || Array.isArray(entry)) return `${fieldPath}: an object (map) expected`
      for (const [key, item] of Object.entries(entry)) {
        const problem = valueProblem(field, item, `${fieldPath}[${key}]`)
        if (problem !== undefined) return problem
      }
    } else if (field.repeated) {
      if (!Array.isArray(entry)) return `${fieldPath}: an array expected`
      for (let index = 0; index < entry.length; index++) {
        const problem = valueProblem(field, entry[index], `${fieldPath}[${index}]`)
        if (problem !== undefined) return problem
      }
    } else {
      const problem = valueProblem(field, entry, fieldPath)
      if (problem !== undefined) return problem
    }
  }
  return undefined
}

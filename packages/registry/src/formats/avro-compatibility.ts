// Avro schema resolution (the Avro specification's "Schema Resolution" section, as Java's
// SchemaCompatibility applies it): can a reader holding one schema decode data written with
// another? Reasons use Confluent's error types and paths (`/fields/1/type`), and name the field.

import type avro from 'avsc'
import type { CompatibilityRoles, Incompatibility } from './format.ts'

type Kind =
  | 'null'
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'bytes'
  | 'string'
  | 'record'
  | 'enum'
  | 'fixed'
  | 'array'
  | 'map'
  | 'union'

// The promotions the specification allows: the writer's type (key) read as one of these.
const PROMOTIONS: Record<string, readonly Kind[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
}

interface RecordLike {
  name?: string
  aliases?: string[]
  fields: { name: string; aliases: string[]; type: avro.Type; defaultValue(): unknown }[]
}

function kindOf(type: avro.Type): Kind {
  const name = type.typeName
  if (name.startsWith('union')) return 'union'
  if (name === 'error') return 'record'
  return name as Kind
}

function simpleName(fullName: string | undefined): string | undefined {
  return fullName?.slice(fullName.lastIndexOf('.') + 1)
}

class Checker {
  readonly #roles: CompatibilityRoles
  // Pairs being compared on the stack: met again, a recursive type is assumed compatible.
  readonly #inProgress = new Map<avro.Type, Set<avro.Type>>()

  constructor(roles: CompatibilityRoles) {
    this.#roles = roles
  }

  check(
    reader: avro.Type,
    writer: avro.Type,
    path: string,
    field: string | undefined,
    out: Incompatibility[],
  ): boolean {
    let writers = this.#inProgress.get(reader)
    if (writers?.has(writer)) return true
    if (!writers) this.#inProgress.set(reader, (writers = new Set()))
    writers.add(writer)
    try {
      return this.#compare(reader, writer, path, field, out)
    } finally {
      writers.delete(writer)
    }
  }

  #compare(
    reader: avro.Type,
    writer: avro.Type,
    path: string,
    field: string | undefined,
    out: Incompatibility[],
  ): boolean {
    const readerKind = kindOf(reader)
    const writerKind = kindOf(writer)
    if (writerKind === 'union') {
      // Every branch the writer may have written must be readable.
      let compatible = true
      const branches = (writer as unknown as { types: avro.Type[] }).types
      branches.forEach((branch, index) => {
        if (!this.check(reader, branch, `${path}/${index}`, field, out)) compatible = false
      })
      return compatible
    }
    if (readerKind === 'union') {
      const branches = (reader as unknown as { types: avro.Type[] }).types
      if (branches.some((branch) => this.check(branch, writer, path, field, []))) return true
      out.push({
        errorType: 'MISSING_UNION_BRANCH',
        description:
          `The ${this.#roles.reader} schema is missing a type inside a union ${this.#fieldWords(field)}at path ` +
          `'${path || '/'}' in the ${this.#roles.writer} schema`,
        path: path || '/',
        additionalInfo: `reader union lacking writer type: ${writerKind.toUpperCase()}`,
      })
      return false
    }
    if (readerKind !== writerKind) {
      if (PROMOTIONS[writerKind]?.includes(readerKind)) return true
      this.#typeMismatch(readerKind, writerKind, path, field, out)
      return false
    }
    switch (readerKind) {
      case 'record':
        return this.#records(reader, writer, path, field, out)
      case 'enum':
        return this.#enums(reader, writer, path, field, out)
      case 'fixed': {
        let compatible = this.#names(reader, writer, path, field, out)
        const readerSize = (reader as avro.types.FixedType).size
        const writerSize = (writer as avro.types.FixedType).size
        if (readerSize !== writerSize) {
          compatible = false
          out.push({
            errorType: 'FIXED_SIZE_MISMATCH',
            description:
              `The size of FIXED type ${this.#fieldWords(field)}at path '${path}/size' in the ` +
              `${this.#roles.reader} schema does not match with the ${this.#roles.writer} schema`,
            path: `${path}/size`,
            additionalInfo: `expected: ${writerSize}, found: ${readerSize}`,
          })
        }
        return compatible
      }
      case 'array':
        return this.check(
          (reader as avro.types.ArrayType).itemsType,
          (writer as avro.types.ArrayType).itemsType,
          `${path}/items`,
          field === undefined ? undefined : `${field}[]`,
          out,
        )
      case 'map':
        return this.check(
          (reader as avro.types.MapType).valuesType as avro.Type,
          (writer as avro.types.MapType).valuesType as avro.Type,
          `${path}/values`,
          field === undefined ? undefined : `${field}{}`,
          out,
        )
      default:
        return true
    }
  }

  #fieldWords(field: string | undefined): string {
    return field === undefined ? '' : `field '${field}' `
  }

  #typeMismatch(
    readerKind: Kind,
    writerKind: Kind,
    path: string,
    field: string | undefined,
    out: Incompatibility[],
  ) {
    const what = field === undefined ? 'of' : `of field '${field}' in`
    out.push({
      errorType: 'TYPE_MISMATCH',
      description:
        `The type (path '${path || '/'}') ${what} the ${this.#roles.reader} schema does not match with ` +
        `the ${this.#roles.writer} schema`,
      path: path || '/',
      additionalInfo: `reader type: ${readerKind.toUpperCase()} not compatible with writer type: ${writerKind.toUpperCase()}`,
    })
  }

  // Java's rule: the unqualified names are equal, or the reader's aliases hold the writer's full name.
  #names(
    reader: avro.Type,
    writer: avro.Type,
    path: string,
    field: string | undefined,
    out: Incompatibility[],
  ) {
    if (simpleName(reader.name) === simpleName(writer.name)) return true
    if (writer.name !== undefined && (reader.aliases ?? []).includes(writer.name)) return true
    out.push({
      errorType: 'NAME_MISMATCH',
      description:
        `The name of the schema has changed (path '${path}/name')` +
        (field === undefined ? '' : ` for field '${field}'`) +
        `: the ${this.#roles.reader} schema names it '${reader.name}', the ${this.#roles.writer} schema '${writer.name}'`,
      path: `${path}/name`,
      additionalInfo: `expected: ${writer.name}`,
    })
    return false
  }

  #records(
    reader: avro.Type,
    writer: avro.Type,
    path: string,
    field: string | undefined,
    out: Incompatibility[],
  ) {
    let compatible = this.#names(reader, writer, path, field, out)
    const readerRecord = reader as unknown as RecordLike
    const writerRecord = writer as unknown as RecordLike
    readerRecord.fields.forEach((readerField, index) => {
      const fieldPath = field === undefined ? readerField.name : `${field}.${readerField.name}`
      const writerField =
        writerRecord.fields.find((candidate) => candidate.name === readerField.name) ??
        writerRecord.fields.find((candidate) => readerField.aliases.includes(candidate.name))
      if (writerField) {
        if (!this.check(readerField.type, writerField.type, `${path}/fields/${index}/type`, fieldPath, out)) {
          compatible = false
        }
      } else if (readerField.defaultValue() === undefined) {
        compatible = false
        out.push({
          errorType: 'READER_FIELD_MISSING_DEFAULT_VALUE',
          description:
            `The field '${fieldPath}' at path '${path}/fields/${index}' in the ${this.#roles.reader} schema has ` +
            `no default value and is missing in the ${this.#roles.writer} schema`,
          path: `${path}/fields/${index}`,
          additionalInfo: readerField.name,
        })
      }
    })
    return compatible
  }

  #enums(
    reader: avro.Type,
    writer: avro.Type,
    path: string,
    field: string | undefined,
    out: Incompatibility[],
  ) {
    let compatible = this.#names(reader, writer, path, field, out)
    const readerEnum = reader as avro.types.EnumType & { default?: string }
    const writerEnum = writer as avro.types.EnumType
    const missing = writerEnum.symbols.filter((symbol) => !readerEnum.symbols.includes(symbol))
    // An enum default (Avro 1.9) lets the reader map unknown symbols to it.
    if (missing.length > 0 && readerEnum.default === undefined) {
      compatible = false
      out.push({
        errorType: 'MISSING_ENUM_SYMBOLS',
        description:
          `The ${this.#roles.reader} schema is missing enum symbols '[${missing.join(', ')}]' ` +
          (field === undefined ? '' : `of field '${field}' `) +
          `at path '${path}/symbols' in the ${this.#roles.writer} schema`,
        path: `${path}/symbols`,
        additionalInfo: `[${missing.join(', ')}]`,
      })
    }
    return compatible
  }
}

/** Reasons a reader holding `reader` cannot decode data written with `writer`; empty when it can. */
export function checkAvroCompatibility(
  reader: avro.Type,
  writer: avro.Type,
  roles: CompatibilityRoles,
): Incompatibility[] {
  const out: Incompatibility[] = []
  new Checker(roles).check(reader, writer, '', undefined, out)
  return out
}

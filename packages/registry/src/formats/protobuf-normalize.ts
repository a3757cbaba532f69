// Protobuf's normalized form, as Confluent's registry writes a schema registered with
// `normalize=true` (ProtobufSchemaUtils.toNormalizedString): the file printed from its parsed
// form, comments and layout gone, with
//
// - `syntax` written for proto3 only; imports sorted and deduplicated;
// - options sorted by name, custom option names and every message or enum type fully qualified
//   (`.pkg.Msg`), maps as `map<K, V>`;
// - in a message: reserved ranges and names one per line, sorted; fields sorted by number; oneofs
//   after the fields, sorted by their first field number; then groups, extension ranges, extends,
//   and the nested messages followed by the nested enums; enum values sorted by number;
// - messages kept in their order, since the message indexes of Confluent's wire format count them
//   as declared.
//
// The file is printed from protobufjs' reflection of it: the own file (`file`, parsed alone) gives
// what was declared, the resolved root of the parsed schema (imports included) what names mean.

import protobuf from 'protobufjs'
import type { ParsedProtobufSchema } from './protobuf.ts'

type ProtoObject = protobuf.ReflectionObject
type OptionValue = unknown

const SCALARS = new Set([
  'double',
  'float',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
  'bool',
  'string',
  'bytes',
])
// Options of descriptor.proto whose values are enum constants, written without quotes.
const ENUM_OPTIONS = new Set(['optimize_for', 'ctype', 'jstype', 'idempotency_level', 'retention', 'targets'])
const MAX_FIELD_NUMBER = 536_870_911
const INDENT = '  '

/** Each line of `text` indented one level (Confluent's appendIndented). */
function indented(text: string): string {
  const lines = text.split('\n')
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop()
  return lines.map((line) => `${INDENT}${line}\n`).join('')
}

function escapeText(text: string): string {
  const escapes: Record<string, string> = {
    '\x07': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
    '\\': '\\\\',
    "'": "\\'",
    '"': '\\"',
  }
  return [...text].map((char) => escapes[char] ?? char).join('')
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan'
  if (value === Number.POSITIVE_INFINITY) return 'inf'
  if (value === Number.NEGATIVE_INFINITY) return '-inf'
  return String(value)
}

/** Java's order of strings: by UTF-16 code unit. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** A value inside an option: a scalar, a message literal `{ k: v }` or a list. */
function formatValue(value: OptionValue, bare: boolean): string {
  if (typeof value === 'string') return bare ? value : `"${escapeText(value)}"`
  if (typeof value === 'number') return formatNumber(value)
  if (Array.isArray(value)) {
    if (value.length === 1) return formatValue(value[0], bare)
    const items = value.map((item, index) => formatValue(item, bare) + (index < value.length - 1 ? ',' : ''))
    return `[\n${items.map(indented).join('')}]`
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => !Array.isArray(member) || member.length > 0)
      .sort(([a], [b]) => byCodeUnits(a, b))
    const lines = entries.map(
      ([key, member], index) =>
        `${key}: ${formatValue(member, bare)}${index < entries.length - 1 ? ',' : ''}`,
    )
    return `{\n${lines.map(indented).join('')}}`
  }
  return String(value)
}

/** `reserved` and `extensions` entries one by one, ranges by their start, names after them. */
function rangeLines(keyword: string, entries: readonly (number[] | string)[] | undefined): string[] {
  const start = (entry: number[] | string) => (typeof entry === 'string' ? Number.MAX_SAFE_INTEGER : entry[0])
  return [...(entries ?? [])]
    .sort((a, b) => start(a) - start(b) || byCodeUnits(String(a), String(b)))
    .map((entry) => {
      if (typeof entry === 'string') return `${keyword} "${entry}";\n`
      const [from, to] = entry
      if (from === to) return `${keyword} ${from};\n`
      return `${keyword} ${from} to ${to >= MAX_FIELD_NUMBER ? 'max' : to};\n`
    })
}

/** One section of a block: a blank line (or the end of the opening line), then its lines indented. */
function section(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `\n${lines.map(indented).join('')}`
}

class ProtobufPrinter {
  readonly #resolved: protobuf.Root
  readonly #proto2: boolean

  constructor(resolved: protobuf.Root, proto2: boolean) {
    this.#resolved = resolved
    this.#proto2 = proto2
  }

  /** Where names used by `object` of the own file are looked up, in the resolved root. */
  #scopeOf(object: ProtoObject): protobuf.Namespace | null {
    const twin = object instanceof protobuf.Root ? this.#resolved : this.#resolved.lookup(object.fullName)
    const found = twin ?? object
    return found instanceof protobuf.Namespace ? found : found.parent
  }

  /** `.full.Name` of the message or enum a name means where `scope` is declared. */
  #typeName(name: string, scope: ProtoObject): string {
    if (SCALARS.has(name)) return name
    try {
      return this.#scopeOf(scope)?.lookupTypeOrEnum(name).fullName ?? name
    } catch {
      return name
    }
  }

  /** Options as `name = value`, sorted by name (Confluent sorts by the name inside parentheses). */
  #options(
    declared: readonly Record<string, OptionValue>[],
    scope: ProtoObject,
    bareDefault = false,
  ): string[] {
    const options: { key: string; text: string }[] = []
    for (const [name, value] of declared.flatMap((entry) => Object.entries(entry))) {
      if (name === 'proto3_optional') continue
      const written = this.#optionName(name, scope)
      const bare = written.bare || (name === 'default' && bareDefault)
      options.push({
        key: written.name.replace(/[()]/g, ''),
        text: `${written.name} = ${formatValue(value, bare)}`,
      })
    }
    return options.sort((a, b) => byCodeUnits(a.key, b.key)).map((option) => option.text)
  }

  #declaredOptions(object: ProtoObject): Record<string, OptionValue>[] {
    const parsed = object.parsedOptions as unknown as Record<string, OptionValue>[] | null
    return parsed ?? Object.entries(object.options ?? {}).map(([name, value]) => ({ [name]: value }))
  }

  /** A custom option's name fully qualified, and whether its value is an enum constant. */
  #optionName(name: string, scope: ProtoObject): { name: string; bare: boolean } {
    const custom = /^\(([^)]+)\)(.*)$/.exec(name)
    if (custom === null) return { name, bare: ENUM_OPTIONS.has(name) || name.split('.')[0] === 'features' }
    const extension = this.#scopeOf(scope)?.lookup(custom[1])
    if (!(extension instanceof protobuf.Field)) return { name, bare: false }
    const full = extension.fullName.replace(/^\./, '')
    return {
      name: `(${full})${custom[2]}`,
      bare: custom[2] === '' && extension.resolvedType instanceof protobuf.Enum,
    }
  }

  #optionLines(object: ProtoObject): string[] {
    return this.#options(this.#declaredOptions(object), object).map((option) => `option ${option};\n`)
  }

  /** ` [a = 1]`, or one option per line when there are several. */
  #inlineOptions(options: readonly string[]): string {
    if (options.length === 0) return ''
    if (options.length === 1) return ` [${options[0]}]`
    const lines = options.map((option, index) => indented(option + (index < options.length - 1 ? ',' : '')))
    return ` [\n${lines.join('')}]`
  }

  #label(field: protobuf.Field, inOneof: boolean): string {
    if (field.map || inOneof) return ''
    // The declared rule: protobufjs works out `required` only once features are resolved.
    const rule = (field as { rule?: string }).rule
    if (rule === 'repeated' || rule === 'required') return `${rule} `
    if (this.#proto2 || field.options?.proto3_optional === true) return 'optional '
    return ''
  }

  #field(field: protobuf.Field, scope: ProtoObject, inOneof = false): string {
    const value = this.#typeName(field.type, scope)
    const type = field instanceof protobuf.MapField ? `map<${field.keyType}, ${value}>` : value
    // A default is written as its field's type: quoted for strings and bytes, bare otherwise.
    const bareDefault = field.type !== 'string' && field.type !== 'bytes'
    const options = this.#options(this.#declaredOptions(field), field, bareDefault)
    return `${this.#label(field, inOneof)}${type} ${field.name} = ${field.id}${this.#inlineOptions(options)};\n`
  }

  #isGroup(field: protobuf.Field, type: protobuf.Type): protobuf.Type | undefined {
    const nested = type.nested?.[field.type]
    return nested instanceof protobuf.Type && (nested as { group?: boolean }).group === true
      ? nested
      : undefined
  }

  #group(field: protobuf.Field, group: protobuf.Type): string {
    const fields = [...group.fieldsArray]
      .sort((a, b) => a.id - b.id)
      .map((member) => this.#field(member, group))
    return `${this.#label(field, false)}group ${group.name} = ${field.id} {${section(fields)}}\n`
  }

  #extends(fields: readonly protobuf.Field[], scope: ProtoObject): string[] {
    const byExtendee = new Map<string, protobuf.Field[]>()
    for (const field of fields) {
      const extendee = this.#typeName(field.extend ?? '', scope)
      byExtendee.set(extendee, [...(byExtendee.get(extendee) ?? []), field])
    }
    return [...byExtendee].map(([extendee, members]) => {
      const lines = [...members].sort((a, b) => a.id - b.id).map((member) => this.#field(member, scope))
      return `extend ${extendee} {${section(lines)}}\n`
    })
  }

  message(type: protobuf.Type): string {
    const own = type.fieldsArray.filter(
      (field) => field.declaringField === null && !field.name.startsWith('.'),
    )
    const synthetic = (oneof: protobuf.OneOf) =>
      oneof.fieldsArray.length === 1 && oneof.fieldsArray[0].options?.proto3_optional === true
    const oneofs = type.oneofsArray.filter((oneof) => !synthetic(oneof) && oneof.fieldsArray.length > 0)
    const inOneof = new Set(oneofs.flatMap((oneof) => oneof.fieldsArray))
    const groups = own.filter((field) => this.#isGroup(field, type) !== undefined)
    const fields = own
      .filter((field) => !inOneof.has(field) && !groups.includes(field))
      .sort((a, b) => a.id - b.id)
      .map((field) => this.#field(field, type))
    const firstNumber = (oneof: protobuf.OneOf) => Math.min(...oneof.fieldsArray.map((field) => field.id))
    const oneofBlocks = [...oneofs]
      .sort((a, b) => firstNumber(a) - firstNumber(b))
      .map((oneof) => {
        const members = [...oneof.fieldsArray]
          .sort((a, b) => a.id - b.id)
          .map((field) => this.#field(field, type, true))
        return `oneof ${oneof.name} {${section(this.#optionLines(oneof))}${section(members)}}\n`
      })
    const groupBlocks = groups
      .sort((a, b) => a.id - b.id)
      .map((field) => this.#group(field, this.#isGroup(field, type) as protobuf.Type))
    const groupTypes = new Set(groups.map((field) => field.type))
    const nested = type.nestedArray.filter(
      (object) => !(object instanceof protobuf.Type && groupTypes.has(object.name)),
    )
    return (
      `message ${type.name} {` +
      section(rangeLines('reserved', type.reserved)) +
      section(this.#optionLines(type)) +
      section(fields) +
      section(oneofBlocks) +
      section(groupBlocks) +
      section(rangeLines('extensions', type.extensions)) +
      section(
        this.#extends(
          nested.filter((object) => object instanceof protobuf.Field),
          type,
        ),
      ) +
      section(this.#types(nested)) +
      '}\n'
    )
  }

  enum(type: protobuf.Enum): string {
    const reserved = rangeLines('reserved', type.reserved)
    const values = Object.entries(type.values)
      .map(([name, number]) => ({ name, number }))
      .sort((a, b) => a.number - b.number || byCodeUnits(a.name, b.name))
      .map(({ name, number }) => {
        const declared = Object.entries(type.valuesOptions?.[name] ?? {}).map(([key, value]) => ({
          [key]: value,
        }))
        const options = this.#options(declared, type)
        return `${name} = ${number}${this.#inlineOptions(options)};\n`
      })
    const body = [...this.#optionLines(type), ...values]
    const opening = reserved.length === 0 && body.length > 0 ? '\n' : ''
    return `enum ${type.name} {${section(reserved)}${opening}${body.map(indented).join('')}}\n`
  }

  /** Messages in their order, then enums: only messages count in message indexes. */
  #types(objects: readonly ProtoObject[]): string[] {
    return [
      ...objects
        .filter((object): object is protobuf.Type => object instanceof protobuf.Type)
        .map((type) => this.message(type)),
      ...objects
        .filter((object): object is protobuf.Enum => object instanceof protobuf.Enum)
        .map((type) => this.enum(type)),
    ]
  }

  service(service: protobuf.Service): string {
    const rpcs = service.methodsArray.map((method) => {
      const request = `${method.requestStream ? 'stream ' : ''}${this.#typeName(method.requestType, service)}`
      const response = `${method.responseStream ? 'stream ' : ''}${this.#typeName(method.responseType, service)}`
      const options = this.#optionLines(method)
      const body = options.length === 0 ? '' : ` {\n${options.map(indented).join('')}}`
      return `rpc ${method.name} (${request}) returns (${response})${body};\n`
    })
    return `service ${service.name} {${section(this.#optionLines(service))}${section(rpcs)}}\n`
  }

  /** The file: header, imports, options, types, extends, services, each part after a blank line. */
  file(declarations: protobuf.Namespace, header: string, imports: readonly string[]): string {
    const objects = declarations.nestedArray
    const part = (lines: readonly string[]) => (lines.length === 0 ? '' : `\n${lines.join('')}`)
    return (
      header +
      part(imports) +
      part(this.#optionLines(declarations)) +
      part(this.#types(objects)) +
      part(
        this.#extends(
          objects.filter((object): object is protobuf.Field => object instanceof protobuf.Field),
          declarations,
        ),
      ) +
      part(
        objects
          .filter((object) => object instanceof protobuf.Service)
          .map((service) => this.service(service)),
      )
    )
  }
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort()
}

/** The normalized text of a parsed Protobuf schema. */
export function normalizeProtobuf(parsed: ParsedProtobufSchema): string {
  const text = parsed.canonical
  const own = protobuf.parse(text, new protobuf.Root(), { keepCase: true })
  const pkg = own.package ?? ''
  const declarations = pkg === '' ? own.root : own.root.lookup(pkg)
  if (!(declarations instanceof protobuf.Namespace)) return text
  const edition = /^\s*edition\s*=\s*["']([^"']+)["']\s*;/m.exec(text)?.[1]
  let header = ''
  if (edition !== undefined) header += `edition = "${edition}";\n`
  else if (parsed.syntax === 'proto3') header += 'syntax = "proto3";\n'
  if (pkg !== '') header += `package ${pkg};\n`
  // protobufjs reads `import public` as a plain import: the text says which were public.
  const publicImports = new Set(
    [...text.matchAll(/\bimport\s+public\s+["']([^"']+)["']/g)].map((match) => match[1]),
  )
  const imports = [
    ...sortedUnique((own.imports ?? []).filter((path) => !publicImports.has(path))).map(
      (path) => `import "${path}";\n`,
    ),
    ...sortedUnique([...publicImports]).map((path) => `import public "${path}";\n`),
    ...sortedUnique(own.weakImports ?? []).map((path) => `import weak "${path}";\n`),
  ]
  return new ProtobufPrinter(parsed.root, parsed.syntax === 'proto2' && edition === undefined).file(
    declarations,
    header,
    imports,
  )
}

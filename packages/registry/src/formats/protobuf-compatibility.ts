// Protobuf compatibility, by Confluent's rules: fields are matched by number, so renaming or
// removing a field is safe (unknown fields are skipped), while changing a field's wire type,
// its message type, its required-ness or its oneof membership is not; removing a message type
// is not either. Scalars that share a wire encoding are interchangeable (int32/int64/uint32/
// uint64/bool/enum, sint32/sint64, fixed32/sfixed32, fixed64/sfixed64, string/bytes).

import protobuf from 'protobufjs'
import type { CompatibilityRoles, Incompatibility } from './format.ts'
import type { ParsedProtobufSchema } from './protobuf.ts'

const COMPATIBLE = new Set([
  'MESSAGE_ADDED',
  'MESSAGE_MOVED',
  'ENUM_ADDED',
  'ENUM_REMOVED',
  'ENUM_CONST_ADDED',
  'ENUM_CONST_CHANGED',
  'ENUM_CONST_REMOVED',
  'FIELD_ADDED',
  'FIELD_REMOVED',
  'FIELD_NAME_CHANGED',
  'FIELD_STRING_OR_BYTES_LABEL_CHANGED',
  'ONEOF_ADDED',
  'ONEOF_REMOVED',
  'ONEOF_FIELD_ADDED',
])

interface ProtoDifference {
  errorType: string
  path: string
  description: string
}

type Kind = 'SCALAR' | 'MESSAGE' | 'MAP'

const SCALAR_KINDS: Record<string, string> = {
  int32: 'GENERAL_NUMBER',
  int64: 'GENERAL_NUMBER',
  uint32: 'GENERAL_NUMBER',
  uint64: 'GENERAL_NUMBER',
  bool: 'GENERAL_NUMBER',
  sint32: 'SIGNED_NUMBER',
  sint64: 'SIGNED_NUMBER',
  string: 'STRING_OR_BYTES',
  bytes: 'STRING_OR_BYTES',
  fixed32: 'FIXED32',
  sfixed32: 'FIXED32',
  fixed64: 'FIXED64',
  sfixed64: 'FIXED64',
  float: 'FLOAT',
  double: 'DOUBLE',
}

interface Side {
  schema: ParsedProtobufSchema
  /** Full names of the messages declared in the file (not imported). */
  declared: ReadonlySet<string>
}

class Context {
  readonly differences: ProtoDifference[] = []
  readonly #path: string[]
  readonly #roles: CompatibilityRoles
  readonly #inProgress: Map<unknown, Set<unknown>>

  constructor(roles: CompatibilityRoles, path: string[] = [], inProgress = new Map<unknown, Set<unknown>>()) {
    this.#roles = roles
    this.#path = path
    this.#inProgress = inProgress
  }

  get reader(): string {
    return `the ${this.#roles.reader} schema`
  }

  get writer(): string {
    return `the ${this.#roles.writer} schema`
  }

  get path(): string {
    return `#/${this.#path.join('/')}`
  }

  sub(): Context {
    return new Context(this.#roles, [...this.#path], this.#inProgress)
  }

  get isCompatible(): boolean {
    return this.differences.every((difference) => COMPATIBLE.has(difference.errorType))
  }

  at<T>(segment: string, run: () => T): T {
    this.#path.push(segment)
    try {
      return run()
    } finally {
      this.#path.pop()
    }
  }

  add(errorType: string, description = ''): void {
    this.differences.push({ errorType, path: this.path, description })
  }

  guard(original: unknown, update: unknown, compare: () => void): void {
    let updates = this.#inProgress.get(original)
    if (updates?.has(update)) return
    if (!updates) this.#inProgress.set(original, (updates = new Set()))
    updates.add(update)
    try {
      compare()
    } finally {
      updates.delete(update)
    }
  }
}

interface FieldType {
  kind: Kind
  /** Scalar name, or the full name of the message or enum. */
  name: string
  isEnum: boolean
  keyType?: string
  value?: FieldType
}

function fieldType(field: protobuf.Field): FieldType {
  if (field instanceof protobuf.MapField) {
    return {
      kind: 'MAP',
      name: `map<${field.keyType}, ${field.type}>`,
      isEnum: false,
      keyType: field.keyType,
      value: valueType(field),
    }
  }
  return valueType(field)
}

function valueType(field: protobuf.Field): FieldType {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Enum)
    return { kind: 'SCALAR', name: resolved.fullName.slice(1), isEnum: true }
  if (resolved instanceof protobuf.Type)
    return { kind: 'MESSAGE', name: resolved.fullName.slice(1), isEnum: false }
  return { kind: 'SCALAR', name: field.type, isEnum: false }
}

function scalarKind(type: FieldType): string {
  return type.isEnum ? 'GENERAL_NUMBER' : (SCALAR_KINDS[type.name] ?? type.name)
}

function localName(side: Side, fullName: string): string {
  const pkg = side.schema.packageOf.get(fullName) ?? ''
  return pkg !== '' && fullName.startsWith(`${pkg}.`) ? fullName.slice(pkg.length + 1) : fullName
}

// proto3 `optional` fields live in a synthetic oneof named after them; it is not a real oneof.
function realOneofs(type: protobuf.Type): protobuf.OneOf[] {
  return type.oneofsArray.filter(
    (oneof) => !(oneof.fieldsArray.length === 1 && oneof.fieldsArray[0].options?.proto3_optional === true),
  )
}

function oneofOf(field: protobuf.Field, oneofs: readonly protobuf.OneOf[]): string | undefined {
  return field.partOf !== null && oneofs.includes(field.partOf) ? field.partOf.name : undefined
}

function compareField(ctx: Context, o: protobuf.Field, u: protobuf.Field, os: Side, us: Side): void {
  if (o.name !== u.name) ctx.add('FIELD_NAME_CHANGED', `Field '${o.name}' was renamed to '${u.name}'`)
  const oType = fieldType(o)
  const uType = fieldType(u)
  if (oType.kind === 'SCALAR' && uType.kind === 'SCALAR' && o.repeated !== u.repeated) {
    if (scalarKind(oType) === 'STRING_OR_BYTES' && scalarKind(uType) === 'STRING_OR_BYTES') {
      ctx.add('FIELD_STRING_OR_BYTES_LABEL_CHANGED')
    } else {
      // Repeated numbers are packed on the wire: a singular reader cannot decode them.
      ctx.add(
        'FIELD_NUMERIC_LABEL_CHANGED',
        `The label of NUMERIC field '${u.name}' at path '${ctx.path}' is ${u.repeated ? 'repeated' : 'singular'} ` +
          `in ${ctx.reader} but ${o.repeated ? 'repeated' : 'singular'} in ${ctx.writer}`,
      )
    }
  }
  compareTypes(ctx, u.name, oType, uType, os, us)
}

function compareTypes(ctx: Context, name: string, o: FieldType, u: FieldType, os: Side, us: Side): void {
  if (o.kind !== u.kind) {
    ctx.add(
      'FIELD_KIND_CHANGED',
      `The kind of field '${name}' at path '${ctx.path}' is ${u.kind} (${u.name}) in ${ctx.reader} ` +
        `but ${o.kind} (${o.name}) in ${ctx.writer}`,
    )
    return
  }
  if (o.kind === 'SCALAR') {
    if (scalarKind(o) !== scalarKind(u)) {
      ctx.add(
        'FIELD_SCALAR_KIND_CHANGED',
        `The kind of SCALAR field '${name}' at path '${ctx.path}' in ${ctx.reader} does not match its kind in ` +
          `${ctx.writer} (${o.name} -> ${u.name}, not wire-compatible)`,
      )
    }
    return
  }
  if (o.kind === 'MAP') {
    compareTypes(ctx, `${name} (key)`, scalar(o.keyType ?? ''), scalar(u.keyType ?? ''), os, us)
    if (o.value && u.value) compareTypes(ctx, `${name} (value)`, o.value, u.value, os, us)
    return
  }
  const oLocal = localName(os, o.name)
  const uLocal = localName(us, u.name)
  const namedTypeChanged = () =>
    ctx.add(
      'FIELD_NAMED_TYPE_CHANGED',
      `The type of MESSAGE field '${name}' at path '${ctx.path}' is '${uLocal}' in ${ctx.reader} ` +
        `but '${oLocal}' in ${ctx.writer}`,
    )
  if (oLocal !== uLocal) {
    namedTypeChanged()
    return
  }
  // Types declared in the file are compared on their own; imported ones are compared here.
  if (os.declared.has(o.name) && us.declared.has(u.name)) return
  const oMessage = os.schema.root.lookupType(o.name)
  const uMessage = us.schema.root.lookupType(u.name)
  const sub = ctx.sub()
  compareMessage(sub, oMessage, uMessage, os, us)
  ctx.differences.push(...sub.differences)
  if (!sub.isCompatible) namedTypeChanged()
}

function scalar(name: string): FieldType {
  return { kind: 'SCALAR', name, isEnum: false }
}

function compareMessage(ctx: Context, o: protobuf.Type, u: protobuf.Type, os: Side, us: Side): void {
  ctx.guard(o, u, () => {
    const oOneofs = realOneofs(o)
    const uOneofs = realOneofs(u)
    const oByTag = new Map<number, protobuf.Field>()
    const uByTag = new Map<number, protobuf.Field>()
    const oAll = new Map<number, protobuf.Field>()
    const uAll = new Map<number, protobuf.Field>()
    for (const field of o.fieldsArray) {
      oAll.set(field.id, field)
      if (oneofOf(field, oOneofs) === undefined) oByTag.set(field.id, field)
    }
    for (const field of u.fieldsArray) {
      uAll.set(field.id, field)
      if (oneofOf(field, uOneofs) === undefined) uByTag.set(field.id, field)
    }
    const oOneofFieldTags = new Set(oOneofs.flatMap((oneof) => oneof.fieldsArray.map((field) => field.id)))

    for (const oneof of uOneofs) {
      ctx.at(oneof.name, () => {
        const moved: string[] = []
        let existing = 0
        for (const field of oneof.fieldsArray) {
          const before = oByTag.get(field.id)
          if (before !== undefined) {
            moved.push(before.name)
            oByTag.delete(field.id) // compared below, not reported as removed
          } else if (oOneofFieldTags.has(field.id)) existing++
        }
        if (moved.length > 1) {
          ctx.add(
            'MULTIPLE_FIELDS_MOVED_TO_ONEOF',
            `Fields ${moved.map((name) => `'${name}'`).join(', ')}, separate in ${ctx.writer}, are in oneof ` +
              `'${oneof.name}' (path '${ctx.path}') in ${ctx.reader}: data may set several of them`,
          )
        } else if (moved.length === 1 && existing > 0) {
          ctx.add(
            'FIELD_MOVED_TO_EXISTING_ONEOF',
            `Field '${moved[0]}' moved into oneof '${oneof.name}' (path '${ctx.path}') of ${ctx.reader}, ` +
              `which already had fields in ${ctx.writer}`,
          )
        }
      })
    }

    const oneofNames = new Set([...oOneofs.map((oneof) => oneof.name), ...uOneofs.map((oneof) => oneof.name)])
    for (const name of oneofNames) {
      ctx.at(name, () => {
        const before = oOneofs.find((oneof) => oneof.name === name)
        const after = uOneofs.find((oneof) => oneof.name === name)
        if (after === undefined) return ctx.add('ONEOF_REMOVED')
        if (before === undefined) return ctx.add('ONEOF_ADDED')
        const beforeByTag = new Map(before.fieldsArray.map((field) => [field.id, field]))
        const afterByTag = new Map(after.fieldsArray.map((field) => [field.id, field]))
        for (const tag of new Set([...beforeByTag.keys(), ...afterByTag.keys()])) {
          ctx.at(String(tag), () => {
            const was = beforeByTag.get(tag)
            const is = afterByTag.get(tag)
            if (is === undefined && was !== undefined) {
              ctx.add(
                'ONEOF_FIELD_REMOVED',
                `${capitalize(ctx.reader)} is missing field '${was.name}' of oneof '${name}' at path '${ctx.path}' ` +
                  `which is in ${ctx.writer}`,
              )
            } else if (was === undefined) ctx.add('ONEOF_FIELD_ADDED')
            else if (is !== undefined) compareField(ctx, was, is, os, us)
          })
        }
      })
    }

    for (const tag of new Set([...oByTag.keys(), ...uByTag.keys()])) {
      ctx.at(String(tag), () => {
        const was = oByTag.get(tag)
        const is = uByTag.get(tag)
        if (is === undefined && was !== undefined) {
          if (was.required) {
            ctx.add(
              'REQUIRED_FIELD_REMOVED',
              `${capitalize(ctx.reader)} is missing required field '${was.name}' at path '${ctx.path}' which is ` +
                `in ${ctx.writer}`,
            )
          } else ctx.add('FIELD_REMOVED', `Field '${was.name}' was removed`)
        } else if (was === undefined && is !== undefined) {
          if (is.required) {
            ctx.add(
              'REQUIRED_FIELD_ADDED',
              `Required field '${is.name}' at path '${ctx.path}' in ${ctx.reader} is missing in ${ctx.writer}`,
            )
          } else ctx.add('FIELD_ADDED')
        } else if (was !== undefined && is !== undefined) compareField(ctx, was, is, os, us)
      })
    }

    // Fields that moved into, out of or between oneofs are still compared by number.
    const common = [...oAll.keys()].filter((tag) => uAll.has(tag)).sort((a, b) => a - b)
    for (const tag of common) {
      const was = oAll.get(tag)!
      const is = uAll.get(tag)!
      const wasIn = oneofOf(was, oOneofs)
      const isIn = oneofOf(is, uOneofs)
      if ((wasIn === undefined && isIn === undefined) || (wasIn !== undefined && wasIn === isIn)) continue
      if (wasIn === undefined && isIn !== undefined) continue // already compared when moved into the oneof
      ctx.at(String(tag), () => compareField(ctx, was, is, os, us))
    }

    compareNested(ctx, o, u, os, us)
  })
}

interface TypeLists {
  messages: Map<string, { type: protobuf.Type; index: number }>
  enums: Map<string, protobuf.Enum>
}

function typeLists(namespace: protobuf.NamespaceBase): TypeLists {
  const messages = new Map<string, { type: protobuf.Type; index: number }>()
  const enums = new Map<string, protobuf.Enum>()
  let index = 0
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Type) messages.set(nested.name, { type: nested, index: index++ })
    else if (nested instanceof protobuf.Enum) enums.set(nested.name, nested)
  }
  return { messages, enums }
}

function compareNested(
  ctx: Context,
  o: protobuf.NamespaceBase,
  u: protobuf.NamespaceBase,
  os: Side,
  us: Side,
) {
  compareTypeLists(ctx, typeLists(o), typeLists(u), os, us)
}

function compareTypeLists(ctx: Context, o: TypeLists, u: TypeLists, os: Side, us: Side): void {
  for (const name of new Set([...o.messages.keys(), ...u.messages.keys()])) {
    ctx.at(name, () => {
      const was = o.messages.get(name)
      const is = u.messages.get(name)
      if (is === undefined) {
        return ctx.add(
          'MESSAGE_REMOVED',
          `${capitalize(ctx.reader)} is missing message type '${name}' (path '${ctx.path}') which is in ${ctx.writer}`,
        )
      }
      if (was === undefined) return ctx.add('MESSAGE_ADDED')
      compareMessage(ctx, was.type, is.type, os, us)
      if (was.index !== is.index) ctx.add('MESSAGE_MOVED')
    })
  }
  for (const name of new Set([...o.enums.keys(), ...u.enums.keys()])) {
    ctx.at(name, () => {
      const was = o.enums.get(name)
      const is = u.enums.get(name)
      if (is === undefined) return ctx.add('ENUM_REMOVED')
      if (was === undefined) return ctx.add('ENUM_ADDED')
      // Enum values travel as numbers; adding, removing or renaming constants is safe.
      for (const [constant, number] of Object.entries(was.values)) {
        if (!(constant in is.values)) ctx.add('ENUM_CONST_REMOVED')
        else if (is.values[constant] !== number) ctx.add('ENUM_CONST_CHANGED')
      }
      for (const constant of Object.keys(is.values))
        if (!(constant in was.values)) ctx.add('ENUM_CONST_ADDED')
    })
  }
}

function fileNamespace(schema: ParsedProtobufSchema): protobuf.NamespaceBase {
  // The types declared in the file, seen through the resolved root that also holds its imports.
  const declared = new Set(
    schema.messages.filter((message) => !message.localName.includes('.')).map((m) => m.fullName),
  )
  const enums = new Set(schema.enums.filter((name) => !name.includes('.')))
  const pkgNamespace = schema.package === '' ? schema.root : schema.root.lookup(schema.package)
  if (!(pkgNamespace instanceof protobuf.Namespace))
    return { nestedArray: [] } as unknown as protobuf.NamespaceBase
  const view = {
    nestedArray: pkgNamespace.nestedArray.filter(
      (nested) =>
        (nested instanceof protobuf.Type && declared.has(nested.fullName.slice(1))) ||
        (nested instanceof protobuf.Enum && enums.has(nested.name)),
    ),
  }
  return view as unknown as protobuf.NamespaceBase
}

function sideOf(schema: ParsedProtobufSchema): Side {
  return { schema, declared: new Set(schema.messages.map((message) => message.fullName)) }
}

/** Every difference between the writer's file and the reader's, compatible or not. */
export function diffProtobufSchemas(
  writer: ParsedProtobufSchema,
  reader: ParsedProtobufSchema,
  roles: CompatibilityRoles,
): ProtoDifference[] {
  const ctx = new Context(roles)
  if (writer.package !== reader.package) {
    ctx.add(
      'PACKAGE_CHANGED',
      `The package of the ${roles.reader} schema ('${reader.package}') does not match the package of the ` +
        `${roles.writer} schema ('${writer.package}')`,
    )
  }
  const os = sideOf(writer)
  const us = sideOf(reader)
  compareNested(ctx, fileNamespace(writer), fileNamespace(reader), os, us)
  return ctx.differences
}

/** Reasons a reader holding `reader` cannot read data written with `writer`; empty when it can. */
export function checkProtobufCompatibility(
  writer: ParsedProtobufSchema,
  reader: ParsedProtobufSchema,
  roles: CompatibilityRoles,
): Incompatibility[] {
  return diffProtobufSchemas(writer, reader, roles)
    .filter((difference) => !COMPATIBLE.has(difference.errorType))
    .map((difference) => ({
      errorType: difference.errorType,
      description: difference.description || `${difference.errorType} at path '${difference.path}'`,
      path: difference.path,
    }))
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

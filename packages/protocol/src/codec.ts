// The one mechanism that turns Kafka's message descriptors (generated/messages.generated.ts)
// into encoders and decoders. A message at a version compiles once into a tree of closures
// and is cached; both the broker (decode requests, encode responses) and clients or tests
// (the reverse) use the same compiled codecs.
//
// Rules implemented here, from Kafka's message-generator:
// - a field absent from a version is not on the wire; decoding fills in its default;
// - flexible versions use compact strings/bytes/arrays (uvarint length + 1, 0 = null) and end
//   every structure with tagged fields: uvarint count, then (uvarint tag, uvarint size, bytes);
// - a tagged field is written only when it differs from its default; unknown tags are skipped.
import { ProtocolError } from './errors.ts'
import { apiDescriptors } from './generated/messages.generated.ts'
import { Reader } from './primitives/reader.ts'
import { Writer } from './primitives/writer.ts'
import { type Records, recordsLength } from './records-field.ts'
import { type ApiDescriptor, type FieldDescriptor, inRange, type MessageDescriptor } from './schema.ts'

type Value = unknown
type Obj = Record<string, Value>
export type Decode = (r: Reader) => Obj
export type Encode = (w: Writer, value: Obj) => void

export interface MessageCodec {
  readonly decode: Decode
  readonly encode: Encode
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'
const EMPTY = Buffer.alloc(0)

export const descriptorsByKey: ReadonlyMap<number, ApiDescriptor> = new Map(
  apiDescriptors.map((d) => [d.apiKey, d]),
)

export function apiDescriptor(apiKey: number): ApiDescriptor | undefined {
  return descriptorsByKey.get(apiKey)
}

/** True when this API version uses the flexible encoding (and header v2 / response header v1). */
export function isFlexible(apiKey: number, version: number): boolean {
  const d = descriptorsByKey.get(apiKey)
  return d !== undefined && inRange(d.request.flexibleVersions, version)
}

// ---- defaults --------------------------------------------------------------------------

function defaultOf(f: FieldDescriptor, version: number): Value {
  if (f.array) return f.default === null ? null : []
  if (f.default === null) return null
  switch (f.type) {
    case 'bool':
      return f.default === true
    case 'int64':
      return BigInt((f.default as string | undefined) ?? '0')
    case 'string':
      return (f.default as string | undefined) ?? (f.nullable && inRange(f.nullable, version) ? null : '')
    case 'bytes':
      return f.nullable && inRange(f.nullable, version) ? null : EMPTY
    case 'records':
      return null
    case 'uuid':
      return ZERO_UUID
    case 'struct':
      return defaultStruct(f.fields ?? [], version)
    default:
      return (f.default as number | undefined) ?? 0
  }
}

function defaultStruct(fields: readonly FieldDescriptor[], version: number): Obj {
  const o: Obj = {}
  for (const f of fields) o[f.name] = defaultOf(f, version)
  return o
}

function isDefault(f: FieldDescriptor, value: Value, version: number): boolean {
  if (value === undefined) return true
  if (f.array) return value === null ? f.default === null : (value as unknown[]).length === 0
  if (f.type === 'struct') {
    if (value === null) return true
    const o = value as Obj
    return (f.fields ?? []).every(
      (sub) => !inRange(sub.versions, version) || isDefault(sub, o[sub.name], version),
    )
  }
  if (f.type === 'records' || f.type === 'bytes')
    return value === null || recordsLength(value as Records) === 0
  return value === defaultOf(f, version)
}

// ---- single values ---------------------------------------------------------------------

interface ValueCodec {
  read: (r: Reader) => Value
  write: (w: Writer, v: Value) => void
}

function primitiveCodec(f: FieldDescriptor, version: number, flexible: boolean): ValueCodec {
  const nullable = inRange(f.nullable, version)
  switch (f.type) {
    case 'bool':
      return { read: (r) => r.bool(), write: (w, v) => w.bool(v === true) }
    case 'int8':
      return { read: (r) => r.int8(), write: (w, v) => w.int8((v as number) ?? 0) }
    case 'int16':
      return { read: (r) => r.int16(), write: (w, v) => w.int16((v as number) ?? 0) }
    case 'uint16':
      return { read: (r) => r.uint16(), write: (w, v) => w.uint16((v as number) ?? 0) }
    case 'int32':
      return { read: (r) => r.int32(), write: (w, v) => w.int32((v as number) ?? 0) }
    case 'uint32':
      return { read: (r) => r.uint32(), write: (w, v) => w.uint32((v as number) ?? 0) }
    case 'int64':
      return { read: (r) => r.int64(), write: (w, v) => w.int64((v as bigint) ?? 0n) }
    case 'float64':
      return { read: (r) => r.float64(), write: (w, v) => w.float64((v as number) ?? 0) }
    case 'uuid':
      return { read: (r) => r.uuid(), write: (w, v) => w.uuid((v as string) ?? ZERO_UUID) }
    case 'string': {
      const fallback = nullable ? null : ''
      // Kafka's parser refuses a null where the schema forbids one; so do we, so a handler
      // never meets a null it was promised would not come.
      const checked =
        (read: (r: Reader) => string | null) =>
        (r: Reader): string | null => {
          const v = read(r)
          if (v === null && !nullable) {
            throw new ProtocolError(
              'RUNNEL_PROTOCOL_MALFORMED',
              `non-nullable field ${f.name} was serialized as null`,
            )
          }
          return v
        }
      return flexible
        ? {
            read: checked((r) => r.compactNullableString()),
            write: (w, v) => w.compactNullableString((v as string | null | undefined) ?? fallback),
          }
        : {
            read: checked((r) => r.nullableString()),
            write: (w, v) => w.nullableString((v as string | null | undefined) ?? fallback),
          }
    }
    case 'bytes': {
      const fallback = nullable ? null : EMPTY
      const checked =
        (read: (r: Reader) => Buffer | null) =>
        (r: Reader): Buffer | null => {
          const v = read(r)
          if (v === null && !nullable) {
            throw new ProtocolError(
              'RUNNEL_PROTOCOL_MALFORMED',
              `non-nullable field ${f.name} was serialized as null`,
            )
          }
          return v
        }
      return flexible
        ? {
            read: checked((r) => r.compactNullableBytes()),
            write: (w, v) => w.compactNullableBytes((v as Buffer | null | undefined) ?? fallback),
          }
        : {
            read: checked((r) => r.nullableBytes()),
            write: (w, v) => w.nullableBytes((v as Buffer | null | undefined) ?? fallback),
          }
    }
    case 'records':
      return {
        read: flexible ? (r) => r.compactNullableBytes() : (r) => r.nullableBytes(),
        write: (w, v) => writeRecords(w, (v as Records | undefined) ?? null, flexible),
      }
    default:
      throw new Error(`no codec for type ${f.type}`)
  }
}

function writeRecords(w: Writer, records: Records, flexible: boolean): void {
  if (records === null) {
    if (flexible) w.uvarint(0)
    else w.int32(-1)
    return
  }
  const n = recordsLength(records)
  if (flexible) w.uvarint(n + 1)
  else w.int32(n)
  if (Buffer.isBuffer(records)) w.raw(records)
  else for (const b of records as readonly Buffer[]) w.raw(b)
}

function elementCodec(f: FieldDescriptor, version: number, flexible: boolean): ValueCodec {
  if (f.type !== 'struct') return primitiveCodec(f, version, flexible)
  const struct = compileStruct(f.fields ?? [], version, flexible)
  return { read: struct.decode, write: struct.encode as ValueCodec['write'] }
}

function fieldCodec(f: FieldDescriptor, version: number, flexible: boolean): ValueCodec {
  const element = elementCodec(f, version, flexible)
  if (!f.array) {
    if (f.type === 'struct' && inRange(f.nullable, version)) {
      // A nullable struct is preceded by an int8: -1 null, 1 present.
      return {
        read: (r) => (r.int8() < 0 ? null : element.read(r)),
        write: (w, v) => {
          if (v == null) w.int8(-1)
          else element.write(w.int8(1), v)
        },
      }
    }
    return element
  }
  const nullable = inRange(f.nullable, version)
  const { read, write } = element
  return {
    read: (r) => {
      const n = r.arrayLength(flexible)
      if (n < 0) {
        if (!nullable)
          throw new ProtocolError('RUNNEL_PROTOCOL_MALFORMED', `${f.name} is null but not nullable`)
        return null
      }
      const out = new Array<Value>(n)
      for (let i = 0; i < n; i++) out[i] = read(r)
      return out
    },
    write: (w, v) => {
      const items = v as Value[] | null | undefined
      if (items == null) {
        const empty = nullable ? -1 : 0
        if (flexible) w.uvarint(empty + 1)
        else w.int32(empty)
        return
      }
      if (flexible) w.uvarint(items.length + 1)
      else w.int32(items.length)
      for (let i = 0; i < items.length; i++) write(w, items[i])
    },
  }
}

// ---- structures ------------------------------------------------------------------------

interface CompiledField {
  name: string
  codec: ValueCodec
}
interface CompiledTagged extends CompiledField {
  tag: number
  descriptor: FieldDescriptor
}

function compileStruct(fields: readonly FieldDescriptor[], version: number, flexible: boolean): MessageCodec {
  const sequential: CompiledField[] = []
  const tagged: CompiledTagged[] = []
  const absent: { name: string; value: () => Value }[] = []
  for (const f of fields) {
    if (!inRange(f.versions, version)) {
      absent.push({ name: f.name, value: () => defaultOf(f, version) })
      continue
    }
    const codec = fieldCodec(f, version, flexible)
    if (flexible && f.tag !== undefined && inRange(f.taggedVersions, version)) {
      tagged.push({ name: f.name, codec, tag: f.tag, descriptor: f })
    } else {
      sequential.push({ name: f.name, codec })
    }
  }
  tagged.sort((a, b) => a.tag - b.tag)
  const taggedByTag = new Map(tagged.map((t) => [t.tag, t]))

  const decode: Decode = (r) => {
    const o: Obj = {}
    for (let i = 0; i < sequential.length; i++) o[sequential[i].name] = sequential[i].codec.read(r)
    for (let i = 0; i < absent.length; i++) o[absent[i].name] = absent[i].value()
    if (flexible) {
      for (const t of tagged) o[t.name] = defaultOf(t.descriptor, version)
      const count = r.uvarint()
      for (let i = 0; i < count; i++) {
        const tag = r.uvarint()
        const size = r.uvarint()
        const bytes = r.raw(size)
        const known = taggedByTag.get(tag)
        if (known) o[known.name] = known.codec.read(new Reader(bytes))
      }
    }
    return o
  }

  const encode: Encode = (w, o) => {
    for (let i = 0; i < sequential.length; i++) sequential[i].codec.write(w, o[sequential[i].name])
    if (!flexible) return
    if (tagged.length === 0) {
      w.uvarint(0)
      return
    }
    const present = tagged.filter((t) => !isDefault(t.descriptor, o[t.name], version))
    w.uvarint(present.length)
    for (const t of present) {
      const inner = new Writer(256)
      t.codec.write(inner, o[t.name])
      w.uvarint(t.tag).uvarint(inner.length)
      for (const chunk of inner.chunksOut()) w.raw(chunk)
    }
  }
  return { decode, encode }
}

const cache = new Map<number, MessageCodec>()

/**
 * The codec of one API's request or response at one version. Throws ProtocolError for an
 * unknown API key or a version outside the descriptor's valid range.
 */
export function messageCodec(apiKey: number, version: number, kind: 'request' | 'response'): MessageCodec {
  const key = (apiKey << 17) | (version << 1) | (kind === 'request' ? 0 : 1)
  const cached = cache.get(key)
  if (cached) return cached
  const api = descriptorsByKey.get(apiKey)
  if (!api) throw new ProtocolError('RUNNEL_PROTOCOL_UNKNOWN_API', `unknown API key ${apiKey}`)
  const message: MessageDescriptor = api[kind]
  if (!inRange(message.validVersions, version)) {
    throw new ProtocolError(
      'RUNNEL_PROTOCOL_UNSUPPORTED_VERSION',
      `${api.name} ${kind} v${version} is outside ${message.validVersions[0]}-${message.validVersions[1]}`,
    )
  }
  const codec = compileStruct(message.fields, version, inRange(message.flexibleVersions, version))
  cache.set(key, codec)
  return codec
}

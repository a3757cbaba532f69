// Protobuf: .proto text parsed with protobufjs. A file's imports are resolved from its references
// (a reference's name is the import path) or, for google/protobuf/*.proto, from the well-known
// types protobufjs carries. The message indexes of Confluent's wire format count the messages
// declared in this file only, in declaration order, nested ones inside their parent.

import protobuf from 'protobufjs'
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
import { checkProtobufCompatibility } from './protobuf-compatibility.ts'
import { normalizeProtobuf } from './protobuf-normalize.ts'

/** A message declared in the file: its full name (no leading dot) and its message indexes. */
export interface DeclaredMessage {
  fullName: string
  /** The name inside its package, e.g. `Outer.Inner`. */
  localName: string
  indexes: number[]
}

export interface ParsedProtobufSchema extends ParsedSchema {
  readonly schemaType: 'PROTOBUF'
  readonly package: string
  readonly syntax: 'proto2' | 'proto3'
  /** All types of the file and of its imports, resolved. */
  readonly root: protobuf.Root
  /** Messages declared in this file, in the order Confluent numbers them. */
  readonly messages: readonly DeclaredMessage[]
  /** Enums declared in this file, by local name. */
  readonly enums: readonly string[]
  /** Package of every type known to `root`, by full name: to tell local names from qualified ones. */
  readonly packageOf: ReadonlyMap<string, string>
}

const PARSE_OPTIONS = { keepCase: true }

function syntaxOf(text: string): 'proto2' | 'proto3' {
  const match = /^\s*syntax\s*=\s*["'](proto[23])["']\s*;/m.exec(text)
  return match?.[1] === 'proto3' ? 'proto3' : 'proto2'
}

function parseFile(text: string, root: protobuf.Root, what: string): protobuf.IParserResult {
  try {
    return protobuf.parse(text, root, PARSE_OPTIONS)
  } catch (error) {
    throw errors.invalidSchema(`${what} is not valid Protobuf: ${errorMessage(error)}`, error)
  }
}

function isType(object: protobuf.ReflectionObject): object is protobuf.Type {
  return object instanceof protobuf.Type
}

function fullNameOf(object: protobuf.ReflectionObject): string {
  return object.fullName.replace(/^\./, '')
}

/** Walks the types one parsed file declares, recording their packages. */
function recordPackages(root: protobuf.Root, pkg: string, into: Map<string, string>): void {
  const start = pkg === '' ? root : root.lookup(pkg)
  if (!(start instanceof protobuf.Namespace)) return
  const walk = (namespace: protobuf.Namespace) => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum)
        into.set(fullNameOf(nested), pkg)
      if (nested instanceof protobuf.Type) walk(nested)
    }
  }
  walk(start)
}

function declaredMessages(
  root: protobuf.Root,
  pkg: string,
): { messages: DeclaredMessage[]; enums: string[] } {
  const messages: DeclaredMessage[] = []
  const enums: string[] = []
  const start = pkg === '' ? root : root.lookup(pkg)
  if (!(start instanceof protobuf.Namespace)) return { messages, enums }
  const walk = (namespace: protobuf.Namespace, prefix: number[], localPrefix: string) => {
    let index = 0
    for (const nested of namespace.nestedArray) {
      const localName = localPrefix === '' ? nested.name : `${localPrefix}.${nested.name}`
      if (isType(nested)) {
        const indexes = [...prefix, index++]
        messages.push({ fullName: fullNameOf(nested), localName, indexes })
        walk(nested, indexes, localName)
      } else if (nested instanceof protobuf.Enum) enums.push(localName)
    }
  }
  // `root` holds this file alone, so the package's namespace holds exactly its types.
  walk(start, [], '')
  return { messages, enums }
}

export function parseProtobuf(text: string, references: readonly ResolvedReference[]): ParsedProtobufSchema {
  const own = parseFile(text, new protobuf.Root(), 'the Protobuf schema')
  const pkg = own.package ?? ''
  const root = new protobuf.Root()
  parseFile(text, root, 'the Protobuf schema')
  const packageOf = new Map<string, string>()
  recordPackages(own.root, pkg, packageOf)

  const available = new Set<string>()
  const imports = [...(own.imports ?? []), ...(own.weakImports ?? [])]
  for (const reference of flattenReferences(references)) {
    const what = `referenced schema '${reference.name}' (subject '${reference.subject}' version ${reference.version})`
    const alone = parseFile(reference.schema, new protobuf.Root(), what)
    recordPackages(alone.root, alone.package ?? '', packageOf)
    parseFile(reference.schema, root, what)
    available.add(reference.name)
    imports.push(...(alone.imports ?? []), ...(alone.weakImports ?? []))
  }
  const wellKnownAdded = new Set<string>()
  for (const path of imports) {
    if (available.has(path) || wellKnownAdded.has(path)) continue
    const wellKnown = protobuf.common.get(path) as {
      nested?: Record<string, protobuf.AnyNestedObject>
    } | null
    if (wellKnown?.nested === undefined) {
      throw errors.invalidSchema(
        `import "${path}" cannot be resolved: register it as a reference named "${path}" ` +
          '(only google/protobuf/*.proto well-known types need none)',
      )
    }
    root.addJSON(wellKnown.nested)
    wellKnownAdded.add(path)
    const alone = protobuf.Root.fromJSON({ nested: wellKnown.nested })
    recordPackages(alone, 'google.protobuf', packageOf)
  }
  try {
    root.resolveAll()
  } catch (error) {
    throw errors.invalidSchema(`the Protobuf schema does not resolve: ${errorMessage(error)}`, error)
  }
  const { messages, enums } = declaredMessages(own.root, pkg)
  const syntax = syntaxOf(text)
  // Two texts that differ only in comments or layout describe the same schema and share an id.
  const fingerprint = JSON.stringify({
    syntax,
    package: pkg,
    imports: own.imports ?? [],
    root: own.root.toJSON(),
  })
  return {
    schemaType: 'PROTOBUF',
    canonical: text,
    fingerprint,
    package: pkg,
    syntax,
    root,
    messages,
    enums,
    packageOf,
  }
}

export const protobufFormat: SchemaFormat<ParsedProtobufSchema> = {
  schemaType: 'PROTOBUF',
  parse: parseProtobuf,
  normalize: normalizeProtobuf,
  checkCompatibility(reader: ParsedProtobufSchema, writer: ParsedProtobufSchema, roles: CompatibilityRoles) {
    return checkProtobufCompatibility(writer, reader, roles)
  },
  formatIncompatibility(incompatibility: Incompatibility): string {
    return `{errorType:"${incompatibility.errorType}", description:"${incompatibility.description}"}`
  },
}

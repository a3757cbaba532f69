// Parsed schemas by id, and ids by meaning: what decides that a registration reuses an id.
// Both only grow, since the schema behind an id never changes; ids that are hard-deleted and
// come back are parsed again.

import { errors } from '../errors.ts'
import type { ParsedSchema } from '../formats/format.ts'
import { formatFor } from '../formats/formats.ts'
import type { ResolvedReference, SchemaReference, SchemaType, StoredSchema } from '../schema-types.ts'
import type { RegistryState } from '../store/state.ts'

/** Identity of a schema: its type, its fingerprint and its references, in order. */
export function identityOf(
  schemaType: SchemaType,
  parsed: ParsedSchema,
  references: readonly SchemaReference[],
): string {
  const refs = references.map((reference) => [reference.name, reference.subject, reference.version])
  return JSON.stringify([schemaType, parsed.fingerprint, refs])
}

/**
 * References as a normalized schema keeps them: sorted by subject then version (a stable sort,
 * as Java's), the same reference once.
 */
export function normalizedReferences(references: readonly SchemaReference[]): SchemaReference[] {
  const seen = new Set<string>()
  return [...references]
    .sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.version - b.version))
    .filter((reference) => {
      const key = JSON.stringify([reference.name, reference.subject, reference.version])
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
}

export class SchemaIndex {
  readonly #state: RegistryState
  // Owned by the registry service; filled lazily as schemas are read.
  readonly #parsed = new Map<number, { schema: string; parsed: ParsedSchema; identity: string }>()
  readonly #idByIdentity = new Map<string, number>()
  readonly #unparsable = new Set<number>()

  constructor(state: RegistryState) {
    this.#state = state
  }

  /**
   * Resolves references against the state, recursively. A reference must name an existing
   * version; a cycle of references is refused.
   */
  resolveReferences(
    references: readonly SchemaReference[],
    path: readonly string[] = [],
  ): ResolvedReference[] {
    return references.map((reference) => {
      const key = `${reference.subject}/${reference.version}`
      if (path.includes(key)) {
        throw errors.invalidSchema(`references form a cycle: ${[...path, key].join(' -> ')}`)
      }
      const target = this.#state.version(reference.subject, reference.version)
      if (target === undefined) {
        throw errors.invalidSchema(
          `reference '${reference.name}' names subject '${reference.subject}' version ${reference.version}, which does not exist`,
        )
      }
      return {
        ...reference,
        schemaType: target.schemaType,
        schema: target.schema,
        references: this.resolveReferences(target.references, [...path, key]),
      }
    })
  }

  /** Parses a schema a client sent; throws INVALID_SCHEMA. */
  parse(schemaType: SchemaType, schema: string, references: readonly SchemaReference[]): ParsedSchema {
    return formatFor(schemaType).parse(schema, this.resolveReferences(references))
  }

  /** The parsed form of a stored schema (cached). */
  parsedById(id: number): ParsedSchema {
    return this.#entry(id).parsed
  }

  /** The id already given to a schema of this identity, if any. */
  idFor(identity: string): number | undefined {
    const mapped = this.#idByIdentity.get(identity)
    if (mapped !== undefined && this.#state.schemaById(mapped) !== undefined) return mapped
    for (const id of this.#state.ids()) {
      if (this.identityById(id) === identity) {
        this.#idByIdentity.set(identity, id)
        return id
      }
    }
    return undefined
  }

  identityById(id: number): string | undefined {
    if (this.#unparsable.has(id)) return undefined
    try {
      return this.#entry(id).identity
    } catch {
      // A stored schema this registry cannot parse (written by another one) matches nothing.
      this.#unparsable.add(id)
      return undefined
    }
  }

  #entry(id: number): { schema: string; parsed: ParsedSchema; identity: string } {
    const stored: StoredSchema | undefined = this.#state.schemaById(id)
    if (stored === undefined) throw errors.schemaNotFound(id)
    const cached = this.#parsed.get(id)
    if (cached !== undefined && cached.schema === stored.schema) return cached
    const parsed = this.parse(stored.schemaType, stored.schema, stored.references)
    const entry = {
      schema: stored.schema,
      parsed,
      identity: identityOf(stored.schemaType, parsed, stored.references),
    }
    this.#parsed.set(id, entry)
    if (!this.#idByIdentity.has(entry.identity)) this.#idByIdentity.set(entry.identity, id)
    return entry
  }
}

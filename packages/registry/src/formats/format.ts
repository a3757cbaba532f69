// What each schema format (Avro, JSON Schema, Protobuf) provides to the registry: parsing with
// references, the canonical text and identity, the normalized text, and its compatibility rules.

import type { ResolvedReference, SchemaType } from '../schema-types.ts'

/** One reason a schema change breaks compatibility, in Confluent's terms. */
export interface Incompatibility {
  /** The rule that was broken, e.g. READER_FIELD_MISSING_DEFAULT_VALUE. */
  errorType: string
  /** A sentence naming the field (or property, or message) and the rule. */
  description: string
  /** Where in the schema, e.g. `/fields/1` (Avro) or `#/properties/email` (JSON Schema). */
  path: string
  additionalInfo?: string
}

export interface ParsedSchema {
  readonly schemaType: SchemaType
  /** The text stored and returned for this schema. */
  readonly canonical: string
  /** Equal for schemas that mean the same thing; decides whether an id is reused. */
  readonly fingerprint: string
}

/**
 * Names of the two schemas being compared, used in descriptions. A BACKWARD check reads data
 * written with the old schema using the new one (reader 'new', writer 'old'); FORWARD swaps them.
 */
export interface CompatibilityRoles {
  reader: string
  writer: string
}

export interface SchemaFormat<P extends ParsedSchema = ParsedSchema> {
  readonly schemaType: SchemaType
  /** Parses `text` with its references resolved; throws RegistryError INVALID_SCHEMA with the reason. */
  parse(text: string, references: readonly ResolvedReference[]): P
  /**
   * The text Confluent's registry keeps for this schema when it is registered with
   * `normalize=true`: equivalent schemas written differently give the same text.
   */
  normalize(parsed: P): string
  /** Reasons a consumer holding `reader` cannot read data written with `writer`; empty when it can. */
  checkCompatibility(reader: P, writer: P, roles: CompatibilityRoles): Incompatibility[]
  /** One reason in the wording Confluent's registry uses for this format. */
  formatIncompatibility(incompatibility: Incompatibility): string
}

/** References in the order they must be loaded: dependencies first, each subject-version once. */
export function flattenReferences(references: readonly ResolvedReference[]): ResolvedReference[] {
  const seen = new Set<string>()
  const out: ResolvedReference[] = []
  const visit = (reference: ResolvedReference): void => {
    const key = `${reference.subject}\u0000${reference.version}`
    if (seen.has(key)) return
    seen.add(key)
    for (const nested of reference.references) visit(nested)
    out.push(reference)
  }
  for (const reference of references) visit(reference)
  return out
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

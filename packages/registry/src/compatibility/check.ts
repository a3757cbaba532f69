// Checks a candidate schema against a subject's earlier versions under a compatibility level and
// reports the reasons in Confluent's message form: the reasons for each incompatible version,
// followed by `{oldSchemaVersion: n}` and `{oldSchema: '...'}`, and the level at the end.

import type { Incompatibility, ParsedSchema } from '../formats/format.ts'
import { formatFor } from '../formats/formats.ts'
import { type CompatibilityLevel, levelRules } from './levels.ts'

export interface EarlierVersion {
  version: number
  /** The stored text, quoted back in the messages. */
  schema: string
  parsed: ParsedSchema
}

export interface VersionIncompatibility {
  version: number
  reasons: Incompatibility[]
}

export interface CompatibilityResult {
  compatible: boolean
  /** Confluent's `messages`: empty when compatible. */
  messages: string[]
  /** The same reasons, structured, for programs (the CLI's `check`). */
  incompatibilities: VersionIncompatibility[]
}

function schemaTypeChanged(candidate: ParsedSchema, earlier: EarlierVersion): Incompatibility {
  return {
    errorType: 'SCHEMA_TYPE_CHANGED',
    description: `The new schema is ${candidate.schemaType} but version ${earlier.version} is ${earlier.parsed.schemaType}`,
    path: '/',
  }
}

/** `earlier` holds the subject's live versions in ascending order. */
export function checkCompatibility(
  candidate: ParsedSchema,
  earlier: readonly EarlierVersion[],
  level: CompatibilityLevel,
): CompatibilityResult {
  if (level === 'NONE' || earlier.length === 0)
    return { compatible: true, messages: [], incompatibilities: [] }
  const rules = levelRules(level)
  const targets = rules.transitive ? [...earlier].reverse() : [earlier[earlier.length - 1]]
  const format = formatFor(candidate.schemaType)
  const messages: string[] = []
  const incompatibilities: VersionIncompatibility[] = []
  for (const target of targets) {
    const reasons: Incompatibility[] = []
    if (target.parsed.schemaType !== candidate.schemaType) reasons.push(schemaTypeChanged(candidate, target))
    else {
      if (rules.backward) {
        reasons.push(...format.checkCompatibility(candidate, target.parsed, { reader: 'new', writer: 'old' }))
      }
      if (rules.forward) {
        reasons.push(...format.checkCompatibility(target.parsed, candidate, { reader: 'old', writer: 'new' }))
      }
    }
    if (reasons.length === 0) continue
    incompatibilities.push({ version: target.version, reasons })
    messages.push(
      ...reasons.map((reason) => format.formatIncompatibility(reason)),
      `{oldSchemaVersion: ${target.version}}`,
      `{oldSchema: '${target.schema}'}`,
    )
  }
  if (messages.length > 0) messages.push(`{compatibility: '${level}'}`)
  return { compatible: messages.length === 0, messages, incompatibilities }
}

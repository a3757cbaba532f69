// Reads back the `messages` of a verbose compatibility check, as Confluent's registry (and ours)
// writes them: each incompatible version's reasons, then `{oldSchemaVersion: n}` and
// `{oldSchema: '...'}`, and the level last. A reason is
//   {errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' ...', additionalInfo:'email'}
// (Avro, single quotes, unescaped) or {errorType:"PROPERTY_ADDED_...", description:"..."} (JSON
// Schema, Protobuf). Quotes inside are not escaped, so the parts are found from the ends, not
// by a tokenizer. A message in any other shape is kept whole as the description.

export interface CompatibilityReason {
  /** The subject version the candidate was checked against, when the messages say. */
  version?: number
  /** The rule broken (`errorType`), or null for a message in an unknown shape. */
  rule: string | null
  /** The sentence naming the field and the rule. */
  description: string
  /** Avro's `additionalInfo`: the field or type concerned. */
  field?: string
}

export interface ParsedCompatibility {
  reasons: CompatibilityReason[]
  /** The level the registry checked under, from `{compatibility: 'BACKWARD'}`. */
  level?: string
}

const REASON = /^\{errorType:(['"])([A-Za-z0-9_]+)\1, description:(['"])([\s\S]*)\3\}$/
const ADDITIONAL_INFO = /, additionalInfo:(['"])([\s\S]*?)\1\}$/
const OLD_VERSION = /^\{oldSchemaVersion: ?(\d+)\}$/
const OLD_SCHEMA = /^\{oldSchema: ?/
const LEVEL = /^\{compatibility: ?['"]?([A-Z_]+)['"]?\}$/

function parseReason(message: string): CompatibilityReason {
  let text = message
  let field: string | undefined
  const info = ADDITIONAL_INFO.exec(text)
  if (info) {
    field = info[2]
    text = `${text.slice(0, info.index)}}`
  }
  const m = REASON.exec(text)
  if (!m) return { rule: null, description: message }
  return field === undefined ? { rule: m[2], description: m[4] } : { rule: m[2], description: m[4], field }
}

export function parseCompatibilityMessages(messages: readonly string[]): ParsedCompatibility {
  const reasons: CompatibilityReason[] = []
  let level: string | undefined
  // Reasons come before the version they belong to: held until its marker arrives.
  let pending: CompatibilityReason[] = []
  for (const message of messages) {
    const version = OLD_VERSION.exec(message)
    if (version) {
      for (const reason of pending) reasons.push({ version: Number(version[1]), ...reason })
      pending = []
      continue
    }
    if (OLD_SCHEMA.test(message)) continue
    const levelMatch = LEVEL.exec(message)
    if (levelMatch) {
      level = levelMatch[1]
      continue
    }
    pending.push(parseReason(message))
  }
  reasons.push(...pending)
  return level === undefined ? { reasons } : { reasons, level }
}

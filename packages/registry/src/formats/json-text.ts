// Compact JSON text with a chosen key order. JSON.stringify cannot give one: it writes keys that
// look like array indexes ("1", "10") first, in numeric order, whatever order they were set in.
// Normalized schemas need keys in the order Confluent's Jackson writes them: a Map is written in
// its own order, a plain object with its keys sorted as Java sorts strings (by UTF-16 code unit,
// which is what the default Array.prototype.sort does too).

/** An object whose keys are written in insertion order. */
export type OrderedObject = Map<string, unknown>

export function writeJson(value: unknown): string {
  if (value instanceof Map) {
    const members: string[] = []
    for (const [key, member] of value) {
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${writeJson(member)}`)
    }
    return `{${members.join(',')}}`
  }
  if (Array.isArray(value))
    return `[${value.map((item) => (item === undefined ? 'null' : writeJson(item))).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>
    return writeJson(
      new Map(
        Object.keys(object)
          .sort()
          .map((key) => [key, object[key]]),
      ),
    )
  }
  return JSON.stringify(value) ?? 'null'
}

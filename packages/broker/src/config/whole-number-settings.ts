// Whole-number broker settings read under Kafka's names, for the coordinators' own configs
// (group/coordinator-config.ts, txn/txn-config.ts): a setting left out takes its default.

/**
 * A reader of `brokerConfigs` with these defaults: `read(name, min)` is the setting, or its
 * default when not given. Throws RangeError for a setting that is not a whole number >= min
 * (a startup mistake).
 */
export function wholeNumberSettings(
  brokerConfigs: Readonly<Record<string, string>>,
  defaults: Readonly<Record<string, number>>,
): (name: string, min: number) => number {
  return (name, min) => {
    const raw = brokerConfigs[name]
    if (raw === undefined) return defaults[name]
    const n = Number(raw.trim())
    if (!Number.isSafeInteger(n) || n < min)
      throw new RangeError(`${name} must be a whole number >= ${min}, got "${raw}"`)
    return n
  }
}

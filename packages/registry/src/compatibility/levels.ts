// Compatibility levels and modes, as Confluent names them.

export const CompatibilityLevels = {
  NONE: 'NONE',
  BACKWARD: 'BACKWARD',
  BACKWARD_TRANSITIVE: 'BACKWARD_TRANSITIVE',
  FORWARD: 'FORWARD',
  FORWARD_TRANSITIVE: 'FORWARD_TRANSITIVE',
  FULL: 'FULL',
  FULL_TRANSITIVE: 'FULL_TRANSITIVE',
} as const

export type CompatibilityLevel = (typeof CompatibilityLevels)[keyof typeof CompatibilityLevels]

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD'

/** Reads a level the way Confluent does: case-insensitively. */
export function parseCompatibilityLevel(value: unknown): CompatibilityLevel | undefined {
  if (typeof value !== 'string') return undefined
  const upper = value.toUpperCase()
  return upper in CompatibilityLevels ? (upper as CompatibilityLevel) : undefined
}

/** Which directions a level checks, and whether against every earlier version or the latest. */
export function levelRules(level: CompatibilityLevel): {
  backward: boolean
  forward: boolean
  transitive: boolean
} {
  return {
    backward: level.startsWith('BACKWARD') || level.startsWith('FULL'),
    forward: level.startsWith('FORWARD') || level.startsWith('FULL'),
    transitive: level.endsWith('_TRANSITIVE'),
  }
}

export const Modes = {
  READWRITE: 'READWRITE',
  READONLY: 'READONLY',
  IMPORT: 'IMPORT',
} as const

export type Mode = (typeof Modes)[keyof typeof Modes]

export const DEFAULT_MODE: Mode = 'READWRITE'

export function parseMode(value: unknown): Mode | undefined {
  if (typeof value !== 'string') return undefined
  const upper = value.toUpperCase()
  return upper in Modes ? (upper as Mode) : undefined
}

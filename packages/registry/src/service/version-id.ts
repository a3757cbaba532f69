// Version ids in paths: 1..2^31-1, or "latest" (also spelled -1), as Confluent accepts them.

import { errors } from '../errors.ts'

export type VersionId = number | 'latest'

const MAX_VERSION = 2 ** 31 - 1

export function parseVersionId(raw: string): VersionId {
  if (raw === 'latest' || raw === '-1') return 'latest'
  if (/^[0-9]+$/.test(raw)) {
    const version = Number(raw)
    if (version >= 1 && version <= MAX_VERSION) return version
  }
  throw errors.invalidVersion(raw)
}

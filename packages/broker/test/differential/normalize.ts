// What the differential check compares: an answer with the fields that must differ between two
// brokers removed (who they are, where they listen, ids they mint, clocks, free-text messages),
// then flattened to path -> value so a difference names the field.

/** Fields that name the broker, its cluster, or something it minted: never compared. */
const IGNORED = new Set([
  'throttleTimeMs',
  'clusterId',
  'controllerId',
  'nodeId',
  'host',
  'port',
  'rack',
  'topicId',
  'leaderId',
  'leaderEpoch',
  'currentLeaderEpoch',
  'partitionLeaderEpoch',
  'replicaNodes',
  'isrNodes',
  'memberId',
  'leader',
  'producerId',
  'ongoingTxnProducerId',
  'clientHost',
  'sessionId',
  'nodeEndpoints',
  'brokers',
  'coordinators',
  // Free text: Kafka and Runnel word their errors differently; the error code is compared.
  'errorMessage',
  'detailedErrorMessage',
  'documentation',
])

/** path -> value for every leaf that is compared. Arrays of objects with a name sort by it. */
export function flatten(value: unknown, path = '', out = new Map<string, string>()): Map<string, string> {
  if (value === null || value === undefined || typeof value !== 'object' || Buffer.isBuffer(value)) {
    out.set(
      path,
      Buffer.isBuffer(value)
        ? `bytes:${value.toString('hex')}`
        : typeof value === 'bigint'
          ? `${value}n`
          : (JSON.stringify(value) ?? 'undefined'),
    )
    return out
  }
  if (Array.isArray(value)) {
    out.set(`${path}.length`, String(value.length))
    value.forEach((item, i) => {
      flatten(item, `${path}[${labelOf(item) ?? i}]`, out)
    })
    return out
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (IGNORED.has(key)) continue
    flatten(v, path ? `${path}.${key}` : key, out)
  }
  return out
}

/** An element's name, when it has one: array paths then do not depend on order. */
function labelOf(item: unknown): string | undefined {
  if (!item || typeof item !== 'object') return undefined
  const o = item as Record<string, unknown>
  for (const key of [
    'name',
    'topic',
    'groupId',
    'resourceName',
    'partitionIndex',
    'partition',
    'index',
    'apiKey',
  ]) {
    if (typeof o[key] === 'string' || typeof o[key] === 'number') return `${key}=${o[key]}`
  }
  return undefined
}

export interface Difference {
  step: string
  path: string
  runnel: string | undefined
  kafka: string | undefined
}

export function compare(step: string, runnel: unknown, kafka: unknown): Difference[] {
  const a = flatten(runnel)
  const b = flatten(kafka)
  const out: Difference[] = []
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(path) !== b.get(path)) out.push({ step, path, runnel: a.get(path), kafka: b.get(path) })
  }
  return out.sort((x, y) => x.path.localeCompare(y.path))
}

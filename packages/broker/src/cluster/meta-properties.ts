// <dataDir>/meta.properties, as Kafka keeps it: the cluster id made on the first start and
// the node id the data belongs to. A data directory written by another node id is refused,
// as Kafka refuses it, rather than served under the wrong identity.
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { RunnelError } from '@runnel/errors'

const FILE = 'meta.properties'

/** Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding (22 characters). */
export const newClusterId = (): string => randomBytes(16).toString('base64url')

function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const eq = trimmed.indexOf('=')
    if (eq > 0) out.set(trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim())
  }
  return out
}

/** Reads the data directory's identity, writing it on the first start. */
export function loadOrCreateMetaProperties(
  dataDir: string,
  nodeId: number,
): { clusterId: string; created: boolean } {
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, FILE)
  let text: string | undefined
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (text !== undefined) {
    const props = parseProperties(text)
    const clusterId = props.get('cluster.id')
    const storedNode = props.get('node.id')
    if (!clusterId) {
      throw new RunnelError('RUNNEL_BROKER_BAD_META', `${path} has no cluster.id; fix or remove the file`)
    }
    if (storedNode !== undefined && Number(storedNode) !== nodeId) {
      throw new RunnelError(
        'RUNNEL_BROKER_NODE_ID_MISMATCH',
        `${dataDir} belongs to node.id ${storedNode}, but this broker was started with node id ${nodeId}`,
      )
    }
    return { clusterId, created: false }
  }
  const clusterId = newClusterId()
  const body = `#Written by runnel\nversion=1\ncluster.id=${clusterId}\nnode.id=${nodeId}\n`
  const tmp = `${path}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    writeSync(fd, body)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  return { clusterId, created: true }
}

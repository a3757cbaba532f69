// Runnel's broker for the registry tests that need Kafka: the broker's own test broker
// (`@runnel/broker/testing`), on disk in a temp dir. The same suites run on Apache Kafka 4.4 too
// (acceptance/apache-kafka.test.ts).

import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestBroker as startRunnelTestBroker } from '@runnel/broker/testing'

/** Runnel's broker for a registry test, on disk so that it can be restarted under the registry. */
export interface TestBroker {
  readonly bootstrap: string
  readonly dataDir: string
  /** Stops the broker and starts it again on the same data directory (a new port). */
  restart(): Promise<void>
  /** Stops the broker and removes its data. */
  close(): Promise<void>
}

export async function startTestBroker(): Promise<TestBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-registry-test-'))
  // No initial rebalance delay: the election's first join is immediate, as in Kafka test setups.
  const start = () =>
    startRunnelTestBroker({
      dataDir,
      autoCreateTopics: true,
      logLevel: 'warn',
      brokerConfigs: { 'group.initial.rebalance.delay.ms': '0' },
    })
  let running = await start()
  return {
    get bootstrap() {
      return running.bootstrap
    },
    dataDir,
    async restart() {
      await running.close()
      running = await start()
    },
    async close() {
      await running.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** The API keys a Kafka server supports, from an ApiVersions v0 request over a plain socket. */
export function apiKeysOf(bootstrap: string, timeoutMs = 5_000): Promise<Set<number>> {
  const [host, port] = bootstrap.split(',')[0].split(':')
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('ApiVersions timed out'))
    }, timeoutMs)
    const clientId = Buffer.from('probe')
    const header = Buffer.alloc(10)
    header.writeInt16BE(18, 0) // ApiVersions
    header.writeInt16BE(0, 2) // v0
    header.writeInt32BE(1, 4) // correlation id
    header.writeInt16BE(clientId.length, 8)
    const request = Buffer.concat([header, clientId])
    const size = Buffer.alloc(4)
    size.writeInt32BE(request.length)
    socket.write(Buffer.concat([size, request]))
    let received = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return
      clearTimeout(timer)
      socket.end()
      const count = received.readInt32BE(10)
      const keys = new Set<number>()
      for (let i = 0; i < count; i++) keys.add(received.readInt16BE(14 + i * 6))
      resolve(keys)
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

/** Whether the broker can run a consumer group (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, DescribeGroups). */
export async function supportsGroups(bootstrap: string): Promise<boolean> {
  const keys = await apiKeysOf(bootstrap)
  return [10, 11, 12, 13, 14, 15].every((key) => keys.has(key))
}

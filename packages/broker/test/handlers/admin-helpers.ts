// Shared by the admin handler tests: a real broker in this process, the three third-party admin
// clients pointed at it, and a raw one-request connection for versions no client sends.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { join } from 'node:path'
import { Admin } from '@platformatic/kafka'
import {
  type AnyApiKey,
  decodeResponse,
  encodeRequest,
  type RequestMap,
  type ResponseMap,
} from '@runnel/protocol'
import { Kafka, type Admin as KafkaJsAdmin, logLevel } from 'kafkajs'
import { brokerInternals } from '../../src/broker.ts'
import { startTestBroker, type TestBroker } from '../helpers/broker.ts'

export type AdminTestBroker = TestBroker

/** A broker on 127.0.0.1 with its data in a fresh temp dir, removed by dispose(). */
export function startAdminBroker(
  options: Parameters<typeof startTestBroker>[0] = {},
): Promise<AdminTestBroker> {
  return startTestBroker(options)
}

export async function kafkajsAdmin(bootstrap: string): Promise<KafkaJsAdmin> {
  const kafka = new Kafka({
    clientId: 'runnel-admin-test',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  })
  const admin = kafka.admin()
  await admin.connect()
  return admin
}

export function platformaticAdmin(bootstrap: string): Admin {
  return new Admin({ clientId: 'runnel-admin-test', bootstrapBrokers: [bootstrap], retries: 0 })
}

/** Runs `use` with a fresh @platformatic/kafka admin, closed afterwards whatever happens. */
export async function withPlatformaticAdmin<T>(
  bootstrap: string,
  use: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = platformaticAdmin(bootstrap)
  try {
    return await use(admin)
  } finally {
    await admin.close()
  }
}

/** What most admin test files start in before(): a broker and a kafkajs admin connected to it. */
export async function startAdminBrokerAndKafkajs(
  options: Parameters<typeof startTestBroker>[0] = {},
): Promise<{ broker: AdminTestBroker; kafkajs: KafkaJsAdmin }> {
  const broker = await startAdminBroker(options)
  try {
    return { broker, kafkajs: await kafkajsAdmin(broker.bootstrap) }
  } catch (err) {
    await broker.dispose()
    throw err
  }
}

/** The after() of startAdminBrokerAndKafkajs; either may be missing when before() failed. */
export async function stopAdminBroker(broker?: AdminTestBroker, kafkajs?: KafkaJsAdmin): Promise<void> {
  await kafkajs?.disconnect()
  await broker?.dispose()
}

/** Creates a topic on the broker itself, no client in between; a refusal fails the test. */
export async function createTopic(
  broker: AdminTestBroker,
  name: string,
  numPartitions: number,
  configs: Record<string, string> = {},
): Promise<void> {
  const outcome = await brokerInternals(broker).topics.create({
    name,
    numPartitions,
    replicationFactor: 1,
    configs,
  })
  assert.ok(outcome.ok, `create ${name}`)
}

/** What a rejected client call carried, whatever the client's error shape. */
export async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise
  } catch (err) {
    return err as Record<string, unknown>
  }
  throw new Error('expected the call to fail, it succeeded')
}

/** A @platformatic/kafka ResponseError's per-item protocol errors: [apiId, serverErrorMessage]. */
export function platformaticErrors(err: Record<string, unknown>): [string, string | null][] {
  // Some admin calls wrap the ResponseError in another MultipleErrors: walk down to the leaves.
  if (typeof err.apiId === 'string') return [[err.apiId, (err.serverErrorMessage as string | null) ?? null]]
  const errors = (err.errors ?? []) as Record<string, unknown>[]
  if (errors.length === 0) return [[`not a protocol error: ${String(err.message)}`, null]]
  return errors.flatMap((e) => platformaticErrors(e))
}

/** Sends one request at an exact version on a fresh connection and decodes the answer. */
export async function rawRequest<K extends AnyApiKey>(
  bootstrap: string,
  apiKey: K,
  version: number,
  body: RequestMap[K],
): Promise<ResponseMap[K]> {
  const [host, port] = bootstrap.split(':')
  const socket = connect({ host, port: Number(port) })
  try {
    const frame = await new Promise<Buffer>((resolve, reject) => {
      let buffered = Buffer.alloc(0)
      const timer = setTimeout(() => reject(new Error(`no answer to API ${apiKey} v${version}`)), 10_000)
      socket.on('error', reject)
      socket.on('close', () =>
        reject(new Error(`connection closed instead of answering API ${apiKey} v${version}`)),
      )
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk])
        if (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
          clearTimeout(timer)
          resolve(buffered.subarray(4, 4 + buffered.readInt32BE(0)))
        }
      })
      socket.write(Buffer.concat(encodeRequest(apiKey, version, 7, 'runnel-raw', body)))
    })
    return decodeResponse(apiKey, version, frame).body
  } finally {
    socket.destroy()
  }
}

export const PYTHON = '/usr/bin/python3'
const ADMIN_CLIENT_PY = join(new URL('.', import.meta.url).pathname, 'admin_client.py')

export interface ConfluentConfigEntry {
  value: string | null
  source: number
  is_default: boolean
  is_read_only: boolean
  synonyms: [string, string | null, number][]
}

/** One item's outcome as admin_client.py prints it. */
export interface ConfluentOutcome {
  ok: boolean
  code?: number | null
  name?: string
  str?: string
  configs?: Record<string, ConfluentConfigEntry>
}

/**
 * Runs admin_client.py (confluent_kafka's AdminClient, i.e. librdkafka) with a list of
 * operations; returns one result object per operation.
 */
export function confluentAdmin(
  bootstrap: string,
  ops: unknown[],
  timeoutMs = 30_000,
): Promise<Record<string, ConfluentOutcome>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [ADMIN_CLIENT_PY, bootstrap], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`admin_client.py timed out\n${stderr}`))
    }, timeoutMs)
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`admin_client.py exited ${code}\n${stderr}`))
      resolve(
        stdout
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l)),
      )
    })
    child.stdin.end(JSON.stringify(ops))
  })
}

/** The protocol error inside whatever kafkajs threw (it wraps them in aggregate or retry errors). */
export function kafkajsError(err: Record<string, unknown>): { type: string; message: string } {
  const errors = err.errors as Record<string, unknown>[] | undefined
  const inner = (errors?.[0] ?? (err.type === undefined ? err.cause : err) ?? err) as {
    type: string
    message: string
  }
  return { type: inner.type, message: inner.message }
}

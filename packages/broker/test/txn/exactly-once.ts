// The exactly-once harness: a consume-transform-produce loop (one of clients/ctp-*) copies an
// input topic to an output topic in transactions, is killed with SIGKILL at random points and
// started again each time, and finally runs to the end; then a read_committed consumer
// (librdkafka) must see every input record exactly once, in order per key.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { buildBatch, ErrorCode } from '@runnel/protocol'
import { sleep } from '../helpers/broker.ts'
import { jsonLines, LineChild, runChecked, tail } from '../helpers/child-process.ts'
import { PYTHON } from '../helpers/python.ts'
import { seededRandom } from '../helpers/records.ts'
import type { WireClient } from '../helpers/wire-client.ts'

export const CLIENTS_DIR = join(new URL('.', import.meta.url).pathname, 'clients')
export const TXN_CLIENT = join(CLIENTS_DIR, 'txn_client.py')
export const INPUT_PARTITIONS = 3
const KEYS = 12

export interface ReadBack {
  p: number
  o: number
  k: string | null
  v: string | null
}

/** Writes `count` records to `topic`: key k<i % 12>, value k<key>:<n-th record of that key>, partition key % 3. */
export async function writeInput(client: WireClient, topic: string, count: number): Promise<void> {
  const byPartition: { key: Buffer; value: Buffer }[][] = Array.from({ length: INPUT_PARTITIONS }, () => [])
  const perKey = new Array<number>(KEYS).fill(0)
  for (let i = 0; i < count; i++) {
    const k = i % KEYS
    byPartition[k % INPUT_PARTITIONS].push({
      key: Buffer.from(`k${k}`),
      value: Buffer.from(`k${k}:${perKey[k]++}`),
    })
  }
  for (let p = 0; p < INPUT_PARTITIONS; p++) {
    for (let i = 0; i < byPartition[p].length; i += 100) {
      const r = await client.request(0, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [
          {
            name: topic,
            partitionData: [{ index: p, records: buildBatch({ records: byPartition[p].slice(i, i + 100) }) }],
          },
        ],
      })
      assert.equal(r.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE)
    }
  }
}

/** Every record of `topic` as librdkafka delivers it with this isolation level. */
export async function readAll(
  bootstrap: string,
  topic: string,
  partitions: number,
  isolation: 'read_committed' | 'read_uncommitted',
): Promise<ReadBack[]> {
  const r = await runChecked(PYTHON, [TXN_CLIENT, 'read', bootstrap, topic, String(partitions), isolation], {
    timeoutMs: 60_000,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  })
  return jsonLines<ReadBack>(r.stdout)
}

/** Every input record exactly once, and per key in the order it was written. */
export function checkExactlyOnce(read: readonly ReadBack[], count: number): void {
  const perKey = new Map<string, number[]>()
  const problems: string[] = []
  for (const r of read) {
    const m = /^(k\d+):(\d+)$/.exec(r.v ?? '')
    if (!m || r.k !== m[1]) {
      problems.push(`unexpected record ${JSON.stringify(r)}`)
      continue
    }
    const list = perKey.get(m[1]) ?? []
    list.push(Number(m[2]))
    perKey.set(m[1], list)
  }
  for (let k = 0; k < KEYS; k++) {
    const expected = Math.floor(count / KEYS) + (k < count % KEYS ? 1 : 0)
    const got = perKey.get(`k${k}`) ?? []
    const firstWrong = got.findIndex((seq, i) => seq !== i)
    if (firstWrong >= 0) {
      problems.push(
        `key k${k}: at position ${firstWrong} seq ${got[firstWrong]} (a duplicate, a gap or a reorder)`,
      )
    }
    if (got.length !== expected) problems.push(`key k${k}: ${got.length} records, expected ${expected}`)
  }
  assert.deepEqual(
    problems.slice(0, 20),
    [],
    `${problems.length} problems; ${read.length} records read, ${count} written`,
  )
}

const txnCount = (lines: readonly string[]) => lines.filter((l) => l.startsWith('{"txn"')).length
const isDone = (lines: readonly string[]) => lines.some((l) => l === '{"done":true}')

export interface KillReport {
  kills: number
  /** Kills that happened before the app had initialized its producer. */
  early: number
  /** Transactions committed across all runs. */
  transactions: number
}

/**
 * Starts the loop, kills it with SIGKILL at `kills` random points (a quarter of them early,
 * while it initializes; the rest after 0-3 committed transactions plus 0-40 ms, so inside a
 * transaction or between two), restarting it each time, then lets it run to the end.
 */
export async function runUnderKills(
  start: () => LineChild,
  kills: number,
  seed: number,
  finalTimeoutMs = 60_000,
): Promise<KillReport> {
  const random = seededRandom(seed)
  const report: KillReport = { kills: 0, early: 0, transactions: 0 }
  while (report.kills < kills) {
    const child = start()
    try {
      if (random() < 0.25) {
        await sleep(Math.floor(random() * 400))
        report.early++
      } else {
        const target = Math.floor(random() * 4)
        await child.waitFor(
          (lines) => txnCount(lines) >= target || isDone(lines),
          30_000,
          `${target} transactions`,
        )
        await sleep(Math.floor(random() * 40))
      }
      assert.ok(
        !isDone(child.lines),
        `the loop finished before kill ${report.kills + 1}: the input is too small`,
      )
      if (child.child.exitCode !== null)
        throw new Error(`the loop exited (${child.child.exitCode}) on its own\n${tail(child.stderr)}`)
      await child.kill('SIGKILL')
      report.kills++
      report.transactions += txnCount(child.lines)
    } finally {
      await child.kill('SIGKILL')
    }
  }
  const last = start()
  try {
    await last.waitFor(isDone, finalTimeoutMs, 'the loop to reach the end of its input')
    report.transactions += txnCount(last.lines)
  } finally {
    await last.kill('SIGKILL')
  }
  return report
}

export function spawnLoop(command: string, args: readonly string[]): LineChild {
  return new LineChild(command, args, { env: { ...process.env, PYTHONUNBUFFERED: '1' } })
}

// Reads a topic as a member of a consumer group (classic protocol): the group assigns the
// partitions, reading resumes at the group's committed offsets, and what was printed is
// committed every few seconds and once more before leaving. Only records handed to
// `onRecord` are ever committed, so `--count 10` commits exactly ten records.
import type { Consumer, Message, MessagesStream } from '@platformatic/kafka'
import type { Target } from './args.ts'
import type { ConsumedRecord } from './format.ts'
import { clientOptions, explain, kafkaClient, kafkaErrorOf } from './kafka.ts'

const COMMIT_INTERVAL_MS = 5000
/** How long the group waits for a silent member before moving its partitions. */
const SESSION_TIMEOUT_MS = 15_000
const REBALANCE_TIMEOUT_MS = 30_000

export interface GroupReaderOptions {
  target: Target
  topic: string
  groupId: string
  /** Where to start in partitions the group has no committed offset for. */
  resetTo: 'earliest' | 'latest'
  onRecord(record: ConsumedRecord): void | Promise<void>
}

export class GroupReader {
  readonly #options: GroupReaderOptions
  #stopped = false
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined
  /** Next offset to commit per partition, and whether it changed since the last commit. */
  readonly #next = new Map<number, { offset: bigint; dirty: boolean }>()
  #commitChain: Promise<void> = Promise.resolve()

  constructor(options: GroupReaderOptions) {
    this.#options = options
  }

  /** Stops after the record being delivered; run() then commits and leaves the group. */
  stop(): void {
    this.#stopped = true
    this.#stream?.close().catch(() => {})
  }

  async run(): Promise<void> {
    const { target, topic, groupId } = this.#options
    const { Consumer } = await kafkaClient()
    const consumer: Consumer = new Consumer({
      ...clientOptions(target),
      // A JoinGroup may wait for the other members for up to the rebalance timeout.
      requestTimeout: Math.max(target.timeoutMs, REBALANCE_TIMEOUT_MS + 5000),
      groupId,
      autocommit: false,
      sessionTimeout: SESSION_TIMEOUT_MS,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      heartbeatInterval: 3000,
      maxWaitTime: 500,
    })
    const timer = setInterval(() => this.#commit(consumer).catch(() => {}), COMMIT_INTERVAL_MS)
    timer.unref()
    let failure: unknown
    try {
      const stream = await joined(target.timeoutMs, () =>
        consumer.consume({
          topics: [topic],
          mode: 'committed',
          fallbackMode: this.#options.resetTo,
          autocommit: false,
          maxWaitTime: 500,
        }),
      )
      this.#stream = stream
      if (this.#stopped) await stream.close()
      await this.#drain(stream)
    } catch (err) {
      failure = err
    } finally {
      clearInterval(timer)
    }
    // Commit what was printed, also after a failure (what was shown was consumed), then leave.
    try {
      await this.#commit(consumer)
    } catch (err) {
      failure ??= err
    }
    // force: close our stream too, then LeaveGroup, so the group rebalances at once.
    await new Promise<void>((resolve) =>
      consumer.close(true, (err) => {
        if (err) failure ??= err
        resolve()
      }),
    )
    if (failure !== undefined) throw explain(failure, target, `consume "${topic}" in group "${groupId}"`)
  }

  async #drain(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      let busy = Promise.resolve()
      stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
        if (this.#stopped) return
        // The sink may be slow (stdout piped to a slow reader): hold the stream meanwhile.
        const result = this.#options.onRecord(toRecord(message))
        this.#next.set(message.partition, { offset: message.offset + 1n, dirty: true })
        if (result instanceof Promise) {
          stream.pause()
          busy = busy
            .then(() => result)
            .then(
              () => {
                if (!this.#stopped) stream.resume()
              },
              (err) => reject(err),
            )
        }
      })
      // After a stop, a fetch that was in flight may still push into the closed stream
      // (ERR_STREAM_PUSH_AFTER_EOF from the client): nothing of it was shown, so nothing is lost.
      stream.on('error', (err) => (this.#stopped ? busy.then(resolve, reject) : reject(err)))
      stream.once('close', () => busy.then(resolve, reject))
    })
  }

  /** Commits the offsets after the last record printed per partition (one commit at a time). */
  #commit(consumer: Consumer): Promise<void> {
    const next = this.#commitChain
      .catch(() => {})
      .then(async () => {
        const offsets = [...this.#next]
          .filter(([, n]) => n.dirty)
          .map(([partition, n]) => ({
            topic: this.#options.topic,
            partition,
            offset: n.offset,
            leaderEpoch: -1,
          }))
        if (offsets.length === 0 || consumer.memberId === null) return
        for (const o of offsets) {
          const n = this.#next.get(o.partition)
          if (n && n.offset === o.offset) n.dirty = false
        }
        try {
          await consumer.commit({ offsets })
        } catch (err) {
          for (const o of offsets) {
            const n = this.#next.get(o.partition)
            if (n && n.offset === o.offset) n.dirty = true
          }
          throw err
        }
      })
    this.#commitChain = next
    return next
  }
}

/**
 * Retries joining while the group's coordinator is not ready, as Kafka's Java consumer does: on a
 * fresh cluster the first group call meets NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS for
 * the seconds `__consumer_offsets` takes to be created and loaded (a 3-node Apache Kafka: 2-5 s).
 */
async function joined<T>(timeoutMs: number, join: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await join()
    } catch (err) {
      const name = kafkaErrorOf(err)?.name
      if (!COORDINATOR_NOT_READY.has(name ?? '') || Date.now() + delay > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

const COORDINATOR_NOT_READY: ReadonlySet<string> = new Set([
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
])

function toRecord(m: Message<Buffer, Buffer, Buffer, Buffer>): ConsumedRecord {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key ?? null,
    value: m.value ?? null,
    headers: [...m.headers].map(([k, v]) => [k ?? null, v ?? null]),
  }
}

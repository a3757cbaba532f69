// Reads chosen partitions of a topic from chosen offsets, with no consumer group (as kcat -C
// does): a Fetch loop per partition leader that never joins, commits or leaves a group, so
// looking at a topic leaves no trace on the cluster.
import type { Consumer, RecordsBatch } from '@platformatic/kafka'
import type { Target } from './args.ts'
import { CliError, CliErrorCode } from './errors.ts'
import type { ConsumedRecord } from './format.ts'
import { clientOptions, explain, kafkaClient, kafkaErrorName, type MetadataResponseTopic } from './kafka.ts'

// Record batch attributes (Kafka's DefaultRecordBatch).
const TIMESTAMP_LOG_APPEND_TIME = 0x08
const CONTROL_BATCH = 0x20

const READ_COMMITTED = 1
const MAX_WAIT_MS = 500
const PARTITION_MAX_BYTES = 1024 * 1024
const MAX_BYTES = 16 * 1024 * 1024

// Partition errors that mean "ask who leads again and retry".
const LEADERSHIP_ERRORS = new Set([5, 6, 74, 75, 9, 13, 56])

export interface PartitionReaderOptions {
  target: Target
  topic: MetadataResponseTopic
  /** Where to start, per partition; only these partitions are read. */
  start: Map<number, bigint>
  /** Stop once every partition has been read up to its end, as it is when reached. */
  exitAtEnd: boolean
  /** Called for each record in order per partition; the reader waits for it. */
  onRecord(record: ConsumedRecord): void | Promise<void>
  /** A message for the person (offsets that moved under us). */
  onNote(text: string): void
}

interface FetchPartition {
  partitionIndex: number
  errorCode: number
  highWatermark: bigint
  lastStableOffset: bigint
  logStartOffset: bigint
  records?: RecordsBatch[] | null
}

interface FetchResult {
  responses: { topicId: string; partitions: FetchPartition[] }[]
}

/** The response a Fetch that failed on some partitions still carries (the client throws it). */
function responseOf(err: unknown): FetchResult | undefined {
  const stack: unknown[] = [err]
  let found: FetchResult | undefined
  while (stack.length > 0) {
    const e = stack.pop() as { response?: FetchResult; errors?: unknown[] } | undefined
    if (!e || typeof e !== 'object') continue
    if (e.response && Array.isArray(e.response.responses)) found = e.response
    if (Array.isArray(e.errors)) stack.push(...e.errors)
  }
  return found
}

export class PartitionReader {
  readonly #options: PartitionReaderOptions
  #stopped = false

  constructor(options: PartitionReaderOptions) {
    this.#options = options
  }

  /** Ends the reading after the record being delivered (within one fetch wait, 0.5 s). */
  stop(): void {
    this.#stopped = true
  }

  async run(): Promise<void> {
    const { target, topic } = this.#options
    const { Consumer } = await kafkaClient()
    // A Consumer only for its Fetch; the group id is required but never used.
    const consumer = new Consumer({
      ...clientOptions(target),
      groupId: 'runnel-cli',
      maxWaitTime: MAX_WAIT_MS,
    })
    const positions = new Map(this.#options.start)
    const leaders = new Map(topic.partitions.map((p) => [p.partitionIndex, p.leaderId]))
    const finished = new Set<number>()
    try {
      while (!this.#stopped) {
        const active = [...positions.keys()].filter((p) => !finished.has(p))
        if (active.length === 0) return
        const byLeader = new Map<number, number[]>()
        for (const p of active) {
          const leader = leaders.get(p) ?? -1
          byLeader.set(leader, [...(byLeader.get(leader) ?? []), p])
        }
        let refresh = false
        const results = await Promise.all(
          [...byLeader].map(([leader, partitions]) => this.#fetch(consumer, leader, partitions, positions)),
        )
        for (const result of results) {
          for (const part of result.responses.flatMap((r) => r.partitions)) {
            if (this.#stopped) return
            const outcome = await this.#deliver(consumer, part, positions)
            if (outcome === 'refresh') refresh = true
            const position = positions.get(part.partitionIndex) ?? 0n
            const end = part.lastStableOffset >= 0n ? part.lastStableOffset : part.highWatermark
            if (this.#options.exitAtEnd && outcome === 'ok' && position >= end)
              finished.add(part.partitionIndex)
          }
        }
        if (refresh) {
          await new Promise((r) => setTimeout(r, 200))
          const md = await consumer.metadata({ topics: [topic.name as string], forceUpdate: true })
          md.topics.get(topic.name as string)?.partitions.forEach((p, i) => {
            leaders.set(i, p.leader)
          })
        }
      }
    } catch (err) {
      throw explain(err, target, `read "${topic.name}"`)
    } finally {
      await consumer.close().catch(() => {})
    }
  }

  async #listOffset(consumer: Consumer, partition: number, timestamp: bigint): Promise<bigint> {
    const name = this.#options.topic.name as string
    const offsets = await consumer.listOffsets({
      topics: [name],
      partitions: { [name]: [partition] },
      timestamp,
    })
    return offsets.get(name)?.[partition] ?? 0n
  }

  async #fetch(
    consumer: Consumer,
    node: number,
    partitions: number[],
    positions: Map<number, bigint>,
  ): Promise<FetchResult> {
    try {
      return await consumer.fetch({
        node,
        maxWaitTime: MAX_WAIT_MS,
        maxBytes: MAX_BYTES,
        isolationLevel: READ_COMMITTED,
        topics: [
          {
            topicId: this.#options.topic.topicId,
            partitions: partitions.map((partition) => ({
              partition,
              fetchOffset: positions.get(partition) ?? 0n,
              partitionMaxBytes: PARTITION_MAX_BYTES,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            })),
          },
        ],
      })
    } catch (err) {
      // Errors on some partitions are data: the others still carry records.
      const response = responseOf(err)
      if (response) return response
      throw err
    }
  }

  async #deliver(
    consumer: Consumer,
    part: FetchPartition,
    positions: Map<number, bigint>,
  ): Promise<'ok' | 'refresh'> {
    const { topic } = this.#options
    const p = part.partitionIndex
    const position = positions.get(p) ?? 0n
    if (part.errorCode === 1) {
      // OFFSET_OUT_OF_RANGE: retention or DeleteRecords removed what we were about to read (or
      // the log was truncated). The answer carries no offsets (-1 on Kafka), so ask, as a
      // consumer resetting its position does: the log start when we were below it, else the end.
      const earliest = await this.#listOffset(consumer, p, -2n)
      const resume = position < earliest ? earliest : await this.#listOffset(consumer, p, -1n)
      this.#options.onNote(
        `Offset ${position} of partition ${p} is no longer in the log; continuing from offset ${resume}.`,
      )
      positions.set(p, resume)
      return 'refresh'
    }
    if (LEADERSHIP_ERRORS.has(part.errorCode)) return 'refresh'
    if (part.errorCode === 3 || part.errorCode === 100) {
      throw new CliError(
        CliErrorCode.RUNNEL_CLI_UNKNOWN_TOPIC,
        `Topic "${topic.name}" was deleted while being read.`,
      )
    }
    if (part.errorCode !== 0) {
      const { name, message } = kafkaErrorName(part.errorCode)
      throw new CliError(
        CliErrorCode.RUNNEL_CLI_KAFKA_ERROR,
        `Cannot read partition ${p} of "${topic.name}": ${message.replace(/\.$/, '')} (${name}).`,
      )
    }
    let next = position
    for (const batch of part.records ?? []) {
      const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta)
      if (lastOffset < next) continue
      if ((batch.attributes & CONTROL_BATCH) === 0) {
        for (const record of batch.records) {
          const offset = batch.firstOffset + BigInt(record.offsetDelta)
          if (offset < next) continue
          if (this.#stopped) return 'ok'
          await this.#options.onRecord({
            topic: topic.name as string,
            partition: p,
            offset,
            timestamp:
              batch.attributes & TIMESTAMP_LOG_APPEND_TIME
                ? batch.maxTimestamp
                : batch.firstTimestamp + record.timestampDelta,
            key: record.key,
            value: record.value,
            headers: record.headers,
          })
          // Positions move record by record, so a stop in the middle leaves them exact.
          positions.set(p, offset + 1n)
        }
      }
      next = lastOffset + 1n
      positions.set(p, next)
    }
    return 'ok'
  }
}

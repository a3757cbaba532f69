// An internal topic the broker writes its own state to and reads back at start, as Kafka's
// `__consumer_offsets` (group/offsets-topic.ts) and `__transaction_state` (txn/transaction-log.ts).
// What they share lives here, so another such topic needs only a name, a partition count and
// its configs:
//
// - ensure(): creates the topic on first need, once however many callers ask at the same time,
//   and takes the topic a client's CreateTopics made first if it won the race;
// - append(): one batch to the partition of a key (Kafka's abs(javaHashCode(key)) % partitions,
//   partitionForGroup), then flushed before the caller is answered, as acks=all would be;
// - replayBatches(): every batch of every partition, control batches included, from log start
//   to log end (what a coordinator loads its state from when the broker starts).
//
// Each caller maps append()'s outcome onto the Kafka error codes its own coordinator answers.
//
// Owner: the coordinator that made it. PartitionLog.append is synchronous and append() does not
// await before it when the topic exists, so one owner's writes land in the order it made them.
import { iterateBatches, type RecordBatch, readBatch } from '@runnel/protocol'
import type { Logger } from 'pino'
import { partitionForGroup } from '../group/records.ts'
import type { PartitionLog } from '../storage/index.ts'
import type { ProducedAppend } from '../txn/producer-states.ts'
import type { Partitions } from './partitions.ts'
import type { TopicManager, TopicState } from './topics.ts'

/** How much a replay reads from a partition at a time. */
const REPLAY_READ_BYTES = 4 * 1024 * 1024

export interface InternalTopicSpec {
  readonly name: string
  /** The partition count it is created with; a topic that exists keeps its own. */
  readonly partitions: number
  readonly configs: Readonly<Record<string, string>>
}

export interface InternalAppendOptions {
  /** false: answer once the OS has the batch; a flush starts, and the next durable write covers it. */
  readonly durable?: boolean
  /** A transactional batch of the coordinator's (TxnOffsetCommit): checked against the producer state. */
  readonly coordinatorBatch?: boolean
}

/** What an internal topic works with. */
export interface InternalTopicDeps {
  readonly log: Logger
  readonly topics: Pick<TopicManager, 'get' | 'create'>
  readonly partitions: Pick<Partitions, 'appendInternal' | 'appendCoordinatorBatch'>
}

export type InternalAppend =
  | { readonly kind: 'written'; readonly partition: number }
  /** The topic cannot be created, or lacks the partition (COORDINATOR_NOT_AVAILABLE, retried). */
  | { readonly kind: 'unavailable' }
  /** The append or its flush failed; already logged. */
  | { readonly kind: 'storageError' }
  | Extract<ProducedAppend, { kind: 'messageTooLarge' | 'batchTooLarge' | 'duplicate' | 'refused' }>

export class InternalTopic {
  readonly name: string
  private readonly deps: InternalTopicDeps
  private readonly spec: InternalTopicSpec
  /** The CreateTopics under way, shared by every ensure() that comes while it runs. */
  private creating: Promise<TopicState | undefined> | undefined

  constructor(deps: InternalTopicDeps, spec: InternalTopicSpec) {
    this.deps = deps
    this.spec = spec
    this.name = spec.name
  }

  /** The topic, if it exists yet. */
  get topic(): TopicState | undefined {
    return this.deps.topics.get(this.name)
  }

  /** The partition count that places keys: the existing topic's, else the one it will have. */
  get partitionCount(): number {
    return this.topic?.partitions.length ?? this.spec.partitions
  }

  partitionFor(key: string): number {
    return partitionForGroup(key, this.partitionCount)
  }

  /**
   * Creates the topic unless it exists. Resolves with the topic, or undefined when it could not
   * be created (the caller answers COORDINATOR_NOT_AVAILABLE, which clients retry).
   */
  ensure(): Promise<TopicState | undefined> {
    const existing = this.topic
    if (existing) return Promise.resolve(existing)
    this.creating ??= this.deps.topics
      .create({
        name: this.name,
        numPartitions: this.spec.partitions,
        replicationFactor: -1,
        configs: this.spec.configs,
      })
      .then((result) => {
        this.creating = undefined
        if (result.ok) return result.value
        // Someone else (a client's CreateTopics) may have won the race.
        const topic = this.topic
        if (!topic) this.deps.log.error({ error: result.errorMessage }, `cannot create ${this.name}`)
        return topic
      })
    return this.creating
  }

  /**
   * Appends `batch` to the partition of `key`, creating the topic first if need be, and waits
   * until it is on disk (unless `durable` is false). Build the batch before calling: it should
   * capture the caller's state as it is now, not after an await.
   */
  async append(key: string, batch: Buffer, options: InternalAppendOptions = {}): Promise<InternalAppend> {
    const topic = this.topic ?? (await this.ensure())
    if (!topic) return { kind: 'unavailable' }
    const partition = partitionForGroup(key, topic.partitions.length)
    const log: PartitionLog | undefined = topic.partitions[partition]
    if (!log) return { kind: 'unavailable' }
    const result: ProducedAppend = options.coordinatorBatch
      ? this.deps.partitions.appendCoordinatorBatch(log, batch)
      : this.deps.partitions.appendInternal(log, batch)
    if (result.kind === 'storageError' || result.kind === 'requestFailed') {
      this.deps.log.error({ err: result.error, partition }, `${this.name} append failed`)
      return { kind: 'storageError' }
    }
    if (result.kind !== 'appended') return result
    if (options.durable === false) {
      log.flush().catch((err) => this.deps.log.error({ err, partition }, `${this.name} flush failed`))
      return { kind: 'written', partition }
    }
    try {
      await log.flush()
    } catch (err) {
      this.deps.log.error({ err, partition }, `${this.name} flush failed`)
      return { kind: 'storageError' }
    }
    return { kind: 'written', partition }
  }

  /**
   * Visits every batch of every partition, partition by partition, from log start to log end,
   * control batches too (batch.isControl). Returns how many partitions it read (0 when the topic
   * does not exist). Throws when a partition cannot be read.
   */
  replayBatches(visit: (batch: RecordBatch, partition: number) => void): number {
    const topic = this.topic
    if (!topic) return 0
    topic.partitions.forEach((log, partition) => {
      let offset = log.logStartOffset
      while (offset < log.logEndOffset) {
        const read = log.read(offset, REPLAY_READ_BYTES, { minOneBatch: true })
        if (read.kind !== 'ok') {
          throw new Error(`cannot replay ${this.name}-${partition} at ${offset}: ${read.kind}`)
        }
        if (read.batches.length === 0) break
        const before = offset
        for (const chunk of read.batches) {
          for (const loc of iterateBatches(chunk)) {
            const batch = readBatch(chunk, loc.pos)
            // Seen already (a batch read again never counts twice).
            if (batch.lastOffset < offset) continue
            offset = batch.lastOffset + 1
            visit(batch, partition)
          }
        }
        if (offset === before) break
      }
    })
    return topic.partitions.length
  }
}

// Producer state of every partition, built on top of the PartitionLog interface (storage never
// decodes records and knows nothing of producers). The partition owner (cluster/partitions.ts)
// calls in here for every append that carries a producer id: Produce (appendProduced), the group coordinator's transactional offset commits
// (appendCoordinatorBatch) and the transaction coordinator's markers (appendMarker). Each checks
// the batch against the partition's PartitionProducerState, appends it and records it, in one
// synchronous step, so the state always describes the log up to its end.
//
// A partition's state is loaded on first use (a produce with a producer id, a read_committed
// fetch, a marker): the newest snapshot at or below the log end offset, then the batch headers
// after it, read back with log.read (control batches are decoded for their marker type). A
// timer writes snapshots of the partitions that changed (runnel.producer.state.snapshot.interval.ms),
// and close() writes them all; before a snapshot at offset N is written the log is flushed, so
// after any crash the log still reaches N. See producer-snapshot.ts for the files.
//
// Ownership: the manager owns the map of loaded partitions; each partition's state changes only
// inside the synchronous append paths below (one request at a time per partition, as the log).
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  batchAttributes,
  batchBaseOffset,
  batchBaseSequence,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchProducerEpoch,
  batchProducerId,
  buildControlBatch,
  ErrorCode,
  isControl,
  isTransactional,
  iterateBatches,
  readBatch,
  readControlRecord,
} from '@runnel/protocol'
import type { Logger } from 'pino'
import type { TopicState } from '../cluster/topics.ts'
import type { AppendResult, PartitionLog } from '../storage/index.ts'
import {
  decodeSnapshot,
  encodeSnapshot,
  PRODUCER_STATE_DIR,
  parseSnapshotFileName,
  partitionKey,
  snapshotFileName,
} from './producer-snapshot.ts'
import {
  type AbortedTxn,
  type AppendOrigin,
  type BatchFacts,
  PartitionProducerState,
  type ProducerEntry,
} from './producer-state.ts'
import type { TransactionConfig } from './txn-config.ts'

/** How much a replay reads from the log at a time. */
const REPLAY_READ_BYTES = 4 * 1024 * 1024
/** Snapshots kept per partition: the newest, and one before it in case the newest is unreadable. */
const SNAPSHOTS_KEPT = 2
/** The coordinator epoch written into markers: one node, one coordinator, forever. */
export const COORDINATOR_EPOCH = 0

/** Produce's outcome for one partition: an append result, a duplicate, or a refusal. */
export type ProducedAppend =
  | AppendResult
  | { readonly kind: 'duplicate'; readonly baseOffset: number; readonly logStartOffset: number }
  | { readonly kind: 'refused'; readonly errorCode: number; readonly message: string }

export type MarkerAppend = AppendResult | { readonly kind: 'skipped' }

interface Loaded {
  readonly log: PartitionLog
  readonly topicId: string
  readonly state: PartitionProducerState
  /** Changed since its last snapshot. */
  dirty: boolean
  /** The log end offset its newest snapshot describes (-1: none). */
  snapshotOffset: number
}

const refused = (errorCode: number, message: string) => ({ kind: 'refused' as const, errorCode, message })

function factsOf(batch: Buffer, pos = 0): BatchFacts {
  return {
    producerId: batchProducerId(batch, pos),
    producerEpoch: batchProducerEpoch(batch, pos),
    baseSequence: batchBaseSequence(batch, pos),
    lastOffsetDelta: batchLastOffsetDelta(batch, pos),
    maxTimestamp: Number(batchMaxTimestamp(batch, pos)),
    isTransactional: isTransactional(batchAttributes(batch, pos)),
  }
}

/** Kafka's transaction.partition.verification: may this transactional batch open a transaction here? */
export interface TransactionVerifier {
  verifyPartition(
    transactionalId: string | null,
    producerId: bigint,
    producerEpoch: number,
    topic: string,
    partition: number,
  ): { errorCode: number; message: string }
}

/** What the producer states work with. */
export interface ProducerStateDeps {
  readonly log: Logger
  /** The broker's data directory; undefined for a broker that keeps everything in memory. */
  readonly dataDir: string | undefined
  readonly topics: {
    get(name: string): TopicState | undefined
    byId(topicId: string): TopicState | undefined
  }
  /** The transaction coordinator's side of a transactional append. */
  readonly verifier: TransactionVerifier
}

export class ProducerStateManager {
  private readonly deps: ProducerStateDeps
  private readonly config: TransactionConfig
  /** `<dataDir>/__producer_state`, or undefined for a broker that keeps everything in memory. */
  readonly dir: string | undefined
  /** Owner: this manager. */
  private readonly loaded = new Map<PartitionLog, Loaded>()
  /** Snapshot offsets on disk per `topicId-partition`, ascending. Owner: this manager. */
  private readonly onDisk = new Map<string, number[]>()
  private timer: NodeJS.Timeout | undefined
  private snapshotting: Promise<void> | undefined
  private stopped = false

  constructor(deps: ProducerStateDeps, config: TransactionConfig) {
    this.deps = deps
    this.config = config
    this.dir = deps.dataDir === undefined ? undefined : join(deps.dataDir, PRODUCER_STATE_DIR)
  }

  /**
   * Finds the snapshots on disk. Files of topics that no longer exist, and snapshots past their
   * partition's log end offset (a log cut by recovery), are deleted. Starts the snapshot timer.
   */
  start(): void {
    if (this.dir !== undefined) {
      mkdirSync(this.dir, { recursive: true })
      for (const name of readdirSync(this.dir)) {
        if (name.endsWith('.tmp')) {
          this.unlinkQuietly(name)
          continue
        }
        const parsed = parseSnapshotFileName(name)
        if (!parsed) continue
        const topic = this.deps.topics.byId(parsed.topicId)
        const log = topic?.partitions[parsed.partition]
        if (!log || parsed.offset > log.logEndOffset) {
          this.unlinkQuietly(name)
          continue
        }
        const key = partitionKey(parsed.topicId, parsed.partition)
        const list = this.onDisk.get(key) ?? []
        list.push(parsed.offset)
        this.onDisk.set(key, list)
      }
      for (const list of this.onDisk.values()) list.sort((a, b) => a - b)
    }
    this.timer = setInterval(() => void this.snapshotNow(), this.config.snapshotIntervalMs)
    this.timer.unref()
  }

  /** Stops the timer and writes a snapshot of every partition that changed (before the logs close). */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    await this.snapshotting
    await this.writeSnapshots()
  }

  // ---- loading --------------------------------------------------------------------------------

  /** The partition's producer state, loaded now if needed; undefined when its log cannot be read. */
  stateOf(log: PartitionLog): PartitionProducerState | undefined {
    return this.load(log)?.state
  }

  private load(log: PartitionLog): Loaded | undefined {
    const existing = this.loaded.get(log)
    if (existing) return existing
    const topicId = this.deps.topics.get(log.topic)?.topicId
    if (topicId === undefined) return undefined
    const key = partitionKey(topicId, log.partition)
    let state: PartitionProducerState | undefined
    let from = log.logStartOffset
    const offsets = this.onDisk.get(key) ?? []
    for (let i = offsets.length - 1; i >= 0 && this.dir !== undefined && !state; i--) {
      const offset = offsets[i]
      if (offset > log.logEndOffset) continue
      try {
        const decoded = decodeSnapshot(
          readFileSync(join(this.dir, snapshotFileName(topicId, log.partition, offset)), 'utf8'),
        )
        state = PartitionProducerState.fromSnapshot(decoded.snapshot)
        from = Math.max(offset, log.logStartOffset)
      } catch (err) {
        this.deps.log.warn(
          { err, topic: log.topic, partition: log.partition, offset },
          'unreadable producer state snapshot skipped',
        )
      }
    }
    const hadSnapshot = state !== undefined
    const snapshotOffset = hadSnapshot ? from : -1
    state ??= new PartitionProducerState()
    const started = performance.now()
    const replayed = this.replay(log, state, from)
    if (replayed === undefined) return undefined
    const loaded: Loaded = {
      log,
      topicId,
      state,
      dirty: !hadSnapshot || replayed.batches > 0,
      snapshotOffset,
    }
    this.loaded.set(log, loaded)
    if (replayed.bytes > 16 * 1024 * 1024) {
      this.deps.log.info(
        {
          topic: log.topic,
          partition: log.partition,
          from,
          bytes: replayed.bytes,
          ms: Math.round(performance.now() - started),
        },
        'producer state rebuilt from the log',
      )
    }
    return loaded
  }

  /** Applies every batch header from `from` to the log end. Undefined when the log cannot be read. */
  private replay(
    log: PartitionLog,
    state: PartitionProducerState,
    from: number,
  ): { batches: number; bytes: number } | undefined {
    let offset = from
    let batches = 0
    let bytes = 0
    while (offset < log.logEndOffset) {
      const read = log.read(offset, REPLAY_READ_BYTES, { minOneBatch: true })
      if (read.kind === 'offsetOutOfRange' && offset < read.logStartOffset) {
        offset = read.logStartOffset
        continue
      }
      if (read.kind !== 'ok') {
        this.deps.log.error(
          { topic: log.topic, partition: log.partition, offset, result: read.kind },
          'cannot read the log to rebuild producer state',
        )
        return undefined
      }
      if (read.batches.length === 0) break
      const before = offset
      for (const chunk of read.batches) {
        bytes += chunk.length
        for (const loc of iterateBatches(chunk)) {
          const base = Number(batchBaseOffset(chunk, loc.pos))
          const last = base + batchLastOffsetDelta(chunk, loc.pos)
          if (last < offset) continue
          offset = last + 1
          batches++
          this.replayBatch(log, state, chunk, loc.pos, base)
        }
      }
      if (offset === before) break
    }
    return { batches, bytes }
  }

  private replayBatch(
    log: PartitionLog,
    state: PartitionProducerState,
    chunk: Buffer,
    pos: number,
    base: number,
  ): void {
    const pid = batchProducerId(chunk, pos)
    if (pid < 0n) return
    if (!isControl(batchAttributes(chunk, pos))) {
      state.applyData(factsOf(chunk, pos), base)
      return
    }
    try {
      const batch = readBatch(chunk, pos)
      for (const record of batch.records()) {
        const marker = readControlRecord(record)
        if (marker.type === 'COMMIT' || marker.type === 'ABORT') {
          state.applyMarker(
            pid,
            batch.producerEpoch,
            marker.coordinatorEpoch ?? COORDINATOR_EPOCH,
            marker.type === 'COMMIT',
            base,
            batch.maxTimestamp,
          )
        }
      }
    } catch (err) {
      this.deps.log.warn(
        { err, topic: log.topic, partition: log.partition, offset: base },
        'control batch that does not decode skipped',
      )
    }
  }

  // ---- appends --------------------------------------------------------------------------------

  /**
   * Produce: checks a validated client batch against the producer state (Kafka's duplicate,
   * epoch, sequence and transaction rules), verifies that a transactional batch belongs to its
   * producer's ongoing transaction (Kafka 3.6+'s transaction.partition.verification), then
   * appends it. A batch without a producer id bypasses all of it.
   */
  appendProduced(log: PartitionLog, batch: Buffer, transactionalId: string | null): ProducedAppend {
    const attributes = batchAttributes(batch)
    if (isControl(attributes))
      return refused(ErrorCode.INVALID_RECORD, 'Clients are not allowed to write control records')
    const pid = batchProducerId(batch)
    if (pid < 0n) {
      if (isTransactional(attributes))
        return refused(ErrorCode.INVALID_RECORD, 'A transactional record batch needs a producer id')
      return log.append(batch)
    }
    const loaded = this.load(log)
    if (!loaded)
      return refused(ErrorCode.KAFKA_STORAGE_ERROR, 'The producer state of this partition cannot be read')
    const facts = factsOf(batch)
    const checked = loaded.state.check(facts, 'client')
    if (checked.kind === 'duplicate') {
      return { kind: 'duplicate', baseOffset: checked.firstOffset, logStartOffset: log.logStartOffset }
    }
    if (checked.kind === 'refused') return checked
    if (facts.isTransactional && !loaded.state.hasOpenTransaction(pid)) {
      const verified = this.deps.verifier.verifyPartition(
        transactionalId,
        pid,
        facts.producerEpoch,
        log.topic,
        log.partition,
      )
      if (verified.errorCode !== ErrorCode.NONE) return refused(verified.errorCode, verified.message)
    }
    return this.appendChecked(loaded, batch, facts)
  }

  /**
   * A batch the group coordinator writes for TxnOffsetCommit: only the producer epoch is
   * checked (its sequence numbers are the coordinator's, as in Kafka).
   */
  appendCoordinatorBatch(log: PartitionLog, batch: Buffer): ProducedAppend {
    return this.appendFrom(log, batch, 'coordinator')
  }

  private appendFrom(log: PartitionLog, batch: Buffer, origin: AppendOrigin): ProducedAppend {
    const loaded = this.load(log)
    if (!loaded)
      return refused(ErrorCode.KAFKA_STORAGE_ERROR, 'The producer state of this partition cannot be read')
    const facts = factsOf(batch)
    const checked = loaded.state.check(facts, origin)
    if (checked.kind === 'duplicate')
      return { kind: 'duplicate', baseOffset: checked.firstOffset, logStartOffset: log.logStartOffset }
    if (checked.kind === 'refused') return checked
    return this.appendChecked(loaded, batch, facts)
  }

  private appendChecked(loaded: Loaded, batch: Buffer, facts: BatchFacts): AppendResult {
    const appended = loaded.log.append(batch)
    if (appended.kind === 'appended') {
      loaded.state.applyData(facts, appended.baseOffset)
      loaded.dirty = true
    }
    return appended
  }

  /**
   * Writes the COMMIT or ABORT marker of `producerId`'s transaction into `log`, unless the
   * producer has no transaction open there (nothing was written, or a marker already was:
   * the coordinator may send a transaction's markers again after a restart).
   */
  appendMarker(
    log: PartitionLog,
    producerId: bigint,
    producerEpoch: number,
    commit: boolean,
    now: number,
    coordinatorEpoch = COORDINATOR_EPOCH,
  ): MarkerAppend {
    const loaded = this.load(log)
    if (!loaded) return { kind: 'skipped' }
    if (!loaded.state.hasOpenTransaction(producerId)) return { kind: 'skipped' }
    const batch = buildControlBatch({
      type: commit ? 'COMMIT' : 'ABORT',
      producerId,
      producerEpoch,
      coordinatorEpoch,
      timestamp: now,
    })
    const appended = log.append(batch)
    if (appended.kind === 'appended') {
      loaded.state.applyMarker(producerId, producerEpoch, coordinatorEpoch, commit, appended.baseOffset, now)
      loaded.dirty = true
    }
    return appended
  }

  /**
   * Kafka's checks of a marker sent by WriteTxnMarkers (Admin.abortTransaction): an epoch older
   * than the producer's is INVALID_PRODUCER_EPOCH, a coordinator epoch older than the one that
   * wrote the producer's last marker is TRANSACTION_COORDINATOR_FENCED; NONE otherwise.
   */
  checkMarker(
    log: PartitionLog,
    producerId: bigint,
    producerEpoch: number,
    coordinatorEpoch: number,
  ): number {
    const entry = this.load(log)?.state.producers.get(producerId)
    if (!entry) return ErrorCode.NONE
    if (producerEpoch < entry.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH
    if (coordinatorEpoch < entry.coordinatorEpoch) return ErrorCode.TRANSACTION_COORDINATOR_FENCED
    return ErrorCode.NONE
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** The offset below which every transaction is decided: the earliest open transaction's first offset, else the high watermark. */
  lastStableOffset(log: PartitionLog): number {
    const hw = log.highWatermark
    const first = this.load(log)?.state.firstUnstableOffset()
    // Never below the log start (DeleteRecords may have moved it past an open transaction's start).
    return first === undefined ? hw : Math.max(Math.min(first, hw), log.logStartOffset)
  }

  /** Whether the partition has aborted transactions in its index (a cheap test before abortedTransactions). */
  hasAbortedTransactions(log: PartitionLog): boolean {
    return (this.load(log)?.state.abortedCount ?? 0) > 0
  }

  /** Aborted transactions a read_committed fetch of [fromOffset, toOffset) must be told about. */
  abortedTransactions(log: PartitionLog, fromOffset: number, toOffset: number): AbortedTxn[] {
    return this.load(log)?.state.abortedTransactions(fromOffset, toOffset) ?? []
  }

  /** DescribeProducers: the producers the partition knows. */
  producersOf(log: PartitionLog): ProducerEntry[] | undefined {
    const state = this.stateOf(log)
    return state ? [...state.producers.values()] : undefined
  }

  // ---- snapshots ------------------------------------------------------------------------------

  /** One snapshot round (the timer's work): trims, expires and writes changed partitions. */
  snapshotNow(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    this.snapshotting ??= this.writeSnapshots()
      .catch((err) => this.deps.log.error({ err }, 'producer state snapshot failed'))
      .finally(() => {
        this.snapshotting = undefined
      })
    return this.snapshotting
  }

  private async writeSnapshots(): Promise<void> {
    const now = Date.now()
    const work: { loaded: Loaded; offset: number; body: string }[] = []
    for (const loaded of [...this.loaded.values()]) {
      const { log, state } = loaded
      const topic = this.deps.topics.get(log.topic)
      if (!topic || topic.topicId !== loaded.topicId || topic.partitions[log.partition] !== log) {
        // Its topic was deleted: forget the state and its files.
        this.loaded.delete(log)
        await this.removeSnapshots(
          partitionKey(loaded.topicId, log.partition),
          loaded.topicId,
          log.partition,
          [],
        )
        continue
      }
      if (state.trimBefore(log.logStartOffset) > 0) loaded.dirty = true
      if (state.expireProducers(now, this.config.producerIdExpirationMs) > 0) loaded.dirty = true
      // A log that only grew (records without producer ids) gets a new snapshot too, so a restart
      // never replays more than one interval of it.
      if ((!loaded.dirty && loaded.snapshotOffset === log.logEndOffset) || this.dir === undefined) continue
      // Captured synchronously: the state describes the log exactly up to its end now.
      work.push({
        loaded,
        offset: log.logEndOffset,
        body: encodeSnapshot(log.logEndOffset, state.toSnapshot()),
      })
      loaded.dirty = false
    }
    const dir = this.dir
    if (dir === undefined || work.length === 0) return
    await mkdir(dir, { recursive: true })
    for (const w of work) {
      const { log, topicId } = w.loaded
      try {
        // The log must reach the snapshot's offset after any crash.
        await log.flush()
        await writeDurably(join(dir, snapshotFileName(topicId, log.partition, w.offset)), w.body)
      } catch (err) {
        w.loaded.dirty = true
        this.deps.log.warn(
          { err, topic: log.topic, partition: log.partition },
          'producer state snapshot not written',
        )
        continue
      }
      w.loaded.snapshotOffset = w.offset
      const key = partitionKey(topicId, log.partition)
      const list = (this.onDisk.get(key) ?? []).filter((o) => o !== w.offset)
      list.push(w.offset)
      list.sort((a, b) => a - b)
      const keep = list.slice(-SNAPSHOTS_KEPT)
      await this.removeSnapshots(key, topicId, log.partition, keep)
    }
    await syncDir(dir)
  }

  /** Deletes the partition's snapshot files except those at `keep`. */
  private async removeSnapshots(
    key: string,
    topicId: string,
    partition: number,
    keep: number[],
  ): Promise<void> {
    const list = this.onDisk.get(key) ?? []
    for (const offset of list) {
      if (keep.includes(offset) || this.dir === undefined) continue
      await unlink(join(this.dir, snapshotFileName(topicId, partition, offset))).catch(() => undefined)
    }
    if (keep.length === 0) this.onDisk.delete(key)
    else this.onDisk.set(key, keep)
  }

  private unlinkQuietly(name: string): void {
    try {
      if (this.dir !== undefined) unlinkSync(join(this.dir, name))
    } catch {
      // gone already
    }
  }
}

/** Writes a temporary file, fsyncs it and renames it into place. */
async function writeDurably(path: string, body: string): Promise<void> {
  const tmp = `${path}.tmp`
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(body, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, path)
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

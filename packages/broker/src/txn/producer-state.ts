// One partition's producer state, the rules Kafka 3.9's ProducerAppendInfo and
// ProducerStateEntry apply to each append, as a pure state machine (no I/O; the clock is an
// argument). Per producer id: its epoch, the sequence ranges and offsets of its last five
// batches (to acknowledge a retried batch again with its original offset), and the first offset
// of its open transaction. Per partition: the open transactions (whose first offsets give the
// last stable offset) and the aborted transactions (what read_committed fetches skip).
//
// Ownership: a PartitionProducerState belongs to its partition's entry in ProducerStateManager.
// Every change happens synchronously together with the log append it describes, so the state
// always describes the log up to its log end offset.
import { ErrorCode } from '@runnel/protocol'

/** Kafka keeps the last five batches of each producer: a producer has at most five in flight. */
export const NUM_BATCHES_TO_RETAIN = 5
export const NO_PRODUCER_EPOCH = -1
export const NO_SEQUENCE = -1
const INT32_MAX = 0x7fffffff

export interface BatchMetadata {
  readonly firstSeq: number
  readonly lastSeq: number
  readonly lastOffset: number
  /** lastOffset - the batch's base offset. */
  readonly offsetDelta: number
  readonly timestamp: number
}

export interface ProducerEntry {
  readonly producerId: bigint
  producerEpoch: number
  coordinatorEpoch: number
  /** The max timestamp of the producer's last batch or marker; drives producer.id.expiration.ms. */
  lastTimestamp: number
  /** First offset of the producer's open transaction in this partition, -1 when none. */
  currentTxnFirstOffset: number
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  batches: BatchMetadata[]
}

export interface AbortedTxn {
  readonly producerId: bigint
  readonly firstOffset: number
  /** The offset of the ABORT marker. */
  readonly lastOffset: number
  /** The last stable offset once the marker was written (Kafka keeps it in its .txnindex). */
  readonly lastStableOffset: number
}

/** What the producer state needs from a batch header (batch-header.ts accessors). */
export interface BatchFacts {
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly lastOffsetDelta: number
  readonly maxTimestamp: number
  readonly isTransactional: boolean
}

export type AppendCheck =
  /** Append it, then call applyData with the offset it got. */
  | { readonly kind: 'append' }
  /** A retry of one of the producer's last five batches: answer with its original offsets, append nothing. */
  | { readonly kind: 'duplicate'; readonly firstOffset: number; readonly lastOffset: number }
  | { readonly kind: 'refused'; readonly errorCode: number; readonly message: string }

/** A client's Produce is checked fully; a coordinator's own batch (TxnOffsetCommit) only for its epoch. */
export type AppendOrigin = 'client' | 'coordinator'

/** baseSequence + lastOffsetDelta, wrapping after Int32.MAX to 0 as Kafka's sequences do. */
export function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  return baseSequence > INT32_MAX - lastOffsetDelta
    ? lastOffsetDelta - (INT32_MAX - baseSequence) - 1
    : baseSequence + lastOffsetDelta
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX)
}

const refused = (errorCode: number, message: string): AppendCheck => ({ kind: 'refused', errorCode, message })

export class PartitionProducerState {
  /** Owner: see the file comment. */
  readonly producers = new Map<bigint, ProducerEntry>()
  /** producerId -> first offset of its open transaction here. */
  private readonly ongoing = new Map<bigint, number>()
  /** Sorted by lastOffset (markers are appended in offset order). */
  private readonly aborted: AbortedTxn[] = []
  /** The longest aborted transaction seen (lastOffset - firstOffset): bounds the index scan. */
  private maxAbortedSpan = 0

  get openTransactions(): ReadonlyMap<bigint, number> {
    return this.ongoing
  }

  get abortedCount(): number {
    return this.aborted.length
  }

  /**
   * Kafka's checks, in Kafka's order, for a data batch about to be appended: a duplicate of one
   * of the producer's last five batches first; then the epoch (INVALID_PRODUCER_EPOCH when
   * older); then, for clients, the sequence (OUT_OF_ORDER_SEQUENCE_NUMBER for a gap, or for a
   * new epoch not starting at 0); then a plain write while the producer has a transaction open
   * here (INVALID_TXN_STATE). A producer this partition does not know may start at any
   * sequence (Kafka 3.x: its earlier batches may have been deleted by retention).
   */
  check(batch: BatchFacts, origin: AppendOrigin): AppendCheck {
    const pid = batch.producerId
    if (pid < 0n) {
      return batch.isTransactional
        ? refused(ErrorCode.INVALID_RECORD, 'A transactional record batch needs a producer id')
        : { kind: 'append' }
    }
    const entry = this.producers.get(pid)
    const currentEpoch = entry?.producerEpoch ?? NO_PRODUCER_EPOCH
    if (origin === 'client' && entry && batch.producerEpoch === currentEpoch && batch.baseSequence >= 0) {
      const lastSeq = lastSequenceOf(batch.baseSequence, batch.lastOffsetDelta)
      const dup = entry.batches.find((b) => b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq)
      if (dup)
        return {
          kind: 'duplicate',
          firstOffset: dup.lastOffset - dup.offsetDelta,
          lastOffset: dup.lastOffset,
        }
    }
    if (batch.producerEpoch < currentEpoch) {
      return refused(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch of producer ${pid} is ${batch.producerEpoch}, which is smaller than the last seen epoch ${currentEpoch}`,
      )
    }
    if (origin === 'client') {
      const seq = batch.baseSequence
      if (batch.producerEpoch !== currentEpoch) {
        if (seq !== 0 && currentEpoch !== NO_PRODUCER_EPOCH) {
          return refused(
            ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            `Invalid sequence number for new epoch of producer ${pid}: ${batch.producerEpoch} (request epoch), ${seq} (seq. number), ${currentEpoch} (current producer epoch)`,
          )
        }
      } else {
        const lastSeq =
          entry && entry.batches.length > 0 ? entry.batches[entry.batches.length - 1].lastSeq : NO_SEQUENCE
        if (currentEpoch !== NO_PRODUCER_EPOCH && !inSequence(lastSeq, seq)) {
          return refused(
            ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            `Out of order sequence number for producer ${pid}: ${seq} (incoming seq. number), ${lastSeq} (current end sequence number)`,
          )
        }
      }
    }
    if (entry && entry.currentTxnFirstOffset >= 0 && !batch.isTransactional) {
      return refused(ErrorCode.INVALID_TXN_STATE, `Expected a transactional write from producer ${pid}`)
    }
    return { kind: 'append' }
  }

  /** Whether the producer has a transaction open in this partition. */
  hasOpenTransaction(producerId: bigint): boolean {
    return this.ongoing.has(producerId)
  }

  /** Records an appended data batch (after check() said append, or when replaying the log). */
  applyData(batch: BatchFacts, baseOffset: number): void {
    if (batch.producerId < 0n) return
    const entry = this.entryFor(batch.producerId)
    updateEpoch(entry, batch.producerEpoch)
    const lastOffset = baseOffset + batch.lastOffsetDelta
    if (batch.baseSequence >= 0) {
      if (entry.batches.length === NUM_BATCHES_TO_RETAIN) entry.batches.shift()
      entry.batches.push({
        firstSeq: batch.baseSequence,
        lastSeq: lastSequenceOf(batch.baseSequence, batch.lastOffsetDelta),
        lastOffset,
        offsetDelta: batch.lastOffsetDelta,
        timestamp: batch.maxTimestamp,
      })
    }
    entry.lastTimestamp = batch.maxTimestamp
    if (batch.isTransactional && entry.currentTxnFirstOffset < 0) {
      entry.currentTxnFirstOffset = baseOffset
      this.ongoing.set(batch.producerId, baseOffset)
    }
  }

  /**
   * Records a COMMIT or ABORT marker appended at `offset`: the producer's open transaction here
   * (if any) ends; an aborted one joins the aborted-transaction index. The marker's epoch becomes
   * the producer's (a bumped epoch forgets the old sequences, as in Kafka).
   */
  applyMarker(
    producerId: bigint,
    producerEpoch: number,
    coordinatorEpoch: number,
    commit: boolean,
    offset: number,
    timestamp: number,
  ): void {
    const entry = this.entryFor(producerId)
    updateEpoch(entry, producerEpoch)
    entry.coordinatorEpoch = coordinatorEpoch
    entry.lastTimestamp = timestamp
    const first = entry.currentTxnFirstOffset
    if (first < 0) return
    entry.currentTxnFirstOffset = -1
    this.ongoing.delete(producerId)
    if (commit) return
    const unstable = this.firstUnstableOffset()
    this.aborted.push({
      producerId,
      firstOffset: first,
      lastOffset: offset,
      lastStableOffset: unstable ?? offset + 1,
    })
    this.maxAbortedSpan = Math.max(this.maxAbortedSpan, offset - first)
  }

  /** The first offset of the earliest open transaction, or undefined when none is open. */
  firstUnstableOffset(): number | undefined {
    let min: number | undefined
    for (const first of this.ongoing.values()) if (min === undefined || first < min) min = first
    return min
  }

  /**
   * Aborted transactions that overlap [fromOffset, toOffset): what a read_committed Fetch that
   * returns the batches in that range lists in AbortedTransactions (Kafka's
   * collectAbortedTransactions: marker at or after the fetch offset, first offset before the end).
   */
  abortedTransactions(fromOffset: number, toOffset: number): AbortedTxn[] {
    const out: AbortedTxn[] = []
    // First entry whose marker is at or after fromOffset.
    let lo = 0
    let hi = this.aborted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.aborted[mid].lastOffset < fromOffset) lo = mid + 1
      else hi = mid
    }
    // Past toOffset + the longest span, no transaction can start before toOffset.
    const stopAt = toOffset + this.maxAbortedSpan
    for (let i = lo; i < this.aborted.length; i++) {
      const t = this.aborted[i]
      if (t.lastOffset > stopAt) break
      if (t.firstOffset < toOffset) out.push(t)
    }
    return out
  }

  /** Forgets aborted transactions wholly below the log start offset (retention, DeleteRecords). */
  trimBefore(logStartOffset: number): number {
    let n = 0
    while (n < this.aborted.length && this.aborted[n].lastOffset < logStartOffset) n++
    if (n > 0) this.aborted.splice(0, n)
    return n
  }

  /**
   * Kafka's producer.id.expiration.ms: producers without an open transaction whose last write is
   * older than `expirationMs` are forgotten. Returns how many went.
   */
  expireProducers(now: number, expirationMs: number): number {
    let n = 0
    for (const [pid, entry] of this.producers) {
      if (entry.currentTxnFirstOffset < 0 && now - entry.lastTimestamp >= expirationMs) {
        this.producers.delete(pid)
        n++
      }
    }
    return n
  }

  private entryFor(producerId: bigint): ProducerEntry {
    let entry = this.producers.get(producerId)
    if (!entry) {
      entry = {
        producerId,
        producerEpoch: NO_PRODUCER_EPOCH,
        coordinatorEpoch: -1,
        lastTimestamp: -1,
        currentTxnFirstOffset: -1,
        batches: [],
      }
      this.producers.set(producerId, entry)
    }
    return entry
  }

  // ---- snapshots --------------------------------------------------------------------------

  toSnapshot(): ProducerStateSnapshot {
    return {
      producers: [...this.producers.values()].map((e) => ({
        producerId: e.producerId,
        producerEpoch: e.producerEpoch,
        coordinatorEpoch: e.coordinatorEpoch,
        lastTimestamp: e.lastTimestamp,
        currentTxnFirstOffset: e.currentTxnFirstOffset,
        batches: e.batches.map((b) => ({ ...b })),
      })),
      aborted: [...this.aborted],
    }
  }

  static fromSnapshot(snapshot: ProducerStateSnapshot): PartitionProducerState {
    const state = new PartitionProducerState()
    const open: [bigint, number][] = []
    for (const p of snapshot.producers) {
      state.producers.set(p.producerId, { ...p, batches: p.batches.map((b) => ({ ...b })) })
      if (p.currentTxnFirstOffset >= 0) open.push([p.producerId, p.currentTxnFirstOffset])
    }
    open.sort((a, b) => a[1] - b[1])
    for (const [pid, first] of open) state.ongoing.set(pid, first)
    for (const t of snapshot.aborted) {
      state.aborted.push(t)
      state.maxAbortedSpan = Math.max(state.maxAbortedSpan, t.lastOffset - t.firstOffset)
    }
    return state
  }
}

/** Kafka's maybeUpdateProducerEpoch: a new epoch starts with no batches. */
function updateEpoch(entry: ProducerEntry, epoch: number): void {
  if (entry.producerEpoch !== epoch) {
    entry.batches = []
    entry.producerEpoch = epoch
  }
}

export interface ProducerStateSnapshot {
  readonly producers: readonly ProducerEntry[]
  readonly aborted: readonly AbortedTxn[]
}

// A store whose log is an array in this process: for `--dev` and for tests that need no Kafka.
// It keeps the same encoded records the Kafka store writes and reads them through the same
// decoder, so everything but the transport is the code that runs against Kafka. Several stores
// may share one MemoryLog, as several registry instances share one topic.

import { decodeRecord, type EncodedRecord, encodeRecord, type StoreRecord } from './records.ts'
import type { SchemaStore } from './schema-store.ts'
import { RegistryState } from './state.ts'

/** The log itself: append-only, shared by the stores that read it. */
export class MemoryLog {
  readonly records: EncodedRecord[] = []

  constructor(records: readonly EncodedRecord[] = []) {
    this.records.push(...records)
  }
}

export class MemoryStore implements SchemaStore {
  readonly state = new RegistryState()
  readonly memoryLog: MemoryLog
  // Owned by this store: how far it has read the shared log.
  #position = 0
  #closed = false

  constructor(log: MemoryLog = new MemoryLog()) {
    this.memoryLog = log
  }

  async start(): Promise<void> {
    this.#readToEnd()
  }

  async append(records: readonly StoreRecord[]): Promise<void> {
    if (this.#closed) throw new Error('the memory store is closed')
    for (const record of records) this.memoryLog.records.push(encodeRecord(record))
    this.#readToEnd()
  }

  async sync(): Promise<void> {
    this.#readToEnd()
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  /** The log as written, oldest first: what the `_schemas` topic would hold. */
  get log(): readonly EncodedRecord[] {
    return this.memoryLog.records
  }

  #readToEnd(): void {
    const records = this.memoryLog.records
    while (this.#position < records.length) {
      const record = records[this.#position++]
      const decoded = decodeRecord(record.key, record.value)
      if (decoded !== undefined) this.state.apply(decoded)
    }
  }
}

/** An in-process store: on a fresh log, on a log shared with other stores, or on records written earlier. */
export function createMemoryStore(log?: MemoryLog | readonly EncodedRecord[]): MemoryStore {
  return new MemoryStore(log instanceof MemoryLog ? log : new MemoryLog(log ?? []))
}

// Producer id allocation. Ids are handed out in blocks, as Kafka's controller does: before the
// first id of a block is given, the block's end is written to
// `<dataDir>/__producer_state/producer-ids.json` (fsynced, replaced atomically), and after a
// restart allocation resumes at that end. So no id is ever given twice, even after a crash, at
// the cost of skipping the unused rest of a block. In memory, ids simply count up from 0.
//
// Owner: the TransactionCoordinator; allocation is synchronous.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/** Kafka's controller hands out blocks of 1000. */
export const PRODUCER_ID_BLOCK_SIZE = 1000

export class ProducerIdManager {
  private readonly file: string | undefined
  private next = 0n
  /** Ids below this are covered by what the file says. */
  private blockEnd = 0n

  /** `dir` = `<dataDir>/__producer_state`, or undefined in memory. Throws if the file is unreadable. */
  constructor(dir: string | undefined) {
    if (dir === undefined) {
      this.blockEnd = BigInt(Number.MAX_SAFE_INTEGER)
      return
    }
    mkdirSync(dir, { recursive: true })
    this.file = join(dir, 'producer-ids.json')
    let text: string | undefined
    try {
      text = readFileSync(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    if (text !== undefined) {
      const parsed = JSON.parse(text) as { nextBlockStart: string }
      this.next = BigInt(parsed.nextBlockStart)
      this.blockEnd = this.next
    }
  }

  /** Never hands out ids at or below `producerId` (one found in `__transaction_state`). */
  ensureAbove(producerId: bigint): void {
    if (this.next <= producerId) {
      this.next = producerId + 1n
      if (this.blockEnd < this.next) this.blockEnd = this.next
    }
  }

  generate(): bigint {
    if (this.next >= this.blockEnd) this.reserve(this.next + BigInt(PRODUCER_ID_BLOCK_SIZE))
    return this.next++
  }

  private reserve(end: bigint): void {
    const file = this.file!
    const tmp = `${file}.tmp`
    const fd = openSync(tmp, 'w')
    try {
      writeSync(fd, JSON.stringify({ version: 1, nextBlockStart: String(end) }))
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, file)
    const dirFd = openSync(join(file, '..'), 'r')
    try {
      fsyncSync(dirFd)
    } finally {
      closeSync(dirFd)
    }
    this.blockEnd = end
  }
}

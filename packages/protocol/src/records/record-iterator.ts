import { CorruptRecordError } from './corrupt-record-error.ts'
import type { KafkaRecord, RecordHeader } from './record.ts'
import { readVarint, readVarlong } from './varint.ts'

// Record layout (after decompression), every integer a zig-zag varint unless noted:
//   length, attributes: int8 (unused), timestampDelta: varlong, offsetDelta,
//   keyLength (-1 = null), key, valueLength (-1 = null), value,
//   headerCount, then per header: keyLength, key (UTF-8), valueLength (-1 = null), value

/**
 * Decodes the `count` records in buf[pos, end) one at a time. Every read is bounded by the
 * record's own length, and a record must use exactly the bytes its length claims; after the
 * last record nothing may be left. Any violation throws CorruptRecordError and ends the
 * iteration. Allocates the record objects it returns and nothing else.
 */
export class RecordIterator implements IterableIterator<KafkaRecord> {
  buf: Buffer
  pos: number
  private readonly end: number
  private remaining: number
  private readonly baseOffset: number
  private readonly baseTimestamp: number
  /** Under LogAppendTime every record has the batch's maxTimestamp, whatever its delta says. */
  private readonly useLogAppendTime: boolean
  private readonly logAppendTime: number

  constructor(
    buf: Buffer,
    pos: number,
    end: number,
    count: number,
    baseOffset: number,
    baseTimestamp: number,
    logAppendTime: number | null,
  ) {
    this.buf = buf
    this.pos = pos
    this.end = end
    this.remaining = count
    this.baseOffset = baseOffset
    this.baseTimestamp = baseTimestamp
    this.useLogAppendTime = logAppendTime !== null
    this.logAppendTime = logAppendTime ?? 0
  }

  [Symbol.iterator](): this {
    return this
  }

  next(): IteratorResult<KafkaRecord, undefined> {
    if (this.remaining <= 0) {
      if (this.remaining === 0 && this.pos !== this.end) {
        this.remaining = -1
        throw new CorruptRecordError(`${this.end - this.pos} bytes left after the batch's last record`)
      }
      return { done: true, value: undefined }
    }
    try {
      const record = this.readRecord()
      this.remaining--
      return { done: false, value: record }
    } catch (err) {
      this.remaining = -1
      throw err
    }
  }

  private readRecord(): KafkaRecord {
    const length = readVarint(this, this.end)
    const recordEnd = this.pos + length
    if (length < 0 || recordEnd > this.end) {
      throw new CorruptRecordError(`record length ${length} with ${this.end - this.pos} bytes left`)
    }
    if (this.pos >= recordEnd) throw new CorruptRecordError('record ends before its attributes')
    this.pos++ // attributes: no bits are defined
    const timestampDelta = readVarlong(this, recordEnd)
    const offsetDelta = readVarint(this, recordEnd)
    const key = this.readBytes(recordEnd)
    const value = this.readBytes(recordEnd)
    const headerCount = readVarint(this, recordEnd)
    if (headerCount < 0) throw new CorruptRecordError(`record has ${headerCount} headers`)
    const headers: RecordHeader[] = []
    for (let i = 0; i < headerCount; i++) {
      const keyLength = readVarint(this, recordEnd)
      if (keyLength < 0 || keyLength > recordEnd - this.pos) {
        throw new CorruptRecordError(`header key length ${keyLength} with ${recordEnd - this.pos} bytes left`)
      }
      const headerKey = this.buf.toString('utf8', this.pos, this.pos + keyLength)
      this.pos += keyLength
      headers.push({ key: headerKey, value: this.readBytes(recordEnd) })
    }
    if (this.pos !== recordEnd) {
      throw new CorruptRecordError(
        `record claims ${length} bytes but holds ${length - (recordEnd - this.pos)}`,
      )
    }
    return {
      offset: this.baseOffset + offsetDelta,
      timestamp: this.useLogAppendTime ? this.logAppendTime : this.baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    }
  }

  /** Length-prefixed bytes; any negative length is null, as Kafka reads it. */
  private readBytes(recordEnd: number): Buffer | null {
    const length = readVarint(this, recordEnd)
    if (length < 0) return null
    if (length > recordEnd - this.pos) {
      throw new CorruptRecordError(
        `field length ${length} with ${recordEnd - this.pos} bytes left in its record`,
      )
    }
    const start = this.pos
    this.pos = start + length
    return this.buf.subarray(start, this.pos)
  }
}

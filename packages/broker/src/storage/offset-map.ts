// The cleaner's key -> latest offset map, built over the dirty section of a log (Kafka's
// SkimpyOffsetMap). Kafka stores a 16-byte MD5 of each key in a fixed buffer and accepts the
// (negligible) chance of a collision; this map keys on the exact bytes, so two keys never merge,
// and bounds its memory by an entry count instead. Keys are held as latin1 strings: one character
// per byte, which V8 stores one byte per character.

/** Default capacity: about 100 MB for keys of a few dozen bytes. */
export const DEFAULT_OFFSET_MAP_ENTRIES = 1_000_000

export class OffsetMap {
  readonly maxEntries: number
  // Owned by one cleaning round.
  private readonly latest = new Map<string, number>()

  constructor(maxEntries: number = DEFAULT_OFFSET_MAP_ENTRIES) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`offset map capacity must be a positive integer, got ${maxEntries}`)
    this.maxEntries = maxEntries
  }

  get size(): number {
    return this.latest.size
  }

  /** At capacity: the round stops adding segments (the segment in progress still completes). */
  get full(): boolean {
    return this.latest.size >= this.maxEntries
  }

  /** Records `offset` as the latest for `key`; offsets arrive in increasing order. */
  put(key: Buffer, offset: number): void {
    this.latest.set(key.toString('latin1'), offset)
  }

  /** The latest offset recorded for `key`, or -1 when the dirty section never had it. */
  get(key: Buffer): number {
    return this.latest.get(key.toString('latin1')) ?? -1
  }
}

// Group commit: many callers share one sync. A caller asks for durability of everything it has
// written so far; the owner bumps `markDirty()` on every write. At most one sync runs at a time.
// A request is satisfied by a sync that *started* after the request's writes (so a sync already
// running when more writes arrive does not count for them); every request made while a sync runs
// joins the single next sync, which starts as soon as the running one ends.

const noop = (): void => {}

export class GroupCommit {
  // Owned by the object that created it (a partition log, a checkpoint file, the catalog).
  private dirtyVersion = 0
  private durableVersion = 0
  private running: { version: number; promise: Promise<void> } | undefined
  private queued: Promise<void> | undefined
  private readonly sync: () => Promise<void>

  constructor(sync: () => Promise<void>) {
    this.sync = sync
  }

  /** Call after every write that a later request() must cover. */
  markDirty(): void {
    this.dirtyVersion++
  }

  get dirty(): boolean {
    return this.dirtyVersion > this.durableVersion
  }

  get idle(): boolean {
    return this.running === undefined && this.queued === undefined
  }

  /** Resolves once a sync that started after every write so far has completed. */
  request(): Promise<void> {
    const needed = this.dirtyVersion
    if (needed <= this.durableVersion) return Promise.resolve()
    const running = this.running
    if (running !== undefined && running.version >= needed) return running.promise
    // A queued sync has not started yet, so it will cover this request's writes. Checked before
    // `running`: between the end of one sync and the start of the queued one, `running` is
    // already clear, and starting another sync there would run two at once.
    if (this.queued !== undefined) return this.queued
    if (running === undefined) return this.start()
    this.queued = running.promise.then(noop, noop).then(() => {
      this.queued = undefined
      return this.start()
    })
    return this.queued
  }

  /** Resolves when no sync is running or queued (failures ignored). */
  async settled(): Promise<void> {
    while (this.running !== undefined || this.queued !== undefined) {
      await (this.queued ?? this.running?.promise)?.then(noop, noop)
    }
  }

  private start(): Promise<void> {
    const version = this.dirtyVersion
    if (version <= this.durableVersion) return Promise.resolve()
    const entry: { version: number; promise: Promise<void> } = { version, promise: Promise.resolve() }
    entry.promise = Promise.resolve()
      .then(() => this.sync())
      .then(() => {
        if (version > this.durableVersion) this.durableVersion = version
      })
      .finally(() => {
        if (this.running === entry) this.running = undefined
      })
    this.running = entry
    return entry.promise
  }
}

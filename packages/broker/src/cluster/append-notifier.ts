// Wakes long-polling fetches when data arrives. A Fetch that has fewer than MinBytes waits
// here, keyed by the partitions it reads, until an append to one of them or its MaxWaitMs.
//
// Owner: the broker. Produce calls `notify` after each append; Fetch calls `wait`.

/**
 * One parked Fetch. An object rather than closures, as this is made for every long poll: it is
 * its own abort listener (handleEvent) and its timer calls a module function with it.
 */
class Waiter {
  private done = false
  private readonly timer: NodeJS.Timeout
  private readonly notifier: AppendNotifier
  private readonly keys: readonly string[]
  private readonly signal: AbortSignal | undefined
  private readonly resolve: (woken: boolean) => void

  constructor(
    notifier: AppendNotifier,
    keys: readonly string[],
    timeoutMs: number,
    signal: AbortSignal | undefined,
    resolve: (woken: boolean) => void,
  ) {
    this.notifier = notifier
    this.keys = keys
    this.signal = signal
    this.resolve = resolve
    signal?.addEventListener('abort', this)
    this.timer = setTimeout(timedOut, Math.max(0, timeoutMs), this)
  }

  /** The abort listener. */
  handleEvent(): void {
    this.finish(false)
  }

  finish(woken: boolean): void {
    if (this.done) return
    this.done = true
    clearTimeout(this.timer)
    this.signal?.removeEventListener('abort', this)
    this.notifier.forget(this.keys, this)
    this.resolve(woken)
  }
}

function timedOut(waiter: Waiter): void {
  waiter.finish(false)
}

export class AppendNotifier {
  private readonly waiters = new Map<string, Set<Waiter>>()

  static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`
  }

  notify(topic: string, partition: number): void {
    const set = this.waiters.get(AppendNotifier.key(topic, partition))
    if (!set) return
    for (const waiter of [...set]) waiter.finish(true)
  }

  /**
   * Resolves on the first append to any of `keys`, or after `timeoutMs`, or when `signal`
   * aborts (the client went away, the broker is stopping). Returns true when woken by an append.
   */
  wait(keys: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false)
    return new Promise((resolve) => {
      const waiter = new Waiter(this, keys, timeoutMs, signal, resolve)
      for (const k of keys) {
        let set = this.waiters.get(k)
        if (!set) this.waiters.set(k, (set = new Set()))
        set.add(waiter)
      }
    })
  }

  /** Removes a finished waiter from its keys (Waiter.finish). */
  forget(keys: readonly string[], waiter: Waiter): void {
    for (const k of keys) {
      const set = this.waiters.get(k)
      if (!set) continue
      set.delete(waiter)
      if (set.size === 0) this.waiters.delete(k)
    }
  }

  /** Partitions some Fetch is waiting on. */
  get waitedOn(): number {
    return this.waiters.size
  }

  /** Releases every waiter (shutdown). */
  wakeAll(): void {
    for (const set of [...this.waiters.values()]) for (const waiter of [...set]) waiter.finish(true)
  }
}

// Wakes long-polling fetches when data arrives. A Fetch that has fewer than MinBytes waits
// here, keyed by the partitions it reads, until an append to one of them or its MaxWaitMs.
//
// Owner: the broker. Produce calls `notify` after each append; Fetch calls `wait`.

type Waker = () => void

export class AppendNotifier {
  private readonly waiters = new Map<string, Set<Waker>>()

  static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`
  }

  notify(topic: string, partition: number): void {
    const set = this.waiters.get(AppendNotifier.key(topic, partition))
    if (!set) return
    for (const wake of [...set]) wake()
  }

  /**
   * Resolves on the first append to any of `keys`, or after `timeoutMs`, or when `signal`
   * aborts (the client went away, the broker is stopping). Returns true when woken by an append.
   */
  wait(keys: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false)
    return new Promise((resolve) => {
      let done = false
      const finish = (woken: boolean) => {
        if (done) return
        done = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        for (const k of keys) {
          const set = this.waiters.get(k)
          if (!set) continue
          set.delete(wake)
          if (set.size === 0) this.waiters.delete(k)
        }
        resolve(woken)
      }
      const wake = () => finish(true)
      const onAbort = () => finish(false)
      signal?.addEventListener('abort', onAbort)
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs))
      for (const k of keys) {
        let set = this.waiters.get(k)
        if (!set) this.waiters.set(k, (set = new Set()))
        set.add(wake)
      }
    })
  }

  /** Releases every waiter (shutdown). */
  wakeAll(): void {
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake()
  }
}

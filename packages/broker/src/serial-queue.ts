// The broker's one mechanism for "one request at a time per owner": a serial queue. Tasks run
// one at a time, in the order they were queued, each to completion (including its awaits)
// before the next starts. A group, a transactional id and the topic catalog each have one;
// `SerialQueues` keeps one per key for as long as the key has work queued.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()
  private pending = 0

  /** Tasks queued or running. */
  get size(): number {
    return this.pending
  }

  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.pending++
    const result = this.tail.then(task).finally(() => {
      this.pending--
    })
    this.tail = result.catch(() => undefined)
    return result
  }
}

/** One serial queue per key, created on first use and dropped when its last task ends. */
export class SerialQueues<K> {
  private readonly queues = new Map<K, SerialQueue>()

  /** Keys with work queued or running. */
  get size(): number {
    return this.queues.size
  }

  async run<T>(key: K, task: () => T | Promise<T>): Promise<T> {
    let queue = this.queues.get(key)
    if (!queue) this.queues.set(key, (queue = new SerialQueue()))
    try {
      return await queue.run(task)
    } finally {
      if (queue.size === 0 && this.queues.get(key) === queue) this.queues.delete(key)
    }
  }

  /** Resolves once every task queued so far has ended (successfully or not). */
  async drain(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.run(() => undefined).catch(() => undefined)))
  }
}

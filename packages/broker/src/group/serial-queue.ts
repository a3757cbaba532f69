// A serial queue: tasks run one at a time, in the order they were queued, each to completion
// (including its awaits) before the next starts. Each group's owner is one of these.

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

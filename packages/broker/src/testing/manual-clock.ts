// A manual clock for the broker's coordinators (startTestBroker({ clock })): group session,
// rebalance and join timeouts, transaction timeouts and expiry fire only when a test advances
// time, at once, with no real waiting. The clock the group state machine's tests run on too.
import type { Clock, TimerHandle } from '../group/clock.ts'

export type { Clock, TimerHandle } from '../group/clock.ts'

interface Pending {
  handle: TimerHandle
  due: number
  seq: number
  fn: () => void
}

export class ManualClock implements Clock {
  private time: number
  private nextId = 1
  private seq = 0
  private readonly timers = new Map<number, Pending>()

  /** `start`: the time it shows first (ms since the epoch); default: now. */
  constructor(start = Date.now()) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = { id: this.nextId++ }
    this.timers.set(handle.id, { handle, due: this.time + Math.max(0, ms), seq: this.seq++, fn })
    return handle
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete(handle.id)
  }

  /** Timers still pending. */
  get pendingTimers(): number {
    return this.timers.size
  }

  /** Moves time forward by `ms`, firing due timers in order (timers they set fire too if due). */
  advance(ms: number): void {
    const target = this.time + ms
    for (;;) {
      let next: Pending | undefined
      for (const t of this.timers.values()) {
        if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq)))
          next = t
      }
      if (!next) break
      this.timers.delete(next.handle.id)
      this.time = next.due
      next.fn()
    }
    this.time = target
  }
}

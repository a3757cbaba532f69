// Time and timers for the group coordinator, injected so the state machine runs under a fake
// clock in tests (test/group/fake-clock.ts) and under the real one in the broker.

export interface TimerHandle {
  readonly id: number
}

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle | undefined): void
}

/** The process clock. Timers are unref'd: a group's session timer never keeps a process alive. */
export function systemClock(): Clock {
  let nextId = 1
  const timers = new Map<number, NodeJS.Timeout>()
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const id = nextId++
      const t = setTimeout(
        () => {
          timers.delete(id)
          fn()
        },
        Math.max(0, ms),
      )
      t.unref()
      timers.set(id, t)
      return { id }
    },
    clearTimeout(handle) {
      if (!handle) return
      const t = timers.get(handle.id)
      if (t) {
        clearTimeout(t)
        timers.delete(handle.id)
      }
    },
  }
}

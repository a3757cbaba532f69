// A one-line progress bar on stderr, drawn only when stderr is a terminal and only once the
// work has lasted a moment (short commands stay quiet). stdout is never touched, so piping
// the output of a command stays clean.

export interface ProgressState {
  label: string
  done: number
  /** Unknown for a stream whose length nobody knows (stdin from a pipe). */
  total: number | undefined
  unit: string
  elapsedMs: number
  /** Terminal width. */
  columns: number
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function rate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)}M`
  if (perSecond >= 1e4) return `${(perSecond / 1e3).toFixed(1)}k`
  return count(perSecond)
}

/** The line to draw, at most `columns - 1` characters wide. Pure, for tests. */
export function renderProgress(s: ProgressState): string {
  const perSecond = s.elapsedMs > 0 ? (s.done * 1000) / s.elapsedMs : 0
  const speed = `${rate(perSecond)} ${s.unit}/s`
  if (s.total === undefined || s.total <= 0) {
    return `${s.label} ${count(s.done)} ${s.unit}  ${speed}`.slice(0, Math.max(0, s.columns - 1))
  }
  const fraction = Math.min(1, s.done / s.total)
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4)
  const tail = ` ${percent}  ${count(s.done)}/${count(s.total)} ${s.unit}  ${speed}`
  const barWidth = Math.max(0, Math.min(40, s.columns - 1 - s.label.length - tail.length - 3))
  const filled = Math.round(fraction * barWidth)
  const bar = barWidth > 0 ? ` [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]` : ''
  return `${s.label}${bar}${tail}`.slice(0, Math.max(0, s.columns - 1))
}

export interface Progress {
  /** Sets how much is done (absolute, not an increment). */
  update(done: number): void
  setTotal(total: number | undefined): void
  /** Removes the line; call it before printing anything else to the terminal. */
  stop(): void
}

export interface ProgressOptions {
  total?: number
  unit: string
  /** Defaults to process.stderr; nothing is drawn unless it is a TTY. */
  stream?: NodeJS.WriteStream
  /** Work shorter than this shows nothing. Default 500 ms. */
  delayMs?: number
}

/** Draws nothing; for work that must stay quiet (interactive input). */
export const noProgress: Progress = { update() {}, setTotal() {}, stop() {} }

export function startProgress(label: string, options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr
  if (!stream.isTTY) return noProgress
  const started = Date.now()
  const delayMs = options.delayMs ?? 500
  let done = 0
  let total = options.total
  let drawn = false
  const draw = () => {
    if (Date.now() - started < delayMs) return
    const line = renderProgress({
      label,
      done,
      total,
      unit: options.unit,
      elapsedMs: Date.now() - started,
      columns: stream.columns || 80,
    })
    stream.write(`\r${line}\x1b[K`)
    drawn = true
  }
  const timer = setInterval(draw, 100)
  timer.unref()
  return {
    update(n) {
      done = n
    },
    setTotal(n) {
      total = n
    },
    stop() {
      clearInterval(timer)
      if (drawn) stream.write('\r\x1b[K')
      drawn = false
    },
  }
}

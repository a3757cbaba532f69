// Child processes for tests: run a command with a deadline and collect its output, or keep one
// running and read its stdout line by line. Every child is ended by its own PID in `finally`
// (never by name), and every wait is bounded.
import { type ChildProcess, spawn } from 'node:child_process'

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. Without it stdin is closed at once. */
  input?: string | Buffer
  /** The child is killed (SIGKILL, by PID) when it runs longer. */
  timeoutMs: number
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  timedOut: boolean
  elapsedMs: number
}

/** Runs `command args` to completion (or its deadline) and collects stdout and stderr. */
export async function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const started = performance.now()
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  child.stdout.on('data', (c: Buffer) => stdout.push(c))
  child.stderr.on('data', (c: Buffer) => stderr.push(c))
  child.stdin.on('error', () => {}) // a child that exits early closes its stdin under us
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    killChild(child, 'SIGKILL')
  }, options.timeoutMs)
  try {
    if (options.input !== undefined) child.stdin.end(options.input)
    else child.stdin.end()
    const [code, signal] = await exited(child)
    return {
      code,
      signal,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
      timedOut,
      elapsedMs: performance.now() - started,
    }
  } finally {
    clearTimeout(timer)
    killChild(child, 'SIGKILL')
  }
}

/** Like runProcess, but fails (with the child's stderr) unless it exits 0 in time. */
export async function runChecked(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const result = await runProcess(command, args, options)
  if (result.timedOut || result.code !== 0) {
    const why = result.timedOut
      ? `timed out after ${options.timeoutMs} ms`
      : `exited with ${result.code ?? result.signal}`
    throw new Error(
      `${command} ${args.join(' ')} ${why}\n--- stderr ---\n${tail(result.stderr)}\n--- stdout ---\n${tail(result.stdout)}`,
    )
  }
  return result
}

/** Parses stdout of a child that writes one JSON object per line. */
export function jsonLines<T = Record<string, unknown>>(stdout: string): T[] {
  const out: T[] = []
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue
    try {
      out.push(JSON.parse(line) as T)
    } catch {
      throw new Error(`not a JSON line: ${line.slice(0, 200)}`)
    }
  }
  return out
}

/**
 * A long-running child whose stdout is read line by line as it comes. `stop()` ends it by
 * PID: it closes stdin, waits up to `graceMs`, then sends SIGKILL.
 */
export class LineChild {
  readonly child: ChildProcess
  readonly lines: string[] = []
  private stderrChunks: Buffer[] = []
  private partial = ''
  private readonly exit: Promise<[number | null, NodeJS.Signals | null]>
  private listeners: Array<(line: string) => void> = []

  constructor(
    command: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ) {
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    this.exit = exited(this.child)
    this.child.stdin!.on('error', () => {})
    this.child.stdout!.setEncoding('utf8')
    this.child.stdout!.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n')
      this.partial = parts.pop()!
      for (const line of parts) {
        this.lines.push(line)
        for (const l of this.listeners) l(line)
      }
    })
    this.child.stderr!.on('data', (c: Buffer) => this.stderrChunks.push(c))
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get stderr(): string {
    return Buffer.concat(this.stderrChunks).toString('utf8')
  }

  get exited(): Promise<[number | null, NodeJS.Signals | null]> {
    return this.exit
  }

  write(text: string): void {
    this.child.stdin!.write(text)
  }

  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener)
  }

  /** Resolves when `predicate` holds for the lines so far; rejects after `timeoutMs` or at exit. */
  waitFor(
    predicate: (lines: readonly string[]) => boolean,
    timeoutMs: number,
    what = 'condition',
  ): Promise<void> {
    if (predicate(this.lines)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      let done = false
      const finish = (err?: Error) => {
        if (done) return
        done = true
        clearTimeout(timer)
        this.listeners = this.listeners.filter((l) => l !== check)
        if (err) reject(err)
        else resolve()
      }
      const check = () => {
        if (predicate(this.lines)) finish()
      }
      const timer = setTimeout(
        () => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${tail(this.stderr)}`)),
        timeoutMs,
      )
      this.listeners.push(check)
      void this.exit.then(([code, signal]) => {
        check()
        finish(new Error(`child exited (${code ?? signal}) before ${what}\n${tail(this.stderr)}`))
      })
    })
  }

  /** Closes stdin (the child's cue to finish), waits up to graceMs, then kills it by PID. */
  async stop(graceMs: number): Promise<[number | null, NodeJS.Signals | null]> {
    this.child.stdin!.end()
    const timer = setTimeout(() => killChild(this.child, 'SIGKILL'), graceMs)
    try {
      return await this.exit
    } finally {
      clearTimeout(timer)
    }
  }

  /** Sends `signal` to this child's PID (SIGKILL by default) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    killChild(this.child, signal)
    await this.exit
  }
}

/** Sends a signal to this child's PID if it is still running. */
export function killChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    try {
      process.kill(child.pid, signal)
    } catch {
      // already gone
    }
  }
}

function exited(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve([child.exitCode, child.signalCode])
      return
    }
    child.once('close', (code, signal) => resolve([code, signal]))
    child.once('error', () => resolve([null, null]))
  })
}

export function tail(text: string, max = 4000): string {
  return text.length > max ? `…${text.slice(-max)}` : text
}
